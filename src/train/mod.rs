//! Local models with candle: byte tokenizer, a small Llama-style decoder, SFT and DPO with
//! AdamW, generation with a KV cache, checkpoints, and runs whose metrics live in the store.

pub mod attention;
pub mod bench;
pub mod chat_template;
pub mod checkpoint;
pub mod config;
pub mod conversation;
pub mod data;
pub mod decode;
pub mod dpo;
pub mod error;
pub mod eval;
pub mod exec_guided;
pub mod gemm;
pub mod generate;
pub mod hf;
pub mod links;
pub mod literals;
pub mod loaded;
pub mod local;
pub mod malloc;
pub mod model;
pub mod ops;
pub mod optim;
pub mod packing;
pub mod runner;
pub mod schema_bound;
pub mod sft;
pub mod sql_scope;
pub mod tokenizer;

pub use config::{ModelConfig, TrainConfig, TrainKind};
pub use error::TrainError;
pub use model::Model;
pub use tokenizer::Tokenizer;
