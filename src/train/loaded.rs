//! What a loaded model is, whichever folder it came from: weights, tokenizer and the metadata
//! a sense checkpoint records (`checkpoint` reads and writes sense folders, `hf` reads Hugging
//! Face ones; both build these).

use super::config::ModelConfig;
use super::model::Model;
use super::tokenizer::{Tokenizer, TokenizerSpec};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub const FORMAT: &str = "sense-checkpoint";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format: String,
    pub version: u32,
    pub model: ModelConfig,
    /// `{"kind": "byte"}` or `{"kind": "bpe", "vocab_size": N}`; a BPE's merges and vocabulary
    /// are the folder's `tokenizer.json`.
    pub tokenizer: TokenizerSpec,
    pub prompt_version: u32,
    /// Optimizer steps done when saved.
    pub step: usize,
    pub run_id: Option<i64>,
    pub kind: Option<String>,
    /// Minutes of training behind this checkpoint (time budgets and the schedule continue
    /// from it on resume); absent in checkpoints from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_minutes: Option<f64>,
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
            tokenizer: tokenizer.spec(),
            prompt_version: crate::schema::PROMPT_VERSION,
            step,
            run_id,
            kind: kind.map(str::to_string),
            train_minutes: None,
        }
    }
}

/// A loaded checkpoint.
pub struct Loaded {
    pub model: Model,
    /// Built from `meta.tokenizer` (and `tokenizer.json` for a BPE).
    pub tokenizer: Tokenizer,
    pub meta: CheckpointMeta,
    pub dir: PathBuf,
    /// What the caller should tell the user about this checkpoint (e.g. a prompt version this
    /// sense does not know); `train` never prints it.
    pub warning: Option<String>,
}
