//! Batched generation with a KV cache: greedy or temperature + top-p sampling, stopping at the
//! end of the SQL (end token, or `;` then a newline).

use super::chat_template::ChatTemplateError;
use super::conversation::conversation_ids;
use super::data::encode_prompt;
use super::error::Result;
use super::model::{KvCache, Model};
use super::schema_bound::{Check, Names};
use super::tokenizer::Tokenizer;
use crate::llm::Message;
use candle_core::Tensor;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenOptions {
    pub max_new_tokens: usize,
    /// 0 = greedy.
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u64,
    /// Stop a row at the end token or at `;` + newline (off only for benchmarks).
    pub stop_at_end: bool,
    /// Keep identifiers to the prompt's schema (`schema_bound`) where the prompt is one sense
    /// wrote and the model reads it plain (sense's own checkpoints, not chat-templated ones).
    pub schema_bound: bool,
    /// Schema-bound decoding adds this to the logit of a token that spells (part of) a table or
    /// column the prompt's links line names: a model that has not learned to copy an unfamiliar
    /// name still writes the one the question mentions. `LINK_BIAS` by default (evaluation,
    /// greedy and best-of-K alike); a local model's samples go without (`local.rs`).
    pub link_bias: f32,
}

/// Chosen on held-out databases with names from outside the vocabulary (`synth databases
/// --fresh-names`), on a recipe's SFT checkpoint, greedy: 0 → 99, 1 → 103, 2 → 108, 3 → 109,
/// 4 → 107 of 240 right.
pub const LINK_BIAS: f32 = 3.0;

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            max_new_tokens: 256,
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
            stop_at_end: true,
            schema_bound: true,
            link_bias: LINK_BIAS,
        }
    }
}

/// Room kept for the completion when a prompt does not fit the context whole: training cut such
/// prompts to leave room for their gold SQL, and a typical completion is well under this.
pub const CUT_PROMPT_ROOM: usize = 64;

/// How many tokens (BOS included) of a prompt generation keeps: the end that leaves room for
/// `min(max_new, CUT_PROMPT_ROOM)` new tokens (at most half the context). So a prompt that
/// leaves `CUT_PROMPT_ROOM` is never cut, whatever `max_new` is, and the model sees what it saw
/// in training; generation then runs until the context is full or `max_new` is reached.
pub fn prompt_keep(ctx: usize, max_new: usize) -> usize {
    let room = max_new.min(CUT_PROMPT_ROOM).min(ctx / 2).max(1);
    ctx.saturating_sub(room).max(1)
}

/// The tokens generation feeds for a prompt: as training encodes it (BOS and the prompt, or the
/// chat template's text), its end as far as `prompt_keep` allows.
pub fn prompt_ids(
    tok: &Tokenizer,
    prompt: &str,
    ctx: usize,
    max_new: usize,
) -> Result<Vec<u32>, ChatTemplateError> {
    encode_prompt(tok, prompt, prompt_keep(ctx, max_new))
}

/// Whether a completion is finished: its text has reached `;` and a newline. Decided on the
/// decoded text of the last two tokens (the earlier ones were checked at their own step), so it
/// holds for any tokenizer: a BPE may emit `;` and the newline as one token or glue the `;` to
/// a quote.
pub fn ends_sql(tok: &Tokenizer, out: &[u32]) -> bool {
    let tail = &out[out.len().saturating_sub(2)..];
    tok.decode(tail).contains(";\n")
}

/// Picks a token from logits: argmax when `temperature <= 0`, else nucleus sampling.
pub fn pick(logits: &[f32], temperature: f32, top_p: f32, rng: &mut impl Rng) -> u32 {
    if temperature <= 0.0 {
        return argmax(logits);
    }
    let probs = nucleus(logits, temperature, top_p);
    probs[draw(&probs, rng)].0 as u32
}

fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// The likeliest tokens holding `top_p` of the probability at `temperature` (at least one),
/// with their unnormalized probabilities.
fn nucleus(logits: &[f32], temperature: f32, top_p: f32) -> Vec<(usize, f32)> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut probs: Vec<(usize, f32)> = logits
        .iter()
        .enumerate()
        .map(|(i, &v)| (i, ((v - max) / temperature).exp()))
        .collect();
    let total: f32 = probs.iter().map(|p| p.1).sum();
    probs.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut kept = 0.0;
    let mut cut = probs.len();
    for (i, p) in probs.iter().enumerate() {
        kept += p.1 / total;
        if kept >= top_p {
            cut = i + 1;
            break;
        }
    }
    probs.truncate(cut.max(1));
    probs
}

