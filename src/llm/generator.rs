//! What turns prompts into SQL: an OpenAI-compatible endpoint (`EndpointGenerator`) or a local
//! checkpoint (`train::local`). Weak sampling, evaluation, the playground and `serve` take any of
//! them; `source` opens one. It lives here, below `synth` and `train`, so that neither needs
//! the other to name it.

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

    /// What the user should be told about the model once it is loaded (a checkpoint's prompt
    /// version this sense does not know): the caller shows it, the generator never prints.
    fn warning(&self) -> Option<String> {
        None
    }

    /// A system message sent before each prompt of `generate` (None: the prompt alone).
    fn set_system(&mut self, system: Option<String>);

    /// Keeps identifiers to each prompt's schema, for generators that decode themselves (a
    /// local checkpoint; an endpoint's server decodes as it does).
    fn set_schema_bound(&mut self, _on: bool) {}

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

/// Checks weak sampling's settings before any model is asked: the temperature (of each call)
/// and `params`' top_p and max_tokens. The same checks hold for an endpoint and a checkpoint.
pub fn check_sampling(temperature: f32, params: &SamplingParams) -> Result<(), GenError> {
    if !temperature.is_finite() || temperature < 0.0 {
        return Err(GenError(format!(
            "temperature {temperature} must be 0 (greedy) or more"
        )));
    }
    if let Some(t) = params.top_p {
        if !(0.0..=1.0).contains(&t) {
            return Err(GenError(format!("top-p {t} is outside 0..=1")));
        }
    }
    if params.max_tokens == Some(0) {
        return Err(GenError("max tokens must be at least 1".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_settings_are_checked_alike_for_every_model() {
        let p = |top_p, max_tokens| SamplingParams {
            top_p,
            max_tokens,
            ..Default::default()
        };
        assert!(check_sampling(0.0, &p(None, None)).is_ok());
        assert!(check_sampling(1.3, &p(Some(0.0), Some(1))).is_ok());
        assert!(check_sampling(0.8, &p(Some(1.0), Some(512))).is_ok());
        let err = |t, params: SamplingParams| check_sampling(t, &params).unwrap_err().0;
        assert!(err(-0.5, p(None, None)).contains("temperature -0.5"));
        assert!(err(f32::NAN, p(None, None)).contains("temperature"));
        assert!(err(0.8, p(Some(1.01), None)).contains("top-p 1.01"));
        assert!(err(0.8, p(Some(-0.1), None)).contains("top-p -0.1"));
        assert!(err(0.8, p(None, Some(0))).contains("max tokens"));
    }
}
