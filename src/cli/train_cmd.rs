//! `sense train sft|dpo`, `sense eval --model`, `sense bench train`.

use super::bad;
use crate::evaluate::{JsonItem, JsonSummary};
use crate::store::{RunStatus, Store};
use crate::train::config::{TokenizerKind, TrainConfig, TrainKind};
use crate::train::eval::{evaluate_loaded, ModelEvalOptions};
use crate::train::runner::{self, Event, RunOptions};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

#[derive(Subcommand, Debug)]
pub enum TrainCmd {
    /// Supervised fine-tuning on workspace examples (loss on the SQL only).
    Sft(TrainArgs),
    /// DPO on preference pairs, from a checkpoint that is also the frozen reference.
    Dpo(TrainArgs),
}

/// Model size when training from scratch (`sense train`, and `sense recipe`'s SFT).
#[derive(Args, Debug, Default, Clone, PartialEq)]
pub struct ModelShape {
    /// Model size when training from scratch.
    #[arg(long)]
    pub layers: Option<usize>,
    #[arg(long)]
    pub d_model: Option<usize>,
    #[arg(long)]
    pub heads: Option<usize>,
    #[arg(long)]
    pub d_ff: Option<usize>,
}

impl ModelShape {
    /// The `sense train` flags that give this shape (those given only).
    pub fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, v) in [
            ("--layers", self.layers),
            ("--d-model", self.d_model),
            ("--heads", self.heads),
            ("--d-ff", self.d_ff),
        ] {
            if let Some(v) = v {
                out.extend([flag.to_string(), v.to_string()]);
            }
        }
        out
    }
}

