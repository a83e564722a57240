use super::*;
use serde_json::json;

fn ws() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let s = Store::open(&d.path().join("w.db")).unwrap();
    (d, s)
}

fn seed(s: &Store) -> (i64, i64) {
    let db = s
        .upsert_database(&NewDatabase {
            name: "shop".into(),
            domain: "a shop".into(),
            source: "test".into(),
            path: "shop.sqlite".into(),
            fingerprint: "x".into(),
        })
        .unwrap();
    let (ins, _) = s
        .insert_examples(&[NewExample {
            db_id: db,
            question: "How many?".into(),
            gold_sql: "SELECT count(*) FROM t".into(),
            evidence: None,
            difficulty: Some("easy".into()),
            split: "dev".into(),
            source: "test".into(),
            provenance: json!({}),
            exchange_id: None,
        }])
        .unwrap();
    assert_eq!(ins, 1);
    (db, s.examples(&ExampleFilter::default()).unwrap()[0].id)
}

fn candidate(s: &Store, ex: i64, sql: &str) -> i64 {
    s.record_candidate(&NewCandidate {
        example_id: ex,
        model: "weak".into(),
        sql: sql.into(),
        outcome: ExecOutcome::Ok,
        error: None,
        result_fp: None,
        verdict: CandidateVerdict::Wrong,
        reason: "values differ".into(),
        latency_ms: 1.0,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn migration_from_version_1_keeps_data() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("old.db");
    {
        let s = Store::open_to(&p, 1).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
        // Version 1 has no exchange_id column: write with raw SQL as an old sense would have.
        s.conn()
            .execute_batch(
                "INSERT INTO databases (name, source, path) VALUES ('old', 'test', 'old.sqlite');
                 INSERT INTO examples (db_id, question, gold_sql, source) VALUES (1, 'q?', 'SELECT 1', 'test');",
            )
            .unwrap();
    }
    let s = Store::open(&p).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as i64
    );
    let ex = s.examples(&ExampleFilter::default()).unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].question, "q?");
    assert_eq!(ex[0].exchange_id, None);
    // The tables of migration 2 exist now.
    s.conn()
        .execute("INSERT INTO jobs (kind) VALUES ('x')", [])
        .unwrap();
}

#[test]
fn newer_workspace_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("new.db");
    Store::open(&p)
        .unwrap()
        .conn()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert!(matches!(
        Store::open(&p),
        Err(StoreError::TooNew { found: 99, .. })
    ));
}

#[test]
fn examples_are_not_duplicated() {
    let (_d, s) = ws();
    let (db, _) = seed(&s);
    let again = NewExample {
        db_id: db,
        question: "How many?".into(),
        gold_sql: "SELECT count(*) FROM t".into(),
        evidence: None,
        difficulty: None,
        split: "dev".into(),
        source: "test".into(),
        provenance: json!({}),
        exchange_id: None,
    };
    assert_eq!(s.insert_examples(&[again]).unwrap(), (0, 1));
    assert_eq!(s.counts().unwrap().examples, 1);
}

#[test]
fn same_wrong_sql_is_one_candidate_and_one_pair() {
    let (_d, s) = ws();
    let (_, ex) = seed(&s);
    let c1 = candidate(&s, ex, "SELECT 2");
    let c2 = candidate(&s, ex, "SELECT 2");
    assert_eq!(c1, c2);
    assert_eq!(s.candidates_for(ex).unwrap()[0].samples, 2);
    assert!(s
        .create_pair(ex, "SELECT count(*) FROM t", c1, "SELECT 2")
        .unwrap()
        .is_some());
    assert!(s
        .create_pair(ex, "SELECT count(*) FROM t", c1, "SELECT 2")
        .unwrap()
        .is_none());
    assert_eq!(s.counts().unwrap().pending, 1);
}

#[test]
fn decisions_history_and_multi_step_undo() {
    let (_d, s) = ws();
    let (_, ex) = seed(&s);
    let a = candidate(&s, ex, "SELECT 2");
    let b = candidate(&s, ex, "SELECT 3");
    let pa = s.create_pair(ex, "G", a, "SELECT 2").unwrap().unwrap();
    let pb = s.create_pair(ex, "G", b, "SELECT 3").unwrap().unwrap();

    assert_eq!(
        s.decide(pa, PairStatus::Accepted).unwrap().status,
        PairStatus::Accepted
    );
    s.set_note(pa, "looks right").unwrap();
    s.decide(pb, PairStatus::Rejected).unwrap();
    assert!(s.pair(pb).unwrap().decided_at.is_some());

    // Undo walks back newest first: pb's decision, then pa's note, then pa's decision.
    assert_eq!(s.undo_last().unwrap().unwrap().id, pb);
    assert_eq!(s.pair(pb).unwrap().status, PairStatus::Pending);
    assert!(s.pair(pb).unwrap().decided_at.is_none());
    assert_eq!(s.undo_last().unwrap().unwrap().note, "");
    assert_eq!(s.pair(pa).unwrap().status, PairStatus::Accepted);
    assert_eq!(s.undo_last().unwrap().unwrap().status, PairStatus::Pending);
    assert!(s.undo_last().unwrap().is_none());

    // Nothing is erased from the history: 3 changes + 3 undos.
    let h: Vec<_> = s.pair_history(pa).unwrap();
    assert_eq!(h.len(), 4);
    assert!(h.iter().filter(|e| e.action != "undo").all(|e| e.undone));
}

