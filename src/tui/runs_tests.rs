//! Tests of the Runs screen: a workspace seeded with runs in progress, finished, failed and
//! dead, rendered into TestBackend (insta snapshots at 80x24 and 160x48); `update` for its keys
//! and its form; the poll reading only new points.

use crate::store::{NewRun, RunStatus, Store};
use crate::tui::keymap::Keymap;
use crate::tui::runs_jobs::{Request, SeriesKey};
use crate::tui::runtime::Runtime;
use crate::tui::state::{update, Action, Effect, Screen, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;

/// Far above any Linux pid_max: never a live process.
const DEAD_PID: i64 = 999_999_999;
/// The fixed "now" of rendered frames: 2026-11-25T10:11:00Z.
pub(super) const NOW: i64 = 1_795_601_460;

pub(super) fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(super) fn set_times(store: &Store, id: i64, started: &str, ended: Option<&str>) {
    store
        .conn()
        .execute(
            "UPDATE runs SET started_at = ?2, ended_at = ?3 WHERE id = ?1",
            rusqlite::params![id, started, ended],
        )
        .unwrap();
}

fn new_run(store: &Store, kind: &str, parent: Option<&str>, total: i64, pid: Option<i64>) -> i64 {
    store
        .create_run(&NewRun {
            kind: kind.into(),
            parent: parent.map(str::to_string),
            config: serde_json::json!({}),
            total_steps: total,
            pid,
        })
        .unwrap()
}

/// Run 1: SFT done (200 steps, evaluated); 2: DPO from run 1's checkpoint, running (this
/// process is its "pid"), evaluated; 3: SFT failed at step 30 with one infinite loss logged;
/// 4: SFT whose process died while the store still says running.
fn fixture(dir: &Path) -> Store {
    let store = Store::open(&dir.join("ws.db")).unwrap();
    let ck1 = "/work/ws/checkpoints/sft-20261125-100000-11/step-000200";
    let r1 = new_run(&store, "sft", None, 200, Some(DEAD_PID));
    let pts: Vec<(i64, f64)> = (1..=200)
        .map(|i| {
            let x = i as f64;
            (i, 3.0 * (-x / 40.0).exp() + 0.3 + 0.05 * (x * 0.7).sin())
        })
        .collect();
    let mut batch: Vec<(i64, &str, f64)> = pts.iter().map(|(i, v)| (*i, "loss", *v)).collect();
    batch.extend((1..=200).map(|i| (i, "learning_rate", 1e-3 * (1.0 - i as f64 / 400.0))));
    batch.extend((1..=200).map(|i| (i, "tokens_per_s", 5000.0 + (i % 7) as f64 * 10.0)));
    store.log_metrics(r1, 200, &batch).unwrap();
    store.set_run_checkpoint(r1, ck1).unwrap();
    store.finish_run(r1, RunStatus::Done, "200 steps").unwrap();
    set_times(
        &store,
        r1,
        "2026-11-25T09:50:00.000Z",
        Some("2026-11-25T09:58:20.000Z"),
    );
    let tally = |pairs: &[(&str, i64, i64)]| {
        let mut m = serde_json::Map::new();
        for (k, c, n) in pairs {
            m.insert(k.to_string(), serde_json::json!({"n": n, "correct": c}));
        }
        serde_json::Value::Object(m)
    };
    store
        .insert_eval(&crate::store::NewEval {
            run_id: Some(r1),
            model: ck1,
            split: "dev",
            metric: "spider",
            n: 100,
            correct: 40,
            per_db: &tally(&[("shop", 10, 40), ("vet", 30, 60)]),
            per_difficulty: &tally(&[("easy", 30, 50), ("hard", 10, 50)]),
            examples: &(1..=100).collect::<Vec<i64>>(),
            decoding: None,
        })
        .unwrap();

    let r2 = new_run(
        &store,
        "dpo",
        Some(ck1),
        100,
        Some(i64::from(std::process::id())),
    );
    let mut batch: Vec<(i64, &str, f64)> = Vec::new();
    for i in 1..=60 {
        let x = i as f64;
        batch.push((i, "loss", 0.69 - 0.004 * x + 0.01 * (x * 1.3).sin()));
        batch.push((i, "rewards/chosen", 0.02 * x));
        batch.push((i, "rewards/rejected", -0.03 * x));
        batch.push((i, "rewards/margins", 0.05 * x));
        batch.push((i, "rewards/accuracies", (0.5 + x / 150.0).min(1.0)));
        batch.push((i, "learning_rate", 5e-5));
        batch.push((i, "tokens_per_s", 1200.0));
    }
    store.log_metrics(r2, 60, &batch).unwrap();
    store
        .set_run_checkpoint(
            r2,
            "/work/ws/checkpoints/dpo-20261125-101000-12/step-000050",
        )
        .unwrap();
    set_times(&store, r2, "2026-11-25T10:10:00.000Z", None);
    store
        .insert_eval(&crate::store::NewEval {
            run_id: Some(r2),
            model: "/work/ws/checkpoints/dpo-20261125-101000-12/step-000050",
            split: "dev",
            metric: "spider",
            n: 100,
            correct: 46,
            per_db: &tally(&[("shop", 13, 40), ("vet", 33, 60)]),
            per_difficulty: &tally(&[("easy", 33, 50), ("hard", 13, 50)]),
            examples: &(1..=100).rev().collect::<Vec<i64>>(),
            decoding: None,
        })
        .unwrap();

    let r3 = new_run(&store, "sft", None, 200, None);
    let mut batch: Vec<(i64, &str, f64)> = (1..=30)
        .map(|i| (i, "loss", 4.0 - 0.05 * i as f64))
        .collect();
    batch.push((31, "loss", f64::INFINITY));
    store.log_metrics(r3, 31, &batch).unwrap();
    store
        .finish_run(
            r3,
            RunStatus::Failed,
            "loss became inf at step 31 (grad norm inf); stopped without applying it",
        )
        .unwrap();
    set_times(
        &store,
        r3,
        "2026-11-25T10:01:00.000Z",
        Some("2026-11-25T10:01:40.000Z"),
    );

    let r4 = new_run(&store, "sft", None, 500, Some(DEAD_PID));
    let batch: Vec<(i64, &str, f64)> = (1..=80).map(|i| (i, "loss", 2.0)).collect();
    store.log_metrics(r4, 80, &batch).unwrap();
    set_times(&store, r4, "2026-11-25T10:05:00.000Z", None);
    store
}

pub(super) fn open(dir: &Path) -> (Runtime, State) {
    let store = fixture(dir);
    let (mut rt, _rx) = Runtime::new(store);
    let mut s = State::new("test.db", Theme::default(), Keymap::default());
    rt.start(&mut s);
    rt.dispatch(&mut s, key('4'));
    s.runs.now = NOW;
    (rt, s)
}

/// Moves the cursor to run `id` (the list is newest first).
pub(super) fn select(rt: &mut Runtime, s: &mut State, id: i64) {
    rt.dispatch(s, key('g'));
    while s.runs.selected().map(|r| r.run.id) != Some(id) {
        rt.dispatch(s, key('j'));
    }
    s.runs.now = NOW;
}

pub(super) fn render(s: &State, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::render(f, s)).unwrap();
    t.backend().to_string()
}

