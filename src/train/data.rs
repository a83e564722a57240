//! Training data from the workspace: prompts via `schema::prompt_for`, tokenized sequences with
//! the completion marked, seeded epoch order, and padded batches with loss masks.

use super::attention::RowSegments;
use super::chat_template::ChatTemplateError;
use super::config::DataConfig;
use super::conversation::conversation_ids;
use super::error::{Result, TrainError};
use super::model::Segments;
use super::tokenizer::Tokenizer;
use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::Arc;

use crate::llm::Message;
use crate::schema::{completion_text, PromptCache, PromptError, PromptFormat};
use crate::store::{Example, ExampleFilter, PairStatus, Store};

/// One training sequence: BOS, prompt, completion, EOS. Loss falls on tokens at index
/// `>= completion_start` only; or, packed (`packing.rs`), one schema prefix and several
/// question/SQL segments, with loss on each segment's completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Seq {
    pub tokens: Vec<u32>,
    pub completion_start: usize,
    pub packed: Option<Packed>,
}

/// The layout of a packed sequence: `tokens[..prefix]` is the shared prefix; segment `i` is
/// `tokens[segments[i].0..]` up to the next segment, its completion from `segments[i].1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    pub prefix: usize,
    pub segments: Vec<(usize, usize)>,
}

impl Seq {
    /// A sequence of one example.
    pub fn single(tokens: Vec<u32>, completion_start: usize) -> Seq {
        Seq {
            tokens,
            completion_start,
            packed: None,
        }
    }

    /// Token ranges that carry the loss (completions).
    pub fn completions(&self) -> Vec<std::ops::Range<usize>> {
        let n = self.tokens.len();
        match &self.packed {
            None => std::iter::once(self.completion_start..n).collect(),
            Some(p) => (0..p.segments.len())
                .map(|i| p.segments[i].1..p.segments.get(i + 1).map_or(n, |s| s.0))
                .collect(),
        }
    }

    pub fn completion_len(&self) -> usize {
        self.completions().iter().map(|r| r.len()).sum()
    }

    /// The attention layout of this row, `t` input positions long (padding is plain causal).
    fn row_segments(&self, t: usize) -> RowSegments {
        let mut seg_start = vec![0u32; t];
        let prefix = match &self.packed {
            None => 0,
            Some(p) => {
                let n = self.tokens.len();
                for (i, &(s, _)) in p.segments.iter().enumerate() {
                    let end = p.segments.get(i + 1).map_or(n, |x| x.0).min(t);
                    seg_start[s.min(end)..end].fill(s as u32);
                }
                p.prefix
            }
        };
        RowSegments { prefix, seg_start }
    }
}

/// Encodes (prompt, completion): the prompt as the model reads it (its chat template's text for
/// a folder that has one, else BOS + prompt; see `conversation::conversation_ids`), then the
/// completion and EOS. A sequence longer than `max_len` loses the beginning of its prompt (the
/// question sits at the end of the prompt and survives). Returns whether it was cut.
pub fn encode(
    tok: &Tokenizer,
    prompt: &str,
    completion: &str,
    max_len: usize,
) -> Result<(Seq, bool), ChatTemplateError> {
    let mut c = tok.encode(completion);
    c.push(tok.eos());
    let mut cut = false;
    if c.len() + 2 > max_len {
        c.truncate(max_len.saturating_sub(2).max(1));
        cut = true;
    }
    let (mut tokens, cut_prompt) =
        conversation_ids(tok, &[Message::user(prompt)], max_len - c.len())?;
    let completion_start = tokens.len();
    tokens.extend_from_slice(&c);
    Ok((Seq::single(tokens, completion_start), cut || cut_prompt))
}

/// Prompt tokens only (as `encode` writes them), keeping the end when longer than `max_len`.
pub fn encode_prompt(
    tok: &Tokenizer,
    prompt: &str,
    max_len: usize,
) -> Result<Vec<u32>, ChatTemplateError> {
    Ok(conversation_ids(tok, &[Message::user(prompt)], max_len)?.0)
}

