//! `sense synth domains|schemas|questions`: the three stages of strong synthesis, each with
//! a strong model opened by `source`.

use super::args::{source_err, EndpointArgs};
use super::bad;
use super::output::{ctrl_c_flag, print_json_pretty, spinner};
use crate::source::defaults;
use crate::store::Store;
use crate::synth::strong;
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};

/// The strong model for `sense synth domains|schemas|questions`.
#[derive(Args, Debug)]
pub struct StrongArgs {
    /// Model name served at --endpoint (default: the profile's).
    #[arg(long)]
    pub model: Option<String>,
    /// Sampling temperature [default: 0.7, or the profile's].
    #[arg(long, value_parser = super::flags::temperature)]
    pub temperature: Option<f32>,
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
        let settings = self
            .endpoint
            .settings(self.model.as_deref(), self.temperature)?;
        let mut s = settings
            .open_strong(default_max_tokens, self.endpoint.prompt_set()?)
            .map_err(source_err)?;
        // Ctrl-C stops waiting for calls in flight; what finished is already kept.
        s.cancel = Some(ctrl_c_flag());
        Ok(s)
    }

    /// Prints the report; the exit code is 1 when every model call failed.
    fn report(&self, r: &strong::StageReport) -> Result<i32> {
        if self.json {
            print_json_pretty(r)?;
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
        Some(a.strong(defaults::STRONG_DOMAINS_MAX_TOKENS)?)
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
    let mut s = a.strong(defaults::STRONG_MAX_TOKENS)?;
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
    let s = a.strong(defaults::STRONG_MAX_TOKENS)?;
    let pb = spinner("questions");
    let r = strong::synth_questions(&store, &s, &names, n).map_err(strong_err);
    pb.finish_and_clear();
    a.report(&r?)
}
