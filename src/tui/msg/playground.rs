//! Messages of the Playground's background work (run by `tui::bg` and the runtime): where SQL
//! comes from, a generation request, what comes back.

/// Temperature of the k alternatives (the first answer is greedy), and of sampling jobs.
pub const SAMPLE_TEMPERATURE: f32 = 0.8;

/// Where SQL comes from (resolved and opened by `source`).
pub use crate::source::ModelSource;

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

/// Effects of the Playground, run by `tui::bg` and the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum PgEffect {
    /// Checkpoints of runs in the store, and endpoint profiles.
    LoadSources,
    /// The workspace's runs, to name checkpoints by run ("run #2 sft · step 13").
    LoadRuns,
    /// Saves the question with `sql` as gold and the model's SQL as its rejected candidate.
    SavePair {
        db: String,
        question: String,
        sql: String,
        model: String,
        model_sql: String,
        allow_dev: bool,
    },
    /// The prompt `question` becomes on `db` for the model `source`, for the prompt view.
    ShowPrompt {
        db: String,
        question: String,
        source: Option<ModelSource>,
    },
    Generate(GenRequest),
    Cancel,
    Save {
        db: String,
        question: String,
        sql: String,
        /// The user confirmed saving into a held-out (dev) database.
        allow_dev: bool,
        /// The model whose SQL was corrected, and that SQL (the example's provenance).
        from: Option<(String, String)>,
    },
}

/// What comes back.
#[derive(Debug, Clone, PartialEq)]
pub enum PgLoaded {
    Sources(Vec<ModelSource>),
    Runs(Result<Vec<crate::store::Run>, String>),
    Prompt(Result<String, String>),
    PairSaved(Result<crate::tui::playground_save::PairSaved, String>),
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
    /// What a model just loaded warns about (a checkpoint's unknown prompt version).
    Warning(String),
}
