//! Tokenizers. The default is byte-level: every UTF-8 byte is a token, plus begin, end and
//! padding tokens. The option is a byte-level BPE (the `tokenizers` crate) trained on the run's
//! own prompts and SQL, so schemas and SQL keywords take far fewer tokens; it lives in a
//! checkpoint as `tokenizer.json` (Hugging Face format) and `config.json` records its kind.

use super::chat_template::{ChatTemplate, ChatTemplateError};
use super::error::{bail, Context, Result, TrainError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, NormalizerWrapper, PostProcessorWrapper, TokenizerBuilder};

pub const BOS: u32 = 256;
pub const EOS: u32 = 257;
pub const PAD: u32 = 258;
/// 256 bytes + 3 special tokens.
pub const BYTE_VOCAB: usize = 259;

/// The BPE's special tokens: they sit in its vocabulary (ids 0, 1, 2) but are never produced
/// by encoding text, so a question that contains the string cannot inject one.
pub const BPE_BOS: &str = "<|begin|>";
pub const BPE_EOS: &str = "<|end|>";
pub const BPE_PAD: &str = "<|pad|>";
/// Smallest BPE vocabulary: the 256 byte symbols, the 3 special tokens and one merge.
pub const MIN_BPE_VOCAB: usize = BYTE_VOCAB + 1;

/// A tokenizer as a checkpoint's `config.json` records it: `{"kind": "byte"}` or
/// `{"kind": "bpe", "vocab_size": N}` (the BPE itself is the checkpoint's `tokenizer.json`).
/// A Hugging Face model's tokenizer adds `"special": {"bos": .., "eos": .., "pad": ..}`: its
/// special tokens are not ours, so their ids are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TokenizerSpec {
    #[default]
    Byte,
    Bpe {
        vocab_size: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        special: Option<SpecialIds>,
    },
}

/// Ids of the begin, end and padding tokens of a tokenizer that is not ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialIds {
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
}

#[derive(Debug, Clone, Default)]
pub enum Tokenizer {
    #[default]
    Byte,
    /// Byte-level BPE; shared, as every loaded model holds one.
    Bpe(Arc<Bpe>),
}

/// A trained byte-level BPE with the ids of its special tokens.
#[derive(Debug, Clone)]
pub struct Bpe {
    inner: tokenizers::Tokenizer,
    bos: u32,
    eos: u32,
    pad: u32,
    vocab_size: usize,
    /// Set for a Hugging Face model's tokenizer (special ids given, not our named tokens).
    special: Option<SpecialIds>,
    /// The chat template of a model folder that has one (`chat_template.rs`).
    chat: Option<Arc<ChatTemplate>>,
}

impl Tokenizer {
    pub fn vocab_size(&self) -> usize {
        match self {
            Tokenizer::Byte => BYTE_VOCAB,
            Tokenizer::Bpe(b) => b.vocab_size,
        }
    }
    pub fn bos(&self) -> u32 {
        match self {
            Tokenizer::Byte => BOS,
            Tokenizer::Bpe(b) => b.bos,
        }
    }
    pub fn eos(&self) -> u32 {
        match self {
            Tokenizer::Byte => EOS,
            Tokenizer::Bpe(b) => b.eos,
        }
    }
    pub fn pad(&self) -> u32 {
        match self {
            Tokenizer::Byte => PAD,
            Tokenizer::Bpe(b) => b.pad,
        }
    }

    /// The text of one token (a BPE's special tokens by name); None for the byte tokenizer.
    pub fn token_text(&self, id: u32) -> Option<String> {
        match self {
            Tokenizer::Byte => None,
            Tokenizer::Bpe(b) => b.inner.id_to_token(id),
        }
    }

    pub fn encode(&self, text: &str) -> Vec<u32> {
        match self {
            Tokenizer::Byte => text.bytes().map(u32::from).collect(),
            Tokenizer::Bpe(b) => b.encode(text),
        }
    }

