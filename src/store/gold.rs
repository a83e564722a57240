//! Gold corrections: a new gold SQL for an example, with the example's candidates re-judged
//! and its pairs moved in the same transaction, logged (old, new, note, annotator, time) with a
//! snapshot so that one undo restores the old gold and every pair state.

use super::{
    CandidateVerdict, GoldCorrection, PairFlag, PairStatus, Rejudged, Result, Store, StoreError,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

/// What a correction did to the example's pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GoldOutcome {
    pub correction_id: i64,
    pub example_id: i64,
    /// Pairs whose rejected SQL is correct under the new gold.
    pub withdrawn: Vec<i64>,
    /// New pending pairs: candidates that are wrong under the new gold.
    pub created: Vec<i64>,
    /// Withdrawn pairs whose SQL is wrong again, back to pending.
    pub revived: Vec<i64>,
    /// Accepted pairs that keep their decision, marked as having a changed gold.
    pub kept_accepted: Vec<i64>,
}

/// What undoing a correction restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldUndone {
    pub correction_id: i64,
    pub example_id: i64,
    pub restored_sql: String,
    pub pairs: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CandidateState {
    id: i64,
    verdict: CandidateVerdict,
    reason: String,
    strict_verdict: Option<CandidateVerdict>,
    flags: String,
    flag_reason: String,
    #[serde(default)]
    failure_class: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PairState {
    id: i64,
    rejected_sql: String,
    status: PairStatus,
    chosen_sql: String,
    flags: String,
    flag_reason: String,
    withdrawn_reason: String,
    gold_changed: bool,
    decided_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshot {
    candidates: Vec<CandidateState>,
    pairs: Vec<PairState>,
    created: Vec<i64>,
}

fn snapshot(tx: &Transaction<'_>, example_id: i64) -> Result<Snapshot> {
    let mut st = tx.prepare(
        "SELECT id, verdict, reason, strict_verdict, flags, flag_reason, failure_class
         FROM candidates WHERE example_id = ?1 ORDER BY id",
    )?;
    let candidates = st
        .query_map([example_id], |r| {
            Ok(CandidateState {
                id: r.get(0)?,
                verdict: r.get(1)?,
                reason: r.get(2)?,
                strict_verdict: r.get(3)?,
                flags: r.get(4)?,
                flag_reason: r.get(5)?,
                failure_class: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = tx.prepare(
        "SELECT id, rejected_sql, status, chosen_sql, flags, flag_reason, withdrawn_reason,
                gold_changed, decided_at
         FROM pairs WHERE example_id = ?1 ORDER BY id",
    )?;
    let pairs = st
        .query_map([example_id], |r| {
            Ok(PairState {
                id: r.get(0)?,
                rejected_sql: r.get(1)?,
                status: r.get(2)?,
                chosen_sql: r.get(3)?,
                flags: r.get(4)?,
                flag_reason: r.get(5)?,
                withdrawn_reason: r.get(6)?,
                gold_changed: r.get::<_, i64>(7)? != 0,
                decided_at: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Snapshot {
        candidates,
        pairs,
        created: Vec::new(),
    })
}

impl Store {
    /// The example's current gold SQL.
    fn gold_of(tx: &Transaction<'_>, example_id: i64) -> Result<String> {
        tx.query_row(
            "SELECT gold_sql FROM examples WHERE id = ?1",
            [example_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("example #{example_id}")))
    }

    /// Replaces an example's gold SQL (the caller executed it and re-judged every candidate
    /// against it: `rejudged`). In one transaction: candidates take their new verdicts; a pair
    /// whose rejected SQL is now correct is withdrawn with the reason; a candidate now wrong
    /// becomes a pending pair; accepted pairs keep their decision and show the gold changed.
    pub fn correct_gold(
        &self,
        example_id: i64,
        new_sql: &str,
        note: &str,
        rejudged: &[Rejudged],
    ) -> Result<GoldOutcome> {
        let tx = self.write_tx()?;
        let old_sql = Self::gold_of(&tx, example_id)?;
        if old_sql.trim() == new_sql.trim() {
            return Err(StoreError::Invalid(format!(
                "example #{example_id}: the new gold SQL is the same as the current one"
            )));
        }
        let mut snap = snapshot(&tx, example_id)?;
        tx.execute(
            "INSERT INTO gold_corrections (example_id, old_sql, new_sql, note, annotator)
             VALUES (?1,?2,?3,?4,?5)",
            params![example_id, old_sql, new_sql, note, self.annotator],
        )?;
        let cid = tx.last_insert_rowid();
        tx.execute(
            "UPDATE examples SET gold_sql = ?2 WHERE id = ?1",
            params![example_id, new_sql],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Invalid(format!(
                    "example #{example_id}: another example of this database already has this question with that gold SQL"
                ))
            }
            other => other.into(),
        })?;
        let mut out = GoldOutcome {
            correction_id: cid,
            example_id,
            ..Default::default()
        };
        for r in rejudged {
            tx.execute(
                "UPDATE candidates SET verdict = ?2, reason = ?3, strict_verdict = ?4, flags = ?5,
                    flag_reason = ?6, failure_class = ?8 WHERE id = ?1 AND example_id = ?7",
                params![
                    r.candidate_id,
                    r.verdict,
                    r.reason,
                    r.strict_verdict,
                    PairFlag::join(&r.flags),
                    r.flag_reason,
                    example_id,
                    r.failure_class
                ],
            )?;
        }
        // Each candidate SQL's judgement (pairs are keyed by SQL; several models may share it).
        let sql_of: std::collections::HashMap<i64, String> = {
            let mut st = tx.prepare("SELECT id, sql FROM candidates WHERE example_id = ?1")?;
            let rows = st.query_map([example_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let judgement_of_sql = |sql: &str| {
            rejudged
                .iter()
                .find(|r| sql_of.get(&r.candidate_id).map(String::as_str) == Some(sql))
        };
        for p in &snap.pairs {
            let Some(j) = judgement_of_sql(&p.rejected_sql) else {
                continue;
            };
            let chosen = if p.chosen_sql.trim() == old_sql.trim() {
                new_sql.to_string()
            } else {
                p.chosen_sql.clone()
            };
            let (status, withdrawn_reason) = if p.status == PairStatus::Accepted {
                out.kept_accepted.push(p.id);
                (p.status, p.withdrawn_reason.clone())
            } else if !j.makes_pair {
                out.withdrawn.push(p.id);
                (
                    PairStatus::Withdrawn,
                    format!(
                        "gold corrected (correction #{cid}): the rejected SQL is correct under the new gold"
                    ),
                )
            } else if p.status == PairStatus::Withdrawn {
                out.revived.push(p.id);
                (PairStatus::Pending, String::new())
            } else {
                (p.status, p.withdrawn_reason.clone())
            };
            let accepted = p.status == PairStatus::Accepted;
            // An accepted pair keeps what the person accepted, flags included.
            let (flags, flag_reason, chosen) = if accepted {
                (p.flags.clone(), p.flag_reason.clone(), p.chosen_sql.clone())
            } else {
                (PairFlag::join(&j.flags), j.flag_reason.clone(), chosen)
            };
            tx.execute(
                "UPDATE pairs SET status = ?2, chosen_sql = ?3, flags = ?4, flag_reason = ?5,
                    withdrawn_reason = ?6, gold_changed = 1,
                    decided_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE decided_at END
                 WHERE id = ?1",
                params![p.id, status, chosen, flags, flag_reason, withdrawn_reason],
            )?;
            tx.execute(
                "INSERT INTO pair_events (pair_id, action, old_status, new_status, old_chosen, new_chosen,
                    correction_id, annotator)
                 VALUES (?1,'gold',?2,?3,?4,?5,?6,?7)",
                params![p.id, p.status, status, p.chosen_sql, chosen, cid, self.annotator],
            )?;
        }
        for r in rejudged.iter().filter(|r| r.makes_pair) {
            let Some(sql) = sql_of.get(&r.candidate_id) else {
                continue;
            };
            if snap.pairs.iter().any(|p| &p.rejected_sql == sql) {
                continue;
            }
            let n = tx.execute(
                "INSERT OR IGNORE INTO pairs (example_id, chosen_sql, rejected_id, rejected_sql, flags, flag_reason)
                 VALUES (?1,?2,?3,?4,?5,?6)",
                params![
                    example_id,
                    new_sql,
                    r.candidate_id,
                    sql,
                    PairFlag::join(&r.flags),
                    r.flag_reason
                ],
            )?;
            if n == 1 {
                out.created.push(tx.last_insert_rowid());
            }
        }
        snap.created = out.created.clone();
        tx.execute(
            "UPDATE gold_corrections SET snapshot = ?2 WHERE id = ?1",
            params![cid, serde_json::to_string(&snap)?],
        )?;
        tx.commit()?;
        Ok(out)
    }

    /// Undoes a gold correction: the old gold, candidates and pair states come back; pairs the
    /// correction made are removed (or withdrawn, when someone decided them since).
    pub fn undo_gold(&self, correction_id: i64) -> Result<GoldUndone> {
        let tx = self.write_tx()?;
        let (example_id, old_sql, new_sql, snap, undone): (i64, String, String, String, i64) = tx
            .query_row(
                "SELECT example_id, old_sql, new_sql, snapshot, undone FROM gold_corrections WHERE id = ?1",
                [correction_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("gold correction #{correction_id}")))?;
        if undone != 0 {
            return Err(StoreError::Invalid(format!(
                "gold correction #{correction_id} is already undone"
            )));
        }
        let later: Option<i64> = tx
            .query_row(
                "SELECT id FROM gold_corrections WHERE example_id = ?1 AND id > ?2 AND undone = 0
                 ORDER BY id DESC LIMIT 1",
                params![example_id, correction_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(later) = later {
            return Err(StoreError::Invalid(format!(
                "example #{example_id} was corrected again later: undo correction #{later} first"
            )));
        }
        let current = Self::gold_of(&tx, example_id)?;
        if current != new_sql {
            return Err(StoreError::Invalid(format!(
                "example #{example_id}'s gold is no longer the one correction #{correction_id} set"
            )));
        }
        let snap: Snapshot = serde_json::from_str(&snap)?;
        tx.execute(
            "UPDATE examples SET gold_sql = ?2 WHERE id = ?1",
            params![example_id, old_sql],
        )?;
        for c in &snap.candidates {
            tx.execute(
                "UPDATE candidates SET verdict = ?2, reason = ?3, strict_verdict = ?4, flags = ?5,
                    flag_reason = ?6, failure_class = ?7 WHERE id = ?1",
                params![
                    c.id,
                    c.verdict,
                    c.reason,
                    c.strict_verdict,
                    c.flags,
                    c.flag_reason,
                    c.failure_class
                ],
            )?;
        }
        let mut pairs = Vec::new();
        for p in &snap.pairs {
            tx.execute(
                "UPDATE pairs SET status = ?2, chosen_sql = ?3, flags = ?4, flag_reason = ?5,
                    withdrawn_reason = ?6, gold_changed = ?7, decided_at = ?8 WHERE id = ?1",
                params![
                    p.id,
                    p.status,
                    p.chosen_sql,
                    p.flags,
                    p.flag_reason,
                    p.withdrawn_reason,
                    p.gold_changed,
                    p.decided_at
                ],
            )?;
            pairs.push(p.id);
        }
        for &id in &snap.created {
            let decided: i64 = tx.query_row(
                "SELECT count(*) FROM pair_events WHERE pair_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if decided == 0 {
                tx.execute("DELETE FROM pairs WHERE id = ?1", [id])?;
            } else {
                tx.execute(
                    "UPDATE pairs SET status = 'withdrawn', withdrawn_reason = ?2 WHERE id = ?1",
                    params![
                        id,
                        format!("made by gold correction #{correction_id}, which was undone")
                    ],
                )?;
                pairs.push(id);
            }
        }
        tx.execute(
            "UPDATE pair_events SET undone = 1 WHERE correction_id = ?1",
            [correction_id],
        )?;
        tx.execute(
            "UPDATE gold_corrections SET undone = 1 WHERE id = ?1",
            [correction_id],
        )?;
        tx.commit()?;
        Ok(GoldUndone {
            correction_id,
            example_id,
            restored_sql: old_sql,
            pairs,
        })
    }

    /// The newest correction not undone (of one example, or of any).
    pub fn last_gold_correction(&self, example_id: Option<i64>) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM gold_corrections WHERE undone = 0 AND (?1 IS NULL OR example_id = ?1)
                 ORDER BY id DESC LIMIT 1",
                [example_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The correction log, oldest first (of one example, or of all).
    pub fn gold_log(&self, example_id: Option<i64>) -> Result<Vec<GoldCorrection>> {
        let mut st = self.conn.prepare(
            "SELECT g.id, g.example_id, d.name, g.old_sql, g.new_sql, g.note, g.annotator, g.undone, g.at
             FROM gold_corrections g JOIN examples e ON e.id = g.example_id
             JOIN databases d ON d.id = e.db_id
             WHERE ?1 IS NULL OR g.example_id = ?1 ORDER BY g.id",
        )?;
        let rows = st.query_map([example_id], |r| {
            Ok(GoldCorrection {
                id: r.get(0)?,
                example_id: r.get(1)?,
                db: r.get(2)?,
                old_sql: r.get(3)?,
                new_sql: r.get(4)?,
                note: r.get(5)?,
                annotator: r.get(6)?,
                undone: r.get::<_, i64>(7)? != 0,
                at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
