//! Tests of the Playground screen and the jobs menu: `update` on their keys, snapshots of the
//! screen (empty, with a generated result, with k alternatives, with an error) at 80x24 and
//! 160x48, generation on a tiny random checkpoint, a template job started from the menu (its
//! progress in the store, and cancelling it), and saving a question as an example.

use crate::schema::PromptFormat;
use crate::store::{DatabaseRow, NewDatabase, Store};
use crate::tui::bg;
use crate::tui::jobs_menu::{
    JobEffect, JobEvent, JobSpec, ROW_MODEL, ROW_SAMPLE, ROW_STRONG, ROW_TEMPLATES, STRONG_DOMAINS,
    STRONG_QUESTIONS,
};
use crate::tui::keymap::Keymap;
use crate::tui::runtime::Runtime;
use crate::tui::screens::playground::{
    AltGroup, GenKind, Generation, ModelSource, PgEffect, PgLoaded,
};
use crate::tui::state::{update, Action, Effect, Loaded, Pane, PromptKind, Screen, Slot, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use crate::tui::widgets::grid::GridData;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(s: &mut State, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update(s, key(c)));
    }
    fx
}

fn new_state() -> State {
    State::new("test.db", Theme::default(), Keymap::default())
}

fn make_db(path: &Path, extra: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&format!(
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
         CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, species TEXT, age INTEGER,
                            owner_id INTEGER REFERENCES owners(id));
         INSERT INTO owners VALUES (1,'Ada','Oslo'),(2,'Bo','Lyon'),(3,'Cy','Oslo'),(4,'Dee','Kyoto');
         INSERT INTO pets VALUES (1,'Rex','dog',5,1),(2,'Tom','cat',2,1),(3,'Kiwi','bird',1,2),
           (4,'Fido','dog',3,3),(5,'Mia','cat',7,4),(6,'Ola','dog',4,2);
         {extra}"
    ))
    .unwrap();
}

/// A workspace with `n` small databases (vet, vet2, ...).
fn workspace(dir: &Path, n: usize) -> Store {
    let store = Store::open(&dir.join("ws.db")).unwrap();
    for i in 0..n {
        let name = if i == 0 {
            "vet".to_string()
        } else {
            format!("vet{}", i + 1)
        };
        let path = dir.join(format!("{name}.sqlite"));
        make_db(
            &path,
            &format!("INSERT INTO owners VALUES ({}, 'Eve', 'Rome');", 10 + i),
        );
        store
            .upsert_database(&NewDatabase {
                name,
                domain: "veterinary".into(),
                source: "test".into(),
                path,
                fingerprint: String::new(),
            })
            .unwrap();
    }
    store
}

fn db_row(name: &str) -> DatabaseRow {
    DatabaseRow {
        id: 1,
        name: name.into(),
        domain: "veterinary".into(),
        source: "test".into(),
        path: PathBuf::from(format!("{name}.sqlite")),
        fingerprint: String::new(),
        examples: 4,
        split: "train".into(),
    }
}

/// A state on the Playground with two databases and one checkpoint to pick.
fn playground_state() -> State {
    let mut s = new_state();
    s.databases_list = vec![db_row("vet"), db_row("zoo")];
    let fx = update(&mut s, key('5'));
    assert_eq!(
        fx,
        vec![
            Effect::Playground(PgEffect::LoadSources),
            Effect::Playground(PgEffect::LoadRuns)
        ]
    );
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Sources(vec![
            ModelSource::Checkpoint(PathBuf::from("runs/1/ckpt")),
            ModelSource::Profile("vllm".into()),
        ]))),
    );
    s
}

fn generated(s: &mut State, sql: &str) -> Vec<Effect> {
    let token = s.playground.gen_token;
    update(
        s,
        Action::Loaded(Loaded::Playground(PgLoaded::Generated {
            token,
            result: Ok(Generation {
                sql: sql.into(),
                raw: format!("```sql\n{sql}\n```"),
                latency_ms: 412.0,
                wall_ms: 530.0,
                model: "local:runs/1/ckpt".into(),
            }),
        })),
    )
}

fn pets_grid() -> GridData {
    GridData::new(
        vec!["name".into(), "age".into()],
        vec![
            vec!["Rex".into(), "5".into()],
            vec!["Mia".into(), "7".into()],
            vec!["Ola".into(), "4".into()],
        ],
        0.0,
    )
}

fn render(s: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::render(f, s)).unwrap();
    t
}

fn snap(name: &str, s: &State) {
    for (w, h) in [(80, 24), (160, 48)] {
        let t = render(s, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend().to_string());
    }
}

/// Applies background results until `done` holds (or `wait` passes).
fn pump(
    rt: &mut Runtime,
    s: &mut State,
    rx: &mut UnboundedReceiver<Action>,
    wait: Duration,
    done: impl Fn(&State) -> bool,
) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        while let Ok(a) = rx.try_recv() {
            rt.dispatch(s, a);
        }
        if done(s) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---- playground: update ----------------------------------------------------------------

