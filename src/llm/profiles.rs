//! Endpoint profiles: named endpoints in a TOML file, so `--profile NAME` can stand for
//! `--endpoint URL --model NAME ...`. The file is `$SENSE_ENDPOINTS`, else
//! `$XDG_CONFIG_HOME/sense/endpoints.toml` (or `~/.config/sense/endpoints.toml`):
//!
//! ```toml
//! [vllm]
//! endpoint = "http://127.0.0.1:8000/v1"
//! model = "Qwen/Qwen2.5-Coder-7B-Instruct"
//! api_key_env = "VLLM_KEY"    # the name of a variable, never a key
//! concurrency = 32
//! timeout_s = 120
//! ```
//!
//! Flags given on the command line win over the profile.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout_s: Option<f64>,
    pub retries: Option<u32>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
}

/// Where profiles are read from when no file is named.
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SENSE_ENDPOINTS") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("sense").join("endpoints.toml"))
}

pub fn parse(text: &str) -> Result<BTreeMap<String, Profile>, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// The profile `name` from `path` (or the default file). Errors name the file.
pub fn load(name: &str, path: Option<&Path>) -> Result<Profile, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => default_path().ok_or("no profile file: set SENSE_ENDPOINTS or HOME")?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("endpoint profiles {}: {e}", path.display()))?;
    let all = parse(&text).map_err(|e| format!("endpoint profiles {}: {e}", path.display()))?;
    all.get(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = all.keys().map(String::as_str).collect();
        format!(
            "endpoint profiles {}: no profile '{name}' (known: {})",
            path.display(),
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let p = parse(
            "[a]\nendpoint = \"http://x/v1\"\nmodel = \"m\"\nconcurrency = 3\n[b]\nmodel = \"n\"\n",
        )
        .unwrap();
        assert_eq!(p["a"].concurrency, Some(3));
        assert_eq!(p["b"].model.as_deref(), Some("n"));
        assert!(
            parse("[a]\napi_key = \"sk-...\"\n").is_err(),
            "keys themselves are not accepted"
        );
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("e.toml");
        std::fs::write(&f, "[a]\nmodel = \"m\"\n").unwrap();
        assert_eq!(load("a", Some(&f)).unwrap().model.as_deref(), Some("m"));
        assert!(load("zz", Some(&f)).unwrap_err().contains("known: a"));
    }
}
