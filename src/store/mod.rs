//! The workspace: one SQLite file (WAL) holding databases, examples, candidates, pairs with
//! their decision history, runs, metrics and evals. Every write is a transaction.

mod agreement;
mod browse;
mod columns;
mod exchanges;
mod gold;
mod jobs;
mod migrations;
mod model;
mod originals;
mod pairs;
mod quality;
mod runs;
mod runs_view;
mod splits;

pub use agreement::{cohen_kappa, Agreement, PairAgreement};
pub use browse::{Activity, ExampleQuery, Facets};
pub use columns::{CandidateVerdict, ExecOutcome, JobStatus, PairStatus, RunStatus, UnknownValue};
pub use exchanges::{Exchange, NewExchange};
pub use gold::{GoldOutcome, GoldUndone};
pub use jobs::JobRow;
pub use model::*;
pub use originals::Originals;
pub use pairs::{NewPair, PairFacets, PairQuery, Undone};
pub use quality::SampleQuality;
pub use runs::{example_set_of, Breakdown, EvalRow, MetricPoint, NewEval, NewRun, Run, Tally};
pub use runs_view::DataFilter;
pub use splits::{seal_split, TRAIN};

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("workspace {path}: {msg}")]
    Open { path: PathBuf, msg: String },
    #[error("workspace {path} has schema version {found}, newer than this sense ({supported}); upgrade sense")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("workspace {path} has schema version {found} and this sense needs {supported}; this command only reads and opens it read-only: run a command that writes (e.g. `sense pairs accept`, `sense import`) with write access to it once to upgrade it")]
    NeedsMigration {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} is held out: nothing writes to or trains on it unless asked (--allow-dev on the command line)")]
    HeldOut(String),
    /// Another live process already does this (e.g. evaluates this checkpoint).
    #[error(
        "{what} is already running in process {pid} (job #{job}); wait for it or stop it first"
    )]
    Busy { what: String, pid: i64, job: i64 },
    #[error("workspace database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Database names are names, also used as file and folder names on import and export: no path
/// separators, no `..`, no NUL, no leading dot, not empty.
pub fn check_db_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.contains(['/', '\\']) {
        Some("it contains a path separator")
    } else if name.contains("..") {
        Some("it contains '..'")
    } else if name.contains('\0') {
        Some("it contains a NUL character")
    } else if name.starts_with('.') {
        Some("it starts with '.'")
    } else {
        None
    };
    match why {
        Some(why) => Err(StoreError::Invalid(format!(
            "invalid database name {name:?}: {why}"
        ))),
        None => Ok(()),
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Who decisions and gold corrections are recorded as made by.
    annotator: String,
}

