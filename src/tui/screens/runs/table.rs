//! The Runs screen's table: one row per run (kind, parent, status, step, loss, best EX,
//! times), and the words and colours a run's status, times and parent are shown in.

use super::RunsState;
use crate::series;
use crate::store::RunStatus;
use crate::tui::ctx::ViewCtx;
use crate::tui::runs_jobs::RunInfo;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, scroll_offset};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

pub(super) fn status_text(r: &RunInfo) -> String {
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

pub(super) fn elapsed(r: &RunInfo, now: i64) -> Option<i64> {
    let start = parse_time(&r.run.started_at)?;
    let end = match &r.run.ended_at {
        Some(e) => parse_time(e)?,
        None if r.run.status == RunStatus::Running && !r.dead() => now,
        None => return None,
    };
    Some(end - start)
}

/// How far along a run is by time, 0..1, when its time budget (`--max-minutes`, as the recipe
/// starts runs: a step count out of reach) ends it before its steps do; `None` otherwise.
pub(super) fn time_fraction(r: &RunInfo, now: i64) -> Option<f64> {
    let budget = r.budget_minutes.filter(|b| *b > 0.0)?;
    let by_time = (elapsed(r, now)? as f64 / 60.0 / budget).min(1.0);
    let by_steps = r.run.step as f64 / r.run.total_steps.max(1) as f64;
    (by_time > by_steps).then_some(by_time)
}

fn running(r: &RunInfo) -> bool {
    r.run.status == RunStatus::Running && !r.dead()
}

/// The step column: `120/200`, or for a run its time budget ends `2077 (82%)` (percent of the
/// budget; the steps it was given mean nothing).
pub(super) fn step_text(r: &RunInfo, now: i64) -> String {
    match time_fraction(r, now) {
        Some(f) if running(r) => format!("{} ({:.0}%)", r.run.step, 100.0 * f),
        Some(_) => r.run.step.to_string(),
        None => format!("{}/{}", r.run.step, r.run.total_steps),
    }
}

/// Seconds left: of the time budget when that ends the run, else at the average pace so far.
pub(super) fn eta(r: &RunInfo, now: i64) -> Option<i64> {
    if !running(r) || r.run.step <= 0 {
        return None;
    }
    if let (Some(f), Some(b)) = (time_fraction(r, now), r.budget_minutes) {
        return Some(((1.0 - f) * b * 60.0).round() as i64);
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
pub(super) fn parent_run<'a>(runs: &'a [RunInfo], parent: &str) -> Option<&'a RunInfo> {
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

pub(super) fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

pub(super) fn value_text(v: f64) -> String {
    series::label(v)
}

pub(super) fn status_style(r: &RunInfo, t: &Theme) -> Style {
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

/// The list of runs, newest first: only the visible rows are built.
pub(super) fn render_list(f: &mut Frame, area: Rect, r: &RunsState, v: &ViewCtx) {
    let t = v.theme;
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
            let step = step_text(x, r.now);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(5), "5s");
        assert_eq!(duration_text(125), "2m05s");
        assert_eq!(duration_text(3720), "1h02m");
    }
}
