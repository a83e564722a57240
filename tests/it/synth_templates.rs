//! Offline template synthesis on every bundled sample database: every kept SQL executes and
//! returns rows, the same seed gives the same examples, and storing them twice adds nothing.

use sense::dataset::samples::{embedded, init_workspace};
use sense::exec::{Executor, Limits, Value};
use sense::store::{ExampleFilter, Store};
use sense::synth::templates::{generate, synth_templates, TemplateOptions, SOURCE};
use std::collections::BTreeSet;

#[test]
fn templates_on_every_sample_database() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let opts = TemplateOptions {
        seed: 7,
        per_db: 10_000,
        ..Default::default()
    };
    let mut total = 0;
    let mut kinds = BTreeSet::new();
    for db in store.databases().unwrap() {
        let (a, stats) = generate(&db.path, &db.name, &opts).unwrap();
        let (b, _) = generate(&db.path, &db.name, &opts).unwrap();
        assert_eq!(a, b, "{}: same seed, same output", db.name);
        assert!(
            a.len() >= 100,
            "{}: only {} examples ({stats:?})",
            db.name,
            a.len()
        );
        assert_eq!(stats.kept, a.len());
        let ex = Executor::open(&db.path, Limits::default()).unwrap();
        for e in &a {
            let r = ex
                .run(&e.sql)
                .unwrap_or_else(|err| panic!("{}: {err}\n{}", db.name, e.sql));
            assert!(!r.rows.is_empty(), "{}: no rows: {}", db.name, e.sql);
            assert!(
                r.rows
                    .iter()
                    .any(|row| row.iter().any(|v| !matches!(v, Value::Null))),
                "{}",
                e.sql
            );
            assert!(!e.question.contains('{'), "unfilled slot: {}", e.question);
            kinds.insert(e.template.clone());
        }
        let questions: BTreeSet<&str> = a.iter().map(|e| e.question.as_str()).collect();
        assert_eq!(questions.len(), a.len(), "{}: duplicate questions", db.name);
        // A different seed phrases things differently.
        let (c, _) = generate(
            &db.path,
            &db.name,
            &TemplateOptions {
                seed: 8,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_ne!(a, c, "{}: seed has no effect", db.name);
        total += a.len();
    }
    assert!(total >= 2000, "thousands of examples, got {total}");
    for k in [
        "count_all",
        "count_where",
        "group_count",
        "group_having",
        "order_limit",
        "join_group_count",
        "join_where",
        "in_subquery",
        "not_in",
        "intersect",
        "except",
        "union",
        "filter_num",
        "count_distinct",
        "max_min",
        "avg_round",
        "group_sum",
        "list_between",
        "starts_with",
        "contains",
        "list_null",
        "count_year",
    ] {
        assert!(kinds.contains(k), "template {k} never kept: {kinds:?}");
    }
}

/// Values read in some phrasings as people write them, unquoted ("How many Online orders are
/// there?"), and name patterns as the dev questions ask for them; the SQL still quotes them.
#[test]
fn some_phrasings_name_values_bare_and_ask_for_patterns() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let db = store.database_by_name("library_loans").unwrap();
    let opts = TemplateOptions {
        seed: 7,
        per_db: 10_000,
        ..Default::default()
    };
    let (all, _) = generate(&db.path, &db.name, &opts).unwrap();
    let bare = all.iter().find(|e| {
        e.template == "count_where" && !e.question.contains('"') && e.sql.contains("= '")
    });
    let bare = bare.expect("a count_where phrasing with an unquoted value");
    let value = bare.sql.split('\'').nth(1).unwrap();
    assert!(bare.question.contains(value), "{bare:?}");
    let like = all
        .iter()
        .find(|e| e.template == "starts_with")
        .expect("a starts_with question");
    let letter = like
        .sql
        .split("LIKE '")
        .nth(1)
        .unwrap()
        .chars()
        .next()
        .unwrap();
    assert!(
        like.question.contains(&format!("'{letter}'"))
            || like.question.contains(&format!("letter {letter}")),
        "{like:?}"
    );
}

