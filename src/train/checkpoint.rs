//! Checkpoints: a folder holding `model.safetensors`, `config.json` (model sizes, tokenizer
//! kind, prompt version, step), `tokenizer.json` (the BPE in Hugging Face format; for the byte
//! tokenizer just its kind), and for resuming `optimizer.safetensors`.
//! A folder is written under a temporary name and renamed into place, so a crash never leaves
//! a half-written checkpoint; a run's folder holds `step-NNNNNN/` checkpoints and `latest`.

use super::error::{bail, Context, Result};
use super::model::Model;
use super::tokenizer::{Tokenizer, TokenizerSpec};
use crate::atomic::{temp_path, write_atomic};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// These moved to `loaded` (shared with `hf`); their old paths stay.
pub use super::loaded::{CheckpointMeta, Loaded, FORMAT};

/// How to load a folder. The front ends fill it from their settings (`train` reads no
/// environment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The context cap of a Hugging Face model, as the user wrote it (the value of
    /// [`super::hf::CONTEXT_ENV`]; `None`: [`super::hf::DEFAULT_CONTEXT`]). It is checked only
    /// when a Hugging Face folder is loaded, so a bad value fails only where it is used; a
    /// sense checkpoint keeps the context it was trained with.
    pub hf_context: Option<String>,
}

/// Writes a checkpoint folder atomically (replacing an older one of the same name);
/// `tokenizer` must be the one `meta` describes.
pub fn save(
    dir: &Path,
    model: &Model,
    tokenizer: &Tokenizer,
    meta: &CheckpointMeta,
    optimizer: Option<&HashMap<String, Tensor>>,
) -> Result<()> {
    if meta.tokenizer != tokenizer.spec() {
        bail!(
            "checkpoint metadata names tokenizer {:?}, the model's is {:?}",
            meta.tokenizer,
            tokenizer.spec()
        );
    }
    if tokenizer.vocab_size() > model.cfg.vocab_size {
        bail!(
            "the tokenizer has {} tokens, the model's vocabulary only {}",
            tokenizer.vocab_size(),
            model.cfg.vocab_size
        );
    }
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
        write_atomic(&tmp.join("tokenizer.json"), tokenizer.to_json()?.as_bytes())?;
        // A run from an Instruct model keeps its chat template, so it is prompted as trained.
        if let Some(config) = super::conversation::config_json(tokenizer) {
            write_atomic(
                &tmp.join(super::chat_template::CONFIG_FILE),
                config.as_bytes(),
            )?;
        }
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
    tokenizer: &Tokenizer,
    meta: &CheckpointMeta,
    optimizer: Option<&HashMap<String, Tensor>>,
    keep: usize,
) -> Result<PathBuf> {
    let name = format!("step-{:06}", meta.step);
    let dir = run_dir.join(&name);
    // Saves killed midway (by this run earlier, or a crashed one) leave 20-40 MB temp folders.
    crate::proc::remove_stale_temps(run_dir)
        .with_context(|| format!("removing stale checkpoint temps in {}", run_dir.display()))?;
    save(&dir, model, tokenizer, meta, optimizer)?;
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

/// The prompt layout a checkpoint (or a run folder's latest) was trained on, read from its
/// `config.json` without loading weights; the CREATE TABLE layout for a Hugging Face folder or
/// a version this sense does not know, as loading it would.
pub fn prompt_format_of(path: &Path) -> crate::schema::PromptFormat {
    let version = resolve(path)
        .ok()
        .and_then(|dir| std::fs::read_to_string(dir.join("config.json")).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v.get("prompt_version")?.as_u64());
    version
        .and_then(|v| crate::schema::PromptFormat::from_version(v as u32))
        .unwrap_or_default()
}

/// Loads a sense checkpoint, a run folder's latest one, or a Hugging Face model folder of the
/// Qwen2 / Llama family (its `config.json` has `model_type` and no `format`; see `hf.rs`),
/// with the default options.
pub fn load(path: &Path, device: &Device) -> Result<Loaded> {
    load_with(path, device, &LoadOptions::default())
}

/// [`load`] with `options`.
pub fn load_with(path: &Path, device: &Device, options: &LoadOptions) -> Result<Loaded> {
    let dir = resolve(path)?;
    let text = std::fs::read_to_string(dir.join("config.json"))
        .with_context(|| format!("reading {}", dir.join("config.json").display()))?;
    if serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| super::hf::is_hf_config(&v)) {
        let context = super::hf::parse_context(options.hf_context.as_deref())?;
        return super::hf::load_hf(&dir, device, context);
    }
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .with_context(|| format!("reading {}", dir.join("config.json").display()))?;
    if meta.format != FORMAT {
        bail!(
            "{} is not a sense checkpoint (format '{}')",
            dir.display(),
            meta.format
        );
    }
    // Loading still works (prompts fall back to the default layout); the caller shows this.
    let warning = crate::schema::PromptFormat::from_version(meta.prompt_version)
        .is_none()
        .then(|| {
            format!(
                "{} was trained on prompt version {}, which this sense does not know; prompts use version {}",
                dir.display(),
                meta.prompt_version,
                crate::schema::PROMPT_VERSION
            )
        });
    let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), device)
        .with_context(|| format!("reading {}", dir.join("model.safetensors").display()))?;
    let model = Model::from_tensors(&meta.model, tensors, device)?;
    let tokenizer =
        super::conversation::with_folder_template(load_tokenizer(&dir, &meta.tokenizer)?, &dir)?;
    if tokenizer.vocab_size() > model.cfg.vocab_size {
        bail!(
            "{}: the tokenizer has {} tokens, the model's vocabulary only {}",
            dir.display(),
            tokenizer.vocab_size(),
            model.cfg.vocab_size
        );
    }
    Ok(Loaded {
        model,
        tokenizer,
        meta,
        dir,
        warning,
    })
}

