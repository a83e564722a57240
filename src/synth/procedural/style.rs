//! The naming and value style of one procedural database: whether its keys are `id` or
//! `<row>_id`, which columns go by another name (`city` → `town`, `status` → `loan_status`),
//! whether a table is named in the singular, whether categories are written `delivered` or
//! `Delivered`, and whether dates are typed `DATE` or `TEXT`.
//!
//! Why: the vocabulary has some forty domains, so without this every `library` database names
//! its tables and columns alike and a small model learns those names by heart instead of
//! reading them from the prompt; on databases it never saw (the hand-written dev set) it then
//! wrote its memorized names. Real schemas differ in exactly these ways. The questions are
//! written from the renamed schema, so they stay true to it.

use super::{ColumnSpec, Kind, TableSpec};
use rand::rngs::StdRng;
use rand::Rng;

/// Other names a column goes by (`{sg}`: the table's row noun). Each says the same thing as
/// the original, so the template questions written from it stay true.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("name", &["{sg}_name"]),
    ("title", &["{sg}_title", "name"]),
    ("city", &["town", "location", "home_city"]),
    ("country", &["nation", "country_name"]),
    ("price", &["cost", "list_price", "unit_price"]),
    ("cost", &["price", "charge"]),
    ("fee", &["charge", "fee_amount"]),
    ("amount", &["total", "value"]),
    ("total", &["amount", "total_amount"]),
    ("status", &["state", "current_status"]),
    ("kind", &["type", "category"]),
    ("category", &["kind", "type", "class"]),
    ("genre", &["style", "category"]),
    ("salary", &["annual_salary", "pay"]),
    ("email", &["email_address"]),
    ("phone", &["phone_number", "telephone"]),
    ("rating", &["score", "stars"]),
    ("capacity", &["max_capacity", "size"]),
    ("budget", &["annual_budget", "funding"]),
    ("seats", &["seat_count", "capacity"]),
    ("days", &["duration_days", "num_days"]),
    ("quantity", &["qty", "units"]),
    ("birth_date", &["date_of_birth", "born_on"]),
    ("founded", &["founded_year", "year_founded"]),
    ("joined", &["join_date", "joined_on", "member_since"]),
    ("hired", &["hire_date", "hired_on"]),
    ("opened", &["opened_on", "opening_date"]),
    ("built", &["year_built", "build_year"]),
    ("published", &["published_on", "publication_date"]),
    ("released", &["release_date", "released_on"]),
    ("age", &["age_years"]),
    ("minutes", &["duration_min", "duration_minutes"]),
    ("score", &["points", "mark"]),
    ("specialty", &["speciality", "field"]),
    ("nationality", &["citizenship"]),
    ("level", &["tier", "grade_level"]),
];

/// SQLite's keywords: no generated name may be one (`order`, the singular of `orders`, is).
const SQLITE_KEYWORDS: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyze",
    "and",
    "as",
    "asc",
    "attach",
    "autoincrement",
    "before",
    "begin",
    "between",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "commit",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_date",
    "current_time",
    "current_timestamp",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "from",
    "full",
    "generated",
    "glob",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "left",
    "like",
    "limit",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "partition",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "set",
    "table",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "transaction",
    "trigger",
    "unbounded",
    "union",
    "unique",
    "update",
    "using",
    "vacuum",
    "values",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
];

pub(super) fn usable(name: &str) -> bool {
    !SQLITE_KEYWORDS.contains(&name)
}

/// Names whose synonyms only fit one kind of value (a year is not a date).
fn fits(alt: &str, kind: &Kind) -> bool {
    let says_date = alt.contains("date") || alt.ends_with("_on") || alt == "member_since";
    let says_year = alt.contains("year");
    match kind {
        Kind::Date(..) => !says_year,
        Kind::Year(..) | Kind::Int(..) | Kind::Real(..) => !says_date,
        _ => !says_date && !says_year,
    }
}

/// One database's style, drawn from its plan's generator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Style {
    /// Primary keys are `id` (foreign keys keep `<parent>_id`).
    pub id_keys: bool,
    /// Category values are written with capitals (`On Time`), as people key them in.
    pub capital_values: bool,
    /// Dates are declared `TEXT`, as SQLite users often do (the values stay ISO dates).
    pub text_dates: bool,
    /// Some tables and columns are named from outside the domain (`fresh.rs`).
    pub fresh_names: bool,
}