pub(super) fn snap(name: &str, s: &State) {
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(s, w, h));
    }
}

#[test]
fn runs_screen_lists_every_run_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (_rt, s) = open(dir.path());
    assert_eq!(s.screen, Screen::Runs);
    let ids: Vec<i64> = s.runs.runs.iter().map(|r| r.run.id).collect();
    assert_eq!(ids, vec![4, 3, 2, 1]);
    assert_eq!(s.runs.runs[3].best_ex, Some(0.4));
    assert!(s.runs.runs[0].dead(), "run 4's pid is gone");
    assert!(!s.runs.runs[2].dead(), "run 2's pid is this process");
}

#[test]
fn runs_snapshot_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 2);
    let text = render(&s, 160, 48);
    assert!(text.contains("ETA 40s"), "60 of 100 steps in 60 s: {text}");
    assert!(
        text.contains("+6.0"),
        "EX against the parent SFT run: {text}"
    );
    snap("runs_in_progress", &s);
}

#[test]
fn runs_snapshot_finished() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 1);
    snap("runs_finished", &s);
    rt.dispatch(&mut s, key('e'));
    insta::assert_snapshot!("runs_finished_evals_80x24", render(&s, 80, 24));
}

#[test]
fn runs_snapshot_failed_marks_dropped_values() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 3);
    let text = render(&s, 80, 24);
    assert!(text.contains("failed"), "{text}");
    assert!(text.contains("1 non-finite values dropped"), "{text}");
    snap("runs_failed", &s);
}

