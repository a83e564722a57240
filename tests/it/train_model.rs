//! The decoder, its losses and generation on tiny configs (CPU, seconds).

use candle_core::{Device, Tensor};
use sense::train::checkpoint::{self, CheckpointMeta};
use sense::train::config::{ModelConfig, TrainConfig};
use sense::train::data::{encode, make_batch, Seq};
use sense::train::generate::{generate, greedy_uncached, GenOptions};
use sense::train::model::Model;
use sense::train::optim::{clip, lr_at, Accumulator, AdamW};
use sense::train::sft::sft_loss;
use sense::train::tokenizer::{Tokenizer, BYTE_VOCAB};
use std::sync::atomic::AtomicBool;

fn tiny() -> ModelConfig {
    ModelConfig {
        vocab_size: BYTE_VOCAB,
        d_model: 32,
        n_layers: 2,
        n_heads: 4,
        d_ff: 64,
        max_seq_len: 96,
        ..ModelConfig::default()
    }
}

fn seqs(tok: &Tokenizer) -> Vec<Seq> {
    [
        (
            "-- Question: how many cats?\n-- SQL:\n",
            "SELECT count(*) FROM cats",
        ),
        (
            "-- Question: list dog names\n-- SQL:\n",
            "SELECT name FROM dogs",
        ),
        (
            "-- Question: oldest owner\n-- SQL:\n",
            "SELECT name FROM owners ORDER BY age DESC LIMIT 1",
        ),
        ("-- Question: all visits\n-- SQL:\n", "SELECT * FROM visits"),
    ]
    .iter()
    .map(|(p, c)| encode(tok, p, &format!("{c};\n"), 96).unwrap().0)
    .collect()
}

#[test]
fn every_parameter_gets_a_finite_nonzero_gradient() {
    let dev = Device::Cpu;
    for fused in [true, false] {
        let mut model = Model::new(&tiny(), 1, &dev).unwrap();
        model.fused = fused;
        let tok = Tokenizer::Byte;
        let s = seqs(&tok);
        let refs: Vec<&Seq> = s.iter().collect();
        let batch = make_batch(&refs, tok.pad(), &dev).unwrap();
        let loss = sft_loss(&model, &batch).unwrap();
        let grads = loss.backward().unwrap();
        for (name, var) in model.params() {
            let g = grads.get(var.as_tensor()).unwrap_or_else(|| {
                panic!("{name}: no gradient (a non-differentiable op on its path?)")
            });
            let v: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
            assert!(
                v.iter().all(|x| x.is_finite()),
                "{name}: non-finite gradient"
            );
            let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(max > 0.0, "{name}: gradient is all zero (fused {fused})");
        }
    }
}

#[test]
fn fused_and_composite_paths_give_the_same_loss_and_gradients() {
    let dev = Device::Cpu;
    let tok = Tokenizer::Byte;
    let s = seqs(&tok);
    let refs: Vec<&Seq> = s.iter().collect();
    let batch = make_batch(&refs, tok.pad(), &dev).unwrap();
    let mut model = Model::new(&tiny(), 9, &dev).unwrap();
    let lf = sft_loss(&model, &batch).unwrap();
    let gf = lf.backward().unwrap();
    model.fused = false;
    let lc = sft_loss(&model, &batch).unwrap();
    let gc = lc.backward().unwrap();
    let (a, b) = (
        lf.to_scalar::<f32>().unwrap(),
        lc.to_scalar::<f32>().unwrap(),
    );
    assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    for (name, var) in model.params() {
        let x: Vec<f32> = gf
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let y: Vec<f32> = gc
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let scale = y.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        for (p, q) in x.iter().zip(&y) {
            assert!((p - q).abs() <= 1e-3 * scale, "{name}: {p} vs {q}");
        }
    }
}

#[test]
fn sft_loss_falls_on_a_tiny_dataset() {
    let dev = Device::Cpu;
    let model = Model::new(&tiny(), 2, &dev).unwrap();
    let tok = Tokenizer::Byte;
    let s = seqs(&tok);
    let refs: Vec<&Seq> = s.iter().collect();
    let batch = make_batch(&refs, tok.pad(), &dev).unwrap();
    let cfg = TrainConfig {
        lr: 1e-2,
        warmup_steps: 5,
        steps: 40,
        weight_decay: 0.0,
        ..TrainConfig::default()
    };
    let mut opt = AdamW::new(model.params(), &cfg).unwrap();
    let mut first = 0.0;
    let mut last = 0.0;
    for step in 0..cfg.steps {
        let loss = sft_loss(&model, &batch).unwrap();
        let l = loss.to_scalar::<f32>().unwrap();
        if step == 0 {
            first = l;
        }
        last = l;
        let mut acc = Accumulator::new(model.params().len());
        acc.add(model.params(), &loss.backward().unwrap()).unwrap();
        let (mut g, norm) = acc.finish(model.params()).unwrap();
        clip(&mut g, norm, 1.0).unwrap();
        opt.step(model.params(), &g, lr_at(&cfg, step)).unwrap();
    }
    assert!(first > 4.5, "starts near ln(259) = 5.56, got {first}");
    assert!(last < first * 0.5, "loss fell from {first} to only {last}");
}

