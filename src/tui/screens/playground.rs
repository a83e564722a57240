//! Playground: pick a database and a model (a checkpoint folder or an endpoint), type a
//! question, and see the generated SQL, its result grid and the time taken; `s` samples k
//! alternatives and groups them by result fingerprint (which agree in result); `e` saves the
//! question as a new example with the SQL corrected by hand (it must run and return rows).
//!
//! Generation runs on a background thread (`tui::bg`), never on the UI thread; results come
//! back as `Loaded::Playground` actions carrying the token of their request, so a cancelled
//! or superseded request's answer is dropped.

use super::{block, render_note, render_pane};
use crate::tui::keymap::Cmd;
use crate::tui::state::{move_cursor, step_within, Effect, Loaded, Pane, Prompt, PromptKind};
use crate::tui::state::{Slot, State};
use crate::tui::widgets::fit;
use crate::tui::widgets::sql::highlight;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::path::PathBuf;

/// Samples asked for by `s` unless changed with +/-.
pub const DEFAULT_K: usize = 4;
/// Temperature of the k alternatives (the first answer is greedy).
pub const SAMPLE_TEMPERATURE: f32 = 0.8;
/// Longest completion asked of a model, in tokens.
pub const MAX_TOKENS: usize = 256;

/// Where SQL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A local checkpoint folder.
    Checkpoint(PathBuf),
    /// A named endpoint profile (endpoints.toml).
    Profile(String),
    /// An OpenAI-compatible endpoint and a model served there.
    Endpoint { url: String, model: String },
}

impl ModelSource {
    /// Reads what was typed: `http(s)://HOST/v1 MODEL`, `profile:NAME` (or `@NAME`), else a
    /// checkpoint folder.
    pub fn parse(text: &str) -> Result<ModelSource, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("type a checkpoint folder, `URL MODEL` or `profile:NAME`".into());
        }
        if t.starts_with("http://") || t.starts_with("https://") {
            let mut parts = t.split_whitespace();
            let url = parts.next().unwrap_or_default().to_string();
            return match parts.next() {
                Some(model) => Ok(ModelSource::Endpoint {
                    url,
                    model: model.to_string(),
                }),
                None => Err("an endpoint needs a model: `URL MODEL`".into()),
            };
        }
        if let Some(name) = t.strip_prefix("profile:").or_else(|| t.strip_prefix('@')) {
            return Ok(ModelSource::Profile(name.trim().to_string()));
        }
        Ok(ModelSource::Checkpoint(PathBuf::from(t)))
    }

    pub fn label(&self) -> String {
        match self {
            ModelSource::Checkpoint(p) => format!("checkpoint {}", p.display()),
            ModelSource::Profile(n) => format!("profile {n}"),
            ModelSource::Endpoint { url, model } => format!("{model} @ {url}"),
        }
    }

    /// The text that `parse` reads back.
    pub fn text(&self) -> String {
        match self {
            ModelSource::Checkpoint(p) => p.display().to_string(),
            ModelSource::Profile(n) => format!("profile:{n}"),
            ModelSource::Endpoint { url, model } => format!("{url} {model}"),
        }
    }
}

/// A request for the generation thread.
#[derive(Debug, Clone, PartialEq)]
pub struct GenRequest {
    pub token: u64,
    pub db: String,
    pub source: ModelSource,
    pub question: String,
    /// One greedy answer, or k samples.
    pub kind: GenKind,
    pub k: usize,
    pub temperature: f32,
    pub max_tokens: usize,
    /// For samples: the generated SQL to compare them with.
    pub main_sql: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenKind {
    One,
    Sample,
}

/// One generated answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub sql: String,
    /// The model's reply as it came.
    pub raw: String,
    /// Time the model took.
    pub latency_ms: f64,
    /// Time the request took, loading included.
    pub wall_ms: f64,
    pub model: String,
}

/// Alternatives that agree in result (same fingerprint), or that all fail to run.
#[derive(Debug, Clone, PartialEq)]
pub struct AltGroup {
    /// (fingerprint, rows) of the shared result, or the first error.
    pub outcome: Result<(String, usize), String>,
    /// Distinct SQL texts with how often each was sampled.
    pub sqls: Vec<(String, usize)>,
    pub count: usize,
    /// Same result as the generated SQL.
    pub with_main: bool,
}

