//! Result values with SQLite's types, compared the way the official Python evaluators compare them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A hashable, canonical form of a value: Python's `1 == 1.0` and `hash(1) == hash(1.0)`, so an
/// integral real becomes an integer; text never equals a number; NULL equals NULL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Null,
    Int(i64),
    /// Non-integral reals by bit pattern (SQLite never yields NaN; -0.0 is folded into Int(0)).
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn key(&self) -> Key {
        match self {
            Value::Null => Key::Null,
            Value::Integer(i) => Key::Int(*i),
            Value::Real(f) => {
                if f.fract() == 0.0
                    && *f >= -9.223_372_036_854_776e18
                    && *f < 9.223_372_036_854_776e18
                {
                    Key::Int(*f as i64)
                } else {
                    Key::Real(f.to_bits())
                }
            }
            Value::Text(s) => Key::Text(s.clone()),
            Value::Blob(b) => Key::Blob(b.clone()),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }

    /// Approximate bytes held, for result-size limits.
    pub fn size(&self) -> usize {
        match self {
            Value::Text(s) => s.len() + 8,
            Value::Blob(b) => b.len() + 8,
            _ => 8,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl From<rusqlite::types::ValueRef<'_>> for Value {
    fn from(v: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => {
                if r.fract() == 0.0 && r.abs() < 1e15 {
                    write!(f, "{r:.1}")
                } else {
                    write!(f, "{r}")
                }
            }
            Value::Text(s) => f.write_str(s),
            Value::Blob(b) => write!(f, "<blob {} bytes>", b.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_equality() {
        assert_eq!(Value::Integer(1), Value::Real(1.0));
        assert_ne!(Value::Text("1".into()), Value::Integer(1));
        assert_eq!(Value::Null, Value::Null);
        assert_ne!(Value::Real(1.5), Value::Integer(1));
        assert_eq!(Value::Real(-0.0), Value::Integer(0));
        assert_ne!(Value::Text("a".into()), Value::Text("A".into()));
        assert_ne!(Value::Blob(b"a".to_vec()), Value::Text("a".into()));
    }
}
