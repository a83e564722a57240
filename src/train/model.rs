//! The decoder: Llama-style blocks (RMSNorm, rotary positions, SiLU-gated MLP, no biases),
//! built only from operations that candle can differentiate.
//!
//! Parameter names follow the Hugging Face Llama layout (`model.layers.0.self_attn.q_proj.weight`).
//! For Hugging Face Qwen2 / Llama weights (`hf.rs`) the config may also ask for grouped-query
//! attention (`n_kv_heads`), q/k/v biases (`qkv_bias`) and a head tied to the embedding
//! (`tie_embeddings`); our own default model uses none of them.

use super::config::ModelConfig;
use super::error::{bail, Context, Result};
use candle_core::{DType, Device, Tensor, Var, D};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::Arc;

/// The shared-prefix layout of every row of a packed batch (see `attention::RowSegments`).
pub type Segments = Arc<Vec<super::attention::RowSegments>>;

/// Additive mask value for positions a query may not see (finite: a row with nothing visible
/// stays a uniform, harmless distribution instead of NaN).
pub const MASKED: f32 = -1e9;

#[derive(Clone)]
struct Layer {
    attn_norm: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    o: Tensor,
    /// q|k|v biases (`qkv_bias`).
    bias: Option<QkvBias>,
    mlp_norm: Tensor,
    gate: Tensor,
    up: Tensor,
    down: Tensor,
}

#[derive(Clone)]
struct QkvBias {
    q: Tensor,
    k: Tensor,
    v: Tensor,
}

impl QkvBias {
    fn detach(&self) -> QkvBias {
        QkvBias {
            q: self.q.detach(),
            k: self.k.detach(),
            v: self.v.detach(),
        }
    }
}

/// Keys and values of the positions seen so far, per layer (generation), in buffers sized for
/// the model's context: a step writes its positions in place instead of copying the whole cache.
#[derive(Default)]
pub struct KvCache {
    layers: Vec<candle_nn::kv_cache::KvCache>,
}

impl KvCache {
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.current_seq_len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Model {
    pub cfg: ModelConfig,
    params: Vec<(String, Var)>,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    head: Tensor,
    cos: Tensor,
    sin: Tensor,
    rope: super::ops::Rope,
    attn: super::attention::CausalAttention,
    device: Device,
    /// Use the fused CPU kernels (`ops`); off = composite candle ops only (the baseline).
    pub fused: bool,
}

/// Names and shapes of every parameter, in a fixed order.
pub fn param_shapes(cfg: &ModelConfig) -> Vec<(String, Vec<usize>)> {
    let (d, f, v) = (cfg.d_model, cfg.d_ff, cfg.vocab_size);
    let kvd = cfg.kv_heads() * cfg.head_dim();
    let mut out = vec![("model.embed_tokens.weight".to_string(), vec![v, d])];
    for i in 0..cfg.n_layers {
        let p = format!("model.layers.{i}");
        out.push((format!("{p}.input_layernorm.weight"), vec![d]));
        for (n, rows) in [
            ("q_proj", d),
            ("k_proj", kvd),
            ("v_proj", kvd),
            ("o_proj", d),
        ] {
            out.push((format!("{p}.self_attn.{n}.weight"), vec![rows, d]));
        }
        if cfg.qkv_bias {
            for (n, rows) in [("q_proj", d), ("k_proj", kvd), ("v_proj", kvd)] {
                out.push((format!("{p}.self_attn.{n}.bias"), vec![rows]));
            }
        }
        out.push((format!("{p}.post_attention_layernorm.weight"), vec![d]));
        out.push((format!("{p}.mlp.gate_proj.weight"), vec![f, d]));
        out.push((format!("{p}.mlp.up_proj.weight"), vec![f, d]));
        out.push((format!("{p}.mlp.down_proj.weight"), vec![d, f]));
    }
    out.push(("model.norm.weight".to_string(), vec![d]));
    if !cfg.tie_embeddings {
        out.push(("lm_head.weight".to_string(), vec![v, d]));
    }
    out
}

fn normal(rng: &mut rand::rngs::StdRng, n: usize, std: f32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            // Box-Muller: seeded and reproducible, unlike candle's own randn.
            let u1: f32 = rng.random::<f32>().max(1e-12);
            let u2: f32 = rng.random::<f32>();
            std * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect()
}

impl Model {
    /// A freshly initialized model (normal(0, 0.02); residual outputs scaled by 1/sqrt(2L);
    /// biases zero).
    pub fn new(cfg: &ModelConfig, seed: u64, device: &Device) -> Result<Model> {
        cfg.validate()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let resid = 0.02 / (2.0 * cfg.n_layers as f32).sqrt();
        let mut tensors = HashMap::new();
        for (name, shape) in param_shapes(cfg) {
            let n: usize = shape.iter().product();
            let data = if name.ends_with("norm.weight") {
                vec![1.0f32; n]
            } else if name.ends_with(".bias") {
                vec![0.0f32; n]
            } else if name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight") {
                normal(&mut rng, n, resid)
            } else {
                normal(&mut rng, n, 0.02)
            };
            tensors.insert(name, Tensor::from_vec(data, shape, device)?);
        }
        Model::from_tensors(cfg, tensors, device)
    }

