//! Training runs, their per-step metrics, and evaluations.

use super::{Result, RunStatus, Store, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct NewRun {
    pub kind: String,
    pub parent: Option<String>,
    pub config: serde_json::Value,
    pub total_steps: i64,
    pub pid: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: i64,
    pub kind: String,
    pub parent: Option<String>,
    pub config: String,
    pub status: RunStatus,
    pub pid: Option<i64>,
    pub step: i64,
    pub total_steps: i64,
    pub checkpoint: Option<String>,
    pub message: String,
    pub started_at: String,
    pub ended_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricPoint {
    pub step: i64,
    pub value: f64,
}

const RUN_SELECT: &str =
    "SELECT id, kind, parent, config, status, pid, step, total_steps, checkpoint,
    message, started_at, ended_at FROM runs";

fn run_from(r: &Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        kind: r.get(1)?,
        parent: r.get(2)?,
        config: r.get(3)?,
        status: r.get(4)?,
        pid: r.get(5)?,
        step: r.get(6)?,
        total_steps: r.get(7)?,
        checkpoint: r.get(8)?,
        message: r.get(9)?,
        started_at: r.get(10)?,
        ended_at: r.get(11)?,
    })
}

/// Examples evaluated and how many were correct.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally {
    pub n: usize,
    pub correct: usize,
}

impl Tally {
    /// Execution accuracy: the fraction correct (0 when nothing was evaluated).
    pub fn ex(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.correct as f64 / self.n as f64
        }
    }
    pub fn add(&mut self, ok: bool) {
        self.n += 1;
        self.correct += usize::from(ok);
    }
}

/// An evaluation's breakdown: name (database or difficulty) → tally.
pub type Breakdown = BTreeMap<String, Tally>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalRow {
    pub id: i64,
    pub run_id: Option<i64>,
    pub model: String,
    pub split: String,
    pub metric: String,
    pub n: i64,
    pub correct: i64,
    /// Decoded once, here: the stored JSON object per database and per difficulty.
    pub per_db: Breakdown,
    pub per_difficulty: Breakdown,
    pub created_at: String,
    /// Digest of the example ids the evaluation used (None for evaluations recorded before
    /// sense kept them): two evaluations are comparable only when these are equal.
    pub example_set: Option<String>,
    /// How the SQL was generated (`train::eval::ModelEvalOptions::decoding`); None for
    /// evaluations recorded before sense kept it. Comparable evaluations decode alike.
    pub decoding: Option<String>,
}

/// An evaluation to record.
#[derive(Debug, Clone, Copy)]
pub struct NewEval<'a> {
    pub run_id: Option<i64>,
    pub model: &'a str,
    pub split: &'a str,
    pub metric: &'a str,
    pub n: i64,
    pub correct: i64,
    pub per_db: &'a serde_json::Value,
    pub per_difficulty: &'a serde_json::Value,
    /// The example ids evaluated (empty: not known).
    pub examples: &'a [i64],
    pub decoding: Option<&'a str>,
}

/// The digest `evals.example_set` holds for these example ids (in any order).
pub fn example_set_of(ids: &[i64]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let text = serde_json::to_string(&sorted).unwrap_or_default();
    let d = Sha256::digest(text.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Decodes a stored breakdown (`evals.per_db` / `evals.per_difficulty`) or says which
/// evaluation and column hold what does not fit.
fn breakdown(id: i64, column: &str, json: &str) -> Result<Breakdown> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::Invalid(format!(
            "evaluation #{id}: evals.{column} is not a map of {{\"n\", \"correct\"}} tallies ({e}): {json}"
        ))
    })
}

impl Store {
    pub fn create_run(&self, r: &NewRun) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (kind, parent, config, total_steps, pid) VALUES (?1,?2,?3,?4,?5)",
            params![r.kind, r.parent, r.config.to_string(), r.total_steps, r.pid],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn runs(&self) -> Result<Vec<Run>> {
        let mut st = self.conn.prepare(&format!("{RUN_SELECT} ORDER BY id"))?;
        let rows = st.query_map([], run_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn run(&self, id: i64) -> Result<Run> {
        self.conn
            .query_row(&format!("{RUN_SELECT} WHERE id = ?1"), [id], run_from)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("run #{id}")))
    }

