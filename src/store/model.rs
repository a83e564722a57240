//! Plain rows read from and written to the workspace.

use super::columns::{CandidateVerdict, ExecOutcome, PairStatus};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct NewDatabase {
    pub name: String,
    pub domain: String,
    pub source: String,
    pub path: PathBuf,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DatabaseRow {
    pub id: i64,
    pub name: String,
    pub domain: String,
    pub source: String,
    /// Absolute (resolved against the workspace's folder).
    pub path: PathBuf,
    pub fingerprint: String,
    pub examples: i64,
    /// The split most of its own examples have ("train" when none): whole databases are
    /// held out, so this is the database's badge.
    pub split: String,
}

#[derive(Debug, Clone)]
pub struct NewExample {
    pub db_id: i64,
    pub question: String,
    pub gold_sql: String,
    pub evidence: Option<String>,
    pub difficulty: Option<String>,
    pub split: String,
    pub source: String,
    pub provenance: serde_json::Value,
    pub exchange_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub id: i64,
    pub db_id: i64,
    pub db_name: String,
    pub question: String,
    pub gold_sql: String,
    pub evidence: Option<String>,
    pub difficulty: Option<String>,
    pub split: String,
    pub source: String,
    pub exchange_id: Option<i64>,
    pub wrong_candidates: i64,
    /// Where it came from (JSON text: template id and seed, the model behind a Playground
    /// example, …).
    pub provenance: String,
}

#[derive(Debug, Clone, Default)]
pub struct ExampleFilter {
    pub db: Option<String>,
    pub split: Option<String>,
    pub source: Option<String>,
    pub difficulty: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub databases: i64,
    pub examples: i64,
    pub candidates: i64,
    pub pairs: i64,
    pub pending: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub skipped: i64,
    pub withdrawn: i64,
    pub runs: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewCandidate {
    pub example_id: i64,
    pub model: String,
    pub sql: String,
    pub outcome: ExecOutcome,
    pub error: Option<String>,
    pub result_fp: Option<String>,
    pub verdict: CandidateVerdict,
    pub reason: String,
    pub latency_ms: f64,
    /// The rule that produced `verdict` ("spider" or "bird").
    pub metric: String,
    /// The strict check of the SQL as written, when the gold ran.
    pub strict_verdict: Option<CandidateVerdict>,
    pub flags: Vec<PairFlag>,
    /// Why each flag is set, in words.
    pub flag_reason: String,
    /// Why a wrong candidate is wrong (`synth::failure::FailureClass`), empty when correct.
    pub failure_class: String,
    /// The sampling temperature behind the SQL, when a sampler made it.
    pub temperature: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub example_id: i64,
    pub model: String,
    pub sql: String,
    pub outcome: ExecOutcome,
    pub error: Option<String>,
    pub result_fp: Option<String>,
    pub verdict: CandidateVerdict,
    pub reason: String,
    pub latency_ms: f64,
    pub samples: i64,
    pub metric: String,
    pub strict_verdict: Option<CandidateVerdict>,
    pub flags: Vec<PairFlag>,
    pub flag_reason: String,
    pub failure_class: String,
}

/// Why a pair needs a closer look than its verdict suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PairFlag {
    /// The workspace metric and the strict check of the SQL as written disagree.
    Disputed,
    /// The gold result is not determined by the data (ties at a LIMIT, unordered rows).
    AmbiguousGold,
}

impl PairFlag {
    pub const ALL: [PairFlag; 2] = [PairFlag::Disputed, PairFlag::AmbiguousGold];
    pub fn as_str(self) -> &'static str {
        match self {
            PairFlag::Disputed => "disputed",
            PairFlag::AmbiguousGold => "ambiguous_gold",
        }
    }
    pub fn parse(s: &str) -> Option<PairFlag> {
        PairFlag::ALL.into_iter().find(|f| f.as_str() == s)
    }
    /// Stored as a comma-separated list.
    pub fn join(flags: &[PairFlag]) -> String {
        flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
    pub fn split(s: &str) -> Vec<PairFlag> {
        s.split(',').filter_map(PairFlag::parse).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Pair {
    pub id: i64,
    pub example_id: i64,
    pub db_name: String,
    pub question: String,
    pub gold_sql: String,
    pub chosen_sql: String,
    pub rejected_id: i64,
    pub rejected_sql: String,
    pub status: PairStatus,
    pub note: String,
    pub decided_at: Option<String>,
    /// Why the rejected SQL was judged wrong (from its candidate).
    pub reason: String,
    pub model: String,
    /// The example's split and source.
    pub split: String,
    pub source: String,
    /// The rule that judged the rejected SQL ("spider" or "bird").
    pub metric: String,
    pub flags: Vec<PairFlag>,
    /// Why the flags are set, in words ("differs only because the Spider rule removes DISTINCT").
    pub flag_reason: String,
    /// Why the tool withdrew the pair (status `withdrawn`).
    pub withdrawn_reason: String,
    /// The example's gold SQL was corrected after this pair was made.
    pub gold_changed: bool,
    /// Why the rejected SQL is wrong, as a class (`synth::failure::FailureClass`).
    pub failure_class: String,
    /// The sampling temperature that produced the rejected SQL, when known.
    pub temperature: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairEvent {
    pub id: i64,
    pub pair_id: i64,
    pub action: String,
    pub old_status: PairStatus,
    pub new_status: PairStatus,
    pub undone: bool,
    pub at: String,
    pub annotator: String,
}

/// One entry of the gold correction log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldCorrection {
    pub id: i64,
    pub example_id: i64,
    pub db: String,
    pub old_sql: String,
    pub new_sql: String,
    pub note: String,
    pub annotator: String,
    pub undone: bool,
    pub at: String,
}

/// A candidate re-judged against a corrected gold (see `Store::correct_gold`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejudged {
    pub candidate_id: i64,
    pub verdict: CandidateVerdict,
    pub reason: String,
    pub strict_verdict: Option<CandidateVerdict>,
    pub flags: Vec<PairFlag>,
    pub flag_reason: String,
    pub failure_class: String,
    /// The SQL should be a pending pair (wrong by the metric or the strict check).
    pub makes_pair: bool,
}
