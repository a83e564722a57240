//! The one serialization of (schema, question) into a prompt, and of gold SQL into the
//! completion that follows it. Training, sampling, evaluation, serving and export all call
//! `prompt_for` and `completion_text`, so a model sees the same text everywhere.

use super::DbSchema;
use serde::{Deserialize, Serialize};

/// Bumped whenever the text layout changes, so checkpoints can tell what they were trained on.
/// The version of the CREATE TABLE layout (`PromptFormat::Create`).
pub const PROMPT_VERSION: u32 = 1;
/// The version of the compact layout (`PromptFormat::Compact`).
pub const COMPACT_PROMPT_VERSION: u32 = 2;
/// The version of the linked layout (`PromptFormat::Linked`).
pub const LINKED_PROMPT_VERSION: u32 = 3;

/// How the schema is laid out in a prompt. `Create` (version 1) is the CREATE TABLE text that
/// models trained elsewhere know; `Compact` (version 2) is one line per table; `Linked`
/// (version 3) is the compact layout with a `-- Links:` line after the question naming the
/// tables and columns the question mentions (`linking.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PromptFormat {
    #[default]
    Create,
    Compact,
    Linked,
}

impl PromptFormat {
    pub fn version(self) -> u32 {
        match self {
            PromptFormat::Create => PROMPT_VERSION,
            PromptFormat::Compact => COMPACT_PROMPT_VERSION,
            PromptFormat::Linked => LINKED_PROMPT_VERSION,
        }
    }

    /// The format of a prompt version a checkpoint records; `None` for one this sense does
    /// not know.
    pub fn from_version(v: u32) -> Option<PromptFormat> {
        match v {
            PROMPT_VERSION => Some(PromptFormat::Create),
            COMPACT_PROMPT_VERSION => Some(PromptFormat::Compact),
            LINKED_PROMPT_VERSION => Some(PromptFormat::Linked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptOptions {
    pub sample_rows: usize,
    #[serde(default)]
    pub format: PromptFormat,
}

impl Default for PromptOptions {
    fn default() -> Self {
        PromptOptions {
            sample_rows: 3,
            format: PromptFormat::Create,
        }
    }
}

impl PromptOptions {
    /// The options of a prompt format (the same sample rows for both).
    pub fn of(format: PromptFormat) -> Self {
        PromptOptions {
            format,
            ..PromptOptions::default()
        }
    }
}

/// CREATE TABLE statements with keys, then up to `sample_rows` rows of each table as a comment.
pub fn serialize_schema(schema: &DbSchema, opts: PromptOptions) -> String {
    let mut out = String::new();
    for t in &schema.tables {
        out.push_str(&format!("CREATE TABLE {} (\n", t.name));
        let pks: Vec<&str> = t
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str())
            .collect();
        let mut lines: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                if c.ty.is_empty() {
                    format!("  {}", c.name)
                } else {
                    format!("  {} {}", c.name, c.ty)
                }
            })
            .collect();
        if !pks.is_empty() {
            lines.push(format!("  PRIMARY KEY ({})", pks.join(", ")));
        }
        for c in &t.columns {
            if let Some(fk) = &c.foreign_key {
                lines.push(format!(
                    "  FOREIGN KEY ({}) REFERENCES {}({})",
                    c.name, fk.table, fk.column
                ));
            }
        }
        out.push_str(&lines.join(",\n"));
        out.push_str("\n);\n");
        let rows: Vec<&Vec<String>> = t.sample_rows.iter().take(opts.sample_rows).collect();
        if !rows.is_empty() {
            out.push_str(&format!("/* {} example rows:\n", rows.len()));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|v| clip(v, 40)).collect();
                out.push_str(&cells.join(" | "));
                out.push('\n');
            }
            out.push_str("*/\n");
        }
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() <= n {
        s
    } else {
        let mut c: String = s.chars().take(n).collect();
        c.push('…');
        c
    }
}

/// The prompt for a question; the completion that follows is the SQL, ended by `;` and a newline.
pub fn prompt_for(
    schema: &DbSchema,
    question: &str,
    evidence: Option<&str>,
    opts: PromptOptions,
) -> String {
    let mut out = String::from(SCHEMA_HEADER);
    match opts.format {
        PromptFormat::Create => out.push_str(&serialize_schema(schema, opts)),
        PromptFormat::Compact | PromptFormat::Linked => {
            out.push_str(&super::compact::serialize_compact(schema))
        }
    }
    if let Some(ev) = evidence.filter(|e| !e.trim().is_empty()) {
        out.push_str(&format!("-- External knowledge: {}\n", ev.trim()));
    }
    out.push_str(&format!("-- Question: {}\n", question.trim()));
    if opts.format == PromptFormat::Linked {
        out.push_str(&super::linking::links_line(schema, question));
    }
    out.push_str("-- SQL:\n");
    out
}

const SCHEMA_HEADER: &str = "-- SQLite database schema:\n";

/// The schema part of a prompt `prompt_for` wrote (wherever it sits in a longer text, such as
/// a system message joined before it): from after the header to the external knowledge or
/// question line. None for text that is not such a prompt.
pub fn schema_section(prompt: &str) -> Option<&str> {
    let start = prompt.find(SCHEMA_HEADER)? + SCHEMA_HEADER.len();
    let rest = &prompt[start..];
    let end = ["-- External knowledge: ", "-- Question: "]
        .iter()
        .filter_map(|m| {
            if rest.starts_with(m) {
                Some(0)
            } else {
                rest.find(&format!("\n{m}")).map(|i| i + 1)
            }
        })
        .min()?;
    Some(&rest[..end])
}

/// A prompt `prompt_for` wrote, split after its schema: (header and schema, the rest from the
/// external knowledge or question line). Every question over one database shares the first
/// part, which shared-prefix packing computes once. None for text that is not such a prompt.
pub fn split_prompt(prompt: &str) -> Option<(&str, &str)> {
    let schema = schema_section(prompt)?;
    let end = schema.as_ptr() as usize - prompt.as_ptr() as usize + schema.len();
    Some(prompt.split_at(end))
}

/// The completion a model learns for a gold query: the SQL, `;`, a newline, then end-of-text.
pub fn completion_text(sql: &str) -> String {
    let s = sql.trim().trim_end_matches(';').trim_end();
    format!("{s};\n")
}
