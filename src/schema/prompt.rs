//! The one serialization of (schema, question) into a prompt. Training, sampling, evaluation,
//! serving and export all call `prompt_for`, so a model sees the same text everywhere.

use super::DbSchema;
use serde::{Deserialize, Serialize};

/// Bumped whenever the text layout changes, so checkpoints can tell what they were trained on.
pub const PROMPT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptOptions {
    pub sample_rows: usize,
}

impl Default for PromptOptions {
    fn default() -> Self {
        PromptOptions { sample_rows: 3 }
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
    let mut out = String::from("-- SQLite database schema:\n");
    out.push_str(&serialize_schema(schema, opts));
    if let Some(ev) = evidence.filter(|e| !e.trim().is_empty()) {
        out.push_str(&format!("-- External knowledge: {}\n", ev.trim()));
    }
    out.push_str(&format!("-- Question: {}\n-- SQL:\n", question.trim()));
    out
}
