//! The Runs screen's log pane (`L`): the selected run's status and last message, then the
//! tail of the log file its process writes (runs started from the workbench record one; the
//! tail is read by the poll, never by the view).

use super::table::step_text;
use super::RunsState;
use crate::tui::ctx::ViewCtx;
use crate::tui::runs_jobs::RunInfo;
use crate::tui::widgets::{block, fit};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render_log(f: &mut Frame, area: Rect, r: &RunsState, v: &ViewCtx, x: &RunInfo) {
    let t = v.theme;
    let b = block(format!("log · run #{} {}", x.run.id, x.run.kind), true, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let status = if x.dead() {
        "dead (its process is gone)".to_string()
    } else {
        x.run.status.as_str().to_string()
    };
    let mut lines = vec![Line::from(vec![
        ratatui::text::Span::styled("status ", t.dim()),
        ratatui::text::Span::styled(
            fit(
                &format!("{status} · step {}", step_text(x, r.now)),
                w.saturating_sub(7),
            ),
            t.text(),
        ),
    ])];
    if !x.run.message.is_empty() {
        lines.push(Line::styled(fit(&x.run.message, w), t.text()));
    }
    lines.push(Line::raw(""));
    let body: Vec<Line> = match r.log_tail.as_ref().filter(|(id, _)| *id == x.run.id) {
        None => vec![Line::styled("reading the log…", t.dim())],
        Some((_, Err(e))) if e == "no log file recorded" => vec![Line::styled(
            fit(
                "no log file: started outside the workbench (its output went to that terminal)",
                w,
            ),
            t.dim(),
        )],
        Some((_, Err(e))) => vec![Line::styled(fit(e, w), t.error())],
        Some((_, Ok(l))) if l.is_empty() => vec![Line::styled("the log is empty so far", t.dim())],
        Some((_, Ok(l))) => l
            .iter()
            .map(|x| Line::styled(fit(x, w), t.text()))
            .collect(),
    };
    // The newest lines stay in view.
    let room = (inner.height as usize).saturating_sub(lines.len());
    let skip = body.len().saturating_sub(room);
    lines.extend(body.into_iter().skip(skip));
    f.render_widget(Paragraph::new(lines), inner);
}
