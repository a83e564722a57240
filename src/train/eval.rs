//! `sense eval --model CKPT`: greedy SQL for each example of a split, executed and judged with
//! the same EX code as file evaluation, stored as an eval row.

use super::checkpoint::{self, Loaded};
use super::config::device;
use super::data::prompt_of;
use super::error::{bail, Result};
use super::generate::{generate, GenOptions};
use crate::evaluate::{evaluate, summarize, EvalItem, GoldCache, ItemResult, Summary};
use crate::exec::{Limits, Metric};
use crate::store::{ExampleFilter, Store};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize};

#[derive(Debug, Clone)]
pub struct ModelEvalOptions {
    pub split: String,
    pub db: Option<String>,
    pub limit: Option<usize>,
    pub batch: usize,
    pub max_new_tokens: usize,
    pub device: String,
    pub metric: Metric,
    pub limits: Limits,
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
    let mut cache = crate::schema::PromptCache::new(
        crate::schema::PromptFormat::from_version(l.meta.prompt_version).unwrap_or_default(),
    );
    let mut prompts = Vec::with_capacity(examples.len());
    for ex in &examples {
        prompts.push(prompt_of(&mut cache, store, ex)?);
    }
    // Similar lengths batch together (less padding); results go back to example order.
    let mut order: Vec<usize> = (0..prompts.len()).collect();
    order.sort_by_key(|&i| prompts[i].len());
    let opts = GenOptions {
        max_new_tokens: o.max_new_tokens,
        ..GenOptions::default()
    };
    let mut preds = vec![String::new(); prompts.len()];
    let mut done = 0;
    for chunk in order.chunks(o.batch.max(1)) {
        let ps: Vec<String> = chunk.iter().map(|&i| prompts[i].clone()).collect();
        let outs = generate(&l.model, &l.tokenizer, &ps, &opts, cancel)?;
        for (&i, text) in chunk.iter().zip(outs) {
            preds[i] = sql_of(&text);
        }
        done += chunk.len();
        progress(done, prompts.len());
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            bail!("evaluation cancelled");
        }
    }
    let mut items = Vec::with_capacity(examples.len());
    for (i, (ex, p)) in examples.iter().zip(&preds).enumerate() {
        let db = store.database(ex.db_id)?;
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
    let summary = summarize(&results);
    let eval_id = store.insert_eval(
        l.meta.run_id,
        &l.dir.display().to_string(),
        &o.split,
        o.metric.kind.as_str(),
        summary.overall.n as i64,
        summary.overall.correct as i64,
        &serde_json::to_value(&summary.per_db)?,
        &serde_json::to_value(&summary.per_difficulty)?,
    )?;
    Ok(ModelEval {
        eval_id,
        summary,
        results,
        predictions: examples.iter().map(|e| e.id).zip(preds).collect(),
        warning: None,
    })
}
