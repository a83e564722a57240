//! Result comparison with the official evaluators' semantics.
//!
//! `spider` follows the test-suite evaluator's `result_eq`: multiset of rows (ordered list when
//! the gold SQL has ORDER BY), the prediction may permute its columns consistently, two empty
//! results are equal. `bird` follows BIRD's `set(pred) == set(gold)` with column order kept.

use super::run::{ExecError, Executor, QueryResult};
use super::value::{Key, Value};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    #[default]
    Spider,
    Bird,
}

impl std::str::FromStr for MetricKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "spider" => Ok(MetricKind::Spider),
            "bird" => Ok(MetricKind::Bird),
            _ => Err(format!("unknown metric '{s}' (expected spider or bird)")),
        }
    }
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Spider => "spider",
            MetricKind::Bird => "bird",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    pub kind: MetricKind,
    /// Spider's evaluator strips DISTINCT from both queries by default.
    pub keep_distinct: bool,
}

impl Metric {
    pub fn spider() -> Self {
        Metric {
            kind: MetricKind::Spider,
            keep_distinct: false,
        }
    }
    pub fn bird() -> Self {
        Metric {
            kind: MetricKind::Bird,
            keep_distinct: true,
        }
    }
    pub fn of(kind: MetricKind) -> Self {
        match kind {
            MetricKind::Spider => Self::spider(),
            MetricKind::Bird => Self::bird(),
        }
    }

    /// The text actually executed for a query under this metric.
    pub fn prepare(&self, sql: &str) -> String {
        let first = crate::sqltext::first_statement(sql);
        if self.kind == MetricKind::Spider && !self.keep_distinct {
            crate::sqltext::remove_distinct(first)
        } else {
            first.to_string()
        }
    }
}

/// Why a prediction is not counted as correct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    Error { message: String },
    Timeout,
    TooManyRows,
    TooLarge,
    ColumnCount { gold: usize, pred: usize },
    RowCount { gold: usize, pred: usize },
    ValuesDiffer,
    OrderDiffers,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Error { message } => write!(f, "error: {message}"),
            Reason::Timeout => f.write_str("timeout"),
            Reason::TooManyRows => f.write_str("too many rows"),
            Reason::TooLarge => f.write_str("result too large"),
            Reason::ColumnCount { gold, pred } => {
                write!(f, "column count differs: gold {gold}, predicted {pred}")
            }
            Reason::RowCount { gold, pred } => {
                write!(f, "row count differs: gold {gold}, predicted {pred}")
            }
            Reason::ValuesDiffer => f.write_str("values differ"),
            Reason::OrderDiffers => f.write_str("same rows, order differs"),
        }
    }
}