#[derive(Args, Debug, Default)]
pub struct TrainArgs {
    /// Starting checkpoint (a checkpoint folder or a run folder); DPO's reference.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// TOML or JSON file with TrainConfig fields; flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Continue run RUN from its last checkpoint with its stored config (other flags ignored).
    #[arg(long, value_name = "RUN")]
    pub resume: Option<i64>,
    /// Checkpoint folder (default: checkpoints/<kind>-<time> beside the workspace).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_parser = super::flags::count)]
    pub steps: Option<usize>,
    /// Sequences (DPO: pairs) per micro-batch.
    #[arg(long, value_parser = super::flags::count)]
    pub batch_size: Option<usize>,
    #[arg(long, value_parser = super::flags::count)]
    pub grad_accum: Option<usize>,
    #[arg(long, value_parser = super::flags::positive)]
    pub lr: Option<f64>,
    #[arg(long)]
    pub warmup: Option<usize>,
    #[arg(long, value_parser = super::flags::non_negative)]
    pub weight_decay: Option<f64>,
    #[arg(long, value_parser = super::flags::positive)]
    pub clip_norm: Option<f64>,
    /// Longest training sequence in tokens (prompts lose their beginning to fit).
    #[arg(long, value_parser = super::flags::count)]
    pub max_len: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Save a checkpoint every N steps (0: only at the end).
    #[arg(long)]
    pub save_every: Option<usize>,
    /// Stop and save after this many minutes (the learning-rate schedule then decays by time
    /// or steps, whichever is further along).
    #[arg(long, value_parser = super::flags::minutes)]
    pub max_minutes: Option<f64>,
    /// Also keep a checkpoint in <out>/early once this many minutes have passed (a weak model).
    #[arg(long, value_name = "MIN", value_parser = super::flags::minutes)]
    pub early_checkpoint: Option<f64>,
    /// cpu or cuda (cuda needs a build with --features cuda).
    #[arg(long)]
    pub device: Option<String>,
    #[command(flatten)]
    pub shape: ModelShape,
    /// Model context length in tokens (default from scratch: the longest prompt + SQL of the
    /// data, rounded up to a multiple of 64, at most 2048; the log says how many are cut).
    #[arg(long)]
    pub context: Option<usize>,
    /// Tokenizer when training from scratch: bpe (default), a byte-level BPE trained on the
    /// run's prompts and gold SQL, or byte. Ignored with --from and --resume: the checkpoint's
    /// tokenizer wins.
    #[arg(long, value_enum)]
    pub tokenizer: Option<TokenizerKind>,
    /// Prompt layout when training from scratch: create (CREATE TABLE text with example rows,
    /// default), compact (one line per table), or linked (compact, plus a line naming the
    /// tables and columns the question mentions). With --from the checkpoint's layout wins.
    #[arg(long, value_enum)]
    pub prompt: Option<crate::schema::PromptFormat>,
    /// Largest BPE vocabulary, special tokens included (default 2048); with --tokenizer bpe.
    #[arg(long, value_name = "N")]
    pub bpe_vocab: Option<usize>,
    /// Examples' split (default train; a held-out split needs --allow-dev).
    #[arg(long)]
    pub split: Option<String>,
    /// Use every split (needs --allow-dev).
    #[arg(long)]
    pub all_splits: bool,
    /// Allow training on a held-out split (dev) or on every split.
    #[arg(long)]
    pub allow_dev: bool,
    /// Examples' source: sample, template, strong, imported.
    #[arg(long)]
    pub source: Option<String>,
    /// SFT: examples of SOURCE appear N times an epoch (e.g. `sample=4`: the hand-written
    /// questions weigh more among template ones); repeatable.
    #[arg(long, value_name = "SOURCE=N", value_parser = super::flags::source_times)]
    pub repeat_source: Vec<(String, usize)>,
    /// SFT: up to N questions over one database per sequence, its schema computed once for
    /// all of them (each question sees the schema and itself only, exactly as alone); 1 = off.
    /// From-scratch tokenizers only (not a chat template's).
    #[arg(long, value_name = "N", value_parser = super::flags::count)]
    pub pack: Option<usize>,
    /// Only this database.
    #[arg(long)]
    pub db: Option<String>,
    /// DPO pairs: accepted (default), pending, or all.
    #[arg(long)]
    pub pairs: Option<String>,
    #[arg(long, value_parser = super::flags::positive)]
    pub beta: Option<f64>,
    #[arg(long, value_parser = super::flags::non_negative)]
    pub label_smoothing: Option<f64>,
    /// Weight of an SFT term on the chosen SQL (DPO).
    #[arg(long, value_parser = super::flags::non_negative)]
    pub sft_weight: Option<f64>,
    /// SFT: held-out loss every N steps and at the last step (0 = off; default 50).
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,
    /// SFT: most held-out sequences (default 64).
    #[arg(long, value_name = "N")]
    pub eval_examples: Option<usize>,
    /// SFT: examples' split of the held-out set (default dev).
    #[arg(long, value_name = "SPLIT")]
    pub eval_split: Option<String>,
    /// Print a line every N steps.
    #[arg(long, default_value_t = 10)]
    pub print_every: usize,
    /// One JSON object per step on stdout.
    #[arg(long)]
    pub json: bool,
}

