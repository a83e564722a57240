//! Preference pairs and their append-only decision history.

use super::{Pair, PairEvent, PairFlag, PairStatus, Result, Store, StoreError};
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

const PAIR_SELECT: &str = "SELECT p.id, p.example_id, d.name, e.question, e.gold_sql, p.chosen_sql,
        p.rejected_id, p.rejected_sql, p.status, p.note, p.decided_at, c.reason, c.model,
        e.split, e.source, c.metric, p.flags, p.flag_reason, p.withdrawn_reason, p.gold_changed,
        c.failure_class, c.temperature
    FROM pairs p JOIN examples e ON e.id = p.example_id JOIN databases d ON d.id = e.db_id
    JOIN candidates c ON c.id = p.rejected_id";

fn pair_from(r: &Row<'_>) -> rusqlite::Result<Pair> {
    Ok(Pair {
        id: r.get(0)?,
        example_id: r.get(1)?,
        db_name: r.get(2)?,
        question: r.get(3)?,
        gold_sql: r.get(4)?,
        chosen_sql: r.get(5)?,
        rejected_id: r.get(6)?,
        rejected_sql: r.get(7)?,
        status: r.get(8)?,
        note: r.get(9)?,
        decided_at: r.get(10)?,
        reason: r.get(11)?,
        model: r.get(12)?,
        split: r.get(13)?,
        source: r.get(14)?,
        metric: r.get(15)?,
        flags: PairFlag::split(&r.get::<_, String>(16)?),
        flag_reason: r.get(17)?,
        withdrawn_reason: r.get(18)?,
        gold_changed: r.get::<_, i64>(19)? != 0,
        failure_class: r.get(20)?,
        temperature: r.get(21)?,
    })
}

/// The filter clause of a pair query (appended after `WHERE 1=1`) and its arguments.
fn where_clause(q: &PairQuery) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut args: Vec<String> = Vec::new();
    let mut push = |clause: &str, v: &str| {
        args.push(v.to_string());
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(s) = q.status {
        push(" AND p.status = ?", s.as_str());
    }
    if let Some(db) = &q.db {
        push(" AND d.name = ?", db);
    }
    if let Some(split) = &q.split {
        push(" AND e.split = ?", split);
    }
    if let Some(src) = &q.source {
        push(" AND (e.source = ? OR c.model = ?)", src);
    }
    if let Some(f) = q.flag {
        push(
            " AND instr(',' || p.flags || ',', ',' || ? || ',') > 0",
            f.as_str(),
        );
    }
    if let Some(c) = &q.class {
        push(" AND c.failure_class = ?", c);
    }
    if q.conflicts {
        sql.push_str(&format!(
            " AND p.id IN ({})",
            super::agreement::CONFLICT_IDS
        ));
    }
    (sql, args)
}

/// The values pair filters can take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairFacets {
    pub databases: Vec<String>,
    pub splits: Vec<String>,
    pub sources: Vec<String>,
    pub classes: Vec<String>,
}

/// A new pending pair: chosen = the gold, rejected = a judged candidate's SQL.
#[derive(Debug, Clone, Default)]
pub struct NewPair<'a> {
    pub example_id: i64,
    pub chosen_sql: &'a str,
    pub rejected_id: i64,
    pub rejected_sql: &'a str,
    pub flags: Vec<PairFlag>,
    pub flag_reason: String,
}

/// Which pairs a listing shows (`sense pairs list`, Review's queue).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairQuery {
    pub status: Option<PairStatus>,
    pub db: Option<String>,
    pub split: Option<String>,
    /// The example's source (sample, template, strong, ...) or the candidate's model.
    pub source: Option<String>,
    pub flag: Option<PairFlag>,
    /// The rejected SQL's failure class (`synth::failure::FailureClass::as_str`).
    pub class: Option<String>,
    /// Only pairs whose annotators' standing decisions differ.
    pub conflicts: bool,
}

impl PairQuery {
    /// Review's default queue: the pending pairs.
    pub fn pending() -> PairQuery {
        PairQuery {
            status: Some(PairStatus::Pending),
            ..Default::default()
        }
    }
}

impl Store {
    /// Creates an unflagged pending pair (see `insert_pair`).
    pub fn create_pair(
        &self,
        example_id: i64,
        chosen_sql: &str,
        rejected_id: i64,
        rejected_sql: &str,
    ) -> Result<Option<i64>> {
        self.insert_pair(&NewPair {
            example_id,
            chosen_sql,
            rejected_id,
            rejected_sql,
            ..Default::default()
        })
    }

