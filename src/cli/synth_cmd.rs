//! `sense synth ...`, `sense sample` and `sense export ...`: thin wrappers over `synth`, `llm`
//! and `dataset::export` with progress bars.

use super::bad;
use super::commands::progress;
use crate::exec::{Metric, MetricKind};
use crate::llm::{EndpointConfig, SamplingParams};
use crate::store::ExampleFilter;
use crate::store::Store;
use crate::synth::generator::SqlGenerator;
use crate::synth::sample::{self, EndpointGenerator, SampleOptions};
use crate::synth::strong;
use crate::synth::templates::{self, TemplateOptions};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    };
    let pb = progress(a.n as u64, "databases");
    let report = procedural::synth_databases(&store, &opts, |o| {
        pb.set_message(format!("{}: {}", o.name, o.inserted));
        pb.inc(1);
    })?;
    pb.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
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

/// How to reach an OpenAI-compatible endpoint (the model is named by each command). Flags
/// win over `--profile`, which wins over the defaults.
#[derive(Args, Debug, Clone)]
pub struct EndpointArgs {
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.
    #[arg(long, env = "SENSE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// A named endpoint from the profiles file (endpoint, model, api_key_env, ...).
    #[arg(long)]
    pub profile: Option<String>,
    /// Profiles file (default $SENSE_ENDPOINTS, else ~/.config/sense/endpoints.toml).
    #[arg(long)]
    pub profiles: Option<PathBuf>,
    /// Environment variable holding the API key (the key is never stored) [default: OPENAI_API_KEY].
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Requests in flight at once [default: 8].
    #[arg(long, value_parser = super::flags::count)]
    pub concurrency: Option<usize>,
    /// Seconds allowed for one request [default: 120].
    #[arg(long, value_parser = super::flags::seconds)]
    pub timeout: Option<f64>,
    /// Retries on connection errors, timeouts, 429, 5xx and unparseable replies [default: 4].
    #[arg(long)]
    pub retries: Option<u32>,
    /// Most tokens per completion (for a local checkpoint, at most its context less 2).
    #[arg(long, value_parser = super::flags::count_u32)]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling: keep the most likely tokens up to this probability mass (0..=1).
    #[arg(long, value_parser = super::flags::top_p)]
    pub top_p: Option<f32>,
    /// Sampling seed sent to the server (and to a local checkpoint).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop sequences (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
    /// Folder of prompt files overriding the built-in ones (prompts/<name>.txt).
    #[arg(long)]
    pub prompts: Option<PathBuf>,
}

impl EndpointArgs {
    /// The profile named by --profile (empty when none).
    pub fn profile(&self) -> Result<crate::llm::profiles::Profile> {
        match &self.profile {
            Some(name) => crate::llm::profiles::load(name, self.profiles.as_deref()).map_err(bad),
            None => Ok(Default::default()),
        }
    }

    /// The model: the flag, else the profile's.
    pub fn model(&self, flag: Option<&str>) -> Result<String> {
        match flag {
            Some(m) => Ok(m.to_string()),
            None => self
                .profile()?
                .model
                .ok_or_else(|| bad("--model NAME is needed (or a --profile with a model)")),
        }
    }

    pub fn config(&self, model: &str) -> Result<EndpointConfig> {
        let p = self.profile()?;
        let url = self.endpoint.clone().or(p.endpoint).ok_or_else(|| {
            bad(format!(
                "model '{model}' is not a checkpoint folder, so --endpoint URL (or --profile) is needed"
            ))
        })?;
        let mut c = EndpointConfig::new(&url, model);
        if let Some(k) = self.api_key_env.clone().or(p.api_key_env) {
            c.api_key_env = k;
        }
        c.concurrency = self.concurrency.or(p.concurrency).unwrap_or(8).max(1);
        // A profile's timeout is checked like the flag's (the flag already was).
        let secs = match (self.timeout, p.timeout_s) {
            (Some(t), _) => t,
            (None, Some(t)) => super::flags::seconds(&t.to_string())
                .map_err(|e| bad(format!("profile timeout_s: {e}")))?,
            (None, None) => 120.0,
        };
        c.timeout = Duration::from_secs_f64(secs);
        c.max_retries = self.retries.or(p.retries).unwrap_or(4);
        Ok(c)
    }

