//! Builds a SQLite database file from DDL + INSERT text. The text is untrusted (an LLM may have
//! written it): only CREATE TABLE, CREATE INDEX and INSERT are allowed, and the file appears at
//! its final path only once it built completely. The build is bounded in time, size, rows and
//! value length, so a reply like `INSERT ... WITH RECURSIVE ... randomblob(1000)` cannot fill the disk.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds on one database build.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildLimits {
    pub timeout: Duration,
    /// Size of the database file (SQLite's `max_page_count`).
    pub max_db_bytes: u64,
    /// Rows inserted, over all tables.
    pub max_rows: u64,
}

impl Default for BuildLimits {
    fn default() -> Self {
        BuildLimits {
            timeout: Duration::from_secs(30),
            max_db_bytes: 64 << 20,
            max_rows: 1_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MaterializeError {
    #[error("statement not allowed in a schema script: {0}")]
    Denied(String),
    #[error("schema script failed: {0}")]
    Sql(String),
    #[error("database has no rows")]
    Empty,
    /// Over one of the [`BuildLimits`]; the reason names which.
    #[error("schema script refused: {0}")]
    Refused(String),
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

/// Executes `script` into a new database at `dest` (replacing it) under the default limits.
/// Returns total row count.
pub fn materialize(script: &str, dest: &Path) -> Result<i64, MaterializeError> {
    materialize_with(script, dest, BuildLimits::default())
}

/// [`materialize`] under `limits`.
pub fn materialize_with(
    script: &str,
    dest: &Path,
    limits: BuildLimits,
) -> Result<i64, MaterializeError> {
    if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| MaterializeError::Io(e.to_string()))?;
    }
    let tmp = crate::atomic::temp_path(dest);
    let _ = std::fs::remove_file(&tmp);
    let result = build(script, &tmp, limits);
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

fn build(script: &str, path: &Path, limits: BuildLimits) -> Result<i64, MaterializeError> {
    let conn = Connection::open(path).map_err(|e| MaterializeError::Io(e.to_string()))?;
    let sql_err = |e: rusqlite::Error| MaterializeError::Sql(e.to_string());
    conn.pragma_update(None, "foreign_keys", 1)
        .map_err(sql_err)?;
    crate::exec::guard::bound_connection(&conn, crate::exec::guard::MAX_VALUE_BYTES)
        .map_err(sql_err)?;
    let page_size: u64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
        .map_err(sql_err)?
        .max(512) as u64;
    let max_pages = (limits.max_db_bytes / page_size).max(1);
    conn.query_row(&format!("PRAGMA max_page_count = {max_pages}"), [], |_| {
        Ok(())
    })
    .map_err(sql_err)?;
    // The row budget: the update hook counts inserted rows, the progress handler (which can
    // stop a statement) checks the count and the deadline.
    let inserted = Arc::new(AtomicU64::new(0));
    let timed_out = Arc::new(AtomicBool::new(false));
    let counter = inserted.clone();
    conn.update_hook(Some(
        move |action: rusqlite::hooks::Action, _: &str, _: &str, _: i64| {
            if action == rusqlite::hooks::Action::SQLITE_INSERT {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        },
    ));
    let (count, late) = (inserted.clone(), timed_out.clone());
    let deadline = Instant::now() + limits.timeout;
    conn.progress_handler(
        1_000,
        Some(move || {
            if Instant::now() > deadline {
                late.store(true, Ordering::Relaxed);
                return true;
            }
            count.load(Ordering::Relaxed) > limits.max_rows
        }),
    );
    conn.authorizer(Some(authorize));
    let tx = conn.unchecked_transaction().map_err(sql_err)?;
    if let Err(e) = tx.execute_batch(script) {
        let msg = e.to_string();
        let code = e.sqlite_error_code();
        return Err(if timed_out.load(Ordering::Relaxed) {
            MaterializeError::Refused(format!("took longer than {:?}", limits.timeout))
        } else if inserted.load(Ordering::Relaxed) > limits.max_rows {
            MaterializeError::Refused(format!("more than {} rows", limits.max_rows))
        } else if code == Some(rusqlite::ErrorCode::DiskFull) {
            MaterializeError::Refused(format!(
                "database larger than {} MB",
                limits.max_db_bytes >> 20
            ))
        } else if crate::exec::guard::is_too_large(&e) {
            MaterializeError::Refused(format!(
                "a value larger than {} MB",
                crate::exec::guard::MAX_VALUE_BYTES >> 20
            ))
        } else if msg.contains("not authorized") {
            MaterializeError::Denied(first_denied(script))
        } else {
            MaterializeError::Sql(msg)
        });
    }
    conn.progress_handler(0, None::<fn() -> bool>);
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

    fn refused(script: &str, limits: BuildLimits) -> String {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.sqlite");
        let e = materialize_with(script, &p, limits).unwrap_err();
        assert!(!p.exists(), "{script} left a database");
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert!(left.is_empty(), "{script} left {left:?}");
        match e {
            MaterializeError::Refused(why) => why,
            other => panic!("{script}: {other:?}"),
        }
    }

    const RUNAWAY: &str = "CREATE TABLE big(i, pad BLOB); INSERT INTO big WITH RECURSIVE c(i) AS \
        (SELECT 1 UNION ALL SELECT i+1 FROM c) SELECT i, randomblob(1000) FROM c;";

    #[test]
    fn runaway_inserts_stop_at_the_size_cap() {
        let why = refused(
            RUNAWAY,
            BuildLimits {
                max_db_bytes: 4 << 20,
                ..BuildLimits::default()
            },
        );
        assert_eq!(why, "database larger than 4 MB");
        // The default cap applies without asking.
        let d = tempfile::tempdir().unwrap();
        let e = materialize(RUNAWAY, &d.path().join("x.sqlite")).unwrap_err();
        assert_eq!(
            e,
            MaterializeError::Refused("database larger than 64 MB".into())
        );
    }

    #[test]
    fn row_budget_and_deadline_refuse_with_their_reason() {
        let many = "CREATE TABLE n(i); INSERT INTO n WITH RECURSIVE c(i) AS \
            (SELECT 1 UNION ALL SELECT i+1 FROM c LIMIT 5000) SELECT i FROM c;";
        let why = refused(
            many,
            BuildLimits {
                max_rows: 1000,
                ..BuildLimits::default()
            },
        );
        assert_eq!(why, "more than 1000 rows");
        // No rows at all, only time: a recursive count.
        let slow = "CREATE TABLE n(i); INSERT INTO n SELECT count(*) FROM (WITH RECURSIVE \
            c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c) SELECT i FROM c);";
        let why = refused(
            slow,
            BuildLimits {
                timeout: Duration::from_millis(200),
                ..BuildLimits::default()
            },
        );
        assert_eq!(why, "took longer than 200ms");
    }

    #[test]
    fn huge_values_are_refused() {
        let why = refused(
            "CREATE TABLE a(b); INSERT INTO a VALUES (randomblob(900000000));",
            BuildLimits::default(),
        );
        assert_eq!(why, "a value larger than 32 MB");
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
