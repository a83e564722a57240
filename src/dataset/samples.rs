//! The bundled sample databases (sample_dbs/, embedded in the binary) and `sense init`.

use super::{DatasetError, ImportReport};
use crate::exec::Metric;
use crate::store::{NewDatabase, NewExample, Store};
use crate::synth::weak::{CandidateInput, Judge};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::path::{Path, PathBuf};

static SAMPLE_DBS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/sample_dbs");

/// The model name under which the hand-written sample candidates are stored.
pub const HAND_WRITTEN: &str = "hand-written";

#[derive(Debug, Deserialize)]
pub struct QuestionsFile {
    pub db_id: String,
    #[serde(default)]
    pub domain: String,
    pub split: String,
    pub questions: Vec<SampleQuestion>,
}

#[derive(Debug, Deserialize)]
pub struct SampleQuestion {
    pub question: String,
    pub sql: String,
    pub difficulty: String,
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SampleCandidate {
    question_index: usize,
    sql: String,
    #[serde(default)]
    note: String,
}

/// One sample database as text: where it came from (for error messages) and its files.
pub struct SampleDb {
    pub origin: PathBuf,
    pub schema_sql: String,
    pub questions: QuestionsFile,
    pub candidates: Option<String>,
}

/// The sample databases embedded in this binary.
pub fn embedded() -> Result<Vec<SampleDb>, DatasetError> {
    let mut out = Vec::new();
    let mut dirs: Vec<&Dir<'_>> = SAMPLE_DBS.dirs().collect();
    dirs.sort_by_key(|d| d.path().to_path_buf());
    for d in dirs {
        let origin = PathBuf::from("sample_dbs").join(d.path());
        let text = |name: &str| {
            d.get_file(d.path().join(name))
                .and_then(|f| f.contents_utf8())
                .map(str::to_string)
        };
        let (Some(schema_sql), Some(q)) = (text("schema.sql"), text("questions.json")) else {
            continue;
        };
        out.push(SampleDb {
            questions: parse_questions(&origin.join("questions.json"), &q)?,
            origin,
            schema_sql,
            candidates: text("candidates.jsonl"),
        });
    }
    Ok(out)
}

/// Sample databases from a folder laid out like sample_dbs/.
pub fn from_dir(dir: &Path) -> Result<Vec<SampleDb>, DatasetError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DatasetError::file(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("schema.sql").is_file())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for origin in entries {
        let read = |n: &str| {
            std::fs::read_to_string(origin.join(n))
                .map_err(|e| DatasetError::file(origin.join(n), e))
        };
        let q = read("questions.json")?;
        out.push(SampleDb {
            questions: parse_questions(&origin.join("questions.json"), &q)?,
            schema_sql: read("schema.sql")?,
            candidates: std::fs::read_to_string(origin.join("candidates.jsonl")).ok(),
            origin,
        });
    }
    Ok(out)
}

fn parse_questions(path: &Path, text: &str) -> Result<QuestionsFile, DatasetError> {
    let q: QuestionsFile = serde_json::from_str(text).map_err(|e| DatasetError::Line {
        path: path.to_path_buf(),
        line: e.line(),
        msg: e.to_string(),
    })?;
    for (i, item) in q.questions.iter().enumerate() {
        if crate::sqltext::Hardness::parse(&item.difficulty).is_none() {
            return Err(DatasetError::Record {
                path: path.to_path_buf(),
                index: i,
                field: "difficulty".into(),
                msg: format!("'{}' is not easy, medium, hard or extra", item.difficulty),
            });
        }
    }
    Ok(q)
}

/// Builds (or refreshes) the sample databases into the workspace: materializes each SQLite
/// file next to the workspace, imports the questions, and judges the hand-written candidates
/// into pending pairs. Running it twice adds nothing new.
pub fn init_workspace(store: &Store, samples: &[SampleDb]) -> Result<ImportReport, DatasetError> {
    let mut report = ImportReport::default();
    let db_dir = store.db_dir();
    let mut judge = Judge::new(Metric::spider(), crate::exec::Limits::default());
    for s in samples {
        let name = &s.questions.db_id;
        let dest = db_dir.join(format!("{name}.sqlite"));
        crate::synth::materialize::materialize(&s.schema_sql, &dest).map_err(|e| {
            use crate::synth::materialize::MaterializeError as M;
            // The disk, not the script: a full disk or an I/O error is a failure (exit 1).
            let io = match &e {
                M::Io(_) => true,
                M::Sql(m) => {
                    let m = m.to_ascii_lowercase();
                    m.contains("disk") || m.contains("full") || m.contains("i/o")
                }
                _ => false,
            };
            if io {
                DatasetError::Failed {
                    path: dest.clone(),
                    msg: e.to_string(),
                }
            } else {
                DatasetError::file(s.origin.join("schema.sql"), e)
            }
        })?;
        let schema =
            crate::schema::introspect_path(&dest, 0).map_err(|e| DatasetError::file(&dest, e))?;
        let db_id = store.upsert_database(&NewDatabase {
            name: name.clone(),
            domain: s.questions.domain.clone(),
            source: "sample".into(),
            path: dest.clone(),
            fingerprint: crate::schema::fingerprint(&schema),
        })?;
        report.databases += 1;
        let examples: Vec<NewExample> = s
            .questions
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| NewExample {
                db_id,
                question: q.question.clone(),
                gold_sql: q.sql.clone(),
                evidence: q.evidence.clone(),
                difficulty: Some(q.difficulty.to_ascii_lowercase()),
                split: s.questions.split.clone(),
                source: "sample".into(),
                provenance: serde_json::json!({"file": s.origin.join("questions.json"), "index": i}),
                exchange_id: None,
            })
            .collect();
        let (ins, dup) = store.insert_examples(&examples)?;
        report.inserted += ins;
        report.duplicates += dup;

        if let Some(text) = &s.candidates {
            let path = s.origin.join("candidates.jsonl");
            let mut inputs = Vec::new();
            for (lineno, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let c: SampleCandidate =
                    serde_json::from_str(line).map_err(|e| DatasetError::Line {
                        path: path.clone(),
                        line: lineno + 1,
                        msg: e.to_string(),
                    })?;
                let q = s.questions.questions.get(c.question_index).ok_or_else(|| {
                    DatasetError::Line {
                        path: path.clone(),
                        line: lineno + 1,
                        msg: format!("question_index {} out of range", c.question_index),
                    }
                })?;
                let example_id =
                    store
                        .find_example(name, &q.question)?
                        .ok_or_else(|| DatasetError::Line {
                            path: path.clone(),
                            line: lineno + 1,
                            msg: "question not in workspace".into(),
                        })?;
                let _ = c.note;
                inputs.push(CandidateInput {
                    example_id,
                    sql: c.sql,
                });
            }
            let before = store.counts()?.pairs;
            for input in &inputs {
                judge.record(store, HAND_WRITTEN, input, None)?;
            }
            report.candidates += inputs.len();
            report.pairs += (store.counts()?.pairs - before) as usize;
        }
    }
    Ok(report)
}
