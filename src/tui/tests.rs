//! Tests of the workbench: `update` per screen, rendering into TestBackend (insta snapshots of
//! each screen empty / populated / error at 80x24 and 160x48), theme colours on cells, and
//! decisions reaching the store at the keypress.

use crate::exec::{Limits, Metric, Verdict};
use crate::store::{ExampleQuery, NewDatabase, NewExample, PairStatus, Store};
use crate::synth::weak::{CandidateInput, Judge};
use crate::tui::keymap::{Cmd, Keymap};
use crate::tui::runtime::Runtime;
use crate::tui::state::{update, Action, Effect, Loaded, Pane, PromptKind, Screen, Slot, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use crate::tui::widgets::grid::GridData;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

// ---- fixtures --------------------------------------------------------------------------

fn make_vet_db(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
         CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, species TEXT, age INTEGER,
                            owner_id INTEGER REFERENCES owners(id));
         INSERT INTO owners VALUES (1,'Ada','Oslo'),(2,'Bo','Lyon'),(3,'Cy','Oslo'),(4,'Dee','Kyoto');
         INSERT INTO pets VALUES (1,'Rex','dog',5,1),(2,'Tom','cat',2,1),(3,'Kiwi','bird',1,2),
           (4,'Fido','dog',3,3),(5,'Mia','cat',7,4),(6,'Ola','dog',4,2);",
    )
    .unwrap();
}

/// A small workspace: one database, four questions, one correct and three wrong candidates
/// (three pending pairs).
fn fixture(dir: &Path) -> Store {
    if dir.join("ws.db").exists() {
        return Store::open(&dir.join("ws.db")).unwrap();
    }
    let db = dir.join("vet.sqlite");
    make_vet_db(&db);
    let store = Store::open(&dir.join("ws.db")).unwrap();
    let db_id = store
        .upsert_database(&NewDatabase {
            name: "vet".into(),
            domain: "veterinary".into(),
            source: "test".into(),
            path: db,
            fingerprint: String::new(),
        })
        .unwrap();
    let ex = |q: &str, sql: &str, level: &str, split: &str| NewExample {
        db_id,
        question: q.into(),
        gold_sql: sql.into(),
        evidence: None,
        difficulty: Some(level.into()),
        split: split.into(),
        source: "test".into(),
        provenance: serde_json::json!({}),
        exchange_id: None,
    };
    store
        .insert_examples(&[
            ex(
                "How many pets are there?",
                "SELECT count(*) FROM pets",
                "easy",
                "dev",
            ),
            ex(
                "Names of pets older than 3.",
                "SELECT name FROM pets WHERE age > 3",
                "medium",
                "dev",
            ),
            ex(
                "Owners who live in Oslo.",
                "SELECT name FROM owners WHERE city = 'Oslo'",
                "easy",
                "train",
            ),
            ex(
                "Number of pets per species, most common first.",
                "SELECT species, count(*) FROM pets GROUP BY species ORDER BY count(*) DESC",
                "hard",
                "train",
            ),
        ])
        .unwrap();
    let mut judge = Judge::new(Metric::spider(), Limits::default());
    for (example_id, sql) in [
        (1, "SELECT count(id) FROM pets"),
        (2, "SELECT name FROM pets WHERE age >= 3"),
        (3, "SELECT name FROM owner WHERE city = 'Oslo'"),
        (
            4,
            "SELECT species, count(*) FROM pets GROUP BY species ORDER BY species",
        ),
    ] {
        judge
            .record(
                &store,
                "weak-test",
                &CandidateInput {
                    example_id,
                    sql: sql.into(),
                },
                Some(1.0),
            )
            .unwrap();
    }
    assert_eq!(store.counts().unwrap().pending, 3);
    store
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn new_state() -> State {
    State::new("test.db", Theme::default(), Keymap::default())
}

/// Zeroes timings so rendered frames are the same on every run.
fn steady(s: &mut State) {
    for pane in [
        &mut s.review.chosen,
        &mut s.review.rejected,
        &mut s.questions.gold,
        &mut s.databases.grid,
    ] {
        if let Pane::Ready(g) = pane {
            g.elapsed_ms = 0.0;
        }
    }
}

/// A loaded workbench on the fixture, with every background result applied.
fn loaded_rx(dir: &Path, screen: char) -> (Runtime, State, UnboundedReceiver<Action>) {
    let store = fixture(dir);
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.dispatch(&mut s, key(screen));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    steady(&mut s);
    (rt, s, rx)
}

fn loaded(dir: &Path, screen: char) -> (Runtime, State) {
    let (rt, s, _) = loaded_rx(dir, screen);
    (rt, s)
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

fn text_of(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

// ---- global ----------------------------------------------------------------------------

#[test]
fn screens_switch_with_numbers_and_tab() {
    let mut s = new_state();
    assert_eq!(s.screen, Screen::Review);
    update(&mut s, key('1'));
    assert_eq!(s.screen, Screen::Databases);
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.screen, Screen::Questions);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(s.screen, Screen::Databases);
    update(&mut s, key('5'));
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.screen, Screen::Databases, "tab wraps around");
    update(&mut s, key('4'));
    assert_eq!(s.screen, Screen::Runs);
}

#[test]
fn help_toggles_and_any_key_closes_it() {
    let mut s = new_state();
    update(&mut s, key('?'));
    assert!(s.help);
    let fx = update(&mut s, key('a'));
    assert!(!s.help);
    assert!(fx.is_empty(), "the key that closes help does nothing else");
    update(&mut s, key('q'));
    assert!(s.quit);
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut s = State::new(
        "test.db",
        Theme::default(),
        Keymap::with_overrides("keys.toml", "[review]\naccept = [\"y\"]\n").unwrap(),
    );
    s.help = true;
    let out = text_of(&render(&s, 160, 48));
    let has = |keys: &str, help: &str| {
        out.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.join(" ").contains(&format!("│ {keys} {help}"))
        })
    };
    assert!(has("y", "accept the pair"), "{out}");
    assert!(!has("a", "accept the pair"), "{out}");
    assert!(out.contains("Movement"));
    let out = text_of(&render(&s, 80, 24));
    assert!(out.contains("accept the pair"), "help fits at 80x24 too");
}

