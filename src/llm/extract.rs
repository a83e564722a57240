//! Getting the SQL out of a model's reply.

/// Longest candidate SQL judged or stored: a longer one is a runaway reply, and storing it
/// would make every view that draws it slow.
pub const MAX_SQL_BYTES: usize = 64 << 10;

/// `sql` when it is within [`MAX_SQL_BYTES`], else the reason it is refused.
pub fn cap_sql(sql: &str) -> Result<&str, String> {
    if sql.len() > MAX_SQL_BYTES {
        Err(format!(
            "SQL is {} bytes, over the {MAX_SQL_BYTES}-byte limit",
            sql.len()
        ))
    } else {
        Ok(sql)
    }
}

/// The SQL in a model's reply, or None when there is none.
///
/// Tried in this order:
/// 1. JSON: the whole reply (or a ```json fenced block) is an object with a string field
///    `sql`, `SQL`, `query` or `answer` (the first present wins);
/// 2. a fenced block tagged `sql`/`sqlite` (the first one), else any fenced block whose body
///    starts with SELECT or WITH;
/// 3. bare SQL: from the first SELECT or WITH at the start of a line (after an optional
///    `SQL:` label) to its first `;`, or to the first blank line when there is none.
///
/// The result is the first statement, trimmed, without its trailing semicolon. A reply that
/// is already plain SQL (a local model's completion) comes back unchanged but trimmed.
pub fn extract_sql(reply: &str) -> Option<String> {
    let text = reply.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(s) = from_json(text) {
        return clean(&s);
    }
    let blocks = fenced_blocks(text);
    for (lang, body) in &blocks {
        let l = lang.to_ascii_lowercase();
        if l == "json" {
            if let Some(s) = from_json(body) {
                return clean(&s);
            }
        }
    }
    if let Some((_, body)) = blocks.iter().find(|(l, _)| {
        let l = l.to_ascii_lowercase();
        l == "sql" || l == "sqlite" || l == "postgresql"
    }) {
        return clean(body);
    }
    if let Some((_, body)) = blocks.iter().find(|(_, b)| starts_sql(b)) {
        return clean(body);
    }
    bare(text)
}

fn starts_sql(s: &str) -> bool {
    let t = s.trim_start().trim_start_matches('(').trim_start();
    let w: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    w.eq_ignore_ascii_case("select") || w.eq_ignore_ascii_case("with")
}

fn from_json(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let obj = v.as_object()?;
    ["sql", "SQL", "query", "answer"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(|x| x.as_str()).map(str::to_string))
}

/// (language tag, body) of each ``` fenced block.
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let (lang, body_start) = match after.find('\n') {
            Some(nl) => (after[..nl].trim().to_string(), nl + 1),
            None => break,
        };
        // A tag with spaces is not a tag: the block started on the same line as its body.
        let (lang, body_start) = if lang.contains(' ') {
            (String::new(), 0)
        } else {
            (lang, body_start)
        };
        let body_all = &after[body_start..];
        match body_all.find("```") {
            Some(end) => {
                out.push((lang, body_all[..end].to_string()));
                rest = &body_all[end + 3..];
            }
            None => {
                // Unclosed fence (the reply was cut off): take the rest.
                out.push((lang, body_all.to_string()));
                break;
            }
        }
    }
    out
}

fn bare(text: &str) -> Option<String> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let t = t
            .strip_prefix("SQL:")
            .or_else(|| t.strip_prefix("sql:"))
            .or_else(|| t.strip_prefix("Answer:"))
            .map(str::trim_start)
            .unwrap_or(t);
        if starts_sql(t) {
            let start = offset + (line.len() - t.len());
            let tail = &text[start..];
            let stmt = crate::sqltext::first_statement(tail);
            // No semicolon: stop at the first blank line (prose usually follows).
            let stmt = if stmt.len() == tail.trim().len() {
                tail.split("\n\n").next().unwrap_or(tail)
            } else {
                stmt
            };
            return clean(stmt);
        }
        offset += line.len();
    }
    None
}

fn clean(s: &str) -> Option<String> {
    let s = crate::sqltext::first_statement(s.trim()).trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::extract_sql;

    fn x(s: &str) -> Option<String> {
        extract_sql(s)
    }

    #[test]
    fn fenced_bare_and_json() {
        assert_eq!(
            x("Here:\n```sql\nSELECT a FROM t;\n```\nDone.").as_deref(),
            Some("SELECT a FROM t")
        );
        assert_eq!(x("```SQLite\nselect 1\n```").as_deref(), Some("select 1"));
        assert_eq!(
            x("```\nWITH c AS (SELECT 1) SELECT * FROM c\n```").as_deref(),
            Some("WITH c AS (SELECT 1) SELECT * FROM c")
        );
        assert_eq!(
            x("SELECT name FROM t WHERE x = ';' ; SELECT 2").as_deref(),
            Some("SELECT name FROM t WHERE x = ';'")
        );
        assert_eq!(
            x("The query is:\nSELECT a\nFROM t\n\nIt returns a.").as_deref(),
            Some("SELECT a\nFROM t")
        );
        assert_eq!(x("SQL: SELECT 1;").as_deref(), Some("SELECT 1"));
        assert_eq!(
            x(r#"{"sql": "SELECT 1;", "explanation": "x"}"#).as_deref(),
            Some("SELECT 1")
        );
        assert_eq!(
            x("```json\n{\"query\": \"SELECT 2\"}\n```").as_deref(),
            Some("SELECT 2")
        );
        assert_eq!(
            x("```sql\nSELECT 3 FROM t").as_deref(),
            Some("SELECT 3 FROM t"),
            "unclosed fence"
        );
        assert_eq!(
            x("  SELECT count(*) FROM pets;\n").as_deref(),
            Some("SELECT count(*) FROM pets")
        );
        assert_eq!(x("I cannot answer that."), None);
        assert_eq!(x(""), None);
        assert_eq!(x("```sql\n\n```"), None);
    }
}
