//! Flag groups that several commands share: how to reach a model (`EndpointArgs`, resolved
//! by `source`) and which examples to work on (`SelectArgs`).

use super::bad;
use crate::source::{Layer, Settings, SourceError};
use crate::store::ExampleFilter;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// How to reach an OpenAI-compatible endpoint (the model is named by each command). Flags
/// win over `--profile`, which wins over the defaults (`source::defaults`).
#[derive(Args, Debug, Clone)]
pub struct EndpointArgs {
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.
    #[arg(long, env = "SENSE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// A named endpoint from the profiles file (endpoint, model, api_key_env, ...).
    #[arg(long)]
    pub profile: Option<String>,
    /// Profiles file (default $SENSE_ENDPOINTS, else ~/.config/sense/endpoints.toml).
    #[arg(long)]
    pub profiles: Option<PathBuf>,
    /// Environment variable holding the API key (the key is never stored) [default: OPENAI_API_KEY].
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Requests in flight at once [default: 8].
    #[arg(long, value_parser = super::flags::count)]
    pub concurrency: Option<usize>,
    /// Seconds allowed for one request [default: 120].
    #[arg(long, value_parser = super::flags::seconds)]
    pub timeout: Option<f64>,
    /// Retries on connection errors, timeouts, 429, 5xx and unparseable replies [default: 4].
    #[arg(long)]
    pub retries: Option<u32>,
    /// Most tokens per completion (for a local checkpoint, at most its context less 2).
    #[arg(long, value_parser = super::flags::count_u32)]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling: keep the most likely tokens up to this probability mass (0..=1).
    #[arg(long, value_parser = super::flags::top_p)]
    pub top_p: Option<f32>,
    /// Sampling seed sent to the server (and to a local checkpoint).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop sequences (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
    /// Folder of prompt files overriding the built-in ones (prompts/<name>.txt).
    #[arg(long)]
    pub prompts: Option<PathBuf>,
}

impl EndpointArgs {
    /// These flags as a settings layer, with the command's model and temperature.
    pub fn layer(&self, model: Option<&str>, temperature: Option<f32>) -> Layer {
        Layer {
            endpoint: self.endpoint.clone(),
            model: model.map(str::to_string),
            api_key_env: self.api_key_env.clone(),
            concurrency: self.concurrency,
            timeout_s: self.timeout,
            retries: self.retries,
            max_tokens: self.max_tokens,
            temperature,
            top_p: self.top_p,
            seed: self.seed,
            stop: (!self.stop.is_empty()).then(|| self.stop.clone()),
        }
    }

    /// The profile named by --profile as a layer (empty when none).
    pub fn profile(&self) -> Result<Layer> {
        match &self.profile {
            Some(name) => crate::llm::profiles::load(name, self.profiles.as_deref())
                .map(Layer::from)
                .map_err(bad),
            None => Ok(Layer::default()),
        }
    }

    /// The model's settings: these flags (and the command's model and temperature) over the
    /// profile, merged once.
    pub fn settings(&self, model: Option<&str>, temperature: Option<f32>) -> Result<Settings> {
        Ok(Settings::new(
            self.layer(model, temperature),
            self.profile()?,
        ))
    }

    pub fn prompt_set(&self) -> Result<crate::llm::prompts::Prompts> {
        crate::llm::prompts::Prompts::load(self.prompts.as_deref()).map_err(|e| bad(e.to_string()))
    }
}

/// A model source's error: a wrong setting is the user's input (exit code 2).
pub fn source_err(e: SourceError) -> anyhow::Error {
    if e.is_setting() {
        bad(e)
    } else {
        e.into()
    }
}

/// Which examples a command works on.
#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// Only examples of this database.
    #[arg(long)]
    pub db: Option<String>,
    #[arg(long)]
    pub split: Option<String>,
    /// Only examples from this source (sample, spider, bird, template, strong, ...).
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub difficulty: Option<String>,
    /// At most this many examples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Allow a held-out split (--split dev) or every split (--split all); train otherwise.
    #[arg(long)]
    pub allow_dev: bool,
}

