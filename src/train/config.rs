//! Model and training configuration: serialized into the run row and the checkpoint, read from
//! `--config FILE` (TOML or JSON) and overridden by flags.

use super::error::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Sizes of the decoder (Llama-style blocks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelConfig {
    pub vocab_size: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub d_ff: usize,
    pub max_seq_len: usize,
    pub rope_theta: f64,
    pub norm_eps: f64,
    /// Key/value heads (grouped-query attention); `None` = `n_heads` (our own models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_kv_heads: Option<usize>,
    /// Biases on the q, k and v projections (Qwen2).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub qkv_bias: bool,
    /// The output head is the embedding matrix (no `lm_head.weight`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tie_embeddings: bool,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            vocab_size: super::tokenizer::BYTE_VOCAB,
            d_model: 256,
            n_layers: 4,
            n_heads: 4,
            d_ff: 768,
            max_seq_len: 1024,
            rope_theta: 10_000.0,
            norm_eps: 1e-5,
            n_kv_heads: None,
            qkv_bias: false,
            tie_embeddings: false,
        }
    }
}

impl ModelConfig {
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }

    /// Key/value heads: `n_kv_heads`, or `n_heads` when unset.
    pub fn kv_heads(&self) -> usize {
        self.n_kv_heads.unwrap_or(self.n_heads)
    }

    pub fn validate(&self) -> Result<()> {
        if self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            bail!(
                "d_model {} must be a multiple of n_heads {}",
                self.d_model,
                self.n_heads
            );
        }
        let kv = self.kv_heads();
        if kv == 0 || !self.n_heads.is_multiple_of(kv) {
            bail!(
                "n_heads {} must be a multiple of n_kv_heads {kv}",
                self.n_heads
            );
        }
        if !self.head_dim().is_multiple_of(2) {
            bail!(
                "head dimension {} must be even (rotary positions)",
                self.head_dim()
            );
        }
        if self.n_layers == 0 || self.vocab_size == 0 || self.max_seq_len < 2 || self.d_ff == 0 {
            bail!("model sizes must be positive (layers, vocab, d_ff) and context at least 2");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainKind {
    Sft,
    Dpo,
}

impl TrainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainKind::Sft => "sft",
            TrainKind::Dpo => "dpo",
        }
    }
}

/// The largest context `auto_context` picks by default, in tokens.
pub const AUTO_CONTEXT_CAP: usize = 2048;

/// The context that fits sequences of `longest` tokens: rounded up to a multiple of 64, at
/// least 64, at most `cap`.
pub fn context_for(longest: usize, cap: usize) -> usize {
    longest
        .div_ceil(64)
        .max(1)
        .saturating_mul(64)
        .min(cap.max(8))
}

/// The tokenizer of a run from scratch (a run from a checkpoint keeps the checkpoint's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// Every UTF-8 byte is a token (259 tokens with begin, end and padding).
    #[default]
    Byte,
    /// Byte-level BPE trained on the run's prompts and gold SQL (at most --bpe-vocab tokens).
    Bpe,
}

impl TokenizerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenizerKind::Byte => "byte",
            TokenizerKind::Bpe => "bpe",
        }
    }
}

/// Which workspace rows a run trains on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataConfig {
    /// Examples' split (SFT); `None` = all.
    pub split: Option<String>,
    /// Examples' source (sample, template, strong, imported); `None` = all.
    pub source: Option<String>,
    pub db: Option<String>,
    /// DPO pairs: "accepted" (default), "pending", or "all" (accepted + pending).
    pub pairs: String,
    /// The prompt layout trained on (recorded in checkpoints as their prompt version); a run
    /// from a checkpoint takes the checkpoint's.
    pub prompt: crate::schema::PromptFormat,
    /// SFT: examples of these sources appear this many times an epoch (a data mixture weight:
    /// a few hundred hand-written questions among thousands of template ones).
    pub repeat_source: std::collections::BTreeMap<String, usize>,
    /// SFT: most examples per sequence, packed by shared schema prefix (`packing.rs`); 1 = one
    /// example per sequence.
    pub pack: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            split: Some("train".into()),
            source: None,
            db: None,
            pairs: "accepted".into(),
            prompt: crate::schema::PromptFormat::default(),
            repeat_source: Default::default(),
            pack: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DpoConfig {
    pub beta: f64,
    pub label_smoothing: f64,
    /// Weight of an SFT (negative log-likelihood per token) term on the chosen completions.
    pub sft_weight: f64,
}

impl Default for DpoConfig {
    fn default() -> Self {
        DpoConfig {
            beta: 0.1,
            label_smoothing: 0.0,
            sft_weight: 0.0,
        }
    }
}

