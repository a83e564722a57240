//! SQL as styled lines: syntax highlighting, and a token-level diff of two queries.

use crate::sqltext::{tokenize, TokKind, Token};
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    /// Only in this side.
    Changed,
}

fn token_style(kind: TokKind, t: &Theme) -> Style {
    match kind {
        TokKind::Keyword => Style::default().fg(t.keyword),
        TokKind::Str => Style::default().fg(t.string),
        TokKind::Number => Style::default().fg(t.number),
        TokKind::Comment => Style::default().fg(t.comment),
        TokKind::QuotedIdent | TokKind::Ident | TokKind::Punct | TokKind::Whitespace => t.text(),
    }
}

/// Splits styled tokens into lines at newlines inside them.
fn to_lines(parts: Vec<(String, Style)>) -> Vec<Line<'static>> {
    let mut lines = vec![Line::default()];
    for (text, style) in parts {
        let mut first = true;
        for piece in text.split('\n') {
            if !first {
                lines.push(Line::default());
            }
            first = false;
            if !piece.is_empty() {
                let piece = piece.replace('\t', "  ").replace('\r', "");
                if let Some(l) = lines.last_mut() {
                    l.spans.push(Span::styled(piece, style));
                }
            }
        }
    }
    lines
}

/// Highlighted SQL.
pub fn highlight(sql: &str, t: &Theme) -> Vec<Line<'static>> {
    to_lines(
        tokenize(sql)
            .into_iter()
            .map(|tok| (tok.text.to_string(), token_style(tok.kind, t)))
            .collect(),
    )
}

fn same(a: &Token<'_>, b: &Token<'_>) -> bool {
    if a.kind == TokKind::Keyword && b.kind == TokKind::Keyword {
        a.text.eq_ignore_ascii_case(b.text)
    } else {
        a.text == b.text
    }
}

/// Marks, for each significant token of `a` and of `b`, whether it is part of their longest
/// common subsequence (Same) or not (Changed). Whitespace and comments are always Same.
pub fn token_diff(a: &str, b: &str) -> (Vec<Mark>, Vec<Mark>) {
    let ta = tokenize(a);
    let tb = tokenize(b);
    let sig = |t: &[Token<'_>]| -> Vec<usize> {
        t.iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t.kind, TokKind::Whitespace | TokKind::Comment))
            .map(|(i, _)| i)
            .collect()
    };
    let (sa, sb) = (sig(&ta), sig(&tb));
    let mut ma = vec![Mark::Same; ta.len()];
    let mut mb = vec![Mark::Same; tb.len()];
    for &i in &sa {
        ma[i] = Mark::Changed;
    }
    for &j in &sb {
        mb[j] = Mark::Changed;
    }
    let (n, m) = (sa.len(), sb.len());
    if n * m > 4_000_000 {
        // Too long to diff cheaply: everything shows as changed.
        return (ma, mb);
    }
    // LCS table, from the ends.
    let mut dp = vec![0u32; (n + 1) * (m + 1)];
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            dp[idx(i, j)] = if same(&ta[sa[i]], &tb[sb[j]]) {
                dp[idx(i + 1, j + 1)] + 1
            } else {
                dp[idx(i + 1, j)].max(dp[idx(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if same(&ta[sa[i]], &tb[sb[j]]) {
            ma[sa[i]] = Mark::Same;
            mb[sb[j]] = Mark::Same;
            i += 1;
            j += 1;
        } else if dp[idx(i + 1, j)] >= dp[idx(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (ma, mb)
}

/// Highlighted SQL with the tokens in `marks` that are Changed drawn in `changed`.
pub fn highlight_diff(sql: &str, marks: &[Mark], changed: Style, t: &Theme) -> Vec<Line<'static>> {
    to_lines(
        tokenize(sql)
            .into_iter()
            .enumerate()
            .map(|(i, tok)| {
                let style = match marks.get(i) {
                    Some(Mark::Changed) => changed,
                    _ => token_style(tok.kind, t),
                };
                (tok.text.to_string(), style)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(sql: &str, marks: &[Mark]) -> Vec<String> {
        tokenize(sql)
            .iter()
            .zip(marks)
            .filter(|(_, m)| **m == Mark::Changed)
            .map(|(t, _)| t.text.to_string())
            .collect()
    }

    #[test]
    fn diff_marks_only_the_differing_tokens() {
        let a = "SELECT name FROM pets WHERE age > 3";
        let b = "select name from pets where age >= 3 ORDER BY name";
        let (ma, mb) = token_diff(a, b);
        assert_eq!(changed(a, &ma), vec![">"]);
        assert_eq!(changed(b, &mb), vec![">=", "ORDER", "BY", "name"]);
    }

    #[test]
    fn identical_queries_have_no_changes() {
        let (ma, mb) = token_diff("SELECT 1", "SELECT  1");
        assert!(ma.iter().chain(&mb).all(|m| *m == Mark::Same));
    }

    #[test]
    fn highlight_keeps_text_and_splits_lines() {
        let t = Theme::default();
        let lines = highlight("SELECT a\nFROM t", &t);
        assert_eq!(lines.len(), 2);
        let text: String = lines[1].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "FROM t");
        assert_eq!(lines[0].spans[0].style.fg, Some(t.keyword));
    }
}