impl Store {
    /// Opens (creating if needed) and migrates a workspace.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_to(path, migrations::MIGRATIONS.len())
    }

    /// Opens without creating: for viewers that must not conjure an empty workspace.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                msg: "no such workspace file (create one with `sense init`)".into(),
            });
        }
        Self::open(path)
    }

    /// Opens an existing, up-to-date workspace for reading only: nothing is created, migrated or
    /// written (`query_only`), so a workspace on read-only media or in a read-only folder works.
    /// A workspace that needs a migration is refused: migrating is a write.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let open_err = |msg: String| StoreError::Open {
            path: path.to_path_buf(),
            msg,
        };
        if !path.is_file() {
            return Err(open_err(
                "no such workspace file (create one with `sense init`)".into(),
            ));
        }
        // Read-write without CREATE: when the file and its folder are writable this behaves like
        // any WAL reader (and the last one out removes -wal/-shm as usual); when they are not,
        // SQLite falls back to reading, which needs the WAL index (-shm) beside the file.
        let plain = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?;
            Ok(conn)
        };
        let conn = match plain() {
            Ok(c) => c,
            // No WAL index can be made here (a read-only folder). With no pending log the main
            // file holds every committed transaction, so it can be read as an immutable file.
            Err(e) if !crate::exec::has_pending_wal(path) => {
                crate::exec::open_immutable(path).map_err(|e2| {
                    open_err(format!("{e}; read as an immutable file: {e2}"))
                })?
            }
            Err(e) => {
                return Err(open_err(format!(
                    "{e} (its write-ahead log {}-wal holds changes that can only be read with write access to its folder)",
                    path.display()
                )))
            }
        };
        conn.pragma_update(None, "query_only", 1)
            .map_err(|e| open_err(e.to_string()))?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| open_err(e.to_string()))?;
        let supported = migrations::MIGRATIONS.len() as i64;
        if found > supported {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                supported,
            });
        }
        if found < supported {
            return Err(StoreError::NeedsMigration {
                path: path.to_path_buf(),
                found,
                supported,
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            annotator: String::new(),
        })
    }

    /// Opens and applies migrations up to `version` (tests use it to make old files).
    pub fn open_to(path: &Path, version: usize) -> Result<Store> {
        let err = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                msg: e.to_string(),
            })?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", 1).map_err(err)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            annotator: String::new(),
        };
        store.migrate(version)?;
        Ok(store)
    }

    fn migrate(&self, target: usize) -> Result<()> {
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let supported = migrations::MIGRATIONS.len() as i64;
        if current > supported {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                supported,
            });
        }
        if current as usize >= target {
            return Ok(());
        }
        // Rebuilding a table (to change a CHECK) needs foreign keys off, which only takes effect
        // outside a transaction; each migration still checks the keys before it commits.
        self.conn.pragma_update(None, "foreign_keys", 0)?;
        let result = (|| -> Result<()> {
            for (i, sql) in migrations::MIGRATIONS
                .iter()
                .enumerate()
                .take(target)
                .skip(current as usize)
            {
                let tx = self.conn.unchecked_transaction()?;
                tx.execute_batch(sql)?;
                let broken: Option<String> = tx
                    .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                    .optional()?;
                if let Some(table) = broken {
                    return Err(StoreError::Invalid(format!(
                        "migration {} left a broken reference in table {table}",
                        i + 1
                    )));
                }
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                tx.commit()?;
            }
            Ok(())
        })();
        self.conn.pragma_update(None, "foreign_keys", 1)?;
        result
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records later decisions and corrections as made by `name`.
    pub fn set_annotator(&mut self, name: &str) {
        self.annotator = name.to_string();
    }

    pub fn annotator(&self) -> &str {
        &self.annotator
    }

    /// A write transaction that takes the write lock at once, so the busy timeout covers a
    /// read-modify-write instead of failing it with "database is locked" at its first write.
    pub(crate) fn write_tx(&self) -> Result<rusqlite::Transaction<'_>> {
        Ok(rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The annotation guidelines: a Markdown file beside the workspace, edited outside sense.
    pub fn guidelines_path(&self) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sense".into());
        self.base_dir().join(format!("{stem}_guidelines.md"))
    }

    /// Directory beside the workspace where its materialized databases live.
    pub fn db_dir(&self) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sense".into());
        self.base_dir().join(format!("{stem}_dbs"))
    }

    fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Stores paths under the workspace's folder relative to it, so a workspace can be moved.
    fn rel_path(&self, p: &Path) -> String {
        let base = self.base_dir();
        let abs_base = std::fs::canonicalize(&base).unwrap_or(base);
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        match abs.strip_prefix(&abs_base) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => abs.to_string_lossy().into_owned(),
        }
    }

    fn abs_path(&self, stored: &str) -> PathBuf {
        let p = PathBuf::from(stored);
        if p.is_absolute() {
            p
        } else {
            self.base_dir().join(p)
        }
    }

    // ---- databases -------------------------------------------------------------------

    /// Adds a database, or updates the one of that name when it is the same file. A name that
    /// already names another file is refused: silently repointing it would break its examples.
    pub fn upsert_database(&self, db: &NewDatabase) -> Result<i64> {
        check_db_name(&db.name)?;
        let path = self.rel_path(&db.path);
        let existing: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, path FROM databases WHERE name = ?1",
                [&db.name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, old)) = existing {
            let old_abs = self.abs_path(&old);
            let same = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            if old != path && same(&old_abs) != same(&db.path) {
                return Err(StoreError::Invalid(format!(
                    "database '{}' already exists in the workspace at {}; refusing to point it \
                     to {} (import it under another name)",
                    db.name,
                    old_abs.display(),
                    db.path.display()
                )));
            }
            self.conn.execute(
                "UPDATE databases SET domain=?1, source=?2, fingerprint=?3 WHERE id=?4",
                params![db.domain, db.source, db.fingerprint, id],
            )?;
            return Ok(id);
        }
        self.conn.execute(
            "INSERT INTO databases (name, domain, source, path, fingerprint) VALUES (?1,?2,?3,?4,?5)",
            params![db.name, db.domain, db.source, path, db.fingerprint],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Databases matching `clause` (with its one argument), paths resolved.
    fn databases_where(&self, clause: &str, arg: &dyn rusqlite::ToSql) -> Result<Vec<DatabaseRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT d.id, d.name, d.domain, d.source, d.path, d.fingerprint,
                    (SELECT count(*) FROM examples e WHERE e.db_id = d.id),
                    coalesce((SELECT e.split FROM examples e
                              WHERE e.db_id = d.id AND e.source <> 'template'
                              GROUP BY e.split ORDER BY count(*) DESC, e.split = 'train' DESC
                              LIMIT 1), 'train')
             FROM databases d WHERE {clause} ORDER BY d.name"
        ))?;
        let rows = st.query_map([arg], |r| {
            Ok(DatabaseRow {
                id: r.get(0)?,
                name: r.get(1)?,
                domain: r.get(2)?,
                source: r.get(3)?,
                path: PathBuf::from(r.get::<_, String>(4)?),
                fingerprint: r.get(5)?,
                examples: r.get(6)?,
                split: r.get(7)?,
            })
        })?;
        let mut out = Vec::new();
        for r in rows {
            let mut r = r?;
            r.path = self.abs_path(&r.path.to_string_lossy());
            out.push(r);
        }
        Ok(out)
    }

    pub fn databases(&self) -> Result<Vec<DatabaseRow>> {
        self.databases_where("?1 = ?1", &0)
    }

    pub fn database_by_name(&self, name: &str) -> Result<DatabaseRow> {
        self.databases_where("d.name = ?1", &name)?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("database '{name}'")))
    }

    pub fn database(&self, id: i64) -> Result<DatabaseRow> {
        self.databases_where("d.id = ?1", &id)?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("database #{id}")))
    }

    // ---- examples --------------------------------------------------------------------

    /// Inserts examples in one transaction; an example already present (same database,
    /// question and gold SQL) is skipped. Returns (inserted, already present).
    pub fn insert_examples(&self, examples: &[NewExample]) -> Result<(usize, usize)> {
        let tx = self.write_tx()?;
        let inserted = self.insert_examples_in_tx(examples)?;
        tx.commit()?;
        Ok((inserted, examples.len() - inserted))
    }

    /// Adds each database with its examples (their `db_id` is filled in) in one transaction:
    /// a refused name or a failure leaves neither databases nor examples behind.
    pub fn import_databases(
        &self,
        batch: Vec<(NewDatabase, Vec<NewExample>)>,
    ) -> Result<(usize, usize)> {
        self.import_databases_with_originals(
            batch
                .into_iter()
                .map(|(db, examples)| (db, examples, Originals::default()))
                .collect(),
        )
    }

    /// Inserts examples inside the caller's transaction; returns how many were new.
    fn insert_examples_in_tx(&self, examples: &[NewExample]) -> Result<usize> {
        let mut inserted = 0;
        {
            let mut st = self.conn.prepare_cached(
                "INSERT OR IGNORE INTO examples
                 (db_id, question, gold_sql, evidence, difficulty, split, source, provenance, exchange_id)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
            )?;
            for e in examples {
                inserted += st.execute(params![
                    e.db_id,
                    e.question,
                    e.gold_sql,
                    e.evidence,
                    e.difficulty,
                    e.split,
                    e.source,
                    e.provenance.to_string(),
                    e.exchange_id,
                ])?;
            }
        }
        Ok(inserted)
    }

    pub fn examples(&self, filter: &ExampleFilter) -> Result<Vec<Example>> {
        let mut sql = format!(
            "SELECT {} FROM examples e JOIN databases d ON d.id = e.db_id WHERE 1=1",
            browse::EXAMPLE_COLS
        );
        let mut args: Vec<String> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, v: &str| {
            args.push(v.to_string());
            sql.push_str(&format!(" AND {clause} ?{}", args.len()));
        };
        if let Some(v) = &filter.db {
            push(&mut sql, "d.name =", v);
        }
        if let Some(v) = &filter.split {
            push(&mut sql, "e.split =", v);
        }
        if let Some(v) = &filter.source {
            push(&mut sql, "e.source =", v);
        }
        if let Some(v) = &filter.difficulty {
            push(&mut sql, "e.difficulty =", v);
        }
        sql.push_str(" ORDER BY e.id");
        if let Some(n) = filter.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(
            rusqlite::params_from_iter(args.iter()),
            browse::example_from,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn example(&self, id: i64) -> Result<Example> {
        let mut all = self.examples_where("e.id = ?1", &id)?;
        all.pop()
            .ok_or_else(|| StoreError::NotFound(format!("example #{id}")))
    }

    /// An example's current gold SQL.
    pub fn gold_sql(&self, id: i64) -> Result<String> {
        self.conn
            .prepare_cached("SELECT gold_sql FROM examples WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("example #{id}")))
    }

    fn examples_where(&self, clause: &str, arg: &dyn rusqlite::ToSql) -> Result<Vec<Example>> {
        let sql = format!(
            "SELECT {} FROM examples e JOIN databases d ON d.id = e.db_id WHERE {clause}",
            browse::EXAMPLE_COLS
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map([arg], browse::example_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Finds an example by database name and question text (candidate files may name them so).
    pub fn find_example(&self, db: &str, question: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT e.id FROM examples e JOIN databases d ON d.id = e.db_id
                 WHERE d.name = ?1 AND e.question = ?2 ORDER BY e.id LIMIT 1",
                params![db, question],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn counts(&self) -> Result<Counts> {
        let q = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(Counts {
            databases: q("SELECT count(*) FROM databases")?,
            examples: q("SELECT count(*) FROM examples")?,
            candidates: q("SELECT count(*) FROM candidates")?,
            pairs: q("SELECT count(*) FROM pairs")?,
            pending: q("SELECT count(*) FROM pairs WHERE status = 'pending'")?,
            accepted: q("SELECT count(*) FROM pairs WHERE status = 'accepted'")?,
            rejected: q("SELECT count(*) FROM pairs WHERE status = 'rejected'")?,
            skipped: q("SELECT count(*) FROM pairs WHERE status = 'skipped'")?,
            withdrawn: q("SELECT count(*) FROM pairs WHERE status = 'withdrawn'")?,
            runs: q("SELECT count(*) FROM runs")?,
        })
    }

    // ---- candidates ------------------------------------------------------------------

    /// Records a judged candidate; the same SQL from the same model for the same example is
    /// stored once (its sample count goes up). Returns the candidate id.
    pub fn record_candidate(&self, c: &NewCandidate) -> Result<i64> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO candidates (example_id, model, sql, outcome, error, result_fp, verdict, reason,
                latency_ms, metric, strict_verdict, flags, flag_reason, failure_class, temperature)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)
             ON CONFLICT(example_id, model, sql) DO UPDATE SET samples = samples + 1",
            params![
                c.example_id,
                c.model,
                c.sql,
                c.outcome,
                c.error,
                c.result_fp,
                c.verdict,
                c.reason,
                c.latency_ms,
                c.metric,
                c.strict_verdict,
                PairFlag::join(&c.flags),
                c.flag_reason,
                c.failure_class,
                c.temperature
            ],
        )?;
        let id = tx.query_row(
            "SELECT id FROM candidates WHERE example_id = ?1 AND model = ?2 AND sql = ?3",
            params![c.example_id, c.model, c.sql],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(id)
    }

    pub fn candidates_for(&self, example_id: i64) -> Result<Vec<Candidate>> {
        let mut st = self.conn.prepare(
            "SELECT id, example_id, model, sql, outcome, error, result_fp, verdict, reason, latency_ms, samples,
                    metric, strict_verdict, flags, flag_reason, failure_class
             FROM candidates WHERE example_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([example_id], |r| {
            Ok(Candidate {
                id: r.get(0)?,
                example_id: r.get(1)?,
                model: r.get(2)?,
                sql: r.get(3)?,
                outcome: r.get(4)?,
                error: r.get(5)?,
                result_fp: r.get(6)?,
                verdict: r.get(7)?,
                reason: r.get(8)?,
                latency_ms: r.get(9)?,
                samples: r.get(10)?,
                metric: r.get(11)?,
                strict_verdict: r.get(12)?,
                flags: PairFlag::split(&r.get::<_, String>(13)?),
                flag_reason: r.get(14)?,
                failure_class: r.get(15)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many candidates a model already has for an example (for resumable sampling).
    pub fn samples_done(&self, example_id: i64, model: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(samples),0) FROM candidates WHERE example_id = ?1 AND model = ?2",
            params![example_id, model],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests;