/// Everything a run needs; stored whole in the run row so `--resume` can rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    pub kind: TrainKind,
    /// Starting checkpoint (required for DPO: it is also the frozen reference).
    pub from: Option<PathBuf>,
    /// Model sizes when training from scratch (ignored with `from`). `vocab_size` follows the
    /// tokenizer.
    pub model: ModelConfig,
    /// Tokenizer when training from scratch; with `from` the run records the checkpoint's.
    pub tokenizer: TokenizerKind,
    /// Largest BPE vocabulary (special tokens included) for `tokenizer = "bpe"`.
    pub bpe_vocab: usize,
    /// Checkpoint folder (default: `<workspace folder>/checkpoints/run-<id>`).
    pub out: Option<PathBuf>,
    pub steps: usize,
    /// Sequences per micro-batch (DPO: pairs per micro-batch).
    pub batch_size: usize,
    pub grad_accum: usize,
    pub lr: f64,
    /// Final learning rate as a fraction of `lr` (cosine decay floor).
    pub min_lr_ratio: f64,
    pub warmup_steps: usize,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub adam_eps: f64,
    /// Clip gradients to this global norm (0 = off).
    pub clip_norm: f64,
    /// Longest training sequence in tokens; longer prompts lose their beginning.
    pub max_len: usize,
    pub seed: u64,
    pub save_every: usize,
    /// Stop (and save) after this many minutes of training.
    pub max_minutes: Option<f64>,
    pub device: String,
    pub data: DataConfig,
    pub dpo: DpoConfig,
    /// SFT: held-out loss every this many steps and at the last step (0 = off).
    pub eval_every: usize,
    /// SFT: most held-out sequences, picked evenly across the eval split (same `db` filter as
    /// the training data; not the `source` one).
    pub eval_examples: usize,
    /// SFT: examples' split of the held-out set; `None` = no held-out set.
    pub eval_split: Option<String>,
    /// From scratch (SFT): choose the context from the data, the longest prompt + completion in
    /// tokens rounded up to a multiple of 64, at most this many tokens; `max_len` and
    /// `model.max_seq_len` are then replaced. `None`: use them as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_context: Option<usize>,
    /// Also save a checkpoint to `<out>/early` once this many minutes of training have passed;
    /// step rotation never removes it (`sense recipe` samples its weak model from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_checkpoint_minutes: Option<f64>,
    /// SFT: batches of sequences of similar length, drawn a few steps' worth at a time (see
    /// `data::grouped_indices_for_step`): less padding. Off for runs stored before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_by_length: bool,
    /// Test hook: pretend the loss is NaN at this step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_nan_at: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            kind: TrainKind::Sft,
            from: None,
            model: ModelConfig::default(),
            tokenizer: TokenizerKind::Byte,
            bpe_vocab: 2048,
            out: None,
            steps: 200,
            batch_size: 8,
            grad_accum: 1,
            lr: 1e-3,
            min_lr_ratio: 0.1,
            warmup_steps: 20,
            weight_decay: 0.01,
            beta1: 0.9,
            beta2: 0.95,
            adam_eps: 1e-8,
            clip_norm: 1.0,
            max_len: 1024,
            seed: 42,
            save_every: 100,
            max_minutes: None,
            device: "cpu".into(),
            data: DataConfig::default(),
            dpo: DpoConfig::default(),
            eval_every: 50,
            eval_examples: 64,
            eval_split: Some("dev".into()),
            auto_context: None,
            early_checkpoint_minutes: None,
            group_by_length: false,
            fault_nan_at: None,
        }
    }
}

impl TrainConfig {
    /// Defaults that suit each kind (DPO: small learning rate, no warm-up-heavy schedule).
    /// From scratch: a BPE tokenizer and a context chosen from the data. (`Default` keeps the
    /// byte tokenizer and a fixed context: it is what stored configs without these fields ran.)
    pub fn for_kind(kind: TrainKind) -> Self {
        let mut c = TrainConfig {
            kind,
            tokenizer: TokenizerKind::Bpe,
            auto_context: Some(AUTO_CONTEXT_CAP),
            group_by_length: kind == TrainKind::Sft,
            ..TrainConfig::default()
        };
        if kind == TrainKind::Dpo {
            c.lr = 5e-5;
            c.warmup_steps = 5;
            c.steps = 100;
            c.batch_size = 4;
            c.save_every = 50;
            // Held-out loss is an SFT feature.
            c.eval_every = 0;
        }
        c
    }

