//! Making data: the weak pipeline (candidates → verdicts → pairs) and, later, strong and
//! template synthesis.

pub mod generator;
pub mod weak;
pub mod templates;
pub mod sample;
pub mod strong;
