//! Databases: the schema tree (databases → tables → columns with type, primary key, foreign
//! key target), filtered with `/`, and beside it the rows of the selected table.

use super::{block, render_note, render_pane};
use crate::tui::keymap::Cmd;
use crate::tui::state::{
    move_cursor, step_within, Effect, Loaded, Pane, Prompt, PromptKind, Slot, State,
};
use crate::tui::widgets::tree::{self, Node, TreeRow};
use crate::tui::widgets::{fit, scroll_offset};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::collections::HashSet;

/// Rows shown in the table preview.
pub const PREVIEW_ROWS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct DatabasesState {
    pub loaded: bool,
    pub error: Option<String>,
    /// Expanded nodes: "db" and "db/table".
    pub expanded: HashSet<String>,
    pub filter: String,
    pub cursor: usize,
    /// The table the preview shows (database, table name).
    pub preview: Option<(String, String)>,
    pub grid: Pane,
    pub token: u64,
    pub grid_row: usize,
    pub grid_col: usize,
    /// SQL typed with `:`, shown in the grid instead of the selected table: (database, SQL).
    pub query: Option<(String, String)>,
    /// The grid's sort: (column, descending).
    pub sort: Option<(usize, bool)>,
}

pub fn visible_rows(s: &State) -> Vec<TreeRow> {
    let dbs: Vec<(String, i64)> = s
        .databases_list
        .iter()
        .map(|d| (d.name.clone(), d.examples))
        .collect();
    let mut rows = tree::rows(&dbs, &s.schemas, &s.databases.expanded, &s.databases.filter);
    // Every database carries its split: dev databases are held out.
    for r in rows.iter_mut().filter(|r| r.depth == 0) {
        if let Some(d) = s.databases_list.iter().find(|d| d.name == r.label) {
            r.detail = format!("{} · {}", d.split, r.detail);
        }
    }
    rows
}

pub fn on_enter(s: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    if !s.databases.loaded {
        fx.push(Effect::LoadDatabases);
    }
    fx.extend(after_list(s));
    fx
}

/// Reads every schema not read yet (the filter searches them all).
pub fn after_list(s: &mut State) -> Vec<Effect> {
    if s.screen != crate::tui::state::Screen::Databases {
        return Vec::new();
    }
    let mut fx: Vec<Effect> = s
        .databases_list
        .iter()
        .filter(|d| !s.schemas.contains_key(&d.name))
        .map(|d| Effect::LoadSchema(d.name.clone()))
        .collect();
    fx.extend(follow_cursor(s));
    fx
}

pub fn after_schema(s: &mut State) -> Vec<Effect> {
    if s.screen != crate::tui::state::Screen::Databases {
        return Vec::new();
    }
    follow_cursor(s)
}

pub fn set_filter(s: &mut State, text: String) {
    s.databases.filter = text;
    s.databases.cursor = 0;
}

/// Previews the table under the cursor when it changed.
fn follow_cursor(s: &mut State) -> Vec<Effect> {
    let rows = visible_rows(s);
    let d = &mut s.databases;
    d.cursor = d.cursor.min(rows.len().saturating_sub(1));
    let Some(row) = rows.get(d.cursor) else {
        return Vec::new();
    };
    let db = row.node.db().to_string();
    let Some(ti) = row.node.table() else {
        return Vec::new();
    };
    let Some(Ok(schema)) = s.schemas.get(&db) else {
        return Vec::new();
    };
    let Some(table) = schema.tables.get(ti) else {
        return Vec::new();
    };
    let want = (db.clone(), table.name.clone());
    if d.preview.as_ref() == Some(&want) && d.query.is_none() {
        return Vec::new();
    }
    d.preview = Some(want);
    d.query = None;
    d.sort = None;
    d.grid_row = 0;
    d.grid_col = 0;
    run_grid(s)
}

/// The SQL behind the grid: the typed query or the selected table, sorted when asked (by
/// the database, so a sorted preview is the table's first rows in that order).
fn grid_sql(d: &DatabasesState) -> Option<(String, String)> {
    let (db, base) = match (&d.query, &d.preview) {
        (Some((db, sql)), _) => (db.clone(), crate::sqltext::first_statement(sql).to_string()),
        (None, Some((db, table))) => (
            db.clone(),
            format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")),
        ),
        (None, None) => return None,
    };
    let sql = match d.sort {
        Some((col, desc)) => format!(
            "SELECT * FROM ({base}) ORDER BY {} {} LIMIT {PREVIEW_ROWS}",
            col + 1,
            if desc { "DESC" } else { "ASC" }
        ),
        None if d.query.is_some() => base,
        None => format!("{base} LIMIT {PREVIEW_ROWS}"),
    };
    Some((db, sql))
}

