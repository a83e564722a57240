//! A dataset card beside every export: what the file holds (counts by split, database, failure
//! class, source or model), where it came from, and the command that made it.

use super::DatasetError;
use crate::atomic::write_atomic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Marks a card sense wrote, so a README.md of the user's is never overwritten.
const MARK: &str = "<!-- written by sense export; rewritten by the next export here -->";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    /// "dpo" or "sft".
    pub kind: String,
    pub records: usize,
    pub by_split: BTreeMap<String, usize>,
    pub by_db: BTreeMap<String, usize>,
    pub by_class: BTreeMap<String, usize>,
    pub by_source: BTreeMap<String, usize>,
    pub command: String,
    /// Characters of each record's prompt and (longest) completion.
    pub prompt_chars: Vec<usize>,
}

impl Card {
    /// (median, 95th percentile, max) record length in characters.
    pub fn length_stats(&self) -> Option<(usize, usize, usize)> {
        let mut v = self.prompt_chars.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.95), v[v.len() - 1]))
    }

    /// Records longer than `max` characters.
    pub fn longer_than(&self, max: usize) -> usize {
        self.prompt_chars.iter().filter(|n| **n > max).count()
    }

    pub fn new(kind: &str, command: &str) -> Card {
        Card {
            kind: kind.into(),
            command: command.into(),
            ..Default::default()
        }
    }

    /// Counts one record.
    pub fn add(&mut self, split: &str, db: &str, class: Option<&str>, source: &str) {
        self.records += 1;
        *self.by_split.entry(split.into()).or_default() += 1;
        *self.by_db.entry(db.into()).or_default() += 1;
        if let Some(c) = class.filter(|c| !c.is_empty()) {
            *self.by_class.entry(c.into()).or_default() += 1;
        }
        *self.by_source.entry(source.into()).or_default() += 1;
    }

    pub fn markdown(&self, file: &str) -> String {
        let table = |title: &str, m: &BTreeMap<String, usize>| -> String {
            if m.is_empty() {
                return String::new();
            }
            let mut s = format!("\n## {title}\n\n| | records |\n| --- | ---: |\n");
            for (k, n) in m {
                s.push_str(&format!("| {k} | {n} |\n"));
            }
            s
        };
        let what = match self.kind.as_str() {
            "dpo" => "preference pairs (TRL: prompt, chosen, rejected); chosen = the gold SQL, rejected = a weak model's SQL judged wrong by execution and reviewed",
            _ => "supervised examples (TRL: prompt, completion); completions are gold SQL checked by execution",
        };
        let splits: Vec<&str> = self.by_split.keys().map(String::as_str).collect();
        let lengths = self
            .length_stats()
            .map(|(m, p, x)| {
                format!("\nRecord length (prompt and completion, characters): median {m}, 95th percentile {p}, max {x}.\n")
            })
            .unwrap_or_default();
        format!(
            "---\nlicense: other\ntask_categories:\n- text-generation\ntags:\n- text-to-sql\n- sense\nconfigs:\n- config_name: default\n  data_files: {file}\n---\n{MARK}\n\n# {file}\n\n{} {what}.\n\nSplits in the file: {}. Held-out (dev) data is exported only when asked for (`--allow-dev`).\n{lengths}{}{}{}{}\n## Made by\n\n```sh\n{}\n```\n",
            self.records,
            if splits.is_empty() { "none".to_string() } else { splits.join(", ") },
            table("By split", &self.by_split),
            table("By database", &self.by_db),
            table("By failure class of the rejected SQL", &self.by_class),
            table(
                if self.kind == "dpo" { "By model that wrote the rejected SQL" } else { "By source" },
                &self.by_source
            ),
            self.command
        )
    }
}

/// Writes the card beside `out`: README.md, unless a README.md sense did not write is there;
/// then `<file>.README.md`. Returns where it went.
pub fn write_card(out: &Path, card: &Card) -> Result<PathBuf, DatasetError> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let readme = dir.join("README.md");
    let ours = match std::fs::read_to_string(&readme) {
        Ok(text) => text.contains(MARK),
        Err(_) => !readme.exists(),
    };
    let path = if ours {
        readme
    } else {
        dir.join(format!("{file}.README.md"))
    };
    write_atomic(&path, card.markdown(&file).as_bytes())
        .map_err(|e| DatasetError::file(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_readme_is_never_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("pairs.jsonl");
        let mut card = Card::new("dpo", "sense export dpo pairs.jsonl");
        card.add("train", "shop", Some("join"), "weak");
        card.add("train", "shop", Some("join"), "weak");
        let p = write_card(&out, &card).unwrap();
        assert_eq!(p, d.path().join("README.md"));
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("---\nlicense:"), "{text}");
        assert!(text.contains("| join | 2 |") && text.contains("sense export dpo pairs.jsonl"));
        // Ours: rewritten in place.
        assert_eq!(write_card(&out, &card).unwrap(), p);
        std::fs::write(&p, "# my notes\n").unwrap();
        let p2 = write_card(&out, &card).unwrap();
        assert_eq!(p2, d.path().join("pairs.jsonl.README.md"));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "# my notes\n");
    }
}
