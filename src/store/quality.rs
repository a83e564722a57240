//! How good a weak model's samples are, per model: how many execute, how many are correct, and
//! how varied they are (distinct SQL per question). Near-misses make useful pairs; text that
//! is not SQL does not.

use super::{Result, Store};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SampleQuality {
    pub model: String,
    /// Samples drawn (a repeated SQL counts each time).
    pub samples: i64,
    /// Fractions of the samples.
    pub executable: f64,
    pub correct: f64,
    /// Distinct SQL texts per question sampled.
    pub distinct_per_question: f64,
}

impl SampleQuality {
    pub fn summary(&self) -> String {
        format!(
            "{}: {} samples, {:.0}% executable, {:.0}% correct, {:.1} distinct SQL per question",
            self.model,
            self.samples,
            100.0 * self.executable,
            100.0 * self.correct,
            self.distinct_per_question
        )
    }
}

impl Store {
    /// Sample quality of one model (or of every model that has candidates).
    pub fn sample_quality(&self, model: Option<&str>) -> Result<Vec<SampleQuality>> {
        let mut st = self.conn.prepare(
            "SELECT model, sum(samples),
                    sum(CASE WHEN outcome = 'ok' THEN samples ELSE 0 END),
                    sum(CASE WHEN verdict = 'correct' THEN samples ELSE 0 END),
                    count(*), count(DISTINCT example_id)
             FROM candidates WHERE ?1 IS NULL OR model = ?1
             GROUP BY model ORDER BY model",
        )?;
        let rows = st.query_map([model], |r| {
            let samples: i64 = r.get(1)?;
            let frac = |n: i64| {
                if samples > 0 {
                    n as f64 / samples as f64
                } else {
                    0.0
                }
            };
            let (distinct, questions): (i64, i64) = (r.get(4)?, r.get(5)?);
            Ok(SampleQuality {
                model: r.get(0)?,
                samples,
                executable: frac(r.get(2)?),
                correct: frac(r.get(3)?),
                distinct_per_question: if questions > 0 {
                    distinct as f64 / questions as f64
                } else {
                    0.0
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{NewCandidate, NewDatabase, NewExample, Store};

    #[test]
    fn fractions_count_repeated_samples_and_distinct_sql_per_question() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("w.db")).unwrap();
        let db = s
            .upsert_database(&NewDatabase {
                name: "x".into(),
                domain: String::new(),
                source: "test".into(),
                path: "x.sqlite".into(),
                fingerprint: String::new(),
            })
            .unwrap();
        let ex = |q: &str| NewExample {
            db_id: db,
            question: q.into(),
            gold_sql: "SELECT 1".into(),
            evidence: None,
            difficulty: None,
            split: "train".into(),
            source: "test".into(),
            provenance: serde_json::json!({}),
            exchange_id: None,
        };
        s.insert_examples(&[ex("a"), ex("b")]).unwrap();
        let cand = |e: i64, sql: &str, outcome: &str, verdict: &str| {
            s.record_candidate(&NewCandidate {
                example_id: e,
                model: "weak".into(),
                sql: sql.into(),
                outcome: outcome.parse().unwrap(),
                verdict: verdict.parse().unwrap(),
                ..Default::default()
            })
            .unwrap();
        };
        cand(1, "SELECT 1", "ok", "correct");
        cand(1, "SELECT 1", "ok", "correct"); // drawn twice
        cand(1, "hello", "error", "wrong");
        cand(2, "SELECT 2", "ok", "wrong");
        let q = s.sample_quality(Some("weak")).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].samples, 4);
        assert_eq!((q[0].executable, q[0].correct), (0.75, 0.5));
        assert_eq!(q[0].distinct_per_question, 1.5);
        assert!(q[0]
            .summary()
            .contains("75% executable, 50% correct, 1.5 distinct"));
    }
}
