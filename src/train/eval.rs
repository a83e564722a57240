//! `sense eval --model CKPT`: greedy SQL for each example of a split, executed and judged with
//! the same EX code as file evaluation, stored as an eval row.

use super::checkpoint::{self, Loaded};
use super::config::device;
use super::data::prompt_of;
use super::error::{bail, Result};
use super::exec_guided;
use super::generate::{generate, GenOptions};
use crate::evaluate::{evaluate, summarize, EvalItem, GoldCache, ItemResult, Summary};
use crate::exec::{ExecPool, Limits, Metric};
use crate::store::{ExampleFilter, JobStatus, Store};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[derive(Debug, Clone)]
pub struct ModelEvalOptions {
    pub split: String,
    pub db: Option<String>,
    pub limit: Option<usize>,
    pub batch: usize,
    pub max_new_tokens: usize,
    /// Identifiers kept to each prompt's schema (`schema_bound`).
    pub schema_bound: bool,
    /// Completions per question (the greedy one, then samples); above 1 the answer is the one
    /// `exec_guided::choose` picks by running them on the question's database.
    pub candidates: usize,
    pub device: String,
    pub metric: Metric,
    pub limits: Limits,
}

impl ModelEvalOptions {
    /// How the SQL is generated, as evaluations record it (`decoding_label`).
    pub fn decoding(&self) -> String {
        decoding_label(self.candidates, self.schema_bound)
    }
}

/// `greedy` or `best of K by execution`, then `schema-bound` or `free`.
pub fn decoding_label(candidates: usize, schema_bound: bool) -> String {
    let how = if candidates > 1 {
        format!("best of {candidates} by execution")
    } else {
        "greedy".into()
    };
    let names = if schema_bound { "schema-bound" } else { "free" };
    format!("{how}, {names}")
}

/// The run of `store` that wrote checkpoint `l`: the one its metadata names, if this store has
/// it and its checkpoints (once it has saved one) are in the same folder. A checkpoint trained
/// in another workspace names a run id that is absent here or another run's; its evaluation
/// then belongs to no run (before, recording it failed on the foreign key after all the work).
pub fn run_in(store: &Store, l: &Loaded) -> Option<i64> {
    let id = l.meta.run_id?;
    let run = store.run(id).ok()?;
    let Some(saved) = run.checkpoint.as_deref() else {
        return Some(id);
    };
    let folder = |p: &Path| p.parent().and_then(|d| std::fs::canonicalize(d).ok());
    (folder(&l.dir)? == folder(Path::new(saved))?).then_some(id)
}

pub struct ModelEval {
    pub eval_id: i64,
    pub summary: Summary,
    pub results: Vec<ItemResult>,
    /// (example id, predicted SQL) in example order.
    pub predictions: Vec<(i64, String)>,
    /// The checkpoint's load warning, for the caller to show (see `Loaded::warning`).
    pub warning: Option<String>,
}

/// The SQL part of a completion: up to and including the first `;` (without it).
pub fn sql_of(completion: &str) -> String {
    let s = completion.trim();
    match s.find(';') {
        Some(i) => s[..i].trim().to_string(),
        None => s.to_string(),
    }
}

