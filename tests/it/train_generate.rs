//! Generation's two contracts with training: it stops at the end of the SQL as text (whatever
//! the tokenizer), and it feeds the prompt as training did (no cut that depends on
//! `--max-new-tokens` when the prompt fits); and on a prompt sense wrote it spells only the
//! names its schema shows, unless asked not to.

use candle_core::{Device, Tensor};
use sense::schema::completion_text;
use sense::train::config::ModelConfig;
use sense::train::generate::{generate, greedy_uncached, prompt_ids, GenOptions};
use sense::train::model::Model;
use sense::train::tokenizer::{train_bpe, Tokenizer, BYTE_VOCAB};
use std::sync::atomic::AtomicBool;

const D: usize = 128;

/// A model whose next token is a fixed function of the current token: every block adds
/// nothing to the residual stream (zero output projections), and the head row of each
/// successor is the normalized embedding of its predecessor, so that logit wins by a wide margin.
fn chain_model(vocab: usize, chain: &[u32]) -> Model {
    let edges: Vec<(u32, u32, f32)> = chain.windows(2).map(|w| (w[0], w[1], 1.0)).collect();
    edge_model(vocab, &edges)
}

/// `chain_model` with weighted edges `(token, successor, weight)`: a token with two successors
/// prefers the heavier one.
fn edge_model(vocab: usize, edges: &[(u32, u32, f32)]) -> Model {
    let dev = Device::Cpu;
    let cfg = ModelConfig {
        vocab_size: vocab,
        d_model: D,
        n_layers: 1,
        n_heads: 4,
        d_ff: 32,
        max_seq_len: 256,
        ..ModelConfig::default()
    };
    let mut t = Model::new(&cfg, 3, &dev).unwrap().tensors();
    for (name, v) in t.iter_mut() {
        if name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight") {
            *v = v.zeros_like().unwrap();
        }
    }
    let emb: Vec<Vec<f32>> = t["model.embed_tokens.weight"].to_vec2().unwrap();
    let mut head = vec![0f32; vocab * D];
    for &(from, to, weight) in edges {
        let e = &emb[from as usize];
        let rms = (e.iter().map(|x| x * x).sum::<f32>() / D as f32).sqrt();
        for (k, x) in e.iter().enumerate() {
            head[to as usize * D + k] += weight * x / rms;
        }
    }
    t.insert(
        "lm_head.weight".into(),
        Tensor::from_vec(head, (vocab, D), &dev).unwrap(),
    );
    Model::from_tensors(&cfg, t, &dev).unwrap()
}

/// Text in the shape of prompts and completions, so the BPE merges `;` and the newline into
/// longer tokens.
fn corpus() -> Vec<String> {
    (0..40)
        .flat_map(|i| {
            [
                format!("-- Question: what is the total of x{i}?\n-- SQL:"),
                completion_text("SUM(x)"),
            ]
        })
        .collect()
}

