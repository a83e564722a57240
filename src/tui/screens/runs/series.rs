//! The Runs screen's cache of metric series: each (run, metric) kept as finite points at full
//! resolution, an overview for long runs, and the smoothed copy for the current EMA strength;
//! new points are appended as the poll reads them.

use crate::series;

/// Series longer than this are drawn from their overview when the whole window is asked for.
const FULL_LIMIT: usize = 50_000;
/// Buckets of a series' overview (min and max each): bounded work per frame, whole run visible.
const OVERVIEW: usize = 2048;
/// EMA strengths `+`/`-` step through.
pub const SMOOTHING: &[f64] = &[0.3, 0.6, 0.8, 0.9, 0.95, 0.99];

/// One metric of one run, as cached by the screen: finite points at full resolution, an
/// overview for long runs, and the smoothed copy for the current EMA strength.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub raw: Vec<(f64, f64)>,
    /// Non-finite values read (dropped from `raw`).
    pub dropped: usize,
    /// Last step read from the store (the next poll asks for points after it).
    pub last_step: i64,
    overview: Vec<(f64, f64)>,
    smooth: Vec<(f64, f64)>,
    smooth_overview: Vec<(f64, f64)>,
    smooth_alpha: f64,
}

impl Series {
    /// Appends points read from the store (in step order).
    pub fn append(&mut self, points: &[(f64, f64)]) {
        if let Some(last) = points.last() {
            self.last_step = self.last_step.max(last.0 as i64);
        }
        let (kept, dropped) = series::finite(points);
        self.dropped += dropped;
        self.raw.extend(kept);
        self.overview = if self.raw.len() > FULL_LIMIT {
            series::decimate(&self.raw, OVERVIEW)
        } else {
            Vec::new()
        };
        self.smooth_alpha = -1.0;
    }

    /// Makes the smoothed copy match `alpha` (0 = none); O(points) only when it changed.
    pub fn smooth_with(&mut self, alpha: f64) {
        if self.smooth_alpha == alpha {
            return;
        }
        self.smooth_alpha = alpha;
        if alpha <= 0.0 {
            self.smooth = Vec::new();
            self.smooth_overview = Vec::new();
            return;
        }
        self.smooth = series::ema(&self.raw, alpha);
        self.smooth_overview = if self.smooth.len() > FULL_LIMIT {
            series::decimate(&self.smooth, OVERVIEW)
        } else {
            Vec::new()
        };
    }

    /// The points to draw: the zoom window at full resolution, or of the overview when the
    /// window is too long to walk every frame.
    pub fn window(&self, smoothed: bool, zoom: Option<f64>) -> &[(f64, f64)] {
        let (full, over) = if smoothed && !self.smooth.is_empty() {
            (&self.smooth, &self.smooth_overview)
        } else {
            (&self.raw, &self.overview)
        };
        let w = series::last_steps(full, zoom);
        if w.len() <= FULL_LIMIT || over.is_empty() {
            w
        } else {
            series::last_steps(over, zoom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keep_finite_points_and_an_overview_for_long_runs() {
        let mut x = Series::default();
        x.append(&[(1.0, 2.0), (2.0, f64::INFINITY), (3.0, 1.0)]);
        assert_eq!(x.raw.len(), 2);
        assert_eq!(x.dropped, 1);
        assert_eq!(x.last_step, 3);
        let long: Vec<(f64, f64)> = (4..200_000).map(|i| (i as f64, 1.0 / i as f64)).collect();
        x.append(&long);
        assert!(x.window(false, None).len() <= 2 * OVERVIEW + 2);
        assert_eq!(x.window(false, Some(100.0)).len(), 101);
        x.smooth_with(0.9);
        assert!(x.window(true, None).len() <= 2 * OVERVIEW + 2);
        assert!(x.window(true, Some(10.0))[0].1 > 1.0 / 199_990.0);
    }
}
