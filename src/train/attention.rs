//! Fused causal self-attention for training (CPU, f32): from the packed `[B, T, D + 2*KVD]`
//! output of one q|k|v projection to `[B, T, D]`, ready for the output projection. Rotary
//! positions, the scaled causal softmax and both products run per (sequence, head) in one pass,
//! so the graph holds one node instead of a dozen (candle's backward allocates and adds a zeroed
//! gradient for every node, and the score tensors are the largest of the step). The backward
//! recomputes the probabilities instead of keeping them, like flash attention.
//!
//! Grouped-query attention (Qwen2, Llama 3): `heads / kv_heads` consecutive query heads share
//! one key/value head, read in place (never repeated in memory); the group's key and value
//! gradients are summed over its query heads.
//!
//! Shared-prefix packing (SFT): a row may hold one schema prefix and several question/SQL
//! segments after it ([`RowSegments`]); each segment sees the prefix and itself only, at the
//! positions it would have alone, so every segment is computed exactly as its own sequence.

use super::gemm::{matmul, View};
use super::ops::{contiguous, par_chunks};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use std::sync::Arc;

#[derive(Clone)]
pub struct CausalAttention {
    heads: usize,
    /// Key/value heads (`heads` without grouped-query attention); divides `heads`.
    kv_heads: usize,
    /// Positions per sequence (rows of the input are sequence-major).
    seq_len: usize,
    /// Left padding (generation's prefill): the first real position of each sequence. Keys
    /// before it are invisible and query rows before it give zeros.
    starts: Option<Arc<Vec<usize>>>,
    /// Shared-prefix packing, one entry per sequence.
    segments: Option<Arc<Vec<RowSegments>>>,
    /// Rotary tables `[max_len, head_dim / 2]` (rotate-half layout).
    cos: Arc<Vec<f32>>,
    sin: Arc<Vec<f32>>,
}

/// The layout of one packed row: `prefix` positions every query sees, then segments. The query
/// at `i` sees keys `j <= i` with `j < prefix` or `j >= seg_start[i]` and sits at position
/// `prefix + i - seg_start[i]`; `seg_start[i] == 0` marks the prefix (and an unpacked row),
/// which is plain causal at position `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSegments {
    pub prefix: usize,
    pub seg_start: Vec<u32>,
}

impl RowSegments {
    /// Rotary position of row position `i`.
    fn position(&self, i: usize) -> usize {
        match self.seg_start.get(i).copied().unwrap_or(0) as usize {
            0 => i,
            a => self.prefix + i - a,
        }
    }

    /// Keys `[from, to)` hidden from the query at `i` (empty when none are).
    fn gap(&self, i: usize) -> (usize, usize) {
        match self.seg_start.get(i).copied().unwrap_or(0) as usize {
            0 => (i + 1, i + 1),
            a => (self.prefix.min(a), a),
        }
    }
}

/// Dimensions of a packed input, checked.
struct Dims {
    b: usize,
    t: usize,
    /// Query (and output) width: heads x head_dim.
    d: usize,
    /// Key and value width each: kv_heads x head_dim.
    kvd: usize,
    /// Row width of the packed input: `d + 2 * kvd`.
    w: usize,
    hd: usize,
    half: usize,
}

impl Dims {
    /// Column of query head `h` in a packed row.
    fn q(&self, h: usize) -> usize {
        h * self.hd
    }
    /// Column of key head `g`.
    fn k(&self, g: usize) -> usize {
        self.d + g * self.hd
    }
    /// Column of value head `g`.
    fn v(&self, g: usize) -> usize {
        self.d + self.kvd + g * self.hd
    }
}

impl CausalAttention {
    /// Attention with `heads` query heads over `kv_heads` key/value heads.
    pub fn new(heads: usize, kv_heads: usize, cos: Arc<Vec<f32>>, sin: Arc<Vec<f32>>) -> Self {
        CausalAttention {
            heads,
            kv_heads,
            seq_len: 0,
            starts: None,
            segments: None,
            cos,
            sin,
        }
    }