impl TrainArgs {
    fn config(&self, kind: TrainKind) -> Result<TrainConfig> {
        let mut c = match &self.config {
            Some(p) => TrainConfig::from_file(p, kind).map_err(|e| bad(format!("{e:#}")))?,
            None => TrainConfig::for_kind(kind),
        };
        macro_rules! set {
            ($field:expr, $v:expr) => {
                if let Some(v) = $v.clone() {
                    $field = v;
                }
            };
        }
        if self.from.is_some() {
            c.from = self.from.clone();
        }
        if self.out.is_some() {
            c.out = self.out.clone();
        }
        set!(c.steps, self.steps);
        set!(c.batch_size, self.batch_size);
        set!(c.grad_accum, self.grad_accum);
        set!(c.lr, self.lr);
        set!(c.warmup_steps, self.warmup);
        set!(c.weight_decay, self.weight_decay);
        set!(c.clip_norm, self.clip_norm);
        set!(c.max_len, self.max_len);
        set!(c.seed, self.seed);
        set!(c.save_every, self.save_every);
        set!(c.device, self.device);
        set!(c.model.n_layers, self.shape.layers);
        set!(c.model.d_model, self.shape.d_model);
        set!(c.model.n_heads, self.shape.heads);
        set!(c.model.d_ff, self.shape.d_ff);
        set!(c.model.max_seq_len, self.context);
        set!(c.tokenizer, self.tokenizer);
        set!(c.bpe_vocab, self.bpe_vocab);
        set!(c.data.prompt, self.prompt);
        set!(c.data.pairs, self.pairs);
        set!(c.dpo.beta, self.beta);
        set!(c.dpo.label_smoothing, self.label_smoothing);
        set!(c.dpo.sft_weight, self.sft_weight);
        set!(c.eval_every, self.eval_every);
        set!(c.eval_examples, self.eval_examples);
        if self.eval_split.is_some() {
            c.eval_split = self.eval_split.clone();
        }
        if self.max_minutes.is_some() {
            c.max_minutes = self.max_minutes;
        }
        if self.early_checkpoint.is_some() {
            c.early_checkpoint_minutes = self.early_checkpoint;
        }
        // A context or length given by hand wins over the one the data would choose.
        if self.context.is_some() || self.max_len.is_some() {
            c.auto_context = None;
        }
        if self.split.is_some() {
            c.data.split = self.split.clone();
        }
        if self.all_splits {
            c.data.split = None;
        }
        if self.source.is_some() {
            c.data.source = self.source.clone();
        }
        for (source, times) in &self.repeat_source {
            c.data.repeat_source.insert(source.clone(), *times);
        }
        if let Some(n) = self.pack {
            c.data.pack = n;
        }
        if self.db.is_some() {
            c.data.db = self.db.clone();
        }
        // Held-out data stays held out, whatever the config file says, unless asked.
        let asked = match &c.data.split {
            None => "all",
            Some(s) => s.as_str(),
        };
        c.data.split = crate::store::seal_split(Some(asked), self.allow_dev).map_err(bad)?;
        if self.context.is_some() && self.max_len.is_none() {
            c.max_len = c.model.max_seq_len;
        }
        c.validate().map_err(|e| bad(format!("{e:#}")))?;
        crate::train::config::device(&c.device).map_err(|e| bad(format!("{e:#}")))?;
        Ok(c)
    }
}

/// Ctrl-C stops a run after its current step, saving a checkpoint.
fn stop_on_ctrl_c() -> std::sync::Arc<AtomicBool> {
    super::output::on_ctrl_c(
        "Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)",
        Some("second Ctrl-C: quitting without saving"),
    )
}

