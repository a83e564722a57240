//! Review: the queue of pairs the filter selects (pending by default), one at a time. Chosen and
//! rejected SQL side by side with a token diff, their results side by side with the rows only
//! one side has marked, the verdict, its rule, flags and failure class; accept, reject, skip
//! (one pair or every pair shown), undo, note, edit, correct the gold. Every decision is
//! written to the store when its key is pressed.

pub use super::review_view::render;
use super::review_view::wrapped_lines;
use crate::exec::{Metric, MetricKind};
use crate::store::{Pair, PairFacets, PairQuery, PairStatus};
use crate::tui::ctx::{Ctx, Prompt, PromptKind};
use crate::tui::keymap::Cmd;
use crate::tui::msg::{Effect, Loaded, Slot};
use crate::tui::screens::review_filter::{self, FilterPicker};
use crate::tui::widgets::grid::Pane;
use crate::tui::widgets::{move_cursor, step_within};
use crossterm::event::{KeyCode, KeyEvent};
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
    pub(super) fn status(&self, id: i64) -> PairStatus {
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

pub fn on_enter(r: &mut ReviewState) -> Vec<Effect> {
    if !r.loaded {
        return vec![Effect::LoadQueue(r.filter.clone())];
    }
    Vec::new()
}

/// Every pair, on this one (Questions: a candidate's pair).
pub fn show_pair(r: &mut ReviewState, id: i64) -> Vec<Effect> {
    r.filter = PairQuery::default();
    r.focus = Some(id);
    vec![Effect::LoadQueue(r.filter.clone())]
}

/// The workspace's counts were read again: pairs made by another process (an import, weak
/// sampling, a job) join the queue live; a finished queue picks up pending pairs that
/// appeared since. `grew`: the number of pairs changed.
pub fn on_counts(r: &ReviewState, grew: bool, pending: i64) -> Vec<Effect> {
    if r.loaded && (grew || (pending > 0 && !r.has_pending())) {
        vec![Effect::LoadQueue(r.filter.clone())]
    } else {
        Vec::new()
    }
}

/// A gold correction (or its undo) was made: the queue is read again, on `focus` when given
/// (the pair an undo restored).
pub fn after_gold(r: &mut ReviewState, focus: Option<Option<i64>>) -> Vec<Effect> {
    if let Some(f) = focus {
        r.focus = f;
    }
    if r.loaded {
        vec![Effect::LoadQueue(r.filter.clone())]
    } else {
        Vec::new()
    }
}

/// Whether an overlay of this screen (guidelines, a bulk confirmation, the filter picker)
/// takes the keys.
pub fn has_overlay(r: &ReviewState) -> bool {
    r.guidelines.is_some() || r.confirm.is_some() || r.picker.open
}

/// Keys while one of this screen's overlays is open.
pub fn on_overlay_key(r: &mut ReviewState, cx: &mut Ctx, key: KeyEvent) -> Vec<Effect> {
    if r.guidelines.is_some() {
        // Any key closes the guidelines.
        r.guidelines = None;
        return Vec::new();
    }
    if r.confirm.is_some() {
        return on_confirm_key(r, cx, key);
    }
    if r.picker.open {
        return review_filter::on_key(r, cx.keymap, key);
    }
    Vec::new()
}

/// Judges an edited chosen SQL against the pair's gold (the answer carries a new token).
pub fn judge(r: &mut ReviewState, example_id: i64, sql: String) -> Vec<Effect> {
    r.token += 1;
    vec![Effect::Judge {
        token: r.token,
        example_id,
        sql,
    }]
}

/// Keys while a bulk decision waits: y (or enter) decides every pair shown, anything else
/// cancels.
fn on_confirm_key(r: &mut ReviewState, cx: &mut Ctx, key: KeyEvent) -> Vec<Effect> {
    let Some(status) = r.confirm.take() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Char('y') | KeyCode::Enter => {
            vec![Effect::DecideMany(r.queue.clone(), status)]
        }
        _ => {
            cx.info("nothing decided");
            Vec::new()
        }
    }
}

fn load_current(r: &mut ReviewState) -> Vec<Effect> {
    r.grid_row = 0;
    r.grid_col = 0;
    r.sql_scroll = 0;
    match r.current() {
        Some(id) => vec![Effect::LoadPair(id)],
        None => {
            r.pair = None;
            Vec::new()
        }
    }
}

