//! Questions: the examples of the workspace, filtered (database, split, difficulty, source,
//! has wrong candidates) and searched; for the selected one its gold SQL, gold result and
//! candidates with verdicts. Only the ids of the whole list are held; rows are read per window.

use super::{block, render_note, render_pane};
use crate::store::{Candidate, Example, ExampleQuery, Facets};
use crate::tui::ctx::{AppMsg, Ctx, Prompt, PromptKind, ViewCtx};
use crate::tui::keymap::Cmd;
use crate::tui::msg::{Effect, Loaded, Slot};
use crate::tui::widgets::grid::Pane;
use crate::tui::widgets::sql::highlight;
use crate::tui::widgets::{fit, move_cursor, one_line, scroll_offset, step_within};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::collections::HashMap;

/// Rows read around the cursor when it leaves the cached window.
const WINDOW: usize = 150;

#[derive(Debug, Clone, Default)]
pub struct QuestionsState {
    pub facets: Facets,
    pub query: ExampleQuery,
    pub loaded: bool,
    pub error: Option<String>,
    pub ids: Vec<i64>,
    pub cursor: usize,
    pub rows: HashMap<i64, Example>,
    pub detail: Option<(Example, Vec<Candidate>)>,
    /// The detail's provenance in words, decoded from its JSON when the detail loads.
    pub detail_provenance: String,
    pub detail_error: Option<String>,
    pub gold: Pane,
    pub token: u64,
    pub grid_row: usize,
    pub grid_col: usize,
    /// The candidate whose result is shown instead of the gold's (index into the detail's).
    pub cand: Option<usize>,
    pub cand_pane: Pane,
}

impl QuestionsState {
    /// The selected example (its detail when loaded, else its list row).
    pub fn selected_example(&self) -> Option<Example> {
        let id = *self.ids.get(self.cursor)?;
        match &self.detail {
            Some((ex, _)) if ex.id == id => Some(ex.clone()),
            _ => self.rows.get(&id).cloned(),
        }
    }
}

pub fn on_enter(q: &mut QuestionsState) -> Vec<Effect> {
    if !q.loaded {
        return vec![Effect::LoadQuestionIds(q.query.clone())];
    }
    Vec::new()
}

/// The questions of `query` (Databases: the questions of a table).
pub fn show(q: &mut QuestionsState, query: ExampleQuery) -> Vec<Effect> {
    q.query = query;
    vec![Effect::LoadQuestionIds(q.query.clone())]
}

/// Reads the selected question again (its gold changed).
pub fn reload_current(q: &QuestionsState) -> Vec<Effect> {
    q.ids
        .get(q.cursor)
        .map(|id| Effect::LoadQuestion(*id))
        .into_iter()
        .collect()
}

/// Rows missing around the cursor, and the detail of the selected one.
fn follow_cursor(q: &mut QuestionsState) -> Vec<Effect> {
    let mut fx = Vec::new();
    let lo = q.cursor.saturating_sub(WINDOW / 2);
    let hi = (q.cursor + WINDOW / 2).min(q.ids.len());
    if q.ids[lo..hi].iter().any(|id| !q.rows.contains_key(id)) {
        if q.rows.len() > 4 * WINDOW {
            q.rows.clear();
        }
        let lo = q.cursor.saturating_sub(WINDOW);
        let hi = (q.cursor + WINDOW).min(q.ids.len());
        let missing: Vec<i64> = q.ids[lo..hi]
            .iter()
            .filter(|id| !q.rows.contains_key(id))
            .copied()
            .collect();
        fx.push(Effect::LoadQuestionRows(missing));
    }
    q.grid_row = 0;
    q.grid_col = 0;
    match q.ids.get(q.cursor) {
        Some(id) => fx.push(Effect::LoadQuestion(*id)),
        None => {
            q.detail = None;
            q.gold = Pane::Empty;
        }
    }
    fx
}