/// The prompt of an example from the shared cache; a schema that cannot be read names its
/// database.
pub fn prompt_of(cache: &mut PromptCache, store: &Store, ex: &Example) -> Result<String> {
    cache.prompt(store, ex).map_err(|e| match e {
        PromptError::Store(e) => e.into(),
        PromptError::Schema(e) => {
            TrainError::from(e).context(format!("schema of database '{}'", ex.db_name))
        }
    })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataStats {
    pub sequences: usize,
    /// Examples in the sequences, repeats counted (more than `sequences` when packed).
    pub examples: usize,
    pub truncated: usize,
    pub tokens: usize,
    /// The sequence length the data was cut to (the run's `max_len`).
    pub max_len: usize,
    /// The longest sequence before cutting, in tokens.
    pub longest: usize,
}

impl DataStats {
    pub fn summary(&self) -> String {
        let packed = if self.examples > self.sequences {
            format!(" ({} examples, packed by shared schema)", self.examples)
        } else {
            String::new()
        };
        format!(
            "{} sequences{packed}, {} tokens, context {} (longest {}), {} with the prompt's beginning cut to fit",
            self.sequences, self.tokens, self.max_len, self.longest, self.truncated
        )
    }
}

/// The examples SFT trains on: those matching the data filters (`split`, `source`, `db`).
pub fn sft_examples(store: &Store, d: &DataConfig) -> Result<Vec<Example>> {
    Ok(store.examples(&ExampleFilter {
        split: d.split.clone(),
        source: d.source.clone(),
        db: d.db.clone(),
        ..ExampleFilter::default()
    })?)
}

/// How many times an example appears an epoch (`repeat_source`).
pub fn times(d: &DataConfig, ex: &Example) -> usize {
    d.repeat_source.get(&ex.source).copied().unwrap_or(1).max(1)
}

/// SFT sequences, one per example (see `packing::sft_data` for packed ones): examples matching
/// the filter, completion = gold SQL.
pub fn sft_sequences(
    store: &Store,
    d: &DataConfig,
    tok: &Tokenizer,
    max_len: usize,
) -> Result<(Vec<Seq>, DataStats)> {
    let examples = sft_examples(store, d)?;
    let (seqs, mut stats) = encode_examples(store, &examples, d.prompt, tok, max_len)?;
    if d.repeat_source.is_empty() {
        return Ok((seqs, stats));
    }
    // Repeated examples are more sequences of the epoch (the shuffle spreads them).
    let mut out = Vec::with_capacity(seqs.len());
    for (ex, s) in examples.iter().zip(seqs) {
        for _ in 1..times(d, ex) {
            stats.tokens += s.tokens.len();
            out.push(s.clone());
        }
        out.push(s);
    }
    stats.sequences = out.len();
    stats.examples = out.len();
    Ok((out, stats))
}

/// The text a run's BPE tokenizer learns from: the prompt and the gold completion of every
/// example the SFT data filters select (the same prompts and completions `sft_sequences`
/// encodes).
pub fn tokenizer_corpus(store: &Store, d: &DataConfig) -> Result<Vec<String>> {
    let examples = store.examples(&ExampleFilter {
        split: d.split.clone(),
        source: d.source.clone(),
        db: d.db.clone(),
        ..ExampleFilter::default()
    })?;
    let mut prompts = PromptCache::new(d.prompt);
    let mut out = Vec::with_capacity(2 * examples.len());
    for ex in &examples {
        out.push(prompt_of(&mut prompts, store, ex)?);
        out.push(completion_text(&ex.gold_sql));
    }
    Ok(out)
}

/// The held-out SFT set: at most `limit` examples of `split` (only the `db` filter of `d`
/// applies), picked evenly across the split in store order, so every run with the same
/// workspace scores the same sequences. Empty when the split has no examples.
pub fn sft_eval_sequences(
    store: &Store,
    d: &DataConfig,
    split: &str,
    limit: usize,
    tok: &Tokenizer,
    max_len: usize,
) -> Result<(Vec<Seq>, DataStats)> {
    let all = store.examples(&ExampleFilter {
        split: Some(split.to_string()),
        db: d.db.clone(),
        ..ExampleFilter::default()
    })?;
    let n = all.len();
    let k = limit.min(n);
    let picked: Vec<Example> = (0..k).map(|i| all[i * n / k].clone()).collect();
    encode_examples(store, &picked, d.prompt, tok, max_len)
}

fn encode_examples(
    store: &Store,
    examples: &[Example],
    format: PromptFormat,
    tok: &Tokenizer,
    max_len: usize,
) -> Result<(Vec<Seq>, DataStats)> {
    let mut prompts = PromptCache::new(format);
    let mut stats = DataStats {
        max_len,
        ..DataStats::default()
    };
    let mut out = Vec::with_capacity(examples.len());
    for ex in examples {
        let prompt = prompt_of(&mut prompts, store, ex)?;
        let (s, cut) = encode(tok, &prompt, &completion_text(&ex.gold_sql), max_len)?;
        stats.truncated += usize::from(cut);
        stats.tokens += s.tokens.len();
        // Cut sequences are few: their full length is counted again for the report.
        let full = if cut {
            2 + tok.encode(&prompt).len() + tok.encode(&completion_text(&ex.gold_sql)).len()
        } else {
            s.tokens.len()
        };
        stats.longest = stats.longest.max(full);
        out.push(s);
    }
    stats.sequences = out.len();
    stats.examples = out.len();
    Ok((out, stats))
}

/// DPO pairs (chosen, rejected) from the workspace's pairs with the configured status.
pub fn dpo_pairs(
    store: &Store,
    d: &DataConfig,
    tok: &Tokenizer,
    max_len: usize,
) -> Result<(Vec<(Seq, Seq)>, DataStats)> {
    let mut pairs = Vec::new();
    if d.pairs == "accepted" || d.pairs == "all" {
        pairs.extend(store.pairs(Some(PairStatus::Accepted))?);
    }
    if d.pairs == "pending" || d.pairs == "all" {
        pairs.extend(store.pairs(Some(PairStatus::Pending))?);
    }
    let mut prompts = PromptCache::new(d.prompt);
    let mut stats = DataStats {
        max_len,
        ..DataStats::default()
    };
    let mut out = Vec::new();
    for p in &pairs {
        // A flagged pair (disputed, ambiguous gold) teaches only once a person accepted it.
        if !p.flags.is_empty() && p.status != PairStatus::Accepted {
            continue;
        }
        let ex = store.example(p.example_id)?;
        if d.db.as_ref().is_some_and(|db| *db != ex.db_name)
            || d.split.as_ref().is_some_and(|s| *s != ex.split)
            || d.source.as_ref().is_some_and(|s| *s != ex.source)
        {
            continue;
        }
        let prompt = prompt_of(&mut prompts, store, &ex)?;
        let (c, cut_c) = encode(tok, &prompt, &completion_text(&p.chosen_sql), max_len)?;
        let (r, cut_r) = encode(tok, &prompt, &completion_text(&p.rejected_sql), max_len)?;
        stats.truncated += usize::from(cut_c || cut_r);
        stats.tokens += c.tokens.len() + r.tokens.len();
        stats.longest = stats.longest.max(c.tokens.len()).max(r.tokens.len());
        out.push((c, r));
    }
    stats.sequences = 2 * out.len();
    stats.examples = out.len();
    Ok((out, stats))
}

/// The `per_step` dataset indices used by optimizer step `step` (0-based): a fresh seeded
/// permutation each epoch, so a resumed run sees exactly what an uninterrupted one would.
pub fn indices_for_step(n: usize, seed: u64, step: usize, per_step: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(per_step);
    let mut cached: Option<(usize, Vec<usize>)> = None;
    for g in step * per_step..(step + 1) * per_step {
        let (epoch, at) = (g / n, g % n);
        if cached.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut order: Vec<usize> = (0..n).collect();
            let mut rng = rand::rngs::StdRng::seed_from_u64(
                seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            order.shuffle(&mut rng);
            cached = Some((epoch, order));
        }
        if let Some((_, order)) = &cached {
            out.push(order[at]);
        }
    }
    out
}

/// Steps whose sequences are drawn together and grouped by length (`group_by_length`).
pub const GROUP_STEPS: usize = 16;

/// Like [`indices_for_step`], but the sequences of every `GROUP_STEPS` consecutive steps are
/// drawn together (the very ones those steps would draw), sorted by length and dealt back to
/// the steps in a seeded order: a batch holds sequences of similar length, so little of it is
/// padding, while the steps together still cover the data once per epoch. Deterministic per
/// step, so a resumed run sees what an uninterrupted one would. `lens[i]`: sequence i's length.
pub fn grouped_indices_for_step(
    lens: &[usize],
    seed: u64,
    step: usize,
    per_step: usize,
) -> Vec<usize> {
    if lens.is_empty() || per_step == 0 {
        return Vec::new();
    }
    let group = step / GROUP_STEPS;
    let mut all = indices_for_step(lens.len(), seed, group, per_step * GROUP_STEPS);
    all.sort_by_key(|&i| (lens[i], i));
    let mut order: Vec<usize> = (0..GROUP_STEPS).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        seed ^ 0x6C62_272E_07BB_0142 ^ (group as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    order.shuffle(&mut rng);
    let k = order[step % GROUP_STEPS];
    all[k * per_step..(k + 1) * per_step].to_vec()
}

/// A right-padded batch: inputs and targets `[B, T]` (u32), loss mask `[B, T]` (f32, 1 on
/// completion targets).
pub struct Batch {
    pub inputs: Tensor,
    pub targets: Tensor,
    pub mask: Tensor,
    /// Real (non-padding) input tokens.
    pub tokens: usize,
    pub completion_tokens: usize,
    /// `[completion_tokens]` u32: the flattened `B*T` positions where `mask` is 1, in order.
    pub completion_at: Tensor,
    /// The rows' shared-prefix layouts when any row is packed.
    pub segments: Option<Segments>,
}

pub fn make_batch(seqs: &[&Seq], pad: u32, device: &Device) -> Result<Batch> {
    let t = seqs
        .iter()
        .map(|s| s.tokens.len() - 1)
        .max()
        .unwrap_or(1)
        .max(1);
    let b = seqs.len();
    let mut inputs = vec![pad; b * t];
    let mut targets = vec![pad; b * t];
    let mut mask = vec![0f32; b * t];
    let (mut tokens, mut comp) = (0, 0);
    let mut at: Vec<u32> = Vec::new();
    for (i, s) in seqs.iter().enumerate() {
        let n = s.tokens.len() - 1;
        let loss = s.completions();
        for j in 0..n {
            inputs[i * t + j] = s.tokens[j];
            targets[i * t + j] = s.tokens[j + 1];
            if loss.iter().any(|r| r.contains(&(j + 1))) {
                mask[i * t + j] = 1.0;
                comp += 1;
                at.push((i * t + j) as u32);
            }
        }
        tokens += n;
    }
    let segments = seqs
        .iter()
        .any(|s| s.packed.is_some())
        .then(|| Arc::new(seqs.iter().map(|s| s.row_segments(t)).collect()));
    let n_at = at.len();
    Ok(Batch {
        inputs: Tensor::from_vec(inputs, (b, t), device)?,
        targets: Tensor::from_vec(targets, (b, t), device)?,
        mask: Tensor::from_vec(mask, (b, t), device)?,
        tokens,
        completion_tokens: comp,
        completion_at: Tensor::from_vec(at, n_at, device)?,
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_cuts_prompt_start_and_marks_completion() {
        let tok = Tokenizer::Byte;
        let (s, cut) = encode(&tok, "abcdefghij", "XY", 8).unwrap();
        assert!(cut);
        // BOS + "ghij"[..] kept to fit: 8 - 1 - 3 = 4 prompt bytes.
        assert_eq!(s.tokens.len(), 8);
        assert_eq!(tok.decode(&s.tokens[1..s.completion_start]), "ghij");
        assert_eq!(s.completion_len(), 3);
    }

    #[test]
    fn step_indices_cover_each_epoch_once() {
        let mut seen: Vec<usize> = (0..5).flat_map(|s| indices_for_step(10, 7, s, 2)).collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(indices_for_step(10, 7, 3, 2), indices_for_step(10, 7, 3, 2));
    }

    #[test]
    fn grouped_steps_draw_the_same_sequences_with_less_padding() {
        // Lengths 10..=400 in a shuffled-looking order.
        let lens: Vec<usize> = (0..1000).map(|i| 10 + (i * 7919) % 391).collect();
        let (per, seed) = (8, 3);
        let padded = |batch: &[usize]| {
            let max = batch.iter().map(|&i| lens[i]).max().unwrap();
            batch.iter().map(|&i| max - lens[i]).sum::<usize>()
        };
        let (mut pad_grouped, mut pad_plain) = (0, 0);
        for g in 0..3 {
            let steps = g * GROUP_STEPS..(g + 1) * GROUP_STEPS;
            let mut grouped: Vec<usize> = Vec::new();
            let mut plain: Vec<usize> = Vec::new();
            for s in steps {
                let b = grouped_indices_for_step(&lens, seed, s, per);
                assert_eq!(
                    b,
                    grouped_indices_for_step(&lens, seed, s, per),
                    "deterministic"
                );
                assert_eq!(b.len(), per);
                pad_grouped += padded(&b);
                let p = indices_for_step(lens.len(), seed, s, per);
                pad_plain += padded(&p);
                grouped.extend(b);
                plain.extend(p);
            }
            // A group's steps draw exactly the sequences the ungrouped steps would.
            grouped.sort();
            plain.sort();
            assert_eq!(grouped, plain);
        }
        assert!(
            pad_grouped * 5 < pad_plain,
            "grouping by length pads {pad_grouped} tokens vs {pad_plain}"
        );
    }
}
