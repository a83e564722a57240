//! Shared-prefix packing for SFT: the questions over one database share their prompt's schema,
//! which is most of every sequence (on the recipe's data a linked prompt with its SQL is ~255
//! tokens, of which the schema is ~185). A packed sequence holds the schema once and up to `pack` question/SQL segments after
//! it; the attention kernel lets each segment see the schema and itself only, at the positions
//! it would have alone (`attention::RowSegments`), so each segment's loss and gradient are
//! exactly those of its own sequence while the schema is computed once for all of them.

use super::chat_template::ChatTemplateError;
use super::config::DataConfig;
use super::data::{encode, prompt_of, sft_examples, sft_sequences, times, DataStats, Packed, Seq};
use super::error::Result;
use super::tokenizer::Tokenizer;
use crate::schema::{completion_text, split_prompt, PromptCache};
use crate::store::Store;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeMap;

/// SFT's sequences as the data config says: packed by shared schema when `d.pack > 1`, else
/// one per example (`data::sft_sequences`).
pub fn sft_data(
    store: &Store,
    d: &DataConfig,
    tok: &Tokenizer,
    max_len: usize,
) -> Result<(Vec<Seq>, DataStats)> {
    if d.pack <= 1 {
        return sft_sequences(store, d, tok, max_len);
    }
    let mut prompts = PromptCache::new(d.prompt);
    let mut items = Vec::new();
    for ex in sft_examples(store, d)? {
        items.push(Item {
            prompt: prompt_of(&mut prompts, store, &ex)?,
            completion: completion_text(&ex.gold_sql),
            times: times(d, &ex),
        });
    }
    Ok(pack_sequences(tok, &items, max_len, d.pack)?)
}

/// One example to train on: its prompt, its completion text, and how many times an epoch.
pub struct Item {
    pub prompt: String,
    pub completion: String,
    pub times: usize,
}

/// A segment ready to pack: its tokens and where its completion starts within them.
struct Segment {
    tokens: Vec<u32>,
    completion_at: usize,
}

