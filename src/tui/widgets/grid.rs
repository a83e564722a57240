//! The result grid: values stringified once per result, column widths measured once in display
//! columns and capped, only the visible rows and columns rendered, scrolled by row and column.

use super::{fit, one_line};
use crate::exec::QueryResult;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// Widest a column is drawn, in display columns.
pub const MAX_COL_WIDTH: usize = 32;

/// A result ready to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridData {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Display width of each column (header and cells), capped at MAX_COL_WIDTH.
    pub widths: Vec<usize>,
    pub elapsed_ms: f64,
    /// Rows the result compared with it does not have (Review's row diff); empty when unset.
    pub only_here: Vec<bool>,
    /// A remark on the comparison ("same rows, different order").
    pub note: Option<String>,
    /// Columns whose values are all numbers (or NULL): drawn right-aligned.
    pub numeric: Vec<bool>,
}

/// A result pane's state: nothing asked, running, a result, or why there is none.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Pane {
    #[default]
    Empty,
    Loading,
    Ready(GridData),
    Failed(String),
}

impl Pane {
    /// (rows, columns) of a ready result, for bounding scroll offsets.
    pub fn extent(&self) -> (usize, usize) {
        match self {
            Pane::Ready(g) => (g.rows.len(), g.columns.len()),
            _ => (0, 0),
        }
    }
}

impl GridData {
    pub fn new(columns: Vec<String>, rows: Vec<Vec<String>>, elapsed_ms: f64) -> GridData {
        let mut widths: Vec<usize> = columns.iter().map(|c| c.width().max(1)).collect();
        for r in &rows {
            for (i, v) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(v.width());
                }
            }
        }
        for w in &mut widths {
            *w = (*w).min(MAX_COL_WIDTH);
        }
        let numeric = (0..columns.len())
            .map(|i| {
                let mut any = false;
                let all = rows.iter().all(|r| match r.get(i).map(String::as_str) {
                    None | Some("NULL") => true,
                    Some(v) => {
                        any = true;
                        v.parse::<f64>().is_ok()
                    }
                });
                all && any
            })
            .collect();
        GridData {
            columns,
            rows,
            widths,
            elapsed_ms,
            only_here: Vec::new(),
            note: None,
            numeric,
        }
    }

    pub fn from_result(r: &QueryResult) -> GridData {
        let rows = r
            .rows
            .iter()
            .map(|row| row.iter().map(|v| one_line(&v.to_string())).collect())
            .collect();
        GridData::new(r.columns.clone(), rows, r.elapsed.as_secs_f64() * 1e3)
    }

    /// "3 rows × 2 cols".
    pub fn shape(&self) -> String {
        format!(
            "{} row{} × {} col{}",
            self.rows.len(),
            if self.rows.len() == 1 { "" } else { "s" },
            self.columns.len(),
            if self.columns.len() == 1 { "" } else { "s" },
        )
    }

    /// "3 rows × 2 cols · 0.4 ms", and how many rows only this side has.
    pub fn summary(&self) -> String {
        format!(
            "{}{} · {:.1} ms",
            self.shape(),
            self.diff_note(),
            self.elapsed_ms
        )
    }

    /// " · 2 only here", " · same rows, different order", or nothing.
    pub fn diff_note(&self) -> String {
        let only = self.only_here.iter().filter(|m| **m).count();
        match (&self.note, only) {
            (Some(n), _) => format!(" · {n}"),
            (None, 0) => String::new(),
            (None, n) => format!(" · {n} only here"),
        }
    }
}

/// Draws a grid into an area (no border: callers wrap it in a block).
pub struct Grid<'a> {
    pub data: &'a GridData,
    pub row_offset: usize,
    pub col_offset: usize,
    pub theme: &'a Theme,
    /// How rows marked `only_here` are drawn.
    pub mark: ratatui::style::Style,
}

