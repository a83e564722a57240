//! Issue 12, item 18: commands that only read work on a read-only workspace and leave nothing
//! beside it or its target databases.

use crate::bin::{ok, sense};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Sets every file under `dir` to `file` and every folder (and `dir`) to `folder` permissions.
fn chmod_tree(dir: &Path, file: u32, folder: u32) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chmod_tree(&p, file, folder);
        } else {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(file)).unwrap();
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(folder)).unwrap();
}

/// `sense -w WS` as a user the permission bits apply to: root ignores them, so under root the
/// child runs as `nobody`.
fn reader(ws: &Path, home: &Path) -> Command {
    let mut c = sense(ws);
    c.env("HOME", home);
    // SAFETY: geteuid has no preconditions.
    #[allow(unsafe_code)]
    if unsafe { libc::geteuid() } == 0 {
        c.uid(65534).gid(65534);
    }
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reading_commands_work_on_a_read_only_workspace_and_leave_no_files() {
    let d = tempfile::tempdir().unwrap();
    let folder = d.path().join("ws");
    let ws = folder.join("sense.db");
    ok(sense(&ws).arg("init"));
    // One target database in WAL mode: a read-only reader must neither fail on it nor leave
    // -wal/-shm beside it.
    let target = {
        let c = rusqlite::Connection::open(&ws).unwrap();
        let p: String = c
            .query_row(
                "SELECT path FROM databases WHERE name = 'library_loans'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let p = Path::new(&p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            folder.join(p)
        }
    };
    assert!(target.starts_with(&folder), "{}", target.display());
    let c = rusqlite::Connection::open(&target).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(c);

    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = snapshot(&folder);
    assert!(before
        .keys()
        .all(|k| !k.ends_with("-wal") && !k.ends_with("-shm")));
    chmod_tree(&folder, 0o444, 0o555);

    let cmds: Vec<Vec<String>> = vec![
        vec!["status".into()],
        vec!["status".into(), "--json".into()],
        vec![
            "exec".into(),
            "--db".into(),
            "library_loans".into(),
            "SELECT count(*) FROM sqlite_master".into(),
        ],
        vec!["pairs".into(), "list".into()],
        vec!["gold".into(), "log".into()],
        vec![
            "export".into(),
            "sft".into(),
            out.join("sft.jsonl").display().to_string(),
        ],
        vec![
            "export".into(),
            "spider".into(),
            out.join("spider").display().to_string(),
        ],
    ];
    let mut failures = Vec::new();
    for args in &cmds {
        let (code, stdout, stderr) = run(reader(&ws, &out).args(args));
        if code != 0 {
            failures.push(format!("{args:?}: exit {code}\n{stdout}{stderr}"));
        }
    }
    let after = snapshot(&folder);
    chmod_tree(&folder, 0o644, 0o755);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files appeared or vanished"
    );
    assert!(before == after, "a file changed");
    assert!(std::fs::metadata(out.join("sft.jsonl")).unwrap().len() > 0);
    // Writable again: reading the WAL-mode target still leaves no -wal/-shm beside it.
    ok(sense(&ws).args([
        "exec",
        "--db",
        "library_loans",
        "SELECT count(*) FROM sqlite_master",
    ]));
    let leftovers: Vec<String> = snapshot(&folder)
        .into_keys()
        .filter(|k| k.contains(".sqlite-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_read_only_workspace_needing_a_migration_is_refused_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let folder = d.path().join("ws");
    let ws = folder.join("sense.db");
    drop(sense::store::Store::open_to(&ws, 1).unwrap());
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = snapshot(&folder);
    chmod_tree(&folder, 0o444, 0o555);
    let (code, _, stderr) = run(reader(&ws, d.path()).arg("status"));
    let after = snapshot(&folder);
    chmod_tree(&folder, 0o644, 0o755);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("schema version 1"), "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(before == after, "the workspace changed");
    // With write access the same command upgrades it and works.
    ok(sense(&ws).arg("status"));
}
