//! SQL text: quoted identifiers, literals, a table's label columns, and filling a template's
//! SQL pattern.

use super::profile::Tab;
use crate::exec::Value;

/// An identifier as written in generated SQL: bare when it can be, quoted otherwise.
pub(super) fn q(ident: &str) -> String {
    if ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !ident.starts_with(|c: char| c.is_ascii_digit())
        && !crate::sqltext::is_keyword(ident)
    {
        ident.to_string()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

pub(super) fn qi(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

pub(super) fn lit(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => {
            if r.fract() == 0.0 && r.abs() < 1e15 {
                format!("{}", *r as i64)
            } else {
                format!("{r}")
            }
        }
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Blob(_) => "NULL".into(),
    }
}

pub(super) fn label_sql(t: &Tab, alias: Option<&str>) -> String {
    t.label
        .iter()
        .map(|c| match alias {
            Some(a) => format!("{a}.{}", q(c)),
            None => q(c),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fills `{name}` slots of a SQL pattern in one pass, as `format!` would: a value is never
/// scanned again, so a literal that happens to contain `{x}` stays as it is. A slot with no
/// value is left as written (the generated SQL then fails to run and is not kept).
pub(super) fn fill(pattern: &str, slots: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            slots
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(lit(&Value::Text("O'Brien".into())), "'O''Brien'");
        assert_eq!(lit(&Value::Real(2.0)), "2");
        assert_eq!(lit(&Value::Real(2.5)), "2.5");
    }

    #[test]
    fn slots_are_filled_once_and_unknown_ones_stay() {
        let slots = [("tn", "t"), ("v", "'{tn}'")];
        assert_eq!(
            fill("SELECT count(*) FROM {tn} WHERE a = {v} AND {tn}.b", &slots),
            "SELECT count(*) FROM t WHERE a = '{tn}' AND t.b"
        );
        assert_eq!(fill("x {nope} {", &slots), "x {nope} {");
    }
}