pub fn set_search(q: &mut QuestionsState, text: String) -> Vec<Effect> {
    if q.query.search == text {
        return Vec::new();
    }
    q.query.search = text;
    vec![Effect::LoadQuestionIds(q.query.clone())]
}

fn cycle(cur: &Option<String>, values: &[String]) -> Option<String> {
    match cur {
        None => values.first().cloned(),
        Some(v) => {
            let i = values.iter().position(|x| x == v);
            i.and_then(|i| values.get(i + 1)).cloned()
        }
    }
}

pub fn on_cmd(q: &mut QuestionsState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    let before = q.query.clone();
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            if move_cursor(&mut q.cursor, q.ids.len(), cmd, cx.page) {
                return follow_cursor(q);
            }
            return Vec::new();
        }
        Cmd::Search => {
            *cx.prompt = Some(Prompt::new(PromptKind::Search, &q.query.search));
            return Vec::new();
        }
        Cmd::FilterDb => q.query.db = cycle(&q.query.db, &q.facets.databases),
        Cmd::FilterSplit => q.query.split = cycle(&q.query.split, &q.facets.splits),
        Cmd::FilterDifficulty => {
            q.query.difficulty = cycle(&q.query.difficulty, &q.facets.difficulties)
        }
        Cmd::FilterSource => q.query.source = cycle(&q.query.source, &q.facets.sources),
        Cmd::FilterWrong => q.query.wrong_only = !q.query.wrong_only,
        Cmd::ClearFilters => q.query = ExampleQuery::default(),
        Cmd::Provenance => {
            match q.selected_example() {
                Some(ex) => cx.send(AppMsg::OpenExchange(Box::new(ex))),
                None => cx.info("no question selected"),
            }
            return Vec::new();
        }
        Cmd::NextCandidate => {
            let Some((ex, cands)) = &q.detail else {
                return Vec::new();
            };
            q.cand = match q.cand {
                None if !cands.is_empty() => Some(0),
                Some(i) if i + 1 < cands.len() => Some(i + 1),
                _ => None,
            };
            q.grid_row = 0;
            q.grid_col = 0;
            return match q.cand.and_then(|i| cands.get(i)) {
                Some(c) => {
                    q.token += 1;
                    q.cand_pane = Pane::Loading;
                    vec![Effect::RunSql {
                        slot: Slot::QuestionCandidate,
                        token: q.token,
                        db: ex.db_name.clone(),
                        sql: c.sql.clone(),
                    }]
                }
                None => Vec::new(),
            };
        }
        Cmd::OpenPair => {
            let cand = q
                .detail
                .as_ref()
                .and_then(|(_, cands)| q.cand.and_then(|i| cands.get(i)));
            return match cand {
                Some(c) => vec![Effect::FindPair(c.id)],
                None => {
                    cx.info(format!(
                        "pick a candidate first ({})",
                        cx.keymap.hint("questions", Cmd::NextCandidate)
                    ));
                    Vec::new()
                }
            };
        }
        Cmd::EditGold => {
            if let Some((ex, _)) = &q.detail {
                let one_line = ex.gold_sql.split_whitespace().collect::<Vec<_>>().join(" ");
                *cx.prompt = Some(Prompt::new(
                    PromptKind::EditGold { example_id: ex.id },
                    &one_line,
                ));
            }
            return Vec::new();
        }
        Cmd::GridDown => q.grid_row = step_within(q.grid_row, q.gold.extent().0),
        Cmd::GridUp => q.grid_row = q.grid_row.saturating_sub(1),
        Cmd::GridRight => q.grid_col = step_within(q.grid_col, q.gold.extent().1),
        Cmd::GridLeft => q.grid_col = q.grid_col.saturating_sub(1),
        _ => {}
    }
    if q.query != before {
        return vec![Effect::LoadQuestionIds(q.query.clone())];
    }
    Vec::new()
}

