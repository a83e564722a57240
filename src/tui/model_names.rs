//! One name for a model wherever the workbench shows one: a checkpoint of a run in the store
//! reads "run #2 sft · step 13" (absolute checkpoint paths are long and alike); anything else
//! (an endpoint model, a folder no run wrote) is shown as given.

use crate::store::Run;
use crate::tui::msg::playground::ModelSource;
use std::path::Path;

/// The step a checkpoint folder holds, from its name (`step-000013`).
pub fn checkpoint_step(path: &str) -> Option<i64> {
    let name = Path::new(path.trim_end_matches('/'))
        .file_name()?
        .to_str()?;
    name.strip_prefix("step-")?.parse().ok()
}

/// "run #2 sft · step 13" for a checkpoint `path` of `run` (the run's step when the folder
/// does not say).
pub fn run_checkpoint_name(run: &Run, path: &str) -> String {
    let step = checkpoint_step(path).unwrap_or(run.step);
    format!("run #{} {} · step {step}", run.id, run.kind)
}

/// The run that wrote `model`: its latest checkpoint, an earlier step of it (same run folder),
/// or the run folder itself.
pub fn run_of<'a>(runs: impl IntoIterator<Item = &'a Run>, model: &str) -> Option<&'a Run> {
    let m = Path::new(model.trim_end_matches('/'));
    runs.into_iter().find(|r| {
        r.checkpoint.as_deref().is_some_and(|c| {
            let c = Path::new(c.trim_end_matches('/'));
            c == m
                || c.parent() == Some(m)
                || (checkpoint_step(model).is_some() && c.parent() == m.parent())
        })
    })
}

/// The name of `model` (a checkpoint path, or an endpoint model's name) among `runs`.
pub fn model_name<'a>(runs: impl IntoIterator<Item = &'a Run>, model: &str) -> String {
    // A local generator's name is `local:PATH`; one no run wrote is shown as given.
    let given = model;
    let model = model.strip_prefix("local:").unwrap_or(model);
    match run_of(runs, model) {
        Some(r) if checkpoint_step(model).is_some() => run_checkpoint_name(r, model),
        Some(r) => format!("run #{} {}", r.id, r.kind),
        None => given.to_string(),
    }
}

/// How a model source is shown: a run's checkpoint by its run ("run #2 sft · step 13"),
/// anything else by its label.
pub fn source_name(runs: &[Run], m: &ModelSource) -> String {
    match m {
        ModelSource::Checkpoint(p) => {
            let path = p.display().to_string();
            match run_of(runs, &path) {
                Some(_) => model_name(runs, &path),
                None => m.label(),
            }
        }
        _ => m.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunStatus;

    fn run(id: i64, kind: &str, checkpoint: Option<&str>, step: i64) -> Run {
        Run {
            id,
            kind: kind.into(),
            parent: None,
            config: "{}".into(),
            status: RunStatus::Done,
            pid: None,
            step,
            total_steps: step,
            checkpoint: checkpoint.map(str::to_string),
            message: String::new(),
            started_at: String::new(),
            ended_at: None,
        }
    }

    #[test]
    fn checkpoints_are_named_by_run_and_step() {
        let runs = vec![
            run(1, "sft", Some("/ws/checkpoints/sft-1/step-000200"), 200),
            run(2, "dpo", Some("/ws/checkpoints/dpo-2/step-000013"), 13),
            run(3, "sft", None, 0),
        ];
        assert_eq!(
            model_name(&runs, "/ws/checkpoints/dpo-2/step-000013"),
            "run #2 dpo · step 13"
        );
        // An earlier step of the same run is named by its own step.
        assert_eq!(
            model_name(&runs, "/ws/checkpoints/sft-1/step-000100/"),
            "run #1 sft · step 100"
        );
        assert_eq!(model_name(&runs, "/ws/checkpoints/sft-1"), "run #1 sft");
        // Not a run's: shown as given.
        assert_eq!(
            model_name(&runs, "/elsewhere/step-000005"),
            "/elsewhere/step-000005"
        );
        assert_eq!(model_name(&runs, "gpt-4o-mini"), "gpt-4o-mini");
        // A local generator's name (`local:PATH`) too.
        assert_eq!(
            model_name(&runs, "local:/ws/checkpoints/dpo-2/step-000013"),
            "run #2 dpo · step 13"
        );
        assert_eq!(checkpoint_step("/a/step-x"), None);
    }
}
