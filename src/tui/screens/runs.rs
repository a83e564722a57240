//! Runs: the training runs of the workspace (also those started from the CLI), followed live by
//! re-reading the store on the tick, only new metric points each time; live charts of the
//! selected run (and of runs overlaid with space); its evaluations against its parent's; a form
//! (`n`) that starts `sense train` as a detached process; `x` stops a run, `v` evaluates it.

pub use super::runs_form::{on_form_key, Field, RunForm, SIZES};
use super::runs_form::{open_form, render_form};
use super::{block, render_note};
use crate::series;
use crate::store::{Breakdown, EvalRow, RunStatus};
use crate::tui::keymap::Cmd;
use crate::tui::runs_jobs::{Poll, Polled, Reply, Request, RunInfo, SeriesKey};
use crate::tui::state::{move_cursor, Effect, Loaded, State};
use crate::tui::widgets::chart::{self, Plot};
use crate::tui::widgets::{fit, one_line, scroll_offset};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;
use std::collections::{BTreeSet, HashMap};

/// Series longer than this are drawn from their overview when the whole window is asked for.
const FULL_LIMIT: usize = 50_000;
/// Buckets of a series' overview (min and max each): bounded work per frame, whole run visible.
const OVERVIEW: usize = 2048;
/// EMA strengths `+`/`-` step through.
pub const SMOOTHING: &[f64] = &[0.3, 0.6, 0.8, 0.9, 0.95, 0.99];
/// Zoom windows (last N steps) `z` steps through before going back to the whole run.
const ZOOMS: &[f64] = &[10_000.0, 1_000.0, 100.0];

/// One metric of one run, as cached by the screen: finite points at full resolution, an
/// overview for long runs, and the smoothed copy for the current EMA strength.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub raw: Vec<(f64, f64)>,
    /// Non-finite values read (dropped from `raw`).
    pub dropped: usize,
    /// Last step read from the store (the next poll asks for points after it).
    pub last_step: i64,
    overview: Vec<(f64, f64)>,
    smooth: Vec<(f64, f64)>,
    smooth_overview: Vec<(f64, f64)>,
    smooth_alpha: f64,
}

impl Series {
    /// Appends points read from the store (in step order).
    pub fn append(&mut self, points: &[(f64, f64)]) {
        if let Some(last) = points.last() {
            self.last_step = self.last_step.max(last.0 as i64);
        }
        let (kept, dropped) = series::finite(points);
        self.dropped += dropped;
        self.raw.extend(kept);
        self.overview = if self.raw.len() > FULL_LIMIT {
            series::decimate(&self.raw, OVERVIEW)
        } else {
            Vec::new()
        };
        self.smooth_alpha = -1.0;
    }

    /// Makes the smoothed copy match `alpha` (0 = none); O(points) only when it changed.
    pub fn smooth_with(&mut self, alpha: f64) {
        if self.smooth_alpha == alpha {
            return;
        }
        self.smooth_alpha = alpha;
        if alpha <= 0.0 {
            self.smooth = Vec::new();
            self.smooth_overview = Vec::new();
            return;
        }
        self.smooth = series::ema(&self.raw, alpha);
        self.smooth_overview = if self.smooth.len() > FULL_LIMIT {
            series::decimate(&self.smooth, OVERVIEW)
        } else {
            Vec::new()
        };
    }

    /// The points to draw: the zoom window at full resolution, or of the overview when the
    /// window is too long to walk every frame.
    pub fn window(&self, smoothed: bool, zoom: Option<f64>) -> &[(f64, f64)] {
        let (full, over) = if smoothed && !self.smooth.is_empty() {
            (&self.smooth, &self.smooth_overview)
        } else {
            (&self.raw, &self.overview)
        };
        let w = series::last_steps(full, zoom);
        if w.len() <= FULL_LIMIT || over.is_empty() {
            w
        } else {
            series::last_steps(over, zoom)
        }
    }
}

/// A chart choice: a title and the metric names drawn together.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricView {
    pub title: String,
    pub names: Vec<String>,
}

/// Known metrics in the order the chart offers them; several names share one chart.
const KNOWN: &[(&str, &[&str])] = &[
    ("loss", &["loss", "eval_loss", "eval/loss"]),
    ("rewards/margins", &["rewards/margins"]),
    ("rewards/accuracies", &["rewards/accuracies"]),
    (
        "rewards: chosen vs rejected",
        &["rewards/chosen", "rewards/rejected"],
    ),
    (
        "logps: chosen vs rejected",
        &["logps/chosen", "logps/rejected"],
    ),
    ("learning rate", &["learning_rate", "lr"]),
    ("tokens/s", &["tokens_per_s"]),
    ("grad norm", &["grad_norm"]),
];