pub fn on_loaded(q: &mut QuestionsState, cx: &mut Ctx, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Facets(f) => {
            q.facets = f;
            Vec::new()
        }
        Loaded::QuestionIds(query, res) => {
            if query != q.query {
                return Vec::new(); // a newer filter is on its way
            }
            q.loaded = true;
            match res {
                Ok(ids) => {
                    q.error = None;
                    q.ids = ids;
                    q.cursor = 0;
                    q.rows.clear();
                    if q.ids.is_empty() {
                        q.detail = None;
                        q.gold = Pane::Empty;
                        return Vec::new();
                    }
                    follow_cursor(q)
                }
                Err(e) => {
                    q.error = Some(e);
                    q.ids.clear();
                    Vec::new()
                }
            }
        }
        Loaded::QuestionRows(rows) => {
            for r in rows {
                q.rows.insert(r.id, r);
            }
            Vec::new()
        }
        Loaded::PairOf(_, found) => match found {
            Some(id) => {
                cx.send(AppMsg::ShowPair(id));
                Vec::new()
            }
            None => {
                cx.info("this candidate has no pair (it is correct)");
                Vec::new()
            }
        },
        Loaded::Question(id, res) => {
            if q.ids.get(q.cursor) != Some(&id) {
                return Vec::new();
            }
            q.cand = None;
            q.cand_pane = Pane::Empty;
            match res {
                Ok((ex, cands)) => {
                    q.token += 1;
                    q.gold = Pane::Loading;
                    let fx = vec![Effect::RunSql {
                        slot: Slot::QuestionGold,
                        token: q.token,
                        db: ex.db_name.clone(),
                        sql: ex.gold_sql.clone(),
                    }];
                    q.detail_error = None;
                    q.detail_provenance = provenance_text(&ex.provenance);
                    q.detail = Some((ex, cands));
                    fx
                }
                Err(e) => {
                    q.detail = None;
                    q.detail_error = Some(e);
                    Vec::new()
                }
            }
        }
        Loaded::Sql {
            slot,
            token,
            result,
        } => {
            if token == q.token {
                let pane = match result {
                    Ok(g) => Pane::Ready(g),
                    Err(e) => Pane::Failed(e),
                };
                if slot == Slot::QuestionCandidate {
                    q.cand_pane = pane;
                } else {
                    q.gold = pane;
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

// ---- view ----------------------------------------------------------------------------

fn filter_line(q: &ExampleQuery, v: &ViewCtx) -> Line<'static> {
    let t = v.theme;
    let k = v.keymap;
    let mut spans = Vec::new();
    let mut item = |key: String, name: &str, val: Option<String>| {
        spans.push(Span::styled(key, t.accent()));
        spans.push(Span::styled(format!(" {name}"), t.dim()));
        if let Some(v) = val {
            spans.push(Span::styled(format!("={v}"), t.warning()));
        }
        spans.push(Span::raw("  "));
    };
    item(k.hint("questions", Cmd::FilterDb), "db", q.db.clone());
    item(
        k.hint("questions", Cmd::FilterSplit),
        "split",
        q.split.clone(),
    );
    item(
        k.hint("questions", Cmd::FilterDifficulty),
        "level",
        q.difficulty.clone(),
    );
    item(
        k.hint("questions", Cmd::FilterSource),
        "source",
        q.source.clone(),
    );
    item(
        k.hint("questions", Cmd::FilterWrong),
        "wrong",
        q.wrong_only.then(|| "yes".to_string()),
    );
    item(
        k.hint("questions", Cmd::Search),
        "search",
        (!q.search.is_empty()).then(|| format!("\"{}\"", q.search)),
    );
    Line::from(spans)
}

/// `text` as spans with every case-insensitive occurrence of `needle` in `hl` (reversed).
pub fn highlight_matches(
    text: &str,
    needle: &str,
    base: ratatui::style::Style,
    hl: ratatui::style::Style,
) -> Vec<Span<'static>> {
    if needle.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII: then leave the text plain.
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&n) {
        let start = at + i;
        if start > at {
            out.push(Span::styled(text[at..start].to_string(), base));
        }
        let end = start + n.len();
        out.push(Span::styled(
            text[start..end].to_string(),
            hl.add_modifier(ratatui::style::Modifier::REVERSED),
        ));
        at = end;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), base));
    }
    out
}