/// Effects of this screen, run by `tui::bg` and the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum PgEffect {
    /// Checkpoints of runs in the store, and endpoint profiles.
    LoadSources,
    Generate(GenRequest),
    Cancel,
    Save {
        db: String,
        question: String,
        sql: String,
        /// The user confirmed saving into a held-out (dev) database.
        allow_dev: bool,
    },
}

/// What comes back.
#[derive(Debug, Clone, PartialEq)]
pub enum PgLoaded {
    Sources(Vec<ModelSource>),
    Generated {
        token: u64,
        result: Result<Generation, String>,
    },
    Sampled {
        token: u64,
        result: Result<Vec<AltGroup>, String>,
        wall_ms: f64,
    },
    /// (example id, newly inserted) or why not.
    Saved(Result<(i64, bool), String>),
}

#[derive(Debug, Clone)]
pub struct PlaygroundState {
    pub db: Option<String>,
    pub sources: Vec<ModelSource>,
    /// Sources typed here (kept when the store's list is read again).
    pub typed: Vec<ModelSource>,
    pub source: usize,
    pub question: String,
    /// What is being generated now, and the tick it started.
    pub running: Option<(GenKind, u64)>,
    pub gen_token: u64,
    pub generation: Option<Generation>,
    pub error: Option<String>,
    /// The result of `shown_sql` (the generated SQL or the selected alternative).
    pub grid: Pane,
    pub grid_token: u64,
    pub shown_sql: Option<String>,
    pub grid_row: usize,
    pub grid_col: usize,
    pub k: usize,
    pub alternatives: Vec<AltGroup>,
    pub alt_wall_ms: f64,
    /// Index into the alternatives' SQL texts, in display order.
    pub alt_cursor: usize,
    /// The save prompt's SQL as last run: (text, rows or error).
    pub check: Option<(String, Result<usize, String>)>,
    pub checking: Option<String>,
    pub check_token: u64,
    /// The SQL whose save into a held-out (dev) database was asked once: Enter again confirms.
    pub confirm_dev: Option<String>,
}

impl Default for PlaygroundState {
    fn default() -> Self {
        PlaygroundState {
            db: None,
            sources: Vec::new(),
            typed: Vec::new(),
            source: 0,
            question: String::new(),
            running: None,
            gen_token: 0,
            generation: None,
            error: None,
            grid: Pane::Empty,
            grid_token: 0,
            shown_sql: None,
            grid_row: 0,
            grid_col: 0,
            k: DEFAULT_K,
            alternatives: Vec::new(),
            alt_wall_ms: 0.0,
            alt_cursor: 0,
            check: None,
            checking: None,
            check_token: 0,
            confirm_dev: None,
        }
    }
}

impl PlaygroundState {
    pub fn source(&self) -> Option<&ModelSource> {
        self.sources.get(self.source)
    }
    /// The alternatives' SQL texts in display order.
    pub fn alt_sqls(&self) -> Vec<&str> {
        self.alternatives
            .iter()
            .flat_map(|g| g.sqls.iter().map(|(s, _)| s.as_str()))
            .collect()
    }
    fn clear_results(&mut self) {
        self.generation = None;
        self.error = None;
        self.grid = Pane::Empty;
        self.shown_sql = None;
        self.alternatives.clear();
        self.alt_cursor = 0;
        self.grid_row = 0;
        self.grid_col = 0;
    }
}

/// The database the playground works on: the chosen one, else the first of the workspace.
pub fn current_db(s: &State) -> Option<String> {
    s.playground
        .db
        .clone()
        .filter(|d| s.databases_list.iter().any(|x| &x.name == d))
        .or_else(|| s.databases_list.first().map(|d| d.name.clone()))
}

/// Each visit reads the model sources again (a run may have saved a checkpoint since).
pub fn on_enter(_s: &mut State) -> Vec<Effect> {
    vec![Effect::Playground(PgEffect::LoadSources)]
}

fn cycle(i: usize, len: usize, forward: bool) -> usize {
    if len == 0 {
        0
    } else if forward {
        (i + 1) % len
    } else {
        (i + len - 1) % len
    }
}

