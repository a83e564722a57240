//! Plain-text result grids for the CLI.

use crate::exec::QueryResult;
use unicode_width::UnicodeWidthStr;

const MAX_COL: usize = 40;

/// Control characters from data (an escape sequence could retitle or clear the terminal)
/// shown escaped; line breaks and tabs as spaces.
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

fn clip(s: &str, w: usize) -> String {
    let s = &printable(s);
    if s.width() <= w {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        if out.width() + 2 > w {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

/// A grid with a header, column widths measured in display columns and capped.
pub fn render(r: &QueryResult, max_rows: usize) -> String {
    let cells: Vec<Vec<String>> = r
        .rows
        .iter()
        .take(max_rows)
        .map(|row| row.iter().map(|v| clip(&v.to_string(), MAX_COL)).collect())
        .collect();
    let mut widths: Vec<usize> = r.columns.iter().map(|c| clip(c, MAX_COL).width()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.width());
        }
    }
    let line = |vals: Vec<String>| -> String {
        let parts: Vec<String> = vals
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v}{}", " ".repeat(w - v.width())))
            .collect();
        parts.join(" │ ").trim_end().to_string()
    };
    let mut out = line(r.columns.iter().map(|c| clip(c, MAX_COL)).collect());
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("─┼─"),
    );
    out.push('\n');
    for row in cells {
        out.push_str(&line(row));
        out.push('\n');
    }
    let n = r.rows.len();
    if n > max_rows {
        out.push_str(&format!("… {} more rows\n", n - max_rows));
    }
    out.push_str(&format!(
        "({n} row{}, {:.1} ms)\n",
        if n == 1 { "" } else { "s" },
        r.elapsed.as_secs_f64() * 1e3
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Value;

    #[test]
    fn control_characters_from_data_are_escaped() {
        let r = QueryResult {
            columns: vec!["t\u{1b}]0;x\u{7}".into()],
            decl_types: vec![None],
            rows: vec![vec![Value::Text(
                "\u{1b}]0;pwned\u{7}\u{1b}[2Ja\nb\u{9b}".into(),
            )]],
            elapsed: Default::default(),
        };
        let out = render(&r, 10);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("\\u{1b}]0;pwned"), "{out}");
    }
}
