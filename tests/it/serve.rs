//! `sense serve`'s endpoint, called with the project's own LLM client, on a tiny random
//! checkpoint made by the test.

use sense::llm::{ChatRequest, Client, EndpointConfig, Message, SamplingParams};
use sense::schema::{introspect_path, prompt_for, PromptFormat, PromptOptions};
use sense::store::Store;
use sense::train::checkpoint::{save, CheckpointMeta};
use sense::train::config::ModelConfig;
use sense::train::model::Model;
use sense::train::tokenizer::Tokenizer;

/// A workspace holding the first sample database, and that database.
fn one_sample_workspace() -> (tempfile::TempDir, Store, sense::store::DatabaseRow) {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    let samples = sense::dataset::samples::embedded().unwrap();
    sense::dataset::samples::init_workspace(&store, &samples[..1]).unwrap();
    let db = store.databases().unwrap().remove(0);
    (d, store, db)
}

/// POSTs a chat completion that names `db` (so the server writes the schema prompt).
fn post_database(
    rt: &tokio::runtime::Runtime,
    addr: &std::net::SocketAddr,
    db: &str,
    question: &str,
    max_tokens: usize,
) -> serde_json::Value {
    let body = serde_json::json!({
        "messages": [{"role": "user", "content": question}], "database": db, "max_tokens": max_tokens
    });
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/chat/completions"))
            .json(&body)
            .send()
            .await?
            .json()
            .await
    })
    .unwrap()
}

#[test]
fn serves_chat_completions_with_the_schema_prompt() {
    let (d, store, db) = one_sample_workspace();
    let (rt, addr) = serve_tiny(d.path(), &store, 4096);

    sense::llm::install_crypto();
    // The served model is named after its checkpoint folder.
    let mut cfg = EndpointConfig::new(&format!("http://{addr}/v1"), "ckpt");
    cfg.max_retries = 0;
    let client = Client::new(cfg).unwrap();
    let question = "How many rows are there?";
    let req = ChatRequest {
        purpose: "test".into(),
        messages: vec![Message::user(question)],
        params: SamplingParams {
            n: Some(2),
            temperature: Some(0.8),
            max_tokens: Some(8),
            ..Default::default()
        },
    };
    // Without a database the message is the prompt as it is.
    let plain = rt.block_on(client.chat(&req)).result.unwrap();
    assert_eq!(plain.texts.len(), 2);
    assert_eq!(plain.prompt_tokens, Some(question.len() as i64));

    // Naming a database applies the training prompt (schema + question): the server reports
    // its prompt length, which must be that of `prompt_for` (one byte per token).
    let reply = post_database(&rt, &addr, &db.name, question, 8);
    let schema = introspect_path(&db.path, PromptOptions::default().sample_rows).unwrap();
    let expected = prompt_for(&schema, question, None, PromptOptions::default());
    assert_eq!(reply["usage"]["prompt_tokens"], expected.len());
    assert_eq!(reply["choices"].as_array().unwrap().len(), 1);

    // top_p, seed, stop and max_tokens reach the checkpoint as they would reach an endpoint.
    let post = |body: serde_json::Value| -> (u16, serde_json::Value) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("http://{addr}/v1/chat/completions"))
                .json(&body)
                .send()
                .await?;
            let status = r.status().as_u16();
            Ok::<_, reqwest::Error>((status, r.json().await?))
        })
        .unwrap()
    };
    let text = |body: serde_json::Value| -> String {
        let (status, v) = post(body);
        assert_eq!(status, 200, "{v}");
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ask = |extra: serde_json::Value| {
        let mut body = serde_json::json!({
            "messages": [{"role": "user", "content": question}], "max_tokens": 24
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let greedy = text(ask(serde_json::json!({"temperature": 0.0})));
    assert_eq!(
        text(ask(serde_json::json!({"temperature": 1.0, "top_p": 1e-6}))),
        greedy,
        "a top-p that keeps one token is greedy"
    );
    let seeded = |seed: u64| text(ask(serde_json::json!({"temperature": 1.0, "seed": seed})));
    assert_eq!(seeded(5), seeded(5), "the same seed samples the same text");
    assert_ne!(seeded(5), seeded(6));
    let stop: String = greedy.chars().skip(3).take(2).collect();
    let cut = text(ask(serde_json::json!({"temperature": 0.0, "stop": stop})));
    assert!(
        greedy.starts_with(&cut) && !cut.contains(&stop),
        "{cut:?} / {greedy:?}"
    );
    let (status, v) = post(ask(serde_json::json!({"max_tokens": 100000})));
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("context"),
        "{v}"
    );

    // An unknown database is a clear 404, not a crash.
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/chat/completions"))
            .json(&serde_json::json!({"messages": [{"role": "user", "content": "x"}], "database": "nope"}))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(status.unwrap(), 404);
}

/// A tiny random checkpoint (byte tokenizer, context `ctx`) in `dir/ckpt`, served on 127.0.0.1
/// over `store`; returns the runtime that serves it and the address.
fn serve_tiny(
    dir: &std::path::Path,
    store: &Store,
    ctx: usize,
) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    serve_tiny_with(dir, store, ctx, PromptFormat::Create)
}

/// `serve_tiny` with a checkpoint trained on the prompt layout `format`.
fn serve_tiny_with(
    dir: &std::path::Path,
    store: &Store,
    ctx: usize,
    format: PromptFormat,
) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len: ctx,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    let ckpt = dir.join("ckpt");
    let mut meta = CheckpointMeta::new(&cfg, &Tokenizer::Byte, 0, None, Some("sft"));
    meta.prompt_version = format.version();
    save(&ckpt, &model, &Tokenizer::Byte, &meta, None).unwrap();
    let generator = sense::source::local_generator(&ckpt, "cpu", 1).unwrap();
    let app = sense::serve::router(generator, store).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    (rt, addr)
}

