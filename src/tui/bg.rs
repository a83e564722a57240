//! Background work of the workbench beyond SQL: the Playground's generation thread (it keeps
//! the last loaded model) and the jobs started from the jobs menu (one thread per job, each
//! with its own store connection). Both report back as actions over the runtime's channel
//! and stop when their cancel flag is set, keeping what finished.

use crate::exec::{compare::fingerprint, Executor, Limits, Metric};
use crate::llm::profiles::{self, Profile};
use crate::llm::{EndpointConfig, SamplingParams};
use crate::schema::{introspect_path, prompt_for, PromptOptions};
use crate::store::{ExampleFilter, JobStatus, NewExample, Store};
use crate::synth::generator::{Generated, SqlGenerator};
use crate::synth::sample::{self, EndpointGenerator, SampleOptions};
use crate::synth::strong::{self, Strong};
use crate::synth::templates::{self, TemplateOptions};
use crate::tui::jobs_menu::{JobEffect, JobEvent, JobSpec};
use crate::tui::screens::playground::{
    AltGroup, GenKind, GenRequest, Generation, ModelSource, PgEffect, PgLoaded,
};
use crate::tui::state::{Action, Loaded};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

type GenMsg = (GenRequest, PathBuf, Arc<AtomicBool>);

/// Owned by the runtime: starts and cancels background work.
pub struct Background {
    out: UnboundedSender<Action>,
    workspace: PathBuf,
    gen: Option<mpsc::Sender<GenMsg>>,
    gen_cancel: Arc<AtomicBool>,
    job_cancel: Arc<AtomicBool>,
}

