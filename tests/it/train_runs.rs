//! Training runs against a real workspace: run rows, metrics, checkpoints, resume, NaN, eval.

use sense::dataset::samples;
use sense::store::{RunStatus, Store};
use sense::train::config::{ModelConfig, TrainConfig, TrainKind};
use sense::train::runner::{self, Event};
use std::sync::atomic::{AtomicBool, Ordering};

fn workspace() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    samples::init_workspace(&store, &samples::embedded().unwrap()).unwrap();
    (d, store)
}

fn tiny_cfg(dir: &std::path::Path, name: &str) -> TrainConfig {
    TrainConfig {
        kind: TrainKind::Sft,
        model: ModelConfig {
            d_model: 32,
            n_layers: 1,
            n_heads: 2,
            d_ff: 32,
            max_seq_len: 64,
            ..ModelConfig::default()
        },
        out: Some(dir.join(name)),
        steps: 6,
        batch_size: 2,
        max_len: 64,
        save_every: 3,
        warmup_steps: 2,
        ..TrainConfig::default()
    }
}

fn losses(store: &Store, run: i64) -> Vec<f64> {
    store
        .metric_since(run, "loss", 0)
        .unwrap()
        .iter()
        .map(|p| p.value)
        .collect()
}

#[test]
fn run_is_recorded_stopped_resumed_and_matches_an_uninterrupted_run() {
    let (d, store) = workspace();
    let never = AtomicBool::new(false);
    let full = runner::start(&store, tiny_cfg(d.path(), "full"), &never, &mut |_| {}).unwrap();
    assert_eq!(full.status, RunStatus::Done);
    let row = store.run(full.run_id).unwrap();
    assert_eq!(
        (row.step, row.total_steps, row.kind.as_str()),
        (6, 6, "sft")
    );
    assert!(row.checkpoint.as_deref().unwrap().ends_with("step-000006"));
    let cfg_back: TrainConfig = serde_json::from_str(&row.config).unwrap();
    assert_eq!(cfg_back.steps, 6);
    for m in ["loss", "learning_rate", "grad_norm", "tokens_per_s"] {
        assert_eq!(
            store.metric_since(full.run_id, m, 0).unwrap().len(),
            6,
            "{m}"
        );
    }

    // Stop after step 3 (as Ctrl-C does), then resume.
    let stop = AtomicBool::new(false);
    let part = runner::start(&store, tiny_cfg(d.path(), "part"), &stop, &mut |e| {
        if let Event::Step(r) = e {
            if r.step == 3 {
                stop.store(true, Ordering::SeqCst);
            }
        }
    })
    .unwrap();
    assert_eq!(part.status, RunStatus::Stopped);
    assert_eq!(part.steps_done, 3);
    assert_eq!(store.run(part.run_id).unwrap().status, RunStatus::Stopped);
    let resumed = runner::resume(&store, part.run_id, &never, &mut |_| {}).unwrap();
    assert_eq!((resumed.status, resumed.steps_done), (RunStatus::Done, 6));
    let row = store.run(part.run_id).unwrap();
    assert_eq!(row.step, 6);
    let (a, b) = (losses(&store, full.run_id), losses(&store, part.run_id));
    assert_eq!(b.len(), 6, "steps 1..6 each logged once");
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() < 1e-4 * x.abs().max(1.0),
            "resumed run diverges: {a:?} vs {b:?}"
        );
    }
}