    /// Text of the ordinary tokens (special tokens are dropped; broken UTF-8 is replaced).
    pub fn decode(&self, ids: &[u32]) -> String {
        match self {
            Tokenizer::Byte => {
                let bytes: Vec<u8> = ids.iter().filter_map(|&t| u8::try_from(t).ok()).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Tokenizer::Bpe(b) => b.decode(ids),
        }
    }

    /// What `config.json` records.
    pub fn spec(&self) -> TokenizerSpec {
        match self {
            Tokenizer::Byte => TokenizerSpec::Byte,
            Tokenizer::Bpe(b) => TokenizerSpec::Bpe {
                vocab_size: b.vocab_size,
                special: b.special,
            },
        }
    }

    /// The content of a checkpoint's `tokenizer.json`: the Hugging Face tokenizer for BPE, the
    /// spec for the byte tokenizer (which needs no file).
    pub fn to_json(&self) -> Result<String> {
        match self {
            Tokenizer::Byte => Ok(serde_json::to_string(&TokenizerSpec::Byte)?),
            Tokenizer::Bpe(b) => b
                .inner
                .to_string(false)
                .map_err(|e| TrainError::msg(format!("serializing the BPE tokenizer: {e}"))),
        }
    }

    /// The tokenizer `spec` describes; a BPE reads `tokenizer_json` (the checkpoint's file).
    pub fn from_spec(spec: &TokenizerSpec, tokenizer_json: Option<&str>) -> Result<Self> {
        match spec {
            TokenizerSpec::Byte => Ok(Tokenizer::Byte),
            TokenizerSpec::Bpe {
                vocab_size,
                special,
            } => {
                let Some(text) = tokenizer_json else {
                    bail!("a BPE checkpoint needs its tokenizer.json");
                };
                let t = match special {
                    Some(ids) => Tokenizer::hf_from_json(text, *ids)?,
                    None => Tokenizer::bpe_from_json(text)?,
                };
                if t.vocab_size() != *vocab_size {
                    bail!(
                        "tokenizer.json has {} tokens, config.json says {vocab_size}",
                        t.vocab_size()
                    );
                }
                Ok(t)
            }
        }
    }

    /// A BPE from Hugging Face `tokenizer.json` text holding this module's special tokens.
    pub fn bpe_from_json(text: &str) -> Result<Self> {
        let inner: tokenizers::Tokenizer = text
            .parse()
            .map_err(|e| TrainError::msg(format!("reading a BPE tokenizer.json: {e}")))?;
        Ok(Tokenizer::Bpe(Arc::new(Bpe::new(inner)?)))
    }

    /// A Hugging Face model's `tokenizer.json` (any model the `tokenizers` crate reads) with
    /// the ids of its begin, end and padding tokens, which must lie in its vocabulary.
    pub fn hf_from_json(text: &str, special: SpecialIds) -> Result<Self> {
        let inner: tokenizers::Tokenizer = text
            .parse()
            .map_err(|e| TrainError::msg(format!("reading tokenizer.json: {e}")))?;
        let vocab_size = vocab_size_of(&inner);
        for (what, id) in [
            ("begin", special.bos),
            ("end", special.eos),
            ("padding", special.pad),
        ] {
            if id as usize >= vocab_size {
                bail!("the {what} token id {id} is outside the tokenizer's {vocab_size} tokens");
            }
        }
        Ok(Tokenizer::Bpe(Arc::new(Bpe {
            inner,
            bos: special.bos,
            eos: special.eos,
            pad: special.pad,
            vocab_size,
            special: Some(special),
            chat: None,
        })))
    }

    /// The chat template prompts are written with, where the model's folder has one.
    pub fn chat_template(&self) -> Option<&ChatTemplate> {
        match self {
            Tokenizer::Byte => None,
            Tokenizer::Bpe(b) => b.chat.as_deref(),
        }
    }

    /// This tokenizer writing prompts with `template`. The special tokens the template names
    /// that are in the vocabulary become special here too (as transformers registers them), so
    /// the template's `bos_token` text encodes as the begin token. The byte tokenizer has no
    /// text form of its special tokens and takes no template.
    pub fn with_chat_template(self, template: ChatTemplate) -> Result<Self, ChatTemplateError> {
        let Tokenizer::Bpe(b) = self else {
            return Err(ChatTemplateError {
                path: template.path().to_path_buf(),
                msg: "a byte-tokenizer checkpoint cannot use a chat template".into(),
            });
        };
        let mut b = Arc::unwrap_or_clone(b);
        let known: Vec<AddedToken> = [template.bos_token(), template.eos_token()]
            .into_iter()
            .flatten()
            .filter(|t| b.inner.token_to_id(t).is_some())
            .map(|t| AddedToken::from(t.to_string(), true))
            .collect();
        b.inner
            .add_special_tokens(known)
            .map_err(|e| ChatTemplateError {
                path: template.path().to_path_buf(),
                msg: format!("registering the special tokens it names: {e}"),
            })?;
        b.chat = Some(Arc::new(template));
        Ok(Tokenizer::Bpe(Arc::new(b)))
    }

    /// One line for a run's log: "byte-level, 259 tokens" or "BPE, 2048 tokens".
    pub fn describe(&self) -> String {
        match self {
            Tokenizer::Byte => format!("byte-level, {} tokens", self.vocab_size()),
            Tokenizer::Bpe(_) => format!("BPE, {} tokens", self.vocab_size()),
        }
    }
}

impl Bpe {
    fn new(inner: tokenizers::Tokenizer) -> Result<Self> {
        let id = |t: &str| {
            inner
                .token_to_id(t)
                .with_context(|| format!("the BPE tokenizer has no {t} token"))
        };
        let (bos, eos, pad) = (id(BPE_BOS)?, id(BPE_EOS)?, id(BPE_PAD)?);
        let vocab_size = vocab_size_of(&inner);
        Ok(Bpe {
            inner,
            bos,
            eos,
            pad,
            vocab_size,
            special: None,
            chat: None,
        })
    }

