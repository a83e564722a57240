//! Prompt files: plain text in `prompts/` at the repository root, versioned by file name
//! (`<name>.v<N>.txt`), embedded in the binary, and overridable by a folder holding
//! `<name>.txt` or `<name>.v<N>.txt`. Slots are written `{slot}` and filled by `render`.

use serde::Serialize;
use std::path::Path;

/// (name, version, embedded text) of every prompt.
pub const EMBEDDED: &[(&str, u32, &str)] = &[
    ("domains", 1, include_str!("../../prompts/domains.v1.txt")),
    ("schema", 1, include_str!("../../prompts/schema.v1.txt")),
    (
        "questions",
        1,
        include_str!("../../prompts/questions.v1.txt"),
    ),
    (
        "sample_system",
        1,
        include_str!("../../prompts/sample_system.v1.txt"),
    ),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    pub name: String,
    pub version: u32,
    /// `embedded` or the override file's path.
    pub origin: String,
    pub text: String,
}

impl Prompt {
    /// The text with each `{slot}` replaced.
    pub fn render(&self, slots: &[(&str, &str)]) -> String {
        let mut s = self.text.clone();
        for (k, v) in slots {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }

    /// Recorded with each exchange: which prompt, which version, from where.
    pub fn tag(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name, "version": self.version, "origin": self.origin})
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Prompts {
    pub all: Vec<Prompt>,
}

impl Prompts {
    pub fn embedded() -> Prompts {
        Prompts {
            all: EMBEDDED
                .iter()
                .map(|(n, v, t)| Prompt {
                    name: n.to_string(),
                    version: *v,
                    origin: "embedded".into(),
                    text: t.to_string(),
                })
                .collect(),
        }
    }

    /// The embedded prompts, each replaced by a file in `dir` when one is there.
    pub fn load(dir: Option<&Path>) -> std::io::Result<Prompts> {
        let mut p = Prompts::embedded();
        let Some(dir) = dir else { return Ok(p) };
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("prompt folder {} does not exist", dir.display()),
            ));
        }
        for prompt in &mut p.all {
            for file in [
                format!("{}.txt", prompt.name),
                format!("{}.v{}.txt", prompt.name, prompt.version),
            ] {
                let path = dir.join(&file);
                if path.is_file() {
                    prompt.text = std::fs::read_to_string(&path)?;
                    prompt.origin = path.display().to_string();
                }
            }
        }
        Ok(p)
    }

    pub fn get(&self, name: &str) -> &Prompt {
        // Every name used in the code is in EMBEDDED, so this is found.
        self.all
            .iter()
            .find(|p| p.name == name)
            .unwrap_or(&self.all[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_and_overridden() {
        let p = Prompts::embedded();
        for (name, _, _) in EMBEDDED {
            assert_eq!(&p.get(name).name, name);
        }
        assert!(
            p.get("domains").text.contains("{n}") && p.get("questions").text.contains("{schema}")
        );
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("domains.txt"), "give me {n}").unwrap();
        let o = Prompts::load(Some(d.path())).unwrap();
        assert_eq!(o.get("domains").render(&[("n", "3")]), "give me 3");
        assert!(o.get("domains").origin.ends_with("domains.txt"));
        assert_eq!(o.get("schema").origin, "embedded");
        assert!(Prompts::load(Some(&d.path().join("missing"))).is_err());
    }
}
