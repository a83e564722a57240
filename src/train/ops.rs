//! Fused CPU kernels with their own backward, for the hot spots of a training step:
//! RMSNorm, rotary positions, the SiLU-gated MLP product and the target log-probabilities
//! (attention has its own module).
//! Each has a composite fallback built from differentiable candle ops (other devices, and the
//! baseline of `sense bench train`); tests check both paths agree, gradients included.

use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor,
};
use std::sync::{Arc, Mutex};

const SERIAL_BELOW: usize = 1 << 16;

/// Calls `f(chunk_index, chunk, scratch)` for every `len`-long chunk of `dst`, on candle's own
/// worker pool (rayon here would put a second set of threads beside candle's spinning ones and
/// halve speed); each worker makes its scratch once with `scratch()`.
pub(crate) fn par_chunks<S>(
    dst: &mut [f32],
    len: usize,
    scratch: impl Fn() -> S + Sync,
    f: impl Fn(usize, &mut [f32], &mut S) + Sync,
) {
    let parts: Vec<Mutex<&mut [f32]>> = dst.chunks_mut(len.max(1)).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(parts.len(), |range| {
        let mut s = scratch();
        for i in range {
            if let Ok(mut part) = parts[i].lock() {
                f(i, &mut part, &mut s);
            }
        }
    });
}

/// Calls `f(row_index, row)` for every `row_len`-long row of `dst`, in parallel groups of rows.
fn par_rows(dst: &mut [f32], row_len: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let rows = dst.len() / row_len.max(1);
    if rows == 0 {
        return;
    }
    // Small inputs (generation steps) cost less than waking the workers.
    if dst.len() < SERIAL_BELOW {
        for (i, r) in dst.chunks_mut(row_len).enumerate() {
            f(i, r);
        }
        return;
    }
    let per = rows.div_ceil(rows.min(64));
    par_chunks(
        dst,
        per * row_len,
        || (),
        |g, part, _| {
            for (i, r) in part.chunks_mut(row_len).enumerate() {
                f(g * per + i, r);
            }
        },
    );
}

/// The elements of a contiguous f32 input.
pub(crate) fn contiguous<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("{what}: input must be contiguous"),
    }
}

/// RMSNorm over the last dim with weight `w`.
struct RmsNorm {
    eps: f32,
}

fn inv_rms(x: &[f32], eps: f32) -> f32 {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    1.0 / (ms + eps).sqrt()
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let w = contiguous(s2, l2, self.name())?;
        let d = w.len();
        let eps = self.eps;
        let mut dst = vec![0f32; x.len()];
        par_rows(&mut dst, d, |i, o| {
            let x = &x[i * d..(i + 1) * d];
            let r = inv_rms(x, eps);
            for ((o, &xv), &wv) in o.iter_mut().zip(x).zip(w) {
                *o = xv * r * wv;
            }
        });
        Ok((CpuStorage::F32(dst), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let x = x.contiguous()?;
        let dx = x.apply_op3_no_bwd(w, &g, &RmsNormBackward { eps: self.eps })?;
        let dw = x.apply_op2_no_bwd(
            &g,
            &RmsNormWeightGrad {
                eps: self.eps,
                d: w.dim(0)?,
            },
        )?;
        Ok((Some(dx), Some(dw)))
    }
}

/// `dx = r * (g*w - x_hat * mean(g*w*x_hat))`, `x_hat = x * r`.
struct RmsNormBackward {
    eps: f32,
}

impl CustomOp3 for RmsNormBackward {
    fn name(&self) -> &'static str {
        "rms-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let w = contiguous(s2, l2, self.name())?;
        let g = contiguous(s3, l3, self.name())?;
        let d = w.len();
        let eps = self.eps;
        let mut dst = vec![0f32; x.len()];
        par_rows(&mut dst, d, |i, o| {
            let (x, g) = (&x[i * d..(i + 1) * d], &g[i * d..(i + 1) * d]);
            let r = inv_rms(x, eps);
            let mean: f32 = x
                .iter()
                .zip(g)
                .zip(w)
                .map(|((xv, gv), wv)| gv * wv * xv * r)
                .sum::<f32>()
                / d as f32;
            for (((o, &xv), &gv), &wv) in o.iter_mut().zip(x).zip(g).zip(w) {
                *o = r * (gv * wv - xv * r * mean);
            }
        });
        Ok((CpuStorage::F32(dst), l1.shape().clone()))
    }
}

/// `dw = sum over rows of g * x_hat`, in one pass: each worker sums its rows into its own row
/// of partial sums, which are added at the end (composite ops took six passes and as many
/// row-sized temporaries).
struct RmsNormWeightGrad {
    eps: f32,
    d: usize,
}

