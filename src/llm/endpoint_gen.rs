//! An OpenAI-compatible endpoint as a `SqlGenerator`: the client's bounded concurrency,
//! timeouts and retries behind the interface weak sampling and the playground call.

use super::generator::{GenError, Generated, SqlGenerator};
use super::{ChatRequest, Client, EndpointConfig, LlmError, Message, SamplingParams};
use crate::store::Store;
use futures::stream::{FuturesUnordered, StreamExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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
        let rt = super::runtime().map_err(|e| GenError(e.to_string()))?;
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
