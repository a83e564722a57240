//! The judge that makes pairs. A candidate is judged twice: by the workspace's metric (exactly
//! the official evaluator, as `sense eval` runs it) and by a strict check of the SQL as written
//! (DISTINCT kept; rows in order when the gold has ORDER BY, as Spider; columns may be
//! permuted). Where the two disagree the candidate is *disputed*, with the rule that made the
//! difference in words. A gold whose result the data does not determine is *ambiguous*.

use crate::exec::compare::{spider_eq, verdict_of};
use crate::exec::{ExecError, Executor, Metric, MetricKind, QueryResult, Reason, Verdict};
use crate::store::{CandidateVerdict, ExecOutcome, PairFlag};
use crate::synth::failure::{classify, FailureClass};

/// The gold query run once per example: as the metric executes it, as written, and whether its
/// result is determined by the data.
#[derive(Debug, Clone)]
pub struct GoldRuns {
    pub sql: String,
    pub as_rule: Result<QueryResult, ExecError>,
    pub as_written: Result<QueryResult, ExecError>,
    /// Why the gold result is not determined by the data, when it is not.
    pub ambiguity: Option<String>,
}

impl GoldRuns {
    pub fn new(ex: &Executor, metric: Metric, gold_sql: &str) -> GoldRuns {
        let as_rule = ex.run(&metric.prepare(gold_sql));
        let written = crate::sqltext::first_statement(gold_sql);
        let as_written = if written == metric.prepare(gold_sql) {
            as_rule.clone()
        } else {
            ex.run(written)
        };
        let ambiguity = as_written
            .as_ref()
            .ok()
            .and_then(|r| ambiguity(ex, written, r));
        GoldRuns {
            sql: gold_sql.to_string(),
            as_rule,
            as_written,
            ambiguity,
        }
    }
}

