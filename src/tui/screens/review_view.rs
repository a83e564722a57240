//! Review's view: draws the pair, its flags and verdict, both queries with a token diff, both
//! result grids, the filters and overlays, from state only.

use super::review::{metric_of, ReviewState};
use super::{block, render_note, render_pane_marked};
use crate::store::{Pair, PairFlag, PairQuery, PairStatus, Run};
use crate::tui::ctx::ViewCtx;
use crate::tui::keymap::Cmd;
use crate::tui::screens::review_filter;
use crate::tui::widgets::sql::{highlight_diff, token_diff};
use crate::tui::widgets::{fit, tree};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Schema lines (one per table, "name(cols)") with the tables the queries use first, in
/// schema order within each group.
fn used_tables_first(lines: Vec<String>, sqls: &[&str]) -> Vec<String> {
    let used: std::collections::HashSet<String> = sqls
        .iter()
        .flat_map(|q| crate::sqltext::significant(q))
        .map(|w| w.trim_matches(['"', '`', '[', ']']).to_ascii_lowercase())
        .collect();
    let (mut first, rest): (Vec<String>, Vec<String>) = lines.into_iter().partition(|l| {
        let name = l.split('(').next().unwrap_or("").to_ascii_lowercase();
        used.contains(&name)
    });
    first.extend(rest);
    first
}

/// The verdict and the rule that produced it.
fn verdict_text(p: &Pair) -> String {
    let rule = metric_of(p).kind.as_str();
    if p.status == PairStatus::Withdrawn {
        return format!("withdrawn: {}", p.withdrawn_reason);
    }
    let class = if p.failure_class.is_empty() {
        String::new()
    } else {
        format!(" [{}]", p.failure_class)
    };
    if p.flags.contains(&PairFlag::Disputed) {
        format!("disputed{class} · {rule} rule says: {}", p.reason)
    } else {
        format!("wrong{class} by the {rule} rule: {}", p.reason)
    }
}

/// Flags with their reasons, and whether the gold changed since the pair was made.
fn flag_line(p: &Pair) -> Option<String> {
    let mut parts = Vec::new();
    if !p.flags.is_empty() {
        let names: Vec<&str> = p.flags.iter().map(|f| f.as_str()).collect();
        parts.push(format!("⚑ {}: {}", names.join(", "), p.flag_reason));
    }
    if p.gold_changed {
        parts.push("gold corrected since this pair was made".to_string());
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// About how many lines `text` takes when word-wrapped at `width` columns.
pub(super) fn wrapped_lines(text: &str, width: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(1);
    text.lines()
        .map(|line| {
            let (mut n, mut col) = (1, 0);
            for word in line.split_whitespace() {
                let w = word.width();
                let need = if col == 0 { w } else { col + 1 + w };
                if need <= width {
                    col = need;
                } else {
                    n += (w.max(1) - 1) / width + usize::from(col > 0);
                    col = w % width;
                }
            }
            n
        })
        .sum::<usize>()
        .max(1)
}

fn progress_line(r: &ReviewState, v: &ViewCtx) -> Line<'static> {
    let t = v.theme;
    let mut spans = Vec::new();
    if let Some(id) = r.current() {
        let status = r.status(id);
        spans.push(Span::styled(
            format!("pair #{id} · {} of {} shown", r.cursor + 1, r.queue.len()),
            t.title(),
        ));
        let st = match status {
            PairStatus::Accepted => t.ok(),
            PairStatus::Rejected => t.error(),
            PairStatus::Skipped => t.warning(),
            PairStatus::Pending => t.dim(),
            PairStatus::Withdrawn => t.error(),
        };
        spans.push(Span::styled(format!(" [{}]", status.as_str()), st));
    }
    if let Some(c) = v.counts {
        let reviewed = c.accepted + c.rejected + c.skipped;
        let decided = c.accepted + c.rejected;
        let rate = if decided > 0 {
            format!("{:.0}%", 100.0 * c.accepted as f64 / decided as f64)
        } else {
            "–".into()
        };
        spans.push(Span::styled(
            format!(
                " · reviewed {reviewed}/{} · accept rate {rate} · {} pending",
                c.pairs, c.pending
            ),
            t.text(),
        ));
    }
    Line::from(spans)
}

/// The filters in force and the keys that act on the filtered set.
fn filter_line(r: &ReviewState, v: &ViewCtx, w: usize) -> Line<'static> {
    let t = v.theme;
    let k = v.keymap;
    let text = format!(
        "filter: {} · {} shown · {} changes · {}/{}/{} decide all shown",
        review_filter::summary(&r.filter),
        r.queue.len(),
        k.hint("review", Cmd::Filter),
        k.hint("review", Cmd::AcceptAll),
        k.hint("review", Cmd::RejectAll),
        k.hint("review", Cmd::SkipAll),
    );
    Line::styled(fit(&text, w), t.accent())
}

