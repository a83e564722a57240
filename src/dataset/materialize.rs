//! Builds a SQLite database file from DDL + INSERT text. The text is untrusted (an LLM may have
//! written it): only CREATE TABLE, CREATE INDEX and INSERT are allowed, and the file appears at
//! its final path only once it built completely.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MaterializeError {
    #[error("statement not allowed in a schema script: {0}")]
    Denied(String),
    #[error("schema script failed: {0}")]
    Sql(String),
    #[error("database has no rows")]
    Empty,
    #[error("{0}")]
    Io(String),
}

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::CreateTable { .. }
        | AuthAction::CreateIndex { .. }
        | AuthAction::Insert { .. }
        | AuthAction::Read { .. }
        | AuthAction::Select
        | AuthAction::Function { .. }
        | AuthAction::Transaction { .. }
        | AuthAction::Recursive
        // SQLite asks to reindex when it builds a new index.
        | AuthAction::Reindex { .. } => Authorization::Allow,
        // Creating a table writes sqlite_master; SQLite asks for that as an update/insert on it.
        AuthAction::Update {
            table_name: "sqlite_master",
            ..
        } => {
            Authorization::Allow
        }
        _ => Authorization::Deny,
    }
}

/// Executes `script` into a new database at `dest` (replacing it). Returns total row count.
pub fn materialize(script: &str, dest: &Path) -> Result<i64, MaterializeError> {
    if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| MaterializeError::Io(e.to_string()))?;
    }
    let tmp = super::atomic::temp_path(dest);
    let _ = std::fs::remove_file(&tmp);
    let result = build(script, &tmp);
    match result {
        Ok(rows) => {
            std::fs::rename(&tmp, dest).map_err(|e| MaterializeError::Io(e.to_string()))?;
            Ok(rows)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn build(script: &str, path: &Path) -> Result<i64, MaterializeError> {
    let conn = Connection::open(path).map_err(|e| MaterializeError::Io(e.to_string()))?;
    conn.pragma_update(None, "foreign_keys", 1)
        .map_err(|e| MaterializeError::Sql(e.to_string()))?;
    conn.authorizer(Some(authorize));
    let tx = conn
        .unchecked_transaction()
        .map_err(|e| MaterializeError::Sql(e.to_string()))?;
    if let Err(e) = tx.execute_batch(script) {
        let msg = e.to_string();
        return Err(if msg.contains("not authorized") {
            MaterializeError::Denied(first_denied(script))
        } else {
            MaterializeError::Sql(msg)
        });
    }
    tx.commit()
        .map_err(|e| MaterializeError::Sql(e.to_string()))?;
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| MaterializeError::Sql(e.to_string()))?;
    let mut rows = 0i64;
    for t in tables {
        rows += conn
            .query_row(
                &format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| MaterializeError::Sql(e.to_string()))?;
    }
    if rows == 0 {
        return Err(MaterializeError::Empty);
    }
    Ok(rows)
}

/// Names the first statement kind that is not CREATE TABLE / CREATE INDEX / INSERT.
fn first_denied(script: &str) -> String {
    let words = crate::sqltext::significant(script);
    let mut at_start = true;
    for (i, w) in words.iter().enumerate() {
        if at_start {
            let up = w.to_ascii_uppercase();
            let ok = match up.as_str() {
                "INSERT" => true,
                "CREATE" => words.get(i + 1).is_some_and(|n| {
                    let n = n.to_ascii_uppercase();
                    n == "TABLE" || n == "INDEX" || n == "UNIQUE"
                }),
                _ => false,
            };
            if !ok {
                let tail: Vec<&str> = words[i..].iter().take(3).copied().collect();
                return tail.join(" ");
            }
        }
        at_start = *w == ";";
    }
    "unknown statement".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_counts() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.sqlite");
        let n = materialize(
            "CREATE TABLE a(id INTEGER PRIMARY KEY, n TEXT); CREATE INDEX ai ON a(n);
             INSERT INTO a VALUES (1,'x'),(2,'y');",
            &p,
        )
        .unwrap();
        assert_eq!(n, 2);
        assert!(p.exists());
    }

    #[test]
    fn rejects_anything_else() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.sqlite");
        for bad in [
            "CREATE TABLE a(id); INSERT INTO a VALUES (1); DROP TABLE a;",
            "CREATE TABLE a(id); INSERT INTO a VALUES (1); ATTACH DATABASE '/tmp/evil.db' AS e;",
            "CREATE TABLE a(id); INSERT INTO a VALUES (1); PRAGMA writable_schema = 1;",
            "CREATE TABLE a(id); INSERT INTO a VALUES (1); DELETE FROM a;",
            "CREATE TABLE a(id); INSERT INTO a VALUES (1); UPDATE a SET id = 2;",
            "CREATE VIEW v AS SELECT 1;",
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;",
        ] {
            let e = materialize(bad, &p).unwrap_err();
            assert!(
                matches!(e, MaterializeError::Denied(_) | MaterializeError::Sql(_)),
                "{bad}: {e:?}"
            );
            assert!(!p.exists(), "{bad} left a file");
        }
        assert!(!Path::new("/tmp/evil.db").exists());
    }

    #[test]
    fn empty_database_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.sqlite");
        assert_eq!(
            materialize("CREATE TABLE a(id);", &p),
            Err(MaterializeError::Empty)
        );
        assert!(!p.exists());
    }
}
