//! The app: its own state (screen, keymap, theme, status bar, prompt, help, the workspace's
//! databases and schemas) composed with each screen's and overlay's state, what it asks the
//! outside world to do at start, and `update`, the only function that changes the state. It
//! dispatches each action to the component it belongs to, which updates its own state given a
//! [`Ctx`] of the app around it, and acts on the [`AppMsg`]s the components send up.

pub use crate::tui::ctx::{Message, Prompt, PromptKind, Screen};
pub use crate::tui::msg::{Action, Effect, Loaded, Slot};
pub use crate::tui::widgets::grid::Pane;
pub use crate::tui::widgets::input::LineInput;
pub use crate::tui::widgets::{move_cursor, step_within};

use crate::schema::DbSchema;
use crate::store::{Activity, Counts, DatabaseRow, ExampleQuery};
use crate::tui::ctx::{AppMsg, Ctx, ViewCtx};
use crate::tui::jobs_menu::{self, JobsMenu};
use crate::tui::keymap::{Cmd, Keymap};
use crate::tui::provenance::{self, Overlay};
use crate::tui::runs_jobs::Reply;
use crate::tui::screens::databases::{self, DatabasesState};
use crate::tui::screens::playground::{self, PlaygroundState};
use crate::tui::screens::questions::{self, QuestionsState};
use crate::tui::screens::review::{self, ReviewState};
use crate::tui::screens::runs::{self, RunsState};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

/// Everything the workbench shows.
#[derive(Debug, Clone)]
pub struct State {
    pub screen: Screen,
    pub keymap: Keymap,
    pub theme: Theme,
    pub workspace: String,
    pub counts: Option<Counts>,
    pub message: Option<Message>,
    pub help: bool,
    pub prompt: Option<Prompt>,
    /// Background SQL/introspection jobs running now.
    pub jobs_running: usize,
    /// Jobs and runs other processes record as running in the workspace.
    pub activity: Vec<Activity>,
    pub ticks: u64,
    pub quit: bool,
    /// Terminal size (columns, rows) as last reported.
    pub size: (u16, u16),
    pub databases_list: Vec<DatabaseRow>,
    pub schemas: HashMap<String, Result<DbSchema, String>>,
    pub databases: DatabasesState,
    pub questions: QuestionsState,
    pub review: ReviewState,
    pub runs: RunsState,
    pub playground: PlaygroundState,
    pub jobs_menu: JobsMenu,
    /// The provenance overlay (exchange behind an example, prompt templates), when open.
    pub provenance: Overlay,
}

impl State {
    pub fn new(workspace: &str, theme: Theme, keymap: Keymap) -> State {
        State {
            screen: Screen::Review,
            keymap,
            theme,
            workspace: workspace.to_string(),
            counts: None,
            message: None,
            help: false,
            prompt: None,
            jobs_running: 0,
            activity: Vec::new(),
            ticks: 0,
            quit: false,
            size: (80, 24),
            databases_list: Vec::new(),
            schemas: HashMap::new(),
            databases: Default::default(),
            questions: Default::default(),
            review: Default::default(),
            runs: Default::default(),
            playground: Default::default(),
            jobs_menu: Default::default(),
            provenance: Default::default(),
        }
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    /// Path of a workspace database by name.
    pub fn db_path(&self, name: &str) -> Option<std::path::PathBuf> {
        self.databases_list
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.path.clone())
    }

    /// Rows a list can show on the current terminal (for page keys).
    pub fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(10).max(5)
    }

    /// What the components see of the app while drawing.
    pub fn view_ctx(&self) -> ViewCtx<'_> {
        ViewCtx {
            theme: &self.theme,
            keymap: &self.keymap,
            counts: self.counts.as_ref(),
            databases: &self.databases_list,
            schemas: &self.schemas,
            prompt: self.prompt.as_ref(),
            ticks: self.ticks,
        }
    }
}

/// The components' states, borrowed apart from the app's own fields.
struct Parts<'a> {
    databases: &'a mut DatabasesState,
    questions: &'a mut QuestionsState,
    review: &'a mut ReviewState,
    runs: &'a mut RunsState,
    playground: &'a mut PlaygroundState,
    jobs_menu: &'a mut JobsMenu,
    provenance: &'a mut Overlay,
}

