//! `sense serve`: a local model behind an OpenAI-compatible chat-completions endpoint, so the
//! workbench, other tools and the weak-sampling pipeline can all call it over HTTP.
//!
//! A request that names a database (`"database": "NAME"`, an extension field) gets the schema +
//! question prompt applied to its last user message, the same text training used; otherwise
//! the messages' text is the prompt as it is.

use crate::schema::{introspect_path, prompt_for, PromptOptions};
use crate::store::Store;
use crate::synth::generator::SqlGenerator;
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
    /// Extension: a workspace database whose schema is put into the prompt.
    #[serde(default)]
    pub database: Option<String>,
}

struct Shared {
    generator: Mutex<Box<dyn SqlGenerator>>,
    /// Database name → file, read from the workspace at start.
    databases: HashMap<String, PathBuf>,
}

fn error(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({"error": {"message": msg.to_string(), "type": "invalid_request_error"}})),
    )
        .into_response()
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

async fn chat(State(st): State<Arc<Shared>>, Json(req): Json<ChatRequest>) -> Response {
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
    let n = req.n.unwrap_or(1).clamp(1, 16);
    let temperature = req.temperature.unwrap_or(0.0);
    let max_tokens = req.max_tokens.unwrap_or(256).clamp(1, 4096);
    let st2 = st.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut g = st2
            .generator
            .lock()
            .map_err(|_| "generator poisoned".to_string())?;
        let name = g.name();
        g.set_max_tokens(max_tokens);
        let cancel = AtomicBool::new(false);
        g.generate(std::slice::from_ref(&prompt), n, temperature, &cancel)
            .map(|mut v| (name, v.pop().unwrap_or_default(), prompt.len()))
            .map_err(|e| e.to_string())
    })
    .await;
    let (name, gens, prompt_len) = match out {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
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
        "model": req.model.unwrap_or(name),
        "choices": choices,
        "usage": {"prompt_tokens": prompt_len, "completion_tokens": completion,
                  "total_tokens": prompt_len + completion},
    }))
    .into_response()
}

async fn models(State(st): State<Arc<Shared>>) -> Response {
    let name = st.generator.lock().map(|g| g.name()).unwrap_or_default();
    Json(json!({"object": "list", "data": [{"id": name, "object": "model", "owned_by": "sense"}]}))
        .into_response()
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
    let shared = Arc::new(Shared {
        generator: Mutex::new(generator),
        databases,
    });
    Ok(Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .with_state(shared))
}

/// Serves until the process is interrupted.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
