//! Procedural databases, offline: SQLite databases drawn from the built-in domain vocabulary
//! (`domains.rs`) with no model involved, then template questions over each. Every database
//! is a seeded function of (seed, split, index), so the same command gives the same files and
//! `-n 5` gives the first five of `-n 10`. A database goes whole to one split: the split is part
//! of its name and of its seed, and its examples carry it.
//!
//! The examples' source is `procedural`, not `template`: a database's split is read from its
//! non-template examples, so that is what keeps a held-out procedural database held out.

pub mod domains;
mod fresh;
pub mod style;

use crate::schema::introspect_path;
use crate::store::{NewDatabase, NewExample, Store, StoreError};
use crate::synth::materialize::{materialize, MaterializeError};
use crate::synth::templates::{self, TemplateError, TemplateOptions, TemplateStats};
use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The `source` of procedural databases and of the examples written over them.
pub const SOURCE: &str = "procedural";
/// Bumped whenever the vocabulary or the value generators change (in each example's provenance).
pub const PROCEDURAL_VERSION: u32 = 2;
/// Bounds on every generated database.
pub const MIN_TABLES: usize = 2;
pub const MAX_TABLES: usize = 8;
pub const MIN_ROWS: usize = 20;
pub const MAX_ROWS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum ProceduralError {
    #[error("domain vocabulary, domain '{domain}': {msg}")]
    Vocabulary { domain: String, msg: String },
    #[error("building procedural database '{name}' at {}: {msg}", .path.display())]
    Build {
        name: String,
        path: PathBuf,
        msg: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

type Result<T> = std::result::Result<T, ProceduralError>;

/// A column's value generator (see the kinds in `domains.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Person,
    First,
    Last,
    Company,
    City,
    Country,
    Title,
    Word(Vec<String>),
    Cat(Vec<String>),
    Int(i64, i64),
    Real(f64, f64),
    Date(i32, i32),
    Year(i64, i64),
    Code(String),
    Email,
    Phone,
    Ref(String),
}

impl Kind {
    fn sql_type(&self) -> &'static str {
        match self {
            Kind::Int(..) | Kind::Year(..) | Kind::Ref(_) => "INTEGER",
            Kind::Real(..) => "REAL",
            Kind::Date(..) => "DATE",
            _ => "TEXT",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub name: String,
    pub key: String,
    pub columns: Vec<ColumnSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    pub name: String,
    pub description: String,
    pub tables: Vec<TableSpec>,
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && s.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

fn parse_kind(text: &str, earlier: &[TableSpec]) -> std::result::Result<Kind, String> {
    let list = |args: &str| -> Vec<String> { args.split('|').map(str::to_string).collect() };
    let pair = |args: &str| -> std::result::Result<(f64, f64), String> {
        let (a, b) = args
            .split_once(',')
            .ok_or_else(|| format!("'{text}' needs (low,high)"))?;
        let lo: f64 = a
            .trim()
            .parse()
            .map_err(|_| format!("'{text}': bad number"))?;
        let hi: f64 = b
            .trim()
            .parse()
            .map_err(|_| format!("'{text}': bad number"))?;
        if lo > hi {
            return Err(format!("'{text}': low above high"));
        }
        Ok((lo, hi))
    };
    if let Some(parent) = text.strip_prefix('>') {
        return if earlier.iter().any(|t| t.name == parent) {
            Ok(Kind::Ref(parent.to_string()))
        } else {
            Err(format!("'{text}' refers to no earlier table"))
        };
    }
    let (head, args) = match text.split_once('(') {
        Some((h, rest)) => (
            h,
            Some(
                rest.strip_suffix(')')
                    .ok_or_else(|| format!("'{text}' lacks ')'"))?,
            ),
        ),
        None => (text, None),
    };
    Ok(match (head, args) {
        ("person", None) => Kind::Person,
        ("first", None) => Kind::First,
        ("last", None) => Kind::Last,
        ("company", None) => Kind::Company,
        ("city", None) => Kind::City,
        ("country", None) => Kind::Country,
        ("title", None) => Kind::Title,
        ("email", None) => Kind::Email,
        ("phone", None) => Kind::Phone,
        ("word", Some(a)) if a.contains('|') => Kind::Word(list(a)),
        ("cat", Some(a)) if a.contains('|') => Kind::Cat(list(a)),
        ("int", Some(a)) => {
            let (lo, hi) = pair(a)?;
            Kind::Int(lo as i64, hi as i64)
        }
        ("year", Some(a)) => {
            let (lo, hi) = pair(a)?;
            Kind::Year(lo as i64, hi as i64)
        }
        ("date", Some(a)) => {
            let (lo, hi) = pair(a)?;
            Kind::Date(lo as i32, hi as i32)
        }
        ("real", Some(a)) => {
            let (lo, hi) = pair(a)?;
            Kind::Real(lo, hi)
        }
        ("code", Some(a)) if !a.is_empty() => Kind::Code(a.to_string()),
        _ => return Err(format!("unknown column kind '{text}'")),
    })
}

/// Parses one domain row of the vocabulary, checking names and references.
pub fn parse_domain(row: &domains::DomainRow) -> Result<DomainSpec> {
    let (name, description, lines) = row;
    let err = |msg: String| ProceduralError::Vocabulary {
        domain: name.to_string(),
        msg,
    };
    if !is_ident(name) {
        return Err(err("name is not a lowercase identifier".into()));
    }
    let mut tables: Vec<TableSpec> = Vec::new();
    for line in lines.iter() {
        let (head, cols) = line
            .split_once(':')
            .ok_or_else(|| err(format!("'{line}' lacks ':'")))?;
        let (tname, key) = head
            .trim()
            .strip_suffix(')')
            .and_then(|h| h.split_once('('))
            .ok_or_else(|| err(format!("'{head}' is not table(key)")))?;
        let mut columns = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::from([key.to_string()]);
        for c in cols.split(';') {
            let col = parse_column(c, &tables).map_err(|m| err(format!("{tname}: {m}")))?;
            if !seen.insert(col.name.clone()) {
                return Err(err(format!("{tname}: column name '{}' repeated", col.name)));
            }
            columns.push(col);
        }
        if !is_ident(tname) || !is_ident(key) || tables.iter().any(|t| t.name == tname) {
            return Err(err(format!("table '{tname}({key})' invalid or repeated")));
        }
        tables.push(TableSpec {
            name: tname.to_string(),
            key: key.to_string(),
            columns,
        });
    }
    if tables.len() < MIN_TABLES {
        return Err(err(format!("fewer than {MIN_TABLES} tables")));
    }
    Ok(DomainSpec {
        name: name.to_string(),
        description: description.to_string(),
        tables,
    })
}

/// The bookkeeping columns any table may carry (`domains::EXTRA_COLUMNS`), parsed; one that
/// does not parse is left out (the vocabulary test names it).
pub fn extra_columns() -> Vec<ColumnSpec> {
    domains::EXTRA_COLUMNS
        .iter()
        .filter_map(|line| parse_column(line, &[]).ok())
        .collect()
}

/// One `name kind` column of a table line; `earlier` are the tables a `>table` may name.
fn parse_column(text: &str, earlier: &[TableSpec]) -> std::result::Result<ColumnSpec, String> {
    let (name, kind) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("column '{text}' lacks a kind"))?;
    let (kind, nullable) = match kind.trim().strip_suffix('?') {
        Some(k) => (k, true),
        None => (kind.trim(), false),
    };
    if !is_ident(name) {
        return Err(format!("column name '{name}' invalid"));
    }
    Ok(ColumnSpec {
        name: name.to_string(),
        kind: parse_kind(kind, earlier).map_err(|m| format!("{name}: {m}"))?,
        nullable,
    })
}

/// The whole vocabulary, parsed.
pub fn all_domains() -> Result<Vec<DomainSpec>> {
    domains::DOMAINS.iter().map(parse_domain).collect()
}

/// One planned database: a connected choice of a domain's tables, columns and row counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub domain: String,
    pub description: String,
    /// Tables in creation order (parents first), each with its row count.
    pub tables: Vec<(TableSpec, usize)>,
    pub style: style::Style,
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The name of database `index` of (`seed`, `split`): `<domain>_<seed>_<index>` for train,
/// `<domain>_<split><seed>_<index>` otherwise, so held-out databases never share a name.
fn db_name(domain: &str, seed: u64, split: &str, index: usize) -> String {
    let tag = if split == crate::store::TRAIN {
        ""
    } else {
        split
    };
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{domain}_{tag}{seed}_{index}")
}

/// Plans database `index` of (`seed`, `split`). Each run of `domains.len()` indices visits
/// every domain once, in an order drawn from the seed.
pub fn plan(all: &[DomainSpec], seed: u64, split: &str, index: usize) -> Plan {
    plan_with(all, seed, split, index, 0.0)
}

/// `plan` where about `fresh_names` of the databases name some tables and columns from outside
/// their domain (`fresh.rs`); their names end in `_fresh`. With 0 the plans are `plan`'s.
pub fn plan_with(
    all: &[DomainSpec],
    seed: u64,
    split: &str,
    index: usize,
    fresh_names: f64,
) -> Plan {
    let extras = extra_columns();
    let cycle = index / all.len();
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(fnv(&format!(
        "order/{seed}/{split}/{cycle}"
    ))));
    let d = &all[order[index % all.len()]];
    let mut rng = StdRng::seed_from_u64(fnv(&format!("db/{seed}/{split}/{index}")));
    // A random subset of tables, closed under the tables its foreign keys point to.
    let n = d.tables.len();
    // Mostly the whole domain: hand-made schemas have five or six tables, not two.
    let want = if rng.random_bool(0.6) {
        n.min(MAX_TABLES)
    } else {
        rng.random_range(MIN_TABLES..=n.min(MAX_TABLES))
    };
    let mut picked: Vec<usize> = (0..n).collect();
    picked.shuffle(&mut rng);
    let mut keep: BTreeSet<usize> = picked[..want].iter().copied().collect();
    loop {
        let parents: Vec<usize> = keep
            .iter()
            .flat_map(|&i| d.tables[i].columns.iter())
            .filter_map(|c| match &c.kind {
                Kind::Ref(p) => d.tables.iter().position(|t| &t.name == p),
                _ => None,
            })
            .filter(|p| !keep.contains(p))
            .collect();
        if parents.is_empty() {
            break;
        }
        keep.extend(parents);
    }
    let has_children = |i: usize| {
        keep.iter().any(|&j| {
            d.tables[j]
                .columns
                .iter()
                .any(|c| c.kind == Kind::Ref(d.tables[i].name.clone()))
        })
    };
    let mut tables = Vec::new();
    for &i in keep.iter().take(MAX_TABLES) {
        let t = &d.tables[i];
        // Keys, foreign keys and the first attribute (the row's label) always; others mostly.
        let mut columns: Vec<ColumnSpec> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(k, c)| matches!(c.kind, Kind::Ref(_)) || *k == 0 || rng.random_bool(0.9))
            .map(|(_, c)| c.clone())
            .collect();
        // Up to two bookkeeping columns, as real tables have (more cost SFT steps).
        for _ in 0..rng.random_range(0..=2) {
            let Some(e) = extras.get(rng.random_range(0..extras.len().max(1))) else {
                break;
            };
            if e.name != t.key && !columns.iter().any(|c| c.name == e.name) {
                columns.push(e.clone());
            }
        }
        let rows = if has_children(i) {
            rng.random_range(MIN_ROWS..=120)
        } else {
            rng.random_range(60..=MAX_ROWS)
        };
        tables.push((
            TableSpec {
                columns,
                ..t.clone()
            },
            rows,
        ));
    }
    let style = style::Style::draw(&mut rng, fresh_names);
    style::apply(&style, &mut tables, &mut rng);
    let mut name = db_name(&d.name, seed, split, index);
    if fresh_names > 0.0 {
        name.push_str("_fresh");
    }
    Plan {
        name,
        domain: d.name.clone(),
        description: d.description.clone(),
        tables,
        style,
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn pick<'a>(rng: &mut StdRng, list: &'a [&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A value drawn log-uniformly when the range spans two orders of magnitude (prices, counts of
/// people), else uniformly.
fn spread(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    if lo > 0.0 && hi / lo >= 100.0 {
        (rng.random_range(lo.ln()..=hi.ln())).exp()
    } else if lo < hi {
        rng.random_range(lo..=hi)
    } else {
        lo
    }
}

/// One SQL literal for a column; `row` numbers unique codes.
fn value(
    rng: &mut StdRng,
    kind: &Kind,
    row: usize,
    codes: &[u32],
    rows_of: &dyn Fn(&str) -> usize,
) -> String {
    use domains::*;
    match kind {
        Kind::Person => quote(&format!(
            "{} {}",
            pick(rng, FIRST_NAMES),
            pick(rng, LAST_NAMES)
        )),
        Kind::First => quote(pick(rng, FIRST_NAMES)),
        Kind::Last => quote(pick(rng, LAST_NAMES)),
        Kind::Company => quote(&format!(
            "{} {} {}",
            pick(rng, COMPANY_WORDS),
            pick(rng, TITLE_NOUNS),
            pick(rng, COMPANY_SUFFIXES)
        )),
        Kind::City => quote(pick(rng, CITIES)),
        Kind::Country => quote(pick(rng, COUNTRIES)),
        Kind::Title => quote(&format!(
            "The {} {}",
            pick(rng, TITLE_ADJECTIVES),
            pick(rng, TITLE_NOUNS)
        )),
        Kind::Word(w) => quote(&w[rng.random_range(0..w.len())]),
        Kind::Cat(w) => {
            // Weights 1/(i+1): the first values are the common ones, so groups differ in size.
            let total: f64 = (1..=w.len()).map(|i| 1.0 / i as f64).sum();
            let mut r = rng.random_range(0.0..total);
            let mut at = w.len() - 1;
            for i in 0..w.len() {
                r -= 1.0 / (i + 1) as f64;
                if r < 0.0 {
                    at = i;
                    break;
                }
            }
            quote(&w[at])
        }
        Kind::Int(lo, hi) => format!("{}", spread(rng, *lo as f64, *hi as f64).round() as i64),
        Kind::Real(lo, hi) => format!("{:.2}", spread(rng, *lo, *hi)),
        Kind::Year(lo, hi) => format!("{}", rng.random_range(*lo..=*hi)),
        Kind::Date(y0, y1) => {
            let start = NaiveDate::from_ymd_opt(*y0, 1, 1).unwrap_or_default();
            let end = NaiveDate::from_ymd_opt(*y1, 12, 31).unwrap_or(start);
            let span = (end - start).num_days().max(0) as u64;
            let d = start + Days::new(rng.random_range(0..=span));
            quote(&d.format("%Y-%m-%d").to_string())
        }
        Kind::Code(p) => quote(&format!("{p}-{:05}", codes[row])),
        Kind::Email => quote(&format!(
            "{}.{}{}@example.com",
            pick(rng, FIRST_NAMES).to_ascii_lowercase(),
            pick(rng, LAST_NAMES).to_ascii_lowercase(),
            rng.random_range(1..100)
        )),
        Kind::Phone => quote(&format!(
            "+1-555-{:03}-{:04}",
            rng.random_range(0..1000),
            rng.random_range(0..10000)
        )),
        Kind::Ref(parent) => format!("{}", rng.random_range(1..=rows_of(parent).max(1))),
    }
}

/// The CREATE TABLE and INSERT script of a plan (deterministic for the plan and `rng_seed`).
pub fn script(plan: &Plan, rng_seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let rows_of = |name: &str| {
        plan.tables
            .iter()
            .find(|(t, _)| t.name == name)
            .map_or(0, |(_, n)| *n)
    };
    let key_of = |name: &str| {
        plan.tables
            .iter()
            .find(|(t, _)| t.name == name)
            .map_or("id".to_string(), |(t, _)| t.key.clone())
    };
    let mut s = String::new();
    for (t, rows) in &plan.tables {
        let mut defs = vec![format!("  {} INTEGER PRIMARY KEY", t.key)];
        let mut fks = Vec::new();
        for c in &t.columns {
            defs.push(format!("  {} {}", c.name, style::sql_type(&plan.style, c)));
            if let Kind::Ref(p) = &c.kind {
                fks.push(format!(
                    "  FOREIGN KEY ({}) REFERENCES {p}({})",
                    c.name,
                    key_of(p)
                ));
            }
        }
        defs.extend(fks);
        let _ = writeln!(s, "CREATE TABLE {} (\n{}\n);", t.name, defs.join(",\n"));
        // Distinct codes per column: a sample without replacement from 10000..99999.
        let codes: Vec<Vec<u32>> = t
            .columns
            .iter()
            .map(|c| match c.kind {
                Kind::Code(_) => rand::seq::index::sample(&mut rng, 90_000, *rows)
                    .into_iter()
                    .map(|i| i as u32 + 10_000)
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let cols: Vec<&str> = std::iter::once(t.key.as_str())
            .chain(t.columns.iter().map(|c| c.name.as_str()))
            .collect();
        let mut values = Vec::with_capacity(*rows);
        for r in 0..*rows {
            let mut v = vec![(r + 1).to_string()];
            for (c, codes) in t.columns.iter().zip(&codes) {
                if c.nullable && rng.random_bool(0.1) {
                    v.push("NULL".into());
                } else {
                    v.push(value(&mut rng, &c.kind, r, codes, &rows_of));
                }
            }
            values.push(format!("({})", v.join(", ")));
        }
        let _ = writeln!(
            s,
            "INSERT INTO {} ({}) VALUES\n{};",
            t.name,
            cols.join(", "),
            values.join(",\n")
        );
    }
    s
}

/// What `synth_databases` does.
#[derive(Debug, Clone)]
pub struct ProceduralOptions {
    pub n: usize,
    pub seed: u64,
    /// The split every database (and its examples) goes to; see `store::seal_split`.
    pub split: String,
    /// Template examples kept per database.
    pub per_db: usize,
    /// Share of databases with names from outside their domain (`plan_with`): a held-out set
    /// that asks a model to copy names it cannot know by heart. Train sets do without (see
    /// `fresh.rs`).
    pub fresh_names: f64,
}

impl Default for ProceduralOptions {
    fn default() -> Self {
        ProceduralOptions {
            n: 10,
            seed: 42,
            split: crate::store::TRAIN.into(),
            per_db: 40,
            fresh_names: 0.0,
        }
    }
}

/// One database's outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DbOutcome {
    pub name: String,
    pub domain: String,
    pub tables: usize,
    pub rows: i64,
    /// `created`, `already present`, or why it was dropped.
    pub status: String,
    pub templates: TemplateStats,
    pub inserted: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProceduralReport {
    pub split: String,
    pub databases: Vec<DbOutcome>,
    pub created: usize,
    pub already_present: usize,
    pub dropped: usize,
    pub examples: usize,
}

impl ProceduralReport {
    pub fn summary(&self) -> String {
        format!(
            "{} procedural databases (split {}): {} created, {} already present, {} dropped; {} examples inserted",
            self.databases.len(),
            self.split,
            self.created,
            self.already_present,
            self.dropped,
            self.examples
        )
    }
}

/// Creates `opts.n` procedural databases in the workspace's database folder, registers each
/// like any other database, and stores template questions over it in `opts.split`. Databases
/// already present (same name) are left alone; one whose templates keep nothing is dropped
/// (it could not be given a split). `each` sees every outcome (progress).
pub fn synth_databases(
    store: &Store,
    opts: &ProceduralOptions,
    mut each: impl FnMut(&DbOutcome),
) -> Result<ProceduralReport> {
    let all = all_domains()?;
    let mut report = ProceduralReport {
        split: opts.split.clone(),
        ..ProceduralReport::default()
    };
    for index in 0..opts.n {
        let plan = plan_with(&all, opts.seed, &opts.split, index, opts.fresh_names);
        let mut out = DbOutcome {
            name: plan.name.clone(),
            domain: plan.domain.clone(),
            tables: plan.tables.len(),
            rows: 0,
            status: String::new(),
            templates: TemplateStats::default(),
            inserted: 0,
        };
        if store.database_by_name(&plan.name).is_ok() {
            out.status = "already present".into();
            report.already_present += 1;
        } else {
            build_one(store, opts, &plan, index, &mut out)?;
            if out.status == "created" {
                report.created += 1;
                report.examples += out.inserted;
            } else {
                report.dropped += 1;
            }
        }
        each(&out);
        report.databases.push(out);
    }
    Ok(report)
}

fn build_one(
    store: &Store,
    opts: &ProceduralOptions,
    plan: &Plan,
    index: usize,
    out: &mut DbOutcome,
) -> Result<()> {
    let dest = store.db_dir().join(format!("{}.sqlite", plan.name));
    let build_err = |msg: String| ProceduralError::Build {
        name: plan.name.clone(),
        path: dest.clone(),
        msg,
    };
    let text = script(
        plan,
        fnv(&format!("rows/{}/{}/{index}", opts.seed, opts.split)),
    );
    out.rows = match materialize(&text, &dest) {
        Ok(n) => n,
        Err(MaterializeError::Io(e)) => return Err(build_err(e)),
        Err(e) => {
            return Err(build_err(format!(
                "the generated script does not build: {e}"
            )))
        }
    };
    let (examples, stats) = templates::generate(
        &dest,
        &plan.name,
        &TemplateOptions {
            seed: opts.seed,
            per_db: opts.per_db,
            split: None,
        },
    )?;
    out.templates = stats;
    if examples.is_empty() {
        let _ = std::fs::remove_file(&dest);
        out.status = "dropped: no template question answers".into();
        return Ok(());
    }
    let schema = introspect_path(&dest, 0).map_err(|e| build_err(e.to_string()))?;
    let db_id = store.upsert_database(&NewDatabase {
        name: plan.name.clone(),
        domain: plan.description.clone(),
        source: SOURCE.into(),
        path: dest.clone(),
        fingerprint: crate::schema::fingerprint(&schema),
    })?;
    let rows: Vec<NewExample> = examples
        .iter()
        .map(|e| NewExample {
            db_id,
            question: e.question.clone(),
            gold_sql: e.sql.clone(),
            evidence: None,
            difficulty: Some(e.difficulty.clone()),
            split: opts.split.clone(),
            source: SOURCE.into(),
            provenance: serde_json::json!({
                "template": e.template,
                "seed": opts.seed,
                "templates_version": templates::TEMPLATES_VERSION,
                "procedural_version": PROCEDURAL_VERSION,
                "domain": plan.domain,
                "fresh_names": plan.style.fresh_names,
            }),
            exchange_id: None,
        })
        .collect();
    out.inserted = store.insert_examples(&rows)?.0;
    out.status = "created".into();
    Ok(())
}
