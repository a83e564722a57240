//! A trainer killed by the OS (the out-of-memory killer sends SIGKILL) never records its end:
//! its run still says "running" in the store, and every view shows it as dead.

use crate::bin::{ok, run_ok, sense};
use sense::store::{RunStatus, Store};
use std::time::{Duration, Instant};

#[test]
fn a_sigkilled_trainer_shows_as_dead_not_running() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    run_ok(sense(&ws).arg("init"));
    let mut trainer = sense(&ws)
        .args(["train", "sft", "--steps", "100000", "--batch-size", "2"])
        .args([
            "--layers",
            "1",
            "--d-model",
            "32",
            "--heads",
            "2",
            "--d-ff",
            "32",
        ])
        .args(["--context", "64", "--max-len", "64", "--tokenizer", "byte"])
        .args(["--warmup", "1", "--eval-every", "0", "--save-every", "0"])
        .arg("--out")
        .arg(d.path().join("ck"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = i64::from(trainer.id());
    let store = Store::open_existing(&ws).unwrap();
    // Wait until it is training: its run row, with its pid, has passed a step.
    let deadline = Instant::now() + Duration::from_secs(300);
    let id = loop {
        let run = store
            .runs()
            .unwrap()
            .into_iter()
            .find(|r| r.pid == Some(pid));
        if let Some(r) = run.filter(|r| r.step >= 1) {
            break r.id;
        }
        assert!(
            trainer.try_wait().unwrap().is_none(),
            "the trainer ended early"
        );
        assert!(Instant::now() < deadline, "no training step in time");
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = || -> serde_json::Value {
        serde_json::from_str(&ok(sense(&ws).args(["status", "--json"]))).unwrap()
    };
    assert_eq!(
        status()["runs_by_status"],
        serde_json::json!({"running": 1})
    );
    // SIGKILL, as the OOM killer does; reaped, as a shell or the workbench would.
    trainer.kill().unwrap();
    trainer.wait().unwrap();

    // The store cannot know: the row still says running.
    assert_eq!(store.run(id).unwrap().status, RunStatus::Running);
    assert!(sense::proc::run_is_dead(&store.run(id).unwrap()));
    // `sense status` and its JSON.
    let text = ok(sense(&ws).arg("status"));
    assert!(text.contains("runs       1 (dead 1)"), "{text}");
    assert!(
        text.contains(&format!("dead (process gone, killed?): #{id}")),
        "{text}"
    );
    let json = status();
    assert_eq!(json["runs_by_status"], serde_json::json!({"dead": 1}));
    assert_eq!(json["dead_runs"], serde_json::json!([id]));
    // The Runs screen's poll.
    let polled = sense::jobs::runs::poll(&store, &Default::default()).unwrap();
    let info = polled.runs.iter().find(|r| r.run.id == id).unwrap();
    assert!(info.dead(), "{info:?}");
}
