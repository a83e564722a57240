//! Checkpoints: a folder holding `model.safetensors`, `config.json` (model sizes, tokenizer,
//! prompt version, step), `tokenizer.json`, and for resuming `optimizer.safetensors`.
//! A folder is written under a temporary name and renamed into place, so a crash never leaves
//! a half-written checkpoint; a run's folder holds `step-NNNNNN/` checkpoints and `latest`.

use super::config::ModelConfig;
use super::model::Model;
use super::tokenizer::Tokenizer;
use crate::dataset::atomic::{temp_path, write_atomic};
use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "sense-checkpoint";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format: String,
    pub version: u32,
    pub model: ModelConfig,
    pub tokenizer: Tokenizer,
    pub prompt_version: u32,
    /// Optimizer steps done when saved.
    pub step: usize,
    pub run_id: Option<i64>,
    pub kind: Option<String>,
}

impl CheckpointMeta {
    pub fn new(
        model: &ModelConfig,
        tokenizer: &Tokenizer,
        step: usize,
        run_id: Option<i64>,
        kind: Option<&str>,
    ) -> Self {
        CheckpointMeta {
            format: FORMAT.into(),
            version: 1,
            model: model.clone(),
            tokenizer: tokenizer.clone(),
            prompt_version: crate::schema::PROMPT_VERSION,
            step,
            run_id,
            kind: kind.map(str::to_string),
        }
    }
}

/// A loaded checkpoint.
pub struct Loaded {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub meta: CheckpointMeta,
    pub dir: PathBuf,
}

/// Writes a checkpoint folder atomically (replacing an older one of the same name).
pub fn save(
    dir: &Path,
    model: &Model,
    meta: &CheckpointMeta,
    optimizer: Option<&HashMap<String, Tensor>>,
) -> Result<()> {
    let tmp = temp_path(dir);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let res = (|| -> Result<()> {
        candle_core::safetensors::save(&model.tensors(), tmp.join("model.safetensors"))?;
        if let Some(state) = optimizer {
            candle_core::safetensors::save(state, tmp.join("optimizer.safetensors"))?;
        }
        write_atomic(
            &tmp.join("config.json"),
            serde_json::to_string_pretty(meta)?.as_bytes(),
        )?;
        write_atomic(
            &tmp.join("tokenizer.json"),
            serde_json::to_string(&meta.tokenizer)?.as_bytes(),
        )?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::rename(&tmp, dir)?;
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    res.with_context(|| format!("saving checkpoint {}", dir.display()))
}

/// Saves `step-NNNNNN` under a run folder, points `latest` at it and keeps the newest `keep`.
pub fn save_step(
    run_dir: &Path,
    model: &Model,
    meta: &CheckpointMeta,
    optimizer: Option<&HashMap<String, Tensor>>,
    keep: usize,
) -> Result<PathBuf> {
    let name = format!("step-{:06}", meta.step);
    let dir = run_dir.join(&name);
    save(&dir, model, meta, optimizer)?;
    write_atomic(&run_dir.join("latest"), name.as_bytes())?;
    let mut steps: Vec<PathBuf> = std::fs::read_dir(run_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("step-") && !n.contains(".sense-tmp"))
        })
        .collect();
    steps.sort();
    while steps.len() > keep.max(1) {
        let old = steps.remove(0);
        if old != dir {
            let _ = std::fs::remove_dir_all(&old);
        }
    }
    Ok(dir)
}

/// A checkpoint folder, or a run folder (its `latest` checkpoint).
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let path = &std::path::absolute(path)?;
    if path.join("config.json").is_file() {
        return Ok(path.to_path_buf());
    }
    let latest = path.join("latest");
    if latest.is_file() {
        let name = std::fs::read_to_string(&latest)?;
        let dir = path.join(name.trim());
        if dir.join("config.json").is_file() {
            return Ok(dir);
        }
    }
    bail!(
        "{} is not a checkpoint (no config.json, and no run folder with `latest`)",
        path.display()
    )
}

pub fn load(path: &Path, device: &Device) -> Result<Loaded> {
    let dir = resolve(path)?;
    let text = std::fs::read_to_string(dir.join("config.json"))?;
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .with_context(|| format!("reading {}", dir.join("config.json").display()))?;
    if meta.format != FORMAT {
        bail!(
            "{} is not a sense checkpoint (format '{}')",
            dir.display(),
            meta.format
        );
    }
    if meta.prompt_version != crate::schema::PROMPT_VERSION {
        eprintln!(
            "warning: {} was trained on prompt version {}, this sense writes version {}",
            dir.display(),
            meta.prompt_version,
            crate::schema::PROMPT_VERSION
        );
    }
    let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), device)
        .with_context(|| format!("reading {}", dir.join("model.safetensors").display()))?;
    let model = Model::from_tensors(&meta.model, tensors, device)?;
    Ok(Loaded {
        model,
        tokenizer: meta.tokenizer.clone(),
        meta,
        dir,
    })
}

/// Optimizer moments saved with a checkpoint, if any.
pub fn load_optimizer(dir: &Path, device: &Device) -> Result<Option<HashMap<String, Tensor>>> {
    let p = dir.join("optimizer.safetensors");
    if !p.is_file() {
        return Ok(None);
    }
    Ok(Some(candle_core::safetensors::load(p, device)?))
}
