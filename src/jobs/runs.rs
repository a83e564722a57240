//! Watching training runs: reading runs, metrics and evals from the store incrementally (the
//! caller says from which step on it needs each series), telling whether a run's process is
//! alive, and starting `sense train` / `sense eval` / `kill -INT` as detached processes. The
//! workbench never trains itself: it sends a `Request` and gets a `Reply`, watching the store
//! like any other reader.

use super::process::{interrupt, pid_alive, spawn_sense};
use crate::store::{DataFilter, EvalRow, JobRow, Run, RunStatus, Store};

/// One series the screen follows: run, metric name, last step it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub run: i64,
    pub name: String,
}

/// What a poll reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Poll {
    /// Series with the step after which points are new.
    pub series: Vec<(SeriesKey, i64)>,
    /// Runs whose metric names to (re)list.
    pub names: Vec<i64>,
    /// The run whose log file to read the tail of (the log pane is open).
    pub log: Option<i64>,
}

/// A run as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub run: Run,
    /// `Some(false)`: the store says running but its process is gone.
    pub alive: Option<bool>,
    pub loss: Option<f64>,
    /// Best execution accuracy of the run's evaluations, 0..1.
    pub best_ex: Option<f64>,
    /// The run's time budget (`--max-minutes`) from its recorded config.
    pub budget_minutes: Option<f64>,
}

impl RunInfo {
    pub fn dead(&self) -> bool {
        self.run.status == RunStatus::Running && self.alive == Some(false)
    }
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polled {
    /// Seconds since the Unix epoch when read (durations and ETA are computed against it).
    pub now: i64,
    pub runs: Vec<RunInfo>,
    pub names: Vec<(i64, Vec<String>)>,
    /// New points per series, in step order (values as stored, non-finite included).
    pub points: Vec<(SeriesKey, Vec<(f64, f64)>)>,
    pub evals: Vec<EvalRow>,
    /// Evaluations under way (jobs of kind `eval` whose process is alive), with their progress.
    pub evaluating: Vec<JobRow>,
    /// The last lines of the asked run's log: (run, lines, or why none).
    pub log: Option<(i64, Result<Vec<String>, String>)>,
}

/// Lines of a log's tail the pane keeps.
pub const LOG_LINES: usize = 200;

/// The log file a run's process writes (recorded in its config by `sense train` when the
/// workbench started it).
pub fn run_log(run: &Run) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&run.config).ok()?;
    v.get("log")?.as_str().map(str::to_string)
}

