//! Prompts for workspace examples, each database's schema read once. Sampling, training,
//! evaluation and export share this one cache, so they build the same text the same way.

use super::{introspect_path, prompt_for, DbSchema, PromptFormat, PromptOptions, SchemaError};
use crate::store::{Example, Store, StoreError};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The example's database could not be read (callers name the database).
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Prompts for examples in one layout, with each database's schema read once.
#[derive(Default)]
pub struct PromptCache {
    schemas: HashMap<i64, DbSchema>,
    format: PromptFormat,
}

impl PromptCache {
    /// Prompts in `format` (a generator's: see `SqlGenerator::prompt_format`; a checkpoint's).
    pub fn new(format: PromptFormat) -> Self {
        PromptCache {
            schemas: HashMap::new(),
            format,
        }
    }

    /// The training prompt of an example: `prompt_for(schema, question, evidence, format)`.
    pub fn prompt(&mut self, store: &Store, ex: &Example) -> Result<String, PromptError> {
        let schema = match self.schemas.entry(ex.db_id) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let db = store.database(ex.db_id)?;
                v.insert(introspect_path(
                    &db.path,
                    PromptOptions::default().sample_rows,
                )?)
            }
        };
        Ok(prompt_for(
            schema,
            &ex.question,
            ex.evidence.as_deref(),
            PromptOptions::of(self.format),
        ))
    }
}
