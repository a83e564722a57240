//! Tests of the Hugging Face loader on tiny random folders written here (no network).

use super::*;
use crate::train::checkpoint;
use crate::train::model::causal_mask;
use crate::train::model::KvCache;
use crate::train::sft::sft_loss;
use crate::train::tokenizer::train_bpe;
use candle_core::{DType, IndexOp};
use rand::{Rng, SeedableRng};

const EOT: &str = "<|endoftext|>";

/// A Qwen2-shaped config: grouped-query attention (4 query heads, 2 kv heads), q/k/v biases,
/// tied embeddings.
fn qwen_cfg(vocab: usize) -> ModelConfig {
    ModelConfig {
        vocab_size: vocab,
        d_model: 32,
        n_layers: 2,
        n_heads: 4,
        d_ff: 48,
        max_seq_len: 64,
        rope_theta: 1_000_000.0,
        norm_eps: 1e-6,
        n_kv_heads: Some(2),
        qkv_bias: true,
        tie_embeddings: true,
    }
}

fn corpus() -> impl Iterator<Item = String> {
    (0..30).map(|i| {
        format!("CREATE TABLE singer (singer_id INTEGER, name TEXT);\nSELECT name FROM singer WHERE singer_id = {i};\n")
    })
}

/// A Qwen-like `tokenizer.json`: a byte-level BPE plus an added special `<|endoftext|>`
/// (id = the BPE's size). Returns the text and the id.
fn tokenizer_json() -> (String, u32) {
    let bpe = train_bpe(corpus(), 300).unwrap();
    let mut v: Value = serde_json::from_str(&bpe.to_json().unwrap()).unwrap();
    let id = bpe.vocab_size() as u32;
    v["added_tokens"] = serde_json::json!([{
        "id": id, "content": EOT, "single_word": false, "lstrip": false,
        "rstrip": false, "normalized": false, "special": true
    }]);
    (v.to_string(), id)
}

/// Random values for every parameter of `cfg` (biases non-zero, norms near 1).
fn random_tensors(cfg: &ModelConfig, seed: u64) -> HashMap<String, Tensor> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    param_shapes(cfg)
        .into_iter()
        .map(|(name, shape)| {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n)
                .map(|_| {
                    let u: f32 = rng.random::<f32>() - 0.5;
                    if name.ends_with("norm.weight") {
                        1.0 + 0.2 * u
                    } else {
                        0.2 * u
                    }
                })
                .collect();
            let t = Tensor::from_vec(data, shape, &Device::Cpu).unwrap();
            (name, t)
        })
        .collect()
}

/// The `config.json` transformers would write for `cfg` (model_type qwen2 when it has biases).
fn config_json(cfg: &ModelConfig, eos: u32) -> Value {
    serde_json::json!({
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": if cfg.qkv_bias { "qwen2" } else { "llama" },
        "hidden_size": cfg.d_model,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.kv_heads(),
        "intermediate_size": cfg.d_ff,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": 32768,
        "rope_theta": cfg.rope_theta,
        "rms_norm_eps": cfg.norm_eps,
        "tie_word_embeddings": cfg.tie_embeddings,
        "hidden_act": "silu",
        "bos_token_id": null,
        "eos_token_id": eos,
        "torch_dtype": "bfloat16",
        "rope_scaling": null,
        "use_sliding_window": false
    })
}

/// Writes a Hugging Face folder for `cfg` with `tensors` stored as `dtype`, plus a rotary
/// buffer that the loader must ignore.
fn write_folder(
    dir: &Path,
    cfg: &ModelConfig,
    tensors: &HashMap<String, Tensor>,
    dtype: DType,
) -> u32 {
    std::fs::create_dir_all(dir).unwrap();
    let (tok, eos) = tokenizer_json();
    std::fs::write(dir.join("tokenizer.json"), tok).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(&config_json(cfg, eos)).unwrap(),
    )
    .unwrap();
    let mut out: HashMap<String, Tensor> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.to_dtype(dtype).unwrap()))
        .collect();
    out.insert(
        "model.layers.0.self_attn.rotary_emb.inv_freq".into(),
        Tensor::ones(4, DType::F32, &Device::Cpu).unwrap(),
    );
    candle_core::safetensors::save(&out, dir.join("model.safetensors")).unwrap();
    eos
}

