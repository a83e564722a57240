//! The whole frame, drawn from the state alone: tabs, the current screen, the status bar, and
//! over them the prompt and the help overlay.

use crate::store::Run;
use crate::tui::ctx::{PromptKind, Screen};
use crate::tui::keymap::Cmd;
use crate::tui::screens;
use crate::tui::state::State;
use crate::tui::widgets::{block, centered, fit};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn render(f: &mut Frame, s: &State) {
    let area = f.area();
    let t = &s.theme;
    f.render_widget(Block::default().style(t.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let lines = vec![
            Line::styled("terminal too small", t.warning()),
            Line::styled(
                format!(
                    "{}x{}: sense needs at least {MIN_WIDTH}x{MIN_HEIGHT}",
                    area.width, area.height
                ),
                t.text(),
            ),
            Line::styled("q quits", t.dim()),
        ];
        let r = centered(area, area.width, 3);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), r);
        return;
    }
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .split(area);
    render_tabs(f, rows[0], s);
    let v = s.view_ctx();
    match s.screen {
        Screen::Databases => screens::databases::render(f, rows[1], &s.databases, &v),
        Screen::Questions => screens::questions::render(f, rows[1], &s.questions, &v),
        Screen::Review => {
            // A checkpoint that wrote a pair's rejected SQL is named by its run.
            let runs: Vec<&Run> = s
                .playground
                .runs
                .iter()
                .chain(s.runs.runs.iter().map(|x| &x.run))
                .collect();
            screens::review::render(f, rows[1], &s.review, &v, &runs)
        }
        Screen::Runs => screens::runs::render(f, rows[1], &s.runs, &v),
        Screen::Playground => screens::playground::render(f, rows[1], &s.playground, &v),
    }
    render_status(f, rows[2], s);
    if s.jobs_menu.open {
        let p = &s.playground;
        crate::tui::jobs_menu::render(f, rows[1], &s.jobs_menu, &v, &p.sources, &p.runs);
    }
    if s.provenance.is_open() {
        crate::tui::provenance::render(f, rows[1], &s.provenance, &v);
    }
    if s.prompt.is_some() {
        render_prompt(f, rows[1], s);
    }
    if s.help {
        render_help(f, rows[1], s);
    }
}

