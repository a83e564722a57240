//! A small SQL lexer shared by everything that looks at SQL as text: splitting off the first
//! statement, removing DISTINCT (Spider's evaluator does), token diffs, highlighting, hardness.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Keyword,
    Ident,
    /// A quoted identifier: "x", `x` or [x].
    QuotedIdent,
    Str,
    Number,
    Punct,
    Whitespace,
    Comment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokKind,
    pub text: &'a str,
}

const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "AVG",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COUNT",
    "CROSS",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "FROM",
    "GLOB",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INTERSECT",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MAX",
    "MIN",
    "NATURAL",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "SELECT",
    "SUM",
    "THEN",
    "UNION",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
    "RECURSIVE",
    "CREATE",
    "TABLE",
    "INSERT",
    "INTO",
    "UPDATE",
    "DELETE",
    "DROP",
    "PRIMARY",
    "KEY",
    "FOREIGN",
    "REFERENCES",
    "INTEGER",
    "TEXT",
    "REAL",
    "INDEX",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Splits SQL into tokens; the concatenation of all token texts is the input, so callers can
/// rebuild the text after dropping or restyling tokens. Never fails: unterminated strings and
/// comments run to the end of the input.
pub fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let kind = if c.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            TokKind::Whitespace
        } else if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            TokKind::Comment
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            TokKind::Comment
        } else if c == b'\'' || c == b'"' || c == b'`' {
            i = skip_quoted(bytes, i, c);
            if c == b'\'' {
                TokKind::Str
            } else {
                TokKind::QuotedIdent
            }
        } else if c == b'[' {
            while i < bytes.len() && bytes[i] != b']' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            TokKind::QuotedIdent
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit()))
        {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || ((bytes[i] == b'+' || bytes[i] == b'-')
                        && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            TokKind::Number
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'_'
                    || bytes[i] == b'$'
                    || bytes[i] >= 0x80)
            {
                i += 1;
            }
            if is_keyword(&sql[start..i]) {
                TokKind::Keyword
            } else {
                TokKind::Ident
            }
        } else {
            // Two-character operators stay one token so diffs read naturally.
            let two = bytes.get(i..i + 2);
            i += match two {
                Some(b"<=") | Some(b">=") | Some(b"<>") | Some(b"!=") | Some(b"==")
                | Some(b"||") => 2,
                _ => 1,
            };
            // Keep UTF-8 boundaries intact for any stray non-ASCII punctuation.
            while !sql.is_char_boundary(i) {
                i += 1;
            }
            TokKind::Punct
        };
        out.push(Token {
            kind,
            text: &sql[start..i],
        });
    }
    out
}

fn skip_quoted(bytes: &[u8], mut i: usize, q: u8) -> usize {
    i += 1;
    while i < bytes.len() {
        if bytes[i] == q {
            // A doubled quote is an escaped quote inside the literal.
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    i
}

/// The first statement of `sql`, without its terminating semicolon (predictions sometimes carry
/// several statements or trailing chatter; evaluators run only the first).
pub fn first_statement(sql: &str) -> &str {
    let mut end = sql.len();
    let mut pos = 0;
    for t in tokenize(sql) {
        if t.kind == TokKind::Punct && t.text == ";" {
            end = pos;
            break;
        }
        pos += t.text.len();
    }
    sql[..end].trim()
}

/// Removes the DISTINCT keyword, as Spider's test-suite evaluator does before executing.
pub fn remove_distinct(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let toks = tokenize(sql);
    let mut skip_ws = false;
    for t in toks {
        if t.kind == TokKind::Keyword && t.text.eq_ignore_ascii_case("distinct") {
            skip_ws = true;
            continue;
        }
        if skip_ws && t.kind == TokKind::Whitespace {
            skip_ws = false;
            if !out.ends_with(char::is_whitespace) && !out.ends_with('(') {
                out.push(' ');
            }
            continue;
        }
        skip_ws = false;
        out.push_str(t.text);
    }
    out
}

/// Whether the SQL has ORDER BY anywhere (Spider then compares rows in order).
pub fn has_order_by(sql: &str) -> bool {
    let words = significant(sql);
    words
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case("order") && w[1].eq_ignore_ascii_case("by"))
}

/// The top-level tail of a query: `... [ORDER BY terms] LIMIT n [OFFSET m]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitTail {
    /// The ORDER BY terms without ASC/DESC/NULLS, empty when there is no ORDER BY.
    pub order_terms: Vec<String>,
    pub limit: u64,
    /// The query with `LIMIT n+1` and each ORDER BY term appended to the select list, so the
    /// row just past the cut and every row's sort key can be read; None when the select list
    /// cannot take extra columns (DISTINCT, a compound query, no FROM).
    pub probe: Option<String>,
}

