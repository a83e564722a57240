//! Safe execution of untrusted SQL on target databases, and result comparison.

pub mod compare;
pub mod guard;
pub mod open;
pub mod pool;
pub mod run;
pub mod value;

pub use compare::{judge, judge_with_gold, verdict_of, Metric, MetricKind, Reason, Verdict};
pub use open::{has_pending_wal, open_immutable, open_target};
pub use pool::ExecPool;
pub use run::{ExecError, Executor, Limits, QueryResult};
pub use value::Value;
