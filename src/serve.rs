//! `sense serve`: a local model behind an OpenAI-compatible chat-completions endpoint, so the
//! workbench, other tools and the weak-sampling pipeline can all call it over HTTP.
//!
//! A request that names a database (`"database": "NAME"`, an extension field) gets the schema +
//! question prompt applied to its last user message, the same text training used; otherwise
//! the messages' text is the prompt as it is.
//!
//! Untrusted clients are bounded: a request's headers and body must arrive within
//! [`READ_TIMEOUT`], bodies are capped, settings out of range are a 400 (never clamped in
//! silence), and every error is OpenAI's error JSON.

use crate::llm::SamplingParams;
use crate::schema::{introspect_path, prompt_for, PromptOptions};
use crate::store::Store;
use crate::synth::generator::SqlGenerator;
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

/// The prompt a request asks for (pure: the schema is passed in).
pub fn request_prompt(
    req: &ChatRequest,
    schema: Option<&crate::schema::DbSchema>,
) -> Result<String, String> {
    let last_user = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .ok_or("no user message")?;
    Ok(match schema {
        Some(s) => prompt_for(s, &last_user.content, None, PromptOptions::default()),
        None => req
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
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
    let prompt = match request_prompt(&req, schema.as_ref()) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let n = req.n.unwrap_or(1);
    let temperature = req.temperature.unwrap_or(0.0);
    // Every request sets every setting, so nothing carries over from an earlier request; an
    // explicit cap the model cannot honour is refused, the default one is clamped to fit.
    let params = SamplingParams {
        top_p: Some(req.top_p.unwrap_or(1.0)),
        max_tokens: req.max_tokens.map(|m| m.min(u32::MAX as usize) as u32),
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
        let name = g.name();
        if params.max_tokens.is_none() {
            g.set_max_tokens(256);
        }
        g.configure(&params)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let cancel = AtomicBool::new(false);
        g.generate(std::slice::from_ref(&prompt), n, temperature, &cancel)
            .map(|mut v| (name, v.pop().unwrap_or_default(), prompt.len()))
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    })
    .await;
    let (_, gens, prompt_len) = match out {
        Ok(Ok(v)) => v,
        Ok(Err((status, e))) => return error(status, e),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let completion: usize = gens.iter().map(|g| g.text.len()).sum();
    let choices: Vec<serde_json::Value> = gens
        .iter()
        .enumerate()
        .map(|(i, g)| {
            json!({"index": i, "message": {"role": "assistant", "content": g.text}, "finish_reason": "stop"})
        })
        .collect();
    Json(json!({
        "id": format!("sense-{}", std::process::id()),
        "object": "chat.completion",
        "model": st.id,
        "choices": choices,
        "usage": {"prompt_tokens": prompt_len, "completion_tokens": completion,
                  "total_tokens": prompt_len + completion},
    }))
    .into_response()
}

async fn models(State(st): State<Arc<Shared>>) -> Response {
    Json(json!({"object": "list", "data": [{"id": st.id, "object": "model", "owned_by": "sense"}]}))
        .into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such route (try /v1/chat/completions or /v1/models)",
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
        generator: Mutex::new(generator),
        id: public_id(&full_name),
        full_name,
        databases,
    });
    Ok(Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
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
