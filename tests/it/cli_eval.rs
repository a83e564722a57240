//! `sense eval` and `sense exec` through the real binary.

use std::path::Path;
use std::process::Command;

fn sense() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sense"))
}

fn fixture(root: &Path) {
    let p = root.join("database/shop");
    std::fs::create_dir_all(&p).unwrap();
    let c = rusqlite::Connection::open(p.join("shop.sqlite")).unwrap();
    c.execute_batch(
        "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL);
         INSERT INTO item VALUES (1,'pen',1.5),(2,'ink',3.0),(3,'pad',2.0);",
    )
    .unwrap();
    std::fs::write(
        root.join("gold.sql"),
        "SELECT name FROM item ORDER BY price\tshop\nSELECT count(*) FROM item\tshop\nSELECT name, price FROM item\tshop\nSELECT price FROM item WHERE id = 2\tshop\n",
    )
    .unwrap();
    std::fs::write(
        root.join("pred.sql"),
        "SELECT name FROM item ORDER BY price DESC\nSELECT count(*) FROM item; DROP TABLE item\nSELECT price, name FROM item\nSELECT nope FROM item\n",
    )
    .unwrap();
}

#[test]
fn eval_json_lines_give_per_example_verdicts_and_a_summary() {
    let d = tempfile::tempdir().unwrap();
    fixture(d.path());
    let out = sense()
        .args(["eval", "--metric", "spider", "--json", "--pred"])
        .arg(d.path().join("pred.sql"))
        .arg("--gold")
        .arg(d.path().join("gold.sql"))
        .arg("--db")
        .arg(d.path().join("database"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let correct: Vec<bool> = lines[..4]
        .iter()
        .map(|l| l["correct"].as_bool().unwrap())
        .collect();
    // Order differs; only the first statement runs; columns may be permuted; unknown column.
    assert_eq!(correct, vec![false, true, true, false]);
    assert_eq!(lines[0]["reason"], "same rows, order differs");
    assert!(lines[3]["reason"]
        .as_str()
        .unwrap()
        .contains("no such column"));
    assert_eq!(lines[0]["index"], 0);
    assert_eq!(lines[0]["db_id"], "shop");
    assert_eq!(lines[4]["correct"], 2);
    assert_eq!(lines[4]["n"], 4);

    // The DROP TABLE in a prediction never ran.
    let c = rusqlite::Connection::open(d.path().join("database/shop/shop.sqlite")).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM item", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);

    // BIRD's metric keeps column order: the permuted prediction is wrong there.
    let out = sense()
        .args(["eval", "--metric", "bird", "--json", "--pred"])
        .arg(d.path().join("pred.sql"))
        .arg("--gold")
        .arg(d.path().join("gold.sql"))
        .arg("--db")
        .arg(d.path().join("database"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let third: serde_json::Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    assert_eq!(third["correct"], false);
}

#[test]
fn misaligned_files_are_bad_input() {
    let d = tempfile::tempdir().unwrap();
    fixture(d.path());
    std::fs::write(d.path().join("short.sql"), "SELECT 1\n").unwrap();
    let out = sense()
        .args(["eval", "--pred"])
        .arg(d.path().join("short.sql"))
        .arg("--gold")
        .arg(d.path().join("gold.sql"))
        .arg("--db")
        .arg(d.path().join("database"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must align"));
}

#[test]
fn init_then_exec_and_candidates_import() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    let ok = sense()
        .arg("--workspace")
        .arg(&ws)
        .arg("init")
        .status()
        .unwrap();
    assert!(ok.success());
    let out = sense()
        .arg("--workspace")
        .arg(&ws)
        .args([
            "exec",
            "--db",
            "bakery_orders",
            "SELECT count(*) AS n FROM customers",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 row"));

    let store = sense::store::Store::open(&ws).unwrap();
    let ex = &store
        .examples(&sense::store::ExampleFilter {
            db: Some("bakery_orders".into()),
            ..Default::default()
        })
        .unwrap()[0];
    let file = d.path().join("cands.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            serde_json::json!({"example_id": ex.id, "sql": "SELECT 12345"}),
            serde_json::json!({"db_id": "bakery_orders", "question": ex.question, "sql": ex.gold_sql}),
        ),
    )
    .unwrap();
    let before = store.counts().unwrap().pending;
    let out = sense()
        .arg("--workspace")
        .arg(&ws)
        .args(["candidates", "import", "--model", "weak-1"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 correct, 1 wrong (1 new pending pairs)")
    );
    assert_eq!(store.counts().unwrap().pending, before + 1);

    std::fs::write(&file, "{\"sql\": \"SELECT 1\"}\n").unwrap();
    let out = sense()
        .arg("--workspace")
        .arg(&ws)
        .args(["candidates", "import", "--model", "weak-1"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cands.jsonl:1"));
}

/// A tiny random checkpoint (byte tokenizer): enough to generate something to judge.
fn tiny_checkpoint(dir: &Path) {
    use sense::train::checkpoint::{save, CheckpointMeta};
    use sense::train::config::ModelConfig;
    use sense::train::tokenizer::Tokenizer;
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len: 512,
        ..ModelConfig::default()
    };
    let model = sense::train::model::Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    save(
        dir,
        &model,
        &Tokenizer::Byte,
        &CheckpointMeta::new(&cfg, &Tokenizer::Byte, 0, None, Some("sft")),
        None,
    )
    .unwrap();
}

/// A `sense init` workspace in `dir`.
fn init_workspace(dir: &Path) -> std::path::PathBuf {
    let ws = dir.join("sense.db");
    assert!(sense()
        .arg("--workspace")
        .arg(&ws)
        .arg("init")
        .status()
        .unwrap()
        .success());
    ws
}

/// Rewrites a checkpoint's `config.json` (its metadata) with `f`.
fn edit_meta(ck: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = ck.join("config.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut meta);
    std::fs::write(&path, meta.to_string()).unwrap();
}

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn eval_json_has_one_shape_for_prediction_files_and_checkpoints() {
    let d = tempfile::tempdir().unwrap();
    fixture(d.path());
    let files = json_lines(
        &sense()
            .args(["eval", "--metric", "spider", "--json", "--pred"])
            .arg(d.path().join("pred.sql"))
            .arg("--gold")
            .arg(d.path().join("gold.sql"))
            .arg("--db")
            .arg(d.path().join("database"))
            .output()
            .unwrap(),
    );

    let ws = init_workspace(d.path());
    let ck = d.path().join("ck");
    tiny_checkpoint(&ck);
    let model = json_lines(
        &sense()
            .arg("--workspace")
            .arg(&ws)
            .args(["eval", "--split", "dev", "--limit", "2"])
            .args(["--max-new-tokens", "4", "--json", "--model"])
            .arg(&ck)
            .output()
            .unwrap(),
    );
    assert_eq!(model.len(), 3, "{model:?}");

    let (f_item, f_sum) = (&files[0], files.last().unwrap());
    let (m_item, m_sum) = (&model[0], model.last().unwrap());
    assert_eq!(keys(f_item), keys(m_item));
    assert_eq!(keys(f_sum), keys(m_sum));
    for k in [
        "index",
        "example_id",
        "db_id",
        "difficulty",
        "pred",
        "correct",
        "reason",
    ] {
        assert!(f_item.get(k).is_some(), "item key {k}");
    }
    for k in [
        "summary",
        "metric",
        "n",
        "correct",
        "ex",
        "gold_errors",
        "per_db",
        "per_difficulty",
        "eval_id",
        "decoding",
    ] {
        assert!(f_sum.get(k).is_some(), "summary key {k}");
    }
    // What only a checkpoint's evaluation has is null for a predictions file.
    assert!(f_item["example_id"].is_null() && f_sum["eval_id"].is_null());
    assert!(f_sum["decoding"].is_null());
    assert_eq!(m_sum["decoding"], "greedy, schema-bound");
    assert!(m_item["example_id"].is_i64() && m_sum["eval_id"].is_i64());
    assert_eq!(f_item["pred"], "SELECT name FROM item ORDER BY price DESC");
    assert_eq!(
        (m_sum["summary"].as_bool(), m_sum["n"].as_i64()),
        (Some(true), Some(2))
    );
    assert_eq!(m_sum["metric"], "spider");
    // The per-database breakdown sums to the total.
    let per_db: i64 = m_sum["per_db"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| t["n"].as_i64().unwrap())
        .sum();
    assert_eq!(per_db, 2);
}

/// `--candidates K` draws samples where the greedy SQL does not answer and says so: in the
/// summary, in the stored evaluation (which a change in EX is compared by), per example as
/// many predictions as examples.
#[test]
fn an_evaluation_by_execution_records_its_decoding() {
    let d = tempfile::tempdir().unwrap();
    let ws = init_workspace(d.path());
    let ck = d.path().join("ck");
    tiny_checkpoint(&ck);
    let eval = |extra: &[&str]| {
        json_lines(
            &sense()
                .arg("--workspace")
                .arg(&ws)
                .args(["eval", "--split", "dev", "--limit", "3"])
                .args(["--max-new-tokens", "6", "--json", "--model"])
                .arg(&ck)
                .args(extra)
                .output()
                .unwrap(),
        )
    };
    let voted = eval(&["--candidates", "3"]);
    assert_eq!(voted.len(), 4, "{voted:?}");
    let sum = voted.last().unwrap();
    assert_eq!(sum["decoding"], "best of 3 by execution, schema-bound");
    let free = eval(&["--free-decoding"]);
    assert_eq!(free.last().unwrap()["decoding"], "greedy, free");
    let store = sense::store::Store::open(&ws).unwrap();
    let rows = store.evals().unwrap();
    let decodings: Vec<Option<&str>> = rows.iter().map(|e| e.decoding.as_deref()).collect();
    assert_eq!(
        decodings,
        [
            Some("best of 3 by execution, schema-bound"),
            Some("greedy, free")
        ]
    );
    // A checkpoint trained in another workspace names a run this one lacks: the evaluation
    // is recorded, under no run.
    edit_meta(&ck, |m| m["run_id"] = serde_json::json!(1));
    let elsewhere = eval(&[]);
    assert_eq!(elsewhere.len(), 4, "{elsewhere:?}");
    let rows = store.evals().unwrap();
    assert_eq!((rows.len(), rows[2].run_id), (3, None));
    // Out of range: refused with the bound, nothing recorded.
    let out = sense()
        .arg("--workspace")
        .arg(&ws)
        .args(["eval", "--split", "dev", "--candidates", "33", "--model"])
        .arg(&ck)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 32"));
    assert_eq!(store.evals().unwrap().len(), 3);
}

/// `sense eval --model` is a job other viewers follow (its progress in the jobs table, a stage
/// line in the run's log), records which examples it used, and a second evaluation of the same
/// checkpoint while a live process runs one is refused.
#[test]
fn a_checkpoint_evaluation_is_a_watched_job_once_at_a_time() {
    use sense::store::{JobStatus, NewRun, Store};
    let d = tempfile::tempdir().unwrap();
    let ws = init_workspace(d.path());
    let log = d.path().join("run.log");
    std::fs::write(&log, "step 1 loss 3.2\n").unwrap();
    let store = Store::open(&ws).unwrap();
    let run = store
        .create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({"log": log.display().to_string()}),
            total_steps: 1,
            pid: None,
        })
        .unwrap();
    let ck = d.path().join("ck");
    tiny_checkpoint(&ck);
    // The checkpoint belongs to the run (as `sense train` writes it).
    edit_meta(&ck, |m| m["run_id"] = run.into());
    let eval = |limit: &str| {
        sense()
            .arg("--workspace")
            .arg(&ws)
            .args(["eval", "--split", "dev", "--limit", limit])
            .args(["--max-new-tokens", "4", "--json", "--model"])
            .arg(&ck)
            .output()
            .unwrap()
    };
    let first = json_lines(&eval("3"));
    let id = first.last().unwrap()["eval_id"].as_i64().unwrap();
    let used = store.eval_examples(id).unwrap().unwrap();
    assert_eq!(used.len(), 3);
    let again = json_lines(&eval("3"));
    let other = json_lines(&eval("4"));
    let evals = store.evals().unwrap();
    let set = |eid: &serde_json::Value| {
        evals
            .iter()
            .find(|e| Some(e.id) == eid.as_i64())
            .unwrap()
            .example_set
            .clone()
            .unwrap()
    };
    let (a, b, c) = (
        set(&first.last().unwrap()["eval_id"]),
        set(&again.last().unwrap()["eval_id"]),
        set(&other.last().unwrap()["eval_id"]),
    );
    assert_eq!(a, b, "the same examples: comparable");
    assert_ne!(a, c, "another set: not comparable");
    // Each left a finished job with the checkpoint as its target, and lines in the run's log.
    let job = store.job(1).unwrap();
    assert_eq!(
        (
            job.kind.as_str(),
            job.status,
            job.run_id,
            job.done,
            job.total
        ),
        ("eval", JobStatus::Done, Some(run), 3, 3)
    );
    assert!(
        job.message.contains(&format!("eval #{id}")),
        "{}",
        job.message
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("step 1 loss 3.2\n"), "{text}");
    assert!(text.contains("[eval] evaluating"), "{text}");
    assert!(text.contains(&format!("[eval] eval #{id}: EX ")), "{text}");

    // A live process evaluating this checkpoint: a second one is refused, naming it.
    let target = std::fs::canonicalize(&ck).unwrap().display().to_string();
    store
        .create_exclusive_job("eval", &target, Some(run), 10, "", &|_| true)
        .unwrap();
    let out = eval("3");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "already running in process {}",
            std::process::id()
        )),
        "{err}"
    );
    assert_eq!(store.evals().unwrap().len(), 3, "nothing recorded");
}

/// Loading a checkpoint that warns (a prompt layout this sense does not know) says so in the
/// sampling report, which both the CLI and the workbench's job show.
#[test]
fn sampling_reports_the_checkpoints_load_warning() {
    let d = tempfile::tempdir().unwrap();
    let ws = init_workspace(d.path());
    let ck = d.path().join("ck");
    tiny_checkpoint(&ck);
    edit_meta(&ck, |m| m["prompt_version"] = 99.into());
    let out = sense()
        .arg("--workspace")
        .arg(&ws)
        .args([
            "sample",
            "--limit",
            "1",
            "-k",
            "1",
            "--max-tokens",
            "4",
            "--json",
        ])
        .arg("--model")
        .arg(&ck)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = report["warning"].as_str().unwrap_or_default();
    assert!(w.contains("99"), "{report}");
}