impl CustomOp2 for RmsNormWeightGrad {
    fn name(&self) -> &'static str {
        "rms-norm-dw"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let g = contiguous(s2, l2, self.name())?;
        let (d, eps) = (self.d, self.eps);
        if d == 0 || x.len() != g.len() || x.len() % d != 0 {
            bail!(
                "{}: {} and {} elements for width {d}",
                self.name(),
                x.len(),
                g.len()
            );
        }
        let rows = x.len() / d;
        let groups = if x.len() < SERIAL_BELOW {
            1
        } else {
            rows.clamp(1, 64)
        };
        let per = rows.div_ceil(groups).max(1);
        let sum_rows = |group: usize, acc: &mut [f32]| {
            for i in group * per..((group + 1) * per).min(rows) {
                let (x, g) = (&x[i * d..(i + 1) * d], &g[i * d..(i + 1) * d]);
                let r = inv_rms(x, eps);
                for ((a, &xv), &gv) in acc.iter_mut().zip(x).zip(g) {
                    *a += gv * xv * r;
                }
            }
        };
        let mut partial = vec![0f32; groups * d];
        if groups == 1 {
            sum_rows(0, &mut partial);
        } else {
            par_chunks(&mut partial, d, || (), |group, acc, _| sum_rows(group, acc));
        }
        let mut dw = vec![0f32; d];
        for p in partial.chunks(d) {
            for (o, v) in dw.iter_mut().zip(p) {
                *o += v;
            }
        }
        Ok((CpuStorage::F32(dw), Shape::from(d)))
    }
}

/// Fused RMSNorm (CPU, f32) with its own backward.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op2(w, RmsNorm { eps: eps as f32 })
}

/// Rotary positions (the rotate-half layout of Llama) on `[B, H, T, Dh]`; `cos`/`sin` are
/// `[max_len, Dh/2]` tables, row `offset + t` for token `t`. Its backward is the same rotation
/// by the opposite angle.
#[derive(Clone)]
pub struct Rope {
    cos: Arc<Vec<f32>>,
    sin: Arc<Vec<f32>>,
    half: usize,
    offset: usize,
    sign: f32,
}

impl Rope {
    pub fn new(cos: Arc<Vec<f32>>, sin: Arc<Vec<f32>>, half: usize) -> Self {
        Rope {
            cos,
            sin,
            half,
            offset: 0,
            sign: 1.0,
        }
    }

    pub fn apply(&self, x: &Tensor, offset: usize) -> Result<Tensor> {
        let op = Rope {
            offset,
            ..self.clone()
        };
        x.contiguous()?.apply_op1(op)
    }
}

impl CustomOp1 for Rope {
    fn name(&self) -> &'static str {
        "rope"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s, l, self.name())?;
        let dims = l.shape().dims();
        let (t, hd) = (dims[dims.len() - 2], dims[dims.len() - 1]);
        let half = self.half;
        if hd != 2 * half {
            bail!(
                "rope: head dim {hd} does not match the tables ({})",
                2 * half
            );
        }
        if (self.offset + t) * half > self.cos.len() {
            bail!("rope: position {} beyond the tables", self.offset + t);
        }
        let (cos, sin, sign, offset) = (&self.cos, &self.sin, self.sign, self.offset);
        let mut dst = vec![0f32; x.len()];
        par_rows(&mut dst, hd, |r, y| {
            let x = &x[r * hd..(r + 1) * hd];
            let p = (r % t + offset) * half;
            let (c, sn) = (&cos[p..p + half], &sin[p..p + half]);
            for i in 0..half {
                let (a, b) = (x[i], x[i + half]);
                let s = sign * sn[i];
                y[i] = a * c[i] - b * s;
                y[i + half] = b * c[i] + a * s;
            }
        });
        Ok((CpuStorage::F32(dst), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let back = Rope {
            sign: -self.sign,
            ..self.clone()
        };
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&back)?))
    }
}

/// SiLU-gated product of a packed `[.., 2F]` gate|up projection: `silu(gate) * up`, `[.., F]`.
struct SwiGlu;

fn silu_parts(g: f32) -> (f32, f32) {
    let sig = 1.0 / (1.0 + (-g).exp());
    (g * sig, sig)
}

impl CustomOp1 for SwiGlu {
    fn name(&self) -> &'static str {
        "swiglu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s, l, self.name())?;
        let dims = l.shape().dims();
        let f2 = dims[dims.len() - 1];
        if !f2.is_multiple_of(2) {
            bail!("swiglu: last dim {f2} is odd");
        }
        let f = f2 / 2;
        let mut dst = vec![0f32; x.len() / 2];
        par_rows(&mut dst, f, |r, o| {
            let (g, u) = x[r * f2..(r + 1) * f2].split_at(f);
            for ((o, &g), &u) in o.iter_mut().zip(g).zip(u) {
                *o = silu_parts(g).0 * u;
            }
        });
        let mut out = dims.to_vec();
        *out.last_mut().unwrap_or(&mut 0) = f;
        Ok((CpuStorage::F32(dst), out.into()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = grad.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(&g, &SwiGluBackward)?))
    }
}

