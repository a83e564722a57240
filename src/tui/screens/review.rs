//! Review: the queue of pairs the filter selects (pending by default), one at a time. Chosen and
//! rejected SQL side by side with a token diff, their results side by side with the rows only
//! one side has marked, the verdict, its rule, flags and failure class; accept, reject, skip
//! (one pair or every pair shown), undo, note, edit, correct the gold. Every decision is
//! written to the store when its key is pressed.

use super::{block, render_note, render_pane_marked};
use crate::exec::{Metric, MetricKind};
use crate::store::{Pair, PairFacets, PairFlag, PairQuery, PairStatus};
use crate::tui::keymap::Cmd;
use crate::tui::screens::review_filter::{self, FilterPicker};
use crate::tui::state::{
    move_cursor, step_within, Effect, Loaded, Pane, Prompt, PromptKind, Slot, State,
};
use crate::tui::widgets::sql::{highlight_diff, token_diff};
use crate::tui::widgets::{fit, tree};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct ReviewState {
    /// The queue was read from the store.
    pub loaded: bool,
    /// Which pairs the queue holds (pending ones by default).
    pub filter: PairQuery,
    pub picker: FilterPicker,
    /// The values the filters can take, read when the picker opens.
    pub facets: PairFacets,
    /// A bulk decision waiting for its confirmation.
    pub confirm: Option<PairStatus>,
    /// The guidelines overlay: (file, text), while it is open.
    pub guidelines: Option<(String, String)>,
    /// Pair ids: the pairs the filter selected, plus any brought back by undo.
    pub queue: Vec<i64>,
    pub cursor: usize,
    /// Statuses changed in this session (the rest are pending).
    pub decided: HashMap<i64, PairStatus>,
    pub pair: Option<Pair>,
    pub error: Option<String>,
    pub chosen: Pane,
    pub rejected: Pane,
    pub token: u64,
    pub grid_row: usize,
    pub grid_col: usize,
    /// Lines scrolled in the two SQL panes.
    pub sql_scroll: u16,
    /// The grids show the queries as the metric's rule executed them (DISTINCT removed for
    /// Spider), not as written.
    pub as_rule: bool,
    /// The pair to show when the queue is read again (after undoing a gold correction).
    pub focus: Option<i64>,
}

impl Default for ReviewState {
    fn default() -> Self {
        ReviewState {
            loaded: false,
            filter: PairQuery::pending(),
            picker: FilterPicker::default(),
            facets: PairFacets::default(),
            confirm: None,
            guidelines: None,
            queue: Vec::new(),
            cursor: 0,
            decided: HashMap::new(),
            pair: None,
            error: None,
            chosen: Pane::default(),
            rejected: Pane::default(),
            token: 0,
            grid_row: 0,
            grid_col: 0,
            sql_scroll: 0,
            as_rule: false,
            focus: None,
        }
    }
}

impl ReviewState {
    pub fn current(&self) -> Option<i64> {
        self.queue.get(self.cursor).copied()
    }
    /// A pair's status as last seen; one not shown yet has the status the filter asked for.
    fn status(&self, id: i64) -> PairStatus {
        self.decided
            .get(&id)
            .copied()
            .unwrap_or(self.filter.status.unwrap_or(PairStatus::Pending))
    }
    /// Whether any pair of the queue is still pending.
    pub fn has_pending(&self) -> bool {
        self.queue
            .iter()
            .any(|id| self.status(*id) == PairStatus::Pending)
    }

    /// The next pending pair after the cursor, else the first pending one.
    fn next_pending(&self) -> Option<usize> {
        let pending = |i: &usize| self.status(self.queue[*i]) == PairStatus::Pending;
        (self.cursor + 1..self.queue.len())
            .find(pending)
            .or_else(|| (0..self.queue.len()).find(pending))
    }
}

pub fn on_enter(s: &mut State) -> Vec<Effect> {
    if !s.review.loaded {
        return vec![Effect::LoadQueue(s.review.filter.clone())];
    }
    Vec::new()
}