#[test]
fn playground_asks_generates_and_cancels() {
    let mut s = playground_state();
    assert_eq!(s.screen, Screen::Playground);
    // Enter with no question opens the question prompt.
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(&PromptKind::PgQuestion)
    );
    typed(&mut s, "How many dogs?");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(s.prompt.is_none());
    let Some(Effect::Playground(PgEffect::Generate(req))) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.question, "How many dogs?");
    assert_eq!((req.db.as_str(), req.k, req.kind), ("vet", 1, GenKind::One));
    assert_eq!(req.temperature, 0.0);
    assert_eq!(
        req.source,
        ModelSource::Checkpoint(PathBuf::from("runs/1/ckpt"))
    );
    assert!(s.playground.running.is_some());
    assert!(render(&s, 80, 24)
        .backend()
        .to_string()
        .contains("generating…"));
    // A second Enter while generating starts nothing.
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    // Esc cancels; the late answer is dropped.
    let fx = update(&mut s, code(KeyCode::Esc));
    assert_eq!(fx, vec![Effect::Playground(PgEffect::Cancel)]);
    assert!(s.playground.running.is_none());
    let old = req.token;
    let fx = update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Generated {
            token: old,
            result: Ok(Generation {
                sql: "SELECT 1".into(),
                raw: "SELECT 1".into(),
                latency_ms: 1.0,
                wall_ms: 1.0,
                model: "m".into(),
            }),
        })),
    );
    assert!(fx.is_empty());
    assert!(s.playground.generation.is_none());

    // Generate again: the answer's SQL is run in the Playground's result slot.
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(fx[0], Effect::Playground(PgEffect::Generate(_))));
    let fx = generated(&mut s, "SELECT count(*) FROM pets WHERE species = 'dog'");
    let Some(Effect::RunSql {
        slot: Slot::Playground,
        token,
        db,
        sql,
    }) = fx.first().cloned()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (db.as_str(), sql.as_str()),
        ("vet", "SELECT count(*) FROM pets WHERE species = 'dog'")
    );
    assert_eq!(s.playground.grid, Pane::Loading);
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::Playground,
            token,
            result: Ok(pets_grid()),
        }),
    );
    assert!(matches!(s.playground.grid, Pane::Ready(_)));
    assert!(s.playground.running.is_none());
}

#[test]
fn playground_samples_k_and_moves_through_alternatives() {
    let mut s = playground_state();
    s.playground.question = "Pets older than 3".into();
    update(&mut s, code(KeyCode::Enter));
    generated(&mut s, "SELECT name FROM pets WHERE age > 3");
    update(&mut s, key('+'));
    update(&mut s, key('+'));
    update(&mut s, key('-'));
    assert_eq!(s.playground.k, 5);
    let fx = update(&mut s, key('s'));
    let Some(Effect::Playground(PgEffect::Generate(req))) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (req.kind, req.k, req.temperature),
        (GenKind::Sample, 5, 0.8)
    );
    assert_eq!(
        req.main_sql.as_deref(),
        Some("SELECT name FROM pets WHERE age > 3")
    );
    let token = req.token;
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Sampled {
            token,
            result: Ok(alternatives()),
            wall_ms: 1200.0,
        })),
    );
    assert_eq!(s.playground.alt_sqls().len(), 4);
    // j selects the next alternative and runs it into the grid.
    let fx = update(&mut s, key('j'));
    assert!(matches!(
        &fx[..],
        [Effect::RunSql { slot: Slot::Playground, sql, .. }] if sql == "SELECT name FROM pets WHERE age >= 4"
    ));
    assert_eq!(s.playground.alt_cursor, 1);
    // Another database: the results belong to the old one and go.
    update(&mut s, key('d'));
    assert_eq!(
        crate::tui::screens::playground::current_db(&s.playground, &s.databases_list).as_deref(),
        Some("zoo")
    );
    assert!(s.playground.alternatives.is_empty() && s.playground.generation.is_none());
    update(&mut s, key('d'));
    assert_eq!(
        crate::tui::screens::playground::current_db(&s.playground, &s.databases_list).as_deref(),
        Some("vet")
    );
}

#[test]
fn playground_model_sources_cycle_and_can_be_typed() {
    let mut s = playground_state();
    update(&mut s, key('o'));
    assert_eq!(
        s.playground.source(),
        Some(&ModelSource::Profile("vllm".into()))
    );
    update(&mut s, key('o'));
    assert_eq!(s.playground.source, 0);
    update(&mut s, key('t'));
    assert_eq!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(&PromptKind::PgModel)
    );
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut s, "http://127.0.0.1:8000/v1 qwen");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        s.playground.source(),
        Some(&ModelSource::Endpoint {
            url: "http://127.0.0.1:8000/v1".into(),
            model: "qwen".into()
        })
    );
    // Typed sources survive a reload of the store's list.
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Sources(vec![
            ModelSource::Checkpoint(PathBuf::from("runs/2/ckpt")),
        ]))),
    );
    assert_eq!(s.playground.sources.len(), 2);
    assert!(matches!(
        s.playground.source(),
        Some(ModelSource::Endpoint { .. })
    ));
    assert_eq!(
        ModelSource::parse("profile:big"),
        Ok(ModelSource::Profile("big".into()))
    );
    assert!(ModelSource::parse("http://x/v1").is_err());
    for src in &s.playground.sources {
        assert_eq!(ModelSource::parse(&src.text()).as_ref(), Ok(src));
    }
}

