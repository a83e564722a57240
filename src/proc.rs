//! Processes: whether one is alive, and the temporary files a killed one left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether process `pid` exists and is not a zombie (Linux: /proc; elsewhere `kill -0`).
pub fn pid_alive(pid: i64) -> bool {
    if pid <= 0 {
        return false;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if Path::new("/proc/self").exists() {
        return match std::fs::read_to_string(proc_dir.join("stat")) {
            // The state follows the command name in parentheses: "123 (sense) S ...".
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        };
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a run the store records as running has lost its process: one killed by the OS (out
/// of memory) or by SIGKILL never records its end, so its row says "running" forever.
pub fn run_is_dead(run: &crate::store::Run) -> bool {
    run.status == crate::store::RunStatus::Running && run.pid.is_none_or(|p| !pid_alive(p))
}

/// The pid written into a temporary name by `atomic::temp_path` (`NAME.PID.sense-tmp`).
fn temp_owner(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(".sense-tmp")?;
    stem.rsplit_once('.')?.1.parse().ok()
}

/// Removes the `*.sense-tmp` files and folders in `dir` whose writing process is gone (a killed
/// save or build); a live writer's are left alone. Returns what was removed.
pub fn remove_stale_temps(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
        removed.push(path);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temps_of_dead_writers_are_removed_live_ones_kept() {
        let d = tempfile::tempdir().unwrap();
        let mine = std::process::id();
        // A pid far above pid_max is never alive.
        let dead = 999_999_999u32;
        std::fs::write(d.path().join(format!("a.sqlite.{dead}.sense-tmp")), b"x").unwrap();
        std::fs::create_dir(d.path().join(format!("step-10.{dead}.sense-tmp"))).unwrap();
        std::fs::write(
            d.path()
                .join(format!("step-10.{dead}.sense-tmp/model.safetensors")),
            b"x",
        )
        .unwrap();
        std::fs::write(d.path().join(format!("b.sqlite.{mine}.sense-tmp")), b"x").unwrap();
        std::fs::write(d.path().join("c.sqlite"), b"x").unwrap();
        let removed = remove_stale_temps(d.path()).unwrap();
        assert_eq!(removed.len(), 2);
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![format!("b.sqlite.{mine}.sense-tmp"), "c.sqlite".into()]
        );
        assert!(remove_stale_temps(&d.path().join("missing"))
            .unwrap()
            .is_empty());
    }
}
