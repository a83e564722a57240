//! Runs: the training runs of the workspace (also those started from the CLI), followed live by
//! re-reading the store on the tick, only new metric points each time; live charts of the
//! selected run (and of runs overlaid with space); its evaluations against its parent's; a form
//! (`n`) that starts `sense train` as a detached process; `x` stops a run, `v` evaluates it.
//!
//! One concern per file: the state and its update here; `series` (the metric cache),
//! `table` (the list of runs), `charts`, `evals` (decoded breakdowns and their panel), `form`
//! (the new-run form), `log` (the log pane) and `view` (the layout).

mod charts;
mod eval_form;
mod evals;
mod form;
mod log;
mod series;
mod table;
mod view;

pub use charts::{views, MetricView};
pub use eval_form::EvalForm;
pub use evals::{Eval, Tally};
pub use form::{on_form_key, short_number, size_label, sizes, Field, RunForm};
pub use series::{Series, SMOOTHING};
pub use table::duration_text;
pub use view::render;

use crate::store::{Activity, JobRow, RunStatus};
use crate::tui::ctx::Ctx;
use crate::tui::keymap::Cmd;
use crate::tui::msg::Effect;
use crate::tui::runs_jobs::{Poll, Polled, Reply, Request, RunInfo, SeriesKey};
use crate::tui::widgets::move_cursor;
use form::open_form;
use std::collections::{BTreeSet, HashMap};
use table::status_text;

/// Zoom windows (last N steps) `z` steps through before going back to the whole run.
const ZOOMS: &[f64] = &[10_000.0, 1_000.0, 100.0];

/// State of the Runs screen.
#[derive(Debug, Clone, Default)]
pub struct RunsState {
    pub loaded: bool,
    /// Newest first.
    pub runs: Vec<RunInfo>,
    pub cursor: usize,
    /// Evaluations as last read, their breakdowns decoded.
    pub evals: Vec<Eval>,
    /// When the store was last read (Unix seconds).
    pub now: i64,
    pub names: HashMap<i64, Vec<String>>,
    pub series: HashMap<SeriesKey, Series>,
    /// Title of the chosen metric view.
    pub metric: String,
    pub smooth: bool,
    /// Index into `SMOOTHING`.
    pub strength: usize,
    pub log: bool,
    pub zoom: Option<f64>,
    pub overlay: BTreeSet<i64>,
    pub show_evals: bool,
    pub form: Option<RunForm>,
    /// The checkpoint a DPO run in the form starts from by default.
    pub form_from: String,
    /// The form as last closed (this session): `n` opens it again with these values.
    pub last_form: Option<RunForm>,
    /// Set when the form started a run: the first run newer than this id gets selected.
    pub select_newer_than: Option<i64>,
    /// The log pane replaces the chart (`L`).
    pub show_log: bool,
    /// The selected run's log tail as last read: (run, lines or why none).
    pub log_tail: Option<(i64, Result<Vec<String>, String>)>,
    /// The `v` prompt (split, limit) for the selected run's checkpoint.
    pub eval_form: Option<EvalForm>,
    /// Its split and limit as last used this session.
    pub last_eval: Option<(String, String)>,
    /// Evaluations under way (live `eval` jobs), as last read.
    pub evaluating: Vec<JobRow>,
    /// Bumped whenever the store brought something new (the event loop redraws on it).
    pub generation: u64,
}

