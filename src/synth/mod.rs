//! Making data: the weak pipeline (candidates → verdicts → pairs) and, later, strong and
//! template synthesis.

pub mod failure;
pub mod gold;
pub mod materialize;
pub mod procedural;
pub mod sample;
pub mod strong;
pub mod templates;
pub mod verdict;
pub mod weak;