/// Reads the top-level `ORDER BY … LIMIT n` of the first statement (None without LIMIT, or
/// with a LIMIT that is not a plain number).
pub fn limit_tail(sql: &str) -> Option<LimitTail> {
    let sql = first_statement(sql);
    let toks = tokenize(sql);
    // (token index, byte offset, depth) of the significant tokens.
    let mut sig = Vec::new();
    let (mut depth, mut pos) = (0i32, 0usize);
    for (i, t) in toks.iter().enumerate() {
        if !matches!(t.kind, TokKind::Whitespace | TokKind::Comment) {
            if t.text == ")" {
                depth -= 1;
            }
            sig.push((i, pos, depth));
            if t.text == "(" {
                depth += 1;
            }
        }
        pos += t.text.len();
    }
    let word = |k: usize, w: &str| toks[sig[k].0].text.eq_ignore_ascii_case(w) && sig[k].2 == 0;
    let lim = (0..sig.len()).rev().find(|&k| word(k, "limit"))?;
    let num = sig.get(lim + 1)?;
    let limit: u64 = toks[num.0].text.parse().ok()?;
    // `LIMIT n` alone or `LIMIT n OFFSET m`; `LIMIT m, n` is left alone.
    match sig.get(lim + 2) {
        None => {}
        Some(_) if word(lim + 2, "offset") => {}
        Some(_) => return None,
    }
    let order = (1..lim)
        .rev()
        .find(|&k| word(k - 1, "order") && word(k, "by"));
    let mut order_terms = Vec::new();
    if let Some(by) = order {
        let start = sig[by].1 + toks[sig[by].0].text.len();
        let end = sig[lim].1;
        let mut term_start = start;
        let mut cuts = Vec::new();
        for &(i, off, d) in &sig[by + 1..lim] {
            if d == 0 && toks[i].text == "," {
                cuts.push((term_start, off));
                term_start = off + 1;
            }
        }
        cuts.push((term_start, end));
        for (a, b) in cuts {
            let mut words: Vec<&str> = sql[a..b].split_whitespace().collect();
            loop {
                let n = words.len();
                let last = words.last().map(|w| w.to_ascii_uppercase());
                match last.as_deref() {
                    Some("ASC") | Some("DESC") => {
                        words.pop();
                    }
                    Some("FIRST") | Some("LAST")
                        if n >= 2 && words[n - 2].eq_ignore_ascii_case("nulls") =>
                    {
                        words.truncate(n - 2);
                    }
                    _ => break,
                }
            }
            order_terms.push(words.join(" "));
        }
    }
    let compound = sig.iter().any(|&(i, _, d)| {
        d == 0
            && ["union", "intersect", "except"]
                .iter()
                .any(|w| toks[i].text.eq_ignore_ascii_case(w))
    });
    let select = sig
        .iter()
        .position(|&(i, _, d)| d == 0 && toks[i].text.eq_ignore_ascii_case("select"));
    let distinct = select.is_some_and(|k| {
        sig.get(k + 1)
            .is_some_and(|&(i, _, _)| toks[i].text.eq_ignore_ascii_case("distinct"))
    });
    let from = select.and_then(|k| {
        sig[k..]
            .iter()
            .find(|&&(i, _, d)| d == 0 && toks[i].text.eq_ignore_ascii_case("from"))
            .map(|&(_, off, _)| off)
    });
    let probe = match from {
        Some(from) if !compound && !distinct && !order_terms.is_empty() => {
            let extra: String = order_terms.iter().map(|t| format!(", ({t})")).collect();
            let (lim_off, num_off) = (sig[lim].1, num.1);
            let num_end = num_off + toks[num.0].text.len();
            Some(format!(
                "{}{extra} {}{}{}",
                sql[..from].trim_end(),
                &sql[from..lim_off],
                format_args!("LIMIT {}", limit + 1),
                &sql[num_end..]
            ))
        }
        _ => None,
    };
    Some(LimitTail {
        order_terms,
        limit,
        probe,
    })
}