impl RunsState {
    pub fn selected(&self) -> Option<&RunInfo> {
        self.runs.get(self.cursor)
    }
    pub fn alpha(&self) -> f64 {
        if self.smooth {
            SMOOTHING[self.strength.min(SMOOTHING.len() - 1)]
        } else {
            0.0
        }
    }
    /// The chart choices of the selected run.
    pub fn views(&self) -> Vec<MetricView> {
        let names = self
            .selected()
            .and_then(|r| self.names.get(&r.run.id))
            .cloned()
            .unwrap_or_default();
        views(&names)
    }
    /// The chosen view for the selected run (the first when it lacks the chosen one).
    pub fn view(&self) -> MetricView {
        let v = self.views();
        v.iter()
            .find(|m| m.title == self.metric)
            .or(v.first())
            .cloned()
            .unwrap_or(MetricView {
                title: "loss".into(),
                names: vec!["loss".into()],
            })
    }
    /// Runs drawn on the chart: the selected one, then the overlaid ones.
    pub fn charted(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self.selected().map(|r| r.run.id).into_iter().collect();
        for id in &self.overlay {
            if !v.contains(id) && self.runs.iter().any(|r| r.run.id == *id) {
                v.push(*id);
            }
        }
        v
    }
    fn run(&self, id: i64) -> Option<&RunInfo> {
        self.runs.iter().find(|r| r.run.id == id)
    }
    /// The evaluation under way for run `id`, if any.
    pub fn evaluation_of(&self, id: i64) -> Option<&JobRow> {
        self.evaluating.iter().find(|j| j.run_id == Some(id))
    }
    /// Whether a form or prompt takes the keys.
    pub fn has_overlay(&self) -> bool {
        self.form.is_some() || self.eval_form.is_some()
    }
}

/// Keys while the new-run form or the evaluation prompt is open.
pub fn on_overlay_key(r: &mut RunsState, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    if r.eval_form.is_some() {
        eval_form::on_key(r, key)
    } else {
        on_form_key(r, key)
    }
}

fn poll_effect(r: &RunsState) -> Effect {
    let view = r.view();
    let mut p = Poll {
        log: r.show_log.then(|| r.selected().map(|x| x.run.id)).flatten(),
        ..Poll::default()
    };
    for id in r.charted() {
        let live = r
            .run(id)
            .is_some_and(|x| x.run.status == RunStatus::Running);
        if live || !r.names.contains_key(&id) {
            p.names.push(id);
        }
        for name in &view.names {
            let key = SeriesKey {
                run: id,
                name: name.clone(),
            };
            let after = r.series.get(&key).map(|x| x.last_step).unwrap_or(i64::MIN);
            p.series.push((key, after));
        }
    }
    Effect::Runs(Request::Poll(p))
}

pub fn on_enter(r: &RunsState) -> Vec<Effect> {
    vec![poll_effect(r)]
}

/// Each tick on this screen: read what is new.
pub fn on_tick(r: &RunsState) -> Vec<Effect> {
    vec![poll_effect(r)]
}

/// Smoothed copies for what the chart shows now.
fn prepare(r: &mut RunsState) {
    let alpha = r.alpha();
    let view = r.view();
    for id in r.charted() {
        for name in &view.names {
            if let Some(x) = r.series.get_mut(&SeriesKey {
                run: id,
                name: name.clone(),
            }) {
                x.smooth_with(alpha);
            }
        }
    }
}

fn apply(r: &mut RunsState, p: Polled) {
    let selected = r.selected().map(|x| x.run.id);
    let mut runs = p.runs;
    runs.reverse();
    r.runs = runs;
    if let Some(id) = selected {
        if let Some(i) = r.runs.iter().position(|x| x.run.id == id) {
            r.cursor = i;
        }
    }
    if let Some(after) = r.select_newer_than {
        // Newest first: the first newer run is the one the form started.
        if let Some(i) = r.runs.iter().position(|x| x.run.id > after) {
            r.cursor = i;
            r.select_newer_than = None;
        }
    }
    r.cursor = r.cursor.min(r.runs.len().saturating_sub(1));
    r.evals = p.evals.into_iter().map(Eval::decode).collect();
    r.evaluating = p.evaluating;
    if p.log.is_some() {
        r.log_tail = p.log;
    }
    r.now = p.now;
    for (id, names) in p.names {
        r.names.insert(id, names);
    }
    for (key, pts) in p.points {
        r.series.entry(key).or_default().append(&pts);
    }
    r.loaded = true;
    r.generation += 1;
    prepare(r);
}

