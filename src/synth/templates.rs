//! Offline synthesis: questions and SQL made from any database's schema by grammar templates,
//! with no model involved. Counts, filters on real values read from the rows, GROUP BY/HAVING,
//! ORDER BY/LIMIT, joins along foreign keys, nested IN / NOT IN, scalar subqueries and set
//! operations; the English phrasing of each is drawn by a seeded generator, so the same seed
//! gives the same examples. Every SQL is executed and kept only if it returns a non-empty,
//! non-degenerate answer (not only NULLs, not a count of zero).

use crate::exec::{Executor, Limits, Value};
use crate::schema::{self, DbSchema};
use crate::store::{NewExample, Store, StoreError};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Bumped whenever templates or phrasings change (recorded in each example's provenance).
pub const TEMPLATES_VERSION: u32 = 2;

/// The `source` of every example this module writes.
pub const SOURCE: &str = "template";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{0}")]
    Schema(#[from] schema::SchemaError),
    #[error("reading {path}: {msg}")]
    Read { path: String, msg: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct TemplateOptions {
    pub seed: u64,
    /// At most this many kept examples per database.
    pub per_db: usize,
    /// Only databases of this split (`None` = every split, which the caller must have been
    /// asked for: see `store::seal_split`). Train by default: dev databases stay held out.
    pub split: Option<String>,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            seed: 42,
            per_db: 400,
            split: Some(crate::store::TRAIN.into()),
        }
    }
}

/// One generated, executed and kept example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateExample {
    pub question: String,
    pub sql: String,
    /// The template's name (e.g. `group_having`).
    pub template: String,
    pub difficulty: String,
}

/// What happened to the candidates of one database (or all of them, summed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateStats {
    /// Distinct (by normalized SQL and by question) candidates the grammar produced.
    pub candidates: usize,
    /// Candidates that were executed (stops once `per_db` are kept).
    pub executed: usize,
    pub failed: usize,
    /// Executed fine but returned no rows, only NULLs or a zero count.
    pub empty: usize,
    pub kept: usize,
}

impl TemplateStats {
    pub fn add(&mut self, o: &TemplateStats) {
        self.candidates += o.candidates;
        self.executed += o.executed;
        self.failed += o.failed;
        self.empty += o.empty;
        self.kept += o.kept;
    }
}

// ---- schema profile ------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Col {
    name: String,
    /// Column is a key (primary, foreign, or named like one): never aggregated or filtered.
    key: bool,
    numeric: bool,
    date: bool,
    distinct: i64,
    nulls: i64,
    /// Most frequent non-NULL values with their counts, most frequent first.
    top: Vec<(Value, i64)>,
    /// Values at the 25th, 50th and 75th percentile (numeric and date columns).
    quartiles: Vec<Value>,
}

impl Col {
    fn categorical(&self, rows: i64) -> bool {
        !self.key
            && !self.numeric
            && !self.date
            && self.distinct >= 2
            && self.distinct <= 30
            && self.distinct < rows
    }
    fn measure(&self) -> bool {
        self.numeric && !self.key && self.distinct >= 4 && self.quartiles.len() == 3
    }
}

#[derive(Debug, Clone)]
struct Tab {
    name: String,
    rows: i64,
    cols: Vec<Col>,
    pk: Option<String>,
    /// Columns that name a row (name, title, first + last name), or the primary key.
    label: Vec<String>,
    /// (column, parent table, parent column)
    fks: Vec<(String, String, String)>,
}

impl Tab {
    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name)
    }
    fn cats(&self) -> Vec<&Col> {
        self.cols
            .iter()
            .filter(|c| c.categorical(self.rows) && !self.label.contains(&c.name))
            .collect()
    }
    fn measures(&self) -> Vec<&Col> {
        self.cols.iter().filter(|c| c.measure()).collect()
    }
    fn dates(&self) -> Vec<&Col> {
        self.cols
            .iter()
            .filter(|c| c.date && c.quartiles.len() == 3)
            .collect()
    }
    fn has_name_label(&self) -> bool {
        self.pk.as_ref().is_none_or(|pk| self.label != [pk.clone()])
    }
}