pub fn on_cmd(r: &mut ReviewState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            if move_cursor(&mut r.cursor, r.queue.len(), cmd, cx.page) {
                return load_current(r);
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
        Cmd::Filter => review_filter::open(r),
        Cmd::NextPending => match r.next_pending() {
            Some(i) => {
                r.cursor = i;
                load_current(r)
            }
            None => {
                cx.info("no pending pair in this queue");
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
                *cx.prompt = Some(Prompt::new(
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
            cx.info(msg);
            match r.pair.clone() {
                Some(p) => run_panes(r, &p),
                None => Vec::new(),
            }
        }
        Cmd::Note => {
            if let Some(p) = &r.pair {
                *cx.prompt = Some(Prompt::new(PromptKind::Note { pair_id: p.id }, &p.note));
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
                *cx.prompt = Some(Prompt::new(
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
pub(super) fn metric_of(p: &Pair) -> Metric {
    Metric::of(p.metric.parse::<MetricKind>().unwrap_or_default())
}

/// Runs both queries for the result panes, as written or as the metric's rule ran them.
fn run_panes(r: &mut ReviewState, pair: &Pair) -> Vec<Effect> {
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

fn show(r: &mut ReviewState, cx: &Ctx, pair: Pair) -> Vec<Effect> {
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
        fx = run_panes(r, &pair);
    }
    r.decided.insert(pair.id, pair.status);
    r.pair = Some(pair);
    if !cx.schemas.contains_key(&db) {
        fx.push(Effect::LoadSchema(db));
    }
    fx
}

pub fn on_loaded(r: &mut ReviewState, cx: &mut Ctx, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Queue(ids) => {
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
            load_current(r)
        }
        Loaded::PairFacets(f) => {
            r.facets = f;
            Vec::new()
        }
        Loaded::BulkDecided(Ok(ids)) => {
            cx.info(format!(
                "{} pairs decided together · u undoes them all at once",
                ids.len()
            ));
            vec![Effect::LoadCounts, Effect::LoadQueue(r.filter.clone())]
        }
        Loaded::BatchUndone(Ok(ids)) => {
            cx.info(format!(
                "undone: {} pairs decided together are back",
                ids.len()
            ));
            r.focus = ids.first().copied();
            vec![Effect::LoadCounts, Effect::LoadQueue(r.filter.clone())]
        }
        Loaded::Guidelines(g) => {
            match g {
                Ok(g) => r.guidelines = Some(g),
                Err(e) => cx.error(e),
            }
            Vec::new()
        }
        Loaded::Pair(id, res) => {
            if r.current() != Some(id) {
                return Vec::new();
            }
            match res {
                Ok(p) => show(r, cx, p),
                Err(e) => {
                    r.pair = None;
                    r.error = Some(e);
                    Vec::new()
                }
            }
        }
        Loaded::Decided(Ok(pair)) => {
            cx.info(format!("pair #{} {}", pair.id, pair.status.as_str()));
            r.decided.insert(pair.id, pair.status);
            let mut fx = vec![Effect::LoadCounts];
            match r.next_pending() {
                Some(i) => {
                    r.cursor = i;
                    fx.extend(load_current(r));
                }
                None => {
                    // Queue done: keep showing the last pair with its new status.
                    fx.extend(show(r, cx, pair));
                    cx.info("every pair in the queue is decided (u undoes)");
                }
            }
            fx
        }
        Loaded::Undone(Ok(Some(pair))) => {
            cx.info(format!(
                "undone: pair #{} is {} again",
                pair.id,
                pair.status.as_str()
            ));
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
            fx.extend(load_current(r));
            fx
        }
        Loaded::Undone(Ok(None)) => {
            cx.info("nothing to undo");
            Vec::new()
        }
        Loaded::NoteSaved(Ok(pair)) => {
            cx.info(format!("note saved on pair #{}", pair.id));
            if r.current() == Some(pair.id) {
                return show(r, cx, pair);
            }
            Vec::new()
        }
        Loaded::ChosenSaved(Ok(pair)) => {
            cx.info(format!("chosen SQL of pair #{} replaced", pair.id));
            if r.current() == Some(pair.id) {
                return show(r, cx, pair);
            }
            Vec::new()
        }
        Loaded::Decided(Err(e))
        | Loaded::BulkDecided(Err(e))
        | Loaded::BatchUndone(Err(e))
        | Loaded::Undone(Err(e))
        | Loaded::NoteSaved(Err(e))
        | Loaded::ChosenSaved(Err(e)) => {
            cx.error(e);
            Vec::new()
        }
        Loaded::Judged {
            token,
            sql,
            verdict,
        } => {
            if token == r.token {
                if let Some(p) = cx.prompt.as_mut() {
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
            if token != r.token {
                return Vec::new();
            }
            let pane = match result {
                Ok(g) => Pane::Ready(g),
                Err(e) => Pane::Failed(e),
            };
            match slot {
                Slot::ReviewChosen => r.chosen = pane,
                _ => r.rejected = pane,
            }
            mark_row_diff(r);
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
