//! `sense recipe`: the SENSE loop in miniature, as a plan of stages over the workspace.
//!
//! Each stage is an ordinary `sense` command (so its run or eval lands in the store like any
//! other and the Runs screen shows it live); this module says which command each stage runs,
//! how the time budget is shared, what a stage's output means, and keeps the recipe's state in
//! a JSON file beside the workspace so that a rerun skips finished stages and resumes the
//! interrupted one. Starting the processes is the front end's business.

use crate::store::{DataFilter, RunStatus, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The split of the recipe's held-out procedural databases: not `dev`, so the hand-written
/// dev questions of sample_dbs stay a set of their own.
pub const HELDOUT_SPLIT: &str = "heldout";

/// The SFT model and optimizer the recipe trains unless its flags say otherwise: small enough
/// that a 2-core laptop's quarter hour is several epochs over the procedural examples (a
/// bigger model learns more per step but takes too few of them; see README "Does it learn?").
pub const SFT_DEFAULTS: &[(&str, &str)] = &[
    ("--layers", "2"),
    ("--d-model", "128"),
    ("--heads", "4"),
    ("--d-ff", "512"),
    // Up to 8 questions over one database per sequence, the schema computed once (a prompt is
    // ~80 % schema): an epoch is 2.6x fewer tokens. Four such sequences (~25 questions) a step.
    ("--pack", "8"),
    ("--batch-size", "4"),
    ("--lr", "3e-3"),
    // The 273 hand-written train questions are phrased as people ask; among 16,000 template
    // ones they would be 2 % of what SFT sees.
    ("--repeat-source", "sample=4"),
];

/// `flags` (pairs of flag and value) after the defaults they do not give themselves.
fn with_defaults(flags: &[String], defaults: &[(&str, &str)]) -> Vec<String> {
    let mut out: Vec<String> = defaults
        .iter()
        .filter(|(f, _)| !flags.iter().any(|g| g == f))
        .flat_map(|(f, v)| [f.to_string(), v.to_string()])
        .collect();
    out.extend(flags.iter().cloned());
    out
}

/// Plenty of steps: the time budget ends SFT and DPO (and drives their schedules).
const UNBOUNDED_STEPS: usize = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("recipe state {path}: {msg}")]
    State { path: PathBuf, msg: String },
    #[error("stage {stage}: {msg}")]
    Stage { stage: &'static str, msg: String },
}

