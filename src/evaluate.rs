//! Execution accuracy (EX) over many predictions, in parallel on all cores, with gold results
//! cached so that evaluating several prediction files runs each gold query once.

use crate::exec::compare::verdict_of;
use crate::exec::{ExecError, ExecPool, Limits, Metric, QueryResult, Verdict};
use crate::store::Breakdown;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct EvalItem {
    pub index: usize,
    pub db_id: String,
    pub db_path: PathBuf,
    pub gold_sql: String,
    pub pred_sql: String,
    pub difficulty: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub index: usize,
    pub db_id: String,
    pub difficulty: Option<String>,
    pub correct: bool,
    pub reason: String,
    #[serde(skip)]
    pub verdict: Verdict,
}

type GoldResult = Arc<Result<QueryResult, ExecError>>;

/// Gold results by (database file, executed gold text).
#[derive(Default)]
pub struct GoldCache {
    map: Mutex<HashMap<(PathBuf, String), GoldResult>>,
}

impl GoldCache {
    fn get_or_run(&self, pool: &mut ExecPool, path: &Path, sql: String) -> GoldResult {
        let key = (path.to_path_buf(), sql);
        if let Some(r) = self.map.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return r;
        }
        let r = Arc::new(pool.get(path).and_then(|e| e.run(&key.1)));
        if let Ok(mut m) = self.map.lock() {
            m.insert(key, r.clone());
        }
        r
    }
}

/// Evaluates every item; `done` counts finished items for progress bars, and setting
/// `cancel` stops early (unfinished items are left out of the result).
pub fn evaluate(
    items: &[EvalItem],
    metric: Metric,
    limits: Limits,
    cache: &GoldCache,
    done: &AtomicUsize,
    cancel: &AtomicBool,
) -> Vec<ItemResult> {
    let mut out: Vec<ItemResult> = items
        .par_iter()
        .map_init(
            || ExecPool::new(limits),
            |pool, it| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let gold = cache.get_or_run(pool, &it.db_path, metric.prepare(&it.gold_sql));
                let pred = pool
                    .get(&it.db_path)
                    .and_then(|e| e.run(&metric.prepare(&it.pred_sql)));
                let verdict = verdict_of(metric, &it.gold_sql, &gold, &pred);
                done.fetch_add(1, Ordering::Relaxed);
                Some(ItemResult {
                    index: it.index,
                    db_id: it.db_id.clone(),
                    difficulty: it.difficulty.clone(),
                    correct: verdict.is_correct(),
                    reason: verdict.reason_text(),
                    verdict,
                })
            },
        )
        .flatten()
        .collect();
    out.sort_by_key(|r| r.index);
    out
}

/// Examples and correct ones; the type the workspace stores evaluations' breakdowns as.
pub use crate::store::Tally;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub overall: Tally,
    pub per_db: Breakdown,
    pub per_difficulty: Breakdown,
    /// Gold queries that failed: faults of the data, counted as incorrect but reported apart.
    pub gold_errors: usize,
}

pub fn summarize(results: &[ItemResult]) -> Summary {
    let mut s = Summary::default();
    for r in results {
        s.overall.add(r.correct);
        s.per_db.entry(r.db_id.clone()).or_default().add(r.correct);
        if let Some(d) = &r.difficulty {
            s.per_difficulty
                .entry(d.clone())
                .or_default()
                .add(r.correct);
        }
        if matches!(r.verdict, Verdict::GoldError { .. }) {
            s.gold_errors += 1;
        }
    }
    s
}

impl Summary {
    /// A plain-text report: overall, by difficulty, by database.
    pub fn render(&self) -> String {
        let mut out = format!(
            "EX {:.4}  ({} / {})\n",
            self.overall.ex(),
            self.overall.correct,
            self.overall.n
        );
        if self.gold_errors > 0 {
            out.push_str(&format!(
                "  {} gold queries failed to execute (data errors, counted as incorrect)\n",
                self.gold_errors
            ));
        }
        if !self.per_difficulty.is_empty() {
            out.push_str("by difficulty:\n");
            let order = ["easy", "medium", "hard", "extra"];
            let mut keys: Vec<&String> = self.per_difficulty.keys().collect();
            keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(9));
            for k in keys {
                let t = &self.per_difficulty[k];
                out.push_str(&format!(
                    "  {:<8} {:.4}  ({} / {})\n",
                    k,
                    t.ex(),
                    t.correct,
                    t.n
                ));
            }
        }
        out.push_str("by database:\n");
        for (k, t) in &self.per_db {
            out.push_str(&format!(
                "  {:<28} {:.4}  ({} / {})\n",
                k,
                t.ex(),
                t.correct,
                t.n
            ));
        }
        out
    }
}

// ---- `sense eval --json` ---------------------------------------------------------------------

/// One line of `sense eval --json` per example: the same shape for a predictions file and for
/// a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonItem {
    /// Position in the gold file, or in the split's examples.
    pub index: usize,
    /// The workspace example (a checkpoint's evaluation); null for a predictions file.
    pub example_id: Option<i64>,
    pub db_id: String,
    pub difficulty: Option<String>,
    /// The predicted SQL.
    pub pred: String,
    pub correct: bool,
    pub reason: String,
}

impl JsonItem {
    pub fn new(r: &ItemResult, pred: &str, example_id: Option<i64>) -> JsonItem {
        JsonItem {
            index: r.index,
            example_id,
            db_id: r.db_id.clone(),
            difficulty: r.difficulty.clone(),
            pred: pred.to_string(),
            correct: r.correct,
            reason: r.reason.clone(),
        }
    }
}

/// The last line of `sense eval --json`: `"summary": true` tells it from the example lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSummary {
    pub summary: bool,
    /// `spider` or `bird`.
    pub metric: String,
    pub n: usize,
    pub correct: usize,
    pub ex: f64,
    /// Gold queries that failed (counted as incorrect).
    pub gold_errors: usize,
    pub per_db: Breakdown,
    pub per_difficulty: Breakdown,
    /// The stored evaluation (a checkpoint's); null for a predictions file.
    pub eval_id: Option<i64>,
    /// How a checkpoint's SQL was generated (`ModelEvalOptions::decoding`); null for a
    /// predictions file.
    pub decoding: Option<String>,
}

impl JsonSummary {
    pub fn new(metric: &str, s: &Summary, eval_id: Option<i64>) -> JsonSummary {
        JsonSummary {
            summary: true,
            metric: metric.to_string(),
            n: s.overall.n,
            correct: s.overall.correct,
            ex: s.overall.ex(),
            gold_errors: s.gold_errors,
            per_db: s.per_db.clone(),
            per_difficulty: s.per_difficulty.clone(),
            eval_id,
            decoding: None,
        }
    }
}
