//! Procedural databases: the vocabulary, determinism per seed, bounds, and that every stored
//! gold executes with rows.

use sense::exec::{Executor, Limits};
use sense::schema::introspect_path;
use sense::store::{ExampleFilter, Store};
use sense::synth::procedural::*;
use std::collections::BTreeSet;

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn the_vocabulary_parses_into_at_least_40_distinct_domains() {
    let all = all_domains().unwrap();
    assert!(all.len() >= 40, "{} domains", all.len());
    let names: BTreeSet<&str> = all.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "domain names are unique");
    assert_eq!(
        extra_columns().len(),
        domains::EXTRA_COLUMNS.len(),
        "every bookkeeping column parses"
    );
    for d in &all {
        assert!(
            (MIN_TABLES..=MAX_TABLES).contains(&d.tables.len()),
            "{}",
            d.name
        );
        assert!(
            d.tables
                .iter()
                .flat_map(|t| &t.columns)
                .any(|c| matches!(c.kind, Kind::Ref(_))),
            "{} has a relationship",
            d.name
        );
    }
    // Domains unlike each other: no two share most of their table names.
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let ta: BTreeSet<&str> = a.tables.iter().map(|t| t.name.as_str()).collect();
            let shared = b
                .tables
                .iter()
                .filter(|t| ta.contains(t.name.as_str()))
                .count();
            assert!(
                shared * 2 < b.tables.len().min(a.tables.len()) + 1,
                "{} vs {}",
                a.name,
                b.name
            );
        }
    }
}

#[test]
fn bad_vocabulary_rows_are_errors_that_name_the_domain() {
    for (row, says) in [
        (("x", "d", &["a(a_id): n person"][..]), "fewer than 2"),
        (
            ("x", "d", &["a(a_id): n person", "b(b_id): p >zzz"][..]),
            "refers to no earlier",
        ),
        (
            ("x", "d", &["a(a_id): n wat", "b(b_id): p >a"][..]),
            "unknown column kind",
        ),
        (
            ("x", "d", &["a(a_id): n int(5,1)", "b(b_id): p >a"][..]),
            "low above high",
        ),
        (
            ("x", "d", &["a(a_id): N person", "b(b_id): p >a"][..]),
            "invalid",
        ),
        (("Bad Name", "d", &["a(a_id): n person"][..]), "identifier"),
    ] {
        let e = parse_domain(&row).unwrap_err().to_string();
        assert!(e.contains(says) && e.contains(row.0), "{e}");
    }
}

#[test]
fn plans_and_scripts_are_deterministic_per_seed_and_bounded() {
    let all = all_domains().unwrap();
    let a: Vec<Plan> = (0..60).map(|i| plan(&all, 7, "train", i)).collect();
    let b: Vec<Plan> = (0..60).map(|i| plan(&all, 7, "train", i)).collect();
    assert_eq!(a, b);
    assert_eq!(script(&a[3], 11), script(&b[3], 11));
    let other: Vec<Plan> = (0..60).map(|i| plan(&all, 8, "train", i)).collect();
    assert_ne!(a, other, "another seed, other databases");
    let dev: Vec<String> = (0..60).map(|i| plan(&all, 7, "dev", i).name).collect();
    let names: BTreeSet<String> = a.iter().map(|p| p.name.clone()).collect();
    assert_eq!(names.len(), 60, "names are unique");
    assert!(
        dev.iter().all(|n| !names.contains(n)),
        "dev names never collide with train"
    );
    // The first 40 databases visit every domain once.
    let first: BTreeSet<&str> = a[..all.len()].iter().map(|p| p.domain.as_str()).collect();
    assert_eq!(first.len(), all.len());
    for p in &a {
        assert!(is_ident(&p.name), "{}", p.name);
        assert!(
            (MIN_TABLES..=MAX_TABLES).contains(&p.tables.len()),
            "{}",
            p.name
        );
        let mut idents = BTreeSet::new();
        for (t, rows) in &p.tables {
            assert!(
                (MIN_ROWS..=MAX_ROWS).contains(rows),
                "{}.{}",
                p.name,
                t.name
            );
            assert!(
                idents.insert(t.name.clone()),
                "table names are unique in {}",
                p.name
            );
            let cols: BTreeSet<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(cols.len(), t.columns.len());
            assert!(!cols.contains(t.key.as_str()));
            for c in &t.columns {
                if let Kind::Ref(parent) = &c.kind {
                    assert!(
                        p.tables.iter().any(|(t, _)| &t.name == parent),
                        "{} keeps {parent}",
                        p.name
                    );
                }
            }
        }
    }
}

