//! `sense export dpo|sft|hf|spider`: training data and models for other tools, with a
//! dataset card beside each JSONL file.

use super::args::SelectArgs;
use super::bad;
use crate::store::Store;
use anyhow::Result;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// TRL preference JSONL (prompt, chosen, rejected) from pairs; accepted ones by default.
    Dpo {
        out: PathBuf,
        /// Pair statuses to export (repeatable): accepted, pending, rejected, skipped, all.
        #[arg(long, default_value = "accepted")]
        status: Vec<String>,
        /// Conversational records (lists of role/content messages).
        #[arg(long)]
        chat: bool,
        /// Add pair_id, example_id, db_id, split, status and flags fields.
        #[arg(long)]
        meta: bool,
        /// Pairs on examples of this split (default train; dev or all needs --allow-dev).
        #[arg(long)]
        split: Option<String>,
        #[arg(long)]
        allow_dev: bool,
        /// Only pairs of this database.
        #[arg(long)]
        db: Option<String>,
        /// Warn about records longer than this many characters (prompt and completion).
        #[arg(long, value_name = "CHARS")]
        max_length: Option<usize>,
    },
    /// SFT JSONL: prompt/completion per example, or chat messages with --chat.
    Sft {
        out: PathBuf,
        #[command(flatten)]
        select: SelectArgs,
        #[arg(long)]
        chat: bool,
        /// Add example_id, db_id, split and source fields.
        #[arg(long)]
        meta: bool,
        /// Warn about records longer than this many characters (prompt and completion).
        #[arg(long, value_name = "CHARS")]
        max_length: Option<usize>,
    },
    /// A checkpoint as a Hugging Face model folder (config.json, model.safetensors, tokenizer
    /// files with a chat template, generation_config.json, a model card).
    Hf {
        /// The checkpoint folder.
        checkpoint: PathBuf,
        /// The folder to write.
        out: PathBuf,
    },
    /// A Spider-layout folder: <split>.json, <split>_gold.sql, tables.json, database/.
    Spider {
        dir: PathBuf,
        #[command(flatten)]
        select: SelectArgs,
    },
}

/// Record lengths in characters, and a warning for records over `--max-length`.
fn report_lengths(card: &crate::dataset::card::Card, max: Option<usize>) {
    if let Some((m, p, x)) = card.length_stats() {
        println!("record length (prompt and completion, characters): median {m}, p95 {p}, max {x}");
    }
    if let Some(max) = max {
        let n = card.longer_than(max);
        if n > 0 {
            eprintln!(
                "warning: {n} of {} records are longer than {max} characters; a trainer with that max length will cut them",
                card.records
            );
        }
    }
}

/// What a model card says of the data and evaluations behind a checkpoint.
fn model_card_data(store: &Store, checkpoint: &Path) -> Result<String> {
    let mut s = String::from(
        "## Data in the workspace\n\n| split | source | examples |\n| --- | --- | ---: |\n",
    );
    let mut st = store.conn().prepare(
        "SELECT split, source, count(*) FROM examples GROUP BY split, source ORDER BY 1, 2",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (split, source, n) = row?;
        s.push_str(&format!("| {split} | {source} | {n} |\n"));
    }
    let ck = std::fs::canonicalize(checkpoint).unwrap_or_else(|_| checkpoint.to_path_buf());
    let evals: Vec<_> = store
        .evals()?
        .into_iter()
        .filter(|e| {
            let m = Path::new(e.model.strip_prefix("local:").unwrap_or(&e.model));
            std::fs::canonicalize(m).map(|m| m == ck).unwrap_or(false)
        })
        .collect();
    if !evals.is_empty() {
        s.push_str(
            "\n## Execution accuracy\n\n| split | metric | EX | n |\n| --- | --- | ---: | ---: |\n",
        );
        for e in evals {
            s.push_str(&format!(
                "| {} | {} | {:.1}% | {} |\n",
                e.split,
                e.metric,
                100.0 * e.correct as f64 / e.n.max(1) as f64,
                e.n
            ));
        }
    }
    Ok(s)
}

