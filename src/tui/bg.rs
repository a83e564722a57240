//! Background work of the workbench beyond SQL: the Playground's generation thread (it keeps
//! the last loaded model) and the jobs started from the jobs menu (one thread per job running
//! `jobs::run_job`, each with its own store connection). Both report back as actions over the
//! runtime's channel and stop when their cancel flag is set, keeping what finished. Models
//! are opened by `source`, as the command line opens them.

use crate::exec::{compare::fingerprint, Executor, Limits};
use crate::jobs::{self, JobEvent};
use crate::llm::generator::{Generated, SqlGenerator};
use crate::schema::{introspect_path, prompt_for, PromptFormat, PromptOptions};
use crate::source::{ModelSource, OpenOptions};
use crate::store::Store;
use crate::tui::msg::jobs::JobEffect;
use crate::tui::msg::playground::{AltGroup, GenKind, GenRequest, Generation, PgEffect, PgLoaded};
use crate::tui::msg::{Action, Loaded};
pub use crate::tui::playground_save::save_example;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;
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
            jobs::reap_dead_jobs(&store);
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
            PgEffect::LoadSources => PgLoaded::Sources(crate::source::available(store)),
            PgEffect::ShowPrompt {
                db,
                question,
                source,
            } => PgLoaded::Prompt(match db_path {
                Some(p) => {
                    let format = source.map(|s| s.prompt_format()).unwrap_or_default();
                    playground_prompt(&p, &question, format)
                }
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
                        jobs::run_job(&ws, &spec, &cancel, report);
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

// ---- playground generation -------------------------------------------------------------

fn gen_loop(ws: &Path, rx: mpsc::Receiver<GenMsg>, out: UnboundedSender<Action>) {
    let mut cached: Option<(ModelSource, Box<dyn SqlGenerator>)> = None;
    while let Ok((req, path, cancel)) = rx.recv() {
        let t0 = Instant::now();
        let mut warning = None;
        let result = generate(ws, &mut cached, &req, &path, &cancel, &mut warning);
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
        // After the result, so the status line keeps it.
        if let Some(w) = warning {
            let _ = out.send(Action::Loaded(Loaded::Playground(PgLoaded::Warning(w))));
        }
    }
}

fn extract(text: &str) -> String {
    crate::llm::extract_sql(text).unwrap_or_else(|| text.trim().to_string())
}

/// The prompt a Playground question becomes in the layout `format` the model was trained on
/// (shown as is by the prompt view).
pub fn playground_prompt(
    db_path: &Path,
    question: &str,
    format: PromptFormat,
) -> Result<String, String> {
    let opts = PromptOptions::of(format);
    let schema = introspect_path(db_path, opts.sample_rows)
        .map_err(|e| format!("reading the schema of {}: {e}", db_path.display()))?;
    Ok(prompt_for(&schema, question, None, opts))
}

fn generate(
    ws: &Path,
    cached: &mut Option<(ModelSource, Box<dyn SqlGenerator>)>,
    req: &GenRequest,
    db_path: &Path,
    cancel: &AtomicBool,
    warning: &mut Option<String>,
) -> Result<Vec<Generated>, String> {
    if cached.as_ref().is_none_or(|(s, _)| *s != req.source) {
        *cached = None;
        let gen = req
            .source
            .settings(None)
            .and_then(|st| st.open(OpenOptions::workbench(ws)))
            .map_err(|e| e.to_string())?;
        // A model just loaded: what it warns about is shown once.
        *warning = gen.warning();
        *cached = Some((req.source.clone(), gen));
    }
    let Some((_, gen)) = cached.as_mut() else {
        return Err("no model".into());
    };
    let prompt = playground_prompt(db_path, &req.question, gen.prompt_format())?;
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
