//! The model source: which model, with which settings, opened as a generator. Every front end
//! (`sense sample`, `sense synth`, `sense serve`, the workbench's jobs and Playground) comes
//! through here, so a setting cannot mean one thing on the command line and another in the
//! workbench.
//!
//! Settings are resolved as trippy's `cfg_layer` does: one `Layer` of optional fields per source
//! of settings (command-line flags, an endpoints profile), merged once flag over profile, and
//! read through the named constants of `defaults`. A model that names a folder is a local
//! checkpoint; anything else is served at an OpenAI-compatible endpoint.

mod layer;
mod open;

pub use layer::{defaults, Layer, Settings, SourceError, Target};
pub use open::{available, load_options, local_generator, local_generator_with, OpenOptions};

use std::path::{Path, PathBuf};

/// A model as the workbench names it: picked from a list or typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A local checkpoint folder.
    Checkpoint(PathBuf),
    /// A named endpoint profile (endpoints.toml).
    Profile(String),
    /// An OpenAI-compatible endpoint and a model served there.
    Endpoint { url: String, model: String },
}

impl ModelSource {
    /// Reads what was typed: `http(s)://HOST/v1 MODEL`, `profile:NAME` (or `@NAME`), else a
    /// checkpoint folder.
    pub fn parse(text: &str) -> Result<ModelSource, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("type a checkpoint folder, `URL MODEL` or `profile:NAME`".into());
        }
        if t.starts_with("http://") || t.starts_with("https://") {
            let mut parts = t.split_whitespace();
            let url = parts.next().unwrap_or_default().to_string();
            return match parts.next() {
                Some(model) => Ok(ModelSource::Endpoint {
                    url,
                    model: model.to_string(),
                }),
                None => Err("an endpoint needs a model: `URL MODEL`".into()),
            };
        }
        if let Some(name) = t.strip_prefix("profile:").or_else(|| t.strip_prefix('@')) {
            return Ok(ModelSource::Profile(name.trim().to_string()));
        }
        Ok(ModelSource::Checkpoint(PathBuf::from(t)))
    }

    pub fn label(&self) -> String {
        match self {
            ModelSource::Checkpoint(p) => format!("checkpoint {}", p.display()),
            ModelSource::Profile(n) => format!("profile {n}"),
            ModelSource::Endpoint { url, model } => format!("{model} @ {url}"),
        }
    }

    /// The prompt layout the model reads: a checkpoint's recorded one, else (an endpoint) the
    /// CREATE TABLE layout. Reads the checkpoint's config, not its weights.
    pub fn prompt_format(&self) -> crate::schema::PromptFormat {
        match self {
            ModelSource::Checkpoint(p) => crate::train::checkpoint::prompt_format_of(p),
            _ => crate::schema::PromptFormat::Create,
        }
    }

    /// The text that `parse` reads back.
    pub fn text(&self) -> String {
        match self {
            ModelSource::Checkpoint(p) => p.display().to_string(),
            ModelSource::Profile(n) => format!("profile:{n}"),
            ModelSource::Endpoint { url, model } => format!("{url} {model}"),
        }
    }

    /// The settings of this source, as the command line would resolve them: a profile is
    /// `--profile NAME` (read from `profiles`, else the default file), an endpoint is
    /// `--endpoint URL --model MODEL`, a checkpoint is `--model DIR`.
    pub fn settings(&self, profiles: Option<&Path>) -> Result<Settings, SourceError> {
        match self {
            ModelSource::Checkpoint(dir) => Ok(Settings::checkpoint(dir)),
            ModelSource::Profile(name) => {
                let p = crate::llm::profiles::load(name, profiles).map_err(SourceError::Profile)?;
                // Listed profiles have both; a typed name may not.
                for (what, has) in [
                    ("endpoint", p.endpoint.is_some()),
                    ("model", p.model.is_some()),
                ] {
                    if !has {
                        return Err(SourceError::ProfileLacks {
                            name: name.clone(),
                            what,
                        });
                    }
                }
                Ok(Settings::new(Layer::default(), Layer::from(p)))
            }
            ModelSource::Endpoint { url, model } => Ok(Settings::new(
                Layer {
                    endpoint: Some(url.clone()),
                    model: Some(model.clone()),
                    ..Layer::default()
                },
                Layer::default(),
            )),
        }
    }
}