    /// Creates a pending pair unless the same wrong SQL already has one for this example.
    /// Returns the new pair's id, or None when it was a duplicate.
    pub fn insert_pair(&self, p: &NewPair<'_>) -> Result<Option<i64>> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO pairs (example_id, chosen_sql, rejected_id, rejected_sql, flags, flag_reason)
             VALUES (?1,?2,?3,?4,?5,?6)",
            params![
                p.example_id,
                p.chosen_sql,
                p.rejected_id,
                p.rejected_sql,
                PairFlag::join(&p.flags),
                p.flag_reason
            ],
        )?;
        Ok((n == 1).then(|| self.conn.last_insert_rowid()))
    }

    /// Pairs in queue order (by id), optionally of one status.
    pub fn pairs(&self, status: Option<PairStatus>) -> Result<Vec<Pair>> {
        self.query_pairs(&PairQuery {
            status,
            ..Default::default()
        })
    }

    /// Pairs matching every given filter, in queue order.
    pub fn query_pairs(&self, q: &PairQuery) -> Result<Vec<Pair>> {
        let (clause, args) = where_clause(q);
        let mut st = self
            .conn
            .prepare(&format!("{PAIR_SELECT} WHERE 1=1{clause} ORDER BY p.id"))?;
        let rows = st.query_map(params_from_iter(args.iter()), pair_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Ids of the pairs matching every given filter, in queue order (Review's queue: ids only,
    /// rows are read one at a time).
    pub fn pair_ids(&self, q: &PairQuery) -> Result<Vec<i64>> {
        let (clause, args) = where_clause(q);
        // The status index alone serves the default queue; joins only when a filter needs them.
        let joins =
            if q.db.is_some() || q.split.is_some() || q.source.is_some() || q.class.is_some() {
                "JOIN examples e ON e.id = p.example_id JOIN databases d ON d.id = e.db_id
             JOIN candidates c ON c.id = p.rejected_id"
            } else {
                ""
            };
        let mut st = self.conn.prepare(&format!(
            "SELECT p.id FROM pairs p {joins} WHERE 1=1{clause} ORDER BY p.id"
        ))?;
        let rows = st.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
    }

    /// The values each pair filter can take (for pickers): databases, splits, sources and
    /// models, failure classes.
    pub fn pair_facets(&self) -> Result<PairFacets> {
        let list = |sql: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare(sql)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        let joins = "FROM pairs p JOIN examples e ON e.id = p.example_id
             JOIN databases d ON d.id = e.db_id JOIN candidates c ON c.id = p.rejected_id";
        Ok(PairFacets {
            databases: list(&format!("SELECT DISTINCT d.name {joins} ORDER BY 1"))?,
            splits: list(&format!("SELECT DISTINCT e.split {joins} ORDER BY 1"))?,
            sources: list(&format!(
                "SELECT DISTINCT e.source {joins} UNION SELECT DISTINCT c.model {joins} ORDER BY 1"
            ))?,
            classes: list(&format!(
                "SELECT DISTINCT c.failure_class {joins} WHERE c.failure_class <> '' ORDER BY 1"
            ))?,
        })
    }

    /// Decides many pairs in one transaction, as one batch that a single undo takes back.
    /// Withdrawn pairs are left out (they cannot be decided). Returns the pairs decided.
    pub fn decide_many(&self, ids: &[i64], status: PairStatus) -> Result<Vec<i64>> {
        if status == PairStatus::Withdrawn {
            return Err(StoreError::Invalid(
                "pairs are withdrawn by gold corrections, not by a decision".into(),
            ));
        }
        let tx = self.write_tx()?;
        let batch: i64 = tx.query_row(
            "SELECT coalesce(max(batch_id), 0) + 1 FROM pair_events",
            [],
            |r| r.get(0),
        )?;
        let mut done = Vec::new();
        for &id in ids {
            let old: Option<(PairStatus, String, String)> = tx
                .query_row(
                    "SELECT status, note, chosen_sql FROM pairs WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((old_status, note, chosen)) = old else {
                return Err(StoreError::NotFound(format!("pair #{id}")));
            };
            if old_status == PairStatus::Withdrawn {
                continue;
            }
            tx.execute(
                "UPDATE pairs SET status = ?2,
                    decided_at = CASE WHEN ?2 = 'pending' THEN NULL
                                      WHEN ?2 <> status THEN strftime('%Y-%m-%dT%H:%M:%fZ','now')
                                      ELSE decided_at END
                 WHERE id = ?1",
                params![id, status],
            )?;
            tx.execute(
                "INSERT INTO pair_events (pair_id, action, old_status, new_status, old_note, new_note,
                    old_chosen, new_chosen, annotator, batch_id)
                 VALUES (?1,?2,?3,?2,?4,?4,?5,?5,?6,?7)",
                params![id, status, old_status, note, chosen, self.annotator, batch],
            )?;
            done.push(id);
        }
        tx.commit()?;
        Ok(done)
    }

    pub fn pair(&self, id: i64) -> Result<Pair> {
        self.conn
            .query_row(&format!("{PAIR_SELECT} WHERE p.id = ?1"), [id], pair_from)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("pair #{id}")))
    }

    /// Sets a pair's status and appends the event, atomically. A withdrawn pair cannot be
    /// decided: the tool took it back, and the reason says why.
    pub fn decide(&self, pair_id: i64, status: PairStatus) -> Result<Pair> {
        if status == PairStatus::Withdrawn {
            return Err(StoreError::Invalid(
                "pairs are withdrawn by gold corrections, not by a decision".into(),
            ));
        }
        self.change(pair_id, status.as_str(), Some(status), None, None)
    }

    pub fn set_note(&self, pair_id: i64, note: &str) -> Result<Pair> {
        self.change(pair_id, "note", None, Some(note), None)
    }

    /// Replaces the chosen SQL (after the caller re-executed and re-judged it).
    pub fn set_chosen(&self, pair_id: i64, sql: &str) -> Result<Pair> {
        self.change(pair_id, "edit", None, None, Some(sql))
    }

    fn change(
        &self,
        pair_id: i64,
        action: &str,
        status: Option<PairStatus>,
        note: Option<&str>,
        chosen: Option<&str>,
    ) -> Result<Pair> {
        let tx = self.write_tx()?;
        let (old_status, old_note, old_chosen, withdrawn_reason): (
            PairStatus,
            String,
            String,
            String,
        ) = tx
            .query_row(
                "SELECT status, note, chosen_sql, withdrawn_reason FROM pairs WHERE id = ?1",
                [pair_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("pair #{pair_id}")))?;
        if status.is_some() && old_status == PairStatus::Withdrawn {
            return Err(StoreError::Invalid(format!(
                "pair #{pair_id} is withdrawn: {withdrawn_reason}"
            )));
        }
        let new_status = status.unwrap_or(old_status);
        let new_note = note.map(str::to_string).unwrap_or(old_note.clone());
        let new_chosen = chosen.map(str::to_string).unwrap_or(old_chosen.clone());
        tx.execute(
            "UPDATE pairs SET status = ?2, note = ?3, chosen_sql = ?4,
                decided_at = CASE WHEN ?2 = 'pending' THEN NULL
                                  WHEN ?2 <> status THEN strftime('%Y-%m-%dT%H:%M:%fZ','now')
                                  ELSE decided_at END
             WHERE id = ?1",
            params![pair_id, new_status, new_note, new_chosen],
        )?;
        tx.execute(
            "INSERT INTO pair_events (pair_id, action, old_status, new_status, old_note, new_note, old_chosen, new_chosen, annotator)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
            params![pair_id, action, old_status, new_status, old_note, new_note, old_chosen, new_chosen, self.annotator],
        )?;
        tx.commit()?;
        self.pair(pair_id)
    }

    /// Undoes the most recent change not yet undone (any number of steps, newest first): a
    /// decision, note or edit of one pair, or a whole gold correction with every pair it moved.
    pub fn undo(&self) -> Result<Option<Undone>> {
        let last_event: Option<(i64, String, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT id, at, batch_id FROM pair_events
                 WHERE undone = 0 AND action <> 'undo' AND correction_id IS NULL
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let last_gold: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, at FROM gold_corrections WHERE undone = 0 ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match (last_event, last_gold) {
            (Some((_, ev_at, _)), Some((gold_id, gold_at))) if gold_at >= ev_at => {
                Ok(Some(Undone::Gold(self.undo_gold(gold_id)?)))
            }
            (None, Some((gold_id, _))) => Ok(Some(Undone::Gold(self.undo_gold(gold_id)?))),
            (Some((_, _, Some(batch))), _) => Ok(Some(Undone::Batch(self.undo_batch(batch)?))),
            (Some(_), _) => Ok(self.undo_last()?.map(|p| Undone::Pair(Box::new(p)))),
            (None, None) => Ok(None),
        }
    }

    /// Undoes every decision of a bulk action at once. Returns the pairs restored.
    pub fn undo_batch(&self, batch: i64) -> Result<Vec<i64>> {
        let tx = self.write_tx()?;
        let events: Vec<(i64, i64, PairStatus, PairStatus)> = {
            let mut st = tx.prepare(
                "SELECT id, pair_id, old_status, new_status FROM pair_events
                 WHERE batch_id = ?1 AND undone = 0 AND action <> 'undo' ORDER BY id DESC",
            )?;
            let rows = st.query_map([batch], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut pairs = Vec::new();
        for (ev, pair, old_status, new_status) in events {
            tx.execute(
                "UPDATE pairs SET status = ?2,
                    decided_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE decided_at END
                 WHERE id = ?1",
                params![pair, old_status],
            )?;
            tx.execute("UPDATE pair_events SET undone = 1 WHERE id = ?1", [ev])?;
            tx.execute(
                "INSERT INTO pair_events (pair_id, action, old_status, new_status, undone, annotator, batch_id)
                 VALUES (?1,'undo',?2,?3,1,?4,?5)",
                params![pair, new_status, old_status, self.annotator, batch],
            )?;
            pairs.push(pair);
        }
        tx.commit()?;
        pairs.reverse();
        Ok(pairs)
    }

    /// Undoes the most recent pair change not yet undone, and records the undo itself in the
    /// history. Returns the pair it restored.
    pub fn undo_last(&self) -> Result<Option<Pair>> {
        let tx = self.write_tx()?;
        let ev: Option<(i64, i64, PairStatus, String, Option<String>)> = tx
            .query_row(
                "SELECT id, pair_id, old_status, old_note, old_chosen FROM pair_events
                 WHERE undone = 0 AND action <> 'undo' AND correction_id IS NULL
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((ev_id, pair_id, old_status, old_note, old_chosen)) = ev else {
            return Ok(None);
        };
        let (cur_status, cur_note, cur_chosen): (PairStatus, String, String) = tx.query_row(
            "SELECT status, note, chosen_sql FROM pairs WHERE id = ?1",
            [pair_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let restored_chosen = old_chosen.unwrap_or(cur_chosen.clone());
        tx.execute(
            "UPDATE pairs SET status = ?2, note = ?3, chosen_sql = ?4,
                decided_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE decided_at END
             WHERE id = ?1",
            params![pair_id, old_status, old_note, restored_chosen],
        )?;
        tx.execute("UPDATE pair_events SET undone = 1 WHERE id = ?1", [ev_id])?;
        tx.execute(
            "INSERT INTO pair_events (pair_id, action, old_status, new_status, old_note, new_note, old_chosen, new_chosen, undone, annotator)
             VALUES (?1,'undo',?2,?3,?4,?5,?6,?7,1,?8)",
            params![pair_id, cur_status, old_status, cur_note, old_note, cur_chosen, restored_chosen, self.annotator],
        )?;
        tx.commit()?;
        Ok(Some(self.pair(pair_id)?))
    }

    pub fn pair_history(&self, pair_id: i64) -> Result<Vec<PairEvent>> {
        let mut st = self.conn.prepare(
            "SELECT id, pair_id, action, old_status, new_status, undone, at, annotator FROM pair_events
             WHERE pair_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([pair_id], |r| {
            Ok(PairEvent {
                id: r.get(0)?,
                pair_id: r.get(1)?,
                action: r.get(2)?,
                old_status: r.get(3)?,
                new_status: r.get(4)?,
                undone: r.get::<_, i64>(5)? != 0,
                at: r.get(6)?,
                annotator: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// What an undo restored.
#[derive(Debug, Clone, PartialEq)]
pub enum Undone {
    Pair(Box<Pair>),
    /// A gold correction: the example whose gold came back, and the pairs it touched.
    Gold(super::gold::GoldUndone),
    /// A bulk decision: every pair it decided, back to its old status.
    Batch(Vec<i64>),
}