/// With the completion looping back to its start (`;\n` → `SELECT` …), only a stop on the text
/// `;` + newline ends it before `max_new_tokens`.
fn stops_after_the_first_statement(tok: &Tokenizer) {
    // Every token of the completion differs from the others and from the prompt's last one:
    // the model maps each token to the next.
    let prompt = "-- Question: what is the total of x?\n-- SQL:";
    let sql = completion_text("SUM(x)");
    let p = tok.encode(prompt);
    let c = tok.encode(&sql);
    let mut chain = vec![*p.last().unwrap()];
    chain.extend(&c);
    chain.push(c[0]);
    assert_distinct_but_last(&chain);
    let model = chain_model(tok.vocab_size(), &chain);
    let opts = GenOptions {
        max_new_tokens: 3 * c.len(),
        ..GenOptions::default()
    };
    let out = generate(
        &model,
        tok,
        &[prompt.to_string()],
        &opts,
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(out, vec![sql.clone()], "{}", tok.describe());
    assert_eq!(
        greedy_uncached(&model, tok, prompt, 3 * c.len()).unwrap(),
        sql
    );
    // Without the stop the same model runs on: the stop, not the model, ended it.
    let on = generate(
        &model,
        tok,
        &[prompt.to_string()],
        &GenOptions {
            stop_at_end: false,
            ..opts
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(on[0].starts_with(&format!("{sql}SUM(x)")), "{on:?}");
}

#[test]
fn generation_stops_at_the_end_of_the_sql_with_the_byte_tokenizer() {
    stops_after_the_first_statement(&Tokenizer::Byte);
}

#[test]
fn generation_stops_at_the_end_of_the_sql_with_a_bpe_tokenizer() {
    let tok = train_bpe(corpus().into_iter(), 400).unwrap();
    // The ids of the bytes `;` and newline are other tokens in this vocabulary.
    assert_ne!(tok.decode(&[59]), ";");
    stops_after_the_first_statement(&tok);
}

/// Drops trailing replacement characters: a completion cut inside a multi-byte character
/// decodes lossily at its end.
fn whole_chars(s: &str) -> &str {
    s.trim_end_matches('\u{FFFD}')
}

#[test]
fn a_prompt_that_fits_is_never_cut_whatever_max_new_tokens_is() {
    let ctx = 160;
    let prompt = "-- Question: how many singers are there per country, most first?\n-- SQL:\n";
    let tok = Tokenizer::Byte;
    let whole = {
        let mut v = vec![tok.bos()];
        v.extend(tok.encode(prompt));
        v
    };
    assert!(whole.len() + 64 < ctx);
    for max_new in [1, 8, 64, 256, 10_000] {
        assert_eq!(
            prompt_ids(&tok, prompt, ctx, max_new).unwrap(),
            whole,
            "{max_new}"
        );
    }
    // Greedy outputs only get longer with more room: the longer one extends the shorter one.
    let cfg = ModelConfig {
        vocab_size: BYTE_VOCAB,
        d_model: 32,
        n_layers: 2,
        n_heads: 4,
        d_ff: 64,
        max_seq_len: ctx,
        ..ModelConfig::default()
    };
    let model = Model::new(&cfg, 9, &Device::Cpu).unwrap();
    let run = |max_new| {
        let o = GenOptions {
            max_new_tokens: max_new,
            stop_at_end: false,
            ..GenOptions::default()
        };
        generate(
            &model,
            &tok,
            &[prompt.to_string()],
            &o,
            &AtomicBool::new(false),
        )
        .unwrap()
        .remove(0)
    };
    let short = run(12);
    let long = run(256);
    assert!(
        long.starts_with(whole_chars(&short)),
        "{short:?} vs {long:?}"
    );
    // The long one ran until the context was full, not past it (a byte token decodes to at
    // most one character).
    let chars = long.chars().count();
    assert!(chars <= ctx - whole.len(), "{chars}");
    assert!(chars > short.chars().count());
}

#[test]
fn a_prompt_longer_than_the_context_keeps_its_end_and_room_to_answer() {
    let ctx = 160;
    let tok = Tokenizer::Byte;
    let prompt = format!("{}-- SQL:\n", "x".repeat(400));
    for max_new in [8, 256] {
        let ids = prompt_ids(&tok, &prompt, ctx, max_new).unwrap();
        assert_eq!(ids[0], tok.bos());
        assert!(tok.decode(&ids).ends_with("-- SQL:\n"));
        assert_eq!(ids.len(), ctx - max_new.min(64), "{max_new}");
    }
}

/// A model set on writing a training database's table (`FROM players`) for a prompt whose
/// schema has no such table, with the schema's table as its second choice: left free it writes
/// the first, schema-bound the second, and every name it writes is one the schema shows.
#[test]
fn schema_bound_generation_writes_only_the_prompts_names() {
    let prompt = "-- SQLite database schema:\naircraft(aircraft_id PK, name text)\n-- Question: Names?\n-- SQL:\n";
    let wanted = completion_text("SELECT name FROM players");
    let second = completion_text("SELECT name FROM aircraft");
    let corpus: Vec<String> = (0..40)
        .flat_map(|_| [prompt.to_string(), wanted.clone(), second.clone()])
        .collect();
    let tok = train_bpe(corpus.into_iter(), 400).unwrap();
    let p = tok.encode(prompt);
    let c = tok.encode(&wanted);
    let mut chain = vec![*p.last().unwrap()];
    chain.extend(&c);
    assert_distinct_but_last(&chain);
    // " FROM" → " aircraft" → ";" as the weaker way out of " FROM".
    let [from, players, semi] = [c[2], c[3], c[4]];
    let aircraft = tok.encode(" aircraft");
    assert_eq!(aircraft.len(), 1, "test setup: {aircraft:?}");
    let mut edges: Vec<(u32, u32, f32)> = chain.windows(2).map(|w| (w[0], w[1], 1.0)).collect();
    edges.extend([(from, aircraft[0], 0.5), (aircraft[0], semi, 1.0)]);
    assert_eq!(tok.decode(&[players]), " players");
    let model = edge_model(tok.vocab_size(), &edges);
    let run = |schema_bound| {
        let o = GenOptions {
            max_new_tokens: 24,
            schema_bound,
            ..GenOptions::default()
        };
        generate(
            &model,
            &tok,
            &[prompt.to_string()],
            &o,
            &AtomicBool::new(false),
        )
        .unwrap()
        .remove(0)
    };
    assert_eq!(run(false), wanted);
    assert_eq!(run(true), second);
    let names = sense::train::schema_bound::Names::of_prompt(prompt).unwrap();
    assert!(names.allows("SELECT name FROM aircraft", true));
    assert!(!names.allows("SELECT name FROM players", true));
}

/// Test setup: every token of `chain` but the last differs from the others, so the model maps
/// each to one successor.
fn assert_distinct_but_last(chain: &[u32]) {
    let mut distinct = chain[..chain.len() - 1].to_vec();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), chain.len() - 1, "test setup: {chain:?}");
}
