//! Playground: pick a database and a model (a checkpoint folder or an endpoint), type a
//! question, and see the generated SQL, its result grid and the time taken; `s` samples k
//! alternatives and groups them by result fingerprint (which agree in result); `e` saves the
//! question as a new example with the SQL corrected by hand (it must run and return rows).
//!
//! Generation runs on a background thread (`tui::bg`), never on the UI thread; results come
//! back as `Loaded::Playground` actions carrying the token of their request, so a cancelled
//! or superseded request's answer is dropped.

use crate::store::DatabaseRow;
use crate::tui::ctx::{Ctx, Prompt, PromptKind};
use crate::tui::keymap::Cmd;
pub use crate::tui::msg::playground::{
    AltGroup, GenKind, GenRequest, Generation, ModelSource, PgEffect, PgLoaded, SAMPLE_TEMPERATURE,
};
use crate::tui::msg::{Effect, Loaded, Slot};
use crate::tui::widgets::grid::Pane;
use crate::tui::widgets::{move_cursor, step_within};

/// Samples asked for by `s` unless changed with +/-.
pub const DEFAULT_K: usize = 4;
/// Longest completion asked of a model, in tokens.
pub const MAX_TOKENS: usize = 256;

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
    /// Temperature of the generated answer (0 = greedy); samples use it when above 0.
    pub temperature: f32,
    pub max_tokens: usize,
    /// Runs of the workspace (checkpoints are named after them).
    pub runs: Vec<crate::store::Run>,
    /// The prompt view (an overlay): None closed, Some(None) reading, else the prompt.
    pub prompt_view: Option<Option<Result<String, String>>>,
    /// First line of the prompt view shown (J/K scroll it).
    pub prompt_scroll: usize,
    /// The SQL prompt saves a pair (the model's SQL rejected), not only an example.
    pub saving_pair: bool,
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
            temperature: 0.0,
            max_tokens: MAX_TOKENS,
            runs: Vec::new(),
            prompt_view: None,
            prompt_scroll: 0,
            saving_pair: false,
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

/// The database the playground works on: the chosen one, else the first of the workspace's
/// `databases`.
pub fn current_db(p: &PlaygroundState, databases: &[DatabaseRow]) -> Option<String> {
    p.db.clone()
        .filter(|d| databases.iter().any(|x| &x.name == d))
        .or_else(|| databases.first().map(|d| d.name.clone()))
}

/// Each visit reads the model sources again (a run may have saved a checkpoint since).
pub fn on_enter() -> Vec<Effect> {
    vec![
        Effect::Playground(PgEffect::LoadSources),
        Effect::Playground(PgEffect::LoadRuns),
    ]
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
fn start(p: &mut PlaygroundState, cx: &mut Ctx, kind: GenKind) -> Vec<Effect> {
    if p.running.is_some() {
        cx.info("already generating (esc cancels)");
        return Vec::new();
    }
    if p.question.trim().is_empty() {
        *cx.prompt = Some(Prompt::new(PromptKind::PgQuestion, ""));
        return Vec::new();
    }
    let Some(db) = current_db(p, cx.databases) else {
        cx.error("no database in the workspace");
        return Vec::new();
    };
    let Some(source) = p.source().cloned() else {
        cx.error("no model: t types a checkpoint folder, `URL MODEL` or `profile:NAME`");
        return Vec::new();
    };
    p.gen_token += 1;
    p.running = Some((kind, cx.ticks));
    p.error = None;
    let (k, temperature, main_sql) = match kind {
        GenKind::One => {
            p.clear_results();
            (1, p.temperature, None)
        }
        GenKind::Sample => {
            p.alternatives.clear();
            p.alt_cursor = 0;
            (
                p.k,
                super::playground_more::sample_temperature(p.temperature),
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
        max_tokens: p.max_tokens,
        main_sql,
    }))]
}

