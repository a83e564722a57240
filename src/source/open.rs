//! Opening resolved settings: a generator (endpoint or local checkpoint) or a strong model, and
//! the list of sources the workbench offers.

use super::layer::{defaults, Settings, SourceError, Target};
use super::ModelSource;
use crate::llm::generator::{GenError, SqlGenerator};
use crate::llm::prompts::Prompts;
use crate::llm::{profiles, Client, EndpointGenerator, SamplingParams};
use crate::store::Store;
use crate::synth::strong::Strong;
use crate::train::local::LocalGenerator;
use std::path::{Path, PathBuf};

/// How a generator is opened beyond its settings.
pub struct OpenOptions {
    /// Device of a local checkpoint (cpu, cuda).
    pub device: String,
    /// System message sent before each endpoint prompt.
    pub system: Option<String>,
    /// Where an endpoint's exchanges are recorded.
    pub store: Option<Store>,
    /// k requests per prompt instead of one with `n = k` (servers without `n`).
    pub separate_requests: bool,
    /// Let a local checkpoint spell any identifier (`train::schema_bound` is on by default).
    pub free_decoding: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            device: defaults::DEVICE.into(),
            system: None,
            store: None,
            separate_requests: false,
            free_decoding: false,
        }
    }
}

impl OpenOptions {
    /// As the workbench opens a model (its jobs and Playground alike): on the CPU, the prompt
    /// alone (as `sense sample` sends it by default and as sense's models were trained), each
    /// endpoint exchange recorded in the workspace `ws`.
    pub fn workbench(ws: &Path) -> OpenOptions {
        OpenOptions {
            system: None,
            store: Store::open(ws).ok(),
            ..OpenOptions::default()
        }
    }
}

impl Settings {
    /// The generator of weak sampling, the Playground and `serve`: the same settings reach a
    /// local checkpoint and an endpoint (`sample_params`).
    pub fn open(&self, o: OpenOptions) -> Result<Box<dyn SqlGenerator>, SourceError> {
        let params = self.sample_params();
        match self.target()? {
            Target::Checkpoint(dir) => {
                if !dir.is_dir() {
                    return Err(SourceError::NoCheckpoint(dir));
                }
                let mut g = local_generator_with(&dir, &o.device, &params)
                    .map_err(SourceError::Checkpoint)?;
                // A system message reaches a checkpoint as it reaches an endpoint.
                g.set_system(o.system);
                g.set_schema_bound(!o.free_decoding);
                Ok(g)
            }
            Target::Endpoint(cfg) => {
                let mut g = EndpointGenerator::new(cfg, params, o.system, o.store)?;
                g.separate_requests = o.separate_requests;
                Ok(Box::new(g))
            }
        }
    }

    /// The strong model of an endpoint source for a stage whose completion cap defaults to
    /// `default_max_tokens`; a local checkpoint is refused.
    pub fn open_strong(
        &self,
        default_max_tokens: u32,
        prompts: Prompts,
    ) -> Result<Strong, SourceError> {
        match self.target()? {
            Target::Checkpoint(dir) => Err(SourceError::NotEndpoint(dir)),
            Target::Endpoint(cfg) => Ok(Strong::new(
                Client::new(cfg)?,
                self.strong_params(default_max_tokens),
                prompts,
            )?),
        }
    }
}

/// How checkpoints load in this process: `SENSE_HF_CONTEXT` as the user set it (checked only
/// when a Hugging Face folder is loaded). Read here, at the settings layer: `train` never reads
/// the environment.
pub fn load_options() -> crate::train::checkpoint::LoadOptions {
    crate::train::checkpoint::LoadOptions {
        hf_context: std::env::var(crate::train::hf::CONTEXT_ENV).ok(),
    }
}

/// A local checkpoint folder as a generator with its own defaults and `seed`; what the user
/// should be told about it comes back in `SqlGenerator::warning`.
pub fn local_generator(
    dir: &Path,
    device: &str,
    seed: u64,
) -> Result<Box<dyn SqlGenerator>, GenError> {
    LocalGenerator::load_with(dir, device, seed, &load_options())
        .map(|g| Box::new(g) as Box<dyn SqlGenerator>)
        .map_err(|e| GenError(format!("loading checkpoint {}: {e:#}", dir.display())))
}

/// A local checkpoint as a weak-sampling generator with the settings an endpoint would get:
/// `params`' top_p, max_tokens, seed and stop (seed 0 when unset; the temperature and k come
/// with each call). A setting the checkpoint cannot honour (e.g. more tokens than its context)
/// is an error.
pub fn local_generator_with(
    dir: &Path,
    device: &str,
    params: &SamplingParams,
) -> Result<Box<dyn SqlGenerator>, GenError> {
    let seed = params.seed.unwrap_or(0);
    let mut g = LocalGenerator::load_with(dir, device, seed, &load_options())
        .map_err(|e| GenError(format!("loading checkpoint {}: {e:#}", dir.display())))?;
    g.apply(params).map_err(|e| GenError(format!("{e:#}")))?;
    Ok(Box::new(g))
}

/// The sources the workbench offers: checkpoints of the workspace's runs (newest first,
/// existing folders only) and the endpoint profiles of the profiles file ($SENSE_ENDPOINTS or
/// ~/.config/sense/endpoints.toml).
pub fn available(store: &Store) -> Vec<ModelSource> {
    let base = store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Ok(runs) = store.runs() {
        for r in runs.iter().rev() {
            let Some(c) = r.checkpoint.as_deref().filter(|c| !c.is_empty()) else {
                continue;
            };
            let p = PathBuf::from(c);
            let p = if p.is_relative() && base.join(&p).is_dir() {
                base.join(p)
            } else {
                p
            };
            let src = ModelSource::Checkpoint(p.clone());
            if p.is_dir() && !out.contains(&src) {
                out.push(src);
            }
        }
    }
    // The profiles file is the user's: unit tests (snapshots) must not depend on it.
    let path = if cfg!(test) {
        None
    } else {
        profiles::default_path()
    };
    if let Some(path) = path {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(all) = profiles::parse(&text) {
                for (name, p) in all {
                    if p.endpoint.is_some() && p.model.is_some() {
                        out.push(ModelSource::Profile(name));
                    }
                }
            }
        }
    }
    out
}
