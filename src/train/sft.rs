//! Supervised fine-tuning loss: mean negative log-likelihood of the completion tokens only.

use super::data::{make_batch, Batch, Seq};
use super::error::Result;
use super::model::Model;
use candle_core::Tensor;

/// Mean NLL over the batch's completion tokens (prompt and padding are masked out).
pub fn sft_loss(model: &Model, batch: &Batch) -> Result<Tensor> {
    let n = batch.completion_tokens.max(1) as f64;
    if batch.completion_tokens == 0 {
        // Nothing to learn from; a zero that still depends on the model keeps backward valid.
        let lp = model.target_logps(&batch.inputs, &batch.targets)?;
        return Ok(((lp * &batch.mask)?.sum_all()? * (-1.0 / n))?);
    }
    // Only the completion tokens count: the head is computed at those positions alone.
    let lp = model.target_logps_at(
        &batch.inputs,
        &batch.targets,
        &batch.completion_at,
        batch.segments.as_ref(),
    )?;
    Ok((lp.sum_all()? * (-1.0 / n))?)
}

/// Mean NLL per completion token over `seqs` (same masking as [`sft_loss`]), in batches of
/// `batch_size`, without recording a gradient graph. `None` when there is nothing to score.
pub fn sft_eval_loss(
    model: &Model,
    seqs: &[Seq],
    batch_size: usize,
    pad: u32,
) -> Result<Option<f64>> {
    let view = model.detached();
    let (mut nll, mut tokens) = (0f64, 0usize);
    for chunk in seqs.chunks(batch_size.max(1)) {
        let refs: Vec<&Seq> = chunk.iter().collect();
        let batch = make_batch(&refs, pad, view.device())?;
        if batch.completion_tokens == 0 {
            continue;
        }
        let mean = f64::from(sft_loss(&view, &batch)?.to_scalar::<f32>()?);
        nll += mean * batch.completion_tokens as f64;
        tokens += batch.completion_tokens;
    }
    Ok((tokens > 0).then(|| nll / tokens as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::config::ModelConfig;
    use candle_core::Device;

    #[test]
    fn eval_loss_is_the_token_mean_whatever_the_batching() {
        let cfg = ModelConfig {
            d_model: 16,
            n_layers: 1,
            n_heads: 2,
            d_ff: 16,
            max_seq_len: 32,
            ..ModelConfig::default()
        };
        let model = Model::new(&cfg, 3, &Device::Cpu).unwrap();
        let seqs: Vec<Seq> = [
            (vec![1u32, 5, 6, 7, 2], 2),
            (vec![1, 9, 9, 2], 3),
            (vec![1, 4, 2], 1),
        ]
        .into_iter()
        .map(|(tokens, completion_start)| Seq::single(tokens, completion_start))
        .collect();
        let refs: Vec<&Seq> = seqs.iter().collect();
        let whole = make_batch(&refs, 0, &Device::Cpu).unwrap();
        let want = f64::from(
            sft_loss(&model, &whole)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap(),
        );
        for b in [1, 2, 3, 8] {
            let got = sft_eval_loss(&model, &seqs, b, 0).unwrap().unwrap();
            assert!((got - want).abs() < 1e-5, "batch {b}: {got} vs {want}");
        }
        assert_eq!(sft_eval_loss(&model, &[], 4, 0).unwrap(), None);
    }

    /// The loss over completion positions only (head computed there alone) equals the masked
    /// loss over every position, in value and in gradient, on the fused and composite paths.
    #[test]
    fn the_head_at_completion_positions_only_gives_the_masked_loss() {
        let cfg = ModelConfig {
            d_model: 16,
            n_layers: 2,
            n_heads: 2,
            d_ff: 24,
            max_seq_len: 32,
            ..ModelConfig::default()
        };
        let seqs: Vec<Seq> = [
            (vec![1u32, 5, 6, 7, 8, 9, 2], 4),
            (vec![1, 9, 9, 2], 3),
            (vec![1, 4, 3, 3, 2], 1),
        ]
        .into_iter()
        .map(|(tokens, completion_start)| Seq::single(tokens, completion_start))
        .collect();
        let refs: Vec<&Seq> = seqs.iter().collect();
        for fused in [true, false] {
            let mut model = Model::new(&cfg, 5, &Device::Cpu).unwrap();
            model.fused = fused;
            let batch = make_batch(&refs, 0, &Device::Cpu).unwrap();
            assert_eq!(
                batch.completion_at.dims1().unwrap(),
                batch.completion_tokens
            );
            let n = batch.completion_tokens as f64;
            let full = model.target_logps(&batch.inputs, &batch.targets).unwrap();
            let want = ((full * &batch.mask).unwrap().sum_all().unwrap() * (-1.0 / n)).unwrap();
            let got = sft_loss(&model, &batch).unwrap();
            let (w, g) = (
                want.to_scalar::<f32>().unwrap(),
                got.to_scalar::<f32>().unwrap(),
            );
            assert!((w - g).abs() < 1e-5, "fused {fused}: {g} vs {w}");
            let (gw, gg) = (want.backward().unwrap(), got.backward().unwrap());
            for (name, p) in model.params() {
                let a = gw.get(p).unwrap();
                let b = gg.get(p).unwrap();
                let d = (a - b)
                    .unwrap()
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                assert!(d < 1e-5, "fused {fused}: gradient of {name} differs by {d}");
            }
        }
    }
}