#[test]
fn prompt_positions_do_not_count_in_the_loss() {
    let dev = Device::Cpu;
    let model = Model::new(&tiny(), 3, &dev).unwrap();
    let tok = Tokenizer::Byte;
    let s = seqs(&tok);
    let refs: Vec<&Seq> = s.iter().collect();
    let batch = make_batch(&refs, tok.pad(), &dev).unwrap();
    let base = sft_loss(&model, &batch)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();

    // Change what the prompt positions are asked to predict: the loss must not move.
    let mut targets: Vec<Vec<u32>> = batch.targets.to_vec2().unwrap();
    let mask: Vec<Vec<f32>> = batch.mask.to_vec2().unwrap();
    for (row, m) in targets.iter_mut().zip(&mask) {
        for (t, &w) in row.iter_mut().zip(m) {
            if w == 0.0 {
                *t = (*t + 17) % 256;
            }
        }
    }
    let (b, t) = batch.targets.dims2().unwrap();
    let mut changed = make_batch(&refs, tok.pad(), &dev).unwrap();
    changed.targets = Tensor::from_vec(targets.concat(), (b, t), &dev).unwrap();
    let after = sft_loss(&model, &changed)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert_eq!(base, after);

    // Padding a sequence further (a longer neighbour in the batch) changes nothing either.
    let one = make_batch(&refs[..1], tok.pad(), &dev).unwrap();
    let alone = sft_loss(&model, &one).unwrap().to_scalar::<f32>().unwrap();
    let long = encode(&tok, &"x".repeat(60), "SELECT 1;\n", 96).unwrap().0;
    let padded = make_batch(&[refs[0], &long], tok.pad(), &dev).unwrap();
    let lp = sense::train::model::token_logps(
        &model.forward_train(&padded.inputs).unwrap(),
        &padded.targets,
    )
    .unwrap();
    let row0: f32 = (lp.get(0).unwrap() * padded.mask.get(0).unwrap())
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    let n0 = s[0].completion_len() as f32;
    assert!(
        (-row0 / n0 - alone).abs() < 1e-5,
        "{} vs {alone}",
        -row0 / n0
    );
}

#[test]
fn checkpoint_round_trip_gives_identical_logits() {
    let dev = Device::Cpu;
    let d = tempfile::tempdir().unwrap();
    let model = Model::new(&tiny(), 4, &dev).unwrap();
    let tok = Tokenizer::Byte;
    let meta = CheckpointMeta::new(&model.cfg, &tok, 7, None, Some("sft"));
    let dir = checkpoint::save_step(d.path(), &model, &tok, &meta, None, 2).unwrap();
    assert_eq!(checkpoint::resolve(d.path()).unwrap(), dir);
    let loaded = checkpoint::load(d.path(), &dev).unwrap();
    assert_eq!(loaded.meta.step, 7);
    let ids = Tensor::new(&[[256u32, 83, 69, 76, 69, 67, 84]], &dev).unwrap();
    let a: Vec<f32> = model
        .forward_train(&ids)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let b: Vec<f32> = loaded
        .model
        .forward_train(&ids)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(a, b);
    // No temporary folder is left behind.
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("sense-tmp")), "{names:?}");
}

#[test]
fn generation_is_deterministic_and_the_cache_matches_a_full_pass() {
    let dev = Device::Cpu;
    let model = Model::new(&tiny(), 5, &dev).unwrap();
    let tok = Tokenizer::Byte;
    let prompts = vec![
        "-- Question: how many?\n-- SQL:\n".to_string(),
        "short".to_string(),
    ];
    let cancel = AtomicBool::new(false);
    let o = GenOptions {
        max_new_tokens: 20,
        temperature: 0.9,
        top_p: 0.9,
        seed: 11,
        stop_at_end: true,
        schema_bound: true,
        ..GenOptions::default()
    };
    let a = generate(&model, &tok, &prompts, &o, &cancel).unwrap();
    let b = generate(&model, &tok, &prompts, &o, &cancel).unwrap();
    assert_eq!(a, b);
    let other = generate(
        &model,
        &tok,
        &prompts,
        &GenOptions { seed: 12, ..o },
        &cancel,
    )
    .unwrap();
    assert_ne!(a, other, "a different seed samples differently");
    // Greedy through the KV cache (batched, left-padded) equals greedy by full recomputation.
    let g = GenOptions {
        max_new_tokens: 12,
        temperature: 0.0,
        ..GenOptions::default()
    };
    let cached = generate(&model, &tok, &prompts, &g, &cancel).unwrap();
    for (p, c) in prompts.iter().zip(&cached) {
        assert_eq!(
            &greedy_uncached(&model, &tok, p, 12).unwrap(),
            c,
            "prompt {p:?}"
        );
    }
}