/// Sequences for `items`, at most `max_len` tokens each: examples whose prompts share a schema
/// prefix are packed up to `pack` per sequence (repeats of one example go to different
/// sequences); an example that cannot be split exactly (its tokens across the split differ from
/// the whole prompt's, a chat template, or too long to fit alone) stays its own sequence, cut
/// as `encode` cuts it. Deterministic: the same items give the same sequences.
pub fn pack_sequences(
    tok: &Tokenizer,
    items: &[Item],
    max_len: usize,
    pack: usize,
) -> std::result::Result<(Vec<Seq>, DataStats), ChatTemplateError> {
    let mut stats = DataStats {
        max_len,
        ..DataStats::default()
    };
    let mut out = Vec::new();
    // Prefix text -> (its tokens, each round's segments).
    let mut groups: BTreeMap<&str, (Vec<u32>, Vec<Vec<Segment>>)> = BTreeMap::new();
    for it in items {
        let (whole, cut) = encode(tok, &it.prompt, &it.completion, max_len)?;
        stats.examples += it.times.max(1);
        stats.longest = stats.longest.max(if cut {
            2 + tok.encode(&it.prompt).len() + tok.encode(&it.completion).len()
        } else {
            whole.tokens.len()
        });
        let split = match split_prompt(&it.prompt) {
            Some((head, rest)) if !cut && pack > 1 && tok.chat_template().is_none() => {
                // One schema's tokens serve all its questions: encoded once.
                let prefix = match groups.get(head) {
                    Some((p, _)) => p.clone(),
                    None => encode_prefix(tok, head),
                };
                let rest_ids = tok.encode(rest);
                // The packed tokens must be exactly those the model reads alone.
                let same = prefix.len() + rest_ids.len() == whole.completion_start
                    && whole.tokens[..prefix.len()] == prefix[..]
                    && whole.tokens[prefix.len()..whole.completion_start] == rest_ids[..];
                same.then(|| {
                    let mut tokens = rest_ids;
                    let completion_at = tokens.len();
                    tokens.extend_from_slice(&whole.tokens[whole.completion_start..]);
                    (head, prefix, tokens, completion_at)
                })
            }
            _ => None,
        };
        let Some((head, prefix, tokens, completion_at)) = split else {
            stats.truncated += usize::from(cut);
            for _ in 0..it.times.max(1) {
                stats.tokens += whole.tokens.len();
                out.push(whole.clone());
            }
            continue;
        };
        let g = groups.entry(head).or_insert_with(|| (prefix, Vec::new()));
        for round in 0..it.times.max(1) {
            if g.1.len() <= round {
                g.1.push(Vec::new());
            }
            g.1[round].push(Segment {
                tokens: tokens.clone(),
                completion_at,
            });
        }
    }
    for (gi, (_, (prefix, rounds))) in groups.into_iter().enumerate() {
        // A seeded order per group: segments of one sequence are not one template's run.
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED ^ gi as u64);
        let mut current: Option<Seq> = None;
        for mut round in rounds {
            round.shuffle(&mut rng);
            for seg in round {
                let fits = current.as_ref().is_some_and(|s| {
                    let p = s.packed.as_ref().map_or(0, |p| p.segments.len());
                    p < pack && s.tokens.len() + seg.tokens.len() <= max_len
                });
                if !fits {
                    out.extend(current.take());
                    current = Some(Seq {
                        tokens: prefix.clone(),
                        completion_start: prefix.len() + seg.completion_at,
                        packed: Some(Packed {
                            prefix: prefix.len(),
                            segments: Vec::new(),
                        }),
                    });
                }
                if let Some(s) = current.as_mut() {
                    let start = s.tokens.len();
                    s.tokens.extend_from_slice(&seg.tokens);
                    if let Some(p) = s.packed.as_mut() {
                        p.segments.push((start, start + seg.completion_at));
                    }
                }
            }
            // Repeats of an example are never in one sequence: a round ends its sequence.
            out.extend(current.take());
        }
    }
    stats.tokens += out
        .iter()
        .filter(|s| s.packed.is_some())
        .map(|s| s.tokens.len())
        .sum::<usize>();
    stats.sequences = out.len();
    Ok((out, stats))
}