fn ids(b: usize, t: usize, vocab: usize) -> Tensor {
    let v: Vec<u32> = (0..b * t).map(|i| ((i * 37 + 11) % vocab) as u32).collect();
    Tensor::from_vec(v, (b, t), &Device::Cpu).unwrap()
}

fn logits(m: &Model, x: &Tensor) -> Tensor {
    m.forward_train(x).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn with_fused(mut m: Model, fused: bool) -> Model {
    m.fused = fused;
    m
}

#[test]
fn a_qwen2_folder_loads_in_f32_and_bf16_and_ignores_extra_tensors() {
    let d = tempfile::tempdir().unwrap();
    let cfg = qwen_cfg(320);
    let tensors = random_tensors(&cfg, 1);
    let direct = Model::from_tensors(&cfg, tensors.clone(), &Device::Cpu).unwrap();
    let x = ids(2, 9, 300);
    let want = logits(&direct, &x);
    for (dtype, tol) in [(DType::F32, 0.0), (DType::BF16, 0.05)] {
        let dir = d.path().join(format!("{dtype:?}"));
        let eos = write_folder(&dir, &cfg, &tensors, dtype);
        assert!(is_hf_dir(&dir));
        let l = checkpoint::load(&dir, &Device::Cpu).unwrap();
        let mut expect = cfg.clone();
        expect.max_seq_len = DEFAULT_CONTEXT;
        assert_eq!(l.model.cfg, expect, "context capped at {DEFAULT_CONTEXT}");
        assert_eq!(l.meta.step, 0);
        // Qwen2 has no begin token: the end token stands in; padding too.
        let t = &l.tokenizer;
        assert_eq!((t.bos(), t.eos(), t.pad()), (eos, eos, eos));
        assert_eq!(t.vocab_size(), eos as usize + 1);
        let s = "SELECT name FROM singer;\n";
        assert_eq!(t.decode(&t.encode(s)), s);
        let got = logits(&l.model, &x);
        assert_eq!(got.dims(), &[2, 9, 320]);
        let v: Vec<f32> = got.flatten_all().unwrap().to_vec1().unwrap();
        assert!(v.iter().all(|x| x.is_finite()));
        let diff = max_diff(&got, &want);
        assert!(diff <= tol, "{dtype:?}: {diff}");
    }
    // A smaller cap is honoured.
    let l = load_hf(&d.path().join("F32"), &Device::Cpu, Some(16)).unwrap();
    assert_eq!(l.model.cfg.max_seq_len, 16);
}

#[test]
fn sharded_folders_load_and_name_a_missing_shard() {
    let d = tempfile::tempdir().unwrap();
    let cfg = qwen_cfg(320);
    let tensors = random_tensors(&cfg, 2);
    write_folder(d.path(), &cfg, &tensors, DType::F32);
    std::fs::remove_file(d.path().join("model.safetensors")).unwrap();
    let (mut a, mut b) = (HashMap::new(), HashMap::new());
    let mut map = serde_json::Map::new();
    for (i, (n, t)) in tensors.iter().enumerate() {
        let (shard, file) = if i % 2 == 0 {
            (&mut a, "model-00001-of-00002.safetensors")
        } else {
            (&mut b, "model-00002-of-00002.safetensors")
        };
        shard.insert(n.clone(), t.to_dtype(DType::BF16).unwrap());
        map.insert(n.clone(), Value::String(file.into()));
    }
    candle_core::safetensors::save(&a, d.path().join("model-00001-of-00002.safetensors")).unwrap();
    candle_core::safetensors::save(&b, d.path().join("model-00002-of-00002.safetensors")).unwrap();
    std::fs::write(
        d.path().join("model.safetensors.index.json"),
        serde_json::json!({"metadata": {}, "weight_map": map}).to_string(),
    )
    .unwrap();
    let l = checkpoint::load(d.path(), &Device::Cpu).unwrap();
    let direct = Model::from_tensors(&cfg, tensors, &Device::Cpu).unwrap();
    let x = ids(1, 7, 300);
    assert!(max_diff(&logits(&l.model, &x), &logits(&direct, &x)) < 0.05);

    std::fs::remove_file(d.path().join("model-00002-of-00002.safetensors")).unwrap();
    let e = format!(
        "{:#}",
        checkpoint::load(d.path(), &Device::Cpu).err().unwrap()
    );
    assert!(
        e.contains("model.safetensors.index.json names shard model-00002-of-00002.safetensors"),
        "{e}"
    );
}

/// `[KV*hd, ..]` → `[KV*n*hd, ..]`: each kv head's rows repeated for its `n` query heads.
fn repeat_heads(t: &Tensor, kv: usize, n: usize) -> Tensor {
    let rows = t.dim(0).unwrap();
    let hd = rows / kv;
    let parts: Vec<Tensor> = (0..kv)
        .flat_map(|h| std::iter::repeat_n(t.narrow(0, h * hd, hd).unwrap(), n))
        .collect();
    Tensor::cat(&parts, 0).unwrap()
}

#[test]
fn grouped_query_attention_equals_explicitly_repeated_heads() {
    let cfg = qwen_cfg(300);
    let tensors = random_tensors(&cfg, 3);
    let gqa = Model::from_tensors(&cfg, tensors.clone(), &Device::Cpu).unwrap();
    let mha_cfg = ModelConfig {
        n_kv_heads: None,
        ..cfg.clone()
    };
    let mut rep = tensors.clone();
    for (name, t) in rep.iter_mut() {
        if name.contains("k_proj") || name.contains("v_proj") {
            *t = repeat_heads(t, 2, 2);
        }
    }
    let mha = Model::from_tensors(&mha_cfg, rep, &Device::Cpu).unwrap();
    let x = ids(2, 11, 300);
    let want = logits(&with_fused(mha.detached(), false), &x);
    for (what, m) in [
        ("gqa fused ops", with_fused(gqa.detached(), true)),
        ("gqa composite", with_fused(gqa.detached(), false)),
        ("mha fused kernel", with_fused(mha.detached(), true)),
    ] {
        let diff = max_diff(&logits(&m, &x), &want);
        assert!(diff < 1e-4, "{what}: {diff}");
    }

    // Generation: the KV cache holds the kv heads; step by step equals the whole sequence.
    let m = gqa.detached();
    let mut cache = KvCache::default();
    let first = m
        .forward(
            &x.narrow(1, 0, 8).unwrap(),
            0,
            &causal_mask(8, &Device::Cpu).unwrap(),
            Some(&mut cache),
        )
        .unwrap();
    assert!(max_diff(&first, &want.narrow(1, 0, 8).unwrap()) < 1e-4);
    let zero = Tensor::zeros((1, 1, 1, 9), DType::F32, &Device::Cpu).unwrap();
    let step = m
        .forward(&x.narrow(1, 8, 1).unwrap(), 8, &zero, Some(&mut cache))
        .unwrap();
    assert!(max_diff(&step, &want.narrow(1, 8, 1).unwrap()) < 1e-4);
}

#[test]
fn tied_embeddings_equal_an_untied_copy_and_biases_are_applied() {
    let cfg = qwen_cfg(300);
    let tensors = random_tensors(&cfg, 4);
    let x = ids(2, 10, 300);
    let tied = Model::from_tensors(&cfg, tensors.clone(), &Device::Cpu).unwrap();
    let untied_cfg = ModelConfig {
        tie_embeddings: false,
        ..cfg.clone()
    };
    let mut t2 = tensors.clone();
    t2.insert(
        "lm_head.weight".into(),
        tensors["model.embed_tokens.weight"].copy().unwrap(),
    );
    let untied = Model::from_tensors(&untied_cfg, t2, &Device::Cpu).unwrap();
    assert_eq!(tied.params().len() + 1, untied.params().len());
    assert!(max_diff(&logits(&tied, &x), &logits(&untied, &x)) < 1e-6);

    // Zero biases = no biases; non-zero ones change the logits.
    let nobias_cfg = ModelConfig {
        qkv_bias: false,
        ..cfg.clone()
    };
    let nobias = Model::from_tensors(&nobias_cfg, tensors.clone(), &Device::Cpu).unwrap();
    let mut zeroed = tensors.clone();
    for (name, t) in zeroed.iter_mut() {
        if name.ends_with(".bias") {
            *t = t.zeros_like().unwrap();
        }
    }
    let zero = Model::from_tensors(&cfg, zeroed, &Device::Cpu).unwrap();
    let base = logits(&nobias, &x);
    assert!(max_diff(&logits(&zero, &x), &base) < 1e-6);
    assert!(max_diff(&logits(&tied, &x), &base) > 1e-3);
}

#[test]
fn fused_and_composite_paths_agree_with_and_without_biases() {
    for qkv_bias in [false, true] {
        let cfg = ModelConfig {
            n_kv_heads: None,
            qkv_bias,
            tie_embeddings: false,
            ..qwen_cfg(300)
        };
        let tensors = random_tensors(&cfg, 5);
        let x = ids(2, 12, 300);
        let targets = ids(2, 12, 290);
        let run = |fused: bool| {
            let m = with_fused(
                Model::from_tensors(&cfg, tensors.clone(), &Device::Cpu).unwrap(),
                fused,
            );
            let lp = m.target_logps(&x, &targets).unwrap();
            let grads = lp.sum_all().unwrap().backward().unwrap();
            let g: Vec<Tensor> = m
                .params()
                .iter()
                .map(|(_, v)| grads.get(v.as_tensor()).unwrap().clone())
                .collect();
            (lp, g)
        };
        let (lp_f, g_f) = run(true);
        let (lp_c, g_c) = run(false);
        assert!(max_diff(&lp_f, &lp_c) < 1e-4, "bias {qkv_bias}");
        for (a, b) in g_f.iter().zip(&g_c) {
            assert!(max_diff(a, b) < 1e-3, "bias {qkv_bias}: gradients differ");
        }
    }
}

#[test]
fn one_sft_step_reaches_every_parameter_of_a_qwen2_model() {
    let cfg = qwen_cfg(300);
    let m = Model::from_tensors(&cfg, random_tensors(&cfg, 6), &Device::Cpu).unwrap();
    let seqs = [
        crate::train::data::Seq::single(vec![1, 40, 41, 42, 43, 44, 1], 3),
        crate::train::data::Seq::single(vec![1, 50, 51, 52, 1], 2),
    ];
    let refs: Vec<&crate::train::data::Seq> = seqs.iter().collect();
    let batch = crate::train::data::make_batch(&refs, 1, &Device::Cpu).unwrap();
    let grads = sft_loss(&m, &batch).unwrap().backward().unwrap();
    let names: Vec<&str> = m.params().iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"model.layers.1.self_attn.k_proj.bias"));
    assert!(
        !names.contains(&"lm_head.weight"),
        "tied: one shared matrix"
    );
    for (name, v) in m.params() {
        let g = grads
            .get(v.as_tensor())
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let g: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
        assert!(g.iter().all(|x| x.is_finite()), "{name}");
        assert!(g.iter().any(|&x| x != 0.0), "{name}: zero gradient");
    }
    // The tied matrix gets the head's gradient too: rows of tokens never seen as input.
    let e = grads
        .get(m.params()[0].1.as_tensor())
        .unwrap()
        .i(200)
        .unwrap()
        .abs()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(e > 0.0);
}

