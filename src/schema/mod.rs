//! Introspection of a target database, and its serialization into the model prompt.

mod compact;
mod prompt;

pub use compact::{serialize_compact, COMPACT_VALUES};
pub use prompt::{
    prompt_for, serialize_schema, PromptFormat, PromptOptions, COMPACT_PROMPT_VERSION,
    PROMPT_VERSION,
};

use rusqlite::{Connection, OpenFlags};
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

/// Opens a target database read-only for introspection (our own, trusted statements).
pub fn open_read_only(path: &Path) -> Result<Connection, SchemaError> {
    let err = |msg: String| SchemaError::Read {
        path: path.to_path_buf(),
        msg,
    };
    if !path.is_file() {
        return Err(err("no such file".into()));
    }
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err(e.to_string()))
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
        let mut samples = Vec::new();
        if sample_rows > 0 {
            let mut st = conn.prepare(&format!(
                "SELECT * FROM {} LIMIT {sample_rows}",
                quote_ident(&name)
            ))?;
            let n = st.column_count();
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let mut vals = Vec::with_capacity(n);
                for i in 0..n {
                    vals.push(crate::exec::Value::from(r.get_ref(i)?).to_string());
                }
                samples.push(vals);
            }
        }
        tables.push(Table {
            name,
            columns,
            row_count,
            sample_rows: samples,
        });
    }
    Ok(DbSchema { tables })
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
