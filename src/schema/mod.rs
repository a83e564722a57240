//! Introspection of a target database, its serialization into the model prompt (with the
//! completion format beside it), and the cache that builds prompts for workspace examples.

mod cache;
mod compact;
pub mod linking;
mod prompt;

pub use cache::{PromptCache, PromptError};
pub use compact::{serialize_compact, COMPACT_VALUES};
pub use prompt::{
    completion_text, prompt_for, schema_section, serialize_schema, split_prompt, PromptFormat,
    PromptOptions, COMPACT_PROMPT_VERSION, LINKED_PROMPT_VERSION, PROMPT_VERSION,
};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read schema of {path}: {msg}")]
    Read { path: PathBuf, msg: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub table: String,
    pub column: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: String,
    pub primary_key: bool,
    pub not_null: bool,
    pub foreign_key: Option<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub row_count: i64,
    /// A few rows, as text, for prompts and previews.
    pub sample_rows: Vec<Vec<String>>,
    /// Per column, distinct short text values from the table's first rows (read with the
    /// sample rows): what the linked prompt matches a question's words against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DbSchema {
    pub tables: Vec<Table>,
}

impl DbSchema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// Characters (text) or bytes (blob) of each sample value read: prompts and previews show a prefix,
/// so a huge value in a target database costs nothing.
pub const SAMPLE_VALUE_PREFIX: usize = 200;

/// Opens a target database read-only for introspection (our own statements, but the database is
/// untrusted: its values are bounded by the same length and heap limits as queries).
pub fn open_read_only(path: &Path) -> Result<Connection, SchemaError> {
    let err = |msg: String| SchemaError::Read {
        path: path.to_path_buf(),
        msg,
    };
    if !path.is_file() {
        return Err(err("no such file".into()));
    }
    let conn = crate::exec::open_target(path).map_err(|e| err(e.to_string()))?;
    crate::exec::guard::bound_connection(&conn, crate::exec::guard::MAX_VALUE_BYTES)
        .map_err(|e| err(e.to_string()))?;
    Ok(conn)
}