#[test]
fn a_sense_checkpoint_saved_from_an_hf_model_reloads_identically() {
    let d = tempfile::tempdir().unwrap();
    let cfg = qwen_cfg(320);
    let hf = d.path().join("hf");
    let eos = write_folder(&hf, &cfg, &random_tensors(&cfg, 7), DType::BF16);
    let l = checkpoint::load(&hf, &Device::Cpu).unwrap();
    let meta = checkpoint::CheckpointMeta::new(&l.model.cfg, &l.tokenizer, 1, Some(3), Some("sft"));
    let ck = d.path().join("ck");
    checkpoint::save(&ck, &l.model, &l.tokenizer, &meta, None).unwrap();
    assert!(!is_hf_dir(&ck));
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(ck.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["tokenizer"]["special"],
        serde_json::json!({"bos": eos, "eos": eos, "pad": eos})
    );
    assert_eq!(config["model"]["n_kv_heads"], 2);
    assert_eq!(config["model"]["tie_embeddings"], true);
    let back = checkpoint::load(&ck, &Device::Cpu).unwrap();
    assert_eq!(back.meta, meta);
    let x = ids(2, 8, 300);
    assert_eq!(
        max_diff(&logits(&back.model, &x), &logits(&l.model, &x)),
        0.0
    );
    let (a, b) = (&back.tokenizer, &l.tokenizer);
    assert_eq!((a.bos(), a.eos(), a.pad()), (b.bos(), b.eos(), b.pad()));
    let s = "SELECT name FROM singer WHERE singer_id = 3;\n";
    assert_eq!(a.encode(s), b.encode(s));
    assert_eq!(a.decode(&[eos, 40, 41, eos]), b.decode(&[40, 41]));
}

