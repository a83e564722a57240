//! `sense eval` over files and `sense bench eval`.

use super::bad;
use crate::dataset::benchmark::{db_file, parse_gold_lines};
use crate::evaluate::{evaluate, summarize, EvalItem, GoldCache, JsonItem, JsonSummary};
use crate::exec::{Limits, Metric, MetricKind};
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Predictions: one SQL per line, same order as the gold file.
    #[arg(long)]
    pub pred: Option<PathBuf>,
    /// Gold file: SQL<TAB>db_id per line (Spider's dev_gold.sql format).
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// Folder holding <db_id>/<db_id>.sqlite.
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[arg(long, default_value = "spider")]
    pub metric: MetricKind,
    /// Keep DISTINCT (Spider's evaluator removes it by default).
    #[arg(long)]
    pub keep_distinct: bool,
    /// JSON Lines: one object per example, then a summary object.
    #[arg(long)]
    pub json: bool,
    /// Per-query time limit in seconds.
    #[arg(long, default_value_t = 30.0, value_parser = super::flags::seconds)]
    pub timeout: f64,
    /// Evaluate a local checkpoint on a workspace split instead of a predictions file.
    #[arg(long, value_name = "CKPT")]
    pub model: Option<PathBuf>,
    /// Split to evaluate with --model.
    #[arg(long, default_value = "dev")]
    pub split: String,
    /// With --model: only this workspace database.
    #[arg(long)]
    pub db_name: Option<String>,
    /// With --model: at most this many examples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// With --model: prompts per generation batch.
    #[arg(long, default_value_t = 8, value_parser = super::flags::count)]
    pub batch: usize,
    /// With --model: longest SQL in tokens.
    #[arg(long, default_value_t = 256, value_parser = super::flags::count)]
    pub max_new_tokens: usize,
    /// With --model: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// With --model: let the model spell any identifier (by default a sense checkpoint's
    /// table and column names are kept to those its prompt's schema shows).
    #[arg(long)]
    pub free_decoding: bool,
    /// With --model: completions per question, the greedy one then samples; above 1 the answer
    /// is the one whose result most of those that run return (execution-guided decoding).
    #[arg(long, default_value_t = 1, value_parser = super::flags::candidates)]
    pub candidates: usize,
}

pub fn run(ws: &Path, a: EvalArgs) -> Result<i32> {
    if let Some(ckpt) = &a.model {
        let mut metric = Metric::of(a.metric);
        metric.keep_distinct |= a.keep_distinct;
        let opts = crate::train::eval::ModelEvalOptions {
            split: a.split.clone(),
            db: a.db_name.clone(),
            limit: a.limit,
            batch: a.batch,
            max_new_tokens: a.max_new_tokens,
            schema_bound: !a.free_decoding,
            candidates: a.candidates,
            device: a.device.clone(),
            metric,
            limits: Limits {
                timeout: Duration::from_secs_f64(a.timeout),
                ..Limits::default()
            },
        };
        return super::train_cmd::eval_model(ws, ckpt, opts, a.json);
    }
    let (Some(pred), Some(gold), Some(db)) = (&a.pred, &a.gold, &a.db) else {
        return Err(bad("sense eval needs --pred FILE --gold FILE --db DIR"));
    };
    let mut metric = Metric::of(a.metric);
    if a.keep_distinct {
        metric.keep_distinct = true;
    }
    let items = load_items(pred, gold, db)?;
    let limits = Limits {
        timeout: Duration::from_secs_f64(a.timeout),
        ..Limits::default()
    };
    let done = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let cache = GoldCache::default();
    let pb = super::output::progress(items.len() as u64, "evaluating");
    let results = std::thread::scope(|s| {
        let h = s.spawn(|| evaluate(&items, metric, limits, &cache, &done, &cancel));
        while !h.is_finished() {
            pb.set_position(done.load(Ordering::Relaxed) as u64);
            std::thread::sleep(Duration::from_millis(50));
        }
        h.join()
    })
    .map_err(|_| anyhow::anyhow!("evaluation thread panicked"))?;
    pb.finish_and_clear();
    let summary = summarize(&results);
    if a.json {
        for r in &results {
            let pred = items.get(r.index).map_or("", |i| i.pred_sql.as_str());
            println!("{}", serde_json::to_string(&JsonItem::new(r, pred, None))?);
        }
        let s = JsonSummary::new(metric.kind.as_str(), &summary, None);
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!("metric: {}", metric.kind.as_str());
        print!("{}", summary.render());
        println!("(difficulty estimated from the gold SQL with Spider's hardness rules)");
    }
    Ok(0)
}

