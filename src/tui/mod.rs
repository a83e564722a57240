//! The curation workbench: browse databases and questions, review preference pairs.
//!
//! Elm shape: [`state::State`] is the model, composed of each screen's own state; input
//! becomes an [`msg::Action`]; [`state::update`] is the only function that changes the state:
//! it dispatches to the screen (or overlay) concerned, which updates its own state given a
//! [`ctx::Ctx`] of the app around it, and returns [`msg::Effect`]s; [`runtime::Runtime`]
//! performs them (store at once, target-database SQL on a worker thread) and feeds results
//! back as actions; [`view::render`] draws from the state.
//!
//! Layers, each using only those below it: `theme`, `keymap`, `widgets`, `runs_jobs`,
//! `playground_save` → `msg` (messages), `model_names`, `ctx` → `screens`, `jobs_menu`,
//! `provenance` (components) → `state` → `view`, `bg`, `runtime` → `app`.

pub mod app;
pub mod bench;
pub mod bg;
pub mod ctx;
pub mod jobs_menu;
pub mod keymap;
pub mod model_names;
pub mod msg;
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
