//! The curation workbench: browse databases and questions, review preference pairs.
//!
//! Elm shape: [`state::State`] is the model; input becomes an [`state::Action`];
//! [`state::update`] is the only function that changes the state and returns
//! [`state::Effect`]s; [`runtime::Runtime`] performs them (store at once, target-database SQL
//! on a worker thread) and feeds results back as actions; [`view::render`] draws from the state.

pub mod app;
pub mod bench;
pub mod bg;
pub mod jobs_menu;
pub mod keymap;
pub mod model_names;
pub mod playground_save;
pub mod provenance;
pub mod runs_bench;
pub mod runs_jobs;
pub mod runtime;
pub mod screens;
pub mod state;
pub mod theme;
pub mod view;
pub mod widgets;

pub use app::{run, TuiOptions};

#[cfg(test)]
mod playground_tests;
#[cfg(test)]
mod runs_form_tests;
#[cfg(test)]
mod runs_tests;
#[cfg(test)]
mod tests;