fn render_tabs(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut spans = vec![Span::styled(" sense ", t.title())];
    for (i, screen) in Screen::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, screen.title());
        if *screen == s.screen {
            spans.push(Span::styled(label, t.selected()));
        } else {
            spans.push(Span::styled(label, t.dim()));
        }
    }
    let help = format!("{} help ", s.keymap.hint("global", Cmd::Help));
    let used: usize = spans.iter().map(|sp| sp.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + help.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(help, t.dim()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_status(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut left = format!(" {}", s.workspace);
    if let Some(c) = &s.counts {
        left.push_str(&format!(
            " │ {} dbs · {} questions · {} pairs ({} pending)",
            c.databases, c.examples, c.pairs, c.pending
        ));
    }
    if s.jobs_running > 0 {
        left.push_str(&format!(" │ ⟳ {} queries", s.jobs_running));
    }
    for a in s.activity.iter().take(3) {
        let by_time = (a.what == "run")
            .then(|| crate::tui::screens::runs::budget_progress(&s.runs, a.id))
            .flatten();
        if let Some(p) = by_time {
            left.push_str(&format!(" │ {} #{} {} {p}", a.what, a.id, a.kind));
            continue;
        }
        let pct = if a.total > 0 {
            format!(" {:.0}%", 100.0 * a.done as f64 / a.total as f64)
        } else {
            String::new()
        };
        left.push_str(&format!(
            " │ {} #{} {} {}/{}{pct}",
            a.what, a.id, a.kind, a.done, a.total
        ));
    }
    let mut spans = vec![Span::styled(left.clone(), t.status())];
    let room = (area.width as usize).saturating_sub(left.chars().count() + 3);
    if let Some(m) = &s.message {
        let style = if m.error {
            t.status().fg(t.error)
        } else {
            t.status().fg(t.accent)
        };
        spans.push(Span::styled(" │ ", t.status()));
        spans.push(Span::styled(fit(&m.text, room), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.status()), area);
}

fn render_prompt(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let Some(p) = &s.prompt else { return };
    let edit = matches!(p.kind, PromptKind::EditChosen { .. } | PromptKind::PgSql);
    // SQL prompts get room for a few wrapped lines.
    let sql = matches!(
        p.kind,
        PromptKind::EditGold { .. } | PromptKind::DbQuery { .. }
    );
    let h = if edit {
        8
    } else if sql {
        6
    } else {
        3
    };
    let r = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(h),
        width: area.width,
        height: h.min(area.height),
    };
    f.render_widget(Clear, r);
    let b = block(p.title(), true, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let before: String = p.input.text.chars().take(p.input.cursor).collect();
    let at: String = p.input.text.chars().skip(p.input.cursor).take(1).collect();
    let after: String = p.input.text.chars().skip(p.input.cursor + 1).collect();
    let mut lines = vec![Line::from(vec![
        Span::styled(before, t.text()),
        Span::styled(
            if at.is_empty() { " ".to_string() } else { at },
            t.selected(),
        ),
        Span::styled(after, t.text()),
    ])];
    if edit {
        lines.push(Line::raw(""));
        let status = if p.kind == PromptKind::PgSql {
            screens::playground::check_line(&s.playground, &s.view_ctx())
        } else if p.judging {
            Line::styled("running and judging…", t.dim())
        } else {
            match &p.judged {
                None => Line::styled(
                    "not judged yet: enter runs it against the gold result",
                    t.dim(),
                ),
                Some((sql, _)) if *sql != p.input.text => {
                    Line::styled("changed since judged: enter judges again", t.warning())
                }
                Some((_, Ok(v))) if v.is_correct() => {
                    Line::styled("correct: results match the gold SQL — enter saves", t.ok())
                }
                Some((_, Ok(v))) => Line::styled(
                    format!(
                        "{}: {} — cannot save a wrong chosen SQL",
                        v.label(),
                        v.reason_text()
                    ),
                    t.error(),
                ),
                Some((_, Err(e))) => Line::styled(format!("cannot judge: {e}"), t.error()),
            }
        };
        lines.push(status);
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Help, generated from the keymap: this screen's keys, movement, global keys.
pub fn help_lines(s: &State) -> Vec<Line<'static>> {
    let t = &s.theme;
    let mut lines = Vec::new();
    // The jobs menu, when open, has the keys.
    let (mode, title) = if s.jobs_menu.open {
        ("jobs", "Jobs menu")
    } else {
        (s.screen.mode(), s.screen.title())
    };
    let modes = [mode, "move", "global"];
    let key_w = modes
        .iter()
        .flat_map(|m| s.keymap.bindings(m))
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(8)
        .min(14);
    for (mode, title) in [
        (mode, title),
        ("move", "Movement"),
        ("global", "Everywhere"),
    ] {
        let b = s.keymap.bindings(mode);
        if b.is_empty() {
            continue;
        }
        lines.push(Line::styled(title.to_string(), t.title()));
        for (keys, help) in b {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_w$} "), t.accent()),
                Span::styled(help.to_string(), t.text()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("wheel scrolls · any key closes", t.dim()));
    lines
}

fn render_help(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut lines = help_lines(s);
    let b = block(format!("Keys · {}", s.screen.title()), true, t);
    if lines.len() as u16 + 2 <= area.height {
        let r = centered(area, 64, lines.len() as u16 + 2);
        let w = r.width.saturating_sub(2) as usize;
        let lines: Vec<Line<'static>> = lines
            .into_iter()
            .map(|l| crate::tui::widgets::fit_line(l, w))
            .collect();
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).block(b).style(t.base()), r);
        return;
    }
    // Two columns when one does not fit.
    let half = lines.len().div_ceil(2);
    let right = lines.split_off(half);
    let h = (half as u16 + 2).min(area.height);
    let r = centered(area, 100.min(area.width), h);
    f.render_widget(Clear, r);
    let inner = b.inner(r);
    f.render_widget(b.style(t.base()), r);
    let cols = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(inner);
    // A help line too long for its column ends in "…" rather than mid-word.
    let fitted = |v: Vec<Line<'static>>, w: u16| -> Vec<Line<'static>> {
        v.into_iter()
            .map(|l| crate::tui::widgets::fit_line(l, w as usize))
            .collect()
    };
    f.render_widget(Paragraph::new(fitted(lines, cols[0].width)), cols[0]);
    f.render_widget(Paragraph::new(fitted(right, cols[1].width)), cols[1]);
}
