//! Weak sampling: k samples per selected example from a weak model (an OpenAI-compatible
//! endpoint, or a local checkpoint), each prompt built by `schema::prompt_for` (the training
//! serialization), each sample's SQL extracted, executed and judged by `Judge::record`, which
//! turns wrong answers into pending pairs. Resumable: an example that already has k samples
//! from this model is skipped, one with fewer gets only the rest. Cancelling keeps everything
//! already recorded.

use super::generator::{GenError, Generated, SqlGenerator};
use super::weak::{CandidateInput, Judge};
use crate::exec::{Limits, Metric, Verdict};
use crate::llm::{self, ChatRequest, Client, EndpointConfig, LlmError, Message, SamplingParams};
use crate::schema::{introspect_path, prompt_for, DbSchema, PromptFormat, PromptOptions};
use crate::store::{Example, ExampleFilter, Store, StoreError};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

/// Prompts for examples, with each database's schema read once.
#[derive(Default)]
pub struct PromptCache {
    schemas: HashMap<i64, DbSchema>,
    format: PromptFormat,
}

impl PromptCache {
    /// Prompts in `format` (the generator's: see `SqlGenerator::prompt_format`).
    pub fn new(format: PromptFormat) -> Self {
        PromptCache {
            schemas: HashMap::new(),
            format,
        }
    }

    /// The training prompt of an example: `prompt_for(schema, question, evidence, default)`.
    pub fn prompt(&mut self, store: &Store, ex: &Example) -> Result<String, SampleError> {
        let schema = match self.schemas.entry(ex.db_id) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let db = store.database(ex.db_id)?;
                v.insert(introspect_path(
                    &db.path,
                    PromptOptions::default().sample_rows,
                )?)
            }
        };
        Ok(prompt_for(
            schema,
            &ex.question,
            ex.evidence.as_deref(),
            PromptOptions::of(self.format),
        ))
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
    }
}

/// What one selected example still needs.
pub struct Planned {
    pub example: Example,
    pub prompt: String,
    pub need: usize,
}

/// The examples to sample and the prompt of each (examples with k samples already left out),
/// in the CREATE TABLE layout.
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
    Ok((out, done))
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

/// A local checkpoint folder as a generator (the `train` module's `LocalGenerator`).
pub fn local_generator(
    dir: &Path,
    device: &str,
    seed: u64,
) -> Result<Box<dyn SqlGenerator>, GenError> {
    crate::train::local::LocalGenerator::load(dir, device, seed)
        .map(|g| Box::new(g) as Box<dyn SqlGenerator>)
        .map_err(|e| GenError(format!("loading checkpoint {}: {e:#}", dir.display())))
}

/// The completion cap of weak sampling from an endpoint when none is given (a checkpoint's is
/// its generator's own, 256 tokens within its context, so that small contexts keep prompt room).
pub const DEFAULT_MAX_TOKENS: u32 = 512;

/// Checks weak sampling's settings before any model is asked: the temperature (of each call)
/// and `params`' top_p and max_tokens. The same checks hold for an endpoint and a checkpoint.
pub fn check_sampling(temperature: f32, params: &SamplingParams) -> Result<(), GenError> {
    if !temperature.is_finite() || temperature < 0.0 {
        return Err(GenError(format!(
            "temperature {temperature} must be 0 (greedy) or more"
        )));
    }
    if let Some(t) = params.top_p {
        if !(0.0..=1.0).contains(&t) {
            return Err(GenError(format!("top-p {t} is outside 0..=1")));
        }
    }
    if params.max_tokens == Some(0) {
        return Err(GenError("max tokens must be at least 1".into()));
    }
    Ok(())
}

/// A local checkpoint as a weak-sampling generator with the settings an endpoint would get
/// (`sense sample` and the jobs menu build it here): `params`' top_p, max_tokens, seed and stop
/// (seed 0 when unset; the temperature and k come with each call). A setting the checkpoint
/// cannot honour (e.g. more tokens than its context) is an error.
pub fn local_generator_with(
    dir: &Path,
    device: &str,
    params: &SamplingParams,
) -> Result<Box<dyn SqlGenerator>, GenError> {
    let mut g = crate::train::local::LocalGenerator::load(dir, device, params.seed.unwrap_or(0))
        .map_err(|e| GenError(format!("loading checkpoint {}: {e:#}", dir.display())))?;
    g.apply(params).map_err(|e| GenError(format!("{e:#}")))?;
    Ok(Box::new(g))
}

