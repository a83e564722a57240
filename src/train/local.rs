//! A local checkpoint as a `SqlGenerator`, so weak sampling can use it like an endpoint.

use super::checkpoint::{self, LoadOptions};
use super::config::device;
use super::conversation::conversation_text;
use super::error::{bail, Result, TrainError};
use super::generate::{generate_chats, GenOptions, LINK_BIAS};
use super::model::Model;
use super::tokenizer::Tokenizer;
use crate::llm::generator::{check_sampling, GenError, Generated, SqlGenerator};
use crate::llm::{Message, SamplingParams};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub struct LocalGenerator {
    model: Model,
    tokenizer: Tokenizer,
    name: String,
    /// Prompts per forward batch.
    pub batch: usize,
    pub max_new_tokens: usize,
    pub top_p: f32,
    /// Each completion is cut before the first of these, as an endpoint's `stop` cuts it.
    pub stop: Vec<String>,
    seed: u64,
    prompt: crate::schema::PromptFormat,
    /// The checkpoint's load warning (see `Loaded::warning`).
    warning: Option<String>,
    /// A system message before each prompt (`sense sample --system`), as an endpoint gets it;
    /// the chat template writes it where the model has one.
    pub system: Option<String>,
    /// Identifiers kept to the prompt's schema (`train::schema_bound`); on unless asked off.
    pub schema_bound: bool,
}

impl LocalGenerator {
    pub fn load(ckpt: &Path, device_name: &str, seed: u64) -> Result<Self> {
        Self::load_with(ckpt, device_name, seed, &LoadOptions::default())
    }

    /// [`LocalGenerator::load`] with load `options`.
    pub fn load_with(
        ckpt: &Path,
        device_name: &str,
        seed: u64,
        options: &LoadOptions,
    ) -> Result<Self> {
        let l = checkpoint::load_with(ckpt, &device(device_name)?, options)?;
        Ok(LocalGenerator {
            name: format!("local:{}", l.dir.display()),
            model: l.model,
            tokenizer: l.tokenizer,
            batch: 16,
            max_new_tokens: 256,
            top_p: 0.95,
            stop: Vec::new(),
            seed,
            prompt: crate::schema::PromptFormat::from_version(l.meta.prompt_version)
                .unwrap_or_default(),
            warning: l.warning,
            system: None,
            schema_bound: true,
        })
    }

    /// What the caller should tell the user about the checkpoint, if anything.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// The most new tokens one completion can have: the context less the begin token and one
    /// prompt token.
    pub fn max_new_tokens_limit(&self) -> usize {
        self.model.cfg.max_seq_len.saturating_sub(2).max(1)
    }

    /// Takes weak sampling's settings as an endpoint takes them: `top_p`, `max_tokens`, `seed`
    /// and `stop` (unset ones keep their defaults; the temperature and the number of samples
    /// come with each `generate` call). What the checkpoint cannot honour is an error, never
    /// a silent change: a completion cap beyond its context, a `top_p` outside 0..=1, `n`.
    pub fn apply(&mut self, p: &SamplingParams) -> Result<()> {
        check_sampling(p.temperature.unwrap_or(0.0), p).map_err(|e| TrainError::msg(e.0))?;
        if let Some(n) = p.n {
            bail!("n = {n} cannot be set on a local checkpoint: the number of samples is k");
        }
        if let Some(t) = p.top_p {
            self.top_p = t;
        }
        if let Some(m) = p.max_tokens {
            let most = self.max_new_tokens_limit();
            if m as usize > most {
                bail!(
                    "max tokens {m} is not possible for checkpoint {}: its context is {} tokens, \
                     so a completion has 1 to {most}",
                    self.name,
                    self.model.cfg.max_seq_len
                );
            }
            self.max_new_tokens = m as usize;
        }
        if let Some(s) = p.seed {
            self.seed = s;
        }
        if p.stop.iter().any(String::is_empty) {
            bail!("an empty stop sequence would cut every completion to nothing");
        }
        self.stop = p.stop.clone();
        Ok(())
    }
}