/// Builds databases into a fresh workspace: every one is registered with its split, every
/// stored gold executes and returns rows, files stay small, and a second run adds nothing.
#[test]
fn databases_are_registered_and_every_gold_executes_with_rows() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    let opts = ProceduralOptions {
        n: 6,
        seed: 3,
        per_db: 12,
        ..ProceduralOptions::default()
    };
    let mut seen = 0;
    let report = synth_databases(&store, &opts, |_| seen += 1).unwrap();
    assert_eq!(seen, 6);
    assert_eq!(report.created + report.dropped, 6, "{report:?}");
    assert!(report.created >= 5, "{report:?}");
    let dbs = store.databases().unwrap();
    assert_eq!(dbs.len(), report.created);
    for db in &dbs {
        assert_eq!((db.source.as_str(), db.split.as_str()), (SOURCE, "train"));
        let size = std::fs::metadata(&db.path).unwrap().len();
        assert!(size < 2 << 20, "{} is {size} bytes", db.name);
        let schema = introspect_path(&db.path, 0).unwrap();
        assert!((MIN_TABLES..=MAX_TABLES).contains(&schema.tables.len()));
        let examples = store
            .examples(&ExampleFilter {
                db: Some(db.name.clone()),
                ..ExampleFilter::default()
            })
            .unwrap();
        assert!(!examples.is_empty(), "{}", db.name);
        let ex = Executor::open(&db.path, Limits::default()).unwrap();
        for e in &examples {
            assert_eq!((e.split.as_str(), e.source.as_str()), ("train", SOURCE));
            let r = ex
                .run(&e.gold_sql)
                .unwrap_or_else(|err| panic!("{}: {err}", e.gold_sql));
            assert!(!r.rows.is_empty(), "{} returns rows", e.gold_sql);
        }
    }
    let again = synth_databases(&store, &opts, |_| {}).unwrap();
    assert_eq!((again.created, again.already_present), (0, report.created));

    // Held-out databases: other names, and their split is dev (templates over train leave them).
    let dev = synth_databases(
        &store,
        &ProceduralOptions {
            n: 2,
            split: "dev".into(),
            ..opts.clone()
        },
        |_| {},
    )
    .unwrap();
    let splits = store.database_splits().unwrap();
    for o in dev.databases.iter().filter(|o| o.status == "created") {
        assert_eq!(splits[&o.name], "dev", "{}", o.name);
    }
    assert!(dev.created >= 1);
}