/// The index in `probs` (not empty) of a draw in proportion to the probabilities.
fn draw(probs: &[(usize, f32)], rng: &mut impl Rng) -> usize {
    let mass: f32 = probs.iter().map(|p| p.1).sum();
    let mut r = rng.random::<f32>() * mass;
    for (k, p) in probs.iter().enumerate() {
        r -= p.1;
        if r <= 0.0 {
            return k;
        }
    }
    probs.len() - 1
}

/// Draws `pick_bound` makes before it scans candidates by likelihood, and how many it scans
/// before the model's own choice stands.
const BOUND_TRIES: usize = 16;
const BOUND_SCAN: usize = 4096;

/// `pick`, passing over tokens that would spell an identifier out of place after the text a
/// row's `check` has taken (the end token too, while a name is half spelled): first by
/// drawing again from the nucleus without them, then by taking the likeliest allowed token.
/// `pieces` caches each token's text.
fn pick_bound(
    logits: &[f32],
    opts: &GenOptions,
    rng: &mut impl Rng,
    tok: &Tokenizer,
    check: &Check,
    pieces: &mut HashMap<u32, String>,
) -> u32 {
    let bias = opts.link_bias;
    let biased: Vec<f32>;
    let logits = if bias > 0.0 {
        biased = logits
            .iter()
            .enumerate()
            .map(|(t, &l)| {
                let piece = pieces
                    .entry(t as u32)
                    .or_insert_with(|| tok.decode(&[t as u32]));
                if check.spells_link(piece) {
                    l + bias
                } else {
                    l
                }
            })
            .collect();
        &biased[..]
    } else {
        logits
    };
    let mut allowed = |t: u32| {
        if t == tok.eos() {
            return check.ok(true);
        }
        let piece = pieces.entry(t).or_insert_with(|| tok.decode(&[t]));
        // A token that writes nothing (padding, a special token) is no SQL.
        if piece.is_empty() {
            return false;
        }
        let mut c = check.clone();
        match piece.find(';') {
            Some(end) => c.feed(&piece[..end]) && c.ok(true),
            None => c.feed(piece) && c.ok(false),
        }
    };
    // The model's own pick, then (sampling) draws again from its nucleus without the refused.
    if opts.temperature <= 0.0 {
        let t = argmax(logits);
        if allowed(t) {
            return t;
        }
    } else {
        let mut probs = nucleus(logits, opts.temperature, opts.top_p);
        for _ in 0..BOUND_TRIES {
            if probs.is_empty() {
                break;
            }
            let k = draw(&probs, rng);
            let t = probs[k].0 as u32;
            if allowed(t) {
                return t;
            }
            probs.swap_remove(k);
        }
    }
    let mut order: Vec<u32> = (0..logits.len() as u32).collect();
    order.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
    order
        .into_iter()
        .take(BOUND_SCAN)
        .find(|&t| allowed(t))
        .unwrap_or_else(|| pick(logits, opts.temperature, opts.top_p, rng))
}

/// A row's check after its completion so far: None once the SQL has ended (`;`) or left the
/// schema's names (the model's own choice stood), after which the row runs free.
fn check_after<'a>(names: &'a Names, tok: &Tokenizer, out: &[u32]) -> Option<Check<'a>> {
    let text = tok.decode(out);
    let mut c = names.check();
    (!text.contains(';') && c.feed(&text)).then_some(c)
}

/// Completes each prompt (prompts left-padded into one batch; row `i` samples with seed
/// `opts.seed + i`). Stops early when `cancel` is set (rows return what they have so far).
pub fn generate(
    model: &Model,
    tok: &Tokenizer,
    prompts: &[String],
    opts: &GenOptions,
    cancel: &AtomicBool,
) -> Result<Vec<String>> {
    let chats: Vec<Vec<Message>> = prompts.iter().map(|p| vec![Message::user(p)]).collect();
    generate_chats(model, tok, &chats, opts, cancel)
}