/// An OpenAI-compatible endpoint as a generator: the training prompt as the user message
/// (after a system message only when one is given, as for a local checkpoint), k completions per prompt (one request with `n = k`,
/// or k requests), every exchange recorded in the workspace when a store is given.
pub struct EndpointGenerator {
    client: Client,
    rt: tokio::runtime::Runtime,
    pub params: SamplingParams,
    pub system: Option<String>,
    /// Send k separate requests instead of one with `n = k` (for servers without `n`).
    pub separate_requests: bool,
    store: Option<Store>,
    /// Requests that failed after all retries, over the generator's life.
    pub failed: usize,
    pub last_error: Option<LlmError>,
}

impl EndpointGenerator {
    pub fn new(
        cfg: EndpointConfig,
        params: SamplingParams,
        system: Option<String>,
        store: Option<Store>,
    ) -> Result<Self, GenError> {
        let client = Client::new(cfg).map_err(|e| GenError(e.to_string()))?;
        let rt = llm::runtime().map_err(|e| GenError(e.to_string()))?;
        Ok(EndpointGenerator {
            client,
            rt,
            params,
            system,
            separate_requests: false,
            store,
            failed: 0,
            last_error: None,
        })
    }

    fn request(&self, prompt: &str, n: usize, temperature: f32) -> ChatRequest {
        let messages = Message::conversation(self.system.as_deref(), prompt);
        let mut params = self.params.clone();
        params.temperature = Some(temperature);
        params.n = (n > 1).then_some(n as u32);
        ChatRequest {
            purpose: "sample".into(),
            messages,
            params,
        }
    }
}

impl SqlGenerator for EndpointGenerator {
    fn name(&self) -> String {
        self.client.config().model.clone()
    }

    fn set_max_tokens(&mut self, max_tokens: usize) {
        self.params.max_tokens = Some(max_tokens.clamp(1, u32::MAX as usize) as u32);
    }

    fn set_system(&mut self, system: Option<String>) {
        self.system = system;
    }

    fn generate(
        &mut self,
        prompts: &[String],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Generated>>, GenError> {
        let mut reqs: Vec<(usize, ChatRequest)> = Vec::new();
        for (i, p) in prompts.iter().enumerate() {
            if self.separate_requests || k <= 1 {
                for _ in 0..k {
                    reqs.push((i, self.request(p, 1, temperature)));
                }
            } else {
                reqs.push((i, self.request(p, k, temperature)));
            }
        }
        let mut out: Vec<Vec<Generated>> = vec![Vec::new(); prompts.len()];
        let (client, store) = (&self.client, &self.store);
        let (mut ok, mut failed, mut last_error) = (0usize, 0usize, None);
        self.rt.block_on(async {
            let mut running: FuturesUnordered<_> = reqs
                .iter()
                .map(|(i, r)| async move { (*i, client.chat(r).await) })
                .collect();
            loop {
                tokio::select! {
                    next = running.next() => {
                        let Some((i, outcome)) = next else { break };
                        if let Some(s) = store {
                            // Provenance is best effort: a busy workspace must not lose samples.
                            let _ = s.record_exchanges(&outcome.exchanges);
                        }
                        match outcome.result {
                            Ok(reply) => {
                                ok += 1;
                                for t in reply.texts {
                                    out[i].push(Generated { text: t, latency_ms: reply.latency_ms });
                                }
                            }
                            Err(e) => {
                                failed += 1;
                                last_error = Some(e);
                            }
                        }
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                }
            }
        });
        self.failed += failed;
        if let Some(e) = &last_error {
            self.last_error = Some(e.clone());
            if ok == 0 && !cancel.load(Ordering::Relaxed) {
                return Err(GenError(format!("all {failed} requests failed; last: {e}")));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_settings_are_checked_alike_for_every_model() {
        let p = |top_p, max_tokens| SamplingParams {
            top_p,
            max_tokens,
            ..Default::default()
        };
        assert!(check_sampling(0.0, &p(None, None)).is_ok());
        assert!(check_sampling(1.3, &p(Some(0.0), Some(1))).is_ok());
        assert!(check_sampling(0.8, &p(Some(1.0), Some(512))).is_ok());
        let err = |t, params: SamplingParams| check_sampling(t, &params).unwrap_err().0;
        assert!(err(-0.5, p(None, None)).contains("temperature -0.5"));
        assert!(err(f32::NAN, p(None, None)).contains("temperature"));
        assert!(err(0.8, p(Some(1.01), None)).contains("top-p 1.01"));
        assert!(err(0.8, p(Some(-0.1), None)).contains("top-p -0.1"));
        assert!(err(0.8, p(None, Some(0))).contains("max tokens"));
    }
}