#[test]
fn playground_save_needs_sql_that_returns_rows() {
    let mut s = playground_state();
    s.playground.question = "Old pets".into();
    update(&mut s, code(KeyCode::Enter));
    generated(&mut s, "SELECT name FROM pets WHERE age > 30");
    update(&mut s, key('e'));
    assert_eq!(s.prompt.as_ref().map(|p| &p.kind), Some(&PromptKind::PgSql));
    // Enter runs it first.
    let fx = update(&mut s, code(KeyCode::Enter));
    let Some(Effect::RunSql {
        slot: Slot::PlaygroundCheck,
        token,
        ..
    }) = fx.first().cloned()
    else {
        panic!("{fx:?}")
    };
    let empty = GridData::new(vec!["name".into()], vec![], 0.0);
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::PlaygroundCheck,
            token,
            result: Ok(empty),
        }),
    );
    assert!(render(&s, 80, 24)
        .backend()
        .to_string()
        .contains("returns no rows"));
    // No rows: Enter runs it again instead of saving.
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(
        fx[0],
        Effect::RunSql {
            slot: Slot::PlaygroundCheck,
            ..
        }
    ));
    let Effect::RunSql { token, .. } = fx[0].clone() else {
        unreachable!()
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::PlaygroundCheck,
            token,
            result: Ok(pets_grid()),
        }),
    );
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Playground(PgEffect::Save {
            db: "vet".into(),
            question: "Old pets".into(),
            sql: "SELECT name FROM pets WHERE age > 30".into(),
            allow_dev: false,
            // The example records which model's SQL it corrects.
            from: Some((
                "local:runs/1/ckpt".into(),
                "SELECT name FROM pets WHERE age > 30".into()
            )),
        })]
    );
    assert!(s.prompt.is_none());
}

// ---- playground: snapshots -------------------------------------------------------------

fn alternatives() -> Vec<AltGroup> {
    vec![
        AltGroup {
            outcome: Ok(("3f9a0c1e2b7d4a55".into(), 3)),
            sqls: vec![
                ("SELECT name FROM pets WHERE age > 3".into(), 2),
                ("SELECT name FROM pets WHERE age >= 4".into(), 1),
            ],
            count: 3,
            with_main: true,
        },
        AltGroup {
            outcome: Ok(("b81d22e09f3c7a10".into(), 4)),
            sqls: vec![("SELECT name FROM pets WHERE age >= 3".into(), 1)],
            count: 1,
            with_main: false,
        },
        AltGroup {
            outcome: Err("no such column: years".into()),
            sqls: vec![("SELECT name FROM pets WHERE years > 3".into(), 1)],
            count: 1,
            with_main: false,
        },
    ]
}

fn with_result() -> State {
    let mut s = playground_state();
    s.playground.question = "Names and ages of pets older than 3.".into();
    update(&mut s, code(KeyCode::Enter));
    let fx = generated(&mut s, "SELECT name, age FROM pets WHERE age > 3");
    let Some(Effect::RunSql { token, .. }) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::Playground,
            token,
            result: Ok(pets_grid()),
        }),
    );
    s
}

#[test]
fn snapshots_playground() {
    let mut s = new_state();
    s.screen = Screen::Playground;
    snap("playground_no_databases", &s);

    let s = playground_state();
    snap("playground_empty", &s);

    let s = with_result();
    snap("playground_result", &s);

    let mut s = with_result();
    update(&mut s, key('s'));
    let token = s.playground.gen_token;
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Sampled {
            token,
            result: Ok(alternatives()),
            wall_ms: 1830.0,
        })),
    );
    snap("playground_alternatives", &s);

    let mut s = playground_state();
    s.playground.question = "How many pets?".into();
    update(&mut s, code(KeyCode::Enter));
    let token = s.playground.gen_token;
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Generated {
            token,
            result: Err("loading checkpoint runs/1/ckpt: no such file or directory".into()),
        })),
    );
    snap("playground_error", &s);
}

#[test]
fn snapshots_jobs_menu_with_a_running_job() {
    let mut s = playground_state();
    update(&mut s, key('m'));
    assert!(s.jobs_menu.open);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Job(JobEffect::Start(JobSpec::Templates {
            dbs: vec![],
            allow_dev: false,
        }))]
    );
    update(
        &mut s,
        Action::Loaded(Loaded::Job(JobEvent::Started {
            id: 7,
            kind: "templates".into(),
        })),
    );
    update(
        &mut s,
        Action::Loaded(Loaded::Job(JobEvent::Progress {
            done: 1,
            total: 2,
            message: "vet: 120 kept; 120 new examples so far".into(),
        })),
    );
    // The status bar shows the job as the store records it.
    update(
        &mut s,
        Action::Loaded(Loaded::Activity(vec![crate::store::Activity {
            what: "job".into(),
            id: 7,
            kind: "templates".into(),
            done: 1,
            total: 2,
            pid: None,
        }])),
    );
    let out = render(&s, 160, 48).backend().to_string();
    assert!(out.contains("job #7 templates 1/2 50%"), "{out}");
    snap("jobs_menu_running", &s);
}

// ---- jobs menu: update -----------------------------------------------------------------

