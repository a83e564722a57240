//! Strong synthesis end to end against a fake OpenAI-compatible server on 127.0.0.1: domains
//! (new ones only), schemas (untrusted DDL: DROP TABLE / ATTACH rejected, broken and empty
//! scripts dropped), questions (failing SQL, empty results and near-duplicates dropped), with
//! counts per stage and reason, and provenance for every kept example.

use crate::fake;

use fake::{FakeServer, Reply};
use sense::dataset::samples::{embedded, init_workspace};
use sense::llm::prompts::Prompts;
use sense::llm::{Client, EndpointConfig, SamplingParams};
use sense::store::{ExampleFilter, Store};
use sense::synth::strong::{self, Strong};
use std::time::Duration;

const GOOD_SCHEMA: &str = "Here is the database.\n```sql
CREATE TABLE groomers (groomer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, years INTEGER);
CREATE TABLE dogs (dog_id INTEGER PRIMARY KEY, name TEXT, breed TEXT);
CREATE TABLE appointments (appointment_id INTEGER PRIMARY KEY, groomer_id INTEGER REFERENCES groomers(groomer_id),
  dog_id INTEGER REFERENCES dogs(dog_id), day TEXT, price REAL);
CREATE INDEX appt_day ON appointments(day);
INSERT INTO groomers VALUES (1,'Ana',5),(2,'Ben',2),(3,'Cleo',9);
INSERT INTO dogs VALUES (1,'Rex','Poodle'),(2,'Fido','Beagle'),(3,'Bo','Poodle');
INSERT INTO appointments VALUES (1,1,1,'2024-01-02',40.0),(2,1,2,'2024-01-03',35.5),(3,3,3,'2024-02-01',60.0);
```";

fn schema_reply(domain: &str) -> String {
    match domain {
        "pet_grooming" => GOOD_SCHEMA.into(),
        "evil_drop" => "```sql\nCREATE TABLE a(x); INSERT INTO a VALUES (1); DROP TABLE a;\n```".into(),
        "evil_attach" => "```sql\nCREATE TABLE a(x); INSERT INTO a VALUES (1);\nATTACH DATABASE '/tmp/sense_strong_evil.db' AS e;\nCREATE TABLE e.b(y);\n```".into(),
        "broken_sql" => "```sql\nCREATE TABLE a(x INT; INSERT INTO a VALUES (1);\n```".into(),
        "empty_rows" => "```sql\nCREATE TABLE a(x INTEGER PRIMARY KEY);\n```".into(),
        _ => "I'd rather not.".into(),
    }
}

fn questions_reply() -> String {
    serde_json::json!([
        {"question": "How many groomers are there?", "sql": "SELECT count(*) FROM groomers", "difficulty": "easy"},
        {"question": "List the names of poodles.", "sql": "SELECT name FROM dogs WHERE breed = 'Poodle'", "difficulty": "easy"},
        {"question": "Which groomer handled the most appointments?", "sql": "```sql\nSELECT T1.name FROM groomers AS T1 JOIN appointments AS T2 ON T1.groomer_id = T2.groomer_id GROUP BY T1.groomer_id ORDER BY count(*) DESC LIMIT 1;\n```", "difficulty": "Hard"},
        {"question": "What is the nope?", "sql": "SELECT nope FROM groomers", "difficulty": "easy"},
        {"question": "Who is Nobody?", "sql": "SELECT name FROM groomers WHERE name = 'Nobody'", "difficulty": "easy"},
        {"question": "Count the groomers.", "sql": "select COUNT(*)   from GROOMERS;", "difficulty": "easy"},
        {"question": "How many groomers are there?", "sql": "SELECT count(groomer_id) FROM groomers", "difficulty": "easy"},
        {"question": "Delete everything.", "sql": "DELETE FROM groomers", "difficulty": "easy"},
        {"q": "malformed"}
    ])
    .to_string()
}

fn domains_reply() -> String {
    serde_json::json!([
        {"name": "Pet Grooming", "description": "a dog grooming salon"},
        {"name": "vet_clinic", "description": "already a sample database"},
        {"name": "pet grooming", "description": "the same again"},
        {"name": "evil_drop", "description": "x"},
        {"name": "evil_attach", "description": "x"},
        {"name": "broken_sql", "description": "x"},
        {"name": "empty_rows", "description": "x"},
        {"name": "!!", "description": "no name"}
    ])
    .to_string()
}

#[test]
fn strong_pipeline_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    let store = Store::open(&ws).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let srv = FakeServer::start(|_, body| {
        let prompt = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if prompt.contains("application domains") {
            Reply::chat(&[&format!("Here you go:\n```json\n{}\n```", domains_reply())])
        } else if let Some(line) = prompt.lines().find(|l| l.starts_with("Domain: ")) {
            Reply::chat(&[&schema_reply(line.trim_start_matches("Domain: ").trim())])
        } else if prompt.contains("CREATE TABLE groomers") {
            Reply::chat(&[&questions_reply()])
        } else {
            Reply::status(400, "unexpected prompt")
        }
    });
    let mut cfg = EndpointConfig::new(&srv.url, "strong-model");
    cfg.backoff_base = Duration::from_millis(10);
    let strong = Strong::new(
        Client::new(cfg).unwrap(),
        SamplingParams::default(),
        Prompts::embedded(),
    )
    .unwrap();

    // Stage 1.
    let file = strong::default_domains_file(&store);
    let (kept, r1) = strong::synth_domains(&store, Some(&strong), 8, None, &file).unwrap();
    assert_eq!(r1.proposed, 8);
    assert_eq!(
        kept.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        [
            "pet_grooming",
            "evil_drop",
            "evil_attach",
            "broken_sql",
            "empty_rows"
        ]
    );
    assert_eq!(r1.dropped.get("already in the workspace"), Some(&1));
    assert_eq!(r1.dropped.get("duplicate"), Some(&1));
    assert_eq!(r1.dropped.get("invalid name"), Some(&1));
    assert_eq!(strong::read_domains(&file).unwrap().len(), 5);
    // The prompt told the model what to avoid.
    let first = srv.seen.lock().unwrap()[0].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first.contains("- vet_clinic"), "{first}");

    // Stage 2.
    let domains = strong::read_domains(&file).unwrap();
    let r2 = strong::synth_schemas(&store, &strong, &domains, None).unwrap();
    assert_eq!((r2.proposed, r2.kept), (5, 1), "{r2:?}");
    assert_eq!(r2.items, ["pet_grooming"]);
    assert_eq!(r2.dropped.get("statement not allowed"), Some(&2), "{r2:?}");
    assert_eq!(r2.dropped.get("does not build"), Some(&1));
    assert_eq!(r2.dropped.get("no rows"), Some(&1));
    assert!(!std::path::Path::new("/tmp/sense_strong_evil.db").exists());
    let db = store.database_by_name("pet_grooming").unwrap();
    assert_eq!(db.source, "strong");
    assert!(db.path.starts_with(store.db_dir()));
    for bad in ["evil_drop", "evil_attach", "broken_sql", "empty_rows"] {
        assert!(store.database_by_name(bad).is_err());
        assert!(
            !store.db_dir().join(format!("{bad}.sqlite")).exists(),
            "{bad} left a file"
        );
    }

    // Stage 3.
    let r3 = strong::synth_questions(&store, &strong, &[], 9).unwrap();
    assert_eq!((r3.proposed, r3.kept), (9, 3), "{r3:?}");
    assert_eq!(r3.dropped.get("SQL fails"), Some(&2), "{r3:?}");
    assert_eq!(r3.dropped.get("no rows"), Some(&1));
    assert_eq!(r3.dropped.get("near-duplicate SQL"), Some(&1));
    assert_eq!(r3.dropped.get("duplicate question"), Some(&1));
    assert_eq!(r3.dropped.get("malformed item"), Some(&1));
    let ex = store
        .examples(&ExampleFilter {
            db: Some("pet_grooming".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ex.len(), 3);
    assert!(ex
        .iter()
        .all(|e| e.source == "strong" && e.split == "train"));
    let hard = ex
        .iter()
        .find(|e| e.question.starts_with("Which groomer"))
        .unwrap();
    assert_eq!(hard.difficulty.as_deref(), Some("hard"));
    assert!(!hard.gold_sql.contains("```") && !hard.gold_sql.ends_with(';'));
    let x = store.exchange(hard.exchange_id.unwrap()).unwrap();
    assert_eq!(
        (x.purpose.as_str(), x.model.as_str()),
        ("questions", "strong-model")
    );
    assert!(x.prompt.contains("CREATE TABLE groomers"));
    assert_eq!(x.params["prompt"]["name"], "questions");
    // Every call was recorded: 1 domains + 5 schemas + 1 questions.
    assert_eq!(store.exchange_counts(None).unwrap(), (7, 0));

    // A second questions run has nothing left to do.
    let r4 = strong::synth_questions(&store, &strong, &[], 9).unwrap();
    assert_eq!(r4.proposed, 0);
}