/// The app's fields as a component's [`Ctx`], and the components' states beside it.
fn split(s: &mut State) -> (Ctx<'_>, Parts<'_>) {
    let page = s.page();
    let State {
        screen,
        keymap,
        message,
        prompt,
        ticks,
        size,
        databases_list,
        schemas,
        databases,
        questions,
        review,
        runs,
        playground,
        jobs_menu,
        provenance,
        ..
    } = s;
    (
        Ctx {
            screen: *screen,
            keymap,
            page,
            ticks: *ticks,
            size: *size,
            databases: databases_list,
            schemas,
            prompt,
            message,
            sent: Vec::new(),
        },
        Parts {
            databases,
            questions,
            review,
            runs,
            playground,
            jobs_menu,
            provenance,
        },
    )
}

/// Runs a component's update with the app around it, then acts on what it sent up; the
/// effects of both, in that order.
fn with_ctx(s: &mut State, f: impl FnOnce(&mut Ctx, Parts) -> Vec<Effect>) -> Vec<Effect> {
    let (mut cx, parts) = split(s);
    let mut fx = f(&mut cx, parts);
    let sent = std::mem::take(&mut cx.sent);
    for m in sent {
        fx.extend(on_app_msg(s, m));
    }
    fx
}

/// What a component asked of the app.
fn on_app_msg(s: &mut State, m: AppMsg) -> Vec<Effect> {
    match m {
        AppMsg::ShowQuestions(query) => {
            s.screen = Screen::Questions;
            questions::show(&mut s.questions, query)
        }
        AppMsg::ShowPair(id) => {
            s.screen = Screen::Review;
            review::show_pair(&mut s.review, id)
        }
        AppMsg::OpenExchange(example) => provenance::open_exchange(&mut s.provenance, *example),
        AppMsg::Help => {
            s.help = true;
            Vec::new()
        }
        AppMsg::Cmd(cmd) => on_cmd(s, cmd),
    }
}

/// The effects to run when the workbench opens.
pub fn start() -> Vec<Effect> {
    vec![
        Effect::LoadCounts,
        Effect::LoadActivity,
        Effect::LoadDatabases,
        Effect::LoadQueue(crate::store::PairQuery::pending()),
        Effect::LoadFacets,
        Effect::LoadQuestionIds(ExampleQuery::default()),
    ]
}

pub fn update(s: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(s, key),
        Action::Cmd(cmd) => on_cmd(s, cmd),
        Action::Scroll(n) if s.provenance.is_open() => {
            provenance::on_scroll(&mut s.provenance, n);
            Vec::new()
        }
        Action::Scroll(n) => {
            // The wheel scrolls lists; in Review it scrolls the result grids (moving between
            // pairs stays on the keys).
            let cmd = match (s.screen, n > 0) {
                (Screen::Review, true) => Cmd::GridDown,
                (Screen::Review, false) => Cmd::GridUp,
                (_, true) => Cmd::Down,
                (_, false) => Cmd::Up,
            };
            let mut fx = Vec::new();
            for _ in 0..n.unsigned_abs().min(10) {
                fx.extend(on_cmd(s, cmd));
            }
            fx
        }
        Action::Resize(w, h) => {
            s.size = (w, h);
            Vec::new()
        }
        Action::Tick => {
            s.ticks += 1;
            // Other processes write to the workspace too: refresh the counts now and then.
            let mut fx = if s.ticks.is_multiple_of(5) {
                vec![Effect::LoadCounts, Effect::LoadActivity]
            } else {
                Vec::new()
            };
            // The Runs screen follows runs live: new points every tick.
            if s.screen == Screen::Runs {
                fx.extend(runs::on_tick(&s.runs));
            }
            fx
        }
        Action::Jobs(n) => {
            s.jobs_running = n;
            Vec::new()
        }
        Action::Loaded(l) => on_loaded(s, l),
    }
}

fn on_key(s: &mut State, key: KeyEvent) -> Vec<Effect> {
    if s.prompt.is_some() {
        return on_prompt_key(s, key);
    }
    if s.provenance.is_open() && !s.help {
        return with_ctx(s, |cx, p| provenance::on_key(p.provenance, cx, key));
    }
    if s.jobs_menu.open && !s.help {
        return with_ctx(s, |cx, p| {
            jobs_menu::on_key(p.jobs_menu, cx, &p.playground.sources, key)
        });
    }
    if s.screen == Screen::Runs && s.runs.has_overlay() {
        return runs::on_overlay_key(&mut s.runs, key);
    }
    if s.screen == Screen::Review && !s.help && review::has_overlay(&s.review) {
        return with_ctx(s, |cx, p| review::on_overlay_key(p.review, cx, key));
    }
    if s.help {
        // Any key closes help; the help key itself too.
        s.help = false;
        return Vec::new();
    }
    match s.keymap.lookup(s.screen.mode(), &key) {
        Some(cmd) => on_cmd(s, cmd),
        None => Vec::new(),
    }
}