#[test]
fn jobs_menu_starts_cancels_and_closes() {
    let mut s = playground_state();
    update(&mut s, key('m'));
    assert!(s.jobs_menu.open);
    assert_eq!(s.jobs_menu.cursor, ROW_TEMPLATES);
    // The scope row: all databases, then each one.
    update(&mut s, key('k'));
    update(&mut s, key('l'));
    update(&mut s, key('j'));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Job(JobEffect::Start(JobSpec::Templates {
            dbs: vec!["vet".into()],
            allow_dev: false,
        }))]
    );
    // One job at a time.
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    // Keys go to the menu, not to the screen under it.
    assert!(update(&mut s, key('s')).is_empty());
    assert_eq!(
        update(&mut s, key('c')),
        vec![Effect::Job(JobEffect::Cancel)]
    );
    assert!(update(&mut s, key('c')).is_empty(), "asked once");
    update(
        &mut s,
        Action::Loaded(Loaded::Job(JobEvent::Finished {
            status: "cancelled".into(),
            message: "1 of 2 databases".into(),
        })),
    );
    assert!(s.jobs_menu.running.is_none());
    assert!(s.message.as_ref().unwrap().text.contains("cancelled"));
    // Sampling uses the playground's model sources, k and the limit.
    s.jobs_menu.cursor = ROW_SAMPLE;
    let fx = update(&mut s, code(KeyCode::Enter));
    let Some(Effect::Job(JobEffect::Start(JobSpec::Sample {
        source,
        db,
        k,
        limit,
        ..
    }))) = fx.first()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        source,
        &ModelSource::Checkpoint(PathBuf::from("runs/1/ckpt"))
    );
    assert_eq!((db.as_deref(), *k, *limit), (Some("vet"), 4, Some(50)));
    // Help shows the menu's keys while it is open.
    update(&mut s, key('?'));
    let out = render(&s, 160, 48).backend().to_string();
    assert!(
        out.contains("Jobs menu") && out.contains("cancel the running job"),
        "{out}"
    );
    update(&mut s, key('?'));
    assert!(!s.help && s.jobs_menu.open);
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.jobs_menu.open);
    assert!(
        s.jobs_menu.running.is_some(),
        "closing the menu leaves the job running"
    );
    // Global keys still work; `q` quits.
    update(&mut s, key('m'));
    update(&mut s, key('q'));
    assert!(s.quit);
}

#[test]
fn jobs_menu_strong_synthesis_needs_an_endpoint() {
    let mut s = playground_state();
    update(&mut s, key('m'));
    let out = render(&s, 160, 48).backend().to_string();
    assert!(
        out.contains("Strong synthesis: domains → schemas → questions (endpoint)"),
        "{out}"
    );
    // The last row, below the sampling rows.
    update(&mut s, key('G'));
    assert_eq!(s.jobs_menu.cursor, ROW_STRONG);
    // The first source is a local checkpoint: refused, nothing starts.
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(s.jobs_menu.running.is_none());
    let msg = s.message.as_ref().unwrap().text.clone();
    assert!(
        msg.contains("needs an endpoint model") && msg.contains("runs/1/ckpt"),
        "{msg}"
    );
    // The endpoint profile starts the job.
    s.jobs_menu.cursor = ROW_MODEL;
    update(&mut s, key('l'));
    s.jobs_menu.cursor = ROW_STRONG;
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Job(JobEffect::Start(JobSpec::Strong {
            source: ModelSource::Profile("vllm".into()),
            domains: STRONG_DOMAINS,
            questions: STRONG_QUESTIONS,
        }))]
    );
    assert_eq!(s.jobs_menu.running.as_ref().unwrap().kind, "strong");
}

// ---- with a workspace --------------------------------------------------------------------

fn template_examples(store: &Store) -> usize {
    store
        .conn()
        .query_row(
            "SELECT count(*) FROM examples WHERE source = 'template'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize
}

#[test]
fn template_job_from_the_menu_writes_examples_and_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 3);
    let ws = store.path().to_path_buf();
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key('m'));
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(s.jobs_menu.running.is_some());
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(60),
        |s| { s.jobs_menu.running.is_none() }
    ));
    let last = s.jobs_menu.last.clone().unwrap();
    assert!(last.starts_with("templates done"), "{last}");
    let check = Store::open(&ws).unwrap();
    let job: (String, i64, i64) = check
        .conn()
        .query_row("SELECT status, done, total FROM jobs", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(job, ("done".to_string(), 3, 3));
    assert!(template_examples(&check) > 10);
    assert!(check.activity().unwrap().is_empty());
    // The counts in the status bar followed.
    assert_eq!(
        s.counts.as_ref().map(|c| c.examples as usize),
        Some(template_examples(&check))
    );
}

#[test]
fn a_cancelled_template_job_keeps_the_finished_databases() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 3);
    let ws = store.path().to_path_buf();
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    crate::jobs::run_job(
        &ws,
        &JobSpec::Templates {
            dbs: vec![],
            allow_dev: false,
        },
        &cancel,
        |e| {
            // Cancel once the first database is done.
            if matches!(e, JobEvent::Progress { done: 1, .. }) {
                cancel.store(true, Ordering::SeqCst);
            }
            events.push(e);
        },
    );
    let Some(JobEvent::Finished { status, message }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(status, "cancelled", "{message}");
    let job = store.job(1).unwrap();
    assert_eq!(
        (job.status.as_str(), job.done, job.total),
        ("cancelled", 1, 3)
    );
    let per_db: Vec<(String, i64)> = {
        let mut st = store
            .conn()
            .prepare(
                "SELECT d.name, count(*) FROM examples e JOIN databases d ON d.id = e.db_id
                 WHERE e.source = 'template' GROUP BY d.name",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(per_db.len(), 1, "only the finished database: {per_db:?}");
    assert_eq!(per_db[0].0, "vet");
}

#[test]
fn cancel_key_in_the_menu_stops_a_running_template_job() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 4);
    let ws = store.path().to_path_buf();
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key('m'));
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.dispatch(&mut s, key('c'));
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(60),
        |s| { s.jobs_menu.running.is_none() }
    ));
    let job = Store::open(&ws).unwrap().job(1).unwrap();
    assert_eq!(job.status, "cancelled");
    assert!(job.done < job.total, "{job:?}");
}

