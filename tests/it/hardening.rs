//! Issue 12: untrusted input bounded in time, memory and disk, checked through the real binary.

use crate::bin::{ok, sense};
use std::process::{Command, Stdio};

/// Runs `c` to completion and returns (exit code, stderr, peak RSS in MiB of that child alone).
// The child is reaped by wait4 below, which also reads its rusage.
#[allow(unsafe_code, clippy::zombie_processes)]
pub fn run_with_peak_rss(c: &mut Command) -> (i32, String, u64) {
    let child = c
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid, and `pid` is our own child, reaped exactly once here
    // (std's `Child` is dropped without waiting) so its own rusage, not other tests' children, is read.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // ru_maxrss is in KiB on Linux.
    (code, reader.join().unwrap(), ru.ru_maxrss as u64 / 1024)
}

#[test]
fn huge_values_fail_fast_as_too_large_within_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    for sql in [
        "SELECT length(randomblob(900000000))+length(randomblob(900000000))",
        "SELECT randomblob(9e8), randomblob(9e8), randomblob(9e8)",
        // Many values each under the length limit: the heap limit stops the row.
        &format!("SELECT {}", vec!["randomblob(30000000)"; 60].join(", ")),
    ] {
        let (code, err, peak_mib) =
            run_with_peak_rss(sense(&ws).args(["exec", "--db", "library_loans", sql]));
        assert_eq!(code, 1, "{sql}: {err}");
        assert!(err.contains("result too large"), "{sql}: {err}");
        assert!(peak_mib < 1024, "{sql}: peak RSS {peak_mib} MiB");
    }
}

