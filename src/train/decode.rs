//! One decoding step's attention over the KV cache (generation, CPU, f32).

use super::ops::par_chunks;
use candle_core::{bail, CpuStorage, Layout, Result, Shape, Tensor};
use std::sync::Arc;

/// One decoding step's attention (generation, CPU, f32): queries `[B, H, 1, hd]` against the
/// cached keys and values `[B, KV, T, hd]` (strided views of the cache; `H` a multiple of `KV`
/// for grouped-query attention), row `b` seeing keys `starts[b]..T`. Output `[B, H * hd]`.
/// Dot products straight over the cache: as a matrix product, each step would first copy
/// (pack) the whole cache for a single query row.
struct DecodeAttention {
    starts: Arc<Vec<usize>>,
    scale: f32,
}

/// A strided 4-d view: element `(a, b, c, d)` at `off + a*s0 + b*s1 + c*s2 + d` (unit last
/// stride).
struct Strided<'a> {
    data: &'a [f32],
    off: usize,
    s: [usize; 3],
    dims: [usize; 4],
}

impl<'a> Strided<'a> {
    fn new(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<Self> {
        let dims = l.shape().dims4()?;
        let st = l.stride();
        if st[3] != 1 {
            bail!("{what}: the last dimension must be contiguous");
        }
        Ok(Strided {
            data: s.as_slice::<f32>()?,
            off: l.start_offset(),
            s: [st[0], st[1], st[2]],
            dims: [dims.0, dims.1, dims.2, dims.3],
        })
    }
    fn row(&self, a: usize, b: usize, c: usize) -> &'a [f32] {
        let at = self.off + a * self.s[0] + b * self.s[1] + c * self.s[2];
        &self.data[at..at + self.dims[3]]
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent sums, which the compiler keeps in vector registers.
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

impl candle_core::CustomOp3 for DecodeAttention {
    fn name(&self) -> &'static str {
        "decode-attention"
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
        let (q, k, v) = (
            Strided::new(s1, l1, self.name())?,
            Strided::new(s2, l2, self.name())?,
            Strided::new(s3, l3, self.name())?,
        );
        let [b, h, one, hd] = q.dims;
        let [kb, kvh, t, khd] = k.dims;
        if one != 1 || kb != b || khd != hd || v.dims != k.dims || kvh == 0 || h % kvh != 0 {
            bail!(
                "decode-attention: queries {:?} do not fit keys {:?} / values {:?}",
                q.dims,
                k.dims,
                v.dims
            );
        }
        if self.starts.len() != b || self.starts.iter().any(|&s| s >= t) {
            bail!("decode-attention: padding starts do not fit {b} rows of {t} positions");
        }
        let group = h / kvh;
        let mut out = vec![0f32; b * h * hd];
        par_chunks(
            &mut out,
            h * hd,
            || vec![0f32; t],
            |bi, y, p| {
                let start = self.starts[bi];
                for hi in 0..h {
                    let qr = q.row(bi, hi, 0);
                    let kv = hi / group;
                    let p = &mut p[start..];
                    let mut max = f32::NEG_INFINITY;
                    for (j, pj) in p.iter_mut().enumerate() {
                        *pj = self.scale * dot(qr, k.row(bi, kv, start + j));
                        max = max.max(*pj);
                    }
                    let mut sum = 0f32;
                    for pj in p.iter_mut() {
                        *pj = (*pj - max).exp();
                        sum += *pj;
                    }
                    let yh = &mut y[hi * hd..(hi + 1) * hd];
                    yh.fill(0.0);
                    for (j, &pj) in p.iter().enumerate() {
                        let w = pj / sum;
                        for (o, &x) in yh.iter_mut().zip(v.row(bi, kv, start + j)) {
                            *o += w * x;
                        }
                    }
                }
            },
        );
        Ok((CpuStorage::F32(out), (b, h * hd).into()))
    }
}

/// Attention of one new position per row over the cache (see [`DecodeAttention`]).
pub fn decode_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    starts: &[usize],
    scale: f64,
) -> Result<Tensor> {
    q.contiguous()?.apply_op3_no_bwd(
        k,
        v,
        &DecodeAttention {
            starts: Arc::new(starts.to_vec()),
            scale: scale as f32,
        },
    )
}