#[test]
fn runs_snapshot_overlaid() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 1);
    rt.dispatch(&mut s, key(' '));
    select(&mut rt, &mut s, 4);
    rt.dispatch(&mut s, key(' '));
    select(&mut rt, &mut s, 3);
    assert_eq!(s.runs.charted(), vec![3, 1, 4]);
    let text = render(&s, 160, 48);
    assert!(
        text.contains("#1 sft") && text.contains("#4 sft"),
        "legend: {text}"
    );
    snap("runs_overlaid", &s);
}

/// A run its time budget ends (as the recipe starts SFT: `--max-minutes 10` and a step count
/// out of reach) shows its progress by time, not as a fraction of a million steps.
#[test]
fn a_time_bounded_run_shows_progress_by_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path());
    let id = store
        .create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({"max_minutes": 10.0}),
            total_steps: 1_000_000,
            pid: Some(i64::from(std::process::id())),
        })
        .unwrap();
    let batch: Vec<(i64, &str, f64)> = (1..=500).map(|i| (i, "loss", 1.0)).collect();
    store.log_metrics(id, 500, &batch).unwrap();
    // Started 4 minutes before NOW: 40 % of its budget.
    set_times(&store, id, "2026-11-25T10:07:00.000Z", None);
    let (mut rt, _rx) = Runtime::new(store);
    let mut s = State::new("test.db", Theme::default(), Keymap::default());
    rt.start(&mut s);
    rt.dispatch(&mut s, key('4'));
    select(&mut rt, &mut s, id);
    let text = render(&s, 160, 48);
    assert!(text.contains("500 (40%)"), "step column: {text}");
    assert!(text.contains("step 500 · 40% of 10m00s budget"), "{text}");
    assert!(text.contains("ETA 6m00s"), "the rest of the budget: {text}");
    assert!(text.contains("run #5 sft 500 (40%)"), "status bar: {text}");
    assert!(!text.contains("1000000"), "{text}");
    // Runs bounded by steps keep the step fraction.
    assert!(text.contains("200/200"), "{text}");
}

#[test]
fn dead_pid_shows_as_dead() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 4);
    let text = render(&s, 80, 24);
    assert!(text.contains("dead"), "{text}");
    assert!(
        text.contains(&format!("its process {DEAD_PID} is gone")),
        "{text}"
    );
    snap("runs_dead", &s);
    // Stopping a dead run says so instead of signalling.
    let fx = update(&mut s, key('x'));
    assert!(fx.is_empty());
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.error && m.text.contains("dead")));
}

#[test]
fn empty_workspace_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ws.db")).unwrap();
    let (mut rt, _rx) = Runtime::new(store);
    let mut s = State::new("test.db", Theme::default(), Keymap::default());
    rt.start(&mut s);
    rt.dispatch(&mut s, key('4'));
    snap("runs_empty", &s);
}

