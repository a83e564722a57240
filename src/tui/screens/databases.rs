//! Databases: the schema tree (databases → tables → columns with type, primary key, foreign
//! key target), filtered with `/`, and beside it the rows of the selected table.

use super::{block, render_note, render_pane};
use crate::schema::DbSchema;
use crate::store::DatabaseRow;
use crate::tui::ctx::{AppMsg, Ctx, Prompt, PromptKind, Screen, ViewCtx};
use crate::tui::keymap::Cmd;
use crate::tui::msg::{Effect, Loaded, Slot};
use crate::tui::widgets::grid::Pane;
use crate::tui::widgets::tree::{self, Node, TreeRow};
use crate::tui::widgets::{fit, move_cursor, scroll_offset, step_within};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::collections::{HashMap, HashSet};

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

/// The tree's rows as shown: the workspace's databases (`list`) with the schemas read so far,
/// expanded and filtered as the state says.
pub fn visible_rows(
    d: &DatabasesState,
    list: &[DatabaseRow],
    schemas: &HashMap<String, Result<DbSchema, String>>,
) -> Vec<TreeRow> {
    let dbs: Vec<(String, i64)> = list.iter().map(|d| (d.name.clone(), d.examples)).collect();
    let mut rows = tree::rows(&dbs, schemas, &d.expanded, &d.filter);
    // Every database carries its split: dev databases are held out.
    for r in rows.iter_mut().filter(|r| r.depth == 0) {
        if let Some(d) = list.iter().find(|d| d.name == r.label) {
            r.detail = format!("{} · {}", d.split, r.detail);
        }
    }
    rows
}

pub fn on_enter(d: &mut DatabasesState, cx: &mut Ctx) -> Vec<Effect> {
    let mut fx = Vec::new();
    if !d.loaded {
        fx.push(Effect::LoadDatabases);
    }
    fx.extend(after_list(d, cx));
    fx
}

/// The workspace's databases were read (the app holds the list).
pub fn on_list(d: &mut DatabasesState, cx: &mut Ctx) -> Vec<Effect> {
    d.loaded = true;
    d.error = None;
    after_list(d, cx)
}

/// Reads every schema not read yet (the filter searches them all).
pub fn after_list(d: &mut DatabasesState, cx: &mut Ctx) -> Vec<Effect> {
    if cx.screen != Screen::Databases {
        return Vec::new();
    }
    let mut fx: Vec<Effect> = cx
        .databases
        .iter()
        .filter(|d| !cx.schemas.contains_key(&d.name))
        .map(|d| Effect::LoadSchema(d.name.clone()))
        .collect();
    fx.extend(follow_cursor(d, cx));
    fx
}

pub fn after_schema(d: &mut DatabasesState, cx: &mut Ctx) -> Vec<Effect> {
    if cx.screen != Screen::Databases {
        return Vec::new();
    }
    follow_cursor(d, cx)
}

pub fn set_filter(d: &mut DatabasesState, text: String) {
    d.filter = text;
    d.cursor = 0;
}