/// `text` cut before the earliest of `stop` (the stop sequence itself is not kept).
pub fn cut_at_stop(text: &str, stop: &[String]) -> String {
    let end = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
        .unwrap_or(text.len());
    text[..end].to_string()
}

impl SqlGenerator for LocalGenerator {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn prompt_format(&self) -> crate::schema::PromptFormat {
        self.prompt
    }

    fn set_max_tokens(&mut self, max_tokens: usize) {
        self.max_new_tokens = max_tokens;
    }

    fn set_system(&mut self, system: Option<String>) {
        self.system = system;
    }

    fn set_schema_bound(&mut self, on: bool) {
        self.schema_bound = on;
    }

    fn count_tokens(&self, text: &str) -> Option<usize> {
        Some(self.tokenizer.encode(text).len())
    }

    fn warning(&self) -> Option<String> {
        self.warning.clone()
    }

    fn configure(&mut self, p: &SamplingParams) -> Result<(), GenError> {
        self.apply(p).map_err(|e| GenError(format!("{e:#}")))
    }

    fn generate(
        &mut self,
        prompts: &[String],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Generated>>, GenError> {
        let chats: Vec<Vec<Message>> = prompts
            .iter()
            .map(|p| Message::conversation(self.system.as_deref(), p))
            .collect();
        self.complete(&chats, k, temperature, cancel)
    }

    fn generate_chat(
        &mut self,
        messages: &[Message],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Generated>, GenError> {
        let chats = [messages.to_vec()];
        Ok(self
            .complete(&chats, k, temperature, cancel)?
            .pop()
            .unwrap_or_default())
    }

    fn prompt_tokens(&self, messages: &[Message]) -> Result<Option<usize>, GenError> {
        let text =
            conversation_text(&self.tokenizer, messages).map_err(|e| GenError(e.to_string()))?;
        Ok(Some(self.tokenizer.encode(&text).len()))
    }
}

impl LocalGenerator {
    /// `k` completions of each conversation, in order.
    fn complete(
        &mut self,
        chats: &[Vec<Message>],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Generated>>, GenError> {
        // k copies of each conversation, run `batch` at a time; each batch gets fresh seeds.
        let jobs: Vec<(usize, &Vec<Message>)> = chats
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n((i, p), k))
            .collect();
        let mut out: Vec<Vec<Generated>> = vec![Vec::new(); chats.len()];
        for chunk in jobs.chunks(self.batch.max(1)) {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let ps: Vec<Vec<Message>> = chunk.iter().map(|(_, p)| (*p).clone()).collect();
            let opts = GenOptions {
                max_new_tokens: self.max_new_tokens,
                temperature,
                top_p: self.top_p,
                seed: self.seed,
                stop_at_end: true,
                schema_bound: self.schema_bound,
                // A weak model's samples are its own: the bias would lift every short token that
                // starts a linked name (` s` for `supplier`) in each draw. Greedy answers get it.
                link_bias: if temperature > 0.0 { 0.0 } else { LINK_BIAS },
            };
            self.seed = self.seed.wrapping_add(chunk.len() as u64);
            let t = Instant::now();
            let texts = generate_chats(&self.model, &self.tokenizer, &ps, &opts, cancel)
                .map_err(|e| GenError(format!("{e:#}")))?;
            let ms = t.elapsed().as_secs_f64() * 1e3 / chunk.len().max(1) as f64;
            for ((i, _), text) in chunk.iter().zip(texts) {
                out[*i].push(Generated {
                    text: cut_at_stop(&text, &self.stop),
                    latency_ms: ms,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::cut_at_stop;

    #[test]
    fn stop_sequences_cut_before_the_earliest() {
        let stop = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(cut_at_stop("SELECT 1;\nxx", &stop(&[";"])), "SELECT 1");
        assert_eq!(
            cut_at_stop("SELECT 1 -- a;", &stop(&[";", "--"])),
            "SELECT 1 "
        );
        assert_eq!(cut_at_stop("SELECT 1", &stop(&["FROM"])), "SELECT 1");
        assert_eq!(cut_at_stop("SELECT 1", &[]), "SELECT 1");
    }
}
