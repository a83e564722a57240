//! Opening SQLite files for reading without leaving anything beside them.
//!
//! A read-only connection to a WAL-mode database creates `-wal` and `-shm` files next to it and
//! cannot remove them when it closes (and in a read-only folder it cannot open the file at all).
//! A WAL database whose log is absent or empty holds every committed transaction in its main
//! file, so it is read as an immutable file instead: no side files, no locks. A database with a
//! pending log (a writer is active, or one crashed) is opened the ordinary way, since its latest
//! changes are only readable through the log.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

fn wal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Whether `path` has a non-empty write-ahead log beside it.
pub fn has_pending_wal(path: &Path) -> bool {
    std::fs::metadata(wal_path(path)).is_ok_and(|m| m.len() > 0)
}

/// Whether the file's header says WAL mode (read and write versions 2, bytes 18 and 19).
fn is_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head[18] == 2
}

/// A `file:` URI for `path`, percent-encoding everything but unreserved characters and `/`.
fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// Opens `path` as an immutable, read-only file: SQLite takes no locks and makes no side files.
pub fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        format!("{}?immutable=1", file_uri(path)),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Opens a target database read-only, leaving no `-wal`/`-shm` files beside a WAL-mode one.
pub fn open_target(path: &Path) -> rusqlite::Result<Connection> {
    if is_wal_mode(path) && !has_pending_wal(path) {
        return open_immutable(path);
    }
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_db(dir: &Path) -> PathBuf {
        let p = dir.join("odd name?#%.sqlite");
        let c = Connection::open(&p).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (7);")
            .unwrap();
        drop(c);
        p
    }

    #[test]
    fn a_wal_target_is_read_without_side_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = wal_db(dir.path());
        let c = open_target(&p).unwrap();
        let x: i64 = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 7);
        drop(c);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["odd name?#%.sqlite".to_string()]);
    }

    #[test]
    fn a_pending_log_is_read_through_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let p = wal_db(dir.path());
        // A writer that stays open keeps its changes in the log.
        let w = Connection::open(&p).unwrap();
        w.execute("INSERT INTO t VALUES (8)", []).unwrap();
        assert!(has_pending_wal(&p));
        let c = open_target(&p).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
}
