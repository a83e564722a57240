//! A Hugging Face model folder (Qwen2 layout, written here with random weights) through the
//! real binary: SFT starts from it and saves a sense checkpoint, which eval then reads.

use crate::bin::{run_ok, sense};
use sense::train::checkpoint;
use sense::train::config::ModelConfig;
use sense::train::tokenizer::train_bpe;
use sense::train::Model;
use std::collections::HashMap;
use std::path::Path;

/// A tiny Qwen2 folder: GQA (4 heads, 2 kv heads), q/k/v biases, tied embeddings, bf16
/// weights, a byte-level BPE `tokenizer.json` with an added `<|endoftext|>`.
fn write_qwen2(dir: &Path) -> u32 {
    std::fs::create_dir_all(dir).unwrap();
    let texts = (0..40).map(|i| {
        format!("CREATE TABLE singer (singer_id INTEGER, name TEXT);\nSELECT name FROM singer WHERE singer_id = {i};\n")
    });
    let bpe = train_bpe(texts, 400).unwrap();
    let eos = bpe.vocab_size() as u32;
    let mut tok: serde_json::Value = serde_json::from_str(&bpe.to_json().unwrap()).unwrap();
    tok["added_tokens"] = serde_json::json!([{
        "id": eos, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
        "rstrip": false, "normalized": false, "special": true
    }]);
    std::fs::write(dir.join("tokenizer.json"), tok.to_string()).unwrap();
    let cfg = ModelConfig {
        vocab_size: eos as usize + 8,
        d_model: 32,
        n_layers: 1,
        n_heads: 4,
        n_kv_heads: Some(2),
        d_ff: 64,
        max_seq_len: 256,
        qkv_bias: true,
        tie_embeddings: true,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 5, &candle_core::Device::Cpu).unwrap();
    let tensors: HashMap<String, candle_core::Tensor> = model
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.to_dtype(candle_core::DType::BF16).unwrap()))
        .collect();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    let config = serde_json::json!({
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 64,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": 256,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": true,
        "hidden_act": "silu",
        "bos_token_id": eos,
        "eos_token_id": eos,
        "torch_dtype": "bfloat16"
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    eos
}

#[test]
fn sft_from_a_hugging_face_folder_saves_a_sense_checkpoint_that_evaluates() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    run_ok(sense(&ws).arg("init"));
    let hf = d.path().join("qwen2-tiny");
    let eos = write_qwen2(&hf);
    let ck = d.path().join("ck");
    let out = run_ok(
        sense(&ws)
            .args(["train", "sft", "--steps", "2", "--batch-size", "2"])
            .args(["--warmup", "1", "--eval-every", "0", "--max-len", "128"])
            .arg("--from")
            .arg(&hf)
            .arg("--out")
            .arg(&ck),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tokenizer: BPE"), "{err}");

    let dir = checkpoint::resolve(&ck).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["format"], "sense-checkpoint");
    assert_eq!(config["step"], 2);
    assert_eq!(
        config["tokenizer"]["special"],
        serde_json::json!({"bos": eos, "eos": eos, "pad": eos})
    );
    assert_eq!(config["model"]["n_kv_heads"], 2);
    let l = checkpoint::load(&ck, &candle_core::Device::Cpu).unwrap();
    assert_eq!(l.tokenizer.eos(), eos);
    assert!(l.model.cfg.qkv_bias && l.model.cfg.tie_embeddings);

    let out = run_ok(
        sense(&ws)
            .args(["eval", "--split", "dev", "--limit", "2"])
            .args(["--max-new-tokens", "8", "--model"])
            .arg(&ck),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("on split dev"), "{text}");
    // The folder itself is accepted wherever a checkpoint is.
    run_ok(
        sense(&ws)
            .args(["eval", "--split", "dev", "--limit", "1"])
            .args(["--max-new-tokens", "4", "--model"])
            .arg(&hf),
    );
}
