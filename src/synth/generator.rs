//! What turns prompts into SQL: an OpenAI-compatible endpoint (`llm`) or a local checkpoint
//! (`train`). Weak sampling, evaluation and the playground take any of them.

use std::sync::atomic::AtomicBool;

#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The raw completion text (SQL is extracted from it by `llm::extract_sql`).
    pub text: String,
    pub latency_ms: f64,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GenError(pub String);

pub trait SqlGenerator: Send {
    /// The model name recorded with each candidate.
    fn name(&self) -> String;
    /// `k` completions for each prompt, in prompt order. Stops early (returning what finished)
    /// when `cancel` is set.
    fn generate(
        &mut self,
        prompts: &[String],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Generated>>, GenError>;

    /// Caps the length of each completion, for generators that allow it.
    fn set_max_tokens(&mut self, _max_tokens: usize) {}
}