    /// Sampling parameters from flags, then the profile; `temperature` is the command's.
    pub fn params(&self) -> Result<SamplingParams> {
        let p = self.profile()?;
        Ok(SamplingParams {
            temperature: p.temperature,
            top_p: self.top_p.or(p.top_p),
            max_tokens: self.max_tokens.or(p.max_tokens),
            stop: self.stop.clone(),
            seed: self.seed,
            ..Default::default()
        })
    }

    pub fn prompt_set(&self) -> Result<crate::llm::prompts::Prompts> {
        crate::llm::prompts::Prompts::load(self.prompts.as_deref()).map_err(|e| bad(e.to_string()))
    }
}

/// Which examples a command works on.
#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// Only examples of this database.
    #[arg(long)]
    pub db: Option<String>,
    #[arg(long)]
    pub split: Option<String>,
    /// Only examples from this source (sample, spider, bird, template, strong, ...).
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub difficulty: Option<String>,
    /// At most this many examples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Allow a held-out split (--split dev) or every split (--split all); train otherwise.
    #[arg(long)]
    pub allow_dev: bool,
}

impl SelectArgs {
    /// The examples selected, on the train split unless a held-out one was asked for.
    pub fn filter(&self) -> Result<ExampleFilter> {
        Ok(ExampleFilter {
            db: self.db.clone(),
            split: crate::store::seal_split(self.split.as_deref(), self.allow_dev).map_err(bad)?,
            source: self.source.clone(),
            difficulty: self.difficulty.clone(),
            limit: self.limit,
        })
    }
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A checkpoint folder (local model), or a model name served at --endpoint.
    #[arg(long)]
    pub model: Option<String>,
    /// Samples per example.
    #[arg(short = 'k', long, default_value_t = 4, value_parser = super::flags::count)]
    pub k: usize,
    #[arg(long, default_value_t = 0.8, value_parser = super::flags::temperature)]
    pub temperature: f32,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Prompts handed to the model at once.
    #[arg(long, default_value_t = 32, value_parser = super::flags::count)]
    pub batch: usize,
    #[arg(long, default_value = "spider")]
    pub metric: MetricKind,
    /// Send k requests per prompt instead of one with n = k (servers without `n`).
    #[arg(long)]
    pub separate_requests: bool,
    /// Send the `sample_system` prompt as a system message before each prompt, to a local
    /// checkpoint and an endpoint alike. For instruct models not trained on sense's prompt:
    /// the models sense trains read the prompt alone, as the user message.
    #[arg(long)]
    pub system: bool,
    /// The prompt alone (the default; kept so scripts that pass it still run).
    #[arg(long, hide = true, conflicts_with = "system")]
    pub no_system: bool,
    /// Device for a local checkpoint (cpu, cuda) [default: cpu].
    #[arg(long)]
    pub device: Option<String>,
    /// Print the prompts that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

/// A flag set by Ctrl-C: long commands stop after what is in flight and keep what finished.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // Fails only if a handler is already installed (then Ctrl-C keeps its default meaning).
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ncancelling: finishing what is in flight (Ctrl-C again to quit now)");
    });
    flag
}

