//! `sense bench train`: tokens/s of SFT steps, DPO steps and generation at a fixed config.

use super::config::{ModelConfig, TrainConfig};
use super::data::{make_batch, Seq};
use super::dpo::{dpo_loss, pair_logps};
use super::error::Result;
use super::generate::{generate, GenOptions};
use super::model::Model;
use super::optim::{clip, Accumulator, AdamW};
use super::sft::sft_loss;
use super::tokenizer::{Tokenizer, BYTE_VOCAB};
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub steps: usize,
    pub batch: usize,
    pub context: usize,
    pub gen_new_tokens: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            steps: 3,
            batch: 16,
            context: 256,
            gen_new_tokens: 128,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BenchRow {
    pub case: String,
    pub tokens_per_s: f64,
    pub seconds_per_step: f64,
}

/// The fixed config: 4 layers, d_model 256, 4 heads, context 256, byte vocabulary.
pub fn bench_config(context: usize) -> ModelConfig {
    ModelConfig {
        vocab_size: BYTE_VOCAB,
        d_model: 256,
        n_layers: 4,
        n_heads: 4,
        d_ff: 768,
        max_seq_len: context,
        ..ModelConfig::default()
    }
}

fn random_seqs(n: usize, len: usize, prompt: usize, rng: &mut rand::rngs::StdRng) -> Vec<Seq> {
    (0..n)
        .map(|_| Seq {
            tokens: (0..len).map(|_| rng.random_range(32..127u32)).collect(),
            completion_start: prompt,
        })
        .collect()
}

fn step(model: &Model, opt: &mut AdamW, loss: Tensor) -> Result<()> {
    let grads = loss.backward()?;
    let mut acc = Accumulator::new(model.params().len());
    acc.add(model.params(), &grads)?;
    let (mut g, norm) = acc.finish(model.params())?;
    clip(&mut g, norm, 1.0)?;
    opt.step(model.params(), &g, 1e-4)
}

/// Measures SFT steps, DPO steps and generation with the fused kernels and with composite
/// candle ops only (the baseline), alternating the two step by step so that load from other
/// processes hits both alike; each figure is the best of `steps` timed repetitions after a
/// warm-up. `on_row` gets each figure as it is measured.
pub fn run(o: &BenchOptions, on_row: &mut dyn FnMut(&BenchRow)) -> Result<Vec<BenchRow>> {
    let dev = Device::Cpu;
    let cfg = bench_config(o.context + 1);
    let tok = Tokenizer::Byte;
    let tc = TrainConfig::default();
    let mut variants = Vec::new();
    for fused in [true, false] {
        let mut model = Model::new(&cfg, 1, &dev)?;
        model.fused = fused;
        let opt = AdamW::new(model.params(), &tc)?;
        let tag = if fused {
            ""
        } else {
            " [baseline: composite ops]"
        };
        variants.push((model, opt, tag));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut rows = Vec::new();

    // SFT: every position is a target (the PyTorch reference trains a plain LM step).
    let seqs = random_seqs(o.batch, o.context + 1, 1, &mut rng);
    let refs: Vec<&Seq> = seqs.iter().collect();
    let batch = make_batch(&refs, tok.pad(), &dev)?;
    // DPO: batch/2 pairs = batch sequences of the same length.
    let pairs: Vec<(Seq, Seq)> = random_seqs(o.batch / 2, o.context + 1, o.context / 2, &mut rng)
        .into_iter()
        .zip(random_seqs(
            o.batch / 2,
            o.context + 1,
            o.context / 2,
            &mut rng,
        ))
        .collect();
    let prefs: Vec<&(Seq, Seq)> = pairs.iter().collect();
    let zeros = Tensor::zeros(prefs.len(), candle_core::DType::F32, &dev)?;
    // Generation: batch prompts of context/4 tokens, a fixed number of new tokens, KV cache.
    let prompt_len = o.context / 4;
    let prompts: Vec<String> = (0..o.batch)
        .map(|_| {
            (0..prompt_len)
                .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                .collect()
        })
        .collect();
    let new = o.gen_new_tokens.min(o.context - prompt_len).max(1);
    let gopts = GenOptions {
        max_new_tokens: new,
        stop_at_end: false,
        ..GenOptions::default()
    };
    let cancel = AtomicBool::new(false);

    for case in 0..3 {
        let (name, tokens) = match case {
            0 => ("sft step (fwd+bwd+adamw)", batch.tokens),
            1 => ("dpo step (policy fwd+bwd+adamw)", o.batch * o.context),
            _ => ("generation (kv cache, greedy)", o.batch * new),
        };
        let mut best = [f64::MAX; 2];
        for round in 0..=o.steps.max(1) {
            for (v, (model, opt, _)) in variants.iter_mut().enumerate() {
                let t = Instant::now();
                match case {
                    0 => {
                        let loss = sft_loss(model, &batch)?;
                        step(model, opt, loss)?;
                    }
                    1 => {
                        let (c, r, _, _) = pair_logps(model, &prefs, tok.pad(), &dev)?;
                        let (loss, _) = dpo_loss(&c, &r, &zeros, &zeros, 0.1, 0.0)?;
                        step(model, opt, loss)?;
                    }
                    _ => {
                        generate(model, &tok, &prompts, &gopts, &cancel)?;
                    }
                }
                if round > 0 {
                    best[v] = best[v].min(t.elapsed().as_secs_f64());
                }
            }
        }
        for (v, (_, _, tag)) in variants.iter().enumerate() {
            let row = BenchRow {
                case: format!("{name}{tag}"),
                tokens_per_s: tokens as f64 / best[v],
                seconds_per_step: best[v],
            };
            on_row(&row);
            rows.push(row);
        }
    }
    Ok(rows)
}