/// `(gate|up, dy) -> (dgate|dup)`.
struct SwiGluBackward;

impl CustomOp2 for SwiGluBackward {
    fn name(&self) -> &'static str {
        "swiglu-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let dy = contiguous(s2, l2, self.name())?;
        let f2 = l1.shape().dims()[l1.shape().rank() - 1];
        let f = f2 / 2;
        let mut dst = vec![0f32; x.len()];
        par_rows(&mut dst, f2, |r, o| {
            let (g, u) = x[r * f2..(r + 1) * f2].split_at(f);
            let dy = &dy[r * f..(r + 1) * f];
            let (dg, du) = o.split_at_mut(f);
            for i in 0..f {
                let (silu, sig) = silu_parts(g[i]);
                du[i] = dy[i] * silu;
                dg[i] = dy[i] * u[i] * sig * (1.0 + g[i] * (1.0 - sig));
            }
        });
        Ok((CpuStorage::F32(dst), l1.shape().clone()))
    }
}

/// `silu(gate) * up` for a packed `[.., 2F]` projection (CPU, f32), with its own backward.
pub fn swiglu(gate_up: &Tensor) -> Result<Tensor> {
    gate_up.contiguous()?.apply_op1(SwiGlu)
}

/// Log-probability of each target under a softmax over the last dim: logits `[N, V]`, targets
/// `[N]` (u32) to `[N]`. One pass instead of log-softmax, gather and their backward's
/// vocabulary-sized scatter.
struct TargetLogProb;

fn log_sum_exp(row: &[f32]) -> f32 {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    max + row.iter().map(|&v| (v - max).exp()).sum::<f32>().ln()
}

fn targets<'a>(s: &'a CpuStorage, l: &Layout, n: usize, v: usize) -> Result<&'a [u32]> {
    let t = match l.contiguous_offsets() {
        Some((a, b)) => &s.as_slice::<u32>()?[a..b],
        None => bail!("target-logprob: targets must be contiguous"),
    };
    if t.len() != n {
        bail!("target-logprob: {} targets for {n} rows", t.len());
    }
    if let Some(bad) = t.iter().find(|&&x| x as usize >= v) {
        bail!("target-logprob: target {bad} outside the vocabulary of {v}");
    }
    Ok(t)
}

impl CustomOp2 for TargetLogProb {
    fn name(&self) -> &'static str {
        "target-logprob"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let (n, v) = l1.shape().dims2()?;
        let t = targets(s2, l2, n, v)?;
        let out: Vec<f32> = (0..n)
            .map(|r| {
                let row = &x[r * v..(r + 1) * v];
                row[t[r] as usize] - log_sum_exp(row)
            })
            .collect();
        Ok((CpuStorage::F32(out), n.into()))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let dx = logits.apply_op3_no_bwd(targets, &g, &TargetLogProbBackward)?;
        Ok((Some(dx), None))
    }
}

/// `dlogits = g * (onehot(target) - softmax(logits))`.
struct TargetLogProbBackward;

impl CustomOp3 for TargetLogProbBackward {
    fn name(&self) -> &'static str {
        "target-logprob-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, self.name())?;
        let (n, v) = l1.shape().dims2()?;
        let t = targets(s2, l2, n, v)?;
        let g = contiguous(s3, l3, self.name())?;
        let mut dst = vec![0f32; x.len()];
        par_rows(&mut dst, v, |r, o| {
            let row = &x[r * v..(r + 1) * v];
            if g[r] == 0.0 {
                return;
            }
            let lse = log_sum_exp(row);
            for (o, &xv) in o.iter_mut().zip(row) {
                *o = -g[r] * (xv - lse).exp();
            }
            o[t[r] as usize] += g[r];
        });
        Ok((CpuStorage::F32(dst), l1.shape().clone()))
    }
}

/// Log-probability of each target: `[N]` from logits `[N, V]` and targets `[N]` (u32).
pub fn target_logps(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits
        .contiguous()?
        .apply_op2(&targets.contiguous()?, TargetLogProb)
}

/// Element-wise `|a - b| <= tol * (1 + |b|)` (tests of the fused kernels).
#[cfg(test)]
pub(crate) fn assert_close(a: &Tensor, b: &Tensor, tol: f32) {
    let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
    let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} vs {y}"
        );
    }
}

