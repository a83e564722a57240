//! Talking to OpenAI-compatible chat-completion servers (vLLM, SGLang, llama.cpp's server,
//! Ollama, OpenAI): a client with bounded concurrency, timeouts and retries; the prompt files
//! (`prompts/` at the repository root, embedded, overridable); and SQL extraction from replies.
//! This module never decides whether an answer is right.

mod client;
mod extract;
pub mod profiles;
pub mod prompts;

pub use client::{
    runtime, ChatReply, ChatRequest, Client, EndpointConfig, LlmError, Message, Outcome,
    SamplingParams, MAX_REPLY_BYTES,
};
pub use extract::{cap_sql, extract_sql, MAX_SQL_BYTES};

/// Installs rustls' ring provider once per process (reqwest is built without a default one).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