/// The prefix's tokens as `conversation_ids` begins a plain prompt: the begin token, then the
/// text.
fn encode_prefix(tok: &Tokenizer, head: &str) -> Vec<u32> {
    let mut out = vec![tok.bos()];
    out.extend(tok.encode(head));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::config::ModelConfig;
    use crate::train::data::make_batch;
    use crate::train::model::Model;
    use crate::train::ops::assert_close;
    use crate::train::sft::sft_loss;
    use candle_core::Device;

    fn item(schema: &str, q: &str, sql: &str, times: usize) -> Item {
        Item {
            prompt: format!("-- SQLite database schema:\n{schema}\n-- Question: {q}\n-- SQL:\n"),
            completion: format!("{sql};\n"),
            times,
        }
    }

    fn items() -> Vec<Item> {
        let a = "pets(id int pk, name text, kind text)";
        let b = "loans(id int pk, amount real)";
        vec![
            item(a, "How many pets?", "SELECT count(*) FROM pets", 1),
            item(
                a,
                "Names of cats",
                "SELECT name FROM pets WHERE kind='cat'",
                2,
            ),
            item(b, "Largest loan", "SELECT max(amount) FROM loans", 1),
            item(a, "Kinds", "SELECT DISTINCT kind FROM pets", 1),
            item(a, "Pet 3", "SELECT name FROM pets WHERE id = 3", 1),
            item(
                b,
                "Loans over 10",
                "SELECT id FROM loans WHERE amount > 10",
                1,
            ),
        ]
    }

    /// Each sequence's completion texts, decoded.
    fn completions(tok: &Tokenizer, s: &Seq) -> Vec<String> {
        s.completions()
            .into_iter()
            .map(|r| tok.decode(&s.tokens[r]))
            .collect()
    }

    #[test]
    fn packing_keeps_every_example_its_repeats_apart_and_within_bounds() {
        let tok = Tokenizer::Byte;
        let items = items();
        let (seqs, stats) = pack_sequences(&tok, &items, 200, 3).unwrap();
        let mut seen: Vec<String> = Vec::new();
        for s in &seqs {
            assert!(s.tokens.len() <= 200);
            let c = completions(&tok, s);
            assert!(c.len() <= 3, "{c:?}");
            let mut unique = c.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), c.len(), "a repeat shares a sequence: {c:?}");
            seen.extend(c);
        }
        // The end token closes each completion.
        let mut want: Vec<String> = items
            .iter()
            .flat_map(|it| std::iter::repeat_n(it.completion.clone(), it.times))
            .collect();
        want.sort();
        let mut got: Vec<String> = seen.iter().map(|c| c.replace('\u{3}', "")).collect();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(stats.examples, 7);
        assert!(stats.sequences < 7, "{} sequences", stats.sequences);
        assert!(stats.summary().contains("7 examples, packed"));
        assert_eq!(
            pack_sequences(&tok, &items, 200, 3).unwrap().0,
            seqs,
            "deterministic"
        );
        // Packing off: one sequence per example and repeat.
        let (plain, _) = pack_sequences(&tok, &items, 200, 1).unwrap();
        assert_eq!(plain.len(), 7);
        assert!(plain.iter().all(|s| s.packed.is_none()));
    }

    /// A trained BPE vocabulary splits a prompt after its schema exactly as it encodes the
    /// whole prompt (the schema ends with a newline), so every example packs.
    #[test]
    fn with_a_bpe_vocabulary_every_example_packs() {
        let items = items();
        let texts = items
            .iter()
            .flat_map(|it| [it.prompt.clone(), it.completion.clone()]);
        let tok = crate::train::tokenizer::train_bpe(texts, 400).unwrap();
        let (seqs, stats) = pack_sequences(&tok, &items, 300, 8).unwrap();
        assert!(seqs.iter().all(|s| s.packed.is_some()), "{seqs:?}");
        // Two schemas, the repeat of one example in a sequence of its own round.
        assert_eq!((stats.sequences, stats.examples), (3, 7));
    }

    /// The point of packing: each segment is computed exactly as its own sequence, so the
    /// packed batch's loss and every gradient equal those of the examples one by one.
    #[test]
    fn a_packed_batch_gives_the_loss_and_gradients_of_its_examples_alone() {
        let tok = Tokenizer::Byte;
        let items = items();
        let (packed, _) = pack_sequences(&tok, &items, 200, 3).unwrap();
        let (plain, _) = pack_sequences(&tok, &items, 200, 1).unwrap();
        assert!(packed.len() < plain.len());
        let cfg = ModelConfig {
            d_model: 16,
            n_layers: 2,
            n_heads: 2,
            d_ff: 24,
            vocab_size: tok.vocab_size(),
            max_seq_len: 256,
            ..ModelConfig::default()
        };
        let model = Model::new(&cfg, 9, &Device::Cpu).unwrap();
        // Weights large enough that attention is far from uniform: a segment that saw another
        // one, or sat at the wrong position, would change the loss.
        for (_, v) in model.params() {
            v.set(&(v.as_tensor() * 25.0).unwrap()).unwrap();
        }
        let run = |seqs: &[Seq]| {
            let refs: Vec<&Seq> = seqs.iter().collect();
            let batch = make_batch(&refs, tok.pad(), &Device::Cpu).unwrap();
            let loss = sft_loss(&model, &batch).unwrap();
            let grads = loss.backward().unwrap();
            (loss.to_scalar::<f32>().unwrap(), grads)
        };
        let (lp, gp) = run(&packed);
        let (lu, gu) = run(&plain);
        assert!(
            (lp - lu).abs() < 1e-5 * lu.abs(),
            "packed {lp} vs alone {lu}"
        );
        for (_, p) in model.params() {
            assert_close(gp.get(p).unwrap(), gu.get(p).unwrap(), 1e-4);
        }
    }
}
