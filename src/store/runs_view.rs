//! Reads for the workbench's Runs screen: the latest value of a metric for every run, and how
//! many rows a training data filter selects. Cheap queries on the metrics primary key.

use super::{Result, Store};
use rusqlite::{params, OptionalExtension};

/// A training data filter as the run form builds it (see `train::config::DataConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFilter {
    pub split: Option<String>,
    pub source: Option<String>,
    pub db: Option<String>,
    /// DPO pairs: accepted, pending or all; `None` counts SFT examples.
    pub pairs: Option<String>,
}

impl Store {
    /// The last logged value of metric `name` of a run (one index probe, however long the run).
    pub fn last_metric(&self, run_id: i64, name: &str) -> Result<Option<(i64, f64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT step, value FROM metrics WHERE run_id = ?1 AND name = ?2
             ORDER BY step DESC LIMIT 1",
        )?;
        Ok(st
            .query_row(params![run_id, name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Metric names of a run by skipping through the primary key (not a scan of every point).
    pub fn metric_names_quick(&self, run_id: i64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "WITH RECURSIVE n(name) AS (
                 SELECT (SELECT min(name) FROM metrics WHERE run_id = ?1)
                 UNION ALL
                 SELECT (SELECT min(name) FROM metrics WHERE run_id = ?1 AND name > n.name)
                 FROM n WHERE n.name IS NOT NULL)
             SELECT name FROM n WHERE name IS NOT NULL",
        )?;
        let rows = st.query_map(params![run_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many examples (SFT) or pairs (DPO) a data filter selects.
    pub fn count_training_rows(&self, f: &DataFilter) -> Result<i64> {
        let statuses: &[&str] = match f.pairs.as_deref() {
            None => &[],
            Some("pending") => &["pending"],
            Some("all") => &["accepted", "pending"],
            Some(_) => &["accepted"],
        };
        let (from, status_clause) = if f.pairs.is_some() {
            (
                "pairs p JOIN examples e ON e.id = p.example_id JOIN databases d ON d.id = e.db_id",
                format!(
                    " AND p.status IN ({})",
                    statuses
                        .iter()
                        .map(|s| format!("'{s}'"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            )
        } else {
            (
                "examples e JOIN databases d ON d.id = e.db_id",
                String::new(),
            )
        };
        let sql = format!(
            "SELECT count(*) FROM {from}
             WHERE (?1 IS NULL OR e.split = ?1) AND (?2 IS NULL OR e.source = ?2)
               AND (?3 IS NULL OR d.name = ?3){status_clause}"
        );
        Ok(self
            .conn
            .query_row(&sql, params![f.split, f.source, f.db], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewRun;

    #[test]
    fn last_metric_per_run_and_filter_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ws.db")).unwrap();
        let run = |kind: &str| {
            store
                .create_run(&NewRun {
                    kind: kind.into(),
                    parent: None,
                    config: serde_json::json!({}),
                    total_steps: 10,
                    pid: None,
                })
                .unwrap()
        };
        let (a, b) = (run("sft"), run("sft"));
        store
            .log_metrics(a, 2, &[(1, "loss", 3.0), (2, "loss", 2.5)])
            .unwrap();
        store.log_metrics(b, 1, &[(1, "loss", 4.0)]).unwrap();
        assert_eq!(store.last_metric(a, "loss").unwrap(), Some((2, 2.5)));
        assert_eq!(store.last_metric(b, "loss").unwrap(), Some((1, 4.0)));
        assert_eq!(store.last_metric(b, "lr").unwrap(), None);
        store
            .log_metrics(a, 3, &[(3, "lr", 0.1), (3, "a/b", 1.0)])
            .unwrap();
        assert_eq!(
            store.metric_names_quick(a).unwrap(),
            store.metric_names(a).unwrap()
        );
        assert!(store.metric_names_quick(99).unwrap().is_empty());
        assert_eq!(
            store.count_training_rows(&DataFilter::default()).unwrap(),
            0
        );
        let dpo = DataFilter {
            pairs: Some("all".into()),
            ..DataFilter::default()
        };
        assert_eq!(store.count_training_rows(&dpo).unwrap(), 0);
    }
}
