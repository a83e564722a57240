//! Layers of model settings and their merge: flag over profile over `defaults`.

use crate::llm::profiles::Profile;
use crate::llm::{EndpointConfig, SamplingParams};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The value of each setting that neither a flag nor a profile gives.
pub mod defaults {
    pub use crate::llm::{
        DEFAULT_API_KEY_ENV as API_KEY_ENV, DEFAULT_CONCURRENCY as CONCURRENCY,
        DEFAULT_RETRIES as RETRIES, DEFAULT_TIMEOUT_S as TIMEOUT_S,
    };
    /// The completion cap of weak sampling from an endpoint (a checkpoint's is its generator's
    /// own, 256 tokens within its context, so that small contexts keep prompt room).
    pub const SAMPLE_MAX_TOKENS: u32 = 512;
    /// Strong synthesis' temperature.
    pub const STRONG_TEMPERATURE: f32 = 0.7;
    /// Strong synthesis' completion cap for the domains stage (a short list) and for the
    /// schema and question stages.
    pub const STRONG_DOMAINS_MAX_TOKENS: u32 = 2048;
    pub const STRONG_MAX_TOKENS: u32 = 8192;
    /// Where a local checkpoint runs.
    pub const DEVICE: &str = "cpu";
    /// The longest time one request may be given, in seconds (a day; more overflows deadlines).
    pub const MAX_TIMEOUT_S: f64 = 86_400.0;
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("--model NAME is needed (or a --profile with a model)")]
    NoModel,
    #[error("model '{0}' is not a checkpoint folder, so --endpoint URL (or --profile) is needed")]
    NoEndpoint(String),
    /// Reading the profiles file, or a name it does not have (the message names the file).
    #[error("{0}")]
    Profile(String),
    #[error("profile '{name}' has no {what}")]
    ProfileLacks { name: String, what: &'static str },
    #[error("profile timeout_s: {0} is out of range: above 0 and at most 86400 seconds")]
    Timeout(f64),
    #[error("no checkpoint folder {}", .0.display())]
    NoCheckpoint(PathBuf),
    #[error("strong synthesis needs an endpoint model, not the local checkpoint {}", .0.display())]
    NotEndpoint(PathBuf),
    /// A checkpoint that cannot be loaded, or cannot honour a setting.
    #[error(transparent)]
    Checkpoint(crate::llm::generator::GenError),
    #[error(transparent)]
    Gen(#[from] crate::llm::generator::GenError),
    #[error(transparent)]
    Llm(#[from] crate::llm::LlmError),
    #[error(transparent)]
    Strong(#[from] crate::synth::strong::StrongError),
}

impl SourceError {
    /// Whether the settings given are wrong (the user's input), rather than a model or server
    /// failing.
    pub fn is_setting(&self) -> bool {
        !matches!(
            self,
            SourceError::Gen(_) | SourceError::Llm(_) | SourceError::Strong(_)
        )
    }
}

/// One layer of model settings (the command line's flags, a profile): an unset field is left
/// to the layer below, and `defaults` lie under every layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout_s: Option<f64>,
    pub retries: Option<u32>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<Vec<String>>,
}

impl From<Profile> for Layer {
    fn from(p: Profile) -> Layer {
        Layer {
            endpoint: p.endpoint,
            model: p.model,
            api_key_env: p.api_key_env,
            concurrency: p.concurrency,
            timeout_s: p.timeout_s,
            retries: p.retries,
            max_tokens: p.max_tokens,
            temperature: p.temperature,
            top_p: p.top_p,
            seed: None,
            stop: None,
        }
    }
}

impl Layer {
    /// `self` laid over `below`: each setting from the first of the two that has it.
    pub fn over(self, below: Layer) -> Layer {
        Layer {
            endpoint: self.endpoint.or(below.endpoint),
            model: self.model.or(below.model),
            api_key_env: self.api_key_env.or(below.api_key_env),
            concurrency: self.concurrency.or(below.concurrency),
            timeout_s: self.timeout_s.or(below.timeout_s),
            retries: self.retries.or(below.retries),
            max_tokens: self.max_tokens.or(below.max_tokens),
            temperature: self.temperature.or(below.temperature),
            top_p: self.top_p.or(below.top_p),
            seed: self.seed.or(below.seed),
            stop: self.stop.or(below.stop),
        }
    }
}

/// Where the model runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Checkpoint(PathBuf),
    Endpoint(EndpointConfig),
}

/// A model's settings, merged once from its layers; read through `defaults`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    layer: Layer,
    /// Named as a checkpoint (the workbench's list), whether or not the folder exists yet.
    checkpoint: Option<PathBuf>,
}

