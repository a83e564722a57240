//! "Save as pair" from the Playground: the question becomes an example whose gold is the SQL
//! corrected by hand, and the model's SQL is recorded and judged as a candidate of it (with the
//! model's name as provenance); when the judge finds it wrong, that makes the pending pair
//! (model's SQL rejected, corrected SQL chosen) Review then shows.

use crate::exec::{Limits, Metric};
use crate::store::Store;
use crate::synth::weak::{CandidateInput, Judge};

/// What saving a pair did.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSaved {
    pub example_id: i64,
    /// The example was new (else the question was already in the workspace).
    pub new_example: bool,
    /// The new pair; None when the model's SQL was judged right (or the pair existed).
    pub pair_id: Option<i64>,
    /// The judge's verdict on the model's SQL ("correct", "wrong", ...).
    pub verdict: String,
}

/// Saves `question` with `corrected_sql` as its gold, then records `model_sql` from `model`.
pub fn save_pair(
    store: &Store,
    db: &str,
    question: &str,
    corrected_sql: &str,
    model: &str,
    model_sql: &str,
    allow_dev: bool,
) -> Result<PairSaved, String> {
    if model_sql.trim().is_empty() {
        return Err("the model gave no SQL to reject".into());
    }
    if model_sql.trim() == corrected_sql.trim() {
        return Err("the corrected SQL is the model's: change it first, or save as example".into());
    }
    let (example_id, new_example) = crate::tui::bg::save_example(
        store,
        db,
        question,
        corrected_sql,
        allow_dev,
        Some((model, model_sql)),
    )?;
    if example_id == 0 {
        return Err(format!("the example saved on {db} cannot be found again"));
    }
    let mut judge = Judge::new(Metric::spider(), Limits::default());
    let r = judge
        .record(
            store,
            model,
            &CandidateInput {
                example_id,
                sql: model_sql.to_string(),
            },
            None,
        )
        .map_err(|e| format!("recording the model's SQL for example #{example_id}: {e}"))?;
    Ok(PairSaved {
        example_id,
        new_example,
        pair_id: r.pair_id,
        verdict: r.verdict.label().to_string(),
    })
}
