//! Making data: the weak pipeline (candidates → verdicts → pairs) and, later, strong and
//! template synthesis.

pub mod weak;
