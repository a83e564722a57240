//! `sense serve`: a local model behind an OpenAI-compatible chat-completions endpoint, so the
//! workbench, other tools and the weak-sampling pipeline can all call it over HTTP.
//!
//! A request that names a database (`"database": "NAME"`, an extension field) gets the schema +
//! question prompt applied to its last user message, the same text training used; otherwise
//! the messages are the conversation as they are. The model writes the conversation as it was
//! trained to read it: with its chat template (an Instruct folder, or a run trained from one),
//! or as the plain prompt of sense's own checkpoints (the contents joined by newlines).
//!
//! Untrusted clients are bounded: a request's headers and body must arrive within
//! [`READ_TIMEOUT`], bodies are capped, settings out of range are a 400 (never clamped in
//! silence), and every error is OpenAI's error JSON.

use crate::llm::generator::SqlGenerator;
use crate::llm::{Message, SamplingParams};
use crate::schema::{introspect_path, prompt_for, PromptFormat, PromptOptions};
use crate::store::Store;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Time a client has to send a request's headers, and then its body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body read.
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Most completions per request.
pub const MAX_N: usize = 16;
/// After Ctrl-C, how long requests in progress may take to finish before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub n: Option<usize>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<usize>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub stop: Option<Stop>,
    /// Extension: a workspace database whose schema is put into the prompt.
    #[serde(default)]
    pub database: Option<String>,
    /// Server-sent events: the answer as `chat.completion.chunk`s, then `[DONE]`.
    #[serde(default)]
    pub stream: Option<bool>,
    /// The newer name of `max_tokens`; wins when both are given.
    #[serde(default)]
    pub max_completion_tokens: Option<usize>,
    /// Not served: asked for, it is a 400 rather than silently missing.
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
    #[serde(default)]
    pub top_logprobs: Option<serde_json::Value>,
}

impl ChatRequest {
    fn cap(&self) -> Option<usize> {
        self.max_completion_tokens.or(self.max_tokens)
    }
}

/// The completion cap when a request sets none.
const DEFAULT_MAX_TOKENS: usize = 256;

/// A fresh id per response, as OpenAI's `chatcmpl-…`.
fn response_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "chatcmpl-sense-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// OpenAI's `stop`: one string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    fn into_vec(self) -> Vec<String> {
        match self {
            Stop::One(s) => vec![s],
            Stop::Many(v) => v,
        }
    }
}

struct Shared {
    generator: Mutex<Box<dyn SqlGenerator>>,
    /// The model's public name: its checkpoint folder, never the absolute path.
    id: String,
    /// The generator's own name (`local:PATH`), also accepted as `model`.
    full_name: String,
    /// Database name → file, read from the workspace at start.
    databases: HashMap<String, PathBuf>,
    /// The prompt layout the model was trained on, for requests that name a database.
    format: PromptFormat,
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
fn api_error(
    status: StatusCode,
    msg: impl std::fmt::Display,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let kind = match status.as_u16() {
        404 if code == Some("model_not_found") => "invalid_request_error",
        404 => "not_found_error",
        408 => "timeout_error",
        413 => "invalid_request_error",
        s if s >= 500 => "server_error",
        _ => "invalid_request_error",
    };
    (
        status,
        Json(json!({"error": {
            "message": msg.to_string(), "type": kind, "param": param, "code": code
        }})),
    )
        .into_response()
}

fn error(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    api_error(status, msg, None, None)
}

fn bad_param(param: &str, msg: impl std::fmt::Display) -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        msg,
        Some(param),
        Some("invalid_value"),
    )
}

/// The public id of a generator named `local:PATH`: the checkpoint folder's name (with its run
/// folder for a `step-N` checkpoint), so no absolute path leaves the machine.
pub fn public_id(full_name: &str) -> String {
    let path = std::path::Path::new(full_name.strip_prefix("local:").unwrap_or(full_name));
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match (name(path), path.parent().and_then(name)) {
        (Some(n), Some(parent)) if n.starts_with("step-") => format!("{parent}/{n}"),
        (Some(n), _) => n,
        _ => "sense".into(),
    }
}

