//! Byte-level tokenizer: every UTF-8 byte is a token, plus begin, end and padding tokens.

use serde::{Deserialize, Serialize};

pub const BOS: u32 = 256;
pub const EOS: u32 = 257;
pub const PAD: u32 = 258;
/// 256 bytes + 3 special tokens.
pub const BYTE_VOCAB: usize = 259;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Tokenizer {
    #[default]
    Byte,
}

impl Tokenizer {
    pub fn vocab_size(&self) -> usize {
        BYTE_VOCAB
    }
    pub fn bos(&self) -> u32 {
        BOS
    }
    pub fn eos(&self) -> u32 {
        EOS
    }
    pub fn pad(&self) -> u32 {
        PAD
    }

    pub fn encode(&self, text: &str) -> Vec<u32> {
        text.bytes().map(u32::from).collect()
    }

    /// Text of the ordinary tokens (special tokens are dropped; broken UTF-8 is replaced).
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().filter_map(|&t| u8::try_from(t).ok()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The completion a model learns for a gold query: the SQL, `;`, a newline, then end-of-text.
pub fn completion_text(sql: &str) -> String {
    let s = sql.trim().trim_end_matches(';').trim_end();
    format!("{s};\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_utf8() {
        let t = Tokenizer::Byte;
        let s = "SELECT 'café' FROM t;";
        assert_eq!(t.decode(&t.encode(s)), s);
        assert_eq!(completion_text(" SELECT 1 ;; "), "SELECT 1;\n");
    }
}
