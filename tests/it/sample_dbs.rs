//! Every bundled sample database builds, and every gold query executes and returns rows.

use sense::dataset::samples;
use sense::exec::{Executor, Limits, Metric};
use sense::store::{ExampleFilter, Store};

#[test]
fn every_gold_query_returns_rows() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    let dbs = samples::embedded().unwrap();
    assert!(
        dbs.len() >= 8,
        "at least 8 sample databases, found {}",
        dbs.len()
    );
    let report = samples::init_workspace(&store, &dbs).unwrap();
    assert_eq!(report.databases, dbs.len());
    let splits: std::collections::BTreeSet<String> =
        dbs.iter().map(|s| s.questions.split.clone()).collect();
    assert!(
        splits.contains("dev") && splits.contains("train"),
        "whole databases held out for dev"
    );

    for db in store.databases().unwrap() {
        let ex = Executor::open(&db.path, Limits::default()).unwrap();
        let examples = store
            .examples(&ExampleFilter {
                db: Some(db.name.clone()),
                ..Default::default()
            })
            .unwrap();
        assert!(
            examples.len() >= 30,
            "{}: {} questions",
            db.name,
            examples.len()
        );
        for e in examples {
            for metric in [Metric::spider(), Metric::bird()] {
                let r = ex.run(&metric.prepare(&e.gold_sql)).unwrap_or_else(|err| {
                    panic!("{} example {}: {err}\n{}", db.name, e.id, e.gold_sql)
                });
                assert!(
                    !r.rows.is_empty(),
                    "{} example {} returns no rows:\n{}",
                    db.name,
                    e.id,
                    e.gold_sql
                );
            }
            assert!(
                matches!(
                    e.difficulty.as_deref(),
                    Some("easy" | "medium" | "hard" | "extra")
                ),
                "{}: difficulty {:?}",
                e.id,
                e.difficulty
            );
        }
    }
}

#[test]
fn hand_written_candidates_become_pending_pairs_once() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    let dbs = samples::embedded().unwrap();
    let first = samples::init_workspace(&store, &dbs).unwrap();
    assert!(
        first.pairs >= 30,
        "review queue populated: {} pairs",
        first.pairs
    );
    let again = samples::init_workspace(&store, &dbs).unwrap();
    assert_eq!(again.inserted, 0);
    assert_eq!(again.pairs, 0);
    // Every pair's rejected SQL really is judged wrong, and chosen is the gold SQL.
    for p in store.pairs(None).unwrap() {
        assert_eq!(p.chosen_sql, p.gold_sql);
        assert_eq!(p.model, samples::HAND_WRITTEN);
    }
}