#[test]
fn errors_name_the_file_and_the_key() {
    let d = tempfile::tempdir().unwrap();
    let cfg = qwen_cfg(320);
    let mut tensors = random_tensors(&cfg, 8);
    tensors.remove("model.layers.1.mlp.up_proj.weight");
    write_folder(d.path(), &cfg, &tensors, DType::F32);
    let err = |dir: &Path| format!("{:#}", checkpoint::load(dir, &Device::Cpu).err().unwrap());
    let e = err(d.path());
    assert!(
        e.contains("model.safetensors lacks model.layers.1.mlp.up_proj.weight"),
        "{e}"
    );

    let set = |k: &str, v: Value| {
        let p = d.path().join("config.json");
        let mut c: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        match v {
            Value::Null => {
                c.as_object_mut().unwrap().remove(k);
            }
            v => c[k] = v,
        }
        std::fs::write(&p, c.to_string()).unwrap();
    };
    set("num_attention_heads", Value::Null);
    let e = err(d.path());
    assert!(
        e.contains("config.json: num_attention_heads missing"),
        "{e}"
    );
    set("num_attention_heads", 4.into());
    set("model_type", "mistral".into());
    let e = err(d.path());
    assert!(
        e.contains("model_type mistral is not supported (qwen2, llama)"),
        "{e}"
    );
    set("model_type", "qwen2".into());
    set(
        "rope_scaling",
        serde_json::json!({"rope_type": "yarn", "factor": 4.0}),
    );
    assert!(err(d.path()).contains("rope_scaling"));
    set("rope_scaling", Value::Null);
    set("num_key_value_heads", 3.into());
    assert!(err(d.path()).contains("n_kv_heads 3"));
    set("num_key_value_heads", 2.into());
    std::fs::remove_file(d.path().join("tokenizer.json")).unwrap();
    assert!(err(d.path()).contains("tokenizer.json"));
}