#[test]
fn chart_keys_change_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 2);
    assert_eq!(s.runs.view().title, "loss");
    rt.dispatch(&mut s, key('c'));
    assert_eq!(s.runs.view().title, "rewards/margins");
    rt.dispatch(&mut s, key('c'));
    rt.dispatch(&mut s, key('c'));
    assert_eq!(s.runs.view().title, "rewards: chosen vs rejected");
    let key_chosen = SeriesKey {
        run: 2,
        name: "rewards/chosen".into(),
    };
    assert_eq!(s.runs.series[&key_chosen].raw.len(), 60, "read when chosen");
    let text = render(&s, 160, 48);
    assert!(text.contains("rewards/chosen") && text.contains("rewards/rejected"));
    rt.dispatch(&mut s, key('C'));
    assert_eq!(s.runs.view().title, "rewards/accuracies");

    assert!(!s.runs.smooth);
    rt.dispatch(&mut s, key('s'));
    assert!(s.runs.smooth);
    assert_eq!(s.runs.alpha(), 0.6);
    rt.dispatch(&mut s, key('+'));
    assert_eq!(s.runs.alpha(), 0.8);
    rt.dispatch(&mut s, key('-'));
    rt.dispatch(&mut s, key('-'));
    assert_eq!(s.runs.alpha(), 0.3);
    rt.dispatch(&mut s, key('s'));
    assert_eq!(s.runs.alpha(), 0.0);

    rt.dispatch(&mut s, key('l'));
    assert!(s.runs.log);
    assert!(render(&s, 80, 24).contains("· log"));

    // Zoom: run 2 has 100 steps, so only "last 100" is narrower than the whole run... which
    // equals it; a 200-step run offers last 100.
    rt.dispatch(&mut s, key('z'));
    assert_eq!(s.runs.zoom, None);
    select(&mut rt, &mut s, 1);
    rt.dispatch(&mut s, key('z'));
    assert_eq!(s.runs.zoom, Some(100.0));
    assert!(render(&s, 80, 24).contains("last 100 steps"));
    rt.dispatch(&mut s, key('z'));
    assert_eq!(s.runs.zoom, None);

    rt.dispatch(&mut s, key(' '));
    assert!(s.runs.overlay.contains(&1));
    rt.dispatch(&mut s, code(KeyCode::Esc));
    assert!(s.runs.overlay.is_empty());
}

#[test]
fn stop_and_eval_ask_for_processes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 2);
    let fx = update(&mut s, key('x'));
    assert_eq!(
        fx,
        vec![Effect::Runs(Request::Stop {
            run: 2,
            pid: i64::from(std::process::id())
        })]
    );
    // `v` asks for the split and a limit; enter starts the evaluation.
    let fx = update(&mut s, key('v'));
    assert!(fx.is_empty());
    assert_eq!(s.runs.eval_form.as_ref().unwrap().split.text, "dev");
    snap("runs_eval_prompt", &s);
    rt.dispatch(&mut s, code(KeyCode::Tab));
    for c in "25".chars() {
        rt.dispatch(&mut s, key(c));
    }
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Runs(Request::Eval {
            run: 2,
            checkpoint: "/work/ws/checkpoints/dpo-20261125-101000-12/step-000050".into(),
            split: "dev".into(),
            limit: Some(25),
        })]
    );
    assert!(s.runs.eval_form.is_none());
    // A bad limit stays in the prompt with its error.
    update(&mut s, key('v'));
    assert_eq!(
        s.runs.eval_form.as_ref().unwrap().limit.text,
        "25",
        "values kept"
    );
    rt.dispatch(&mut s, code(KeyCode::Tab));
    rt.dispatch(&mut s, key('x'));
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let f = s.runs.eval_form.as_ref().unwrap();
    assert!(f.error.as_ref().unwrap().contains("limit"));
    rt.dispatch(&mut s, code(KeyCode::Esc));
    assert!(s.runs.eval_form.is_none());
    select(&mut rt, &mut s, 3);
    let fx = update(&mut s, key('x'));
    assert!(fx.is_empty(), "a failed run is not stopped");
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("not running")));
    let fx = update(&mut s, key('v'));
    assert!(fx.is_empty(), "no checkpoint to evaluate");
}

