//! Strong synthesis, as in the SENSE paper: a strong model proposes domains (stage 1), writes a
//! schema with rows for each (stage 2; the DDL is untrusted and built by `materialize`, which
//! allows only CREATE TABLE / CREATE INDEX / INSERT), then questions with gold SQL of graded
//! difficulty for each database (stage 3; kept only if the SQL executes, returns rows, and is
//! not a near-duplicate). Each stage reports what it kept and why it dropped the rest. Every
//! model call is recorded in the workspace; examples point at the exchange they came from.
//!
//! Layout: `reply` reads what the model answered, `domains` is stage 1 (and the domains file),
//! `schemas` stage 2, `questions` stage 3.

mod domains;
mod questions;
mod reply;
mod schemas;

pub use domains::{
    default_domains_file, domains_prompt, filter_domains, read_domains, synth_domains,
    write_domains,
};
pub use questions::{
    question_targets, questions_prompt, schema_text, synth_questions, validate_questions,
    ProposedQuestion,
};
pub use reply::{domain_name, json_array, schema_script};
pub use schemas::{build_database, pending_domains, schema_prompt, synth_schemas};

use crate::llm::prompts::{Prompt, Prompts};
use crate::llm::{ChatRequest, Client, Message, Outcome, SamplingParams};
use crate::store::{Store, StoreError};
use crate::synth::materialize::BuildLimits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `source` of databases and examples this module writes.
pub const SOURCE: &str = "strong";

#[derive(Debug, thiserror::Error)]
pub enum StrongError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {msg}")]
    File { path: PathBuf, msg: String },
    #[error("{0}")]
    Runtime(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What a stage asked for, kept, and why it dropped the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageReport {
    pub stage: String,
    /// Items proposed by the model (or requests, for failed calls).
    pub proposed: usize,
    pub kept: usize,
    /// Drop reason → count.
    pub dropped: BTreeMap<String, usize>,
    /// Model calls made, and those that failed after all retries.
    pub calls: usize,
    pub failed_calls: usize,
    /// Names of what was kept (domains, databases) or a count per database (questions).
    pub items: Vec<String>,
    /// Stopped by Ctrl-C: what finished before is kept, a rerun does the rest.
    pub cancelled: bool,
}

impl StageReport {
    fn new(stage: &str) -> Self {
        StageReport {
            stage: stage.into(),
            ..Default::default()
        }
    }
    /// Every call of the stage failed: nothing could have been made (the command fails).
    pub fn all_calls_failed(&self) -> bool {
        self.calls > 0 && self.failed_calls == self.calls
    }
    fn drop(&mut self, why: impl Into<String>) {
        *self.dropped.entry(why.into()).or_default() += 1;
    }
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} proposed, {} kept",
            self.stage, self.proposed, self.kept
        );
        if self.failed_calls > 0 {
            s.push_str(&format!(", {} failed calls", self.failed_calls));
        }
        if !self.dropped.is_empty() {
            let d: Vec<String> = self
                .dropped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            s.push_str(&format!("; dropped: {}", d.join(", ")));
        }
        if self.cancelled {
            s.push_str("; cancelled (a rerun resumes with what is left)");
        }
        s
    }
}

/// The model, its parameters, the prompts, and a runtime to call it from synchronous code.
pub struct Strong {
    pub client: Client,
    pub params: SamplingParams,
    pub prompts: Prompts,
    /// Bounds on building each database from a reply.
    pub build: BuildLimits,
    /// Set (by Ctrl-C) to stop waiting for calls in flight, keeping what already finished.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    rt: tokio::runtime::Runtime,
}

impl Strong {
    pub fn new(
        client: Client,
        params: SamplingParams,
        prompts: Prompts,
    ) -> Result<Self, StrongError> {
        let rt = crate::llm::runtime().map_err(|e| StrongError::Runtime(e.to_string()))?;
        Ok(Strong {
            client,
            params,
            prompts,
            build: BuildLimits::default(),
            cancel: None,
            rt,
        })
    }

    fn request(&self, purpose: &str, text: String) -> ChatRequest {
        ChatRequest {
            purpose: purpose.into(),
            messages: vec![Message::user(text)],
            params: self.params.clone(),
        }
    }

    /// Calls the model for every request and, as each call completes, records its attempts
    /// and hands `on_reply` the request's index and its reply text with the id of the exchange
    /// that produced it (None when the call failed). Work is kept per call, so a hung call or
    /// Ctrl-C (`cancel`) loses only what had not finished.
    fn call_each(
        &self,
        store: &Store,
        prompt: &Prompt,
        reqs: Vec<ChatRequest>,
        report: &mut StageReport,
        mut on_reply: impl FnMut(
            usize,
            Option<(String, i64)>,
            &mut StageReport,
        ) -> Result<(), StrongError>,
    ) -> Result<(), StrongError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        use std::sync::atomic::Ordering;
        let client = &self.client;
        let mut pending: FuturesUnordered<_> = reqs
            .iter()
            .enumerate()
            .map(|(i, r)| async move { (i, client.chat(r).await) })
            .collect();
        let cancelled = || {
            self.cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::SeqCst))
        };
        self.rt.block_on(async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                if cancelled() {
                    report.cancelled = true;
                    return Ok(());
                }
                let (i, mut o): (usize, Outcome) = tokio::select! {
                    next = pending.next() => match next {
                        Some(done) => done,
                        None => return Ok(()),
                    },
                    _ = tick.tick() => continue,
                };
                report.calls += 1;
                for x in &mut o.exchanges {
                    if let Some(obj) = x.params.as_object_mut() {
                        obj.insert("prompt".into(), prompt.tag());
                    }
                }
                let ids = store.record_exchanges(&o.exchanges)?;
                let reply = match (o.result, ids.last()) {
                    (Ok(r), Some(id)) => r.texts.into_iter().next().map(|t| (t, *id)),
                    _ => None,
                };
                if reply.is_none() {
                    report.failed_calls += 1;
                }
                on_reply(i, reply, report)?;
            }
        })
    }

    /// [`Strong::call_each`], collected in request order (None for failed or unfinished calls).
    fn call(
        &self,
        store: &Store,
        prompt: &Prompt,
        reqs: Vec<ChatRequest>,
        report: &mut StageReport,
    ) -> Result<Vec<Option<(String, i64)>>, StrongError> {
        let mut res = vec![None; reqs.len()];
        self.call_each(store, prompt, reqs, report, |i, reply, _| {
            res[i] = reply;
            Ok(())
        })?;
        Ok(res)
    }
}