/// Gradient of `sum(y * w)` with respect to `x` (tests of the fused kernels' backward).
#[cfg(test)]
pub(crate) fn weighted_grad(y: &Tensor, w: &Tensor, x: &candle_core::Var) -> Tensor {
    let gs = (y * w).unwrap().sum_all().unwrap().backward().unwrap();
    gs.get(x).unwrap().clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::{assert_close as close, weighted_grad};
    use candle_core::{Device, Var};

    #[test]
    fn fused_rope_matches_candle_rope_slow_forward_and_backward() {
        let dev = Device::Cpu;
        let (t, half, offset) = (5, 4, 3);
        let cos: Vec<f32> = (0..(t + offset) * half)
            .map(|i| (i as f32 * 0.37).cos())
            .collect();
        let sin: Vec<f32> = (0..(t + offset) * half)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let rope = Rope::new(Arc::new(cos.clone()), Arc::new(sin.clone()), half);
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 3, t, 2 * half), &dev).unwrap())
            .unwrap();
        let up = Tensor::randn(0f32, 1.0, (2, 3, t, 2 * half), &dev).unwrap();
        let fused = rope.apply(&x, offset).unwrap();
        let c = Tensor::from_vec(cos, (t + offset, half), &dev)
            .unwrap()
            .narrow(0, offset, t)
            .unwrap();
        let s = Tensor::from_vec(sin, (t + offset, half), &dev)
            .unwrap()
            .narrow(0, offset, t)
            .unwrap();
        let comp = candle_nn::rotary_emb::rope_slow(&x, &c, &s).unwrap();
        close(&fused, &comp, 1e-5);
        let gf = (&fused * &up)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let gc = (&comp * &up)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        close(gf.get(&x).unwrap(), gc.get(&x).unwrap(), 1e-5);
    }

    /// Small inputs run on one thread; 601 rows of 128 run on the workers, the weight's
    /// gradient summed from their partial sums (with a ragged last group).
    #[test]
    fn fused_rms_norm_matches_composite_forward_and_backward() {
        for (rows, d) in [(3, 8), (601, 128)] {
            rms_norm_matches(rows, d);
        }
    }

    fn rms_norm_matches(rows: usize, d: usize) {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.5, (2, rows, d), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(1f32, 0.3, d, &dev).unwrap()).unwrap();
        let up = Tensor::randn(0f32, 1.0, (2, rows, d), &dev).unwrap();
        let fused = rms_norm(&x, &w, 1e-5).unwrap();
        let comp = crate::train::model::rms_norm_composite(&x, &w, 1e-5).unwrap();
        close(&fused, &comp, 1e-5);
        let gf = (&fused * &up)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let gc = (&comp * &up)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        close(gf.get(&x).unwrap(), gc.get(&x).unwrap(), 1e-4);
        close(gf.get(&w).unwrap(), gc.get(&w).unwrap(), 1e-4);
    }

    #[test]
    fn fused_swiglu_matches_composite_forward_and_backward() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 2.0, (2, 3, 10), &dev).unwrap()).unwrap();
        let up = Tensor::randn(0f32, 1.0, (2, 3, 5), &dev).unwrap();
        let fused = swiglu(&x).unwrap();
        let g = x.narrow(2, 0, 5).unwrap();
        let u = x.narrow(2, 5, 5).unwrap();
        let comp = (g.silu().unwrap() * u).unwrap();
        close(&fused, &comp, 1e-5);
        close(
            &weighted_grad(&fused, &up, &x),
            &weighted_grad(&comp, &up, &x),
            1e-4,
        );
    }

    #[test]
    fn fused_target_logps_match_log_softmax_and_gather() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 3.0, (2, 4, 7), &dev).unwrap()).unwrap();
        let t = Tensor::new(&[[0u32, 6, 3, 3], [1, 2, 5, 0]], &dev).unwrap();
        let w = Tensor::new(&[[1f32, 0.0, 2.0, -1.0], [0.5, 1.0, 0.0, 3.0]], &dev).unwrap();
        let fused = target_logps(&x.reshape((8, 7)).unwrap(), &t.flatten_all().unwrap())
            .unwrap()
            .reshape((2, 4))
            .unwrap();
        let comp = crate::train::model::token_logps(&x, &t).unwrap();
        close(&fused, &comp, 1e-5);
        close(
            &weighted_grad(&fused, &w, &x),
            &weighted_grad(&comp, &w, &x),
            1e-5,
        );
        let bad = Tensor::new(&[[0u32, 7, 0, 0], [0, 0, 0, 0]], &dev).unwrap();
        let err = target_logps(&x.reshape((8, 7)).unwrap(), &bad.flatten_all().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the vocabulary"), "{err}");
    }
}