#[test]
fn the_cli_creates_databases_and_seals_the_dev_split() {
    use crate::bin::{ok, sense};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let out = sense(&ws)
        .args(["synth", "databases", "-n", "2", "--split", "dev"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-dev"), "{err}");
    let json = ok(sense(&ws).args([
        "synth",
        "databases",
        "-n",
        "2",
        "--seed",
        "5",
        "--per-db",
        "5",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["split"], "train");
    assert_eq!(v["databases"].as_array().unwrap().len(), 2);
    let created = v["created"].as_u64().unwrap();
    assert!(created >= 1, "{v}");
    let store = Store::open_existing(&ws).unwrap();
    let procedural: Vec<_> = store
        .databases()
        .unwrap()
        .into_iter()
        .filter(|db| db.source == SOURCE)
        .collect();
    assert_eq!(procedural.len() as u64, created);
    let text = ok(sense(&ws).args([
        "synth",
        "databases",
        "-n",
        "1",
        "--seed",
        "5",
        "--split",
        "dev",
        "--allow-dev",
    ]));
    assert!(text.contains("(split dev)"), "{text}");
}

/// A domain's databases do not all spell their schema alike (else a model learns forty domains'
/// names by heart instead of reading the prompt): across the plans of one seed some keys are
/// `id`, some columns go by another name, some tables by the singular, some categories are
/// capitalized and some dates are typed TEXT, while every foreign key still finds its parent.
#[test]
fn databases_of_one_domain_vary_their_names_and_styles() {
    let all = all_domains().unwrap();
    let plans: Vec<Plan> = (0..3 * all.len())
        .map(|i| plan(&all, 11, "train", i))
        .collect();
    let original = |domain: &str, table: &str| {
        all.iter()
            .find(|d| d.name == domain)
            .and_then(|d| d.tables.iter().find(|t| t.name == table))
            .cloned()
    };
    let extras = extra_columns();
    let (mut id_keys, mut renamed_cols, mut singular_tables) = (0, 0, 0);
    for p in &plans {
        for (t, _) in &p.tables {
            id_keys += usize::from(t.key == "id");
            match original(&p.domain, &t.name) {
                Some(o) => {
                    renamed_cols += t
                        .columns
                        .iter()
                        .filter(|c| !o.columns.iter().any(|oc| oc.name == c.name))
                        .filter(|c| !extras.iter().any(|e| e.name == c.name))
                        .count()
                }
                None => singular_tables += 1,
            }
            for c in &t.columns {
                if let Kind::Ref(parent) = &c.kind {
                    assert!(
                        p.tables.iter().any(|(t, _)| &t.name == parent),
                        "{}: {}.{} -> {parent}",
                        p.name,
                        t.name,
                        c.name
                    );
                }
            }
        }
    }
    // Every script builds: no renamed table or column is an SQL keyword (`order`, `match`).
    for p in &plans {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(&script(p, 1))
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
    let capital = plans.iter().filter(|p| p.style.capital_values).count();
    let text_dates = plans.iter().filter(|p| p.style.text_dates).count();
    assert!(id_keys > 10, "{id_keys} tables keyed by id");
    assert!(renamed_cols > 50, "{renamed_cols} columns renamed");
    assert!(
        singular_tables > 5,
        "{singular_tables} tables in the singular"
    );
    assert!(
        capital > plans.len() / 4 && capital < plans.len() * 3 / 4,
        "{capital} of {}",
        plans.len()
    );
    assert!(text_dates > plans.len() / 5, "{text_dates}");
    // A date named as one is declared TEXT in such a database (the values stay ISO dates).
    let (p, c) = plans
        .iter()
        .filter(|p| p.style.text_dates)
        .find_map(|p| {
            p.tables
                .iter()
                .flat_map(|(t, _)| &t.columns)
                .find(|c| matches!(c.kind, Kind::Date(..)) && c.name.contains("date"))
                .map(|c| (p, c.name.clone()))
        })
        .expect("a plan with a TEXT date");
    assert!(script(p, 1).contains(&format!("  {c} TEXT")), "{}", p.name);
}

/// `--fresh-names 0.5`: about half the databases name some tables with nouns from outside
/// their domain and give some columns another first word, names a model cannot know by heart
/// (a held-out set for whether it reads them from the prompt). Keys and foreign keys named
/// after a renamed table follow its new name, and every script builds. Without the
/// option the plans are the same as before it existed.
#[test]
fn fresh_names_come_from_outside_the_domains_and_keys_follow_them() {
    let all = all_domains().unwrap();
    let known = |name: &str| {
        all.iter()
            .flat_map(|d| &d.tables)
            .any(|t| t.name == name || t.name.starts_with(name))
    };
    let plans: Vec<Plan> = (0..3 * all.len())
        .map(|i| plan_with(&all, 11, "train", i, 0.5))
        .collect();
    let fresh = plans.iter().filter(|p| p.style.fresh_names).count();
    assert!(
        fresh > plans.len() / 4 && fresh < plans.len() * 3 / 4,
        "{fresh} of {}",
        plans.len()
    );
    let (mut outside, mut keys_follow, mut refs_follow) = (BTreeSet::new(), 0, 0);
    for p in &plans {
        assert!(p.name.ends_with("_fresh"), "{}", p.name);
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(&script(p, 1))
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        for (t, _) in &p.tables {
            if known(&t.name) {
                continue;
            }
            assert!(
                p.style.fresh_names,
                "{}: {} is not the domain's",
                p.name, t.name
            );
            outside.insert(t.name.clone());
            // A key named after the old table (`line_id` of `lines`) follows; one named otherwise
            // (`line_id` of `shipping_lines`) stays.
            let stem = t.key.trim_end_matches("_id").trim_end_matches('y');
            keys_follow += usize::from(t.key != "id" && t.name.starts_with(stem));
            refs_follow += p
                .tables
                .iter()
                .flat_map(|(c, _)| &c.columns)
                .filter(|c| c.kind == Kind::Ref(t.name.clone()) && c.name == t.key)
                .count();
        }
    }
    assert!(
        outside.len() > 60,
        "{} table names from outside the domains",
        outside.len()
    );
    assert!(
        keys_follow > 30 && refs_follow > 20,
        "{keys_follow} keys, {refs_follow} foreign keys"
    );
    let plain: Vec<Plan> = (0..all.len()).map(|i| plan(&all, 11, "train", i)).collect();
    assert!(plain
        .iter()
        .all(|p| !p.style.fresh_names && !p.name.ends_with("_fresh")));
    assert_eq!(
        plain,
        (0..all.len())
            .map(|i| plan_with(&all, 11, "train", i, 0.0))
            .collect::<Vec<_>>()
    );
}
