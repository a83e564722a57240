//! A training run: its row in the store, per-step metrics, checkpoints, Ctrl-C, NaN, resume.

use super::checkpoint::{self, CheckpointMeta, LoadOptions};
use super::config::{device, TokenizerKind, TrainConfig, TrainKind};
use super::data::{
    dpo_pairs, grouped_indices_for_step, indices_for_step, make_batch, sft_eval_sequences,
    tokenizer_corpus, DataStats, Seq,
};
use super::dpo::{dpo_loss, pair_logps, reference_logps};
use super::error::{bail, Context, Result};
use super::model::Model;
use super::optim::{clip, lr_at_time, Accumulator, AdamW};
use super::packing::sft_data;
use super::sft::{sft_eval_loss, sft_loss};
use super::tokenizer::{train_bpe, Tokenizer};
use crate::store::{NewRun, RunStatus, Store};
use candle_core::{Device, Tensor};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The metric holding the held-out loss (the Runs screen draws it with `loss`).
pub const EVAL_LOSS: &str = "eval_loss";

/// Set by whoever redirects this process's output to a file (the workbench): the front end
/// reads it into [`RunOptions::log`], and the run records the path in its config so viewers can
/// show its log.
pub const LOG_ENV: &str = "SENSE_LOG_FILE";

/// What a front end tells a run besides its config (`train` reads no environment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// How to load `from` (and a DPO reference).
    pub load: LoadOptions,
    /// The file this process's output goes to, recorded as the config's `log` (see [`LOG_ENV`]).
    pub log: Option<String>,
}

/// What a step reports to a progress display.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub step: usize,
    pub total: usize,
    pub loss: f64,
    pub lr: f64,
    pub grad_norm: f64,
    pub tokens_per_s: f64,
    /// Held-out loss (`eval_loss`), at the steps where it was computed.
    pub eval_loss: Option<f64>,
    /// Further metrics (DPO rewards, ...), as logged.
    pub extra: Vec<(&'static str, f64)>,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub run_id: i64,
    pub status: RunStatus,
    pub steps_done: usize,
    pub checkpoint: Option<PathBuf>,
    pub message: String,
}