/// The charts a run offers, from the metric names it logged (loss first even before any).
pub fn views(names: &[String]) -> Vec<MetricView> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for (title, group) in KNOWN {
        let present: Vec<String> = group
            .iter()
            .filter(|n| names.iter().any(|m| m == *n))
            .map(|n| n.to_string())
            .collect();
        used.extend(group.iter().map(|n| n.to_string()));
        if !present.is_empty() || *title == "loss" {
            out.push(MetricView {
                title: title.to_string(),
                names: if present.is_empty() {
                    vec!["loss".into()]
                } else {
                    present
                },
            });
        }
    }
    for n in names {
        if !used.contains(n) {
            out.push(MetricView {
                title: n.clone(),
                names: vec![n.clone()],
            });
        }
    }
    out
}

/// State of the Runs screen.
#[derive(Debug, Clone, Default)]
pub struct RunsState {
    pub loaded: bool,
    /// Newest first.
    pub runs: Vec<RunInfo>,
    pub cursor: usize,
    pub evals: Vec<EvalRow>,
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
}

fn poll_effect(s: &State) -> Effect {
    let r = &s.runs;
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

pub fn on_enter(s: &mut State) -> Vec<Effect> {
    vec![poll_effect(s)]
}

/// Each tick on this screen: read what is new.
pub fn on_tick(s: &mut State) -> Vec<Effect> {
    if s.screen == crate::tui::state::Screen::Runs {
        vec![poll_effect(s)]
    } else {
        Vec::new()
    }
}

/// Smoothed copies for what the chart shows now.
fn prepare(s: &mut State) {
    let alpha = s.runs.alpha();
    let view = s.runs.view();
    for id in s.runs.charted() {
        for name in &view.names {
            if let Some(x) = s.runs.series.get_mut(&SeriesKey {
                run: id,
                name: name.clone(),
            }) {
                x.smooth_with(alpha);
            }
        }
    }
}

fn apply(s: &mut State, p: Polled) {
    let r = &mut s.runs;
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
    r.evals = p.evals;
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
    sync_activity(s);
    prepare(s);
}

/// The status bar's runs follow this fresher read: a run that stopped, ended or died since
/// the bar's last refresh no longer shows as running, and a live one shows its new step.
fn sync_activity(s: &mut State) {
    let runs = &s.runs.runs;
    s.activity.retain_mut(|a| {
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

pub fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    let Loaded::Runs(reply) = l else {
        return Vec::new();
    };
    match reply {
        Reply::Polled(p) => {
            let before = s.runs.selected().map(|r| r.run.id);
            let names_before = s.runs.view();
            apply(s, *p);
            // A first poll (or new metric names) may ask for series it did not know of.
            if before != s.runs.selected().map(|r| r.run.id) || names_before != s.runs.view() {
                return vec![poll_effect(s)];
            }
            Vec::new()
        }
        Reply::Spawned(Ok(m)) => {
            s.info(m);
            // A started eval or run, or a stop, changes what the status bar lists.
            vec![poll_effect(s), Effect::LoadActivity]
        }
        Reply::Spawned(Err(e)) => {
            s.runs.select_newer_than = None;
            s.error(e);
            Vec::new()
        }
        Reply::Count(f, n) => {
            if let Some(form) = s.runs.form.as_mut() {
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
fn default_from(s: &State) -> String {
    let r = &s.runs;
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

pub fn on_cmd(s: &mut State, cmd: Cmd) -> Vec<Effect> {
    let page = s.page();
    let r = &mut s.runs;
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            if move_cursor(&mut r.cursor, r.runs.len(), cmd, page) {
                prepare(s);
                return vec![poll_effect(s)];
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
            prepare(s);
            vec![poll_effect(s)]
        }
        Cmd::Smooth => {
            r.smooth = !r.smooth;
            if r.strength == 0 && r.smooth {
                r.strength = 1;
            }
            prepare(s);
            Vec::new()
        }
        Cmd::SmoothMore | Cmd::SmoothLess => {
            r.smooth = true;
            r.strength = if cmd == Cmd::SmoothMore {
                (r.strength + 1).min(SMOOTHING.len() - 1)
            } else {
                r.strength.saturating_sub(1)
            };
            prepare(s);
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
                    s.keymap.hint("runs", Cmd::Zoom)
                ),
                None if fits.is_empty() => "zoom: the run is too short to zoom in".to_string(),
                None => "zoom: the whole run".to_string(),
            };
            s.info(m);
            Vec::new()
        }
        Cmd::Overlay => {
            if let Some(id) = r.selected().map(|x| x.run.id) {
                if !r.overlay.remove(&id) {
                    r.overlay.insert(id);
                }
                prepare(s);
                return vec![poll_effect(s)];
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
                return vec![poll_effect(s)];
            }
            Vec::new()
        }
        Cmd::ShowEvals => {
            r.show_evals = !r.show_evals;
            // Wide screens show the evaluations beside the chart whatever the toggle says.
            let m = match (r.show_evals, s.size.0 >= 120) {
                (_, true) => "evaluations are always shown beside the chart at this width",
                (true, false) => "evaluations shown in place of the chart",
                (false, false) => "chart shown (evaluations hidden)",
            };
            s.info(m);
            Vec::new()
        }
        Cmd::NewRun => {
            // SFT from scratch by default; DPO (toggled in the form) starts from `from`.
            s.runs.form_from = default_from(s);
            open_form(s)
        }
        Cmd::StopRun => match r.selected() {
            Some(x) if x.run.status == RunStatus::Running && !x.dead() => match x.run.pid {
                Some(pid) => vec![Effect::Runs(Request::Stop { run: x.run.id, pid })],
                None => {
                    let m = format!("run #{} has no process id to signal", x.run.id);
                    s.error(m);
                    Vec::new()
                }
            },
            Some(x) => {
                let m = format!("run #{} is not running ({})", x.run.id, status_text(x));
                s.error(m);
                Vec::new()
            }
            None => Vec::new(),
        },
        Cmd::EvalRun => match r.selected() {
            Some(x) => match &x.run.checkpoint {
                Some(c) => vec![Effect::Runs(Request::Eval {
                    run: x.run.id,
                    checkpoint: c.clone(),
                })],
                None => {
                    let m = format!("run #{} has no checkpoint yet", x.run.id);
                    s.error(m);
                    Vec::new()
                }
            },
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

// ---- view ----------------------------------------------------------------------------

fn status_text(r: &RunInfo) -> String {
    if r.dead() {
        "dead".into()
    } else {
        r.run.status.as_str().into()
    }
}

fn parse_time(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp())
}

/// "1h02m", "3m05s", "12s".
pub fn duration_text(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

fn elapsed(r: &RunInfo, now: i64) -> Option<i64> {
    let start = parse_time(&r.run.started_at)?;
    let end = match &r.run.ended_at {
        Some(e) => parse_time(e)?,
        None if r.run.status == RunStatus::Running && !r.dead() => now,
        None => return None,
    };
    Some(end - start)
}

/// Seconds left at the average pace so far.
fn eta(r: &RunInfo, now: i64) -> Option<i64> {
    if r.run.status != RunStatus::Running || r.dead() || r.run.step <= 0 {
        return None;
    }
    let e = elapsed(r, now)? as f64;
    let left = (r.run.total_steps - r.run.step).max(0) as f64;
    Some((e / r.run.step as f64 * left).round() as i64)
}

/// A checkpoint path as the list shows it: its run folder and step folder.
fn short_path(p: &str) -> String {
    let parts: Vec<&str> = p.rsplit('/').take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// The run whose checkpoint `parent` is (or lies in the same run folder as).
fn parent_run<'a>(runs: &'a [RunInfo], parent: &str) -> Option<&'a RunInfo> {
    let pp = std::path::Path::new(parent);
    runs.iter().find(|r| {
        r.run.checkpoint.as_deref().is_some_and(|c| {
            let c = std::path::Path::new(c);
            c == pp || c.parent() == Some(pp) || (c.parent().is_some() && c.parent() == pp.parent())
        })
    })
}

fn parent_text(runs: &[RunInfo], r: &RunInfo) -> String {
    match &r.run.parent {
        None => "scratch".into(),
        Some(p) => match parent_run(runs, p) {
            Some(x) => format!("#{} {}", x.run.id, x.run.kind),
            None => short_path(p),
        },
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn value_text(v: f64) -> String {
    series::label(v)
}

fn status_style(r: &RunInfo, t: &crate::tui::theme::Theme) -> ratatui::style::Style {
    if r.dead() {
        return t.error();
    }
    match r.run.status {
        RunStatus::Running => t.accent(),
        RunStatus::Done => t.ok(),
        RunStatus::Failed => t.error(),
        RunStatus::Stopped => t.warning(),
    }
}

fn render_list(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let r = &s.runs;
    let b = block(format!("Runs · {}", r.runs.len()), true, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height.saturating_sub(1) as usize;
    let off = scroll_offset(r.cursor, r.runs.len(), h);
    let wide = inner.width >= 110;
    let header = if wide {
        vec![
            "", "run", "kind", "from", "status", "step", "loss", "best EX", "started", "duration",
        ]
    } else {
        vec![
            "", "run", "kind", "from", "status", "step", "loss", "EX", "time",
        ]
    };
    let rows: Vec<Row> = r
        .runs
        .iter()
        .enumerate()
        .skip(off)
        .take(h)
        .map(|(i, x)| {
            let mark = if r.overlay.contains(&x.run.id) {
                "●"
            } else {
                " "
            };
            let step = format!("{}/{}", x.run.step, x.run.total_steps);
            let loss = x.loss.map(value_text).unwrap_or_else(|| "–".into());
            let ex = x.best_ex.map(pct).unwrap_or_else(|| "–".into());
            let dur = elapsed(x, r.now)
                .map(duration_text)
                .unwrap_or_else(|| "–".into());
            let started = x
                .run
                .started_at
                .get(5..16)
                .unwrap_or(&x.run.started_at)
                .replace('T', " ");
            let mut cells = vec![
                ratatui::text::Text::raw(mark),
                ratatui::text::Text::raw(format!("#{}", x.run.id)),
                ratatui::text::Text::raw(x.run.kind.clone()),
                ratatui::text::Text::raw(parent_text(&r.runs, x)),
                // On the selected row the selection colours win: a status colour can equal
                // the selection background (yellow on yellow in high-contrast).
                if i == r.cursor {
                    ratatui::text::Text::raw(status_text(x))
                } else {
                    ratatui::text::Text::styled(status_text(x), status_style(x, t))
                },
                ratatui::text::Text::raw(step),
                ratatui::text::Text::raw(loss),
                ratatui::text::Text::raw(ex),
            ];
            if wide {
                cells.push(ratatui::text::Text::raw(started));
            }
            cells.push(ratatui::text::Text::raw(dur));
            let row = Row::new(cells);
            if i == r.cursor {
                row.style(t.selected())
            } else {
                row.style(t.text())
            }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(1),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(13),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(11),
            Constraint::Length(8),
        ]
    } else {
        vec![
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Length(4),
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(11),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(7),
        ]
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.title()))
        .column_spacing(1);
    f.render_widget(table, inner);
}

/// "#3 sft · running · step 120/200 (60%) · loss 1.23 · ETA 1m20s"
fn header(s: &State, x: &RunInfo) -> Line<'static> {
    let t = &s.theme;
    let r = &s.runs;
    let mut spans = vec![
        Span::styled(format!("#{} {} ", x.run.id, x.run.kind), t.title()),
        Span::styled(status_text(x), status_style(x, t)),
    ];
    let total = x.run.total_steps.max(1);
    spans.push(Span::styled(
        format!(
            " · step {}/{} ({:.0}%)",
            x.run.step,
            x.run.total_steps,
            100.0 * x.run.step as f64 / total as f64
        ),
        t.text(),
    ));
    if let Some(l) = x.loss {
        spans.push(Span::styled(format!(" · loss {}", value_text(l)), t.text()));
    }
    let tps = r
        .series
        .get(&SeriesKey {
            run: x.run.id,
            name: "tokens_per_s".into(),
        })
        .and_then(|v| v.raw.last());
    if let Some((_, v)) = tps {
        spans.push(Span::styled(format!(" · {:.0} tok/s", v), t.text()));
    }
    if let Some(e) = eta(x, r.now) {
        spans.push(Span::styled(
            format!(" · ETA {}", duration_text(e)),
            t.accent(),
        ));
    }
    if x.dead() {
        spans.push(Span::styled(
            format!(
                " · its process {} is gone",
                x.run.pid.map(|p| p.to_string()).unwrap_or_default()
            ),
            t.error(),
        ));
    } else if !x.run.message.is_empty() && x.run.status != RunStatus::Running {
        spans.push(Span::styled(
            format!(" · {}", one_line(&x.run.message)),
            if x.run.status == RunStatus::Failed {
                t.error()
            } else {
                t.dim()
            },
        ));
    }
    Line::from(spans)
}

fn render_chart(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let r = &s.runs;
    let view = r.view();
    let charted = r.charted();
    let smoothed = r.smooth;
    let mut plots = Vec::new();
    let colors = if t.chart_series.is_empty() {
        vec![t.accent]
    } else {
        t.chart_series.clone()
    };
    let mut k = 0;
    let several = charted.len() > 1;
    for id in &charted {
        for name in &view.names {
            let Some(x) = r.series.get(&SeriesKey {
                run: *id,
                name: name.clone(),
            }) else {
                k += 1;
                continue;
            };
            let color = colors[k % colors.len()];
            let label = match (several, view.names.len() > 1) {
                (true, true) => format!("#{id} {}", name.rsplit('/').next().unwrap_or(name)),
                (true, false) => match r.run(*id) {
                    Some(ri) => format!("#{id} {}", ri.run.kind),
                    None => format!("#{id}"),
                },
                (false, true) => name.clone(),
                (false, false) => String::new(),
            };
            if smoothed && !several {
                // The raw curve dimmed behind its smoothed one.
                plots.push(Plot {
                    label: String::new(),
                    points: x.window(false, r.zoom),
                    color: t.text_dim,
                    dropped: 0,
                });
            }
            plots.push(Plot {
                label,
                points: x.window(smoothed, r.zoom),
                color,
                dropped: x.dropped,
            });
            k += 1;
        }
    }
    let mut title = view.title.clone();
    if smoothed {
        title.push_str(&format!(" · EMA {}", r.alpha()));
    }
    if r.log {
        title.push_str(" · log");
    }
    if let Some(z) = r.zoom {
        title.push_str(&format!(" · last {z} steps"));
    }
    let n = r.views().len();
    let i = r
        .views()
        .iter()
        .position(|m| m.title == view.title)
        .unwrap_or(0);
    title.push_str(&format!(" · {}/{n}", i + 1));
    let b = block(fit(&title, area.width.saturating_sub(4) as usize), false, t);
    chart::render(f, area, b, &plots, r.log, t, "no points logged yet");
}

/// Tally of a per-db / per-difficulty breakdown (decoded by the store): name → (correct, n).
fn tallies(b: &Breakdown) -> Vec<(String, i64, i64)> {
    b.iter()
        .map(|(k, t)| (k.clone(), t.correct as i64, t.n as i64))
        .collect()
}

fn latest_eval<'a>(evals: &'a [EvalRow], run: i64, split: Option<&str>) -> Option<&'a EvalRow> {
    evals
        .iter()
        .rev()
        .find(|e| e.run_id == Some(run) && split.is_none_or(|s| e.split == s))
}

fn delta(now: (i64, i64), before: Option<(i64, i64)>) -> String {
    match before {
        Some((c, n)) if n > 0 && now.1 > 0 => {
            let d = 100.0 * (now.0 as f64 / now.1 as f64 - c as f64 / n as f64);
            format!("{d:+.1}")
        }
        _ => "".into(),
    }
}

fn render_evals(f: &mut Frame, area: Rect, s: &State, x: &RunInfo) {
    let t = &s.theme;
    let r = &s.runs;
    let b = block("Evaluation", false, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(e) = latest_eval(&r.evals, x.run.id, None) else {
        let hint = s.keymap.hint("runs", Cmd::EvalRun);
        f.render_widget(
            Paragraph::new(vec![
                Line::styled("not evaluated yet", t.dim()),
                Line::styled(format!("{hint} evaluates its checkpoint on dev"), t.dim()),
            ]),
            inner,
        );
        return;
    };
    let parent = x
        .run
        .parent
        .as_deref()
        .and_then(|p| parent_run(&r.runs, p))
        .and_then(|p| latest_eval(&r.evals, p.run.id, Some(&e.split)).map(|pe| (p.run.id, pe)));
    let mut rows = vec![Row::new(vec![
        ratatui::text::Text::styled(format!("EX on {}", e.split), t.title()),
        ratatui::text::Text::styled(
            if e.n > 0 {
                pct(e.correct as f64 / e.n as f64)
            } else {
                "–".into()
            },
            t.title(),
        ),
        ratatui::text::Text::styled(format!("{}/{}", e.correct, e.n), t.text()),
        ratatui::text::Text::styled(
            delta((e.correct, e.n), parent.map(|(_, p)| (p.correct, p.n))),
            t.accent(),
        ),
    ])];
    let lookup = |json: Option<&Breakdown>, k: &str| {
        json.and_then(|j| {
            tallies(j)
                .into_iter()
                .find(|(n, _, _)| n == k)
                .map(|(_, c, n)| (c, n))
        })
    };
    for (title, json, pjson) in [
        (
            "difficulty",
            &e.per_difficulty,
            parent.map(|(_, p)| &p.per_difficulty),
        ),
        ("database", &e.per_db, parent.map(|(_, p)| &p.per_db)),
    ] {
        let items = tallies(json);
        if items.is_empty() {
            continue;
        }
        rows.push(Row::new(vec![ratatui::text::Text::styled(
            title.to_string(),
            t.dim(),
        )]));
        for (k, c, n) in items {
            rows.push(Row::new(vec![
                ratatui::text::Text::styled(format!("  {k}"), t.text()),
                ratatui::text::Text::styled(
                    if n > 0 {
                        pct(c as f64 / n as f64)
                    } else {
                        "–".into()
                    },
                    t.text(),
                ),
                ratatui::text::Text::styled(format!("{c}/{n}"), t.dim()),
                ratatui::text::Text::styled(delta((c, n), lookup(pjson, &k)), t.accent()),
            ]));
        }
    }
    let foot = match parent {
        Some((id, _)) => format!("Δ against parent #{id}"),
        None => "no parent evaluation to compare".into(),
    };
    let h = inner.height.saturating_sub(1) as usize;
    rows.truncate(h);
    let cols = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).split(inner);
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(6),
            ],
        )
        .header(Row::new(vec!["", "EX", "correct", "Δ"]).style(t.dim())),
        cols[0],
    );
    f.render_widget(Paragraph::new(Line::styled(foot, t.dim())), cols[1]);
}

fn hints(s: &State) -> Line<'static> {
    let k = &s.keymap;
    let mut spans = Vec::new();
    for (cmd, label) in [
        (Cmd::NewRun, "new"),
        (Cmd::StopRun, "stop"),
        (Cmd::EvalRun, "eval"),
        (Cmd::NextMetric, "metric"),
        (Cmd::Smooth, "smooth"),
        (Cmd::LogScale, "log"),
        (Cmd::Zoom, "zoom"),
        (Cmd::Overlay, "overlay"),
        (Cmd::ShowEvals, "evals"),
        (Cmd::ShowLog, "run log"),
    ] {
        spans.push(Span::styled(k.hint("runs", cmd), s.theme.accent()));
        spans.push(Span::styled(format!(" {label}  "), s.theme.dim()));
    }
    spans.push(Span::styled(k.hint("global", Cmd::Help), s.theme.accent()));
    spans.push(Span::styled(" help", s.theme.dim()));
    Line::from(spans)
}

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let r = &s.runs;
    if r.loaded && r.runs.is_empty() {
        let n = s.keymap.hint("runs", Cmd::NewRun);
        render_note(
            f,
            area,
            vec![
                Line::styled("No training runs yet", t.title()),
                Line::raw(""),
                Line::styled(
                    format!("{n} starts one here (SFT on the workspace's examples);"),
                    t.text(),
                ),
                Line::styled(
                    "runs started from the CLI (`sense train sft`) appear as they go.",
                    t.text(),
                ),
            ],
            t,
        );
        if let Some(form) = &r.form {
            render_form(f, area, s, form);
        }
        return;
    }
    if !r.loaded {
        render_note(f, area, vec![Line::styled("reading runs…", t.dim())], t);
        return;
    }
    let list_h = (r.runs.len() as u16 + 3).min((area.height / 3).max(5));
    let rows = Layout::vertical([
        Constraint::Length(list_h),
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .split(area);
    render_list(f, rows[0], s);
    if let Some(x) = r.selected() {
        f.render_widget(
            Paragraph::new(crate::tui::widgets::fit_line(
                header(s, x),
                rows[1].width as usize,
            )),
            rows[1],
        );
        if area.width >= 120 {
            let cols =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(46)]).split(rows[2]);
            if r.show_log {
                super::runs_log::render_log(f, cols[0], s, x);
            } else {
                render_chart(f, cols[0], s);
            }
            render_evals(f, cols[1], s, x);
        } else if r.show_log {
            super::runs_log::render_log(f, rows[2], s, x);
        } else if r.show_evals {
            render_evals(f, rows[2], s, x);
        } else {
            render_chart(f, rows[2], s);
        }
    }
    f.render_widget(Paragraph::new(hints(s)), rows[3]);
    if let Some(form) = &r.form {
        render_form(f, area, s, form);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::LineInput;

    #[test]
    fn views_group_dpo_metrics() {
        let names: Vec<String> = [
            "grad_norm",
            "learning_rate",
            "logps/chosen",
            "logps/rejected",
            "loss",
            "rewards/accuracies",
            "rewards/chosen",
            "rewards/margins",
            "rewards/rejected",
            "tokens_per_s",
            "custom",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let titles: Vec<String> = views(&names).into_iter().map(|v| v.title).collect();
        assert_eq!(
            titles,
            vec![
                "loss",
                "rewards/margins",
                "rewards/accuracies",
                "rewards: chosen vs rejected",
                "logps: chosen vs rejected",
                "learning rate",
                "tokens/s",
                "grad norm",
                "custom"
            ]
        );
        assert_eq!(views(&[])[0].names, vec!["loss".to_string()]);
    }

    #[test]
    fn series_keep_finite_points_and_an_overview_for_long_runs() {
        let mut x = Series::default();
        x.append(&[(1.0, 2.0), (2.0, f64::INFINITY), (3.0, 1.0)]);
        assert_eq!(x.raw.len(), 2);
        assert_eq!(x.dropped, 1);
        assert_eq!(x.last_step, 3);
        let long: Vec<(f64, f64)> = (4..200_000).map(|i| (i as f64, 1.0 / i as f64)).collect();
        x.append(&long);
        assert!(x.window(false, None).len() <= 2 * OVERVIEW + 2);
        assert_eq!(x.window(false, Some(100.0)).len(), 101);
        x.smooth_with(0.9);
        assert!(x.window(true, None).len() <= 2 * OVERVIEW + 2);
        assert!(x.window(true, Some(10.0))[0].1 > 1.0 / 199_990.0);
    }

    #[test]
    fn form_validates_and_builds_train_arguments() {
        let mut f = RunForm::new(false, "");
        let a = f.args().unwrap();
        assert_eq!(
            &a[..7],
            &[
                "sft",
                "--steps",
                "200",
                "--batch-size",
                "8",
                "--lr",
                "0.001"
            ]
        );
        assert!(a.contains(&"--layers".to_string()) && a.contains(&"--split".to_string()));
        assert!(!a.contains(&"--tokenizer".to_string()), "bytes by default");
        assert_eq!(f.fields().last(), Some(&Field::Tokenizer));
        f.bpe = true;
        let a = f.args().unwrap();
        assert!(a.windows(2).any(|w| w == ["--tokenizer", "bpe"]));
        f.steps = LineInput::new("0");
        assert!(f.args().unwrap_err().contains("steps"));
        f.steps = LineInput::new("10");
        f.lr = LineInput::new("-1");
        assert!(f.args().unwrap_err().contains("learning rate"));
        let mut d = RunForm::new(true, "");
        assert!(d.args().unwrap_err().contains("DPO needs"));
        d.from = LineInput::new("/no/such/ckpt");
        assert!(d.args().unwrap_err().contains("does not exist"));
        let dir = tempfile::tempdir().unwrap();
        d.from = LineInput::new(&dir.path().display().to_string());
        d.bpe = true;
        let a = d.args().unwrap();
        assert!(
            a.contains(&"--beta".to_string()) && a.windows(2).any(|w| w == ["--split", "train"])
        );
        assert!(
            !a.contains(&"--allow-dev".to_string()),
            "held-out data only when asked"
        );
        assert!(
            !a.contains(&"--tokenizer".to_string()),
            "a checkpoint brings its tokenizer"
        );
        assert!(!d.fields().contains(&Field::Tokenizer));
        d.count = Some(Ok(0));
        assert!(d.args().unwrap_err().contains("selects nothing"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(5), "5s");
        assert_eq!(duration_text(125), "2m05s");
        assert_eq!(duration_text(3720), "1h02m");
    }
}
