//! `sense pairs list|accept|reject|skip`, `sense gold set|log|undo`, `sense status --json`:
//! curation from the command line through the same store functions as the TUI.

use super::bad;
use crate::exec::{Limits, Metric, MetricKind};
use crate::store::{Pair, PairFlag, PairQuery, PairStatus, Store, StoreError};
use crate::synth::failure::FailureClass;
use crate::synth::weak::Judge;
use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Subcommand, Debug)]
pub enum PairsCmd {
    /// List pairs (a table, or JSON Lines with --json).
    List(ListArgs),
    /// Accept pairs: chosen is better than rejected (training data).
    Accept(DecideArgs),
    /// Reject pairs: not preference data (e.g. the rejected SQL is fine).
    Reject(DecideArgs),
    /// Skip pairs: decide later.
    Skip(DecideArgs),
    /// Agreement between annotators who decided the same pairs: counts, raw agreement and
    /// Cohen's kappa per pair of annotators.
    Agreement {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// pending, accepted, rejected, skipped, withdrawn.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub db: Option<String>,
    #[arg(long)]
    pub split: Option<String>,
    /// The example's source (sample, template, ...) or the model that wrote the rejected SQL.
    #[arg(long)]
    pub source: Option<String>,
    /// disputed or ambiguous_gold.
    #[arg(long)]
    pub flag: Option<String>,
    /// Failure class of the rejected SQL (syntax_error, join, filter_value, extra_rows, ...).
    #[arg(long)]
    pub class: Option<String>,
    /// Only pairs whose annotators' decisions differ.
    #[arg(long)]
    pub conflicts: bool,
    /// One JSON object per pair per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DecideArgs {
    /// Pair ids.
    #[arg(required = true)]
    pub ids: Vec<i64>,
    /// A note stored with each decision.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum GoldCmd {
    /// Replace an example's gold SQL; its candidates are re-judged and its pairs updated.
    Set {
        example_id: i64,
        sql: String,
        #[arg(long, default_value = "")]
        note: String,
        /// The rule candidates are re-judged by.
        #[arg(long, default_value = "spider")]
        metric: MetricKind,
    },
    /// The correction log (old, new, note, annotator, time).
    Log {
        /// Only this example.
        #[arg(long)]
        example: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Undo the newest gold correction (of one example with --example): the old gold and
    /// every pair state come back.
    Undo {
        #[arg(long)]
        example: Option<i64>,
    },
}

/// A store error as the user's mistake (exit 2) where it is one.
fn user_err(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::NotFound(_) | StoreError::Invalid(_) | StoreError::HeldOut(_) => bad(e),
        other => other.into(),
    }
}

pub fn pair_json(p: &Pair) -> serde_json::Value {
    json!({
        "id": p.id,
        "example_id": p.example_id,
        "db": p.db_name,
        "split": p.split,
        "source": p.source,
        "model": p.model,
        "status": p.status.as_str(),
        "question": p.question,
        "chosen_sql": p.chosen_sql,
        "rejected_sql": p.rejected_sql,
        "reason": p.reason,
        "failure_class": p.failure_class,
        "metric": p.metric,
        "flags": p.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "flag_reason": p.flag_reason,
        "withdrawn_reason": p.withdrawn_reason,
        "gold_changed": p.gold_changed,
        "note": p.note,
        "decided_at": p.decided_at,
    })
}

pub fn pairs(ws: &Path, cmd: PairsCmd, annotator: &str) -> Result<i32> {
    let (args, status) = match cmd {
        PairsCmd::List(a) => return list(&super::open_for_reading(ws)?, a),
        PairsCmd::Agreement { json } => return agreement(&super::open_for_reading(ws)?, json),
        PairsCmd::Accept(a) => (a, PairStatus::Accepted),
        PairsCmd::Reject(a) => (a, PairStatus::Rejected),
        PairsCmd::Skip(a) => (a, PairStatus::Skipped),
    };
    let mut store = Store::open_existing(ws)?;
    store.set_annotator(annotator);
    // Every id must exist before anything is decided.
    for &id in &args.ids {
        store.pair(id).map_err(user_err)?;
    }
    let mut refused = 0;
    for &id in &args.ids {
        let r = store.decide(id, status).and_then(|p| match &args.note {
            Some(n) => store.set_note(p.id, n),
            None => Ok(p),
        });
        match r {
            Ok(p) => println!("pair #{} {}", p.id, p.status.as_str()),
            Err(e @ StoreError::Invalid(_)) => {
                eprintln!("refused: {e}");
                refused += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(if refused > 0 { 2 } else { 0 })
}

fn list(store: &Store, a: ListArgs) -> Result<i32> {
    let status = a
        .status
        .as_deref()
        .map(|s| PairStatus::parse(s).ok_or_else(|| bad(format!("unknown pair status '{s}'"))))
        .transpose()?;
    let flag = a
        .flag
        .as_deref()
        .map(|s| {
            PairFlag::parse(s).ok_or_else(|| {
                bad(format!(
                    "unknown flag '{s}' (expected disputed or ambiguous_gold)"
                ))
            })
        })
        .transpose()?;
    let class = a
        .class
        .as_deref()
        .map(|c| {
            FailureClass::parse(c)
                .map(|c| c.as_str().to_string())
                .ok_or_else(|| {
                    let all: Vec<&str> = FailureClass::ALL.iter().map(|c| c.as_str()).collect();
                    bad(format!(
                        "unknown failure class '{c}' (one of {})",
                        all.join(", ")
                    ))
                })
        })
        .transpose()?;
    let pairs = store.query_pairs(&PairQuery {
        status,
        db: a.db,
        split: a.split,
        source: a.source,
        flag,
        class,
        conflicts: a.conflicts,
    })?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for p in &pairs {
        let line = if a.json {
            pair_json(p).to_string()
        } else {
            let flags = if p.flags.is_empty() {
                String::new()
            } else {
                format!(
                    " [{}]",
                    p.flags
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            format!(
                "#{:<5} {:<9} {:<22} {:<5} ex {:<6} {:<14} {}{}{}",
                p.id,
                p.status.as_str(),
                p.db_name,
                p.split,
                p.example_id,
                p.failure_class,
                p.reason,
                flags,
                if p.gold_changed {
                    " (gold changed)"
                } else {
                    ""
                }
            )
        };
        // A closed pipe (`| head`) just ends the listing.
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(0)
}

fn agreement(store: &Store, json: bool) -> Result<i32> {
    let a = store.agreement()?;
    if json {
        super::output::print_json_line(&a)?;
        return Ok(0);
    }
    for (who, n) in &a.decisions {
        println!("{who:<16} {n} decisions");
    }
    println!(
        "{} pairs decided by two annotators or more, {} in conflict (`sense pairs list --conflicts`)",
        a.shared_pairs, a.conflicts
    );
    for p in &a.pairs {
        let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
        println!(
            "{} · {}: {} shared, {} agree, raw {}, Cohen's kappa {}",
            p.a,
            p.b,
            p.n,
            p.agree,
            f(p.raw),
            f(p.kappa)
        );
    }
    Ok(0)
}

pub fn gold(ws: &Path, cmd: GoldCmd, annotator: &str) -> Result<i32> {
    // The log only reads: open read-only.
    if let GoldCmd::Log { example, json } = cmd {
        return gold_log(&super::open_for_reading(ws)?, example, json);
    }
    let mut store = Store::open_existing(ws)?;
    store.set_annotator(annotator);
    match cmd {
        GoldCmd::Set {
            example_id,
            sql,
            note,
            metric,
        } => {
            store.example(example_id).map_err(user_err)?;
            let mut judge = Judge::new(Metric::of(metric), Limits::default());
            let out = crate::synth::gold::set_gold(&store, &mut judge, example_id, &sql, &note)
                .map_err(user_err)?;
            println!(
                "example #{example_id}: gold replaced (correction #{}); {} pairs withdrawn, {} new pending, {} back to pending, {} accepted kept",
                out.correction_id,
                out.withdrawn.len(),
                out.created.len(),
                out.revived.len(),
                out.kept_accepted.len()
            );
            for id in &out.withdrawn {
                println!("  pair #{id} withdrawn: its rejected SQL is correct under the new gold");
            }
            Ok(0)
        }
        GoldCmd::Log { example, json } => gold_log(&store, example, json),
        GoldCmd::Undo { example } => {
            if let Some(id) = example {
                store.example(id).map_err(user_err)?;
            }
            let Some(id) = store.last_gold_correction(example)? else {
                eprintln!("no gold correction to undo");
                return Ok(2);
            };
            let u = store.undo_gold(id).map_err(user_err)?;
            println!(
                "correction #{} undone: example #{} has its old gold again; {} pairs restored",
                u.correction_id,
                u.example_id,
                u.pairs.len()
            );
            Ok(0)
        }
    }
}

/// Runs by status, where a `running` run whose process is gone (killed by the OS or SIGKILL)
/// counts as `dead`; and the dead runs' ids.
pub fn runs_by_status(store: &Store) -> Result<(BTreeMap<String, i64>, Vec<i64>)> {
    let mut by = BTreeMap::new();
    let mut dead = Vec::new();
    for r in store.runs()? {
        let status = if crate::proc::run_is_dead(&r) {
            dead.push(r.id);
            "dead"
        } else {
            r.status.as_str()
        };
        *by.entry(status.to_string()).or_insert(0) += 1;
    }
    Ok((by, dead))
}

/// `sense status --json`: examples by split × source, pairs by status × split.
pub fn status_json(store: &Store) -> Result<serde_json::Value> {
    let c = store.counts()?;
    let grid = |sql: &str| -> Result<BTreeMap<String, BTreeMap<String, i64>>> {
        let mut st = store.conn().prepare(sql)?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut m: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for row in rows {
            let (a, b, n) = row?;
            m.entry(a).or_default().insert(b, n);
        }
        Ok(m)
    };
    let examples = grid("SELECT split, source, count(*) FROM examples GROUP BY split, source")?;
    let pairs = grid(
        "SELECT p.status, e.split, count(*) FROM pairs p JOIN examples e ON e.id = p.example_id
         GROUP BY p.status, e.split",
    )?;
    let flags = grid(
        "SELECT CASE WHEN p.flags = '' THEN 'none' ELSE p.flags END, p.status, count(*) FROM pairs p
         GROUP BY 1, p.status",
    )?;
    let (runs_by_status, dead_runs) = runs_by_status(store)?;
    Ok(json!({
        "workspace": store.path(),
        "databases": c.databases,
        "database_splits": store.database_splits()?,
        "examples": c.examples,
        "candidates": c.candidates,
        "runs": c.runs,
        "runs_by_status": runs_by_status,
        "dead_runs": dead_runs,
        "examples_by_split_source": examples,
        "pairs_by_status_split": pairs,
        "pairs_by_flags_status": flags,
        "weak_samples": store.sample_quality(None)?,
        "pairs": {
            "total": c.pairs,
            "pending": c.pending,
            "accepted": c.accepted,
            "rejected": c.rejected,
            "skipped": c.skipped,
            "withdrawn": c.withdrawn,
        },
    }))
}

fn gold_log(store: &Store, example: Option<i64>, json: bool) -> Result<i32> {
    if let Some(id) = example {
        store.example(id).map_err(user_err)?;
    }
    for g in store.gold_log(example)? {
        if json {
            super::output::print_json_line(&g)?;
        } else {
            println!(
                "#{} {} example #{} ({}) by {}{}{}\n  old: {}\n  new: {}",
                g.id,
                g.at,
                g.example_id,
                g.db,
                if g.annotator.is_empty() {
                    "?"
                } else {
                    &g.annotator
                },
                if g.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", g.note)
                },
                if g.undone { " [undone]" } else { "" },
                g.old_sql,
                g.new_sql
            );
        }
    }
    Ok(0)
}
