//! Stage 1: new domains, from the model or a file, kept in a domains file beside the workspace.

use super::reply::{domain_name, json_array};
use super::{Domain, StageReport, Strong, StrongError};
use crate::atomic::write_atomic;
use crate::llm::prompts::Prompts;
use crate::store::Store;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where stage 1 leaves its domains by default: beside the workspace.
pub fn default_domains_file(store: &Store) -> PathBuf {
    let stem = store
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sense".into());
    store.path().with_file_name(format!("{stem}_domains.json"))
}

/// Reads a domains file: a JSON array of `{"name", "description"}` or of strings, or one
/// domain per line (`name: description`).
pub fn read_domains(path: &Path) -> Result<Vec<Domain>, StrongError> {
    let text = std::fs::read_to_string(path).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })?;
    let items = match json_array(&text) {
        Some(a) => a,
        None => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| serde_json::Value::String(l.to_string()))
            .collect(),
    };
    Ok(items.iter().filter_map(parse_domain).collect())
}

fn parse_domain(v: &serde_json::Value) -> Option<Domain> {
    match v {
        serde_json::Value::String(s) => {
            let (n, d) = s.split_once(':').unwrap_or((s, ""));
            let n = n.trim_start_matches(['-', '*', ' ']);
            Some(Domain {
                name: n.trim().into(),
                description: d.trim().into(),
            })
        }
        serde_json::Value::Object(o) => {
            let name = o
                .get("name")
                .or_else(|| o.get("domain"))
                .and_then(|x| x.as_str())?;
            let description = o
                .get("description")
                .and_then(|x| x.as_str())
                .unwrap_or_default();
            Some(Domain {
                name: name.into(),
                description: description.into(),
            })
        }
        _ => None,
    }
}

pub fn write_domains(path: &Path, domains: &[Domain]) -> Result<(), StrongError> {
    let text = serde_json::to_string_pretty(domains).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes()).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })
}

/// Names and domains already in the workspace (lower-case), to be avoided.
fn taken(store: &Store) -> Result<BTreeSet<String>, StrongError> {
    let mut t = BTreeSet::new();
    for d in store.databases()? {
        t.insert(d.name.to_ascii_lowercase());
        if let Some(n) = domain_name(&d.domain) {
            t.insert(n);
        }
    }
    Ok(t)
}

pub fn domains_prompt(prompts: &Prompts, n: usize, avoid: &[String]) -> String {
    let avoid = if avoid.is_empty() {
        "(none yet)".to_string()
    } else {
        avoid
            .iter()
            .map(|a| format!("- {a}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    prompts
        .get("domains")
        .render(&[("n", &n.to_string()), ("avoid", &avoid)])
}

/// Keeps proposed domains that are new: valid names, not in the workspace, not in `existing`,
/// not repeated. Returns them with the stage report.
pub fn filter_domains(
    store: &Store,
    proposed: Vec<Domain>,
    existing: &[Domain],
    report: &mut StageReport,
) -> Result<Vec<Domain>, StrongError> {
    let taken = taken(store)?;
    let mut seen: BTreeSet<String> = existing
        .iter()
        .filter_map(|d| domain_name(&d.name))
        .collect();
    let mut kept = Vec::new();
    for d in proposed {
        report.proposed += 1;
        let Some(name) = domain_name(&d.name) else {
            report.drop("invalid name");
            continue;
        };
        if taken.contains(&name) {
            report.drop("already in the workspace");
        } else if !seen.insert(name.clone()) {
            report.drop("duplicate");
        } else {
            report.kept += 1;
            report.items.push(name.clone());
            kept.push(Domain {
                name,
                description: d.description,
            });
        }
    }
    Ok(kept)
}

/// Stage 1: asks for `n` new domains (or takes them from `from`), and appends the new ones to
/// the domains file `out`.
pub fn synth_domains(
    store: &Store,
    strong: Option<&Strong>,
    n: usize,
    from: Option<&Path>,
    out: &Path,
) -> Result<(Vec<Domain>, StageReport), StrongError> {
    let mut report = StageReport::new("domains");
    let existing = if out.is_file() {
        read_domains(out)?
    } else {
        Vec::new()
    };
    let proposed = match (from, strong) {
        (Some(f), _) => read_domains(f)?,
        (None, Some(s)) => {
            let mut avoid: Vec<String> = taken(store)?.into_iter().collect();
            avoid.extend(existing.iter().map(|d| d.name.clone()));
            let prompt = s.prompts.get("domains").clone();
            let req = s.request("domains", domains_prompt(&s.prompts, n, &avoid));
            let replies = s.call(store, &prompt, vec![req], &mut report)?;
            match replies.into_iter().next().flatten() {
                Some((text, _)) => match json_array(&text) {
                    Some(items) => items.iter().filter_map(parse_domain).collect(),
                    None => {
                        report.drop("unparseable reply");
                        Vec::new()
                    }
                },
                None => Vec::new(),
            }
        }
        (None, None) => {
            return Err(StrongError::Runtime(
                "domains need a model or a file".into(),
            ))
        }
    };
    let mut kept = filter_domains(store, proposed, &existing, &mut report)?;
    // A model may answer with more than it was asked for: keep the first `n`.
    if from.is_none() && kept.len() > n {
        let extra = kept.len() - n;
        kept.truncate(n);
        report.items.truncate(n);
        report.kept = kept.len();
        *report
            .dropped
            .entry(format!("beyond the {n} asked for"))
            .or_default() += extra;
    }
    let mut all = existing;
    all.extend(kept.iter().cloned());
    write_domains(out, &all)?;
    Ok((kept, report))
}