#[test]
fn saving_a_playground_question_inserts_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let ws = store.path().to_path_buf();
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key('5'));
    s.playground.question = "Which pets are dogs?".into();
    s.playground.shown_sql = Some("SELECT name FROM pets WHERE species = 'cow'".into());
    s.playground.generation = Some(Generation {
        sql: "SELECT name FROM pets WHERE species = 'cow'".into(),
        raw: String::new(),
        latency_ms: 1.0,
        wall_ms: 1.0,
        model: "local:runs/1/ckpt".into(),
    });
    rt.dispatch(&mut s, key('e'));
    // No rows: it cannot be saved.
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(10),
        |s| { s.playground.check.is_some() }
    ));
    assert_eq!(
        s.playground.check.as_ref().map(|c| c.1.clone()),
        Some(Ok(0))
    );
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(s.prompt.is_some());
    // Corrected by hand: it runs, returns rows, and Enter saves it.
    for _ in 0..4 {
        rt.dispatch(&mut s, code(KeyCode::Backspace));
    }
    for c in "dog'".chars() {
        rt.dispatch(&mut s, key(c));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(10),
        |s| { matches!(s.playground.check, Some((_, Ok(n))) if n > 0) }
    ));
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(s.prompt.is_none());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("saved as example"),
        "{:?}",
        s.message
    );
    let check = Store::open(&ws).unwrap();
    let (q, sql, source, split): (String, String, String, String) = check
        .conn()
        .query_row(
            "SELECT question, gold_sql, source, split FROM examples WHERE source = 'playground'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(q, "Which pets are dogs?");
    assert_eq!(sql, "SELECT name FROM pets WHERE species = 'dog'");
    assert_eq!((source.as_str(), split.as_str()), ("playground", "train"));
    // Its provenance names the model whose SQL was corrected.
    let prov: String = check
        .conn()
        .query_row(
            "SELECT provenance FROM examples WHERE source = 'playground'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let prov: serde_json::Value = serde_json::from_str(&prov).unwrap();
    assert!(
        prov["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("local:")),
        "{prov}"
    );
    assert!(prov.get("model_sql").is_some(), "{prov}");
    // Saving the same again says so, and inserts nothing.
    assert_eq!(
        bg::save_example(
            &check,
            "vet",
            "Which pets are dogs?",
            &sql,
            false,
            Some(("local:runs/1/ckpt", "SELECT 1"))
        )
        .map(|r| r.1),
        Ok(false)
    );
    assert!(bg::save_example(&check, "vet", "x", "SELECT 1 WHERE 0", false, None).is_err());
}

/// A tiny random checkpoint (byte tokenizer), as `tests/it/serve.rs` makes one.
fn tiny_checkpoint(dir: &Path) -> PathBuf {
    use crate::train::checkpoint::{save, CheckpointMeta};
    use crate::train::config::ModelConfig;
    use crate::train::model::Model;
    use crate::train::tokenizer::Tokenizer;
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len: 4096,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    let ckpt = dir.join("ckpt");
    save(
        &ckpt,
        &model,
        &Tokenizer::Byte,
        &CheckpointMeta::new(&cfg, &Tokenizer::Byte, 0, None, Some("sft")),
        None,
    )
    .unwrap();
    ckpt
}

#[test]
fn playground_generates_and_samples_with_a_local_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let ckpt = tiny_checkpoint(dir.path());
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key('5'));
    rt.dispatch(&mut s, key('t'));
    rt.dispatch(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    for c in ckpt.display().to_string().chars() {
        rt.dispatch(&mut s, key(c));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert_eq!(
        s.playground.source(),
        Some(&ModelSource::Checkpoint(ckpt.clone()))
    );
    rt.dispatch(&mut s, key('i'));
    for c in "How many pets?".chars() {
        rt.dispatch(&mut s, key(c));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    assert!(s.playground.running.is_some());
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(120),
        |s| { s.playground.running.is_none() && !matches!(s.playground.grid, Pane::Loading) }
    ));
    assert_eq!(s.playground.error, None);
    let g = s.playground.generation.clone().expect("a generation");
    assert!(g.model.starts_with("local:"), "{}", g.model);
    assert!(g.wall_ms > 0.0 && g.latency_ms > 0.0);
    // A random model writes no valid SQL: the grid shows why, it does not crash.
    assert!(matches!(
        s.playground.grid,
        Pane::Failed(_) | Pane::Ready(_)
    ));
    update(&mut s, key('-'));
    update(&mut s, key('-'));
    assert_eq!(s.playground.k, 2);
    rt.dispatch(&mut s, key('s'));
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(120),
        |s| { s.playground.running.is_none() }
    ));
    let n: usize = s.playground.alternatives.iter().map(|g| g.count).sum();
    assert_eq!(n, 2, "{:?}", s.playground);
}

