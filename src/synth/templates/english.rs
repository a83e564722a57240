//! English from schema names: column and table names as words, singulars and plurals, "a"/"an",
//! and values as they read in a question.

use super::profile::Tab;
use super::sql::lit;
use crate::exec::Value;

/// A column or table name as words: `weight_kg` → "weight (kg)", `customers_affected` →
/// "customers affected". A trailing unit reads as a unit, not as another noun.
pub(super) fn words(ident: &str) -> String {
    const UNITS: &[&str] = &[
        "kg", "km", "km2", "m", "m2", "cm", "mm", "g", "mb", "gb", "kb", "usd", "eur", "gbp",
        "pct", "mw", "mwh", "kw", "kwh", "kv", "mva", "ms", "min", "minutes", "sec", "seconds",
        "hrs", "hours", "h", "days", "years",
    ];
    let w = ident.replace('_', " ").to_ascii_lowercase();
    match w.rsplit_once(' ') {
        Some((head, unit)) if UNITS.contains(&unit) && !head.is_empty() => {
            let unit = if unit == "pct" { "%" } else { unit };
            format!("{head} ({unit})")
        }
        _ => w,
    }
}

/// "a" becomes "an" before a word that starts with a vowel sound (a heuristic on letters).
pub(super) fn an_before_vowels(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let words: Vec<&str> = s.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let next = words.get(i + 1).copied().unwrap_or("");
        let vowel = next
            .chars()
            .next()
            .is_some_and(|c| "aeiouAEIOU".contains(c))
            && !next.to_ascii_lowercase().starts_with("uni")
            && !next.to_ascii_lowercase().starts_with("use");
        match *w {
            "a" if vowel => out.push_str("an"),
            "A" if vowel => out.push_str("An"),
            other => out.push_str(other),
        }
    }
    out
}

/// The noun for one row of a table named in the plural (a heuristic; table names are nouns).
pub(super) fn singular(table: &str) -> String {
    let w = words(table);
    let (head, last) = match w.rfind(' ') {
        Some(i) => (&w[..=i], &w[i + 1..]),
        None => ("", w.as_str()),
    };
    let s = if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ches", "shes", "sses", "xes"]
        .iter()
        .any(|e| last.ends_with(e))
    {
        last[..last.len() - 2].to_string()
    } else if last.ends_with('s')
        && !last.ends_with("ss")
        && !last.ends_with("us")
        && last.len() > 3
    {
        last[..last.len() - 1].to_string()
    } else {
        last.to_string()
    };
    format!("{head}{s}")
}

pub(super) fn plural(table: &str) -> String {
    let w = words(table);
    if singular(table) == w && !w.ends_with('s') && !w.ends_with("aircraft") {
        format!("{w}s")
    } else {
        w
    }
}

/// The plural of a noun phrase (its last word).
pub(super) fn plural_word(w: &str) -> String {
    // "weight (kg)" → "weights (kg)": the unit stays as it is.
    if let Some((head, unit)) = w.rsplit_once(" (").filter(|(_, u)| u.ends_with(')')) {
        return format!("{} ({unit}", plural_word(head));
    }
    if w.ends_with("ss")
        || w.ends_with("us")
        || w.ends_with('x')
        || w.ends_with("ch")
        || w.ends_with("sh")
    {
        format!("{w}es")
    } else if w.ends_with('s') {
        w.to_string()
    } else if w.ends_with('y') && !w.ends_with("ay") && !w.ends_with("ey") && !w.ends_with("oy") {
        format!("{}ies", &w[..w.len() - 1])
    } else {
        format!("{w}s")
    }
}

pub(super) fn label_words(t: &Tab) -> String {
    match t.label.as_slice() {
        [f, l] if f.eq_ignore_ascii_case("first_name") && l.eq_ignore_ascii_case("last_name") => {
            "first and last names".into()
        }
        [one] => {
            let w = words(one);
            if w.ends_with('s') {
                w
            } else {
                format!("{w}s")
            }
        }
        other => other
            .iter()
            .map(|c| words(c))
            .collect::<Vec<_>>()
            .join(" and "),
    }
}

/// How a value reads in a question: numbers bare, text quoted.
pub(super) fn say(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("\"{s}\""),
        other => lit(other),
    }
}

/// A value as a person would write it in running text: unquoted ("how many Online orders").
pub(super) fn bare(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => lit(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singulars() {
        assert_eq!(singular("branches"), "branch");
        assert_eq!(singular("work_orders"), "work order");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("aircraft"), "aircraft");
        assert_eq!(plural("aircraft"), "aircraft");
        assert_eq!(plural("staff"), "staffs");
        assert_eq!(plural_word("status"), "statuses");
        assert_eq!(plural_word("home base"), "home bases");
        assert_eq!(plural_word("category"), "categories");
    }

    #[test]
    fn english_units_and_articles() {
        assert_eq!(words("weight_kg"), "weight (kg)");
        assert_eq!(words("customers_affected"), "customers affected");
        assert_eq!(words("market_eur"), "market (eur)");
        assert_eq!(plural_word("weight (kg)"), "weights (kg)");
        assert_eq!(
            an_before_vowels("the visits with a attendance over 3 and a unit price"),
            "the visits with an attendance over 3 and a unit price"
        );
        assert_eq!(an_before_vowels("A owner"), "An owner");
    }
}
