//! Child `sense` processes: started detached (training and evaluation outlive the workbench),
//! interrupted as Ctrl-C would, and told alive or gone by pid.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use crate::proc::pid_alive;

/// Starts `sense --workspace WS ARGS...` detached: its own process group (a Ctrl-C in the
/// terminal or the workbench closing leaves it running), output to a log file in `logs/`
/// beside the workspace. Returns the child's pid and the log path.
pub fn spawn_sense(
    workspace: &Path,
    args: &[String],
    label: &str,
) -> Result<(u32, PathBuf), String> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| format!("finding the sense binary: {e}"))?;
    // Never re-run something else as `sense` (a test binary, for one).
    if exe.file_stem().and_then(|s| s.to_str()) != Some("sense") {
        return Err(format!("{} is not the sense binary", exe.display()));
    }
    let ws = std::path::absolute(workspace).map_err(|e| e.to_string())?;
    let dir = ws
        .parent()
        .map(|p| p.join("logs"))
        .unwrap_or_else(|| PathBuf::from("logs"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let log = dir.join(format!("{label}-{stamp}.log"));
    let out =
        std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--workspace")
        .arg(&ws)
        .args(args)
        .env(crate::train::runner::LOG_ENV, &log)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting sense {}: {e}", args.join(" ")))?;
    let pid = child.id();
    // Reap it when it ends so it never lingers as a zombie while the workbench is open.
    std::thread::Builder::new()
        .name("sense-reap".into())
        .spawn(move || {
            let _ = child.wait();
        })
        .ok();
    Ok((pid, log))
}

/// Asks a run's process to stop after its current step and save (SIGINT, as Ctrl-C would).
pub fn interrupt(pid: i64) -> Result<(), String> {
    if !pid_alive(pid) {
        return Err(format!("process {pid} is not running"));
    }
    let out = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .output()
        .map_err(|e| format!("running kill: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "kill -INT {pid}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
