//! A fake OpenAI-compatible server on 127.0.0.1 for tests: hand-written HTTP/1.1, one thread
//! per connection, behaviour chosen per call by a closure (answer, 429 with Retry-After, 500,
//! slow, garbage). Other test modules use it as `crate::fake`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    /// A chat-completions body with one choice per text.
    pub fn chat(texts: &[&str]) -> Reply {
        let choices: Vec<serde_json::Value> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| serde_json::json!({"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}))
            .collect();
        Reply::ok(
            serde_json::json!({
                "id": "x", "object": "chat.completion", "choices": choices,
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
            })
            .to_string(),
        )
    }
    pub fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            headers: vec![],
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn too_many(retry_after: &str) -> Reply {
        Reply {
            status: 429,
            headers: vec![("Retry-After".into(), retry_after.into())],
            body: "{\"error\":\"slow down\"}".into(),
            delay: Duration::ZERO,
        }
    }
    pub fn garbage() -> Reply {
        Reply::ok("<html>this is not json</html>".into())
    }
    pub fn slow(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// What the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub body: serde_json::Value,
    pub authorization: Option<String>,
}

type Handler = dyn Fn(usize, &serde_json::Value) -> Reply + Send + Sync;

pub struct FakeServer {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub max_in_flight: Arc<AtomicUsize>,
}

impl FakeServer {
    /// Starts a server; `handler(call_index, request_json)` decides each reply.
    pub fn start(
        handler: impl Fn(usize, &serde_json::Value) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s2, f2, m2) = (seen.clone(), in_flight.clone(), max_in_flight.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (s, f, m, h) = (s2.clone(), f2.clone(), m2.clone(), handler.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &s, &f, &m, &*h);
                });
            }
        });
        FakeServer {
            url,
            seen,
            max_in_flight,
        }
    }

    pub fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn serve(
    stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    in_flight: &AtomicUsize,
    max_in_flight: &AtomicUsize,
    handler: &Handler,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut len = 0usize;
        let mut auth = None;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("authorization") {
                    auth = Some(v.trim().to_string());
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        max_in_flight.fetch_max(now, Ordering::SeqCst);
        let index = {
            let mut s = seen.lock().unwrap();
            s.push(Seen {
                at: Instant::now(),
                body: json.clone(),
                authorization: auth,
            });
            s.len() - 1
        };
        let reply = handler(index, &json);
        std::thread::sleep(reply.delay);
        in_flight.fetch_sub(1, Ordering::SeqCst);
        let reason = match reply.status {
            200 => "OK",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            400 => "Bad Request",
            401 => "Unauthorized",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(reply.body.as_bytes())?;
        stream.flush()?;
        return Ok(());
    }
}

#[test]
fn fake_server_answers_plain_http() {
    let srv = FakeServer::start(|_, _| Reply::chat(&["SELECT 1"]));
    let addr = srv
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    let body = "{\"model\":\"m\"}";
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("SELECT 1"));
    assert_eq!(srv.calls(), 1);
}
