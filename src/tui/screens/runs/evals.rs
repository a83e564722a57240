//! The Runs screen's evaluations: each evaluation row with its per-database and
//! per-difficulty breakdowns decoded once when the poll brings it (never while drawing), and
//! the panel that compares a run's latest evaluation with its parent's.

use super::table::{parent_run, pct};
use super::RunsState;
use crate::store::EvalRow;
use crate::tui::ctx::ViewCtx;
use crate::tui::keymap::Cmd;
use crate::tui::runs_jobs::RunInfo;
use crate::tui::widgets::block;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

/// Correct answers out of `n` for one database or one difficulty.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub name: String,
    pub correct: i64,
    pub n: i64,
}

/// An evaluation as the screen shows it: the stored row and its breakdowns, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    pub row: EvalRow,
    pub per_db: Vec<Tally>,
    pub per_difficulty: Vec<Tally>,
}

impl Eval {
    /// The row's per-database and per-difficulty breakdowns (decoded by the store) as lists,
    /// in the maps' order.
    pub fn decode(row: EvalRow) -> Eval {
        Eval {
            per_db: tallies(&row.per_db),
            per_difficulty: tallies(&row.per_difficulty),
            row,
        }
    }
}

/// Tally of a per-db / per-difficulty breakdown: name → (correct, n).
fn tallies(b: &crate::store::Breakdown) -> Vec<Tally> {
    b.iter()
        .map(|(k, t)| Tally {
            name: k.clone(),
            correct: t.correct as i64,
            n: t.n as i64,
        })
        .collect()
}

fn latest_eval<'a>(evals: &'a [Eval], run: i64, split: Option<&str>) -> Option<&'a Eval> {
    evals
        .iter()
        .rev()
        .find(|e| e.row.run_id == Some(run) && split.is_none_or(|s| e.row.split == s))
}

/// The parent's latest evaluation that `e` can be compared with: same split, the same
/// examples (an evaluation recorded without its examples compares with none) and the same
/// decoding.
fn comparable<'a>(evals: &'a [Eval], parent: i64, e: &Eval) -> Option<&'a Eval> {
    evals.iter().rev().find(|p| {
        p.row.run_id == Some(parent)
            && p.row.split == e.row.split
            && p.row.example_set.is_some()
            && p.row.example_set == e.row.example_set
            && p.row.decoding == e.row.decoding
    })
}

fn delta(now: (i64, i64), before: Option<(i64, i64)>) -> String {
    match before {
        Some((c, n)) if n > 0 && now.1 > 0 => {
            let d = 100.0 * (now.0 as f64 / now.1 as f64 - c as f64 / n as f64);
            format!("{d:+.1}")
        }
        _ => "".into(),
    }
}