/// `generate` for whole conversations, each read as `conversation::conversation_ids` writes it.
pub fn generate_chats(
    model: &Model,
    tok: &Tokenizer,
    chats: &[Vec<Message>],
    opts: &GenOptions,
    cancel: &AtomicBool,
) -> Result<Vec<String>> {
    if chats.is_empty() {
        return Ok(Vec::new());
    }
    let dev = model.device().clone();
    let ctx = model.cfg.max_seq_len;
    let keep = prompt_keep(ctx, opts.max_new_tokens);
    let encoded: Vec<Vec<u32>> = chats
        .iter()
        .map(|m| conversation_ids(tok, m, keep).map(|(ids, _)| ids))
        .collect::<Result<_, _>>()?;
    let len = encoded.iter().map(Vec::len).max().unwrap_or(1);
    // The longest prompt bounds the steps: every row's positions must stay inside the context.
    let max_new = opts.max_new_tokens.min(ctx - len).max(1);
    let b = encoded.len();
    // Left padding: row i's real tokens start at pad_i; rotary positions are relative, so
    // shifting a row does not change its attention scores.
    let mut starts = vec![0; b];
    let mut ids = vec![tok.pad(); b * len];
    for (i, e) in encoded.iter().enumerate() {
        starts[i] = len - e.len();
        ids[i * len + starts[i]..(i + 1) * len].copy_from_slice(e);
    }
    let mut cache = KvCache::default();
    let input = Tensor::from_vec(ids, (b, len), &dev)?;
    let logits = model.forward_last(&input, 0, &mut cache, &starts)?;
    let mut last: Vec<Vec<f32>> = logits.to_vec2()?;
    let mut rngs: Vec<rand::rngs::StdRng> = (0..b)
        .map(|i| rand::rngs::StdRng::seed_from_u64(opts.seed.wrapping_add(i as u64)))
        .collect();
    let bounds: Vec<Option<Names>> = chats
        .iter()
        .map(|m| {
            (opts.schema_bound && tok.chat_template().is_none())
                .then(|| Names::of_prompt(&Message::plain_text(m)))
                .flatten()
        })
        .collect();
    let mut checks: Vec<Option<Check>> = bounds
        .iter()
        .map(|n| n.as_ref().map(Names::check))
        .collect();
    let mut pieces = HashMap::new();
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); b];
    let mut done = vec![false; b];
    for step in 0..max_new {
        let mut next = vec![tok.pad(); b];
        for i in 0..b {
            if done[i] {
                continue;
            }
            let t = match &checks[i] {
                Some(c) => pick_bound(&last[i], opts, &mut rngs[i], tok, c, &mut pieces),
                None => pick(&last[i], opts.temperature, opts.top_p, &mut rngs[i]),
            };
            if t == tok.eos() && opts.stop_at_end {
                done[i] = true;
            } else {
                out[i].push(t);
                next[i] = t;
                if checks[i].is_some() {
                    checks[i] = bounds[i]
                        .as_ref()
                        .and_then(|n| check_after(n, tok, &out[i]));
                }
                if opts.stop_at_end && ends_sql(tok, &out[i]) {
                    done[i] = true;
                }
            }
        }
        if done.iter().all(|d| *d) || step + 1 == max_new || cancel.load(Ordering::Relaxed) {
            break;
        }
        let input = Tensor::from_vec(next, (b, 1), &dev)?;
        let logits = model.forward_last(&input, len + step, &mut cache, &starts)?;
        last = logits.to_vec2()?;
    }
    Ok(out.iter().map(|o| tok.decode(o)).collect())
}

