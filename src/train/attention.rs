//! Fused causal self-attention for training (CPU, f32): from the packed `[B, T, 3*D]` output of
//! one q|k|v projection to `[B, T, D]`, ready for the output projection. Rotary positions, the
//! scaled causal softmax and both products run per (sequence, head) in one pass, so the graph
//! holds one node instead of a dozen (candle's backward allocates and adds a zeroed gradient for
//! every node, and the score tensors are the largest of the step). The backward recomputes the
//! probabilities instead of keeping them, like flash attention.

use super::gemm::{matmul, View};
use super::ops::{contiguous, par_chunks};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use std::sync::Arc;

#[derive(Clone)]
pub struct CausalAttention {
    heads: usize,
    /// Positions per sequence (rows of the input are sequence-major).
    seq_len: usize,
    /// Left padding (generation's prefill): the first real position of each sequence. Keys
    /// before it are invisible and query rows before it give zeros.
    starts: Option<Arc<Vec<usize>>>,
    /// Rotary tables `[max_len, head_dim / 2]` (rotate-half layout).
    cos: Arc<Vec<f32>>,
    sin: Arc<Vec<f32>>,
}

/// Dimensions of a packed input, checked.
struct Dims {
    b: usize,
    t: usize,
    d: usize,
    hd: usize,
    half: usize,
}

impl CausalAttention {
    pub fn new(heads: usize, cos: Arc<Vec<f32>>, sin: Arc<Vec<f32>>) -> Self {
        CausalAttention {
            heads,
            seq_len: 0,
            starts: None,
            cos,
            sin,
        }
    }

    /// Attention output `[B*T, D]` for packed projections `qkv [B*T, 3*D]` of sequences of
    /// `seq_len` positions.
    pub fn apply(&self, qkv: &Tensor, seq_len: usize) -> Result<Tensor> {
        let op = CausalAttention {
            seq_len,
            starts: None,
            ..self.clone()
        };
        qkv.contiguous()?.apply_op1(op)
    }

    /// As [`apply`](Self::apply) for left-padded sequences whose real tokens start at
    /// `starts[b]`.
    pub fn apply_padded(&self, qkv: &Tensor, seq_len: usize, starts: &[usize]) -> Result<Tensor> {
        let op = CausalAttention {
            seq_len,
            starts: Some(Arc::new(starts.to_vec())),
            ..self.clone()
        };
        qkv.contiguous()?.apply_op1(op)
    }

    fn start(&self, b: usize) -> usize {
        self.starts
            .as_ref()
            .and_then(|s| s.get(b).copied())
            .unwrap_or(0)
    }

    fn dims(&self, l: &Layout) -> Result<Dims> {
        let (rows, d3) = l.shape().dims2()?;
        let t = self.seq_len;
        if t == 0 || rows % t != 0 {
            bail!("attention: {rows} rows are not whole sequences of {t}");
        }
        let b = rows / t;
        if self.starts.as_ref().is_some_and(|s| s.len() != b) {
            bail!(
                "attention: padding starts for {} sequences, not {b}",
                self.starts.as_ref().map_or(0, |s| s.len())
            );
        }
        if d3 % (3 * self.heads) != 0 {
            bail!("attention: last dim {d3} is not 3 x heads x head_dim");
        }
        let d = d3 / 3;
        let hd = d / self.heads;
        let half = hd / 2;
        if !hd.is_multiple_of(2) || t * half > self.cos.len() {
            bail!("attention: {t} positions or head dim {hd} do not fit the rotary tables");
        }
        Ok(Dims { b, t, d, hd, half })
    }

