//! Reading the model's replies: a JSON array, a schema script, a domain name.

/// The first JSON array in a reply (fenced or bare).
pub fn json_array(reply: &str) -> Option<Vec<serde_json::Value>> {
    let t = reply.trim();
    if let Ok(serde_json::Value::Array(a)) = serde_json::from_str(t) {
        return Some(a);
    }
    let start = t.find('[')?;
    let end = t.rfind(']')?;
    (end > start)
        .then(|| serde_json::from_str(&t[start..=end]).ok())
        .flatten()
        .and_then(|v: serde_json::Value| match v {
            serde_json::Value::Array(a) => Some(a),
            _ => None,
        })
}

/// The schema script in a reply: the ```sql fenced block(s), else the reply itself when it
/// starts with CREATE.
pub fn schema_script(reply: &str) -> Option<String> {
    let mut blocks = Vec::new();
    let mut rest = reply;
    while let Some(i) = rest.find("```") {
        let after = &rest[i + 3..];
        let nl = after.find('\n').unwrap_or(after.len());
        let lang = after[..nl].trim().to_ascii_lowercase();
        let body = &after[nl.min(after.len())..];
        let end = body.find("```").unwrap_or(body.len());
        if lang.is_empty() || lang == "sql" || lang == "sqlite" {
            blocks.push(body[..end].trim().to_string());
        }
        rest = &body[(end + 3).min(body.len())..];
    }
    let blocks: Vec<String> = blocks.into_iter().filter(|b| !b.is_empty()).collect();
    if !blocks.is_empty() {
        return Some(blocks.join("\n"));
    }
    let t = reply.trim();
    t.get(..6)
        .filter(|w| w.eq_ignore_ascii_case("create"))
        .map(|_| t.to_string())
}

/// snake_case of a proposed name; None when nothing usable is left.
pub fn domain_name(raw: &str) -> Option<String> {
    let mut s = String::new();
    for c in raw.trim().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').chars().take(48).collect::<String>();
    let s = s.trim_end_matches('_').to_string();
    (s.len() >= 3 && s.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_scripts() {
        assert_eq!(
            domain_name("Pet Grooming Salon").as_deref(),
            Some("pet_grooming_salon")
        );
        assert_eq!(domain_name("  --x"), None);
        assert_eq!(domain_name("9lives"), None);
        assert_eq!(
            schema_script("Here:\n```sql\nCREATE TABLE a(x);\n```\n").as_deref(),
            Some("CREATE TABLE a(x);")
        );
        assert_eq!(
            schema_script("CREATE TABLE a(x);").as_deref(),
            Some("CREATE TABLE a(x);")
        );
        assert_eq!(schema_script("no"), None);
        assert_eq!(json_array("ok: [1, 2] done").map(|a| a.len()), Some(2));
        assert!(json_array("nothing").is_none());
    }
}