fn confirm_line(r: &ReviewState, v: &ViewCtx, status: PairStatus, w: usize) -> Line<'static> {
    let verb = match status {
        PairStatus::Accepted => "accept",
        PairStatus::Rejected => "reject",
        _ => "skip",
    };
    let n = r.queue.len();
    let text = format!(
        "{verb} all {n} pair{} shown ({})? y confirms · any other key cancels · u undoes it as one step",
        if n == 1 { "" } else { "s" },
        review_filter::summary(&r.filter)
    );
    Line::styled(fit(&text, w), v.theme.warning())
}

/// The filter picker and the guidelines, over the screen.
fn render_overlays(f: &mut Frame, area: Rect, r: &ReviewState, v: &ViewCtx) {
    if r.picker.open {
        review_filter::render(f, area, r, v);
    }
    if let Some((path, text)) = &r.guidelines {
        let t = v.theme;
        let w = area.width.min(90);
        let h = area.height.saturating_sub(2).max(5);
        let r = crate::tui::widgets::centered(area, w, h);
        let body: Vec<Line> = if text.trim().is_empty() {
            vec![
                Line::styled("No guidelines yet.", t.title()),
                Line::raw(""),
                Line::styled(format!("Write them in {path} (Markdown);"), t.text()),
                Line::styled(
                    "they show here, for every annotator of this workspace.",
                    t.text(),
                ),
            ]
        } else {
            text.lines()
                .map(|l| Line::styled(l.to_string(), t.text()))
                .collect()
        };
        f.render_widget(ratatui::widgets::Clear, r);
        f.render_widget(
            Paragraph::new(body)
                .wrap(Wrap { trim: false })
                .block(block(
                    format!("Guidelines · {path} · any key closes"),
                    true,
                    t,
                ))
                .style(t.base()),
            r,
        );
    }
}

fn hints(v: &ViewCtx) -> Line<'static> {
    let k = v.keymap;
    let mut spans = Vec::new();
    for (cmd, label) in [
        (Cmd::Accept, "accept"),
        (Cmd::Reject, "reject"),
        (Cmd::Skip, "skip"),
        (Cmd::Undo, "undo"),
        (Cmd::Note, "note"),
        (Cmd::Edit, "edit"),
        (Cmd::EditGold, "gold"),
        (Cmd::Filter, "filter"),
    ] {
        spans.push(Span::styled(k.hint("review", cmd), v.theme.accent()));
        spans.push(Span::styled(format!(" {label}  "), v.theme.dim()));
    }
    spans.push(Span::styled(k.hint("global", Cmd::Help), v.theme.accent()));
    spans.push(Span::styled(" help", v.theme.dim()));
    Line::from(spans)
}

/// How much of each SQL pane's text is drawn.
const SQL_SHOWN_CHARS: usize = 4_000;

/// The first `max` characters of `text` (ending in … when cut) and how many were left out.
fn shown_prefix(text: &str, max: usize) -> (String, usize) {
    match text.char_indices().nth(max) {
        None => (text.to_string(), 0),
        Some((at, _)) => (format!("{}…", &text[..at]), text[at..].chars().count()),
    }
}