/// Shows the result of `sql` in the grid.
fn show_sql(p: &mut PlaygroundState, cx: &Ctx, sql: String) -> Vec<Effect> {
    let Some(db) = current_db(p, cx.databases) else {
        return Vec::new();
    };
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

pub fn on_cmd(p: &mut PlaygroundState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Ask => {
            // A fresh question: the last one's SQL and result would read as this one's.
            p.question.clear();
            p.clear_results();
            p.check = None;
            p.confirm_dev = None;
            *cx.prompt = Some(Prompt::new(PromptKind::PgQuestion, ""));
            if p.running.take().is_some() {
                p.gen_token += 1;
                return vec![Effect::Playground(PgEffect::Cancel)];
            }
            Vec::new()
        }
        Cmd::Generate => start(p, cx, GenKind::One),
        Cmd::SampleK => start(p, cx, GenKind::Sample),
        Cmd::CancelGeneration if p.prompt_view.is_some() => {
            p.prompt_view = None;
            Vec::new()
        }
        Cmd::CancelGeneration => {
            if p.running.take().is_some() {
                // A late answer carries the old token and is dropped.
                p.gen_token += 1;
                cx.info("generation cancelled");
                return vec![Effect::Playground(PgEffect::Cancel)];
            }
            Vec::new()
        }
        Cmd::NextDb | Cmd::PrevDb => {
            let names: Vec<String> = cx.databases.iter().map(|d| d.name.clone()).collect();
            let cur = current_db(p, cx.databases)
                .and_then(|d| names.iter().position(|n| *n == d))
                .unwrap_or(0);
            let next = names
                .get(cycle(cur, names.len(), cmd == Cmd::NextDb))
                .cloned();
            if next != current_db(p, cx.databases) {
                p.db = next;
                p.clear_results();
            }
            Vec::new()
        }
        Cmd::NextModel | Cmd::PrevModel => {
            p.source = cycle(p.source, p.sources.len(), cmd == Cmd::NextModel);
            Vec::new()
        }
        Cmd::TypeModel => {
            let text = p.source().map(ModelSource::text).unwrap_or_default();
            *cx.prompt = Some(Prompt::new(PromptKind::PgModel, &text));
            Vec::new()
        }
        Cmd::Hotter
        | Cmd::Cooler
        | Cmd::MoreTokens
        | Cmd::FewerTokens
        | Cmd::ShowPrompt
        | Cmd::SavePair => super::playground_more::on_cmd(p, cx, cmd),
        Cmd::GridDown | Cmd::GridUp | Cmd::Down | Cmd::Up if p.prompt_view.is_some() => {
            super::playground_more::on_cmd(p, cx, cmd)
        }
        Cmd::MoreK => {
            p.k = (p.k + 1).min(32);
            Vec::new()
        }
        Cmd::FewerK => {
            p.k = p.k.saturating_sub(1).max(1);
            Vec::new()
        }
        Cmd::SaveExample => {
            if p.question.trim().is_empty() || current_db(p, cx.databases).is_none() {
                cx.info("type a question first (i)");
                return Vec::new();
            }
            let sql = p
                .shown_sql
                .clone()
                .or_else(|| p.generation.as_ref().map(|g| g.sql.clone()))
                .unwrap_or_default();
            let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            p.saving_pair = false;
            p.check = None;
            p.checking = None;
            *cx.prompt = Some(Prompt::new(PromptKind::PgSql, &one_line));
            Vec::new()
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let len = p.alt_sqls().len();
            if move_cursor(&mut p.alt_cursor, len, cmd, cx.page) {
                if let Some(sql) = p.alt_sqls().get(p.alt_cursor).map(|x| x.to_string()) {
                    return show_sql(p, cx, sql);
                }
            }
            Vec::new()
        }
        Cmd::GridDown => {
            p.grid_row = step_within(p.grid_row, p.grid.extent().0);
            Vec::new()
        }
        Cmd::GridUp => {
            p.grid_row = p.grid_row.saturating_sub(1);
            Vec::new()
        }
        Cmd::GridRight => {
            p.grid_col = step_within(p.grid_col, p.grid.extent().1);
            Vec::new()
        }
        Cmd::GridLeft => {
            p.grid_col = p.grid_col.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Enter in one of this screen's prompts.
pub fn on_prompt_enter(
    p: &mut PlaygroundState,
    cx: &mut Ctx,
    kind: PromptKind,
    text: String,
) -> Vec<Effect> {
    match kind {
        PromptKind::PgQuestion => {
            *cx.prompt = None;
            p.question = text.trim().to_string();
            if p.question.is_empty() {
                return Vec::new();
            }
            start(p, cx, GenKind::One)
        }
        PromptKind::PgModel => match ModelSource::parse(&text) {
            Ok(src) => {
                *cx.prompt = None;
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
                cx.error(e);
                Vec::new()
            }
        },
        PromptKind::PgSql => {
            let Some(db) = current_db(p, cx.databases) else {
                return Vec::new();
            };
            let sql = text.trim().to_string();
            if sql.is_empty() {
                return Vec::new();
            }
            let held_out = cx
                .databases
                .iter()
                .find(|d| d.name == db)
                .is_some_and(|d| d.split != crate::store::TRAIN);
            if matches!(&p.check, Some((t, Ok(n))) if *t == sql && *n > 0) {
                let confirmed = p.confirm_dev.take().is_some_and(|c| c == sql);
                if held_out && !confirmed {
                    p.confirm_dev = Some(sql);
                    cx.error(format!(
                        "{db} is a held-out (dev) database: enter again saves this example into dev, esc cancels"
                    ));
                    return Vec::new();
                }
                *cx.prompt = None;
                if p.saving_pair {
                    let (model, model_sql) = p
                        .generation
                        .as_ref()
                        .map(|g| (g.model.clone(), g.sql.clone()))
                        .unwrap_or_default();
                    return vec![Effect::Playground(PgEffect::SavePair {
                        db,
                        question: p.question.trim().to_string(),
                        sql,
                        model,
                        model_sql,
                        allow_dev: confirmed,
                    })];
                }
                // The SQL shown (the generated one or a picked alternative) is what was corrected.
                let from = p.generation.as_ref().map(|g| {
                    (
                        g.model.clone(),
                        p.shown_sql.clone().unwrap_or_else(|| g.sql.clone()),
                    )
                });
                return vec![Effect::Playground(PgEffect::Save {
                    db,
                    question: p.question.trim().to_string(),
                    sql,
                    allow_dev: confirmed,
                    from,
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

pub fn on_loaded(p: &mut PlaygroundState, cx: &mut Ctx, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Playground(PgLoaded::Sources(list)) => {
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
        Loaded::Playground(PgLoaded::PairSaved(r)) => {
            super::playground_more::on_pair_saved(p, cx, r)
        }
        Loaded::Playground(PgLoaded::Prompt(r)) => {
            if p.prompt_view.is_some() {
                p.prompt_view = Some(Some(r));
            }
            Vec::new()
        }
        Loaded::Playground(PgLoaded::Runs(r)) => {
            match r {
                Ok(runs) => p.runs = runs,
                Err(e) => cx.error(format!("reading the runs to name checkpoints: {e}")),
            }
            Vec::new()
        }
        Loaded::Playground(PgLoaded::Generated { token, result }) => {
            if token != p.gen_token {
                return Vec::new();
            }
            p.running = None;
            match result {
                Ok(g) => {
                    let sql = g.sql.clone();
                    p.generation = Some(g);
                    if sql.trim().is_empty() {
                        p.error = Some("the model's reply holds no SQL".into());
                        return Vec::new();
                    }
                    show_sql(p, cx, sql)
                }
                Err(e) => {
                    p.error = Some(e);
                    Vec::new()
                }
            }
        }
        Loaded::Playground(PgLoaded::Sampled {
            token,
            result,
            wall_ms,
        }) => {
            if token != p.gen_token {
                return Vec::new();
            }
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
        Loaded::Playground(PgLoaded::Warning(w)) => {
            cx.info(format!("warning: {w}"));
            Vec::new()
        }
        Loaded::Playground(PgLoaded::Saved(r)) => {
            match r {
                Ok((id, true)) => {
                    cx.info(format!("saved as example #{id} (source playground)"));
                    return vec![Effect::LoadCounts, Effect::LoadFacets];
                }
                Ok((id, false)) => cx.info(format!("already in the workspace as example #{id}")),
                Err(e) => cx.error(format!("cannot save: {e}")),
            }
            Vec::new()
        }
        Loaded::Sql {
            slot: Slot::Playground,
            token,
            result,
        } => {
            if token == p.grid_token {
                p.grid = match result {
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

pub use super::playground_view::{check_line, render};
