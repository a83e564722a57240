//! Messages of the jobs menu's background jobs (run by `tui::bg`): what a job does, starting
//! or cancelling it, and its reports.

/// What a job does and what it reports: the UI-free runner's own types.
pub use crate::jobs::{JobEvent, JobSpec};

/// Domains asked for, and questions per database, by the strong synthesis job.
pub const STRONG_DOMAINS: usize = 3;
pub const STRONG_QUESTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum JobEffect {
    Start(JobSpec),
    Cancel,
}
