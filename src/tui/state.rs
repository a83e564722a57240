//! The model of the workbench (State), what can happen to it (Action), what it asks the outside
//! world to do (Effect), and `update`, the only function that changes it.

use crate::exec::Verdict;
use crate::schema::DbSchema;
use crate::store::{
    Activity, Candidate, Counts, DatabaseRow, Example, ExampleQuery, Facets, Pair, PairStatus,
};
use crate::tui::keymap::{Cmd, Keymap};
use crate::tui::screens::{databases, playground, questions, review, runs};
use crate::tui::theme::Theme;
use crate::tui::widgets::grid::GridData;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Databases,
    Questions,
    Review,
    Runs,
    Playground,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Databases,
        Screen::Questions,
        Screen::Review,
        Screen::Runs,
        Screen::Playground,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Screen::Databases => "Databases",
            Screen::Questions => "Questions",
            Screen::Review => "Review",
            Screen::Runs => "Runs",
            Screen::Playground => "Playground",
        }
    }
    /// The keymap table of this screen.
    pub fn mode(self) -> &'static str {
        match self {
            Screen::Databases => "databases",
            Screen::Questions => "questions",
            Screen::Review => "review",
            Screen::Runs => "runs",
            Screen::Playground => "playground",
        }
    }
    fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Where a SQL result goes (results for a slot carry a token; stale ones are dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    ReviewChosen,
    ReviewRejected,
    QuestionGold,
    QuestionCandidate,
    TablePreview,
    Playground,
    PlaygroundCheck,
}

/// A result pane's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Pane {
    #[default]
    Empty,
    Loading,
    Ready(GridData),
    Failed(String),
}

/// A one-line text input (notes, edited SQL, searches).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineInput {
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }
    fn byte(&self, char_pos: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_pos)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }
    /// Applies an editing key; returns false when the key is not an editing key.
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        let n = self.text.chars().count();
        match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let b = self.byte(self.cursor);
                self.text.insert(b, c);
                self.cursor += 1;
            }
            KeyCode::Char('u') => {
                self.text.clear();
                self.cursor = 0;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let b = self.byte(self.cursor - 1);
                self.text.remove(b);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < n => {
                let b = self.byte(self.cursor);
                self.text.remove(b);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(n),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = n,
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Note {
        pair_id: i64,
    },
    EditChosen {
        pair_id: i64,
        example_id: i64,
    },
    /// A new gold SQL for an example (Review or Questions).
    EditGold {
        example_id: i64,
    },
    /// Read-only SQL on a workspace database (Databases).
    DbQuery {
        db: String,
    },
    Search,
    Filter,
    PgQuestion,
    PgModel,
    PgSql,
}

/// A text prompt over the current screen; keys go to it until Enter or Esc.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
    /// For EditChosen: the verdict of the text as last judged (text, verdict or error).
    pub judged: Option<(String, Result<Verdict, String>)>,
    pub judging: bool,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Prompt {
        Prompt {
            kind,
            input: LineInput::new(text),
            judged: None,
            judging: false,
        }
    }
    pub fn title(&self) -> &'static str {
        match self.kind {
            PromptKind::Note { .. } => "note · enter saves · esc cancels",
            PromptKind::EditChosen { .. } => "chosen SQL · enter judges, then saves · esc cancels",
            PromptKind::EditGold { .. } => {
                "gold SQL · enter runs it and re-judges every candidate · esc cancels"
            }
            PromptKind::DbQuery { .. } => {
                "read-only SQL (time, row and size limits) · enter runs · esc cancels"
            }
            PromptKind::Search => "search · enter keeps · esc clears",
            PromptKind::Filter => "filter tables and columns · enter keeps · esc clears",
            PromptKind::PgQuestion => "question · enter generates · esc cancels",
            PromptKind::PgModel => "checkpoint folder, URL MODEL, or profile:NAME · enter picks",
            PromptKind::PgSql => "SQL of the new example · enter runs, then saves · esc cancels",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

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
    pub databases: databases::DatabasesState,
    pub questions: questions::QuestionsState,
    pub review: review::ReviewState,
    pub runs: runs::RunsState,
    pub playground: playground::PlaygroundState,
    pub jobs_menu: crate::tui::jobs_menu::JobsMenu,
    /// The provenance overlay (exchange behind an example, prompt templates), when open.
    pub provenance: crate::tui::provenance::Overlay,
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
}

/// The effects `update` asks for. Store reads and writes are quick and done at once by the
/// runtime (a decision is committed before the next key is read); SQL and introspection of
/// target databases run on a worker thread and come back as actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCounts,
    LoadActivity,
    LoadDatabases,
    /// Review's queue: the ids of the pairs the filter selects.
    LoadQueue(crate::store::PairQuery),
    LoadPairFacets,
    /// The workspace's annotation guidelines (a Markdown file beside it).
    LoadGuidelines,
    LoadPair(i64),
    Decide(i64, PairStatus),
    /// A bulk decision on every pair shown, undone as one step.
    DecideMany(Vec<i64>, PairStatus),
    Undo,
    SetNote(i64, String),
    SaveChosen(i64, String),
    LoadFacets,
    LoadQuestionIds(ExampleQuery),
    LoadQuestionRows(Vec<i64>),
    LoadQuestion(i64),
    LoadSchema(String),
    RunSql {
        slot: Slot,
        token: u64,
        db: String,
        sql: String,
    },
    Judge {
        token: u64,
        example_id: i64,
        sql: String,
    },
    /// The pair whose rejected SQL is a candidate's.
    FindPair(i64),
    /// Corrects an example's gold SQL (executed and re-judged on the worker).
    SetGold {
        example_id: i64,
        sql: String,
    },
    /// Runs screen: read runs and new metric points, start or stop processes.
    Runs(crate::tui::runs_jobs::Request),
    /// Playground: generation on a background thread, model sources, saving an example.
    Playground(playground::PgEffect),
    /// Jobs menu: start or cancel a background job.
    Job(crate::tui::jobs_menu::JobEffect),
    /// Provenance overlays: an exchange, the prompt templates.
    Provenance(crate::tui::provenance::ProvEffect),
}

