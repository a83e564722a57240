//! Read-only queries for browsing a large workspace page by page (the TUI's lists): ids first,
//! rows for the visible window only.

use super::{Example, Result, Store};
use rusqlite::params_from_iter;

/// Which examples a browsing list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExampleQuery {
    pub db: Option<String>,
    pub split: Option<String>,
    pub difficulty: Option<String>,
    pub source: Option<String>,
    /// Only examples with at least one wrong candidate.
    pub wrong_only: bool,
    /// Case-insensitive substring of the question or the gold SQL.
    pub search: String,
}

/// Work in progress that another process records in the workspace: a job or a training run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// "job" or "run".
    pub what: String,
    pub id: i64,
    pub kind: String,
    pub done: i64,
    pub total: i64,
    /// The process doing the work, where known (a viewer checks it is still alive).
    pub pid: Option<i64>,
}

/// The distinct values a filter can take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub databases: Vec<String>,
    pub splits: Vec<String>,
    pub difficulties: Vec<String>,
    pub sources: Vec<String>,
}

pub(super) const EXAMPLE_COLS: &str =
    "e.id, e.db_id, d.name, e.question, e.gold_sql, e.evidence, e.difficulty,
    e.split, e.source, e.exchange_id,
    (SELECT count(*) FROM candidates c WHERE c.example_id = e.id AND c.verdict = 'wrong'),
    e.provenance";

pub(super) fn example_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Example> {
    Ok(Example {
        id: r.get(0)?,
        db_id: r.get(1)?,
        db_name: r.get(2)?,
        question: r.get(3)?,
        gold_sql: r.get(4)?,
        evidence: r.get(5)?,
        difficulty: r.get(6)?,
        split: r.get(7)?,
        source: r.get(8)?,
        exchange_id: r.get(9)?,
        wrong_candidates: r.get(10)?,
        provenance: r.get(11)?,
    })
}

