//! Messages of the jobs menu's background jobs (run by `tui::bg`): what a job does, starting
//! or cancelling it, and its reports.

use super::playground::ModelSource;

/// What a job does.
#[derive(Debug, Clone, PartialEq)]
pub enum JobSpec {
    /// `sense synth templates` over these databases (every train database when empty).
    /// `allow_dev`: the user confirmed writing into held-out (dev) databases.
    Templates { dbs: Vec<String>, allow_dev: bool },
    /// `sense sample`: k samples per example from a model, wrong ones become pending pairs.
    Sample {
        source: ModelSource,
        db: Option<String>,
        k: usize,
        temperature: f32,
        /// At most this many examples (None: all).
        limit: Option<usize>,
        /// The user confirmed sampling on held-out (dev) examples; train only otherwise.
        allow_dev: bool,
    },
    /// `sense synth domains|schemas|questions` with an endpoint model: `domains` new domains,
    /// a database for each domain without one, `questions` questions per new database.
    Strong {
        source: ModelSource,
        domains: usize,
        questions: usize,
    },
}

/// Domains asked for, and questions per database, by the strong synthesis job.
pub const STRONG_DOMAINS: usize = 3;
pub const STRONG_QUESTIONS: usize = 10;

impl JobSpec {
    /// Whether the job writes examples or pairs into held-out data.
    pub fn touches_dev(&self) -> bool {
        match self {
            JobSpec::Templates { allow_dev, .. } | JobSpec::Sample { allow_dev, .. } => *allow_dev,
            JobSpec::Strong { .. } => false,
        }
    }

    /// The `kind` recorded in the jobs table.
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::Templates { .. } => "templates",
            JobSpec::Sample { .. } => "sample",
            JobSpec::Strong { .. } => "strong",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobEffect {
    Start(JobSpec),
    Cancel,
}

/// Reports of the running job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Started {
        id: i64,
        kind: String,
    },
    Progress {
        done: i64,
        total: i64,
        message: String,
    },
    /// status: done, cancelled or failed.
    Finished {
        status: String,
        message: String,
    },
}
