//! The `sense` binary end to end: `synth templates`, `sample` against a fake endpoint (and
//! Ctrl-C keeping what finished), `export dpo`.

use crate::bin::{ok, sense};
use crate::fake;

use fake::{FakeServer, Reply};
use std::process::{Command, Stdio};
use std::time::Duration;

fn count(ws: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(ws).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn templates_sample_export_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    // The six train databases by default; the four dev ones only when asked.
    let out = ok(sense(&ws).args(["synth", "templates", "--per-db", "20", "--seed", "3"]));
    assert!(out.contains("120 inserted"), "{out}");
    let all = ["--split", "all", "--allow-dev"];
    let again = ok(sense(&ws)
        .args(["synth", "templates", "--per-db", "20", "--seed", "3"])
        .args(all));
    assert!(
        again.contains("80 inserted, 120 already present"),
        "{again}"
    );
    let dry = ok(sense(&ws).args([
        "synth",
        "templates",
        "--db",
        "vet_clinic",
        "--split",
        "dev",
        "--allow-dev",
        "--per-db",
        "5",
        "--dry-run",
    ]));
    assert_eq!(
        dry.matches("\n-- vet_clinic [").count() + usize::from(dry.starts_with("-- vet_clinic [")),
        5,
        "{dry}"
    );

    let srv = FakeServer::start(|_, body| {
        let n = body["n"].as_u64().unwrap_or(1) as usize;
        Reply::chat(&vec!["```sql\nSELECT 424242\n```"; n])
    });
    let out = ok(sense(&ws).args([
        "sample",
        "--model",
        "weak",
        "--endpoint",
        &srv.url,
        "--source",
        "template",
        "--db",
        "vet_clinic",
        "--split",
        "dev",
        "--allow-dev",
        "-k",
        "2",
    ]));
    assert!(
        out.contains("20 examples (0 already done), 40 samples recorded"),
        "{out}"
    );
    // The model's sample quality: `SELECT 424242` runs but is never right.
    assert!(
        out.contains("sample quality, weak: 40 samples, 100% executable, 0% correct, 1.0 distinct SQL per question"),
        "{out}"
    );
    assert_eq!(
        count(
            &ws,
            "SELECT count(*) FROM llm_exchanges WHERE purpose = 'sample'"
        ),
        20
    );
    let out = ok(sense(&ws).args([
        "sample",
        "--model",
        "weak",
        "--endpoint",
        &srv.url,
        "--source",
        "template",
        "--db",
        "vet_clinic",
        "--split",
        "dev",
        "--allow-dev",
        "-k",
        "2",
    ]));
    assert!(out.contains("(20 already done)"), "{out}");
    // The prompt alone by default (as every model sense trains reads it); the system message
    // only when asked for.
    let dry = ok(sense(&ws).args(["sample", "--model", "weak", "--limit", "2", "--dry-run"]));
    assert!(
        dry.contains("-- Question: ") && !dry.contains("=== system"),
        "{dry}"
    );
    let dry = ok(sense(&ws).args([
        "sample",
        "--model",
        "weak",
        "--limit",
        "2",
        "--dry-run",
        "--system",
    ]));
    assert!(
        dry.contains("-- Question: ") && dry.contains("=== system"),
        "{dry}"
    );

    // Sampled candidates carry the temperature that produced them.
    assert_eq!(
        count(
            &ws,
            "SELECT count(*) FROM candidates WHERE model = 'weak' AND temperature IS NOT NULL"
        ),
        count(&ws, "SELECT count(*) FROM candidates WHERE model = 'weak'")
    );
    // Flagged pending pairs (disputed, ambiguous gold) wait for a person before export.
    let pending = count(
        &ws,
        "SELECT count(*) FROM pairs WHERE status = 'pending' AND flags = ''",
    );
    let f = d.path().join("dpo.jsonl");
    ok(sense(&ws)
        .args(["export", "dpo"])
        .arg(&f)
        .args(["--status", "pending"])
        .args(all));
    assert_eq!(
        std::fs::read_to_string(&f).unwrap().lines().count() as i64,
        pending
    );

    // No endpoint and no checkpoint folder: a usage error (exit 2).
    let st = sense(&ws)
        .args(["sample", "--model", "weak", "--limit", "1"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
}

#[test]
fn ctrl_c_keeps_what_finished() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    let srv = FakeServer::start(|_, _| Reply::chat(&["SELECT 1"]).slow(Duration::from_millis(300)));
    let child = sense(&ws)
        .args([
            "sample",
            "--model",
            "slow",
            "--endpoint",
            &srv.url,
            "--db",
            "vet_clinic",
            "--split",
            "dev",
            "--allow-dev",
            "--limit",
            "20",
            "-k",
            "1",
        ])
        .args(["--concurrency", "1", "--batch", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("cancelled"), "{stdout}");
    let done = count(&ws, "SELECT count(*) FROM candidates WHERE model = 'slow'");
    assert!(done > 0 && done < 20, "{done} recorded");
    // Resuming finishes the rest.
    let fast = FakeServer::start(|_, _| Reply::chat(&["SELECT 1"]));
    let out = ok(sense(&ws).args([
        "sample",
        "--model",
        "slow",
        "--endpoint",
        &fast.url,
        "--db",
        "vet_clinic",
        "--split",
        "dev",
        "--allow-dev",
        "--limit",
        "20",
        "-k",
        "1",
    ]));
    assert!(out.contains(&format!("({done} already done)")), "{out}");
    assert_eq!(
        count(
            &ws,
            "SELECT coalesce(sum(samples),0) FROM candidates WHERE model = 'slow'"
        ),
        20
    );
}
