//! Runs the effects `update` asks for. Store reads and writes happen at once on the UI thread
//! (each a short transaction: a decision is committed before the next key is read). SQL on
//! target databases, schema introspection and judging run on a worker thread with an interrupt
//! handle, newest request per slot winning, and come back as actions over a channel.

use crate::exec::{Executor, Limits, Metric};
use crate::store::{Store, StoreError};
use crate::synth::weak::Judge;
use crate::tui::msg::playground::PgEffect;
use crate::tui::msg::{Action, Effect, Loaded, Slot};
use crate::tui::state::{update, State};
use crate::tui::widgets::grid::GridData;
use rusqlite::InterruptHandle;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

#[derive(Debug)]
enum Job {
    Schema {
        db: String,
        path: PathBuf,
    },
    Sql {
        slot: Slot,
        token: u64,
        path: PathBuf,
        sql: String,
    },
    Judge {
        token: u64,
        example_id: i64,
        sql: String,
    },
    SetGold {
        example_id: i64,
        sql: String,
    },
}

type Running = Arc<Mutex<Option<(Slot, InterruptHandle)>>>;

/// The background thread for target-database work.
pub struct Worker {
    tx: mpsc::Sender<Job>,
    running: Running,
    pending: Arc<AtomicUsize>,
}

impl Worker {
    pub fn spawn(workspace: PathBuf, out: UnboundedSender<Action>, annotator: String) -> Worker {
        let (tx, rx) = mpsc::channel::<Job>();
        let running: Running = Arc::new(Mutex::new(None));
        let pending = Arc::new(AtomicUsize::new(0));
        let (r2, p2) = (running.clone(), pending.clone());
        std::thread::Builder::new()
            .name("sense-tui-sql".into())
            .spawn(move || worker_loop(workspace, rx, out, r2, p2, annotator))
            .ok();
        Worker {
            tx,
            running,
            pending,
        }
    }

    fn submit(&self, job: Job) {
        if let Job::Sql { slot, .. } = &job {
            // A newer request for the same pane: stop the one running for it.
            if let Ok(guard) = self.running.lock() {
                if let Some((s, h)) = guard.as_ref() {
                    if s == slot {
                        h.interrupt();
                    }
                }
            }
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }
}

/// Keeps the newest request per SQL slot and the newest judge request; keeps every schema read.
fn latest_wins(batch: Vec<Job>) -> (Vec<Job>, usize) {
    let mut seen_slots = Vec::new();
    let mut seen_judge = false;
    let mut kept = Vec::new();
    let mut dropped = 0;
    for job in batch.into_iter().rev() {
        let keep = match &job {
            Job::Sql { slot, .. } => {
                let fresh = !seen_slots.contains(slot);
                seen_slots.push(*slot);
                fresh
            }
            Job::Judge { .. } => !std::mem::replace(&mut seen_judge, true),
            // Every gold correction asked for is made.
            Job::Schema { .. } | Job::SetGold { .. } => true,
        };
        if keep {
            kept.push(job);
        } else {
            dropped += 1;
        }
    }
    kept.reverse();
    (kept, dropped)
}

fn worker_loop(
    workspace: PathBuf,
    rx: mpsc::Receiver<Job>,
    out: UnboundedSender<Action>,
    running: Running,
    pending: Arc<AtomicUsize>,
    annotator: String,
) {
    let limits = Limits::default();
    let mut executors: HashMap<PathBuf, Executor> = HashMap::new();
    let mut judge_store: Option<Store> = None;
    let mut judge = Judge::new(Metric::spider(), limits);
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(j) = rx.try_recv() {
            batch.push(j);
        }
        let (jobs, dropped) = latest_wins(batch);
        pending.fetch_sub(dropped, Ordering::SeqCst);
        for job in jobs {
            let loaded = match job {
                Job::Schema { db, path } => Loaded::Schema(
                    db,
                    crate::schema::introspect_path(&path, 0).map_err(|e| e.to_string()),
                ),
                Job::Sql {
                    slot,
                    token,
                    path,
                    sql,
                } => {
                    if !executors.contains_key(&path) {
                        match Executor::open(&path, limits) {
                            Ok(ex) => {
                                executors.insert(path.clone(), ex);
                            }
                            Err(e) => {
                                finish(
                                    &out,
                                    &pending,
                                    Loaded::Sql {
                                        slot,
                                        token,
                                        result: Err(e.to_string()),
                                    },
                                );
                                continue;
                            }
                        }
                    }
                    let result = match executors.get(&path) {
                        Some(ex) => {
                            if let Ok(mut g) = running.lock() {
                                *g = Some((slot, ex.interrupt_handle()));
                            }
                            let r = ex.run(&sql);
                            if let Ok(mut g) = running.lock() {
                                *g = None;
                            }
                            r.map(|r| GridData::from_result(&r))
                                .map_err(|e| e.to_string())
                        }
                        None => Err("executor unavailable".into()),
                    };
                    Loaded::Sql {
                        slot,
                        token,
                        result,
                    }
                }
                Job::SetGold { example_id, sql } => {
                    if judge_store.is_none() {
                        judge_store = Store::open(&workspace).ok();
                    }
                    let r = match judge_store.as_mut() {
                        Some(store) => {
                            store.set_annotator(&annotator);
                            crate::synth::gold::set_gold(store, &mut judge, example_id, &sql, "")
                                .map_err(|e| e.to_string())
                        }
                        None => Err(format!("cannot open {}", workspace.display())),
                    };
                    Loaded::GoldSet(example_id, r)
                }
                Job::Judge {
                    token,
                    example_id,
                    sql,
                } => {
                    if judge_store.is_none() {
                        judge_store = Store::open(&workspace).ok();
                    }
                    let verdict = match &judge_store {
                        Some(store) => judge
                            .judge(store, example_id, &sql)
                            .map(|(v, _)| v)
                            .map_err(|e| e.to_string()),
                        None => Err(format!("cannot open {}", workspace.display())),
                    };
                    Loaded::Judged {
                        token,
                        sql,
                        verdict,
                    }
                }
            };
            finish(&out, &pending, loaded);
        }
    }
}