#[test]
fn too_small_terminal_says_so() {
    let s = new_state();
    let out = text_of(&render(&s, 60, 20));
    assert!(out.contains("terminal too small"));
    assert!(out.contains("60x20"));
    insta::assert_snapshot!("too_small_60x20", out);
}

#[test]
fn mouse_wheel_scrolls_lists_and_review_grids() {
    let mut s = new_state();
    s.screen = Screen::Questions;
    update(
        &mut s,
        Action::Loaded(Loaded::QuestionIds(
            ExampleQuery::default(),
            Ok(vec![1, 2, 3, 4, 5]),
        )),
    );
    let fx = update(&mut s, Action::Scroll(3));
    assert_eq!(s.questions.cursor, 3);
    assert_eq!(fx.last(), Some(&Effect::LoadQuestion(4)));
    update(&mut s, Action::Scroll(-3));
    assert_eq!(s.questions.cursor, 0);
    s.screen = Screen::Review;
    update(&mut s, Action::Loaded(Loaded::Queue(vec![1, 2, 3])));
    let rows: Vec<Vec<String>> = (0..10).map(|i| vec![i.to_string()]).collect();
    s.review.chosen = Pane::Ready(GridData::new(vec!["n".into()], rows, 0.0));
    update(&mut s, Action::Scroll(3));
    assert_eq!((s.review.cursor, s.review.grid_row), (0, 3));
    for _ in 0..5 {
        update(&mut s, Action::Scroll(3));
    }
    assert_eq!(s.review.grid_row, 9, "scrolling stops at the last row");
}

// ---- review: update --------------------------------------------------------------------

fn sample_pair(id: i64) -> crate::store::Pair {
    crate::store::Pair {
        id,
        example_id: 10 + id,
        db_name: "vet".into(),
        question: format!("question {id}"),
        gold_sql: "SELECT 1".into(),
        chosen_sql: "SELECT 1".into(),
        rejected_id: 100 + id,
        rejected_sql: "SELECT 2".into(),
        status: PairStatus::Pending,
        note: String::new(),
        decided_at: None,
        reason: "values differ".into(),
        model: "weak".into(),
        split: "dev".into(),
        source: "sample".into(),
        metric: "spider".into(),
        ..Default::default()
    }
}

#[test]
fn review_loads_the_queue_then_the_first_pair() {
    let mut s = new_state();
    let fx = update(&mut s, Action::Loaded(Loaded::Queue(vec![4, 7, 9])));
    assert_eq!(fx, vec![Effect::LoadPair(4)]);
    let fx = update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(sample_pair(4)))));
    assert!(matches!(
        fx[0],
        Effect::RunSql {
            slot: Slot::ReviewChosen,
            ..
        }
    ));
    assert!(matches!(
        fx[1],
        Effect::RunSql {
            slot: Slot::ReviewRejected,
            ..
        }
    ));
    assert_eq!(fx[2], Effect::LoadSchema("vet".into()));
    assert_eq!(s.review.chosen, Pane::Loading);
    // A stale pair (the cursor moved on) is ignored.
    assert!(update(&mut s, Action::Loaded(Loaded::Pair(9, Ok(sample_pair(9))))).is_empty());
    assert_eq!(s.review.pair.as_ref().map(|p| p.id), Some(4));
}

#[test]
fn review_decisions_ask_the_store_and_advance_to_the_next_pending() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4, 7, 9])));
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(sample_pair(4)))));
    assert_eq!(
        update(&mut s, key('a')),
        vec![Effect::Decide(4, PairStatus::Accepted)]
    );
    // Nothing moves until the store says it is done.
    assert_eq!(s.review.cursor, 0);
    let mut p = sample_pair(4);
    p.status = PairStatus::Accepted;
    let fx = update(&mut s, Action::Loaded(Loaded::Decided(Ok(p))));
    assert_eq!(fx, vec![Effect::LoadCounts, Effect::LoadPair(7)]);
    assert_eq!(s.review.cursor, 1);
    assert_eq!(
        update(&mut s, key('r')),
        vec![Effect::Decide(7, PairStatus::Rejected)]
    );
    assert_eq!(
        update(&mut s, key('s')),
        vec![Effect::Decide(7, PairStatus::Skipped)]
    );
    // Decided pairs are passed over: after 9 comes nothing pending but... 7 is still pending.
    update(&mut s, key('j'));
    let mut p9 = sample_pair(9);
    p9.status = PairStatus::Rejected;
    let fx = update(&mut s, Action::Loaded(Loaded::Decided(Ok(p9))));
    assert_eq!(fx, vec![Effect::LoadCounts, Effect::LoadPair(7)]);
    assert_eq!(s.review.cursor, 1);
}