/// The SQL with each top-level clause (FROM, JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT,
/// and set operators) on its own line, for reading side by side on a wide screen. Only
/// whitespace changes: the tokens, and so a token diff, are the same.
pub fn format_clauses(sql: &str) -> String {
    let toks = tokenize(sql);
    let mut out = String::with_capacity(sql.len() + 16);
    let mut depth = 0i32;
    let mut seen_word = false;
    let sig: Vec<usize> = (0..toks.len())
        .filter(|&i| !matches!(toks[i].kind, TokKind::Whitespace | TokKind::Comment))
        .collect();
    let next_sig = |i: usize| sig.iter().find(|&&j| j > i).map(|&j| toks[j].text);
    let prev_sig = |i: usize| sig.iter().rev().find(|&&j| j < i).map(|&j| toks[j].text);
    for (i, t) in toks.iter().enumerate() {
        if t.text == "(" {
            depth += 1;
        } else if t.text == ")" {
            depth -= 1;
        }
        let w = t.text.to_ascii_uppercase();
        let joins_next = next_sig(i)
            .is_some_and(|n| n.eq_ignore_ascii_case("join") || n.eq_ignore_ascii_case("outer"));
        let after_join_word = prev_sig(i).is_some_and(|p| {
            [
                "LEFT", "RIGHT", "INNER", "CROSS", "NATURAL", "FULL", "OUTER",
            ]
            .iter()
            .any(|k| p.eq_ignore_ascii_case(k))
        });
        let starts = depth == 0
            && t.kind == TokKind::Keyword
            && seen_word
            && match w.as_str() {
                "FROM" | "WHERE" | "GROUP" | "HAVING" | "ORDER" | "LIMIT" | "UNION"
                | "INTERSECT" | "EXCEPT" => true,
                "JOIN" => !after_join_word,
                "LEFT" | "INNER" | "CROSS" | "NATURAL" => joins_next && !after_join_word,
                _ => false,
            };
        if starts {
            let trimmed = out.trim_end_matches([' ', '\t', '\n', '\r']).len();
            out.truncate(trimmed);
            out.push('\n');
        }
        if t.kind == TokKind::Whitespace && out.ends_with('\n') {
            continue;
        }
        if !matches!(t.kind, TokKind::Whitespace | TokKind::Comment) {
            seen_word = true;
        }
        out.push_str(t.text);
    }
    out
}

/// Tokens that carry meaning (no whitespace or comments).
pub fn significant(sql: &str) -> Vec<&str> {
    tokenize(sql)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokKind::Whitespace | TokKind::Comment))
        .map(|t| t.text)
        .collect()
}

/// A canonical form for near-duplicate detection: case-folded keywords, single spaces.
pub fn normalize(sql: &str) -> String {
    let mut out = String::new();
    for t in tokenize(first_statement(sql)) {
        match t.kind {
            TokKind::Whitespace | TokKind::Comment => {}
            TokKind::Keyword | TokKind::Ident => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&t.text.to_ascii_lowercase());
            }
            _ => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(t.text);
            }
        }
    }
    out
}

/// Spider's hardness levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hardness {
    Easy,
    Medium,
    Hard,
    Extra,
}