fn q(ident: &str) -> String {
    if ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !ident.starts_with(|c: char| c.is_ascii_digit())
        && !crate::sqltext::is_keyword(ident)
    {
        ident.to_string()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

fn qi(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn is_numeric_type(ty: &str) -> bool {
    let t = ty.to_ascii_uppercase();
    ["INT", "REAL", "FLOA", "DOUB", "NUM", "DEC"]
        .iter()
        .any(|k| t.contains(k))
}

fn is_date_col(name: &str, ty: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let t = ty.to_ascii_uppercase();
    t.contains("DATE")
        || t.contains("TIME")
        || n.ends_with("_date")
        || n == "date"
        || n.ends_with("_at")
        || n.ends_with("_on")
        || n.contains("date")
}

fn is_key_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id"
        || n.ends_with("_id")
        || n.ends_with("_no")
        || n.ends_with("_code")
        || n.ends_with("number")
        || n.ends_with("isbn")
}

fn read_err(path: &Path, e: rusqlite::Error) -> TemplateError {
    TemplateError::Read {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

fn profile(path: &Path) -> Result<Vec<Tab>, TemplateError> {
    let schema: DbSchema = schema::introspect_path(path, 0)?;
    let conn = schema::open_read_only(path)?;
    let mut tabs = Vec::new();
    for t in &schema.tables {
        let tq = qi(&t.name);
        let pk = {
            let pks: Vec<&schema::Column> = t.columns.iter().filter(|c| c.primary_key).collect();
            (pks.len() == 1).then(|| pks[0].name.clone())
        };
        let mut cols = Vec::new();
        for c in &t.columns {
            let cq = qi(&c.name);
            let (distinct, nulls): (i64, i64) = conn
                .query_row(
                    &format!("SELECT count(DISTINCT {cq}), sum({cq} IS NULL) FROM {tq}"),
                    [],
                    |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
                )
                .map_err(|e| read_err(path, e))?;
            let top = values(
                &conn,
                &format!(
                    "SELECT {cq}, count(*) FROM {tq} WHERE {cq} IS NOT NULL GROUP BY {cq} ORDER BY count(*) DESC, {cq} LIMIT 8"
                ),
            )
            .map_err(|e| read_err(path, e))?;
            let numeric = is_numeric_type(&c.ty)
                && top
                    .iter()
                    .all(|(v, _)| matches!(v, Value::Integer(_) | Value::Real(_)));
            let date = !numeric
                && is_date_col(&c.name, &c.ty)
                && top.iter().all(|(v, _)| match v {
                    Value::Text(s) => {
                        s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                    }
                    _ => false,
                });
            let key = c.primary_key || c.foreign_key.is_some() || is_key_name(&c.name);
            let mut quartiles = Vec::new();
            let non_null = t.row_count - nulls;
            if (numeric || date) && non_null >= 4 {
                for k in [1, 2, 3] {
                    let off = non_null * k / 4;
                    let v: Value = conn
                        .query_row(
                            &format!("SELECT {cq} FROM {tq} WHERE {cq} IS NOT NULL ORDER BY {cq} LIMIT 1 OFFSET {off}"),
                            [],
                            |r| Ok(Value::from(r.get_ref(0)?)),
                        )
                        .map_err(|e| read_err(path, e))?;
                    quartiles.push(v);
                }
            }
            // Booleans (two distinct small integers) are not measures.
            let boolish = numeric && distinct <= 2;
            cols.push(Col {
                name: c.name.clone(),
                key: key || boolish,
                numeric,
                date,
                distinct,
                nulls,
                top,
                quartiles,
            });
        }
        let lower: Vec<String> = t
            .columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        let find = |n: &str| {
            lower
                .iter()
                .position(|c| c == n)
                .map(|i| t.columns[i].name.clone())
        };
        let label = if let (Some(f), Some(l)) = (find("first_name"), find("last_name")) {
            vec![f, l]
        } else if let Some(n) = find("name")
            .or_else(|| find("title"))
            .or_else(|| find("full_name"))
        {
            vec![n]
        } else if let Some(i) = lower
            .iter()
            .position(|c| c.ends_with("_name") || c.ends_with("_title"))
        {
            vec![t.columns[i].name.clone()]
        } else if let Some(pk) = &pk {
            vec![pk.clone()]
        } else {
            continue;
        };
        let fks = t
            .columns
            .iter()
            .filter_map(|c| {
                c.foreign_key
                    .as_ref()
                    .map(|f| (c.name.clone(), f.table.clone(), f.column.clone()))
            })
            .collect();
        tabs.push(Tab {
            name: t.name.clone(),
            rows: t.row_count,
            cols,
            pk,
            label,
            fks,
        });
    }
    Ok(tabs)
}

fn values(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<(Value, i64)>> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| Ok((Value::from(r.get_ref(0)?), r.get(1)?)))?;
    rows.collect()
}

// ---- phrasing ------------------------------------------------------------------------------

/// A column or table name as words: `weight_kg` → "weight (kg)", `customers_affected` →
/// "customers affected". A trailing unit reads as a unit, not as another noun.
fn words(ident: &str) -> String {
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
fn an_before_vowels(s: &str) -> String {
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
fn singular(table: &str) -> String {
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

fn plural(table: &str) -> String {
    let w = words(table);
    if singular(table) == w && !w.ends_with('s') && !w.ends_with("aircraft") {
        format!("{w}s")
    } else {
        w
    }
}

/// The plural of a noun phrase (its last word).
fn plural_word(w: &str) -> String {
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

fn label_words(t: &Tab) -> String {
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

fn label_sql(t: &Tab, alias: Option<&str>) -> String {
    t.label
        .iter()
        .map(|c| match alias {
            Some(a) => format!("{a}.{}", q(c)),
            None => q(c),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn lit(v: &Value) -> String {
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

/// How a value reads in a question: numbers bare, text quoted.
fn say(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("\"{s}\""),
        other => lit(other),
    }
}

struct Phraser {
    rng: StdRng,
}

impl Phraser {
    /// Picks one phrasing and fills `{name}` slots.
    fn pick(&mut self, options: &[&str], slots: &[(&str, &str)]) -> String {
        let tpl = options.choose(&mut self.rng).copied().unwrap_or_default();
        let mut s = tpl.to_string();
        for (k, v) in slots {
            // `{slot}s` is the plural of the slot's noun phrase.
            s = s.replace(&format!("{{{k}}}s"), &plural_word(v));
            s = s.replace(&format!("{{{k}}}"), v);
        }
        let s = an_before_vowels(&s);
        // Sentence case: the first letter, and the first after "? ".
        let mut out = String::with_capacity(s.len());
        let mut upper = true;
        let mut prev = ' ';
        for ch in s.chars() {
            if upper && ch.is_alphabetic() {
                out.extend(ch.to_uppercase());
                upper = false;
            } else {
                out.push(ch);
            }
            if prev == '?' && ch == ' ' {
                upper = true;
            }
            prev = ch;
        }
        out
    }
    fn value<'a>(&mut self, top: &'a [(Value, i64)]) -> Option<&'a Value> {
        top.choose(&mut self.rng).map(|(v, _)| v)
    }
    fn coin(&mut self) -> bool {
        self.rng.random_bool(0.5)
    }
    fn upto(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }
}

struct Cand {
    template: &'static str,
    question: String,
    sql: String,
}

struct Gen {
    p: Phraser,
    out: Vec<Cand>,
}

impl Gen {
    fn push(&mut self, template: &'static str, question: String, sql: String) {
        self.out.push(Cand {
            template,
            question,
            sql,
        });
    }
}

// ---- the grammar ---------------------------------------------------------------------------

fn single_table(g: &mut Gen, t: &Tab) {
    let tn = q(&t.name);
    let pl = plural(&t.name);
    let sg = singular(&t.name);
    let lw = label_words(t);
    let ls = label_sql(t, None);
    let named = t.has_name_label();

    let qs = g.p.pick(
        &[
            "how many {pl} are there?",
            "count the number of {pl}.",
            "what is the total number of {pl}?",
            "how many {pl} does the database hold?",
        ],
        &[("pl", &pl)],
    );
    g.push("count_all", qs, format!("SELECT count(*) FROM {tn}"));

    if named && t.rows <= 200 {
        let qs = g.p.pick(
            &[
                "list the {lw} of all {pl}.",
                "what are the {lw} of the {pl}?",
                "give the {lw} of every {sg}.",
            ],
            &[("lw", &lw), ("pl", &pl), ("sg", &sg)],
        );
        g.push("list_all", qs, format!("SELECT {ls} FROM {tn}"));
    }

    for c in t.cats() {
        let cw = words(&c.name);
        let cn = q(&c.name);
        let qs = g.p.pick(
            &[
                "what are the distinct {cw} values of {pl}?",
                "list the different {cw}s that {pl} have.",
                "which {cw} values appear among the {pl}?",
            ],
            &[("cw", &cw), ("pl", &pl)],
        );
        g.push("distinct", qs, format!("SELECT DISTINCT {cn} FROM {tn}"));

        let qs = g.p.pick(
            &[
                "how many {pl} are there for each {cw}?",
                "for each {cw}, count the {pl}.",
                "show each {cw} and the number of {pl} with it.",
            ],
            &[("cw", &cw), ("pl", &pl)],
        );
        g.push(
            "group_count",
            qs,
            format!("SELECT {cn}, count(*) FROM {tn} GROUP BY {cn}"),
        );

        let qs = g.p.pick(
            &[
                "which {cw} is the most common among {pl}?",
                "what {cw} do the most {pl} have?",
                "find the {cw} shared by the largest number of {pl}.",
            ],
            &[("cw", &cw), ("pl", &pl)],
        );
        g.push(
            "group_top",
            qs,
            format!("SELECT {cn} FROM {tn} GROUP BY {cn} ORDER BY count(*) DESC LIMIT 1"),
        );

        if c.top.len() >= 2 {
            let n = c.top[1].1.max(2);
            let ns = n.to_string();
            let qs = g.p.pick(
                &[
                    "which {cw} values have at least {n} {pl}?",
                    "list the {cw}s shared by {n} or more {pl}.",
                    "find every {cw} that appears in at least {n} {pl}.",
                ],
                &[("cw", &cw), ("pl", &pl), ("n", &ns)],
            );
            g.push(
                "group_having",
                qs,
                format!("SELECT {cn} FROM {tn} GROUP BY {cn} HAVING count(*) >= {n}"),
            );
        }

        for _ in 0..3 {
            let Some(v) = g.p.value(&c.top).cloned() else {
                break;
            };
            let vs = say(&v);
            let vl = lit(&v);
            let qs = g.p.pick(
                &[
                    "how many {pl} have {cw} {v}?",
                    "count the {pl} whose {cw} is {v}.",
                    "what is the number of {pl} with a {cw} of {v}?",
                ],
                &[("cw", &cw), ("pl", &pl), ("v", &vs)],
            );
            g.push(
                "count_where",
                qs,
                format!("SELECT count(*) FROM {tn} WHERE {cn} = {vl}"),
            );
            if named {
                let qs = g.p.pick(
                    &[
                        "list the {lw} of {pl} whose {cw} is {v}.",
                        "what are the {lw} of the {pl} with {cw} {v}?",
                        "which {pl} have {cw} {v}? give their {lw}.",
                    ],
                    &[("cw", &cw), ("pl", &pl), ("v", &vs), ("lw", &lw)],
                );
                g.push(
                    "list_where",
                    qs,
                    format!("SELECT {ls} FROM {tn} WHERE {cn} = {vl}"),
                );
            }
            if c.top.len() >= 2 {
                let w = c.top[g.p.upto(c.top.len())].0.clone();
                if w != v && named {
                    let ws = say(&w);
                    let qs = g.p.pick(
                        &[
                            "list the {lw} of {pl} whose {cw} is {v} or {w}.",
                            "give the {lw} of the {pl} with {cw} {v}, together with those with {cw} {w}.",
                        ],
                        &[("cw", &cw), ("pl", &pl), ("v", &vs), ("w", &ws), ("lw", &lw)],
                    );
                    g.push(
                        "union",
                        qs,
                        format!(
                            "SELECT {ls} FROM {tn} WHERE {cn} = {vl} UNION SELECT {ls} FROM {tn} WHERE {cn} = {}",
                            lit(&w)
                        ),
                    );
                }
            }
        }

        for m in t.measures() {
            let mw = words(&m.name);
            let mn = q(&m.name);
            let qs = g.p.pick(
                &[
                    "what is the average {mw} of {pl} for each {cw}?",
                    "for each {cw}, show the average {mw} of the {pl}.",
                ],
                &[("cw", &cw), ("pl", &pl), ("mw", &mw)],
            );
            g.push(
                "group_agg",
                qs,
                format!("SELECT {cn}, avg({mn}) FROM {tn} GROUP BY {cn}"),
            );

            let qs = g.p.pick(
                &[
                    "which {cw} has the highest total {mw} across its {pl}?",
                    "find the {cw} whose {pl} have the largest summed {mw}.",
                ],
                &[("cw", &cw), ("pl", &pl), ("mw", &mw)],
            );
            g.push(
                "group_order",
                qs,
                format!("SELECT {cn} FROM {tn} GROUP BY {cn} ORDER BY sum({mn}) DESC LIMIT 1"),
            );

            if let Some(v) = g.p.value(&c.top).cloned() {
                let (agg, aw) = [
                    ("avg", "average"),
                    ("max", "maximum"),
                    ("min", "minimum"),
                    ("sum", "total"),
                ][g.p.upto(4)];
                let vs = say(&v);
                let qs = g.p.pick(
                    &[
                        "what is the {aw} {mw} of {pl} whose {cw} is {v}?",
                        "among {pl} with {cw} {v}, what is the {aw} {mw}?",
                    ],
                    &[
                        ("cw", &cw),
                        ("pl", &pl),
                        ("mw", &mw),
                        ("aw", aw),
                        ("v", &vs),
                    ],
                );
                g.push(
                    "agg_where",
                    qs,
                    format!("SELECT {agg}({mn}) FROM {tn} WHERE {cn} = {}", lit(&v)),
                );

                let hi = &m.quartiles[1];
                if named {
                    let qs = g.p.pick(
                        &[
                            "list the {lw} of {pl} with {cw} {v} and a {mw} above {x}.",
                            "which {pl} have {cw} {v} and {mw} greater than {x}? give their {lw}.",
                        ],
                        &[
                            ("cw", &cw),
                            ("pl", &pl),
                            ("mw", &mw),
                            ("v", &vs),
                            ("x", &say(hi)),
                            ("lw", &lw),
                        ],
                    );
                    g.push(
                        "and_filter",
                        qs,
                        format!(
                            "SELECT {ls} FROM {tn} WHERE {cn} = {} AND {mn} > {}",
                            lit(&v),
                            lit(hi)
                        ),
                    );
                }
            }

            let (lo, hi) = (&m.quartiles[0], &m.quartiles[2]);
            let qs = g.p.pick(
                &[
                    "which {cw} values occur both among {pl} with {mw} above {hi} and among those with {mw} below {lo}?",
                    "find the {cw}s that have some {pl} with a {mw} over {hi} and also some with a {mw} under {lo}.",
                ],
                &[("cw", &cw), ("pl", &pl), ("mw", &mw), ("hi", &say(hi)), ("lo", &say(lo))],
            );
            g.push(
                "intersect",
                qs,
                format!(
                    "SELECT {cn} FROM {tn} WHERE {mn} > {} INTERSECT SELECT {cn} FROM {tn} WHERE {mn} < {}",
                    lit(hi),
                    lit(lo)
                ),
            );
            let mid = &m.quartiles[1];
            let qs = g.p.pick(
                &[
                    "which {cw} values have no {pl} with a {mw} above {x}?",
                    "list the {cw}s none of whose {pl} has {mw} greater than {x}.",
                ],
                &[("cw", &cw), ("pl", &pl), ("mw", &mw), ("x", &say(mid))],
            );
            g.push(
                "except",
                qs,
                format!(
                    "SELECT {cn} FROM {tn} EXCEPT SELECT {cn} FROM {tn} WHERE {mn} > {}",
                    lit(mid)
                ),
            );
        }
    }

    for m in t.measures() {
        let mw = words(&m.name);
        let mn = q(&m.name);
        for (agg, aws) in [
            ("avg", &["average", "mean"][..]),
            ("max", &["maximum", "highest", "largest"][..]),
            ("min", &["minimum", "lowest", "smallest"][..]),
            ("sum", &["total", "combined"][..]),
        ] {
            let aw = aws[g.p.upto(aws.len())];
            let qs = g.p.pick(
                &[
                    "what is the {aw} {mw} of all {pl}?",
                    "find the {aw} {mw} across {pl}.",
                    "give the {aw} {mw} among the {pl}.",
                ],
                &[("aw", aw), ("mw", &mw), ("pl", &pl)],
            );
            g.push("agg", qs, format!("SELECT {agg}({mn}) FROM {tn}"));
        }

        for k in 0..3 {
            let x = m.quartiles[k].clone();
            let (op, ow) = if g.p.coin() {
                (">", ["more than", "greater than", "above"][g.p.upto(3)])
            } else {
                ("<", ["less than", "below", "under"][g.p.upto(3)])
            };
            let xs = say(&x);
            let qs = g.p.pick(
                &[
                    "how many {pl} have a {mw} {ow} {x}?",
                    "count the {pl} with {mw} {ow} {x}.",
                ],
                &[("pl", &pl), ("mw", &mw), ("ow", ow), ("x", &xs)],
            );
            g.push(
                "count_num",
                qs,
                format!("SELECT count(*) FROM {tn} WHERE {mn} {op} {}", lit(&x)),
            );
            if named {
                let qs = g.p.pick(
                    &[
                        "list the {lw} of {pl} whose {mw} is {ow} {x}.",
                        "which {pl} have a {mw} {ow} {x}? show their {lw}.",
                        "give the {lw} and {mw} of every {sg} with {mw} {ow} {x}.",
                    ],
                    &[
                        ("pl", &pl),
                        ("sg", &sg),
                        ("mw", &mw),
                        ("ow", ow),
                        ("x", &xs),
                        ("lw", &lw),
                    ],
                );
                let sel = if qs.contains(&format!(" and {mw} of")) {
                    format!("{ls}, {mn}")
                } else {
                    ls.clone()
                };
                g.push(
                    "filter_num",
                    qs,
                    format!("SELECT {sel} FROM {tn} WHERE {mn} {op} {}", lit(&x)),
                );
            }
        }
        let (lo, hi) = (&m.quartiles[0], &m.quartiles[2]);
        let qs = g.p.pick(
            &[
                "how many {pl} have a {mw} between {lo} and {hi}?",
                "count the {pl} whose {mw} is from {lo} to {hi}.",
            ],
            &[("pl", &pl), ("mw", &mw), ("lo", &say(lo)), ("hi", &say(hi))],
        );
        g.push(
            "between",
            qs,
            format!(
                "SELECT count(*) FROM {tn} WHERE {mn} BETWEEN {} AND {}",
                lit(lo),
                lit(hi)
            ),
        );

        if named {
            let desc = g.p.coin();
            let (dir, most) = if desc {
                ("DESC", "highest")
            } else {
                ("ASC", "lowest")
            };
            let n = 1 + g.p.upto(5);
            if n == 1 {
                let qs = g.p.pick(
                    &[
                        "which {sg} has the {most} {mw}? give its {lw}.",
                        "what are the {lw} of the {sg} with the {most} {mw}?",
                        "find the {sg} with the {most} {mw}.",
                    ],
                    &[("sg", &sg), ("most", most), ("mw", &mw), ("lw", &lw)],
                );
                g.push(
                    "superlative",
                    qs,
                    format!("SELECT {ls} FROM {tn} ORDER BY {mn} {dir} LIMIT 1"),
                );
            } else {
                let ns = n.to_string();
                let qs = g.p.pick(
                    &[
                        "list the {lw} of the {n} {pl} with the {most} {mw}.",
                        "what are the top {n} {pl} by {mw} ({most} first)? give their {lw}.",
                        "show the {lw} and {mw} of the {n} {pl} with the {most} {mw}.",
                    ],
                    &[
                        ("pl", &pl),
                        ("most", most),
                        ("mw", &mw),
                        ("lw", &lw),
                        ("n", &ns),
                    ],
                );
                let sel = if qs.starts_with("Show") {
                    format!("{ls}, {mn}")
                } else {
                    ls.clone()
                };
                g.push(
                    "order_limit",
                    qs,
                    format!("SELECT {sel} FROM {tn} ORDER BY {mn} {dir} LIMIT {n}"),
                );
            }
            let qs = g.p.pick(
                &[
                    "which {pl} have a {mw} above the average? give their {lw}.",
                    "list the {lw} of {pl} whose {mw} is greater than the average {mw}.",
                ],
                &[("pl", &pl), ("mw", &mw), ("lw", &lw)],
            );
            g.push(
                "above_avg",
                qs,
                format!("SELECT {ls} FROM {tn} WHERE {mn} > (SELECT avg({mn}) FROM {tn})"),
            );
            if t.rows <= 200 {
                let qs = g.p.pick(
                    &[
                        "list the {lw} of all {pl} sorted by {mw} in {ord} order.",
                        "show the {lw} of every {sg}, ordered by {mw} ({ord}).",
                    ],
                    &[
                        ("pl", &pl),
                        ("sg", &sg),
                        ("mw", &mw),
                        ("lw", &lw),
                        ("ord", if desc { "descending" } else { "ascending" }),
                    ],
                );
                g.push(
                    "sorted",
                    qs,
                    format!("SELECT {ls} FROM {tn} ORDER BY {mn} {dir}"),
                );
            }
        }
    }

    for d in t.dates() {
        let dw = words(&d.name);
        let dn = q(&d.name);
        let x = d.quartiles[g.p.upto(3)].clone();
        let (op, ow) = if g.p.coin() {
            (">", "after")
        } else {
            ("<", "before")
        };
        let xs = say(&x);
        let qs = g.p.pick(
            &[
                "how many {pl} have a {dw} {ow} {x}?",
                "count the {pl} whose {dw} is {ow} {x}.",
            ],
            &[("pl", &pl), ("dw", &dw), ("ow", ow), ("x", &xs)],
        );
        g.push(
            "count_date",
            qs,
            format!("SELECT count(*) FROM {tn} WHERE {dn} {op} {}", lit(&x)),
        );
        if named {
            let (dir, w) = if g.p.coin() {
                ("DESC", "most recent")
            } else {
                ("ASC", "earliest")
            };
            let qs = g.p.pick(
                &[
                    "which {sg} has the {w} {dw}? give its {lw}.",
                    "what are the {lw} of the {sg} with the {w} {dw}?",
                ],
                &[("sg", &sg), ("w", w), ("dw", &dw), ("lw", &lw)],
            );
            g.push(
                "date_superlative",
                qs,
                format!("SELECT {ls} FROM {tn} ORDER BY {dn} {dir} LIMIT 1"),
            );
        }
    }

    for c in t.cols.iter().filter(|c| c.nulls > 0 && !c.key) {
        let cw = words(&c.name);
        let cn = q(&c.name);
        if g.p.coin() {
            let qs = g.p.pick(
                &[
                    "how many {pl} have no {cw} recorded?",
                    "count the {pl} whose {cw} is missing.",
                ],
                &[("pl", &pl), ("cw", &cw)],
            );
            g.push(
                "is_null",
                qs,
                format!("SELECT count(*) FROM {tn} WHERE {cn} IS NULL"),
            );
        } else {
            let qs = g.p.pick(
                &[
                    "how many {pl} have a {cw}?",
                    "count the {pl} with a known {cw}.",
                ],
                &[("pl", &pl), ("cw", &cw)],
            );
            g.push(
                "not_null",
                qs,
                format!("SELECT count(*) FROM {tn} WHERE {cn} IS NOT NULL"),
            );
        }
    }
}

fn joins(g: &mut Gen, tabs: &[Tab], child: &Tab) {
    for (fk, parent_name, pcol) in &child.fks {
        let Some(parent) = tabs
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(parent_name))
        else {
            continue;
        };
        if parent.name == child.name {
            continue;
        }
        let (cn, pn) = (q(&child.name), q(&parent.name));
        let (fkq, pkq) = (q(fk), q(pcol));
        let on = format!("{cn} AS T1 JOIN {pn} AS T2 ON T1.{fkq} = T2.{pkq}");
        let cpl = plural(&child.name);
        let psg = singular(&parent.name);
        let ppl = plural(&parent.name);
        let plw = label_words(parent);
        let pls2 = label_sql(parent, Some("T2"));
        let pls = label_sql(parent, None);
        let clw = label_words(child);
        let cls1 = label_sql(child, Some("T1"));
        // Which parent the foreign key names, when a child has several to the same table
        // (home team / away team): say the column.
        let role = {
            let w = words(fk);
            let w = w.strip_suffix(" id").unwrap_or(&w).to_string();
            if w == psg {
                psg.clone()
            } else {
                w
            }
        };

        if parent.has_name_label() {
            let qs = g.p.pick(
                &[
                    "for each {psg}, give its {plw} and the number of {cpl}.",
                    "how many {cpl} does each {role} have? show the {plw} with each count.",
                    "list every {role} {plw} with its count of {cpl}.",
                ],
                &[("psg", &psg), ("role", &role), ("plw", &plw), ("cpl", &cpl)],
            );
            g.push(
                "join_group_count",
                qs,
                format!("SELECT {pls2}, count(*) FROM {on} GROUP BY T1.{fkq}"),
            );
            let qs = g.p.pick(
                &[
                    "which {role} has the most {cpl}? give its {plw}.",
                    "what are the {plw} of the {role} with the largest number of {cpl}?",
                ],
                &[("role", &role), ("plw", &plw), ("cpl", &cpl)],
            );
            g.push(
                "join_top",
                qs,
                format!("SELECT {pls2} FROM {on} GROUP BY T1.{fkq} ORDER BY count(*) DESC LIMIT 1"),
            );
            let n = 2 + g.p.upto(3);
            let ns = n.to_string();
            let qs = g.p.pick(
                &[
                    "list the {plw} of {ppl} that have at least {n} {cpl}.",
                    "which {role}s are linked to {n} or more {cpl}? give their {plw}.",
                ],
                &[
                    ("ppl", &ppl),
                    ("role", &role),
                    ("plw", &plw),
                    ("cpl", &cpl),
                    ("n", &ns),
                ],
            );
            g.push(
                "join_having",
                qs,
                format!("SELECT {pls2} FROM {on} GROUP BY T1.{fkq} HAVING count(*) >= {n}"),
            );
            let qs = g.p.pick(
                &[
                    "list the {plw} of {ppl} that have no {cpl}.",
                    "which {ppl} have no {cpl} at all? give their {plw}.",
                ],
                &[("ppl", &ppl), ("plw", &plw), ("cpl", &cpl)],
            );
            g.push(
                "not_in",
                qs,
                format!(
                    "SELECT {pls} FROM {pn} WHERE {pkq} NOT IN (SELECT {fkq} FROM {cn} WHERE {fkq} IS NOT NULL)"
                ),
            );

            // Filter the children by a real parent name.
            if let Some(lab) = parent.label.first().and_then(|l| parent.col(l)) {
                if let Some(v) = g.p.value(&lab.top).cloned() {
                    if child.has_name_label() && parent.label.len() == 1 {
                        let qs = g.p.pick(
                            &[
                                "list the {clw} of {cpl} whose {role} is {v}.",
                                "what are the {clw} of the {cpl} of the {role} {v}?",
                            ],
                            &[
                                ("clw", &clw),
                                ("cpl", &cpl),
                                ("role", &role),
                                ("v", &say(&v)),
                            ],
                        );
                        g.push(
                            "join_where",
                            qs,
                            format!(
                                "SELECT {cls1} FROM {on} WHERE T2.{} = {}",
                                q(&parent.label[0]),
                                lit(&v)
                            ),
                        );
                    }
                }
            }
            if child.has_name_label() && child.rows <= 300 {
                let qs = g.p.pick(
                    &[
                        "list the {clw} of each {csg} together with the {plw} of its {role}.",
                        "show the {clw} of every {csg} and the {plw} of the {role} it belongs to.",
                    ],
                    &[
                        ("csg", &singular(&child.name)),
                        ("clw", &clw),
                        ("plw", &plw),
                        ("role", &role),
                    ],
                );
                g.push("join_list", qs, format!("SELECT {cls1}, {pls2} FROM {on}"));
            }
        }

        // Children's categories through the parent, and parents with some child of a kind.
        for c in child.cats() {
            let cw = words(&c.name);
            let ccn = q(&c.name);
            let Some(v) = g.p.value(&c.top).cloned() else {
                continue;
            };
            if parent.has_name_label() {
                let qs = g.p.pick(
                    &[
                        "list the {plw} of {ppl} that have at least one {csg} with {cw} {v}.",
                        "which {ppl} have some {cpl} whose {cw} is {v}? give their {plw}.",
                    ],
                    &[
                        ("plw", &plw),
                        ("ppl", &ppl),
                        ("csg", &singular(&child.name)),
                        ("cpl", &cpl),
                        ("cw", &cw),
                        ("v", &say(&v)),
                    ],
                );
                g.push(
                    "in_subquery",
                    qs,
                    format!(
                        "SELECT {pls} FROM {pn} WHERE {pkq} IN (SELECT {fkq} FROM {cn} WHERE {ccn} = {})",
                        lit(&v)
                    ),
                );
                let qs = g.p.pick(
                    &[
                        "list the {plw} of {ppl} with no {csg} whose {cw} is {v}.",
                        "which {ppl} have no {cpl} with {cw} {v}? give their {plw}.",
                    ],
                    &[
                        ("plw", &plw),
                        ("ppl", &ppl),
                        ("csg", &singular(&child.name)),
                        ("cpl", &cpl),
                        ("cw", &cw),
                        ("v", &say(&v)),
                    ],
                );
                g.push(
                    "not_in_where",
                    qs,
                    format!(
                        "SELECT {pls} FROM {pn} WHERE {pkq} NOT IN (SELECT {fkq} FROM {cn} WHERE {ccn} = {} AND {fkq} IS NOT NULL)",
                        lit(&v)
                    ),
                );
            }
        }
        for pc in parent.cats() {
            let Some(v) = g.p.value(&pc.top).cloned() else {
                continue;
            };
            let pcw = words(&pc.name);
            let qs = g.p.pick(
                &[
                    "how many {cpl} belong to {ppl} whose {pcw} is {v}?",
                    "count the {cpl} whose {role} has {pcw} {v}.",
                ],
                &[
                    ("cpl", &cpl),
                    ("ppl", &ppl),
                    ("role", &role),
                    ("pcw", &pcw),
                    ("v", &say(&v)),
                ],
            );
            g.push(
                "join_count_where",
                qs,
                format!(
                    "SELECT count(*) FROM {on} WHERE T2.{} = {}",
                    q(&pc.name),
                    lit(&v)
                ),
            );
            let qs = g.p.pick(
                &[
                    "for each {pcw} of {ppl}, how many {cpl} are there?",
                    "count the {cpl} per {role} {pcw}.",
                ],
                &[("cpl", &cpl), ("ppl", &ppl), ("role", &role), ("pcw", &pcw)],
            );
            g.push(
                "join_group_cat",
                qs,
                format!(
                    "SELECT T2.{0}, count(*) FROM {on} GROUP BY T2.{0}",
                    q(&pc.name)
                ),
            );
        }
        for m in child.measures() {
            if !parent.has_name_label() {
                break;
            }
            let mw = words(&m.name);
            let mn = q(&m.name);
            let qs = g.p.pick(
                &[
                    "what is the average {mw} of {cpl} for each {role}? show the {plw} with each average.",
                    "for every {role}, give its {plw} and the average {mw} of its {cpl}.",
                ],
                &[("mw", &mw), ("cpl", &cpl), ("role", &role), ("plw", &plw)],
            );
            g.push(
                "join_agg",
                qs,
                format!("SELECT {pls2}, avg(T1.{mn}) FROM {on} GROUP BY T1.{fkq}"),
            );
            let x = &m.quartiles[2];
            let qs = g.p.pick(
                &[
                    "which {ppl} have a {csg} with {mw} above {x}? give their {plw}.",
                    "list the distinct {plw} of {ppl} that have any {cpl} with a {mw} greater than {x}.",
                ],
                &[("ppl", &ppl), ("csg", &singular(&child.name)), ("cpl", &cpl), ("mw", &mw), ("x", &say(x)), ("plw", &plw)],
            );
            g.push(
                "join_filter_num",
                qs,
                format!(
                    "SELECT DISTINCT {pls2} FROM {on} WHERE T1.{mn} > {}",
                    lit(x)
                ),
            );
        }
    }
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Whether a result is a real answer: some row, some non-NULL value, and not a lone zero count.
fn answers(r: &crate::exec::QueryResult) -> bool {
    if r.rows.is_empty()
        || r.rows
            .iter()
            .all(|row| row.iter().all(|v| matches!(v, Value::Null)))
    {
        return false;
    }
    !(r.rows.len() == 1 && r.rows[0].len() == 1 && matches!(r.rows[0][0], Value::Integer(0)))
}

/// Generates, executes and keeps template examples for one database file. Deterministic for a
/// given (database, `seed`); `name` salts the seed so databases get different phrasings.
pub fn generate(
    path: &Path,
    name: &str,
    opts: &TemplateOptions,
) -> Result<(Vec<TemplateExample>, TemplateStats), TemplateError> {
    let tabs = profile(path)?;
    let mut g = Gen {
        p: Phraser {
            rng: StdRng::seed_from_u64(opts.seed ^ fnv(name)),
        },
        out: Vec::new(),
    };
    for t in tabs.iter().filter(|t| t.rows > 0) {
        single_table(&mut g, t);
        joins(&mut g, &tabs, t);
    }
    let mut cands = std::mem::take(&mut g.out);
    let mut seen_sql = BTreeSet::new();
    let mut seen_q = BTreeSet::new();
    cands.retain(|c| {
        seen_sql.insert(crate::sqltext::normalize(&c.sql))
            && seen_q.insert(c.question.to_lowercase())
    });
    let mut stats = TemplateStats {
        candidates: cands.len(),
        ..Default::default()
    };
    cands.shuffle(&mut g.p.rng);

    let limits = Limits {
        timeout: std::time::Duration::from_secs(2),
        max_rows: 2_000,
        ..Limits::default()
    };
    let ex = Executor::open(path, limits).map_err(|e| TemplateError::Read {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let mut kept = Vec::new();
    for c in cands {
        if kept.len() >= opts.per_db {
            break;
        }
        stats.executed += 1;
        match ex.run(&c.sql) {
            Err(_) => stats.failed += 1,
            Ok(r) if !answers(&r) => stats.empty += 1,
            Ok(_) => {
                kept.push(TemplateExample {
                    difficulty: crate::sqltext::estimate_hardness(&c.sql)
                        .as_str()
                        .to_string(),
                    question: c.question,
                    sql: c.sql,
                    template: c.template.to_string(),
                });
            }
        }
    }
    stats.kept = kept.len();
    Ok((kept, stats))
}

/// The report of `synth_templates`, per database and summed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateReport {
    pub per_db: Vec<(String, TemplateStats)>,
    pub total: TemplateStats,
    pub inserted: usize,
    pub already_present: usize,
}

impl TemplateReport {
    pub fn summary(&self) -> String {
        let t = &self.total;
        format!(
            "{} databases: {} candidates, {} executed, {} kept ({} failed, {} empty); {} inserted, {} already present",
            self.per_db.len(),
            t.candidates,
            t.executed,
            t.kept,
            t.failed,
            t.empty,
            self.inserted,
            self.already_present
        )
    }
}

/// Runs template synthesis over the named workspace databases (all when `dbs` is empty) and
/// stores the kept examples with source `template` (unless `dry_run`). `each` is called after
/// each database with its name, stats and examples (for progress and `--dry-run` printing).
pub fn synth_templates(
    store: &Store,
    dbs: &[String],
    opts: &TemplateOptions,
    dry_run: bool,
    mut each: impl FnMut(&str, &TemplateStats, &[TemplateExample]),
) -> Result<TemplateReport, TemplateError> {
    let mut report = TemplateReport::default();
    let all = store.databases()?;
    let splits = store.database_splits()?;
    let split_of = |name: &str| splits.get(name).cloned().unwrap_or_else(|| "train".into());
    for name in dbs {
        if !all.iter().any(|d| &d.name == name) {
            return Err(StoreError::NotFound(format!("database '{name}'")).into());
        }
        if let Some(want) = &opts.split {
            let has = split_of(name);
            if &has != want {
                return Err(StoreError::HeldOut(format!(
                    "database '{name}' (split '{has}'; asked for '{want}')"
                ))
                .into());
            }
        }
    }
    for db in all.iter().filter(|d| {
        (dbs.is_empty() || dbs.contains(&d.name))
            && opts.split.as_ref().is_none_or(|s| *s == split_of(&d.name))
    }) {
        let (examples, stats) = generate(&db.path, &db.name, opts)?;
        if !dry_run {
            let split = split_of(&db.name);
            let rows: Vec<NewExample> = examples
                .iter()
                .map(|e| NewExample {
                    db_id: db.id,
                    question: e.question.clone(),
                    gold_sql: e.sql.clone(),
                    evidence: None,
                    difficulty: Some(e.difficulty.clone()),
                    split: split.clone(),
                    source: SOURCE.into(),
                    provenance: serde_json::json!({
                        "template": e.template,
                        "seed": opts.seed,
                        "version": TEMPLATES_VERSION,
                    }),
                    exchange_id: None,
                })
                .collect();
            let (ins, dup) = store.insert_examples(&rows)?;
            report.inserted += ins;
            report.already_present += dup;
        }
        each(&db.name, &stats, &examples);
        report.total.add(&stats);
        report.per_db.push((db.name.clone(), stats));
    }
    Ok(report)
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
    fn literals() {
        assert_eq!(lit(&Value::Text("O'Brien".into())), "'O''Brien'");
        assert_eq!(lit(&Value::Real(2.0)), "2");
        assert_eq!(lit(&Value::Real(2.5)), "2.5");
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