impl Store {
    /// Ids of the examples matching a query, in id order.
    pub fn example_ids(&self, q: &ExampleQuery) -> Result<Vec<i64>> {
        let mut sql = String::from(
            "SELECT e.id FROM examples e JOIN databases d ON d.id = e.db_id WHERE 1=1",
        );
        let mut args: Vec<String> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, v: String| {
            args.push(v);
            sql.push_str(&clause.replace("?", &format!("?{}", args.len())));
        };
        if let Some(v) = &q.db {
            push(&mut sql, " AND d.name = ?", v.clone());
        }
        if let Some(v) = &q.split {
            push(&mut sql, " AND e.split = ?", v.clone());
        }
        if let Some(v) = &q.difficulty {
            push(&mut sql, " AND e.difficulty = ?", v.clone());
        }
        if let Some(v) = &q.source {
            push(&mut sql, " AND e.source = ?", v.clone());
        }
        if !q.search.is_empty() {
            let pat = format!(
                "%{}%",
                q.search
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            push(
                &mut sql,
                " AND (e.question LIKE ? ESCAPE '\\' OR e.gold_sql LIKE ? ESCAPE '\\')",
                pat,
            );
        }
        if q.wrong_only {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM candidates c WHERE c.example_id = e.id AND c.verdict = 'wrong')",
            );
        }
        sql.push_str(" ORDER BY e.id");
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
    }

    /// The examples with these ids, in the order given (missing ids are left out).
    pub fn examples_by_ids(&self, ids: &[i64]) -> Result<Vec<Example>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {EXAMPLE_COLS} FROM examples e JOIN databases d ON d.id = e.db_id WHERE e.id = ?1"
        ))?;
        for id in ids {
            let mut rows = st.query_map([id], example_from)?;
            if let Some(r) = rows.next() {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// Jobs and runs marked running, newest first (for status bars).
    pub fn activity(&self) -> Result<Vec<Activity>> {
        let mut st = self.conn.prepare_cached(
            "SELECT 'job', id, kind, done, total, pid FROM jobs WHERE status = 'running'
             UNION ALL
             SELECT 'run', id, kind, step, total_steps, pid FROM runs WHERE status = 'running'
             ORDER BY 2 DESC LIMIT 20",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Activity {
                what: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                done: r.get(3)?,
                total: r.get(4)?,
                pid: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Distinct database names, splits, difficulties and sources of the examples.
    pub fn example_facets(&self) -> Result<Facets> {
        let list = |sql: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare(sql)?;
            let rows = st.query_map([], |r| r.get::<_, Option<String>>(0))?;
            let mut v: Vec<String> = rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect();
            v.sort();
            v.dedup();
            Ok(v)
        };
        Ok(Facets {
            databases: list("SELECT name FROM databases")?,
            splits: list("SELECT DISTINCT split FROM examples")?,
            difficulties: list("SELECT DISTINCT difficulty FROM examples")?,
            sources: list("SELECT DISTINCT source FROM examples")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CandidateVerdict, ExecOutcome, NewCandidate, NewDatabase, NewExample};

    fn store(dir: &std::path::Path) -> Store {
        let s = Store::open(&dir.join("ws.db")).unwrap();
        let db = s
            .upsert_database(&NewDatabase {
                name: "shop".into(),
                domain: String::new(),
                source: "test".into(),
                path: dir.join("shop.sqlite"),
                fingerprint: String::new(),
            })
            .unwrap();
        let ex = |q: &str, level: &str, split: &str| NewExample {
            db_id: db,
            question: q.into(),
            gold_sql: format!("SELECT '{q}'"),
            evidence: None,
            difficulty: Some(level.into()),
            split: split.into(),
            source: "test".into(),
            provenance: serde_json::json!({}),
            exchange_id: None,
        };
        s.insert_examples(&[
            ex("How many items?", "easy", "dev"),
            ex("Items at 100% off", "hard", "train"),
            ex("Items named a_b", "easy", "train"),
        ])
        .unwrap();
        let c = s
            .record_candidate(&NewCandidate {
                example_id: 2,
                model: "m".into(),
                sql: "SELECT 1".into(),
                outcome: ExecOutcome::Ok,
                error: None,
                result_fp: None,
                verdict: CandidateVerdict::Wrong,
                reason: "values differ".into(),
                latency_ms: 0.0,
                ..Default::default()
            })
            .unwrap();
        s.create_pair(2, "SELECT 2", c, "SELECT 1").unwrap();
        s
    }

    #[test]
    fn ids_follow_every_filter() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let ids = |q: ExampleQuery| s.example_ids(&q).unwrap();
        assert_eq!(ids(ExampleQuery::default()), vec![1, 2, 3]);
        assert_eq!(
            ids(ExampleQuery {
                split: Some("train".into()),
                ..Default::default()
            }),
            vec![2, 3]
        );
        assert_eq!(
            ids(ExampleQuery {
                difficulty: Some("easy".into()),
                ..Default::default()
            }),
            vec![1, 3]
        );
        assert_eq!(
            ids(ExampleQuery {
                wrong_only: true,
                ..Default::default()
            }),
            vec![2]
        );
        assert_eq!(
            ids(ExampleQuery {
                db: Some("other".into()),
                ..Default::default()
            }),
            Vec::<i64>::new()
        );
        // LIKE wildcards in a search are literal.
        assert_eq!(
            ids(ExampleQuery {
                search: "100%".into(),
                ..Default::default()
            }),
            vec![2]
        );
        assert_eq!(
            ids(ExampleQuery {
                search: "a_b".into(),
                ..Default::default()
            }),
            vec![3]
        );
        assert_eq!(
            ids(ExampleQuery {
                search: "ITEMS".into(),
                ..Default::default()
            }),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn rows_by_ids_keep_the_order_given() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let rows = s.examples_by_ids(&[3, 1, 99]).unwrap();
        assert_eq!(rows.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(s.examples_by_ids(&[2]).unwrap()[0].wrong_candidates, 1);
    }

    #[test]
    fn facets_queue_and_activity() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let f = s.example_facets().unwrap();
        assert_eq!(f.databases, vec!["shop"]);
        assert_eq!(f.splits, vec!["dev", "train"]);
        assert_eq!(f.difficulties, vec!["easy", "hard"]);
        assert_eq!(
            s.pair_ids(&crate::store::PairQuery::pending()).unwrap(),
            vec![1]
        );
        assert!(s.activity().unwrap().is_empty());
        s.conn()
            .execute(
                "INSERT INTO jobs (kind, done, total) VALUES ('sample', 3, 10)",
                [],
            )
            .unwrap();
        let a = s.activity().unwrap();
        assert_eq!((a[0].what.as_str(), a[0].done, a[0].total), ("job", 3, 10));
    }
}