/// Settings out of range are refused, naming the parameter.
// The error is the response itself, sent at once: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn check_request(req: &ChatRequest, st: &Shared) -> Result<(), Response> {
    if let Some(m) = req.model.as_deref() {
        if m != st.id && m != st.full_name {
            return Err(api_error(
                StatusCode::NOT_FOUND,
                format!(
                    "the model '{m}' does not exist; this server serves '{}'",
                    st.id
                ),
                Some("model"),
                Some("model_not_found"),
            ));
        }
    }
    if let Some(t) = req.temperature {
        if !t.is_finite() || t < 0.0 {
            return Err(bad_param(
                "temperature",
                format!("temperature {t} must be 0 or more"),
            ));
        }
    }
    if let Some(p) = req.top_p {
        if !(0.0..=1.0).contains(&p) {
            return Err(bad_param(
                "top_p",
                format!("top_p {p} must be between 0 and 1"),
            ));
        }
    }
    if let Some(n) = req.n {
        if !(1..=MAX_N).contains(&n) {
            return Err(bad_param(
                "n",
                format!("n {n} must be between 1 and {MAX_N}"),
            ));
        }
    }
    if req.max_tokens == Some(0) {
        return Err(bad_param("max_tokens", "max_tokens must be at least 1"));
    }
    if req.max_completion_tokens == Some(0) {
        return Err(bad_param(
            "max_completion_tokens",
            "max_completion_tokens must be at least 1",
        ));
    }
    let asked = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .is_some_and(|v| !v.is_null() && *v != serde_json::Value::Bool(false))
    };
    if asked(&req.logprobs) || asked(&req.top_logprobs) {
        return Err(bad_param(
            "logprobs",
            "logprobs are not served by sense serve",
        ));
    }
    Ok(())
}

/// Reads and parses the body under the read timeout and the size cap.
#[allow(clippy::result_large_err)]
async fn read_request(body: Body) -> Result<ChatRequest, Response> {
    let bytes = match tokio::time::timeout(READ_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES))
        .await
    {
        Err(_) => {
            return Err(error(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body did not arrive within {READ_TIMEOUT:?}"),
            ))
        }
        Ok(Err(e)) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("cannot read the request body (at most {MAX_BODY_BYTES} bytes): {e}"),
            ))
        }
        Ok(Ok(b)) => b,
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("invalid request JSON: {e}"),
        )
    })
}

/// The conversation a request asks for (pure: the schema is passed in). Naming a database makes
/// it the training prompt (schema + the last user message's question) as the one user message;
/// otherwise the messages are taken as they are. The model then writes them with its chat
/// template, or joins their contents when it has none.
pub fn request_messages(
    req: &ChatRequest,
    schema: Option<&crate::schema::DbSchema>,
    format: PromptFormat,
) -> Result<Vec<Message>, String> {
    let last_user = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .ok_or("no user message")?;
    Ok(match schema {
        Some(s) => vec![Message::user(prompt_for(
            s,
            &last_user.content,
            None,
            PromptOptions::of(format),
        ))],
        None => req
            .messages
            .iter()
            .map(|m| Message {
                role: m.role.clone(),
                content: m.content.clone(),
            })
            .collect(),
    })
}

async fn chat(State(st): State<Arc<Shared>>, body: Body) -> Response {
    let req = match read_request(body).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let Err(resp) = check_request(&req, &st) {
        return resp;
    }
    let schema = match &req.database {
        Some(name) => match st.databases.get(name) {
            Some(path) => match introspect_path(path, PromptOptions::default().sample_rows) {
                Ok(s) => Some(s),
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
            },
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("no database '{name}' in the workspace"),
                )
            }
        },
        None => None,
    };
    let messages = match request_messages(&req, schema.as_ref(), st.format) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let n = req.n.unwrap_or(1);
    let temperature = req.temperature.unwrap_or(0.0);
    // Every request sets every setting, so nothing carries over from an earlier request; an
    // explicit cap the model cannot honour is refused, the default one is clamped to fit.
    let cap = req.cap();
    let stream = req.stream.unwrap_or(false);
    let params = SamplingParams {
        top_p: Some(req.top_p.unwrap_or(1.0)),
        max_tokens: cap.map(|m| m.min(u32::MAX as usize) as u32),
        stop: req.stop.map(Stop::into_vec).unwrap_or_default(),
        seed: req.seed,
        ..SamplingParams::default()
    };
    let st2 = st.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut g = st2.generator.lock().map_err(|_| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "generator poisoned".to_string(),
            )
        })?;
        if params.max_tokens.is_none() {
            g.set_max_tokens(DEFAULT_MAX_TOKENS);
        }
        g.configure(&params)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        // A conversation the chat template refuses is the client's to fix.
        let prompt_tokens = g
            .prompt_tokens(&messages)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let cancel = AtomicBool::new(false);
        let gens = g
            .generate_chat(&messages, n, temperature, &cancel)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        // Usage in the model's tokens (bytes only where a generator has no tokenizer).
        let count = |t: &str| g.count_tokens(t).unwrap_or(t.len());
        // Re-encoding the text can count more than was generated (bytes that were not UTF-8
        // come back as U+FFFD): a completion never has more tokens than its cap.
        let cap = params.max_tokens.map_or(DEFAULT_MAX_TOKENS, |m| m as usize);
        let counted: Vec<(String, usize)> = gens
            .into_iter()
            .map(|x| {
                let n = count(&x.text).min(cap);
                (x.text, n)
            })
            .collect();
        let prompt_len = Message::plain_text(&messages).len();
        Ok((counted, prompt_tokens.unwrap_or(prompt_len)))
    })
    .await;
    let (gens, prompt_tokens) = match out {
        Ok(Ok(v)) => v,
        Ok(Err((status, e))) => return error(status, e),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let limit = cap.unwrap_or(DEFAULT_MAX_TOKENS);
    // A completion that used the whole cap was cut there, not ended by the model.
    let finish = |tokens: usize| if tokens >= limit { "length" } else { "stop" };
    let completion: usize = gens.iter().map(|(_, n)| n).sum();
    let id = response_id();
    let created = unix_now();
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                       "total_tokens": prompt_tokens + completion});
    if stream {
        return sse(&id, created, &st.id, &gens, finish, usage);
    }
    let choices: Vec<serde_json::Value> = gens
        .iter()
        .enumerate()
        .map(|(i, (text, n))| {
            json!({"index": i, "message": {"role": "assistant", "content": text},
                   "logprobs": null, "finish_reason": finish(*n)})
        })
        .collect();
    Json(json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": st.id,
        "choices": choices,
        "usage": usage,
    }))
    .into_response()
}