    /// A model from named tensors (a checkpoint); every parameter must be present with its
    /// shape (tensors the config does not name are ignored).
    pub fn from_tensors(
        cfg: &ModelConfig,
        mut tensors: HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<Model> {
        cfg.validate()?;
        let mut params = Vec::new();
        let mut by_name = HashMap::new();
        for (name, shape) in param_shapes(cfg) {
            let t = tensors
                .remove(&name)
                .with_context(|| format!("checkpoint lacks tensor {name}"))?;
            if t.dims() != shape.as_slice() {
                bail!(
                    "tensor {name} has shape {:?}, the config needs {:?}",
                    t.dims(),
                    shape
                );
            }
            let var = Var::from_tensor(&t.to_dtype(DType::F32)?.to_device(device)?)?;
            by_name.insert(name.clone(), var.as_tensor().clone());
            params.push((name, var));
        }
        let get = |n: &str| -> Result<Tensor> {
            by_name
                .get(n)
                .cloned()
                .with_context(|| format!("missing {n}"))
        };
        let mut layers = Vec::new();
        for i in 0..cfg.n_layers {
            let p = format!("model.layers.{i}");
            let bias = if cfg.qkv_bias {
                Some(QkvBias {
                    q: get(&format!("{p}.self_attn.q_proj.bias"))?,
                    k: get(&format!("{p}.self_attn.k_proj.bias"))?,
                    v: get(&format!("{p}.self_attn.v_proj.bias"))?,
                })
            } else {
                None
            };
            layers.push(Layer {
                attn_norm: get(&format!("{p}.input_layernorm.weight"))?,
                q: get(&format!("{p}.self_attn.q_proj.weight"))?,
                k: get(&format!("{p}.self_attn.k_proj.weight"))?,
                v: get(&format!("{p}.self_attn.v_proj.weight"))?,
                o: get(&format!("{p}.self_attn.o_proj.weight"))?,
                bias,
                mlp_norm: get(&format!("{p}.post_attention_layernorm.weight"))?,
                gate: get(&format!("{p}.mlp.gate_proj.weight"))?,
                up: get(&format!("{p}.mlp.up_proj.weight"))?,
                down: get(&format!("{p}.mlp.down_proj.weight"))?,
            });
        }
        let (cos_v, sin_v) = rope_tables(cfg);
        let half = cfg.head_dim() / 2;
        let cos = Tensor::from_vec(cos_v.clone(), (cfg.max_seq_len, half), device)?;
        let sin = Tensor::from_vec(sin_v.clone(), (cfg.max_seq_len, half), device)?;
        let (cos_v, sin_v) = (std::sync::Arc::new(cos_v), std::sync::Arc::new(sin_v));
        let rope = super::ops::Rope::new(cos_v.clone(), sin_v.clone(), half);
        let attn =
            super::attention::CausalAttention::new(cfg.n_heads, cfg.kv_heads(), cos_v, sin_v);
        let embed = get("model.embed_tokens.weight")?;
        // Tied: the head is the embedding's own tensor, so both uses add to one gradient.
        let head = if cfg.tie_embeddings {
            embed.clone()
        } else {
            get("lm_head.weight")?
        };
        Ok(Model {
            cfg: cfg.clone(),
            embed,
            norm: get("model.norm.weight")?,
            head,
            layers,
            params,
            cos,
            sin,
            rope,
            attn,
            fused: device.is_cpu(),
            device: device.clone(),
        })
    }

    /// A view sharing this model's weights (no copy) whose forward passes record no gradient
    /// graph: for scoring during training.
    pub fn detached(&self) -> Model {
        let d = |t: &Tensor| t.detach();
        let embed = d(&self.embed);
        Model {
            cfg: self.cfg.clone(),
            params: self.params.clone(),
            head: if self.cfg.tie_embeddings {
                embed.clone()
            } else {
                d(&self.head)
            },
            embed,
            layers: self
                .layers
                .iter()
                .map(|l| Layer {
                    attn_norm: d(&l.attn_norm),
                    q: d(&l.q),
                    k: d(&l.k),
                    v: d(&l.v),
                    o: d(&l.o),
                    bias: l.bias.as_ref().map(QkvBias::detach),
                    mlp_norm: d(&l.mlp_norm),
                    gate: d(&l.gate),
                    up: d(&l.up),
                    down: d(&l.down),
                })
                .collect(),
            norm: d(&self.norm),
            cos: self.cos.clone(),
            sin: self.sin.clone(),
            rope: self.rope.clone(),
            attn: self.attn.clone(),
            device: self.device.clone(),
            fused: self.fused,
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The trainable parameters, by name.
    pub fn params(&self) -> &[(String, Var)] {
        &self.params
    }

    pub fn num_params(&self) -> usize {
        self.params.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Current values by name (for saving).
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.params
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().detach()))
            .collect()
    }

    /// Logits `[B, T, V]` for token ids `[B, T]` (u32). `offset` is the position of the first
    /// token; `mask` is added to attention scores `[B or 1, 1, T, T_total]`; `cache` (if given)
    /// holds earlier keys and values and receives the new ones. Without a cache and at offset 0
    /// the mask must be the causal one (the fused kernel applies it itself).
    pub fn forward(
        &self,
        ids: &Tensor,
        offset: usize,
        mask: &Tensor,
        cache: Option<&mut KvCache>,
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let logits = linear(
            &self.hidden(ids, offset, Some(mask), cache, None, None)?,
            &self.head,
        )?;
        Ok(logits.reshape((b, t, self.cfg.vocab_size))?)
    }

    /// Logits `[B, V]` of the last position only, for generation over left-padded rows: row
    /// `b`'s real tokens start at position `starts[b]` (the head over every prompt position
    /// would cost more than the rest of the prefill at larger vocabularies).
    pub fn forward_last(
        &self,
        ids: &Tensor,
        offset: usize,
        cache: &mut KvCache,
        starts: &[usize],
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let h = self.hidden(ids, offset, None, Some(cache), Some(starts), None)?;
        let last = h
            .reshape((b, t, self.cfg.d_model))?
            .narrow(1, t - 1, 1)?
            .squeeze(1)?;
        linear(&last, &self.head)
    }

    /// Whether training and prefills run the fused attention kernel (one packed q|k|v, with
    /// or without grouped-query attention).
    fn prefills_fused(&self) -> bool {
        self.fused
    }

    /// The final normalized hidden states, `[B*T, D]`. Activations stay two-dimensional:
    /// every reshape is a node of the gradient graph, and candle's backward pays a zeroed
    /// buffer and an addition for each one.
    /// `mask` (when not given, the causal one over `starts`' padding) is built only for the
    /// composite attention path; the fused kernels take the padding as `starts`. `segments`:
    /// rows packed with shared prefixes (training on the fused path only).
    fn hidden(
        &self,
        ids: &Tensor,
        offset: usize,
        mask: Option<&Tensor>,
        mut cache: Option<&mut KvCache>,
        starts: Option<&[usize]>,
        segments: Option<&Segments>,
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        if offset + t > self.cfg.max_seq_len {
            bail!(
                "sequence of {} tokens exceeds the model's context of {}",
                offset + t,
                self.cfg.max_seq_len
            );
        }
        let mut x = self.embed.index_select(&ids.flatten_all()?, 0)?;
        let cos = self.cos.narrow(0, offset, t)?;
        let sin = self.sin.narrow(0, offset, t)?;
        if let Some(c) = cache.as_deref_mut() {
            let max = self.cfg.max_seq_len;
            c.layers.resize_with(self.layers.len(), || {
                candle_nn::kv_cache::KvCache::new(2, max)
            });
        }
        let eps = self.cfg.norm_eps;
        let fused = self.prefills_fused() && offset == 0 && (cache.is_none() || starts.is_some());
        if segments.is_some() && (!fused || cache.is_some() || starts.is_some()) {
            bail!("packed sequences are trained on the fused kernels only, without a cache");
        }
        // One new position per row against the cache: the decoding kernel, which reads the
        // padding from `starts`.
        let decode_starts = starts.filter(|_| self.fused && t == 1 && cache.is_some());
        let built;
        let mask = match mask {
            None if !fused && decode_starts.is_none() => {
                built = padded_causal_mask(t, offset, starts, &self.device)?;
                Some(&built)
            }
            m => m,
        };
        let rms_norm = |x: &Tensor, w: &Tensor| -> Result<Tensor> {
            if self.fused {
                Ok(super::ops::rms_norm(x, w, eps)?)
            } else {
                rms_norm_composite(x, w, eps)
            }
        };
        for (i, l) in self.layers.iter().enumerate() {
            let h = rms_norm(&x, &l.attn_norm)?;
            let a = if fused {
                // One projection and one fused kernel (training, and generation's prefill).
                let mut qkv = linear(&h, &Tensor::cat(&[&l.q, &l.k, &l.v], 0)?)?;
                if let Some(bias) = &l.bias {
                    qkv = qkv.broadcast_add(&Tensor::cat(&[&bias.q, &bias.k, &bias.v], 0)?)?;
                }
                if let Some(c) = cache.as_deref_mut() {
                    // Prefill: the cache takes rotated keys and values as the composite path
                    // stores them.
                    // Keys then values, kv_heads each, after the queries.
                    let (kvh, hd) = (self.cfg.kv_heads(), self.cfg.head_dim());
                    let heads = |at: usize| -> Result<Tensor> {
                        Ok(qkv
                            .narrow(1, at, kvh * hd)?
                            .reshape((b, t, kvh, hd))?
                            .transpose(1, 2)?
                            .contiguous()?
                            .detach())
                    };
                    let d = self.cfg.d_model;
                    let k = self.rope.apply(&heads(d)?, 0)?;
                    c.layers[i].append(&k, &heads(d + kvh * hd)?)?;
                }
                let y = match (starts, segments) {
                    (Some(s), _) => self.attn.apply_padded(&qkv, t, s)?,
                    (None, Some(rows)) => self.attn.apply_segmented(&qkv, t, rows.clone())?,
                    (None, None) => self.attn.apply(&qkv, t)?,
                };
                linear(&y, &l.o)?
            } else {
                let slot = cache.as_deref_mut().map(|c| &mut c.layers[i]);
                self.attention(&h, l, &cos, &sin, mask, slot, b, t, offset, decode_starts)?
            };
            x = (x + a)?;
            let h = rms_norm(&x, &l.mlp_norm)?;
            let m = if self.fused {
                let gu = linear(&h, &Tensor::cat(&[&l.gate, &l.up], 0)?)?;
                linear(&super::ops::swiglu(&gu)?, &l.down)?
            } else {
                let g = linear(&h, &l.gate)?;
                let u = linear(&h, &l.up)?;
                linear(&(g.silu()? * u)?, &l.down)?
            };
            x = (x + m)?;
        }
        rms_norm(&x, &self.norm)
    }

    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        x: &Tensor,
        l: &Layer,
        cos: &Tensor,
        sin: &Tensor,
        mask: Option<&Tensor>,
        slot: Option<&mut candle_nn::kv_cache::KvCache>,
        b: usize,
        t: usize,
        offset: usize,
        decode_starts: Option<&[usize]>,
    ) -> Result<Tensor> {
        let (h, hd) = (self.cfg.n_heads, self.cfg.head_dim());
        let kvh = self.cfg.kv_heads();
        let split = |w: &Tensor, bias: Option<&Tensor>, heads: usize| -> Result<Tensor> {
            let mut y = linear(x, w)?;
            if let Some(bias) = bias {
                y = y.broadcast_add(bias)?;
            }
            Ok(y.reshape((b, t, heads, hd))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let bias = l.bias.as_ref();
        let rope = |x: Tensor| -> Result<Tensor> {
            if self.fused {
                Ok(self.rope.apply(&x, offset)?)
            } else {
                Ok(candle_nn::rotary_emb::rope_slow(&x, cos, sin)?)
            }
        };
        let q = rope(split(&l.q, bias.map(|b| &b.q), h)?)?;
        let mut k = rope(split(&l.k, bias.map(|b| &b.k), kvh)?)?;
        let mut v = split(&l.v, bias.map(|b| &b.v), kvh)?;
        let scale = 1.0 / (hd as f64).sqrt();
        if let Some(slot) = slot {
            // Detached: the cache must not chain every earlier step's graph. It holds the
            // kv heads only; they are repeated for the query heads below.
            (k, v) = slot.append(&k.detach(), &v.detach())?;
            if let Some(starts) = decode_starts {
                let y = super::decode::decode_attention(&q, &k, &v, starts, scale)?;
                return linear(&y, &l.o);
            }
        }
        if kvh != h {
            (k, v) = (repeat_kv(&k, h / kvh)?, repeat_kv(&v, h / kvh)?);
        }
        let scores = q.matmul(&k.t()?)?;
        let mask = mask.context("the composite attention path needs a mask")?;
        let att = candle_nn::ops::softmax(&(scores * scale)?.broadcast_add(mask)?, D::Minus1)?;
        let y = att.matmul(&v)?.transpose(1, 2)?.reshape((b * t, h * hd))?;
        linear(&y, &l.o)
    }

    /// Log-probability of each target `[B, T]` after inputs `[B, T]` under a causal mask
    /// (training and scoring).
    pub fn target_logps(&self, ids: &Tensor, targets: &Tensor) -> Result<Tensor> {
        if !self.fused {
            return token_logps(&self.forward_train(ids)?, targets);
        }
        let (b, t) = ids.dims2()?;
        let logits = linear(&self.hidden(ids, 0, None, None, None, None)?, &self.head)?;
        let lp = super::ops::target_logps(&logits, &targets.flatten_all()?)?;
        Ok(lp.reshape((b, t))?)
    }

    /// Log-probabilities of the targets at the flattened positions `at` (`[N]` u32 indices
    /// into the `B*T` positions) only: SFT's completion tokens. The output head and its
    /// softmax, the largest cost of a small model over a big vocabulary, skip every other
    /// position. Equals `target_logps(..)` flattened and indexed by `at`. `segments`: rows
    /// packed with shared prefixes (fused path only).
    pub fn target_logps_at(
        &self,
        ids: &Tensor,
        targets: &Tensor,
        at: &Tensor,
        segments: Option<&Segments>,
    ) -> Result<Tensor> {
        if !self.fused && segments.is_none() {
            let lp = token_logps(&self.forward_train(ids)?, targets)?;
            return Ok(lp.flatten_all()?.index_select(at, 0)?);
        }
        let h = self
            .hidden(ids, 0, None, None, None, segments)?
            .index_select(at, 0)?;
        let logits = linear(&h, &self.head)?;
        let targets = targets.flatten_all()?.index_select(at, 0)?;
        Ok(super::ops::target_logps(&logits, &targets)?)
    }

    /// Logits for a right-padded batch under a causal mask (training and scoring).
    pub fn forward_train(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let logits = linear(&self.hidden(ids, 0, None, None, None, None)?, &self.head)?;
        Ok(logits.reshape((b, t, self.cfg.vocab_size))?)
    }
}

/// `[B, KV, T, HD]` → `[B, KV*n, T, HD]`, each kv head repeated for `n` consecutive query
/// heads (the Hugging Face `repeat_kv`).
fn repeat_kv(x: &Tensor, n: usize) -> Result<Tensor> {
    let (b, kv, t, hd) = x.dims4()?;
    Ok(x.unsqueeze(2)?
        .broadcast_as((b, kv, n, t, hd))?
        .contiguous()?
        .reshape((b, kv * n, t, hd))?)
}

/// `x @ w^T` for `x [.., in]` and `w [out, in]`.
fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if x.rank() == 2 {
        return Ok(x.matmul(&w.t()?)?);
    }
    let dims = x.dims().to_vec();
    let (rows, inner) = (
        dims[..dims.len() - 1].iter().product::<usize>(),
        dims[dims.len() - 1],
    );
    let y = x.reshape((rows, inner))?.matmul(&w.t()?)?;
    let mut out = dims;
    let last = out.len() - 1;
    out[last] = w.dim(0)?;
    Ok(y.reshape(out)?)
}

/// RMSNorm from differentiable primitives (candle's fused `rms_norm` records no gradient).
pub fn rms_norm_composite(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
    let r = (ms + eps)?.sqrt()?.recip()?;
    Ok(x.broadcast_mul(&r)?.broadcast_mul(w)?)
}

fn rope_tables(cfg: &ModelConfig) -> (Vec<f32>, Vec<f32>) {
    let half = cfg.head_dim() / 2;
    let inv: Vec<f32> = (0..half)
        .map(|i| 1.0 / (cfg.rope_theta.powf(2.0 * i as f64 / cfg.head_dim() as f64)) as f32)
        .collect();
    let mut cos = Vec::with_capacity(cfg.max_seq_len * half);
    let mut sin = Vec::with_capacity(cfg.max_seq_len * half);
    for p in 0..cfg.max_seq_len {
        for f in &inv {
            let a = p as f32 * f;
            cos.push(a.cos());
            sin.push(a.sin());
        }
    }
    (cos, sin)
}

/// `[1, 1, T, T]`: 0 on and below the diagonal, `MASKED` above.
pub fn causal_mask(t: usize, device: &Device) -> Result<Tensor> {
    padded_causal_mask(t, 0, None, device)
}

/// `[B or 1, 1, T, offset + T]` for `T` queries at positions `offset..`: query `q` sees keys
/// `starts[b]..=offset + q` (all rows start at 0 without `starts`).
pub fn padded_causal_mask(
    t: usize,
    offset: usize,
    starts: Option<&[usize]>,
    device: &Device,
) -> Result<Tensor> {
    let rows = starts.unwrap_or(&[0]);
    let total = offset + t;
    let m: Vec<f32> = rows
        .iter()
        .flat_map(|&s| {
            (0..t).flat_map(move |q| {
                (0..total).map(move |k| {
                    if s <= k && k <= offset + q {
                        0.0
                    } else {
                        MASKED
                    }
                })
            })
        })
        .collect();
    Ok(Tensor::from_vec(m, (rows.len(), 1, t, total), device)?)
}

/// Log-probability of each target token: `[B, T]` from logits `[B, T, V]` and targets `[B, T]`.
pub fn token_logps(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let lp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    Ok(lp.gather(&targets.unsqueeze(2)?, 2)?.squeeze(2)?)
}
