//! A local Hugging Face model folder of the Qwen2 / Llama family (`config.json`,
//! `model.safetensors` or a sharded `model.safetensors.index.json`, `tokenizer.json`) loaded
//! into our decoder by tensor name. Weights of any float dtype become f32. The result is an
//! ordinary [`Loaded`] checkpoint: training from it saves sense checkpoints.
//!
//! Special tokens: begin = `bos_token_id`, or the end token when the config has none (Qwen2
//! trains without a begin token; its `<|endoftext|>` separates documents, so a prompt that
//! starts with it reads as the start of a document); end = `eos_token_id` (the first one when
//! it is a list); padding = `pad_token_id`, or the end token (padding is masked out anyway).
//!
//! An Instruct folder's chat template (`chat_template.jinja`, or `chat_template` in
//! `tokenizer_config.json`) writes its prompts (`chat_template.rs`); a checkpoint trained from it
//! keeps the template.

use super::config::ModelConfig;
use super::error::{bail, Context, Result};
use super::loaded::{CheckpointMeta, Loaded};
use super::model::{param_shapes, Model};
use super::tokenizer::{SpecialIds, Tokenizer};
use candle_core::{Device, Tensor};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// The context a Hugging Face model gets unless asked otherwise: `max_position_embeddings` is
/// often 32k or more, and the rotary tables and the generation KV cache (allocated whole per
/// layer) are sized for the context, so it is capped; [`CONTEXT_ENV`] sets another cap.
pub const DEFAULT_CONTEXT: usize = 2048;

/// The environment variable in which a user asks for another context cap. The front ends read
/// it (`train` reads no environment) and hand the value to [`parse_context`].
pub const CONTEXT_ENV: &str = "SENSE_HF_CONTEXT";

/// The cap a [`CONTEXT_ENV`] value asks for (`None` when unset).
pub fn parse_context(value: Option<&str>) -> Result<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 2 => Ok(Some(n)),
            _ => bail!("{CONTEXT_ENV} must be a number of tokens (at least 2), got '{v}'"),
        },
    }
}

/// The model families this loader reads (`model_type` in `config.json`).
pub const SUPPORTED: [&str; 2] = ["qwen2", "llama"];

/// Whether a parsed `config.json` is a Hugging Face model's (`model_type`, no sense `format`).
pub fn is_hf_config(config: &Value) -> bool {
    config.get("model_type").is_some() && config.get("format").is_none()
}

/// What `config.json` says, in our terms.
#[derive(Debug, Clone, PartialEq)]
pub struct HfConfig {
    pub model_type: String,
    pub model: ModelConfig,
    /// `max_position_embeddings` before the cap.
    pub max_position_embeddings: usize,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub pad: Option<u32>,
}

/// Reads a Hugging Face `config.json` (text) into a model config whose context is
/// `max_position_embeddings` capped at `context` (default [`DEFAULT_CONTEXT`]).
pub fn parse_config(text: &str, context: Option<usize>) -> Result<HfConfig> {
    let v: Value = serde_json::from_str(text).context("config.json is not valid JSON")?;
    let model_type = v
        .get("model_type")
        .and_then(Value::as_str)
        .context("config.json: model_type missing")?
        .to_string();
    if !SUPPORTED.contains(&model_type.as_str()) {
        bail!(
            "config.json: model_type {model_type} is not supported ({})",
            SUPPORTED.join(", ")
        );
    }
    let req = |k: &str| -> Result<usize> {
        match v.get(k) {
            None | Some(Value::Null) => bail!("config.json: {k} missing"),
            Some(x) => x
                .as_u64()
                .map(|n| n as usize)
                .with_context(|| format!("config.json: {k} is not a whole number ({x})")),
        }
    };
    let opt_f64 = |k: &str, default: f64| -> Result<f64> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(default),
            Some(x) => x
                .as_f64()
                .with_context(|| format!("config.json: {k} is not a number ({x})")),
        }
    };
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let token = |k: &str| -> Option<u32> {
        match v.get(k)? {
            Value::Array(a) => a.first()?.as_u64().map(|n| n as u32),
            x => x.as_u64().map(|n| n as u32),
        }
    };
    let d_model = req("hidden_size")?;
    let n_heads = req("num_attention_heads")?;
    let n_kv_heads = match v.get("num_key_value_heads") {
        None | Some(Value::Null) => n_heads,
        Some(_) => req("num_key_value_heads")?,
    };
    if let Some(act) = v.get("hidden_act").and_then(Value::as_str) {
        if act != "silu" {
            bail!("config.json: hidden_act {act} is not supported (silu)");
        }
    }
    if let Some(hd) = v.get("head_dim").and_then(Value::as_u64) {
        if n_heads == 0 || hd as usize * n_heads != d_model {
            bail!("config.json: head_dim {hd} is not hidden_size / num_attention_heads; such models are not supported");
        }
    }
    // Rotary settings: `rope_theta` and `rope_scaling` (transformers 4), or `rope_parameters`
    // (transformers 5); only plain ("default") rotary positions are supported.
    let mut rope_theta = opt_f64("rope_theta", 10_000.0)?;
    for k in ["rope_scaling", "rope_parameters"] {
        let Some(r) = v.get(k).filter(|r| !r.is_null()) else {
            continue;
        };
        let kind = r
            .get("rope_type")
            .or_else(|| r.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        if kind != "default" {
            bail!("config.json: {k} {r} is not supported (plain rotary positions only)");
        }
        if let Some(t) = r.get("rope_theta").and_then(Value::as_f64) {
            rope_theta = t;
        }
    }
    if flag("use_sliding_window") {
        bail!("config.json: use_sliding_window = true is not supported (full attention only)");
    }
    for k in ["attention_bias", "mlp_bias"] {
        if flag(k) {
            bail!("config.json: {k} = true is not supported (Qwen2's q/k/v biases are)");
        }
    }
    let max_position_embeddings = match v.get("max_position_embeddings") {
        None | Some(Value::Null) => DEFAULT_CONTEXT,
        Some(_) => req("max_position_embeddings")?,
    };
    let cap = context.unwrap_or(DEFAULT_CONTEXT);
    let model = ModelConfig {
        vocab_size: req("vocab_size")?,
        d_model,
        n_layers: req("num_hidden_layers")?,
        n_heads,
        d_ff: req("intermediate_size")?,
        max_seq_len: max_position_embeddings.min(cap),
        rope_theta,
        norm_eps: opt_f64("rms_norm_eps", 1e-6)?,
        n_kv_heads: (n_kv_heads != n_heads).then_some(n_kv_heads),
        // Qwen2 always has q/k/v biases; Llama has none (attention_bias is refused above).
        qkv_bias: model_type == "qwen2",
        tie_embeddings: flag("tie_word_embeddings"),
    };
    model.validate().context("config.json")?;
    Ok(HfConfig {
        model_type,
        model,
        max_position_embeddings,
        bos: token("bos_token_id"),
        eos: token("eos_token_id"),
        pad: token("pad_token_id"),
    })
}

