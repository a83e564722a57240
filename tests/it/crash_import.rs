//! A kill -9 in the middle of an import leaves the workspace consistent: all or nothing.

use std::process::Command;
use std::time::Duration;

#[test]
fn killed_import_leaves_all_or_nothing() {
    let d = tempfile::tempdir().unwrap();
    let dbdir = d.path().join("database/big");
    std::fs::create_dir_all(&dbdir).unwrap();
    rusqlite::Connection::open(dbdir.join("big.sqlite"))
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let n = 200_000;
    let mut json = String::from("[");
    for i in 0..n {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"db_id":"big","question":"question number {i}?","query":"SELECT x FROM t WHERE x = {i}"}}"#
        ));
    }
    json.push(']');
    std::fs::write(d.path().join("train.json"), json).unwrap();
    let ws = d.path().join("w.db");

    for delay_ms in [150u64, 400, 900] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sense"))
            .arg("--workspace")
            .arg(&ws)
            .args(["import", "spider"])
            .arg(d.path().join("train.json"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let store = sense::store::Store::open(&ws).unwrap();
        let ok: String = store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let count = store.counts().unwrap().examples;
        assert!(
            count == 0 || count == n,
            "partial import after kill at {delay_ms} ms: {count}"
        );
    }
}
