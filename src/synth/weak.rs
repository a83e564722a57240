//! The one place where a model's SQL becomes a judged candidate and, when wrong, a pending
//! preference pair. `sense candidates import`, `sense init`, weak sampling and gold correction
//! all call it. Judging itself (metric + strict check, flags) is `synth::verdict`.

use super::verdict::{self, GoldRuns, Judgement};
use crate::exec::compare::fingerprint;
use crate::exec::{ExecPool, Limits, Metric, Verdict};
use crate::store::{Example, NewCandidate, NewPair, Rejudged, Store, StoreError};
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
    /// The metric and the strict check disagreed (the pair, if any, is flagged `disputed`).
    pub disputed: bool,
}

/// Executes and judges candidates, caching executors and gold runs per example.
pub struct Judge {
    metric: Metric,
    pool: ExecPool,
    /// Per example: the example, its database file, and its gold runs.
    gold: HashMap<i64, (Example, std::path::PathBuf, GoldRuns)>,
    /// The sampling temperature recorded with the candidates (a sampler sets it).
    temperature: Option<f32>,
}

impl Judge {
    pub fn new(metric: Metric, limits: Limits) -> Self {
        Judge {
            metric,
            pool: ExecPool::new(limits),
            gold: HashMap::new(),
            temperature: None,
        }
    }

    /// Records `t` as the sampling temperature of the candidates that follow.
    pub fn set_temperature(&mut self, t: Option<f32>) {
        self.temperature = t;
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Forgets an example's cached gold (after its gold SQL changed).
    pub fn forget(&mut self, example_id: i64) {
        self.gold.remove(&example_id);
    }

    fn gold_runs(&mut self, store: &Store, example_id: i64) -> Result<(), StoreError> {
        // A gold corrected since it was cached (by another process, or the TUI) is read again.
        if let Some((ex, _, _)) = self.gold.get(&example_id) {
            if store.gold_sql(example_id)? != ex.gold_sql {
                self.gold.remove(&example_id);
            }
        }
        if !self.gold.contains_key(&example_id) {
            let ex = store.example(example_id)?;
            let db = store.database(ex.db_id)?;
            let runs = match self.pool.get(&db.path) {
                Ok(e) => GoldRuns::new(e, self.metric, &ex.gold_sql),
                Err(e) => GoldRuns {
                    sql: ex.gold_sql.clone(),
                    as_rule: Err(e.clone()),
                    as_written: Err(e),
                    ambiguity: None,
                },
            };
            self.gold.insert(example_id, (ex, db.path, runs));
        }
        Ok(())
    }

    /// Judges `sql` for an example both ways without recording anything.
    pub fn judge_full(
        &mut self,
        store: &Store,
        example_id: i64,
        sql: &str,
    ) -> Result<Judgement, StoreError> {
        self.gold_runs(store, example_id)?;
        let (_, path, gold) = &self.gold[&example_id];
        Ok(match self.pool.get(path) {
            Ok(ex) => verdict::judge(ex, self.metric, gold, sql),
            Err(e) => Judgement {
                verdict: Verdict::GoldError {
                    message: e.to_string(),
                },
                strict: None,
                flags: Vec::new(),
                flag_reason: String::new(),
                pred: Err(e),
                failure: None,
            },
        })
    }

    /// Judges `sql` for an example by the workspace metric without recording anything.
    pub fn judge(
        &mut self,
        store: &Store,
        example_id: i64,
        sql: &str,
    ) -> Result<
        (
            Verdict,
            Result<crate::exec::QueryResult, crate::exec::ExecError>,
        ),
        StoreError,
    > {
        let j = self.judge_full(store, example_id, sql)?;
        Ok((j.verdict, j.pred))
    }

    /// Judges and records a candidate; a wrong one (by the metric or the strict check) becomes
    /// a pending pair (chosen = gold), flagged where the two judgements disagree or the gold is
    /// ambiguous.
    pub fn record(
        &mut self,
        store: &Store,
        model: &str,
        input: &CandidateInput,
        latency_ms: Option<f64>,
    ) -> Result<Recorded, StoreError> {
        let t = Instant::now();
        let j = self.judge_full(store, input.example_id, &input.sql)?;
        let exec_ms = t.elapsed().as_secs_f64() * 1e3;
        let (error, fp) = match &j.pred {
            Ok(r) => (None, Some(fingerprint(r))),
            Err(e) => (Some(e.to_string()), None),
        };
        let sql = input.sql.trim().to_string();
        let candidate_id = store.record_candidate(&NewCandidate {
            example_id: input.example_id,
            model: model.into(),
            sql: sql.clone(),
            outcome: j.stored_outcome(),
            error,
            result_fp: fp,
            verdict: j.stored_verdict(),
            reason: j.verdict.reason_text(),
            latency_ms: latency_ms.unwrap_or(exec_ms),
            metric: self.metric.kind.as_str().into(),
            strict_verdict: j.stored_strict(),
            flags: j.flags.clone(),
            flag_reason: j.flag_reason.clone(),
            failure_class: j
                .failure
                .map(|f| f.as_str().to_string())
                .unwrap_or_default(),
            temperature: self.temperature.map(f64::from),
        })?;
        let pair_id = if j.makes_pair() {
            let gold_sql = self.gold[&input.example_id].0.gold_sql.clone();
            store.insert_pair(&NewPair {
                example_id: input.example_id,
                chosen_sql: &gold_sql,
                rejected_id: candidate_id,
                rejected_sql: &sql,
                flags: j.flags.clone(),
                flag_reason: j.flag_reason.clone(),
            })?
        } else {
            None
        };
        Ok(Recorded {
            candidate_id,
            disputed: j.is_disputed(),
            verdict: j.verdict,
            pair_id,
        })
    }

    /// Re-judges every candidate of an example against `gold_sql` (its proposed new gold).
    pub fn rejudge(
        &mut self,
        store: &Store,
        example_id: i64,
        gold_sql: &str,
    ) -> Result<Vec<Rejudged>, StoreError> {
        self.gold_runs(store, example_id)?;
        let path = self.gold[&example_id].1.clone();
        let ex = self
            .pool
            .get(&path)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let gold = GoldRuns::new(ex, self.metric, gold_sql);
        if let Err(e) = &gold.as_written {
            return Err(StoreError::Invalid(format!(
                "the new gold SQL fails on database {}: {e}",
                self.gold[&example_id].0.db_name
            )));
        }
        let mut out = Vec::new();
        for c in store.candidates_for(example_id)? {
            let j = verdict::judge(ex, self.metric, &gold, &c.sql);
            out.push(Rejudged {
                candidate_id: c.id,
                verdict: j.stored_verdict(),
                reason: j.verdict.reason_text(),
                strict_verdict: j.stored_strict(),
                makes_pair: j.makes_pair(),
                failure_class: j
                    .failure
                    .map(|f| f.as_str().to_string())
                    .unwrap_or_default(),
                flags: j.flags,
                flag_reason: j.flag_reason,
            });
        }
        self.gold.remove(&example_id);
        Ok(out)
    }
}