/// The answer as OpenAI streams it: per choice a chunk with the role, one with the content,
/// one with the finish reason; a last chunk with the usage; then `data: [DONE]`.
fn sse(
    id: &str,
    created: u64,
    model: &str,
    gens: &[(String, usize)],
    finish: impl Fn(usize) -> &'static str,
    usage: serde_json::Value,
) -> Response {
    let chunk = |choices: serde_json::Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": created,
               "model": model, "choices": choices})
    };
    let mut body = String::new();
    let mut push = |v: serde_json::Value| {
        body.push_str("data: ");
        body.push_str(&v.to_string());
        body.push_str("\n\n");
    };
    for (i, (text, n)) in gens.iter().enumerate() {
        push(chunk(
            json!([{"index": i, "delta": {"role": "assistant", "content": ""},
                            "logprobs": null, "finish_reason": null}]),
        ));
        push(chunk(json!([{"index": i, "delta": {"content": text},
                            "logprobs": null, "finish_reason": null}])));
        push(chunk(json!([{"index": i, "delta": {}, "logprobs": null,
                            "finish_reason": finish(*n)}])));
    }
    let mut last = chunk(json!([]));
    last["usage"] = usage;
    push(last);
    body.push_str("data: [DONE]\n\n");
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/event-stream"),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn health(State(st): State<Arc<Shared>>) -> Response {
    Json(json!({"status": "ok", "model": st.id})).into_response()
}

async fn legacy_completions() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "legacy text completions (/v1/completions) are not served: use /v1/chat/completions",
        None,
        Some("unsupported_endpoint"),
    )
}

async fn models(State(st): State<Arc<Shared>>) -> Response {
    Json(json!({"object": "list", "data": [{"id": st.id, "object": "model", "owned_by": "sense"}]}))
        .into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such route (try /v1/chat/completions, /v1/models or /health)",
    )
}

pub fn router(
    generator: Box<dyn SqlGenerator>,
    store: &Store,
) -> Result<Router, crate::store::StoreError> {
    let databases = store
        .databases()?
        .into_iter()
        .map(|d| (d.name, d.path))
        .collect();
    let full_name = generator.name();
    let shared = Arc::new(Shared {
        format: generator.prompt_format(),
        generator: Mutex::new(generator),
        id: public_id(&full_name),
        full_name,
        databases,
    });
    Ok(Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route(
            "/v1/completions",
            post(legacy_completions).get(legacy_completions),
        )
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(shared))
}

/// Serves until the process is interrupted (Ctrl-C).
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    serve_until(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves until `stop` completes. Each connection must send a request's headers within
/// [`READ_TIMEOUT`] (axum's own `serve` sets no such limit, so a client that sends half a
/// request holds its connection, and Ctrl-C, forever); at `stop`, requests in progress get
/// [`SHUTDOWN_GRACE`] to finish.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        while conns.try_join_next().is_some() {}
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let mut closed = closed.clone();
        conns.spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    let _ = closing.send(true);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}