/// An evaluation another process runs shows its progress in the Evaluation panel; `v` on that
/// run is refused while it runs, and `V` interrupts it.
#[test]
fn a_running_evaluation_shows_its_progress_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    let store = Store::open(&dir.path().join("ws.db")).unwrap();
    let job = store
        .create_exclusive_job(
            "eval",
            "/work/ws/checkpoints/sft-20261125-100000-11/step-000200",
            Some(1),
            120,
            "on dev: generating 0/120",
            &|_| true,
        )
        .unwrap();
    store
        .update_job(job, 48, 120, "on dev: generating 48/120")
        .unwrap();
    rt.dispatch(&mut s, Action::Tick);
    select(&mut rt, &mut s, 1);
    let j = s
        .runs
        .evaluation_of(1)
        .expect("the poll brings the running evaluation");
    assert_eq!((j.done, j.total), (48, 120));
    let screen = render(&s, 160, 48);
    assert!(
        screen.contains("evaluating on dev: generating 48/120: 40.0%"),
        "{screen}"
    );
    let fx = update(&mut s, key('v'));
    assert!(fx.is_empty() && s.runs.eval_form.is_none());
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("being evaluated (48/120)")));
    let fx = update(&mut s, key('V'));
    assert_eq!(
        fx,
        vec![Effect::Runs(Request::CancelEval {
            run: 1,
            pid: i64::from(std::process::id())
        })]
    );
    // Finished, it leaves the panel and `v` opens the prompt again.
    store
        .finish_job(job, crate::store::JobStatus::Cancelled, "cancelled")
        .unwrap();
    rt.dispatch(&mut s, Action::Tick);
    assert!(s.runs.evaluation_of(1).is_none());
    update(&mut s, key('v'));
    assert!(s.runs.eval_form.is_some());
    // Run 2 has no evaluation running: `V` says so.
    rt.dispatch(&mut s, code(KeyCode::Esc));
    select(&mut rt, &mut s, 2);
    assert!(update(&mut s, key('V')).is_empty());
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("no evaluation running")));
}

#[test]
fn new_run_form_counts_validates_and_starts_train() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 1);
    rt.dispatch(&mut s, key('n'));
    let form = s.runs.form.as_ref().unwrap();
    assert_eq!(form.count, Some(Ok(0)), "no examples in this workspace");
    snap("runs_form", &s);
    // Keys go to the form, not to the screen: `x` is typed, not "stop".
    update(&mut s, code(KeyCode::Tab)); // from
    update(&mut s, code(KeyCode::Tab)); // split
    let fx = update(&mut s, key('x'));
    assert_eq!(s.runs.form.as_ref().unwrap().split.text, "trainx");
    assert!(
        matches!(&fx[..], [Effect::Runs(Request::Count(f))] if f.split.as_deref() == Some("trainx"))
    );
    // Enter with nothing selected: an error in the form, no process.
    rt.dispatch(&mut s, code(KeyCode::Backspace));
    rt.dispatch(&mut s, code(KeyCode::Enter));
    let form = s.runs.form.as_ref().unwrap();
    assert!(form.error.as_ref().unwrap().contains("selects nothing"));
    // Kind → DPO starts from the selected run's checkpoint.
    update(&mut s, code(KeyCode::Up));
    update(&mut s, code(KeyCode::Up));
    update(&mut s, code(KeyCode::Right));
    let form = s.runs.form.as_ref().unwrap();
    assert!(form.dpo);
    assert_eq!(
        form.from.text,
        "/work/ws/checkpoints/sft-20261125-100000-11/step-000200"
    );
    assert_eq!(form.lr.text, "5e-5");
    // A form that validates becomes a `sense train` process.
    let mut f = crate::tui::screens::runs::RunForm::new(false, "");
    f.count = Some(Ok(10));
    s.runs.form = Some(f);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(s.runs.form.is_none());
    match &fx[..] {
        [Effect::Runs(Request::Train(args))] => {
            assert_eq!(args[0], "sft");
            assert!(args.windows(2).any(|w| w == ["--steps", "200"]));
        }
        other => panic!("{other:?}"),
    }
    rt.dispatch(&mut s, key('n'));
    rt.dispatch(&mut s, code(KeyCode::Esc));
    assert!(s.runs.form.is_none());
}

