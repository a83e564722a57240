//! `--tokenizer bpe` end to end: a tiny SFT run through the real binary trains a BPE on the
//! workspace, its checkpoint carries it, and eval, sampling, DPO and resume all use it.

use crate::bin::{run_ok, sense};
use sense::store::{RunStatus, Store};
use sense::train::checkpoint;
use sense::train::config::{ModelConfig, TokenizerKind, TrainConfig, TrainKind};
use sense::train::runner::{self, Event};
use sense::train::Tokenizer;
use std::sync::atomic::{AtomicBool, Ordering};

const TINY: [&str; 16] = [
    "--layers",
    "1",
    "--d-model",
    "32",
    "--heads",
    "2",
    "--d-ff",
    "64",
    "--context",
    "128",
    "--batch-size",
    "2",
    "--warmup",
    "1",
    "--eval-every",
    "0",
];

#[test]
fn a_bpe_run_trains_saves_evaluates_samples_and_feeds_dpo() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    run_ok(sense(&ws).arg("init"));
    let ck = d.path().join("bpe");
    let out = run_ok(
        sense(&ws)
            .args(["train", "sft", "--tokenizer", "bpe", "--bpe-vocab", "600"])
            .args(["--steps", "2"])
            .args(TINY)
            .arg("--out")
            .arg(&ck),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tokenizer: BPE, 600 tokens, trained on"),
        "{err}"
    );

    // The checkpoint records the kind; tokenizer.json is a Hugging Face tokenizer.
    let dir = checkpoint::resolve(&ck).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["tokenizer"],
        serde_json::json!({"kind": "bpe", "vocab_size": 600})
    );
    assert_eq!(config["model"]["vocab_size"], 600);
    let hf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tokenizer.json")).unwrap())
            .unwrap();
    assert_eq!(hf["model"]["type"], "BPE");
    let l = checkpoint::load(&ck, &candle_core::Device::Cpu).unwrap();
    assert!(matches!(l.tokenizer, Tokenizer::Bpe(_)));
    let sql = "SELECT count(*) FROM singer WHERE country = 'France';\n";
    assert!(l.tokenizer.encode(sql).len() * 2 < sql.len());

    // The run row's config shows the choice.
    let store = Store::open_existing(&ws).unwrap();
    let run = &store.runs().unwrap()[0];
    let cfg: TrainConfig = serde_json::from_str(&run.config).unwrap();
    assert_eq!((cfg.tokenizer, cfg.bpe_vocab), (TokenizerKind::Bpe, 600));
    drop(store);

    // Evaluation and weak sampling generate with the checkpoint's tokenizer.
    let out = run_ok(
        sense(&ws)
            .args([
                "eval",
                "--split",
                "dev",
                "--limit",
                "2",
                "--max-new-tokens",
                "8",
            ])
            .arg("--model")
            .arg(&ck),
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("on split dev"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    run_ok(
        sense(&ws)
            .args(["sample", "--split", "train", "--limit", "2", "-k", "1"])
            .arg("--model")
            .arg(&ck),
    );

    // DPO from the BPE checkpoint keeps its tokenizer (a --tokenizer flag is only noted).
    let dpo = d.path().join("dpo");
    let out = run_ok(
        sense(&ws)
            .args([
                "train",
                "dpo",
                "--pairs",
                "all",
                "--steps",
                "1",
                "--batch-size",
                "2",
            ])
            .args(["--max-len", "128", "--tokenizer", "byte"])
            .arg("--from")
            .arg(&ck)
            .arg("--out")
            .arg(&dpo),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("checkpoint's tokenizer is used") && err.contains("tokenizer: BPE, 600"),
        "{err}"
    );
    let l = checkpoint::load(&dpo, &candle_core::Device::Cpu).unwrap();
    assert!(matches!(l.tokenizer, Tokenizer::Bpe(_)));
    let store = Store::open_existing(&ws).unwrap();
    let runs = store.runs().unwrap();
    let dpo_run = runs.iter().find(|r| r.kind == "dpo").unwrap();
    let cfg: TrainConfig = serde_json::from_str(&dpo_run.config).unwrap();
    assert_eq!(
        cfg.tokenizer,
        TokenizerKind::Bpe,
        "the stored config names the checkpoint's tokenizer"
    );
}

#[test]
fn a_stopped_bpe_run_resumes_with_its_tokenizer() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    sense::dataset::samples::init_workspace(&store, &sense::dataset::samples::embedded().unwrap())
        .unwrap();
    let cfg = |name: &str| TrainConfig {
        kind: TrainKind::Sft,
        model: ModelConfig {
            d_model: 32,
            n_layers: 1,
            n_heads: 2,
            d_ff: 32,
            max_seq_len: 64,
            ..ModelConfig::default()
        },
        tokenizer: TokenizerKind::Bpe,
        bpe_vocab: 512,
        out: Some(d.path().join(name)),
        steps: 4,
        batch_size: 2,
        max_len: 64,
        save_every: 2,
        warmup_steps: 1,
        eval_every: 0,
        ..TrainConfig::default()
    };
    let never = AtomicBool::new(false);
    let full = runner::start(&store, cfg("full"), &never, &mut |_| {}).unwrap();
    let stop = AtomicBool::new(false);
    let part = runner::start(&store, cfg("part"), &stop, &mut |e| {
        if let Event::Step(r) = e {
            if r.step == 2 {
                stop.store(true, Ordering::SeqCst);
            }
        }
    })
    .unwrap();
    assert_eq!((part.status, part.steps_done), (RunStatus::Stopped, 2));
    let mut vocab = None;
    let resumed = runner::resume(&store, part.run_id, &never, &mut |e| {
        if let Event::Tokenizer { tokenizer, .. } = e {
            vocab = Some(tokenizer.vocab_size());
        }
    })
    .unwrap();
    assert_eq!((resumed.status, resumed.steps_done), (RunStatus::Done, 4));
    assert_eq!(vocab, Some(512));
    let losses = |run| -> Vec<f64> {
        store
            .metric_since(run, "loss", 0)
            .unwrap()
            .iter()
            .map(|p| p.value)
            .collect()
    };
    let (a, b) = (losses(full.run_id), losses(part.run_id));
    assert_eq!(b.len(), 4);
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() < 1e-4 * x.abs().max(1.0),
            "resumed run diverges: {a:?} vs {b:?}"
        );
    }
}