fn on_prompt_key(s: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(p) = s.prompt.as_mut() else {
        return Vec::new();
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        s.prompt = None;
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc => {
            let kind = p.kind.clone();
            s.prompt = None;
            match kind {
                PromptKind::Search => questions::set_search(&mut s.questions, String::new()),
                PromptKind::Filter => {
                    databases::set_filter(&mut s.databases, String::new());
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
        KeyCode::Enter => {
            let kind = p.kind.clone();
            let text = p.input.text.clone();
            match kind {
                PromptKind::Note { pair_id } => {
                    s.prompt = None;
                    vec![Effect::SetNote(pair_id, text)]
                }
                PromptKind::DbQuery { db } => {
                    s.prompt = None;
                    databases::run_query(&mut s.databases, db, text)
                }
                PromptKind::EditGold { example_id } => {
                    if text.trim().is_empty() {
                        return Vec::new();
                    }
                    p.judging = true;
                    vec![Effect::SetGold {
                        example_id,
                        sql: text,
                    }]
                }
                PromptKind::EditChosen {
                    pair_id,
                    example_id,
                } => {
                    let ok = matches!(&p.judged, Some((t, Ok(v))) if *t == text && v.is_correct());
                    if ok {
                        s.prompt = None;
                        vec![Effect::SaveChosen(pair_id, text)]
                    } else if text.trim().is_empty() {
                        Vec::new()
                    } else {
                        p.judging = true;
                        review::judge(&mut s.review, example_id, text)
                    }
                }
                PromptKind::Search | PromptKind::Filter => {
                    s.prompt = None;
                    Vec::new()
                }
                k @ (PromptKind::PgQuestion | PromptKind::PgModel | PromptKind::PgSql) => {
                    with_ctx(s, |cx, p| {
                        playground::on_prompt_enter(p.playground, cx, k, text)
                    })
                }
            }
        }
        _ => {
            if !p.input.edit(&key) {
                return Vec::new();
            }
            let text = p.input.text.clone();
            match p.kind {
                PromptKind::Search => questions::set_search(&mut s.questions, text),
                PromptKind::Filter => {
                    databases::set_filter(&mut s.databases, text);
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
    }
}

fn go(s: &mut State, screen: Screen) -> Vec<Effect> {
    s.screen = screen;
    match screen {
        Screen::Databases => with_ctx(s, |cx, p| databases::on_enter(p.databases, cx)),
        Screen::Questions => questions::on_enter(&mut s.questions),
        Screen::Review => review::on_enter(&mut s.review),
        Screen::Runs => runs::on_enter(&s.runs),
        Screen::Playground => playground::on_enter(),
    }
}

pub fn on_cmd(s: &mut State, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Quit => {
            s.quit = true;
            Vec::new()
        }
        Cmd::Help => {
            s.help = !s.help;
            Vec::new()
        }
        Cmd::NextScreen => go(s, Screen::ALL[(s.screen.index() + 1) % Screen::ALL.len()]),
        Cmd::PrevScreen => go(
            s,
            Screen::ALL[(s.screen.index() + Screen::ALL.len() - 1) % Screen::ALL.len()],
        ),
        Cmd::GoDatabases => go(s, Screen::Databases),
        Cmd::GoQuestions => go(s, Screen::Questions),
        Cmd::GoReview => go(s, Screen::Review),
        Cmd::GoRuns => go(s, Screen::Runs),
        Cmd::GoPlayground => go(s, Screen::Playground),
        Cmd::JobsMenu => jobs_menu::toggle(&mut s.jobs_menu),
        Cmd::Prompts => provenance::open_prompts(&mut s.provenance),
        other => match s.screen {
            Screen::Databases => with_ctx(s, |cx, p| databases::on_cmd(p.databases, cx, other)),
            Screen::Questions => with_ctx(s, |cx, p| questions::on_cmd(p.questions, cx, other)),
            Screen::Review => with_ctx(s, |cx, p| review::on_cmd(p.review, cx, other)),
            Screen::Runs => with_ctx(s, |cx, p| runs::on_cmd(p.runs, cx, other)),
            Screen::Playground => with_ctx(s, |cx, p| playground::on_cmd(p.playground, cx, other)),
        },
    }
}

fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Counts(c) => {
            // Pairs made by another process (an import, weak sampling, a job) join the queue
            // live; a finished queue picks up pending pairs that appeared since.
            let grew = s.counts.as_ref().is_some_and(|old| old.pairs != c.pairs);
            let fx = review::on_counts(&s.review, grew, c.pending);
            s.counts = Some(c);
            fx
        }
        Loaded::Activity(a) => {
            s.activity = a;
            Vec::new()
        }
        Loaded::Databases(list) => {
            s.databases_list = list;
            with_ctx(s, |cx, p| databases::on_list(p.databases, cx))
        }
        Loaded::Schema(db, schema) => {
            s.schemas.insert(db, schema);
            with_ctx(s, |cx, p| databases::after_schema(p.databases, cx))
        }
        Loaded::Failed(e) => {
            s.error(e);
            Vec::new()
        }
        Loaded::Runs(reply) => {
            let polled = matches!(reply, Reply::Polled(_));
            let fx = with_ctx(s, |cx, p| runs::on_loaded(p.runs, cx, reply));
            if polled {
                runs::sync_activity(&s.runs, &mut s.activity);
            }
            fx
        }
        Loaded::Playground(_) => with_ctx(s, |cx, p| playground::on_loaded(p.playground, cx, l)),
        Loaded::Job(e) => with_ctx(s, |cx, p| jobs_menu::on_loaded(p.jobs_menu, cx, e)),
        Loaded::Provenance(l) => provenance::on_loaded(&mut s.provenance, l),
        Loaded::Facets(_)
        | Loaded::QuestionIds(..)
        | Loaded::QuestionRows(_)
        | Loaded::Question(..)
        | Loaded::PairOf(..) => with_ctx(s, |cx, p| questions::on_loaded(p.questions, cx, l)),
        Loaded::Sql { slot, .. } => match slot {
            Slot::ReviewChosen | Slot::ReviewRejected => {
                with_ctx(s, |cx, p| review::on_loaded(p.review, cx, l))
            }
            Slot::QuestionGold | Slot::QuestionCandidate => {
                with_ctx(s, |cx, p| questions::on_loaded(p.questions, cx, l))
            }
            Slot::TablePreview => databases::on_loaded(&mut s.databases, l),
            Slot::Playground | Slot::PlaygroundCheck => {
                with_ctx(s, |cx, p| playground::on_loaded(p.playground, cx, l))
            }
        },
        Loaded::Queue(_)
        | Loaded::PairFacets(_)
        | Loaded::Guidelines(_)
        | Loaded::BulkDecided(_)
        | Loaded::BatchUndone(_)
        | Loaded::Pair(..)
        | Loaded::Decided(_)
        | Loaded::Undone(_)
        | Loaded::NoteSaved(_)
        | Loaded::ChosenSaved(_)
        | Loaded::Judged { .. } => with_ctx(s, |cx, p| review::on_loaded(p.review, cx, l)),
        Loaded::GoldSet(..) | Loaded::GoldUndone(_) => gold_changed(s, l),
    }
}

/// A gold correction (or its undo) answered: the prompt closes on success or shows SQLite's
/// message; Review's queue and the Questions detail are read again.
fn gold_changed(s: &mut State, l: Loaded) -> Vec<Effect> {
    let mut fx = vec![Effect::LoadCounts];
    let mut focus = None;
    match l {
        Loaded::GoldSet(example_id, Ok(out)) => {
            if matches!(
                s.prompt.as_ref().map(|p| &p.kind),
                Some(PromptKind::EditGold { .. })
            ) {
                s.prompt = None;
            }
            let n = |k: usize| {
                if k == 1 {
                    "1 pair".to_string()
                } else {
                    format!("{k} pairs")
                }
            };
            s.info(format!(
                "gold of example #{example_id} corrected (#{}): {} withdrawn, {} newly pending, {} accepted kept · u undoes",
                out.correction_id,
                n(out.withdrawn.len()),
                n(out.created.len() + out.revived.len()),
                n(out.kept_accepted.len())
            ));
        }
        Loaded::GoldSet(_, Err(e)) => {
            if let Some(p) = s.prompt.as_mut() {
                p.judging = false;
            }
            s.error(format!("gold not changed: {e}"));
            return Vec::new();
        }
        Loaded::GoldUndone(Ok(u)) => {
            s.info(format!(
                "undone: gold correction #{} of example #{} ({} pairs restored)",
                u.correction_id,
                u.example_id,
                u.pairs.len()
            ));
            // Show the restored pair, as an undone decision does.
            focus = Some(u.pairs.first().copied());
        }
        Loaded::GoldUndone(Err(e)) => {
            s.error(e);
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    fx.extend(review::after_gold(&mut s.review, focus));
    fx.extend(questions::reload_current(&s.questions));
    fx
}
