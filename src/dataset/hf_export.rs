//! `sense export hf CKPT DIR`: a checkpoint as a Hugging Face model folder that transformers and
//! vLLM load: `config.json` (Llama, or Qwen2 when q/k/v have biases), `model.safetensors`
//! (our parameter names are already Hugging Face's), `tokenizer.json`, `tokenizer_config.json`
//! with the special tokens and a chat template that writes the prompt exactly as training did,
//! `generation_config.json`, and a model card.

use super::DatasetError;
use crate::atomic::write_atomic;
use crate::train::checkpoint::Loaded;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The chat template of an exported model: `<bos>` + the user message (the schema prompt) +
/// the assistant's SQL + `<eos>`, which is how sense trains and generates.
pub const CHAT_TEMPLATE: &str = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ message['content'] }}{% elif message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}{% endif %}{% endfor %}";

#[derive(Debug, Clone, PartialEq)]
pub struct HfExport {
    pub dir: PathBuf,
    pub model_type: &'static str,
    pub files: Vec<String>,
}

fn err(path: &Path, e: impl std::fmt::Display) -> DatasetError {
    DatasetError::file(path, e)
}

/// Writes `loaded` (a sense checkpoint) into `out` as a Hugging Face folder. `card_extra` is
/// appended to the model card (data counts, runs, evaluations).
pub fn export_hf(loaded: &Loaded, out: &Path, card_extra: &str) -> Result<HfExport, DatasetError> {
    let tok = &loaded.tokenizer;
    let name = |id: u32| tok.token_text(id);
    let (Some(bos), Some(eos), Some(pad)) = (name(tok.bos()), name(tok.eos()), name(tok.pad()))
    else {
        return Err(err(
            &loaded.dir,
            "a byte-tokenizer checkpoint has no Hugging Face tokenizer to go with it: train with \
             --tokenizer bpe (or from a Hugging Face model) to export it",
        ));
    };
    std::fs::create_dir_all(out).map_err(|e| err(out, e))?;
    let cfg = &loaded.model.cfg;
    let (model_type, arch) = if cfg.qkv_bias {
        ("qwen2", "Qwen2ForCausalLM")
    } else {
        ("llama", "LlamaForCausalLM")
    };
    let mut config = json!({
        "architectures": [arch],
        "model_type": model_type,
        "hidden_size": cfg.d_model,
        "intermediate_size": cfg.d_ff,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.kv_heads(),
        "num_hidden_layers": cfg.n_layers,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_seq_len,
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "hidden_act": "silu",
        "tie_word_embeddings": cfg.tie_embeddings,
        "bos_token_id": tok.bos(),
        "eos_token_id": tok.eos(),
        "pad_token_id": tok.pad(),
        "torch_dtype": "float32",
        "use_cache": true,
    });
    if model_type == "llama" {
        config["attention_bias"] = json!(false);
        config["mlp_bias"] = json!(false);
    }
    let write = |file: &str, bytes: &[u8]| -> Result<String, DatasetError> {
        let p = out.join(file);
        write_atomic(&p, bytes).map_err(|e| err(&p, e))?;
        Ok(file.to_string())
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut files = vec![write("config.json", pretty(&config).as_bytes())?];
    let weights = out.join("model.safetensors");
    let tmp = out.join("model.safetensors.sense-tmp");
    candle_core::safetensors::save(&loaded.model.tensors(), &tmp).map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, &weights).map_err(|e| err(&weights, e))?;
    files.push("model.safetensors".into());
    let tok_json = tok.to_json().map_err(|e| err(out, e))?;
    files.push(write("tokenizer.json", tok_json.as_bytes())?);
    files.push(write(
        "tokenizer_config.json",
        pretty(&json!({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": bos,
            "eos_token": eos,
            "pad_token": pad,
            "add_bos_token": false,
            "add_eos_token": false,
            "model_max_length": cfg.max_seq_len,
            // A run trained from an Instruct model was prompted with that model's template.
            "chat_template": tok.chat_template().map_or(CHAT_TEMPLATE, |t| t.source()),
        }))
        .as_bytes(),
    )?);
    files.push(write(
        "generation_config.json",
        pretty(&json!({
            "bos_token_id": tok.bos(),
            "eos_token_id": tok.eos(),
            "pad_token_id": tok.pad(),
            "max_new_tokens": 256,
            "do_sample": false,
        }))
        .as_bytes(),
    )?);
    let card = format!(
        "---\nlibrary_name: transformers\npipeline_tag: text-generation\ntags:\n- text-to-sql\n- sense\n---\n\
         # {name}\n\nA text-to-SQL model trained with sense ({kind}, step {step}): a {model_type} decoder, \
         {layers} layers, hidden size {d}, {heads} heads, context {ctx}, vocabulary {vocab}.\n\n\
         The prompt is sense's schema prompt (prompt version {pv}) as the user message; the answer is \
         the SQL followed by `;` and a newline. The chat template writes exactly that.\n\n\
         ```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\
         tok = AutoTokenizer.from_pretrained(\"{dir}\")\n\
         model = AutoModelForCausalLM.from_pretrained(\"{dir}\")\n\
         ids = tok.apply_chat_template([{{\"role\": \"user\", \"content\": prompt}}], return_tensors=\"pt\")\n\
         print(tok.decode(model.generate(ids, max_new_tokens=128)[0][ids.shape[1]:]))\n```\n\n{card_extra}\n",
        name = out.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        kind = loaded.meta.kind.as_deref().unwrap_or("run"),
        step = loaded.meta.step,
        layers = cfg.n_layers,
        d = cfg.d_model,
        heads = cfg.n_heads,
        ctx = cfg.max_seq_len,
        vocab = cfg.vocab_size,
        pv = loaded.meta.prompt_version,
        dir = out.display(),
    );
    files.push(write("README.md", card.as_bytes())?);
    Ok(HfExport {
        dir: out.to_path_buf(),
        model_type,
        files,
    })
}