/// An example's provenance in words: "template group_having · seed 42".
fn provenance_text(json: &str) -> String {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(json) else {
        return String::new();
    };
    m.iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k} {s}"),
            other => format!("{k} {other}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render_list(f: &mut Frame, area: Rect, q: &QuestionsState, v: &ViewCtx) {
    let t = v.theme;
    let title = format!(
        "Questions · {} of {}",
        q.ids.len(),
        v.counts.map(|c| c.examples).unwrap_or(0)
    );
    let b = block(title, true, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height as usize;
    let w = inner.width as usize;
    let off = scroll_offset(q.cursor, q.ids.len(), h);
    let mut lines = Vec::with_capacity(h);
    for (i, id) in q.ids.iter().enumerate().skip(off).take(h) {
        let selected = i == q.cursor;
        let line = match q.rows.get(id) {
            Some(e) => {
                let mark = if e.wrong_candidates > 0 {
                    format!("✗{}", e.wrong_candidates)
                } else {
                    "  ".into()
                };
                let lvl = e
                    .difficulty
                    .as_deref()
                    .and_then(|d| d.chars().next())
                    .unwrap_or('·');
                // The database, unless the list is filtered to one (or too narrow for it).
                let db = if q.query.db.is_none() && w >= 40 {
                    format!("{:<11}", fit(&e.db_name, 10))
                } else {
                    String::new()
                };
                let head = format!("{:>5} {lvl} {mark:<3} {db}", e.id);
                let rest = fit(
                    &one_line(&e.question),
                    w.saturating_sub(head.chars().count()),
                );
                if selected {
                    Line::styled(format!("{head}{rest}"), t.selected())
                } else {
                    let mut spans = vec![
                        Span::styled(format!("{:>5} {lvl} ", e.id), t.dim()),
                        Span::styled(format!("{mark:<3} "), t.error()),
                        Span::styled(db, t.accent()),
                    ];
                    spans.extend(highlight_matches(
                        &rest,
                        &q.query.search,
                        t.text(),
                        t.accent(),
                    ));
                    Line::from(spans)
                }
            }
            None => Line::styled(
                format!("{id:>5} …"),
                if selected { t.selected() } else { t.dim() },
            ),
        };
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_detail(f: &mut Frame, area: Rect, q: &QuestionsState, v: &ViewCtx) {
    let t = v.theme;
    if let Some(e) = &q.detail_error {
        let b = block("Question", false, t);
        f.render_widget(
            Paragraph::new(Line::styled(e.clone(), t.error()))
                .wrap(Wrap { trim: true })
                .block(b),
            area,
        );
        return;
    }
    let Some((ex, cands)) = &q.detail else {
        f.render_widget(block("Question", false, t), area);
        return;
    };
    let big = area.height >= 40;
    let rows = Layout::vertical([
        Constraint::Length(if big { 4 } else { 3 }),
        Constraint::Percentage(if big { 30 } else { 28 }),
        Constraint::Min(4),
        Constraint::Length((cands.len() as u16 + 2).clamp(3, if big { 10 } else { 5 })),
    ])
    .split(area);
    let prov = &q.detail_provenance;
    let meta = format!(
        "{} · {} · {} · {}{}",
        ex.db_name,
        ex.split,
        ex.difficulty.as_deref().unwrap_or("–"),
        ex.source,
        if prov.is_empty() {
            String::new()
        } else {
            format!(" · {prov}")
        }
    );
    let mut qline = vec![Span::styled(format!("#{} ", ex.id), t.accent())];
    qline.extend(highlight_matches(
        &ex.question,
        &q.query.search,
        t.text(),
        t.accent(),
    ));
    let mut head = vec![Line::from(qline), Line::styled(meta, t.dim())];
    if let Some(ev) = &ex.evidence {
        head.push(Line::styled(format!("evidence: {ev}"), t.dim()));
    }
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), rows[0]);
    f.render_widget(
        Paragraph::new(highlight(&ex.gold_sql, t))
            .wrap(Wrap { trim: false })
            .block(block("gold SQL", false, t)),
        rows[1],
    );
    match q.cand.and_then(|i| cands.get(i)) {
        Some(c) => render_pane(
            f,
            rows[2],
            &format!(
                "candidate #{} result ({} shows its pair)",
                c.id,
                v.keymap.hint("questions", Cmd::OpenPair)
            ),
            &q.cand_pane,
            (q.grid_row, q.grid_col),
            t,
        ),
        None => render_pane(
            f,
            rows[2],
            "gold result",
            &q.gold,
            (q.grid_row, q.grid_col),
            t,
        ),
    }
    let w = rows[3].width.saturating_sub(2) as usize;
    let lines: Vec<Line> = if cands.is_empty() {
        vec![Line::styled("no candidates yet", t.dim())]
    } else {
        cands
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let picked = q.cand == Some(i);
                let style = match c.verdict.as_str() {
                    "correct" => t.ok(),
                    "wrong" => t.error(),
                    _ => t.warning(),
                };
                let disputed = c.flags.contains(&crate::store::PairFlag::Disputed);
                let (head, style) = if disputed {
                    ("disputed".to_string(), t.warning())
                } else {
                    (format!("{:<8}", c.verdict), style)
                };
                let reason = if c.verdict == "correct" && !disputed {
                    String::new()
                } else if disputed {
                    // The rule's verdict, and why the SQL as written disagrees.
                    format!(
                        " {} by the {} rule ({}):",
                        c.verdict, c.metric, c.flag_reason
                    )
                } else {
                    format!(" {}:", c.reason)
                };
                let rest = fit(
                    &format!("{reason} {}", one_line(&c.sql)),
                    w.saturating_sub(9),
                );
                if picked {
                    Line::styled(format!("{head}{rest}"), t.selected())
                } else {
                    Line::from(vec![
                        Span::styled(head, style),
                        Span::styled(rest, t.text()),
                    ])
                }
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(block(format!("candidates · {}", cands.len()), false, t)),
        rows[3],
    );
}

pub fn render(f: &mut Frame, area: Rect, q: &QuestionsState, v: &ViewCtx) {
    let t = v.theme;
    let rows = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).split(area);
    f.render_widget(Paragraph::new(filter_line(&q.query, v)), rows[0]);
    if let Some(e) = &q.error {
        f.render_widget(
            Paragraph::new(vec![
                Line::styled("cannot list questions:", t.error()),
                Line::styled(e.clone(), t.error()),
            ])
            .wrap(Wrap { trim: true })
            .block(block("Questions", true, t)),
            rows[1],
        );
        return;
    }
    if !q.loaded {
        render_note(
            f,
            rows[1],
            vec![Line::styled("loading questions…", t.dim())],
            t,
        );
        return;
    }
    if q.ids.is_empty() {
        let filtered = q.query != ExampleQuery::default();
        let lines = if filtered {
            vec![
                Line::styled("No question matches these filters.", t.title()),
                Line::styled(
                    format!(
                        "{} clears them.",
                        v.keymap.hint("questions", Cmd::ClearFilters)
                    ),
                    t.dim(),
                ),
            ]
        } else {
            vec![
                Line::styled("This workspace has no questions yet.", t.title()),
                Line::raw(""),
                Line::styled(
                    "Build the samples with `sense init`, or import a benchmark:",
                    t.text(),
                ),
                Line::styled("  sense import spider dev.json", t.accent()),
            ]
        };
        render_note(f, rows[1], lines, t);
        return;
    }
    let list_w = if rows[1].width >= 140 {
        60
    } else {
        rows[1].width * 45 / 100
    };
    let cols = Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).split(rows[1]);
    render_list(f, cols[0], q, v);
    render_detail(f, cols[1], q, v);
}
