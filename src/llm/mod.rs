//! Talking to OpenAI-compatible chat-completion servers (vLLM, SGLang, llama.cpp's server,
//! Ollama, OpenAI): a client with bounded concurrency, timeouts and retries; the prompt files
//! (`prompts/` at the repository root, embedded, overridable); SQL extraction from replies; and
//! the `SqlGenerator` interface every model (endpoint or local checkpoint) is used through.
//! This module never decides whether an answer is right.

mod client;
mod endpoint_gen;
mod extract;
pub mod generator;
pub mod profiles;
pub mod prompts;

pub use client::{
    runtime, ChatReply, ChatRequest, Client, EndpointConfig, LlmError, Message, Outcome,
    SamplingParams, DEFAULT_API_KEY_ENV, DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT_S,
    MAX_REPLY_BYTES,
};
pub use endpoint_gen::EndpointGenerator;
pub use extract::{cap_sql, extract_sql, MAX_SQL_BYTES};

/// Installs rustls' ring provider once per process (reqwest is built without a default one).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
