//! Columns with a closed set of values, typed at the store boundary: each enum mirrors the
//! column's CHECK constraint in `migrations.rs` (or, for `jobs.status`, which has none, the
//! values this module writes), is written and read through `ToSql`/`FromSql`, and serializes as
//! the text stored. A value outside the set read from a file is an error that names the column
//! and the value, never a panic or a silent default.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A value outside a column's set: what was read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?} in {column} (expected one of: {expected})")]
pub struct UnknownValue {
    pub column: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! column_enum {
    (
        $(#[$meta:meta])*
        $name:ident in $column:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// The column (or columns) holding these values, for error messages.
            pub const COLUMN: &'static str = $column;
            /// How many values the column allows.
            pub const COUNT: usize = [$($text),+].len();
            pub const ALL: [$name; $name::COUNT] = [$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
            /// [`Self::parse`], or an error naming the column and the value.
            pub fn parse_column(s: &str) -> Result<$name, UnknownValue> {
                $name::parse(s).ok_or_else(|| UnknownValue {
                    column: $column,
                    value: s.to_string(),
                    expected: [$($text),+].join(", "),
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<$name, UnknownValue> {
                $name::parse_column(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, so width and alignment (`{:<8}`) apply as they do to text.
                f.pad(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = v.as_str()?;
                $name::parse_column(s).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

column_enum! {
    /// How running a candidate's SQL went (`candidates.outcome`).
    #[derive(Default)]
    ExecOutcome in "candidates.outcome" {
        #[default]
        Ok = "ok",
        Error = "error",
        Timeout = "timeout",
        /// Over the row or the size cap (the reason text tells them apart).
        TooManyRows = "too_many_rows",
    }
}

column_enum! {
    /// The judgement of a candidate's SQL (`candidates.verdict`, and `strict_verdict`, the
    /// strict check of the SQL as written, which has the same values).
    #[derive(Default)]
    CandidateVerdict in "candidates.verdict" {
        #[default]
        Correct = "correct",
        Wrong = "wrong",
        /// The gold SQL itself failed: a fault of the data, not of the candidate.
        GoldError = "gold_error",
    }
}

column_enum! {
    /// A pair's review state (`pairs.status`; `pair_events` keep the old and new one).
    #[derive(Default)]
    PairStatus in "pairs.status" {
        #[default]
        Pending = "pending",
        Accepted = "accepted",
        Rejected = "rejected",
        Skipped = "skipped",
        /// Taken back by the tool (a gold correction made its rejected SQL correct); not decidable.
        Withdrawn = "withdrawn",
    }
}

column_enum! {
    /// A training run's state (`runs.status`).
    RunStatus in "runs.status" {
        Running = "running",
        Done = "done",
        Failed = "failed",
        Stopped = "stopped",
    }
}

column_enum! {
    /// A background job's state (`jobs.status`).
    JobStatus in "jobs.status" {
        Running = "running",
        Done = "done",
        Cancelled = "cancelled",
        Failed = "failed",
    }
}

impl CandidateVerdict {
    pub fn is_correct(self) -> bool {
        self == CandidateVerdict::Correct
    }
}

impl JobStatus {
    /// The states a job ends in.
    pub fn is_finished(self) -> bool {
        self != JobStatus::Running
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Each enum's values are exactly those its CHECK constraint allows.
    #[test]
    fn enums_mirror_the_check_constraints_of_the_migrations() {
        let all = crate::store::migrations::MIGRATIONS.join("\n");
        let check = |column: &str| -> Vec<String> {
            // The last CHECK on the column wins (a migration may widen it).
            let at = all
                .rmatch_indices(&format!("CHECK ({column} IN ("))
                .next()
                .map(|(i, m)| i + m.len())
                .unwrap_or_else(|| panic!("no CHECK on {column}"));
            let list = &all[at..at + all[at..].find(')').unwrap()];
            list.split(',')
                .map(|v| v.trim().trim_matches('\'').to_string())
                .collect()
        };
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check("outcome"),
            names(
                &ExecOutcome::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            )
        );
        assert_eq!(
            check("verdict"),
            names(
                &CandidateVerdict::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            )
        );
        let status: Vec<&str> = PairStatus::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(check("status"), names(&status));
        let runs = all.find("CREATE TABLE runs").unwrap();
        let run_check = &all[runs..];
        let at = run_check.find("CHECK (status IN (").unwrap() + "CHECK (status IN (".len();
        let list: Vec<String> = run_check[at..at + run_check[at..].find(')').unwrap()]
            .split(',')
            .map(|v| v.trim().trim_matches('\'').to_string())
            .collect();
        assert_eq!(
            list,
            names(
                &RunStatus::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            )
        );
    }

    #[test]
    fn values_round_trip_as_their_text_and_an_unknown_one_names_its_column() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
        for v in CandidateVerdict::ALL {
            c.execute("INSERT INTO t VALUES (?1)", [v]).unwrap();
        }
        let back: Vec<CandidateVerdict> = c
            .prepare("SELECT v FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, CandidateVerdict::ALL);
        let text: Vec<String> = c
            .prepare("SELECT v FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(text, ["correct", "wrong", "gold_error"]);

        let e = c
            .query_row("SELECT 'maybe'", [], |r| r.get::<_, CandidateVerdict>(0))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("candidates.verdict") && e.contains("\"maybe\""),
            "{e}"
        );
        assert!(c
            .query_row("SELECT 3", [], |r| r.get::<_, JobStatus>(0))
            .is_err());
        assert_eq!(
            "weird".parse::<JobStatus>().unwrap_err().to_string(),
            "unknown value \"weird\" in jobs.status (expected one of: running, done, cancelled, failed)"
        );
        assert_eq!(format!("[{:<8}]", CandidateVerdict::Wrong), "[wrong   ]");
        assert_eq!(
            serde_json::to_string(&ExecOutcome::TooManyRows).unwrap(),
            "\"too_many_rows\""
        );
        assert_eq!(PairStatus::Accepted, "accepted");
    }
}
