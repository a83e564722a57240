//! `sense recipe`: runs the stages `recipe` plans as child `sense` processes, with a progress
//! bar each, Ctrl-C passed on to the child, and the state saved after every stage.

use crate::recipe::{self, RecipeOptions, RecipeState, Stage, Step};
use crate::store::Store;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct RecipeArgs {
    /// Time budget in minutes, shared across the stages (SFT about 60 % of it).
    #[arg(long, default_value_t = 30.0, value_parser = super::flags::minutes)]
    pub minutes: f64,
    /// Seed of databases, training and sampling.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// One JSON object at the end instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Procedural train databases made when the workspace has fewer train databases.
    #[arg(long, default_value_t = crate::recipe::RecipeOptions::default().train_databases)]
    pub databases: usize,
    /// Held-out procedural databases (split `heldout`) whose template questions measure EX.
    /// Running the recipe is asking for them: they are made without --allow-dev.
    #[arg(long, default_value_t = 8)]
    pub heldout_databases: usize,
    /// Template questions per procedural database.
    #[arg(long, default_value_t = 40)]
    pub per_db: usize,
    /// Weak samples per train question.
    #[arg(short = 'k', long, default_value_t = 4, value_parser = super::flags::count)]
    pub k: usize,
    #[arg(long, default_value_t = 0.8, value_parser = super::flags::temperature)]
    pub temperature: f32,
    /// Examples per evaluation set (default: about 12 per minute of budget, 16 to 200).
    #[arg(long)]
    pub eval_limit: Option<usize>,
    /// Longest generated SQL in tokens (evaluation and sampling).
    #[arg(long, default_value_t = 128, value_parser = super::flags::count)]
    pub max_new_tokens: usize,
    /// SFT model size (default: the recipe's, see `recipe::SFT_DEFAULTS`).
    #[command(flatten)]
    pub shape: super::train_cmd::ModelShape,
    /// SFT sequences per step (packed ones: see --pack).
    #[arg(long, value_parser = super::flags::count)]
    pub batch_size: Option<usize>,
    /// SFT: questions over one database per sequence, its schema computed once (1 = one
    /// question per sequence; default 8).
    #[arg(long, value_name = "N", value_parser = super::flags::count)]
    pub pack: Option<usize>,
    #[arg(long, value_parser = super::flags::positive)]
    pub lr: Option<f64>,
    /// Largest BPE vocabulary.
    #[arg(long, value_name = "N")]
    pub bpe_vocab: Option<usize>,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// When the weak model's checkpoint is taken, as a fraction of SFT's time (0.05 to 1).
    #[arg(long, default_value_t = 0.8, value_parser = weak_at)]
    pub weak_at: f64,
    /// Weight of an SFT term on the chosen SQL in DPO (0: plain DPO).
    #[arg(long, default_value_t = 1.0, value_parser = super::flags::non_negative)]
    pub dpo_sft_weight: f64,
    /// Sampling and evaluation let the model spell any identifier (by default table and
    /// column names are kept to those the prompt's schema shows).
    #[arg(long)]
    pub free_decoding: bool,
    /// Completions per evaluation question: where the greedy SQL fails or returns nothing,
    /// the answer is the result most of the other samples that run agree on (1: greedy only).
    #[arg(long, default_value_t = 8, value_parser = super::flags::candidates)]
    pub candidates: usize,
    /// Forget the state file and start over (runs and evals already made stay in the store).
    #[arg(long)]
    pub fresh: bool,
}

impl RecipeArgs {
    fn options(&self) -> RecipeOptions {
        let mut sft_flags = self.shape.flags();
        let flags: [(&str, Option<String>); 4] = [
            ("--batch-size", self.batch_size.map(|v| v.to_string())),
            ("--pack", self.pack.map(|v| v.to_string())),
            ("--lr", self.lr.map(|v| v.to_string())),
            ("--bpe-vocab", self.bpe_vocab.map(|v| v.to_string())),
        ];
        for (flag, v) in flags {
            if let Some(v) = v {
                sft_flags.extend([flag.to_string(), v]);
            }
        }
        RecipeOptions {
            minutes: self.minutes,
            seed: self.seed,
            train_databases: self.databases,
            heldout_databases: self.heldout_databases,
            per_db: self.per_db,
            k: self.k,
            // Through its decimal text: `f64::from(0.8f32)` would pass on 0.800000011920929.
            temperature: self.temperature.to_string().parse().unwrap_or(0.8),
            eval_limit: self.eval_limit,
            max_new_tokens: self.max_new_tokens,
            sft_flags,
            device: self.device.clone(),
            weak_at: self.weak_at,
            dpo_sft_weight: self.dpo_sft_weight,
            free_decoding: self.free_decoding,
            candidates: self.candidates,
        }
    }
}