pub type Result<T> = std::result::Result<T, RecipeError>;

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Databases,
    HeldoutDatabases,
    Sft,
    Sample,
    Dpo,
    EvalSftHeldout,
    EvalSftDev,
    EvalDpoHeldout,
    EvalDpoDev,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Databases,
        Stage::HeldoutDatabases,
        Stage::Sft,
        Stage::Sample,
        Stage::Dpo,
        Stage::EvalSftHeldout,
        Stage::EvalSftDev,
        Stage::EvalDpoHeldout,
        Stage::EvalDpoDev,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Databases => "train databases",
            Stage::HeldoutDatabases => "held-out databases",
            Stage::Sft => "SFT",
            Stage::Sample => "weak sampling",
            Stage::Dpo => "DPO",
            Stage::EvalSftHeldout => "EX sft/held-out",
            Stage::EvalSftDev => "EX sft/dev",
            Stage::EvalDpoHeldout => "EX dpo/held-out",
            Stage::EvalDpoDev => "EX dpo/dev",
        }
    }

    /// Share of the time budget. Databases and evaluations are bounded by counts, not time;
    /// their shares are about what they took in a measured 30-minute recipe on 2 cores (400
    /// databases 0.2 minutes; best-of-8 evaluations 0.3–0.5 minutes on held-out templates,
    /// 1.6–2.6 on dev), and SFT gets most of the rest: its EX grows with time, DPO's does not.
    fn share(self) -> f64 {
        match self {
            Stage::Databases | Stage::HeldoutDatabases => 0.005,
            Stage::Sft => 0.60,
            Stage::Sample | Stage::Dpo => 0.10,
            Stage::EvalSftHeldout | Stage::EvalDpoHeldout => 0.02,
            Stage::EvalSftDev | Stage::EvalDpoDev => 0.075,
        }
    }

    /// Whether the stage's budget is enforced (the front end stops it when the time is up;
    /// training stops itself through `--max-minutes`).
    pub fn timed(self) -> bool {
        matches!(self, Stage::Sft | Stage::Sample | Stage::Dpo)
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipeOptions {
    pub minutes: f64,
    pub seed: u64,
    /// Procedural train databases wanted; none are made when the workspace has this many.
    pub train_databases: usize,
    pub heldout_databases: usize,
    /// Template questions per procedural database.
    pub per_db: usize,
    /// Weak samples per question, and their temperature.
    pub k: usize,
    pub temperature: f64,
    /// Examples per evaluation set (the same ones for SFT and DPO); `None` = from the budget.
    pub eval_limit: Option<usize>,
    /// Longest generated SQL (evaluation and sampling), in tokens.
    pub max_new_tokens: usize,
    /// Model and optimizer flags passed to SFT (`--layers 2`, ...).
    pub sft_flags: Vec<String>,
    pub device: String,
    /// Fraction of SFT's time after which the weak model's checkpoint is taken.
    pub weak_at: f64,
    /// Weight of DPO's SFT term on the chosen SQL (0: plain DPO, as state files from before it
    /// existed ran).
    #[serde(default)]
    pub dpo_sft_weight: f64,
    /// Sampling and evaluation let the model spell any identifier (by default they keep it to
    /// the prompt's schema: `train::schema_bound`).
    #[serde(default)]
    pub free_decoding: bool,
    /// Completions per evaluation question (`sense eval --candidates`): above 1, where the
    /// greedy SQL fails or returns nothing, the answer is chosen among samples by execution.
    /// State files from before it existed evaluated greedily.
    #[serde(default = "greedy")]
    pub candidates: usize,
}

fn greedy() -> usize {
    1
}

impl Default for RecipeOptions {
    fn default() -> Self {
        RecipeOptions {
            minutes: 30.0,
            seed: 42,
            // With 100 the model learned their values and names by heart (75 % of weak samples
            // right on train questions, 45 % on held-out databases): more schemas, fewer epochs.
            train_databases: 400,
            heldout_databases: 8,
            per_db: 40,
            k: 4,
            temperature: 0.8,
            eval_limit: None,
            max_new_tokens: 128,
            sft_flags: Vec::new(),
            device: "cpu".into(),
            // Late enough that the weak model's SQL mostly runs but is often wrong (near-misses):
            // measured at 0.5 of a 30-minute recipe, 46 % of its samples ran; the final model's, 80 %.
            weak_at: 0.8,
            // Plain DPO lowered held-out EX in the measured recipe; with an SFT term on the
            // chosen SQL it held level (README "Does it learn?").
            dpo_sft_weight: 1.0,
            free_decoding: false,
            // Measured on a recipe checkpoint: held-out templates 110 → 119 of 200, dev 16 →
            // 16 of 172, for about a minute more of evaluation.
            candidates: 8,
        }
    }
}

impl RecipeOptions {
    /// Minutes the stage may take.
    pub fn minutes_for(&self, stage: Stage) -> f64 {
        self.minutes * stage.share()
    }

    /// Examples per evaluation set: about 12 a minute of budget, 16 to 200.
    pub fn eval_examples(&self) -> usize {
        self.eval_limit
            .unwrap_or_else(|| ((self.minutes * 12.0).round() as usize).clamp(16, 200))
    }
}

/// One stage's record in the state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageState {
    pub done: bool,
    /// Skipped (why), e.g. enough databases already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The training run or eval row it made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// Minutes spent, over every attempt.
    pub minutes: f64,
    /// What the stage measured (EX, sample quality, databases made).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub result: serde_json::Value,
}

/// The recipe's state: which stages finished and what they left.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipeState {
    pub options: Option<RecipeOptions>,
    pub stages: BTreeMap<Stage, StageState>,
    /// The weak model (SFT's early checkpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_checkpoint: Option<String>,
}

/// The state file of workspace `ws`: `<ws>.recipe.json` beside it.
pub fn state_path(ws: &Path) -> PathBuf {
    let mut name = ws.file_name().unwrap_or_default().to_os_string();
    name.push(".recipe.json");
    ws.with_file_name(name)
}

