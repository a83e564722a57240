//! `sense bench tui`: the workbench on a synthetic workspace of n examples and n pending pairs
//! (in a temporary folder), against the sample workspace as a baseline. Prints figures: open
//! time, p50/p99 time from a key to its rendered frame (TestBackend, 160x48) in Review and
//! Questions, and peak memory. Not a timed test.

use crate::store::{NewDatabase, NewExample, Store};
use crate::tui::keymap::Keymap;
use crate::tui::runtime::Runtime;
use crate::tui::state::{Action, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use anyhow::{Context, Result};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::time::{Duration, Instant};

struct Figures {
    examples: i64,
    pairs: i64,
    open: Duration,
    review: (Duration, Duration),
    /// Review with a database filter active (row diff on, as always).
    review_filtered: (Duration, Duration),
    questions: (Duration, Duration),
}

/// Peak resident memory of this process (VmHWM), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// Builds a workspace of `n` examples on one small database, each with one wrong candidate and
/// one pending pair, in three transactions.
pub fn synthetic_workspace(dir: &Path, n: usize) -> Result<Store> {
    let db_path = dir.join("shop.sqlite");
    {
        let c = rusqlite::Connection::open(&db_path)?;
        c.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                                  total REAL, placed TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO customers SELECT i, 'customer ' || i, CASE i % 3 WHEN 0 THEN 'Lyon' WHEN 1 THEN 'Oslo' ELSE 'Kyoto' END FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO orders SELECT i, 1 + i % 300, (i * 37) % 500 + 0.5, date('2024-01-01', '+' || (i % 365) || ' days') FROM n;",
        )?;
    }
    let store = Store::open(&dir.join("sense.db"))?;
    let db_id = store.upsert_database(&NewDatabase {
        name: "shop".into(),
        domain: "retail".into(),
        source: "bench".into(),
        path: db_path,
        fingerprint: String::new(),
    })?;
    let levels = ["easy", "medium", "hard", "extra"];
    let examples: Vec<NewExample> = (0..n)
        .map(|i| NewExample {
            db_id,
            question: format!(
                "How many orders did customers in {} place with a total above {}? (variant {i})",
                ["Lyon", "Oslo", "Kyoto"][i % 3],
                i % 500
            ),
            gold_sql: format!(
                "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.city = '{}' AND o.total > {}",
                ["Lyon", "Oslo", "Kyoto"][i % 3],
                i % 500
            ),
            evidence: None,
            difficulty: Some(levels[i % 4].into()),
            split: if i % 10 == 0 { "dev".into() } else { "train".into() },
            source: "bench".into(),
            provenance: serde_json::json!({}),
            exchange_id: None,
        })
        .collect();
    store.insert_examples(&examples)?;
    let conn = store.conn();
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO candidates (example_id, model, sql, outcome, verdict, reason)
         SELECT id, 'bench', replace(gold_sql, ' > ', ' >= '), 'ok', 'wrong', 'values differ' FROM examples",
        [],
    )?;
    tx.execute(
        "INSERT INTO pairs (example_id, chosen_sql, rejected_id, rejected_sql)
         SELECT c.example_id, e.gold_sql, c.id, c.sql FROM candidates c JOIN examples e ON e.id = c.example_id",
        [],
    )?;
    tx.commit()?;
    Ok(store)
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn measure(path: &Path, keys: usize) -> Result<Figures> {
    let t0 = Instant::now();
    let store = Store::open(path)?;
    let (mut rt, mut rx) = Runtime::new(store);
    let mut state = State::new(
        &path.display().to_string(),
        Theme::default(),
        Keymap::default(),
    );
    rt.dispatch(&mut state, Action::Resize(160, 48));
    rt.start(&mut state);
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    term.draw(|f| view::render(f, &state))?;
    let open = t0.elapsed();
    let counts = rt.store().counts()?;

    let mut run_screen =
        |rt: &mut Runtime, screen: char, state: &mut State| -> Result<(Duration, Duration)> {
            rt.dispatch(state, key(screen));
            rt.settle(state, &mut rx, Duration::from_secs(5));
            let mut times = Vec::with_capacity(keys);
            for i in 0..keys {
                // Mostly single steps, now and then a page or a jump back to the top.
                let k = match i % 100 {
                    49 => Action::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
                    99 => key('g'),
                    _ => key('j'),
                };
                let t = Instant::now();
                rt.dispatch(state, k);
                term.draw(|f| view::render(f, state))?;
                times.push(t.elapsed());
                // Results of the worker (SQL of the new selection) arrive between keys.
                rt.settle(state, &mut rx, Duration::from_millis(200));
                term.draw(|f| view::render(f, state))?;
            }
            Ok((percentile(&mut times, 0.5), percentile(&mut times, 0.99)))
        };
    let review = run_screen(&mut rt, '3', &mut state)?;
    let questions = run_screen(&mut rt, '2', &mut state)?;
    // The same keys on a filtered queue: the pairs of the first database.
    let first_db = rt.store().pair_facets()?.databases.into_iter().next();
    state.review.filter.db = first_db;
    if let Some(a) = rt.perform(crate::tui::state::Effect::LoadQueue(
        state.review.filter.clone(),
    )) {
        rt.dispatch(&mut state, a);
    }
    let review_filtered = run_screen(&mut rt, '3', &mut state)?;
    Ok(Figures {
        examples: counts.examples,
        pairs: counts.pairs,
        open,
        review,
        review_filtered,
        questions,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "–".into()
    } else {
        format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64())
    }
}