impl Hardness {
    pub fn as_str(self) -> &'static str {
        match self {
            Hardness::Easy => "easy",
            Hardness::Medium => "medium",
            Hardness::Hard => "hard",
            Hardness::Extra => "extra",
        }
    }
    pub fn parse(s: &str) -> Option<Hardness> {
        match s.to_ascii_lowercase().as_str() {
            "easy" | "simple" => Some(Hardness::Easy),
            "medium" | "moderate" => Some(Hardness::Medium),
            "hard" | "challenging" => Some(Hardness::Hard),
            "extra" | "extra hard" | "extra_hard" => Some(Hardness::Extra),
            _ => None,
        }
    }
}

/// Estimates Spider's hardness from the SQL text with the official rules (component counts
/// from `eval_hardness`), counted on tokens instead of a parse tree. Close to the official
/// labels for ordinary queries; used only when a dataset carries no label of its own.
pub fn estimate_hardness(sql: &str) -> Hardness {
    let toks: Vec<String> = significant(first_statement(sql))
        .into_iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let count = |w: &str| toks.iter().filter(|t| t.as_str() == w).count();
    let selects = count("select");
    let set_ops = count("union") + count("intersect") + count("except");
    let nested = selects.saturating_sub(1 + set_ops);
    let comp2 = set_ops + nested;

    let where_ = count("where");
    let group = toks
        .windows(2)
        .filter(|w| w[0] == "group" && w[1] == "by")
        .count();
    let order = toks
        .windows(2)
        .filter(|w| w[0] == "order" && w[1] == "by")
        .count();
    let limit = count("limit");
    let joins = count("join");
    let ors = count("or");
    let likes = count("like");
    let comp1 = where_ + group + order + limit + joins + ors + likes;

    let aggs = ["count", "sum", "avg", "min", "max"]
        .iter()
        .map(|a| count(a))
        .sum::<usize>();
    // Columns in the first SELECT clause: commas before its FROM at depth 0.
    let mut sel_cols = 1;
    let mut depth = 0i32;
    for t in toks.iter().skip_while(|t| t.as_str() != "select").skip(1) {
        match t.as_str() {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => sel_cols += 1,
            "from" if depth == 0 => break,
            _ => {}
        }
    }
    let where_conds = count("and") + ors + usize::from(where_ > 0);
    let mut others = 0;
    if aggs > 1 {
        others += 1;
    }
    if sel_cols > 1 {
        others += 1;
    }
    if where_conds > 1 {
        others += 1;
    }
    if group > 0 && has_multi_group(&toks) {
        others += 1;
    }

    if comp1 <= 1 && others == 0 && comp2 == 0 {
        Hardness::Easy
    } else if (others <= 2 && comp1 <= 1 && comp2 == 0) || (comp1 <= 2 && others < 2 && comp2 == 0)
    {
        Hardness::Medium
    } else if (others > 2 && comp1 <= 2 && comp2 == 0)
        || (comp1 > 2 && comp1 <= 3 && others <= 2 && comp2 == 0)
        || (comp1 <= 1 && others == 0 && comp2 <= 1)
    {
        Hardness::Hard
    } else {
        Hardness::Extra
    }
}