#[test]
fn alternatives_group_by_result() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vet.sqlite");
    make_db(&db, "");
    let g = |t: &str| crate::llm::generator::Generated {
        text: t.into(),
        latency_ms: 1.0,
    };
    let groups = bg::group_alternatives(
        &db,
        vec![
            g("```sql\nSELECT name FROM pets WHERE age > 3\n```"),
            g("SELECT name FROM pets WHERE age >= 4"),
            g("SELECT name FROM pets WHERE age > 3"),
            g("SELECT nope FROM pets"),
            g("SELECT name FROM pets"),
        ],
        Some("SELECT name FROM pets WHERE age > 3".into()),
    )
    .unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[0].count, 3);
    assert!(groups[0].with_main);
    assert_eq!(
        groups[0].sqls,
        vec![
            ("SELECT name FROM pets WHERE age > 3".to_string(), 2),
            ("SELECT name FROM pets WHERE age >= 4".to_string(), 1)
        ]
    );
    assert_eq!(groups[0].outcome.as_ref().map(|o| o.1), Ok(3));
    assert_eq!(groups[1].outcome.as_ref().map(|o| o.1), Ok(6));
    assert!(!groups[1].with_main);
    assert!(groups[2].outcome.is_err(), "failures come last");
}

#[test]
fn sampling_job_records_candidates_and_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let ex = |q: &str, sql: &str| crate::store::NewExample {
        db_id: 1,
        question: q.into(),
        gold_sql: sql.into(),
        evidence: None,
        difficulty: None,
        split: "train".into(),
        source: "test".into(),
        provenance: serde_json::json!({}),
        exchange_id: None,
    };
    store
        .insert_examples(&[
            ex("How many pets?", "SELECT count(*) FROM pets"),
            ex(
                "Owners in Oslo.",
                "SELECT name FROM owners WHERE city = 'Oslo'",
            ),
            ex("Cats.", "SELECT name FROM pets WHERE species = 'cat'"),
        ])
        .unwrap();
    let ckpt = tiny_checkpoint(dir.path());
    let spec = JobSpec::Sample {
        source: ModelSource::Checkpoint(ckpt),
        db: Some("vet".into()),
        k: 2,
        temperature: 0.8,
        limit: Some(2),
        allow_dev: false,
    };
    let mut events = Vec::new();
    crate::jobs::run_job(store.path(), &spec, &AtomicBool::new(false), |e| {
        events.push(e)
    });
    let Some(JobEvent::Finished { status, message }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(status, "done", "{message}");
    assert!(events.iter().any(|e| matches!(
        e,
        JobEvent::Progress {
            done: 2,
            total: 2,
            ..
        }
    )));
    let job = store.job(1).unwrap();
    assert_eq!((job.kind.as_str(), job.status.as_str()), ("sample", "done"));
    assert_eq!((job.done, job.total), (2, 2));
    let candidates: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM candidates", [], |r| r.get(0))
        .unwrap();
    assert!(candidates <= 4, "{candidates}");
}

#[test]
fn jobs_of_a_dead_process_are_marked_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let mine = store.create_job("templates", 3, "").unwrap();
    let dead = store.create_job("sample", 3, "").unwrap();
    store
        .conn()
        .execute("UPDATE jobs SET pid = 999999999 WHERE id = ?1", [dead])
        .unwrap();
    assert_eq!(crate::jobs::reap_dead_jobs(&store), 1);
    assert_eq!(store.job(dead).unwrap().status, "failed");
    assert_eq!(store.job(mine).unwrap().status, "running");
}

#[test]
fn ask_starts_a_fresh_question() {
    let mut s = playground_state();
    s.playground.question = "How many dogs?".into();
    s.playground.generation = Some(Generation {
        sql: "SELECT count(*) FROM dogs".into(),
        raw: "SELECT count(*) FROM dogs".into(),
        latency_ms: 5.0,
        wall_ms: 6.0,
        model: "m".into(),
    });
    s.playground.shown_sql = Some("SELECT count(*) FROM dogs".into());
    s.playground.grid = Pane::Failed("x".into());
    update(&mut s, key('i'));
    let p = &s.playground;
    assert_eq!(p.question, "");
    assert!(p.generation.is_none() && p.shown_sql.is_none() && p.alternatives.is_empty());
    assert!(matches!(p.grid, Pane::Empty));
    let prompt = s.prompt.as_ref().unwrap();
    assert_eq!(prompt.kind, PromptKind::PgQuestion);
    assert_eq!(prompt.input.text, "", "the prompt starts empty");
    // While generating, a fresh question cancels the old generation.
    s.prompt = None;
    s.playground.running = Some((GenKind::One, 0));
    let fx = update(&mut s, key('i'));
    assert_eq!(fx, vec![Effect::Playground(PgEffect::Cancel)]);
    assert!(s.playground.running.is_none());
}