impl Widget for Grid<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let t = self.theme;
        let d = self.data;
        if d.columns.is_empty() {
            buf.set_stringn(area.x, area.y, "(no columns)", area.width as usize, t.dim());
            return;
        }
        let col_offset = self.col_offset.min(d.columns.len().saturating_sub(1));
        // Which columns fit, from col_offset on.
        let mut cols = Vec::new();
        let mut x = 0usize;
        for (i, w) in d.widths.iter().enumerate().skip(col_offset) {
            if x >= area.width as usize {
                break;
            }
            let w = (*w).min(area.width as usize - x);
            cols.push((i, x, w));
            x += w + 1;
        }
        let header = t.title().add_modifier(Modifier::UNDERLINED);
        for &(i, cx, w) in &cols {
            buf.set_stringn(area.x + cx as u16, area.y, fit(&d.columns[i], w), w, header);
        }
        let body_h = area.height as usize - 1;
        let row_offset = self.row_offset.min(d.rows.len().saturating_sub(1));
        if d.rows.is_empty() && body_h > 0 {
            buf.set_stringn(
                area.x,
                area.y + 1,
                "(no rows)",
                area.width as usize,
                t.dim(),
            );
        }
        for (line, row) in d.rows.iter().skip(row_offset).take(body_h).enumerate() {
            let y = area.y + 1 + line as u16;
            let only_here = d.only_here.get(row_offset + line).copied().unwrap_or(false);
            for &(i, cx, w) in &cols {
                let v = row.get(i).map(String::as_str).unwrap_or("");
                let style = if only_here {
                    self.mark
                } else if v == "NULL" {
                    t.dim()
                } else {
                    t.text()
                };
                let text = fit(v, w);
                // Numbers right-aligned, so magnitudes line up.
                let pad = if d.numeric.get(i).copied().unwrap_or(false) {
                    w.saturating_sub(text.width())
                } else {
                    0
                };
                buf.set_stringn(area.x + (cx + pad) as u16, y, text, w - pad, style);
            }
        }
        // Marks for more columns to the right / left.
        if cols
            .last()
            .is_some_and(|&(i, _, _)| i + 1 < d.columns.len())
        {
            buf.set_string(area.x + area.width - 1, area.y, "›", t.accent());
        }
        if col_offset > 0 {
            buf.set_string(area.x, area.y, "‹", t.accent());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> GridData {
        GridData::new(
            vec!["id".into(), "name".into(), "note".into()],
            (0..100)
                .map(|i| vec![i.to_string(), format!("名前{i}"), "x".repeat(80)])
                .collect(),
            1.0,
        )
    }

    #[test]
    fn widths_are_display_columns_and_capped() {
        let d = data();
        assert_eq!(d.widths[0], 2);
        assert_eq!(d.widths[1], 6); // 名前 is 4 columns + up to 2 digits
        assert_eq!(d.widths[2], MAX_COL_WIDTH);
    }

    #[test]
    fn renders_only_visible_rows_from_the_offsets() {
        let d = data();
        let t = Theme::default();
        let area = Rect::new(0, 0, 20, 4);
        let mut buf = Buffer::empty(area);
        Grid {
            data: &d,
            row_offset: 10,
            col_offset: 1,
            theme: &t,
            mark: t.removed(),
        }
        .render(area, &mut buf);
        let line = |y: u16| -> String {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        };
        assert!(line(0).starts_with("‹ame"), "{}", line(0));
        // A wide character's second cell is blank in the buffer.
        assert!(
            line(1).replace(' ', "").starts_with("名前10x"),
            "{}",
            line(1)
        );
        assert!(
            line(3).replace(' ', "").starts_with("名前12x"),
            "{}",
            line(3)
        );
    }

    #[test]
    fn numbers_are_right_aligned_and_text_left() {
        let d = GridData::new(
            vec!["name".into(), "total".into()],
            vec![
                vec!["ab".into(), "7".into()],
                vec!["abcdef".into(), "12345".into()],
                vec!["x".into(), "NULL".into()],
            ],
            0.0,
        );
        assert_eq!(d.numeric, vec![false, true]);
        let t = Theme::default();
        let area = Rect::new(0, 0, 14, 4);
        let mut buf = Buffer::empty(area);
        Grid {
            data: &d,
            row_offset: 0,
            col_offset: 0,
            theme: &t,
            mark: t.removed(),
        }
        .render(area, &mut buf);
        let line = |y: u16| -> String {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        };
        assert_eq!(line(1), "ab         7  ");
        assert_eq!(line(2), "abcdef 12345  ");
    }
}