fn has_multi_group(toks: &[String]) -> bool {
    let Some(pos) = toks
        .windows(2)
        .position(|w| w[0] == "group" && w[1] == "by")
    else {
        return false;
    };
    for t in &toks[pos + 2..] {
        match t.as_str() {
            "," => return true,
            "having" | "order" | "limit" | ")" | "union" | "intersect" | "except" => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_rebuild_the_input() {
        let sql = "SELECT \"a b\", 'it''s' FROM [t] -- c\n WHERE x>=1.5e-3;";
        let joined: String = tokenize(sql).iter().map(|t| t.text).collect();
        assert_eq!(joined, sql);
        assert!(tokenize(sql)
            .iter()
            .any(|t| t.kind == TokKind::Str && t.text == "'it''s'"));
    }

    #[test]
    fn first_statement_ignores_semicolons_in_strings() {
        assert_eq!(
            first_statement("SELECT ';' FROM t; DROP TABLE t;"),
            "SELECT ';' FROM t"
        );
        assert_eq!(first_statement("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn distinct_is_removed_but_not_inside_strings() {
        assert_eq!(
            remove_distinct("SELECT DISTINCT name FROM t WHERE x = 'distinct'"),
            "SELECT name FROM t WHERE x = 'distinct'"
        );
        assert_eq!(
            remove_distinct("SELECT count(DISTINCT name) FROM t"),
            "SELECT count(name) FROM t"
        );
    }

    #[test]
    fn order_by_detection() {
        assert!(has_order_by("select a from t order  by a"));
        assert!(!has_order_by("select 'order by' from t"));
    }

    #[test]
    fn hardness_examples() {
        assert_eq!(
            estimate_hardness("SELECT count(*) FROM singer"),
            Hardness::Easy
        );
        assert_eq!(
            estimate_hardness("SELECT name FROM singer WHERE age > 20 ORDER BY age"),
            Hardness::Medium
        );
        assert_eq!(
            estimate_hardness(
                "SELECT name FROM singer WHERE id NOT IN (SELECT singer_id FROM concert)"
            ),
            Hardness::Hard
        );
        assert_eq!(
            estimate_hardness("SELECT T1.name, count(*) FROM a AS T1 JOIN b AS T2 ON T1.id = T2.a WHERE T2.x > 1 GROUP BY T1.id HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 1"),
            Hardness::Extra
        );
    }

    #[test]
    fn limit_tail_reads_order_terms_and_builds_a_probe() {
        let t = limit_tail("SELECT name FROM singer ORDER BY age DESC LIMIT 3;").unwrap();
        assert_eq!(t.order_terms, vec!["age"]);
        assert_eq!(t.limit, 3);
        assert_eq!(
            t.probe.as_deref(),
            Some("SELECT name, (age) FROM singer ORDER BY age DESC LIMIT 4")
        );
        let t = limit_tail(
            "SELECT a, count(*) FROM t GROUP BY a ORDER BY count(*) DESC, a NULLS LAST LIMIT 1 OFFSET 2",
        )
        .unwrap();
        assert_eq!(t.order_terms, vec!["count(*)", "a"]);
        assert_eq!(
            t.probe.as_deref(),
            Some("SELECT a, count(*), (count(*)), (a) FROM t GROUP BY a ORDER BY count(*) DESC, a NULLS LAST LIMIT 2 OFFSET 2")
        );
        // LIMIT inside a subquery is not the query's own.
        assert_eq!(
            limit_tail("SELECT * FROM t WHERE a IN (SELECT a FROM u LIMIT 1)"),
            None
        );
        let t = limit_tail("SELECT a FROM t LIMIT 5").unwrap();
        assert!(t.order_terms.is_empty() && t.probe.is_none());
        let t = limit_tail("SELECT DISTINCT a FROM t ORDER BY b LIMIT 5").unwrap();
        assert!(t.probe.is_none());
    }

    #[test]
    fn clauses_go_on_their_own_lines_and_subqueries_stay_put() {
        let f = format_clauses(
            "SELECT a.x, count(*) FROM a LEFT JOIN b ON a.id = b.id WHERE a.y IN (SELECT y FROM c WHERE z = 1) GROUP BY a.x ORDER BY 2 DESC LIMIT 3",
        );
        assert_eq!(
            f,
            "SELECT a.x, count(*)\nFROM a\nLEFT JOIN b ON a.id = b.id\nWHERE a.y IN (SELECT y FROM c WHERE z = 1)\nGROUP BY a.x\nORDER BY 2 DESC\nLIMIT 3"
        );
        assert_eq!(significant(&f), significant("SELECT a.x, count(*) FROM a LEFT JOIN b ON a.id = b.id WHERE a.y IN (SELECT y FROM c WHERE z = 1) GROUP BY a.x ORDER BY 2 DESC LIMIT 3"));
        assert_eq!(format_clauses("SELECT 1"), "SELECT 1");
    }
}
