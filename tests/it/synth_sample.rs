//! Weak sampling through an OpenAI-compatible endpoint (a fake server on 127.0.0.1): prompts
//! are the training serialization, wrong samples become pending pairs via `Judge::record`,
//! exchanges are stored, a second run is a no-op, and cancelling keeps nothing half-done.

use crate::fake;

use fake::{FakeServer, Reply};
use sense::dataset::samples::{embedded, init_workspace};
use sense::llm::EndpointGenerator;
use sense::llm::{EndpointConfig, SamplingParams};
use sense::schema::{introspect_path, prompt_for, PromptOptions};
use sense::store::{ExampleFilter, PairStatus, Store};
use sense::synth::sample::{run_sampling, SampleOptions};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn workspace() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    (d, store)
}

fn question_of(prompt: &str) -> String {
    prompt
        .lines()
        .find_map(|l| l.strip_prefix("-- Question: "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn endpoint_sampling_judges_records_and_resumes() {
    let (d, store) = workspace();
    let filter = ExampleFilter {
        db: Some("vet_clinic".into()),
        limit: Some(6),
        ..Default::default()
    };
    let examples = store.examples(&filter).unwrap();
    // The server answers gold SQL (fenced) for the first choice and a wrong query for the second.
    let gold: HashMap<String, String> = examples
        .iter()
        .map(|e| (e.question.clone(), e.gold_sql.clone()))
        .collect();
    let srv = FakeServer::start(move |_, body| {
        let user = body["messages"].as_array().unwrap().last().unwrap()["content"]
            .as_str()
            .unwrap()
            .to_string();
        let g = gold
            .get(&question_of(&user))
            .cloned()
            .unwrap_or_else(|| "SELECT 0".into());
        let n = body["n"].as_u64().unwrap_or(1) as usize;
        let good = format!("Sure:\n```sql\n{g};\n```");
        let texts: Vec<&str> = (0..n)
            .map(|i| {
                if i == 0 {
                    good.as_str()
                } else {
                    "SELECT 12345 AS nothing"
                }
            })
            .collect();
        Reply::chat(&texts)
    });
    let mut cfg = EndpointConfig::new(&srv.url, "weak-model");
    cfg.backoff_base = Duration::from_millis(10);
    let ws = d.path().join("sense.db");
    let mut gen = EndpointGenerator::new(
        cfg.clone(),
        SamplingParams::default(),
        Some("Answer in SQL.".into()),
        Some(Store::open(&ws).unwrap()),
    )
    .unwrap();
    let opts = SampleOptions {
        filter: filter.clone(),
        k: 2,
        temperature: 0.9,
        batch: 4,
        ..Default::default()
    };
    let pairs_before = store.counts().unwrap().pairs;
    let mut calls_to_progress = 0;
    let r = run_sampling(
        &store,
        &mut gen,
        &opts,
        &AtomicBool::new(false),
        |_, total| {
            calls_to_progress += 1;
            assert_eq!(total, 6);
        },
    )
    .unwrap();
    assert_eq!(calls_to_progress, 2, "6 examples in batches of 4");
    assert_eq!(
        (r.examples, r.already_done, r.recorded, r.correct, r.wrong),
        (6, 0, 12, 6, 6),
        "{r:?}"
    );
    assert_eq!(r.new_pairs, 6);
    assert_eq!(store.counts().unwrap().pairs - pairs_before, 6);
    let pending: Vec<_> = store
        .pairs(Some(PairStatus::Pending))
        .unwrap()
        .into_iter()
        .filter(|p| p.model == "weak-model")
        .collect();
    assert_eq!(pending.len(), 6);
    assert!(pending
        .iter()
        .all(|p| p.rejected_sql == "SELECT 12345 AS nothing"));

    // Requests: one per example with n = 2, the system message, then exactly the training prompt.
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    let schema = introspect_path(
        &store.database_by_name("vet_clinic").unwrap().path,
        PromptOptions::default().sample_rows,
    )
    .unwrap();
    for s in &seen {
        assert_eq!(s.body["n"], 2);
        assert_eq!(s.body["messages"][0]["role"], "system");
        let user = s.body["messages"][1]["content"].as_str().unwrap();
        let e = examples
            .iter()
            .find(|e| e.question == question_of(user))
            .unwrap();
        assert_eq!(
            user,
            prompt_for(
                &schema,
                &e.question,
                e.evidence.as_deref(),
                PromptOptions::default()
            )
        );
    }
    assert_eq!(store.exchange_counts(Some("sample")).unwrap(), (6, 0));

    // Resumable: everything is done, nothing is asked again.
    let r2 = run_sampling(&store, &mut gen, &opts, &AtomicBool::new(false), |_, _| {}).unwrap();
    assert_eq!((r2.already_done, r2.requested, r2.recorded), (6, 0, 0));
    assert_eq!(srv.calls(), 6);
    // Raising k asks only for the rest (k separate requests of one each).
    gen.separate_requests = true;
    let r3 = run_sampling(
        &store,
        &mut gen,
        &SampleOptions {
            k: 3,
            ..opts.clone()
        },
        &AtomicBool::new(false),
        |_, _| {},
    )
    .unwrap();
    assert_eq!((r3.requested, r3.recorded), (6, 6));
    assert_eq!(srv.calls(), 12);

    // Cancelled before starting: nothing asked, nothing recorded.
    let r4 = run_sampling(
        &store,
        &mut gen,
        &SampleOptions {
            k: 5,
            ..opts.clone()
        },
        &AtomicBool::new(true),
        |_, _| {},
    )
    .unwrap();
    assert!(r4.cancelled);
    assert_eq!(r4.recorded, 0);
    assert_eq!(srv.calls(), 12);
}

#[test]
fn a_dead_endpoint_is_an_error_and_records_nothing() {
    let (_d, store) = workspace();
    let srv = FakeServer::start(|_, _| Reply::status(400, "{\"error\":\"unknown model\"}"));
    let gen_cfg = EndpointConfig::new(&srv.url, "nope");
    let mut gen = EndpointGenerator::new(gen_cfg, SamplingParams::default(), None, None).unwrap();
    let before = store.counts().unwrap().candidates;
    let opts = SampleOptions {
        filter: ExampleFilter {
            limit: Some(3),
            ..Default::default()
        },
        k: 1,
        ..Default::default()
    };
    let err =
        run_sampling(&store, &mut gen, &opts, &AtomicBool::new(false), |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    assert_eq!(store.counts().unwrap().candidates, before);
}