#[test]
fn streams_server_sent_events_as_openai_does_and_names_what_it_does_not_serve() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    let (rt, addr) = serve_tiny(d.path(), &store, 512);
    sense::llm::install_crypto();
    let post = |path: &str, body: serde_json::Value| -> (u16, String, String) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("http://{addr}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, ct, r.text().await.unwrap())
        })
    };
    let msgs = serde_json::json!([{"role": "user", "content": "How many rows?"}]);
    // stream: true → text/event-stream, parsed chunk by chunk.
    let (status, ct, body) = post(
        "/v1/chat/completions",
        serde_json::json!({"messages": msgs, "stream": true, "n": 2, "max_completion_tokens": 4,
                           "temperature": 0.7}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let events: Vec<&str> = body
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not an SSE data line: {e}"))
        })
        .collect();
    assert_eq!(*events.last().unwrap(), "[DONE]");
    let chunks: Vec<serde_json::Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let id = chunks[0]["id"].as_str().unwrap().to_string();
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], id.as_str(), "one id per response");
        assert!(c["created"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(c["model"], "ckpt");
    }
    for i in 0..2 {
        let of: Vec<&serde_json::Value> = chunks
            .iter()
            .filter_map(|c| c["choices"].as_array().and_then(|a| a.first()))
            .filter(|ch| ch["index"] == i)
            .collect();
        assert_eq!(
            of.first().unwrap()["delta"]["role"],
            "assistant",
            "role first"
        );
        let text: String = of
            .iter()
            .filter_map(|ch| ch["delta"]["content"].as_str())
            .collect();
        assert!(!text.is_empty());
        // The cap (4 tokens) was hit: the last chunk of the choice says "length".
        assert_eq!(of.last().unwrap()["finish_reason"], "length");
        assert!(text.chars().count() <= 4, "{text:?}");
    }
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(usage["prompt_tokens"], "How many rows?".len());
    assert!(usage["completion_tokens"].as_u64().unwrap() <= 8);
    // Without stream: one JSON body with created, a fresh id, usage in tokens.
    let (status, _, body) = post(
        "/v1/chat/completions",
        serde_json::json!({"messages": msgs, "max_tokens": 3}),
    );
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["created"].as_u64().is_some() && v["id"] != id.as_str());
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    // What is not served says so, in OpenAI's error JSON.
    let (status, _, body) = post(
        "/v1/chat/completions",
        serde_json::json!({"messages": msgs, "logprobs": true}),
    );
    assert_eq!(status, 400);
    let e: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(e["error"]["param"], "logprobs");
    let (status, _, body) = post("/v1/completions", serde_json::json!({"prompt": "x"}));
    assert_eq!(status, 404);
    assert!(body.contains("use /v1/chat/completions"), "{body}");
    let health: serde_json::Value = rt
        .block_on(async {
            reqwest::get(format!("http://{addr}/health"))
                .await?
                .json()
                .await
        })
        .unwrap();
    assert_eq!(health["status"], "ok");
}

/// A checkpoint trained on the compact layout (as the recipe's are) is served the compact
/// prompt for a request naming a database, as it saw in training.
#[test]
fn a_database_request_gets_the_layout_the_checkpoint_was_trained_on() {
    let (d, store, db) = one_sample_workspace();
    let (rt, addr) = serve_tiny_with(d.path(), &store, 4096, PromptFormat::Compact);
    let question = "How many rows are there?";
    let reply = post_database(&rt, &addr, &db.name, question, 4);
    let opts = PromptOptions::of(PromptFormat::Compact);
    let schema = introspect_path(&db.path, opts.sample_rows).unwrap();
    let compact = prompt_for(&schema, question, None, opts);
    let create = prompt_for(&schema, question, None, PromptOptions::default());
    assert_ne!(compact.len(), create.len());
    assert_eq!(reply["usage"]["prompt_tokens"], compact.len(), "{reply}");
}
