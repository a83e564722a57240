//! End to end: the real binary in tmux on a fresh sample workspace. Pairs another process
//! makes appear in the open Review queue; a filter narrows the queue; a bulk reject decides
//! every pair shown after a confirmation naming how many; one undo takes them all back.

use crate::bin::{ok, sense};
use crate::tmux::{available, keys, quote, tmux, wait_for, Session};
use sense::store::{PairStatus, Store};
use std::path::Path;

#[test]
fn review_live_queue_filter_bulk_reject_and_undo_through_the_real_binary() {
    if !available() {
        eprintln!("skipping tui_review_e2e: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let total = Store::open(&ws).unwrap().counts().unwrap().pairs;
    let cfg = dir.path().join("config");
    let session = Session(format!("sense-review-e2e-{}", std::process::id()));
    let cmd = format!(
        "cd {} && XDG_CONFIG_HOME={} SENSE_ANNOTATOR=e2e {} --workspace {}; echo SENSE-EXITED-$?; sleep 60",
        quote(dir.path()),
        quote(&cfg),
        quote(Path::new(env!("CARGO_BIN_EXE_sense"))),
        quote(&ws)
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "140",
        "-y",
        "40",
        &cmd,
    ]);
    keys(&session, "3");
    wait_for(&session, "the review queue", 60, |t| {
        t.contains(&format!("of {total} shown"))
    });

    // Another process judges a new wrong answer: its pair joins the open queue.
    let example = Store::open(&ws)
        .unwrap()
        .pairs(Some(PairStatus::Pending))
        .unwrap()[0]
        .example_id;
    let file = dir.path().join("cands.jsonl");
    std::fs::write(
        &file,
        format!("{{\"example_id\": {example}, \"sql\": \"SELECT 424242\"}}\n"),
    )
    .unwrap();
    ok(sense(&ws)
        .args(["candidates", "import", "--model", "outside"])
        .arg(&file));
    wait_for(&session, "the new pair in the queue", 30, |t| {
        t.contains(&format!("of {} shown", total + 1))
    });

    // f, down to the failure-class row, step to the first class, close.
    keys(&session, "f");
    wait_for(&session, "the filter picker", 30, |t| {
        t.contains("Filter pairs")
    });
    for _ in 0..4 {
        keys(&session, "j");
    }
    keys(&session, "l");
    keys(&session, "Escape");
    let filtered = wait_for(&session, "the filtered queue", 30, |t| {
        t.contains("filter: pending · ") && !t.contains("Filter pairs")
    });
    let line = filtered
        .lines()
        .find(|l| l.contains("filter: pending · "))
        .unwrap()
        .to_string();
    let class = line
        .split("filter: pending · ")
        .nth(1)
        .and_then(|r| r.split(" · ").next())
        .unwrap()
        .trim()
        .to_string();
    let shown: usize = line
        .split(" · ")
        .find(|p| p.ends_with(" shown"))
        .and_then(|p| p.trim_end_matches(" shown").trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"));
    let store = Store::open(&ws).unwrap();
    let in_class: Vec<i64> = store
        .query_pairs(&sense::store::PairQuery {
            status: Some(PairStatus::Pending),
            class: Some(class.clone()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        shown,
        in_class.len(),
        "the header agrees with the store: {line}"
    );
    assert!(shown > 0);

    // R asks, naming how many; y rejects them all.
    keys(&session, "R");
    wait_for(&session, "the confirmation", 30, |t| {
        t.contains(&format!("reject all {shown} pair"))
    });
    keys(&session, "y");
    wait_for(&session, "the bulk reject", 30, |t| {
        t.contains("decided together")
    });
    for id in &in_class {
        assert_eq!(
            store.pair(*id).unwrap().status,
            PairStatus::Rejected,
            "pair #{id}"
        );
    }
    // One undo brings every one of them back.
    keys(&session, "u");
    wait_for(&session, "the undo", 30, |t| {
        t.contains("decided together are back")
    });
    for id in &in_class {
        assert_eq!(
            store.pair(*id).unwrap().status,
            PairStatus::Pending,
            "pair #{id}"
        );
    }
    keys(&session, "q");
    let end = wait_for(&session, "the exit", 60, |t| t.contains("SENSE-EXITED"));
    assert!(end.contains("SENSE-EXITED-0"), "{end}");
    // The decisions were recorded as the annotator's.
    let h = store.pair_history(in_class[0]).unwrap();
    assert!(h.iter().all(|e| e.annotator == "e2e"), "{h:?}");
}