/// Draws the screen; `runs` are the workspace's runs as last read (a checkpoint that wrote the
/// rejected SQL is named by its run).
pub fn render(f: &mut Frame, area: Rect, r: &ReviewState, v: &ViewCtx, runs: &[&Run]) {
    let t = v.theme;
    if !r.loaded {
        render_note(
            f,
            area,
            vec![Line::styled("loading the review queue…", t.dim())],
            t,
        );
        return;
    }
    if let Some(e) = &r.error {
        let b = block("Review", true, t);
        let inner = b.inner(area);
        f.render_widget(b, area);
        f.render_widget(
            Paragraph::new(vec![
                Line::styled("cannot show this pair:", t.error()),
                Line::styled(e.clone(), t.error()),
                Line::styled(
                    "j/k moves to another pair; u undoes the last decision",
                    t.dim(),
                ),
            ])
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let Some(p) = &r.pair else {
        if r.filter != PairQuery::pending() {
            let lines = vec![
                Line::styled(
                    format!(
                        "No pairs match the filter: {}.",
                        review_filter::summary(&r.filter)
                    ),
                    t.title(),
                ),
                Line::raw(""),
                Line::styled(
                    format!(
                        "{} changes the filter.",
                        v.keymap.hint("review", Cmd::Filter)
                    ),
                    t.text(),
                ),
            ];
            render_note(f, area, lines, t);
            render_overlays(f, area, r, v);
            return;
        }
        let mut lines = vec![
            Line::styled("No pending pairs to review.", t.title()),
            Line::raw(""),
            Line::styled(
                "Pairs come from wrong candidates: import a weak model's SQL with",
                t.text(),
            ),
            Line::styled("  sense candidates import FILE --model NAME", t.accent()),
            Line::styled(
                "or sample one with the weak pipeline; u undoes the last decision.",
                t.text(),
            ),
        ];
        if let Some(c) = v.counts {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "{} pairs: {} accepted, {} rejected, {} skipped",
                    c.pairs, c.accepted, c.rejected, c.skipped
                ),
                t.dim(),
            ));
        }
        render_note(f, area, lines, t);
        render_overlays(f, area, r, v);
        return;
    };
    let big = area.height >= 40;
    let schema_lines: Vec<String> = match v.schemas.get(&p.db_name) {
        Some(Ok(sc)) => used_tables_first(tree::brief(sc), &[&p.chosen_sql, &p.rejected_sql]),
        Some(Err(e)) => vec![format!("schema unavailable: {e}")],
        None => vec!["reading schema…".into()],
    };
    let schema_h = (schema_lines.len() as u16).clamp(1, if big { 5 } else { 2 });
    let question_h =
        ((p.question.chars().count() + 2) / (area.width.max(1) as usize) + 1).min(2) as u16;
    let note_h = u16::from(!p.note.is_empty());
    let flag_text = flag_line(p);
    let flag_h = match &flag_text {
        None => 0,
        Some(text) if big => {
            ((text.chars().count() / area.width.max(1) as usize) + 1).min(2) as u16
        }
        Some(_) => 1,
    };
    let filtered = r.filter != PairQuery::pending();
    let rows = Layout::vertical([
        Constraint::Length(1 + u16::from(filtered)),
        Constraint::Length(question_h),
        Constraint::Length(1),
        Constraint::Length(flag_h),
        Constraint::Length(schema_h),
        Constraint::Percentage(if big { 30 } else { 38 }),
        Constraint::Min(5),
        Constraint::Length(note_h),
        Constraint::Length(1),
    ])
    .split(area);
    let mut head = vec![progress_line(r, v)];
    if filtered {
        head.push(filter_line(r, v, area.width as usize));
    }
    f.render_widget(Paragraph::new(head), rows[0]);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Q ", t.accent()),
            Span::styled(shown_prefix(&p.question, 1_000).0, t.text()),
        ]))
        .wrap(Wrap { trim: true }),
        rows[1],
    );
    let w = area.width as usize;
    let split = if p.split.is_empty() { "?" } else { &p.split };
    // The model that wrote the rejected SQL (a checkpoint named by its run), with its
    // sampling temperature when known.
    let named = crate::tui::model_names::model_name(runs.iter().copied(), &p.model);
    let model = match p.temperature {
        Some(t) => format!("{named} t={t}"),
        None => named,
    };
    let head = format!("{} [{split}] · {model} · ", p.db_name);
    let info = Line::from(vec![
        Span::styled(format!("{} ", p.db_name), t.accent()),
        Span::styled(
            format!("[{split}] "),
            if split == "train" {
                t.dim()
            } else {
                t.warning()
            },
        ),
        Span::styled(format!("· {model} · "), t.dim()),
        Span::styled(
            fit(&verdict_text(p), w.saturating_sub(head.chars().count())),
            if p.flags.is_empty() {
                t.warning()
            } else {
                t.error()
            },
        ),
    ]);
    f.render_widget(Paragraph::new(info), rows[2]);
    if let Some(text) = flag_text {
        let para = if flag_h > 1 {
            Paragraph::new(Line::styled(text, t.warning())).wrap(Wrap { trim: true })
        } else {
            Paragraph::new(Line::styled(fit(&text, w), t.warning()))
        };
        f.render_widget(para, rows[3]);
    }
    let schema_text: Vec<Line> = if big {
        schema_lines
            .iter()
            .take(schema_h as usize)
            .map(|l| Line::styled(fit(l, w), t.dim()))
            .collect()
    } else {
        vec![Line::styled(schema_lines.join("  "), t.dim())]
    };
    f.render_widget(
        Paragraph::new(schema_text).wrap(Wrap { trim: true }),
        rows[4],
    );

    let halves =
        |r: Rect| Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(r);
    let sql = halves(rows[5]);
    // Wide screens: one clause per line, which lines the two queries up for reading.
    // Candidate SQL can be 64 KB: formatting, diffing and wrapping all of it on every frame
    // would stall the screen, so only a prefix is drawn and the title says how much is left out.
    let (chosen_prefix, chosen_cut) = shown_prefix(&p.chosen_sql, SQL_SHOWN_CHARS);
    let (rejected_prefix, rejected_cut) = shown_prefix(&p.rejected_sql, SQL_SHOWN_CHARS);
    let (chosen_sql, rejected_sql) = if area.width >= 120 {
        (
            crate::sqltext::format_clauses(&chosen_prefix),
            crate::sqltext::format_clauses(&rejected_prefix),
        )
    } else {
        (chosen_prefix, rejected_prefix)
    };
    let (ma, mb) = token_diff(&chosen_sql, &rejected_sql);
    let chosen_title = if p.chosen_sql == p.gold_sql {
        "chosen (gold)"
    } else {
        "chosen (edited)"
    };
    for (area, title, text, marks, style, cut) in [
        (
            sql[0],
            chosen_title,
            &chosen_sql,
            &ma,
            t.added(),
            chosen_cut,
        ),
        (
            sql[1],
            "rejected (model)",
            &rejected_sql,
            &mb,
            t.removed(),
            rejected_cut,
        ),
    ] {
        let title = if cut > 0 {
            format!("{title} · {cut} more chars not shown")
        } else {
            title.to_string()
        };
        let para = Paragraph::new(highlight_diff(text, marks, style, t)).wrap(Wrap { trim: false });
        let inner_h = area.height.saturating_sub(2) as usize;
        let lines = wrapped_lines(text, area.width.saturating_sub(2) as usize);
        let more = lines > inner_h + r.sql_scroll as usize;
        let title = match (r.sql_scroll > 0, more) {
            (false, false) => title.to_string(),
            (true, false) => format!("{title} ↑"),
            (false, true) => format!("{title} ↓ ]"),
            (true, true) => format!("{title} ↑↓"),
        };
        f.render_widget(
            para.scroll((r.sql_scroll, 0)).block(block(title, false, t)),
            area,
        );
    }
    let grids = halves(rows[6]);
    let off = (r.grid_row, r.grid_col);
    let (chosen_title, rejected_title) = if r.as_rule {
        let rule = format!("as the {} rule ran it", metric_of(p).kind.as_str());
        (
            format!("chosen result {rule}"),
            format!("rejected result {rule}"),
        )
    } else {
        ("chosen result".to_string(), "rejected result".to_string())
    };
    render_pane_marked(f, grids[0], &chosen_title, &r.chosen, off, t, t.added());
    render_pane_marked(
        f,
        grids[1],
        &rejected_title,
        &r.rejected,
        off,
        t,
        t.removed(),
    );
    if note_h > 0 {
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("note: ", t.accent()),
                Span::styled(p.note.clone(), t.text()),
            ])),
            rows[7],
        );
    }
    let bottom = match r.confirm {
        Some(status) => confirm_line(r, v, status, area.width as usize),
        None => hints(v),
    };
    f.render_widget(Paragraph::new(bottom), rows[8]);
    render_overlays(f, area, r, v);
}

#[cfg(test)]
mod tests {
    use super::wrapped_lines;

    #[test]
    fn wrapped_line_estimate() {
        assert_eq!(wrapped_lines("SELECT a FROM t", 80), 1);
        assert_eq!(wrapped_lines("SELECT a FROM t", 8), 2);
        assert_eq!(wrapped_lines("SELECT a\nFROM t\nWHERE x", 80), 3);
        assert_eq!(wrapped_lines("", 10), 1);
    }
}
