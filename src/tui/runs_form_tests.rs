//! Tests of the Runs screen's form memory, checkpoint picker, key feedback and status bar,
//! on the fixture of `runs_tests` (run 1 SFT done with a checkpoint at step 200, run 2 DPO
//! running with one at step 50, run 3 failed, run 4 dead).

use super::runs_tests::{code, key, open, render, select, set_times, snap, NOW};
use crate::store::{Activity, NewRun, RunStatus};
use crate::tui::runs_jobs::Request;
use crate::tui::state::{update, Action, Effect};
use crossterm::event::KeyCode;

const CK1: &str = "/work/ws/checkpoints/sft-20261125-100000-11/step-000200";
const CK2: &str = "/work/ws/checkpoints/dpo-20261125-101000-12/step-000050";

fn text(s: &crate::tui::state::State) -> String {
    s.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn the_form_remembers_its_values_and_the_new_run_gets_selected() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 3);
    rt.dispatch(&mut s, key('n'));
    // kind, from, split, source, db, steps
    for _ in 0..5 {
        update(&mut s, code(KeyCode::Tab));
    }
    for _ in 0..3 {
        update(&mut s, code(KeyCode::Backspace));
    }
    for c in "50".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Esc));
    assert!(s.runs.form.is_none());
    rt.dispatch(&mut s, key('n'));
    let form = s.runs.form.as_ref().unwrap();
    assert_eq!(form.steps.text, "50", "kept from the closed form");
    assert_eq!(form.field, 0, "reopens on its first field");
    // Started: the same values come back next time, and the new run is selected once the
    // process has written it.
    s.runs.form.as_mut().unwrap().count = Some(Ok(10));
    let fx = update(&mut s, code(KeyCode::Enter));
    match &fx[..] {
        [Effect::Runs(Request::Train(args))] => {
            assert!(args.windows(2).any(|w| w == ["--steps", "50"]), "{args:?}")
        }
        other => panic!("{other:?}"),
    }
    let id = rt
        .store()
        .create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({}),
            total_steps: 50,
            pid: Some(i64::from(std::process::id())),
        })
        .unwrap();
    rt.dispatch(&mut s, Action::Tick);
    assert_eq!(s.runs.selected().map(|r| r.run.id), Some(id));
    assert_eq!(s.runs.select_newer_than, None);
    // Moving away afterwards is not undone by later polls.
    rt.dispatch(&mut s, key('j'));
    rt.dispatch(&mut s, Action::Tick);
    assert_ne!(s.runs.selected().map(|r| r.run.id), Some(id));
    rt.dispatch(&mut s, key('n'));
    assert_eq!(s.runs.form.as_ref().unwrap().steps.text, "50");
}

#[test]
fn the_starting_checkpoint_is_picked_from_the_runs_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 3);
    rt.dispatch(&mut s, key('n'));
    update(&mut s, code(KeyCode::Tab)); // from
    let form = s.runs.form.as_ref().unwrap();
    let names: Vec<&str> = form.choices.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["run #2 dpo · step 50", "run #1 sft · step 200"]);
    update(&mut s, code(KeyCode::Right));
    assert_eq!(s.runs.form.as_ref().unwrap().from.text, CK2);
    update(&mut s, code(KeyCode::Right));
    assert_eq!(s.runs.form.as_ref().unwrap().from.text, CK1);
    s.runs.now = NOW;
    let screen = render(&s, 80, 24);
    assert!(screen.contains("run #1 sft · step 200"), "{screen}");
    assert!(!screen.contains("/work/ws"), "no truncated path: {screen}");
    snap("runs_form_pick", &s);
    // Left goes back; past the first checkpoint comes "from scratch" (SFT only).
    update(&mut s, code(KeyCode::Left));
    update(&mut s, code(KeyCode::Left));
    assert_eq!(s.runs.form.as_ref().unwrap().from.text, "");
    // Typing still enters any folder.
    for c in "/tmp/ck".chars() {
        update(&mut s, key(c));
    }
    let form = s.runs.form.as_ref().unwrap();
    assert_eq!(form.from.text, "/tmp/ck");
    assert_eq!(form.chosen(), None);
    assert!(render(&s, 80, 24).contains("/tmp/ck"));
}