impl SelectArgs {
    /// The examples selected, on the train split unless a held-out one was asked for.
    pub fn filter(&self) -> Result<ExampleFilter> {
        Ok(ExampleFilter {
            db: self.db.clone(),
            split: crate::store::seal_split(self.split.as_deref(), self.allow_dev).map_err(bad)?,
            source: self.source.clone(),
            difficulty: self.difficulty.clone(),
            limit: self.limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{strong_cmd::StrongArgs, synth_cmd::SynthCmd};
    use super::super::{Cli, Command};
    use crate::source::{defaults, ModelSource, Settings, Target};
    use clap::Parser;

    fn parse(args: &[&str]) -> Command {
        let cli = Cli::try_parse_from(std::iter::once("sense").chain(args.iter().copied()));
        cli.unwrap().command.unwrap()
    }

    /// `sense sample ARGS` as the command line resolves it.
    fn sample(args: &[&str]) -> Settings {
        let args: Vec<&str> = std::iter::once("sample")
            .chain(args.iter().copied())
            .collect();
        let Command::Sample(a) = parse(&args) else {
            panic!("{args:?}")
        };
        a.endpoint.settings(a.model.as_deref(), None).unwrap()
    }

    /// `sense synth domains ARGS` as the command line resolves it.
    fn strong(args: &[&str]) -> Settings {
        let args: Vec<&str> = ["synth", "domains"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let Command::Synth {
            what: SynthCmd::Domains { strong, .. },
        } = parse(&args)
        else {
            panic!("{args:?}")
        };
        let StrongArgs {
            model,
            temperature,
            endpoint,
            ..
        } = strong;
        endpoint.settings(model.as_deref(), temperature).unwrap()
    }

    /// The same settings for every use: the endpoint (or folder), weak sampling's parameters
    /// and strong synthesis' parameters.
    fn assert_alike(cli: &Settings, tui: &Settings) {
        assert_eq!(cli.target().unwrap(), tui.target().unwrap());
        assert_eq!(cli.sample_params(), tui.sample_params());
        for cap in [
            defaults::STRONG_DOMAINS_MAX_TOKENS,
            defaults::STRONG_MAX_TOKENS,
        ] {
            assert_eq!(cli.strong_params(cap), tui.strong_params(cap));
        }
    }

    #[test]
    fn the_command_line_and_the_workbench_resolve_the_same_endpoint_settings() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("endpoints.toml");
        std::fs::write(
            &file,
            "[full]\nendpoint = \"http://127.0.0.1:9/v1\"\nmodel = \"served\"\n\
             api_key_env = \"VLLM_KEY\"\nconcurrency = 3\ntimeout_s = 30\nretries = 1\n\
             max_tokens = 64\ntemperature = 0.2\ntop_p = 0.9\n\
             [bare]\nendpoint = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        for name in ["full", "bare"] {
            let tui = ModelSource::Profile(name.into())
                .settings(Some(&file))
                .unwrap();
            let flags = ["--profile", name, "--profiles", f];
            assert_alike(&sample(&flags), &tui);
            assert_alike(&strong(&flags), &tui);
        }

        // A profile's settings reach the endpoint and both kinds of sampling.
        let full = sample(&["--profile", "full", "--profiles", f]);
        let Target::Endpoint(c) = full.target().unwrap() else {
            panic!("an endpoint")
        };
        assert_eq!(
            (c.api_key_env.as_str(), c.concurrency, c.max_retries),
            ("VLLM_KEY", 3, 1)
        );
        assert_eq!(c.timeout, std::time::Duration::from_secs(30));
        assert_eq!(full.strong_params(8192).temperature, Some(0.2));
        assert_eq!(full.sample_params().max_tokens, Some(64));

        // Where neither says, both take the named defaults (retries 4 on both sides).
        let url = "http://127.0.0.1:9/v1";
        let typed = ModelSource::Endpoint {
            url: url.into(),
            model: "m".into(),
        }
        .settings(None)
        .unwrap();
        let flags = ["--endpoint", url, "--model", "m"];
        assert_alike(&sample(&flags), &typed);
        assert_alike(&strong(&flags), &typed);
        let Target::Endpoint(c) = typed.target().unwrap() else {
            panic!("an endpoint")
        };
        assert_eq!(c.max_retries, defaults::RETRIES);
        assert_eq!(c.concurrency, defaults::CONCURRENCY);
        assert_eq!(
            typed.sample_params().max_tokens,
            Some(defaults::SAMPLE_MAX_TOKENS)
        );
        assert_eq!(
            typed.strong_params(defaults::STRONG_MAX_TOKENS).temperature,
            Some(defaults::STRONG_TEMPERATURE)
        );

        // A checkpoint folder is a checkpoint on both sides, with no settings of its own.
        let ck = d.path().join("ckpt");
        std::fs::create_dir(&ck).unwrap();
        let tui = ModelSource::Checkpoint(ck.clone()).settings(None).unwrap();
        assert_alike(&sample(&["--model", ck.to_str().unwrap()]), &tui);
        assert_eq!(tui.target().unwrap(), Target::Checkpoint(ck));
    }

    #[test]
    fn flags_win_over_the_profile_on_the_command_line() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("endpoints.toml");
        std::fs::write(
            &file,
            "[p]\nendpoint = \"http://127.0.0.1:9/v1\"\nmodel = \"served\"\nretries = 1\n\
             temperature = 0.2\nmax_tokens = 64\n",
        )
        .unwrap();
        let s = strong(&[
            "--profile",
            "p",
            "--profiles",
            file.to_str().unwrap(),
            "--model",
            "other",
            "--retries",
            "6",
            "--temperature",
            "0.9",
        ]);
        let Target::Endpoint(c) = s.target().unwrap() else {
            panic!("an endpoint")
        };
        assert_eq!((c.model.as_str(), c.max_retries), ("other", 6));
        let p = s.strong_params(defaults::STRONG_MAX_TOKENS);
        assert_eq!((p.temperature, p.max_tokens), (Some(0.9), Some(64)));
    }
}