/// `sense synth schemas` against a model whose DDL reply would write until the disk is full.
#[test]
fn runaway_schema_reply_is_refused_with_its_reason_and_stale_builds_are_removed() {
    use crate::fake::{FakeServer, Reply};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let domains = d.path().join("domains.txt");
    std::fs::write(
        &domains,
        "bottomless: a table that never ends\nsmall_shop: a shop\n",
    )
    .unwrap();
    // A build killed earlier (its pid is far above pid_max, so never alive).
    let db_dir = d.path().join("sense_dbs");
    let stale = db_dir.join("old.sqlite.999999999.sense-tmp");
    std::fs::create_dir_all(&db_dir).unwrap();
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    let srv = FakeServer::start(|_, body| {
        let prompt = body.to_string();
        if prompt.contains("bottomless") {
            Reply::chat(&["```sql\nCREATE TABLE big(i INTEGER, pad BLOB);\nINSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c) SELECT i, randomblob(1000) FROM c;\n```"])
        } else {
            Reply::chat(&["```sql\nCREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO item VALUES (1, 'pen'), (2, 'ink');\n```"])
        }
    });
    let out = ok(sense(&ws)
        .args(["synth", "schemas", "--model", "m", "--endpoint", &srv.url])
        .arg("--domains")
        .arg(&domains)
        .args(["--max-db-mb", "2"]));
    assert!(
        out.contains("schema script refused: database larger than 2 MB"),
        "{out}"
    );
    assert!(!stale.exists(), "the stale build was left");
    let files: Vec<String> = std::fs::read_dir(&db_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("bottomless") || n.contains("sense-tmp") || n.contains("small_shop"))
        .collect();
    assert_eq!(files, vec!["small_shop.sqlite".to_string()], "{out}");
    let bad = sense(&ws)
        .args(["synth", "schemas", "--model", "m", "--endpoint", &srv.url])
        .args(["--max-db-mb", "0"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

fn count(ws: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(ws)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// A Spider folder at `root` with one database `name` and `questions` (db_id, question, query).
fn spider_folder(root: &std::path::Path, name: &str, questions: &str) {
    let p = root.join("database").join(name);
    std::fs::create_dir_all(&p).unwrap();
    rusqlite::Connection::open(p.join(format!("{name}.sqlite")))
        .unwrap()
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY); INSERT OR IGNORE INTO t VALUES (1);",
        )
        .unwrap();
    std::fs::write(root.join("train.json"), questions).unwrap();
}

#[test]
fn an_existing_db_id_is_not_repointed_and_a_refused_import_leaves_nothing() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let path_before: String = rusqlite::Connection::open(&ws)
        .unwrap()
        .query_row(
            "SELECT path FROM databases WHERE name = 'airline_maintenance'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let dbs_before = count(&ws, "SELECT count(*) FROM databases");
    let ex_before = count(&ws, "SELECT count(*) FROM examples");
    let other = d.path().join("other");
    // `aaa_new` sorts first, so a database row would be written before the refusal.
    spider_folder(
        &other,
        "airline_maintenance",
        r#"[
        {"db_id":"aaa_new","question":"Q0","query":"SELECT 1"},
        {"db_id":"airline_maintenance","question":"Q1","query":"SELECT 1"}]"#,
    );
    spider_folder(
        &other,
        "aaa_new",
        r#"[
        {"db_id":"aaa_new","question":"Q0","query":"SELECT 1"},
        {"db_id":"airline_maintenance","question":"Q1","query":"SELECT 1"}]"#,
    );
    let out = sense(&ws)
        .args(["import", "spider"])
        .arg(other.join("train.json"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("database 'airline_maintenance' already exists"),
        "{err}"
    );
    let path_after: String = rusqlite::Connection::open(&ws)
        .unwrap()
        .query_row(
            "SELECT path FROM databases WHERE name = 'airline_maintenance'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(path_before, path_after);
    assert_eq!(count(&ws, "SELECT count(*) FROM databases"), dbs_before);
    assert_eq!(count(&ws, "SELECT count(*) FROM examples"), ex_before);
    // The sample examples still run against their own database.
    let out = ok(sense(&ws).args([
        "exec",
        "--db",
        "airline_maintenance",
        "SELECT count(*) FROM aircraft",
    ]));
    assert!(!out.contains("no such table"), "{out}");
}

#[test]
fn db_ids_that_are_paths_are_refused_on_import_and_export_stays_in_its_folder() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let src = d.path().join("src");
    // A real database outside --db-dir that "../outside" would reach.
    spider_folder(&d.path().join("outside_root"), "outside", "[]");
    for bad in ["../outside", "/etc", "..", ".hidden", "a\\\\b", "a\\u0000b"] {
        spider_folder(
            &src,
            "ok",
            &format!(r#"[{{"db_id":"{bad}","question":"Q","query":"SELECT 1"}}]"#),
        );
        let out = sense(&ws)
            .args(["import", "spider"])
            .arg(src.join("train.json"))
            .arg("--db-dir")
            .arg(src.join("database"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("invalid database name"), "{bad}: {err}");
    }
    assert_eq!(
        count(
            &ws,
            "SELECT count(*) FROM databases WHERE name LIKE '%.%' OR name LIKE '%/%'"
        ),
        0
    );
    // A workspace written before names were checked: export refuses instead of escaping.
    rusqlite::Connection::open(&ws)
        .unwrap()
        .execute_batch("UPDATE databases SET name = '../../escaped' WHERE name = 'library_loans';")
        .unwrap();
    let out_dir = d.path().join("export/inner");
    let out = sense(&ws)
        .args(["export", "spider"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("not a plain name"), "{err}");
    assert!(!d.path().join("escaped").exists());
    assert!(!d.path().join("export/escaped").exists());
}

#[test]
fn bad_numeric_flags_exit_2_with_a_message_never_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    spider_folder(&d.path().join("spider"), "shop", "[]");
    std::fs::write(d.path().join("gold.sql"), "SELECT 1\tshop\n").unwrap();
    std::fs::write(d.path().join("pred.sql"), "SELECT 1\n").unwrap();
    let eval = |t: &str| {
        let mut c = sense(&ws);
        c.arg("eval")
            .arg(format!("--timeout={t}"))
            .arg("--pred")
            .arg(d.path().join("pred.sql"))
            .arg("--gold")
            .arg(d.path().join("gold.sql"))
            .arg("--db")
            .arg(d.path().join("spider/database"));
        c
    };
    // The eval works with a sane value, so the failures below are the flag's.
    ok(&mut eval("5"));
    let mut cases: Vec<Command> = ["-1", "nan", "inf", "18446744073.71", "0"]
        .iter()
        .map(|t| eval(t))
        .collect();
    let endpoint = "http://127.0.0.1:9/v1";
    for args in [
        vec![
            "sample",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--timeout=inf",
        ],
        vec![
            "sample",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--timeout=nan",
        ],
        vec![
            "sample",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--timeout=18446744073.71",
        ],
        vec!["sample", "--model", "m", "--endpoint", endpoint, "-k", "0"],
        vec![
            "sample",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--temperature=-1",
        ],
        vec![
            "sample",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--concurrency",
            "0",
        ],
        vec![
            "synth",
            "domains",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "--timeout=-1",
        ],
        vec![
            "synth",
            "domains",
            "--model",
            "m",
            "--endpoint",
            endpoint,
            "-n",
            "0",
        ],
        vec!["train", "sft", "--max-minutes=nan", "--steps", "1"],
        vec!["train", "sft", "--lr=inf", "--steps", "1"],
    ] {
        let mut c = sense(&ws);
        c.args(args);
        cases.push(c);
    }
    for c in &mut cases {
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{c:?}: {err}");
        assert!(!err.contains("panicked"), "{c:?}: {err}");
        assert!(
            err.contains("out of range") || err.contains("is not"),
            "{c:?}: {err}"
        );
    }
}

#[test]
fn synth_domains_keeps_at_most_n() {
    use crate::fake::{FakeServer, Reply};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let names: Vec<String> = (0..15)
        .map(|i| format!(r#"{{"name":"domain_{i}","description":"d{i}"}}"#))
        .collect();
    let reply = format!("```json\n[{}]\n```", names.join(","));
    let srv = FakeServer::start(move |_, _| Reply::chat(&[&reply]));
    let file = d.path().join("domains.json");
    let out = ok(sense(&ws)
        .args([
            "synth",
            "domains",
            "-n",
            "5",
            "--model",
            "m",
            "--endpoint",
            &srv.url,
        ])
        .arg("--out")
        .arg(&file));
    let kept: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(kept.len(), 5, "{out}");
    assert!(out.contains("beyond the 5 asked for 10"), "{out}");
}

fn client_cfg(url: &str, key_env: &str) -> sense::llm::EndpointConfig {
    let mut c = sense::llm::EndpointConfig::new(url, "m");
    c.api_key_env = key_env.into();
    c.backoff_base = std::time::Duration::from_millis(10);
    c.backoff_max = std::time::Duration::from_millis(50);
    c
}

fn one_request() -> sense::llm::ChatRequest {
    sense::llm::ChatRequest {
        purpose: "test".into(),
        messages: vec![sense::llm::Message::user("Q")],
        params: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_replies_are_refused_unread_and_not_retried() {
    use crate::fake::{FakeServer, Reply};
    let big = "x".repeat(sense::llm::MAX_REPLY_BYTES + 1);
    let srv = FakeServer::start(move |_, _| Reply::chat(&[&big]));
    let client = sense::llm::Client::new(client_cfg(&srv.url, "SENSE_TEST_NO_KEY")).unwrap();
    let out = client.chat(&one_request()).await;
    assert_eq!(out.result.unwrap_err(), sense::llm::LlmError::TooLarge);
    assert_eq!(srv.calls(), 1);
    let x = &out.exchanges[0];
    assert!(x.reply.is_none());
    assert_eq!(
        x.error.as_deref(),
        Some("reply larger than 1048576 bytes: refused")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_capped_at_the_request_timeout_and_says_so() {
    use crate::fake::{FakeServer, Reply};
    let srv = FakeServer::start(|i, _| {
        if i == 0 {
            Reply::too_many("3600")
        } else {
            Reply::chat(&["SELECT 1"])
        }
    });
    let mut cfg = client_cfg(&srv.url, "SENSE_TEST_NO_KEY");
    cfg.timeout = std::time::Duration::from_secs(1);
    let client = sense::llm::Client::new(cfg).unwrap();
    // Without the cap this waits an hour; the test harness would time out.
    let out = client.chat(&one_request()).await;
    assert_eq!(out.result.unwrap().texts, vec!["SELECT 1"]);
    let first = out.exchanges[0].error.clone().unwrap();
    assert!(
        first.contains("Retry-After 3600s capped at the 1s request timeout"),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_key_echoed_in_an_error_body_is_redacted() {
    use crate::fake::{FakeServer, Reply};
    std::env::set_var("SENSE_TEST_KEY_REDACT", "sk-live-very-secret-42");
    let srv = FakeServer::start(|_, _| {
        Reply::status(
            401,
            r#"{"error":"invalid key sk-live-very-secret-42 for this org"}"#,
        )
    });
    let client = sense::llm::Client::new(client_cfg(&srv.url, "SENSE_TEST_KEY_REDACT")).unwrap();
    let out = client.chat(&one_request()).await;
    let shown = out.result.unwrap_err().to_string();
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(
        shown.contains("invalid key [redacted] for this org"),
        "{shown}"
    );
    let x = &out.exchanges[0];
    for stored in [x.reply.as_deref(), x.error.as_deref()]
        .into_iter()
        .flatten()
    {
        assert!(!stored.contains("very-secret"), "{stored}");
    }
}

#[test]
fn synth_fails_when_every_call_failed_and_sample_says_its_error_once() {
    use crate::fake::{FakeServer, Reply};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let srv = FakeServer::start(|_, _| Reply::status(400, r#"{"error":"model is asleep"}"#));
    let out = sense(&ws)
        .args([
            "synth",
            "domains",
            "-n",
            "3",
            "--model",
            "m",
            "--endpoint",
            &srv.url,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("all 1 model calls failed"), "{err}");
    let out = sense(&ws)
        .args([
            "sample",
            "--model",
            "m",
            "--endpoint",
            &srv.url,
            "--limit",
            "1",
            "-k",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("model is asleep").count(), 1, "{err}");
}

#[test]
fn candidate_sql_over_64_kb_is_refused_before_judging_or_storing() {
    use crate::fake::{FakeServer, Reply};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let huge = format!("SELECT 1 {}", "/*x*/ ".repeat(20_000));
    let before = count(&ws, "SELECT count(*) FROM candidates");
    // Weak sampling: the reply is recorded as an exchange, the SQL is neither judged nor stored.
    let reply = huge.clone();
    let srv = FakeServer::start(move |_, _| Reply::chat(&[&reply]));
    let out = ok(sense(&ws).args([
        "sample",
        "--model",
        "m",
        "--endpoint",
        &srv.url,
        "--db",
        "vet_clinic",
        "--split",
        "dev",
        "--allow-dev",
        "--limit",
        "1",
        "-k",
        "1",
    ]));
    assert!(out.contains("1 not judged: SQL over 65536 bytes"), "{out}");
    assert_eq!(count(&ws, "SELECT count(*) FROM candidates"), before);
    // Import: the line is refused with its reason.
    let file = d.path().join("cands.jsonl");
    let id = count(&ws, "SELECT min(id) FROM examples");
    std::fs::write(
        &file,
        format!("{}\n", serde_json::json!({"example_id": id, "sql": huge})),
    )
    .unwrap();
    let out = sense(&ws)
        .args(["candidates", "import", "--model", "m"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(":1: SQL is 120009 bytes, over the 65536-byte limit"),
        "{err}"
    );
    assert_eq!(count(&ws, "SELECT count(*) FROM candidates"), before);
}

#[test]
fn exec_escapes_control_characters_from_data() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let out = ok(sense(&ws).args([
        "exec",
        "--db",
        "vet_clinic",
        "SELECT char(27) || ']0;pwned' || char(7) || char(27) || '[2J' AS v",
    ]));
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\u{1b}]0;pwned\\u{7}"), "{out}");
}

#[test]
fn unreadable_input_files_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let bad_utf8 = d.path().join("latin1.jsonl");
    std::fs::write(&bad_utf8, b"{\"sql\": \"SELECT '\xe9'\"}\n").unwrap();
    let missing = d.path().join("missing.jsonl");
    let db = d.path().join("db");
    std::fs::create_dir_all(&db).unwrap();
    let gold = d.path().join("gold.sql");
    std::fs::write(&gold, "SELECT 1\tshop\n").unwrap();
    for input in [&missing, &d.path().to_path_buf(), &bad_utf8] {
        let out = sense(&ws)
            .args(["candidates", "import", "--model", "m"])
            .arg(input)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input:?}: {err}");
        assert!(
            err.contains(&format!("cannot read {}", input.display())),
            "{err}"
        );
        let out = sense(&ws)
            .arg("eval")
            .arg("--pred")
            .arg(input)
            .arg("--gold")
            .arg(&gold)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "eval {input:?}: {err}");
    }
}

/// A tiny random checkpoint at `dir` (byte tokenizer).
fn tiny_checkpoint(dir: &std::path::Path) {
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

#[test]
fn serve_bounds_requests_and_answers_openai_errors() {
    use std::io::{Read, Write};
    // reqwest needs the crypto provider, whichever test runs first.
    sense::llm::install_crypto();
    let d = tempfile::tempdir().unwrap();
    let store = sense::store::Store::open(&d.path().join("sense.db")).unwrap();
    let ckpt = d.path().join("tiny-ckpt");
    tiny_checkpoint(&ckpt);
    let generator = sense::source::local_generator(&ckpt, "cpu", 1).unwrap();
    let app = sense::serve::router(generator, &store).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(sense::serve::serve_until(listener, app, async {
        let _ = stop_rx.await;
    }));
    let post = |body: &str| -> (u16, serde_json::Value) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("http://{addr}/v1/chat/completions"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap())
        })
    };
    let msg = r#""messages":[{"role":"user","content":"hi"}],"max_tokens":2"#;
    let (status, ok_reply) = post(&format!("{{{msg}}}"));
    assert_eq!(status, 200, "{ok_reply}");
    assert_eq!(ok_reply["model"], "tiny-ckpt");
    for (body, want_status, param) in [
        (
            format!(r#"{{{msg},"temperature":-1}}"#),
            400,
            Some("temperature"),
        ),
        (format!(r#"{{{msg},"n":17}}"#), 400, Some("n")),
        (format!(r#"{{{msg},"n":0}}"#), 400, Some("n")),
        (format!(r#"{{{msg},"model":"gpt-4"}}"#), 404, Some("model")),
        ("{not json".to_string(), 400, None),
    ] {
        let (status, v) = post(&body);
        assert_eq!(status, want_status, "{body}: {v}");
        let e = &v["error"];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(e["type"].is_string(), "{v}");
        assert_eq!(e["param"].as_str(), param, "{v}");
        assert!(e.as_object().unwrap().contains_key("code"), "{v}");
    }
    // /v1/models names the checkpoint folder, not where it lives.
    let models: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("http://{addr}/v1/models"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(models["data"][0]["id"], "tiny-ckpt");
    assert!(
        !models.to_string().contains(&*d.path().to_string_lossy()),
        "{models}"
    );
    // Half a request's headers, and a body that never completes (both at once: each waits
    // out the read timeout). The first connection is closed instead of held (with shutdown)
    // forever; the second is answered 408 with the error JSON.
    let mut half = std::net::TcpStream::connect(addr).unwrap();
    half.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut slow = std::net::TcpStream::connect(addr).unwrap();
    slow.write_all(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mess",
    )
    .unwrap();
    for s in [&half, &slow] {
        s.set_read_timeout(Some(sense::serve::READ_TIMEOUT * 3))
            .unwrap();
    }
    let mut buf = Vec::new();
    let read = half.read_to_end(&mut buf);
    assert!(
        read.is_ok(),
        "the half-open connection was not closed: {read:?}"
    );
    let mut resp = String::new();
    let _ = slow.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains("\"error\""), "{resp}");
    // Stopping returns even with a half-sent request open.
    let mut open = std::net::TcpStream::connect(addr).unwrap();
    open.write_all(b"POST /v1/chat/completions HTTP/1.1\r\n")
        .unwrap();
    stop_tx.send(()).unwrap();
    rt.block_on(server).unwrap().unwrap();
}

#[test]
fn resuming_a_run_whose_trainer_is_alive_is_refused_naming_the_pid() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    let store = sense::store::Store::open(&ws).unwrap();
    // A live process stands in for the first trainer.
    let mut trainer = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = i64::from(trainer.id());
    let ckpt = d.path().join("run/step-000001");
    tiny_checkpoint(&ckpt);
    let id = store
        .create_run(&sense::store::NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({}),
            total_steps: 10,
            pid: Some(pid),
        })
        .unwrap();
    store
        .set_run_checkpoint(id, &ckpt.to_string_lossy())
        .unwrap();
    let stale = d.path().join("run/step-000002.999999999.sense-tmp");
    std::fs::create_dir_all(&stale).unwrap();
    let out = sense(&ws)
        .args(["train", "sft", "--resume", &id.to_string()])
        .output()
        .unwrap();
    let _ = trainer.kill();
    let _ = trainer.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("still being trained by process {pid}")),
        "{err}"
    );
    assert_eq!(
        store.run(id).unwrap().pid,
        Some(pid),
        "the run was taken over"
    );
    assert!(stale.exists(), "a refused resume touched the run folder");
}

#[test]
fn checkpoint_temp_folders_of_killed_saves_are_removed() {
    use sense::train::checkpoint::{save_step, CheckpointMeta};
    use sense::train::config::ModelConfig;
    use sense::train::tokenizer::Tokenizer;
    let d = tempfile::tempdir().unwrap();
    let run = d.path().join("run");
    let stale = run.join("step-000010.999999999.sense-tmp");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("model.safetensors"), vec![0u8; 1 << 20]).unwrap();
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len: 64,
        ..ModelConfig::default()
    };
    let model = sense::train::model::Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    let meta = CheckpointMeta::new(&cfg, &Tokenizer::Byte, 20, None, Some("sft"));
    save_step(&run, &model, &Tokenizer::Byte, &meta, None, 3).unwrap();
    assert!(!stale.exists());
    assert!(run.join("step-000020/model.safetensors").is_file());
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    use crate::tmux::{available, quote};
    if !available() {
        eprintln!("skipping: tmux is not installed");
        return;
    }
    // A tmux server of its own: other end-to-end tests start theirs at the same time.
    let socket = format!("sense-sig-{}", std::process::id());
    let tmux = |args: &[&str]| -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    struct Server<'a>(&'a dyn Fn(&[&str]) -> String);
    impl Drop for Server<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _server = Server(&tmux);
    let wait_for = |what: &str, pred: &dyn Fn(&str) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "s"]);
            if pred(&screen) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; the screen was:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    for sig in ["TERM", "HUP"] {
        let pidfile = d.path().join(format!("{sig}.pid"));
        // The inner shell writes its pid, then becomes sense (exec keeps the pid).
        let inner = format!(
            "echo $$ > {}; exec {} --workspace {}",
            quote(&pidfile),
            quote(std::path::Path::new(env!("CARGO_BIN_EXE_sense"))),
            quote(&ws)
        );
        let cmd = format!(
            "cd {} && XDG_CONFIG_HOME={} sh -c {}; echo SENSE-EXITED-$?; sleep 60",
            quote(d.path()),
            quote(&d.path().join("config")),
            quote(std::path::Path::new(&inner))
        );
        tmux(&["kill-session", "-t", "s"]);
        tmux(&[
            "new-session",
            "-d",
            "-s",
            "s",
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ]);
        wait_for("the workbench", &|t| t.contains("? help"));
        let modes = || {
            tmux(&[
                "display", "-p", "-t", "s",
                "#{alternate_on}#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_sgr_flag}",
            ])
            .trim()
            .to_string()
        };
        let on = modes();
        assert!(on.starts_with('1') && on[1..].contains('1'), "{on}");
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let killed = Command::new("kill")
            .args([&format!("-{sig}"), pid.trim()])
            .status()
            .unwrap();
        assert!(killed.success());
        wait_for("the exit", &|t| t.contains("SENSE-EXITED"));
        assert_eq!(
            modes(),
            "00000",
            "SIG{sig} left the terminal in the workbench's modes"
        );
    }
}

#[test]
fn a_corrupt_workspace_under_export_is_a_failure_not_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    // Scramble the examples table's leaf pages: the workspace opens, export's read fails.
    let pages: Vec<i64> = {
        let c = rusqlite::Connection::open(&ws).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        let mut st = c
            .prepare("SELECT pageno FROM dbstat WHERE name = 'examples' AND pagetype = 'leaf'")
            .unwrap();
        let pages = st.query_map([], |r| r.get(0)).unwrap();
        pages.map(Result::unwrap).collect()
    };
    assert!(!pages.is_empty());
    let mut bytes = std::fs::read(&ws).unwrap();
    for p in pages {
        let at = (p as usize - 1) * 4096;
        for b in &mut bytes[at + 8..at + 4096] {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&ws, bytes).unwrap();
    let out = sense(&ws)
        .args(["export", "spider"])
        .arg(d.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("malformed"), "{err}");
}

/// Item 6: a hung call no longer holds back the finished ones, Ctrl-C keeps them, a rerun
/// resumes with only what is left.
#[test]
fn synth_schemas_keeps_each_database_as_it_finishes_and_resumes_after_ctrl_c() {
    use crate::fake::{FakeServer, Reply};
    use std::time::{Duration, Instant};
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let domains = d.path().join("domains.txt");
    std::fs::write(&domains, "quick_shop: a shop\nstuck_shop: a shop\n").unwrap();
    let script = "```sql\nCREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO item VALUES (1, 'pen'), (2, 'ink');\n```";
    let srv = FakeServer::start(move |_, body| {
        let reply = Reply::chat(&[script]);
        if body.to_string().contains("stuck_shop") {
            reply.slow(Duration::from_secs(3600))
        } else {
            reply
        }
    });
    let child = sense(&ws)
        .args(["synth", "schemas", "--model", "m", "--endpoint", &srv.url])
        .arg("--domains")
        .arg(&domains)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let built = |name: &str| {
        count(
            &ws,
            &format!("SELECT count(*) FROM databases WHERE name = '{name}'"),
        )
    };
    // The quick database must be registered while the other call still hangs.
    let start = Instant::now();
    while built("quick_shop") == 0 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let seen_before_kill = built("quick_shop");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        seen_before_kill, 1,
        "quick_shop was not kept while stuck_shop hung\n{stdout}{stderr}"
    );
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(stdout.contains("cancelled"), "{stdout}");
    assert_eq!(built("stuck_shop"), 0);
    // The exchange of the finished call is recorded.
    assert!(count(&ws, "SELECT count(*) FROM llm_exchanges") >= 1);
    // A rerun asks only for what is left.
    let fast = FakeServer::start(move |_, _| Reply::chat(&[script]));
    ok(sense(&ws)
        .args(["synth", "schemas", "--model", "m", "--endpoint", &fast.url])
        .arg("--domains")
        .arg(&domains));
    assert_eq!(fast.calls(), 1, "the rerun redid finished work");
    assert_eq!((built("quick_shop"), built("stuck_shop")), (1, 1));
}

#[test]
fn a_large_spider_file_is_imported_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    // ~60 MB of records (long questions) for one database that exists, parsed record by
    // record: peak memory stays under three times the file's size (a whole parsed document
    // took over four times, 11 times for Spider's own files).
    let db_dir = d.path().join("database/shop");
    std::fs::create_dir_all(&db_dir).unwrap();
    rusqlite::Connection::open(db_dir.join("shop.sqlite"))
        .unwrap()
        .execute_batch("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
    let file = d.path().join("dev.json");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        w.write_all(b"[").unwrap();
        let pad = "word ".repeat(400);
        for i in 0..30_000 {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            write!(
                w,
                "{{\"db_id\": \"shop\", \"question\": \"q{i} {pad}\", \"query\": \"SELECT {i} FROM t\"}}"
            )
            .unwrap();
        }
        w.write_all(b"]").unwrap();
    }
    let size_mb = std::fs::metadata(&file).unwrap().len() / (1 << 20);
    assert!(size_mb >= 50, "{size_mb} MB");
    let (code, err, peak_mb) = run_with_peak_rss(sense(&ws).args(["import", "spider"]).arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(
        peak_mb < 3 * size_mb,
        "peak {peak_mb} MB importing a {size_mb} MB file"
    );
    let n: i64 = rusqlite::Connection::open(&ws)
        .unwrap()
        .query_row("SELECT count(*) FROM examples", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 30_000);
}

#[test]
fn init_on_a_full_disk_is_a_failure_not_bad_input() {
    // A file-size limit stands in for a full disk: writes past it fail (SIGXFSZ ignored).
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipping: prlimit (util-linux) is not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let samples = d.path().join("samples/big");
    std::fs::create_dir_all(&samples).unwrap();
    std::fs::write(
        samples.join("schema.sql"),
        "CREATE TABLE big(i INTEGER PRIMARY KEY, pad TEXT);\n\
         INSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) \
         SELECT i, printf('%.1000c', 'x') FROM c;\n",
    )
    .unwrap();
    std::fs::write(
        samples.join("questions.json"),
        r#"{"db_id": "big", "domain": "padding", "split": "train",
            "questions": [{"question": "How many rows?", "sql": "SELECT count(*) FROM big", "difficulty": "easy"}]}"#,
    )
    .unwrap();
    let ws = d.path().join("ws.db");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize=800000 '{}' -w '{}' init --from '{}'",
            env!("CARGO_BIN_EXE_sense"),
            ws.display(),
            d.path().join("samples").display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("big.sqlite") && err.contains("disk"), "{err}");
    // With room, the same samples build.
    let _ = std::fs::remove_file(&ws);
    ok(sense(&ws)
        .args(["init", "--from"])
        .arg(d.path().join("samples")));
}