/// Loads a Hugging Face model folder; `context` caps the model's context (default
/// [`DEFAULT_CONTEXT`]).
pub fn load_hf(dir: &Path, device: &Device, context: Option<usize>) -> Result<Loaded> {
    let dir = std::path::absolute(dir)?;
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let hf = parse_config(&text, context).with_context(|| format!("in {}", dir.display()))?;
    let cfg = hf.model.clone();

    let tok_path = dir.join("tokenizer.json");
    let tok_text = std::fs::read_to_string(&tok_path)
        .with_context(|| format!("reading {}", tok_path.display()))?;
    let eos = match hf.eos {
        Some(e) => e,
        None => bail!(
            "{}: eos_token_id missing (the end of a completion must be known)",
            config_path.display()
        ),
    };
    let special = SpecialIds {
        bos: hf.bos.unwrap_or(eos),
        eos,
        pad: hf.pad.unwrap_or(eos),
    };
    let tokenizer = Tokenizer::hf_from_json(&tok_text, special).with_context(|| {
        format!(
            "{} with the ids of {}",
            tok_path.display(),
            config_path.display()
        )
    })?;
    // An Instruct model's prompts are written with its chat template.
    let tokenizer = super::conversation::with_folder_template(tokenizer, &dir)?;
    if tokenizer.vocab_size() > cfg.vocab_size {
        bail!(
            "{}: the tokenizer has {} tokens, config.json's vocab_size is only {}",
            dir.display(),
            tokenizer.vocab_size(),
            cfg.vocab_size
        );
    }

    let (mut tensors, source) = load_weights(&dir, device)?;
    for (name, _) in param_shapes(&cfg) {
        if !tensors.contains_key(&name) {
            bail!("{} lacks {name}", dir.join(&source).display());
        }
    }
    if cfg.tie_embeddings {
        // Some tied checkpoints also store the head; ours is the embedding itself.
        tensors.remove("lm_head.weight");
    }
    let model = Model::from_tensors(&cfg, tensors, device)
        .with_context(|| format!("loading {}", dir.join(&source).display()))?;
    let meta = CheckpointMeta::new(&cfg, &tokenizer, 0, None, None);
    Ok(Loaded {
        model,
        tokenizer,
        meta,
        dir,
        warning: None,
    })
}

/// Every tensor of `model.safetensors`, or of the shards a `model.safetensors.index.json`
/// names; with the file name that errors should cite.
fn load_weights(dir: &Path, device: &Device) -> Result<(HashMap<String, Tensor>, String)> {
    let single = dir.join("model.safetensors");
    if single.is_file() {
        let t = candle_core::safetensors::load(&single, device)
            .with_context(|| format!("reading {}", single.display()))?;
        return Ok((t, "model.safetensors".into()));
    }
    let index = dir.join("model.safetensors.index.json");
    if !index.is_file() {
        bail!(
            "{} has neither model.safetensors nor model.safetensors.index.json",
            dir.display()
        );
    }
    let text =
        std::fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", index.display()))?;
    let Some(map) = v.get("weight_map").and_then(Value::as_object) else {
        bail!("{}: weight_map missing", index.display());
    };
    let mut shards: Vec<&str> = map.values().filter_map(Value::as_str).collect();
    shards.sort_unstable();
    shards.dedup();
    let mut out = HashMap::new();
    for shard in shards {
        if shard.contains('/') || shard.contains('\\') || shard.starts_with('.') {
            bail!("{}: shard name {shard} is not a file name", index.display());
        }
        let p = dir.join(shard);
        if !p.is_file() {
            bail!("{} names shard {shard}, which is missing", index.display());
        }
        out.extend(
            candle_core::safetensors::load(&p, device)
                .with_context(|| format!("reading {}", p.display()))?,
        );
    }
    Ok((out, "model.safetensors.index.json".into()))
}

#[cfg(test)]
#[path = "hf_tests.rs"]
mod tests;
