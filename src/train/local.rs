//! A local checkpoint as a `SqlGenerator`, so weak sampling can use it like an endpoint.

use super::checkpoint;
use super::config::device;
use super::generate::{generate, GenOptions};
use super::model::Model;
use super::tokenizer::Tokenizer;
use crate::synth::generator::{GenError, Generated, SqlGenerator};
use anyhow::Result;
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
    seed: u64,
}

impl LocalGenerator {
    pub fn load(ckpt: &Path, device_name: &str, seed: u64) -> Result<Self> {
        let l = checkpoint::load(ckpt, &device(device_name)?)?;
        Ok(LocalGenerator {
            name: format!("local:{}", l.dir.display()),
            model: l.model,
            tokenizer: l.tokenizer,
            batch: 16,
            max_new_tokens: 256,
            top_p: 0.95,
            seed,
        })
    }
}

impl SqlGenerator for LocalGenerator {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn set_max_tokens(&mut self, max_tokens: usize) {
        self.max_new_tokens = max_tokens;
    }

    fn generate(
        &mut self,
        prompts: &[String],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Generated>>, GenError> {
        // k copies of each prompt, run `batch` at a time; each batch gets fresh seeds.
        let jobs: Vec<(usize, &String)> = prompts
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n((i, p), k))
            .collect();
        let mut out: Vec<Vec<Generated>> = vec![Vec::new(); prompts.len()];
        for chunk in jobs.chunks(self.batch.max(1)) {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let ps: Vec<String> = chunk.iter().map(|(_, p)| (*p).clone()).collect();
            let opts = GenOptions {
                max_new_tokens: self.max_new_tokens,
                temperature,
                top_p: self.top_p,
                seed: self.seed,
                stop_at_end: true,
            };
            self.seed = self.seed.wrapping_add(chunk.len() as u64);
            let t = Instant::now();
            let texts = generate(&self.model, &self.tokenizer, &ps, &opts, cancel)
                .map_err(|e| GenError(format!("{e:#}")))?;
            let ms = t.elapsed().as_secs_f64() * 1e3 / chunk.len().max(1) as f64;
            for ((i, _), text) in chunk.iter().zip(texts) {
                out[*i].push(Generated {
                    text,
                    latency_ms: ms,
                });
            }
        }
        Ok(out)
    }
}
