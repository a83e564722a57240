//! The one place where a model's SQL becomes a judged candidate and, when wrong, a pending
//! preference pair. `sense candidates import`, `sense init` and weak sampling all call it.

use crate::exec::compare::{fingerprint, verdict_of};
use crate::exec::{ExecError, ExecPool, Limits, Metric, QueryResult, Verdict};
use crate::store::{Example, NewCandidate, Store, StoreError};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct CandidateInput {
    pub example_id: i64,
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub candidate_id: i64,
    pub verdict: Verdict,
    /// The new pending pair, when the SQL was wrong and no pair had it yet.
    pub pair_id: Option<i64>,
}

/// Executes and judges candidates, caching executors and gold results per example.
pub struct Judge {
    metric: Metric,
    pool: ExecPool,
    /// Per example: the example, its database file, and its gold result.
    gold: HashMap<i64, (Example, std::path::PathBuf, Result<QueryResult, ExecError>)>,
}

impl Judge {
    pub fn new(metric: Metric, limits: Limits) -> Self {
        Judge {
            metric,
            pool: ExecPool::new(limits),
            gold: HashMap::new(),
        }
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Judges `sql` for an example without recording anything.
    pub fn judge(
        &mut self,
        store: &Store,
        example_id: i64,
        sql: &str,
    ) -> Result<(Verdict, Result<QueryResult, ExecError>), StoreError> {
        if !self.gold.contains_key(&example_id) {
            let ex = store.example(example_id)?;
            let db = store.database(ex.db_id)?;
            let gold = self
                .pool
                .get(&db.path)
                .and_then(|e| e.run(&self.metric.prepare(&ex.gold_sql)));
            self.gold.insert(example_id, (ex, db.path, gold));
        }
        let (ex, path, gold) = &self.gold[&example_id];
        let pred = self
            .pool
            .get(path)
            .and_then(|e| e.run(&self.metric.prepare(sql)));
        Ok((verdict_of(self.metric, &ex.gold_sql, gold, &pred), pred))
    }

    /// Judges and records a candidate; a wrong one becomes a pending pair (chosen = gold).
    pub fn record(
        &mut self,
        store: &Store,
        model: &str,
        input: &CandidateInput,
        latency_ms: Option<f64>,
    ) -> Result<Recorded, StoreError> {
        let t = Instant::now();
        let (verdict, pred) = self.judge(store, input.example_id, &input.sql)?;
        let exec_ms = t.elapsed().as_secs_f64() * 1e3;
        let (outcome, error, fp) = match &pred {
            Ok(r) => ("ok", None, Some(fingerprint(r))),
            Err(e) => (e.outcome(), Some(e.to_string()), None),
        };
        let sql = input.sql.trim().to_string();
        let candidate_id = store.record_candidate(&NewCandidate {
            example_id: input.example_id,
            model: model.into(),
            sql: sql.clone(),
            outcome: outcome.into(),
            error,
            result_fp: fp,
            verdict: verdict.label().into(),
            reason: verdict.reason_text(),
            latency_ms: latency_ms.unwrap_or(exec_ms),
        })?;
        let pair_id = if matches!(verdict, Verdict::Wrong { .. }) {
            let gold_sql = self.gold[&input.example_id].0.gold_sql.clone();
            store.create_pair(input.example_id, &gold_sql, candidate_id, &sql)?
        } else {
            None
        };
        Ok(Recorded {
            candidate_id,
            verdict,
            pair_id,
        })
    }
}