    /// Rotates `T` rows of `hd` values from `src` (row stride `src_ld`) into `dst` (row stride
    /// `dst_ld`); `sign` -1 undoes the rotation (the backward of a rotation is the opposite one).
    fn rotate(
        &self,
        src: &[f32],
        src_ld: usize,
        dst: &mut [f32],
        dst_ld: usize,
        dims: &Dims,
        sign: f32,
    ) {
        let (hd, half) = (dims.hd, dims.half);
        for t in 0..dims.t {
            let x = &src[t * src_ld..t * src_ld + hd];
            let y = &mut dst[t * dst_ld..t * dst_ld + hd];
            let c = &self.cos[t * half..(t + 1) * half];
            let s = &self.sin[t * half..(t + 1) * half];
            for i in 0..half {
                let (a, b) = (x[i], x[i + half]);
                let sn = sign * s[i];
                y[i] = a * c[i] - b * sn;
                y[i + half] = b * c[i] + a * sn;
            }
        }
    }

    /// Per head: rotated q and k (`[T, hd]` each) and the causal softmax `p [T, T]` of the
    /// scaled scores, zero above the diagonal and before `start` (rows before it all zero).
    fn probabilities(&self, seq: &[f32], h: usize, start: usize, dims: &Dims, ws: &mut Workspace) {
        let (t, d, hd) = (dims.t, dims.d, dims.hd);
        let ld = 3 * d;
        self.rotate(&seq[h * hd..], ld, &mut ws.q, hd, dims, 1.0);
        self.rotate(&seq[d + h * hd..], ld, &mut ws.k, hd, dims, 1.0);
        for (r0, r1) in blocks(t) {
            matmul(
                r1 - r0,
                r1,
                hd,
                View::rows(&ws.q[r0 * hd..], hd),
                View::transposed(&ws.k, hd),
                &mut ws.p[r0 * t..],
                t,
                false,
            );
        }
        let scale = 1.0 / (hd as f32).sqrt();
        for (i, row) in ws.p.chunks_mut(t).enumerate() {
            if i < start {
                row.fill(0.0);
                continue;
            }
            let (vis, hidden) = row.split_at_mut(i + 1);
            let (before, vis) = vis.split_at_mut(start);
            before.fill(0.0);
            let max = vis.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v * scale));
            let mut sum = 0f32;
            for v in vis.iter_mut() {
                *v = (*v * scale - max).exp();
                sum += *v;
            }
            let inv = 1.0 / sum;
            vis.iter_mut().for_each(|v| *v *= inv);
            hidden.fill(0.0);
        }
    }
}

/// Row blocks `[r0, r1)` of a causal `T x T` matrix: block rows need keys `0..r1` only, so
/// products skip the upper triangle in steps of `BLOCK` (about 40% of the work at T = 256).
const BLOCK: usize = 64;

fn blocks(t: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..t)
        .step_by(BLOCK)
        .map(move |r0| (r0, (r0 + BLOCK).min(t)))
}

/// The transpose of the columns `c0..` of rows `c0..` of a row-major matrix with row stride
/// `ld`: element `(a, k)` is `m[(c0 + k) * ld + c0 + a]`.
fn lower_transposed(m: &[f32], ld: usize, c0: usize) -> View<'_> {
    View {
        data: &m[c0 * ld + c0..],
        rs: 1,
        cs: ld,
    }
}

/// Scratch buffers of one worker.
struct Workspace {
    q: Vec<f32>,
    k: Vec<f32>,
    p: Vec<f32>,
    dp: Vec<f32>,
    g: Vec<f32>,
}

impl Workspace {
    fn new(dims: &Dims) -> Self {
        let (t, hd) = (dims.t, dims.hd);
        Workspace {
            q: vec![0.0; t * hd],
            k: vec![0.0; t * hd],
            p: vec![0.0; t * t],
            dp: vec![0.0; t * t],
            g: vec![0.0; t * hd],
        }
    }
}

