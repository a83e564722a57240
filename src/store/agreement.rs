//! Agreement between annotators who decided the same pairs: counts per annotator, raw
//! agreement and Cohen's kappa per pair of annotators, from the decision history.

use super::{Result, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Each annotator's latest standing decision per pair (undone decisions do not count).
const LATEST: &str = "SELECT e.pair_id, e.annotator, e.new_status FROM pair_events e
    WHERE e.undone = 0 AND e.action IN ('accepted','rejected','skipped')
      AND e.id = (SELECT max(x.id) FROM pair_events x
                  WHERE x.pair_id = e.pair_id AND x.annotator = e.annotator AND x.undone = 0
                    AND x.action IN ('accepted','rejected','skipped'))";

/// Pairs on which annotators' standing decisions differ (SQL for a `pairs.id IN (...)` filter).
pub(super) const CONFLICT_IDS: &str = "SELECT pair_id FROM (
    SELECT e.pair_id, e.annotator, e.new_status FROM pair_events e
    WHERE e.undone = 0 AND e.action IN ('accepted','rejected','skipped')
      AND e.id = (SELECT max(x.id) FROM pair_events x
                  WHERE x.pair_id = e.pair_id AND x.annotator = e.annotator AND x.undone = 0
                    AND x.action IN ('accepted','rejected','skipped')))
    GROUP BY pair_id HAVING count(DISTINCT new_status) > 1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    /// Pairs both decided.
    pub n: usize,
    pub agree: usize,
    pub raw: Option<f64>,
    /// Cohen's kappa; None when undefined (no shared pairs, or chance agreement is total).
    pub kappa: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// Decisions standing per annotator.
    pub decisions: BTreeMap<String, usize>,
    /// Pairs decided by two annotators or more, and how many of them disagree.
    pub shared_pairs: usize,
    pub conflicts: usize,
    pub pairs: Vec<PairAgreement>,
}

/// Cohen's kappa of two label sequences of equal length.
pub fn cohen_kappa(a: &[&str], b: &[&str]) -> Option<f64> {
    let n = a.len();
    if n == 0 || n != b.len() {
        return None;
    }
    let po = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n as f64;
    let labels: BTreeSet<&str> = a.iter().chain(b).copied().collect();
    let pe: f64 = labels
        .iter()
        .map(|l| {
            let pa = a.iter().filter(|x| *x == l).count() as f64 / n as f64;
            let pb = b.iter().filter(|x| *x == l).count() as f64 / n as f64;
            pa * pb
        })
        .sum();
    if (1.0 - pe).abs() < 1e-12 {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

impl Store {
    /// Who made each pair's standing decision (the latest one not undone).
    pub fn deciders(&self) -> Result<std::collections::HashMap<i64, String>> {
        let mut st = self.conn.prepare(
            "SELECT e.pair_id, e.annotator FROM pair_events e
             WHERE e.undone = 0 AND e.action IN ('accepted','rejected','skipped')
               AND e.id = (SELECT max(x.id) FROM pair_events x WHERE x.pair_id = e.pair_id
                           AND x.undone = 0 AND x.action IN ('accepted','rejected','skipped'))",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn agreement(&self) -> Result<Agreement> {
        let mut st = self.conn.prepare(LATEST)?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        // pair -> annotator -> status
        let mut by_pair: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
        let mut decisions: BTreeMap<String, usize> = BTreeMap::new();
        for row in rows {
            let (pair, who, status) = row?;
            let who = if who.is_empty() {
                "unknown".to_string()
            } else {
                who
            };
            *decisions.entry(who.clone()).or_default() += 1;
            by_pair.entry(pair).or_default().insert(who, status);
        }
        let shared: Vec<&BTreeMap<String, String>> =
            by_pair.values().filter(|m| m.len() > 1).collect();
        let conflicts = shared
            .iter()
            .filter(|m| m.values().collect::<BTreeSet<_>>().len() > 1)
            .count();
        let names: Vec<&String> = decisions.keys().collect();
        let mut pairs = Vec::new();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let (mut la, mut lb) = (Vec::new(), Vec::new());
                for m in by_pair.values() {
                    if let (Some(x), Some(y)) = (m.get(*a), m.get(*b)) {
                        la.push(x.as_str());
                        lb.push(y.as_str());
                    }
                }
                let agree = la.iter().zip(&lb).filter(|(x, y)| x == y).count();
                pairs.push(PairAgreement {
                    a: a.to_string(),
                    b: b.to_string(),
                    n: la.len(),
                    agree,
                    raw: (!la.is_empty()).then(|| agree as f64 / la.len() as f64),
                    kappa: cohen_kappa(&la, &lb),
                });
            }
        }
        Ok(Agreement {
            decisions,
            shared_pairs: shared.len(),
            conflicts,
            pairs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_the_textbook_example() {
        // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → po 0.7, pe 0.5, kappa 0.4.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, n) in [
            ("y", "y", 20),
            ("y", "n", 5),
            ("n", "y", 10),
            ("n", "n", 15),
        ] {
            for _ in 0..n {
                a.push(x);
                b.push(y);
            }
        }
        let k = cohen_kappa(&a, &b).unwrap();
        assert!((k - 0.4).abs() < 1e-9, "{k}");
        assert_eq!(
            cohen_kappa(&["y", "y"], &["y", "y"]),
            None,
            "chance agreement is total"
        );
        assert_eq!(cohen_kappa(&[], &[]), None);
    }
}
