//! `sense recipe` end to end through the real binary: a tiny model, a budget of seconds, every
//! stage a run or eval in the store, the JSON figures, and a rerun that resumes after Ctrl-C.

use crate::bin::{run_ok, sense};
use sense::store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

/// A model and data small enough for seconds of training in a debug test binary.
const TINY: [&str; 22] = [
    "--layers",
    "1",
    "--d-model",
    "32",
    "--heads",
    "2",
    "--d-ff",
    "64",
    "--batch-size",
    "2",
    "--bpe-vocab",
    "400",
    "--databases",
    "2",
    "--heldout-databases",
    "1",
    "--per-db",
    "6",
    "--eval-limit",
    "3",
    "--max-new-tokens",
    "16",
];

fn recipe(ws: &Path, minutes: &str) -> std::process::Command {
    let mut c = sense(ws);
    c.args(["recipe", "--json", "-k", "2", "--minutes", minutes])
        .args(TINY);
    c
}

fn check_report(stdout: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no JSON: {stdout}")),
    )
    .unwrap();
    for key in ["ex_heldout_templates", "ex_dev"] {
        let ex = v["sft"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("sft.{key}: {v}"));
        assert!((0.0..=1.0).contains(&ex), "{v}");
        assert!(v["dpo"].get(key).is_some(), "dpo.{key}: {v}");
    }
    assert!(v["weak"]["samples"].as_i64().unwrap_or(0) > 0, "{v}");
    for key in ["executable", "correct"] {
        let f = v["weak"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("weak.{key}: {v}"));
        assert!((0.0..=1.0).contains(&f), "{v}");
    }
    assert!(v["minutes"].as_f64().is_some_and(|m| m > 0.0), "{v}");
    v
}

#[test]
fn a_tiny_recipe_runs_every_stage_and_prints_its_figures() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    run_ok(sense(&ws).arg("init"));
    let out = run_ok(&mut recipe(&ws, "0.4"));
    let v = check_report(&String::from_utf8_lossy(&out.stdout));
    let store = Store::open(&ws).unwrap();
    // SFT (and DPO, unless every weak sample was right) are runs; each EX an eval row.
    let kinds: Vec<String> = store.runs().unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds[0], "sft", "{kinds:?}");
    assert_eq!(
        v["sft"]["run"].as_i64(),
        Some(store.runs().unwrap()[0].id),
        "{v}"
    );
    assert!(kinds.len() == 2 || v["dpo"]["skipped"].is_string(), "{v}");
    // What the machine gave: SFT's steps (the run's own) and its mean tokens per second.
    assert_eq!(
        v["sft"]["steps"].as_i64(),
        Some(store.runs().unwrap()[0].step),
        "{v}"
    );
    assert!(v["sft"]["steps"].as_i64().is_some_and(|s| s > 0), "{v}");
    assert!(
        v["sft"]["tokens_per_s"].as_f64().is_some_and(|t| t > 0.0),
        "{v}"
    );
    // SFT packed the questions of each database by shared schema (the recipe's default).
    let log = std::fs::read_to_string(d.path().join("sense.db.recipe.log")).unwrap();
    assert!(log.contains("packed by shared schema"), "{log}");
    // The weak model is the early checkpoint, kept beside the rotating step ones.
    let weak = v["weak"]["checkpoint"].as_str().unwrap();
    assert!(weak.ends_with("early"), "{weak}");
    assert!(Path::new(weak).join("config.json").is_file());
    // Held-out procedural databases exist and were the recipe's own asking.
    let splits = store.database_splits().unwrap();
    assert!(splits.values().any(|s| s == "heldout"), "{splits:?}");
    // A rerun finds every stage done and only reports.
    let t = Instant::now();
    let again = run_ok(&mut recipe(&ws, "0.4"));
    assert!(t.elapsed() < Duration::from_secs(20));
    let v2 = check_report(&String::from_utf8_lossy(&again.stdout));
    assert_eq!(v2["sft"], v["sft"]);
    assert_eq!(store.runs().unwrap().len(), kinds.len(), "no new runs");
}

#[test]
fn ctrl_c_during_sft_keeps_the_run_and_a_rerun_resumes_it() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    run_ok(sense(&ws).arg("init"));
    let state_file = d.path().join("sense.db.recipe.json");
    let child = recipe(&ws, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until SFT has a run with a few steps logged, then press Ctrl-C.
    let t = Instant::now();
    let run_id = loop {
        assert!(t.elapsed() < Duration::from_secs(240), "SFT never started");
        std::thread::sleep(Duration::from_millis(300));
        let Ok(text) = std::fs::read_to_string(&state_file) else {
            continue;
        };
        let st: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Some(id) = st["stages"]["sft"]["run_id"].as_i64() {
            let store = Store::open(&ws).unwrap();
            if store.run(id).unwrap().step >= 3 {
                break id;
            }
        }
    };
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&ws).unwrap();
    let run = store.run(run_id).unwrap();
    assert_eq!(run.status.as_str(), "stopped", "{}", run.message);
    assert!(run.checkpoint.is_some(), "a stopped run keeps a checkpoint");
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    assert_eq!(st["stages"]["sft"]["done"], false);
    assert_eq!(st["stages"]["databases"]["done"], true);
    let steps_before = run.step;

    // The rerun resumes the same run (no second SFT run) and finishes every stage.
    let again = run_ok(&mut recipe(&ws, "1"));
    let v = check_report(&String::from_utf8_lossy(&again.stdout));
    assert_eq!(v["sft"]["run"].as_i64(), Some(run_id), "{v}");
    let sft_runs = store
        .runs()
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "sft")
        .count();
    assert_eq!(sft_runs, 1);
    let run = store.run(run_id).unwrap();
    assert_eq!(run.status.as_str(), "done");
    assert!(run.step > steps_before);
}
