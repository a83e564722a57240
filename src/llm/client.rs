//! The chat-completions client. Each call returns its outcome together with one provenance
//! record per attempt (`NewExchange`), which the caller writes to the workspace: the client
//! itself holds no store, so it can run on any tokio worker.

use crate::store::NewExchange;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Key variable, requests in flight, seconds per attempt and retries when nothing else is said
/// (`source` layers flags and profiles over these).
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";
pub const DEFAULT_CONCURRENCY: usize = 8;
pub const DEFAULT_TIMEOUT_S: f64 = 120.0;
pub const DEFAULT_RETRIES: u32 = 4;

/// Where and how to call: one endpoint, one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfig {
    /// Base URL, e.g. `http://127.0.0.1:8000/v1` (`/chat/completions` is appended unless the
    /// URL already ends with it).
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key (the key itself is never stored).
    pub api_key_env: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Limit for one attempt (connect + reply).
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry, with jitter, capped at `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl EndpointConfig {
    pub fn new(base_url: &str, model: &str) -> Self {
        EndpointConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key_env: DEFAULT_API_KEY_ENV.into(),
            concurrency: DEFAULT_CONCURRENCY,
            timeout: Duration::from_secs_f64(DEFAULT_TIMEOUT_S),
            max_retries: DEFAULT_RETRIES,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }

    pub fn url(&self) -> String {
        if self.base_url.ends_with("/chat/completions") {
            self.base_url.clone()
        } else {
            format!("{}/chat/completions", self.base_url)
        }
    }
}

/// Sampling parameters sent with each request (unset ones are left to the server).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Completions per request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(s: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: s.into(),
        }
    }
    pub fn user(s: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: s.into(),
        }
    }

    /// What weak sampling asks any model, endpoint or local checkpoint alike: the prompt as the
    /// user message, after a system message only when one is given (`sense sample --system`).
    pub fn conversation(system: Option<&str>, prompt: &str) -> Vec<Message> {
        let mut out = Vec::with_capacity(2);
        if let Some(s) = system.map(str::trim).filter(|s| !s.is_empty()) {
            out.push(Message::system(s));
        }
        out.push(Message::user(prompt));
        out
    }

    /// The contents joined by newlines: the prompt of a model without a chat template.
    pub fn plain_text(messages: &[Message]) -> String {
        messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// Recorded with the exchange (`domains`, `schema`, `questions`, `sample`, ...).
    pub purpose: String,
    pub messages: Vec<Message>,
    pub params: SamplingParams,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatReply {
    /// One text per choice.
    pub texts: Vec<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Of the successful attempt.
    pub latency_ms: f64,
    pub attempts: u32,
}

/// Largest reply body read from an endpoint; a larger one is refused unread (a 50 MB reply
/// would otherwise be stored in the workspace and drawn on every key in Review).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the endpoint: {0}")]
    Connect(String),
    #[error("unparseable reply ({msg}): {text}")]
    Parse { msg: String, text: String },
    #[error("reply larger than {} bytes: refused", MAX_REPLY_BYTES)]
    TooLarge,
    #[error("{0}")]
    Other(String),
}

impl LlmError {
    fn retryable(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Timeout(_) | LlmError::Connect(_) | LlmError::Parse { .. } => true,
            LlmError::Other(_) | LlmError::TooLarge => false,
        }
    }
}

/// The result of one logical call plus the record of every attempt it took.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub result: Result<ChatReply, LlmError>,
    pub exchanges: Vec<NewExchange>,
}

pub struct Client {
    cfg: EndpointConfig,
    http: reqwest::Client,
    api_key: Option<String>,
    permits: Arc<Semaphore>,
}

#[derive(Deserialize)]
struct WireReply {
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    message: Option<WireMessage>,
    /// Plain completions servers answer with `text`.
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<i64>,
    #[serde(default)]
    completion_tokens: Option<i64>,
}

/// One text per choice, prompt tokens, completion tokens.
type Parsed = (Vec<String>, Option<i64>, Option<i64>);

/// Parses a chat-completions body into one text per choice and the token usage.
fn parse_reply(body: &str) -> Result<Parsed, String> {
    let w: WireReply = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if w.choices.is_empty() {
        return Err("no choices".into());
    }
    let mut texts = Vec::new();
    for c in w.choices {
        match c.message.and_then(|m| m.content).or(c.text) {
            Some(t) => texts.push(t),
            None => return Err("a choice has no message content".into()),
        }
    }
    let (p, c) = w
        .usage
        .map(|u| (u.prompt_tokens, u.completion_tokens))
        .unwrap_or((None, None));
    Ok((texts, p, c))
}

/// Seconds from a Retry-After header (delta-seconds form; HTTP dates are ignored).
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = h
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .to_string();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

/// The body as text, refused once it passes [`MAX_REPLY_BYTES`] (by its Content-Length when
/// given, else while reading), so a huge reply is never held in memory.
async fn read_capped(mut resp: reqwest::Response) -> Result<String, ReadError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_REPLY_BYTES as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        if buf.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

impl Client {
    /// Builds a client; reads the API key from the environment variable the config names
    /// (no key: no Authorization header, as local servers expect).
    pub fn new(cfg: EndpointConfig) -> Result<Client, LlmError> {
        super::install_crypto();
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| LlmError::Other(format!("building the HTTP client: {e}")))?;
        let api_key = std::env::var(&cfg.api_key_env)
            .ok()
            .filter(|k| !k.trim().is_empty());
        Ok(Client {
            permits: Arc::new(Semaphore::new(cfg.concurrency.max(1))),
            cfg,
            http,
            api_key,
        })
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// A server that echoes the request's API key in an error body must not get it printed or
    /// stored in the workspace.
    fn redact(&self, text: String) -> String {
        match &self.api_key {
            Some(k) if k.len() >= 4 && text.contains(k.as_str()) => {
                text.replace(k.as_str(), "[redacted]")
            }
            _ => text,
        }
    }

    /// The delay before retry number `retry` (1-based): base·2^(retry-1), capped, with jitter
    /// drawn from [d/2, d]; never shorter than the server's Retry-After.
    pub fn backoff(&self, retry: u32, server_says: Option<Duration>) -> Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(1u32 << (retry.saturating_sub(1)).min(20))
            .min(self.cfg.backoff_max);
        let ms = exp.as_millis() as u64;
        let jittered = Duration::from_millis(if ms < 2 {
            ms
        } else {
            rand::rng().random_range(ms / 2..=ms)
        });
        match server_says {
            Some(s) => jittered.max(s),
            None => jittered,
        }
    }

    async fn attempt(
        &self,
        body: &serde_json::Value,
    ) -> (
        Result<ChatReply, LlmError>,
        Option<String>,
        f64,
        Option<Duration>,
    ) {
        let _permit = match self.permits.acquire().await {
            Ok(p) => p,
            Err(e) => return (Err(LlmError::Other(e.to_string())), None, 0.0, None),
        };
        let t = Instant::now();
        let mut req = self.http.post(self.cfg.url()).json(body);
        if let Some(k) = &self.api_key {
            req = req.bearer_auth(k);
        }
        let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = if e.is_timeout() {
                    LlmError::Timeout(self.cfg.timeout)
                } else {
                    LlmError::Connect(e.to_string())
                };
                return (Err(err), None, ms(t), None);
            }
        };
        let status = resp.status();
        let asked = retry_after(resp.headers());
        // A server may ask for an hour: wait at most one request timeout, and say so.
        let wait = asked.map(|w| w.min(self.cfg.timeout));
        let text = match read_capped(resp).await {
            Ok(s) => self.redact(s),
            Err(err) => {
                let err = match err {
                    ReadError::TooLarge => LlmError::TooLarge,
                    ReadError::Http(e) if e.is_timeout() => LlmError::Timeout(self.cfg.timeout),
                    ReadError::Http(e) => LlmError::Connect(e.to_string()),
                };
                return (Err(err), None, ms(t), None);
            }
        };
        let latency = ms(t);
        if !status.is_success() {
            let mut body: String = text.chars().take(2000).collect();
            if let Some(a) = asked.filter(|a| *a > self.cfg.timeout) {
                body.push_str(&format!(
                    " (Retry-After {}s capped at the {}s request timeout)",
                    a.as_secs(),
                    self.cfg.timeout.as_secs_f64()
                ));
            }
            return (
                Err(LlmError::Status {
                    status: status.as_u16(),
                    body,
                }),
                Some(text),
                latency,
                wait,
            );
        }
        match parse_reply(&text) {
            Ok((texts, p, c)) => (
                Ok(ChatReply {
                    texts,
                    prompt_tokens: p,
                    completion_tokens: c,
                    latency_ms: latency,
                    attempts: 0,
                }),
                Some(text),
                latency,
                None,
            ),
            Err(msg) => {
                let shown: String = text.chars().take(2000).collect();
                (
                    Err(LlmError::Parse { msg, text: shown }),
                    Some(text),
                    latency,
                    None,
                )
            }
        }
    }

    /// One chat call with retries: on connection errors, timeouts, 429 (waiting at least its
    /// Retry-After), 5xx and unparseable replies; never on other 4xx. Every attempt is in
    /// `Outcome::exchanges`.
    pub async fn chat(&self, req: &ChatRequest) -> Outcome {
        let mut body = serde_json::json!({ "model": self.cfg.model, "messages": req.messages });
        if let (Some(obj), Ok(serde_json::Value::Object(p))) =
            (body.as_object_mut(), serde_json::to_value(&req.params))
        {
            obj.extend(p);
        }
        let prompt = if req.messages.len() == 1 {
            req.messages[0].content.clone()
        } else {
            serde_json::to_string(&req.messages).unwrap_or_default()
        };
        let mut exchanges = Vec::new();
        let mut retry = 0u32;
        loop {
            let (res, raw, latency, wait) = self.attempt(&body).await;
            let mut params = serde_json::to_value(&req.params).unwrap_or_default();
            if let Some(o) = params.as_object_mut() {
                o.insert("attempt".into(), (retry + 1).into());
            }
            let (reply, error) = match &res {
                Ok(r) if r.texts.len() == 1 => (Some(r.texts[0].clone()), None),
                Ok(r) => (
                    Some(serde_json::to_string(&r.texts).unwrap_or_default()),
                    None,
                ),
                Err(e) => (raw, Some(e.to_string())),
            };
            let (pt, ct) = match &res {
                Ok(r) => (r.prompt_tokens, r.completion_tokens),
                Err(_) => (None, None),
            };
            exchanges.push(NewExchange {
                purpose: req.purpose.clone(),
                endpoint: self.cfg.base_url.clone(),
                model: self.cfg.model.clone(),
                params,
                prompt: prompt.clone(),
                reply,
                error,
                latency_ms: latency,
                prompt_tokens: pt,
                completion_tokens: ct,
            });
            match res {
                Ok(mut r) => {
                    r.attempts = retry + 1;
                    return Outcome {
                        result: Ok(r),
                        exchanges,
                    };
                }
                Err(e) if e.retryable() && retry < self.cfg.max_retries => {
                    retry += 1;
                    tokio::time::sleep(self.backoff(retry, wait)).await;
                }
                Err(e) => {
                    return Outcome {
                        result: Err(e),
                        exchanges,
                    }
                }
            }
        }
    }

    /// Many calls at once (at most `concurrency` in flight); outcomes in request order.
    pub async fn chat_all(&self, reqs: &[ChatRequest]) -> Vec<Outcome> {
        futures::future::join_all(reqs.iter().map(|r| self.chat(r))).await
    }
}

/// A small multi-threaded runtime for synchronous callers (CLI, jobs).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chat_and_completion_bodies() {
        let (t, p, c) = parse_reply(
            r#"{"choices":[{"message":{"role":"assistant","content":"SELECT 1"}}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
        )
        .unwrap();
        assert_eq!((t, p, c), (vec!["SELECT 1".to_string()], Some(5), Some(2)));
        let (t, _, _) = parse_reply(r#"{"choices":[{"text":"a"},{"text":"b"}]}"#).unwrap();
        assert_eq!(t, vec!["a", "b"]);
        assert!(parse_reply("<html>").is_err());
        assert!(parse_reply(r#"{"choices":[]}"#).is_err());
    }

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let mut cfg = EndpointConfig::new("http://x/v1", "m");
        cfg.backoff_base = Duration::from_millis(100);
        cfg.backoff_max = Duration::from_millis(1000);
        let c = Client::new(cfg).unwrap();
        for retry in 1..8 {
            let full = (100u64 << (retry - 1)).min(1000);
            let d = c.backoff(retry, None).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d}");
        }
        assert!(c.backoff(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert_eq!(c.config().url(), "http://x/v1/chat/completions");
    }
}
