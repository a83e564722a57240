//! Held-out data stays held out: every path that writes examples or trains defaults to the
//! train split and touches any other split (dev, test, ...) only when the user asks for it.

use super::{Result, Store, StoreError};
use std::collections::BTreeMap;

pub const TRAIN: &str = "train";

/// The split a write or train path may use. `None` asked = train; `"all"` = every split
/// (returned as `None`); a held-out split or `"all"` needs `allow_held_out`.
pub fn seal_split(asked: Option<&str>, allow_held_out: bool) -> Result<Option<String>> {
    let asked = asked.map(str::trim).filter(|s| !s.is_empty());
    match asked {
        None | Some(TRAIN) => Ok(Some(TRAIN.to_string())),
        Some(other) if !allow_held_out => Err(StoreError::HeldOut(if other == "all" {
            "every split (dev included)".into()
        } else {
            format!("split '{other}'")
        })),
        Some("all") => Ok(None),
        Some(other) => Ok(Some(other.to_string())),
    }
}

impl Store {
    /// Each database's split (see `DatabaseRow::split`).
    pub fn database_splits(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .databases()?
            .into_iter()
            .map(|d| (d.name, d.split))
            .collect())
    }

    /// One database's split (see `database_splits`).
    pub fn database_split(&self, db: &str) -> Result<String> {
        Ok(self.database_by_name(db)?.split)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_by_default_and_held_out_only_when_asked() {
        assert_eq!(seal_split(None, false).unwrap().as_deref(), Some("train"));
        assert_eq!(
            seal_split(Some("train"), false).unwrap().as_deref(),
            Some("train")
        );
        let e = seal_split(Some("dev"), false).unwrap_err().to_string();
        assert!(
            e.contains("split 'dev'") && e.contains("--allow-dev"),
            "{e}"
        );
        assert!(seal_split(Some("all"), false).is_err());
        assert_eq!(
            seal_split(Some("dev"), true).unwrap().as_deref(),
            Some("dev")
        );
        assert_eq!(seal_split(Some("all"), true).unwrap(), None);
    }
}
