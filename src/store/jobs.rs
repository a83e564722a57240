//! Background jobs (template synthesis, weak sampling, ...) record their progress in the `jobs`
//! table so that any viewer of the workspace (the TUI's status bar, `Store::activity`) can
//! follow them. A job is `running` until it is marked `done`, `cancelled` or `failed`
//! ([`JobStatus`]).

use super::{JobStatus, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// One row of the `jobs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: JobStatus,
    pub done: i64,
    pub total: i64,
    pub message: String,
    pub pid: Option<i64>,
    pub started_at: String,
    pub updated_at: String,
    /// What the job works on (an evaluation's checkpoint), and for which training run.
    pub target: Option<String>,
    pub run_id: Option<i64>,
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

impl Store {
    /// Records a new running job of this process; returns its id.
    pub fn create_job(&self, kind: &str, total: i64, message: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO jobs (kind, status, done, total, message, pid) VALUES (?1, ?2, 0, ?3, ?4, ?5)",
            params![kind, JobStatus::Running, total, message, std::process::id() as i64],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a running job of this process on `target`, unless a live process already runs
    /// one of this kind on it (`Busy`, naming it). A running row whose process is gone
    /// (`alive` says so) is marked failed first, so a crash never blocks the target for good.
    pub fn create_exclusive_job(
        &self,
        kind: &str,
        target: &str,
        run_id: Option<i64>,
        total: i64,
        message: &str,
        alive: &dyn Fn(i64) -> bool,
    ) -> Result<i64> {
        let tx = self.write_tx()?;
        let running: Vec<(i64, Option<i64>)> = {
            let mut st = tx.prepare(
                "SELECT id, pid FROM jobs WHERE kind = ?1 AND target = ?2 AND status = ?3 ORDER BY id",
            )?;
            let rows = st
                .query_map(params![kind, target, JobStatus::Running], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        for (job, pid) in running {
            match pid.filter(|p| alive(*p)) {
                Some(pid) => {
                    return Err(StoreError::Busy {
                        what: format!("{kind} of {target}"),
                        pid,
                        job,
                    })
                }
                None => {
                    tx.execute(
                        &format!("UPDATE jobs SET status = ?2, message = ?3, updated_at = {NOW} WHERE id = ?1"),
                        params![job, JobStatus::Failed, "its process is gone (killed?)"],
                    )?;
                }
            }
        }
        tx.execute(
            "INSERT INTO jobs (kind, status, done, total, message, pid, target, run_id)
             VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7)",
            params![
                kind,
                JobStatus::Running,
                total,
                message,
                std::process::id() as i64,
                target,
                run_id
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Updates a job's progress.
    pub fn update_job(&self, id: i64, done: i64, total: i64, message: &str) -> Result<()> {
        let n = self.conn.execute(
            &format!(
                "UPDATE jobs SET done = ?2, total = ?3, message = ?4, updated_at = {NOW} WHERE id = ?1"
            ),
            params![id, done, total, message],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("job #{id}")));
        }
        Ok(())
    }

    /// Marks a job finished with `status` (done, cancelled, failed) and a last message.
    pub fn finish_job(&self, id: i64, status: JobStatus, message: &str) -> Result<()> {
        if !status.is_finished() {
            return Err(StoreError::Invalid(format!(
                "job #{id} cannot finish as '{status}'"
            )));
        }
        let n = self.conn.execute(
            &format!("UPDATE jobs SET status = ?2, message = ?3, updated_at = {NOW} WHERE id = ?1"),
            params![id, status, message],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("job #{id}")));
        }
        Ok(())
    }

    /// Jobs marked running, oldest first.
    pub fn running_jobs(&self) -> Result<Vec<JobRow>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM jobs WHERE status = ?1 ORDER BY id")?;
        let ids = st
            .query_map([JobStatus::Running], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter().map(|id| self.job(id)).collect()
    }

    pub fn job(&self, id: i64) -> Result<JobRow> {
        self.conn
            .query_row(
                "SELECT id, kind, status, done, total, message, pid, started_at, updated_at,
                        target, run_id
                 FROM jobs WHERE id = ?1",
                [id],
                |r| {
                    Ok(JobRow {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        status: r.get(2)?,
                        done: r.get(3)?,
                        total: r.get(4)?,
                        message: r.get(5)?,
                        pid: r.get(6)?,
                        started_at: r.get(7)?,
                        updated_at: r.get(8)?,
                        target: r.get(9)?,
                        run_id: r.get(10)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("job #{id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_runs_then_finishes_and_leaves_the_activity() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("ws.db")).unwrap();
        let id = s.create_job("templates", 4, "starting").unwrap();
        s.update_job(id, 2, 4, "half").unwrap();
        let a = s.activity().unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].id, a[0].done, a[0].total), (id, 2, 4));
        assert_eq!(a[0].kind, "templates");
        s.finish_job(id, JobStatus::Cancelled, "stopped at 2 of 4")
            .unwrap();
        assert!(s.activity().unwrap().is_empty());
        let j = s.job(id).unwrap();
        assert_eq!((j.status.as_str(), j.done), ("cancelled", 2));
        assert_eq!(j.pid, Some(std::process::id() as i64));
        assert!("weird".parse::<JobStatus>().is_err());
        assert!(s.finish_job(id, JobStatus::Running, "").is_err());
        let other = s.create_job("sample", 0, "").unwrap();
        assert_eq!(
            s.running_jobs()
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>(),
            vec![other]
        );
        assert!(s.update_job(id + 100, 0, 0, "").is_err());
        assert!(s.job(id + 100).is_err());
    }

    #[test]
    fn one_live_job_per_target_and_a_dead_one_does_not_block() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("ws.db")).unwrap();
        let live = |_: i64| true;
        let dead = |_: i64| false;
        let a = s
            .create_exclusive_job("eval", "/ck/step-1", Some(3), 10, "", &live)
            .unwrap();
        let err = s
            .create_exclusive_job("eval", "/ck/step-1", Some(3), 10, "", &live)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Busy { job, .. } if job == a),
            "{err}"
        );
        assert!(err.to_string().contains("/ck/step-1"), "{err}");
        // Another checkpoint, or another kind, is not blocked.
        s.create_exclusive_job("eval", "/ck/step-2", Some(3), 10, "", &live)
            .unwrap();
        s.create_exclusive_job("sample", "/ck/step-1", None, 10, "", &live)
            .unwrap();
        // The first one's process died: its row is failed and the target is free again.
        let b = s
            .create_exclusive_job("eval", "/ck/step-1", Some(3), 10, "", &dead)
            .unwrap();
        assert_eq!(s.job(a).unwrap().status, JobStatus::Failed);
        let j = s.job(b).unwrap();
        assert_eq!(
            (j.target.as_deref(), j.run_id, j.status),
            (Some("/ck/step-1"), Some(3), JobStatus::Running)
        );
        // Finished, it no longer blocks.
        s.finish_job(b, JobStatus::Done, "").unwrap();
        s.create_exclusive_job("eval", "/ck/step-1", Some(3), 10, "", &live)
            .unwrap();
    }
}