/// Starts a generation of `kind`, or says what is missing.
fn start(s: &mut State, kind: GenKind) -> Vec<Effect> {
    if s.playground.running.is_some() {
        s.info("already generating (esc cancels)");
        return Vec::new();
    }
    if s.playground.question.trim().is_empty() {
        s.prompt = Some(Prompt::new(PromptKind::PgQuestion, ""));
        return Vec::new();
    }
    let Some(db) = current_db(s) else {
        s.error("no database in the workspace");
        return Vec::new();
    };
    let Some(source) = s.playground.source().cloned() else {
        s.error("no model: t types a checkpoint folder, `URL MODEL` or `profile:NAME`");
        return Vec::new();
    };
    let p = &mut s.playground;
    p.gen_token += 1;
    p.running = Some((kind, s.ticks));
    p.error = None;
    let (k, temperature, main_sql) = match kind {
        GenKind::One => {
            p.clear_results();
            (1, 0.0, None)
        }
        GenKind::Sample => {
            p.alternatives.clear();
            p.alt_cursor = 0;
            (
                p.k,
                SAMPLE_TEMPERATURE,
                p.generation.as_ref().map(|g| g.sql.clone()),
            )
        }
    };
    vec![Effect::Playground(PgEffect::Generate(GenRequest {
        token: p.gen_token,
        db,
        source,
        question: p.question.trim().to_string(),
        kind,
        k,
        temperature,
        max_tokens: MAX_TOKENS,
        main_sql,
    }))]
}

/// Shows the result of `sql` in the grid.
fn show_sql(s: &mut State, sql: String) -> Vec<Effect> {
    let Some(db) = current_db(s) else {
        return Vec::new();
    };
    let p = &mut s.playground;
    p.grid_token += 1;
    p.grid = Pane::Loading;
    p.grid_row = 0;
    p.grid_col = 0;
    p.shown_sql = Some(sql.clone());
    vec![Effect::RunSql {
        slot: Slot::Playground,
        token: p.grid_token,
        db,
        sql,
    }]
}