fn finish(out: &UnboundedSender<Action>, pending: &AtomicUsize, loaded: Loaded) {
    let left = pending.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
    let _ = out.send(Action::Loaded(loaded));
    let _ = out.send(Action::Jobs(left));
}

/// The store, the worker, and the loop that feeds effects' results back into `update`.
pub struct Runtime {
    store: Store,
    worker: Worker,
    db_paths: HashMap<String, PathBuf>,
    /// Playground generation and jobs-menu jobs.
    bg: crate::tui::bg::Background,
}

fn msg(e: StoreError) -> String {
    e.to_string()
}

impl Runtime {
    /// A runtime on an open store; actions from the worker arrive on the returned receiver.
    pub fn new(store: Store) -> (Runtime, UnboundedReceiver<Action>) {
        let (tx, rx) = unbounded_channel();
        let worker = Worker::spawn(
            store.path().to_path_buf(),
            tx.clone(),
            store.annotator().to_string(),
        );
        let bg = crate::tui::bg::Background::new(store.path().to_path_buf(), tx);
        let mut rt = Runtime {
            store,
            worker,
            db_paths: HashMap::new(),
            bg,
        };
        rt.refresh_paths();
        (rt, rx)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn refresh_paths(&mut self) {
        if let Ok(list) = self.store.databases() {
            self.db_paths = list.into_iter().map(|d| (d.name, d.path)).collect();
        }
    }

    fn path_of(&mut self, db: &str) -> Option<PathBuf> {
        if !self.db_paths.contains_key(db) {
            self.refresh_paths();
        }
        self.db_paths.get(db).cloned()
    }

    /// Runs one effect; store effects return their result at once.
    pub fn perform(&mut self, e: Effect) -> Option<Action> {
        let s = &self.store;
        let loaded = match e {
            Effect::LoadCounts => match s.counts() {
                Ok(c) => Loaded::Counts(c),
                Err(e) => Loaded::Failed(msg(e)),
            },
            // Work whose process died is not shown as running (the Runs screen says it is dead).
            Effect::LoadActivity => match s.activity() {
                Ok(a) => Loaded::Activity(
                    a.into_iter()
                        .filter(|x| x.pid.is_none_or(crate::tui::runs_jobs::pid_alive))
                        .collect(),
                ),
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::LoadDatabases => match s.databases() {
                Ok(list) => {
                    self.db_paths = list
                        .iter()
                        .map(|d| (d.name.clone(), d.path.clone()))
                        .collect();
                    Loaded::Databases(list)
                }
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::LoadQueue(q) => match s.pair_ids(&q) {
                Ok(ids) => Loaded::Queue(ids),
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::LoadGuidelines => {
                let path = s.guidelines_path();
                Loaded::Guidelines(match std::fs::read_to_string(&path) {
                    Ok(text) => Ok((path.display().to_string(), text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Ok((path.display().to_string(), String::new()))
                    }
                    Err(e) => Err(format!("cannot read {}: {e}", path.display())),
                })
            }
            Effect::FindPair(candidate) => Loaded::PairOf(
                candidate,
                s.conn()
                    .query_row(
                        "SELECT p.id FROM pairs p JOIN candidates c ON c.example_id = p.example_id
                         AND c.sql = p.rejected_sql WHERE c.id = ?1",
                        [candidate],
                        |r| r.get(0),
                    )
                    .ok(),
            ),
            Effect::LoadPairFacets => match s.pair_facets() {
                Ok(f) => Loaded::PairFacets(f),
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::DecideMany(ids, st) => {
                Loaded::BulkDecided(s.decide_many(&ids, st).map_err(msg))
            }
            Effect::LoadPair(id) => Loaded::Pair(id, s.pair(id).map_err(msg)),
            Effect::Decide(id, st) => Loaded::Decided(s.decide(id, st).map_err(msg)),
            Effect::Undo => match s.undo() {
                Ok(None) => Loaded::Undone(Ok(None)),
                Ok(Some(crate::store::Undone::Pair(p))) => Loaded::Undone(Ok(Some(*p))),
                Ok(Some(crate::store::Undone::Gold(g))) => Loaded::GoldUndone(Ok(g)),
                Ok(Some(crate::store::Undone::Batch(ids))) => Loaded::BatchUndone(Ok(ids)),
                Err(e) => Loaded::Undone(Err(msg(e))),
            },
            Effect::SetNote(id, note) => Loaded::NoteSaved(s.set_note(id, &note).map_err(msg)),
            Effect::SaveChosen(id, sql) => Loaded::ChosenSaved(s.set_chosen(id, &sql).map_err(msg)),
            Effect::LoadFacets => match s.example_facets() {
                Ok(f) => Loaded::Facets(f),
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::LoadQuestionIds(q) => {
                let r = s.example_ids(&q).map_err(msg);
                Loaded::QuestionIds(q, r)
            }
            Effect::LoadQuestionRows(ids) => match s.examples_by_ids(&ids) {
                Ok(rows) => Loaded::QuestionRows(rows),
                Err(e) => Loaded::Failed(msg(e)),
            },
            Effect::LoadQuestion(id) => Loaded::Question(
                id,
                s.example(id)
                    .and_then(|ex| Ok((ex, s.candidates_for(id)?)))
                    .map_err(msg),
            ),
            Effect::LoadSchema(db) => {
                match self.path_of(&db) {
                    Some(path) => self.worker.submit(Job::Schema { db, path }),
                    None => {
                        return Some(Action::Loaded(Loaded::Schema(
                            db.clone(),
                            Err(format!("no database '{db}' in the workspace")),
                        )))
                    }
                }
                return Some(Action::Jobs(self.worker.pending()));
            }
            Effect::RunSql {
                slot,
                token,
                db,
                sql,
            } => {
                match self.path_of(&db) {
                    Some(path) => self.worker.submit(Job::Sql {
                        slot,
                        token,
                        path,
                        sql,
                    }),
                    None => {
                        return Some(Action::Loaded(Loaded::Sql {
                            slot,
                            token,
                            result: Err(format!("no database '{db}' in the workspace")),
                        }))
                    }
                }
                return Some(Action::Jobs(self.worker.pending()));
            }
            Effect::Judge {
                token,
                example_id,
                sql,
            } => {
                self.worker.submit(Job::Judge {
                    token,
                    example_id,
                    sql,
                });
                return Some(Action::Jobs(self.worker.pending()));
            }
            Effect::SetGold { example_id, sql } => {
                self.worker.submit(Job::SetGold { example_id, sql });
                return Some(Action::Jobs(self.worker.pending()));
            }
            Effect::Runs(req) => Loaded::Runs(crate::tui::runs_jobs::perform(s, req)),
            Effect::Playground(e) => {
                let path = match &e {
                    PgEffect::Generate(r) => self.path_of(&r.db),
                    PgEffect::ShowPrompt { db, .. } => self.path_of(db),
                    _ => None,
                };
                return self.bg.playground(&self.store, e, path);
            }
            Effect::Job(e) => return self.bg.job(e),
            Effect::Provenance(e) => Loaded::Provenance(crate::tui::provenance::perform(s, e)),
        };
        Some(Action::Loaded(loaded))
    }

    /// Feeds an action into `update`, runs the effects, and feeds their results back, until
    /// nothing immediate is left.
    pub fn dispatch(&mut self, state: &mut State, action: Action) {
        let mut queue = VecDeque::from([action]);
        while let Some(a) = queue.pop_front() {
            for e in update(state, a) {
                if let Some(next) = self.perform(e) {
                    queue.push_back(next);
                }
            }
        }
    }

    /// Runs the start-up effects.
    pub fn start(&mut self, state: &mut State) {
        for e in crate::tui::state::start() {
            if let Some(a) = self.perform(e) {
                self.dispatch(state, a);
            }
        }
    }

    /// Applies worker results until the worker is idle or `wait` passes (tests, benchmarks).
    pub fn settle(
        &mut self,
        state: &mut State,
        rx: &mut UnboundedReceiver<Action>,
        wait: Duration,
    ) {
        let deadline = Instant::now() + wait;
        loop {
            while let Ok(a) = rx.try_recv() {
                self.dispatch(state, a);
            }
            if self.worker.pending() == 0 || Instant::now() > deadline {
                while let Ok(a) = rx.try_recv() {
                    self.dispatch(state, a);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Opens the workspace, building the sample workspace when the file does not exist yet.
/// Returns the store and a message for the status bar when it was created.
pub fn open_workspace(path: &Path) -> anyhow::Result<(Store, Option<String>)> {
    if path.exists() {
        return Ok((Store::open(path)?, None));
    }
    let store = Store::open(path)?;
    let samples = crate::dataset::samples::embedded()?;
    let report = crate::dataset::samples::init_workspace(&store, &samples)?;
    let msg = format!(
        "first start: built the sample workspace {} ({})",
        path.display(),
        report.summary()
    );
    Ok((store, Some(msg)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewDatabase;

    fn sql(slot: Slot, token: u64) -> Job {
        Job::Sql {
            slot,
            token,
            path: PathBuf::from("x"),
            sql: String::new(),
        }
    }

    #[test]
    fn newest_request_per_slot_wins() {
        let batch = vec![
            sql(Slot::ReviewChosen, 1),
            Job::Schema {
                db: "a".into(),
                path: PathBuf::from("a"),
            },
            sql(Slot::ReviewRejected, 1),
            sql(Slot::ReviewChosen, 2),
            sql(Slot::ReviewChosen, 3),
        ];
        let (kept, dropped) = latest_wins(batch);
        assert_eq!(dropped, 2);
        let tokens: Vec<(Option<Slot>, u64)> = kept
            .iter()
            .map(|j| match j {
                Job::Sql { slot, token, .. } => (Some(*slot), *token),
                _ => (None, 0),
            })
            .collect();
        assert_eq!(
            tokens,
            vec![
                (None, 0),
                (Some(Slot::ReviewRejected), 1),
                (Some(Slot::ReviewChosen), 3)
            ]
        );
    }

    #[test]
    fn a_newer_query_interrupts_a_slow_one_for_the_same_pane() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.sqlite");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let store = Store::open(&dir.path().join("ws.db")).unwrap();
        store
            .upsert_database(&NewDatabase {
                name: "t".into(),
                domain: String::new(),
                source: "test".into(),
                path: db,
                fingerprint: String::new(),
            })
            .unwrap();
        let (mut rt, mut rx) = Runtime::new(store);
        let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c";
        let t0 = Instant::now();
        rt.perform(Effect::RunSql {
            slot: Slot::ReviewChosen,
            token: 1,
            db: "t".into(),
            sql: slow.into(),
        });
        std::thread::sleep(Duration::from_millis(100));
        rt.perform(Effect::RunSql {
            slot: Slot::ReviewChosen,
            token: 2,
            db: "t".into(),
            sql: "SELECT x FROM t".into(),
        });
        let mut got = Vec::new();
        while got.len() < 2 && t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Action::Loaded(Loaded::Sql { token, result, .. })) = rx.try_recv() {
                got.push((token, result.is_ok()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(got, vec![(1, false), (2, true)]);
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "the slow query was interrupted, not left to time out"
        );
    }
}