impl RecipeState {
    /// Reads the state file; a missing file is a fresh recipe.
    pub fn load(path: &Path) -> Result<Self> {
        let err = |msg: String| RecipeError::State {
            path: path.to_path_buf(),
            msg,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RecipeState::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Writes the state to a temporary name and renames it over the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |msg: String| RecipeError::State {
            path: path.to_path_buf(),
            msg,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        let mut tmp = path.as_os_str().to_os_string();
        tmp.push(format!(".{}.sense-tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }

    pub fn stage(&self, s: Stage) -> StageState {
        self.stages.get(&s).cloned().unwrap_or_default()
    }

    pub fn stage_mut(&mut self, s: Stage) -> &mut StageState {
        self.stages.entry(s).or_default()
    }

    fn checkpoint_of(&self, s: Stage) -> Option<String> {
        self.stages.get(&s).and_then(|st| st.checkpoint.clone())
    }
}

/// What the front end runs for a stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run `sense <args>`; `deadline_minutes`: stop it (as Ctrl-C would) after that long.
    Run {
        args: Vec<String>,
        deadline_minutes: Option<f64>,
    },
    /// Nothing to run: record the stage as skipped for this reason.
    Skip(String),
}

/// The stages still to do, in order.
pub fn pending(state: &RecipeState) -> Vec<Stage> {
    Stage::ALL
        .into_iter()
        .filter(|s| !state.stage(*s).done)
        .collect()
}

fn s(v: impl ToString) -> String {
    v.to_string()
}

/// The command of `stage`, given what the workspace holds and what earlier stages left.
pub fn step(store: &Store, o: &RecipeOptions, state: &RecipeState, stage: Stage) -> Result<Step> {
    let st = state.stage(stage);
    let minutes = o.minutes_for(stage);
    let need = |what: Stage| {
        state.checkpoint_of(what).ok_or_else(|| RecipeError::Stage {
            stage: stage.name(),
            msg: format!("{} left no checkpoint", what.name()),
        })
    };
    let free = || o.free_decoding.then(|| s("--free-decoding"));
    let eval = |ckpt: String, split: &str| Step::Run {
        args: [
            s("eval"),
            s("--model"),
            ckpt,
            s("--split"),
            s(split),
            s("--limit"),
            s(o.eval_examples()),
            s("--max-new-tokens"),
            s(o.max_new_tokens),
            s("--device"),
            o.device.clone(),
            s("--json"),
        ]
        .into_iter()
        .chain(free())
        .chain(
            (o.candidates > 1)
                .then(|| [s("--candidates"), s(o.candidates)])
                .into_iter()
                .flatten(),
        )
        .collect(),
        deadline_minutes: None,
    };
    Ok(match stage {
        Stage::Databases => {
            let have = store
                .database_splits()?
                .values()
                .filter(|sp| *sp == crate::store::TRAIN)
                .count();
            if have >= o.train_databases {
                return Ok(Step::Skip(format!("{have} train databases already")));
            }
            Step::Run {
                args: vec![
                    s("synth"),
                    s("databases"),
                    s("-n"),
                    s(o.train_databases),
                    s("--seed"),
                    s(o.seed),
                    s("--per-db"),
                    s(o.per_db),
                    s("--json"),
                ],
                deadline_minutes: None,
            }
        }
        // The recipe is the user asking for held-out databases (--allow-dev).
        Stage::HeldoutDatabases => Step::Run {
            args: vec![
                s("synth"),
                s("databases"),
                s("-n"),
                s(o.heldout_databases),
                s("--seed"),
                s(o.seed),
                s("--per-db"),
                s(o.per_db),
                s("--split"),
                s(HELDOUT_SPLIT),
                s("--allow-dev"),
                s("--json"),
            ],
            deadline_minutes: None,
        },
        Stage::Sft => {
            // Ends by its own --max-minutes; the deadline is a backstop.
            let deadline = Some(minutes * 1.5 + 1.0);
            match st.run_id {
                Some(id) => Step::Run {
                    args: vec![s("train"), s("sft"), s("--resume"), s(id), s("--json")],
                    deadline_minutes: deadline,
                },
                None => {
                    let mut args = vec![
                        s("train"),
                        s("sft"),
                        s("--prompt"),
                        s("linked"),
                        s("--tokenizer"),
                        s("bpe"),
                        s("--steps"),
                        s(UNBOUNDED_STEPS),
                        s("--max-minutes"),
                        format!("{minutes:.4}"),
                        s("--early-checkpoint"),
                        format!("{:.4}", minutes * o.weak_at),
                        s("--seed"),
                        s(o.seed),
                        s("--device"),
                        o.device.clone(),
                        s("--json"),
                    ];
                    args.extend(with_defaults(&o.sft_flags, SFT_DEFAULTS));
                    Step::Run {
                        args,
                        deadline_minutes: deadline,
                    }
                }
            }
        }
        Stage::Sample => {
            let weak = state
                .weak_checkpoint
                .clone()
                .ok_or_else(|| RecipeError::Stage {
                    stage: stage.name(),
                    msg: "SFT left no weak checkpoint".into(),
                })?;
            Step::Run {
                args: [
                    s("sample"),
                    s("--model"),
                    weak,
                    s("-k"),
                    s(o.k),
                    s("--temperature"),
                    s(o.temperature),
                    s("--max-tokens"),
                    s(o.max_new_tokens),
                    s("--seed"),
                    s(o.seed),
                    s("--device"),
                    o.device.clone(),
                    s("--json"),
                ]
                .into_iter()
                .chain(free())
                .collect(),
                // Loading the model comes first: a few seconds at least, whatever the budget.
                deadline_minutes: Some(minutes.max(0.25)),
            }
        }
        Stage::Dpo => {
            // Pairs as training will select them (train split only: the dev pairs `init` brings
            // are held out). Accepted ones (Review) when there are any, else the judged pending ones.
            let count = |status: &str| {
                store.count_training_rows(&DataFilter {
                    split: Some("train".into()),
                    pairs: Some(status.into()),
                    ..DataFilter::default()
                })
            };
            let (accepted, pending) = (count("accepted")?, count("pending")?);
            let pairs = if accepted > 0 { "accepted" } else { "pending" };
            if accepted == 0 && pending == 0 {
                return Ok(Step::Skip(
                    "no pairs: every weak sample was correct or none was drawn".into(),
                ));
            }
            let deadline = Some(minutes * 1.5 + 1.0);
            match st.run_id {
                Some(id) => Step::Run {
                    args: vec![s("train"), s("dpo"), s("--resume"), s(id), s("--json")],
                    deadline_minutes: deadline,
                },
                None => Step::Run {
                    args: vec![
                        s("train"),
                        s("dpo"),
                        s("--from"),
                        need(Stage::Sft)?,
                        s("--pairs"),
                        s(pairs),
                        s("--steps"),
                        s(UNBOUNDED_STEPS),
                        s("--max-minutes"),
                        format!("{minutes:.4}"),
                        s("--sft-weight"),
                        s(o.dpo_sft_weight),
                        s("--seed"),
                        s(o.seed),
                        s("--device"),
                        o.device.clone(),
                        s("--json"),
                    ],
                    deadline_minutes: deadline,
                },
            }
        }
        Stage::EvalSftHeldout => eval(need(Stage::Sft)?, HELDOUT_SPLIT),
        Stage::EvalSftDev => eval(need(Stage::Sft)?, "dev"),
        Stage::EvalDpoHeldout | Stage::EvalDpoDev => {
            if let Some(why) = state.stage(Stage::Dpo).skipped {
                return Ok(Step::Skip(format!("no DPO: {why}")));
            }
            let split = if stage == Stage::EvalDpoHeldout {
                HELDOUT_SPLIT
            } else {
                "dev"
            };
            eval(need(Stage::Dpo)?, split)
        }
    })
}

/// The training run a child process started (the newest run row with its pid).
pub fn run_of_pid(store: &Store, pid: u32) -> Result<Option<i64>> {
    Ok(store
        .runs()?
        .into_iter()
        .rev()
        .find(|r| r.pid == Some(i64::from(pid)))
        .map(|r| r.id))
}

/// Whether the last JSON value in `stdout` (a whole pretty-printed object, or the last line
/// that is one) parses; what `--json` commands print.
fn last_json(stdout: &str) -> Option<serde_json::Value> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(stdout.trim()) {
        return Some(v);
    }
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v.is_object())
}

/// Records what a finished child left: whether the stage is done, its run, checkpoint and
/// result. `interrupted`: the user stopped it (then a training run stays resumable).
pub fn finish(
    store: &Store,
    state: &mut RecipeState,
    stage: Stage,
    stdout: &str,
    success: bool,
    interrupted: bool,
) -> Result<()> {
    let fail = |msg: String| RecipeError::Stage {
        stage: stage.name(),
        msg,
    };
    match stage {
        Stage::Sft | Stage::Dpo => {
            let Some(id) = state.stage(stage).run_id else {
                return Err(fail(
                    "the training child started no run (see the recipe log)".into(),
                ));
            };
            let run = store.run(id)?;
            // Steps and tokens per second say what the machine gave: EX follows them.
            let tokens_per_s = store.metric_mean(id, "tokens_per_s")?;
            let st = state.stage_mut(stage);
            st.checkpoint = run.checkpoint.clone();
            match run.status {
                RunStatus::Done => st.done = true,
                RunStatus::Stopped if !interrupted => st.done = true,
                RunStatus::Failed => {
                    return Err(fail(format!("run #{id} failed: {}", run.message)))
                }
                _ => {}
            }
            st.result = serde_json::json!({"run": id, "status": run.status.as_str(),
                "message": run.message, "steps": run.step, "tokens_per_s": tokens_per_s});
            if stage == Stage::Sft && st.done {
                let ck = run.checkpoint.clone().unwrap_or_default();
                // The early checkpoint sits in the run folder, beside step-*.
                let early = Path::new(&ck).parent().map(|p| p.join("early"));
                state.weak_checkpoint = match early.filter(|p| p.join("config.json").is_file()) {
                    Some(p) => Some(p.display().to_string()),
                    // Training ended before the early checkpoint: the final one is the weak model.
                    None => run.checkpoint,
                };
            }
        }
        Stage::Sample => {
            // Stopped at its deadline (or by the user) sampling keeps what finished.
            let v = last_json(stdout).ok_or_else(|| fail("no report on stdout".into()))?;
            let st = state.stage_mut(stage);
            st.result = v;
            st.done = !interrupted || success;
        }
        Stage::Databases | Stage::HeldoutDatabases => {
            if !success {
                return Err(fail(
                    "`sense synth databases` failed (see the recipe log)".into(),
                ));
            }
            let v = last_json(stdout).unwrap_or_default();
            let st = state.stage_mut(stage);
            st.result = serde_json::json!({"created": v["created"], "already_present": v["already_present"],
                "examples": v["examples"]});
            st.done = true;
        }
        _ => {
            if !success {
                return Err(fail(
                    "`sense eval --model` failed (see the recipe log)".into(),
                ));
            }
            let v = last_json(stdout)
                .filter(|v| v.get("summary").is_some())
                .ok_or_else(|| fail("no summary on stdout".into()))?;
            let st = state.stage_mut(stage);
            st.run_id = v["eval_id"].as_i64();
            st.result = serde_json::json!({"ex": v["ex"], "n": v["n"], "correct": v["correct"]});
            st.done = true;
        }
    }
    Ok(())
}

/// The recipe's figures: the JSON object `sense recipe --json` prints.
pub fn report(state: &RecipeState, minutes: f64) -> serde_json::Value {
    let field = |s: Stage, key: &str| state.stage(s).result.get(key).cloned().unwrap_or_default();
    let (ex, n, run) = (|s| field(s, "ex"), |s| field(s, "n"), |s| field(s, "run"));
    let sample = state.stage(Stage::Sample).result;
    let q = sample.get("quality").cloned().unwrap_or_default();
    let stages: Vec<serde_json::Value> = Stage::ALL
        .iter()
        .map(|s| {
            let st = state.stage(*s);
            serde_json::json!({"stage": s, "done": st.done, "skipped": st.skipped,
                "minutes": st.minutes})
        })
        .collect();
    serde_json::json!({
        "minutes": minutes,
        "budget_minutes": state.options.as_ref().map(|o| o.minutes),
        "decoding": state.options.as_ref().map(|o| crate::train::eval::decoding_label(o.candidates, !o.free_decoding)),
        "sft": {"run": run(Stage::Sft), "checkpoint": state.stage(Stage::Sft).checkpoint,
            "steps": field(Stage::Sft, "steps"), "tokens_per_s": field(Stage::Sft, "tokens_per_s"),
            "ex_heldout_templates": ex(Stage::EvalSftHeldout), "ex_dev": ex(Stage::EvalSftDev),
            "n_heldout_templates": n(Stage::EvalSftHeldout), "n_dev": n(Stage::EvalSftDev)},
        "dpo": {"run": run(Stage::Dpo), "checkpoint": state.stage(Stage::Dpo).checkpoint,
            "skipped": state.stage(Stage::Dpo).skipped, "steps": field(Stage::Dpo, "steps"),
            "ex_heldout_templates": ex(Stage::EvalDpoHeldout), "ex_dev": ex(Stage::EvalDpoDev),
            "n_heldout_templates": n(Stage::EvalDpoHeldout), "n_dev": n(Stage::EvalDpoDev)},
        "weak": {"checkpoint": state.weak_checkpoint,
            "samples": q.get("samples").cloned().unwrap_or_default(),
            "executable": q.get("executable").cloned().unwrap_or_default(),
            "correct": q.get("correct").cloned().unwrap_or_default(),
            "distinct_per_question": q.get("distinct_per_question").cloned().unwrap_or_default(),
            "new_pairs": sample.get("new_pairs").cloned().unwrap_or_default()},
        "stages": stages,
    })
}

#[cfg(test)]
mod tests;