#[test]
fn temperature_and_token_limit_reach_the_generation_request() {
    let mut s = playground_state();
    s.playground.question = "How many dogs?".into();
    for _ in 0..3 {
        update(&mut s, key(']'));
    }
    update(&mut s, key('['));
    update(&mut s, key('}'));
    assert_eq!(s.playground.temperature, 0.2);
    assert_eq!(s.playground.max_tokens, 512);
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("temp 0.2 · 512 tok")));
    let screen = render(&s, 160, 48).backend().to_string();
    assert!(screen.contains("temp 0.2 · 512 tok"), "{screen}");
    let fx = update(&mut s, code(KeyCode::Enter));
    let Some(Effect::Playground(PgEffect::Generate(req))) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!((req.temperature, req.max_tokens), (0.2, 512));
    // Bounds: never below greedy, never past the largest limit.
    for _ in 0..5 {
        update(&mut s, key('['));
        update(&mut s, key('}'));
    }
    assert_eq!(s.playground.temperature, 0.0);
    assert_eq!(s.playground.max_tokens, 2048);
    // Greedy still samples with some randomness.
    s.playground.running = None;
    let fx = update(&mut s, key('s'));
    let Some(Effect::Playground(PgEffect::Generate(req))) = fx.first() else {
        panic!("{fx:?}")
    };
    assert!(req.temperature > 0.0);
    snap("playground_controls", &s);
}

#[test]
fn checkpoints_are_named_by_their_run_in_the_playground_and_the_jobs_menu() {
    let mut s = playground_state();
    let ck = "/work/ws/checkpoints/sft-20261125-100000-11/step-000013";
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Sources(vec![
            ModelSource::Checkpoint(PathBuf::from(ck)),
        ]))),
    );
    let run = crate::store::Run {
        id: 2,
        kind: "sft".into(),
        parent: None,
        config: "{}".into(),
        status: crate::store::RunStatus::Done,
        pid: None,
        step: 13,
        total_steps: 13,
        checkpoint: Some(ck.into()),
        message: String::new(),
        started_at: String::new(),
        ended_at: None,
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Runs(Ok(vec![run])))),
    );
    let screen = render(&s, 80, 24).backend().to_string();
    assert!(screen.contains("run #2 sft · step 13"), "{screen}");
    assert!(!screen.contains("/work/ws"), "{screen}");
    s.playground.generation = Some(Generation {
        sql: "SELECT 1".into(),
        raw: "SELECT 1".into(),
        latency_ms: 5.0,
        wall_ms: 6.0,
        model: ck.into(),
    });
    let screen = render(&s, 160, 48).backend().to_string();
    assert!(
        !screen.contains("/work/ws"),
        "the generation's model too: {screen}"
    );
    snap("playground_run_named", &s);
    let fx = update(&mut s, key('m'));
    assert!(fx.contains(&Effect::Playground(PgEffect::LoadRuns)));
    let screen = render(&s, 160, 48).backend().to_string();
    assert!(screen.contains("model: run #2 sft · step 13"), "{screen}");
}

#[test]
fn the_prompt_view_shows_the_prompt_generation_uses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vet.sqlite");
    make_db(&db, "");
    let prompt = bg::playground_prompt(&db, "How many dogs?", PromptFormat::Create).unwrap();
    assert!(
        prompt.contains("pets") && prompt.contains("How many dogs?"),
        "{prompt}"
    );
    let err = bg::playground_prompt(&dir.path().join("gone.sqlite"), "q", PromptFormat::Create)
        .unwrap_err();
    assert!(err.contains("gone.sqlite"), "says which database: {err}");

    let mut s = playground_state();
    update(&mut s, key('v'));
    assert!(s.playground.prompt_view.is_none(), "no question, no prompt");
    s.playground.question = "How many dogs?".into();
    let fx = update(&mut s, key('v'));
    assert_eq!(
        fx,
        vec![Effect::Playground(PgEffect::ShowPrompt {
            db: "vet".into(),
            question: "How many dogs?".into(),
            source: s.playground.source().cloned(),
        })]
    );
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Prompt(Ok(prompt.clone())))),
    );
    let screen = render(&s, 160, 48).backend().to_string();
    assert!(screen.contains("prompt the model gets"), "{screen}");
    assert!(screen.contains("How many dogs?"), "{screen}");
    snap("playground_prompt_view", &s);
    update(&mut s, code(KeyCode::Esc));
    assert!(s.playground.prompt_view.is_none());
}

#[test]
fn save_as_pair_rejects_the_models_sql_and_chooses_the_correction() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let model = "/ws/checkpoints/sft-1/step-000013";
    let fixed = "SELECT count(*) FROM pets WHERE species = 'dog'";
    let wrong = "SELECT count(*) FROM pets";
    let r = crate::tui::playground_save::save_pair(
        &store,
        "vet",
        "How many dogs?",
        fixed,
        model,
        wrong,
        false,
    )
    .unwrap();
    assert!(r.new_example);
    let pair = store.pair(r.pair_id.expect("a pair")).unwrap();
    assert_eq!(pair.chosen_sql, fixed);
    assert_eq!(pair.rejected_sql, wrong);
    assert_eq!(pair.question, "How many dogs?");
    let cands = store.candidates_for(r.example_id).unwrap();
    assert_eq!(cands.len(), 1);
    assert_eq!(cands[0].model, model, "the model's provenance");
    // A model SQL with the corrected result makes no pair; the same text is refused.
    let r2 = crate::tui::playground_save::save_pair(
        &store,
        "vet",
        "How many dogs?",
        fixed,
        model,
        "SELECT count(*) FROM pets WHERE 'dog' = species",
        false,
    )
    .unwrap();
    assert_eq!((r2.new_example, r2.pair_id), (false, None));
    assert_eq!(r2.verdict, "correct");
    let err = crate::tui::playground_save::save_pair(
        &store,
        "vet",
        "How many dogs?",
        fixed,
        model,
        fixed,
        false,
    )
    .unwrap_err();
    assert!(err.contains("the model's"), "{err}");
}

