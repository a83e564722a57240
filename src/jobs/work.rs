//! The work of each job kind, one item at a time so that a cancel stops between items and
//! keeps the finished ones. `step(done, total, message)` reports progress; each returns
//! (summary, cancelled).

use super::JobError;
use crate::source::{defaults, OpenOptions, Settings};
use crate::store::Store;
use crate::synth::sample::{self, SampleOptions, SampleReport};
use crate::synth::strong;
use crate::synth::templates::{self, TemplateOptions};
use std::sync::atomic::{AtomicBool, Ordering};

/// Weak sampling from a model source: its generator opened with `open`, then `opts` run
/// (`progress(report, total_examples)` after each batch). `sense sample` and the workbench's
/// sampling job both come here.
pub fn sample(
    store: &Store,
    source: &Settings,
    open: OpenOptions,
    opts: &SampleOptions,
    cancel: &AtomicBool,
    progress: impl FnMut(&SampleReport, usize),
) -> Result<SampleReport, JobError> {
    let mut gen = source.open(open)?;
    // The loader's warning travels with the report (both front ends print its summary).
    let warning = gen.warning();
    let mut report = sample::run_sampling(store, gen.as_mut(), opts, cancel, progress)?;
    report.warning = warning;
    Ok(report)
}

/// Template synthesis one database at a time (every train database when `dbs` is empty, and
/// the held-out ones too with `allow_dev`).
pub fn templates(
    store: &Store,
    dbs: &[String],
    allow_dev: bool,
    cancel: &AtomicBool,
    step: &mut impl FnMut(i64, i64, String),
) -> Result<(String, bool), JobError> {
    let names: Vec<String> = if dbs.is_empty() {
        store
            .databases()?
            .into_iter()
            .filter(|d| allow_dev || d.split == crate::store::TRAIN)
            .map(|d| d.name)
            .collect()
    } else {
        dbs.to_vec()
    };
    let total = names.len() as i64;
    step(0, total, format!("{total} databases"));
    let opts = TemplateOptions {
        split: (!allow_dev).then(|| crate::store::TRAIN.to_string()),
        ..TemplateOptions::default()
    };
    let (mut kept, mut inserted, mut done) = (0, 0, 0);
    for name in &names {
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        let r = templates::synth_templates(
            store,
            std::slice::from_ref(name),
            &opts,
            false,
            |_, _, _| {},
        )?;
        kept += r.total.kept;
        inserted += r.inserted;
        done += 1;
        step(
            done,
            total,
            format!(
                "{name}: {} kept; {inserted} new examples so far",
                r.total.kept
            ),
        );
    }
    let cancelled = done < total;
    Ok((
        format!("{done} of {total} databases, {kept} examples kept, {inserted} new"),
        cancelled,
    ))
}

/// Strong synthesis with an endpoint model: `n_domains` new domains, then a database for each
/// domain of the domains file without one, then `n_questions` questions for each strong
/// database without examples. Each stage's completion cap is the one `sense synth` gives it.
pub fn strong(
    store: &Store,
    source: &Settings,
    n_domains: usize,
    n_questions: usize,
    cancel: &AtomicBool,
    step: &mut impl FnMut(i64, i64, String),
) -> Result<(String, bool), JobError> {
    let prompts = crate::llm::prompts::Prompts::embedded();
    let mut s = source.open_strong(defaults::STRONG_DOMAINS_MAX_TOKENS, prompts)?;
    step(0, 1, format!("domains: asking for {n_domains}"));
    let file = strong::default_domains_file(store);
    let (kept, report) = strong::synth_domains(store, Some(&s), n_domains, None, &file)?;
    step(1, 1, format!("domains: {} new", kept.len()));
    let mut summary = vec![report.summary()];
    if cancel.load(Ordering::SeqCst) {
        return Ok((summary.join("; "), true));
    }
    s.params = source.strong_params(defaults::STRONG_MAX_TOKENS);
    let all = strong::read_domains(&file)?;
    let todo = strong::pending_domains(store, &all)?;
    let total = todo.len() as i64;
    let (mut built, mut done) = (0, 0);
    step(
        0,
        total,
        format!("schemas: {total} domains without a database"),
    );
    for d in &todo {
        if cancel.load(Ordering::SeqCst) {
            summary.push(format!("schemas: {built} of {done} built, cancelled"));
            return Ok((summary.join("; "), true));
        }
        let r = strong::synth_schemas(store, &s, std::slice::from_ref(d), None)?;
        built += r.kept;
        done += 1;
        let outcome = if r.kept > 0 {
            "built".to_string()
        } else {
            r.dropped.keys().cloned().collect::<Vec<_>>().join(", ")
        };
        step(done, total, format!("schemas: {}: {outcome}", d.name));
    }
    summary.push(format!("schemas: {built} of {total} built"));
    let targets = strong::question_targets(store, &[])?;
    let total = targets.len() as i64;
    let (mut kept_q, mut done) = (0, 0);
    step(0, total, format!("questions: {total} databases"));
    for (id, _) in &targets {
        if cancel.load(Ordering::SeqCst) {
            summary.push(format!(
                "questions: {kept_q} kept in {done} databases, cancelled"
            ));
            return Ok((summary.join("; "), true));
        }
        let name = store.database(*id)?.name;
        let r = strong::synth_questions(store, &s, std::slice::from_ref(&name), n_questions)?;
        kept_q += r.kept;
        done += 1;
        step(done, total, format!("questions: {name}: {} kept", r.kept));
    }
    summary.push(format!("questions: {kept_q} kept in {total} databases"));
    Ok((summary.join("; "), false))
}