fn weak_at(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.05..=1.0).contains(v))
        .ok_or_else(|| format!("--weak-at {s}: a fraction of SFT's time from 0.05 to 1"))
}

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks child `pid` to stop the way Ctrl-C would (it keeps what finished).
fn interrupt(pid: u32) {
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// How one child ended.
struct Outcome {
    stdout: String,
    success: bool,
    interrupted: bool,
}

#[allow(clippy::too_many_arguments)]
/// Runs `sense <args>` on the workspace; stderr goes to the recipe log (the lines that say
/// what the data and run are also above the bar), stdout is kept for the result.
fn run_child(
    ws: &Path,
    log: &Path,
    stage: Stage,
    args: &[String],
    deadline: Option<f64>,
    state: &mut RecipeState,
    state_file: &Path,
    store: &Store,
) -> Result<Outcome> {
    let exe = std::env::current_exe()?;
    let mut logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    writeln!(logf, "== {}: sense {}", stage.name(), args.join(" "))?;
    let mut cmd = Command::new(exe);
    cmd.arg("-w")
        .arg(ws)
        .args(args)
        .env(crate::train::runner::LOG_ENV, log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group: a terminal's Ctrl-C reaches the recipe, which passes one on.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().context("starting a sense child process")?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(|l| l.ok()) {
                let _ = tx.send((true, l));
            }
        }));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(|l| l.ok()) {
                let _ = tx.send((false, l));
            }
        }));
    }
    drop(tx);
    let pb = match deadline.filter(|_| stage.timed()) {
        Some(_) => {
            let secs = (state
                .options
                .as_ref()
                .map(|o| o.minutes_for(stage))
                .unwrap_or(1.0)
                * 60.0)
                .max(1.0);
            let pb = ProgressBar::new(secs as u64);
            pb.set_style(
                ProgressStyle::with_template("{prefix:>18} [{bar:30}] {elapsed}/{duration} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{prefix:>18} {spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb
        }
    };
    pb.set_prefix(stage.name());
    let started = Instant::now();
    let mut stdout = String::new();
    let (mut asked_stop, mut interrupted) = (false, false);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok((true, line)) => {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if let Some(loss) = v.get("loss").and_then(|l| l.as_f64()) {
                        pb.set_message(format!("step {} loss {loss:.3}", v["step"]));
                    }
                }
                stdout.push_str(&line);
                stdout.push('\n');
            }
            Ok((false, line)) => {
                let _ = writeln!(logf, "{line}");
                if ["data:", "tokenizer:", "run #", "error", "note:"]
                    .iter()
                    .any(|p| line.starts_with(p))
                {
                    pb.println(format!("  {}: {line}", stage.name()));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        pb.set_position(started.elapsed().as_secs());
        // A training child: note its run as soon as it exists, so a rerun resumes it.
        if matches!(stage, Stage::Sft | Stage::Dpo) && state.stage(stage).run_id.is_none() {
            if let Some(id) = recipe::run_of_pid(store, pid)? {
                state.stage_mut(stage).run_id = Some(id);
                state.save(state_file)?;
            }
        }
        if STOP.load(Ordering::SeqCst) && !interrupted {
            interrupted = true;
            pb.println(format!("  {}: stopping (Ctrl-C)", stage.name()));
            interrupt(pid);
        }
        let late = deadline.is_some_and(|m| started.elapsed().as_secs_f64() > m * 60.0);
        if late && !asked_stop {
            asked_stop = true;
            interrupt(pid);
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait()?;
    pb.finish_and_clear();
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    state.stage_mut(stage).minutes += minutes;
    Ok(Outcome {
        stdout,
        success: status.success(),
        interrupted,
    })
}

pub fn recipe(ws: &Path, a: RecipeArgs) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let state_file = recipe::state_path(ws);
    let log = state_file.with_extension("log");
    let mut state = if a.fresh {
        RecipeState::default()
    } else {
        RecipeState::load(&state_file)?
    };
    let o = a.options();
    state.options = Some(o.clone());
    state.save(&state_file)?;
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    for stage in recipe::pending(&state) {
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        match recipe::step(&store, &o, &state, stage)? {
            Step::Skip(why) => {
                eprintln!("{:>18}: skipped ({why})", stage.name());
                let st = state.stage_mut(stage);
                st.done = true;
                st.skipped = Some(why);
            }
            Step::Run {
                args,
                deadline_minutes,
            } => {
                let out = run_child(
                    ws,
                    &log,
                    stage,
                    &args,
                    deadline_minutes,
                    &mut state,
                    &state_file,
                    &store,
                )?;
                let r = recipe::finish(
                    &store,
                    &mut state,
                    stage,
                    &out.stdout,
                    out.success,
                    out.interrupted,
                );
                state.save(&state_file)?;
                if out.interrupted {
                    // What the stopped stage left (a resumable run) is recorded; a stage that
                    // cannot stop cleanly just runs again next time.
                    break;
                }
                r.with_context(|| format!("see {}", log.display()))?;
                let st = state.stage(stage);
                eprintln!(
                    "{:>18}: {} in {:.1} min {}",
                    stage.name(),
                    if st.done { "done" } else { "stopped" },
                    st.minutes,
                    compact(&st.result)
                );
            }
        }
        state.save(&state_file)?;
    }
    if STOP.load(Ordering::SeqCst) {
        eprintln!(
            "stopped: finished stages are kept in {}; run `sense recipe` again to resume",
            state_file.display()
        );
        return Ok(130);
    }
    let total: f64 = state.stages.values().map(|s| s.minutes).sum();
    let report = recipe::report(&state, total);
    if a.json {
        println!("{report}");
    } else {
        print!("{}", table(&report));
    }
    Ok(0)
}

/// A short form of a stage's result for its line.
fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(m) => {
            if let Some(q) = m.get("quality").filter(|q| q.is_object()) {
                return format!(
                    "{} samples, {} executable, {} correct",
                    q["samples"], q["executable"], q["correct"]
                );
            }
            m.iter()
                .filter(|(_, v)| !v.is_object() && !v.is_array())
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        other => other.to_string(),
    }
}

fn pct(v: &serde_json::Value) -> String {
    v.as_f64()
        .map(|f| format!("{:.1}%", 100.0 * f))
        .unwrap_or_else(|| "-".into())
}

/// The end table: EX of SFT and DPO on both held-out sets, and the weak samples.
fn table(r: &serde_json::Value) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<6} {:>22} {:>16}\n",
        "model", "EX held-out templates", "EX dev (sample)"
    ));
    for m in ["sft", "dpo"] {
        s.push_str(&format!(
            "{:<6} {:>22} {:>16}\n",
            m,
            format!(
                "{} of {}",
                pct(&r[m]["ex_heldout_templates"]),
                r[m]["n_heldout_templates"]
            ),
            format!("{} of {}", pct(&r[m]["ex_dev"]), r[m]["n_dev"])
        ));
    }
    // Throughput: on a slower machine the same minutes give fewer steps, and EX follows steps.
    s.push_str(&format!(
        "training: SFT {} steps at {} tokens/s, DPO {} steps\n",
        r["sft"]["steps"],
        r["sft"]["tokens_per_s"]
            .as_f64()
            .map_or_else(|| "-".into(), |t| format!("{t:.0}")),
        r["dpo"]["steps"]
    ));
    let w = &r["weak"];
    s.push_str(&format!(
        "weak samples: {} ({} executable, {} correct), {} new pairs\n",
        w["samples"],
        pct(&w["executable"]),
        pct(&w["correct"]),
        w["new_pairs"]
    ));
    s.push_str(&format!(
        "{:.1} minutes (budget {}), {} decoding\n",
        r["minutes"].as_f64().unwrap_or(0.0),
        r["budget_minutes"],
        r["decoding"].as_str().unwrap_or("greedy, schema-bound")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn the_end_table_says_what_the_machine_gave() {
        let r = serde_json::json!({
            "sft": {"ex_heldout_templates": 0.57, "n_heldout_templates": 200, "ex_dev": 0.093,
                "n_dev": 172, "steps": 2534, "tokens_per_s": 11613.7},
            "dpo": {"ex_heldout_templates": 0.56, "n_heldout_templates": 200, "ex_dev": 0.105,
                "n_dev": 172, "steps": 357},
            "weak": {"samples": 4880, "executable": 0.774, "correct": 0.491, "new_pairs": 2115},
            "minutes": 32.0, "budget_minutes": 30.0, "decoding": "best of 8 by execution"});
        let t = table(&r);
        assert!(t.contains("57.0% of 200"), "{t}");
        assert!(
            t.contains("training: SFT 2534 steps at 11614 tokens/s, DPO 357 steps"),
            "{t}"
        );
        assert!(t.contains("32.0 minutes (budget 30.0)"), "{t}");
    }
}
