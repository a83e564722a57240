//! `sense bench train`: tokens/s of SFT steps, DPO steps and generation at a fixed config.

use super::config::{ModelConfig, TrainConfig};
use super::data::{make_batch, Seq};
use super::dpo::{dpo_loss, pair_logps};
use super::generate::{generate, GenOptions};
use super::model::Model;
use super::optim::{clip, Accumulator, AdamW};
use super::sft::sft_loss;
use super::tokenizer::{Tokenizer, BYTE_VOCAB};
use anyhow::Result;
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

#[derive(Debug, Clone, serde::Serialize)]
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

/// Runs the three measurements with the fused kernels, then the SFT and DPO steps again with
/// composite candle ops only (the baseline, same process); `on_row` gets each figure.
pub fn run(o: &BenchOptions, on_row: &mut dyn FnMut(&BenchRow)) -> Result<Vec<BenchRow>> {
    let mut rows = run_one(o, true, on_row)?;
    rows.extend(run_one(o, false, on_row)?);
    Ok(rows)
}

fn run_one(
    o: &BenchOptions,
    fused: bool,
    on_row: &mut dyn FnMut(&BenchRow),
) -> Result<Vec<BenchRow>> {
    let dev = Device::Cpu;
    let cfg = bench_config(o.context + 1);
    let mut model = Model::new(&cfg, 1, &dev)?;
    model.fused = fused;
    let tag = if fused {
        ""
    } else {
        " [baseline: composite ops]"
    };
    let tok = Tokenizer::Byte;
    let tc = TrainConfig::default();
    let mut opt = AdamW::new(model.params(), &tc)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut rows = Vec::new();
    let mut timed = |name: &str, tokens: usize, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        let name = format!("{name}{tag}");
        f()?; // warm-up
        let t = Instant::now();
        for _ in 0..o.steps.max(1) {
            f()?;
        }
        let per = t.elapsed().as_secs_f64() / o.steps.max(1) as f64;
        let row = BenchRow {
            case: name,
            tokens_per_s: tokens as f64 / per,
            seconds_per_step: per,
        };
        on_row(&row);
        rows.push(row);
        Ok(())
    };
    // SFT: every position is a target (the PyTorch reference trains a plain LM step).
    let seqs = random_seqs(o.batch, o.context + 1, 1, &mut rng);
    let refs: Vec<&Seq> = seqs.iter().collect();
    let batch = make_batch(&refs, tok.pad(), &dev)?;
    timed("sft step (fwd+bwd+adamw)", batch.tokens, &mut || {
        let loss = sft_loss(&model, &batch)?;
        step(&model, &mut opt, loss)
    })?;
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
    let n = prefs.len();
    let zeros = Tensor::zeros(n, candle_core::DType::F32, &dev)?;
    timed(
        "dpo step (policy fwd+bwd+adamw)",
        o.batch * o.context,
        &mut || {
            let (c, r, _, _) = pair_logps(&model, &prefs, tok.pad(), &dev)?;
            let (loss, _) = dpo_loss(&c, &r, &zeros, &zeros, 0.1, 0.0)?;
            step(&model, &mut opt, loss)
        },
    )?;
    if !fused {
        return Ok(rows);
    }
    // Generation: batch prompts of context/4 tokens, fixed number of new tokens, KV cache.
    let prompt_len = o.context / 4;
    let prompts: Vec<String> = (0..o.batch)
        .map(|_| {
            (0..prompt_len)
                .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                .collect()
        })
        .collect();
    let new = o.gen_new_tokens.min(o.context - prompt_len);
    let gopts = GenOptions {
        max_new_tokens: new,
        stop_at_end: false,
        ..GenOptions::default()
    };
    let cancel = AtomicBool::new(false);
    timed("generation (kv cache, greedy)", o.batch * new, &mut || {
        generate(&model, &tok, &prompts, &gopts, &cancel).map(|_| ())
    })?;
    Ok(rows)
}
