//! Command-line front end: clap commands calling the same library functions as the TUI.

mod args;
mod commands;
mod eval_cmd;
mod export_cmd;
mod flags;
mod output;
mod pairs_cmd;
mod recipe_cmd;
mod sample_cmd;
mod strong_cmd;
mod synth_cmd;
pub mod table;
mod train_cmd;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Marks an error as the user's input being wrong (exit code 2), not a failure (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub fn bad(msg: impl std::fmt::Display) -> anyhow::Error {
    BadInput(msg.to_string()).into()
}

/// Opens the workspace for a command that only reads: read-only, so a read-only workspace
/// works. One that needs a migration is upgraded if it can be opened for writing, else refused.
pub fn open_for_reading(
    ws: &std::path::Path,
) -> Result<crate::store::Store, crate::store::StoreError> {
    use crate::store::{Store, StoreError};
    match Store::open_read_only(ws) {
        Err(e @ StoreError::NeedsMigration { .. }) => Store::open_existing(ws).map_err(|_| e),
        other => other,
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "sense",
    version,
    about = "A terminal workbench for text-to-SQL training data (SENSE: strong synthesis, weak sampling, preference pairs)"
)]
pub struct Cli {
    /// Workspace file (one SQLite file holding everything).
    #[arg(
        long,
        short = 'w',
        global = true,
        env = "SENSE_WORKSPACE",
        default_value = "sense.db"
    )]
    pub workspace: PathBuf,
    /// Theme of the workbench opened with no command: dark, light, high-contrast, or a file.
    #[arg(long, env = "SENSE_THEME")]
    pub theme: Option<String>,
    /// Who decisions and gold corrections are recorded as made by (default: the login name).
    #[arg(long, global = true, env = "SENSE_ANNOTATOR")]
    pub annotator: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The annotator: the flag or SENSE_ANNOTATOR, else the login name.