impl Settings {
    /// Flags over a profile (an empty layer where there is none).
    pub fn new(flags: Layer, profile: Layer) -> Settings {
        Settings {
            layer: flags.over(profile),
            checkpoint: None,
        }
    }

    /// A checkpoint folder with no other settings.
    pub fn checkpoint(dir: &Path) -> Settings {
        Settings {
            layer: Layer {
                model: Some(dir.display().to_string()),
                ..Layer::default()
            },
            checkpoint: Some(dir.to_path_buf()),
        }
    }

    /// The merged layer, defaults not applied.
    pub fn layer(&self) -> &Layer {
        &self.layer
    }

    pub fn model(&self) -> Result<&str, SourceError> {
        self.layer.model.as_deref().ok_or(SourceError::NoModel)
    }

    /// Whether the model is a local checkpoint: named as one, or an existing folder.
    pub fn is_local(&self) -> bool {
        self.checkpoint.is_some()
            || self
                .layer
                .model
                .as_deref()
                .is_some_and(|m| Path::new(m).is_dir())
    }

    /// The checkpoint folder, or the endpoint with its settings.
    pub fn target(&self) -> Result<Target, SourceError> {
        if let Some(dir) = &self.checkpoint {
            return Ok(Target::Checkpoint(dir.clone()));
        }
        let model = self.model()?;
        if self.is_local() {
            return Ok(Target::Checkpoint(PathBuf::from(model)));
        }
        self.endpoint_config(model).map(Target::Endpoint)
    }

    fn endpoint_config(&self, model: &str) -> Result<EndpointConfig, SourceError> {
        let l = &self.layer;
        let url = l
            .endpoint
            .as_deref()
            .ok_or_else(|| SourceError::NoEndpoint(model.to_string()))?;
        let mut c = EndpointConfig::new(url, model);
        c.api_key_env = l
            .api_key_env
            .clone()
            .unwrap_or_else(|| defaults::API_KEY_ENV.into());
        c.concurrency = l.concurrency.unwrap_or(defaults::CONCURRENCY).max(1);
        // A flag's timeout was checked when parsed; a profile's is checked here, never clamped.
        let secs = l.timeout_s.unwrap_or(defaults::TIMEOUT_S);
        if !(secs.is_finite() && secs > 0.0 && secs <= defaults::MAX_TIMEOUT_S) {
            return Err(SourceError::Timeout(secs));
        }
        c.timeout = Duration::from_secs_f64(secs);
        c.max_retries = l.retries.unwrap_or(defaults::RETRIES);
        Ok(c)
    }

    /// Sampling parameters as layered: the temperature (a command's own temperature, given
    /// with each call, wins over it), top-p, completion cap, stop sequences and seed.
    pub fn params(&self) -> SamplingParams {
        let l = &self.layer;
        SamplingParams {
            temperature: l.temperature,
            top_p: l.top_p,
            max_tokens: l.max_tokens,
            stop: l.stop.clone().unwrap_or_default(),
            seed: l.seed,
            ..Default::default()
        }
    }

    /// Weak sampling's parameters: an endpoint's completion cap defaults to
    /// `SAMPLE_MAX_TOKENS`; a checkpoint keeps its generator's own.
    pub fn sample_params(&self) -> SamplingParams {
        let mut p = self.params();
        if !self.is_local() {
            p.max_tokens = p.max_tokens.or(Some(defaults::SAMPLE_MAX_TOKENS));
        }
        p
    }

