//! The messages of the workbench, below the screens and the app state that both use them:
//! what can happen ([`Action`]), what `update` asks the outside world to do ([`Effect`]) and
//! what comes back ([`Loaded`]), with the messages of the background work of the Playground,
//! the jobs menu and the provenance overlays in the submodules.

pub mod jobs;
pub mod playground;
pub mod provenance;

use crate::exec::Verdict;
use crate::schema::DbSchema;
use crate::store::{
    Activity, Candidate, Counts, DatabaseRow, Example, ExampleQuery, Facets, Pair, PairStatus,
};
use crate::tui::keymap::Cmd;
use crate::tui::widgets::grid::GridData;
use crossterm::event::KeyEvent;

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
    Job(jobs::JobEffect),
    /// Provenance overlays: an exchange, the prompt templates.
    Provenance(provenance::ProvEffect),
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
    Job(jobs::JobEvent),
    Provenance(provenance::ProvLoaded),
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