fn run_grid(s: &mut State) -> Vec<Effect> {
    let d = &mut s.databases;
    let Some((db, sql)) = grid_sql(d) else {
        return Vec::new();
    };
    d.token += 1;
    d.grid = Pane::Loading;
    vec![Effect::RunSql {
        slot: Slot::TablePreview,
        token: d.token,
        db,
        sql,
    }]
}

/// Runs SQL typed on the Databases screen (read-only, under the executor's limits).
pub fn run_query(s: &mut State, db: String, sql: String) -> Vec<Effect> {
    if sql.trim().is_empty() {
        return Vec::new();
    }
    let d = &mut s.databases;
    d.query = Some((db, sql));
    d.sort = None;
    d.grid_row = 0;
    d.grid_col = 0;
    run_grid(s)
}

pub fn on_cmd(s: &mut State, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let len = visible_rows(s).len();
            let page = s.page();
            if move_cursor(&mut s.databases.cursor, len, cmd, page) {
                return follow_cursor(s);
            }
            Vec::new()
        }
        Cmd::Expand | Cmd::Collapse => {
            let rows = visible_rows(s);
            let Some(row) = rows.get(s.databases.cursor) else {
                return Vec::new();
            };
            let key = match &row.node {
                Node::Db { db } => Some(db.clone()),
                Node::Table { db, table } => match s.schemas.get(db) {
                    Some(Ok(sc)) => sc.tables.get(*table).map(|t| format!("{db}/{}", t.name)),
                    _ => None,
                },
                Node::Column { .. } => None,
            };
            let d = &mut s.databases;
            match (cmd, key) {
                (Cmd::Expand, Some(k)) => {
                    d.expanded.insert(k);
                }
                (Cmd::Collapse, Some(k)) if d.expanded.contains(&k) => {
                    d.expanded.remove(&k);
                }
                (Cmd::Collapse, _) => {
                    // Collapse on a child (or a closed node) goes to the parent.
                    let depth = row.depth;
                    if depth > 0 {
                        if let Some(i) = rows[..d.cursor].iter().rposition(|r| r.depth < depth) {
                            d.cursor = i;
                        }
                    }
                }
                _ => {}
            }
            follow_cursor(s)
        }
        Cmd::Filter => {
            s.prompt = Some(Prompt::new(PromptKind::Filter, &s.databases.filter));
            Vec::new()
        }
        Cmd::Query => {
            let rows = visible_rows(s);
            let db = rows
                .get(s.databases.cursor)
                .map(|r| r.node.db().to_string());
            if let Some(db) = db {
                let last = match &s.databases.query {
                    Some((qdb, sql)) if *qdb == db => sql.clone(),
                    _ => String::new(),
                };
                s.prompt = Some(Prompt::new(PromptKind::DbQuery { db }, &last));
            }
            Vec::new()
        }
        Cmd::SortColumn => {
            let d = &mut s.databases;
            if d.grid.extent().1 == 0 {
                return Vec::new();
            }
            let col = d.grid_col;
            d.sort = match d.sort {
                Some((c, false)) if c == col => Some((col, true)),
                Some((c, true)) if c == col => None,
                _ => Some((col, false)),
            };
            d.grid_row = 0;
            let what = match (&d.sort, &d.grid) {
                (Some((c, desc)), Pane::Ready(g)) => format!(
                    "sorted by {} {}",
                    g.columns.get(*c).cloned().unwrap_or_default(),
                    if *desc { "descending" } else { "ascending" }
                ),
                _ => "unsorted".to_string(),
            };
            s.info(what);
            run_grid(s)
        }
        Cmd::TableQuestions => {
            let rows = visible_rows(s);
            let Some(row) = rows.get(s.databases.cursor) else {
                return Vec::new();
            };
            let db = row.node.db().to_string();
            let table = row.node.table().and_then(|ti| match s.schemas.get(&db) {
                Some(Ok(sc)) => sc.tables.get(ti).map(|t| t.name.clone()),
                _ => None,
            });
            // The questions of this database whose question or gold SQL names the table.
            s.questions.query = crate::store::ExampleQuery {
                db: Some(db),
                search: table.unwrap_or_default(),
                ..Default::default()
            };
            s.screen = crate::tui::state::Screen::Questions;
            vec![Effect::LoadQuestionIds(s.questions.query.clone())]
        }
        Cmd::ClearFilter => {
            set_filter(s, String::new());
            follow_cursor(s)
        }
        Cmd::GridDown => {
            let d = &mut s.databases;
            d.grid_row = step_within(d.grid_row, d.grid.extent().0);
            Vec::new()
        }
        Cmd::GridUp => {
            s.databases.grid_row = s.databases.grid_row.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridRight => {
            let d = &mut s.databases;
            d.grid_col = step_within(d.grid_col, d.grid.extent().1);
            Vec::new()
        }
        Cmd::GridLeft => {
            s.databases.grid_col = s.databases.grid_col.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    if let Loaded::Sql { token, result, .. } = l {
        if token == s.databases.token {
            s.databases.grid = match result {
                Ok(g) => Pane::Ready(g),
                Err(e) => Pane::Failed(e),
            };
        }
    }
    Vec::new()
}

// ---- view ----------------------------------------------------------------------------

fn render_tree(f: &mut Frame, area: Rect, s: &State, rows: &[TreeRow]) {
    let t = &s.theme;
    let d = &s.databases;
    let title = if d.filter.is_empty() {
        format!("Schema · {} databases", s.databases_list.len())
    } else {
        format!("Schema · filter \"{}\"", d.filter)
    };
    let b = block(title, true, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height as usize;
    let w = inner.width as usize;
    let off = scroll_offset(d.cursor, rows.len(), h);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(off)
        .take(h)
        .map(|(i, r)| {
            let arrow = match r.node {
                Node::Column { .. } => " ",
                _ if r.expanded => "▾",
                _ => "▸",
            };
            let indent = "  ".repeat(r.depth as usize);
            let head = format!("{indent}{arrow} {}", r.label);
            let detail = fit(&r.detail, w.saturating_sub(head.chars().count() + 1));
            if i == d.cursor {
                Line::styled(fit(&format!("{head} {detail}"), w), t.selected())
            } else {
                let name_style = match r.node {
                    Node::Db { .. } => t.title(),
                    Node::Table { .. } => t.accent(),
                    Node::Column { .. } => t.text(),
                };
                let detail_style = if r.detail.starts_with("error") {
                    t.error()
                } else {
                    t.dim()
                };
                Line::from(vec![
                    Span::styled(head, name_style),
                    Span::raw(" "),
                    Span::styled(detail, detail_style),
                ])
            }
        })
        .collect();
    if lines.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled("nothing matches the filter", t.dim())),
            inner,
        );
    } else {
        f.render_widget(Paragraph::new(lines), inner);
    }
}

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let d = &s.databases;
    if let Some(e) = &d.error {
        f.render_widget(
            Paragraph::new(Line::styled(e.clone(), t.error()))
                .wrap(Wrap { trim: true })
                .block(block("Databases", true, t)),
            area,
        );
        return;
    }
    if !d.loaded {
        render_note(
            f,
            area,
            vec![Line::styled("reading databases…", t.dim())],
            t,
        );
        return;
    }
    if s.databases_list.is_empty() {
        render_note(
            f,
            area,
            vec![
                Line::styled("This workspace has no databases yet.", t.title()),
                Line::raw(""),
                Line::styled(
                    "`sense init` adds the bundled samples; `sense import spider|bird`",
                    t.text(),
                ),
                Line::styled("adds a benchmark's databases and questions.", t.text()),
            ],
            t,
        );
        return;
    }
    let rows = visible_rows(s);
    let tree_w = if area.width >= 140 {
        56
    } else {
        area.width * 2 / 5
    };
    let cols = Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(20)]).split(area);
    render_tree(f, cols[0], s, &rows);
    let sort = match (&d.sort, &d.grid) {
        (Some((c, desc)), Pane::Ready(g)) => format!(
            " · by {} {}",
            g.columns.get(*c).cloned().unwrap_or_default(),
            if *desc { "↓" } else { "↑" }
        ),
        _ => String::new(),
    };
    let title = match (&d.query, &d.preview) {
        (Some((db, sql)), _) => format!("{db} · {}{sort}", crate::tui::widgets::one_line(sql)),
        (None, Some((db, table))) => format!("{db}.{table}{sort}"),
        (None, None) => "rows (select a table)".into(),
    };
    render_pane(f, cols[1], &title, &d.grid, (d.grid_row, d.grid_col), t);
}
