//! Saving from the Playground. "Save as example": the question with its SQL (which must run
//! and return rows) becomes an example. "Save as pair": the question becomes an example whose
//! gold is the SQL corrected by hand, and the model's SQL is recorded and judged as a
//! candidate of it (with the model's name as provenance); when the judge finds it wrong, that
//! makes the pending pair (model's SQL rejected, corrected SQL chosen) Review then shows.

use crate::exec::{Executor, Limits, Metric};
use crate::store::{NewExample, Store};
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
    let (example_id, new_example) = save_example(
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

/// Inserts a Playground question as an example (source `playground`, the database's split);
/// its SQL must run and return rows. A held-out (dev) database takes it only with `allow_dev`.
/// Returns (example id, newly inserted).
pub fn save_example(
    store: &Store,
    db: &str,
    question: &str,
    sql: &str,
    allow_dev: bool,
    from: Option<(&str, &str)>,
) -> Result<(i64, bool), String> {
    let row = store
        .databases()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|d| d.name == db)
        .ok_or_else(|| format!("no database '{db}' in the workspace"))?;
    if row.split != crate::store::TRAIN && !allow_dev {
        return Err(crate::store::StoreError::HeldOut(format!("database '{db}'")).to_string());
    }
    let question = question.trim();
    if question.is_empty() {
        return Err("the question is empty".into());
    }
    let rows = Executor::open(&row.path, Limits::default())
        .and_then(|ex| ex.run(sql))
        .map_err(|e| e.to_string())?
        .rows
        .len();
    if rows == 0 {
        return Err("the SQL returns no rows".into());
    }
    let split = row.split.clone();
    let (inserted, _) = store
        .insert_examples(&[NewExample {
            db_id: row.id,
            question: question.to_string(),
            gold_sql: sql.trim().to_string(),
            evidence: None,
            difficulty: None,
            split,
            source: "playground".into(),
            // Which model wrote the SQL that was corrected into this gold, and what it wrote.
            provenance: match from {
                Some((model, model_sql)) => serde_json::json!({
                    "from": "tui playground", "model": model, "model_sql": model_sql
                }),
                None => serde_json::json!({"from": "tui playground"}),
            },
            exchange_id: None,
        }])
        .map_err(|e| e.to_string())?;
    let id = store
        .find_example(db, question)
        .map_err(|e| e.to_string())?
        .unwrap_or(0);
    Ok((id, inserted > 0))
}
