//! Supervised fine-tuning loss: mean negative log-likelihood of the completion tokens only.

use super::data::Batch;
use super::model::{token_logps, Model};
use anyhow::Result;
use candle_core::Tensor;

/// Mean NLL over the batch's completion tokens (prompt and padding are masked out).
pub fn sft_loss(model: &Model, batch: &Batch) -> Result<Tensor> {
    let logits = model.forward_train(&batch.inputs)?;
    let lp = token_logps(&logits, &batch.targets)?;
    let n = batch.completion_tokens.max(1) as f64;
    Ok(((lp * &batch.mask)?.sum_all()? * (-1.0 / n))?)
}