#[test]
fn domains_from_a_file_and_failed_calls() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let from = d.path().join("mine.txt");
    std::fs::write(&from, "# my domains\nbike_repair: a bicycle repair shop\n- Tea Shop: loose-leaf tea\nlibrary_loans: taken\n").unwrap();
    let out = d.path().join("domains.json");
    let (kept, r) = strong::synth_domains(&store, None, 0, Some(&from), &out).unwrap();
    assert_eq!(
        kept.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["bike_repair", "tea_shop"]
    );
    assert_eq!(r.dropped.get("already in the workspace"), Some(&1));

    // The model is down: calls fail, are recorded, and nothing is built.
    let srv = FakeServer::start(|_, _| Reply::status(500, "down"));
    let mut cfg = EndpointConfig::new(&srv.url, "m");
    cfg.max_retries = 1;
    cfg.backoff_base = Duration::from_millis(5);
    let strong = Strong::new(
        Client::new(cfg).unwrap(),
        SamplingParams::default(),
        Prompts::embedded(),
    )
    .unwrap();
    let r = strong::synth_schemas(&store, &strong, &kept, None).unwrap();
    assert_eq!((r.kept, r.failed_calls), (0, 2));
    assert_eq!(r.dropped.get("model call failed"), Some(&2));
    assert_eq!(store.exchange_counts(Some("schema")).unwrap(), (4, 4));
}