/// The latest evaluation of run `x`: EX overall, per difficulty and per database, each with
/// its change against the parent run's latest evaluation on the same split.
pub(super) fn render_evals(f: &mut Frame, area: Rect, r: &RunsState, v: &ViewCtx, x: &RunInfo) {
    let t = v.theme;
    let b = block("Evaluation", false, t);
    let mut inner = b.inner(area);
    f.render_widget(b, area);
    if let Some(j) = r.evaluation_of(x.run.id) {
        // The evaluation under way, above the last finished one.
        let line = format!(
            "evaluating {}: {} · {} cancels",
            j.message,
            if j.total > 0 {
                pct(j.done as f64 / j.total as f64)
            } else {
                "–".into()
            },
            v.keymap.hint("runs", Cmd::CancelEval)
        );
        let rows = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).split(inner);
        f.render_widget(
            Paragraph::new(Line::styled(
                crate::tui::widgets::fit(&line, rows[0].width as usize),
                t.accent(),
            )),
            rows[0],
        );
        inner = rows[1];
    }
    let Some(e) = latest_eval(&r.evals, x.run.id, None) else {
        let hint = v.keymap.hint("runs", Cmd::EvalRun);
        f.render_widget(
            Paragraph::new(vec![
                Line::styled("not evaluated yet", t.dim()),
                Line::styled(format!("{hint} evaluates its checkpoint"), t.dim()),
            ]),
            inner,
        );
        return;
    };
    let parent_info = x.run.parent.as_deref().and_then(|p| parent_run(&r.runs, p));
    let parent =
        parent_info.and_then(|p| comparable(&r.evals, p.run.id, e).map(|pe| (p.run.id, pe)));
    let mut rows = vec![Row::new(vec![
        ratatui::text::Text::styled(format!("EX on {}", e.row.split), t.title()),
        ratatui::text::Text::styled(
            if e.row.n > 0 {
                pct(e.row.correct as f64 / e.row.n as f64)
            } else {
                "–".into()
            },
            t.title(),
        ),
        ratatui::text::Text::styled(format!("{}/{}", e.row.correct, e.row.n), t.text()),
        ratatui::text::Text::styled(
            delta(
                (e.row.correct, e.row.n),
                parent.map(|(_, p)| (p.row.correct, p.row.n)),
            ),
            t.accent(),
        ),
    ])];
    let lookup = |tallies: Option<&[Tally]>, k: &str| {
        tallies.and_then(|ts| ts.iter().find(|x| x.name == k).map(|x| (x.correct, x.n)))
    };
    for (title, items, parent_items) in [
        (
            "difficulty",
            &e.per_difficulty,
            parent.map(|(_, p)| p.per_difficulty.as_slice()),
        ),
        (
            "database",
            &e.per_db,
            parent.map(|(_, p)| p.per_db.as_slice()),
        ),
    ] {
        if items.is_empty() {
            continue;
        }
        rows.push(Row::new(vec![ratatui::text::Text::styled(
            title.to_string(),
            t.dim(),
        )]));
        for Tally {
            name: k,
            correct: c,
            n,
        } in items.iter().cloned()
        {
            rows.push(Row::new(vec![
                ratatui::text::Text::styled(format!("  {k}"), t.text()),
                ratatui::text::Text::styled(
                    if n > 0 {
                        pct(c as f64 / n as f64)
                    } else {
                        "–".into()
                    },
                    t.text(),
                ),
                ratatui::text::Text::styled(format!("{c}/{n}"), t.dim()),
                ratatui::text::Text::styled(delta((c, n), lookup(parent_items, &k)), t.accent()),
            ]));
        }
    }
    let foot = match (parent, parent_info) {
        (Some((id, _)), _) => format!("Δ against parent #{id}, same {} examples", e.row.n),
        (None, Some(p)) if latest_eval(&r.evals, p.run.id, Some(&e.row.split)).is_some() => {
            format!(
                "parent #{} was evaluated on other examples or decoding: no Δ",
                p.run.id
            )
        }
        _ => "no parent evaluation to compare".into(),
    };
    let h = inner.height.saturating_sub(1) as usize;
    rows.truncate(h);
    let cols = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).split(inner);
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(6),
            ],
        )
        .header(Row::new(vec!["", "EX", "correct", "Δ"]).style(t.dim())),
        cols[0],
    );
    f.render_widget(Paragraph::new(Line::styled(foot, t.dim())), cols[1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(per_db: &str, per_difficulty: &str) -> EvalRow {
        EvalRow {
            id: 1,
            run_id: Some(1),
            model: "m".into(),
            split: "dev".into(),
            metric: "spider".into(),
            n: 3,
            correct: 2,
            per_db: serde_json::from_str(per_db).unwrap_or_default(),
            per_difficulty: serde_json::from_str(per_difficulty).unwrap_or_default(),
            created_at: String::new(),
            example_set: None,
            decoding: None,
        }
    }

    #[test]
    fn a_change_is_shown_only_against_the_same_examples() {
        let mk = |id, run, set: Option<&str>| {
            let mut r = row("{}", "{}");
            r.id = id;
            r.run_id = Some(run);
            r.example_set = set.map(str::to_string);
            Eval::decode(r)
        };
        let evals = vec![mk(1, 1, Some("aa")), mk(2, 1, Some("bb")), mk(3, 1, None)];
        let id = |e: Option<&Eval>| e.map(|e| e.row.id);
        assert_eq!(id(comparable(&evals, 1, &mk(4, 2, Some("aa")))), Some(1));
        assert_eq!(id(comparable(&evals, 1, &mk(5, 2, Some("bb")))), Some(2));
        assert_eq!(id(comparable(&evals, 1, &mk(6, 2, Some("cc")))), None);
        // Recorded before sense kept examples: nothing to compare with.
        assert_eq!(id(comparable(&evals, 1, &mk(7, 2, None))), None);
        let mut dev = mk(8, 2, Some("aa"));
        dev.row.split = "heldout".into();
        assert_eq!(id(comparable(&evals, 1, &dev)), None, "another split");
        let mut voted = mk(9, 2, Some("aa"));
        voted.row.decoding = Some("best of 8 by execution, schema-bound".into());
        assert_eq!(id(comparable(&evals, 1, &voted)), None, "another decoding");
    }

    #[test]
    fn breakdowns_are_decoded_once_when_read() {
        let e = Eval::decode(row(
            r#"{"vet": {"correct": 1, "n": 2}, "zoo": {"correct": 1, "n": 1}}"#,
            r#"{"easy": {"correct": 2, "n": 3}}"#,
        ));
        let t = |name: &str, correct, n| Tally {
            name: name.into(),
            correct,
            n,
        };
        assert_eq!(e.per_db, vec![t("vet", 1, 2), t("zoo", 1, 1)]);
        assert_eq!(e.per_difficulty, vec![t("easy", 2, 3)]);
        assert_eq!(e.row.correct, 2);
    }
}
