//! Dispatch of CLI commands to the library.

use super::output::progress;
use super::{bad, BenchCmd, CandidatesCmd, Command, ImportCmd};
use crate::dataset::benchmark::{self, ImportOptions, Layout};
use crate::dataset::{samples, DatasetError};
use crate::exec::{Executor, Limits, Metric};
use crate::store::Store;
use crate::synth::weak::{CandidateInput, Judge};
use anyhow::Result;
use std::path::Path;

pub fn dispatch(ws: &Path, cmd: Command, annotator: &str) -> Result<i32> {
    match cmd {
        Command::Init { from } => {
            let store = Store::open(ws)?;
            let samples = match from {
                Some(dir) => samples::from_dir(&dir)?,
                None => samples::embedded()?,
            };
            let report = samples::init_workspace(&store, &samples)?;
            println!("{}: {}", ws.display(), report.summary());
            Ok(0)
        }
        Command::Import { what } => {
            let store = Store::open(ws)?;
            let report = match what {
                ImportCmd::Spider(a) => benchmark::import_questions(
                    &store,
                    Layout::Spider,
                    &a.path,
                    &ImportOptions {
                        db_dir: a.db_dir,
                        split: a.split,
                    },
                )?,
                ImportCmd::Bird(a) => benchmark::import_questions(
                    &store,
                    Layout::Bird,
                    &a.path,
                    &ImportOptions {
                        db_dir: a.db_dir,
                        split: a.split,
                    },
                )?,
                ImportCmd::GoldSql {
                    path,
                    db_dir,
                    split,
                } => benchmark::import_gold_sql(&store, &path, &db_dir, split)?,
            };
            for (db, n) in &report.missing_db {
                eprintln!("warning: database '{db}' not found: skipped its {n} records");
            }
            println!("{}", report.summary());
            Ok(0)
        }
        Command::Eval(args) => super::eval_cmd::run(ws, args),
        Command::Exec { db, sql, json } => {
            let store = super::open_for_reading(ws)?;
            let row = store
                .database_by_name(&db)
                .map_err(|e| bad(format!("{e} in {}", ws.display())))?;
            let ex = Executor::open(&row.path, Limits::default())?;
            match ex.run(&sql) {
                Ok(r) => {
                    if json {
                        println!("{}", serde_json::to_string(&r)?);
                    } else {
                        print!("{}", super::table::render(&r, 200));
                    }
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
        Command::Candidates {
            what:
                CandidatesCmd::Import {
                    path,
                    model,
                    metric,
                },
        } => import_candidates(ws, &path, &model, Metric::of(metric)),
        Command::Synth { what } => super::synth_cmd::synth(ws, what),
        Command::Sample(a) => super::sample_cmd::sample_cmd(ws, a),
        Command::Export { what } => super::export_cmd::export_cmd(ws, what),
        Command::Serve {
            model,
            port,
            device,
        } => serve(ws, &model, port, &device),
        Command::Pairs { what } => super::pairs_cmd::pairs(ws, what, annotator),
        Command::Gold { what } => super::pairs_cmd::gold(ws, what, annotator),
        Command::Status { json } => {
            let store = super::open_for_reading(ws)?;
            if json {
                println!("{}", super::pairs_cmd::status_json(&store)?);
                return Ok(0);
            }
            let c = store.counts()?;
            println!("workspace  {}", ws.display());
            println!("databases  {}", c.databases);
            println!("examples   {}", c.examples);
            println!("candidates {}", c.candidates);
            println!(
                "pairs      {} (pending {}, accepted {}, rejected {}, skipped {}, withdrawn {})",
                c.pairs, c.pending, c.accepted, c.rejected, c.skipped, c.withdrawn
            );
            let (by, dead) = super::pairs_cmd::runs_by_status(&store)?;
            let by: Vec<String> = by.iter().map(|(s, n)| format!("{s} {n}")).collect();
            let dead: Vec<String> = dead.iter().map(|id| format!("#{id}")).collect();
            println!(
                "runs       {}{}{}",
                c.runs,
                if by.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", by.join(", "))
                },
                if dead.is_empty() {
                    String::new()
                } else {
                    format!("; dead (process gone, killed?): {}", dead.join(" "))
                }
            );
            Ok(0)
        }
        Command::Bench {
            what: BenchCmd::Eval { spider, repeat },
        } => super::eval_cmd::bench(&spider, repeat),
        Command::Bench {
            what: BenchCmd::Train(a),
        } => super::train_cmd::bench(&a),
        Command::Bench {
            what: BenchCmd::Pack { steps },
        } => super::train_cmd::bench_pack(steps),
        Command::Bench {
            what: BenchCmd::Tui { n, keys },
        } => crate::tui::bench::run(n, keys).map(|()| 0),
        Command::Tui { theme, keys } => crate::tui::run(crate::tui::TuiOptions {
            workspace: ws.to_path_buf(),
            theme,
            keys,
            annotator: annotator.to_string(),
        })
        .map(|()| 0),
        Command::Train { what } => super::train_cmd::train(ws, what),
        Command::Recipe(a) => super::recipe_cmd::recipe(ws, a),
    }
}

pub fn open_workbench(ws: &Path, theme: Option<String>, annotator: &str) -> Result<i32> {
    crate::tui::run(crate::tui::TuiOptions {
        workspace: ws.to_path_buf(),
        theme,
        keys: None,
        annotator: annotator.to_string(),
    })?;
    Ok(0)
}

fn import_candidates(ws: &Path, path: &Path, model: &str, metric: Metric) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let text = super::flags::read_input(path)?;
    let mut inputs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |msg: String| DatasetError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            msg,
        };
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        let sql = v
            .get("sql")
            .and_then(|s| s.as_str())
            .ok_or_else(|| at("missing string field 'sql'".into()))?;
        let sql = crate::llm::cap_sql(sql).map_err(at)?;
        let example_id = if let Some(id) = v.get("example_id").and_then(|x| x.as_i64()) {
            store
                .example(id)
                .map_err(|_| at(format!("no example #{id} in the workspace")))?;
            id
        } else {
            let db = v
                .get("db_id")
                .or_else(|| v.get("db"))
                .and_then(|s| s.as_str())
                .ok_or_else(|| at("needs 'example_id', or 'db_id' and 'question'".into()))?;
            let q = v
                .get("question")
                .and_then(|s| s.as_str())
                .ok_or_else(|| at("needs 'example_id', or 'db_id' and 'question'".into()))?;
            store
                .find_example(db, q)?
                .ok_or_else(|| at(format!("no example in database '{db}' with that question")))?
        };
        inputs.push(CandidateInput {
            example_id,
            sql: sql.to_string(),
        });
    }
    let pb = progress(inputs.len() as u64, "judging");
    let mut judge = Judge::new(metric, Limits::default());
    let (mut correct, mut wrong, mut new_pairs, mut gold_err, mut disputed) = (0, 0, 0, 0, 0);
    for input in &inputs {
        let r = judge.record(&store, model, input, None)?;
        match r.verdict {
            crate::exec::Verdict::Correct => correct += 1,
            crate::exec::Verdict::Wrong { .. } => wrong += 1,
            crate::exec::Verdict::GoldError { .. } => gold_err += 1,
        }
        new_pairs += usize::from(r.pair_id.is_some());
        disputed += usize::from(r.disputed);
        pb.inc(1);
    }
    pb.finish_and_clear();
    println!(
        "{} candidates from {model}: {correct} correct, {wrong} wrong ({new_pairs} new pending pairs){}{}",
        inputs.len(),
        if disputed > 0 {
            format!(", {disputed} disputed (the {} rule and the SQL as written disagree; see `sense pairs list --flag disputed`)", metric.kind.as_str())
        } else {
            String::new()
        },
        if gold_err > 0 { format!(", {gold_err} with failing gold SQL") } else { String::new() }
    );
    Ok(0)
}

fn serve(ws: &Path, model: &Path, port: u16, device: &str) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let generator = crate::source::local_generator(model, device, 0).map_err(bad)?;
    if let Some(w) = generator.warning() {
        eprintln!("warning: {w}");
    }
    let app = crate::serve::router(generator, &store)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!(
            "serving {} on http://{}/v1/chat/completions (Ctrl-C stops)",
            model.display(),
            listener.local_addr()?
        );
        crate::serve::serve(listener, app).await
    })?;
    Ok(0)
}
