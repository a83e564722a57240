//! `sense synth templates|databases` (offline, no model), and the dispatch of the strong
//! stages (`strong_cmd`).

use super::bad;
use super::output::{print_json_pretty, progress};
use super::strong_cmd::{synth_domains, synth_questions, synth_schemas, StrongArgs};
use crate::store::Store;
use crate::synth::templates::{self, TemplateOptions};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum SynthCmd {
    /// Offline: questions + SQL from each database's schema by grammar templates (no model).
    Templates(TemplatesArgs),
    /// Offline: N SQLite databases from the built-in domain vocabulary (no model), registered
    /// in the workspace, with template questions over each; whole databases go to one split.
    Databases(DatabasesArgs),
    /// Stage 1: ask the strong model for new domains (or read them from a file).
    Domains {
        /// How many domains to ask for (and keep, at most).
        #[arg(short = 'n', long, default_value_t = 5, value_parser = super::flags::count)]
        n: usize,
        /// Take the domains from this file (JSON list, or one `name: description` per line).
        #[arg(long)]
        from: Option<PathBuf>,
        /// The domains file to append to (default: <workspace>_domains.json beside it).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        strong: StrongArgs,
    },
    /// Stage 2: a schema with rows for each domain without a database; built as SQLite files.
    Schemas {
        /// Domains file (default: <workspace>_domains.json).
        #[arg(long)]
        domains: Option<PathBuf>,
        /// At most this many domains.
        #[arg(long)]
        limit: Option<usize>,
        /// Largest database file a reply may build, in MB.
        #[arg(long, default_value_t = 64)]
        max_db_mb: u64,
        #[command(flatten)]
        strong: StrongArgs,
    },
    /// Stage 3: questions with gold SQL for databases (default: strong ones without examples).
    Questions {
        /// Only these databases (repeatable).
        #[arg(long = "db")]
        dbs: Vec<String>,
        /// Questions asked per database.
        #[arg(short = 'n', long, default_value_t = 20, value_parser = super::flags::count)]
        n: usize,
        /// At most this many databases.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        strong: StrongArgs,
    },
}

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    /// Only these workspace databases (repeatable; default all).
    #[arg(long = "db")]
    pub dbs: Vec<String>,
    /// Seed of the phrasing and value choices: the same seed gives the same examples.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// At most this many examples per database.
    #[arg(long, default_value_t = 400, value_parser = super::flags::count)]
    pub per_db: usize,
    /// Only databases of this split (default train; dev or all needs --allow-dev); template
    /// examples take their database's split.
    #[arg(long)]
    pub split: Option<String>,
    /// Allow writing examples into held-out (dev) databases.
    #[arg(long)]
    pub allow_dev: bool,
    /// At most this many databases.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print the kept question/SQL pairs instead of storing them.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DatabasesArgs {
    /// How many databases.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub n: usize,
    /// Seed of domains, tables and values: the same seed gives the same databases.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Split of the databases and their questions (default train; dev needs --allow-dev).
    #[arg(long)]
    pub split: Option<String>,
    /// Allow creating held-out (dev) databases.
    #[arg(long)]
    pub allow_dev: bool,
    /// Template questions kept per database.
    #[arg(long, default_value_t = 40)]
    pub per_db: usize,
    /// Share (0–1) of databases that name some tables and columns from outside their domain,
    /// a held-out set for whether a model reads names from the prompt; their names end in
    /// `_fresh`.
    #[arg(long, default_value_t = 0.0, value_parser = super::flags::share)]
    pub fresh_names: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn synth(ws: &Path, cmd: SynthCmd) -> Result<i32> {
    match cmd {
        SynthCmd::Databases(a) => synth_databases(ws, a),
        SynthCmd::Templates(a) => synth_templates(ws, a),
        SynthCmd::Domains {
            n,
            from,
            out,
            strong,
        } => synth_domains(ws, n, from, out, strong),
        SynthCmd::Schemas {
            domains,
            limit,
            max_db_mb,
            strong,
        } => synth_schemas(ws, domains, limit, max_db_mb, strong),
        SynthCmd::Questions {
            dbs,
            n,
            limit,
            strong,
        } => synth_questions(ws, dbs, n, limit, strong),
    }
}

