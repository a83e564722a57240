//! The Runs screen's charts: which charts a run offers (metric names grouped, loss first) and
//! the chart of the chosen one, drawn from the series cache.

use super::RunsState;
use crate::tui::ctx::ViewCtx;
use crate::tui::runs_jobs::SeriesKey;
use crate::tui::widgets::chart::{self, Plot};
use crate::tui::widgets::{block, fit};
use ratatui::layout::Rect;
use ratatui::Frame;
use std::collections::BTreeSet;

/// A chart choice: a title and the metric names drawn together.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricView {
    pub title: String,
    pub names: Vec<String>,
}

/// Known metrics in the order the chart offers them; several names share one chart.
const KNOWN: &[(&str, &[&str])] = &[
    ("loss", &["loss", "eval_loss", "eval/loss"]),
    ("rewards/margins", &["rewards/margins"]),
    ("rewards/accuracies", &["rewards/accuracies"]),
    (
        "rewards: chosen vs rejected",
        &["rewards/chosen", "rewards/rejected"],
    ),
    (
        "logps: chosen vs rejected",
        &["logps/chosen", "logps/rejected"],
    ),
    ("learning rate", &["learning_rate", "lr"]),
    ("tokens/s", &["tokens_per_s"]),
    ("grad norm", &["grad_norm"]),
];

/// The charts a run offers, from the metric names it logged (loss first even before any).
pub fn views(names: &[String]) -> Vec<MetricView> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for (title, group) in KNOWN {
        let present: Vec<String> = group
            .iter()
            .filter(|n| names.iter().any(|m| m == *n))
            .map(|n| n.to_string())
            .collect();
        used.extend(group.iter().map(|n| n.to_string()));
        if !present.is_empty() || *title == "loss" {
            out.push(MetricView {
                title: title.to_string(),
                names: if present.is_empty() {
                    vec!["loss".into()]
                } else {
                    present
                },
            });
        }
    }
    for n in names {
        if !used.contains(n) {
            out.push(MetricView {
                title: n.clone(),
                names: vec![n.clone()],
            });
        }
    }
    out
}

/// The chosen metric of the selected run (and of the overlaid runs), from the series cache.
pub(super) fn render_chart(f: &mut Frame, area: Rect, r: &RunsState, v: &ViewCtx) {
    let t = v.theme;
    let view = r.view();
    let charted = r.charted();
    let smoothed = r.smooth;
    let mut plots = Vec::new();
    let colors = if t.chart_series.is_empty() {
        vec![t.accent]
    } else {
        t.chart_series.clone()
    };
    let mut k = 0;
    let several = charted.len() > 1;
    for id in &charted {
        for name in &view.names {
            let Some(x) = r.series.get(&SeriesKey {
                run: *id,
                name: name.clone(),
            }) else {
                k += 1;
                continue;
            };
            let color = colors[k % colors.len()];
            let label = match (several, view.names.len() > 1) {
                (true, true) => format!("#{id} {}", name.rsplit('/').next().unwrap_or(name)),
                (true, false) => match r.run(*id) {
                    Some(ri) => format!("#{id} {}", ri.run.kind),
                    None => format!("#{id}"),
                },
                (false, true) => name.clone(),
                (false, false) => String::new(),
            };
            if smoothed && !several {
                // The raw curve dimmed behind its smoothed one.
                plots.push(Plot {
                    label: String::new(),
                    points: x.window(false, r.zoom),
                    color: t.text_dim,
                    dropped: 0,
                });
            }
            plots.push(Plot {
                label,
                points: x.window(smoothed, r.zoom),
                color,
                dropped: x.dropped,
            });
            k += 1;
        }
    }
    let mut title = view.title.clone();
    if smoothed {
        title.push_str(&format!(" · EMA {}", r.alpha()));
    }
    if r.log {
        title.push_str(" · log");
    }
    if let Some(z) = r.zoom {
        title.push_str(&format!(" · last {z} steps"));
    }
    let n = r.views().len();
    let i = r
        .views()
        .iter()
        .position(|m| m.title == view.title)
        .unwrap_or(0);
    title.push_str(&format!(" · {}/{n}", i + 1));
    let b = block(fit(&title, area.width.saturating_sub(4) as usize), false, t);
    chart::render(f, area, b, &plots, r.log, t, "no points logged yet");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_group_dpo_metrics() {
        let names: Vec<String> = [
            "grad_norm",
            "learning_rate",
            "logps/chosen",
            "logps/rejected",
            "loss",
            "rewards/accuracies",
            "rewards/chosen",
            "rewards/margins",
            "rewards/rejected",
            "tokens_per_s",
            "custom",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let titles: Vec<String> = views(&names).into_iter().map(|v| v.title).collect();
        assert_eq!(
            titles,
            vec![
                "loss",
                "rewards/margins",
                "rewards/accuracies",
                "rewards: chosen vs rejected",
                "logps: chosen vs rejected",
                "learning rate",
                "tokens/s",
                "grad norm",
                "custom"
            ]
        );
        assert_eq!(views(&[])[0].names, vec!["loss".to_string()]);
    }
}
