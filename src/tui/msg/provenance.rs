//! Messages of the provenance overlays: the loads they ask for and what comes back.

use crate::llm::prompts::Prompt;
use crate::store::Exchange;

#[derive(Debug, Clone, PartialEq)]
pub enum ProvEffect {
    LoadExchange(i64),
    LoadPrompts,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProvLoaded {
    Exchange(i64, Box<Result<Exchange, String>>),
    Prompts(Result<Vec<Prompt>, String>),
}
