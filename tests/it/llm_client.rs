//! The chat client against a real HTTP server on 127.0.0.1: retries, backoff, Retry-After,
//! no retry on other 4xx, the concurrency limit, timeouts, unparseable replies, and the
//! provenance records (with no API key in them).

use crate::fake;

use fake::{FakeServer, Reply};
use sense::llm::{ChatRequest, Client, EndpointConfig, LlmError, Message, SamplingParams};
use std::time::{Duration, Instant};

fn cfg(url: &str) -> EndpointConfig {
    let mut c = EndpointConfig::new(url, "weak-model");
    c.api_key_env = "SENSE_TEST_NO_SUCH_KEY".into();
    c.backoff_base = Duration::from_millis(20);
    c.backoff_max = Duration::from_millis(200);
    c.timeout = Duration::from_secs(5);
    c
}

fn req(text: &str) -> ChatRequest {
    ChatRequest {
        purpose: "test".into(),
        messages: vec![Message::user(text)],
        params: SamplingParams::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answer_params_usage_and_provenance() {
    let srv = FakeServer::start(|_, _| Reply::chat(&["```sql\nSELECT 1;\n```", "SELECT 2"]));
    let mut c = cfg(&srv.url);
    c.api_key_env = "SENSE_TEST_KEY_FOR_LLM_CLIENT".into();
    std::env::set_var("SENSE_TEST_KEY_FOR_LLM_CLIENT", "sk-secret-123");
    let client = Client::new(c).unwrap();
    let mut r = req("Question?");
    r.params = SamplingParams {
        temperature: Some(0.7),
        top_p: Some(0.9),
        max_tokens: Some(64),
        n: Some(2),
        stop: vec![";".into()],
        seed: Some(5),
    };
    let out = client.chat(&r).await;
    let reply = out.result.unwrap();
    assert_eq!(reply.texts.len(), 2);
    assert_eq!(
        (reply.prompt_tokens, reply.completion_tokens, reply.attempts),
        (Some(11), Some(7), 1)
    );
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let b = &seen[0].body;
    assert_eq!(b["model"], "weak-model");
    assert_eq!(b["messages"][0]["content"], "Question?");
    assert_eq!(b["n"], 2);
    assert_eq!(b["seed"], 5);
    assert_eq!(b["stop"][0], ";");
    assert!((b["temperature"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer sk-secret-123")
    );

    // One record, with the text and usage, and no key anywhere in it.
    assert_eq!(out.exchanges.len(), 1);
    let x = &out.exchanges[0];
    assert_eq!(
        (x.purpose.as_str(), x.model.as_str(), x.prompt.as_str()),
        ("test", "weak-model", "Question?")
    );
    assert!(x.error.is_none() && x.reply.as_deref().unwrap().contains("SELECT 2"));
    assert_eq!(x.prompt_tokens, Some(11));
    let d = tempfile::tempdir().unwrap();
    let store = sense::store::Store::open(&d.path().join("ws.db")).unwrap();
    let id = store.record_exchange(x).unwrap();
    let back = store.exchange(id).unwrap();
    assert_eq!(back.params["seed"], 5);
    assert_eq!(back.params["attempt"], 1);
    let all = format!("{back:?}");
    assert!(!all.contains("sk-secret"), "key leaked: {all}");
    let raw: String = store
        .conn()
        .query_row(
            "SELECT params || prompt || coalesce(reply,'') FROM llm_exchanges",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!raw.contains("sk-secret"));
    assert_eq!(store.exchange_counts(Some("test")).unwrap(), (1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_5xx_then_succeeds_with_growing_backoff() {
    let srv = FakeServer::start(|i, _| {
        if i < 3 {
            Reply::status(500, "oops")
        } else {
            Reply::chat(&["SELECT 1"])
        }
    });
    let mut c = cfg(&srv.url);
    c.backoff_base = Duration::from_millis(60);
    c.backoff_max = Duration::from_secs(2);
    let client = Client::new(c).unwrap();
    let out = client.chat(&req("q")).await;
    let reply = out.result.unwrap();
    assert_eq!(reply.attempts, 4);
    assert_eq!(out.exchanges.len(), 4);
    assert_eq!(
        out.exchanges.iter().filter(|x| x.error.is_some()).count(),
        3
    );
    assert!(out.exchanges[0].error.as_deref().unwrap().contains("500"));
    let seen = srv.seen.lock().unwrap().clone();
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].at - w[0].at).collect();
    // Jittered in [d/2, d] with d = 60, 120, 240 ms.
    for (i, g) in gaps.iter().enumerate() {
        let lower = Duration::from_millis(30 << i);
        assert!(*g >= lower, "gap {i} {g:?} < {lower:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gives_up_after_max_retries() {
    let srv = FakeServer::start(|_, _| Reply::status(503, "busy"));
    let mut c = cfg(&srv.url);
    c.max_retries = 2;
    let client = Client::new(c).unwrap();
    let out = client.chat(&req("q")).await;
    assert!(matches!(
        out.result,
        Err(LlmError::Status { status: 503, .. })
    ));
    assert_eq!(srv.calls(), 3);
    assert_eq!(out.exchanges.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn honours_retry_after_on_429() {
    let srv = FakeServer::start(|i, _| {
        if i == 0 {
            Reply::too_many("1")
        } else {
            Reply::chat(&["SELECT 1"])
        }
    });
    let client = Client::new(cfg(&srv.url)).unwrap();
    let out = client.chat(&req("q")).await;
    assert!(out.result.is_ok());
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "waited only {gap:?} despite Retry-After: 1"
    );
    assert!(out.exchanges[0].error.as_deref().unwrap().contains("429"));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_retry_on_other_4xx() {
    for status in [400, 401, 404, 422] {
        let srv = FakeServer::start(move |_, _| Reply::status(status, "{\"error\":\"bad\"}"));
        let client = Client::new(cfg(&srv.url)).unwrap();
        let out = client.chat(&req("q")).await;
        assert!(matches!(out.result, Err(LlmError::Status { status: s, .. }) if s == status));
        assert_eq!(srv.calls(), 1, "status {status} was retried");
        assert_eq!(out.exchanges.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_is_bounded() {
    let srv = FakeServer::start(|_, _| Reply::chat(&["SELECT 1"]).slow(Duration::from_millis(120)));
    let mut c = cfg(&srv.url);
    c.concurrency = 3;
    let client = Client::new(c).unwrap();
    let reqs: Vec<ChatRequest> = (0..12).map(|i| req(&format!("q{i}"))).collect();
    let t = Instant::now();
    let outs = client.chat_all(&reqs).await;
    assert!(outs.iter().all(|o| o.result.is_ok()));
    assert_eq!(srv.calls(), 12);
    assert_eq!(
        srv.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    // 12 requests, 3 at a time, 120 ms each: at least 4 rounds.
    assert!(
        t.elapsed() >= Duration::from_millis(470),
        "{:?}",
        t.elapsed()
    );
    // Outcomes come back in request order.
    for (i, o) in outs.iter().enumerate() {
        assert_eq!(o.exchanges[0].prompt, format!("q{i}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn times_out_slow_replies_and_retries_them() {
    let srv = FakeServer::start(|i, _| {
        if i == 0 {
            Reply::chat(&["late"]).slow(Duration::from_millis(1500))
        } else {
            Reply::chat(&["SELECT 1"])
        }
    });
    let mut c = cfg(&srv.url);
    c.timeout = Duration::from_millis(250);
    let client = Client::new(c).unwrap();
    let t = Instant::now();
    let out = client.chat(&req("q")).await;
    assert!(
        t.elapsed() < Duration::from_millis(1400),
        "did not time out: {:?}",
        t.elapsed()
    );
    assert_eq!(out.result.unwrap().texts, vec!["SELECT 1"]);
    assert!(out.exchanges[0]
        .error
        .as_deref()
        .unwrap()
        .contains("timed out"));

    let srv = FakeServer::start(|_, _| Reply::chat(&["late"]).slow(Duration::from_millis(1000)));
    let mut c = cfg(&srv.url);
    c.timeout = Duration::from_millis(150);
    c.max_retries = 1;
    let out = Client::new(c).unwrap().chat(&req("q")).await;
    assert!(matches!(out.result, Err(LlmError::Timeout(_))));
    assert_eq!(out.exchanges.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_is_a_failed_attempt_with_its_text() {
    let srv = FakeServer::start(|i, _| match i {
        0 => Reply::garbage(),
        1 => Reply::ok("{\"choices\": []}".into()),
        _ => Reply::chat(&["SELECT 1"]),
    });
    let client = Client::new(cfg(&srv.url)).unwrap();
    let out = client.chat(&req("q")).await;
    assert_eq!(out.result.unwrap().attempts, 3);
    assert_eq!(
        out.exchanges[0].reply.as_deref(),
        Some("<html>this is not json</html>")
    );
    assert!(out.exchanges[0]
        .error
        .as_deref()
        .unwrap()
        .contains("unparseable"));
    assert!(out.exchanges[1].error.is_some());

    let srv = FakeServer::start(|_, _| Reply::garbage());
    let mut c = cfg(&srv.url);
    c.max_retries = 1;
    let out = Client::new(c).unwrap().chat(&req("q")).await;
    match out.result {
        Err(LlmError::Parse { text, .. }) => assert!(text.contains("not json")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = cfg(&format!("http://127.0.0.1:{port}/v1"));
    c.max_retries = 2;
    let out = Client::new(c).unwrap().chat(&req("q")).await;
    assert!(
        matches!(out.result, Err(LlmError::Connect(_))),
        "{:?}",
        out.result
    );
    assert_eq!(out.exchanges.len(), 3);
    assert!(out
        .exchanges
        .iter()
        .all(|x| x.reply.is_none() && x.error.is_some()));
}