/// Results of effects.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Counts(Counts),
    Activity(Vec<Activity>),
    Databases(Vec<DatabaseRow>),
    Queue(Vec<i64>),
    Pair(i64, Result<Pair, String>),
    Decided(Result<Pair, String>),
    Undone(Result<Option<Pair>, String>),
    NoteSaved(Result<Pair, String>),
    ChosenSaved(Result<Pair, String>),
    Facets(Facets),
    QuestionIds(ExampleQuery, Result<Vec<i64>, String>),
    QuestionRows(Vec<Example>),
    Question(i64, Result<(Example, Vec<Candidate>), String>),
    Schema(String, Result<DbSchema, String>),
    Sql {
        slot: Slot,
        token: u64,
        result: Result<GridData, String>,
    },
    Judged {
        token: u64,
        sql: String,
        verdict: Result<Verdict, String>,
    },
    PairFacets(crate::store::PairFacets),
    /// The pair of a candidate, if it has one.
    PairOf(i64, Option<i64>),
    /// (file, text) of the guidelines.
    Guidelines(Result<(String, String), String>),
    /// A bulk decision: the pairs decided.
    BulkDecided(Result<Vec<i64>, String>),
    /// An undo that took back a bulk decision: the pairs restored.
    BatchUndone(Result<Vec<i64>, String>),
    /// A gold correction: what it did to the pairs, or why it was refused.
    GoldSet(i64, Result<crate::store::GoldOutcome, String>),
    /// An undo that restored a corrected gold.
    GoldUndone(Result<crate::store::GoldUndone, String>),
    /// A store operation failed.
    Failed(String),
    Runs(crate::tui::runs_jobs::Reply),
    Playground(playground::PgLoaded),
    Job(crate::tui::jobs_menu::JobEvent),
    Provenance(crate::tui::provenance::ProvLoaded),
}