#[test]
fn save_as_pair_goes_through_the_checked_prompt_and_confirms_dev() {
    let mut s = playground_state();
    s.databases_list[0].split = "dev".into();
    update(&mut s, key('p'));
    assert!(s.prompt.is_none(), "nothing generated yet");
    s.playground.question = "How many dogs?".into();
    s.playground.generation = Some(Generation {
        sql: "SELECT count(*) FROM pets".into(),
        raw: "SELECT count(*) FROM pets".into(),
        latency_ms: 5.0,
        wall_ms: 6.0,
        model: "ck".into(),
    });
    update(&mut s, key('p'));
    assert!(s.playground.saving_pair);
    assert_eq!(s.prompt.as_ref().unwrap().kind, PromptKind::PgSql);
    let fixed = "SELECT count(*) FROM pets WHERE species = 'dog'";
    s.prompt = Some(crate::tui::state::Prompt::new(PromptKind::PgSql, fixed));
    s.playground.check = Some((fixed.into(), Ok(1)));
    let screen = render(&s, 160, 48).backend().to_string();
    assert!(screen.contains("chosen SQL of a pair"), "{screen}");
    // A held-out database: the first enter asks, the second saves.
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.text.contains("held-out")));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Playground(PgEffect::SavePair {
            db: "vet".into(),
            question: "How many dogs?".into(),
            sql: fixed.into(),
            model: "ck".into(),
            model_sql: "SELECT count(*) FROM pets".into(),
            allow_dev: true,
        })]
    );
    let saved = crate::tui::playground_save::PairSaved {
        example_id: 7,
        new_example: true,
        pair_id: Some(3),
        verdict: "wrong".into(),
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::PairSaved(Ok(saved)))),
    );
    let m = s.message.as_ref().unwrap();
    assert!(
        m.text.contains("pair #3") && m.text.contains("example #7"),
        "{}",
        m.text
    );
    assert!(!s.playground.saving_pair);
}

#[test]
fn the_prompt_view_scrolls_to_the_question() {
    let mut s = playground_state();
    s.playground.question = "How many dogs?".into();
    update(&mut s, key('v'));
    let long: String = (1..=60)
        .map(|i| format!("-- line {i}\n"))
        .collect::<String>()
        + "How many dogs?";
    update(
        &mut s,
        Action::Loaded(Loaded::Playground(PgLoaded::Prompt(Ok(long)))),
    );
    let screen = render(&s, 80, 24).backend().to_string();
    assert!(
        screen.contains("-- line 1 ") && !screen.contains("-- line 60"),
        "{screen}"
    );
    for _ in 0..100 {
        update(&mut s, key('J'));
    }
    let screen = render(&s, 80, 24).backend().to_string();
    assert!(screen.contains("-- line 60"), "{screen}");
    assert!(!screen.contains("-- line 1 "), "{screen}");
    update(&mut s, code(KeyCode::Esc));
    assert!(s.playground.prompt_view.is_none());
}

#[test]
fn a_checkpoints_load_warning_shows_in_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path(), 1);
    let ckpt = tiny_checkpoint(dir.path());
    // As a newer sense would have written it: a prompt version this one does not know.
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ckpt.join("config.json")).unwrap()).unwrap();
    meta["prompt_version"] = 99.into();
    std::fs::write(ckpt.join("config.json"), meta.to_string()).unwrap();
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key('5'));
    rt.dispatch(&mut s, key('t'));
    rt.dispatch(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    for c in ckpt.display().to_string().chars() {
        rt.dispatch(&mut s, key(c));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.dispatch(&mut s, key('i'));
    for c in "How many pets?".chars() {
        rt.dispatch(&mut s, key(c));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    let warned = |s: &State| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("prompt version 99"))
    };
    assert!(pump(
        &mut rt,
        &mut s,
        &mut rx,
        Duration::from_secs(120),
        |s| { s.playground.running.is_none() && warned(s) }
    ));
    let m = s.message.as_ref().unwrap();
    assert!(m.text.starts_with("warning: ") && !m.error, "{}", m.text);
    assert!(
        s.playground.generation.is_some(),
        "the model still generates"
    );
}

/// The Playground writes a checkpoint's prompt in the layout it was trained on (the recipe's
/// are compact), read from its config without loading it; endpoints get CREATE TABLE.
#[test]
fn the_playground_prompt_follows_the_checkpoints_layout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vet.sqlite");
    make_db(&db, "");
    let ck = dir.path().join("ck");
    std::fs::create_dir(&ck).unwrap();
    let config = |v: u32| {
        let text =
            format!(r#"{{"format": "sense-checkpoint", "version": 1, "prompt_version": {v}}}"#);
        std::fs::write(ck.join("config.json"), text).unwrap();
    };
    config(2);
    let src = ModelSource::Checkpoint(ck.clone());
    assert_eq!(src.prompt_format(), PromptFormat::Compact);
    let p = bg::playground_prompt(&db, "How many dogs?", src.prompt_format()).unwrap();
    assert!(!p.contains("CREATE TABLE") && p.contains("pets("), "{p}");
    config(1);
    assert_eq!(src.prompt_format(), PromptFormat::Create);
    let endpoint = ModelSource::Endpoint {
        url: "http://127.0.0.1:9/v1".into(),
        model: "m".into(),
    };
    assert_eq!(endpoint.prompt_format(), PromptFormat::Create);
}