#[test]
fn stored_once_with_source_template_and_database_split() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let dbs: Vec<String> = store
        .databases()
        .unwrap()
        .into_iter()
        .take(3)
        .map(|d| d.name)
        .collect();
    // Dev databases among them: every split, as `--split all --allow-dev` asks.
    let opts = TemplateOptions {
        seed: 1,
        per_db: 50,
        split: None,
    };
    let r1 = synth_templates(&store, &dbs, &opts, false, |_, _, _| {}).unwrap();
    assert_eq!(r1.per_db.len(), 3);
    assert_eq!(r1.inserted, 150);
    let r2 = synth_templates(&store, &dbs, &opts, false, |_, _, _| {}).unwrap();
    assert_eq!((r2.inserted, r2.already_present), (0, 150));
    for db in &dbs {
        let sample_split = store
            .examples(&ExampleFilter {
                db: Some(db.clone()),
                source: Some("sample".into()),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap()[0]
            .split
            .clone();
        let t = store
            .examples(&ExampleFilter {
                db: Some(db.clone()),
                source: Some(SOURCE.into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(t.len(), 50);
        assert!(t
            .iter()
            .all(|e| e.split == sample_split && e.difficulty.is_some()));
    }
    // Dry run stores nothing; an unknown database is an error.
    let before = store.counts().unwrap().examples;
    synth_templates(&store, &[], &opts, true, |_, _, _| {}).unwrap();
    assert_eq!(store.counts().unwrap().examples, before);
    assert!(synth_templates(&store, &["nope".into()], &opts, false, |_, _, _| {}).is_err());
    // By default only train databases: a dev one named explicitly is refused as held out.
    let train_only = TemplateOptions::default();
    let e = synth_templates(
        &store,
        &["airline_maintenance".into()],
        &train_only,
        false,
        |_, _, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("airline_maintenance") && e.contains("held out"),
        "{e}"
    );
    let before = store.counts().unwrap().examples;
    let r = synth_templates(&store, &[], &train_only, true, |_, _, _| {}).unwrap();
    assert!(r
        .per_db
        .iter()
        .all(|(db, _)| store.database_split(db).unwrap() == "train"));
    assert_eq!(r.per_db.len(), 6);
    assert_eq!(store.counts().unwrap().examples, before);
}

/// The grammar's output, pinned: every (question, SQL, template, difficulty) and the stats for
/// the sample databases (two seeds, one cut short by `per_db`) and for procedural databases,
/// hashed. The value was computed from the code before templates became a table of
/// definitions; a change here means the phrasings or SQL changed, which needs
/// `TEMPLATES_VERSION` bumped and this value recomputed.
#[test]
fn same_seed_same_examples_as_pinned() {
    use sense::synth::procedural::{synth_databases, ProceduralOptions};
    use sha2::{Digest, Sha256};
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let procedural = ProceduralOptions {
        n: 4,
        seed: 3,
        per_db: 12,
        ..ProceduralOptions::default()
    };
    synth_databases(&store, &procedural, |_| {}).unwrap();
    let mut dbs = store.databases().unwrap();
    dbs.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(dbs.len(), 14);
    let mut h = Sha256::new();
    let mut n = 0;
    for db in &dbs {
        for (seed, per_db) in [(7, 10_000), (8, 40)] {
            let opts = TemplateOptions {
                seed,
                per_db,
                split: None,
            };
            let (examples, stats) = generate(&db.path, &db.name, &opts).unwrap();
            h.update(format!("{} {seed} {per_db} {stats:?}\n", db.name));
            for e in &examples {
                h.update(format!(
                    "{}\t{}\t{}\t{}\n",
                    e.question, e.sql, e.template, e.difficulty
                ));
            }
            n += examples.len();
        }
    }
    let got = hex::encode(h.finalize());
    assert_eq!(
        (n, got.as_str()),
        (
            5058,
            "3a59244851f54dbfeb9945137be29459ff1c4c82b732a4c3fe600718147b1637"
        ),
        "the template grammar's output changed"
    );
}