#[test]
fn review_picks_up_pairs_added_elsewhere_once_its_queue_is_done() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4])));
    let counts = |pending| crate::store::Counts {
        pending,
        pairs: 5,
        ..Default::default()
    };
    assert!(update(&mut s, Action::Loaded(Loaded::Counts(counts(3)))).is_empty());
    let mut p = sample_pair(4);
    p.status = PairStatus::Accepted;
    update(&mut s, Action::Loaded(Loaded::Decided(Ok(p))));
    assert!(update(&mut s, Action::Loaded(Loaded::Counts(counts(0)))).is_empty());
    assert_eq!(
        update(&mut s, Action::Loaded(Loaded::Counts(counts(2)))),
        vec![Effect::LoadQueue(crate::store::PairQuery::pending())]
    );
}

#[test]
fn review_undo_brings_a_pair_back_into_the_queue() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4, 9])));
    assert_eq!(update(&mut s, key('u')), vec![Effect::Undo]);
    let fx = update(
        &mut s,
        Action::Loaded(Loaded::Undone(Ok(Some(sample_pair(7))))),
    );
    assert_eq!(s.review.queue, vec![4, 7, 9]);
    assert_eq!(s.review.cursor, 1);
    assert_eq!(fx, vec![Effect::LoadCounts, Effect::LoadPair(7)]);
    update(&mut s, Action::Loaded(Loaded::Undone(Ok(None))));
    assert_eq!(
        s.message.as_ref().map(|m| m.text.as_str()),
        Some("nothing to undo")
    );
}

#[test]
fn review_note_prompt_saves_on_enter() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4])));
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(sample_pair(4)))));
    update(&mut s, key('n'));
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::Note { pair_id: 4 })
    ));
    for c in "ok?".chars() {
        // Keys go to the prompt, not the keymap: 'q' does not quit here.
        update(&mut s, key(c));
    }
    update(&mut s, key('q'));
    assert!(!s.quit);
    update(&mut s, code(KeyCode::Backspace));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::SetNote(4, "ok?".into())]);
    assert!(s.prompt.is_none());
}

#[test]
fn review_edit_must_be_judged_correct_before_it_saves() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4])));
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(sample_pair(4)))));
    update(&mut s, key('e'));
    assert_eq!(
        s.prompt.as_ref().map(|p| p.input.text.as_str()),
        Some("SELECT 1")
    );
    update(&mut s, code(KeyCode::End));
    update(&mut s, key('0'));
    let fx = update(&mut s, code(KeyCode::Enter));
    let Effect::Judge {
        token,
        example_id,
        sql,
    } = fx[0].clone()
    else {
        panic!("expected a judge effect, got {fx:?}");
    };
    assert_eq!((example_id, sql.as_str()), (14, "SELECT 10"));
    let wrong = Verdict::Wrong {
        reason: crate::exec::Reason::ValuesDiffer,
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Judged {
            token,
            sql: sql.clone(),
            verdict: Ok(wrong),
        }),
    );
    // Wrong: enter judges again instead of saving.
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(fx[0], Effect::Judge { .. }));
    let token = s.review.token;
    update(&mut s, code(KeyCode::Backspace));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(fx[0], Effect::Judge { .. }),
        "changed text is judged again"
    );
    let token2 = s.review.token;
    assert!(token2 > token);
    update(
        &mut s,
        Action::Loaded(Loaded::Judged {
            token: token2,
            sql: "SELECT 1".into(),
            verdict: Ok(Verdict::Correct),
        }),
    );
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::SaveChosen(4, "SELECT 1".into())]);
}

#[test]
fn review_results_of_an_old_token_are_dropped() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4, 7])));
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(sample_pair(4)))));
    let old = s.review.token;
    update(&mut s, key('j'));
    update(&mut s, Action::Loaded(Loaded::Pair(7, Ok(sample_pair(7)))));
    let grid = GridData::new(vec!["x".into()], vec![vec!["1".into()]], 0.0);
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::ReviewChosen,
            token: old,
            result: Ok(grid.clone()),
        }),
    );
    assert_eq!(s.review.chosen, Pane::Loading);
    let now = s.review.token;
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::ReviewChosen,
            token: now,
            result: Ok(grid.clone()),
        }),
    );
    assert_eq!(s.review.chosen, Pane::Ready(grid));
}

// ---- review: the store -----------------------------------------------------------------

#[test]
fn a_decision_is_in_the_store_right_after_the_keypress() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = loaded(dir.path(), '3');
    let first = s.review.current().unwrap();
    rt.dispatch(&mut s, key('a'));
    // Another connection (another process, or the file after a kill -9) sees it.
    let other = Store::open(&dir.path().join("ws.db")).unwrap();
    assert_eq!(other.pair(first).unwrap().status, PairStatus::Accepted);
    let second = s.review.current().unwrap();
    assert_ne!(first, second);
    rt.dispatch(&mut s, key('r'));
    assert_eq!(other.pair(second).unwrap().status, PairStatus::Rejected);
    rt.dispatch(&mut s, key('u'));
    assert_eq!(other.pair(second).unwrap().status, PairStatus::Pending);
    assert_eq!(s.review.current(), Some(second));
    drop(rt);
    // Reopening resumes at the first pending pair.
    let (_rt, s2) = loaded(dir.path(), '3');
    assert_eq!(s2.review.current(), Some(second));
    assert_eq!(other.counts().unwrap().accepted, 1);
}

// ---- questions: update -----------------------------------------------------------------

