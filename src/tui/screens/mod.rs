//! One module per screen: its own state, its reaction to commands and loaded data (given a
//! [`Ctx`](crate::tui::ctx::Ctx) of the app around it), its view. No screen sees the app's
//! state: `tui::state` composes them and dispatches to them.

pub mod databases;
pub mod playground;
pub mod playground_more;
pub mod playground_view;
pub mod questions;
pub mod review;
pub mod review_filter;
mod review_view;
pub mod runs;

use crate::tui::theme::Theme;
pub use crate::tui::widgets::block;
use crate::tui::widgets::fit;
use crate::tui::widgets::grid::{Grid, Pane};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// A result pane: the grid, or what is happening instead.
pub fn render_pane(
    f: &mut Frame,
    area: Rect,
    title: &str,
    pane: &Pane,
    offsets: (usize, usize),
    t: &Theme,
) {
    render_pane_marked(f, area, title, pane, offsets, t, t.removed());
}

/// A result pane whose rows marked `only_here` are drawn in `mark`.
pub fn render_pane_marked(
    f: &mut Frame,
    area: Rect,
    title: &str,
    pane: &Pane,
    offsets: (usize, usize),
    t: &Theme,
    mark: ratatui::style::Style,
) {
    let room = area.width.saturating_sub(4) as usize;
    // Rows that fit below the header; a longer result says which rows are on screen.
    let visible = area.height.saturating_sub(3) as usize;
    let title = match pane {
        Pane::Ready(d) if d.rows.len() > visible && visible > 0 => {
            let first = offsets.0.min(d.rows.len().saturating_sub(1));
            let last = (first + visible).min(d.rows.len());
            let full = format!(
                "{title} · rows {}–{last} of {} × {} col{}{} · {:.1} ms",
                first + 1,
                d.rows.len(),
                d.columns.len(),
                if d.columns.len() == 1 { "" } else { "s" },
                d.diff_note(),
                d.elapsed_ms
            );
            if full.chars().count() <= room {
                full
            } else {
                format!(
                    "{title} · rows {}–{last} of {}{}",
                    first + 1,
                    d.rows.len(),
                    d.diff_note()
                )
            }
        }
        Pane::Ready(d) => {
            let full = format!("{title} · {}", d.summary());
            if full.chars().count() <= room {
                full
            } else {
                // Narrow: leave the timing out.
                format!("{title} · {}{}", d.shape(), d.diff_note())
            }
        }
        _ => title.to_string(),
    };
    let b = block(fit(&title, area.width.saturating_sub(4) as usize), false, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    match pane {
        Pane::Empty => {}
        Pane::Loading => f.render_widget(Paragraph::new(Span::styled("running…", t.dim())), inner),
        Pane::Failed(e) => f.render_widget(
            Paragraph::new(Line::styled(e.clone(), t.error())).wrap(Wrap { trim: true }),
            inner,
        ),
        Pane::Ready(d) => f.render_widget(
            Grid {
                data: d,
                row_offset: offsets.0,
                col_offset: offsets.1,
                theme: t,
                mark,
            },
            inner,
        ),
    }
}

/// A centred, dimmed explanation for an empty screen.
pub fn render_note(f: &mut Frame, area: Rect, lines: Vec<Line<'static>>, t: &Theme) {
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = area.width.min(76);
    let r = crate::tui::widgets::centered(area, w, h);
    f.render_widget(
        Paragraph::new(lines)
            .style(t.text())
            .wrap(Wrap { trim: false }),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::grid::GridData;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    #[test]
    fn a_long_result_says_which_rows_are_on_screen() {
        let d = GridData::new(
            vec!["n".into()],
            (1..=187).map(|i| vec![i.to_string()]).collect(),
            0.5,
        );
        let pane = Pane::Ready(d);
        let t = Theme::default();
        let mut term = Terminal::new(TestBackend::new(60, 43)).unwrap();
        term.draw(|f| render_pane(f, f.area(), "result", &pane, (40, 0), &t))
            .unwrap();
        let top: String = term
            .backend()
            .to_string()
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(top.contains("rows 41–80 of 187 × 1 col"), "{top}");
    }
}
