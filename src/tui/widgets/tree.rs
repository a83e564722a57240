//! The schema tree: databases → tables → columns (type, primary key, foreign key target),
//! flattened into rows for a list, filtered by name.

use crate::schema::DbSchema;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Db {
        db: String,
    },
    Table {
        db: String,
        table: usize,
    },
    Column {
        db: String,
        table: usize,
        column: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub depth: u8,
    pub node: Node,
    pub expanded: bool,
    pub label: String,
    pub detail: String,
}

impl Node {
    pub fn db(&self) -> &str {
        match self {
            Node::Db { db } | Node::Table { db, .. } | Node::Column { db, .. } => db,
        }
    }
    pub fn table(&self) -> Option<usize> {
        match self {
            Node::Db { .. } => None,
            Node::Table { table, .. } | Node::Column { table, .. } => Some(*table),
        }
    }
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

/// The visible rows. With a filter, every database, table or column whose name contains it is
/// shown together with its ancestors, expanded.
pub fn rows(
    dbs: &[(String, i64)],
    schemas: &HashMap<String, Result<DbSchema, String>>,
    expanded: &HashSet<String>,
    filter: &str,
) -> Vec<TreeRow> {
    let filter = filter.to_lowercase();
    let mut out = Vec::new();
    for (db, examples) in dbs {
        let schema = schemas.get(db);
        let db_match = filter.is_empty() || contains(db, &filter);
        let tables: Vec<(usize, &crate::schema::Table)> = match schema {
            Some(Ok(s)) => s.tables.iter().enumerate().collect(),
            _ => Vec::new(),
        };
        let table_hit = |t: &crate::schema::Table| {
            contains(&t.name, &filter) || t.columns.iter().any(|c| contains(&c.name, &filter))
        };
        if !db_match && !tables.iter().any(|(_, t)| table_hit(t)) {
            continue;
        }
        let db_open = expanded.contains(db) || (!filter.is_empty() && !db_match);
        let detail = match schema {
            Some(Ok(s)) => format!("{} tables · {examples} questions", s.tables.len()),
            Some(Err(e)) => format!("error: {e}"),
            None => format!("{examples} questions"),
        };
        out.push(TreeRow {
            depth: 0,
            node: Node::Db { db: db.clone() },
            expanded: db_open,
            label: db.clone(),
            detail,
        });
        if !db_open {
            continue;
        }
        for (ti, t) in tables {
            let col_hit = t.columns.iter().any(|c| contains(&c.name, &filter));
            if !filter.is_empty() && !db_match && !table_hit(t) {
                continue;
            }
            let key = format!("{db}/{}", t.name);
            let t_open = expanded.contains(&key)
                || (!filter.is_empty() && col_hit && !contains(&t.name, &filter));
            out.push(TreeRow {
                depth: 1,
                node: Node::Table {
                    db: db.clone(),
                    table: ti,
                },
                expanded: t_open,
                label: t.name.clone(),
                detail: format!("{} rows", t.row_count),
            });
            if !t_open {
                continue;
            }
            let t_match = contains(&t.name, &filter);
            for (ci, c) in t.columns.iter().enumerate() {
                if !filter.is_empty() && !db_match && !t_match && !contains(&c.name, &filter) {
                    continue;
                }
                let mut detail = c.ty.to_lowercase();
                if c.primary_key {
                    detail.push_str(" PK");
                }
                if let Some(fk) = &c.foreign_key {
                    detail.push_str(&format!(" → {}.{}", fk.table, fk.column));
                }
                out.push(TreeRow {
                    depth: 2,
                    node: Node::Column {
                        db: db.clone(),
                        table: ti,
                        column: ci,
                    },
                    expanded: false,
                    label: c.name.clone(),
                    detail,
                });
            }
        }
    }
    out
}

/// A one-line-per-table summary for prompts in the Review screen:
/// `pets(id*, name, owner_id→owners.id)`.
pub fn brief(schema: &DbSchema) -> Vec<String> {
    schema
        .tables
        .iter()
        .map(|t| {
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    let mut s = c.name.clone();
                    if c.primary_key {
                        s.push('*');
                    }
                    if let Some(fk) = &c.foreign_key {
                        s.push_str(&format!("→{}.{}", fk.table, fk.column));
                    }
                    s
                })
                .collect();
            format!("{}({})", t.name, cols.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ForeignKey, Table};

    fn schema() -> DbSchema {
        let col = |n: &str, pk: bool, fk: Option<(&str, &str)>| Column {
            name: n.into(),
            ty: "INTEGER".into(),
            primary_key: pk,
            not_null: false,
            foreign_key: fk.map(|(t, c)| ForeignKey {
                table: t.into(),
                column: c.into(),
            }),
        };
        DbSchema {
            tables: vec![
                Table {
                    name: "owners".into(),
                    columns: vec![col("id", true, None), col("city", false, None)],
                    row_count: 3,
                    sample_rows: vec![],
                    values: vec![],
                },
                Table {
                    name: "pets".into(),
                    columns: vec![
                        col("id", true, None),
                        col("owner_id", false, Some(("owners", "id"))),
                    ],
                    row_count: 5,
                    sample_rows: vec![],
                    values: vec![],
                },
            ],
        }
    }

    #[test]
    fn collapsed_expanded_and_filtered() {
        let dbs = vec![("vet".to_string(), 10), ("zoo".to_string(), 4)];
        let mut schemas = HashMap::new();
        schemas.insert("vet".to_string(), Ok(schema()));
        let none = HashSet::new();
        assert_eq!(rows(&dbs, &schemas, &none, "").len(), 2);
        let open: HashSet<String> = ["vet".to_string(), "vet/pets".to_string()].into();
        let r = rows(&dbs, &schemas, &open, "");
        assert_eq!(r.len(), 2 + 2 + 2);
        assert_eq!(r[3].label, "id");
        assert_eq!(r[4].detail, "integer → owners.id");
        assert_eq!(r[5].label, "zoo");
        let f = rows(&dbs, &schemas, &none, "city");
        let labels: Vec<&str> = f.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, vec!["vet", "owners", "city"]);
    }

    #[test]
    fn brief_marks_keys() {
        assert_eq!(brief(&schema())[1], "pets(id*, owner_id→owners.id)");
    }
}