/// Appends a stage line (`[eval] ...`) to run `run_id`'s log, when the run has one: another
/// process's work on the run (an evaluation) shows in the log pane beside its training. Best
/// effort: a run without a log, or a log that cannot be opened, is left as it is.
pub fn note_in_run_log(store: &Store, run_id: i64, line: &str) {
    use std::io::Write;
    let Some(path) = store.run(run_id).ok().as_ref().and_then(run_log) else {
        return;
    };
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&path) {
        // One write: appends of a line are not interleaved with the trainer's.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

/// The last `LOG_LINES` lines of `path` (only its last 64 KiB are read); a progress bar's
/// carriage-return redraws keep their last state.
pub fn log_tail(path: &str) -> Result<Vec<String>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| format!("reading {path}: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    f.seek(SeekFrom::Start(start))
        .map_err(|e| format!("reading {path}: {e}"))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(|e| format!("reading {path}: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text
        .lines()
        .skip(usize::from(start > 0))
        .map(|l| {
            let l = l.rsplit('\r').find(|x| !x.trim().is_empty()).unwrap_or("");
            strip_ansi(l)
        })
        .collect();
    let cut = lines.len().saturating_sub(LOG_LINES);
    lines.drain(..cut);
    Ok(lines)
}

/// Drops terminal colour codes (ESC [ ... letter).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Poll(Poll),
    /// `sense train ...` arguments (after `train`).
    Train(Vec<String>),
    Stop {
        run: i64,
        pid: i64,
    },
    /// `sense eval --model CHECKPOINT --split SPLIT [--limit N]` for run `run`.
    Eval {
        run: i64,
        checkpoint: String,
        split: String,
        limit: Option<usize>,
    },
    /// `sense recipe --minutes M`: the SENSE loop in miniature, its stages runs and evals.
    Recipe {
        minutes: f64,
    },
    /// Interrupts an evaluation's process (it records nothing and marks its job cancelled).
    CancelEval {
        run: i64,
        pid: i64,
    },
    Count(DataFilter),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Polled(Box<Polled>),
    /// A started process or a sent signal: the message for the status bar, or why it failed.
    Spawned(Result<String, String>),
    Count(DataFilter, Result<i64, String>),
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The one field of a run's recorded config the list shows; read on every poll, so without
/// building the whole JSON tree.
#[derive(serde::Deserialize)]
struct Budget {
    max_minutes: Option<f64>,
}

/// Reads what `p` asks for. Every query is an index probe or a range from a known step.
pub fn poll(store: &Store, p: &Poll) -> Result<Polled, String> {
    let e = |e: crate::store::StoreError| e.to_string();
    let evals = store.evals().map_err(e)?;
    let mut runs = Vec::new();
    for run in store.runs().map_err(e)? {
        let alive = match (run.status, run.pid) {
            (RunStatus::Running, Some(pid)) => Some(pid_alive(pid)),
            (RunStatus::Running, None) => Some(false),
            _ => None,
        };
        let loss = store.last_metric(run.id, "loss").map_err(e)?.map(|x| x.1);
        let best_ex = evals
            .iter()
            .filter(|v| v.run_id == Some(run.id) && v.n > 0)
            .map(|v| v.correct as f64 / v.n as f64)
            .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
        let budget_minutes = serde_json::from_str::<Budget>(&run.config)
            .ok()
            .and_then(|b| b.max_minutes);
        runs.push(RunInfo {
            run,
            alive,
            loss,
            best_ex,
            budget_minutes,
        });
    }
    let mut names = Vec::new();
    for id in &p.names {
        names.push((*id, store.metric_names_quick(*id).map_err(e)?));
    }
    let mut points = Vec::new();
    for (key, after) in &p.series {
        let pts = store.metric_since(key.run, &key.name, *after).map_err(e)?;
        if !pts.is_empty() {
            points.push((
                key.clone(),
                pts.iter().map(|m| (m.step as f64, m.value)).collect(),
            ));
        }
    }
    let log = p.log.and_then(|id| {
        let run = runs.iter().find(|r| r.run.id == id)?;
        Some((
            id,
            run_log(&run.run)
                .ok_or_else(|| "no log file recorded".to_string())
                .and_then(|path| log_tail(&path)),
        ))
    });
    let evaluating = store
        .running_jobs()
        .map_err(e)?
        .into_iter()
        .filter(|j| j.kind == "eval" && j.pid.is_some_and(pid_alive))
        .collect();
    Ok(Polled {
        now: now_secs(),
        runs,
        names,
        points,
        evals,
        evaluating,
        log,
    })
}

/// Performs a request (store reads are short; spawning returns at once).
pub fn perform(store: &Store, req: Request) -> Reply {
    match req {
        Request::Poll(p) => match poll(store, &p) {
            Ok(r) => Reply::Polled(Box::new(r)),
            Err(e) => Reply::Spawned(Err(format!("reading runs: {e}"))),
        },
        Request::Train(args) => {
            let mut full = vec!["train".to_string()];
            full.extend(args);
            let label = format!("train-{}", full.get(1).map(String::as_str).unwrap_or("run"));
            Reply::Spawned(spawn_sense(store.path(), &full, &label).map(|(pid, log)| {
                format!(
                    "started sense {} (pid {pid}, log {})",
                    full.join(" "),
                    log.display()
                )
            }))
        }
        Request::Stop { run, pid } => Reply::Spawned(
            interrupt(pid)
                .map(|()| format!("asked run #{run} to stop after its current step and save")),
        ),
        Request::Eval {
            run,
            checkpoint,
            split,
            limit,
        } => {
            let mut args: Vec<String> = ["eval", "--model", &checkpoint, "--split", &split]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if let Some(n) = limit {
                args.extend(["--limit".into(), n.to_string()]);
            }
            let what = match limit {
                Some(n) => format!("{split} (first {n})"),
                None => split.clone(),
            };
            Reply::Spawned(
                spawn_sense(store.path(), &args, &format!("eval-run{run}")).map(|(pid, log)| {
                    format!(
                        "evaluating run #{run} on {what} (pid {pid}, log {}); EX appears when it ends",
                        log.display()
                    )
                }),
            )
        }
        Request::Recipe { minutes } => {
            let args = vec![
                "recipe".to_string(),
                "--minutes".into(),
                minutes.to_string(),
            ];
            Reply::Spawned(spawn_sense(store.path(), &args, "recipe").map(|(pid, log)| {
                format!(
                    "started the SENSE recipe for {minutes} min (pid {pid}, log {}); its stages appear here as runs and evaluations",
                    log.display()
                )
            }))
        }
        Request::CancelEval { run, pid } => Reply::Spawned(
            interrupt(pid).map(|()| format!("asked the evaluation of run #{run} to stop")),
        ),
        Request::Count(f) => {
            let r = store.count_training_rows(&f).map_err(|e| e.to_string());
            Reply::Count(f, r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewRun;
    use std::process::Command;

    #[test]
    fn own_pid_is_alive_and_a_finished_child_is_not() {
        assert!(pid_alive(i64::from(std::process::id())));
        let mut child = Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        child.wait().unwrap();
        assert!(!pid_alive(pid));
        assert!(!pid_alive(0));
    }

    #[test]
    fn poll_reads_only_new_points_and_marks_dead_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ws.db")).unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let dead = i64::from(child.id());
        child.wait().unwrap();
        let id = store
            .create_run(&NewRun {
                kind: "sft".into(),
                parent: None,
                config: serde_json::json!({}),
                total_steps: 10,
                pid: Some(dead),
            })
            .unwrap();
        store
            .log_metrics(
                id,
                3,
                &[(1, "loss", 3.0), (2, "loss", 2.0), (3, "loss", 1.5)],
            )
            .unwrap();
        let key = SeriesKey {
            run: id,
            name: "loss".into(),
        };
        let p = poll(
            &store,
            &Poll {
                series: vec![(key.clone(), 1)],
                names: vec![id],
                log: None,
            },
        )
        .unwrap();
        assert_eq!(p.points, vec![(key, vec![(2.0, 2.0), (3.0, 1.5)])]);
        assert_eq!(p.names, vec![(id, vec!["loss".to_string()])]);
        assert!(
            p.runs[0].dead(),
            "running in the store, but its pid is gone"
        );
        assert_eq!(p.runs[0].loss, Some(1.5));
    }
}
