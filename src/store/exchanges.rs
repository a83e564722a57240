//! Provenance of model calls: every request to an LLM endpoint and its reply (or error), as
//! stored in `llm_exchanges`. API keys are never part of a record.

use super::{Result, Store, StoreError};
use rusqlite::{params, Row};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewExchange {
    /// What the call was for: `domains`, `schema`, `questions`, `sample`, ...
    pub purpose: String,
    pub endpoint: String,
    pub model: String,
    /// Sampling parameters and attempt number (JSON object).
    pub params: serde_json::Value,
    pub prompt: String,
    /// The reply text (the raw body when it could not be parsed); None when no reply came.
    pub reply: Option<String>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    pub id: i64,
    pub purpose: String,
    pub endpoint: String,
    pub model: String,
    pub params: serde_json::Value,
    pub prompt: String,
    pub reply: Option<String>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub created_at: String,
}

const COLS: &str = "id, purpose, endpoint, model, params, prompt, reply, error, latency_ms, \
                    prompt_tokens, completion_tokens, created_at";

fn row(r: &Row<'_>) -> rusqlite::Result<Exchange> {
    let params: String = r.get(4)?;
    Ok(Exchange {
        id: r.get(0)?,
        purpose: r.get(1)?,
        endpoint: r.get(2)?,
        model: r.get(3)?,
        params: serde_json::from_str(&params).unwrap_or(serde_json::Value::String(params)),
        prompt: r.get(5)?,
        reply: r.get(6)?,
        error: r.get(7)?,
        latency_ms: r.get(8)?,
        prompt_tokens: r.get(9)?,
        completion_tokens: r.get(10)?,
        created_at: r.get(11)?,
    })
}

impl Store {
    /// Records one request/reply; returns its id.
    pub fn record_exchange(&self, x: &NewExchange) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO llm_exchanges (purpose, endpoint, model, params, prompt, reply, error,
               latency_ms, prompt_tokens, completion_tokens)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            params![
                x.purpose,
                x.endpoint,
                x.model,
                x.params.to_string(),
                x.prompt,
                x.reply,
                x.error,
                x.latency_ms,
                x.prompt_tokens,
                x.completion_tokens
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records several in one transaction; returns their ids in order.
    pub fn record_exchanges(&self, xs: &[NewExchange]) -> Result<Vec<i64>> {
        let tx = self.write_tx()?;
        let ids = xs
            .iter()
            .map(|x| self.record_exchange(x))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(ids)
    }

    pub fn exchange(&self, id: i64) -> Result<Exchange> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM llm_exchanges WHERE id = ?1"),
                [id],
                row,
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => {
                    StoreError::NotFound(format!("exchange #{id}"))
                }
                e => e.into(),
            })
    }

    /// The most recent exchanges first, optionally of one purpose.
    pub fn exchanges(&self, purpose: Option<&str>, limit: usize) -> Result<Vec<Exchange>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLS} FROM llm_exchanges WHERE ?1 IS NULL OR purpose = ?1
             ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![purpose, limit as i64], row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// (all, failed) exchange counts, optionally of one purpose.
    pub fn exchange_counts(&self, purpose: Option<&str>) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(error IS NOT NULL), 0) FROM llm_exchanges
             WHERE ?1 IS NULL OR purpose = ?1",
            [purpose],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}
