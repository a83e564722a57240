//! Hugging Face Instruct folders prompt through their chat template (a Qwen2.5-style folder,
//! written here with random weights): in training data, generation, sense checkpoints saved from
//! them, and `sense serve`; and the same question through `sense sample --endpoint <sense serve>`
//! and `sense sample --model <checkpoint>` gives the same SQL, through the real binary.

use crate::bin::{ok, sense};
use sense::llm::Message;
use sense::train::checkpoint::{self, save, CheckpointMeta};
use sense::train::config::ModelConfig;
use sense::train::conversation::conversation_text;
use sense::train::data::encode;
use sense::train::generate::prompt_ids;
use sense::train::model::Model;
use sense::train::tokenizer::{train_bpe, Tokenizer};
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const QWEN25: &str = include_str!("qwen25_chat_template.jinja");
const QWEN_SYSTEM: &str =
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";

/// The ids of the added tokens of [`instruct_folder`].
struct Specials {
    endoftext: u32,
    im_start: u32,
    im_end: u32,
}

/// A tiny Qwen2 Instruct folder: a byte-level BPE `tokenizer.json` with Qwen's added tokens,
/// `<|im_end|>` as the end token, random weights, and `tokenizer_config.json` holding
/// `template` (none when `None`: a base model).
fn instruct_folder(dir: &Path, template: Option<&str>) -> Specials {
    std::fs::create_dir_all(dir).unwrap();
    let texts = (0..40).map(|i| {
        format!("CREATE TABLE singer (singer_id INTEGER, name TEXT);\n-- Question: How many singers are older than {i}?\n-- SQL:\nSELECT count(*) FROM singer WHERE age > {i};\n")
    });
    let bpe = train_bpe(texts, 400).unwrap();
    let base = bpe.vocab_size() as u32;
    let s = Specials {
        endoftext: base,
        im_start: base + 1,
        im_end: base + 2,
    };
    let mut tok: serde_json::Value = serde_json::from_str(&bpe.to_json().unwrap()).unwrap();
    tok["added_tokens"] = [
        (s.endoftext, "<|endoftext|>"),
        (s.im_start, "<|im_start|>"),
        (s.im_end, "<|im_end|>"),
    ]
    .iter()
    .map(|(id, content)| {
        serde_json::json!({"id": id, "content": content, "single_word": false, "lstrip": false,
                           "rstrip": false, "normalized": false, "special": true})
    })
    .collect();
    std::fs::write(dir.join("tokenizer.json"), tok.to_string()).unwrap();
    let cfg = ModelConfig {
        vocab_size: base as usize + 8,
        d_model: 32,
        n_layers: 1,
        n_heads: 4,
        n_kv_heads: Some(2),
        d_ff: 64,
        max_seq_len: 1024,
        qkv_bias: true,
        tie_embeddings: true,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 5, &candle_core::Device::Cpu).unwrap();
    let mut tensors: HashMap<String, candle_core::Tensor> = model.tensors().into_iter().collect();
    // Zero embeddings (tied: zero logits) for the added and unused ids and for whitespace, so
    // that the random model writes some text (markers decode to nothing, spaces are trimmed).
    let emb = "model.embed_tokens.weight";
    let mask: Vec<f32> = (0..cfg.vocab_size as u32)
        .map(|id| {
            let text = bpe.decode(&[id]);
            f32::from(u8::from(id < base && !text.trim().is_empty()))
        })
        .collect();
    let mask = candle_core::Tensor::from_vec(mask, (cfg.vocab_size, 1), &candle_core::Device::Cpu)
        .unwrap();
    let w = tensors[emb].broadcast_mul(&mask).unwrap();
    tensors.insert(emb.into(), w);
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    let config = serde_json::json!({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32,
        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 64, "vocab_size": cfg.vocab_size, "max_position_embeddings": 1024,
        "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
        "hidden_act": "silu", "bos_token_id": s.endoftext, "eos_token_id": s.im_end,
        "torch_dtype": "float32"
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let mut tc = serde_json::json!({
        "tokenizer_class": "Qwen2Tokenizer", "bos_token": null, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "add_bos_token": false,
    });
    if let Some(t) = template {
        tc["chat_template"] = t.into();
    }
    std::fs::write(dir.join("tokenizer_config.json"), tc.to_string()).unwrap();
    s
}

const PROMPT: &str = "CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER);\n-- Question: How many singers are older than 30?\n-- SQL:\n";

#[test]
fn an_instruct_folder_prompts_through_its_chat_template_in_training_and_generation() {
    let d = tempfile::tempdir().unwrap();
    let hf = d.path().join("qwen-instruct");
    let s = instruct_folder(&hf, Some(QWEN25));
    let l = checkpoint::load(&hf, &candle_core::Device::Cpu).unwrap();
    let tok = &l.tokenizer;
    assert!(tok.chat_template().is_some());

    // The exact text transformers' apply_chat_template writes, with the generation prompt.
    let head = format!("{QWEN_SYSTEM}<|im_start|>user\n");
    let tail = "<|im_end|>\n<|im_start|>assistant\n";
    let text = format!("{head}{PROMPT}{tail}");
    assert_eq!(
        conversation_text(tok, &[Message::user(PROMPT)]).unwrap(),
        text
    );
    // Its markers are the special tokens, and no begin token is put before it (Qwen has none).
    let ids = tok.encode(&text);
    assert_eq!(ids[0], s.im_start);
    assert_eq!(ids.iter().filter(|&&t| t == s.im_end).count(), 2);
    assert!(!ids.contains(&s.endoftext));
    assert_eq!(prompt_ids(tok, PROMPT, 1024, 64).unwrap(), ids);

    // Training: the same prompt ids, then the completion and the end token.
    let completion = "SELECT count(*) FROM singer WHERE age > 30;\n";
    let (seq, cut) = encode(tok, PROMPT, completion, 1024).unwrap();
    assert!(!cut);
    assert_eq!(seq.completion_start, ids.len());
    let mut want = ids.clone();
    want.extend(tok.encode(completion));
    want.push(s.im_end);
    assert_eq!(seq.tokens, want);

    // Too long: the beginning of the schema goes, the template's frame and the question stay.
    let (head_ids, tail_ids) = (tok.encode(&head), tok.encode(tail));
    let max_len = head_ids.len() + tail_ids.len() + 12 + tok.encode(completion).len() + 1;
    let (seq, cut) = encode(tok, PROMPT, completion, max_len).unwrap();
    assert!(cut && seq.tokens.len() <= max_len);
    let prompt_part = &seq.tokens[..seq.completion_start];
    assert!(prompt_part.starts_with(&head_ids) && prompt_part.ends_with(&tail_ids));
    let kept = tok.decode(&prompt_part[head_ids.len()..prompt_part.len() - tail_ids.len()]);
    assert!(
        PROMPT.ends_with(&kept) && kept.len() < PROMPT.len(),
        "{kept:?}"
    );

    // A sense checkpoint saved from it keeps the template and prompts alike.
    let ck = d.path().join("ck");
    save(
        &ck,
        &l.model,
        tok,
        &CheckpointMeta::new(&l.model.cfg, tok, 1, None, Some("sft")),
        None,
    )
    .unwrap();
    let again = checkpoint::load(&ck, &candle_core::Device::Cpu).unwrap();
    assert_eq!(prompt_ids(&again.tokenizer, PROMPT, 1024, 64).unwrap(), ids);

    // A base folder (no template) and sense's own checkpoints keep the plain prompt: the begin
    // token, then the prompt.
    let base = d.path().join("qwen-base");
    let sb = instruct_folder(&base, None);
    let b = checkpoint::load(&base, &candle_core::Device::Cpu).unwrap();
    assert!(b.tokenizer.chat_template().is_none());
    let mut plain = vec![sb.endoftext];
    plain.extend(b.tokenizer.encode(PROMPT));
    assert_eq!(prompt_ids(&b.tokenizer, PROMPT, 1024, 64).unwrap(), plain);
    let byte = Tokenizer::Byte;
    let mut plain = vec![byte.bos()];
    plain.extend(byte.encode(PROMPT));
    assert_eq!(prompt_ids(&byte, PROMPT, 1024, 64).unwrap(), plain);
}

#[test]
fn a_chat_template_error_names_the_file() {
    let d = tempfile::tempdir().unwrap();
    let hf = d.path().join("broken");
    instruct_folder(&hf, Some("{% for m in messages %}{{ m.content }"));
    let e = format!(
        "{:#}",
        checkpoint::load(&hf, &candle_core::Device::Cpu)
            .err()
            .unwrap()
    );
    assert!(
        e.contains(&hf.join("tokenizer_config.json").display().to_string())
            && e.contains("chat template")
            && e.contains("syntax error"),
        "{e}"
    );

    // A template that refuses a conversation: the prompt is an error naming the file, and
    // `sense serve` answers it with a 400.
    let strict = d.path().join("strict");
    instruct_folder(
        &strict,
        Some("{% for m in messages %}{% if m.role != 'user' %}{{ raise_exception('Only user messages are supported') }}{% endif %}{{ m.content }}{% endfor %}"),
    );
    std::fs::rename(
        strict.join("tokenizer_config.json"),
        strict.join("config.tmp"),
    )
    .unwrap();
    let tc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(strict.join("config.tmp")).unwrap()).unwrap();
    std::fs::write(
        strict.join("chat_template.jinja"),
        tc["chat_template"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::remove_file(strict.join("config.tmp")).unwrap();
    let l = checkpoint::load(&strict, &candle_core::Device::Cpu).unwrap();
    let e = sense::train::conversation::conversation_ids(
        &l.tokenizer,
        &[Message::system("s"), Message::user("q")],
        512,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&strict.join("chat_template.jinja").display().to_string())
            && e.contains("Only user messages are supported"),
        "{e}"
    );

    let store = sense::store::Store::open(&d.path().join("sense.db")).unwrap();
    let generator = sense::source::local_generator(&strict, "cpu", 1).unwrap();
    let app = sense::serve::router(generator, &store).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    sense::llm::install_crypto();
    let post = |messages: serde_json::Value| -> (u16, serde_json::Value) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("http://{addr}/v1/chat/completions"))
                .json(&serde_json::json!({"messages": messages, "max_tokens": 4}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        })
    };
    let (status, v) = post(serde_json::json!([{"role": "system", "content": "s"},
                                              {"role": "user", "content": "q"}]));
    assert_eq!(status, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("Only user messages are supported") && msg.contains("chat_template.jinja"),
        "{v}"
    );
    let (status, v) = post(serde_json::json!([{"role": "user", "content": "q"}]));
    assert_eq!(status, 200, "{v}");
    // Usage counts the prompt as the template writes it (here: the content alone).
    assert_eq!(v["usage"]["prompt_tokens"], l.tokenizer.encode("q").len());
}