fn load_items(pred: &Path, gold: &Path, db: &Path) -> Result<Vec<EvalItem>> {
    let gold_text = super::flags::read_input(gold)?;
    let golds = parse_gold_lines(gold, &gold_text)?;
    let pred_text = super::flags::read_input(pred)?;
    let mut preds: Vec<String> = pred_text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    // A trailing empty line is a file ending, not a prediction.
    while preds.len() > golds.len() && preds.last().is_some_and(|l| l.trim().is_empty()) {
        preds.pop();
    }
    if preds.len() != golds.len() {
        return Err(bad(format!(
            "{} has {} predictions but {} has {} gold queries; they must align line by line",
            pred.display(),
            preds.len(),
            gold.display(),
            golds.len()
        )));
    }
    Ok(golds
        .into_iter()
        .zip(preds)
        .enumerate()
        .map(|(i, ((gsql, dbid), p))| EvalItem {
            index: i,
            db_path: db_file(db, &dbid),
            difficulty: Some(crate::sqltext::estimate_hardness(&gsql).as_str().into()),
            db_id: dbid,
            gold_sql: gsql,
            // Spider's predictions may carry "SQL<TAB>db_id" too; only the SQL counts.
            pred_sql: p.split('\t').next().unwrap_or("").to_string(),
        })
        .collect())
}

/// Perturbs a query so that its result usually changes (used to measure the failing path).
fn perturb(sql: &str) -> String {
    let s = crate::sqltext::first_statement(sql);
    if let Some(pos) = s.to_ascii_lowercase().rfind(" limit ") {
        return s[..pos].to_string();
    }
    format!("{s} LIMIT 1")
}

pub fn bench(spider: &Path, repeat: usize) -> Result<i32> {
    let gold = spider.join("dev_gold.sql");
    let db = spider.join("database");
    let text = super::flags::read_input(&gold)?;
    let golds = parse_gold_lines(&gold, &text)?;
    let mk = |f: &dyn Fn(&str) -> String| -> Vec<EvalItem> {
        golds
            .iter()
            .enumerate()
            .map(|(i, (g, d))| EvalItem {
                index: i,
                db_id: d.clone(),
                db_path: db_file(&db, d),
                gold_sql: g.clone(),
                pred_sql: f(g),
                difficulty: None,
            })
            .collect()
    };
    let same = mk(&|g| g.to_string());
    let perturbed = mk(&perturb);
    let limits = Limits {
        timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    println!(
        "sense bench eval: {} Spider dev predictions, {} threads, best of {repeat}",
        same.len(),
        rayon::current_num_threads()
    );
    let cancel = AtomicBool::new(false);
    let time = |items: &[EvalItem], cache: &GoldCache| {
        let done = AtomicUsize::new(0);
        let t = Instant::now();
        let r = evaluate(items, Metric::spider(), limits, cache, &done, &cancel);
        (t.elapsed(), summarize(&r))
    };
    let mut rows = Vec::new();
    for (name, items) in [("gold vs gold", &same), ("gold vs perturbed", &perturbed)] {
        let mut best_cold = Duration::MAX;
        let mut best_warm = Duration::MAX;
        let mut summary = None;
        for _ in 0..repeat.max(1) {
            let cache = GoldCache::default();
            let (cold, s) = time(items, &cache);
            let (warm, _) = time(items, &cache);
            best_cold = best_cold.min(cold);
            best_warm = best_warm.min(warm);
            summary = Some(s);
        }
        let s = summary.unwrap_or_default();
        rows.push((name, best_cold, best_warm, s));
    }
    // Baseline measured in the same run: one thread, no gold cache.
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let (base, _) = single.install(|| time(&same, &GoldCache::default()));
    println!(
        "{:<20} {:>10} {:>12} {:>14} {:>8}",
        "case", "cold s", "cold ex/s", "warm-gold s", "EX"
    );
    for (name, cold, warm, s) in &rows {
        println!(
            "{:<20} {:>10.3} {:>12.0} {:>14.3} {:>8.4}",
            name,
            cold.as_secs_f64(),
            s.overall.n as f64 / cold.as_secs_f64(),
            warm.as_secs_f64(),
            s.overall.ex()
        );
    }
    println!(
        "baseline (1 thread, cold): {:.3} s; speed-up of all threads: {:.2}x",
        base.as_secs_f64(),
        base.as_secs_f64() / rows[0].1.as_secs_f64()
    );
    Ok(0)
}
