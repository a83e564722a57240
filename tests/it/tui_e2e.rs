//! End to end: the real binary in a detached tmux session on a fresh workspace. Opens the
//! sample workspace (built on first start), goes to Review, accepts one pair, rejects one,
//! undoes one, quits; then reads the store. Skipped (with a printed reason) only without tmux.

use crate::tmux::{available, keys, quote, tmux, wait_for, Session};
use sense::store::{PairStatus, Store};
use std::path::Path;

#[test]
fn review_accept_reject_undo_through_the_real_binary() {
    if !available() {
        eprintln!("skipping tui_e2e: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sense.db");
    let cfg = dir.path().join("config");
    let session = Session(format!("sense-e2e-{}", std::process::id()));
    let cmd = format!(
        "cd {} && XDG_CONFIG_HOME={} {} --workspace {}; echo SENSE-EXITED-$?; sleep 60",
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
        "120",
        "-y",
        "40",
        &cmd,
    ]);

    // First start builds the sample workspace and says so.
    wait_for(&session, "the sample workspace", 60, |t| {
        t.contains("first start") || t.contains("SENSE-EXITED")
    });
    keys(&session, "1");
    wait_for(&session, "the Databases screen", 60, |t| {
        t.contains("Schema ·")
    });
    keys(&session, "3");
    let first = wait_for(&session, "a pair", 60, |t| {
        t.contains("pair #") && t.contains("rejected (model)")
    });
    assert!(first.contains("reviewed 0/"), "{first}");

    keys(&session, "a");
    wait_for(&session, "the accept", 60, |t| {
        t.contains("reviewed 1/") && t.contains("accepted")
    });
    keys(&session, "r");
    wait_for(&session, "the reject", 60, |t| {
        t.contains("reviewed 2/") && t.contains("rejected")
    });
    keys(&session, "u");
    wait_for(&session, "the undo", 60, |t| {
        t.contains("reviewed 1/") && t.contains("undone: pair")
    });
    keys(&session, "q");
    let end = wait_for(&session, "the exit", 60, |t| t.contains("SENSE-EXITED"));
    assert!(end.contains("SENSE-EXITED-0"), "{end}");

    let store = Store::open(&ws).unwrap();
    let c = store.counts().unwrap();
    assert_eq!(c.accepted, 1, "one accepted pair");
    assert_eq!(c.rejected, 0, "the reject was undone");
    assert_eq!(c.pending, c.pairs - 1);
    let accepted = store.pairs(Some(PairStatus::Accepted)).unwrap();
    let first_pending = store.pairs(Some(PairStatus::Pending)).unwrap()[0].id;
    assert!(
        accepted[0].id < first_pending,
        "the first pair of the queue was accepted"
    );
    // The undone reject is in the history of the pair after it.
    let h = store.pair_history(first_pending).unwrap();
    let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["rejected", "undo"]);
}
