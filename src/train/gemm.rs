//! A bounds-checked, single-threaded f32 matrix product on the `gemm` crate (the kernel candle
//! itself uses), for the fused CPU kernels: they parallelize across heads or sequences, so each
//! product runs on one thread.
#![allow(unsafe_code)]

/// A strided read-only matrix view: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// Row-major `rows x cols` with row stride `ld`.
    pub fn rows(data: &'a [f32], ld: usize) -> Self {
        View {
            data,
            rs: ld,
            cs: 1,
        }
    }
    /// The transpose of a row-major matrix with row stride `ld`.
    pub fn transposed(data: &'a [f32], ld: usize) -> Self {
        View {
            data,
            rs: 1,
            cs: ld,
        }
    }
    fn check(&self, rows: usize, cols: usize, what: &str) {
        if rows > 0 && cols > 0 {
            let last = (rows - 1) * self.rs + (cols - 1) * self.cs;
            assert!(
                last < self.data.len(),
                "gemm: {what} view {rows}x{cols} (rs {}, cs {}) exceeds {} elements",
                self.rs,
                self.cs,
                self.data.len()
            );
        }
    }
}

/// `c[m x n] (row stride ldc) = a[m x k] . b[k x n]`, or `+=` when `accumulate`.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    a: View,
    b: View,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        (m - 1) * ldc + n <= c.len() && ldc >= n,
        "gemm: output {m}x{n} (ld {ldc}) exceeds {} elements",
        c.len()
    );
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                c[r * ldc..r * ldc + n].fill(0.0);
            }
        }
        return;
    }
    a.check(m, k, "lhs");
    b.check(k, n, "rhs");
    // SAFETY: every index the product touches was checked against its slice above; `c` is
    // borrowed mutably, so it cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            ldc as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: View, b: View) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k)
                    .map(|p| a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs])
                    .sum();
            }
        }
        out
    }

    #[test]
    fn strided_products_match_the_naive_loop() {
        let (m, n, k) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32).sin()).collect();
        // a as row-major, b given transposed (stored n x k).
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let want = naive(m, n, k, View::rows(&a, k), View::rows(&b, n));
        let mut c = vec![9f32; m * n];
        matmul(
            m,
            n,
            k,
            View::rows(&a, k),
            View::transposed(&bt, k),
            &mut c,
            n,
            false,
        );
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
        matmul(
            m,
            n,
            k,
            View::rows(&a, k),
            View::rows(&b, n),
            &mut c,
            n,
            true,
        );
        for (x, y) in c.iter().zip(&want) {
            assert!((x - 2.0 * y).abs() < 1e-4, "{x} vs {}", 2.0 * y);
        }
    }

    #[test]
    #[should_panic(expected = "exceeds")]
    fn out_of_bounds_views_are_refused() {
        let a = vec![0f32; 4];
        let mut c = vec![0f32; 4];
        matmul(
            2,
            2,
            3,
            View::rows(&a, 3),
            View::rows(&a, 2),
            &mut c,
            2,
            false,
        );
    }
}
