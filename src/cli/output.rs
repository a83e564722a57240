//! What commands print besides their results, in one place: progress bars and spinners (on
//! stderr, cleared when done), the Ctrl-C flag of long commands, and JSON summaries.

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A bar of `len` steps labelled `what`.
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A spinner for a wait of unknown length (a model call).
pub fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(format!("{what}: waiting for the model"));
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A flag set by Ctrl-C: long commands stop after what is in flight and keep what finished.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    on_ctrl_c(
        "cancelling: finishing what is in flight (Ctrl-C again to quit now)",
        None,
    )
}

/// A flag set by the first Ctrl-C, which prints `first`; a second one prints `second` and
/// quits at once with code 130.
pub fn on_ctrl_c(first: &'static str, second: Option<&'static str>) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // Fails only if a handler is already installed (then Ctrl-C keeps its default meaning).
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            if let Some(s) = second {
                eprintln!("\n{s}");
            }
            std::process::exit(130);
        }
        eprintln!("\n{first}");
    });
    flag
}

/// A report as one pretty-printed JSON document on stdout (`--json`).
pub fn print_json_pretty(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A record as one JSON line on stdout (`--json` of listings).
pub fn print_json_line(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}
