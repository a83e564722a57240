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

/// The CLI is where `SENSE_HF_CONTEXT` is read (the library takes it as a load option) and
/// where a checkpoint's load warning is printed (the library returns it).
#[test]
fn the_cli_reads_sense_hf_context_and_prints_load_warnings() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    sense::store::Store::open(&ws).unwrap();
    let texts = (0..200).map(|i| format!("SELECT name FROM pets WHERE age > {i};\n"));
    let tok = train_bpe(texts, 300).unwrap();
    let ck = d.path().join("ck");
    checkpoint(&ck, &tok, true);
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ck.join("config.json")).unwrap()).unwrap();
    meta["prompt_version"] = 99.into();
    std::fs::write(ck.join("config.json"), meta.to_string()).unwrap();
    let export = |from: &std::path::Path, to: &str, context: Option<&str>| {
        let mut c = sense(&ws);
        c.env_remove("SENSE_HF_CONTEXT");
        if let Some(v) = context {
            c.env("SENSE_HF_CONTEXT", v);
        }
        c.args(["export", "hf"])
            .arg(from)
            .arg(d.path().join(to))
            .output()
            .unwrap()
    };
    // A sense checkpoint ignores the setting, even a bad one; its warning is printed once.
    let o = export(&ck, "hf", Some("lots"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.matches("prompt version 99").count(), 1, "{err}");
    assert!(err.contains("warning: "), "{err}");

    let hf = d.path().join("hf");
    let o = export(&hf, "hf-32", Some("32"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("hf-32/config.json")).unwrap())
            .unwrap();
    assert_eq!(config["max_position_embeddings"], 32);

    let o = export(&hf, "hf-bad", Some("1"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("SENSE_HF_CONTEXT must be a number of tokens (at least 2), got '1'"),
        "{err}"
    );
}