#[test]
fn questions_filters_cycle_and_reload_ids() {
    let mut s = new_state();
    s.screen = Screen::Questions;
    s.questions.facets.splits = vec!["dev".into(), "train".into()];
    let q = |split: Option<&str>| ExampleQuery {
        split: split.map(String::from),
        ..Default::default()
    };
    assert_eq!(
        update(&mut s, key('p')),
        vec![Effect::LoadQuestionIds(q(Some("dev")))]
    );
    assert_eq!(
        update(&mut s, key('p')),
        vec![Effect::LoadQuestionIds(q(Some("train")))]
    );
    assert_eq!(
        update(&mut s, key('p')),
        vec![Effect::LoadQuestionIds(q(None))]
    );
    let fx = update(&mut s, key('w'));
    assert_eq!(
        fx,
        vec![Effect::LoadQuestionIds(ExampleQuery {
            wrong_only: true,
            ..Default::default()
        })]
    );
    // A result for an older query is ignored.
    update(
        &mut s,
        Action::Loaded(Loaded::QuestionIds(q(None), Ok(vec![1, 2]))),
    );
    assert!(s.questions.ids.is_empty());
    let fx = update(&mut s, code(KeyCode::Esc));
    assert_eq!(fx, vec![Effect::LoadQuestionIds(ExampleQuery::default())]);
}

#[test]
fn questions_follow_the_cursor_with_rows_and_detail() {
    let mut s = new_state();
    s.screen = Screen::Questions;
    let ids: Vec<i64> = (1..=1000).collect();
    let fx = update(
        &mut s,
        Action::Loaded(Loaded::QuestionIds(ExampleQuery::default(), Ok(ids))),
    );
    let Effect::LoadQuestionRows(rows) = &fx[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(rows.len(), 150, "only a window of rows is read");
    assert_eq!(fx[1], Effect::LoadQuestion(1));
    let fx = update(&mut s, key('j'));
    assert_eq!(fx.last(), Some(&Effect::LoadQuestion(2)));
    let fx = update(&mut s, key('G'));
    assert!(matches!(&fx[0], Effect::LoadQuestionRows(r) if r.contains(&1000)));
    assert_eq!(s.questions.cursor, 999);
}

#[test]
fn a_questions_provenance_is_put_in_words_when_its_detail_loads() {
    let mut s = new_state();
    s.screen = Screen::Questions;
    update(
        &mut s,
        Action::Loaded(Loaded::QuestionIds(ExampleQuery::default(), Ok(vec![7]))),
    );
    let ex = crate::store::Example {
        id: 7,
        db_id: 1,
        db_name: "vet".into(),
        question: "How many pets?".into(),
        gold_sql: "SELECT count(*) FROM pets".into(),
        evidence: None,
        difficulty: None,
        split: "train".into(),
        source: "template".into(),
        exchange_id: None,
        wrong_candidates: 0,
        provenance: r#"{"template": "count_all", "seed": 42, "model": null, "note": ""}"#.into(),
    };
    update(
        &mut s,
        Action::Loaded(Loaded::Question(7, Ok((ex, Vec::new())))),
    );
    assert_eq!(
        s.questions.detail_provenance,
        "seed 42 · template count_all"
    );
    let text = render(&s, 160, 48).backend().to_string();
    assert!(
        text.contains("vet · train · – · template · seed 42 · template count_all"),
        "{text}"
    );
}

#[test]
fn questions_search_prompt_searches_as_you_type() {
    let mut s = new_state();
    s.screen = Screen::Questions;
    update(&mut s, key('/'));
    let fx = update(&mut s, key('o'));
    assert_eq!(
        fx,
        vec![Effect::LoadQuestionIds(ExampleQuery {
            search: "o".into(),
            ..Default::default()
        })]
    );
    update(&mut s, code(KeyCode::Enter));
    assert!(s.prompt.is_none());
    assert_eq!(s.questions.query.search, "o");
}

// ---- databases: update -----------------------------------------------------------------

#[test]
fn databases_tree_expands_and_previews_the_selected_table() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = loaded(dir.path(), '1');
    assert_eq!(
        crate::tui::screens::databases::visible_rows(&s.databases, &s.databases_list, &s.schemas)
            .len(),
        1
    );
    let fx = update(&mut s, key('l'));
    assert!(fx.is_empty());
    assert_eq!(
        crate::tui::screens::databases::visible_rows(&s.databases, &s.databases_list, &s.schemas)
            .len(),
        3
    );
    let fx = update(&mut s, key('j'));
    let Effect::RunSql { slot, sql, .. } = &fx[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(*slot, Slot::TablePreview);
    assert_eq!(sql, "SELECT * FROM \"owners\" LIMIT 1000");
    for e in fx {
        rt.perform(e);
    }
    update(&mut s, key('l'));
    assert_eq!(
        crate::tui::screens::databases::visible_rows(&s.databases, &s.databases_list, &s.schemas)
            .len(),
        6
    );
    update(&mut s, key('j'));
    update(&mut s, key('h'));
    assert_eq!(
        s.databases.cursor, 1,
        "collapse on a column goes to its table"
    );
    update(&mut s, key('h'));
    assert_eq!(
        crate::tui::screens::databases::visible_rows(&s.databases, &s.databases_list, &s.schemas)
            .len(),
        3
    );
    update(&mut s, Action::Cmd(Cmd::Filter));
    for c in "spec".chars() {
        update(&mut s, key(c));
    }
    let labels: Vec<String> =
        crate::tui::screens::databases::visible_rows(&s.databases, &s.databases_list, &s.schemas)
            .into_iter()
            .map(|r| r.label)
            .collect();
    assert_eq!(labels, vec!["vet", "pets", "species"]);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.databases.filter, "");
}

