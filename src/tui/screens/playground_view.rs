//! The Playground's view: header (database, model, k, generation controls), question,
//! status, generated SQL, result grid and alternatives. Renders from state only.

use super::playground::{current_db, GenKind, PlaygroundState};
use super::{block, render_note, render_pane};
use crate::tui::ctx::ViewCtx;
use crate::tui::keymap::Cmd;
use crate::tui::model_names::source_name;
use crate::tui::widgets::fit;
use crate::tui::widgets::sql::highlight;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// The status line of the save prompt.
pub fn check_line(p: &PlaygroundState, v: &ViewCtx) -> Line<'static> {
    let t = v.theme;
    let text = v
        .prompt
        .map(|x| x.input.text.trim().to_string())
        .unwrap_or_default();
    if p.checking.is_some() {
        return Line::styled("running…", t.dim());
    }
    match &p.check {
        None => Line::styled(
            "not run yet: enter runs it (it must return rows to be saved)",
            t.dim(),
        ),
        Some((sql, _)) if *sql != text => {
            Line::styled("changed since run: enter runs it again", t.warning())
        }
        Some((_, Ok(0))) => Line::styled("returns no rows — cannot save it", t.error()),
        Some((_, Ok(n))) => Line::styled(
            format!(
                "runs: {n} row{} — enter saves it as {}",
                if *n == 1 { "" } else { "s" },
                if p.saving_pair {
                    "the chosen SQL of a pair (the model's rejected)"
                } else {
                    "an example"
                }
            ),
            t.ok(),
        ),
        Some((_, Err(e))) => Line::styled(format!("fails: {e}"), t.error()),
    }
}

fn ms_text(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn header(p: &PlaygroundState, v: &ViewCtx, w: usize) -> Line<'static> {
    let t = v.theme;
    let k = v.keymap;
    let db = current_db(p, v.databases).unwrap_or_else(|| "(no database)".into());
    let model = p
        .source()
        .map(|m| source_name(&p.runs, m))
        .unwrap_or_else(|| "(no model)".into());
    let before = format!("db {db} ({}) · model ", k.hint("playground", Cmd::NextDb));
    let after = format!(
        " ({}/{}) · k {} ({}/{}) · {}",
        k.hint("playground", Cmd::NextModel),
        k.hint("playground", Cmd::TypeModel),
        p.k,
        k.hint("playground", Cmd::MoreK),
        k.hint("playground", Cmd::FewerK),
        super::playground_more::controls_text(p)
    );
    // The model gets the room the rest leaves (never less than a short name).
    let room = w
        .saturating_sub(before.chars().count() + after.chars().count())
        .max(12);
    Line::from(vec![
        Span::styled("db ", t.dim()),
        Span::styled(db.clone(), t.accent()),
        Span::styled(before[3 + db.len()..].to_string(), t.dim()),
        Span::styled(fit(&model, room), t.accent()),
        Span::styled(after, t.dim()),
    ])
}

fn status(p: &PlaygroundState, v: &ViewCtx) -> Line<'static> {
    let t = v.theme;
    let esc = v.keymap.hint("playground", Cmd::CancelGeneration);
    if let Some((kind, since)) = p.running {
        let what = match kind {
            GenKind::One => "generating…".to_string(),
            GenKind::Sample => format!("sampling {} alternatives…", p.k),
        };
        let secs = v.ticks.saturating_sub(since);
        return Line::from(vec![
            Span::styled(format!("⟳ {what} {secs}s "), t.warning()),
            Span::styled(format!("({esc} cancels)"), t.dim()),
        ]);
    }
    if let Some(e) = &p.error {
        return Line::styled(format!("error: {e}"), t.error());
    }
    match &p.generation {
        Some(g) => Line::from(vec![
            Span::styled(format!("generated in {}", ms_text(g.latency_ms)), t.ok()),
            Span::styled(
                format!(
                    " (request {}) · {}",
                    ms_text(g.wall_ms),
                    crate::tui::model_names::model_name(&p.runs, &g.model)
                ),
                t.dim(),
            ),
        ]),
        None => Line::styled(
            format!(
                "{} generates · {} samples k alternatives · {} saves as an example",
                v.keymap.hint("playground", Cmd::Generate),
                v.keymap.hint("playground", Cmd::SampleK),
                v.keymap.hint("playground", Cmd::SaveExample)
            ),
            t.dim(),
        ),
    }
}

fn hints(v: &ViewCtx) -> Line<'static> {
    let k = v.keymap;
    let t = v.theme;
    let mut spans = Vec::new();
    for (cmd, label) in [
        (Cmd::Ask, "question"),
        (Cmd::Generate, "generate"),
        (Cmd::SampleK, "sample k"),
        (Cmd::SaveExample, "save"),
        (Cmd::CancelGeneration, "cancel"),
    ] {
        spans.push(Span::styled(k.hint("playground", cmd), t.accent()));
        spans.push(Span::styled(format!(" {label}  "), t.dim()));
    }
    spans.push(Span::styled(k.hint("global", Cmd::JobsMenu), t.accent()));
    spans.push(Span::styled(" jobs  ", t.dim()));
    spans.push(Span::styled(k.hint("global", Cmd::Help), t.accent()));
    spans.push(Span::styled(" help", t.dim()));
    Line::from(spans)
}

