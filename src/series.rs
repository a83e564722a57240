//! Metric series prepared for charts: truthful and fast on long runs. Decimation keeps the min
//! and max of each bucket (spikes survive), non-finite values are dropped and counted, flat
//! series get padded bounds, axis labels are round numbers. Pure functions, no terminal.

/// Exponential moving average with TensorBoard's debiasing; `alpha` in [0, 1): 0 = off.
pub fn ema(points: &[(f64, f64)], alpha: f64) -> Vec<(f64, f64)> {
    if alpha <= 0.0 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(points.len());
    let mut acc = 0.0;
    let mut weight = 0.0;
    for &(x, y) in points {
        acc = alpha * acc + (1.0 - alpha) * y;
        weight = alpha * weight + (1.0 - alpha);
        out.push((x, acc / weight));
    }
    out
}

/// Drops NaN and infinite values; returns the kept points and how many were dropped.
pub fn finite(points: &[(f64, f64)]) -> (Vec<(f64, f64)>, usize) {
    let kept: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let dropped = points.len() - kept.len();
    (kept, dropped)
}

/// log10 of positive values (non-positive ones cannot be drawn on a log axis and are dropped).
pub fn log10(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|(_, y)| *y > 0.0)
        .map(|&(x, y)| (x, y.log10()))
        .collect()
}

/// Reduces points (sorted by x) to at most about `2 * columns` points: for each of `columns`
/// equal-width x buckets, the minimum and the maximum in x order. Spikes are kept.
pub fn decimate(points: &[(f64, f64)], columns: usize) -> Vec<(f64, f64)> {
    if columns == 0 || points.len() <= 2 * columns {
        return points.to_vec();
    }
    let x0 = points[0].0;
    let x1 = points[points.len() - 1].0;
    let span = (x1 - x0).max(f64::MIN_POSITIVE);
    let mut out = Vec::with_capacity(2 * columns + 2);
    let mut i = 0;
    while i < points.len() {
        let bucket = (((points[i].0 - x0) / span) * columns as f64).floor() as usize;
        let bucket = bucket.min(columns - 1);
        let mut lo = i;
        let mut hi = i;
        let mut j = i;
        while j < points.len() {
            let b =
                ((((points[j].0 - x0) / span) * columns as f64).floor() as usize).min(columns - 1);
            if b != bucket {
                break;
            }
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(points[a]);
        if b != a {
            out.push(points[b]);
        }
        i = j;
    }
    out
}

/// Bounds of y with a margin; a flat series gets a visible band around its value.
pub fn y_bounds(series: &[&[(f64, f64)]]) -> [f64; 2] {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in series {
        for &(_, y) in s.iter() {
            lo = lo.min(y);
            hi = hi.max(y);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return [0.0, 1.0];
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        return [lo - pad, hi + pad];
    }
    let pad = (hi - lo) * 0.05;
    [lo - pad, hi + pad]
}

/// Round-number tick labels for [lo, hi]: about `n` ticks on steps of 1, 2 or 5 × 10^k.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || n < 2 {
        return vec![lo, hi];
    }
    let raw = (hi - lo) / (n - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut v = first;
    while v <= hi + step * 1e-9 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

/// A short label for a tick value: no needless digits, scientific only for extremes.
pub fn label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.4}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Keeps only points with x in the last `n` steps (zoom), or all when `n` is None.
pub fn last_steps(points: &[(f64, f64)], n: Option<f64>) -> &[(f64, f64)] {
    match (n, points.last()) {
        (Some(n), Some(&(x_end, _))) => {
            let start = points.partition_point(|(x, _)| *x < x_end - n);
            &points[start..]
        }
        _ => points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_spikes_and_bounds_size() {
        let mut pts: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, 1.0)).collect();
        pts[500_123].1 = 50.0;
        pts[777_777].1 = -3.0;
        let d = decimate(&pts, 100);
        assert!(d.len() <= 202, "{}", d.len());
        assert!(d.iter().any(|p| p.1 == 50.0));
        assert!(d.iter().any(|p| p.1 == -3.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "x stays ordered");
        assert_eq!(d.first().unwrap().0, 0.0);
    }

    #[test]
    fn short_series_untouched() {
        let pts = vec![(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(decimate(&pts, 80), pts);
    }

    #[test]
    fn non_finite_dropped_and_counted() {
        let pts = vec![
            (0.0, 1.0),
            (1.0, f64::NAN),
            (2.0, f64::INFINITY),
            (3.0, 2.0),
        ];
        let (kept, dropped) = finite(&pts);
        assert_eq!(kept, vec![(0.0, 1.0), (3.0, 2.0)]);
        assert_eq!(dropped, 2);
    }

    #[test]
    fn flat_series_gets_visible_bounds() {
        let pts = vec![(0.0, 2.0), (1.0, 2.0)];
        let [lo, hi] = y_bounds(&[&pts]);
        assert!(lo < 2.0 && hi > 2.0);
        let zeros = vec![(0.0, 0.0)];
        let [lo, hi] = y_bounds(&[&zeros]);
        assert!(lo < 0.0 && hi > 0.0);
    }

    #[test]
    fn ema_smooths_and_is_debiased() {
        let pts = vec![(0.0, 10.0), (1.0, 0.0), (2.0, 10.0), (3.0, 0.0)];
        let s = ema(&pts, 0.9);
        assert_eq!(s[0].1, 10.0, "debiased start equals the first value");
        assert!(s[3].1 > 2.0 && s[3].1 < 8.0);
        assert_eq!(ema(&pts, 0.0), pts);
    }

    #[test]
    fn axis_ticks_are_round() {
        let l: Vec<String> = ticks(0.0, 1.0, 6).iter().map(|v| label(*v)).collect();
        assert_eq!(l, vec!["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        let t = ticks(0.13, 2.71, 5);
        assert_eq!(
            t.iter().map(|v| label(*v)).collect::<Vec<_>>(),
            vec!["1", "2"]
        );
        assert_eq!(label(12345.0), "12345");
        assert_eq!(label(0.00001), "1.0e-5");
    }

    #[test]
    fn log_scale_drops_non_positive() {
        assert_eq!(
            log10(&[(0.0, 100.0), (1.0, 0.0), (2.0, 0.1)]),
            vec![(0.0, 2.0), (2.0, -1.0)]
        );
    }

    #[test]
    fn zoom_to_last_steps() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 0.0)).collect();
        assert_eq!(last_steps(&pts, Some(10.0)).len(), 11);
        assert_eq!(last_steps(&pts, None).len(), 100);
    }
}
