//! Offline synthesis: questions and SQL made from any database's schema by grammar templates,
//! with no model involved. Counts, filters on real values read from the rows, GROUP BY/HAVING,
//! ORDER BY/LIMIT, joins along foreign keys, nested IN / NOT IN, scalar subqueries and set
//! operations; the English phrasing of each is drawn by a seeded generator, so the same seed
//! gives the same examples. Every SQL is executed and kept only if it returns a non-empty,
//! non-degenerate answer (not only NULLs, not a count of zero).
//!
//! Layout: `profile` reads what the grammar needs from the database, `defs` is the table of
//! templates (phrasings and SQL), `grammar` and `joins` decide which apply and with which
//! values, `english` and `sql` write the words and the SQL.

mod defs;
mod english;
mod grammar;
mod joins;
mod profile;
mod sql;

use crate::exec::{Executor, Limits, Value};
use crate::schema;
use crate::store::{NewExample, Store, StoreError};
use grammar::{Gen, Phraser};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Bumped whenever templates or phrasings change (recorded in each example's provenance).
pub const TEMPLATES_VERSION: u32 = 4;

/// The `source` of every example this module writes.
pub const SOURCE: &str = "template";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{0}")]
    Schema(#[from] schema::SchemaError),
    #[error("reading {path}: {msg}")]
    Read { path: String, msg: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct TemplateOptions {
    pub seed: u64,
    /// At most this many kept examples per database.
    pub per_db: usize,
    /// Only databases of this split (`None` = every split, which the caller must have been
    /// asked for: see `store::seal_split`). Train by default: dev databases stay held out.
    pub split: Option<String>,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            seed: 42,
            per_db: 400,
            split: Some(crate::store::TRAIN.into()),
        }
    }
}

/// One generated, executed and kept example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateExample {
    pub question: String,
    pub sql: String,
    /// The template's name (e.g. `group_having`).
    pub template: String,
    pub difficulty: String,
}

/// What happened to the candidates of one database (or all of them, summed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateStats {
    /// Distinct (by normalized SQL and by question) candidates the grammar produced.
    pub candidates: usize,
    /// Candidates that were executed (stops once `per_db` are kept).
    pub executed: usize,
    pub failed: usize,
    /// Executed fine but returned no rows, only NULLs or a zero count.
    pub empty: usize,
    pub kept: usize,
}

