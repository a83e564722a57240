//! Issue 12: untrusted input bounded in time, memory and disk, checked through the real binary.

use crate::bin::{ok, sense};
use std::process::{Command, Stdio};

/// Runs `c` to completion and returns (exit code, stderr, peak RSS in MiB of that child alone).
#[allow(unsafe_code)]
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