// Actions pass one at a time through a queue, never stored in bulk: boxing `Loaded` would
// only add an allocation per result.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(KeyEvent),
    Cmd(Cmd),
    /// Mouse wheel: positive scrolls down.
    Scroll(i32),
    Resize(u16, u16),
    Tick,
    /// Background jobs running now.
    Jobs(usize),
    Loaded(Loaded),
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
            crate::tui::provenance::on_scroll(s, n);
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
            fx.extend(runs::on_tick(s));
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
        return crate::tui::provenance::on_key(s, key);
    }
    if s.jobs_menu.open && !s.help {
        return crate::tui::jobs_menu::on_key(s, key);
    }
    if s.screen == Screen::Runs && s.runs.form.is_some() {
        return runs::on_form_key(s, key);
    }
    if s.screen == Screen::Review && !s.help {
        if s.review.guidelines.is_some() {
            // Any key closes the guidelines.
            s.review.guidelines = None;
            return Vec::new();
        }
        if s.review.confirm.is_some() {
            return review::on_confirm_key(s, key);
        }
        if s.review.picker.open {
            return crate::tui::screens::review_filter::on_key(s, key);
        }
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
                PromptKind::Search => questions::set_search(s, String::new()),
                PromptKind::Filter => {
                    databases::set_filter(s, String::new());
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
                    databases::run_query(s, db, text)
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
                        s.review.token += 1;
                        vec![Effect::Judge {
                            token: s.review.token,
                            example_id,
                            sql: text,
                        }]
                    }
                }
                PromptKind::Search | PromptKind::Filter => {
                    s.prompt = None;
                    Vec::new()
                }
                k @ (PromptKind::PgQuestion | PromptKind::PgModel | PromptKind::PgSql) => {
                    playground::on_prompt_enter(s, k, text)
                }
            }
        }
        _ => {
            if !p.input.edit(&key) {
                return Vec::new();
            }
            let text = p.input.text.clone();
            match p.kind {
                PromptKind::Search => questions::set_search(s, text),
                PromptKind::Filter => {
                    databases::set_filter(s, text);
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
        Screen::Databases => databases::on_enter(s),
        Screen::Questions => questions::on_enter(s),
        Screen::Review => review::on_enter(s),
        Screen::Runs => runs::on_enter(s),
        Screen::Playground => playground::on_enter(s),
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
        Cmd::JobsMenu => crate::tui::jobs_menu::toggle(s),
        Cmd::Prompts => crate::tui::provenance::open_prompts(s),
        other => match s.screen {
            Screen::Databases => databases::on_cmd(s, other),
            Screen::Questions => questions::on_cmd(s, other),
            Screen::Review => review::on_cmd(s, other),
            Screen::Runs => runs::on_cmd(s, other),
            Screen::Playground => playground::on_cmd(s, other),
        },
    }
}

fn on_loaded(s: &mut State, l: Loaded) -> Vec<Effect> {
    match l {
        Loaded::Counts(c) => {
            // Pairs made by another process (an import, weak sampling, a job) join the queue
            // live; a finished queue picks up pending pairs that appeared since.
            let grew = s.counts.as_ref().is_some_and(|old| old.pairs != c.pairs);
            let reload = s.review.loaded && (grew || (c.pending > 0 && !s.review.has_pending()));
            s.counts = Some(c);
            if reload {
                vec![Effect::LoadQueue(s.review.filter.clone())]
            } else {
                Vec::new()
            }
        }
        Loaded::Activity(a) => {
            s.activity = a;
            Vec::new()
        }
        Loaded::Databases(list) => {
            s.databases_list = list;
            s.databases.loaded = true;
            s.databases.error = None;
            databases::after_list(s)
        }
        Loaded::Schema(db, schema) => {
            s.schemas.insert(db, schema);
            databases::after_schema(s)
        }
        Loaded::Failed(e) => {
            s.error(e);
            Vec::new()
        }
        Loaded::Runs(_) => runs::on_loaded(s, l),
        Loaded::Playground(_) => playground::on_loaded(s, l),
        Loaded::Job(e) => crate::tui::jobs_menu::on_loaded(s, e),
        Loaded::Provenance(l) => crate::tui::provenance::on_loaded(s, l),
        Loaded::Facets(f) => {
            s.questions.facets = f;
            Vec::new()
        }
        Loaded::QuestionIds(..)
        | Loaded::QuestionRows(_)
        | Loaded::Question(..)
        | Loaded::PairOf(..) => questions::on_loaded(s, l),
        Loaded::Sql { slot, .. } => match slot {
            Slot::ReviewChosen | Slot::ReviewRejected => review::on_loaded(s, l),
            Slot::QuestionGold | Slot::QuestionCandidate => questions::on_loaded(s, l),
            Slot::TablePreview => databases::on_loaded(s, l),
            Slot::Playground | Slot::PlaygroundCheck => playground::on_loaded(s, l),
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
        | Loaded::Judged { .. } => review::on_loaded(s, l),
        Loaded::GoldSet(..) | Loaded::GoldUndone(_) => gold_changed(s, l),
    }
}

/// A gold correction (or its undo) answered: the prompt closes on success or shows SQLite's
/// message; Review's queue and the Questions detail are read again.
fn gold_changed(s: &mut State, l: Loaded) -> Vec<Effect> {
    let mut fx = vec![Effect::LoadCounts];
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
            s.review.focus = u.pairs.first().copied();
        }
        Loaded::GoldUndone(Err(e)) => {
            s.error(e);
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    if s.review.loaded {
        fx.push(Effect::LoadQueue(s.review.filter.clone()));
    }
    if let Some(id) = s.questions.ids.get(s.questions.cursor) {
        fx.push(Effect::LoadQuestion(*id));
    }
    fx
}

impl Pane {
    /// (rows, columns) of a ready result, for bounding scroll offsets.
    pub fn extent(&self) -> (usize, usize) {
        match self {
            Pane::Ready(g) => (g.rows.len(), g.columns.len()),
            _ => (0, 0),
        }
    }
}

/// One step further, but never past the last of `len` items.
pub fn step_within(v: usize, len: usize) -> usize {
    (v + 1).min(len.saturating_sub(1))
}

/// Moves a cursor by a movement command within `len` items; returns whether it moved.
pub fn move_cursor(cursor: &mut usize, len: usize, cmd: Cmd, page: usize) -> bool {
    if len == 0 {
        return false;
    }
    let old = *cursor;
    *cursor = match cmd {
        Cmd::Up => cursor.saturating_sub(1),
        Cmd::Down => (*cursor + 1).min(len - 1),
        Cmd::PageUp => cursor.saturating_sub(page),
        Cmd::PageDown => (*cursor + page).min(len - 1),
        Cmd::Top => 0,
        Cmd::Bottom => len - 1,
        _ => *cursor,
    };
    *cursor != old
}