#[test]
fn a_llama_folder_without_biases_or_tying_loads() {
    let d = tempfile::tempdir().unwrap();
    let cfg = ModelConfig {
        qkv_bias: false,
        tie_embeddings: false,
        ..qwen_cfg(320)
    };
    let tensors = random_tensors(&cfg, 9);
    write_folder(d.path(), &cfg, &tensors, DType::F16);
    let l = checkpoint::load(d.path(), &Device::Cpu).unwrap();
    assert!(!l.model.cfg.qkv_bias);
    assert!(!l.model.params().iter().any(|(n, _)| n.ends_with(".bias")));
    let direct = Model::from_tensors(&cfg, tensors, &Device::Cpu).unwrap();
    let x = ids(1, 6, 300);
    assert!(max_diff(&logits(&l.model, &x), &logits(&direct, &x)) < 0.05);
}

#[test]
fn our_default_model_is_unchanged() {
    let cfg = ModelConfig::default();
    let v = serde_json::to_value(&cfg).unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
        [
            "d_ff",
            "d_model",
            "max_seq_len",
            "n_heads",
            "n_layers",
            "norm_eps",
            "rope_theta",
            "vocab_size"
        ],
        "the new fields stay out of our configs"
    );
    let names: Vec<String> = param_shapes(&cfg).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 1 + 4 * 9 + 2);
    assert_eq!(names.last().unwrap(), "lm_head.weight");
    assert!(param_shapes(&cfg)
        .iter()
        .filter(|(n, _)| n.contains("self_attn"))
        .all(|(_, s)| s == &vec![256, 256]));
}

