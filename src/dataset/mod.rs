//! Getting examples in and out: the bundled sample databases, Spider and BIRD layouts, Spider's
//! gold-SQL files, and (in `export`) TRL JSONL and Spider JSON.

pub mod benchmark;
pub mod card;
pub mod export;
pub mod hf_export;
pub mod samples;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: {msg}")]
    File { path: PathBuf, msg: String },
    #[error("{path}: record {index}: field '{field}': {msg}")]
    Record {
        path: PathBuf,
        index: usize,
        field: String,
        msg: String,
    },
    #[error("{path}:{line}: {msg}")]
    Line {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// Writing or building failed (a full disk, an I/O error): not the input's fault.
    #[error("{path}: {msg}")]
    Failed { path: PathBuf, msg: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl DatasetError {
    pub fn file(path: impl Into<PathBuf>, msg: impl std::fmt::Display) -> Self {
        DatasetError::File {
            path: path.into(),
            msg: msg.to_string(),
        }
    }
}

/// What an import did, for the summary line and for tests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub databases: usize,
    pub inserted: usize,
    pub duplicates: usize,
    /// Records skipped because their database file is missing, per database name.
    pub missing_db: Vec<(String, usize)>,
    pub candidates: usize,
    pub pairs: usize,
}

impl ImportReport {
    pub fn skipped(&self) -> usize {
        self.missing_db.iter().map(|(_, n)| n).sum()
    }

    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} databases, {} examples imported, {} already present",
            self.databases, self.inserted, self.duplicates
        );
        if self.candidates > 0 {
            s.push_str(&format!(
                ", {} candidates, {} new pairs",
                self.candidates, self.pairs
            ));
        }
        if !self.missing_db.is_empty() {
            s.push_str(&format!(
                "; skipped {} records whose database file is missing:",
                self.skipped()
            ));
            for (db, n) in &self.missing_db {
                s.push_str(&format!(" {db} ({n})"));
            }
        }
        s
    }
}