    /// Attention output `[B*T, D]` for packed projections `qkv [B*T, D + 2*KVD]` of sequences
    /// of `seq_len` positions.
    pub fn apply(&self, qkv: &Tensor, seq_len: usize) -> Result<Tensor> {
        let op = CausalAttention {
            seq_len,
            starts: None,
            segments: None,
            ..self.clone()
        };
        qkv.contiguous()?.apply_op1(op)
    }

    /// As [`apply`](Self::apply) for rows packed with shared prefixes, `rows[b]` per sequence.
    pub fn apply_segmented(
        &self,
        qkv: &Tensor,
        seq_len: usize,
        rows: Arc<Vec<RowSegments>>,
    ) -> Result<Tensor> {
        let op = CausalAttention {
            seq_len,
            starts: None,
            segments: Some(rows),
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
            segments: None,
            ..self.clone()
        };
        qkv.contiguous()?.apply_op1(op)
    }

    fn row(&self, b: usize) -> Option<&RowSegments> {
        self.segments.as_ref().and_then(|s| s.get(b))
    }

    fn start(&self, b: usize) -> usize {
        self.starts
            .as_ref()
            .and_then(|s| s.get(b).copied())
            .unwrap_or(0)
    }

    /// Query heads of key/value head `g`.
    fn group(&self, g: usize) -> std::ops::Range<usize> {
        let n = self.heads / self.kv_heads;
        g * n..(g + 1) * n
    }

    fn dims(&self, l: &Layout) -> Result<Dims> {
        let (rows, w) = l.shape().dims2()?;
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
        if let Some(s) = &self.segments {
            if s.len() != b || s.iter().any(|r| r.seg_start.len() != t) {
                bail!("attention: segment layouts do not match {b} sequences of {t}");
            }
        }
        let (heads, kv) = (self.heads, self.kv_heads);
        if kv == 0 || heads % kv != 0 {
            bail!("attention: {heads} query heads are not groups of {kv} key/value heads");
        }
        let slots = heads + 2 * kv;
        if w % slots != 0 {
            bail!("attention: last dim {w} is not (heads + 2 x kv_heads) x head_dim");
        }
        let hd = w / slots;
        let half = hd / 2;
        if !hd.is_multiple_of(2) || t * half > self.cos.len() {
            bail!("attention: {t} positions or head dim {hd} do not fit the rotary tables");
        }
        Ok(Dims {
            b,
            t,
            d: heads * hd,
            kvd: kv * hd,
            w,
            hd,
            half,
        })
    }