impl Reason {
    pub fn from_exec(e: &ExecError) -> Reason {
        match e {
            ExecError::Timeout(_) | ExecError::Interrupted => Reason::Timeout,
            ExecError::TooManyRows(_) => Reason::TooManyRows,
            ExecError::TooLarge(_) => Reason::TooLarge,
            other => Reason::Error {
                message: other.to_string(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Correct,
    Wrong {
        reason: Reason,
    },
    /// The gold query itself failed: a fault of the data, not of the prediction.
    GoldError {
        message: String,
    },
}

impl Verdict {
    pub fn is_correct(&self) -> bool {
        matches!(self, Verdict::Correct)
    }
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Correct => "correct",
            Verdict::Wrong { .. } => "wrong",
            Verdict::GoldError { .. } => "gold_error",
        }
    }
    pub fn reason_text(&self) -> String {
        match self {
            Verdict::Correct => "results match".into(),
            Verdict::Wrong { reason } => reason.to_string(),
            Verdict::GoldError { message } => format!("gold SQL failed: {message}"),
        }
    }
}

/// Compares a predicted result with the gold result.
pub fn compare(
    metric: Metric,
    gold_sql: &str,
    gold: &QueryResult,
    pred: &QueryResult,
) -> Result<(), Reason> {
    match metric.kind {
        MetricKind::Spider => spider_eq(
            &gold.rows,
            &pred.rows,
            crate::sqltext::has_order_by(gold_sql),
        ),
        MetricKind::Bird => bird_eq(&gold.rows, &pred.rows),
    }
}

/// Runs a gold and a predicted query and judges them.
pub fn judge(ex: &Executor, metric: Metric, gold_sql: &str, pred_sql: &str) -> Verdict {
    let gold = ex.run(&metric.prepare(gold_sql));
    judge_with_gold(ex, metric, gold_sql, &gold, pred_sql).0
}

/// Judges a prediction against an already computed gold result (evaluation caches it).
/// Also returns the prediction's own run, for display and storage.
pub fn judge_with_gold(
    ex: &Executor,
    metric: Metric,
    gold_sql: &str,
    gold: &Result<QueryResult, ExecError>,
    pred_sql: &str,
) -> (Verdict, Result<QueryResult, ExecError>) {
    let pred = ex.run(&metric.prepare(pred_sql));
    let verdict = verdict_of(metric, gold_sql, gold, &pred);
    (verdict, pred)
}

pub fn verdict_of(
    metric: Metric,
    gold_sql: &str,
    gold: &Result<QueryResult, ExecError>,
    pred: &Result<QueryResult, ExecError>,
) -> Verdict {
    let gold = match gold {
        Ok(g) => g,
        Err(e) => {
            return Verdict::GoldError {
                message: e.to_string(),
            }
        }
    };
    match pred {
        Err(e) => Verdict::Wrong {
            reason: Reason::from_exec(e),
        },
        Ok(p) => match compare(metric, gold_sql, gold, p) {
            Ok(()) => Verdict::Correct,
            Err(reason) => Verdict::Wrong { reason },
        },
    }
}

fn keys(row: &[Value]) -> Vec<Key> {
    row.iter().map(Value::key).collect()
}

/// Spider test-suite `result_eq(gold, pred, order_matters)`.
pub fn spider_eq(
    gold: &[Vec<Value>],
    pred: &[Vec<Value>],
    order_matters: bool,
) -> Result<(), Reason> {
    if gold.is_empty() && pred.is_empty() {
        return Ok(());
    }
    if gold.len() != pred.len() {
        return Err(Reason::RowCount {
            gold: gold.len(),
            pred: pred.len(),
        });
    }
    let ncol = gold[0].len();
    if pred[0].len() != ncol {
        return Err(Reason::ColumnCount {
            gold: ncol,
            pred: pred[0].len(),
        });
    }
    let g: Vec<Vec<Key>> = gold.iter().map(|r| keys(r)).collect();
    let p: Vec<Vec<Key>> = pred.iter().map(|r| keys(r)).collect();

    // Quick rejection: each row as a sorted bag of values must match (as a set, or in order).
    let unorder = |rows: &[Vec<Key>]| -> Vec<Vec<Key>> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                r.sort();
                r
            })
            .collect()
    };
    let (ug, up) = (unorder(&g), unorder(&p));
    let unordered_same = {
        let sg: HashSet<&Vec<Key>> = ug.iter().collect();
        let sp: HashSet<&Vec<Key>> = up.iter().collect();
        sg == sp
    };
    if !unordered_same {
        return Err(Reason::ValuesDiffer);
    }
    if order_matters && ug != up {
        // The same bags of values exist; order is what differs if a permutation matches as a multiset.
        return Err(if find_perm(&g, &p, false).is_some() {
            Reason::OrderDiffers
        } else {
            Reason::ValuesDiffer
        });
    }
    if find_perm(&g, &p, order_matters).is_some() {
        Ok(())
    } else if order_matters && find_perm(&g, &p, false).is_some() {
        Err(Reason::OrderDiffers)
    } else {
        Err(Reason::ValuesDiffer)
    }
}