/// Why a gold result is not determined by the data: a LIMIT without ORDER BY, ties in the
/// ORDER BY key at the LIMIT cut (read from the row just past it), or a result that changes when
/// SQLite returns unordered rows in reverse.
pub fn ambiguity(ex: &Executor, gold_sql: &str, result: &QueryResult) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(tail) = crate::sqltext::limit_tail(gold_sql) {
        let n = tail.limit as usize;
        if tail.order_terms.is_empty() {
            reasons.push(format!(
                "LIMIT {n} without ORDER BY: which rows are kept is not determined by the data"
            ));
        } else if let Some(Ok(r)) = tail.probe.as_deref().map(|p| ex.run(p)) {
            if n >= 1 && r.rows.len() > n {
                let width = r.rows[0].len();
                let k = tail.order_terms.len();
                let key = |row: &[crate::exec::Value]| -> Vec<crate::exec::Value> {
                    tail.order_terms
                        .iter()
                        .enumerate()
                        .map(|(j, term)| match term.parse::<usize>() {
                            // `ORDER BY 2` sorts by the second result column.
                            Ok(c) if c >= 1 && c <= width - k => row[c - 1].clone(),
                            _ => row[width - k + j].clone(),
                        })
                        .collect()
                };
                let (last, next) = (key(&r.rows[n - 1]), key(&r.rows[n]));
                let same = last.iter().zip(&next).all(|(a, b)| a.key() == b.key());
                if same {
                    let shown: Vec<String> = last.iter().map(|v| v.to_string()).collect();
                    reasons.push(format!(
                        "ties at the LIMIT {n} cut: row {} has the same ORDER BY value ({}) as row {n}",
                        n + 1,
                        shown.join(", ")
                    ));
                }
            }
        }
    }
    if let Ok(rev) = ex.run_reversed(gold_sql) {
        let ordered = crate::sqltext::has_order_by(gold_sql);
        if spider_eq(&result.rows, &rev.rows, ordered).is_err() {
            reasons.push(
                "the result changes when SQLite returns unordered rows in reverse".to_string(),
            );
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// A candidate judged both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The workspace metric's verdict (the official evaluator's).
    pub verdict: Verdict,
    /// The strict check of the SQL as written; None when the gold failed.
    pub strict: Option<Verdict>,
    pub flags: Vec<PairFlag>,
    /// Why each flag is set, in words.
    pub flag_reason: String,
    /// The prediction as the metric executed it.
    pub pred: Result<QueryResult, ExecError>,
    /// Why it is wrong, when it makes a pair.
    pub failure: Option<FailureClass>,
}

impl Judgement {
    /// Wrong by either judgement: the candidate belongs in a pair (a disputed one when only one
    /// judgement says wrong).
    pub fn makes_pair(&self) -> bool {
        let wrong = |v: &Verdict| matches!(v, Verdict::Wrong { .. });
        wrong(&self.verdict) || self.strict.as_ref().is_some_and(wrong)
    }

    /// The metric's verdict as the workspace stores it.
    pub fn stored_verdict(&self) -> CandidateVerdict {
        stored(&self.verdict)
    }

    /// The strict check as the workspace stores it.
    pub fn stored_strict(&self) -> Option<CandidateVerdict> {
        self.strict.as_ref().map(stored)
    }

    /// How running the prediction went, as the workspace stores it.
    pub fn stored_outcome(&self) -> ExecOutcome {
        match &self.pred {
            Ok(_) => ExecOutcome::Ok,
            Err(e) => outcome_of(e),
        }
    }

    pub fn is_disputed(&self) -> bool {
        self.flags.contains(&PairFlag::Disputed)
    }
}

/// A verdict as the workspace's `candidates.verdict` column holds it.
pub fn stored(v: &Verdict) -> CandidateVerdict {
    match v {
        Verdict::Correct => CandidateVerdict::Correct,
        Verdict::Wrong { .. } => CandidateVerdict::Wrong,
        Verdict::GoldError { .. } => CandidateVerdict::GoldError,
    }
}

/// An execution error as the workspace's `candidates.outcome` column holds it (`exec` names
/// the outcome; every name it gives is one of the column's, see the test).
pub fn outcome_of(e: &ExecError) -> ExecOutcome {
    ExecOutcome::parse(e.outcome()).unwrap_or(ExecOutcome::Error)
}

/// Judges `pred_sql` against an example's gold runs, on the same executor.
pub fn judge(ex: &Executor, metric: Metric, gold: &GoldRuns, pred_sql: &str) -> Judgement {
    let rule_sql = metric.prepare(pred_sql);
    let pred = ex.run(&rule_sql);
    let verdict = verdict_of(metric, &gold.sql, &gold.as_rule, &pred);
    let written = crate::sqltext::first_statement(pred_sql);
    let pred_written = if written == rule_sql {
        pred.clone()
    } else {
        ex.run(written)
    };
    let strict = match &gold.as_written {
        Err(_) => None,
        Ok(g) => Some(match &pred_written {
            Err(e) => Verdict::Wrong {
                reason: Reason::from_exec(e),
            },
            Ok(p) => match spider_eq(&g.rows, &p.rows, crate::sqltext::has_order_by(&gold.sql)) {
                Ok(()) => Verdict::Correct,
                Err(reason) => Verdict::Wrong { reason },
            },
        }),
    };
    let mut flags = Vec::new();
    let mut reasons = Vec::new();
    if let Some(s) = &strict {
        if !matches!(verdict, Verdict::GoldError { .. }) && s.is_correct() != verdict.is_correct() {
            flags.push(PairFlag::Disputed);
            reasons.push(dispute_reason(metric, &gold.sql, pred_sql, &verdict, s));
        }
    }
    if let Some(why) = &gold.ambiguity {
        flags.push(PairFlag::AmbiguousGold);
        reasons.push(format!("ambiguous gold: {why}"));
    }
    let mut j = Judgement {
        verdict,
        strict,
        flags,
        flag_reason: reasons.join("; "),
        pred,
        failure: None,
    };
    if j.makes_pair() {
        // Classified on the runs that called it wrong: the rule's, else the SQL as written.
        j.failure = Some(match (&j.verdict, &j.strict) {
            (Verdict::Wrong { reason }, _) => {
                classify(&gold.sql, pred_sql, &gold.as_rule, &j.pred, Some(reason))
            }
            (_, Some(Verdict::Wrong { reason })) => classify(
                &gold.sql,
                pred_sql,
                &gold.as_written,
                &pred_written,
                Some(reason),
            ),
            _ => FailureClass::Other,
        });
    }
    j
}

/// Which rule made the metric and the strict check disagree, in words.
pub fn dispute_reason(
    metric: Metric,
    gold_sql: &str,
    pred_sql: &str,
    official: &Verdict,
    strict: &Verdict,
) -> String {
    let strict_why = strict.reason_text();
    let official_why = official.reason_text();
    let distinct_removed = metric.kind == MetricKind::Spider
        && !metric.keep_distinct
        && (metric.prepare(gold_sql) != crate::sqltext::first_statement(gold_sql)
            || metric.prepare(pred_sql) != crate::sqltext::first_statement(pred_sql));
    match (official.is_correct(), metric.kind) {
        (false, MetricKind::Spider) if distinct_removed => format!(
            "differs only because the Spider rule removes DISTINCT: as written both return the same rows (with DISTINCT removed: {official_why})"
        ),
        (true, MetricKind::Spider) if distinct_removed => format!(
            "matches only because the Spider rule removes DISTINCT: as written, {strict_why}"
        ),
        (true, MetricKind::Bird) => match strict {
            Verdict::Wrong {
                reason: Reason::RowCount { .. },
            }
            | Verdict::Wrong {
                reason: Reason::ValuesDiffer,
            } => format!(
                "matches only because the BIRD rule compares sets (duplicate rows ignored): as written, {strict_why}"
            ),
            Verdict::Wrong {
                reason: Reason::OrderDiffers,
            } => format!(
                "matches only because the BIRD rule ignores row order: as written, {strict_why}"
            ),
            _ => format!("matches under the BIRD rule but not as written: {strict_why}"),
        },
        (false, MetricKind::Bird) => format!(
            "differs only because the BIRD rule keeps column order: as written the same rows with columns permuted ({official_why} under the rule)"
        ),
        (true, _) => format!("matches under the {} rule but not as written: {strict_why}", metric.kind.as_str()),
        (false, _) => format!(
            "differs under the {} rule ({official_why}) but matches as written",
            metric.kind.as_str()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Limits;
    use rusqlite::Connection;
    use std::path::{Path, PathBuf};

    fn db(dir: &Path) -> PathBuf {
        let p = dir.join("fleet.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE aircraft(id INTEGER PRIMARY KEY, manufacturer TEXT, seats INTEGER);
             INSERT INTO aircraft VALUES (1,'Boeing',180),(2,'Airbus',180),(3,'Boeing',150),
                                         (4,'Embraer',76),(5,'Airbus',190);",
        )
        .unwrap();
        p
    }

    fn judged(gold: &str, pred: &str, metric: Metric) -> Judgement {
        let d = tempfile::tempdir().unwrap();
        let ex = Executor::open(&db(d.path()), Limits::default()).unwrap();
        let g = GoldRuns::new(&ex, metric, gold);
        judge(&ex, metric, &g, pred)
    }

    #[test]
    fn group_by_for_distinct_is_disputed_not_silently_wrong() {
        let j = judged(
            "SELECT DISTINCT manufacturer FROM aircraft",
            "SELECT manufacturer FROM aircraft GROUP BY manufacturer",
            Metric::spider(),
        );
        // The official Spider rule removes DISTINCT from the gold: 5 rows against 3.
        assert_eq!(
            j.verdict,
            Verdict::Wrong {
                reason: Reason::RowCount { gold: 5, pred: 3 }
            }
        );
        assert_eq!(j.strict, Some(Verdict::Correct));
        assert!(j.makes_pair() && j.is_disputed());
        assert!(
            j.flag_reason
                .starts_with("differs only because the Spider rule removes DISTINCT"),
            "{}",
            j.flag_reason
        );
    }

    #[test]
    fn missing_distinct_is_disputed_when_the_rule_calls_it_correct() {
        let j = judged(
            "SELECT DISTINCT manufacturer FROM aircraft",
            "SELECT manufacturer FROM aircraft",
            Metric::spider(),
        );
        assert!(
            j.verdict.is_correct(),
            "Spider drops DISTINCT: {:?}",
            j.verdict
        );
        assert!(matches!(
            j.strict,
            Some(Verdict::Wrong {
                reason: Reason::RowCount { gold: 3, pred: 5 }
            })
        ));
        assert!(j.makes_pair() && j.is_disputed());
        assert!(j
            .flag_reason
            .starts_with("matches only because the Spider rule removes DISTINCT"));
        // BIRD keeps DISTINCT but compares sets: the duplicates vanish under its rule only.
        let b = judged(
            "SELECT DISTINCT manufacturer FROM aircraft",
            "SELECT manufacturer FROM aircraft",
            Metric::bird(),
        );
        assert!(b.verdict.is_correct() && b.is_disputed());
        assert!(
            b.flag_reason.contains("BIRD rule compares sets"),
            "{}",
            b.flag_reason
        );
    }

    #[test]
    fn agreeing_judgements_carry_no_flag() {
        let ok = judged(
            "SELECT manufacturer, seats FROM aircraft WHERE id = 1",
            "SELECT seats, manufacturer FROM aircraft WHERE id = 1",
            Metric::spider(),
        );
        assert!(ok.verdict.is_correct() && !ok.makes_pair() && ok.flags.is_empty());
        let wrong = judged(
            "SELECT count(*) FROM aircraft",
            "SELECT count(*) FROM aircraft WHERE seats > 100",
            Metric::spider(),
        );
        assert!(wrong.makes_pair() && wrong.flags.is_empty(), "{wrong:?}");
    }

    #[test]
    fn ties_at_the_limit_cut_make_the_gold_ambiguous() {
        // 190 seats is alone at the top; 180 is shared by #1 and #2, across the cut.
        let j = judged(
            "SELECT id FROM aircraft ORDER BY seats DESC LIMIT 2",
            "SELECT id FROM aircraft ORDER BY seats DESC LIMIT 2",
            Metric::spider(),
        );
        assert!(j.flags.contains(&PairFlag::AmbiguousGold), "{j:?}");
        assert!(
            j.flag_reason.contains("ties at the LIMIT 2 cut") && j.flag_reason.contains("180"),
            "{}",
            j.flag_reason
        );
        // The cut falls between distinct values: determined.
        let d = tempfile::tempdir().unwrap();
        let ex = Executor::open(&db(d.path()), Limits::default()).unwrap();
        let g = GoldRuns::new(
            &ex,
            Metric::spider(),
            "SELECT id FROM aircraft ORDER BY seats DESC LIMIT 1",
        );
        assert_eq!(g.ambiguity, None);
        let g = GoldRuns::new(
            &ex,
            Metric::spider(),
            "SELECT id FROM aircraft ORDER BY seats DESC LIMIT 3",
        );
        assert_eq!(g.ambiguity, None);
        // ORDER BY a result column by number.
        let g = GoldRuns::new(
            &ex,
            Metric::spider(),
            "SELECT manufacturer, seats FROM aircraft ORDER BY 2 DESC LIMIT 2",
        );
        assert!(g
            .ambiguity
            .is_some_and(|a| a.contains("ties at the LIMIT 2 cut")));
    }

    #[test]
    fn limit_without_order_and_reverse_order_sensitivity_are_ambiguous() {
        let d = tempfile::tempdir().unwrap();
        let ex = Executor::open(&db(d.path()), Limits::default()).unwrap();
        let g = GoldRuns::new(&ex, Metric::spider(), "SELECT id FROM aircraft LIMIT 2");
        let why = g.ambiguity.unwrap();
        assert!(why.contains("LIMIT 2 without ORDER BY"), "{why}");
        assert!(why.contains("unordered rows in reverse"), "{why}");
        // group_concat follows the scan order: reversing it changes the text.
        let g = GoldRuns::new(
            &ex,
            Metric::spider(),
            "SELECT group_concat(manufacturer) FROM aircraft",
        );
        assert!(
            g.ambiguity
                .as_deref()
                .is_some_and(|a| a.contains("unordered rows in reverse")),
            "{:?}",
            g.ambiguity
        );
        // A plain multiset is the same whichever way rows come.
        let g = GoldRuns::new(&ex, Metric::spider(), "SELECT manufacturer FROM aircraft");
        assert_eq!(g.ambiguity, None);
        // The executor is back to normal order afterwards.
        let r = ex.run("SELECT id FROM aircraft LIMIT 1").unwrap();
        assert_eq!(r.rows[0][0], crate::exec::Value::Integer(1));
    }

    #[test]
    fn every_exec_outcome_and_verdict_is_a_value_of_its_column() {
        use std::time::Duration;
        for e in [
            ExecError::Timeout(Duration::from_secs(1)),
            ExecError::Interrupted,
            ExecError::TooManyRows(3),
            ExecError::TooLarge(3),
            ExecError::Sql("no such column".into()),
            ExecError::Empty,
        ] {
            assert_eq!(outcome_of(&e).as_str(), e.outcome(), "{e:?}");
        }
        for v in [
            Verdict::Correct,
            Verdict::GoldError {
                message: "x".into(),
            },
        ] {
            assert_eq!(stored(&v).as_str(), v.label());
        }
    }
}
