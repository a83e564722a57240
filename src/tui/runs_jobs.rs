//! The Runs screen's background requests, answered by `jobs::runs` (UI-free, tested there):
//! named here as the screens know them.

pub use crate::jobs::pid_alive;
pub use crate::jobs::runs::{perform, Poll, Polled, Reply, Request, RunInfo, SeriesKey, LOG_LINES};