/// Flags that only mean something for one kind of model, given for the other kind: an error
/// each rather than a silent ignore.
fn check_sample_flags(a: &SampleArgs, model: &str, local: bool) -> Result<()> {
    let e = &a.endpoint;
    if local {
        // SENSE_ENDPOINT in the environment is fine; an --endpoint flag next to a checkpoint
        // folder is a mix-up.
        let from_env = std::env::var("SENSE_ENDPOINT").ok();
        let endpoint_flag = e.endpoint.is_some() && e.endpoint != from_env;
        let endpoint_only: Vec<&str> = [
            (endpoint_flag, "--endpoint"),
            (e.api_key_env.is_some(), "--api-key-env"),
            (e.concurrency.is_some(), "--concurrency"),
            (e.timeout.is_some(), "--timeout"),
            (e.retries.is_some(), "--retries"),
            (a.separate_requests, "--separate-requests"),
            // The prompt set is where --system's text comes from.
            (e.prompts.is_some() && !a.system, "--prompts"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        if !endpoint_only.is_empty() {
            return Err(bad(format!(
                "'{model}' is a local checkpoint folder, and {} only {} to an --endpoint model \
                 (a checkpoint takes -k, --temperature, --top-p, --max-tokens, --seed, --stop, \
                 --device)",
                endpoint_only.join(", "),
                if endpoint_only.len() == 1 {
                    "applies"
                } else {
                    "apply"
                }
            )));
        }
    } else if let Some(d) = &a.device {
        return Err(bad(format!(
            "--device {d} is for a local checkpoint folder, and '{model}' is not one (an endpoint \
             model runs where it is served)"
        )));
    }
    Ok(())
}

/// The generator of `sense sample`: the same sampling flags (-k and --temperature with each
/// call; --top-p, --max-tokens, --seed, --stop, from flags then the profile) reach a local
/// checkpoint and an endpoint. Unset, the completion cap is the endpoint's default or the
/// checkpoint's (256 tokens, within its context).
fn sample_generator(
    ws: &Path,
    a: &SampleArgs,
    model: &str,
    local: bool,
    system: Option<String>,
) -> Result<Box<dyn SqlGenerator>> {
    let mut params = a.endpoint.params()?;
    if local {
        let device = a.device.as_deref().unwrap_or("cpu");
        let mut g = sample::local_generator_with(Path::new(model), device, &params).map_err(bad)?;
        g.set_system(system);
        return Ok(g);
    }
    params.max_tokens = params.max_tokens.or(Some(sample::DEFAULT_MAX_TOKENS));
    let cfg = a.endpoint.config(model)?;
    let mut g = EndpointGenerator::new(cfg, params, system, Some(Store::open_existing(ws)?))?;
    g.separate_requests = a.separate_requests;
    Ok(Box::new(g))
}

pub fn sample_cmd(ws: &Path, a: SampleArgs) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let opts = SampleOptions {
        filter: a.select.filter()?,
        k: a.k.max(1),
        temperature: a.temperature,
        batch: a.batch.max(1),
        metric: Metric::of(a.metric),
    };
    let model = a.endpoint.model(a.model.as_deref())?;
    let local = Path::new(&model).is_dir();
    check_sample_flags(&a, &model, local)?;
    sample::check_sampling(a.temperature, &a.endpoint.params()?).map_err(bad)?;
    let prompts = a.endpoint.prompt_set()?;
    let system = a.system.then(|| prompts.get("sample_system").text.clone());
    if a.dry_run {
        let name = if local {
            format!("local:{model}")
        } else {
            model.clone()
        };
        let (planned, done) = sample::plan(&store, &name, &opts)?;
        if let Some(s) = &system {
            println!("=== system\n{}", s.trim());
        }
        for p in &planned {
            println!(
                "=== example #{} ({}), {} samples\n{}",
                p.example.id, p.example.db_name, p.need, p.prompt
            );
        }
        println!(
            "dry run: {} examples to sample, {done} already have {} samples",
            planned.len(),
            opts.k
        );
        return Ok(0);
    }
    let mut gen = sample_generator(ws, &a, &model, local, system)?;
    let cancel = ctrl_c_flag();
    let pb = progress(0, "sampling");
    let report = sample::run_sampling(&store, gen.as_mut(), &opts, &cancel, |r, total| {
        pb.set_length(total as u64);
        pb.set_position(r.sampled_examples as u64);
        pb.set_message(format!("{} wrong", r.wrong));
    });
    pb.finish_and_clear();
    let report = report?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
    }
    Ok(if report.cancelled { 130 } else { 0 })
}

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
            let loaded = crate::train::checkpoint::load(&checkpoint, &candle_core::Device::Cpu)
                .map_err(|e| bad(format!("{}: {e:#}", checkpoint.display())))?;
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

/// The strong model for `sense synth domains|schemas|questions`.
#[derive(Args, Debug)]
pub struct StrongArgs {
    /// Model name served at --endpoint.
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, default_value_t = 0.7, value_parser = super::flags::temperature)]
    pub temperature: f32,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Print the prompts that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

impl StrongArgs {
    fn strong(&self, default_max_tokens: u32) -> Result<strong::Strong> {
        let model = self
            .model
            .as_deref()
            .ok_or_else(|| bad("--model NAME is needed (with --endpoint URL)"))?;
        let cfg = self.endpoint.config(model)?;
        let client = crate::llm::Client::new(cfg)?;
        let mut params = self.endpoint.params()?;
        params.temperature = Some(self.temperature);
        params.max_tokens = params.max_tokens.or(Some(default_max_tokens));
        let mut s = strong::Strong::new(client, params, self.endpoint.prompt_set()?)?;
        // Ctrl-C stops waiting for calls in flight; what finished is already kept.
        s.cancel = Some(ctrl_c_flag());
        Ok(s)
    }