/// Finds a column permutation of `pred` that makes it equal to `gold` (as a list or multiset).
fn find_perm(gold: &[Vec<Key>], pred: &[Vec<Key>], ordered: bool) -> Option<Vec<usize>> {
    let ncol = gold[0].len();
    let col_sets: Vec<HashSet<&Key>> = (0..ncol)
        .map(|c| gold.iter().map(|r| &r[c]).collect())
        .collect();
    // Candidate pred columns for each gold column: every pred value must occur in the gold
    // column (a necessary condition for any valid permutation, so pruning loses nothing).
    let allowed: Vec<Vec<usize>> = (0..ncol)
        .map(|gc| {
            (0..ncol)
                .filter(|&pc| pred.iter().all(|r| col_sets[gc].contains(&r[pc])))
                .collect()
        })
        .collect();
    let gold_bag = if ordered {
        None
    } else {
        Some(bag(gold.iter().cloned()))
    };
    let mut perm = Vec::with_capacity(ncol);
    let mut used = vec![false; ncol];
    let mut result = None;
    search(&allowed, &mut perm, &mut used, &mut |perm| {
        let permuted = pred
            .iter()
            .map(|r| perm.iter().map(|&i| r[i].clone()).collect::<Vec<Key>>());
        let ok = match &gold_bag {
            None => permuted.eq(gold.iter().cloned()),
            Some(gb) => &bag(permuted) == gb,
        };
        if ok {
            result = Some(perm.to_vec());
        }
        ok
    });
    result
}

fn search(
    allowed: &[Vec<usize>],
    perm: &mut Vec<usize>,
    used: &mut [bool],
    check: &mut dyn FnMut(&[usize]) -> bool,
) -> bool {
    let depth = perm.len();
    if depth == allowed.len() {
        return check(perm);
    }
    for &c in &allowed[depth] {
        if used[c] {
            continue;
        }
        used[c] = true;
        perm.push(c);
        let found = search(allowed, perm, used, check);
        perm.pop();
        used[c] = false;
        if found {
            return true;
        }
    }
    false
}

fn bag(rows: impl Iterator<Item = Vec<Key>>) -> HashMap<Vec<Key>, usize> {
    let mut m = HashMap::new();
    for r in rows {
        *m.entry(r).or_insert(0) += 1;
    }
    m
}

/// BIRD: `set(predicted_res) == set(ground_truth_res)`.
pub fn bird_eq(gold: &[Vec<Value>], pred: &[Vec<Value>]) -> Result<(), Reason> {
    let g: HashSet<Vec<Key>> = gold.iter().map(|r| keys(r)).collect();
    let p: HashSet<Vec<Key>> = pred.iter().map(|r| keys(r)).collect();
    if g == p {
        return Ok(());
    }
    let gc = gold.first().map(Vec::len);
    let pc = pred.first().map(Vec::len);
    if let (Some(gc), Some(pc)) = (gc, pc) {
        if gc != pc {
            return Err(Reason::ColumnCount { gold: gc, pred: pc });
        }
    }
    if g.len() != p.len() {
        return Err(Reason::RowCount {
            gold: gold.len(),
            pred: pred.len(),
        });
    }
    Err(Reason::ValuesDiffer)
}

