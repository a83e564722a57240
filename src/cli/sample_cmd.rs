//! `sense sample`: weak sampling from an endpoint model or a local checkpoint, run by the same
//! `jobs::sample` as the workbench's sampling job.

use super::args::{source_err, EndpointArgs, SelectArgs};
use super::bad;
use super::output::{ctrl_c_flag, print_json_pretty, progress};
use crate::exec::{Metric, MetricKind};
use crate::jobs::{self, JobError};
use crate::llm::generator::check_sampling;
use crate::source::{defaults, OpenOptions};
use crate::store::Store;
use crate::synth::sample::{self, SampleOptions};
use anyhow::Result;
use clap::Args;
use std::path::Path;

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
    /// A local checkpoint may spell any identifier (by default its table and column names are
    /// kept to those the prompt's schema shows).
    #[arg(long)]
    pub free_decoding: bool,
    /// Device for a local checkpoint (cpu, cuda) [default: cpu].
    #[arg(long)]
    pub device: Option<String>,
    /// Print the prompts that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
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

/// The generator of `sense sample` is opened by `source`: the same sampling flags (-k and
/// --temperature with each call; --top-p, --max-tokens, --seed, --stop, from flags then the
/// profile) reach a local checkpoint and an endpoint. Unset, the completion cap is the
/// endpoint's default or the checkpoint's (256 tokens, within its context).
pub fn sample_cmd(ws: &Path, a: SampleArgs) -> Result<i32> {
    let store = Store::open_existing(ws)?;
    let opts = SampleOptions {
        filter: a.select.filter()?,
        k: a.k.max(1),
        temperature: a.temperature,
        batch: a.batch.max(1),
        metric: Metric::of(a.metric),
    };
    let settings = a.endpoint.settings(a.model.as_deref(), None)?;
    let model = settings.model().map_err(source_err)?.to_string();
    let local = settings.is_local();
    check_sample_flags(&a, &model, local)?;
    check_sampling(a.temperature, &settings.params()).map_err(bad)?;
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
    let open = OpenOptions {
        device: a.device.clone().unwrap_or_else(|| defaults::DEVICE.into()),
        system,
        // Every endpoint exchange is recorded in the workspace.
        store: if local {
            None
        } else {
            Some(Store::open_existing(ws)?)
        },
        separate_requests: a.separate_requests,
        free_decoding: a.free_decoding,
    };
    let cancel = ctrl_c_flag();
    let pb = progress(0, "sampling");
    let report = jobs::sample(&store, &settings, open, &opts, &cancel, |r, total| {
        pb.set_length(total as u64);
        pb.set_position(r.sampled_examples as u64);
        pb.set_message(format!("{} wrong", r.wrong));
    });
    pb.finish_and_clear();
    let report = report.map_err(|e| match e {
        JobError::Source(e) => source_err(e),
        other => other.into(),
    })?;
    if a.json {
        print_json_pretty(&report)?;
    } else {
        println!("{}", report.summary());
    }
    Ok(if report.cancelled { 130 } else { 0 })
}