    /// Strong synthesis' parameters for a stage whose completion cap defaults to
    /// `default_max_tokens`.
    pub fn strong_params(&self, default_max_tokens: u32) -> SamplingParams {
        let mut p = self.params();
        p.temperature = p.temperature.or(Some(defaults::STRONG_TEMPERATURE));
        p.max_tokens = p.max_tokens.or(Some(default_max_tokens));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Layer {
        Layer {
            endpoint: Some("http://127.0.0.1:9/v1".into()),
            model: Some("served".into()),
            concurrency: Some(3),
            timeout_s: Some(30.0),
            retries: Some(1),
            max_tokens: Some(64),
            temperature: Some(0.3),
            ..Layer::default()
        }
    }

    #[test]
    fn a_flag_wins_over_the_profile_which_wins_over_the_defaults() {
        let flags = Layer {
            model: Some("flagged".into()),
            retries: Some(7),
            stop: Some(vec![";".into()]),
            ..Layer::default()
        };
        let s = Settings::new(flags, profile());
        let Target::Endpoint(c) = s.target().unwrap() else {
            panic!("an endpoint")
        };
        assert_eq!(
            (c.model.as_str(), c.base_url.as_str()),
            ("flagged", "http://127.0.0.1:9/v1")
        );
        assert_eq!((c.max_retries, c.concurrency), (7, 3));
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.api_key_env, defaults::API_KEY_ENV);
        let p = s.sample_params();
        assert_eq!((p.max_tokens, p.temperature), (Some(64), Some(0.3)));
        assert_eq!(p.stop, vec![";".to_string()]);

        let bare = Settings::new(
            Layer {
                endpoint: Some("http://x/v1".into()),
                model: Some("m".into()),
                ..Layer::default()
            },
            Layer::default(),
        );
        let Target::Endpoint(c) = bare.target().unwrap() else {
            panic!("an endpoint")
        };
        assert_eq!(c, EndpointConfig::new("http://x/v1", "m"));
        assert_eq!(c.max_retries, defaults::RETRIES);
        assert_eq!(
            bare.sample_params().max_tokens,
            Some(defaults::SAMPLE_MAX_TOKENS)
        );
        let strong = bare.strong_params(defaults::STRONG_MAX_TOKENS);
        assert_eq!(
            (strong.temperature, strong.max_tokens),
            (
                Some(defaults::STRONG_TEMPERATURE),
                Some(defaults::STRONG_MAX_TOKENS)
            )
        );
    }

    #[test]
    fn a_folder_is_a_checkpoint_and_a_bad_setting_is_named() {
        let d = tempfile::tempdir().unwrap();
        let s = Settings::new(
            Layer {
                model: Some(d.path().display().to_string()),
                ..Layer::default()
            },
            Layer::default(),
        );
        assert_eq!(
            s.target().unwrap(),
            Target::Checkpoint(d.path().to_path_buf())
        );
        assert_eq!(
            s.sample_params().max_tokens,
            None,
            "the checkpoint's own cap"
        );
        let err = |l: Layer| Settings::new(l, Layer::default()).target().unwrap_err();
        assert!(matches!(err(Layer::default()), SourceError::NoModel));
        let e = err(Layer {
            model: Some("weak".into()),
            ..Layer::default()
        });
        assert_eq!(
            e.to_string(),
            "model 'weak' is not a checkpoint folder, so --endpoint URL (or --profile) is needed"
        );
        assert!(e.is_setting());
        for bad in [0.0, -1.0, f64::NAN, 1e9] {
            let e = Settings::new(
                Layer::default(),
                Layer {
                    timeout_s: Some(bad),
                    ..profile()
                },
            )
            .target()
            .unwrap_err();
            assert!(
                e.to_string().starts_with("profile timeout_s: ") && e.is_setting(),
                "{e}"
            );
        }
    }
}
