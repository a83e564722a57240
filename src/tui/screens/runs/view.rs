//! The Runs screen's layout: the table, the selected run's header line, its chart or log
//! beside (or instead of) its evaluations, the key hints and the form over them. Draws from
//! the state only; the poll reads everything it shows.

use super::charts::render_chart;
use super::evals::render_evals;
use super::form::render_form;
use super::log::render_log;
use super::table::{
    duration_text, eta, render_list, status_style, status_text, time_fraction, value_text,
};
use super::RunsState;
use crate::store::RunStatus;
use crate::tui::ctx::ViewCtx;
use crate::tui::keymap::Cmd;
use crate::tui::runs_jobs::{RunInfo, SeriesKey};
use crate::tui::screens::render_note;
use crate::tui::widgets::one_line;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// "#3 sft · running · step 120/200 (60%) · loss 1.23 · ETA 1m20s"
fn header(r: &RunsState, v: &ViewCtx, x: &RunInfo) -> Line<'static> {
    let t = v.theme;
    let mut spans = vec![
        Span::styled(format!("#{} {} ", x.run.id, x.run.kind), t.title()),
        Span::styled(status_text(x), status_style(x, t)),
    ];
    let total = x.run.total_steps.max(1);
    let progress = match (time_fraction(x, r.now), x.budget_minutes) {
        (Some(f), Some(b)) => format!(
            " · step {} · {:.0}% of {} budget",
            x.run.step,
            100.0 * f,
            duration_text((b * 60.0).round() as i64)
        ),
        _ => format!(
            " · step {}/{} ({:.0}%)",
            x.run.step,
            x.run.total_steps,
            100.0 * x.run.step as f64 / total as f64
        ),
    };
    spans.push(Span::styled(progress, t.text()));
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

fn hints(v: &ViewCtx) -> Line<'static> {
    let k = v.keymap;
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
        spans.push(Span::styled(k.hint("runs", cmd), v.theme.accent()));
        spans.push(Span::styled(format!(" {label}  "), v.theme.dim()));
    }
    spans.push(Span::styled(k.hint("global", Cmd::Help), v.theme.accent()));
    spans.push(Span::styled(" help", v.theme.dim()));
    Line::from(spans)
}

pub fn render(f: &mut Frame, area: Rect, r: &RunsState, v: &ViewCtx) {
    let t = v.theme;
    if r.loaded && r.runs.is_empty() {
        let n = v.keymap.hint("runs", Cmd::NewRun);
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
            render_form(f, area, v, form);
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
    render_list(f, rows[0], r, v);
    if let Some(x) = r.selected() {
        f.render_widget(
            Paragraph::new(crate::tui::widgets::fit_line(
                header(r, v, x),
                rows[1].width as usize,
            )),
            rows[1],
        );
        if area.width >= 120 {
            let cols =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(46)]).split(rows[2]);
            if r.show_log {
                render_log(f, cols[0], r, v, x);
            } else {
                render_chart(f, cols[0], r, v);
            }
            render_evals(f, cols[1], r, v, x);
        } else if r.show_log {
            render_log(f, rows[2], r, v, x);
        } else if r.show_evals {
            render_evals(f, rows[2], r, v, x);
        } else {
            render_chart(f, rows[2], r, v);
        }
    }
    f.render_widget(Paragraph::new(hints(v)), rows[3]);
    if let Some(form) = &r.form {
        render_form(f, area, v, form);
    }
    if let Some(form) = &r.eval_form {
        super::eval_form::render(f, area, v, form);
    }
}
