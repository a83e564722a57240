//! Weak sampling: k samples per selected example from a weak model (an OpenAI-compatible
//! endpoint, or a local checkpoint), each prompt built by `schema::prompt_for` (the training
//! serialization), each sample's SQL extracted, executed and judged by `Judge::record`, which
//! turns wrong answers into pending pairs. Resumable: an example that already has k samples
//! from this model is skipped, one with fewer gets only the rest. Cancelling keeps everything
//! already recorded.

use super::weak::{CandidateInput, Judge};
use crate::exec::{Limits, Metric, Verdict};
use crate::llm;
use crate::llm::generator::{GenError, SqlGenerator};
use crate::schema::PromptCache;
use crate::schema::{PromptError, PromptFormat};
use crate::store::{Example, ExampleFilter, Store, StoreError};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    /// Not a `#[from]`/source: the message already holds the cause, and `{:#}` would print it twice.
    #[error("generation failed: {0}")]
    Gen(GenError),
}

impl From<GenError> for SampleError {
    fn from(e: GenError) -> Self {
        SampleError::Gen(e)
    }
}

impl From<PromptError> for SampleError {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Store(e) => SampleError::Store(e),
            PromptError::Schema(e) => SampleError::Schema(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SampleOptions {
    pub filter: ExampleFilter,
    pub k: usize,
    pub temperature: f32,
    /// Prompts handed to the generator at once.
    pub batch: usize,
    pub metric: Metric,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            filter: ExampleFilter::default(),
            k: 4,
            temperature: 0.8,
            batch: 32,
            metric: Metric::spider(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SampleReport {
    pub model: String,
    /// Examples selected.
    pub examples: usize,
    /// Examples that already had k samples from this model.
    pub already_done: usize,
    /// Examples sampled in this run so far.
    pub sampled_examples: usize,
    /// Samples asked for in this run.
    pub requested: usize,
    /// Samples recorded as candidates.
    pub recorded: usize,
    pub correct: usize,
    pub wrong: usize,
    pub gold_errors: usize,
    /// Replies with no text at all (not recorded; asked for again next run).
    pub empty: usize,
    /// Replies whose SQL is over `llm::MAX_SQL_BYTES`: neither judged nor stored.
    pub too_long: usize,
    pub new_pairs: usize,
    pub cancelled: bool,
    /// The model's samples in the workspace so far: executable, correct, how varied.
    pub quality: Option<crate::store::SampleQuality>,
    /// What loading the model warned about (e.g. a checkpoint's tokenizer mismatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl SampleReport {
    pub fn summary(&self) -> String {
        format!(
            "{}: {} examples ({} already done), {} samples recorded of {} asked: {} correct, {} wrong ({} new pending pairs){}{}{}{}",
            self.model,
            self.examples,
            self.already_done,
            self.recorded,
            self.requested,
            self.correct,
            self.wrong,
            self.new_pairs,
            if self.gold_errors > 0 { format!(", {} with failing gold SQL", self.gold_errors) } else { String::new() },
            if self.empty > 0 { format!(", {} empty replies", self.empty) } else { String::new() },
            if self.too_long > 0 { format!(", {} not judged: SQL over {} bytes", self.too_long, llm::MAX_SQL_BYTES) } else { String::new() },
            if self.cancelled { "; cancelled, what finished is kept" } else { "" },
        ) + &self
            .quality
            .as_ref()
            .map(|q| format!("\nsample quality, {}", q.summary()))
            .unwrap_or_default()
            + &self
                .warning
                .as_ref()
                .map(|w| format!("\nwarning: {w}"))
                .unwrap_or_default()
    }
}

/// What one selected example still needs.
pub struct Planned {
    pub example: Example,
    pub prompt: String,
    pub need: usize,
}

/// The examples to sample and the prompt of each (examples with k samples already left out),
/// in the CREATE TABLE layout, in a fixed order spread over the set (`spread`).
pub fn plan(
    store: &Store,
    model: &str,
    opts: &SampleOptions,
) -> Result<(Vec<Planned>, usize), SampleError> {
    plan_with(store, model, opts, PromptFormat::Create)
}

/// `plan` with prompts in `format`.
pub fn plan_with(
    store: &Store,
    model: &str,
    opts: &SampleOptions,
    format: PromptFormat,
) -> Result<(Vec<Planned>, usize), SampleError> {
    let mut cache = PromptCache::new(format);
    let mut out = Vec::new();
    let mut done = 0;
    for ex in store.examples(&opts.filter)? {
        let have = store.samples_done(ex.id, model)?.max(0) as usize;
        if have >= opts.k {
            done += 1;
            continue;
        }
        let prompt = cache.prompt(store, &ex)?;
        out.push(Planned {
            need: opts.k - have,
            example: ex,
            prompt,
        });
    }
    out.sort_by_key(|p| spread(p.example.id));
    Ok((out, done))
}

/// A fixed order that scatters ids, so a run stopped part-way (the recipe's time-bounded weak
/// sampling, a Ctrl-C) has sampled across databases and sources, not the first ones: in id
/// order a 3-minute budget went to the 273 hand-written train questions alone (30 % of their
/// samples ran) and never reached the 16,000 template ones.
fn spread(id: i64) -> u64 {
    (id as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(32)
}

/// Runs weak sampling. `progress(report, total_examples)` is called after each batch.
pub fn run_sampling(
    store: &Store,
    gen: &mut dyn SqlGenerator,
    opts: &SampleOptions,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&SampleReport, usize),
) -> Result<SampleReport, SampleError> {
    let model = gen.name();
    let (planned, done) = plan_with(store, &model, opts, gen.prompt_format())?;
    let mut report = SampleReport {
        model: model.clone(),
        examples: planned.len() + done,
        already_done: done,
        ..Default::default()
    };
    let total = planned.len();
    let mut judge = Judge::new(opts.metric, Limits::default());
    judge.set_temperature(Some(opts.temperature));
    let mut i = 0;
    while i < planned.len() {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
        // A batch of consecutive examples needing the same number of samples.
        let need = planned[i].need;
        let mut j = i;
        while j < planned.len() && j - i < opts.batch.max(1) && planned[j].need == need {
            j += 1;
        }
        let batch = &planned[i..j];
        let prompts: Vec<String> = batch.iter().map(|p| p.prompt.clone()).collect();
        report.requested += prompts.len() * need;
        let outs = gen.generate(&prompts, need, opts.temperature, cancel)?;
        for (p, samples) in batch.iter().zip(outs) {
            for g in samples.into_iter().take(need) {
                let sql = llm::extract_sql(&g.text).unwrap_or_else(|| g.text.trim().to_string());
                if sql.is_empty() {
                    report.empty += 1;
                    continue;
                }
                if llm::cap_sql(&sql).is_err() {
                    report.too_long += 1;
                    continue;
                }
                let r = judge.record(
                    store,
                    &model,
                    &CandidateInput {
                        example_id: p.example.id,
                        sql,
                    },
                    Some(g.latency_ms),
                )?;
                report.recorded += 1;
                match r.verdict {
                    Verdict::Correct => report.correct += 1,
                    Verdict::Wrong { .. } => report.wrong += 1,
                    Verdict::GoldError { .. } => report.gold_errors += 1,
                }
                report.new_pairs += usize::from(r.pair_id.is_some());
            }
        }
        report.sampled_examples += batch.len();
        i = j;
        progress(&report, total);
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
    }
    report.quality = store.sample_quality(Some(&model))?.into_iter().next();
    Ok(report)
}