pub fn on_cmd(s: &mut State, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Ask => {
            s.prompt = Some(Prompt::new(PromptKind::PgQuestion, &s.playground.question));
            Vec::new()
        }
        Cmd::Generate => start(s, GenKind::One),
        Cmd::SampleK => start(s, GenKind::Sample),
        Cmd::CancelGeneration => {
            if s.playground.running.take().is_some() {
                // A late answer carries the old token and is dropped.
                s.playground.gen_token += 1;
                s.info("generation cancelled");
                return vec![Effect::Playground(PgEffect::Cancel)];
            }
            Vec::new()
        }
        Cmd::NextDb | Cmd::PrevDb => {
            let names: Vec<String> = s.databases_list.iter().map(|d| d.name.clone()).collect();
            let cur = current_db(s)
                .and_then(|d| names.iter().position(|n| *n == d))
                .unwrap_or(0);
            let next = names
                .get(cycle(cur, names.len(), cmd == Cmd::NextDb))
                .cloned();
            if next != current_db(s) {
                s.playground.db = next;
                s.playground.clear_results();
            }
            Vec::new()
        }
        Cmd::NextModel | Cmd::PrevModel => {
            let p = &mut s.playground;
            p.source = cycle(p.source, p.sources.len(), cmd == Cmd::NextModel);
            Vec::new()
        }
        Cmd::TypeModel => {
            let text = s
                .playground
                .source()
                .map(ModelSource::text)
                .unwrap_or_default();
            s.prompt = Some(Prompt::new(PromptKind::PgModel, &text));
            Vec::new()
        }
        Cmd::MoreK => {
            s.playground.k = (s.playground.k + 1).min(32);
            Vec::new()
        }
        Cmd::FewerK => {
            s.playground.k = s.playground.k.saturating_sub(1).max(1);
            Vec::new()
        }
        Cmd::SaveExample => {
            if s.playground.question.trim().is_empty() || current_db(s).is_none() {
                s.info("type a question first (i)");
                return Vec::new();
            }
            let sql = s
                .playground
                .shown_sql
                .clone()
                .or_else(|| s.playground.generation.as_ref().map(|g| g.sql.clone()))
                .unwrap_or_default();
            let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            s.playground.check = None;
            s.playground.checking = None;
            s.prompt = Some(Prompt::new(PromptKind::PgSql, &one_line));
            Vec::new()
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let len = s.playground.alt_sqls().len();
            let page = s.page();
            if move_cursor(&mut s.playground.alt_cursor, len, cmd, page) {
                if let Some(sql) = s
                    .playground
                    .alt_sqls()
                    .get(s.playground.alt_cursor)
                    .map(|x| x.to_string())
                {
                    return show_sql(s, sql);
                }
            }
            Vec::new()
        }
        Cmd::GridDown => {
            let p = &mut s.playground;
            p.grid_row = step_within(p.grid_row, p.grid.extent().0);
            Vec::new()
        }
        Cmd::GridUp => {
            s.playground.grid_row = s.playground.grid_row.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridRight => {
            let p = &mut s.playground;
            p.grid_col = step_within(p.grid_col, p.grid.extent().1);
            Vec::new()
        }
        Cmd::GridLeft => {
            s.playground.grid_col = s.playground.grid_col.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Enter in one of this screen's prompts.
pub fn on_prompt_enter(s: &mut State, kind: PromptKind, text: String) -> Vec<Effect> {
    match kind {
        PromptKind::PgQuestion => {
            s.prompt = None;
            s.playground.question = text.trim().to_string();
            if s.playground.question.is_empty() {
                return Vec::new();
            }
            start(s, GenKind::One)
        }
        PromptKind::PgModel => match ModelSource::parse(&text) {
            Ok(src) => {
                s.prompt = None;
                let p = &mut s.playground;
                if !p.typed.contains(&src) {
                    p.typed.push(src.clone());
                }
                p.source = match p.sources.iter().position(|x| *x == src) {
                    Some(i) => i,
                    None => {
                        p.sources.push(src);
                        p.sources.len() - 1
                    }
                };
                Vec::new()
            }
            Err(e) => {
                s.error(e);
                Vec::new()
            }
        },
        PromptKind::PgSql => {
            let Some(db) = current_db(s) else {
                return Vec::new();
            };
            let sql = text.trim().to_string();
            if sql.is_empty() {
                return Vec::new();
            }
            let held_out = s
                .databases_list
                .iter()
                .find(|d| d.name == db)
                .is_some_and(|d| d.split != crate::store::TRAIN);
            let p = &mut s.playground;
            if matches!(&p.check, Some((t, Ok(n))) if *t == sql && *n > 0) {
                let confirmed = p.confirm_dev.take().is_some_and(|c| c == sql);
                if held_out && !confirmed {
                    p.confirm_dev = Some(sql);
                    s.error(format!(
                        "{db} is a held-out (dev) database: enter again saves this example into dev, esc cancels"
                    ));
                    return Vec::new();
                }
                s.prompt = None;
                return vec![Effect::Playground(PgEffect::Save {
                    db,
                    question: p.question.trim().to_string(),
                    sql,
                    allow_dev: confirmed,
                })];
            }
            p.check_token += 1;
            p.checking = Some(sql.clone());
            vec![Effect::RunSql {
                slot: Slot::PlaygroundCheck,
                token: p.check_token,
                db,
                sql,
            }]
        }
        _ => Vec::new(),
    }
}

pub fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Playground(PgLoaded::Sources(list)) => {
            let p = &mut s.playground;
            let current = p.source().cloned();
            // Typed sources stay; the store's and the profiles' are refreshed.
            let mut all = list;
            for x in &p.typed {
                if !all.contains(x) {
                    all.push(x.clone());
                }
            }
            p.sources = all;
            p.source = current
                .and_then(|c| p.sources.iter().position(|x| *x == c))
                .unwrap_or(0);
            Vec::new()
        }
        Loaded::Playground(PgLoaded::Generated { token, result }) => {
            if token != s.playground.gen_token {
                return Vec::new();
            }
            s.playground.running = None;
            match result {
                Ok(g) => {
                    let sql = g.sql.clone();
                    s.playground.generation = Some(g);
                    if sql.trim().is_empty() {
                        s.playground.error = Some("the model's reply holds no SQL".into());
                        return Vec::new();
                    }
                    show_sql(s, sql)
                }
                Err(e) => {
                    s.playground.error = Some(e);
                    Vec::new()
                }
            }
        }
        Loaded::Playground(PgLoaded::Sampled {
            token,
            result,
            wall_ms,
        }) => {
            if token != s.playground.gen_token {
                return Vec::new();
            }
            let p = &mut s.playground;
            p.running = None;
            match result {
                Ok(groups) => {
                    p.alternatives = groups;
                    p.alt_wall_ms = wall_ms;
                    p.alt_cursor = 0;
                }
                Err(e) => p.error = Some(e),
            }
            Vec::new()
        }
        Loaded::Playground(PgLoaded::Saved(r)) => {
            match r {
                Ok((id, true)) => {
                    s.info(format!("saved as example #{id} (source playground)"));
                    return vec![Effect::LoadCounts, Effect::LoadFacets];
                }
                Ok((id, false)) => s.info(format!("already in the workspace as example #{id}")),
                Err(e) => s.error(format!("cannot save: {e}")),
            }
            Vec::new()
        }
        Loaded::Sql {
            slot: Slot::Playground,
            token,
            result,
        } => {
            if token == s.playground.grid_token {
                s.playground.grid = match result {
                    Ok(g) => Pane::Ready(g),
                    Err(e) => Pane::Failed(e),
                };
            }
            Vec::new()
        }
        Loaded::Sql {
            slot: Slot::PlaygroundCheck,
            token,
            result,
        } => {
            let p = &mut s.playground;
            if token == p.check_token {
                if let Some(sql) = p.checking.take() {
                    p.check = Some((sql, result.map(|g| g.rows.len())));
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

// ---- view ----------------------------------------------------------------------------

/// The status line of the save prompt.
pub fn check_line(s: &State) -> Line<'static> {
    let t = &s.theme;
    let p = &s.playground;
    let text = s
        .prompt
        .as_ref()
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
                "runs: {n} row{} — enter saves it as an example",
                if *n == 1 { "" } else { "s" }
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

fn header(s: &State, w: usize) -> Line<'static> {
    let t = &s.theme;
    let p = &s.playground;
    let k = &s.keymap;
    let db = current_db(s).unwrap_or_else(|| "(no database)".into());
    let model = p
        .source()
        .map(ModelSource::label)
        .unwrap_or_else(|| "(no model)".into());
    let used = db.chars().count() + 40;
    Line::from(vec![
        Span::styled("db ", t.dim()),
        Span::styled(db, t.accent()),
        Span::styled(
            format!(" ({}) · model ", k.hint("playground", Cmd::NextDb)),
            t.dim(),
        ),
        Span::styled(fit(&model, w.saturating_sub(used)), t.accent()),
        Span::styled(
            format!(
                " ({}/{}) · k {} ({}/{})",
                k.hint("playground", Cmd::NextModel),
                k.hint("playground", Cmd::TypeModel),
                p.k,
                k.hint("playground", Cmd::MoreK),
                k.hint("playground", Cmd::FewerK)
            ),
            t.dim(),
        ),
    ])
}

fn status(s: &State) -> Line<'static> {
    let t = &s.theme;
    let p = &s.playground;
    let esc = s.keymap.hint("playground", Cmd::CancelGeneration);
    if let Some((kind, since)) = p.running {
        let what = match kind {
            GenKind::One => "generating…".to_string(),
            GenKind::Sample => format!("sampling {} alternatives…", p.k),
        };
        let secs = s.ticks.saturating_sub(since);
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
                format!(" (request {}) · {}", ms_text(g.wall_ms), g.model),
                t.dim(),
            ),
        ]),
        None => Line::styled(
            format!(
                "{} generates · {} samples k alternatives · {} saves as an example",
                s.keymap.hint("playground", Cmd::Generate),
                s.keymap.hint("playground", Cmd::SampleK),
                s.keymap.hint("playground", Cmd::SaveExample)
            ),
            t.dim(),
        ),
    }
}

fn hints(s: &State) -> Line<'static> {
    let k = &s.keymap;
    let mut spans = Vec::new();
    for (cmd, label) in [
        (Cmd::Ask, "question"),
        (Cmd::Generate, "generate"),
        (Cmd::SampleK, "sample k"),
        (Cmd::SaveExample, "save"),
        (Cmd::CancelGeneration, "cancel"),
    ] {
        spans.push(Span::styled(k.hint("playground", cmd), s.theme.accent()));
        spans.push(Span::styled(format!(" {label}  "), s.theme.dim()));
    }
    spans.push(Span::styled(
        k.hint("global", Cmd::JobsMenu),
        s.theme.accent(),
    ));
    spans.push(Span::styled(" jobs  ", s.theme.dim()));
    spans.push(Span::styled(k.hint("global", Cmd::Help), s.theme.accent()));
    spans.push(Span::styled(" help", s.theme.dim()));
    Line::from(spans)
}

fn alt_lines(s: &State, width: usize) -> Vec<Line<'static>> {
    let t = &s.theme;
    let p = &s.playground;
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

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let p = &s.playground;
    if s.databases_list.is_empty() {
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
    f.render_widget(Paragraph::new(header(s, w)), rows[0]);
    let q = if p.question.is_empty() {
        Line::from(vec![
            Span::styled("Q ", t.accent()),
            Span::styled(
                format!("{} types a question", s.keymap.hint("playground", Cmd::Ask)),
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
    f.render_widget(Paragraph::new(status(s)), rows[2]);

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
        let lines = alt_lines(s, inner.width as usize);
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
    f.render_widget(Paragraph::new(hints(s)), rows[5]);
}