fn alt_lines(p: &PlaygroundState, v: &ViewCtx, width: usize) -> Vec<Line<'static>> {
    let t = v.theme;
    let mut lines = Vec::new();
    let mut i = 0;
    for g in &p.alternatives {
        let head = match &g.outcome {
            Ok((fp, rows)) => format!(
                "{}×{} · {rows} row{} · {}{}",
                g.count,
                if g.count > 1 { " agree" } else { "" },
                if *rows == 1 { "" } else { "s" },
                fp.chars().take(8).collect::<String>(),
                if g.with_main { " · = generated" } else { "" }
            ),
            Err(e) => format!("{}× fail · {e}", g.count),
        };
        let style = if g.outcome.is_ok() {
            t.title()
        } else {
            t.error()
        };
        lines.push(Line::styled(fit(&head, width), style));
        for (sql, n) in &g.sqls {
            let one = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let mark = if i == p.alt_cursor { "▸ " } else { "  " };
            let times = if *n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            let text = fit(
                &format!("{mark}{one}"),
                width.saturating_sub(times.chars().count()),
            );
            let st = if i == p.alt_cursor {
                t.selected()
            } else {
                t.text()
            };
            lines.push(Line::from(vec![
                Span::styled(text, st),
                Span::styled(times, t.dim()),
            ]));
            i += 1;
        }
    }
    lines
}

pub fn render(f: &mut Frame, area: Rect, p: &PlaygroundState, v: &ViewCtx) {
    let t = v.theme;
    if v.databases.is_empty() {
        render_note(
            f,
            area,
            vec![
                Line::styled("Playground", t.title()),
                Line::raw(""),
                Line::styled(
                    "No databases in the workspace yet: add some with `sense init` or an import,",
                    t.text(),
                ),
                Line::styled(
                    "then pick one here, pick a checkpoint or an endpoint, and ask a question.",
                    t.text(),
                ),
            ],
            t,
        );
        return;
    }
    let w = area.width as usize;
    let big = area.height >= 40;
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(if big { 9 } else { 5 }),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .split(area);
    f.render_widget(Paragraph::new(header(p, v, w)), rows[0]);
    let q = if p.question.is_empty() {
        Line::from(vec![
            Span::styled("Q ", t.accent()),
            Span::styled(
                format!("{} types a question", v.keymap.hint("playground", Cmd::Ask)),
                t.dim(),
            ),
        ])
    } else {
        Line::from(vec![
            Span::styled("Q ", t.accent()),
            Span::styled(fit(&p.question, w.saturating_sub(2)), t.text()),
        ])
    };
    f.render_widget(Paragraph::new(q), rows[1]);
    f.render_widget(Paragraph::new(status(p, v)), rows[2]);

    let shown = p
        .shown_sql
        .clone()
        .or_else(|| p.generation.as_ref().map(|g| g.sql.clone()));
    let selected_alt = p
        .shown_sql
        .as_ref()
        .zip(p.generation.as_ref())
        .is_some_and(|(a, g)| *a != g.sql);
    let sql_title = if selected_alt {
        "SQL (alternative)"
    } else {
        "SQL (generated)"
    };
    let sql_text = match &shown {
        Some(sql) if !sql.trim().is_empty() => highlight(sql, t),
        _ => match &p.generation {
            Some(g) if !g.raw.trim().is_empty() => {
                vec![Line::styled(g.raw.trim().to_string(), t.dim())]
            }
            _ => Vec::new(),
        },
    };
    f.render_widget(
        Paragraph::new(sql_text)
            .wrap(Wrap { trim: false })
            .block(block(sql_title, false, t)),
        rows[3],
    );
    let off = (p.grid_row, p.grid_col);
    if p.alternatives.is_empty() {
        render_pane(f, rows[4], "result", &p.grid, off, t);
    } else {
        let cols =
            Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(rows[4]);
        render_pane(f, cols[0], "result", &p.grid, off, t);
        let n: usize = p.alternatives.iter().map(|g| g.count).sum();
        let title = format!(
            "{n} alternatives · {} result{} · {}",
            p.alternatives.len(),
            if p.alternatives.len() == 1 { "" } else { "s" },
            ms_text(p.alt_wall_ms)
        );
        let b = block(title, true, t);
        let inner = b.inner(cols[1]);
        f.render_widget(b, cols[1]);
        let lines = alt_lines(p, v, inner.width as usize);
        // Keep the selected line in view.
        let sel_line = lines
            .iter()
            .position(|l| {
                l.spans
                    .first()
                    .is_some_and(|sp| sp.content.starts_with('▸'))
            })
            .unwrap_or(0);
        let top = crate::tui::widgets::scroll_offset(sel_line, lines.len(), inner.height as usize);
        f.render_widget(Paragraph::new(lines).scroll((top as u16, 0)), inner);
    }
    f.render_widget(Paragraph::new(hints(v)), rows[5]);
    super::playground_more::render_prompt_view(f, area, p, v);
}