#[test]
fn zoom_and_evals_say_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 1);
    rt.dispatch(&mut s, key('z'));
    assert_eq!(s.runs.zoom, Some(100.0));
    assert!(text(&s).contains("last 100 steps"), "{}", text(&s));
    rt.dispatch(&mut s, key('z'));
    assert_eq!(s.runs.zoom, None);
    assert!(text(&s).contains("whole run"), "{}", text(&s));
    rt.dispatch(&mut s, key('e'));
    assert!(s.runs.show_evals);
    assert!(text(&s).contains("evaluations shown"), "{}", text(&s));
    assert!(render(&s, 160, 48).contains("evaluations shown in place of the chart"));
    rt.dispatch(&mut s, key('e'));
    assert!(text(&s).contains("evaluations hidden"), "{}", text(&s));
}

#[test]
fn the_status_bar_drops_a_run_as_soon_as_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    let bar = |s: &crate::tui::state::State| {
        render(s, 160, 48)
            .lines()
            .filter(|l| l.contains("test.db"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // As the bar's last (periodic) refresh read it.
    s.activity = vec![Activity {
        what: "run".into(),
        id: 2,
        kind: "dpo".into(),
        done: 60,
        total: 100,
        pid: Some(i64::from(std::process::id())),
    }];
    assert!(bar(&s).contains("run #2 dpo 60/100"), "{}", bar(&s));
    rt.store()
        .finish_run(2, RunStatus::Stopped, "stopped by the user after step 60")
        .unwrap();
    rt.dispatch(&mut s, Action::Tick);
    assert!(s.activity.is_empty(), "{:?}", s.activity);
    assert!(!bar(&s).contains("run #2"), "{}", bar(&s));
}

#[test]
fn the_log_pane_shows_the_message_and_the_tail_of_the_runs_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    let log = dir.path().join("train-sft.log");
    let mut text: String = (1..=300).map(|i| format!("line {i}\n")).collect();
    text.push_str("step 9/50 \u{1b}[32mloss 2.1\u{1b}[0m\rstep 10/50 loss 2.0\n");
    std::fs::write(&log, text).unwrap();
    let id = rt
        .store()
        .create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({ "log": log.display().to_string() }),
            total_steps: 50,
            pid: Some(i64::from(std::process::id())),
        })
        .unwrap();
    // A fixed start, so that frames do not depend on the clock.
    set_times(rt.store(), id, "2026-11-25T10:10:30.000Z", None);
    rt.dispatch(&mut s, Action::Tick);
    select(&mut rt, &mut s, id);
    rt.dispatch(&mut s, key('L'));
    assert!(s.runs.show_log);
    let Some((run, Ok(lines))) = &s.runs.log_tail else {
        panic!("{:?}", s.runs.log_tail)
    };
    assert_eq!(*run, id);
    assert_eq!(lines.len(), crate::tui::runs_jobs::LOG_LINES);
    // The progress line keeps its last redraw, without colour codes.
    assert_eq!(lines.last().unwrap(), "step 10/50 loss 2.0");
    s.runs.now = NOW;
    let screen = render(&s, 80, 24);
    assert!(screen.contains("step 10/50 loss 2.0"), "{screen}");
    assert!(screen.contains("line 300"), "{screen}");
    // A run started from the CLI has no log file: the pane says so.
    select(&mut rt, &mut s, 3);
    rt.dispatch(&mut s, Action::Tick);
    s.runs.now = NOW;
    snap("runs_log_none", &s);
    assert!(render(&s, 160, 48).contains("no log file"));
    assert!(
        render(&s, 160, 48).contains("loss became inf"),
        "the run's message"
    );
}