    /// Appends a batch of metric points and moves the run's step forward, in one transaction
    /// (one write per logging interval keeps a watching reader cheap).
    pub fn log_metrics(&self, run_id: i64, step: i64, points: &[(i64, &str, f64)]) -> Result<()> {
        let tx = self.write_tx()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?1,?2,?3,?4)",
            )?;
            for (s, name, v) in points {
                st.execute(params![run_id, s, name, v])?;
            }
        }
        tx.execute(
            "UPDATE runs SET step = ?2 WHERE id = ?1",
            params![run_id, step],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_run_checkpoint(&self, run_id: i64, path: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET checkpoint = ?2 WHERE id = ?1",
            params![run_id, path],
        )?;
        Ok(())
    }

    pub fn set_run_pid(&self, run_id: i64, pid: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET pid = ?2, status = 'running', ended_at = NULL WHERE id = ?1",
            params![run_id, pid],
        )?;
        Ok(())
    }

    pub fn finish_run(&self, run_id: i64, status: RunStatus, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, message = ?3, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
             WHERE id = ?1",
            params![run_id, status, message],
        )?;
        Ok(())
    }

    /// Metric names a run has logged.
    pub fn metric_names(&self, run_id: i64) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT name FROM metrics WHERE run_id = ?1 ORDER BY name")?;
        let rows = st.query_map([run_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Mean of one metric over a run (the recipe reports throughput as this machine gave it).
    pub fn metric_mean(&self, run_id: i64, name: &str) -> Result<Option<f64>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT avg(value) FROM metrics WHERE run_id = ?1 AND name = ?2")?;
        Ok(st.query_row(params![run_id, name], |r| r.get(0))?)
    }

    /// Points of one metric after `after_step` (a watcher asks only for what is new).
    pub fn metric_since(
        &self,
        run_id: i64,
        name: &str,
        after_step: i64,
    ) -> Result<Vec<MetricPoint>> {
        let mut st = self.conn.prepare_cached(
            "SELECT step, value FROM metrics WHERE run_id = ?1 AND name = ?2 AND step > ?3 ORDER BY step",
        )?;
        let rows = st.query_map(params![run_id, name, after_step], |r| {
            Ok(MetricPoint {
                step: r.get(0)?,
                value: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn insert_eval(&self, e: &NewEval) -> Result<i64> {
        let NewEval {
            run_id,
            model,
            split,
            metric,
            n,
            correct,
            per_db,
            per_difficulty,
            examples,
            decoding,
        } = *e;
        // What `evals()` decodes is checked on the way in.
        for (column, v) in [("per_db", per_db), ("per_difficulty", per_difficulty)] {
            if let Err(e) = Breakdown::deserialize(v) {
                return Err(StoreError::Invalid(format!(
                    "evals.{column} must be a map of {{\"n\", \"correct\"}} tallies ({e}): {v}"
                )));
            }
        }
        self.conn.execute(
            "INSERT INTO evals (run_id, model, split, metric, n, correct, per_db, per_difficulty,
                                examples, example_set, decoding)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
            params![
                run_id,
                model,
                split,
                metric,
                n,
                correct,
                per_db.to_string(),
                per_difficulty.to_string(),
                (!examples.is_empty()).then(|| serde_json::json!(examples).to_string()),
                (!examples.is_empty()).then(|| example_set_of(examples)),
                decoding,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The example ids evaluation `id` used (None when it was recorded before sense kept them).
    pub fn eval_examples(&self, id: i64) -> Result<Option<Vec<i64>>> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT examples FROM evals WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("evaluation #{id}")))?;
        Ok(match text {
            Some(t) => Some(serde_json::from_str(&t).map_err(|e| {
                StoreError::Invalid(format!(
                    "evaluation #{id}: evals.examples is not a list of ids ({e})"
                ))
            })?),
            None => None,
        })
    }

    pub fn evals(&self) -> Result<Vec<EvalRow>> {
        let mut st = self.conn.prepare(
            "SELECT id, run_id, model, split, metric, n, correct, per_db, per_difficulty, created_at,
                    example_set, decoding
             FROM evals ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                EvalRow {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    model: r.get(2)?,
                    split: r.get(3)?,
                    metric: r.get(4)?,
                    n: r.get(5)?,
                    correct: r.get(6)?,
                    per_db: Breakdown::new(),
                    per_difficulty: Breakdown::new(),
                    created_at: r.get(9)?,
                    example_set: r.get(10)?,
                    decoding: r.get(11)?,
                },
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut e, per_db, per_difficulty) = row?;
            e.per_db = breakdown(e.id, "per_db", &per_db)?;
            e.per_difficulty = breakdown(e.id, "per_difficulty", &per_difficulty)?;
            out.push(e);
        }
        Ok(out)
    }
}
