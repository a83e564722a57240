//! Importers on small fixtures in the Spider, BIRD and gold-SQL layouts, made by the test.

use sense::dataset::benchmark::{import_gold_sql, import_questions, ImportOptions, Layout};
use sense::dataset::DatasetError;
use sense::store::{ExampleFilter, Store};
use std::path::Path;

fn make_db(dir: &Path, name: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(&p).unwrap();
    let c = rusqlite::Connection::open(p.join(format!("{name}.sqlite"))).unwrap();
    c.execute_batch(
        "CREATE TABLE singer(id INTEGER PRIMARY KEY, name TEXT, age INT);
         INSERT INTO singer VALUES (1,'Ann',30),(2,'Bo',41);",
    )
    .unwrap();
}

fn spider_fixture(root: &Path) {
    make_db(&root.join("database"), "concert");
    std::fs::write(
        root.join("tables.json"),
        r#"[{"db_id":"concert"},{"db_id":"gone"}]"#,
    )
    .unwrap();
    std::fs::write(
        root.join("dev.json"),
        r#"[
          {"db_id":"concert","question":"How many singers?","query":"SELECT count(*) FROM singer"},
          {"db_id":"concert","question":"Names of singers older than 35?","query":"SELECT name FROM singer WHERE age > 35"},
          {"db_id":"gone","question":"Q1","query":"SELECT 1"},
          {"db_id":"gone","question":"Q2","query":"SELECT 2"}
        ]"#,
    )
    .unwrap();
}

#[test]
fn spider_layout_imports_skips_missing_databases_and_does_not_duplicate() {
    let d = tempfile::tempdir().unwrap();
    spider_fixture(d.path());
    let store = Store::open(&d.path().join("w.db")).unwrap();
    let r = import_questions(
        &store,
        Layout::Spider,
        &d.path().join("dev.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(r.inserted, 2);
    assert_eq!(r.missing_db, vec![("gone".to_string(), 2)]);
    assert!(r.summary().contains("gone (2)"));
    let ex = store.examples(&ExampleFilter::default()).unwrap();
    assert_eq!(ex[0].split, "dev");
    assert_eq!(ex[0].difficulty.as_deref(), Some("easy"));
    assert_eq!(ex[0].source, "spider");

    let again = import_questions(
        &store,
        Layout::Spider,
        &d.path().join("dev.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2));
    assert_eq!(store.counts().unwrap().examples, 2);
}

#[test]
fn bad_records_name_file_record_and_field() {
    let d = tempfile::tempdir().unwrap();
    spider_fixture(d.path());
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, r#"[{"db_id":"concert","question":"ok","query":"SELECT 1"},{"db_id":"concert","question":7,"query":"SELECT 1"}]"#).unwrap();
    let store = Store::open(&d.path().join("w.db")).unwrap();
    let opts = ImportOptions {
        db_dir: Some(d.path().join("database")),
        split: None,
    };
    let err = import_questions(&store, Layout::Spider, &bad, &opts).unwrap_err();
    match &err {
        DatasetError::Record { index, field, .. } => {
            assert_eq!(*index, 1);
            assert_eq!(field, "question");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("bad.json"));
    // Nothing from the failing file was imported.
    assert_eq!(store.counts().unwrap().examples, 0);

    std::fs::write(&bad, "[{\"db_id\": \"concert\",\n oops}]").unwrap();
    let err = import_questions(&store, Layout::Spider, &bad, &opts).unwrap_err();
    assert!(matches!(err, DatasetError::Line { line: 2, .. }), "{err}");
}

#[test]
fn bird_layout_keeps_evidence_and_labels() {
    let d = tempfile::tempdir().unwrap();
    make_db(&d.path().join("dev_databases"), "concert");
    std::fs::write(
        d.path().join("dev.json"),
        r#"[{"db_id":"concert","question":"Oldest singer?","evidence":"oldest refers to MAX(age)","SQL":"SELECT name FROM singer ORDER BY age DESC LIMIT 1","difficulty":"moderate"}]"#,
    )
    .unwrap();
    let store = Store::open(&d.path().join("w.db")).unwrap();
    let r = import_questions(
        &store,
        Layout::Bird,
        &d.path().join("dev.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(r.inserted, 1);
    let e = &store.examples(&ExampleFilter::default()).unwrap()[0];
    assert_eq!(e.evidence.as_deref(), Some("oldest refers to MAX(age)"));
    assert_eq!(e.difficulty.as_deref(), Some("medium"));
    assert_eq!(e.source, "bird");
}

#[test]
fn gold_sql_file() {
    let d = tempfile::tempdir().unwrap();
    make_db(&d.path().join("database"), "concert");
    let gold = d.path().join("dev_gold.sql");
    std::fs::write(
        &gold,
        "SELECT count(*) FROM singer\tconcert\nSELECT name FROM singer\tconcert\n",
    )
    .unwrap();
    let store = Store::open(&d.path().join("w.db")).unwrap();
    let r = import_gold_sql(&store, &gold, &d.path().join("database"), None).unwrap();
    assert_eq!(r.inserted, 2);
    std::fs::write(&gold, "SELECT 1 no tab here\n").unwrap();
    let err = import_gold_sql(&store, &gold, &d.path().join("database"), None).unwrap_err();
    assert!(matches!(err, DatasetError::Line { line: 1, .. }), "{err}");
}