/// Completions of a prompt without a cache: the reference the cached path must match (tests).
pub fn greedy_uncached(
    model: &Model,
    tok: &Tokenizer,
    prompt: &str,
    max_new: usize,
) -> Result<String> {
    let ctx = model.cfg.max_seq_len;
    let mut ids = prompt_ids(tok, prompt, ctx, max_new)?;
    let mut out = Vec::new();
    for _ in 0..max_new.min(ctx - ids.len()) {
        let t = ids.len();
        let input = Tensor::from_vec(ids.clone(), (1, t), model.device())?;
        let logits = model.forward_train(&input)?;
        let last: Vec<f32> = logits.squeeze(0)?.get(t - 1)?.to_vec1()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let next = pick(&last, 0.0, 1.0, &mut rng);
        if next == tok.eos() {
            break;
        }
        out.push(next);
        ids.push(next);
        if ends_sql(tok, &out) {
            break;
        }
    }
    Ok(tok.decode(&out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::config::ModelConfig;
    use crate::train::model::MASKED;
    use crate::train::ops::assert_close;
    use candle_core::Device;

    /// The name the links line gives wins over a likelier one the schema also has, unless the
    /// model prefers the other by more than the bias.
    #[test]
    fn schema_bound_picks_favour_the_names_the_links_line_gives() {
        let tok = Tokenizer::Byte;
        let prompt = "-- SQLite database schema:\nparts(part_id PK)\nplanes(plane_id PK)\n\
                      -- Question: How many parts are there?\n-- Links: parts\n-- SQL:\n";
        let names = Names::of_prompt(prompt).unwrap();
        let mut check = names.check();
        assert!(check.feed("SELECT COUNT(*) FROM p"));
        let mut logits = vec![-20f32; tok.vocab_size()];
        logits[usize::from(b'l')] = 1.0;
        logits[usize::from(b'a')] = 0.0;
        let pick = |logits: &[f32], link_bias: f32| {
            let opts = GenOptions {
                temperature: 0.0,
                link_bias,
                ..GenOptions::default()
            };
            let mut rng = rand::rngs::StdRng::seed_from_u64(0);
            pick_bound(logits, &opts, &mut rng, &tok, &check, &mut HashMap::new())
        };
        assert_eq!(
            pick(&logits, 0.0),
            u32::from(b'l'),
            "planes, the model's pick"
        );
        assert_eq!(
            pick(&logits, LINK_BIAS),
            u32::from(b'a'),
            "parts, the linked name"
        );
        logits[usize::from(b'l')] = LINK_BIAS + 1.0;
        assert_eq!(pick(&logits, LINK_BIAS), u32::from(b'l'));
    }

    /// Prefill of left-padded prompts and the next decoding step: the fused kernels with
    /// `starts` give the logits and the cache that the composite path with a mask gives, with
    /// and without grouped-query attention.
    #[test]
    fn fused_padded_prefill_and_decode_match_the_masked_composite_ones() {
        for kv in [None, Some(2)] {
            prefill_and_decode_match(kv);
        }
    }

    fn prefill_and_decode_match(n_kv_heads: Option<usize>) {
        let dev = Device::Cpu;
        let cfg = ModelConfig {
            d_model: 32,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads,
            d_ff: 48,
            max_seq_len: 160,
            ..ModelConfig::default()
        };
        let mut model = Model::new(&cfg, 5, &dev).unwrap();
        // Lengths across the kernel's 64-row blocks; row 1 is all padding but one token.
        let (b, len) = (3, 150);
        let starts = [0usize, 149, 70];
        let ids: Vec<u32> = (0..b * len).map(|i| (i * 37 % 250) as u32).collect();
        let mut mask = vec![0f32; b * len * len];
        for (r, &s) in starts.iter().enumerate() {
            for q in 0..len {
                for k in 0..len {
                    if k > q || k < s {
                        mask[(r * len + q) * len + k] = MASKED;
                    }
                }
            }
        }
        let ids = Tensor::from_vec(ids, (b, len), &dev).unwrap();
        let mask = Tensor::from_vec(mask, (b, 1, len, len), &dev).unwrap();
        let step = Tensor::new(&[[7u32], [8], [9]], &dev).unwrap();
        let mut step_mask = vec![0f32; b * (len + 1)];
        for (r, &s) in starts.iter().enumerate() {
            step_mask[r * (len + 1)..r * (len + 1) + s].fill(MASKED);
        }
        let step_mask = Tensor::from_vec(step_mask, (b, 1, 1, len + 1), &dev).unwrap();
        // The reference: the composite path with the masks written out above.
        model.fused = false;
        let mut cache = KvCache::default();
        let last = |logits: Tensor| {
            logits
                .narrow(1, logits.dim(1).unwrap() - 1, 1)
                .unwrap()
                .squeeze(1)
                .unwrap()
        };
        let c1 = last(model.forward(&ids, 0, &mask, Some(&mut cache)).unwrap());
        let c2 = last(
            model
                .forward(&step, len, &step_mask, Some(&mut cache))
                .unwrap(),
        );
        // Generation's entry point, on the composite path (masks derived from `starts`) and on
        // the fused kernels.
        let mut run = |fused: bool| {
            model.fused = fused;
            let mut cache = KvCache::default();
            let first = model.forward_last(&ids, 0, &mut cache, &starts).unwrap();
            let next = model.forward_last(&step, len, &mut cache, &starts).unwrap();
            (first, next)
        };
        let (d1, d2) = run(false);
        assert_close(&d1, &c1, 1e-5);
        assert_close(&d2, &c2, 1e-5);
        let (f1, f2) = run(true);
        assert_close(&f1, &c1, 1e-4);
        assert_close(&f2, &c2, 1e-4);
    }
}