impl CustomOp1 for CausalAttention {
    fn name(&self) -> &'static str {
        "causal-attention"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let qkv = contiguous(s, l, "causal-attention")?;
        let dims = self.dims(l)?;
        let (t, d, hd) = (dims.t, dims.d, dims.hd);
        let mut out = vec![0f32; dims.b * t * d];
        par_chunks(
            &mut out,
            t * d,
            || Workspace::new(&dims),
            |b, y, ws| {
                let seq = &qkv[b * t * 3 * d..(b + 1) * t * 3 * d];
                for h in 0..self.heads {
                    self.probabilities(seq, h, self.start(b), &dims, ws);
                    // y_h = p . v_h, written straight into the head's columns.
                    for (r0, r1) in blocks(t) {
                        matmul(
                            r1 - r0,
                            hd,
                            r1,
                            View::rows(&ws.p[r0 * t..], t),
                            View::rows(&seq[2 * d + h * hd..], 3 * d),
                            &mut y[r0 * d + h * hd..],
                            d,
                            false,
                        );
                    }
                }
            },
        );
        Ok((CpuStorage::F32(out), (dims.b * t, d).into()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = grad.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(&g, self)?))
    }
}

/// The backward: `(qkv, dy) -> dqkv`.
impl CustomOp2 for CausalAttention {
    fn name(&self) -> &'static str {
        "causal-attention-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let qkv = contiguous(s1, l1, "causal-attention-bwd")?;
        let dy = contiguous(s2, l2, "causal-attention-bwd")?;
        let dims = self.dims(l1)?;
        let (t, d, hd) = (dims.t, dims.d, dims.hd);
        if dy.len() != dims.b * t * d {
            bail!("causal-attention-bwd: gradient has the wrong size");
        }
        let scale = 1.0 / (hd as f32).sqrt();
        let mut dqkv = vec![0f32; qkv.len()];
        par_chunks(
            &mut dqkv,
            t * 3 * d,
            || Workspace::new(&dims),
            |b, dx, ws| {
                let seq = &qkv[b * t * 3 * d..(b + 1) * t * 3 * d];
                let dy = &dy[b * t * d..(b + 1) * t * d];
                for h in 0..self.heads {
                    self.probabilities(seq, h, self.start(b), &dims, ws);
                    let dy_h = |r0: usize| View::rows(&dy[r0 * d + h * hd..], d);
                    for (c0, c1) in blocks(t) {
                        // dv = p^T . dy: key rows c0..c1 get contributions from queries c0.. only.
                        matmul(
                            c1 - c0,
                            hd,
                            t - c0,
                            lower_transposed(&ws.p, t, c0),
                            dy_h(c0),
                            &mut dx[c0 * 3 * d + 2 * d + h * hd..],
                            3 * d,
                            false,
                        );
                    }
                    // dp = dy . v^T, then ds = p * (dp - rowsum(p * dp)) * scale, in place.
                    for (r0, r1) in blocks(t) {
                        matmul(
                            r1 - r0,
                            r1,
                            hd,
                            dy_h(r0),
                            View::transposed(&seq[2 * d + h * hd..], 3 * d),
                            &mut ws.dp[r0 * t..],
                            t,
                            false,
                        );
                    }
                    for (i, (p, dp)) in ws.p.chunks(t).zip(ws.dp.chunks_mut(t)).enumerate() {
                        let (p, (dp, rest)) = (&p[..=i], dp.split_at_mut(i + 1));
                        let dot: f32 = p.iter().zip(dp.iter()).map(|(a, b)| a * b).sum();
                        for (g, &pv) in dp.iter_mut().zip(p) {
                            *g = scale * pv * (*g - dot);
                        }
                        rest.fill(0.0);
                    }
                    // dq = ds . k, dk = ds^T . q (rotated space), then rotated back.
                    for (r0, r1) in blocks(t) {
                        matmul(
                            r1 - r0,
                            hd,
                            r1,
                            View::rows(&ws.dp[r0 * t..], t),
                            View::rows(&ws.k, hd),
                            &mut ws.g[r0 * hd..],
                            hd,
                            false,
                        );
                    }
                    self.rotate(&ws.g, hd, &mut dx[h * hd..], 3 * d, &dims, -1.0);
                    for (c0, c1) in blocks(t) {
                        matmul(
                            c1 - c0,
                            hd,
                            t - c0,
                            lower_transposed(&ws.dp, t, c0),
                            View::rows(&ws.q[c0 * hd..], hd),
                            &mut ws.g[c0 * hd..],
                            hd,
                            false,
                        );
                    }
                    self.rotate(&ws.g, hd, &mut dx[d + h * hd..], 3 * d, &dims, -1.0);
                }
            },
        );
        Ok((CpuStorage::F32(dqkv), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ops::{assert_close as close, weighted_grad};
    use candle_core::{Device, Var, D};

    /// The same attention from differentiable candle ops: split heads, rope_slow, masked
    /// softmax, merge heads.
    fn composite(qkv: &Tensor, heads: usize, cos: &Tensor, sin: &Tensor) -> Tensor {
        let (b, t, d3) = qkv.dims3().unwrap();
        let d = d3 / 3;
        let hd = d / heads;
        let part = |i: usize| {
            qkv.narrow(2, i * d, d)
                .unwrap()
                .reshape((b, t, heads, hd))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        };
        let rope = |x: Tensor| candle_nn::rotary_emb::rope_slow(&x, cos, sin).unwrap();
        let (q, k, v) = (rope(part(0)), rope(part(1)), part(2));
        let mask = crate::train::model::causal_mask(t, &Device::Cpu).unwrap();
        let s = (q.matmul(&k.t().unwrap()).unwrap() * (1.0 / (hd as f64).sqrt())).unwrap();
        let p = candle_nn::ops::softmax(&s.broadcast_add(&mask).unwrap(), D::Minus1).unwrap();
        p.matmul(&v)
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .reshape((b, t, d))
            .unwrap()
    }

    #[test]
    fn fused_attention_matches_composite_forward_and_backward() {
        // One partial block, and several blocks with a partial last one.
        for t in [7, 2 * BLOCK + 22] {
            matches_composite(t);
        }
    }

    fn matches_composite(t: usize) {
        let dev = Device::Cpu;
        let (b, heads, hd) = (3, 2, 8);
        let d = heads * hd;
        let half = hd / 2;
        let cos: Vec<f32> = (0..t * half).map(|i| (i as f32 * 0.21).cos()).collect();
        let sin: Vec<f32> = (0..t * half).map(|i| (i as f32 * 0.21).sin()).collect();
        let op = CausalAttention::new(heads, Arc::new(cos.clone()), Arc::new(sin.clone()));
        let cos = Tensor::from_vec(cos, (t, half), &dev).unwrap();
        let sin = Tensor::from_vec(sin, (t, half), &dev).unwrap();
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, t, 3 * d), &dev).unwrap()).unwrap();
        let up = Tensor::randn(0f32, 1.0, (b, t, d), &dev).unwrap();
        let fused = op
            .apply(&x.reshape((b * t, 3 * d)).unwrap(), t)
            .unwrap()
            .reshape((b, t, d))
            .unwrap();
        let comp = composite(&x, heads, &cos, &sin);
        close(&fused, &comp, 1e-5);
        close(
            &weighted_grad(&fused, &up, &x),
            &weighted_grad(&comp, &up, &x),
            1e-4,
        );
    }

    #[test]
    fn a_token_never_sees_later_tokens() {
        let dev = Device::Cpu;
        let (t, heads, hd) = (6, 2, 4);
        let d = heads * hd;
        let half = hd / 2;
        let cos = Arc::new(vec![1f32; t * half]);
        let sin = Arc::new(vec![0f32; t * half]);
        let op = CausalAttention::new(heads, cos, sin);
        let x = Tensor::randn(0f32, 1.0, (t, 3 * d), &dev).unwrap();
        let before: Vec<f32> = op
            .apply(&x, t)
            .unwrap()
            .narrow(0, 0, 3)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        // Change only the last three positions.
        let tail = Tensor::randn(0f32, 1.0, (3, 3 * d), &dev).unwrap();
        let x2 = Tensor::cat(&[&x.narrow(0, 0, 3).unwrap(), &tail], 0).unwrap();
        let after: Vec<f32> = op
            .apply(&x2, t)
            .unwrap()
            .narrow(0, 0, 3)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(before, after);
    }
}
