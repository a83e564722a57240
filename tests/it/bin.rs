//! The real `sense` binary for end-to-end tests.

use std::path::Path;
use std::process::{Command, Output};

/// `sense -w WS`, without the environment that could point it elsewhere.
pub fn sense(ws: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sense"));
    c.arg("-w")
        .arg(ws)
        .env_remove("SENSE_ENDPOINT")
        .env_remove("SENSE_WORKSPACE");
    c
}

/// Runs `c`, which must succeed (the panic shows both streams).
pub fn run_ok(c: &mut Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `c`, which must succeed, and returns its standard output.
pub fn ok(c: &mut Command) -> String {
    String::from_utf8_lossy(&run_ok(c).stdout).into_owned()
}