/// A resumed run continues its time budget: the checkpoint records the minutes trained, and a
/// run whose checkpoint already spent the budget ends at once instead of starting it anew.
#[test]
fn a_resumed_run_continues_its_time_budget() {
    let (d, store) = workspace();
    let mut cfg = tiny_cfg(d.path(), "timed");
    cfg.max_minutes = Some(30.0);
    let stop = AtomicBool::new(false);
    let part = runner::start(&store, cfg, &stop, &mut |e| {
        if let Event::Step(r) = e {
            if r.step == 3 {
                stop.store(true, Ordering::SeqCst);
            }
        }
    })
    .unwrap();
    assert_eq!((part.status, part.steps_done), (RunStatus::Stopped, 3));
    let ck = std::path::PathBuf::from(store.run(part.run_id).unwrap().checkpoint.unwrap());
    let meta_path = ck.join("config.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    let spent = meta["train_minutes"]
        .as_f64()
        .expect("checkpoint records minutes trained");
    assert!((0.0..1.0).contains(&spent), "{spent}");
    // As if the first attempt had trained for 31 of its 30 minutes before it was stopped.
    meta["train_minutes"] = 31.0.into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    let never = AtomicBool::new(false);
    let resumed = runner::resume(&store, part.run_id, &never, &mut |_| {}).unwrap();
    assert_eq!(resumed.steps_done, 3, "the budget was spent: no more steps");
    let row = store.run(part.run_id).unwrap();
    assert!(row.message.contains("time budget"), "{}", row.message);
}

#[test]
fn nan_loss_fails_the_run_and_keeps_the_last_good_checkpoint() {
    let (d, store) = workspace();
    let mut cfg = tiny_cfg(d.path(), "nan");
    cfg.save_every = 1;
    cfg.fault_nan_at = Some(3);
    let r = runner::start(&store, cfg, &AtomicBool::new(false), &mut |_| {}).unwrap();
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.steps_done, 2);
    let row = store.run(r.run_id).unwrap();
    assert_eq!(row.status, RunStatus::Failed);
    assert!(
        row.message.contains("NaN") && row.message.contains("step-000002"),
        "{}",
        row.message
    );
    assert!(row.checkpoint.as_deref().unwrap().ends_with("step-000002"));
    assert!(sense::train::checkpoint::load(
        d.path().join("nan").as_path(),
        &candle_core::Device::Cpu
    )
    .is_ok());
}

#[test]
fn dpo_needs_a_start_and_trains_on_pairs_then_eval_records_a_row() {
    let (d, store) = workspace();
    let never = AtomicBool::new(false);
    let sft = runner::start(&store, tiny_cfg(d.path(), "sft"), &never, &mut |_| {}).unwrap();
    let ck = sft.checkpoint.unwrap();
    let mut cfg = TrainConfig::for_kind(TrainKind::Dpo);
    assert!(cfg.validate().is_err(), "DPO without --from is refused");
    cfg.from = Some(ck.clone());
    cfg.out = Some(d.path().join("dpo"));
    cfg.steps = 2;
    cfg.batch_size = 2;
    cfg.max_len = 64;
    cfg.data.pairs = "all".into();
    // The workspace's pairs are on dev databases: every split, as `--allow-dev` asks.
    cfg.data.split = None;
    let r = runner::start(&store, cfg, &never, &mut |_| {}).unwrap();
    assert_eq!(r.status, RunStatus::Done);
    for m in [
        "rewards/chosen",
        "rewards/rejected",
        "rewards/accuracies",
        "rewards/margins",
        "logps/chosen",
        "logps/rejected",
    ] {
        assert_eq!(store.metric_since(r.run_id, m, 0).unwrap().len(), 2, "{m}");
    }
    // Step 1 starts at the reference: rewards are zero.
    let rc = store.metric_since(r.run_id, "rewards/chosen", 0).unwrap();
    assert!(rc[0].value.abs() < 1e-4, "{rc:?}");

    let o = sense::train::eval::ModelEvalOptions {
        split: "dev".into(),
        db: None,
        limit: Some(4),
        batch: 4,
        max_new_tokens: 8,
        schema_bound: true,
        candidates: 1,
        device: "cpu".into(),
        metric: sense::exec::Metric::spider(),
        limits: sense::exec::Limits::default(),
    };
    let e = sense::train::eval::evaluate_model(&store, &ck, &o, &never, &mut |_, _| {}).unwrap();
    assert_eq!(e.summary.overall.n, 4);
    let rows = store.evals().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].split.as_str(), rows[0].n), ("dev", 4));
}