// ---- rendering -------------------------------------------------------------------------

#[test]
fn snapshots_populated() {
    let dir = tempfile::tempdir().unwrap();
    for (c, name) in [
        ('1', "databases"),
        ('2', "questions"),
        ('3', "review"),
        ('4', "runs"),
        ('5', "playground"),
    ] {
        let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), c);
        if c == '1' {
            // Open the database and select its first table so the grid shows rows.
            rt.dispatch(&mut s, key('l'));
            rt.dispatch(&mut s, key('j'));
            rt.dispatch(&mut s, key('l'));
            rt.settle(&mut s, &mut rx, Duration::from_secs(10));
            steady(&mut s);
        }
        snap(&format!("{name}_populated"), &s);
        drop(rt);
        std::fs::remove_dir_all(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
    }
}

#[test]
fn snapshots_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("empty.db")).unwrap();
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    for (c, name) in [('1', "databases"), ('2', "questions"), ('3', "review")] {
        rt.dispatch(&mut s, key(c));
        rt.settle(&mut s, &mut rx, Duration::from_secs(5));
        snap(&format!("{name}_empty"), &s);
    }
}

#[test]
fn snapshots_error() {
    let mut s = new_state();
    s.screen = Screen::Databases;
    s.databases.error = Some("workspace database error: disk I/O error".into());
    snap("databases_error", &s);

    let mut s = new_state();
    s.screen = Screen::Questions;
    update(
        &mut s,
        Action::Loaded(Loaded::QuestionIds(
            ExampleQuery::default(),
            Err("workspace database error: no such table: examples".into()),
        )),
    );
    snap("questions_error", &s);

    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![3])));
    update(
        &mut s,
        Action::Loaded(Loaded::Pair(3, Err("not found: pair #3".into()))),
    );
    s.error("not found: pair #3");
    snap("review_error", &s);

    // A pair whose SQL failed: the reason and the error text are shown in the panes.
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![3])));
    let mut p = sample_pair(3);
    p.rejected_sql = "SELECT nme FROM pets".into();
    p.reason = "error: no such column: nme".into();
    update(&mut s, Action::Loaded(Loaded::Pair(3, Ok(p))));
    update(
        &mut s,
        Action::Loaded(Loaded::Schema(
            "vet".into(),
            Err("cannot read schema of vet.sqlite: no such file".into()),
        )),
    );
    let t = s.review.token;
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::ReviewChosen,
            token: t,
            result: Ok(GridData::new(vec!["1".into()], vec![vec!["1".into()]], 0.0)),
        }),
    );
    update(
        &mut s,
        Action::Loaded(Loaded::Sql {
            slot: Slot::ReviewRejected,
            token: t,
            result: Err("no such column: nme".into()),
        }),
    );
    snap("review_sql_error", &s);
}

#[test]
fn review_diff_uses_the_theme_roles() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["dark", "light", "high-contrast"] {
        let (_rt, mut s) = loaded(dir.path(), '3');
        s.theme = Theme::shipped(name).unwrap();
        // The first pending pair: `age > 3` (chosen) against `age >= 3` (rejected).
        assert_eq!(
            s.review.pair.as_ref().unwrap().rejected_sql,
            "SELECT name FROM pets WHERE age >= 3"
        );
        let t = render(&s, 160, 48);
        let buf = t.backend().buffer();
        let find = |needle: &str, from_x: u16| -> (u16, u16) {
            let want: Vec<String> = needle.chars().map(|c| c.to_string()).collect();
            for y in 0..buf.area.height {
                let cells: Vec<String> = (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect();
                for x in from_x as usize..cells.len().saturating_sub(want.len()) {
                    if cells[x..x + want.len()] == want[..] {
                        return (x as u16, y);
                    }
                }
            }
            panic!("{needle} not found");
        };
        let (x, y) = find(">=", 80);
        assert_eq!(buf[(x, y)].fg, s.theme.diff_removed, "theme {name}");
        let (x, y) = find("WHERE", 80);
        assert_eq!(buf[(x, y)].fg, s.theme.keyword, "theme {name}");
        let (x, y) = find(" > ", 0);
        assert_eq!(buf[(x + 1, y)].fg, s.theme.diff_added, "theme {name}");
        std::fs::remove_dir_all(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
    }
}

#[test]
fn snapshots_help_and_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rt, mut s) = loaded(dir.path(), '3');
    rt.dispatch(&mut s, key('?'));
    snap("review_help", &s);
    rt.dispatch(&mut s, key('x'));
    assert!(!s.help);
    rt.dispatch(&mut s, key('n'));
    for c in "rejected SQL is close".chars() {
        rt.dispatch(&mut s, key(c));
    }
    snap("review_note_prompt", &s);
    rt.dispatch(&mut s, code(KeyCode::Enter));
    let other = Store::open(&dir.path().join("ws.db")).unwrap();
    let id = s.review.current().unwrap();
    assert_eq!(other.pair(id).unwrap().note, "rejected SQL is close");
}

#[test]
fn synthetic_workspace_opens_with_its_whole_queue() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::tui::bench::synthetic_workspace(dir.path(), 500).unwrap();
    let c = store.counts().unwrap();
    assert_eq!((c.examples, c.pairs, c.pending), (500, 500, 500));
    let (mut rt, mut rx) = Runtime::new(store);
    let mut s = new_state();
    rt.start(&mut s);
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.review.queue.len(), 500);
    assert_eq!(s.questions.ids.len(), 500);
    assert!(s.questions.rows.len() <= 150, "rows are read per window");
    assert!(matches!(s.review.rejected, Pane::Ready(_)));
}