pub fn run(n: usize, keys: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("sense-bench-tui-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sample"))?;
    let result = (|| -> Result<()> {
        eprintln!("building the sample workspace (baseline)…");
        {
            let store = Store::open(&dir.join("sample/sense.db"))?;
            crate::dataset::samples::init_workspace(&store, &crate::dataset::samples::embedded()?)?;
        }
        let base = measure(&dir.join("sample/sense.db"), keys.min(300))?;
        let rss_base = peak_rss_mib();
        eprintln!("building a synthetic workspace of {n} examples and {n} pairs…");
        let t = Instant::now();
        drop(synthetic_workspace(&dir, n).context("building the synthetic workspace")?);
        eprintln!("built in {:.1} s", t.elapsed().as_secs_f64());
        let big = measure(&dir.join("sense.db"), keys)?;
        let rss = peak_rss_mib();

        println!(
            "sense bench tui: {keys} keys per screen, frames rendered into a 160x48 TestBackend ({} build)",
            if cfg!(debug_assertions) { "debug" } else { "release" }
        );
        println!(
            "{:<28} {:>16} {:>16} {:>8} {:>10}",
            "figure",
            format!("sample ({} ex)", base.examples),
            format!("synthetic ({} ex)", big.examples),
            "ratio",
            "target"
        );
        let row = |name: &str, a: Duration, b: Duration, target: &str| {
            println!(
                "{name:<28} {:>16} {:>16} {:>8} {target:>10}",
                ms(a),
                ms(b),
                ratio(b, a)
            );
        };
        row(
            "open (store + first frame)",
            base.open,
            big.open,
            "< 500 ms",
        );
        row("review key→frame p50", base.review.0, big.review.0, "");
        row(
            "review key→frame p99",
            base.review.1,
            big.review.1,
            "< 16 ms",
        );
        row(
            "review, filtered, p99",
            base.review_filtered.1,
            big.review_filtered.1,
            "< 16 ms",
        );
        row(
            "questions key→frame p50",
            base.questions.0,
            big.questions.0,
            "",
        );
        row(
            "questions key→frame p99",
            base.questions.1,
            big.questions.1,
            "< 16 ms",
        );
        let mib = |v: Option<f64>| {
            v.map(|m| format!("{m:.0} MiB"))
                .unwrap_or_else(|| "n/a".into())
        };
        println!(
            "{:<28} {:>16} {:>16} {:>8} {:>10}",
            "peak RSS (VmHWM)",
            mib(rss_base),
            mib(rss),
            match (rss_base, rss) {
                (Some(a), Some(b)) if a > 0.0 => format!("{:.1}x", b / a),
                _ => "–".into(),
            },
            "< 200 MB"
        );
        println!("pairs in the synthetic workspace: {}", big.pairs);
        println!();
        crate::tui::runs_bench::run(&dir, 200)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
