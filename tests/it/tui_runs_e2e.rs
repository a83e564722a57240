//! End to end: a tiny SFT run started from the CLI in one process while the workbench (the real
//! binary in a detached tmux session) follows it on the Runs screen: its step and curve grow;
//! `x` stops it from the workbench; the store then says stopped and its checkpoint loads.
//! Skipped (with a printed reason) only without tmux.

use crate::tmux::{available, keys, quote, tmux, wait_for, Session};
use sense::store::{RunStatus, Store};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The training process, killed if the test fails before it ends.
struct Training(Child);

impl Drop for Training {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn shown_step(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("#1 sft"))?;
    let rest = &line[line.find("step ")? + 5..];
    rest.split('/').next()?.trim().parse().ok()
}

/// Braille cells drawn by the chart.
fn curve_cells(text: &str) -> usize {
    text.chars()
        .filter(|c| ('\u{2801}'..='\u{28FF}').contains(c))
        .count()
}

#[test]
fn a_cli_run_is_followed_live_and_stopped_from_the_workbench() {
    if !available() {
        eprintln!("skipping tui_runs_e2e: tmux is not installed");
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_sense"));
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sense.db");
    let init = Command::new(bin)
        .arg("--workspace")
        .arg(&ws)
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");

    // A tiny model with far more steps than the test waits for: the workbench stops it.
    let log = std::fs::File::create(dir.path().join("train.log")).unwrap();
    let train = Training(
        Command::new(bin)
            .arg("--workspace")
            .arg(&ws)
            .args([
                "train",
                "sft",
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
                "--steps",
                "100000",
                "--save-every",
                "0",
                "--warmup",
                "1",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let mut train = train;

    let cfg = dir.path().join("config");
    let session = Session(format!("sense-runs-e2e-{}", std::process::id()));
    let cmd = format!(
        "cd {} && XDG_CONFIG_HOME={} {} --workspace {}; echo SENSE-EXITED-$?; sleep 60",
        quote(dir.path()),
        quote(&cfg),
        quote(bin),
        quote(&ws)
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ]);
    wait_for(&session, "the workbench", 20, |t| {
        t.contains("4 Runs") || t.contains("SENSE-EXITED")
    });
    keys(&session, "4");
    let first = wait_for(&session, "the run on the Runs screen", 20, |t| {
        t.contains("running") && shown_step(t).is_some_and(|s| s >= 2)
    });
    let step1 = shown_step(&first).unwrap();
    let second = wait_for(&session, "the step to grow", 20, |t| {
        shown_step(t).is_some_and(|s| s > step1 + 1)
    });
    assert!(
        curve_cells(&second) > curve_cells(&first) || curve_cells(&second) > 10,
        "the curve is drawn and grows:\n{first}\n{second}"
    );

    keys(&session, "x");
    let stopped = wait_for(&session, "the run to stop", 30, |t| t.contains("stopped"));
    assert!(stopped.contains("#1 sft stopped"), "{stopped}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = train.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "sense train did not exit after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "a stopped run exits 0: {status:?}");
    keys(&session, "q");
    let end = wait_for(&session, "the exit", 10, |t| t.contains("SENSE-EXITED"));
    assert!(end.contains("SENSE-EXITED-0"), "{end}");

    let store = Store::open(&ws).unwrap();
    let run = store.run(1).unwrap();
    assert_eq!(run.status, RunStatus::Stopped, "{run:?}");
    assert!(run.step > step1 as i64 && run.step < 100_000);
    let ck = run.checkpoint.expect("a stopped run saves a checkpoint");
    let loaded = sense::train::checkpoint::load(Path::new(&ck), &candle_core::Device::Cpu)
        .expect("the checkpoint loads");
    assert_eq!(loaded.meta.step as i64, run.step);
    assert_eq!(loaded.meta.run_id, Some(1));
}