/// Events a run sends to whoever started it.
pub enum Event<'a> {
    /// The run's tokenizer; `trained_on` = texts a fresh BPE learned from.
    Tokenizer {
        tokenizer: &'a Tokenizer,
        trained_on: Option<usize>,
    },
    Data(&'a DataStats),
    /// The held-out set (SFT, when it has sequences and evaluation is on).
    EvalData(&'a DataStats),
    Started {
        run_id: i64,
        params: usize,
        out: &'a std::path::Path,
    },
    Step(&'a StepReport),
    /// Something the user should know that does not stop the run (a checkpoint's prompt
    /// version this sense does not know).
    Warning(&'a str),
}

enum Data {
    Sft(Vec<Seq>),
    Dpo {
        pairs: Vec<(Seq, Seq)>,
        refs: Vec<(f32, f32)>,
    },
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::Sft(s) => s.len(),
            Data::Dpo { pairs, .. } => pairs.len(),
        }
    }
}

/// Starts a new run with the default options.
pub fn start(
    store: &Store,
    cfg: TrainConfig,
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<RunResult> {
    start_with(store, cfg, &RunOptions::default(), cancel, on)
}

/// Starts a new run.
pub fn start_with(
    store: &Store,
    mut cfg: TrainConfig,
    options: &RunOptions,
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<RunResult> {
    // `--max-minutes` is the run's wall time, preparation included: a DPO run's reference
    // log-probabilities took 1.4 minutes of a 3.9-minute budget before its first step.
    let started = Instant::now();
    cfg.validate()?;
    let dev = device(&cfg.device)?;
    let (model, tok) = match &cfg.from {
        Some(p) => {
            let l = checkpoint::load_with(p, &dev, &options.load)
                .with_context(|| format!("loading --from {}", p.display()))?;
            if let Some(w) = &l.warning {
                on(Event::Warning(w));
            }
            // The checkpoint's tokenizer and prompt layout win; the stored config says which.
            if let Some(f) = crate::schema::PromptFormat::from_version(l.meta.prompt_version) {
                cfg.data.prompt = f;
            }
            (cfg.tokenizer, cfg.bpe_vocab) = match &l.tokenizer {
                Tokenizer::Byte => (TokenizerKind::Byte, cfg.bpe_vocab),
                Tokenizer::Bpe(_) => (TokenizerKind::Bpe, l.tokenizer.vocab_size()),
            };
            on(Event::Tokenizer {
                tokenizer: &l.tokenizer,
                trained_on: None,
            });
            (l.model, l.tokenizer)
        }
        None => {
            let (tok, trained_on) = match cfg.tokenizer {
                TokenizerKind::Byte => (Tokenizer::Byte, None),
                TokenizerKind::Bpe => {
                    let texts = tokenizer_corpus(store, &cfg.data)?;
                    if texts.is_empty() {
                        bail!(
                            "no examples match the data filters ({:?}); nothing to train a BPE tokenizer on",
                            cfg.data
                        );
                    }
                    let n = texts.len();
                    (train_bpe(texts.into_iter(), cfg.bpe_vocab)?, Some(n))
                }
            };
            on(Event::Tokenizer {
                tokenizer: &tok,
                trained_on,
            });
            cfg.model.vocab_size = tok.vocab_size();
            if let (Some(cap), TrainKind::Sft) = (cfg.auto_context, cfg.kind) {
                // The context fits the longest sequence so no prompt is cut silently.
                let (_, s) = sft_data(store, &cfg.data, &tok, usize::MAX / 4)?;
                cfg.model.max_seq_len = super::config::context_for(s.longest, cap);
                cfg.max_len = cfg.model.max_seq_len;
            }
            (Model::new(&cfg.model, cfg.seed, &dev)?, tok)
        }
    };
    cfg.model = model.cfg.clone();
    cfg.max_len = cfg.max_len.min(model.cfg.max_seq_len);
    let data = load_data(store, &cfg, &options.load, &model, &tok, on)?;
    let eval = load_eval(store, &cfg, &tok, on)?;
    if let Some(out) = &cfg.out {
        cfg.out = Some(std::path::absolute(out)?);
    } else {
        let ws = std::path::absolute(store.path())?;
        let ws_dir = ws.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        cfg.out = Some(ws_dir.join("checkpoints").join(format!(
            "{}-{stamp}-{}",
            cfg.kind.as_str(),
            std::process::id()
        )));
    }
    let mut config = serde_json::to_value(&cfg)?;
    if let (Some(log), Some(obj)) = (&options.log, config.as_object_mut()) {
        obj.insert("log".into(), log.clone().into());
    }
    let run_id = store.create_run(&NewRun {
        kind: cfg.kind.as_str().into(),
        parent: cfg.from.as_ref().map(|p| p.display().to_string()),
        config,
        total_steps: cfg.steps as i64,
        pid: Some(i64::from(std::process::id())),
    })?;
    let opt = AdamW::new(model.params(), &cfg)?;
    let clock = (0.0, started);
    drive(
        store, run_id, &cfg, model, tok, opt, 0, clock, data, &eval, cancel, on,
    )
}

/// Continues a run from its last checkpoint with its stored config and the default options.
pub fn resume(
    store: &Store,
    run_id: i64,
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<RunResult> {
    resume_with(store, run_id, &RunOptions::default(), cancel, on)
}

/// Continues a run from its last checkpoint with its stored config (`options.log` is not
/// recorded again: the config keeps the first one).
pub fn resume_with(
    store: &Store,
    run_id: i64,
    options: &RunOptions,
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<RunResult> {
    let started = Instant::now();
    let run = store.run(run_id)?;
    // Two trainers on one run would share its folder and metric rows.
    if let Some(pid) = run.pid.filter(|p| {
        run.status == crate::store::RunStatus::Running
            && *p != i64::from(std::process::id())
            && crate::proc::pid_alive(*p)
    }) {
        bail!("run #{run_id} is still being trained by process {pid}; stop it first (kill -INT {pid})");
    }
    let cfg: TrainConfig = serde_json::from_str(&run.config).context("the run's stored config")?;
    let Some(ck) = run.checkpoint.as_deref() else {
        bail!("run #{run_id} has no checkpoint to resume from");
    };
    if let Some(run_dir) = std::path::Path::new(ck).parent() {
        crate::proc::remove_stale_temps(run_dir)
            .with_context(|| format!("removing stale checkpoint temps in {}", run_dir.display()))?;
    }
    let dev = device(&cfg.device)?;
    let l = checkpoint::load_with(std::path::Path::new(ck), &dev, &options.load)?;
    if let Some(w) = &l.warning {
        on(Event::Warning(w));
    }
    let step = l.meta.step;
    let minutes_before = l.meta.train_minutes.unwrap_or(0.0);
    if step >= cfg.steps {
        bail!("run #{run_id} already did all its {} steps", cfg.steps);
    }
    on(Event::Tokenizer {
        tokenizer: &l.tokenizer,
        trained_on: None,
    });
    let mut opt = AdamW::new(l.model.params(), &cfg)?;
    if let Some(state) = checkpoint::load_optimizer(&l.dir, &dev)? {
        opt.load_state(l.model.params(), &state, step)?;
    }
    let data = load_data(store, &cfg, &options.load, &l.model, &l.tokenizer, on)?;
    let eval = load_eval(store, &cfg, &l.tokenizer, on)?;
    store.set_run_pid(run_id, i64::from(std::process::id()))?;
    drive(
        store,
        run_id,
        &cfg,
        l.model,
        l.tokenizer,
        opt,
        step,
        (minutes_before, started),
        data,
        &eval,
        cancel,
        on,
    )
}

fn load_data(
    store: &Store,
    cfg: &TrainConfig,
    load: &LoadOptions,
    model: &Model,
    tok: &Tokenizer,
    on: &mut dyn FnMut(Event),
) -> Result<Data> {
    Ok(match cfg.kind {
        TrainKind::Sft => {
            let mut d = cfg.data.clone();
            if d.pack > 1 && !model.fused {
                // The packed layout lives in the fused CPU kernel only.
                on(Event::Warning(
                    "packing needs the CPU kernels: one example per sequence on this device",
                ));
                d.pack = 1;
            }
            let (seqs, stats) = sft_data(store, &d, tok, cfg.max_len)?;
            on(Event::Data(&stats));
            if seqs.is_empty() {
                bail!(
                    "no examples match the data filters ({:?}); nothing to train on",
                    cfg.data
                );
            }
            Data::Sft(seqs)
        }
        TrainKind::Dpo => {
            let (pairs, stats) = dpo_pairs(store, &cfg.data, tok, cfg.max_len)?;
            on(Event::Data(&stats));
            if pairs.is_empty() {
                bail!(
                    "no {} pairs match the data filters; review pairs in the workbench or use --pairs pending|all",
                    cfg.data.pairs
                );
            }
            // The frozen reference is the starting checkpoint.
            let reference = match &cfg.from {
                Some(p) => {
                    let l = checkpoint::load_with(p, model.device(), load)?;
                    if let Some(w) = &l.warning {
                        on(Event::Warning(w));
                    }
                    l.model
                }
                None => bail!("DPO needs --from CKPT"),
            };
            let refs = reference_logps(&reference, &pairs, cfg.batch_size, tok.pad())?;
            Data::Dpo { pairs, refs }
        }
    })
}

/// The held-out sequences the run scores (SFT with evaluation on; empty otherwise).
fn load_eval(
    store: &Store,
    cfg: &TrainConfig,
    tok: &Tokenizer,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Seq>> {
    let Some(split) = cfg.eval_split.as_deref() else {
        return Ok(Vec::new());
    };
    if cfg.kind != TrainKind::Sft || cfg.eval_every == 0 {
        return Ok(Vec::new());
    }
    let (seqs, stats) =
        sft_eval_sequences(store, &cfg.data, split, cfg.eval_examples, tok, cfg.max_len)?;
    if !seqs.is_empty() {
        on(Event::EvalData(&stats));
    }
    Ok(seqs)
}

#[allow(clippy::too_many_arguments)]
fn drive(
    store: &Store,
    run_id: i64,
    cfg: &TrainConfig,
    model: Model,
    tok: Tokenizer,
    mut opt: AdamW,
    first_step: usize,
    (minutes_before, started): (f64, Instant),
    data: Data,
    eval: &[Seq],
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<RunResult> {
    let out = cfg
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("checkpoints/run-{run_id}")));
    on(Event::Started {
        run_id,
        params: model.num_params(),
        out: &out,
    });
    let mut last_ckpt = store.run(run_id)?.checkpoint.map(PathBuf::from);
    // Training time of the whole run: a resumed run continues its budget, schedule and
    // early-checkpoint clock from what its checkpoint recorded.
    let minutes = || minutes_before + started.elapsed().as_secs_f64() / 60.0;
    let save = |step: usize, model: &Model, opt: &AdamW| -> Result<PathBuf> {
        let mut meta = CheckpointMeta::new(
            &model.cfg,
            &tok,
            step,
            Some(run_id),
            Some(cfg.kind.as_str()),
        );
        meta.prompt_version = cfg.data.prompt.version();
        meta.train_minutes = Some(minutes());
        let dir = checkpoint::save_step(
            &out,
            model,
            &tok,
            &meta,
            Some(&opt.state(model.params())),
            2,
        )?;
        store.set_run_checkpoint(run_id, &dir.display().to_string())?;
        Ok(dir)
    };
    let early_dir = out.join("early");
    let mut early_due = cfg.early_checkpoint_minutes.filter(|_| !early_dir.exists());
    let mut step = first_step;
    let mut saved_at = first_step;
    let mut status = RunStatus::Done;
    let mut message = String::new();
    let result = (|| -> Result<()> {
        while step < cfg.steps {
            if cancel.load(Ordering::Relaxed) {
                status = RunStatus::Stopped;
                message = format!("stopped by the user after step {step}");
                break;
            }
            if cfg.max_minutes.is_some_and(|m| minutes() > m) {
                message = format!(
                    "time budget of {} min reached after step {step}",
                    cfg.max_minutes.unwrap_or(0.0)
                );
                break;
            }
            let t0 = Instant::now();
            let (loss, grads, norm, tokens, extra) = train_step(cfg, &model, &tok, &data, step)?;
            let nan = cfg.fault_nan_at == Some(step + 1);
            if !loss.is_finite() || !norm.is_finite() || nan {
                status = RunStatus::Failed;
                message = format!(
                    "loss became {} at step {} (grad norm {norm}); stopped without applying it. Last good checkpoint: {}. Try a lower learning rate (--lr) or stronger clipping (--clip-norm).",
                    if nan { f64::NAN } else { loss },
                    step + 1,
                    last_ckpt.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "none".into())
                );
                return Ok(());
            }
            let lr = lr_at_time(cfg, step, Some(minutes()));
            let mut grads = grads;
            clip(&mut grads, norm, cfg.clip_norm)?;
            opt.step(model.params(), &grads, lr)?;
            step += 1;
            let tps = tokens as f64 / t0.elapsed().as_secs_f64().max(1e-9);
            let s = step as i64;
            let mut points: Vec<(i64, &str, f64)> = vec![
                (s, "loss", loss),
                (s, "learning_rate", lr),
                (s, "grad_norm", norm),
                (s, "tokens_per_s", tps),
            ];
            points.extend(extra.iter().map(|(n, v)| (s, *n, *v)));
            let eval_due =
                cfg.eval_every > 0 && (step.is_multiple_of(cfg.eval_every) || step == cfg.steps);
            let eval_loss = if eval_due && !eval.is_empty() {
                sft_eval_loss(&model, eval, cfg.batch_size, tok.pad())?.filter(|v| v.is_finite())
            } else {
                None
            };
            if let Some(v) = eval_loss {
                points.push((s, EVAL_LOSS, v));
            }
            store.log_metrics(run_id, s, &points)?;
            on(Event::Step(&StepReport {
                step,
                total: cfg.steps,
                loss,
                lr,
                grad_norm: norm,
                tokens_per_s: tps,
                eval_loss,
                extra,
            }));
            if cfg.save_every > 0 && step.is_multiple_of(cfg.save_every) {
                last_ckpt = Some(save(step, &model, &opt)?);
                saved_at = step;
            }
            if early_due.is_some_and(|m| minutes() >= m) {
                let mut meta = CheckpointMeta::new(
                    &model.cfg,
                    &tok,
                    step,
                    Some(run_id),
                    Some(cfg.kind.as_str()),
                );
                meta.prompt_version = cfg.data.prompt.version();
                meta.train_minutes = Some(minutes());
                checkpoint::save(&early_dir, &model, &tok, &meta, None)?;
                early_due = None;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        // candle errors may carry a backtrace: the run row keeps the message only.
        let full = format!("{e:#}");
        let msg = full.lines().next().unwrap_or("").to_string();
        store.finish_run(run_id, RunStatus::Failed, &msg)?;
        return Err(e);
    }
    if status != RunStatus::Failed && (saved_at != step || last_ckpt.is_none()) {
        match save(step, &model, &opt) {
            Ok(d) => last_ckpt = Some(d),
            Err(e) => {
                store.finish_run(
                    run_id,
                    RunStatus::Failed,
                    &format!("saving the final checkpoint: {e:#}"),
                )?;
                return Err(e);
            }
        }
    }
    if message.is_empty() {
        message = format!("{step} steps");
    }
    store.finish_run(run_id, status, &message)?;
    Ok(RunResult {
        run_id,
        status,
        steps_done: step,
        checkpoint: last_ckpt,
        message,
    })
}

type StepOut = (f64, Vec<Tensor>, f64, usize, Vec<(&'static str, f64)>);

fn train_step(
    cfg: &TrainConfig,
    model: &Model,
    tok: &Tokenizer,
    data: &Data,
    step: usize,
) -> Result<StepOut> {
    let per_step = cfg.batch_size * cfg.grad_accum;
    let idx = match data {
        Data::Sft(seqs) if cfg.group_by_length => {
            let lens: Vec<usize> = seqs.iter().map(|s| s.tokens.len()).collect();
            grouped_indices_for_step(&lens, cfg.seed, step, per_step)
        }
        _ => indices_for_step(data.len(), cfg.seed, step, per_step),
    };
    let dev: &Device = model.device();
    let mut acc = Accumulator::new(model.params().len());
    let mut loss_sum = 0f64;
    let mut tokens = 0usize;
    let mut stats_sum = [0f64; 6];
    let micro = cfg.grad_accum as f64;
    for chunk in idx.chunks(cfg.batch_size) {
        match data {
            Data::Sft(seqs) => {
                let batch_seqs: Vec<&Seq> = chunk.iter().map(|&i| &seqs[i]).collect();
                let batch = make_batch(&batch_seqs, tok.pad(), dev)?;
                let loss = sft_loss(model, &batch)?;
                let l = f64::from(loss.to_scalar::<f32>()?);
                loss_sum += l / micro;
                tokens += batch.tokens;
                let grads = (loss / micro)?.backward()?;
                acc.add(model.params(), &grads)?;
            }
            Data::Dpo { pairs, refs } => {
                let ps: Vec<&(Seq, Seq)> = chunk.iter().map(|&i| &pairs[i]).collect();
                let (pc, pr, chosen_tokens, n_tok) = pair_logps(model, &ps, tok.pad(), dev)?;
                let rc: Vec<f32> = chunk.iter().map(|&i| refs[i].0).collect();
                let rr: Vec<f32> = chunk.iter().map(|&i| refs[i].1).collect();
                let n = rc.len();
                let rc = Tensor::from_vec(rc, n, dev)?;
                let rr = Tensor::from_vec(rr, n, dev)?;
                let (mut loss, st) =
                    dpo_loss(&pc, &pr, &rc, &rr, cfg.dpo.beta, cfg.dpo.label_smoothing)?;
                if cfg.dpo.sft_weight > 0.0 {
                    let nll =
                        (pc.sum_all()? * (-cfg.dpo.sft_weight / chosen_tokens.max(1) as f64))?;
                    loss = (loss + nll)?;
                }
                let l = f64::from(loss.to_scalar::<f32>()?);
                loss_sum += l / micro;
                tokens += n_tok;
                for (s, v) in stats_sum.iter_mut().zip([
                    st.rewards_chosen,
                    st.rewards_rejected,
                    st.accuracy,
                    st.margin,
                    st.logps_chosen,
                    st.logps_rejected,
                ]) {
                    *s += v / micro;
                }
                let grads = (loss / micro)?.backward()?;
                acc.add(model.params(), &grads)?;
            }
        }
    }
    let (grads, norm) = acc.finish(model.params())?;
    let extra = match data {
        Data::Sft(_) => Vec::new(),
        Data::Dpo { .. } => vec![
            ("rewards/chosen", stats_sum[0]),
            ("rewards/rejected", stats_sum[1]),
            ("rewards/accuracies", stats_sum[2]),
            ("rewards/margins", stats_sum[3]),
            ("logps/chosen", stats_sum[4]),
            ("logps/rejected", stats_sum[5]),
        ],
    };
    Ok((loss_sum, grads, norm, tokens, extra))
}