// ---- trustworthy pairs: flags, rule toggle, gold correction ---------------------------

/// The fixture plus a question whose gold uses DISTINCT and a GROUP BY answer: the Spider
/// rule calls it wrong, the SQL as written is right.
fn disputed_fixture(dir: &Path) -> i64 {
    let store = fixture(dir);
    store
        .insert_examples(&[NewExample {
            db_id: 1,
            question: "Which species are there?".into(),
            gold_sql: "SELECT DISTINCT species FROM pets".into(),
            evidence: None,
            difficulty: Some("easy".into()),
            split: "train".into(),
            source: "test".into(),
            provenance: serde_json::json!({}),
            exchange_id: None,
        }])
        .unwrap();
    let mut judge = Judge::new(Metric::spider(), Limits::default());
    let r = judge
        .record(
            &store,
            "weak-test",
            &CandidateInput {
                example_id: 5,
                sql: "SELECT species FROM pets GROUP BY species".into(),
            },
            None,
        )
        .unwrap();
    assert!(r.disputed);
    r.pair_id.unwrap()
}

#[test]
fn review_shows_a_disputed_pair_with_its_rule_and_toggles_the_grids() {
    let dir = tempfile::tempdir().unwrap();
    let pair = disputed_fixture(dir.path());
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '3');
    rt.dispatch(&mut s, key('G'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    steady(&mut s);
    assert_eq!(s.review.current(), Some(pair));
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains(
            "disputed [grouping] · spider rule says: row count differs: gold 6, predicted 3"
        ),
        "{out}"
    );
    assert!(
        out.contains("⚑ disputed: differs only because the Spider rule removes DISTINCT"),
        "{out}"
    );
    assert!(out.contains("vet [train]"), "{out}");
    // As written both grids have the same 3 rows.
    assert_eq!(
        (s.review.chosen.extent().0, s.review.rejected.extent().0),
        (3, 3)
    );
    s.message = None;
    snap("review_disputed", &s);
    // `t`: the grids as the Spider rule ran them (DISTINCT removed from the gold: 6 rows).
    rt.dispatch(&mut s, key('t'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    steady(&mut s);
    assert_eq!(s.review.chosen.extent().0, 6);
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains("chosen result as the spider rule ran it"),
        "{out}"
    );
    s.message = None;
    snap("review_disputed_as_rule", &s);
    rt.dispatch(&mut s, key('t'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.review.chosen.extent().0, 3);
}

#[test]
fn review_corrects_the_gold_withdraws_what_it_makes_correct_and_undoes_it() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '3');
    // The first pending pair: `age >= 3` against the gold's `age > 3`; say the model was right.
    let first = s.review.current().unwrap();
    let pair = rt.store().pair(first).unwrap();
    assert_eq!(pair.rejected_sql, "SELECT name FROM pets WHERE age >= 3");
    rt.dispatch(&mut s, key('E'));
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::EditGold { example_id: 2 })
    ));
    assert_eq!(
        s.prompt.as_ref().unwrap().input.text,
        "SELECT name FROM pets WHERE age > 3"
    );
    // A gold that fails: SQLite's message, nothing changes, the prompt stays.
    s.prompt.as_mut().unwrap().input = crate::tui::state::LineInput::new("SELECT nope FROM pets");
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let m = s.message.clone().unwrap();
    assert!(
        m.error && m.text.contains("no such column: nope"),
        "{}",
        m.text
    );
    assert!(s.prompt.is_some());
    assert_eq!(
        rt.store().gold_sql(2).unwrap(),
        "SELECT name FROM pets WHERE age > 3"
    );
    s.prompt.as_mut().unwrap().input =
        crate::tui::state::LineInput::new("SELECT name FROM pets WHERE age >= 3");
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert!(s.prompt.is_none());
    let m = s.message.clone().unwrap();
    assert!(m.text.contains("1 pair withdrawn"), "{}", m.text);
    assert_eq!(
        rt.store().pair(first).unwrap().status,
        PairStatus::Withdrawn
    );
    assert!(
        !s.review.queue.contains(&first),
        "withdrawn pairs leave the queue"
    );
    // u: the gold and the pair come back in one step.
    rt.dispatch(&mut s, key('u'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert!(s
        .message
        .clone()
        .unwrap()
        .text
        .contains("undone: gold correction"));
    assert_eq!(
        rt.store().gold_sql(2).unwrap(),
        "SELECT name FROM pets WHERE age > 3"
    );
    assert_eq!(rt.store().pair(first).unwrap().status, PairStatus::Pending);
    assert!(s.review.queue.contains(&first));
    assert_eq!(
        s.review.current(),
        Some(first),
        "the restored pair is shown"
    );
}

// ---- review at speed: filters, bulk decisions, row diff, guidelines -------------------

#[test]
fn review_filters_by_class_then_rejects_all_shown_and_undoes_it_as_one_step() {
    let dir = tempfile::tempdir().unwrap();
    disputed_fixture(dir.path());
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '3');
    assert_eq!(s.review.queue.len(), 4);
    // f opens the picker; the failure-class row lists what the store has.
    rt.dispatch(&mut s, key('f'));
    assert!(s.review.picker.open);
    for _ in 0..4 {
        rt.dispatch(&mut s, key('j'));
    }
    rt.dispatch(&mut s, code(KeyCode::Enter));
    let classes = crate::tui::screens::review_filter::values(&s.review.facets, 4);
    assert!(classes.contains(&Some("extra_rows".into())), "{classes:?}");
    let at = classes
        .iter()
        .position(|c| c.as_deref() == Some("extra_rows"))
        .unwrap();
    for _ in 0..at {
        rt.dispatch(&mut s, key('j'));
    }
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains("Filter pairs") && out.contains("extra_rows"),
        "{out}"
    );
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.review.filter.class.as_deref(), Some("extra_rows"));
    let shown = s.review.queue.clone();
    assert!(!shown.is_empty() && shown.len() < 4, "{shown:?}");
    steady(&mut s);
    s.message = None;
    snap("review_filter_picker", &s);
    rt.dispatch(&mut s, code(KeyCode::Esc));
    assert!(!s.review.picker.open);
    let out = text_of(&render(&s, 160, 48));
    assert!(out.contains("filter: pending · extra_rows"), "{out}");
    // R asks, naming how many; another key cancels; R then y rejects them all.
    rt.dispatch(&mut s, key('R'));
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains(&format!("reject all {} pair", shown.len())),
        "{out}"
    );
    steady(&mut s);
    snap("review_bulk_confirm", &s);
    rt.dispatch(&mut s, key('x'));
    assert_eq!(rt.store().counts().unwrap().rejected, 0);
    rt.dispatch(&mut s, key('R'));
    rt.dispatch(&mut s, key('y'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    for id in &shown {
        assert_eq!(rt.store().pair(*id).unwrap().status, PairStatus::Rejected);
    }
    assert_eq!(rt.store().counts().unwrap().pending, 4 - shown.len() as i64);
    // One u takes the whole batch back.
    rt.dispatch(&mut s, key('u'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(rt.store().counts().unwrap().pending, 4);
    assert!(s
        .message
        .clone()
        .unwrap()
        .text
        .contains("decided together are back"));
}

#[test]
fn review_marks_rows_only_one_side_has() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (_rt, s) = loaded(dir.path(), '3');
    // age > 3 (Rex 5, Mia 7, Ola 4) against age >= 3 (adds Fido 3).
    let (Pane::Ready(c), Pane::Ready(p)) = (&s.review.chosen, &s.review.rejected) else {
        panic!("both grids ready")
    };
    assert!(c.only_here.iter().all(|m| !m));
    let only: Vec<&Vec<String>> = p
        .rows
        .iter()
        .zip(&p.only_here)
        .filter(|(_, m)| **m)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(only, vec![&vec!["Fido".to_string()]]);
    assert!(text_of(&render(&s, 160, 48)).contains("1 only here"));
    // The marked row is drawn in the theme's "removed" style.
    let t = render(&s, 160, 48);
    let buf = t.backend().buffer();
    let fido = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .find(|&(x, y)| {
            buf[(x, y)].symbol() == "F"
                && buf[(x + 1, y)].symbol() == "i"
                && buf[(x + 2, y)].symbol() == "d"
        })
        .unwrap();
    assert_eq!(buf[fido].fg, s.theme.removed().fg.unwrap());
}

#[test]
fn review_shows_the_workspace_guidelines() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (mut rt, mut s) = loaded(dir.path(), '3');
    rt.dispatch(&mut s, key('i'));
    let out = text_of(&render(&s, 120, 40));
    assert!(
        out.contains("No guidelines yet") && out.contains("ws_guidelines.md"),
        "{out}"
    );
    rt.dispatch(&mut s, key('j'));
    assert!(s.review.guidelines.is_none(), "any key closes");
    std::fs::write(
        dir.path().join("ws_guidelines.md"),
        "# Rules\nReject a pair whose gold is ambiguous.\n",
    )
    .unwrap();
    rt.dispatch(&mut s, key('i'));
    let out = text_of(&render(&s, 120, 40));
    assert!(
        out.contains("Reject a pair whose gold is ambiguous."),
        "{out}"
    );
}

// ---- databases: read-only SQL, sort, jump to questions --------------------------------

#[test]
fn databases_run_read_only_sql_sort_columns_and_jump_to_questions() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '1');
    // `:` on the vet database: read-only SQL under the executor's limits.
    rt.dispatch(&mut s, key(':'));
    assert!(matches!(
        s.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::DbQuery { db }) if db == "vet"
    ));
    s.prompt.as_mut().unwrap().input =
        crate::tui::state::LineInput::new("SELECT name, age FROM pets WHERE age > 2");
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let Pane::Ready(g) = &s.databases.grid else {
        panic!("{:?}", s.databases.grid)
    };
    assert_eq!(g.rows.len(), 4);
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains("vet · SELECT name, age FROM pets WHERE age > 2"),
        "{out}"
    );
    // o sorts by the grid's column: move to `age`, ascending then descending.
    rt.dispatch(&mut s, key('L'));
    rt.dispatch(&mut s, key('o'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let ages = |s: &State| -> Vec<String> {
        match &s.databases.grid {
            Pane::Ready(g) => g.rows.iter().map(|r| r[1].clone()).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(ages(&s), vec!["3", "4", "5", "7"]);
    rt.dispatch(&mut s, key('o'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(ages(&s), vec!["7", "5", "4", "3"]);
    assert!(text_of(&render(&s, 160, 48)).contains("by age ↓"));
    // A write is refused with the executor's reason; the workspace database is unchanged.
    rt.dispatch(&mut s, key(':'));
    s.prompt.as_mut().unwrap().input = crate::tui::state::LineInput::new("DELETE FROM pets");
    rt.dispatch(&mut s, code(KeyCode::Enter));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert!(
        matches!(&s.databases.grid, Pane::Failed(e) if e.contains("not allowed") || e.contains("read")),
        "{:?}",
        s.databases.grid
    );
    // Q on a table: the questions whose text or gold SQL names it.
    rt.dispatch(&mut s, key('l'));
    rt.dispatch(&mut s, key('j'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let table = s.databases.preview.clone().unwrap().1;
    rt.dispatch(&mut s, key('Q'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.screen, Screen::Questions);
    assert_eq!(s.questions.query.search, table);
    assert_eq!(s.questions.query.db.as_deref(), Some("vet"));
    assert!(!s.questions.ids.is_empty());
}

#[test]
fn questions_show_a_candidates_result_jump_to_its_pair_and_mark_search_matches() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path());
    store
        .conn()
        .execute(
            "UPDATE examples SET provenance = '{\"template\":\"filter_gt\",\"seed\":42}' WHERE id = 2",
            [],
        )
        .unwrap();
    drop(store);
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '2');
    // Example #2 has a wrong candidate (age >= 3 for age > 3).
    rt.dispatch(&mut s, key('j'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains("template filter_gt") && out.contains("seed 42"),
        "{out}"
    );
    rt.dispatch(&mut s, key('c'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.questions.cand, Some(0));
    assert_eq!(
        s.questions.cand_pane.extent().0,
        4,
        "the candidate's own 4 rows"
    );
    let out = text_of(&render(&s, 160, 48));
    assert!(
        out.contains("candidate #") && out.contains("shows its pair"),
        "{out}"
    );
    rt.dispatch(&mut s, key('>'));
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(s.screen, Screen::Review);
    let pair = rt.store().pair(s.review.current().unwrap()).unwrap();
    assert_eq!(pair.example_id, 2);
    assert_eq!(pair.rejected_sql, "SELECT name FROM pets WHERE age >= 3");
    // Search matches are drawn reversed in the list.
    rt.dispatch(&mut s, key('2'));
    let fx = crate::tui::screens::questions::set_search(&mut s.questions, "pets".into());
    for e in fx {
        if let Some(a) = rt.perform(e) {
            rt.dispatch(&mut s, a);
        }
    }
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    let t = render(&s, 160, 48);
    let buf = t.backend().buffer();
    let reversed = (0..buf.area.height).any(|y| {
        (0..60).any(|x| {
            buf[(x, y)].symbol() == "p"
                && buf[(x, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
        })
    });
    assert!(reversed, "{}", text_of(&t));
}

#[test]
fn review_draws_a_bounded_prefix_of_long_sql_and_says_how_much_is_left_out() {
    let mut s = new_state();
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4])));
    let mut p = sample_pair(4);
    // A 64 KB candidate, as long as the store accepts.
    p.rejected_sql = format!("SELECT 1{}", " ".repeat(65_521));
    p.rejected_sql.push_str(" -- end");
    p.question = "why ".repeat(20_000);
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(p))));
    let text = text_of(&render(&s, 160, 48));
    assert!(
        text.contains("rejected (model) · 61536 more chars not shown"),
        "{text}"
    );
    // The short side is drawn whole, without a marker.
    assert!(!text.contains("chosen (gold) ·"), "{text}");
}

#[test]
fn review_names_a_checkpoint_model_by_its_run() {
    let mut s = new_state();
    s.playground.runs = vec![crate::store::Run {
        id: 2,
        kind: "sft".into(),
        parent: None,
        config: "{}".into(),
        status: crate::store::RunStatus::Done,
        pid: None,
        step: 13,
        total_steps: 13,
        checkpoint: Some("/home/u/checkpoints/run-2/step-000013".into()),
        message: String::new(),
        started_at: "2026-12-01T10:00:00Z".into(),
        ended_at: None,
    }];
    update(&mut s, Action::Loaded(Loaded::Queue(vec![4])));
    let mut p = sample_pair(4);
    p.model = "local:/home/u/checkpoints/run-2/step-000013".into();
    p.temperature = Some(0.8);
    update(&mut s, Action::Loaded(Loaded::Pair(4, Ok(p))));
    let out = text_of(&render(&s, 160, 48));
    assert!(out.contains("run #2 sft · step 13 t=0.8"), "{out}");
    assert!(!out.contains("/home/u/checkpoints"), "{out}");
}

#[test]
fn review_queue_follows_pairs_a_job_makes_while_it_is_open() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (mut rt, mut s, mut rx) = loaded_rx(dir.path(), '3');
    assert_eq!(s.review.queue.len(), 3);
    // A job in this process (or any other writer) judges a new wrong answer…
    let mut judge = Judge::new(Metric::spider(), Limits::default());
    judge
        .record(
            rt.store(),
            "job-model",
            &CandidateInput {
                example_id: 1,
                sql: "SELECT 99".into(),
            },
            None,
        )
        .unwrap();
    // …and the next counts refresh (job progress, or the periodic tick) brings it in.
    rt.dispatch(&mut s, Action::Tick);
    for _ in 0..5 {
        rt.dispatch(&mut s, Action::Tick);
    }
    rt.settle(&mut s, &mut rx, Duration::from_secs(10));
    assert_eq!(
        s.review.queue.len(),
        4,
        "the new pair joined the open queue"
    );
    assert_eq!(
        s.counts.as_ref().unwrap().pending,
        4,
        "the header agrees with the store"
    );
}