pub fn train(ws: &Path, what: TrainCmd) -> Result<i32> {
    let (kind, args) = match what {
        TrainCmd::Sft(a) => (TrainKind::Sft, a),
        TrainCmd::Dpo(a) => (TrainKind::Dpo, a),
    };
    let store = Store::open_existing(ws)?;
    let stop = stop_on_ctrl_c();
    let json = args.json;
    let every = args.print_every.max(1);
    let mut on = |e: Event| match e {
        Event::Tokenizer {
            tokenizer,
            trained_on,
        } => match trained_on {
            Some(n) => eprintln!(
                "tokenizer: {}, trained on {n} prompts and completions",
                tokenizer.describe()
            ),
            None => eprintln!("tokenizer: {}", tokenizer.describe()),
        },
        Event::Warning(w) => eprintln!("warning: {w}"),
        Event::Data(s) => eprintln!("data: {}", s.summary()),
        Event::EvalData(s) => eprintln!("eval: {}", s.summary()),
        Event::Started {
            run_id,
            params,
            out,
        } => eprintln!(
            "run #{run_id}: {} parameters, checkpoints in {}",
            params,
            out.display()
        ),
        Event::Step(r) => {
            if json {
                let mut m = serde_json::json!({
                    "step": r.step, "loss": r.loss, "learning_rate": r.lr,
                    "grad_norm": r.grad_norm, "tokens_per_s": r.tokens_per_s,
                });
                for (k, v) in &r.extra {
                    m[*k] = serde_json::json!(v);
                }
                if let Some(v) = r.eval_loss {
                    m[runner::EVAL_LOSS] = serde_json::json!(v);
                }
                println!("{m}");
            } else if r.step % every == 0
                || r.step == r.total
                || r.step == 1
                || r.eval_loss.is_some()
            {
                let mut extra: Vec<String> =
                    r.extra.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
                if let Some(v) = r.eval_loss {
                    extra.insert(0, format!("eval loss {v:.4}"));
                }
                eprintln!(
                    "step {:>5}/{}  loss {:.4}  lr {:.2e}  grad {:.3}  {:.0} tok/s  {}",
                    r.step,
                    r.total,
                    r.loss,
                    r.lr,
                    r.grad_norm,
                    r.tokens_per_s,
                    extra.join("  ")
                );
            }
        }
    };
    if (args.from.is_some() || args.resume.is_some())
        && (args.tokenizer.is_some() || args.bpe_vocab.is_some())
    {
        eprintln!("note: --tokenizer/--bpe-vocab apply to runs from scratch; the checkpoint's tokenizer is used");
    }
    let options = RunOptions {
        load: super::load_options(),
        log: std::env::var_os(runner::LOG_ENV).map(|v| v.to_string_lossy().into_owned()),
    };
    let res = match args.resume {
        Some(id) => {
            let run = store.run(id).map_err(|e| bad(e.to_string()))?;
            if run.kind != kind.as_str() {
                return Err(bad(format!(
                    "run #{id} is a {} run, not {}",
                    run.kind,
                    kind.as_str()
                )));
            }
            runner::resume_with(&store, id, &options, &stop, &mut on)?
        }
        None => runner::start_with(&store, args.config(kind)?, &options, &stop, &mut on)?,
    };
    let ck = res
        .checkpoint
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "none".into());
    match res.status {
        RunStatus::Failed => {
            eprintln!("run #{} failed: {}", res.run_id, res.message);
            Ok(1)
        }
        s => {
            println!(
                "run #{} {}: {} (checkpoint {ck})",
                res.run_id,
                s.as_str(),
                res.message
            );
            Ok(0)
        }
    }
}

