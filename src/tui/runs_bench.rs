//! The Runs screen part of `sense bench tui`: one run of 1,000,000 loss points and five more
//! overlaid on it, rendered at 160x48 (whole run, zoomed, smoothed, log scale), in ms per
//! frame; also the time of the first read of all the points and of a tick that finds none new.

use crate::store::{NewRun, RunStatus, Store};
use crate::tui::keymap::Keymap;
use crate::tui::runtime::Runtime;
use crate::tui::state::{Action, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use anyhow::Result;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::{Duration, Instant};

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// A noisy decaying loss with a few spikes and one non-finite value.
fn curve(n: usize, seed: f64) -> Vec<(i64, f64)> {
    (1..=n)
        .map(|i| {
            let x = i as f64;
            let noise = ((x * 12.9898 + seed).sin() * 43758.5453).fract() * 0.2;
            let spike = if i % 99_991 == 0 { 3.0 } else { 0.0 };
            (i as i64, 2.5 / (1.0 + x / 5_000.0) + 0.3 + noise + spike)
        })
        .collect()
}

/// Builds the workspace: run 1 with `big` points, runs 2..=6 with `small` points each.
pub fn workspace(dir: &Path, big: usize, small: usize) -> Result<Store> {
    let store = Store::open(&dir.join("runs.db"))?;
    for (i, n) in std::iter::once(big)
        .chain(std::iter::repeat_n(small, 5))
        .enumerate()
    {
        let id = store.create_run(&NewRun {
            kind: "sft".into(),
            parent: None,
            config: serde_json::json!({}),
            total_steps: n as i64,
            pid: None,
        })?;
        let pts = curve(n, i as f64);
        let mut batch: Vec<(i64, &str, f64)> = pts.iter().map(|(s, v)| (*s, "loss", *v)).collect();
        if let Some(p) = batch.get_mut(n / 2) {
            p.2 = f64::INFINITY;
        }
        store.log_metrics(id, n as i64, &batch)?;
        store.finish_run(id, RunStatus::Done, &format!("{n} steps"))?;
    }
    Ok(store)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| ms(v[((v.len() as f64 - 1.0) * q).round() as usize]);
    (p(0.5), p(0.99))
}

/// Prints the figures; `frames` frames per view.
pub fn run(dir: &Path, frames: usize) -> Result<()> {
    let (big, small) = (1_000_000, 100_000);
    eprintln!("building a workspace with a run of {big} points and 5 of {small}…");
    let t = Instant::now();
    let store = workspace(dir, big, small)?;
    eprintln!("built in {:.1} s", t.elapsed().as_secs_f64());
    let (mut rt, _rx) = Runtime::new(store);
    let mut s = State::new("bench", Theme::default(), Keymap::default());
    rt.dispatch(&mut s, Action::Resize(160, 48));
    rt.start(&mut s);
    let t = Instant::now();
    rt.dispatch(&mut s, key('4'));
    // Overlay runs 1..=5 on the selected run 6 (the list is newest first: 6 5 4 3 2 1).
    for _ in 0..5 {
        rt.dispatch(&mut s, key('j'));
        rt.dispatch(&mut s, key(' '));
    }
    rt.dispatch(&mut s, key('g'));
    let first_read = t.elapsed();
    let points: usize = s.runs.series.values().map(|x| x.raw.len()).sum();
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let mut measure = |s: &State| -> Result<(f64, f64)> {
        let mut times = Vec::with_capacity(frames);
        for _ in 0..frames {
            let t = Instant::now();
            term.draw(|f| view::render(f, s))?;
            times.push(t.elapsed());
        }
        Ok(stats(times))
    };
    println!(
        "sense bench tui (Runs): 1 run of {big} loss points + 5 overlaid runs of {small}, {points} points held, frames into a 160x48 TestBackend ({} build)",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "figure", "p50", "p99", "target"
    );
    let row = |name: &str, (a, b): (f64, f64), target: &str| {
        println!("{name:<44} {:>7.2} ms {:>7.2} ms {target:>10}", a, b);
    };
    row("frame: 6 runs, whole run", measure(&s)?, "< 5 ms");
    rt.dispatch(&mut s, key('z'));
    row("frame: 6 runs, last 10000 steps", measure(&s)?, "< 5 ms");
    rt.dispatch(&mut s, key('z'));
    rt.dispatch(&mut s, key('z'));
    rt.dispatch(&mut s, key('z'));
    let t = Instant::now();
    rt.dispatch(&mut s, key('s'));
    let smooth_on = t.elapsed();
    row("frame: 6 runs, whole run, EMA", measure(&s)?, "< 5 ms");
    rt.dispatch(&mut s, key('l'));
    row(
        "frame: 6 runs, whole run, EMA, log scale",
        measure(&s)?,
        "< 5 ms",
    );
    rt.dispatch(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    rt.dispatch(&mut s, key('G'));
    row(
        "frame: the 1M-point run alone, EMA, log",
        measure(&s)?,
        "< 5 ms",
    );
    let mut ticks = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        rt.dispatch(&mut s, Action::Tick);
        ticks.push(t.elapsed());
    }
    row("tick: re-read the store, nothing new", stats(ticks), "");
    println!(
        "{:<44} {:>7.0} ms",
        "first read of every point (6 runs)",
        first_read.as_secs_f64() * 1e3
    );
    println!(
        "{:<44} {:>7.0} ms",
        "EMA switched on (6 runs smoothed)",
        smooth_on.as_secs_f64() * 1e3
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_workspace_renders_overlaid_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = workspace(dir.path(), 3_000, 500).unwrap();
        assert_eq!(store.runs().unwrap().len(), 6);
        let (mut rt, _rx) = Runtime::new(store);
        let mut s = State::new("bench", Theme::default(), Keymap::default());
        rt.start(&mut s);
        rt.dispatch(&mut s, key('4'));
        for _ in 0..5 {
            rt.dispatch(&mut s, key('j'));
            rt.dispatch(&mut s, key(' '));
        }
        rt.dispatch(&mut s, key('g'));
        assert_eq!(s.runs.charted().len(), 6);
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        term.draw(|f| view::render(f, &s)).unwrap();
        let text = term.backend().to_string();
        assert!(
            text.contains("#1 sft") && text.contains("non-finite"),
            "{text}"
        );
    }
}