/// The workbench's jobs menu runs the three stages as one job: progress per item in the
/// jobs table, a cancel between items keeps what finished, and a second run resumes.
#[test]
fn strong_job_from_the_workbench_cancels_between_items_and_resumes() {
    use sense::jobs::{run_job, JobEvent, JobSpec};
    use sense::source::{defaults, ModelSource};
    use std::sync::atomic::{AtomicBool, Ordering};

    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    let store = Store::open(&ws).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    let srv = FakeServer::start(|_, body| {
        let prompt = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if prompt.contains("application domains") {
            let domains = serde_json::json!([
                {"name": "Pet Grooming", "description": "a dog grooming salon"},
                {"name": "broken_sql", "description": "x"}
            ]);
            Reply::chat(&[&format!("```json\n{domains}\n```")])
        } else if let Some(line) = prompt.lines().find(|l| l.starts_with("Domain: ")) {
            Reply::chat(&[&schema_reply(line.trim_start_matches("Domain: ").trim())])
        } else if prompt.contains("CREATE TABLE groomers") {
            Reply::chat(&[&questions_reply()])
        } else {
            Reply::status(400, "unexpected prompt")
        }
    });
    let source = ModelSource::Endpoint {
        url: srv.url.clone(),
        model: "strong-model".into(),
    };
    let spec = JobSpec::Strong {
        source: source.clone(),
        domains: 3,
        questions: 10,
    };
    let examples = |store: &Store| {
        store
            .examples(&ExampleFilter {
                db: Some("pet_grooming".into()),
                ..Default::default()
            })
            .map(|v| v.len())
            .unwrap_or(0)
    };

    // Cancelled after the first schema: pet_grooming is kept, no questions are asked.
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    run_job(&ws, &spec, &cancel, |ev| {
        if let JobEvent::Progress { done, message, .. } = &ev {
            if *done == 1 && message.starts_with("schemas: ") {
                cancel.store(true, Ordering::SeqCst);
            }
        }
        events.push(ev);
    });
    let Some(JobEvent::Started { id, kind }) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(kind, "strong");
    let Some(JobEvent::Finished { status, message }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(status, "cancelled", "{message}");
    let row = store.job(*id).unwrap();
    assert_eq!(
        (row.kind.as_str(), row.status.as_str()),
        ("strong", "cancelled")
    );
    assert!(store.database_by_name("pet_grooming").is_ok());
    assert!(store.database_by_name("broken_sql").is_err());
    assert_eq!(examples(&store), 0);
    assert!(events.iter().any(|e| matches!(e,
        JobEvent::Progress { message, .. } if message == "schemas: pet_grooming: built")));

    // Again, to its end: the pending domain is tried (and dropped), questions are written.
    cancel.store(false, Ordering::SeqCst);
    let mut events = Vec::new();
    run_job(&ws, &spec, &cancel, |ev| events.push(ev));
    let Some(JobEvent::Finished { status, message }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(status, "done", "{message}");
    assert!(message.contains("schemas: 0 of 1 built"), "{message}");
    assert!(
        message.contains("questions: 3 kept in 1 databases"),
        "{message}"
    );
    assert_eq!(examples(&store), 3);
    assert!(events.iter().any(|e| matches!(e,
        JobEvent::Progress { message, .. } if message == "schemas: broken_sql: does not build")));

    // A local checkpoint is refused.
    let err = ModelSource::Checkpoint(d.path().join("ckpt"))
        .settings(None)
        .unwrap()
        .open_strong(defaults::STRONG_MAX_TOKENS, Prompts::embedded())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("needs an endpoint model"), "{err}");
}