/// `sense eval --model CKPT --split dev`.
pub fn eval_model(ws: &Path, ckpt: &Path, opts: ModelEvalOptions, json: bool) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let stop = super::output::on_ctrl_c(
        "Ctrl-C: stopping the evaluation after this batch; nothing is recorded (Ctrl-C again to quit now)",
        Some("second Ctrl-C: quitting"),
    );
    let (split, limit) = (opts.split.clone(), opts.limit);
    let dev = crate::train::config::device(&opts.device)?;
    let loaded = crate::train::checkpoint::load_with(ckpt, &dev, &super::load_options())?;
    if let Some(w) = &loaded.warning {
        eprintln!("warning: {w}");
    }
    let run_id = crate::train::eval::run_in(&store, &loaded);
    let note = |line: &str| {
        if let Some(id) = run_id {
            crate::jobs::runs::note_in_run_log(&store, id, &format!("[eval] {line}"));
        }
    };
    note(&format!(
        "evaluating {} on {split}{} (pid {})",
        ckpt.display(),
        limit.map(|n| format!(", first {n}")).unwrap_or_default(),
        std::process::id()
    ));
    let mut pb: Option<indicatif::ProgressBar> = None;
    let r = evaluate_loaded(&store, &loaded, &opts, &stop, &mut |done, total| {
        let p = pb.get_or_insert_with(|| super::output::progress(total as u64, "generating"));
        p.set_position(done as u64);
    });
    if let Some(p) = pb {
        p.finish_and_clear();
    }
    let r = match r {
        Ok(r) => r,
        Err(_) if stop.load(std::sync::atomic::Ordering::Relaxed) => {
            note("cancelled; nothing recorded");
            eprintln!("evaluation cancelled; nothing recorded");
            return Ok(130);
        }
        Err(e) => {
            note(&format!("failed: {e}"));
            return Err(e.into());
        }
    };
    note(&format!(
        "eval #{}: EX {}/{} on {split}",
        r.eval_id, r.summary.overall.correct, r.summary.overall.n
    ));
    if json {
        for res in &r.results {
            let (id, sql) = r
                .predictions
                .get(res.index)
                .map_or((None, ""), |(id, sql)| (Some(*id), sql.as_str()));
            println!("{}", serde_json::to_string(&JsonItem::new(res, sql, id))?);
        }
        let mut s = JsonSummary::new(opts.metric.kind.as_str(), &r.summary, Some(r.eval_id));
        s.decoding = Some(opts.decoding());
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!(
            "model {} on split {split} (eval #{}; {})",
            ckpt.display(),
            r.eval_id,
            opts.decoding()
        );
        print!("{}", r.summary.render());
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct BenchTrainArgs {
    /// Timed steps per case (after one warm-up step).
    #[arg(long, default_value_t = 3)]
    pub steps: usize,
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    #[arg(long, default_value_t = 256)]
    pub context: usize,
    #[arg(long, default_value_t = 128)]
    pub gen_tokens: usize,
    /// Measure in this process only (no re-run with and without the malloc settings).
    #[arg(long)]
    pub single: bool,
    /// One JSON object per measurement.
    #[arg(long)]
    pub json: bool,
    /// Also measure the equivalent PyTorch eager step (benches/pytorch_train.py) with this
    /// Python interpreter, which must have torch installed; rows get a "vs pytorch" ratio.
    #[arg(long, value_name = "PYTHON")]
    pub pytorch: Option<PathBuf>,
}

/// The PyTorch reference, embedded so that an installed binary can run it.
const PYTORCH_SCRIPT: &str = include_str!("../../benches/pytorch_train.py");

/// The PyTorch reference in `--serve` mode: one step per line written to it, so that it
/// alternates step by step with sense's fused step (`train::bench::alternate`).
struct PyTorch {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    out: std::io::BufReader<std::process::ChildStdout>,
    python: PathBuf,
    /// The case name of its last measurement (it names the torch version and threads).
    case: String,
}

impl PyTorch {
    /// Starts the reference with `python` on as many threads as candle uses; returns once its
    /// model is built (so a Python without torch fails before anything is measured).
    fn start(python: &Path, a: &BenchTrainArgs) -> Result<PyTorch> {
        let mut child = std::process::Command::new(python)
            .arg("-c")
            .arg(PYTORCH_SCRIPT)
            .args(["--batch", &a.batch.to_string()])
            .args(["--context", &a.context.to_string()])
            .args([
                "--threads",
                &candle_core::utils::get_num_threads().to_string(),
            ])
            .arg("--serve")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .with_context(|| format!("running {}", python.display()))?;
        let (Some(stdin), Some(out)) = (child.stdin.take(), child.stdout.take()) else {
            anyhow::bail!("no pipes to {}", python.display());
        };
        let mut p = PyTorch {
            child,
            stdin,
            out: std::io::BufReader::new(out),
            python: python.to_path_buf(),
            case: String::new(),
        };
        p.line()?;
        Ok(p)
    }

    fn line(&mut self) -> Result<String> {
        use std::io::BufRead;
        let mut line = String::new();
        if self.out.read_line(&mut line)? == 0 {
            anyhow::bail!(
                "the PyTorch reference failed under {} (is torch installed there?)",
                self.python.display()
            );
        }
        Ok(line)
    }

    /// One step; returns its seconds as the reference timed them.
    fn step(&mut self) -> Result<f64> {
        use std::io::Write;
        writeln!(self.stdin, "step")?;
        self.stdin.flush()?;
        let row: crate::train::bench::BenchRow =
            serde_json::from_str(&self.line()?).context("the PyTorch reference's figure")?;
        self.case = row.case;
        Ok(row.seconds_per_step)
    }
}

impl Drop for PyTorch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The measurements a `--json` benchmark run printed, one object per line.
fn bench_rows(stdout: &[u8]) -> Vec<crate::train::bench::BenchRow> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn bench_options(a: &BenchTrainArgs) -> crate::train::bench::BenchOptions {
    crate::train::bench::BenchOptions {
        steps: a.steps,
        batch: a.batch,
        context: a.context,
        gen_new_tokens: a.gen_tokens,
    }
}

/// `sense bench pack`: the figures of `train::bench::packing`, and their ratio.
pub fn bench_pack(steps: usize) -> Result<i32> {
    let shape = crate::train::bench::PackShape::default();
    println!(
        "sense bench pack: the recipe's SFT model (2 layers, width 128, vocab 2048) on its data's shape (a {}-token schema; questions of {} tokens, SQL of {}), f32 CPU, {} threads; best of {steps} steps after a warm-up, alternating",
        shape.schema,
        shape.question,
        shape.sql,
        candle_core::utils::get_num_threads()
    );
    let (alone, packed) = crate::train::bench::packing(&shape, steps)?;
    println!("{:<56} {:>10}", "case", "examples/s");
    println!(
        "{:<56} {alone:>10.1}",
        format!("one question per sequence (batch {})", 2 * shape.pack)
    );
    println!(
        "{:<56} {packed:>10.1}",
        format!("packed, {} per schema (batch 4)", shape.pack)
    );
    println!(
        "packing: {:.2}x the examples/s of one question per sequence measured in this run",
        packed / alone
    );
    Ok(0)
}

/// Without `--single`: runs the measurements twice in child processes, with glibc's default
/// allocator settings and with ours (`train::malloc`), then compares every variant with the
/// baseline (composite candle ops, default allocator) measured in the same run.
pub fn bench(a: &BenchTrainArgs) -> Result<i32> {
    if !a.single && cfg!(all(target_os = "linux", target_env = "gnu")) {
        // Started first: a Python without torch fails before minutes of measuring.
        let mut torch = match &a.pytorch {
            Some(py) => Some(PyTorch::start(py, a)?),
            None => None,
        };
        let exe = std::env::current_exe()?;
        let mut all: Vec<(String, f64)> = Vec::new();
        for (label, default_malloc) in [("default malloc", true), ("tuned malloc", false)] {
            let mut cmd = std::process::Command::new(&exe);
            cmd.args([
                "bench",
                "train",
                "--single",
                "--json",
                "--steps",
                &a.steps.to_string(),
                "--batch",
                &a.batch.to_string(),
                "--context",
                &a.context.to_string(),
                "--gen-tokens",
                &a.gen_tokens.to_string(),
            ]);
            let setting = if default_malloc { "default" } else { "tuned" };
            cmd.env(crate::train::malloc::ENV, setting);
            let out = cmd.stderr(std::process::Stdio::inherit()).output()?;
            if !out.status.success() {
                anyhow::bail!("benchmark child ({label}) failed");
            }
            for r in bench_rows(&out.stdout) {
                all.push((format!("{} [{label}]", r.case), r.tokens_per_s));
            }
        }
        println!(
            "sense bench train: 4 layers, d_model 256, 4 heads (gqa: over {} kv heads), d_ff 768, context {}, batch {}, byte vocabulary, f32 CPU, {} threads; best of {} steps after a warm-up, fused, baseline and gqa alternating{}",
            crate::train::bench::GQA_KV_HEADS, a.context, a.batch, candle_core::utils::get_num_threads(), a.steps,
            if torch.is_some() { "; pytorch alternating with a fused step in this process" } else { "" }
        );
        let mut torch_tps = None;
        if let Some(t) = torch.as_mut() {
            let mut fused = crate::train::bench::SftStep::new(&bench_options(a))?;
            let tokens = fused.tokens() as f64;
            let best = crate::train::bench::alternate(
                a.steps,
                &mut [
                    Box::new(|| fused.step()),
                    Box::new(|| {
                        t.step()
                            .map_err(|e| crate::train::TrainError::msg(format!("{e:#}")))
                    }),
                ],
            )?;
            let malloc = if crate::train::malloc::keep_freed_buffers(
                std::env::var(crate::train::malloc::ENV).ok().as_deref(),
            ) {
                "tuned"
            } else {
                "default"
            };
            all.push((
                format!("sft step (fwd+bwd+adamw) [alternating with pytorch, {malloc} malloc]"),
                tokens / best[0],
            ));
            all.push((t.case.clone(), tokens / best[1]));
            torch_tps = Some(tokens / best[1]);
        }
        drop(torch);
        println!(
            "{:<88} {:>10} {:>9} {:>7} {:>11}",
            "case",
            "tokens/s",
            "vs base",
            "vs mha",
            if torch_tps.is_some() {
                "vs pytorch"
            } else {
                ""
            }
        );
        for (case, t) in &all {
            let kind = case.split(' ').next().unwrap_or("");
            let base = all
                .iter()
                .find(|(c, _)| {
                    c.starts_with(kind) && c.contains("baseline") && c.contains("default malloc")
                })
                .map(|(_, b)| *b);
            let rel = base.map(|b| format!("{:.2}x", t / b)).unwrap_or_default();
            let mha = crate::train::bench::mha_case(case)
                .and_then(|m| all.iter().find(|(c, _)| *c == m))
                .map(|(_, m)| format!("{:.2}x", t / m))
                .unwrap_or_default();
            let vs_torch = match torch_tps {
                Some(tt) if kind == "sft" => format!("{:.2}x", t / tt),
                _ => String::new(),
            };
            println!("{case:<88} {t:>10.0} {rel:>9} {mha:>7} {vs_torch:>11}");
        }
        return Ok(0);
    }
    let o = bench_options(a);
    if a.json {
        crate::train::bench::run(&o, &mut |r| {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        })?;
        return Ok(0);
    }
    println!(
        "sense bench train: 4 layers, d_model 256, 4 heads (gqa: over {} kv heads), d_ff 768, context {}, batch {}, byte vocabulary, f32 CPU, {} threads; best of {} steps after a warm-up, fused, baseline and gqa alternating",
        crate::train::bench::GQA_KV_HEADS,
        o.context,
        o.batch,
        candle_core::utils::get_num_threads(),
        o.steps
    );
    println!("{:<72} {:>10} {:>8}", "case", "tokens/s", "s/step");
    let rows = crate::train::bench::run(&o, &mut |r| {
        println!(
            "{:<72} {:>10.0} {:>8.3}",
            r.case, r.tokens_per_s, r.seconds_per_step
        );
    })?;
    let tps = |prefix: &str, base: bool| {
        rows.iter()
            .find(|r| r.case.starts_with(prefix) && r.case.contains("baseline") == base)
            .map(|r| r.tokens_per_s)
            .unwrap_or(f64::NAN)
    };
    for case in ["sft", "dpo", "generation"] {
        println!(
            "{case}: fused kernels {:.2}x the composite-op baseline measured in this run",
            tps(case, false) / tps(case, true)
        );
    }
    for r in &rows {
        if let Some(m) = crate::train::bench::mha_case(&r.case) {
            let mha = rows.iter().find(|x| x.case == m).map(|x| x.tokens_per_s);
            println!(
                "{}: grouped-query attention {:.2}x the same-size MHA model's fused step",
                r.case.split(' ').next().unwrap_or(""),
                r.tokens_per_s / mha.unwrap_or(f64::NAN)
            );
        }
    }
    Ok(0)
}
