//! Driving the real binary in a detached tmux session, for the end-to-end tests.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session, killed when the test ends (pass or fail).
pub struct Session(pub String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

/// Whether tmux can run here; end-to-end tests skip with a printed reason otherwise.
pub fn available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("running tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn screen(s: &Session) -> String {
    tmux(&["capture-pane", "-p", "-t", &s.0])
}

/// Polls the screen until `pred` holds, or fails the test showing the screen.
pub fn wait_for(s: &Session, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = screen(s);
        if pred(&text) {
            return text;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; the screen was:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn keys(s: &Session, k: &str) {
    tmux(&["send-keys", "-t", &s.0, k]);
}

/// A path quoted for the shell command tmux runs.
pub fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}