/// Previews the table under the cursor when it changed.
fn follow_cursor(d: &mut DatabasesState, cx: &Ctx) -> Vec<Effect> {
    let rows = visible_rows(d, cx.databases, cx.schemas);
    d.cursor = d.cursor.min(rows.len().saturating_sub(1));
    let Some(row) = rows.get(d.cursor) else {
        return Vec::new();
    };
    let db = row.node.db().to_string();
    let Some(ti) = row.node.table() else {
        return Vec::new();
    };
    let Some(Ok(schema)) = cx.schemas.get(&db) else {
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
    run_grid(d)
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

fn run_grid(d: &mut DatabasesState) -> Vec<Effect> {
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
pub fn run_query(d: &mut DatabasesState, db: String, sql: String) -> Vec<Effect> {
    if sql.trim().is_empty() {
        return Vec::new();
    }
    d.query = Some((db, sql));
    d.sort = None;
    d.grid_row = 0;
    d.grid_col = 0;
    run_grid(d)
}

pub fn on_cmd(d: &mut DatabasesState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let len = visible_rows(d, cx.databases, cx.schemas).len();
            if move_cursor(&mut d.cursor, len, cmd, cx.page) {
                return follow_cursor(d, cx);
            }
            Vec::new()
        }
        Cmd::Expand | Cmd::Collapse => {
            let rows = visible_rows(d, cx.databases, cx.schemas);
            let Some(row) = rows.get(d.cursor) else {
                return Vec::new();
            };
            let key = match &row.node {
                Node::Db { db } => Some(db.clone()),
                Node::Table { db, table } => match cx.schemas.get(db) {
                    Some(Ok(sc)) => sc.tables.get(*table).map(|t| format!("{db}/{}", t.name)),
                    _ => None,
                },
                Node::Column { .. } => None,
            };
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
            follow_cursor(d, cx)
        }
        Cmd::Filter => {
            *cx.prompt = Some(Prompt::new(PromptKind::Filter, &d.filter));
            Vec::new()
        }
        Cmd::Query => {
            let rows = visible_rows(d, cx.databases, cx.schemas);
            let db = rows.get(d.cursor).map(|r| r.node.db().to_string());
            if let Some(db) = db {
                let last = match &d.query {
                    Some((qdb, sql)) if *qdb == db => sql.clone(),
                    _ => String::new(),
                };
                *cx.prompt = Some(Prompt::new(PromptKind::DbQuery { db }, &last));
            }
            Vec::new()
        }
        Cmd::SortColumn => {
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
            cx.info(what);
            run_grid(d)
        }
        Cmd::TableQuestions => {
            let rows = visible_rows(d, cx.databases, cx.schemas);
            let Some(row) = rows.get(d.cursor) else {
                return Vec::new();
            };
            let db = row.node.db().to_string();
            let table = row.node.table().and_then(|ti| match cx.schemas.get(&db) {
                Some(Ok(sc)) => sc.tables.get(ti).map(|t| t.name.clone()),
                _ => None,
            });
            // The questions of this database whose question or gold SQL names the table.
            cx.send(AppMsg::ShowQuestions(crate::store::ExampleQuery {
                db: Some(db),
                search: table.unwrap_or_default(),
                ..Default::default()
            }));
            Vec::new()
        }
        Cmd::ClearFilter => {
            set_filter(d, String::new());
            follow_cursor(d, cx)
        }
        Cmd::GridDown => {
            d.grid_row = step_within(d.grid_row, d.grid.extent().0);
            Vec::new()
        }
        Cmd::GridUp => {
            d.grid_row = d.grid_row.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridRight => {
            d.grid_col = step_within(d.grid_col, d.grid.extent().1);
            Vec::new()
        }
        Cmd::GridLeft => {
            d.grid_col = d.grid_col.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub fn on_loaded(d: &mut DatabasesState, l: Loaded) -> Vec<Effect> {
    if let Loaded::Sql { token, result, .. } = l {
        if token == d.token {
            d.grid = match result {
                Ok(g) => Pane::Ready(g),
                Err(e) => Pane::Failed(e),
            };
        }
    }
    Vec::new()
}

// ---- view ----------------------------------------------------------------------------

fn render_tree(f: &mut Frame, area: Rect, d: &DatabasesState, v: &ViewCtx, rows: &[TreeRow]) {
    let t = v.theme;
    let title = if d.filter.is_empty() {
        format!("Schema · {} databases", v.databases.len())
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

pub fn render(f: &mut Frame, area: Rect, d: &DatabasesState, v: &ViewCtx) {
    let t = v.theme;
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
    if v.databases.is_empty() {
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
    let rows = visible_rows(d, v.databases, v.schemas);
    let tree_w = if area.width >= 140 {
        56
    } else {
        area.width * 2 / 5
    };
    let cols = Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(20)]).split(area);
    render_tree(f, cols[0], d, v, &rows);
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
