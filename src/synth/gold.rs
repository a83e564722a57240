//! Correcting an example's gold SQL: the new SQL must execute, every candidate of the example is
//! re-judged against it, and the store moves the pairs and logs the change in one transaction.

use super::weak::Judge;
use crate::store::{GoldOutcome, Store, StoreError};

/// Sets a new gold SQL for `example_id` (see `Store::correct_gold` for what happens to pairs).
/// A new gold that fails to execute is refused with SQLite's message and nothing changes.
pub fn set_gold(
    store: &Store,
    judge: &mut Judge,
    example_id: i64,
    new_sql: &str,
    note: &str,
) -> Result<GoldOutcome, StoreError> {
    let new_sql = crate::sqltext::first_statement(new_sql).to_string();
    if new_sql.is_empty() {
        return Err(StoreError::Invalid("the new gold SQL is empty".into()));
    }
    let rejudged = judge.rejudge(store, example_id, &new_sql)?;
    let out = store.correct_gold(example_id, &new_sql, note, &rejudged)?;
    judge.forget(example_id);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Limits, Metric};
    use crate::store::{NewDatabase, NewExample, PairFlag, PairStatus, Undone};
    use crate::synth::weak::CandidateInput;
    use std::path::Path;

    fn workspace(dir: &Path) -> (Store, i64) {
        let db = dir.join("fleet.sqlite");
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE aircraft(id INTEGER PRIMARY KEY, manufacturer TEXT, seats INTEGER);
             INSERT INTO aircraft VALUES (1,'Boeing',180),(2,'Airbus',180),(3,'Boeing',150),
                                         (4,'Embraer',76),(5,'Airbus',190);",
        )
        .unwrap();
        let mut store = Store::open(&dir.join("ws.db")).unwrap();
        store.set_annotator("ana");
        let db_id = store
            .upsert_database(&NewDatabase {
                name: "fleet".into(),
                domain: "airline".into(),
                source: "test".into(),
                path: db,
                fingerprint: String::new(),
            })
            .unwrap();
        store
            .insert_examples(&[NewExample {
                db_id,
                question: "List the distinct aircraft manufacturers.".into(),
                gold_sql: "SELECT DISTINCT manufacturer FROM aircraft".into(),
                evidence: None,
                difficulty: None,
                split: "dev".into(),
                source: "sample".into(),
                provenance: serde_json::json!({}),
                exchange_id: None,
            }])
            .unwrap();
        (store, 1)
    }

    fn record(store: &Store, judge: &mut Judge, sql: &str) -> Option<i64> {
        judge
            .record(
                store,
                "weak",
                &CandidateInput {
                    example_id: 1,
                    sql: sql.into(),
                },
                None,
            )
            .unwrap()
            .pair_id
    }

    const GROUP_BY: &str = "SELECT manufacturer FROM aircraft GROUP BY manufacturer";
    const BIG_ONLY: &str = "SELECT manufacturer FROM aircraft WHERE seats > 100";

    #[test]
    fn a_corrected_gold_rejudges_every_candidate_and_one_undo_restores_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, ex) = workspace(dir.path());
        let mut judge = Judge::new(Metric::spider(), Limits::default());
        let disputed = record(&store, &mut judge, GROUP_BY).unwrap();
        let big = record(&store, &mut judge, BIG_ONLY).unwrap();
        let boeing = record(&store, &mut judge, "SELECT 'Boeing'").unwrap();
        // Correct under both judgements: no pair.
        assert_eq!(
            record(
                &store,
                &mut judge,
                "SELECT DISTINCT manufacturer FROM aircraft ORDER BY 1"
            ),
            None
        );
        assert_eq!(
            store.pair(disputed).unwrap().flags,
            vec![PairFlag::Disputed]
        );
        store.decide(boeing, PairStatus::Accepted).unwrap();

        // The pending pair's rejected SQL becomes the gold.
        let out = set_gold(
            &store,
            &mut judge,
            ex,
            BIG_ONLY,
            "seats filter was intended",
        )
        .unwrap();
        assert_eq!(out.withdrawn, vec![big]);
        assert_eq!(out.kept_accepted, vec![boeing]);
        let p = store.pair(big).unwrap();
        assert_eq!(p.status, PairStatus::Withdrawn);
        assert!(
            p.withdrawn_reason.contains("correct under the new gold"),
            "{}",
            p.withdrawn_reason
        );
        let e = store
            .decide(big, PairStatus::Accepted)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("withdrawn") && e.contains("correct under the new gold"),
            "{e}"
        );
        // Accepted: its decision and chosen SQL stay, marked as having a changed gold.
        let b = store.pair(boeing).unwrap();
        assert_eq!((b.status, b.gold_changed), (PairStatus::Accepted, true));
        assert_eq!(b.chosen_sql, "SELECT DISTINCT manufacturer FROM aircraft");
        // Still wrong, now against the new gold, and no longer a DISTINCT dispute.
        let d = store.pair(disputed).unwrap();
        assert_eq!(
            (d.status, d.chosen_sql.as_str()),
            (PairStatus::Pending, BIG_ONLY)
        );
        assert!(d.flags.is_empty() && d.gold_changed, "{d:?}");
        // The distinct-manufacturer candidate was correct; now it is wrong: a new pending pair.
        assert_eq!(out.created.len(), 1);
        let created = store.pair(out.created[0]).unwrap();
        assert_eq!(created.status, PairStatus::Pending);
        assert_eq!(store.gold_sql(ex).unwrap(), BIG_ONLY);
        let log = store.gold_log(Some(ex)).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (
                log[0].old_sql.as_str(),
                log[0].new_sql.as_str(),
                log[0].note.as_str(),
                log[0].annotator.as_str()
            ),
            (
                "SELECT DISTINCT manufacturer FROM aircraft",
                BIG_ONLY,
                "seats filter was intended",
                "ana"
            )
        );

        // One undo: the old gold and every pair state.
        let Some(Undone::Gold(u)) = store.undo().unwrap() else {
            panic!("the newest change is the correction")
        };
        assert_eq!(u.example_id, ex);
        assert_eq!(
            store.gold_sql(ex).unwrap(),
            "SELECT DISTINCT manufacturer FROM aircraft"
        );
        let p = store.pair(big).unwrap();
        assert_eq!(
            (p.status, p.withdrawn_reason.as_str(), p.gold_changed),
            (PairStatus::Pending, "", false)
        );
        let d = store.pair(disputed).unwrap();
        assert_eq!(d.flags, vec![PairFlag::Disputed]);
        assert_eq!(d.chosen_sql, "SELECT DISTINCT manufacturer FROM aircraft");
        assert!(
            store.pair(out.created[0]).is_err(),
            "the pair the correction made is gone"
        );
        assert!(store.gold_log(Some(ex)).unwrap()[0].undone);
        // The next undo is the decision made before the correction.
        let Some(Undone::Pair(p)) = store.undo().unwrap() else {
            panic!("then the accept")
        };
        assert_eq!((p.id, p.status), (boeing, PairStatus::Pending));
    }

    #[test]
    fn a_gold_that_fails_is_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, ex) = workspace(dir.path());
        let mut judge = Judge::new(Metric::spider(), Limits::default());
        let p = record(&store, &mut judge, BIG_ONLY).unwrap();
        let e = set_gold(&store, &mut judge, ex, "SELECT maker FROM aircraft", "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such column: maker"), "{e}");
        assert_eq!(
            store.gold_sql(ex).unwrap(),
            "SELECT DISTINCT manufacturer FROM aircraft"
        );
        assert_eq!(store.pair(p).unwrap().status, PairStatus::Pending);
        assert!(store.gold_log(None).unwrap().is_empty());
        let e = set_gold(&store, &mut judge, 99, BIG_ONLY, "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("example #99"), "{e}");
    }
}