/// The command as typed, for dataset cards.
fn command_line() -> String {
    let mut args = std::env::args();
    let bin = args
        .next()
        .map(|b| {
            Path::new(&b)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or(b)
        })
        .unwrap_or_else(|| "sense".into());
    std::iter::once(bin)
        .chain(args.map(|a| {
            if a.contains(char::is_whitespace) || a.is_empty() {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn export_cmd(ws: &Path, cmd: ExportCmd) -> Result<i32> {
    use crate::dataset::card::{write_card, Card};
    use crate::dataset::export::{self, Shape};
    use crate::store::PairStatus;
    let store = super::open_for_reading(ws)?;
    let shape = |chat: bool| if chat { Shape::Chat } else { Shape::Standard };
    match cmd {
        ExportCmd::Dpo {
            out,
            status,
            chat,
            meta,
            split,
            allow_dev,
            db,
            max_length,
        } => {
            let split = crate::store::seal_split(split.as_deref(), allow_dev).map_err(bad)?;
            let mut statuses = Vec::new();
            for s in &status {
                if s == "all" {
                    // Withdrawn pairs have a correct "rejected" SQL: never preference data.
                    statuses.extend(
                        PairStatus::ALL
                            .into_iter()
                            .filter(|s| *s != PairStatus::Withdrawn),
                    );
                } else {
                    let st = PairStatus::parse(s)
                        .ok_or_else(|| bad(format!("unknown pair status '{s}'")))?;
                    if st == PairStatus::Withdrawn {
                        return Err(bad(
                            "withdrawn pairs are not exported: their rejected SQL is correct under the current gold",
                        ));
                    }
                    statuses.push(st);
                }
            }
            statuses.dedup();
            let mut card = Card::new("dpo", &command_line());
            let n = export::export_dpo_counted(
                &store,
                &out,
                &statuses,
                split.as_deref(),
                db.as_deref(),
                shape(chat),
                meta,
                &mut card,
            )?;
            if n == 0 {
                eprintln!(
                    "error: no pairs with status {} on split {}{}: nothing written to {} (review pending pairs first, or pass --status pending; flagged pairs are exported once accepted)",
                    status.join(", "),
                    split.as_deref().unwrap_or("all"),
                    db.as_deref().map(|d| format!(" of {d}")).unwrap_or_default(),
                    out.display()
                );
                return Ok(1);
            }
            println!("{n} pairs written to {}", out.display());
            report_lengths(&card, max_length);
            let c = write_card(&out, &card)?;
            println!("dataset card: {}", c.display());
        }
        ExportCmd::Sft {
            out,
            select,
            chat,
            meta,
            max_length,
        } => {
            let mut card = Card::new("sft", &command_line());
            let n = export::export_sft_counted(
                &store,
                &out,
                &select.filter()?,
                shape(chat),
                meta,
                &mut card,
            )?;
            if n == 0 {
                eprintln!(
                    "error: no examples match the selection: nothing written to {}",
                    out.display()
                );
                return Ok(1);
            }
            println!("{n} examples written to {}", out.display());
            report_lengths(&card, max_length);
            let c = write_card(&out, &card)?;
            println!("dataset card: {}", c.display());
        }
        ExportCmd::Hf { checkpoint, out } => {
            let loaded = crate::train::checkpoint::load_with(
                &checkpoint,
                &candle_core::Device::Cpu,
                &super::load_options(),
            )
            .map_err(|e| bad(format!("{}: {e:#}", checkpoint.display())))?;
            if let Some(w) = &loaded.warning {
                eprintln!("warning: {w}");
            }
            let r = crate::dataset::hf_export::export_hf(
                &loaded,
                &out,
                &model_card_data(&store, &checkpoint)?,
            )
            .map_err(bad)?;
            println!(
                "{} written as a Hugging Face {} folder: {}",
                checkpoint.display(),
                r.model_type,
                r.files.join(", ")
            );
        }
        ExportCmd::Spider { dir, select } => {
            let r = export::export_spider(&store, &dir, &select.filter()?)?;
            println!("{}", r.summary());
        }
    }
    Ok(0)
}
