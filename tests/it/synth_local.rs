//! Weak sampling from a local checkpoint takes the sampling settings an endpoint takes: through
//! `source::local_generator_with` (what `sense sample` and the jobs menu build) and through the
//! real binary, on a tiny random checkpoint; flags for the other kind of model are errors.

use crate::bin::{ok, sense};
use sense::llm::SamplingParams;
use sense::source::local_generator_with;
use sense::train::checkpoint::{save, CheckpointMeta};
use sense::train::config::ModelConfig;
use sense::train::model::Model;
use sense::train::tokenizer::Tokenizer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

/// A tiny random checkpoint (byte tokenizer: one token per byte), as `serve.rs` makes one.
fn tiny_checkpoint(dir: &Path, max_seq_len: usize) -> PathBuf {
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    let ckpt = dir.join("ckpt");
    let tok = Tokenizer::Byte;
    save(
        &ckpt,
        &model,
        &tok,
        &CheckpointMeta::new(&cfg, &tok, 0, None, Some("sft")),
        None,
    )
    .unwrap();
    ckpt
}

const PROMPTS: [&str; 2] = [
    "-- Question: How many pets are there?\nSELECT",
    "-- Question: Which owners live in Oslo?\nSELECT",
];

/// The texts of k samples per prompt from a generator built with `params`.
fn texts(ckpt: &Path, params: SamplingParams, k: usize, temperature: f32) -> Vec<Vec<String>> {
    let mut g = local_generator_with(ckpt, "cpu", &params).unwrap();
    let prompts: Vec<String> = PROMPTS.iter().map(|p| p.to_string()).collect();
    g.generate(&prompts, k, temperature, &AtomicBool::new(false))
        .unwrap()
        .into_iter()
        .map(|v| v.into_iter().map(|g| g.text).collect())
        .collect()
}

fn params(max_tokens: u32, top_p: Option<f32>, seed: Option<u64>) -> SamplingParams {
    SamplingParams {
        max_tokens: Some(max_tokens),
        top_p,
        seed,
        ..Default::default()
    }
}

#[test]
fn local_generator_takes_max_tokens_top_p_seed_and_stop() {
    let d = tempfile::tempdir().unwrap();
    let ckpt = tiny_checkpoint(d.path(), 256);

    // --max-tokens 3: no completion longer than 3 tokens (bytes, so at most 3 characters).
    let short = texts(&ckpt, params(3, Some(1.0), Some(1)), 3, 1.0);
    assert_eq!(short.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3]);
    assert!(
        short.iter().flatten().all(|t| t.chars().count() <= 3),
        "{short:?}"
    );
    // Without the cap the same sampling runs longer, so the cap is what cut it.
    let long = texts(&ckpt, params(24, Some(1.0), Some(1)), 3, 1.0);
    assert!(
        long.iter().flatten().any(|t| t.chars().count() > 3),
        "{long:?}"
    );

    // top-p near 0 at temperature 1 keeps only the likeliest token: greedy.
    let greedy = texts(&ckpt, params(16, None, Some(5)), 2, 0.0);
    let nucleus = texts(&ckpt, params(16, Some(1e-6), Some(5)), 2, 1.0);
    assert_eq!(nucleus, greedy);
    // ... while the full distribution at temperature 1 does not.
    let full = texts(&ckpt, params(16, Some(1.0), Some(5)), 2, 1.0);
    assert_ne!(full, greedy);

    // The same seed gives the same samples; another seed others.
    assert_eq!(texts(&ckpt, params(16, Some(1.0), Some(5)), 2, 1.0), full);
    assert_ne!(texts(&ckpt, params(16, Some(1.0), Some(6)), 2, 1.0), full);

    // Stop sequences cut each completion before the first one, as a server's do.
    let first = &greedy[0][0];
    let stop: String = first.chars().nth(2).unwrap().to_string();
    let cut = texts(
        &ckpt,
        SamplingParams {
            stop: vec![stop.clone()],
            ..params(16, None, Some(5))
        },
        2,
        0.0,
    );
    assert_eq!(cut[0][0], first[..first.find(&stop).unwrap()]);
    assert!(cut.iter().flatten().all(|t| !t.contains(&stop)), "{cut:?}");
}