    /// Prints the report; the exit code is 1 when every model call failed.
    fn report(&self, r: &strong::StageReport) -> Result<i32> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(r)?);
        } else {
            for item in &r.items {
                println!("  {item}");
            }
            println!("{}", r.summary());
        }
        if r.cancelled {
            return Ok(130);
        }
        if r.all_calls_failed() {
            eprintln!(
                "error: all {} model calls failed (their errors are in the workspace's exchanges)",
                r.calls
            );
            return Ok(1);
        }
        Ok(0)
    }
}

fn strong_err(e: strong::StrongError) -> anyhow::Error {
    match e {
        strong::StrongError::Store(crate::store::StoreError::NotFound(m)) => {
            bad(format!("not found: {m}"))
        }
        strong::StrongError::File { .. } => bad(e.to_string()),
        other => other.into(),
    }
}

pub fn synth_domains(
    ws: &Path,
    n: usize,
    from: Option<PathBuf>,
    out: Option<PathBuf>,
    a: StrongArgs,
) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let out = out.unwrap_or_else(|| strong::default_domains_file(&store));
    if a.dry_run {
        let prompts = a.endpoint.prompt_set()?;
        let avoid: Vec<String> = store.databases()?.into_iter().map(|d| d.name).collect();
        println!("{}", strong::domains_prompt(&prompts, n, &avoid));
        return Ok(0);
    }
    let s = if from.is_some() {
        None
    } else {
        Some(a.strong(2048)?)
    };
    let pb = spinner("domains");
    let r = strong::synth_domains(&store, s.as_ref(), n, from.as_deref(), &out).map_err(strong_err);
    pb.finish_and_clear();
    let (_, report) = r?;
    let code = a.report(&report)?;
    println!("domains file: {}", out.display());
    Ok(code)
}

pub fn synth_schemas(
    ws: &Path,
    domains: Option<PathBuf>,
    limit: Option<usize>,
    max_db_mb: u64,
    a: StrongArgs,
) -> Result<i32> {
    if !(1..=1 << 20).contains(&max_db_mb) {
        return Err(bad(format!(
            "--max-db-mb must be between 1 and 1048576, not {max_db_mb}"
        )));
    }
    let store = Store::open_existing(ws)?;
    let file = domains.unwrap_or_else(|| strong::default_domains_file(&store));
    if !file.is_file() {
        return Err(bad(format!(
            "no domains file {} (run `sense synth domains` first, or pass --domains FILE)",
            file.display()
        )));
    }
    let all = strong::read_domains(&file).map_err(strong_err)?;
    if a.dry_run {
        let prompts = a.endpoint.prompt_set()?;
        let mut todo = strong::pending_domains(&store, &all).map_err(strong_err)?;
        if let Some(n) = limit {
            todo.truncate(n);
        }
        for d in &todo {
            println!("=== {}\n{}", d.name, strong::schema_prompt(&prompts, d));
        }
        println!("dry run: {} domains without a database", todo.len());
        return Ok(0);
    }
    let mut s = a.strong(8192)?;
    s.build.max_db_bytes = max_db_mb << 20;
    let pb = spinner("schemas");
    let r = strong::synth_schemas(&store, &s, &all, limit).map_err(strong_err);
    pb.finish_and_clear();
    a.report(&r?)
}

pub fn synth_questions(
    ws: &Path,
    dbs: Vec<String>,
    n: usize,
    limit: Option<usize>,
    a: StrongArgs,
) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let mut targets = strong::question_targets(&store, &dbs).map_err(strong_err)?;
    if let Some(l) = limit {
        targets.truncate(l);
    }
    if targets.is_empty() {
        println!("no databases to write questions for (strong databases without examples, or name them with --db)");
        return Ok(0);
    }
    let names: Vec<String> = targets
        .iter()
        .map(|(id, _)| store.database(*id).map(|d| d.name))
        .collect::<Result<_, _>>()?;
    if a.dry_run {
        let prompts = a.endpoint.prompt_set()?;
        for ((_, path), name) in targets.iter().zip(&names) {
            let text = strong::schema_text(path).map_err(strong_err)?;
            println!(
                "=== {name}\n{}",
                strong::questions_prompt(&prompts, &text, n)
            );
        }
        return Ok(0);
    }
    let s = a.strong(8192)?;
    let pb = spinner("questions");
    let r = strong::synth_questions(&store, &s, &names, n).map_err(strong_err);
    pb.finish_and_clear();
    a.report(&r?)
}

fn spinner(what: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(format!("{what}: waiting for the model"));
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}