#[test]
fn sft_logs_held_out_loss_at_eval_steps_and_at_the_last_step() {
    let (d, store) = workspace();
    let never = AtomicBool::new(false);
    let mut cfg = tiny_cfg(d.path(), "eval");
    cfg.eval_every = 4;
    cfg.eval_examples = 6;
    let mut reported = Vec::new();
    let mut eval_sets = 0;
    let r = runner::start(&store, cfg, &never, &mut |e| match e {
        Event::EvalData(s) => {
            eval_sets += 1;
            assert_eq!(s.sequences, 6, "at most --eval-examples sequences");
        }
        Event::Step(s) => reported.push((s.step, s.eval_loss)),
        _ => {}
    })
    .unwrap();
    assert_eq!(r.status, RunStatus::Done);
    assert_eq!(eval_sets, 1);
    let pts = store.metric_since(r.run_id, runner::EVAL_LOSS, 0).unwrap();
    let steps: Vec<i64> = pts.iter().map(|p| p.step).collect();
    assert_eq!(steps, [4, 6], "every 4 steps plus the last: {pts:?}");
    assert!(
        pts.iter().all(|p| p.value.is_finite() && p.value > 0.0),
        "{pts:?}"
    );
    let with_eval: Vec<usize> = reported.iter().filter_map(|(s, e)| e.map(|_| *s)).collect();
    assert_eq!(with_eval, [4, 6], "the step report carries it too");
    // Scoring records no gradients and changes nothing: the training loss matches a run
    // without evaluation.
    let mut off = tiny_cfg(d.path(), "off");
    off.eval_every = 0;
    let o = runner::start(&store, off, &never, &mut |_| {}).unwrap();
    assert!(store
        .metric_since(o.run_id, runner::EVAL_LOSS, 0)
        .unwrap()
        .is_empty());
    assert_eq!(losses(&store, o.run_id), losses(&store, r.run_id));
    let row: TrainConfig = serde_json::from_str(&store.run(o.run_id).unwrap().config).unwrap();
    assert_eq!((row.eval_every, row.eval_examples), (0, 64));

    // A split without examples: no held-out set, nothing logged, the run still trains.
    let mut none = tiny_cfg(d.path(), "none");
    none.eval_every = 2;
    none.eval_split = Some("no-such-split".into());
    let n = runner::start(&store, none, &never, &mut |_| {}).unwrap();
    assert_eq!(n.status, RunStatus::Done);
    assert!(store
        .metric_since(n.run_id, runner::EVAL_LOSS, 0)
        .unwrap()
        .is_empty());
}

#[test]
fn eval_config_defaults_for_old_runs_and_is_validated() {
    let old: TrainConfig = serde_json::from_str(r#"{"kind":"sft","steps":3}"#).unwrap();
    assert_eq!(
        (old.eval_every, old.eval_examples, old.eval_split.as_deref()),
        (50, 64, Some("dev"))
    );
    let mut c = TrainConfig {
        eval_examples: 0,
        ..TrainConfig::default()
    };
    assert!(c.validate().is_err());
    c.eval_every = 0;
    assert!(
        c.validate().is_ok(),
        "no examples needed when evaluation is off"
    );
}

#[test]
fn front_end_options_reach_the_run_and_load_warnings_come_as_events() {
    let (d, store) = workspace();
    let never = AtomicBool::new(false);
    let mut cfg = tiny_cfg(d.path(), "first");
    cfg.steps = 2;
    cfg.eval_every = 0;
    let first = runner::start(&store, cfg, &never, &mut |_| {}).unwrap();
    let config = |id: i64| -> serde_json::Value {
        serde_json::from_str(&store.run(id).unwrap().config).unwrap()
    };
    assert!(config(first.run_id).get("log").is_none(), "no log named");

    // The first run's checkpoint as a newer sense would have written it.
    let ck = first.checkpoint.unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ck.join("config.json")).unwrap()).unwrap();
    meta["prompt_version"] = 99.into();
    std::fs::write(ck.join("config.json"), meta.to_string()).unwrap();

    let mut cfg = tiny_cfg(d.path(), "second");
    cfg.steps = 2;
    cfg.eval_every = 0;
    cfg.from = Some(ck);
    let options = runner::RunOptions {
        log: Some("/var/log/sense-run.log".into()),
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let second = runner::start_with(&store, cfg, &options, &never, &mut |e| {
        if let Event::Warning(w) = e {
            warnings.push(w.to_string());
        }
    })
    .unwrap();
    assert_eq!(second.status, RunStatus::Done);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("prompt version 99"), "{warnings:?}");
    assert_eq!(config(second.run_id)["log"], "/var/log/sense-run.log");
}