impl Style {
    /// With `fresh_names` 0 no draw is made for it, so such plans are those of before it.
    pub fn draw(rng: &mut StdRng, fresh_names: f64) -> Style {
        Style {
            id_keys: rng.random_bool(0.25),
            capital_values: rng.random_bool(0.5),
            text_dates: rng.random_bool(0.4),
            fresh_names: fresh_names > 0.0 && rng.random_bool(fresh_names.min(1.0)),
        }
    }
}

/// `word` with each word's first letter upper-case: "on time" → "On Time".
fn capitalized(word: &str) -> String {
    word.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The row noun of a table name: `work_orders` → `work_order`, `categories` → `category`.
pub(super) fn singular(table: &str) -> String {
    if let Some(stem) = table.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ches", "shes", "sses", "xes"]
        .iter()
        .any(|e| table.ends_with(e))
    {
        table[..table.len() - 2].to_string()
    } else if table.ends_with('s') && !table.ends_with("ss") && !table.ends_with("us") {
        table[..table.len() - 1].to_string()
    } else {
        table.to_string()
    }
}

/// Applies `style` and per-column renames (drawn from `rng`) to a database's tables, keeping
/// every name a unique identifier and every foreign key pointing at its parent's new name.
pub fn apply(style: &Style, tables: &mut [(TableSpec, usize)], rng: &mut StdRng) {
    if style.fresh_names {
        super::fresh::apply(tables, rng);
    }
    // Tables: now and then the singular (`pet`), unless another table is already called that.
    let mut renamed: Vec<(String, String)> = Vec::new();
    for i in 0..tables.len() {
        let name = tables[i].0.name.clone();
        let sg = singular(&name);
        let taken = tables.iter().any(|(t, _)| t.name == sg);
        if sg != name && !taken && usable(&sg) && rng.random_bool(0.15) {
            renamed.push((name, sg.clone()));
            tables[i].0.name = sg;
        }
    }
    for (t, _) in tables.iter_mut() {
        for c in &mut t.columns {
            if let Kind::Ref(p) = &mut c.kind {
                if let Some((_, new)) = renamed.iter().find(|(old, _)| old == p) {
                    *p = new.clone();
                }
            }
        }
    }
    for (t, _) in tables.iter_mut() {
        let sg = singular(&t.name);
        if style.id_keys && !t.columns.iter().any(|c| c.name == "id") {
            t.key = "id".into();
        }
        for i in 0..t.columns.len() {
            let c = &t.columns[i];
            if matches!(c.kind, Kind::Ref(_)) || c.name.ends_with("_id") {
                continue;
            }
            let alts: Vec<String> = SYNONYMS
                .iter()
                .find(|(n, _)| *n == c.name)
                .map(|(_, alts)| {
                    alts.iter()
                        .filter(|a| fits(a, &c.kind))
                        .map(|a| a.replace("{sg}", &sg))
                        .collect()
                })
                .unwrap_or_default();
            let new = if !alts.is_empty() && rng.random_bool(0.3) {
                Some(alts[rng.random_range(0..alts.len())].clone())
            } else if !c.name.starts_with(&sg) && rng.random_bool(0.1) {
                Some(format!("{sg}_{}", c.name))
            } else {
                None
            };
            if let Some(new) = new {
                let clash =
                    !usable(&new) || new == t.key || t.columns.iter().any(|o| o.name == new);
                if !clash {
                    t.columns[i].name = new;
                }
            }
        }
        if style.capital_values {
            for c in &mut t.columns {
                if let Kind::Cat(values) = &mut c.kind {
                    *values = values.iter().map(|v| capitalized(v)).collect();
                }
            }
        }
    }
}

/// The SQL type a column is declared with under `style`. A `TEXT` date keeps a name that
/// says it is one (`visit_date`, `joined_on`), as readers (and the question templates) need.
pub fn sql_type(style: &Style, c: &ColumnSpec) -> &'static str {
    let says_date = c.name.contains("date") || c.name.ends_with("_on") || c.name.ends_with("_at");
    match c.kind {
        Kind::Date(..) if style.text_dates && says_date => "TEXT",
        _ => c.kind.sql_type(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_nouns() {
        assert_eq!(capitalized("on time"), "On Time");
        assert_eq!(capitalized("O+"), "O+");
        assert_eq!(singular("work_orders"), "work_order");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("branches"), "branch");
        assert_eq!(singular("staff"), "staff");
        assert!(fits("join_date", &Kind::Date(2000, 2001)));
        assert!(!fits("join_date", &Kind::Year(2000, 2001)));
        assert!(!fits("founded_year", &Kind::Date(2000, 2001)));
        assert!(fits("founded_year", &Kind::Year(2000, 2001)));
        assert!(fits("town", &Kind::City));
        assert!(!usable("order") && !usable("match") && usable("pet"));
    }
}
