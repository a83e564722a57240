//! Running untrusted SQL: read-only connection, an authorizer that denies anything but reading,
//! a time limit, caps on rows and bytes fetched, and SQLite's length and heap limits.

use super::value::Value;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, InterruptHandle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Limits {
    pub timeout: Duration,
    pub max_rows: usize,
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(5),
            max_rows: 10_000,
            max_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    #[error("cannot open database {path}: {msg}")]
    Open { path: PathBuf, msg: String },
    #[error("{0}")]
    Sql(String),
    #[error("not allowed: {0} (queries are read-only)")]
    Denied(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("interrupted")]
    Interrupted,
    #[error("more than {0} rows")]
    TooManyRows(usize),
    #[error("result too large (over {0} bytes)")]
    TooLarge(usize),
    #[error("empty query")]
    Empty,
}

impl ExecError {
    /// The outcome label stored with a candidate.
    pub fn outcome(&self) -> &'static str {
        match self {
            ExecError::Timeout(_) | ExecError::Interrupted => "timeout",
            // The workspace's outcome column has one label for both caps; the reason text
            // (`Reason::TooLarge`) tells them apart.
            ExecError::TooManyRows(_) | ExecError::TooLarge(_) => "too_many_rows",
            _ => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct QueryResult {
    pub columns: Vec<String>,
    /// Declared type of each column where SQLite knows it (a plain column reference).
    pub decl_types: Vec<Option<String>>,
    pub rows: Vec<Vec<Value>>,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// A read-only connection to one target database.
pub struct Executor {
    conn: Connection,
    path: PathBuf,
    limits: Limits,
    base: Instant,
    /// Deadline of the running query, in nanoseconds after `base`; 0 = none.
    deadline: Arc<AtomicU64>,
}

impl Executor {
    pub fn open(path: &Path, limits: Limits) -> Result<Self, ExecError> {
        let open_err = |e: rusqlite::Error| ExecError::Open {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        if !path.is_file() {
            return Err(ExecError::Open {
                path: path.to_path_buf(),
                msg: "no such file".into(),
            });
        }
        let conn = super::open_target(path).map_err(open_err)?;
        conn.pragma_update(None, "query_only", 1)
            .map_err(open_err)?;
        // Before the authorizer, which denies the heap-limit pragma.
        super::guard::bound_connection(&conn, limits.max_bytes).map_err(open_err)?;
        conn.authorizer(Some(authorize));
        let base = Instant::now();
        let deadline = Arc::new(AtomicU64::new(0));
        let d = deadline.clone();
        conn.progress_handler(
            2_000,
            Some(move || {
                let dl = d.load(Ordering::Relaxed);
                dl != 0 && base.elapsed().as_nanos() as u64 > dl
            }),
        );
        Ok(Executor {
            conn,
            path: path.to_path_buf(),
            limits,
            base,
            deadline,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A handle another thread can use to stop the running query (the TUI's cancel key).
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// Runs `sql` with SQLite returning unordered rows in reverse (`PRAGMA
    /// reverse_unordered_selects`, which only changes the order of reads): a result that changes
    /// depends on an order the data does not determine.
    pub fn run_reversed(&self, sql: &str) -> Result<QueryResult, ExecError> {
        let set = |on: bool| -> Result<(), ExecError> {
            // The authorizer denies every setting pragma; this one is ours, not the query's.
            self.conn
                .authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
            let r = self
                .conn
                .pragma_update(None, "reverse_unordered_selects", on);
            self.conn.authorizer(Some(authorize));
            r.map_err(|e| ExecError::Sql(e.to_string()))
        };
        set(true)?;
        let out = self.run(sql);
        set(false)?;
        out
    }

    /// Runs the first statement of `sql` under the limits.
    pub fn run(&self, sql: &str) -> Result<QueryResult, ExecError> {
        let sql = crate::sqltext::first_statement(sql);
        if sql.is_empty() {
            return Err(ExecError::Empty);
        }
        let start = Instant::now();
        let dl = (start - self.base + self.limits.timeout).as_nanos() as u64;
        self.deadline.store(dl.max(1), Ordering::Relaxed);
        let out = self.run_inner(sql, start);
        self.deadline.store(0, Ordering::Relaxed);
        out
    }

    fn run_inner(&self, sql: &str, start: Instant) -> Result<QueryResult, ExecError> {
        let map = |e: rusqlite::Error| self.map_err(e, start);
        let mut stmt = self.conn.prepare(sql).map_err(map)?;
        if !stmt.readonly() {
            return Err(ExecError::Denied("statement writes".into()));
        }
        let ncol = stmt.column_count();
        let columns: Vec<String> = stmt
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let decl_types = stmt
            .columns()
            .iter()
            .map(|c| c.decl_type().map(str::to_string))
            .collect();
        let mut rows = Vec::new();
        let mut bytes = 0usize;
        let mut q = stmt.query([]).map_err(map)?;
        while let Some(row) = q.next().map_err(map)? {
            if rows.len() >= self.limits.max_rows {
                return Err(ExecError::TooManyRows(self.limits.max_rows));
            }
            let mut vals = Vec::with_capacity(ncol);
            for i in 0..ncol {
                let v = Value::from(row.get_ref(i).map_err(map)?);
                bytes += v.size();
                if bytes > self.limits.max_bytes {
                    return Err(ExecError::TooLarge(self.limits.max_bytes));
                }
                vals.push(v);
            }
            rows.push(vals);
        }
        Ok(QueryResult {
            columns,
            decl_types,
            rows,
            elapsed: start.elapsed(),
        })
    }

    fn map_err(&self, e: rusqlite::Error, start: Instant) -> ExecError {
        if super::guard::is_too_large(&e) {
            return ExecError::TooLarge(self.limits.max_bytes.min(super::guard::MAX_VALUE_BYTES));
        }
        if let rusqlite::Error::SqliteFailure(f, msg) = &e {
            match f.code {
                rusqlite::ErrorCode::OperationInterrupted => {
                    return if start.elapsed() >= self.limits.timeout {
                        ExecError::Timeout(self.limits.timeout)
                    } else {
                        ExecError::Interrupted
                    };
                }
                rusqlite::ErrorCode::AuthorizationForStatementDenied => {
                    return ExecError::Denied(
                        msg.clone().unwrap_or_else(|| "not authorized".into()),
                    );
                }
                rusqlite::ErrorCode::ReadOnly => {
                    return ExecError::Denied(msg.clone().unwrap_or_else(|| "read-only".into()));
                }
                _ => {}
            }
        }
        ExecError::Sql(match e {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m,
            rusqlite::Error::SqlInputError { msg, .. } => msg,
            other => other.to_string(),
        })
    }
}

/// Pragmas that only read (introspection); everything else with a pragma is denied.
const READ_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "foreign_key_list",
    "database_list",
    "collation_list",
    "function_list",
    "table_list",
];

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        AuthAction::Function { function_name } => {
            if function_name.eq_ignore_ascii_case("load_extension") {
                Authorization::Deny
            } else {
                Authorization::Allow
            }
        }
        AuthAction::Pragma { pragma_name, .. } => {
            // These pragmas only read, whatever their argument (a table name).
            if READ_PRAGMAS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(pragma_name))
            {
                Authorization::Allow
            } else {
                Authorization::Deny
            }
        }
        _ => Authorization::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(dir: &Path) -> PathBuf {
        let p = dir.join("t.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);
             INSERT INTO t VALUES (1,'a',1.5),(2,'b',NULL),(3,'c',3.0);",
        )
        .unwrap();
        p
    }

    fn file_hash(p: &Path) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(p).unwrap()).to_vec()
    }

    #[test]
    fn reads_with_types() {
        let d = tempfile::tempdir().unwrap();
        let ex = Executor::open(&fixture(d.path()), Limits::default()).unwrap();
        let r = ex
            .run("SELECT id, name, score FROM t ORDER BY id; DROP TABLE t")
            .unwrap();
        assert_eq!(r.columns, vec!["id", "name", "score"]);
        assert_eq!(r.decl_types[0].as_deref(), Some("INTEGER"));
        assert_eq!(r.rows.len(), 3);
        assert!(matches!(r.rows[1][2], Value::Null));
        assert!(matches!(r.rows[2][2], Value::Real(_)));
    }

    #[test]
    fn writes_never_change_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = fixture(d.path());
        let before = file_hash(&p);
        let ex = Executor::open(&p, Limits::default()).unwrap();
        for sql in [
            "DROP TABLE t",
            "DELETE FROM t",
            "UPDATE t SET name = 'x'",
            "INSERT INTO t VALUES (9,'z',0)",
            "CREATE TABLE u(x)",
            "ATTACH DATABASE 'other.sqlite' AS o",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA user_version = 7",
            "VACUUM",
            "SELECT load_extension('x')",
        ] {
            let e = ex.run(sql).unwrap_err();
            assert!(
                matches!(e, ExecError::Denied(_) | ExecError::Sql(_)),
                "{sql}: {e:?}"
            );
        }
        drop(ex);
        assert_eq!(before, file_hash(&p));
        assert!(!d.path().join("other.sqlite").exists());
    }

    #[test]
    fn time_limit_stops_runaway_queries() {
        let d = tempfile::tempdir().unwrap();
        let limits = Limits {
            timeout: Duration::from_millis(100),
            ..Limits::default()
        };
        let ex = Executor::open(&fixture(d.path()), limits).unwrap();
        let e = ex
            .run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c")
            .unwrap_err();
        assert_eq!(e, ExecError::Timeout(Duration::from_millis(100)));
        // The connection is usable after a timeout.
        assert_eq!(ex.run("SELECT count(*) FROM t").unwrap().rows.len(), 1);
    }

    #[test]
    fn row_cap() {
        let d = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let ex = Executor::open(&fixture(d.path()), limits).unwrap();
        assert_eq!(
            ex.run("SELECT * FROM t").unwrap_err(),
            ExecError::TooManyRows(2)
        );
        assert_eq!(ex.run("SELECT * FROM t LIMIT 2").unwrap().rows.len(), 2);
    }

    #[test]
    fn huge_values_are_too_large_not_too_many_rows() {
        let d = tempfile::tempdir().unwrap();
        let ex = Executor::open(&fixture(d.path()), Limits::default()).unwrap();
        for sql in [
            "SELECT length(randomblob(900000000)) + length(randomblob(900000000))",
            "SELECT randomblob(9e8), randomblob(9e8), randomblob(9e8)",
            "SELECT length(zeroblob(900000000))",
            "SELECT length(replace(hex(zeroblob(20000000)), '0', 'ab'))",
        ] {
            let e = ex.run(sql).unwrap_err();
            assert!(matches!(e, ExecError::TooLarge(_)), "{sql}: {e:?}");
            assert_eq!(e.to_string(), "result too large (over 33554432 bytes)");
            assert_eq!(
                crate::exec::Reason::from_exec(&e).to_string(),
                "result too large"
            );
        }
        // Ordinary values still work after a refusal.
        assert_eq!(
            ex.run("SELECT length(randomblob(1000))")
                .unwrap()
                .rows
                .len(),
            1
        );
    }

    #[test]
    fn missing_file_is_an_open_error() {
        let e = Executor::open(Path::new("/nonexistent/x.sqlite"), Limits::default()).err();
        assert!(matches!(e, Some(ExecError::Open { .. })));
    }
}
