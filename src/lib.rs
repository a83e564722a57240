//! sense: build text-to-SQL training data the SENSE way (strong synthesis, weak sampling,
//! execution-checked preference pairs, human review), and train small models on it.

pub mod atomic;
pub mod cli;
pub mod dataset;
pub mod evaluate;
pub mod exec;
pub mod jobs;
pub mod llm;
pub mod proc;
pub mod recipe;
pub mod schema;
pub mod series;
pub mod serve;
pub mod source;
pub mod sqltext;
pub mod store;
pub mod synth;
pub mod train;
pub mod tui;