/// A short fingerprint of a result as a multiset of rows (column order kept), so candidates
/// that agree in result can be grouped without storing the rows.
pub fn fingerprint(r: &QueryResult) -> String {
    use sha2::Digest;
    let mut rows: Vec<Vec<Key>> = r.rows.iter().map(|r| keys(r)).collect();
    rows.sort();
    let mut h = sha2::Sha256::new();
    for row in rows {
        for k in row {
            h.update(format!("{k:?}\u{1f}").as_bytes());
        }
        h.update(b"\x1e");
    }
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    fn t(s: &str) -> Value {
        Text(s.into())
    }

    #[test]
    fn spider_multiset_and_order() {
        let g = vec![vec![Integer(1), t("a")], vec![Integer(2), t("b")]];
        let p = vec![vec![Integer(2), t("b")], vec![Integer(1), t("a")]];
        assert_eq!(spider_eq(&g, &p, false), Ok(()));
        assert_eq!(spider_eq(&g, &p, true), Err(Reason::OrderDiffers));
        assert_eq!(spider_eq(&g, &g, true), Ok(()));
    }

    #[test]
    fn spider_duplicates_count() {
        let g = vec![vec![Integer(1)], vec![Integer(1)], vec![Integer(2)]];
        let p = vec![vec![Integer(1)], vec![Integer(2)], vec![Integer(2)]];
        assert_eq!(spider_eq(&g, &p, false), Err(Reason::ValuesDiffer));
    }

    #[test]
    fn spider_column_permutation() {
        let g = vec![vec![t("x"), Integer(3)], vec![t("y"), Integer(4)]];
        let p = vec![vec![Integer(3), t("x")], vec![Integer(4), t("y")]];
        assert_eq!(spider_eq(&g, &p, true), Ok(()));
        // A permutation must be consistent across rows.
        let g = vec![vec![Integer(1), Integer(2)], vec![Integer(3), Integer(4)]];
        let p = vec![vec![Integer(2), Integer(1)], vec![Integer(3), Integer(4)]];
        assert_eq!(spider_eq(&g, &p, false), Err(Reason::ValuesDiffer));
        // Five columns exercise the constrained search.
        let g = vec![
            (1..=5).map(Integer).collect::<Vec<_>>(),
            (6..=10).map(Integer).collect(),
        ];
        let p = vec![
            vec![Integer(5), Integer(4), Integer(3), Integer(2), Integer(1)],
            vec![Integer(10), Integer(9), Integer(8), Integer(7), Integer(6)],
        ];
        assert_eq!(spider_eq(&g, &p, false), Ok(()));
    }

    #[test]
    fn spider_counts_and_empties() {
        assert_eq!(spider_eq(&[], &[], true), Ok(()));
        let g = vec![vec![Integer(1)]];
        assert_eq!(
            spider_eq(&g, &[], false),
            Err(Reason::RowCount { gold: 1, pred: 0 })
        );
        let p = vec![vec![Integer(1), Integer(1)]];
        assert_eq!(
            spider_eq(&g, &p, false),
            Err(Reason::ColumnCount { gold: 1, pred: 2 })
        );
    }

    #[test]
    fn python_value_semantics() {
        assert_eq!(
            spider_eq(&[vec![Integer(1)]], &[vec![Real(1.0)]], false),
            Ok(())
        );
        assert_eq!(
            spider_eq(&[vec![t("1")]], &[vec![Integer(1)]], false),
            Err(Reason::ValuesDiffer)
        );
        assert_eq!(spider_eq(&[vec![Null]], &[vec![Null]], false), Ok(()));
        assert_eq!(
            spider_eq(&[vec![t("Paris")]], &[vec![t("paris")]], false),
            Err(Reason::ValuesDiffer)
        );
    }

    #[test]
    fn bird_is_a_set_with_column_order() {
        let g = vec![vec![Integer(1), t("a")], vec![Integer(1), t("a")]];
        let p = vec![vec![Integer(1), t("a")]];
        assert_eq!(bird_eq(&g, &p), Ok(()));
        let p2 = vec![vec![t("a"), Integer(1)]];
        assert_eq!(bird_eq(&g, &p2), Err(Reason::ValuesDiffer));
        assert_eq!(
            bird_eq(&g, &[vec![Integer(1)]]),
            Err(Reason::ColumnCount { gold: 2, pred: 1 })
        );
        assert_eq!(bird_eq(&[], &[]), Ok(()));
    }

    #[test]
    fn distinct_is_stripped_for_spider_only() {
        assert_eq!(
            Metric::spider().prepare("SELECT DISTINCT a FROM t;"),
            "SELECT a FROM t"
        );
        assert_eq!(
            Metric::bird().prepare("SELECT DISTINCT a FROM t;"),
            "SELECT DISTINCT a FROM t"
        );
    }

    #[test]
    fn fingerprint_ignores_row_order() {
        let a = QueryResult {
            rows: vec![vec![Integer(1)], vec![Integer(2)]],
            ..Default::default()
        };
        let b = QueryResult {
            rows: vec![vec![Real(2.0)], vec![Integer(1)]],
            ..Default::default()
        };
        let c = QueryResult {
            rows: vec![vec![Integer(3)]],
            ..Default::default()
        };
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