    /// Rotates `T` rows of `hd` values from `src` (row stride `src_ld`) into `dst` (row stride
    /// `dst_ld`); `sign` -1 undoes the rotation (the backward of a rotation is the opposite one).
    #[allow(clippy::too_many_arguments)]
    fn rotate(
        &self,
        row: Option<&RowSegments>,
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
            let at = row.map_or(t, |r| r.position(t));
            let c = &self.cos[at * half..(at + 1) * half];
            let s = &self.sin[at * half..(at + 1) * half];
            for i in 0..half {
                let (a, b) = (x[i], x[i + half]);
                let sn = sign * s[i];
                y[i] = a * c[i] - b * sn;
                y[i + half] = b * c[i] + a * sn;
            }
        }
    }

    /// Query head `h` against the rotated keys already in `ws.k`: rotated q (`[T, hd]`) and
    /// the causal softmax `p [T, T]` of the scaled scores, zero above the diagonal and before
    /// `start` (rows before it all zero).
    fn probabilities(&self, seq: &[f32], h: usize, b: usize, dims: &Dims, ws: &mut Workspace) {
        let (t, hd) = (dims.t, dims.hd);
        let (start, row) = (self.start(b), self.row(b));
        self.rotate(row, &seq[dims.q(h)..], dims.w, &mut ws.q, hd, dims, 1.0);
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
        let segs = row;
        for (i, row) in ws.p.chunks_mut(t).enumerate() {
            if i < start {
                row.fill(0.0);
                continue;
            }
            let (vis, hidden) = row.split_at_mut(i + 1);
            let (before, vis) = vis.split_at_mut(start);
            before.fill(0.0);
            // Another segment's keys (packing) are hidden like the future: zero weight.
            let (g0, g1) = segs.map_or((i + 1, i + 1), |r| r.gap(i));
            let gap = g0.saturating_sub(start)..g1.saturating_sub(start).min(vis.len());
            // exp(-inf) = 0; the query's own key is always seen, so the max is finite.
            vis[gap].fill(f32::NEG_INFINITY);
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

/// Scratch buffers of one worker: one head's rotated q and k, probabilities and their
/// gradient, the query gradient and the group's summed key gradient (`[T, hd]` or `[T, T]`).
struct Workspace {
    q: Vec<f32>,
    k: Vec<f32>,
    p: Vec<f32>,
    dp: Vec<f32>,
    g: Vec<f32>,
    gk: Vec<f32>,
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
            gk: vec![0.0; t * hd],
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
        let (t, d, w, hd) = (dims.t, dims.d, dims.w, dims.hd);
        let mut out = vec![0f32; dims.b * t * d];
        par_chunks(
            &mut out,
            t * d,
            || Workspace::new(&dims),
            |b, y, ws| {
                let seq = &qkv[b * t * w..(b + 1) * t * w];
                for g in 0..self.kv_heads {
                    // The group's keys are rotated once for all its query heads.
                    self.rotate(self.row(b), &seq[dims.k(g)..], w, &mut ws.k, hd, &dims, 1.0);
                    for h in self.group(g) {
                        self.probabilities(seq, h, b, &dims, ws);
                        // y_h = p . v_g, written straight into the head's columns.
                        for (r0, r1) in blocks(t) {
                            matmul(
                                r1 - r0,
                                hd,
                                r1,
                                View::rows(&ws.p[r0 * t..], t),
                                View::rows(&seq[dims.v(g)..], w),
                                &mut y[r0 * d + dims.q(h)..],
                                d,
                                false,
                            );
                        }
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
        let (t, d, w, hd) = (dims.t, dims.d, dims.w, dims.hd);
        if dy.len() != dims.b * t * d {
            bail!("causal-attention-bwd: gradient has the wrong size");
        }
        let scale = 1.0 / (hd as f32).sqrt();
        let mut dqkv = vec![0f32; qkv.len()];
        par_chunks(
            &mut dqkv,
            t * w,
            || Workspace::new(&dims),
            |b, dx, ws| {
                let seq = &qkv[b * t * w..(b + 1) * t * w];
                let dy = &dy[b * t * d..(b + 1) * t * d];
                for g in 0..self.kv_heads {
                    self.rotate(self.row(b), &seq[dims.k(g)..], w, &mut ws.k, hd, &dims, 1.0);
                    // dk and dv of the group are sums over its query heads: dv accumulates in
                    // `dx` (zeroed), dk in rotated space until the group is done.
                    ws.gk.fill(0.0);
                    for h in self.group(g) {
                        self.probabilities(seq, h, b, &dims, ws);
                        let dy_h = |r0: usize| View::rows(&dy[r0 * d + dims.q(h)..], d);
                        for (c0, c1) in blocks(t) {
                            // dv += p^T . dy: key rows c0..c1 get contributions from queries
                            // c0.. only.
                            matmul(
                                c1 - c0,
                                hd,
                                t - c0,
                                lower_transposed(&ws.p, t, c0),
                                dy_h(c0),
                                &mut dx[c0 * w + dims.v(g)..],
                                w,
                                true,
                            );
                        }
                        // dp = dy . v^T, then ds = p * (dp - rowsum(p * dp)) * scale, in place.
                        for (r0, r1) in blocks(t) {
                            matmul(
                                r1 - r0,
                                r1,
                                hd,
                                dy_h(r0),
                                View::transposed(&seq[dims.v(g)..], w),
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
                        // dq = ds . k, rotated back into the head's columns; dk += ds^T . q
                        // (rotated space).
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
                        self.rotate(self.row(b), &ws.g, hd, &mut dx[dims.q(h)..], w, &dims, -1.0);
                        for (c0, c1) in blocks(t) {
                            matmul(
                                c1 - c0,
                                hd,
                                t - c0,
                                lower_transposed(&ws.dp, t, c0),
                                View::rows(&ws.q[c0 * hd..], hd),
                                &mut ws.gk[c0 * hd..],
                                hd,
                                true,
                            );
                        }
                    }
                    self.rotate(
                        self.row(b),
                        &ws.gk,
                        hd,
                        &mut dx[dims.k(g)..],
                        w,
                        &dims,
                        -1.0,
                    );
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

    /// The same attention from differentiable candle ops: split heads, rope_slow, each key/value
    /// head repeated for its group of query heads (as Hugging Face's `repeat_kv`), masked
    /// softmax (causal, and left padding from `starts`), merge heads.
    fn composite(
        qkv: &Tensor,
        (heads, kv): (usize, usize),
        cos: &Tensor,
        sin: &Tensor,
        starts: Option<&[usize]>,
    ) -> Tensor {
        let (b, t, w) = qkv.dims3().unwrap();
        let hd = w / (heads + 2 * kv);
        let (d, kvd) = (heads * hd, kv * hd);
        let part = |at: usize, n: usize| {
            qkv.narrow(2, at, n * hd)
                .unwrap()
                .reshape((b, t, n, hd))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        };
        let repeat = |x: Tensor| {
            x.unsqueeze(2)
                .unwrap()
                .broadcast_as((b, kv, heads / kv, t, hd))
                .unwrap()
                .contiguous()
                .unwrap()
                .reshape((b, heads, t, hd))
                .unwrap()
        };
        let rope = |x: Tensor| candle_nn::rotary_emb::rope_slow(&x, cos, sin).unwrap();
        let q = rope(part(0, heads));
        let k = repeat(rope(part(d, kv)));
        let v = repeat(part(d + kvd, kv));
        let mask = crate::train::model::padded_causal_mask(t, 0, starts, &Device::Cpu).unwrap();
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
        // One partial block, and several blocks with a partial last one; one key/value head
        // per query head, groups of two, and one head for all four.
        for t in [7, 2 * BLOCK + 22] {
            for heads in [(2, 2), (4, 2), (4, 1)] {
                matches_composite(t, heads, None);
            }
        }
    }

    #[test]
    fn fused_grouped_attention_matches_composite_with_left_padding() {
        // Generation's prefill: rows start at 0, mid-block, and in the last block.
        let t = 2 * BLOCK + 22;
        for heads in [(4, 2), (6, 3)] {
            matches_composite(t, heads, Some(&[0, 5, BLOCK + 9]));
        }
    }

    /// Output, loss and the gradients of q, k and v of the fused kernel equal the composite
    /// ops' for `heads = (query heads, key/value heads)`. With `starts`, rows before a start
    /// are zeros in the fused output and take no gradient (the composite gives them a uniform
    /// average there, which nothing uses).
    fn matches_composite(t: usize, (heads, kv): (usize, usize), starts: Option<&[usize]>) {
        let dev = Device::Cpu;
        let (b, hd) = (starts.map_or(3, <[usize]>::len), 8);
        let (d, kvd) = (heads * hd, kv * hd);
        let w = d + 2 * kvd;
        let half = hd / 2;
        let what = format!("t {t}, {heads} heads over {kv}, starts {starts:?}");
        let cos: Vec<f32> = (0..t * half).map(|i| (i as f32 * 0.21).cos()).collect();
        let sin: Vec<f32> = (0..t * half).map(|i| (i as f32 * 0.21).sin()).collect();
        let op = CausalAttention::new(heads, kv, Arc::new(cos.clone()), Arc::new(sin.clone()));
        let cos = Tensor::from_vec(cos, (t, half), &dev).unwrap();
        let sin = Tensor::from_vec(sin, (t, half), &dev).unwrap();
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, t, w), &dev).unwrap()).unwrap();
        // Upstream gradient, zero on padded rows.
        let live: Vec<f32> = (0..b)
            .flat_map(|i| {
                let s = starts.map_or(0, |s| s[i]);
                (0..t).map(move |r| if r < s { 0.0 } else { 1.0 })
            })
            .collect();
        let live = Tensor::from_vec(live, (b, t, 1), &dev).unwrap();
        let up = Tensor::randn(0f32, 1.0, (b, t, d), &dev)
            .unwrap()
            .broadcast_mul(&live)
            .unwrap();
        let flat = x.reshape((b * t, w)).unwrap();
        let fused = match starts {
            Some(s) => op.apply_padded(&flat, t, s),
            None => op.apply(&flat, t),
        }
        .unwrap()
        .reshape((b, t, d))
        .unwrap();
        let comp = composite(&x, (heads, kv), &cos, &sin, starts);
        close(&fused, &comp.broadcast_mul(&live).unwrap(), 1e-5);
        let loss = |y: &Tensor| {
            (y * &up)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        let (lf, lc) = (loss(&fused), loss(&comp));
        assert!(
            (lf - lc).abs() <= 1e-4 * (1.0 + lc.abs()),
            "{what}: loss {lf} vs {lc}"
        );
        let (gf, gc) = (
            weighted_grad(&fused, &up, &x),
            weighted_grad(&comp, &up, &x),
        );
        for (name, at, n) in [("q", 0, d), ("k", d, kvd), ("v", d + kvd, kvd)] {
            let part = |g: &Tensor| g.narrow(2, at, n).unwrap();
            let (a, c) = (part(&gf), part(&gc));
            let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
            let c: Vec<f32> = c.flatten_all().unwrap().to_vec1().unwrap();
            assert!(c.iter().any(|&g| g != 0.0), "{what}: d{name} is zero");
            for (i, (x, y)) in a.iter().zip(&c).enumerate() {
                let ok = (x - y).abs() <= 1e-4 * (1.0 + y.abs());
                assert!(ok, "{what}: d{name} element {i}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn a_token_never_sees_later_tokens() {
        let dev = Device::Cpu;
        let (t, hd) = (6, 4);
        for (heads, kv) in [(2, 2), (4, 2)] {
            let w = (heads + 2 * kv) * hd;
            let half = hd / 2;
            let cos = Arc::new(vec![1f32; t * half]);
            let sin = Arc::new(vec![0f32; t * half]);
            let op = CausalAttention::new(heads, kv, cos, sin);
            let x = Tensor::randn(0f32, 1.0, (t, w), &dev).unwrap();
            let first3 = |x: &Tensor| -> Vec<f32> {
                op.apply(x, t)
                    .unwrap()
                    .narrow(0, 0, 3)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap()
            };
            // Change only the last three positions.
            let tail = Tensor::randn(0f32, 1.0, (3, w), &dev).unwrap();
            let x2 = Tensor::cat(&[&x.narrow(0, 0, 3).unwrap(), &tail], 0).unwrap();
            assert_eq!(first3(&x), first3(&x2));
        }
    }

    #[test]
    fn packed_widths_that_are_not_whole_groups_are_refused() {
        let dev = Device::Cpu;
        let cos = Arc::new(vec![1f32; 64]);
        let sin = Arc::new(vec![0f32; 64]);
        let x = Tensor::zeros((4, 8 * 8), candle_core::DType::F32, &dev).unwrap();
        // 3 query heads cannot share 2 key/value heads.
        let e = CausalAttention::new(3, 2, cos.clone(), sin.clone())
            .apply(&x, 4)
            .unwrap_err();
        assert!(e.to_string().contains("groups"), "{e}");
        // 4 + 2 x 2 = 8 slots of 8: fine; 4 + 2 x 1 = 6 slots do not divide 64.
        assert!(CausalAttention::new(4, 2, cos.clone(), sin.clone())
            .apply(&x, 4)
            .is_ok());
        let e = CausalAttention::new(4, 1, cos, sin)
            .apply(&x, 4)
            .unwrap_err();
        assert!(e.to_string().contains("kv_heads"), "{e}");
    }
}
