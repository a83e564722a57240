//! All integration tests in one binary: one link instead of one per file keeps `cargo test` fast.

mod bin;
mod chat_template;
mod cli_eval;
mod crash_import;
mod curation_cli;
mod export_hf;
mod export_roundtrip;
#[allow(dead_code)]
mod fake;
mod hardening;
mod import;
mod layout;
mod llm_client;
mod prompt_compact;
mod read_only;
mod recipe;
mod run_killed;
mod sample_dbs;
mod serve;
mod spider_originals;
mod synth_cli;
mod synth_local;
mod synth_procedural;
mod synth_sample;
mod synth_strong;
mod synth_templates;
mod tmux;
mod train_bpe;
mod train_generate;
mod train_hf;
mod train_model;
mod train_runs;
mod tui_e2e;
mod tui_review_e2e;
mod tui_runs_e2e;