impl Background {
    pub fn new(workspace: PathBuf, out: UnboundedSender<Action>) -> Background {
        if let Ok(store) = Store::open_existing(&workspace) {
            reap_dead_jobs(&store);
        }
        Background {
            out,
            workspace,
            gen: None,
            gen_cancel: Arc::new(AtomicBool::new(false)),
            job_cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs a Playground effect; store work is done at once and returned.
    pub fn playground(
        &mut self,
        store: &Store,
        e: PgEffect,
        db_path: Option<PathBuf>,
    ) -> Option<Action> {
        let loaded = match e {
            PgEffect::LoadSources => PgLoaded::Sources(model_sources(store)),
            PgEffect::ShowPrompt { db, question } => PgLoaded::Prompt(match db_path {
                Some(p) => playground_prompt(&p, &question),
                None => Err(format!("no database '{db}' in the workspace")),
            }),
            PgEffect::SavePair {
                db,
                question,
                sql,
                model,
                model_sql,
                allow_dev,
            } => PgLoaded::PairSaved(crate::tui::playground_save::save_pair(
                store, &db, &question, &sql, &model, &model_sql, allow_dev,
            )),
            PgEffect::LoadRuns => PgLoaded::Runs(store.runs().map_err(|e| e.to_string())),
            PgEffect::Cancel => {
                self.gen_cancel.store(true, Ordering::SeqCst);
                return None;
            }
            PgEffect::Save {
                db,
                question,
                sql,
                allow_dev,
                from,
            } => PgLoaded::Saved(save_example(
                store,
                &db,
                &question,
                &sql,
                allow_dev,
                from.as_ref().map(|(m, q)| (m.as_str(), q.as_str())),
            )),
            PgEffect::Generate(req) => {
                let Some(path) = db_path else {
                    let err = format!("no database '{}' in the workspace", req.db);
                    return Some(Action::Loaded(Loaded::Playground(match req.kind {
                        GenKind::One => PgLoaded::Generated {
                            token: req.token,
                            result: Err(err),
                        },
                        GenKind::Sample => PgLoaded::Sampled {
                            token: req.token,
                            result: Err(err),
                            wall_ms: 0.0,
                        },
                    })));
                };
                // A fresh flag per request: cancelling one never stops the next.
                self.gen_cancel.store(true, Ordering::SeqCst);
                self.gen_cancel = Arc::new(AtomicBool::new(false));
                let msg = (req, path, self.gen_cancel.clone());
                let sent = match &self.gen {
                    Some(tx) => tx.send(msg).map_err(|e| e.0),
                    None => Err(msg),
                };
                if let Err(msg) = sent {
                    let (tx, rx) = mpsc::channel::<GenMsg>();
                    let (ws, out) = (self.workspace.clone(), self.out.clone());
                    let spawned = std::thread::Builder::new()
                        .name("sense-tui-generate".into())
                        .spawn(move || gen_loop(&ws, rx, out));
                    if let Err(e) = spawned {
                        let token = msg.0.token;
                        return Some(Action::Loaded(Loaded::Playground(PgLoaded::Generated {
                            token,
                            result: Err(format!("cannot start the generation thread: {e}")),
                        })));
                    }
                    let _ = tx.send(msg);
                    self.gen = Some(tx);
                }
                return None;
            }
        };
        Some(Action::Loaded(Loaded::Playground(loaded)))
    }

    /// Starts or cancels a menu job.
    pub fn job(&mut self, e: JobEffect) -> Option<Action> {
        match e {
            JobEffect::Cancel => {
                self.job_cancel.store(true, Ordering::SeqCst);
                None
            }
            JobEffect::Start(spec) => {
                self.job_cancel = Arc::new(AtomicBool::new(false));
                let cancel = self.job_cancel.clone();
                let (ws, out) = (self.workspace.clone(), self.out.clone());
                let spawned = std::thread::Builder::new()
                    .name("sense-tui-job".into())
                    .spawn(move || {
                        let report = |ev: JobEvent| {
                            let _ = out.send(Action::Loaded(Loaded::Job(ev)));
                        };
                        run_job(&ws, &spec, &cancel, report);
                    });
                match spawned {
                    Ok(_) => None,
                    Err(e) => Some(Action::Loaded(Loaded::Job(JobEvent::Finished {
                        status: "failed".into(),
                        message: format!("cannot start a thread: {e}"),
                    }))),
                }
            }
        }
    }
}

/// Marks jobs whose process is gone (a workbench that was closed or killed mid-job) as
/// failed, so the status bar does not show them as running forever. Returns how many.
pub fn reap_dead_jobs(store: &Store) -> usize {
    let mut n = 0;
    for j in store.running_jobs().unwrap_or_default() {
        let alive = j
            .pid
            .is_some_and(|p| p == std::process::id() as i64 || crate::tui::runs_jobs::pid_alive(p));
        if !alive
            && store
                .finish_job(
                    j.id,
                    JobStatus::Failed,
                    "its process ended before the job did",
                )
                .is_ok()
        {
            n += 1;
        }
    }
    n
}

// ---- model sources -------------------------------------------------------------------

/// Checkpoints of the workspace's runs (newest first, existing folders only) and the endpoint
/// profiles of the profiles file ($SENSE_ENDPOINTS or ~/.config/sense/endpoints.toml).
pub fn model_sources(store: &Store) -> Vec<ModelSource> {
    let base = store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Ok(runs) = store.runs() {
        for r in runs.iter().rev() {
            let Some(c) = r.checkpoint.as_deref().filter(|c| !c.is_empty()) else {
                continue;
            };
            let p = PathBuf::from(c);
            let p = if p.is_relative() && base.join(&p).is_dir() {
                base.join(p)
            } else {
                p
            };
            let src = ModelSource::Checkpoint(p.clone());
            if p.is_dir() && !out.contains(&src) {
                out.push(src);
            }
        }
    }
    // The profiles file is the user's: unit tests (snapshots) must not depend on it.
    let path = if cfg!(test) {
        None
    } else {
        profiles::default_path()
    };
    if let Some(path) = path {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(all) = profiles::parse(&text) {
                for (name, p) in all {
                    if p.endpoint.is_some() && p.model.is_some() {
                        out.push(ModelSource::Profile(name));
                    }
                }
            }
        }
    }
    out
}

/// A generator for a model source. Endpoint exchanges are recorded in the workspace.
pub fn build_generator(src: &ModelSource, ws: &Path) -> Result<Box<dyn SqlGenerator>, String> {
    match src {
        ModelSource::Checkpoint(dir) => {
            if !dir.is_dir() {
                return Err(format!("no checkpoint folder {}", dir.display()));
            }
            // As `sense sample` builds one without sampling flags (an endpoint's settings
            // come from its profile; a folder has none).
            sample::local_generator_with(dir, "cpu", &SamplingParams::default())
                .map_err(|e| e.to_string())
        }
        ModelSource::Profile(name) => {
            let p = profiles::load(name, None)?;
            let url = p
                .endpoint
                .clone()
                .ok_or_else(|| format!("profile '{name}' has no endpoint"))?;
            let model = p
                .model
                .clone()
                .ok_or_else(|| format!("profile '{name}' has no model"))?;
            endpoint_generator(&url, &model, &p, ws)
        }
        ModelSource::Endpoint { url, model } => {
            endpoint_generator(url, model, &Profile::default(), ws)
        }
    }
}

/// The endpoint configuration of a profile (or of the defaults) for `url` and `model`.
fn endpoint_config(url: &str, model: &str, p: &Profile) -> EndpointConfig {
    let mut c = EndpointConfig::new(url, model);
    if let Some(k) = &p.api_key_env {
        c.api_key_env = k.clone();
    }
    c.concurrency = p.concurrency.unwrap_or(8).max(1);
    c.timeout = Duration::from_secs_f64(p.timeout_s.unwrap_or(120.0).max(0.1));
    c.max_retries = p.retries.unwrap_or(2);
    c
}

/// The strong model of an endpoint source; a local checkpoint is refused.
pub fn build_strong(src: &ModelSource) -> Result<Strong, String> {
    let (url, model, p) = match src {
        ModelSource::Checkpoint(dir) => {
            return Err(format!(
                "strong synthesis needs an endpoint model, not the local checkpoint {}",
                dir.display()
            ))
        }
        ModelSource::Profile(name) => {
            let p = profiles::load(name, None)?;
            let url = p
                .endpoint
                .clone()
                .ok_or_else(|| format!("profile '{name}' has no endpoint"))?;
            let model = p
                .model
                .clone()
                .ok_or_else(|| format!("profile '{name}' has no model"))?;
            (url, model, p)
        }
        ModelSource::Endpoint { url, model } => (url.clone(), model.clone(), Profile::default()),
    };
    let client =
        crate::llm::Client::new(endpoint_config(&url, &model, &p)).map_err(|e| e.to_string())?;
    let params = SamplingParams {
        temperature: Some(p.temperature.unwrap_or(0.7)),
        top_p: p.top_p,
        max_tokens: Some(p.max_tokens.unwrap_or(8192)),
        ..Default::default()
    };
    let prompts = crate::llm::prompts::Prompts::load(None).map_err(|e| e.to_string())?;
    Strong::new(client, params, prompts).map_err(|e| e.to_string())
}

fn endpoint_generator(
    url: &str,
    model: &str,
    p: &Profile,
    ws: &Path,
) -> Result<Box<dyn SqlGenerator>, String> {
    let c = endpoint_config(url, model, p);
    let params = SamplingParams {
        temperature: p.temperature,
        top_p: p.top_p,
        max_tokens: Some(p.max_tokens.unwrap_or(sample::DEFAULT_MAX_TOKENS)),
        ..Default::default()
    };
    let system = crate::llm::prompts::Prompts::load(None)
        .ok()
        .map(|ps| ps.get("sample_system").text.clone());
    let store = Store::open(ws).ok();
    EndpointGenerator::new(c, params, system, store)
        .map(|g| Box::new(g) as Box<dyn SqlGenerator>)
        .map_err(|e| e.to_string())
}

// ---- playground generation -------------------------------------------------------------

fn gen_loop(ws: &Path, rx: mpsc::Receiver<GenMsg>, out: UnboundedSender<Action>) {
    let mut cached: Option<(ModelSource, Box<dyn SqlGenerator>)> = None;
    while let Ok((req, path, cancel)) = rx.recv() {
        let t0 = Instant::now();
        let result = generate(ws, &mut cached, &req, &path, &cancel);
        if cancel.load(Ordering::SeqCst) {
            continue;
        }
        let wall_ms = t0.elapsed().as_secs_f64() * 1e3;
        let model = cached.as_ref().map(|(_, g)| g.name()).unwrap_or_default();
        let loaded = match req.kind {
            GenKind::One => PgLoaded::Generated {
                token: req.token,
                result: result.and_then(|outs| {
                    let g = outs
                        .into_iter()
                        .next()
                        .ok_or("the model returned nothing")?;
                    Ok(Generation {
                        sql: extract(&g.text),
                        raw: g.text,
                        latency_ms: g.latency_ms,
                        wall_ms,
                        model,
                    })
                }),
            },
            GenKind::Sample => PgLoaded::Sampled {
                token: req.token,
                result: result.and_then(|outs| group_alternatives(&path, outs, req.main_sql)),
                wall_ms,
            },
        };
        if out
            .send(Action::Loaded(Loaded::Playground(loaded)))
            .is_err()
        {
            return;
        }
    }
}

fn extract(text: &str) -> String {
    crate::llm::extract_sql(text).unwrap_or_else(|| text.trim().to_string())
}

/// The prompt a Playground question becomes (shown as is by the prompt view).
pub fn playground_prompt(db_path: &Path, question: &str) -> Result<String, String> {
    let schema = introspect_path(db_path, PromptOptions::default().sample_rows)
        .map_err(|e| format!("reading the schema of {}: {e}", db_path.display()))?;
    Ok(prompt_for(
        &schema,
        question,
        None,
        PromptOptions::default(),
    ))
}

fn generate(
    ws: &Path,
    cached: &mut Option<(ModelSource, Box<dyn SqlGenerator>)>,
    req: &GenRequest,
    db_path: &Path,
    cancel: &AtomicBool,
) -> Result<Vec<Generated>, String> {
    let prompt = playground_prompt(db_path, &req.question)?;
    if cached.as_ref().is_none_or(|(s, _)| *s != req.source) {
        *cached = None;
        *cached = Some((req.source.clone(), build_generator(&req.source, ws)?));
    }
    let Some((_, gen)) = cached.as_mut() else {
        return Err("no model".into());
    };
    gen.set_max_tokens(req.max_tokens);
    let outs = gen
        .generate(&[prompt], req.k.max(1), req.temperature, cancel)
        .map_err(|e| e.to_string())?;
    Ok(outs.into_iter().next().unwrap_or_default())
}

/// Runs each sample and groups them by result fingerprint: the largest agreeing group first,
/// the ones that fail last.
pub fn group_alternatives(
    db_path: &Path,
    samples: Vec<Generated>,
    main_sql: Option<String>,
) -> Result<Vec<AltGroup>, String> {
    let ex = Executor::open(db_path, Limits::default()).map_err(|e| e.to_string())?;
    let main_fp = main_sql
        .and_then(|s| ex.run(&s).ok())
        .map(|r| fingerprint(&r));
    let mut groups: Vec<AltGroup> = Vec::new();
    for g in samples {
        let sql = extract(&g.text);
        let outcome = if sql.is_empty() {
            Err("no SQL in the reply".to_string())
        } else {
            ex.run(&sql)
                .map(|r| (fingerprint(&r), r.rows.len()))
                .map_err(|e| e.to_string())
        };
        let same = |grp: &&mut AltGroup| match (&grp.outcome, &outcome) {
            (Ok((a, _)), Ok((b, _))) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        match groups.iter_mut().find(same) {
            Some(grp) => {
                grp.count += 1;
                match grp.sqls.iter_mut().find(|(s, _)| *s == sql) {
                    Some(e) => e.1 += 1,
                    None => grp.sqls.push((sql, 1)),
                }
            }
            None => groups.push(AltGroup {
                with_main: matches!((&outcome, &main_fp), (Ok((f, _)), Some(m)) if f == m),
                outcome,
                sqls: vec![(sql, 1)],
                count: 1,
            }),
        }
    }
    groups.sort_by(|a, b| {
        b.outcome
            .is_ok()
            .cmp(&a.outcome.is_ok())
            .then(b.count.cmp(&a.count))
    });
    Ok(groups)
}

/// Inserts a Playground question as an example (source `playground`, the database's split);
/// its SQL must run and return rows. A held-out (dev) database takes it only with `allow_dev`.
/// Returns (example id, newly inserted).
pub fn save_example(
    store: &Store,
    db: &str,
    question: &str,
    sql: &str,
    allow_dev: bool,
    from: Option<(&str, &str)>,
) -> Result<(i64, bool), String> {
    let row = store
        .databases()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|d| d.name == db)
        .ok_or_else(|| format!("no database '{db}' in the workspace"))?;
    if row.split != crate::store::TRAIN && !allow_dev {
        return Err(crate::store::StoreError::HeldOut(format!("database '{db}'")).to_string());
    }
    let question = question.trim();
    if question.is_empty() {
        return Err("the question is empty".into());
    }
    let rows = Executor::open(&row.path, Limits::default())
        .and_then(|ex| ex.run(sql))
        .map_err(|e| e.to_string())?
        .rows
        .len();
    if rows == 0 {
        return Err("the SQL returns no rows".into());
    }
    let split = row.split.clone();
    let (inserted, _) = store
        .insert_examples(&[NewExample {
            db_id: row.id,
            question: question.to_string(),
            gold_sql: sql.trim().to_string(),
            evidence: None,
            difficulty: None,
            split,
            source: "playground".into(),
            // Which model wrote the SQL that was corrected into this gold, and what it wrote.
            provenance: match from {
                Some((model, model_sql)) => serde_json::json!({
                    "from": "tui playground", "model": model, "model_sql": model_sql
                }),
                None => serde_json::json!({"from": "tui playground"}),
            },
            exchange_id: None,
        }])
        .map_err(|e| e.to_string())?;
    let id = store
        .find_example(db, question)
        .map_err(|e| e.to_string())?
        .unwrap_or(0);
    Ok((id, inserted > 0))
}

// ---- menu jobs -----------------------------------------------------------------------

/// Runs a job to its end (or its cancellation), recording it in the workspace's jobs table
/// and reporting each step.
pub fn run_job(ws: &Path, spec: &JobSpec, cancel: &AtomicBool, mut report: impl FnMut(JobEvent)) {
    let store = match Store::open(ws) {
        Ok(s) => s,
        Err(e) => {
            report(JobEvent::Finished {
                status: "failed".into(),
                message: e.to_string(),
            });
            return;
        }
    };
    let kind = spec.kind();
    let id = match store.create_job(kind, 0, "starting") {
        Ok(id) => id,
        Err(e) => {
            report(JobEvent::Finished {
                status: "failed".into(),
                message: e.to_string(),
            });
            return;
        }
    };
    report(JobEvent::Started {
        id,
        kind: kind.to_string(),
    });
    let mut step = |done: i64, total: i64, message: String| {
        // Progress rows are best effort: a busy workspace must not stop the job.
        let _ = store.update_job(id, done, total, &message);
        report(JobEvent::Progress {
            done,
            total,
            message,
        });
    };
    let result = match spec {
        JobSpec::Templates { dbs, allow_dev } => {
            templates_job(&store, dbs, *allow_dev, cancel, &mut step)
        }
        JobSpec::Strong {
            source,
            domains,
            questions,
        } => {
            step(0, 0, format!("connecting to {}", source.label()));
            build_strong(source)
                .and_then(|s| strong_job(&store, &s, *domains, *questions, cancel, &mut step))
        }
        JobSpec::Sample {
            source,
            db,
            k,
            temperature,
            limit,
            allow_dev,
        } => {
            step(0, 0, format!("loading {}", source.label()));
            // The completion cap is each generator's own, as in `sense sample`: the profile's
            // or 512 for an endpoint, 256 for a checkpoint.
            build_generator(source, ws).and_then(|mut gen| {
                let opts = SampleOptions {
                    filter: ExampleFilter {
                        db: db.clone(),
                        limit: *limit,
                        // Held-out examples only when the user confirmed it in the menu.
                        split: (!allow_dev).then(|| crate::store::TRAIN.to_string()),
                        ..Default::default()
                    },
                    k: (*k).max(1),
                    temperature: *temperature,
                    batch: 8,
                    metric: Metric::spider(),
                };
                sample::run_sampling(&store, gen.as_mut(), &opts, cancel, |r, total| {
                    step(
                        r.sampled_examples as i64,
                        total as i64,
                        format!(
                            "{} samples: {} correct, {} wrong, {} new pairs",
                            r.recorded, r.correct, r.wrong, r.new_pairs
                        ),
                    )
                })
                .map(|r| (r.summary(), r.cancelled))
                .map_err(|e| e.to_string())
            })
        }
    };
    let (status, message) = match result {
        Ok((m, true)) => (JobStatus::Cancelled, m),
        Ok((m, false)) => (JobStatus::Done, m),
        Err(e) => (JobStatus::Failed, e),
    };
    let _ = store.finish_job(id, status, &message);
    report(JobEvent::Finished {
        status: status.as_str().into(),
        message,
    });
}

/// Template synthesis one database at a time, so a cancel stops between databases and keeps
/// the finished ones. Returns (summary, cancelled).
fn templates_job(
    store: &Store,
    dbs: &[String],
    allow_dev: bool,
    cancel: &AtomicBool,
    step: &mut impl FnMut(i64, i64, String),
) -> Result<(String, bool), String> {
    let names: Vec<String> = if dbs.is_empty() {
        store
            .databases()
            .map_err(|e| e.to_string())?
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
        )
        .map_err(|e| e.to_string())?;
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

/// Strong synthesis: `n_domains` new domains, then a database for each domain of the domains
/// file without one, then `n_questions` questions for each strong database without examples.
/// One item at a time, so a cancel stops between items and keeps the finished ones. Returns
/// (summary, cancelled).
fn strong_job(
    store: &Store,
    s: &Strong,
    n_domains: usize,
    n_questions: usize,
    cancel: &AtomicBool,
    step: &mut impl FnMut(i64, i64, String),
) -> Result<(String, bool), String> {
    let err = |e: strong::StrongError| e.to_string();
    step(0, 1, format!("domains: asking for {n_domains}"));
    let file = strong::default_domains_file(store);
    let (kept, report) =
        strong::synth_domains(store, Some(s), n_domains, None, &file).map_err(err)?;
    step(1, 1, format!("domains: {} new", kept.len()));
    let mut summary = vec![report.summary()];
    if cancel.load(Ordering::SeqCst) {
        return Ok((summary.join("; "), true));
    }
    let all = strong::read_domains(&file).map_err(err)?;
    let todo = strong::pending_domains(store, &all).map_err(err)?;
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
        let r = strong::synth_schemas(store, s, std::slice::from_ref(d), None).map_err(err)?;
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
    let targets = strong::question_targets(store, &[]).map_err(err)?;
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
        let name = store.database(*id).map_err(|e| e.to_string())?.name;
        let r = strong::synth_questions(store, s, std::slice::from_ref(&name), n_questions)
            .map_err(err)?;
        kept_q += r.kept;
        done += 1;
        step(done, total, format!("questions: {name}: {} kept", r.kept));
    }
    summary.push(format!("questions: {kept_q} kept in {total} databases"));
    Ok((summary.join("; "), false))
}
