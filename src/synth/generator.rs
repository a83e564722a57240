//! What turns prompts into SQL: an OpenAI-compatible endpoint (`llm`) or a local checkpoint
//! (`train`). Weak sampling, evaluation and the playground take any of them.

use crate::llm::{Message, SamplingParams};
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

    /// The prompt layout the model was trained on (a local checkpoint records it; an endpoint
    /// gets the CREATE TABLE layout that models trained elsewhere know).
    fn prompt_format(&self) -> crate::schema::PromptFormat {
        crate::schema::PromptFormat::Create
    }

    /// Caps the length of each completion, for generators that allow it.
    fn set_max_tokens(&mut self, _max_tokens: usize) {}

    /// Tokens `text` takes in the model's own tokenizer, where the generator has one.
    fn count_tokens(&self, _text: &str) -> Option<usize> {
        None
    }

    /// A system message sent before each prompt of `generate` (None: the prompt alone).
    fn set_system(&mut self, system: Option<String>);

    /// `k` completions of one whole conversation (`sense serve`'s requests). A local model
    /// writes it with its chat template; by default the contents joined by newlines are the
    /// prompt.
    fn generate_chat(
        &mut self,
        messages: &[Message],
        k: usize,
        temperature: f32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Generated>, GenError> {
        let prompt = Message::plain_text(messages);
        Ok(self
            .generate(&[prompt], k, temperature, cancel)?
            .pop()
            .unwrap_or_default())
    }

    /// Tokens of a conversation's prompt as the model reads it (None without a tokenizer);
    /// an error when the model's chat template refuses the conversation.
    fn prompt_tokens(&self, messages: &[Message]) -> Result<Option<usize>, GenError> {
        Ok(self.count_tokens(&Message::plain_text(messages)))
    }

    /// Takes top-p, max tokens, stop sequences and seed for the following calls. A generator
    /// that cannot honour a setting refuses it rather than ignoring it.
    fn configure(&mut self, p: &SamplingParams) -> Result<(), GenError> {
        if p.top_p.is_some() || !p.stop.is_empty() || p.seed.is_some() || p.n.is_some() {
            return Err(GenError(format!(
                "{} takes only a completion cap, not top-p, stop, seed or n",
                self.name()
            )));
        }
        if let Some(m) = p.max_tokens {
            self.set_max_tokens(m as usize);
        }
        Ok(())
    }
}