#[test]
fn local_generator_refuses_what_it_cannot_honour() {
    let d = tempfile::tempdir().unwrap();
    let ckpt = tiny_checkpoint(d.path(), 64);
    let err = |p: SamplingParams| match local_generator_with(&ckpt, "cpu", &p) {
        Ok(_) => panic!("{p:?} accepted"),
        Err(e) => e.to_string(),
    };
    let e = err(params(100, None, None));
    assert!(
        e.contains("max tokens 100") && e.contains("context is 64"),
        "{e}"
    );
    assert!(err(params(0, None, None)).contains("at least 1"));
    assert!(err(params(8, Some(1.5), None)).contains("top-p 1.5"));
    assert!(err(params(8, Some(f32::NAN), None)).contains("top-p"));
    let e = err(SamplingParams {
        n: Some(2),
        ..Default::default()
    });
    assert!(e.contains("k"), "{e}");
    // The largest cap the context allows is fine.
    assert!(local_generator_with(&ckpt, "cpu", &params(62, None, None)).is_ok());
}

// ---- the binary -----------------------------------------------------------------------

/// Exit status 2 (a usage error) with `needle` in the message.
fn usage_error(c: &mut Command, needle: &str) {
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{c:?}: {stderr}");
    assert!(stderr.contains(needle), "{c:?}: {stderr}");
}

/// The candidates sampled from a checkpoint (the sample workspace comes with others).
fn candidates(ws: &Path) -> Vec<(i64, String, i64)> {
    let conn = rusqlite::Connection::open(ws).unwrap();
    let mut st = conn
        .prepare(
            "SELECT example_id, sql, samples FROM candidates WHERE model LIKE 'local:%' \
             ORDER BY example_id, sql",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

#[test]
fn sense_sample_passes_its_flags_to_a_local_checkpoint() {
    let d = tempfile::tempdir().unwrap();
    let ckpt = tiny_checkpoint(d.path(), 4096);
    let ckpt_s = ckpt.display().to_string();
    let (ws1, ws2) = (d.path().join("a.db"), d.path().join("b.db"));
    ok(sense(&ws1).arg("init"));
    ok(sense(&ws2).arg("init"));
    let run = |ws: &Path, extra: &[&str]| {
        let mut c = sense(ws);
        c.args([
            "sample",
            "--model",
            &ckpt_s,
            "--db",
            "vet_clinic",
            "--split",
            "dev",
            "--allow-dev",
            "--limit",
            "2",
        ])
        .args(["-k", "3", "--json"])
        .args(extra);
        c
    };

    const GOOD: &[&str] = &[
        "--temperature",
        "1",
        "--top-p",
        "1",
        "--max-tokens",
        "3",
        "--seed",
        "11",
    ];
    let out = ok(&mut run(&ws1, GOOD));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["requested"], 6, "{out}");
    let first = candidates(&ws1);
    assert!(!first.is_empty(), "{out}");
    assert!(
        first.iter().all(|(_, sql, _)| sql.chars().count() <= 3),
        "{first:?}"
    );
    // The same seed in another workspace: the same samples.
    ok(&mut run(&ws2, GOOD));
    assert_eq!(candidates(&ws2), first);

    // More tokens than the checkpoint's context: refused, not clamped.
    usage_error(&mut run(&ws1, &["--max-tokens", "5000"]), "context is 4096");
    usage_error(&mut run(&ws1, &["--top-p", "1.5"]), "top-p 1.5");
    usage_error(&mut run(&ws1, &["--temperature=-1"]), "temperature -1");
    // Endpoint-only flags next to a checkpoint folder.
    usage_error(
        &mut run(&ws1, &["--separate-requests", "--concurrency", "2"]),
        "--concurrency, --separate-requests only apply to an --endpoint model",
    );
    usage_error(
        &mut run(&ws1, &["--endpoint", "http://127.0.0.1:9/v1"]),
        "--endpoint only applies to an --endpoint model",
    );
    // ... and --device next to an endpoint model.
    usage_error(
        sense(&ws1).args([
            "sample",
            "--model",
            "weak",
            "--endpoint",
            "http://127.0.0.1:9/v1",
            "--device",
            "cuda",
        ]),
        "--device cuda is for a local checkpoint folder",
    );
    // Nothing was recorded by the refused runs.
    assert_eq!(candidates(&ws1), first);
}
