//! What the grammar knows of a database: per table its row count, label columns and foreign
//! keys, and per column whether it is a key, a category, a measure or a date, with its most
//! frequent values and quartiles read from the rows.

use super::sql::qi;
use super::TemplateError;
use crate::exec::Value;
use crate::schema::{self, DbSchema};
use rusqlite::Connection;
use std::path::Path;

#[derive(Debug, Clone)]
pub(super) struct Col {
    pub(super) name: String,
    /// Column is a key (primary, foreign, or named like one): never aggregated or filtered.
    pub(super) key: bool,
    pub(super) numeric: bool,
    pub(super) date: bool,
    pub(super) distinct: i64,
    pub(super) nulls: i64,
    /// Most frequent non-NULL values with their counts, most frequent first.
    pub(super) top: Vec<(Value, i64)>,
    /// Values at the 25th, 50th and 75th percentile (numeric and date columns).
    pub(super) quartiles: Vec<Value>,
}

impl Col {
    fn categorical(&self, rows: i64) -> bool {
        !self.key
            && !self.numeric
            && !self.date
            && self.distinct >= 2
            && self.distinct <= 30
            && self.distinct < rows
    }
    fn measure(&self) -> bool {
        self.numeric && !self.key && self.distinct >= 4 && self.quartiles.len() == 3
    }
}

#[derive(Debug, Clone)]
pub(super) struct Tab {
    pub(super) name: String,
    pub(super) rows: i64,
    pub(super) cols: Vec<Col>,
    pub(super) pk: Option<String>,
    /// Columns that name a row (name, title, first + last name), or the primary key.
    pub(super) label: Vec<String>,
    /// (column, parent table, parent column)
    pub(super) fks: Vec<(String, String, String)>,
}

impl Tab {
    pub(super) fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name)
    }
    pub(super) fn cats(&self) -> Vec<&Col> {
        self.cols
            .iter()
            .filter(|c| c.categorical(self.rows) && !self.label.contains(&c.name))
            .collect()
    }
    pub(super) fn measures(&self) -> Vec<&Col> {
        self.cols.iter().filter(|c| c.measure()).collect()
    }
    pub(super) fn dates(&self) -> Vec<&Col> {
        self.cols
            .iter()
            .filter(|c| c.date && c.quartiles.len() == 3)
            .collect()
    }
    pub(super) fn has_name_label(&self) -> bool {
        self.pk.as_ref().is_none_or(|pk| self.label != [pk.clone()])
    }
}

fn is_numeric_type(ty: &str) -> bool {
    let t = ty.to_ascii_uppercase();
    ["INT", "REAL", "FLOA", "DOUB", "NUM", "DEC"]
        .iter()
        .any(|k| t.contains(k))
}

fn is_date_col(name: &str, ty: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let t = ty.to_ascii_uppercase();
    t.contains("DATE")
        || t.contains("TIME")
        || n.ends_with("_date")
        || n == "date"
        || n.ends_with("_at")
        || n.ends_with("_on")
        || n.contains("date")
}

fn is_key_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id"
        || n.ends_with("_id")
        || n.ends_with("_no")
        || n.ends_with("_code")
        || n.ends_with("number")
        || n.ends_with("isbn")
}

fn read_err(path: &Path, e: rusqlite::Error) -> TemplateError {
    TemplateError::Read {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

pub(super) fn profile(path: &Path) -> Result<Vec<Tab>, TemplateError> {
    let schema: DbSchema = schema::introspect_path(path, 0)?;
    let conn = schema::open_read_only(path)?;
    let mut tabs = Vec::new();
    for t in &schema.tables {
        let tq = qi(&t.name);
        let pk = {
            let pks: Vec<&schema::Column> = t.columns.iter().filter(|c| c.primary_key).collect();
            (pks.len() == 1).then(|| pks[0].name.clone())
        };
        let mut cols = Vec::new();
        for c in &t.columns {
            let cq = qi(&c.name);
            let (distinct, nulls): (i64, i64) = conn
                .query_row(
                    &format!("SELECT count(DISTINCT {cq}), sum({cq} IS NULL) FROM {tq}"),
                    [],
                    |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
                )
                .map_err(|e| read_err(path, e))?;
            let top = values(
                &conn,
                &format!(
                    "SELECT {cq}, count(*) FROM {tq} WHERE {cq} IS NOT NULL GROUP BY {cq} ORDER BY count(*) DESC, {cq} LIMIT 8"
                ),
            )
            .map_err(|e| read_err(path, e))?;
            let numeric = is_numeric_type(&c.ty)
                && top
                    .iter()
                    .all(|(v, _)| matches!(v, Value::Integer(_) | Value::Real(_)));
            let date = !numeric
                && is_date_col(&c.name, &c.ty)
                && top.iter().all(|(v, _)| match v {
                    Value::Text(s) => {
                        s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                    }
                    _ => false,
                });
            let key = c.primary_key || c.foreign_key.is_some() || is_key_name(&c.name);
            let mut quartiles = Vec::new();
            let non_null = t.row_count - nulls;
            if (numeric || date) && non_null >= 4 {
                for k in [1, 2, 3] {
                    let off = non_null * k / 4;
                    let v: Value = conn
                        .query_row(
                            &format!("SELECT {cq} FROM {tq} WHERE {cq} IS NOT NULL ORDER BY {cq} LIMIT 1 OFFSET {off}"),
                            [],
                            |r| Ok(Value::from(r.get_ref(0)?)),
                        )
                        .map_err(|e| read_err(path, e))?;
                    quartiles.push(v);
                }
            }
            // Booleans (two distinct small integers) are not measures.
            let boolish = numeric && distinct <= 2;
            cols.push(Col {
                name: c.name.clone(),
                key: key || boolish,
                numeric,
                date,
                distinct,
                nulls,
                top,
                quartiles,
            });
        }
        let lower: Vec<String> = t
            .columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        let find = |n: &str| {
            lower
                .iter()
                .position(|c| c == n)
                .map(|i| t.columns[i].name.clone())
        };
        let label = if let (Some(f), Some(l)) = (find("first_name"), find("last_name")) {
            vec![f, l]
        } else if let Some(n) = find("name")
            .or_else(|| find("title"))
            .or_else(|| find("full_name"))
        {
            vec![n]
        } else if let Some(i) = lower
            .iter()
            .position(|c| c.ends_with("_name") || c.ends_with("_title"))
        {
            vec![t.columns[i].name.clone()]
        } else if let Some(pk) = &pk {
            vec![pk.clone()]
        } else {
            continue;
        };
        let fks = t
            .columns
            .iter()
            .filter_map(|c| {
                c.foreign_key
                    .as_ref()
                    .map(|f| (c.name.clone(), f.table.clone(), f.column.clone()))
            })
            .collect();
        tabs.push(Tab {
            name: t.name.clone(),
            rows: t.row_count,
            cols,
            pk,
            label,
            fks,
        });
    }
    Ok(tabs)
}

fn values(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<(Value, i64)>> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| Ok((Value::from(r.get_ref(0)?), r.get(1)?)))?;
    rows.collect()
}
