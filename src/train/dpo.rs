//! Direct preference optimization as TRL computes it: per-sequence log-probabilities summed
//! over completion tokens, a frozen reference, loss `softplus(-beta * margin)` averaged over
//! pairs (with optional label smoothing and an SFT term on the chosen completions).

use super::data::{make_batch, Batch, Seq};
use super::error::Result;
use super::model::Model;
use candle_core::{Device, Tensor};

/// Summed completion log-probability of each sequence `[B]`.
pub fn seq_logps(model: &Model, batch: &Batch) -> Result<Tensor> {
    let lp = model.target_logps(&batch.inputs, &batch.targets)?;
    Ok((lp * &batch.mask)?.sum(1)?)
}

/// `log(1 + exp(z))` without overflow: `max(z, 0) + log(1 + exp(-|z|))`.
pub fn softplus(z: &Tensor) -> Result<Tensor> {
    let tail = ((z.abs()?.neg()?.exp()? + 1.0)?).log()?;
    Ok((z.relu()? + tail)?)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DpoStats {
    pub rewards_chosen: f64,
    pub rewards_rejected: f64,
    pub accuracy: f64,
    pub margin: f64,
    pub logps_chosen: f64,
    pub logps_rejected: f64,
}

/// Mean DPO loss over pairs and the TRL statistics. All inputs are `[N]`.
pub fn dpo_loss(
    pi_c: &Tensor,
    pi_r: &Tensor,
    ref_c: &Tensor,
    ref_r: &Tensor,
    beta: f64,
    label_smoothing: f64,
) -> Result<(Tensor, DpoStats)> {
    let logits = ((pi_c - ref_c)? - (pi_r - ref_r)?)?;
    let x = (logits * beta)?;
    let mut loss = (softplus(&x.neg()?)? * (1.0 - label_smoothing))?;
    if label_smoothing > 0.0 {
        loss = (loss + (softplus(&x)? * label_smoothing)?)?;
    }
    let loss = loss.mean_all()?;
    let rc: Vec<f32> = ((pi_c - ref_c)?.detach() * beta)?.to_vec1()?;
    let rr: Vec<f32> = ((pi_r - ref_r)?.detach() * beta)?.to_vec1()?;
    let n = rc.len().max(1) as f64;
    let mean = |v: &[f32]| v.iter().map(|&a| a as f64).sum::<f64>() / n;
    let stats = DpoStats {
        rewards_chosen: mean(&rc),
        rewards_rejected: mean(&rr),
        accuracy: rc.iter().zip(&rr).filter(|(c, r)| c > r).count() as f64 / n,
        margin: rc.iter().zip(&rr).map(|(c, r)| (c - r) as f64).sum::<f64>() / n,
        logps_chosen: mean(&pi_c.detach().to_vec1::<f32>()?),
        logps_rejected: mean(&pi_r.detach().to_vec1::<f32>()?),
    };
    Ok((loss, stats))
}

/// One forward pass over `[chosen; rejected]`: summed log-probs of each half, the chosen
/// completion token count, and the number of real tokens.
pub fn pair_logps(
    model: &Model,
    pairs: &[&(Seq, Seq)],
    pad: u32,
    device: &Device,
) -> Result<(Tensor, Tensor, usize, usize)> {
    let n = pairs.len();
    let seqs: Vec<&Seq> = pairs
        .iter()
        .map(|p| &p.0)
        .chain(pairs.iter().map(|p| &p.1))
        .collect();
    let batch = make_batch(&seqs, pad, device)?;
    let lp = seq_logps(model, &batch)?;
    let chosen_tokens: usize = pairs.iter().map(|p| p.0.completion_len()).sum();
    Ok((
        lp.narrow(0, 0, n)?,
        lp.narrow(0, n, n)?,
        chosen_tokens,
        batch.tokens,
    ))
}

/// Reference log-probs (chosen, rejected) of every pair, computed once with the frozen model.
pub fn reference_logps(
    model: &Model,
    pairs: &[(Seq, Seq)],
    batch: usize,
    pad: u32,
) -> Result<Vec<(f32, f32)>> {
    let mut out = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(batch.max(1)) {
        let refs: Vec<&(Seq, Seq)> = chunk.iter().collect();
        let (c, r, _, _) = pair_logps(model, &refs, pad, model.device())?;
        let c: Vec<f32> = c.detach().to_vec1()?;
        let r: Vec<f32> = r.detach().to_vec1()?;
        out.extend(c.into_iter().zip(r));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// The figures from the issue (beta 0.1; TRL's sigmoid loss).
    #[test]
    fn dpo_vector() {
        let d = Device::Cpu;
        let pi_c = Var::from_vec(vec![-10f32, -30.0, -5.0], 3, &d).unwrap();
        let pi_r = Var::from_vec(vec![-12f32, -20.0, -5.0], 3, &d).unwrap();
        let ref_c = Tensor::new(&[-11f32, -25.0, -6.0], &d).unwrap();
        let ref_r = Tensor::new(&[-11f32, -25.0, -4.0], &d).unwrap();
        let (loss, stats) = dpo_loss(&pi_c, &pi_r, &ref_c, &ref_r, 0.1, 0.0).unwrap();
        let l = loss.to_scalar::<f32>().unwrap();
        assert!((l - 0.836513).abs() < 1e-5, "loss {l}");
        let grads = loss.backward().unwrap();
        let g: Vec<f32> = grads.get(pi_c.as_tensor()).unwrap().to_vec1().unwrap();
        for (got, want) in g.iter().zip([-0.015006f32, -0.024369, -0.015006]) {
            assert!((got - want).abs() < 1e-6, "grad {g:?}");
        }
        let gr: Vec<f32> = grads.get(pi_r.as_tensor()).unwrap().to_vec1().unwrap();
        assert!((gr[1] - 0.024369).abs() < 1e-6);
        assert!((stats.accuracy - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn softplus_is_stable() {
        let d = Device::Cpu;
        let z = Tensor::new(&[-200f32, 0.0, 200.0], &d).unwrap();
        let v: Vec<f32> = softplus(&z).unwrap().to_vec1().unwrap();
        assert!(
            v[0].abs() < 1e-6
                && (v[1] - std::f32::consts::LN_2).abs() < 1e-6
                && (v[2] - 200.0).abs() < 1e-3
        );
    }
}