#[test]
fn transformers_5_rope_parameters_are_read() {
    let mut c = config_json(&qwen_cfg(320), 300);
    c.as_object_mut().unwrap().remove("rope_theta");
    c["rope_parameters"] = serde_json::json!({"rope_theta": 500000.0, "rope_type": "default"});
    c["max_position_embeddings"] = 1024.into();
    let hf = parse_config(&c.to_string(), None).unwrap();
    assert_eq!(hf.model.rope_theta, 500000.0);
    assert_eq!(hf.model.max_seq_len, 1024, "below the cap: kept");
    assert_eq!((hf.bos, hf.eos, hf.pad), (None, Some(300), None));
    c["rope_parameters"]["rope_type"] = "llama3".into();
    let e = parse_config(&c.to_string(), None).unwrap_err().to_string();
    assert!(
        e.contains("rope_parameters") && e.contains("not supported"),
        "{e}"
    );
    c.as_object_mut().unwrap().remove("rope_parameters");
    c["eos_token_id"] = serde_json::json!([7, 8]);
    assert_eq!(parse_config(&c.to_string(), None).unwrap().eos, Some(7));
}

/// Whether `dir` holds a Hugging Face model folder, as `checkpoint::load` decides it.
fn is_hf_dir(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| is_hf_config(&v))
}

#[test]
fn the_context_cap_is_a_load_option_checked_only_for_hf_folders() {
    use crate::train::checkpoint::{load_with, LoadOptions};
    let d = tempfile::tempdir().unwrap();
    let cfg = qwen_cfg(320);
    let hf = d.path().join("hf");
    write_folder(&hf, &cfg, &random_tensors(&cfg, 3), DType::F32);
    let opts = |v: &str| LoadOptions {
        hf_context: Some(v.to_string()),
    };
    let l = load_with(&hf, &Device::Cpu, &opts(" 24 ")).unwrap();
    assert_eq!(l.model.cfg.max_seq_len, 24);
    for bad in ["1", "lots", ""] {
        let e = load_with(&hf, &Device::Cpu, &opts(bad)).err().unwrap();
        assert_eq!(
            format!("{e:#}"),
            format!("SENSE_HF_CONTEXT must be a number of tokens (at least 2), got '{bad}'")
        );
    }
    // A sense checkpoint keeps its own context: the setting is not even read.
    let ck = d.path().join("ck");
    checkpoint::save(&ck, &l.model, &l.tokenizer, &l.meta, None).unwrap();
    let back = load_with(&ck, &Device::Cpu, &opts("lots")).unwrap();
    assert_eq!(back.model.cfg.max_seq_len, 24);
}