pub fn introspect_path(path: &Path, sample_rows: usize) -> Result<DbSchema, SchemaError> {
    let conn = open_read_only(path)?;
    introspect(&conn, sample_rows).map_err(|e| SchemaError::Read {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub fn introspect(conn: &Connection, sample_rows: usize) -> rusqlite::Result<DbSchema> {
    let mut names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names.dedup();
    let mut tables = Vec::new();
    for name in names {
        let mut fks: Vec<(String, String, Option<String>)> = conn
            .prepare(&format!("PRAGMA foreign_key_list({})", quote_ident(&name)))?
            .query_map([], |r| Ok((r.get(3)?, r.get(2)?, r.get(4)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let cols: Vec<(String, String, bool, i64)> = conn
            .prepare(&format!("PRAGMA table_info({})", quote_ident(&name)))?
            .query_map([], |r| {
                Ok((
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, i64>(3)? != 0,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut columns = Vec::new();
        for (cname, ty, not_null, pk) in cols {
            let fk_pos = fks
                .iter()
                .position(|(from, _, _)| from.eq_ignore_ascii_case(&cname));
            let foreign_key = fk_pos.map(|i| {
                let (_, table, to) = fks.remove(i);
                ForeignKey {
                    column: to.unwrap_or_else(|| "rowid".into()),
                    table,
                }
            });
            columns.push(Column {
                name: cname,
                ty,
                primary_key: pk > 0,
                not_null,
                foreign_key,
            });
        }
        let row_count: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(&name)),
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        let (samples, values) = if sample_rows > 0 && !columns.is_empty() {
            let samples = match read_samples(conn, &name, &columns, sample_rows) {
                Ok(rows) => rows,
                // A value over the length limit: the table is described without samples.
                Err(e) if crate::exec::guard::is_too_large(&e) => Vec::new(),
                Err(e) => return Err(e),
            };
            let values = match read_values(conn, &name, &columns) {
                Ok(v) => v,
                Err(e) if crate::exec::guard::is_too_large(&e) => Vec::new(),
                Err(e) => return Err(e),
            };
            (samples, values)
        } else {
            (Vec::new(), Vec::new())
        };
        tables.push(Table {
            name,
            columns,
            row_count,
            sample_rows: samples,
            values,
        });
    }
    Ok(DbSchema { tables })
}

/// The first `n` rows of `table` as text: text by prefix, blobs by their size, numbers as they are.
fn read_samples(
    conn: &Connection,
    table: &str,
    columns: &[Column],
    n: usize,
) -> rusqlite::Result<Vec<Vec<String>>> {
    let select: Vec<String> = columns
        .iter()
        .map(|c| {
            let q = quote_ident(&c.name);
            format!(
                "CASE typeof({q}) WHEN 'text' THEN substr({q}, 1, {SAMPLE_VALUE_PREFIX}) \
                 WHEN 'blob' THEN '<blob ' || length({q}) || ' bytes>' ELSE {q} END"
            )
        })
        .collect();
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM {} LIMIT {n}",
        select.join(", "),
        quote_ident(table)
    ))?;
    let ncol = st.column_count();
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut vals = Vec::with_capacity(ncol);
        for i in 0..ncol {
            vals.push(crate::exec::Value::from(r.get_ref(i)?).to_string());
        }
        out.push(vals);
    }
    Ok(out)
}

/// Rows scanned, values kept and their longest length (characters) per column in `read_values`:
/// bounded work on a large database, and only values short enough to be named in a question.
const VALUE_SCAN_ROWS: usize = 5000;
const VALUES_PER_COLUMN: usize = 100;
const VALUE_MAX_CHARS: usize = 40;

/// Distinct short text values of each column that is not a key, from the table's first rows.
fn read_values(
    conn: &Connection,
    table: &str,
    columns: &[Column],
) -> rusqlite::Result<Vec<Vec<String>>> {
    let mut out = Vec::with_capacity(columns.len());
    for c in columns {
        if c.primary_key || c.foreign_key.is_some() {
            out.push(Vec::new());
            continue;
        }
        let q = quote_ident(&c.name);
        let sql = format!(
            "SELECT DISTINCT {q} FROM (SELECT {q} FROM {} LIMIT {VALUE_SCAN_ROWS}) \
             WHERE typeof({q}) = 'text' AND length({q}) BETWEEN 2 AND {VALUE_MAX_CHARS} \
             LIMIT {VALUES_PER_COLUMN}",
            quote_ident(table)
        );
        let vals: Vec<String> = conn
            .prepare(&sql)?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(vals);
    }
    Ok(out)
}

/// A fingerprint of the schema's shape (tables, columns, types, keys), independent of rows.
pub fn fingerprint(schema: &DbSchema) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for t in &schema.tables {
        h.update(t.name.to_ascii_lowercase().as_bytes());
        for c in &t.columns {
            h.update(format!(
                "|{}:{}:{}:{:?}",
                c.name.to_ascii_lowercase(),
                c.ty.to_ascii_lowercase(),
                c.primary_key,
                c.foreign_key.as_ref().map(|f| (&f.table, &f.column))
            ));
        }
        h.update(b";");
    }
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_values_are_read_by_prefix() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE t(id INTEGER, r REAL, s TEXT, b BLOB);
             INSERT INTO t VALUES (7, 2.5, printf('%.*c', 20000000, 'x'), zeroblob(20000000));",
        )
        .unwrap();
        drop(c);
        let schema = introspect_path(&p, 3).unwrap();
        let row = &schema.tables[0].sample_rows[0];
        assert_eq!(row[0], "7");
        assert_eq!(row[1], "2.5");
        assert_eq!(row[2], "x".repeat(SAMPLE_VALUE_PREFIX));
        assert_eq!(row[3], "<blob 20000000 bytes>");
    }

    #[test]
    fn introspection_connections_carry_the_length_limit() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.sqlite");
        Connection::open(&p)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let conn = open_read_only(&p).unwrap();
        let e = conn
            .query_row("SELECT length(randomblob(900000000))", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err();
        assert!(crate::exec::guard::is_too_large(&e), "{e}");
    }
}
