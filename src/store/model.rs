//! Plain rows read from and written to the workspace.

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseRow {
    pub id: i64,
    pub name: String,
    pub domain: String,
    pub source: String,
    /// Absolute (resolved against the workspace's folder).
    pub path: PathBuf,
    pub fingerprint: String,
    pub examples: i64,
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
    pub runs: i64,
}

#[derive(Debug, Clone)]
pub struct NewCandidate {
    pub example_id: i64,
    pub model: String,
    pub sql: String,
    pub outcome: String,
    pub error: Option<String>,
    pub result_fp: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub latency_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub example_id: i64,
    pub model: String,
    pub sql: String,
    pub outcome: String,
    pub error: Option<String>,
    pub result_fp: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub latency_ms: f64,
    pub samples: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum PairStatus {
    Pending,
    Accepted,
    Rejected,
    Skipped,
}

impl PairStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PairStatus::Pending => "pending",
            PairStatus::Accepted => "accepted",
            PairStatus::Rejected => "rejected",
            PairStatus::Skipped => "skipped",
        }
    }
    pub fn parse(s: &str) -> Option<PairStatus> {
        match s {
            "pending" => Some(PairStatus::Pending),
            "accepted" => Some(PairStatus::Accepted),
            "rejected" => Some(PairStatus::Rejected),
            "skipped" => Some(PairStatus::Skipped),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairEvent {
    pub id: i64,
    pub pair_id: i64,
    pub action: String,
    pub old_status: String,
    pub new_status: String,
    pub undone: bool,
    pub at: String,
}