pub fn annotator(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Subcommand, Debug)]
// Parsed once per process: the size of its largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Build a workspace from the bundled sample databases (or a folder laid out like sample_dbs/).
    Init {
        /// Folder of sample databases instead of the ones built into sense.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Import a benchmark: spider|bird questions file, or a gold-sql file.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// Execution accuracy of predictions against gold SQL.
    Eval(eval_cmd::EvalArgs),
    /// Run read-only SQL on a workspace database and print the result grid.
    Exec {
        /// Database name in the workspace.
        #[arg(long)]
        db: String,
        sql: String,
        /// Print JSON instead of a grid.
        #[arg(long)]
        json: bool,
    },
    /// Weak-model candidates produced elsewhere.
    Candidates {
        #[command(subcommand)]
        what: CandidatesCmd,
    },
    /// Make examples: offline templates, or a strong model (domains, schemas, questions).
    Synth {
        #[command(subcommand)]
        what: synth_cmd::SynthCmd,
    },
    /// Train a local model: SFT on examples, DPO on pairs (runs and metrics go to the store).
    Train {
        #[command(subcommand)]
        what: train_cmd::TrainCmd,
    },
    /// Weak sampling: k samples per example from an endpoint model or a local checkpoint,
    /// judged by execution; wrong ones become pending pairs. Resumable.
    Sample(sample_cmd::SampleArgs),
    /// Write training data for other tools: TRL JSONL (dpo, sft) or a Spider-layout folder.
    Export {
        #[command(subcommand)]
        what: export_cmd::ExportCmd,
    },
    /// Counts of what the workspace holds.
    Status {
        /// One JSON object: examples by split × source, pairs by status × split.
        #[arg(long)]
        json: bool,
    },
    /// Preference pairs: list and decide them (the same store functions as Review).
    Pairs {
        #[command(subcommand)]
        what: pairs_cmd::PairsCmd,
    },
    /// Correct an example's gold SQL (audited, undoable), or read the correction log.
    Gold {
        #[command(subcommand)]
        what: pairs_cmd::GoldCmd,
    },
    /// Serve a local checkpoint as an OpenAI-compatible chat-completions endpoint on 127.0.0.1.
    Serve {
        /// Checkpoint folder (or a run's checkpoint folder).
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value_t = 8000)]
        port: u16,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Open the workbench (the same as `sense` with no command).
    Tui {
        /// Theme: dark, light, high-contrast, or a theme file (default: config, else dark).
        #[arg(long, env = "SENSE_THEME")]
        theme: Option<String>,
        /// Key bindings file laid over the built-in keys.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// The SENSE loop in miniature within a time budget: procedural databases (train, and
    /// held-out ones the recipe asks for), SFT from scratch, weak sampling from an early SFT
    /// checkpoint, pairs judged by execution, DPO, and EX of SFT and DPO on held-out template
    /// questions and the dev questions. Each stage is a normal run or eval; resumable.
    Recipe(recipe_cmd::RecipeArgs),
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Spider layout: questions file + tables.json + database/<db_id>/<db_id>.sqlite.
    Spider(ImportArgs),
    /// BIRD layout: dev.json with evidence and SQL + dev_databases/<db_id>/<db_id>.sqlite.
    Bird(ImportArgs),
    /// Spider's gold format: SQL<TAB>db_id per line.
    GoldSql {
        path: PathBuf,
        /// Folder holding <db_id>/<db_id>.sqlite.
        #[arg(long)]
        db_dir: PathBuf,
        #[arg(long)]
        split: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    pub path: PathBuf,
    /// Folder holding <db_id>/<db_id>.sqlite (default: beside the questions file).
    #[arg(long)]
    pub db_dir: Option<PathBuf>,
    /// Split label (default from the file name).
    #[arg(long)]
    pub split: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CandidatesCmd {
    /// JSONL with {"example_id", "sql"} or {"db_id", "question", "sql"} per line.
    Import {
        path: PathBuf,
        #[arg(long)]
        model: String,
        #[arg(long, default_value = "spider")]
        metric: crate::exec::MetricKind,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Evaluation speed on Spider dev: gold against itself and a perturbed copy.
    Eval {
        /// Spider folder (dev_gold.sql + database/).
        #[arg(long, default_value = "../shared/spider-dev")]
        spider: PathBuf,
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Training speed: tokens/s of SFT and DPO steps and of generation at a fixed small config.
    Train(train_cmd::BenchTrainArgs),
    /// Shared-prefix packing: examples/s of SFT steps on the recipe's model and data shape,
    /// packed (8 questions per schema) against one question per sequence, alternating.
    Pack {
        /// Timed steps per case (after one warm-up step).
        #[arg(long, default_value_t = 5)]
        steps: usize,
    },
    /// Workbench at scale: open time, per-key frame time, peak memory on 100k examples/pairs.
    Tui {
        /// Examples and pairs in the synthetic workspace.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Keys pressed per screen.
        #[arg(long, default_value_t = 500)]
        keys: usize,
    },
}

/// How this process loads checkpoints: `SENSE_HF_CONTEXT` as the user set it (checked when a
/// Hugging Face folder is loaded).
pub fn load_options() -> crate::train::checkpoint::LoadOptions {
    crate::source::load_options()
}

/// Whether an error is the user's input being wrong (exit 2) rather than a failure (exit 1):
/// a bad file or record is input; the workspace failing under an import or export is not.
fn is_input_error(e: &anyhow::Error) -> bool {
    use crate::dataset::DatasetError;
    use crate::store::StoreError;
    if e.downcast_ref::<BadInput>().is_some() {
        return true;
    }
    match e.downcast_ref::<DatasetError>() {
        Some(DatasetError::Store(s)) => {
            matches!(s, StoreError::Invalid(_) | StoreError::NotFound(_))
        }
        Some(DatasetError::Failed { .. }) => false,
        Some(_) => true,
        None => false,
    }
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Some(cmd) => commands::dispatch(&cli.workspace, cmd, &annotator(cli.annotator.as_deref())),
        None => commands::open_workbench(
            &cli.workspace,
            cli.theme.filter(|t| !t.is_empty()),
            &annotator(cli.annotator.as_deref()),
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if is_input_error(&e) {
                2
            } else {
                1
            }
        }
    }
}