    /// Reads a TOML (`.toml`) or JSON file; fields left out keep their defaults for `kind`.
    pub fn from_file(path: &Path, kind: TrainKind) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut value: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        } else {
            let t: toml::Value =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            serde_json::to_value(t)?
        };
        let mut base = serde_json::to_value(TrainConfig::for_kind(kind))?;
        // A file that sets the context or max_len means it; the data does not choose.
        let names_context = value.get("max_len").is_some()
            || value
                .get("model")
                .is_some_and(|m| m.get("max_seq_len").is_some());
        if names_context && value.get("auto_context").is_none() {
            if let Some(o) = base.as_object_mut() {
                o.remove("auto_context");
            }
        }
        merge(&mut base, value.take());
        let mut cfg: TrainConfig = serde_json::from_value(base)
            .with_context(|| format!("invalid config in {}", path.display()))?;
        cfg.kind = kind;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        if self.steps == 0 || self.batch_size == 0 || self.grad_accum == 0 {
            bail!("steps, batch_size and grad_accum must be at least 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            bail!("learning rate must be positive");
        }
        if self.tokenizer == TokenizerKind::Bpe
            && self.from.is_none()
            && self.bpe_vocab < super::tokenizer::MIN_BPE_VOCAB
        {
            bail!(
                "the BPE vocabulary must be at least {} tokens (got {})",
                super::tokenizer::MIN_BPE_VOCAB,
                self.bpe_vocab
            );
        }
        if self
            .early_checkpoint_minutes
            .is_some_and(|m| !(m.is_finite() && m >= 0.0))
        {
            bail!("the early checkpoint time must be a number of minutes, 0 or more");
        }
        if self.max_len < 8 {
            bail!("max_len must be at least 8 tokens");
        }
        if self.eval_every > 0 && self.eval_examples == 0 {
            bail!("eval_examples must be at least 1 (use --eval-every 0 to turn evaluation off)");
        }
        if self
            .eval_split
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            bail!("eval split must not be empty");
        }
        if self.kind == TrainKind::Dpo && self.from.is_none() {
            bail!("DPO needs --from CKPT: the starting model is also the frozen reference");
        }
        if !["accepted", "pending", "all"].contains(&self.data.pairs.as_str()) {
            bail!(
                "pairs must be accepted, pending or all (got '{}')",
                self.data.pairs
            );
        }
        Ok(())
    }
}

/// Overlays `over` onto `base`, object by object.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// The compute device by name; `cuda` needs the `cuda` cargo feature.
pub fn device(name: &str) -> Result<candle_core::Device> {
    match name {
        "cpu" => Ok(candle_core::Device::Cpu),
        "cuda" | "gpu" => {
            if cfg!(feature = "cuda") {
                candle_core::Device::new_cuda(0).context("opening CUDA device 0")
            } else {
                bail!("--device cuda: this sense binary was built without CUDA; rebuild with `cargo build --release --features cuda`")
            }
        }
        other => bail!("unknown device '{other}' (cpu or cuda)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_only_what_it_names() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("run.toml");
        std::fs::write(
            &p,
            "steps = 7\nlr = 0.002\n[model]\nn_layers = 2\n[dpo]\nbeta = 0.2\n",
        )
        .expect("write");
        let c = TrainConfig::from_file(&p, TrainKind::Dpo).expect("parse");
        assert_eq!(
            (c.steps, c.lr, c.model.n_layers, c.dpo.beta),
            (7, 0.002, 2, 0.2)
        );
        assert_eq!(c.kind, TrainKind::Dpo);
        assert_eq!(c.model.d_model, 256, "unnamed fields keep their defaults");
        assert_eq!(
            c.batch_size,
            TrainConfig::for_kind(TrainKind::Dpo).batch_size
        );
        // Issue 15: from scratch, BPE by default (was byte); the data chooses the context.
        assert_eq!(c.tokenizer, TokenizerKind::Bpe, "BPE by default");
        assert_eq!(c.auto_context, Some(AUTO_CONTEXT_CAP));
        let bpe = d.path().join("bpe.toml");
        std::fs::write(&bpe, "tokenizer = \"bpe\"\nbpe_vocab = 4096\n").expect("write");
        let c = TrainConfig::from_file(&bpe, TrainKind::Sft).expect("parse");
        assert_eq!((c.tokenizer, c.bpe_vocab), (TokenizerKind::Bpe, 4096));
        assert!(c.validate().is_ok());
        let small = TrainConfig {
            bpe_vocab: 100,
            ..c
        };
        assert!(small.validate().is_err());
        let bad = d.path().join("bad.json");
        std::fs::write(&bad, r#"{"steps": "many"}"#).expect("write");
        assert!(TrainConfig::from_file(&bad, TrainKind::Sft).is_err());
    }

    #[test]
    fn a_file_naming_the_context_turns_the_data_choice_off() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("ctx.toml");
        std::fs::write(&p, "[model]\nmax_seq_len = 256\n").expect("write");
        let c = TrainConfig::from_file(&p, TrainKind::Sft).expect("parse");
        assert_eq!((c.auto_context, c.model.max_seq_len), (None, 256));
        let old: TrainConfig = serde_json::from_str(r#"{"kind":"sft"}"#).expect("old config");
        assert_eq!(
            old.tokenizer,
            TokenizerKind::Byte,
            "stored configs ran byte"
        );
        assert_eq!(old.auto_context, None);
    }

    #[test]
    fn context_rounds_up_within_the_cap() {
        assert_eq!(context_for(0, 2048), 64);
        assert_eq!(context_for(64, 2048), 64);
        assert_eq!(context_for(65, 2048), 128);
        assert_eq!(context_for(300, 2048), 320);
        assert_eq!(context_for(5000, 2048), 2048);
    }

    #[test]
    fn cuda_is_refused_clearly_without_the_feature() {
        if !cfg!(feature = "cuda") {
            let e = device("cuda").expect_err("no cuda in this build");
            assert!(e.to_string().contains("--features cuda"));
        }
        assert!(device("tpu").is_err());
    }
}
