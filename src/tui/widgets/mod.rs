//! Widgets shared by the screens: result grid, SQL highlighting and token diff, schema tree,
//! the one-line text input, bordered blocks and list cursors.

pub mod chart;
pub mod grid;
pub mod input;
pub mod sql;
pub mod tree;

use crate::tui::keymap::Cmd;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A bordered block with a title in the theme's colours.
pub fn block<'a>(title: impl Into<String>, focused: bool, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(focused))
        .title(Span::styled(format!(" {} ", title.into()), t.title()))
}

/// One step further, but never past the last of `len` items.
pub fn step_within(v: usize, len: usize) -> usize {
    (v + 1).min(len.saturating_sub(1))
}

/// Moves a cursor by a movement command within `len` items; returns whether it moved.
pub fn move_cursor(cursor: &mut usize, len: usize, cmd: Cmd, page: usize) -> bool {
    if len == 0 {
        return false;
    }
    let old = *cursor;
    *cursor = match cmd {
        Cmd::Up => cursor.saturating_sub(1),
        Cmd::Down => (*cursor + 1).min(len - 1),
        Cmd::PageUp => cursor.saturating_sub(page),
        Cmd::PageDown => (*cursor + page).min(len - 1),
        Cmd::Top => 0,
        Cmd::Bottom => len - 1,
        _ => *cursor,
    };
    *cursor != old
}

/// Cuts `s` to at most `width` display columns, marking a cut with `…`.
pub fn fit(s: &str, width: usize) -> String {
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// A styled line cut to `width` display columns; a cut line ends in "…", so nothing is
/// silently lost at the edge of a narrow terminal.
pub fn fit_line(line: ratatui::text::Line<'static>, width: usize) -> ratatui::text::Line<'static> {
    let total: usize = line.spans.iter().map(|s| s.content.width()).sum();
    if total <= width {
        return line;
    }
    let mut left = width;
    let mut spans = Vec::new();
    for span in line.spans {
        let w = span.content.width();
        if w < left {
            left -= w;
            spans.push(span);
            continue;
        }
        // The span that crosses the edge: cut it, with room for the ellipsis.
        spans.push(ratatui::text::Span::styled(
            fit(&span.content, left),
            span.style,
        ));
        break;
    }
    ratatui::text::Line::from(spans)
}

/// One line of text for a cell: control characters (newlines, tabs) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The offset that keeps `cursor` visible in a window of `height` rows, centred when possible.
pub fn scroll_offset(cursor: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    cursor.saturating_sub(height / 2).min(len - height)
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_line_ends_a_cut_line_in_an_ellipsis() {
        use ratatui::text::{Line, Span};
        let l = Line::from(vec![
            Span::raw("#3 sft stopped · "),
            Span::raw("stopped by the user after step 13"),
        ]);
        let cut = fit_line(l.clone(), 30);
        let text: String = cut.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "#3 sft stopped · stopped by t…");
        assert_eq!(fit_line(l, 80).spans.len(), 2);
    }

    #[test]
    fn fit_counts_display_columns() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn offsets_keep_the_cursor_visible() {
        assert_eq!(scroll_offset(0, 100, 10), 0);
        assert_eq!(scroll_offset(50, 100, 10), 45);
        assert_eq!(scroll_offset(99, 100, 10), 90);
        assert_eq!(scroll_offset(5, 8, 10), 0);
    }
}