/// `sense serve --model MODEL --port 0` on workspace `ws`: the child and its base URL.
fn serve(ws: &Path, model: &Path) -> (std::process::Child, String) {
    let mut child = sense(ws)
        .args(["serve", "--port", "0", "--model"])
        .arg(model)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("sense serve ended before serving")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            let addr = rest.split('/').next().unwrap();
            break format!("http://{addr}/v1");
        }
    };
    (child, url)
}

/// (example id → SQL) of the candidates `model` has in workspace `ws`.
fn candidates(ws: &Path, model: &str) -> BTreeMap<i64, String> {
    let c = rusqlite::Connection::open(ws).unwrap();
    let mut st = c
        .prepare("SELECT example_id, sql FROM candidates WHERE model = ?1")
        .unwrap();
    st.query_map([model], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sample_through_sense_serve_gives_the_sql_sampling_the_checkpoint_gives() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    ok(sense(&ws).arg("init"));
    // sense's own checkpoint (plain prompt) and an Instruct folder (chat template).
    let plain = d.path().join("plain-ckpt");
    let cfg = ModelConfig {
        d_model: 32,
        n_layers: 1,
        n_heads: 2,
        d_ff: 64,
        max_seq_len: 2048,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 7, &candle_core::Device::Cpu).unwrap();
    let byte = Tokenizer::Byte;
    save(
        &plain,
        &model,
        &byte,
        &CheckpointMeta::new(&cfg, &byte, 0, None, Some("sft")),
        None,
    )
    .unwrap();
    let instruct = d.path().join("qwen-instruct");
    instruct_folder(&instruct, Some(QWEN25));

    // The same flags both ways: greedy, one sample of two examples, a short cap. One prompt
    // per forward pass on both sides: batching changes float rounding, not the messages.
    let common = [
        "-k",
        "1",
        "--temperature",
        "0",
        "--max-tokens",
        "12",
        "--limit",
        "2",
        "--batch",
        "1",
    ];
    for model in [&plain, &instruct] {
        let name = model.file_name().unwrap().to_str().unwrap();
        ok(sense(&ws)
            .arg("sample")
            .arg("--model")
            .arg(model)
            .args(common));
        let (child, url) = serve(&ws, model);
        let _server = Server(child);
        ok(sense(&ws)
            .args(["sample", "--endpoint", &url, "--model", name])
            .args(common));
        let local = candidates(&ws, &format!("local:{}", abs(model).display()));
        let served = candidates(&ws, name);
        assert_eq!(local.len(), 2, "{name}: {local:?}");
        assert_eq!(served, local, "{name}");
        // The server read each request as the checkpoint reads the prompt: one user message
        // (the exchange records its text alone), as many prompt tokens as the local rendering.
        let tok = checkpoint::load(model, &candle_core::Device::Cpu)
            .unwrap()
            .tokenizer;
        let c = rusqlite::Connection::open(&ws).unwrap();
        let mut st = c
            .prepare("SELECT prompt, prompt_tokens FROM llm_exchanges WHERE model = ?1")
            .unwrap();
        let seen: Vec<(String, i64)> = st
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(seen.len(), 2);
        for (prompt, tokens) in seen {
            assert!(prompt.contains("-- Question: "), "{prompt}");
            let text = conversation_text(&tok, &[Message::user(prompt)]).unwrap();
            assert_eq!(tokens as usize, tok.encode(&text).len(), "{name}");
        }
    }
}

fn abs(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap()
}