    fn encode(&self, text: &str) -> Vec<u32> {
        // Byte-level: every byte has a symbol in the vocabulary, so encoding cannot fail.
        match self.inner.encode(text, false) {
            Ok(e) => e.get_ids().to_vec(),
            Err(e) => panic!("byte-level BPE failed to encode text: {e}"),
        }
    }

    fn decode(&self, ids: &[u32]) -> String {
        let ids: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&t| t != self.bos && t != self.eos && t != self.pad)
            .collect();
        // Unknown ids are skipped by the crate; the byte-level decoder replaces broken UTF-8.
        // A Hugging Face tokenizer's other special tokens (chat markers) are dropped too.
        self.inner
            .decode(&ids, self.special.is_some())
            .unwrap_or_default()
    }
}

/// Ids run 0..n; the model's embedding must cover the largest (added tokens included).
fn vocab_size_of(t: &tokenizers::Tokenizer) -> usize {
    t.get_vocab(true)
        .values()
        .map(|&i| i as usize + 1)
        .max()
        .unwrap_or(0)
}

/// Trains a byte-level BPE of at most `vocab_size` tokens (special tokens included) on `texts`.
/// Deterministic: merges are picked by count, ties by the symbols' ids, which follow the
/// sorted byte alphabet; the result does not depend on thread count or hash seeds.
pub fn train_bpe(texts: impl Iterator<Item = String>, vocab_size: usize) -> Result<Tokenizer> {
    if vocab_size < MIN_BPE_VOCAB {
        bail!("a BPE vocabulary needs at least {MIN_BPE_VOCAB} tokens (256 bytes, 3 special tokens and a merge); got {vocab_size}");
    }
    let texts: Vec<String> = texts.collect();
    if texts.iter().all(|t| t.is_empty()) {
        bail!("no text to train a BPE tokenizer on");
    }
    let pre = ByteLevel::default()
        .add_prefix_space(false)
        .trim_offsets(false);
    let mut trainer = BpeTrainerBuilder::new()
        .show_progress(false)
        .vocab_size(vocab_size)
        .min_frequency(2)
        .special_tokens(
            [BPE_BOS, BPE_EOS, BPE_PAD]
                .iter()
                .map(|t| AddedToken::from(*t, true))
                .collect(),
        )
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build();
    let mut t = TokenizerBuilder::<
        BPE,
        NormalizerWrapper,
        ByteLevel,
        PostProcessorWrapper,
        ByteLevelDecoder,
    >::new()
    .with_model(BPE::default())
    .with_normalizer(None)
    .with_pre_tokenizer(Some(pre))
    .with_post_processor(None)
    .with_decoder(Some(ByteLevelDecoder::default()))
    .build()
    .map_err(|e| TrainError::msg(format!("building the BPE tokenizer: {e}")))?;
    t.train(&mut trainer, texts.iter())
        .map_err(|e| TrainError::msg(format!("training the BPE tokenizer: {e}")))?;
    // The trainer also registers the special tokens as "added tokens", which the crate splits
    // out of any text containing them; keep them in the model's vocabulary only.
    let model = t.get_model().clone();
    let clean = TokenizerBuilder::<
        BPE,
        NormalizerWrapper,
        ByteLevel,
        PostProcessorWrapper,
        ByteLevelDecoder,
    >::new()
    .with_model(model)
    .with_normalizer(None)
    .with_pre_tokenizer(Some(pre))
    .with_post_processor(None)
    .with_decoder(Some(ByteLevelDecoder::default()))
    .build()
    .map_err(|e| TrainError::msg(format!("building the BPE tokenizer: {e}")))?;
    Ok(Tokenizer::Bpe(Arc::new(Bpe::new(clean.into())?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::completion_text;

    #[test]
    fn round_trip_utf8() {
        let t = Tokenizer::Byte;
        let s = "SELECT 'café' FROM t;";
        assert_eq!(t.decode(&t.encode(s)), s);
        assert_eq!(completion_text(" SELECT 1 ;; "), "SELECT 1;\n");
    }

    /// A small corpus in the shape of the run's text: schema prompts and SQL completions.
    fn corpus() -> Vec<String> {
        let tables = [
            ("singer", "singer_id", "name", "country"),
            ("concert", "concert_id", "theme", "stadium_id"),
            ("stadium", "stadium_id", "location", "capacity"),
            ("employee", "employee_id", "last_name", "department"),
            ("orders", "order_id", "customer_name", "total_amount"),
        ];
        let mut out = Vec::new();
        for (i, (t, id, a, b)) in tables.iter().enumerate() {
            for q in 0..12 {
                out.push(format!(
                    "CREATE TABLE {t} (\n  {id} INTEGER PRIMARY KEY,\n  {a} TEXT,\n  {b} TEXT\n);\n/* 3 rows from {t}:\n{id}\t{a}\t{b}\n{q}\tx{i}\ty{q}\n*/\n\n-- Question: How many {t} rows have {a} equal to value {q}?\n"
                ));
                out.push(completion_text(&format!(
                    "SELECT count(*) FROM {t} WHERE {a} = 'value {q}' GROUP BY {b} ORDER BY count(*) DESC"
                )));
            }
        }
        out
    }

    #[test]
    fn bpe_round_trips_any_text_and_drops_special_tokens() {
        let t = train_bpe(corpus().into_iter(), 400).expect("train");
        assert!(t.vocab_size() > BYTE_VOCAB && t.vocab_size() <= 400);
        let specials = [t.bos(), t.eos(), t.pad()];
        assert!(specials.iter().all(|&s| (s as usize) < t.vocab_size()));
        for s in [
            "SELECT \"name\" FROM singer WHERE country = 'O''Brien';\n",
            "café 🦀 naïve — 東京\r\n\ttabs  and   spaces ",
            "",
            " leading space",
            "<|begin|> is text here, <|end|> too",
        ] {
            let ids = t.encode(s);
            assert!(
                ids.iter().all(|i| !specials.contains(i)),
                "text never encodes to a special token: {s:?}"
            );
            assert_eq!(t.decode(&ids), s);
            let mut framed = vec![t.bos()];
            framed.extend(&ids);
            framed.extend([t.eos(), t.pad(), t.pad()]);
            assert_eq!(t.decode(&framed), s, "special tokens are dropped");
        }
        // A cut in the middle of a multi-byte character decodes lossily, without a panic.
        let ids = t.encode("é");
        let _ = t.decode(&ids[..ids.len() - 1]);
    }

    #[test]
    fn bpe_compresses_schema_and_sql_and_is_deterministic() {
        let c = corpus();
        // Held out: tables and values the corpus never saw, in the same shape.
        let held = [
            "CREATE TABLE stadium_event (\n  event_id INTEGER PRIMARY KEY,\n  name TEXT,\n  country TEXT\n);\n\n-- Question: How many stadium_event rows have name equal to value 3?\n",
            "SELECT count(*) FROM employee WHERE department = 'value 7' GROUP BY name ORDER BY count(*) DESC;\n",
        ];
        let a = train_bpe(c.clone().into_iter(), 512).expect("train");
        let b = train_bpe(c.into_iter(), 512).expect("train again");
        let (mut bytes, mut toks) = (0, 0);
        for h in held {
            let ids = a.encode(h);
            assert_eq!(ids, b.encode(h), "same corpus, same tokenizer");
            assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
            bytes += h.len();
            toks += ids.len();
        }
        let ratio = toks as f64 / bytes as f64;
        assert!(
            ratio < 0.4,
            "{toks} BPE tokens for {bytes} bytes ({ratio:.2})"
        );
    }

    #[test]
    fn bpe_json_round_trip_and_vocabulary_checks() {
        let t = train_bpe(corpus().into_iter(), 300).expect("train");
        let spec = t.spec();
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({"kind": "bpe", "vocab_size": t.vocab_size()})
        );
        let back = Tokenizer::from_spec(&spec, Some(&t.to_json().unwrap())).unwrap();
        let s = "SELECT name FROM singer WHERE country = 'café';\n";
        assert_eq!(back.encode(s), t.encode(s));
        assert_eq!(
            (back.bos(), back.eos(), back.pad()),
            (t.bos(), t.eos(), t.pad())
        );
        assert!(Tokenizer::from_spec(&spec, None).is_err());
        let wrong = TokenizerSpec::Bpe {
            vocab_size: 7,
            special: None,
        };
        assert!(Tokenizer::from_spec(&wrong, Some(&t.to_json().unwrap())).is_err());
        let old: TokenizerSpec = serde_json::from_str(r#"{"kind":"byte"}"#).unwrap();
        assert!(matches!(
            Tokenizer::from_spec(&old, None).unwrap(),
            Tokenizer::Byte
        ));
        assert!(train_bpe(corpus().into_iter(), 100).is_err());
        assert!(train_bpe(std::iter::empty(), 1000).is_err());
    }
}
