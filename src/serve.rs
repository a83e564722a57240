//! `sense serve`: a local model behind an OpenAI-compatible chat-completions endpoint, so the
//! workbench, other tools and the weak-sampling pipeline can all call it over HTTP.
//!
//! A request that names a database (`"database": "NAME"`, an extension field) gets the schema +
//! question prompt applied to its last user message, the same text training used; otherwise
//! the messages' text is the prompt as it is.

use crate::llm::SamplingParams;
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
    let (name, gens, prompt_len) = match out {
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
