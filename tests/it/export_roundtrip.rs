//! Export round trips: DPO JSONL holds exactly the accepted pairs with the training prompt,
//! SFT JSONL holds the selected examples, and a Spider-layout export imports back.

use sense::dataset::benchmark::{import_questions, ImportOptions, Layout};
use sense::dataset::export::{export_dpo, export_sft, export_spider, Shape};
use sense::dataset::samples::{embedded, init_workspace};
use sense::schema::{introspect_path, prompt_for, PromptOptions};
use sense::store::{ExampleFilter, PairStatus, Store};
use serde_json::Value;
use std::collections::BTreeSet;

fn read_jsonl(p: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn training_prompt(store: &Store, example_id: i64) -> String {
    let ex = store.example(example_id).unwrap();
    let db = store.database(ex.db_id).unwrap();
    let schema = introspect_path(&db.path, PromptOptions::default().sample_rows).unwrap();
    prompt_for(
        &schema,
        &ex.question,
        ex.evidence.as_deref(),
        PromptOptions::default(),
    )
}

fn completion(sql: &str) -> String {
    format!("{};\n", sql.trim().trim_end_matches(';').trim_end())
}

#[test]
fn dpo_has_exactly_the_accepted_pairs_with_training_prompts() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let pending = store.pairs(Some(PairStatus::Pending)).unwrap();
    assert!(pending.len() >= 10);
    for (i, p) in pending.iter().enumerate() {
        match i % 3 {
            0 => {
                store.decide(p.id, PairStatus::Accepted).unwrap();
            }
            1 => {
                store.decide(p.id, PairStatus::Rejected).unwrap();
            }
            _ => {}
        }
    }
    // One accepted pair gets an edited chosen SQL: the export must carry the edit.
    let accepted = store.pairs(Some(PairStatus::Accepted)).unwrap();
    let edited = accepted[0].id;
    store
        .set_chosen(edited, &accepted[0].gold_sql.clone())
        .unwrap();
    let accepted = store.pairs(Some(PairStatus::Accepted)).unwrap();

    let out = d.path().join("out/dpo.jsonl");
    let n = export_dpo(
        &store,
        &out,
        &[PairStatus::Accepted],
        None,
        Shape::Standard,
        false,
    )
    .unwrap();
    assert_eq!(n, accepted.len());
    let rows = read_jsonl(&out);
    assert_eq!(rows.len(), accepted.len());
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            assert_eq!(
                r.as_object().unwrap().len(),
                3,
                "only prompt/chosen/rejected: {r}"
            );
            (
                r["prompt"].as_str().unwrap().into(),
                r["chosen"].as_str().unwrap().into(),
                r["rejected"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = accepted
        .iter()
        .map(|p| {
            (
                training_prompt(&store, p.example_id),
                completion(&p.chosen_sql),
                completion(&p.rejected_sql),
            )
        })
        .collect();
    assert_eq!(got, want);
    // No temp files left beside the output.
    let names: Vec<String> = std::fs::read_dir(d.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["dpo.jsonl"]);

    // By status, with metadata, and conversational.
    let out2 = d.path().join("pending.jsonl");
    let n = export_dpo(
        &store,
        &out2,
        &[PairStatus::Pending],
        None,
        Shape::Chat,
        true,
    )
    .unwrap();
    let rows = read_jsonl(&out2);
    // Flagged pending pairs (disputed, ambiguous gold) are exported only once accepted.
    let unflagged = store
        .pairs(Some(PairStatus::Pending))
        .unwrap()
        .into_iter()
        .filter(|p| p.flags.is_empty())
        .count();
    assert!(unflagged > 0);
    assert_eq!(n, unflagged);
    for r in &rows {
        assert_eq!(r["status"], "pending");
        assert_eq!(r["prompt"][0]["role"], "user");
        assert_eq!(
            r["prompt"][0]["content"].as_str().unwrap(),
            training_prompt(&store, r["example_id"].as_i64().unwrap())
        );
        assert_eq!(r["chosen"][0]["role"], "assistant");
    }
}

#[test]
fn sft_and_spider_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let filter = ExampleFilter {
        split: Some("train".into()),
        ..Default::default()
    };
    let examples = store.examples(&filter).unwrap();

    let out = d.path().join("sft.jsonl");
    assert_eq!(
        export_sft(&store, &out, &filter, Shape::Standard, false).unwrap(),
        examples.len()
    );
    let rows = read_jsonl(&out);
    for (r, e) in rows.iter().zip(&examples).take(40) {
        assert_eq!(r["prompt"].as_str().unwrap(), training_prompt(&store, e.id));
        assert_eq!(r["completion"].as_str().unwrap(), completion(&e.gold_sql));
    }
    let chat = d.path().join("chat.jsonl");
    export_sft(
        &store,
        &chat,
        &ExampleFilter {
            limit: Some(3),
            ..filter.clone()
        },
        Shape::Chat,
        true,
    )
    .unwrap();
    let rows = read_jsonl(&chat);
    assert_eq!(rows.len(), 3);
    // Conversational prompt/completion (TRL then trains on the completion only).
    assert_eq!(rows[0]["prompt"][0]["role"], "user");
    assert_eq!(rows[0]["completion"][0]["role"], "assistant");
    assert!(rows[0].get("messages").is_none());
    assert_eq!(rows[0]["split"], "train");

    // Spider layout, imported back into a fresh workspace.
    let dir = d.path().join("spider");
    let all = store.examples(&ExampleFilter::default()).unwrap();
    let r = export_spider(&store, &dir, &ExampleFilter::default()).unwrap();
    assert_eq!(r.databases, store.databases().unwrap().len());
    assert_eq!(r.splits.iter().map(|(_, n)| n).sum::<usize>(), all.len());
    let tables: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tables.json")).unwrap()).unwrap();
    assert_eq!(tables.len(), r.databases);
    for t in &tables {
        let names = t["column_names_original"].as_array().unwrap();
        assert_eq!(names.len(), t["column_types"].as_array().unwrap().len());
        assert!(
            !t["foreign_keys"].as_array().unwrap().is_empty()
                || t["table_names"].as_array().unwrap().len() == 1
        );
    }
    let dev_gold = std::fs::read_to_string(dir.join("dev_gold.sql")).unwrap();
    assert_eq!(
        dev_gold.lines().count(),
        all.iter().filter(|e| e.split == "dev").count()
    );

    // Spider's token fields, as RAT-SQL/RESDSQL-style pipelines read them.
    let dev: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dev.json")).unwrap()).unwrap();
    for q in &dev {
        let toks: Vec<&str> = q["query_toks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(
            toks.join(" ").split_whitespace().collect::<String>(),
            q["query"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .collect::<String>()
        );
        let qt = q["question_toks"].as_array().unwrap();
        assert!(
            !qt.is_empty() && qt.last().unwrap().as_str().unwrap().len() == 1,
            "{q}"
        );
    }

    let d2 = tempfile::tempdir().unwrap();
    let store2 = Store::open(&d2.path().join("again.db")).unwrap();
    let mut total = 0;
    for (split, _) in &r.splits {
        let rep = import_questions(
            &store2,
            Layout::Spider,
            &dir.join(format!("{split}.json")),
            &ImportOptions {
                db_dir: None,
                split: None,
            },
        )
        .unwrap();
        assert!(rep.missing_db.is_empty());
        total += rep.inserted;
    }
    assert_eq!(total, all.len());
    let key = |s: &Store| -> BTreeSet<(String, String, String, String, Option<String>)> {
        s.examples(&ExampleFilter::default())
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.db_name,
                    e.question,
                    e.gold_sql.trim().trim_end_matches(';').to_string(),
                    e.split,
                    e.difficulty,
                )
            })
            .collect()
    };
    assert_eq!(key(&store), key(&store2));
}