/// The status bar's runs follow the screen's fresher read (called by the app after a poll): a
/// run that stopped, ended or died since the bar's last refresh no longer shows as running,
/// and a live one shows its new step.
pub fn sync_activity(r: &RunsState, activity: &mut Vec<Activity>) {
    let runs = &r.runs;
    activity.retain_mut(|a| {
        if a.what != "run" {
            return true;
        }
        match runs.iter().find(|x| x.run.id == a.id) {
            Some(x) if x.run.status == RunStatus::Running && !x.dead() => {
                a.done = x.run.step;
                a.total = x.run.total_steps;
                true
            }
            _ => false,
        }
    });
}

/// The status bar's progress of run `id` when its time budget ends it: "500 (40%)", the share
/// of the budget; `None` for a run bounded by its steps (the bar shows `step/total`).
pub fn budget_progress(r: &RunsState, id: i64) -> Option<String> {
    let x = r.runs.iter().find(|x| x.run.id == id)?;
    table::time_fraction(x, r.now).map(|_| table::step_text(x, r.now))
}

pub fn on_loaded(r: &mut RunsState, cx: &mut Ctx, reply: Reply) -> Vec<Effect> {
    match reply {
        Reply::Polled(p) => {
            let before = r.selected().map(|x| x.run.id);
            let names_before = r.view();
            apply(r, *p);
            // A first poll (or new metric names) may ask for series it did not know of.
            if before != r.selected().map(|x| x.run.id) || names_before != r.view() {
                return vec![poll_effect(r)];
            }
            Vec::new()
        }
        Reply::Spawned(Ok(m)) => {
            cx.info(m);
            // A started eval or run, or a stop, changes what the status bar lists.
            vec![poll_effect(r), Effect::LoadActivity]
        }
        Reply::Spawned(Err(e)) => {
            r.select_newer_than = None;
            cx.error(e);
            Vec::new()
        }
        Reply::Count(f, n) => {
            if let Some(form) = r.form.as_mut() {
                if form.filter() == f {
                    form.count = Some(n);
                }
            }
            Vec::new()
        }
    }
}

/// The checkpoint to start a DPO run from by default: the selected run's, else the newest
/// finished SFT run's.
fn default_from(r: &RunsState) -> String {
    r.selected()
        .and_then(|x| x.run.checkpoint.clone())
        .or_else(|| {
            r.runs
                .iter()
                .find(|x| x.run.kind == "sft" && x.run.checkpoint.is_some())
                .and_then(|x| x.run.checkpoint.clone())
        })
        .unwrap_or_default()
}