impl TemplateStats {
    pub fn add(&mut self, o: &TemplateStats) {
        self.candidates += o.candidates;
        self.executed += o.executed;
        self.failed += o.failed;
        self.empty += o.empty;
        self.kept += o.kept;
    }
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Whether a result is a real answer: some row, some non-NULL value, and not a lone zero count.
fn answers(r: &crate::exec::QueryResult) -> bool {
    if r.rows.is_empty()
        || r.rows
            .iter()
            .all(|row| row.iter().all(|v| matches!(v, Value::Null)))
    {
        return false;
    }
    !(r.rows.len() == 1 && r.rows[0].len() == 1 && matches!(r.rows[0][0], Value::Integer(0)))
}

/// Generates, executes and keeps template examples for one database file. Deterministic for a
/// given (database, `seed`); `name` salts the seed so databases get different phrasings.
pub fn generate(
    path: &Path,
    name: &str,
    opts: &TemplateOptions,
) -> Result<(Vec<TemplateExample>, TemplateStats), TemplateError> {
    let tabs = profile::profile(path)?;
    let mut g = Gen {
        p: Phraser {
            rng: StdRng::seed_from_u64(opts.seed ^ fnv(name)),
        },
        out: Vec::new(),
    };
    for t in tabs.iter().filter(|t| t.rows > 0) {
        grammar::single_table(&mut g, t);
        joins::joins(&mut g, &tabs, t);
    }
    let mut cands = std::mem::take(&mut g.out);
    let mut seen_sql = BTreeSet::new();
    let mut seen_q = BTreeSet::new();
    cands.retain(|c| {
        seen_sql.insert(crate::sqltext::normalize(&c.sql))
            && seen_q.insert(c.question.to_lowercase())
    });
    let mut stats = TemplateStats {
        candidates: cands.len(),
        ..Default::default()
    };
    cands.shuffle(&mut g.p.rng);

    let limits = Limits {
        timeout: std::time::Duration::from_secs(2),
        max_rows: 2_000,
        ..Limits::default()
    };
    let ex = Executor::open(path, limits).map_err(|e| TemplateError::Read {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let mut kept = Vec::new();
    for c in cands {
        if kept.len() >= opts.per_db {
            break;
        }
        stats.executed += 1;
        match ex.run(&c.sql) {
            Err(_) => stats.failed += 1,
            Ok(r) if !answers(&r) => stats.empty += 1,
            Ok(_) => {
                kept.push(TemplateExample {
                    difficulty: crate::sqltext::estimate_hardness(&c.sql)
                        .as_str()
                        .to_string(),
                    question: c.question,
                    sql: c.sql,
                    template: c.template.to_string(),
                });
            }
        }
    }
    stats.kept = kept.len();
    Ok((kept, stats))
}

/// The report of `synth_templates`, per database and summed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateReport {
    pub per_db: Vec<(String, TemplateStats)>,
    pub total: TemplateStats,
    pub inserted: usize,
    pub already_present: usize,
}

impl TemplateReport {
    pub fn summary(&self) -> String {
        let t = &self.total;
        format!(
            "{} databases: {} candidates, {} executed, {} kept ({} failed, {} empty); {} inserted, {} already present",
            self.per_db.len(),
            t.candidates,
            t.executed,
            t.kept,
            t.failed,
            t.empty,
            self.inserted,
            self.already_present
        )
    }
}

/// Runs template synthesis over the named workspace databases (all when `dbs` is empty) and
/// stores the kept examples with source `template` (unless `dry_run`). `each` is called after
/// each database with its name, stats and examples (for progress and `--dry-run` printing).
pub fn synth_templates(
    store: &Store,
    dbs: &[String],
    opts: &TemplateOptions,
    dry_run: bool,
    mut each: impl FnMut(&str, &TemplateStats, &[TemplateExample]),
) -> Result<TemplateReport, TemplateError> {
    let mut report = TemplateReport::default();
    let all = store.databases()?;
    let splits = store.database_splits()?;
    let split_of = |name: &str| splits.get(name).cloned().unwrap_or_else(|| "train".into());
    for name in dbs {
        if !all.iter().any(|d| &d.name == name) {
            return Err(StoreError::NotFound(format!("database '{name}'")).into());
        }
        if let Some(want) = &opts.split {
            let has = split_of(name);
            if &has != want {
                return Err(StoreError::HeldOut(format!(
                    "database '{name}' (split '{has}'; asked for '{want}')"
                ))
                .into());
            }
        }
    }
    for db in all.iter().filter(|d| {
        (dbs.is_empty() || dbs.contains(&d.name))
            && opts.split.as_ref().is_none_or(|s| *s == split_of(&d.name))
    }) {
        let (examples, stats) = generate(&db.path, &db.name, opts)?;
        if !dry_run {
            let split = split_of(&db.name);
            let rows: Vec<NewExample> = examples
                .iter()
                .map(|e| NewExample {
                    db_id: db.id,
                    question: e.question.clone(),
                    gold_sql: e.sql.clone(),
                    evidence: None,
                    difficulty: Some(e.difficulty.clone()),
                    split: split.clone(),
                    source: SOURCE.into(),
                    provenance: serde_json::json!({
                        "template": e.template,
                        "seed": opts.seed,
                        "version": TEMPLATES_VERSION,
                    }),
                    exchange_id: None,
                })
                .collect();
            let (ins, dup) = store.insert_examples(&rows)?;
            report.inserted += ins;
            report.already_present += dup;
        }
        each(&db.name, &stats, &examples);
        report.total.add(&stats);
        report.per_db.push((db.name.clone(), stats));
    }
    Ok(report)
}
