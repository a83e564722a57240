//! AdamW with decoupled weight decay, linear warm-up then cosine decay, global-norm clipping,
//! and gradient accumulation over micro-batches.

use super::config::TrainConfig;
use super::error::Result;
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use std::collections::HashMap;

/// Learning rate at optimizer step `step` (0-based).
pub fn lr_at(c: &TrainConfig, step: usize) -> f64 {
    lr_at_time(c, step, None)
}

/// Learning rate at `step` after `elapsed_minutes` of training: with a time budget
/// (`max_minutes`) the cosine follows whichever is further along, steps or time, so a run that
/// the budget stops still decays to its floor instead of stopping at a high rate.
pub fn lr_at_time(c: &TrainConfig, step: usize, elapsed_minutes: Option<f64>) -> f64 {
    let warm = c.warmup_steps.min(c.steps.saturating_sub(1));
    if step < warm {
        return c.lr * (step + 1) as f64 / warm as f64;
    }
    let span = (c.steps - warm).max(1) as f64;
    let by_time = match (c.max_minutes, elapsed_minutes) {
        (Some(budget), Some(t)) if budget > 0.0 => t / budget,
        _ => 0.0,
    };
    let p = ((step - warm) as f64 / span).max(by_time).clamp(0.0, 1.0);
    let floor = c.lr * c.min_lr_ratio;
    floor + (c.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
}

/// Gradients summed over micro-batches, in parameter order.
pub struct Accumulator {
    grads: Vec<Option<Tensor>>,
}

impl Accumulator {
    pub fn new(n: usize) -> Self {
        Accumulator {
            grads: vec![None; n],
        }
    }

    pub fn add(&mut self, params: &[(String, Var)], store: &GradStore) -> Result<()> {
        for (slot, (_, v)) in self.grads.iter_mut().zip(params) {
            if let Some(g) = store.get(v.as_tensor()) {
                // Detached: a gradient must not keep its backward graph (and the forward
                // activations behind it) alive.
                let g = g.detach();
                *slot = Some(match slot.take() {
                    Some(acc) => (acc + g)?,
                    None => g,
                });
            }
        }
        Ok(())
    }

    /// The gradients (zeros where a parameter got none) and their global L2 norm.
    pub fn finish(self, params: &[(String, Var)]) -> Result<(Vec<Tensor>, f64)> {
        let mut out = Vec::with_capacity(params.len());
        let mut sq = 0f64;
        for (g, (_, v)) in self.grads.into_iter().zip(params) {
            let g = match g {
                Some(g) => g,
                None => v.as_tensor().zeros_like()?,
            };
            sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            out.push(g);
        }
        Ok((out, sq.sqrt()))
    }
}

/// Scales gradients so their global norm is at most `max` (no-op when `max <= 0`).
pub fn clip(grads: &mut [Tensor], norm: f64, max: f64) -> Result<()> {
    if max > 0.0 && norm > max && norm.is_finite() {
        let s = max / (norm + 1e-6);
        for g in grads.iter_mut() {
            *g = (&*g * s)?;
        }
    }
    Ok(())
}

pub struct AdamW {
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub t: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    pub fn new(params: &[(String, Var)], c: &TrainConfig) -> Result<Self> {
        let zeros = || -> Result<Vec<Tensor>> {
            Ok(params
                .iter()
                .map(|(_, v)| v.as_tensor().zeros_like())
                .collect::<candle_core::Result<_>>()?)
        };
        Ok(AdamW {
            m: zeros()?,
            v: zeros()?,
            t: 0,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.adam_eps,
            weight_decay: c.weight_decay,
        })
    }

    /// One update. Weight decay skips vectors (norm weights).
    pub fn step(&mut self, params: &[(String, Var)], grads: &[Tensor], lr: f64) -> Result<()> {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        for (i, ((_, var), g)) in params.iter().zip(grads).enumerate() {
            let m = ((&self.m[i] * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            let v = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m / bc1)? / ((&v / bc2)?.sqrt()? + self.eps)?)?;
            let decay = if var.rank() >= 2 {
                lr * self.weight_decay
            } else {
                0.0
            };
            let w = ((var.as_tensor() * (1.0 - decay))? - (update * lr)?)?;
            var.set(&w)?;
            // Detached, or each step's moments would chain to every earlier step.
            self.m[i] = m.detach();
            self.v[i] = v.detach();
        }
        Ok(())
    }

    /// Moment tensors by name, for checkpoints.
    pub fn state(&self, params: &[(String, Var)]) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, (n, _)) in params.iter().enumerate() {
            out.insert(format!("m.{n}"), self.m[i].clone());
            out.insert(format!("v.{n}"), self.v[i].clone());
        }
        out
    }

    pub fn load_state(
        &mut self,
        params: &[(String, Var)],
        state: &HashMap<String, Tensor>,
        t: usize,
    ) -> Result<()> {
        for (i, (n, v)) in params.iter().enumerate() {
            if let (Some(m), Some(vv)) =
                (state.get(&format!("m.{n}")), state.get(&format!("v.{n}")))
            {
                self.m[i] = m.to_device(v.device())?;
                self.v[i] = vv.to_device(v.device())?;
            }
        }
        self.t = t;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moments that kept their graph chained every step to all earlier ones (and to the
    /// activations behind each gradient): memory grew by gigabytes per few dozen steps.
    #[test]
    fn optimizer_state_holds_no_graph() {
        use candle_core::{Device, Tensor};
        let d = Device::Cpu;
        let w = Var::from_tensor(&Tensor::new(&[1f32, -2.0, 3.0], &d).unwrap()).unwrap();
        let params = vec![("w".to_string(), w.clone())];
        let c = TrainConfig::default();
        let mut opt = AdamW::new(&params, &c).unwrap();
        for _ in 0..3 {
            let loss = w.as_tensor().sqr().unwrap().sum_all().unwrap();
            let mut acc = Accumulator::new(1);
            acc.add(&params, &loss.backward().unwrap()).unwrap();
            let (g, _) = acc.finish(&params).unwrap();
            assert!(g.iter().all(|g| !g.track_op()), "gradients carry a graph");
            opt.step(&params, &g, 0.1).unwrap();
        }
        assert!(
            opt.state(&params).values().all(|t| !t.track_op()),
            "moments carry a graph"
        );
        let v: Vec<f32> = w.as_tensor().to_vec1().unwrap();
        assert!(
            v[0].abs() < 1.0 && v[1].abs() < 2.0,
            "weights move toward 0: {v:?}"
        );
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let c = TrainConfig {
            lr: 1.0,
            warmup_steps: 4,
            steps: 104,
            min_lr_ratio: 0.1,
            ..TrainConfig::default()
        };
        assert!((lr_at(&c, 0) - 0.25).abs() < 1e-9);
        assert!((lr_at(&c, 3) - 1.0).abs() < 1e-9);
        assert!((lr_at(&c, 4) - 1.0).abs() < 1e-9);
        assert!((lr_at(&c, 54) - 0.55).abs() < 1e-9);
        assert!((lr_at(&c, 103) - 0.1).abs() < 1e-3);
    }

    #[test]
    fn a_time_budget_drives_the_decay() {
        let c = TrainConfig {
            lr: 1.0,
            warmup_steps: 0,
            steps: 1_000_000,
            min_lr_ratio: 0.1,
            max_minutes: Some(10.0),
            ..TrainConfig::default()
        };
        assert!((lr_at_time(&c, 10, Some(0.0)) - 1.0).abs() < 1e-6);
        assert!((lr_at_time(&c, 10, Some(5.0)) - 0.55).abs() < 1e-6);
        assert!((lr_at_time(&c, 10, Some(10.0)) - 0.1).abs() < 1e-9);
        assert!((lr_at_time(&c, 10, Some(99.0)) - 0.1).abs() < 1e-9);
        // Steps further along than time win; no budget: steps alone.
        let short = TrainConfig {
            steps: 20,
            ..c.clone()
        };
        assert!((lr_at_time(&short, 19, Some(1.0)) - lr_at(&short, 19)).abs() < 1e-12);
        let none = TrainConfig {
            max_minutes: None,
            ..c
        };
        assert!((lr_at_time(&none, 10, Some(9.0)) - 1.0).abs() < 1e-3);
    }
}