#[test]
fn ticks_read_only_new_points() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 2);
    let k = SeriesKey {
        run: 2,
        name: "loss".into(),
    };
    assert_eq!(s.runs.series[&k].raw.len(), 60);
    let fx = update(&mut s, Action::Tick);
    let poll = fx
        .iter()
        .find_map(|e| match e {
            Effect::Runs(Request::Poll(p)) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert!(poll.series.contains(&(k.clone(), 60)), "{poll:?}");
    rt.store().log_metrics(2, 61, &[(61, "loss", 0.3)]).unwrap();
    let gen = s.runs.generation;
    rt.dispatch(&mut s, Action::Tick);
    assert!(s.runs.generation > gen);
    assert_eq!(s.runs.series[&k].raw.len(), 61);
    assert_eq!(s.runs.series[&k].raw.last(), Some(&(61.0, 0.3)));
    assert_eq!(s.runs.selected().unwrap().run.step, 61);
    // Elsewhere the tick reads nothing of runs.
    rt.dispatch(&mut s, key('1'));
    let fx = update(&mut s, Action::Tick);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Runs(_))));
}

#[test]
fn help_lists_the_runs_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    rt.dispatch(&mut s, key('?'));
    let text = render(&s, 160, 48);
    for help in [
        "start a run (form)",
        "stop run, save checkpoint",
        "EMA smoothing on/off",
        "overlay run on the chart",
        "zoom: whole run / last N",
    ] {
        assert!(text.contains(help), "{help}: {text}");
    }
    snap("runs_help", &s);
}

#[test]
fn overlaid_runs_take_distinct_theme_colours() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = open(dir.path());
    select(&mut rt, &mut s, 1);
    rt.dispatch(&mut s, key(' '));
    select(&mut rt, &mut s, 3);
    let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
    t.draw(|f| view::render(f, &s)).unwrap();
    let buf = t.backend().buffer();
    let series = &s.theme.chart_series;
    for c in &series[..2] {
        let n = buf
            .content()
            .iter()
            .filter(|cell| {
                cell.fg == *c
                    && ('\u{2801}'..='\u{28FF}')
                        .contains(&cell.symbol().chars().next().unwrap_or(' '))
            })
            .count();
        assert!(n > 10, "a curve drawn in {c:?}: {n} cells");
    }
    assert_ne!(series[0], series[1]);
}

#[test]
fn the_selected_run_stays_readable_in_every_theme() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, _) = open(dir.path());
    let ids: Vec<i64> = rt.store().runs().unwrap().iter().map(|r| r.id).collect();
    // A stopped run: its status colour is the high-contrast selection background.
    rt.store()
        .finish_run(ids[0], crate::store::RunStatus::Stopped, "stopped")
        .unwrap();
    drop(rt);
    let (mut rt, mut s) = open(dir.path());
    for (name, id) in ["dark", "light", "high-contrast"]
        .into_iter()
        .flat_map(|n| ids.iter().map(move |id| (n, *id)))
    {
        select(&mut rt, &mut s, id);
        s.theme = Theme::load(name).unwrap();
        let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
        t.draw(|f| view::render(f, &s)).unwrap();
        let buf = t.backend().buffer();
        // Every cell of the selected row: its text colour differs from its background.
        let sel_bg = s.theme.selected().bg;
        let mut checked = 0;
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let c = &buf[(x, y)];
                if c.bg == sel_bg.unwrap() && c.symbol().trim() != "" {
                    assert_ne!(
                        c.fg,
                        c.bg,
                        "{name}: '{}' at {x},{y} is unreadable",
                        c.symbol()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 5, "{name}: the selected row was found");
    }
}

#[test]
fn a_long_run_header_is_cut_with_an_ellipsis_at_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, mut s) = open(dir.path());
    let id = rt.store().runs().unwrap()[0].id;
    rt.store()
        .finish_run(
            id,
            crate::store::RunStatus::Stopped,
            "stopped by the user after step 13, checkpoint saved in a folder with a long name",
        )
        .unwrap();
    let (mut rt, mut s2) = open(dir.path());
    select(&mut rt, &mut s2, id);
    let out = render(&s2, 80, 24);
    let line = out
        .lines()
        .find(|l| l.contains("stopped by"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.trim_end_matches(['"', ' ']).ends_with('…'), "{line}");
    let _ = &mut s;
}