/// Loads `ckpt` on `o.device`, then [`evaluate_loaded`].
pub fn evaluate_model(
    store: &Store,
    ckpt: &Path,
    o: &ModelEvalOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ModelEval> {
    let l = checkpoint::load(ckpt, &device(&o.device)?)?;
    let mut r = evaluate_loaded(store, &l, o, cancel, progress)?;
    r.warning = l.warning;
    Ok(r)
}

/// Generates, judges and records for a loaded checkpoint (a caller that loads it itself shows
/// its warning before the work starts). `progress(done, total)` is called after each batch.
///
/// The evaluation is a job in the store (kind `eval`, its target the checkpoint folder) that
/// any viewer can follow, with its progress; a second evaluation of the same checkpoint while
/// a live process runs one is refused (`StoreError::Busy`). The stored eval keeps the example
/// ids it used, so that a change in EX is shown only between evaluations of the same set.
pub fn evaluate_loaded(
    store: &Store,
    l: &Loaded,
    o: &ModelEvalOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ModelEval> {
    let examples = store.examples(&ExampleFilter {
        split: Some(o.split.clone()),
        db: o.db.clone(),
        limit: o.limit,
        ..ExampleFilter::default()
    })?;
    if examples.is_empty() {
        bail!("no examples in split '{}'", o.split);
    }
    let target = std::fs::canonicalize(&l.dir)
        .unwrap_or_else(|_| l.dir.clone())
        .display()
        .to_string();
    let total = examples.len();
    let job = store.create_exclusive_job(
        "eval",
        &target,
        run_in(store, l),
        total as i64,
        &format!("on {}: generating 0/{total}", o.split),
        &crate::proc::pid_alive,
    )?;
    let done = std::cell::Cell::new(0usize);
    let r = run_eval(store, l, o, &examples, cancel, &mut |d, t, stage| {
        done.set(d);
        // A viewer's progress; a failed update must not fail the evaluation.
        let _ = store.update_job(
            job,
            d as i64,
            t as i64,
            &format!("on {}: {stage} {d}/{t}", o.split),
        );
        progress(d, t);
    });
    let (status, message) = match &r {
        Ok(m) => (
            JobStatus::Done,
            format!(
                "eval #{}: EX {}/{} on {}",
                m.eval_id, m.summary.overall.correct, m.summary.overall.n, o.split
            ),
        ),
        Err(_) if cancel.load(Ordering::Relaxed) => (
            JobStatus::Cancelled,
            format!("cancelled after {}/{total}; nothing recorded", done.get()),
        ),
        Err(e) => (JobStatus::Failed, e.to_string()),
    };
    store.finish_job(job, status, &message)?;
    r
}

fn run_eval(
    store: &Store,
    l: &Loaded,
    o: &ModelEvalOptions,
    examples: &[crate::store::Example],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<ModelEval> {
    let mut cache = crate::schema::PromptCache::new(
        crate::schema::PromptFormat::from_version(l.meta.prompt_version).unwrap_or_default(),
    );
    let mut prompts = Vec::with_capacity(examples.len());
    for ex in examples {
        prompts.push(prompt_of(&mut cache, store, ex)?);
    }
    // Similar lengths batch together (less padding); results go back to example order.
    let mut order: Vec<usize> = (0..prompts.len()).collect();
    order.sort_by_key(|&i| prompts[i].len());
    let opts = GenOptions {
        max_new_tokens: o.max_new_tokens,
        schema_bound: o.schema_bound,
        ..GenOptions::default()
    };
    let sampled = GenOptions {
        temperature: exec_guided::TEMPERATURE,
        top_p: exec_guided::TOP_P,
        ..opts
    };
    let extra = o.candidates.max(1) - 1;
    let mut pool = ExecPool::new(o.limits);
    // Each example's database, read once for choosing among candidates and for judging.
    let dbs = examples
        .iter()
        .map(|ex| store.database(ex.db_id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut preds = vec![String::new(); prompts.len()];
    let mut done = 0;
    for chunk in order.chunks(o.batch.max(1)) {
        let ps: Vec<String> = chunk.iter().map(|&i| prompts[i].clone()).collect();
        let outs = generate(&l.model, &l.tokenizer, &ps, &opts, cancel)?;
        for (&i, text) in chunk.iter().zip(outs) {
            preds[i] = sql_of(&text);
        }
        if extra > 0 {
            // Samples only where the greedy SQL does not answer (fails or returns nothing);
            // each example's seeded by its index, so the choice does not depend on batching.
            for &i in chunk {
                let Ok(ex) = pool.get(&dbs[i].path) else {
                    continue;
                };
                if exec_guided::answers(ex, &preds[i]) {
                    continue;
                }
                let rows = vec![prompts[i].clone(); extra];
                let seeded = GenOptions {
                    seed: (i * extra) as u64,
                    ..sampled
                };
                let outs = generate(&l.model, &l.tokenizer, &rows, &seeded, cancel)?;
                let mut cands = vec![std::mem::take(&mut preds[i])];
                cands.extend(outs.iter().map(|t| sql_of(t)));
                let pick = exec_guided::choose(&cands, ex);
                preds[i] = cands.swap_remove(pick);
            }
        }
        done += chunk.len();
        if cancel.load(Ordering::Relaxed) {
            bail!("evaluation cancelled");
        }
        progress(done, prompts.len(), "generating");
    }
    progress(done, prompts.len(), "judging");
    let mut items = Vec::with_capacity(examples.len());
    for (i, ((ex, p), db)) in examples.iter().zip(&preds).zip(&dbs).enumerate() {
        items.push(EvalItem {
            index: i,
            db_id: ex.db_name.clone(),
            db_path: db.path.clone(),
            gold_sql: ex.gold_sql.clone(),
            pred_sql: p.clone(),
            difficulty: Some(ex.difficulty.clone().unwrap_or_else(|| {
                crate::sqltext::estimate_hardness(&ex.gold_sql)
                    .as_str()
                    .into()
            })),
        });
    }
    let counter = AtomicUsize::new(0);
    let results = evaluate(
        &items,
        o.metric,
        o.limits,
        &GoldCache::default(),
        &counter,
        cancel,
    );
    if cancel.load(Ordering::Relaxed) {
        bail!("evaluation cancelled");
    }
    let summary = summarize(&results);
    let ids: Vec<i64> = examples.iter().map(|e| e.id).collect();
    let decoding = o.decoding();
    let eval_id = store.insert_eval(&crate::store::NewEval {
        run_id: run_in(store, l),
        model: &l.dir.display().to_string(),
        split: &o.split,
        metric: o.metric.kind.as_str(),
        n: summary.overall.n as i64,
        correct: summary.overall.correct as i64,
        per_db: &serde_json::to_value(&summary.per_db)?,
        per_difficulty: &serde_json::to_value(&summary.per_difficulty)?,
        examples: &ids,
        decoding: Some(&decoding),
    })?;
    Ok(ModelEval {
        eval_id,
        summary,
        results,
        predictions: ids.into_iter().zip(preds).collect(),
        warning: None,
    })
}
