//! `sense bench train`: tokens/s of SFT steps, DPO steps and generation at a fixed config.

use super::config::{ModelConfig, TrainConfig};
use super::data::{make_batch, Batch, Packed, Seq};
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
        .map(|_| {
            Seq::single(
                (0..len).map(|_| rng.random_range(32..127u32)).collect(),
                prompt,
            )
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

/// Key/value heads of the grouped-query case: the MHA case's size and query heads, two query
/// heads per key/value head (as in Qwen2.5 and Llama 3).
pub const GQA_KV_HEADS: usize = 2;

/// The tag of the grouped-query rows' case names.
fn gqa_tag(cfg: &ModelConfig) -> String {
    format!(
        " [gqa: {} query heads over {GQA_KV_HEADS} kv heads]",
        cfg.n_heads
    )
}

/// For a grouped-query row's case name (with anything appended after the tag), the name of
/// the MHA row measured beside it; `None` for other rows.
pub fn mha_case(case: &str) -> Option<String> {
    let at = case.find(" [gqa: ")?;
    let end = at + case[at..].find(']')? + 1;
    Some(format!("{}{}", &case[..at], &case[end..]))
}

/// Runs `cases` in turn, round after round (A B C, A B C, ...), so that load from other
/// processes hits all of them alike: round 0 warms up, then `rounds` (at least one) timed
/// rounds. Each case returns the seconds its step took (a case in another process times
/// itself). Returns each case's best.
pub fn alternate(
    rounds: usize,
    cases: &mut [Box<dyn FnMut() -> Result<f64> + '_>],
) -> Result<Vec<f64>> {
    let mut best = vec![f64::MAX; cases.len()];
    for round in 0..=rounds.max(1) {
        for (b, case) in best.iter_mut().zip(cases.iter_mut()) {
            let secs = case()?;
            if round > 0 {
                *b = b.min(secs);
            }
        }
    }
    Ok(best)
}

/// Seconds `f` takes.
fn timed(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed().as_secs_f64())
}

/// The SFT batch of the benchmark: every position is a target (the PyTorch reference trains a
/// plain LM step).
fn sft_batch(o: &BenchOptions, rng: &mut rand::rngs::StdRng) -> Result<Batch> {
    let seqs = random_seqs(o.batch, o.context + 1, 1, rng);
    let refs: Vec<&Seq> = seqs.iter().collect();
    make_batch(&refs, Tokenizer::Byte.pad(), &Device::Cpu)
}

/// The fused SFT step of [`run`] on its own, for alternating with a reference that runs
/// elsewhere (`sense bench train --pytorch`).
pub struct SftStep {
    model: Model,
    opt: AdamW,
    batch: Batch,
}

impl SftStep {
    pub fn new(o: &BenchOptions) -> Result<SftStep> {
        let model = Model::new(&bench_config(o.context + 1), 1, &Device::Cpu)?;
        let opt = AdamW::new(model.params(), &TrainConfig::default())?;
        let batch = sft_batch(o, &mut rand::rngs::StdRng::seed_from_u64(3))?;
        Ok(SftStep { model, opt, batch })
    }

    /// Tokens one step trains on.
    pub fn tokens(&self) -> usize {
        self.batch.tokens
    }

    /// One step; returns its seconds.
    pub fn step(&mut self) -> Result<f64> {
        timed(|| {
            let loss = sft_loss(&self.model, &self.batch)?;
            step(&self.model, &mut self.opt, loss)
        })
    }
}

/// One model the benchmark measures.
struct Variant {
    model: Model,
    opt: AdamW,
    tag: String,
}

/// Measures SFT steps, DPO steps and generation with the fused kernels, with composite candle
/// ops only (the baseline) and with the fused kernels on a grouped-query model of the same
/// size, alternating them step by step so that load from other processes hits all alike; each
/// figure is the best of `steps` timed repetitions after a warm-up. `on_row` gets each figure
/// as it is measured.
pub fn run(o: &BenchOptions, on_row: &mut dyn FnMut(&BenchRow)) -> Result<Vec<BenchRow>> {
    let dev = Device::Cpu;
    let cfg = bench_config(o.context + 1);
    let gqa_cfg = ModelConfig {
        n_kv_heads: Some(GQA_KV_HEADS),
        ..cfg.clone()
    };
    let tok = Tokenizer::Byte;
    let tc = TrainConfig::default();
    let mut variants = Vec::new();
    for (c, fused, tag) in [
        (&cfg, true, String::new()),
        (&cfg, false, " [baseline: composite ops]".to_string()),
        (&gqa_cfg, true, gqa_tag(&cfg)),
    ] {
        let mut model = Model::new(c, 1, &dev)?;
        model.fused = fused;
        let opt = AdamW::new(model.params(), &tc)?;
        variants.push(Variant { model, opt, tag });
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut rows = Vec::new();

    let batch = sft_batch(o, &mut rng)?;
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
        let (batch, prefs, zeros) = (&batch, &prefs, &zeros);
        let (tok, dev, prompts, gopts, cancel) = (&tok, &dev, &prompts, &gopts, &cancel);
        let mut steps: Vec<Box<dyn FnMut() -> Result<f64> + '_>> = variants
            .iter_mut()
            .map(|v| -> Box<dyn FnMut() -> Result<f64> + '_> {
                Box::new(move || {
                    timed(|| match case {
                        0 => {
                            let loss = sft_loss(&v.model, batch)?;
                            step(&v.model, &mut v.opt, loss)
                        }
                        1 => {
                            let (c, r, _, _) = pair_logps(&v.model, prefs, tok.pad(), dev)?;
                            let (loss, _) = dpo_loss(&c, &r, zeros, zeros, 0.1, 0.0)?;
                            step(&v.model, &mut v.opt, loss)
                        }
                        _ => generate(&v.model, tok, prompts, gopts, cancel).map(drop),
                    })
                })
            })
            .collect();
        let best = alternate(o.steps, &mut steps)?;
        drop(steps);
        for (v, secs) in variants.iter().zip(best) {
            let row = BenchRow {
                case: format!("{name}{}", v.tag),
                tokens_per_s: tokens as f64 / secs,
                seconds_per_step: secs,
            };
            on_row(&row);
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The recipe's SFT data in shape (measured on its 17,092 examples: a linked prompt's schema
/// is ~185 tokens, a question with its links ~40 and the SQL ~30) and its model.
pub struct PackShape {
    pub schema: usize,
    pub question: usize,
    pub sql: usize,
    /// Questions per packed sequence (the recipe's `--pack`).
    pub pack: usize,
}

impl Default for PackShape {
    fn default() -> Self {
        PackShape {
            schema: 185,
            question: 40,
            sql: 30,
            pack: 8,
        }
    }
}

/// Examples per second of SFT steps over the same examples one per sequence (batch of
/// `2 * pack`, the recipe's 16 before packing) and packed (4 sequences, the recipe's batch),
/// alternating step by step; best of `steps` after a warm-up. Returns (alone, packed).
pub fn packing(shape: &PackShape, steps: usize) -> Result<(f64, f64)> {
    let dev = Device::Cpu;
    let (alone_n, packed_n) = (2 * shape.pack, 4);
    let seg = shape.question + shape.sql + 1;
    let cfg = ModelConfig {
        vocab_size: 2048,
        d_model: 128,
        n_layers: 2,
        n_heads: 4,
        d_ff: 512,
        max_seq_len: 1 + shape.schema + shape.pack * seg,
        ..ModelConfig::default()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut random =
        |n: usize| -> Vec<u32> { (0..n).map(|_| rng.random_range(3..2048u32)).collect() };
    let mut alone = Vec::new();
    let mut packed = Vec::new();
    for _ in 0..packed_n {
        let prefix = random(1 + shape.schema);
        let mut p = Seq {
            tokens: prefix.clone(),
            completion_start: 0,
            packed: Some(Packed {
                prefix: prefix.len(),
                segments: Vec::new(),
            }),
        };
        for _ in 0..shape.pack {
            let s = random(seg);
            let start = p.tokens.len();
            p.tokens.extend_from_slice(&s);
            if let Some(k) = p.packed.as_mut() {
                k.segments.push((start, start + shape.question));
            }
            let mut a = prefix.clone();
            a.extend_from_slice(&s);
            alone.push(Seq::single(a, prefix.len() + shape.question));
        }
        packed.push(p);
    }
    alone.truncate(alone_n);
    let batch = |seqs: &[Seq]| {
        let refs: Vec<&Seq> = seqs.iter().collect();
        make_batch(&refs, 0, &dev)
    };
    let (alone_batch, packed_batch) = (batch(&alone)?, batch(&packed)?);
    let tc = TrainConfig::default();
    let make = || -> Result<(Model, AdamW)> {
        let model = Model::new(&cfg, 1, &dev)?;
        let opt = AdamW::new(model.params(), &tc)?;
        Ok((model, opt))
    };
    let ((ma, mut oa), (mp, mut op)) = (make()?, make()?);
    let best = alternate(
        steps,
        &mut [
            Box::new(|| timed(|| step(&ma, &mut oa, sft_loss(&ma, &alone_batch)?))),
            Box::new(|| timed(|| step(&mp, &mut op, sft_loss(&mp, &packed_batch)?))),
        ],
    )?;
    Ok((
        alone_n as f64 / best[0],
        (packed_n * shape.pack) as f64 / best[1],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn cases_alternate_round_by_round_after_one_warm_up() {
        let order = RefCell::new(Vec::new());
        let mut n = 0.0;
        let mut a = || {
            order.borrow_mut().push("fused");
            n += 1.0;
            // Slower each time: the best is the first timed round, not the warm-up.
            Ok(n)
        };
        let mut b = || {
            order.borrow_mut().push("pytorch");
            Ok(0.5)
        };
        let mut cases: Vec<Box<dyn FnMut() -> Result<f64> + '_>> =
            vec![Box::new(&mut a), Box::new(&mut b)];
        let best = alternate(3, &mut cases).unwrap();
        drop(cases);
        assert_eq!(
            order.into_inner(),
            ["fused", "pytorch"].repeat(4),
            "one warm-up round, then three timed rounds, alternating"
        );
        assert_eq!(best, vec![2.0, 0.5]);
        // An error stops the measurement.
        let mut failing: Vec<Box<dyn FnMut() -> Result<f64>>> = vec![Box::new(|| {
            Err(crate::train::TrainError::msg("reference died"))
        })];
        assert!(alternate(1, &mut failing).is_err());
    }

    #[test]
    fn gqa_rows_name_the_mha_row_beside_them() {
        let cfg = bench_config(17);
        let case = format!("sft step (fwd+bwd+adamw){} [tuned malloc]", gqa_tag(&cfg));
        assert_eq!(
            mha_case(&case).as_deref(),
            Some("sft step (fwd+bwd+adamw) [tuned malloc]")
        );
        assert_eq!(mha_case("sft step (fwd+bwd+adamw) [tuned malloc]"), None);
    }

    #[test]
    fn a_tiny_benchmark_measures_every_case_and_variant() {
        let o = BenchOptions {
            steps: 1,
            batch: 2,
            context: 16,
            gen_new_tokens: 2,
        };
        let mut seen = 0;
        let rows = run(&o, &mut |_| seen += 1).unwrap();
        assert_eq!((rows.len(), seen), (9, 9));
        let gqa: Vec<&BenchRow> = rows.iter().filter(|r| r.case.contains("[gqa")).collect();
        assert_eq!(gqa.len(), 3);
        for r in &rows {
            assert!(r.tokens_per_s.is_finite() && r.tokens_per_s > 0.0, "{r:?}");
        }
        for r in gqa {
            let mha = mha_case(&r.case).unwrap();
            assert!(rows.iter().any(|m| m.case == mha), "{mha}");
        }
        let shape = PackShape {
            schema: 12,
            question: 3,
            sql: 4,
            pack: 3,
        };
        let (alone, packed) = packing(&shape, 1).unwrap();
        assert!(alone > 0.0 && packed > 0.0, "{alone} {packed}");
        let mut one = SftStep::new(&o).unwrap();
        assert_eq!(one.tokens(), 2 * 16);
        assert!(one.step().unwrap() > 0.0);
    }
}