/// The tokenizer `spec` names: a BPE reads the folder's `tokenizer.json`.
pub fn load_tokenizer(dir: &Path, spec: &TokenizerSpec) -> Result<Tokenizer> {
    let text = match spec {
        TokenizerSpec::Byte => None,
        TokenizerSpec::Bpe { .. } => {
            let p = dir.join("tokenizer.json");
            Some(std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?)
        }
    };
    Tokenizer::from_spec(spec, text.as_deref())
        .with_context(|| format!("the tokenizer of {}", dir.display()))
}

/// Optimizer moments saved with a checkpoint, if any.
pub fn load_optimizer(dir: &Path, device: &Device) -> Result<Option<HashMap<String, Tensor>>> {
    let p = dir.join("optimizer.safetensors");
    if !p.is_file() {
        return Ok(None);
    }
    Ok(Some(candle_core::safetensors::load(p, device)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::config::ModelConfig;
    use crate::train::tokenizer::train_bpe;

    fn tiny(vocab_size: usize) -> ModelConfig {
        ModelConfig {
            vocab_size,
            d_model: 16,
            n_layers: 1,
            n_heads: 2,
            d_ff: 16,
            max_seq_len: 32,
            ..ModelConfig::default()
        }
    }

    #[test]
    fn bpe_checkpoint_round_trip_keeps_the_tokenizer() {
        let d = tempfile::tempdir().expect("tempdir");
        let texts = (0..40).map(|i| {
            format!("CREATE TABLE singer (singer_id INTEGER, name TEXT);\nSELECT name FROM singer WHERE singer_id = {i};\n")
        });
        let tok = train_bpe(texts, 300).expect("train");
        let model = Model::new(&tiny(tok.vocab_size()), 1, &Device::Cpu).expect("model");
        let meta = CheckpointMeta::new(&model.cfg, &tok, 3, Some(9), Some("sft"));
        assert!(
            save(&d.path().join("x"), &model, &Tokenizer::Byte, &meta, None).is_err(),
            "meta and tokenizer must agree"
        );
        let dir = save_step(d.path(), &model, &tok, &meta, None, 2).expect("save");
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(
            config["tokenizer"],
            serde_json::json!({"kind": "bpe", "vocab_size": tok.vocab_size()})
        );
        let l = load(d.path(), &Device::Cpu).expect("load");
        assert_eq!(l.meta, meta);
        let s = "SELECT name FROM singer WHERE country = 'café' -- 🦀\n";
        assert_eq!(l.tokenizer.encode(s), tok.encode(s));
        assert_eq!(
            (l.tokenizer.bos(), l.tokenizer.eos(), l.tokenizer.pad()),
            (tok.bos(), tok.eos(), tok.pad())
        );
        assert_eq!(l.tokenizer.decode(&l.tokenizer.encode(s)), s);

        // A BPE checkpoint without its tokenizer.json is refused with the file named.
        std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
        let e = load(&dir, &Device::Cpu).err().expect("no tokenizer.json");
        assert!(format!("{e:#}").contains("tokenizer.json"), "{e:#}");
    }

    #[test]
    fn byte_checkpoints_written_before_bpe_still_load() {
        let d = tempfile::tempdir().expect("tempdir");
        let model = Model::new(&tiny(259), 1, &Device::Cpu).expect("model");
        let meta = CheckpointMeta::new(&model.cfg, &Tokenizer::Byte, 5, None, Some("sft"));
        let dir = d.path().join("ck");
        save(&dir, &model, &Tokenizer::Byte, &meta, None).expect("save");
        // config.json and tokenizer.json exactly as the byte-only version wrote them.
        std::fs::write(
            dir.join("config.json"),
            r#"{
  "format": "sense-checkpoint",
  "version": 1,
  "model": {"vocab_size": 259, "d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 16,
            "max_seq_len": 32, "rope_theta": 10000.0, "norm_eps": 1e-5},
  "tokenizer": {"kind": "byte"},
  "prompt_version": 1,
  "step": 5,
  "run_id": null,
  "kind": "sft"
}"#,
        )
        .unwrap();
        std::fs::write(dir.join("tokenizer.json"), r#"{"kind":"byte"}"#).unwrap();
        let l = load(&dir, &Device::Cpu).expect("old checkpoint");
        assert!(matches!(l.tokenizer, Tokenizer::Byte));
        assert_eq!(l.meta.tokenizer, TokenizerSpec::Byte);
        assert_eq!(l.meta.step, 5);
        assert_eq!(l.tokenizer.encode("é"), vec![0xC3, 0xA9]);
    }

    #[test]
    fn an_unknown_prompt_version_loads_with_a_warning_for_the_caller() {
        use crate::llm::generator::SqlGenerator;
        let d = tempfile::tempdir().expect("tempdir");
        let model = Model::new(&tiny(259), 1, &Device::Cpu).expect("model");
        let meta = CheckpointMeta::new(&model.cfg, &Tokenizer::Byte, 5, None, Some("sft"));
        let dir = d.path().join("ck");
        save(&dir, &model, &Tokenizer::Byte, &meta, None).expect("save");
        assert_eq!(load(&dir, &Device::Cpu).expect("load").warning, None);

        let mut newer = meta.clone();
        newer.prompt_version = 99;
        std::fs::write(
            dir.join("config.json"),
            serde_json::to_string_pretty(&newer).unwrap(),
        )
        .unwrap();
        let l = load(&dir, &Device::Cpu).expect("a newer checkpoint still loads");
        let w = l.warning.expect("a warning");
        assert!(w.contains("prompt version 99"), "{w}");
        assert!(w.contains(&dir.display().to_string()), "{w}");
        assert!(w.contains(&format!("use version {}", crate::schema::PROMPT_VERSION)));
        // A generator built on it hands the warning on instead of printing it.
        let g = crate::train::local::LocalGenerator::load(&dir, "cpu", 0).expect("generator");
        assert_eq!(g.warning(), Some(w.as_str()));
        assert_eq!(SqlGenerator::warning(&g), Some(w));
    }
}
