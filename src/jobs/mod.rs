//! Background work for the command line and the workbench alike, with no terminal in sight:
//! a `JobSpec` says what to do, `run_job` does it on the caller's thread (recording it in the
//! workspace's `jobs` table) and reports `JobEvent`s to a callback, and a cancel flag stops it
//! between items, keeping what finished. Training and evaluation run as child `sense`
//! processes (`process`), watched through the store (`runs`).
//!
//! The workbench only sends specs and receives events over its channel, as gitui's UI does
//! with asyncgit; the work itself (`work`) is also what `sense sample` runs.

mod process;
pub mod runs;
mod work;

pub use process::{interrupt, pid_alive, spawn_sense};
pub use work::{sample, strong, templates};

use crate::exec::Metric;
use crate::source::{ModelSource, OpenOptions, SourceError};
use crate::store::{ExampleFilter, JobStatus, Store};
use crate::synth::sample::SampleOptions;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// What a job does.
#[derive(Debug, Clone, PartialEq)]
pub enum JobSpec {
    /// `sense synth templates` over these databases (every train database when empty).
    /// `allow_dev`: the user confirmed writing into held-out (dev) databases.
    Templates { dbs: Vec<String>, allow_dev: bool },
    /// `sense sample`: k samples per example from a model, wrong ones become pending pairs.
    Sample {
        source: ModelSource,
        db: Option<String>,
        k: usize,
        temperature: f32,
        /// At most this many examples (None: all).
        limit: Option<usize>,
        /// The user confirmed sampling on held-out (dev) examples; train only otherwise.
        allow_dev: bool,
    },
    /// `sense synth domains|schemas|questions` with an endpoint model: `domains` new domains,
    /// a database for each domain without one, `questions` questions per new database.
    Strong {
        source: ModelSource,
        domains: usize,
        questions: usize,
    },
}

impl JobSpec {
    /// Whether the job writes examples or pairs into held-out data.
    pub fn touches_dev(&self) -> bool {
        match self {
            JobSpec::Templates { allow_dev, .. } | JobSpec::Sample { allow_dev, .. } => *allow_dev,
            JobSpec::Strong { .. } => false,
        }
    }

    /// The `kind` recorded in the jobs table.
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::Templates { .. } => "templates",
            JobSpec::Sample { .. } => "sample",
            JobSpec::Strong { .. } => "strong",
        }
    }
}

/// Reports of the running job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Started {
        id: i64,
        kind: String,
    },
    Progress {
        done: i64,
        total: i64,
        message: String,
    },
    /// status: done, cancelled or failed.
    Finished {
        status: String,
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Sample(#[from] crate::synth::sample::SampleError),
    #[error(transparent)]
    Strong(#[from] crate::synth::strong::StrongError),
    #[error(transparent)]
    Templates(#[from] crate::synth::templates::TemplateError),
}

/// Examples a sampling job hands the model at once.
const SAMPLE_BATCH: usize = 8;

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
            templates(&store, dbs, *allow_dev, cancel, &mut step)
        }
        JobSpec::Strong {
            source,
            domains,
            questions,
        } => {
            step(0, 0, format!("connecting to {}", source.label()));
            source
                .settings(None)
                .map_err(JobError::from)
                .and_then(|s| strong(&store, &s, *domains, *questions, cancel, &mut step))
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
                batch: SAMPLE_BATCH,
                metric: Metric::spider(),
            };
            // The settings are the source's alone (the completion cap is each generator's own,
            // as in `sense sample`); endpoint exchanges are recorded in the workspace.
            let open = OpenOptions::workbench(ws);
            source
                .settings(None)
                .map_err(JobError::from)
                .and_then(|s| {
                    sample(&store, &s, open, &opts, cancel, |r, total| {
                        step(
                            r.sampled_examples as i64,
                            total as i64,
                            format!(
                                "{} samples: {} correct, {} wrong, {} new pairs",
                                r.recorded, r.correct, r.wrong, r.new_pairs
                            ),
                        )
                    })
                })
                .map(|r| (r.summary(), r.cancelled))
        }
    };
    let (status, message) = match result {
        Ok((m, true)) => (JobStatus::Cancelled, m),
        Ok((m, false)) => (JobStatus::Done, m),
        Err(e) => (JobStatus::Failed, e.to_string()),
    };
    let _ = store.finish_job(id, status, &message);
    report(JobEvent::Finished {
        status: status.as_str().into(),
        message,
    });
}

/// Marks jobs whose process is gone (a workbench that was closed or killed mid-job) as
/// failed, so the status bar does not show them as running forever. Returns how many.
pub fn reap_dead_jobs(store: &Store) -> usize {
    let mut n = 0;
    for j in store.running_jobs().unwrap_or_default() {
        let alive = j
            .pid
            .is_some_and(|p| p == std::process::id() as i64 || pid_alive(p));
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

#[cfg(test)]
mod tests;