pub fn on_cmd(r: &mut RunsState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            if move_cursor(&mut r.cursor, r.runs.len(), cmd, cx.page) {
                prepare(r);
                return vec![poll_effect(r)];
            }
            Vec::new()
        }
        Cmd::NextMetric | Cmd::PrevMetric => {
            let v = r.views();
            if v.is_empty() {
                return Vec::new();
            }
            let i = v
                .iter()
                .position(|m| m.title == r.view().title)
                .unwrap_or(0);
            let n = v.len();
            let j = if cmd == Cmd::NextMetric {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            r.metric = v[j].title.clone();
            prepare(r);
            vec![poll_effect(r)]
        }
        Cmd::Smooth => {
            r.smooth = !r.smooth;
            if r.strength == 0 && r.smooth {
                r.strength = 1;
            }
            prepare(r);
            Vec::new()
        }
        Cmd::SmoothMore | Cmd::SmoothLess => {
            r.smooth = true;
            r.strength = if cmd == Cmd::SmoothMore {
                (r.strength + 1).min(SMOOTHING.len() - 1)
            } else {
                r.strength.saturating_sub(1)
            };
            prepare(r);
            Vec::new()
        }
        Cmd::LogScale => {
            r.log = !r.log;
            Vec::new()
        }
        Cmd::Zoom => {
            let last = r
                .selected()
                .map(|x| x.run.step.max(x.run.total_steps) as f64)
                .unwrap_or(0.0);
            let fits: Vec<f64> = ZOOMS.iter().copied().filter(|z| *z < last).collect();
            r.zoom = match r.zoom {
                None => fits.first().copied(),
                Some(z) => fits.iter().copied().find(|x| *x < z),
            };
            let m = match r.zoom {
                Some(z) => format!(
                    "zoom: the last {z} steps ({} again zooms in)",
                    cx.keymap.hint("runs", Cmd::Zoom)
                ),
                None if fits.is_empty() => "zoom: the run is too short to zoom in".to_string(),
                None => "zoom: the whole run".to_string(),
            };
            cx.info(m);
            Vec::new()
        }
        Cmd::Overlay => {
            if let Some(id) = r.selected().map(|x| x.run.id) {
                if !r.overlay.remove(&id) {
                    r.overlay.insert(id);
                }
                prepare(r);
                return vec![poll_effect(r)];
            }
            Vec::new()
        }
        Cmd::ClearOverlay => {
            r.overlay.clear();
            Vec::new()
        }
        Cmd::ShowLog => {
            r.show_log = !r.show_log;
            if r.show_log {
                return vec![poll_effect(r)];
            }
            Vec::new()
        }
        Cmd::ShowEvals => {
            r.show_evals = !r.show_evals;
            // Wide screens show the evaluations beside the chart whatever the toggle says.
            let m = match (r.show_evals, cx.size.0 >= 120) {
                (_, true) => "evaluations are always shown beside the chart at this width",
                (true, false) => "evaluations shown in place of the chart",
                (false, false) => "chart shown (evaluations hidden)",
            };
            cx.info(m);
            Vec::new()
        }
        Cmd::NewRun => {
            // SFT from scratch by default; DPO (toggled in the form) starts from `from`.
            r.form_from = default_from(r);
            open_form(r)
        }
        Cmd::StopRun => match r.selected() {
            Some(x) if x.run.status == RunStatus::Running && !x.dead() => match x.run.pid {
                Some(pid) => vec![Effect::Runs(Request::Stop { run: x.run.id, pid })],
                None => {
                    let m = format!("run #{} has no process id to signal", x.run.id);
                    cx.error(m);
                    Vec::new()
                }
            },
            Some(x) => {
                let m = format!("run #{} is not running ({})", x.run.id, status_text(x));
                cx.error(m);
                Vec::new()
            }
            None => Vec::new(),
        },
        Cmd::EvalRun => {
            let Some(x) = r.selected() else {
                return Vec::new();
            };
            let id = x.run.id;
            if let Some(j) = r.evaluation_of(id) {
                let m = format!(
                    "run #{id} is being evaluated ({}/{}); one evaluation at a time, {} cancels it",
                    j.done,
                    j.total,
                    cx.keymap.hint("runs", Cmd::CancelEval)
                );
                cx.error(m);
                return Vec::new();
            }
            match x.run.checkpoint.clone() {
                Some(c) => {
                    let (split, limit) = r
                        .last_eval
                        .clone()
                        .unwrap_or_else(|| ("dev".into(), String::new()));
                    r.eval_form = Some(EvalForm::new(id, &c, &split, &limit));
                }
                None => cx.error(format!("run #{id} has no checkpoint yet")),
            }
            Vec::new()
        }
        Cmd::CancelEval => {
            let Some(x) = r.selected() else {
                return Vec::new();
            };
            let id = x.run.id;
            match r.evaluation_of(id).and_then(|j| j.pid) {
                Some(pid) => vec![Effect::Runs(Request::CancelEval { run: id, pid })],
                None => {
                    cx.error(format!("run #{id} has no evaluation running"));
                    Vec::new()
                }
            }
        }
        _ => Vec::new(),
    }
}
