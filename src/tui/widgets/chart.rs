//! A line chart that stays truthful and fast on long runs, drawn with ratatui's `Chart` over
//! the math of `crate::series`: non-finite values dropped and counted (the title says so),
//! optional log scale, decimation to about two points per cell column (min and max of each
//! bucket, so spikes survive), padded bounds for flat series, and round axis labels that sit
//! where their values are (the y bounds are widened to whole tick steps, because `Chart`
//! spreads labels evenly along an axis).

use crate::series;
use crate::tui::theme::Theme;
use crate::tui::widgets::fit;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, LegendPosition, Paragraph};
use ratatui::Frame;

/// One line of the chart: points sorted by x (already windowed and smoothed by the caller).
pub struct Plot<'a> {
    /// Legend text; empty for none.
    pub label: String,
    pub points: &'a [(f64, f64)],
    pub color: Color,
    /// Non-finite values the caller already dropped (they are reported with the chart's own).
    pub dropped: usize,
}

/// The prepared form of a plot: what `Chart` gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub points: Vec<(f64, f64)>,
    /// Non-finite values dropped (and, on a log scale, values ≤ 0).
    pub dropped: usize,
}

/// Finite filter, log scale, decimation to `columns` buckets.
pub fn prepare(points: &[(f64, f64)], log: bool, columns: usize) -> Prepared {
    let (kept, mut dropped) = series::finite(points);
    let kept = if log {
        let l = series::log10(&kept);
        dropped += kept.len() - l.len();
        l
    } else {
        kept
    };
    Prepared {
        points: series::decimate(&kept, columns.max(1)),
        dropped,
    }
}

/// Y bounds widened to whole tick steps, and the labels of those ticks (bottom to top).
pub fn y_axis(prepared: &[&[(f64, f64)]], rows: usize, log: bool) -> ([f64; 2], Vec<String>) {
    let [lo, hi] = series::y_bounds(prepared);
    let n = (rows / 3).clamp(2, 6);
    // Enough ticks for a step: a short range can leave a single round value inside it.
    let ticks = (n..n + 4)
        .map(|k| series::ticks(lo, hi, k))
        .find(|t| t.len() >= 2)
        .unwrap_or_default();
    let shown = |v: f64| {
        if log {
            series::label(10f64.powf(v))
        } else {
            series::label(v)
        }
    };
    if ticks.len() < 2 {
        return ([lo, hi], vec![shown(lo), shown(hi)]);
    }
    let step = ticks[1] - ticks[0];
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = ((last - first) as usize).max(1);
    let labels = (0..=count)
        .map(|i| {
            let v = (first + i as f64) * step;
            shown(if v.abs() < step * 1e-9 { 0.0 } else { v })
        })
        .collect();
    ([first * step, last * step], labels)
}

/// X bounds (padded when every point has the same x) and evenly spaced step labels.
pub fn x_axis(prepared: &[&[(f64, f64)]], columns: usize) -> ([f64; 2], Vec<String>) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in prepared {
        if let (Some(a), Some(b)) = (p.first(), p.last()) {
            lo = lo.min(a.0);
            hi = hi.max(b.0);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return ([0.0, 1.0], vec!["0".into(), "1".into()]);
    }
    if hi - lo < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let n = if columns >= 100 { 5 } else { 3 };
    let labels = (0..n)
        .map(|i| series::label((lo + (hi - lo) * i as f64 / (n - 1) as f64).round()))
        .collect();
    ([lo, hi], labels)
}

/// Draws the chart in `block`; `note` is shown when there is nothing to draw.
pub fn render(
    f: &mut Frame,
    area: Rect,
    block: Block<'_>,
    plots: &[Plot<'_>],
    log: bool,
    t: &Theme,
    note: &str,
) {
    let inner = block.inner(area);
    // Columns for the plot itself: the y labels take up to ~8.
    let columns = inner.width.saturating_sub(9) as usize;
    let prepared: Vec<Prepared> = plots
        .iter()
        .map(|p| prepare(p.points, log, columns))
        .collect();
    let dropped: usize = prepared.iter().map(|p| p.dropped).sum::<usize>()
        + plots.iter().map(|p| p.dropped).sum::<usize>();
    let block = if dropped > 0 {
        let what = if log {
            "non-finite or ≤ 0 values hidden"
        } else {
            "non-finite values dropped"
        };
        block.title_bottom(Line::from(Span::styled(
            format!(" ⚠ {dropped} {what} "),
            t.warning(),
        )))
    } else {
        block
    };
    if prepared.iter().all(|p| p.points.is_empty()) {
        f.render_widget(
            Paragraph::new(Line::styled(fit(note, inner.width as usize), t.dim())).block(block),
            area,
        );
        return;
    }
    let slices: Vec<&[(f64, f64)]> = prepared.iter().map(|p| p.points.as_slice()).collect();
    let (xb, xl) = x_axis(&slices, columns);
    let (yb, yl) = y_axis(&slices, inner.height as usize, log);
    let datasets: Vec<Dataset> = plots
        .iter()
        .zip(&prepared)
        .map(|(p, d)| {
            let ds = Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(p.color))
                .data(&d.points);
            if p.label.is_empty() {
                ds
            } else {
                ds.name(p.label.clone())
            }
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(block)
        .style(t.text())
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(3, 4)))
        .x_axis(
            Axis::default()
                .bounds(xb)
                .style(t.dim())
                .labels(xl.into_iter().map(|l| Span::styled(l, t.dim()))),
        )
        .y_axis(
            Axis::default()
                .bounds(yb)
                .style(t.dim())
                .labels(yl.into_iter().map(|l| Span::styled(l, t.dim()))),
        );
    f.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_points_are_bounded_finite_and_keep_spikes() {
        let mut pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, 1.0)).collect();
        pts[40_000].1 = f64::NAN;
        pts[50_000].1 = 9.0;
        let p = prepare(&pts, false, 60);
        assert!(p.points.len() <= 120);
        assert_eq!(p.dropped, 1);
        assert!(p.points.iter().any(|q| q.1 == 9.0));
        let p = prepare(&[(0.0, 1.0), (1.0, 0.0), (2.0, 100.0)], true, 60);
        assert_eq!(p.points, vec![(0.0, 0.0), (2.0, 2.0)]);
        assert_eq!(p.dropped, 1);
    }

    #[test]
    fn y_labels_sit_on_round_values_at_the_bounds() {
        let pts = [(0.0, 0.13), (1.0, 2.71)];
        let (b, labels) = y_axis(&[&pts], 12, false);
        assert_eq!(labels.first().map(String::as_str), Some("0"));
        assert_eq!(labels.last().map(String::as_str), Some("3"));
        assert_eq!(b, [0.0, 3.0]);
        // A flat series still gets a band.
        let flat = [(0.0, 2.0), (5.0, 2.0)];
        let (b, _) = y_axis(&[&flat], 12, false);
        assert!(b[0] < 2.0 && b[1] > 2.0);
        // Log scale labels show the values, not their logarithms.
        let logs = [(0.0, -2.0), (1.0, 0.0)];
        let (_, labels) = y_axis(&[&logs], 12, true);
        assert!(labels.contains(&"0.01".to_string()) && labels.contains(&"1".to_string()));
    }

    #[test]
    fn x_labels_span_the_steps() {
        let pts = [(1.0, 0.0), (201.0, 1.0)];
        assert_eq!(x_axis(&[&pts], 60).1, vec!["1", "101", "201"]);
        let one = [(5.0, 1.0)];
        assert_eq!(x_axis(&[&one], 60).0, [4.0, 6.0]);
    }
}