fn synth_databases(ws: &Path, a: DatabasesArgs) -> Result<i32> {
    use crate::synth::procedural::{self, ProceduralOptions};
    let store = Store::open_existing(ws)?;
    let split = crate::store::seal_split(a.split.as_deref(), a.allow_dev)
        .map_err(bad)?
        .ok_or_else(|| bad("procedural databases go to one split, not 'all'"))?;
    let opts = ProceduralOptions {
        n: a.n,
        seed: a.seed,
        split,
        per_db: a.per_db,
        fresh_names: a.fresh_names,
    };
    let pb = progress(a.n as u64, "databases");
    let report = procedural::synth_databases(&store, &opts, |o| {
        pb.set_message(format!("{}: {}", o.name, o.inserted));
        pb.inc(1);
    })?;
    pb.finish_and_clear();
    if a.json {
        print_json_pretty(&report)?;
    } else {
        for o in &report.databases {
            println!(
                "{:<36} {:>2} tables {:>5} rows {:>4} questions  {}",
                o.name, o.tables, o.rows, o.inserted, o.status
            );
        }
        println!("{}", report.summary());
    }
    Ok(0)
}

fn synth_templates(ws: &Path, a: TemplatesArgs) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let split = crate::store::seal_split(a.split.as_deref(), a.allow_dev).map_err(bad)?;
    let splits = store.database_splits()?;
    let mut dbs: Vec<String> = if a.dbs.is_empty() {
        splits
            .iter()
            .filter(|(_, s)| split.as_ref().is_none_or(|want| want == *s))
            .map(|(d, _)| d.clone())
            .collect()
    } else {
        a.dbs.clone()
    };
    if let Some(n) = a.limit {
        dbs.truncate(n);
    }
    if dbs.is_empty() {
        return Err(bad(match (&split, splits.is_empty()) {
            (_, true) => {
                "no databases in the workspace (run `sense init` or an import first)".to_string()
            }
            (Some(s), false) => format!("no databases of split '{s}' in the workspace"),
            (None, false) => "no databases selected".to_string(),
        }));
    }
    let opts = TemplateOptions {
        split,
        seed: a.seed,
        per_db: a.per_db,
    };
    let pb = progress(dbs.len() as u64, "templates");
    let dry = a.dry_run;
    let report = templates::synth_templates(&store, &dbs, &opts, dry, |name, stats, examples| {
        if dry {
            pb.suspend(|| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                for e in examples {
                    // A closed pipe (`| head`) just ends the listing.
                    if writeln!(
                        out,
                        "-- {name} [{}; {}] {}\n{};\n",
                        e.template, e.difficulty, e.question, e.sql
                    )
                    .is_err()
                    {
                        break;
                    }
                }
            });
        }
        pb.set_message(format!("{name}: {}", stats.kept));
        pb.inc(1);
    })
    .map_err(|e| match e {
        templates::TemplateError::Store(crate::store::StoreError::NotFound(m)) => {
            bad(format!("not found: {m}"))
        }
        templates::TemplateError::Store(e @ crate::store::StoreError::HeldOut(_)) => bad(e),
        other => other.into(),
    })?;
    pb.finish_and_clear();
    // Written so that a closed pipe (`--dry-run | head`) ends quietly.
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if a.json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (name, s) in &report.per_db {
            let _ = writeln!(
                out,
                "{name:<24} {:>5} candidates {:>5} executed {:>5} kept {:>4} failed {:>4} empty",
                s.candidates, s.executed, s.kept, s.failed, s.empty
            );
        }
        let _ = writeln!(
            out,
            "{}{}",
            if dry { "dry run: " } else { "" },
            report.summary()
        );
    }
    Ok(0)
}
