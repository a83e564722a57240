//! The compact schema layout (prompt version 2): one line per table,
//! `table(col type, ...)`, keys marked `PK` and foreign keys `-> parent`, and up to
//! `COMPACT_VALUES` sample values only on text columns that are not keys (words, not dates or
//! codes): where the spelling of a value decides a filter. Far fewer tokens than CREATE TABLE
//! text with example rows, so a small model's context holds the schema and training sees more
//! examples per minute.

use super::{Column, DbSchema, Table};

/// Sample values shown per text column (one keeps the sample databases' median prompt under
/// 300 BPE tokens; two cost about 30 more), and the longest one kept (in characters).
pub const COMPACT_VALUES: usize = 1;
const VALUE_CHARS: usize = 24;

/// `name` as written in the compact layout: bare when it is a plain identifier, else in double
/// quotes (doubled inside), as SQL reads it.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A short type: the declared type's first word, lowercased (`VARCHAR(20)` → `varchar`);
/// `INTEGER` → `int`; nothing when undeclared.
fn short_type(ty: &str) -> String {
    let word: String = ty
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    match word.as_str() {
        "integer" => "int".into(),
        _ => word,
    }
}

fn is_text(c: &Column) -> bool {
    let t = c.ty.to_ascii_lowercase();
    t.is_empty() || t.contains("char") || t.contains("text") || t.contains("clob")
}

/// Whether a value is worth its tokens as an example: a word-like category or name, not a
/// date, number or code (those have digits; their shape is in the type already).
fn telling(v: &str) -> bool {
    !v.is_empty()
        && v != "NULL"
        && v.chars().count() <= VALUE_CHARS
        && !v.contains('\n')
        && !v.chars().any(|c| c.is_ascii_digit())
}

/// Distinct telling sample values of column `i` of `t`, SQL-quoted.
fn samples(t: &Table, i: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in &t.sample_rows {
        let Some(v) = row.get(i).filter(|v| telling(v)) else {
            continue;
        };
        let q = format!("'{}'", v.replace('\'', "''"));
        if !out.contains(&q) {
            out.push(q);
        }
        if out.len() == COMPACT_VALUES {
            break;
        }
    }
    out
}

/// One line per table: `name(col type, ...)`. A primary key is `col PK`, a foreign key
/// `col -> parent` (same column name there) or `col -> parent.col`; keys go without their
/// type. Text columns that are not keys show a value: `col text 'a'`.
pub fn serialize_compact(schema: &DbSchema) -> String {
    let mut out = String::new();
    for t in &schema.tables {
        let cols: Vec<String> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut s = ident(&c.name);
                let ty = short_type(&c.ty);
                let key = c.primary_key || c.foreign_key.is_some();
                if !key && !ty.is_empty() {
                    s.push(' ');
                    s.push_str(&ty);
                }
                if c.primary_key {
                    s.push_str(" PK");
                }
                if let Some(fk) = &c.foreign_key {
                    s.push_str(" -> ");
                    s.push_str(&ident(&fk.table));
                    if fk.column != c.name {
                        s.push('.');
                        s.push_str(&ident(&fk.column));
                    }
                } else if !c.primary_key && is_text(c) {
                    for v in samples(t, i) {
                        s.push(' ');
                        s.push_str(&v);
                    }
                }
                s
            })
            .collect();
        out.push_str(&format!("{}({})\n", ident(&t.name), cols.join(", ")));
    }
    out
}