/// Keys while a bulk decision waits: y (or enter) decides every pair shown, anything else
/// cancels.
pub fn on_confirm_key(s: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(status) = s.review.confirm.take() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Char('y') | KeyCode::Enter => {
            vec![Effect::DecideMany(s.review.queue.clone(), status)]
        }
        _ => {
            s.info("nothing decided");
            Vec::new()
        }
    }
}

fn load_current(s: &mut State) -> Vec<Effect> {
    s.review.grid_row = 0;
    s.review.grid_col = 0;
    s.review.sql_scroll = 0;
    match s.review.current() {
        Some(id) => vec![Effect::LoadPair(id)],
        None => {
            s.review.pair = None;
            Vec::new()
        }
    }
}

pub fn on_cmd(s: &mut State, cmd: Cmd) -> Vec<Effect> {
    let r = &mut s.review;
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let page = s.page();
            if move_cursor(&mut s.review.cursor, s.review.queue.len(), cmd, page) {
                return load_current(s);
            }
            Vec::new()
        }
        Cmd::Accept | Cmd::Reject | Cmd::Skip => {
            let status = match cmd {
                Cmd::Accept => PairStatus::Accepted,
                Cmd::Reject => PairStatus::Rejected,
                _ => PairStatus::Skipped,
            };
            match r.current() {
                Some(id) => vec![Effect::Decide(id, status)],
                None => Vec::new(),
            }
        }
        Cmd::Undo => vec![Effect::Undo],
        Cmd::Filter => review_filter::open(s),
        Cmd::NextPending => match r.next_pending() {
            Some(i) => {
                r.cursor = i;
                load_current(s)
            }
            None => {
                s.info("no pending pair in this queue");
                Vec::new()
            }
        },
        Cmd::AcceptAll | Cmd::RejectAll | Cmd::SkipAll => {
            if r.queue.is_empty() {
                return Vec::new();
            }
            let status = match cmd {
                Cmd::AcceptAll => PairStatus::Accepted,
                Cmd::RejectAll => PairStatus::Rejected,
                _ => PairStatus::Skipped,
            };
            r.confirm = Some(status);
            Vec::new()
        }
        Cmd::Guidelines => vec![Effect::LoadGuidelines],
        Cmd::EditGold => {
            if let Some(p) = &r.pair {
                let one_line = p.gold_sql.split_whitespace().collect::<Vec<_>>().join(" ");
                s.prompt = Some(Prompt::new(
                    PromptKind::EditGold {
                        example_id: p.example_id,
                    },
                    &one_line,
                ));
            }
            Vec::new()
        }
        Cmd::ToggleRule => {
            r.as_rule = !r.as_rule;
            let msg = match (&r.pair, r.as_rule) {
                (Some(p), true) => format!("results as the {} rule ran them", p.metric),
                _ => "results as written".to_string(),
            };
            s.info(msg);
            match s.review.pair.clone() {
                Some(p) => run_panes(s, &p),
                None => Vec::new(),
            }
        }
        Cmd::Note => {
            if let Some(p) = &r.pair {
                s.prompt = Some(Prompt::new(PromptKind::Note { pair_id: p.id }, &p.note));
            }
            Vec::new()
        }
        Cmd::Edit => {
            if let Some(p) = &r.pair {
                let one_line = p
                    .chosen_sql
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                s.prompt = Some(Prompt::new(
                    PromptKind::EditChosen {
                        pair_id: p.id,
                        example_id: p.example_id,
                    },
                    &one_line,
                ));
            }
            Vec::new()
        }
        Cmd::SqlDown => {
            // Bounded by the longest text at a narrow width; the view shows where it ends.
            let longest = r
                .pair
                .as_ref()
                .map(|p| wrapped_lines(&p.chosen_sql, 30).max(wrapped_lines(&p.rejected_sql, 30)))
                .unwrap_or(0);
            r.sql_scroll = (r.sql_scroll + 1).min(longest.saturating_sub(1) as u16);
            Vec::new()
        }
        Cmd::SqlUp => {
            r.sql_scroll = r.sql_scroll.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridDown => {
            let rows = r.chosen.extent().0.max(r.rejected.extent().0);
            r.grid_row = step_within(r.grid_row, rows);
            Vec::new()
        }
        Cmd::GridUp => {
            r.grid_row = r.grid_row.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridRight => {
            let cols = r.chosen.extent().1.max(r.rejected.extent().1);
            r.grid_col = step_within(r.grid_col, cols);
            Vec::new()
        }
        Cmd::GridLeft => {
            r.grid_col = r.grid_col.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The metric that judged a pair's rejected SQL.
fn metric_of(p: &Pair) -> Metric {
    Metric::of(p.metric.parse::<MetricKind>().unwrap_or_default())
}

/// Runs both queries for the result panes, as written or as the metric's rule ran them.
fn run_panes(s: &mut State, pair: &Pair) -> Vec<Effect> {
    let r = &mut s.review;
    r.token += 1;
    r.chosen = Pane::Loading;
    r.rejected = Pane::Loading;
    let prep = |sql: &str| {
        if r.as_rule {
            metric_of(pair).prepare(sql)
        } else {
            sql.to_string()
        }
    };
    vec![
        Effect::RunSql {
            slot: Slot::ReviewChosen,
            token: r.token,
            db: pair.db_name.clone(),
            sql: prep(&pair.chosen_sql),
        },
        Effect::RunSql {
            slot: Slot::ReviewRejected,
            token: r.token,
            db: pair.db_name.clone(),
            sql: prep(&pair.rejected_sql),
        },
    ]
}

fn show_pair(s: &mut State, pair: Pair) -> Vec<Effect> {
    let r = &mut s.review;
    let same_pair = r.pair.as_ref().is_some_and(|p| p.id == pair.id);
    let rerun = !same_pair
        || r.pair
            .as_ref()
            .is_some_and(|p| p.chosen_sql != pair.chosen_sql)
        || !matches!(r.chosen, Pane::Ready(_));
    r.error = None;
    let db = pair.db_name.clone();
    let mut fx = Vec::new();
    if rerun {
        fx = run_panes(s, &pair);
    }
    let r = &mut s.review;
    r.decided.insert(pair.id, pair.status);
    r.pair = Some(pair);
    if !s.schemas.contains_key(&db) {
        fx.push(Effect::LoadSchema(db));
    }
    fx
}

pub fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Queue(ids) => {
            let r = &mut s.review;
            // Stay on the pair shown (or the next one after it) when the queue is read again.
            let at = r.focus.take().or(r.current());
            r.loaded = true;
            r.queue = ids;
            r.cursor = at
                .map(|id| r.queue.partition_point(|&q| q < id))
                .unwrap_or(0)
                .min(r.queue.len().saturating_sub(1));
            r.decided.clear();
            r.pair = None;
            load_current(s)
        }
        Loaded::PairFacets(f) => {
            s.review.facets = f;
            Vec::new()
        }
        Loaded::BulkDecided(Ok(ids)) => {
            s.info(format!(
                "{} pairs decided together · u undoes them all at once",
                ids.len()
            ));
            vec![
                Effect::LoadCounts,
                Effect::LoadQueue(s.review.filter.clone()),
            ]
        }
        Loaded::BatchUndone(Ok(ids)) => {
            s.info(format!(
                "undone: {} pairs decided together are back",
                ids.len()
            ));
            s.review.focus = ids.first().copied();
            vec![
                Effect::LoadCounts,
                Effect::LoadQueue(s.review.filter.clone()),
            ]
        }
        Loaded::Guidelines(r) => {
            match r {
                Ok(g) => s.review.guidelines = Some(g),
                Err(e) => s.error(e),
            }
            Vec::new()
        }
        Loaded::Pair(id, res) => {
            if s.review.current() != Some(id) {
                return Vec::new();
            }
            match res {
                Ok(p) => show_pair(s, p),
                Err(e) => {
                    s.review.pair = None;
                    s.review.error = Some(e);
                    Vec::new()
                }
            }
        }
        Loaded::Decided(Ok(pair)) => {
            s.info(format!("pair #{} {}", pair.id, pair.status.as_str()));
            let r = &mut s.review;
            r.decided.insert(pair.id, pair.status);
            let mut fx = vec![Effect::LoadCounts];
            match r.next_pending() {
                Some(i) => {
                    r.cursor = i;
                    fx.extend(load_current(s));
                }
                None => {
                    // Queue done: keep showing the last pair with its new status.
                    fx.extend(show_pair(s, pair));
                    s.info("every pair in the queue is decided (u undoes)");
                }
            }
            fx
        }
        Loaded::Undone(Ok(Some(pair))) => {
            s.info(format!(
                "undone: pair #{} is {} again",
                pair.id,
                pair.status.as_str()
            ));
            let r = &mut s.review;
            r.decided.insert(pair.id, pair.status);
            let i = match r.queue.binary_search(&pair.id) {
                Ok(i) => i,
                Err(i) => {
                    r.queue.insert(i, pair.id);
                    i
                }
            };
            r.cursor = i;
            let mut fx = vec![Effect::LoadCounts];
            fx.extend(load_current(s));
            fx
        }
        Loaded::Undone(Ok(None)) => {
            s.info("nothing to undo");
            Vec::new()
        }
        Loaded::NoteSaved(Ok(pair)) => {
            s.info(format!("note saved on pair #{}", pair.id));
            if s.review.current() == Some(pair.id) {
                return show_pair(s, pair);
            }
            Vec::new()
        }
        Loaded::ChosenSaved(Ok(pair)) => {
            s.info(format!("chosen SQL of pair #{} replaced", pair.id));
            if s.review.current() == Some(pair.id) {
                return show_pair(s, pair);
            }
            Vec::new()
        }
        Loaded::Decided(Err(e))
        | Loaded::BulkDecided(Err(e))
        | Loaded::BatchUndone(Err(e))
        | Loaded::Undone(Err(e))
        | Loaded::NoteSaved(Err(e))
        | Loaded::ChosenSaved(Err(e)) => {
            s.error(e);
            Vec::new()
        }
        Loaded::Judged {
            token,
            sql,
            verdict,
        } => {
            if token == s.review.token {
                if let Some(p) = s.prompt.as_mut() {
                    p.judging = false;
                    p.judged = Some((sql, verdict));
                }
            }
            Vec::new()
        }
        Loaded::Sql {
            slot,
            token,
            result,
        } => {
            if token != s.review.token {
                return Vec::new();
            }
            let pane = match result {
                Ok(g) => Pane::Ready(g),
                Err(e) => Pane::Failed(e),
            };
            match slot {
                Slot::ReviewChosen => s.review.chosen = pane,
                _ => s.review.rejected = pane,
            }
            mark_row_diff(&mut s.review);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Once both grids are ready: marks the rows only one side has (as multisets, column order
/// ignored, so a permuted projection is not all "different").
fn mark_row_diff(r: &mut ReviewState) {
    let (Pane::Ready(c), Pane::Ready(p)) = (&mut r.chosen, &mut r.rejected) else {
        return;
    };
    let key = |row: &Vec<String>| {
        let mut k = row.clone();
        k.sort();
        k
    };
    let count = |rows: &[Vec<String>]| {
        let mut m: HashMap<Vec<String>, usize> = HashMap::new();
        for row in rows {
            *m.entry(key(row)).or_default() += 1;
        }
        m
    };
    let (cc, pc) = (count(&c.rows), count(&p.rows));
    // The first k occurrences of a row are matched when the other side has it k times.
    let marks = |rows: &[Vec<String>], other: &HashMap<Vec<String>, usize>| {
        let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
        rows.iter()
            .map(|row| {
                let k = key(row);
                let n = seen.entry(k.clone()).or_default();
                *n += 1;
                *n > other.get(&k).copied().unwrap_or(0)
            })
            .collect::<Vec<bool>>()
    };
    c.only_here = marks(&c.rows, &pc);
    p.only_here = marks(&p.rows, &cc);
    let same_bag = cc == pc;
    let same_order = c.rows.iter().map(key).eq(p.rows.iter().map(key));
    c.note = None;
    p.note = None;
    if same_bag && !same_order && !c.rows.is_empty() {
        let n = Some("same rows, different order".to_string());
        c.note = n.clone();
        p.note = n;
    }
}

// ---- view ----------------------------------------------------------------------------

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
fn wrapped_lines(text: &str, width: usize) -> usize {
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

fn progress_line(s: &State) -> Line<'static> {
    let t = &s.theme;
    let r = &s.review;
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
    if let Some(c) = &s.counts {
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
fn filter_line(s: &State, w: usize) -> Line<'static> {
    let t = &s.theme;
    let k = &s.keymap;
    let text = format!(
        "filter: {} · {} shown · {} changes · {}/{}/{} decide all shown",
        review_filter::summary(&s.review.filter),
        s.review.queue.len(),
        k.hint("review", Cmd::Filter),
        k.hint("review", Cmd::AcceptAll),
        k.hint("review", Cmd::RejectAll),
        k.hint("review", Cmd::SkipAll),
    );
    Line::styled(fit(&text, w), t.accent())
}

fn confirm_line(s: &State, status: PairStatus, w: usize) -> Line<'static> {
    let verb = match status {
        PairStatus::Accepted => "accept",
        PairStatus::Rejected => "reject",
        _ => "skip",
    };
    let n = s.review.queue.len();
    let text = format!(
        "{verb} all {n} pair{} shown ({})? y confirms · any other key cancels · u undoes it as one step",
        if n == 1 { "" } else { "s" },
        review_filter::summary(&s.review.filter)
    );
    Line::styled(fit(&text, w), s.theme.warning())
}

/// The filter picker and the guidelines, over the screen.
fn render_overlays(f: &mut Frame, area: Rect, s: &State) {
    if s.review.picker.open {
        review_filter::render(f, area, s);
    }
    if let Some((path, text)) = &s.review.guidelines {
        let t = &s.theme;
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

fn hints(s: &State) -> Line<'static> {
    let k = &s.keymap;
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
        spans.push(Span::styled(k.hint("review", cmd), s.theme.accent()));
        spans.push(Span::styled(format!(" {label}  "), s.theme.dim()));
    }
    spans.push(Span::styled(k.hint("global", Cmd::Help), s.theme.accent()));
    spans.push(Span::styled(" help", s.theme.dim()));
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

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let r = &s.review;
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
                        s.keymap.hint("review", Cmd::Filter)
                    ),
                    t.text(),
                ),
            ];
            render_note(f, area, lines, t);
            render_overlays(f, area, s);
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
        if let Some(c) = &s.counts {
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
        render_overlays(f, area, s);
        return;
    };
    let big = area.height >= 40;
    let schema_lines: Vec<String> = match s.schemas.get(&p.db_name) {
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
    let mut head = vec![progress_line(s)];
    if filtered {
        head.push(filter_line(s, area.width as usize));
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
    let runs = s
        .playground
        .runs
        .iter()
        .chain(s.runs.runs.iter().map(|x| &x.run));
    let named = crate::tui::model_names::model_name(runs, &p.model);
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
        Some(status) => confirm_line(s, status, area.width as usize),
        None => hints(s),
    };
    f.render_widget(Paragraph::new(bottom), rows[8]);
    render_overlays(f, area, s);
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