#[test]
fn edit_chosen_sql_and_undo_it() {
    let (_d, s) = ws();
    let (_, ex) = seed(&s);
    let a = candidate(&s, ex, "SELECT 2");
    let p = s.create_pair(ex, "G", a, "SELECT 2").unwrap().unwrap();
    assert_eq!(s.set_chosen(p, "G2").unwrap().chosen_sql, "G2");
    s.undo_last().unwrap();
    assert_eq!(s.pair(p).unwrap().chosen_sql, "G");
}

#[test]
fn runs_and_metrics() {
    let (_d, s) = ws();
    let id = s
        .create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: json!({"lr": 1e-3}),
            total_steps: 10,
            pid: Some(1),
        })
        .unwrap();
    s.log_metrics(
        id,
        2,
        &[(1, "loss", 2.0), (2, "loss", 1.5), (2, "lr", 1e-3)],
    )
    .unwrap();
    assert_eq!(s.run(id).unwrap().step, 2);
    let pts = s.metric_since(id, "loss", 1).unwrap();
    assert_eq!(
        pts,
        vec![MetricPoint {
            step: 2,
            value: 1.5
        }]
    );
    assert_eq!(s.metric_names(id).unwrap(), vec!["loss", "lr"]);
    s.finish_run(id, RunStatus::Done, "ok").unwrap();
    assert_eq!(s.run(id).unwrap().status, RunStatus::Done);
}

#[test]
fn a_decision_waits_for_a_concurrent_writer_instead_of_being_lost() {
    let (d, s) = ws();
    let (_, ex) = seed(&s);
    let c = candidate(&s, ex, "SELECT 2");
    let p = s.create_pair(ex, "G", c, "SELECT 2").unwrap().unwrap();
    let path = d.path().join("w.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    // Another process writing (an import): it holds the write lock, then commits.
    let writer = std::thread::spawn(move || {
        let other = Store::open(&path).unwrap();
        let tx = other.write_tx().unwrap();
        tx.execute(
            "INSERT INTO jobs (kind, message) VALUES ('import', 'busy')",
            [],
        )
        .unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();
    // A read-then-write begun as a deferred transaction would read a snapshot older than the
    // writer's commit and fail with "database is locked"; an immediate one waits its turn.
    let decided = s.decide(p, PairStatus::Accepted);
    writer.join().unwrap();
    assert_eq!(decided.unwrap().status, PairStatus::Accepted);
    assert_eq!(s.pair(p).unwrap().status, PairStatus::Accepted);
}

#[test]
fn evals_come_back_with_their_breakdowns_decoded() {
    let (_d, s) = ws();
    let per_db = json!({"shop": {"n": 4, "correct": 3}, "zoo": {"n": 2, "correct": 0}});
    let per_difficulty = json!({"easy": {"n": 6, "correct": 3}});
    s.insert_eval(&crate::store::NewEval {
        run_id: None,
        model: "m",
        split: "dev",
        metric: "spider",
        n: 6,
        correct: 3,
        per_db: &per_db,
        per_difficulty: &per_difficulty,
        examples: &[5, 3, 4],
        decoding: None,
    })
    .unwrap();
    let e = &s.evals().unwrap()[0];
    // The examples it used, and their digest, whatever their order.
    assert_eq!(s.eval_examples(e.id).unwrap(), Some(vec![5, 3, 4]));
    assert_eq!(
        e.example_set.as_deref(),
        Some(example_set_of(&[3, 4, 5]).as_str())
    );
    assert_ne!(e.example_set, Some(example_set_of(&[3, 4])));
    assert_eq!(e.per_db["shop"], Tally { n: 4, correct: 3 });
    assert_eq!(e.per_db["zoo"].ex(), 0.0);
    assert_eq!(e.per_db.len(), 2);
    assert_eq!(e.per_difficulty["easy"].ex(), 0.5);

    // What could not be read back is refused on the way in...
    let err = s
        .insert_eval(&crate::store::NewEval {
            run_id: None,
            model: "m",
            split: "dev",
            metric: "spider",
            n: 1,
            correct: 1,
            per_db: &json!({"shop": 3}),
            per_difficulty: &json!({}),
            examples: &[],
            decoding: None,
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("evals.per_db"), "{err}");
    assert_eq!(s.evals().unwrap().len(), 1);
    // ...and a file that holds it anyway names the evaluation and the column.
    s.conn
        .execute("UPDATE evals SET per_difficulty = '[1]' WHERE id = 1", [])
        .unwrap();
    let err = s.evals().unwrap_err().to_string();
    assert!(
        err.contains("evaluation #1") && err.contains("evals.per_difficulty"),
        "{err}"
    );
}

#[test]
fn an_unknown_value_in_a_typed_column_is_an_error_that_names_column_and_value() {
    let (_d, s) = ws();
    let (_, ex) = seed(&s);
    let c = candidate(&s, ex, "SELECT 2");
    assert_eq!(
        s.candidates_for(ex).unwrap()[0].verdict,
        CandidateVerdict::Wrong
    );
    // Written by something that ignored the CHECK constraint.
    s.conn
        .execute_batch(&format!(
            "PRAGMA ignore_check_constraints = ON;
             UPDATE candidates SET verdict = 'maybe' WHERE id = {c};
             PRAGMA ignore_check_constraints = OFF;"
        ))
        .unwrap();
    let err = s.candidates_for(ex).unwrap_err().to_string();
    assert!(
        err.contains("candidates.verdict") && err.contains("\"maybe\""),
        "{err}"
    );
    let job = s.create_job("sample", 0, "").unwrap();
    s.conn
        .execute("UPDATE jobs SET status = 'paused' WHERE id = ?1", [job])
        .unwrap();
    let err = s.job(job).unwrap_err().to_string();
    assert!(
        err.contains("jobs.status") && err.contains("\"paused\""),
        "{err}"
    );
}
