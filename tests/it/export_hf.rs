//! `sense export hf`: a BPE checkpoint leaves as a Hugging Face folder that reloads (with
//! sense's own Hugging Face loader) to identical logits; a byte checkpoint is refused.

use crate::bin::sense;
use candle_core::{Device, Tensor};
use sense::train::checkpoint::{load, save, CheckpointMeta};
use sense::train::config::ModelConfig;
use sense::train::hf::load_hf;
use sense::train::model::Model;
use sense::train::tokenizer::{train_bpe, Tokenizer};

fn checkpoint(dir: &std::path::Path, tok: &Tokenizer, qkv_bias: bool) {
    let cfg = ModelConfig {
        vocab_size: tok.vocab_size(),
        d_model: 32,
        n_layers: 2,
        n_heads: 4,
        d_ff: 64,
        max_seq_len: 64,
        qkv_bias,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 11, &Device::Cpu).unwrap();
    save(
        dir,
        &model,
        tok,
        &CheckpointMeta::new(&cfg, tok, 3, None, Some("sft")),
        None,
    )
    .unwrap();
}

#[test]
fn a_bpe_checkpoint_round_trips_through_a_hugging_face_folder_with_identical_logits() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    sense::store::Store::open(&ws).unwrap();
    let texts = (0..200).map(|i| format!("SELECT name FROM pets WHERE age > {i};\n"));
    let tok = train_bpe(texts, 300).unwrap();
    for (bias, kind) in [(false, "llama"), (true, "qwen2")] {
        let ck = d.path().join(format!("ck-{kind}"));
        checkpoint(&ck, &tok, bias);
        let out = d.path().join(format!("hf-{kind}"));
        let o = sense(&ws)
            .args(["export", "hf"])
            .arg(&ck)
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for f in [
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json",
            "README.md",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(config["model_type"], kind);
        let tc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("tokenizer_config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(tc["eos_token"], "<|end|>");
        assert!(tc["chat_template"].as_str().unwrap().contains("eos_token"));

        let ours = load(&ck, &Device::Cpu).unwrap();
        let theirs = load_hf(&out, &Device::Cpu, None).unwrap();
        let ids = ours
            .tokenizer
            .encode("SELECT name FROM pets WHERE age > 7;");
        assert_eq!(
            ids,
            theirs
                .tokenizer
                .encode("SELECT name FROM pets WHERE age > 7;")
        );
        let x = Tensor::from_vec(ids.clone(), (1, ids.len()), &Device::Cpu).unwrap();
        let a = ours.model.forward_train(&x).unwrap();
        let b = theirs.model.forward_train(&x).unwrap();
        let diff: f32 = (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar()
            .unwrap();
        assert_eq!(diff, 0.0, "{kind}: logits differ by {diff}");
    }
    // A byte-tokenizer checkpoint has no Hugging Face tokenizer: refused, nothing written.
    let byte = d.path().join("ck-byte");
    checkpoint(&byte, &Tokenizer::Byte, false);
    let out = d.path().join("hf-byte");
    let o = sense(&ws)
        .args(["export", "hf"])
        .arg(&byte)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--tokenizer bpe"), "{err}");
    assert!(!out.join("config.json").exists());
}
