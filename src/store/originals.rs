//! What a Spider-layout file said beyond sense's own fields, kept so `sense export spider` can
//! write it back: each database's `tables.json` entry (Spider's composite primary keys and
//! column names, which SQLite introspection cannot give back) and each question's record as the
//! file had it (its parsed `sql` tree and token fields).

use super::{NewDatabase, NewExample, Result, Store};
use rusqlite::{params, OptionalExtension};

/// The original entries that come with one database's examples on import: its tables.json
/// entry, and per example (in the same order) its record, as JSON text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Originals {
    pub tables: Option<String>,
    pub records: Vec<Option<String>>,
}

impl Store {
    /// `import_databases`, keeping each database's original entries with it (in the same one
    /// transaction). An example imported again gets its record replaced.
    pub fn import_databases_with_originals(
        &self,
        batch: Vec<(NewDatabase, Vec<NewExample>, Originals)>,
    ) -> Result<(usize, usize)> {
        let tx = self.write_tx()?;
        let (mut inserted, mut total) = (0, 0);
        for (db, mut examples, originals) in batch {
            let id = self.upsert_database(&db)?;
            for e in &mut examples {
                e.db_id = id;
            }
            inserted += self.insert_examples_in_tx(&examples)?;
            total += examples.len();
            self.insert_originals_in_tx(id, &examples, &originals)?;
        }
        tx.commit()?;
        Ok((inserted, total - inserted))
    }

    fn insert_originals_in_tx(
        &self,
        db_id: i64,
        examples: &[NewExample],
        originals: &Originals,
    ) -> Result<()> {
        if let Some(t) = &originals.tables {
            self.conn.execute(
                "INSERT OR REPLACE INTO database_originals (db_id, tables) VALUES (?1, ?2)",
                params![db_id, t],
            )?;
        }
        let mut find = self.conn.prepare_cached(
            "SELECT id FROM examples WHERE db_id = ?1 AND question = ?2 AND gold_sql = ?3",
        )?;
        let mut put = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO example_originals (example_id, record) VALUES (?1, ?2)",
        )?;
        for (e, record) in examples.iter().zip(&originals.records) {
            let Some(record) = record else { continue };
            let id: Option<i64> = find
                .query_row(params![db_id, e.question, e.gold_sql], |r| r.get(0))
                .optional()?;
            if let Some(id) = id {
                put.execute(params![id, record])?;
            }
        }
        Ok(())
    }

    /// The tables.json entry database `db_id` was imported with, if any.
    pub fn database_original(&self, db_id: i64) -> Result<Option<serde_json::Value>> {
        self.original(
            "SELECT tables FROM database_originals WHERE db_id = ?1",
            db_id,
        )
    }

    /// The record example `example_id` was imported from, if it had fields beyond sense's own.
    pub fn example_original(&self, example_id: i64) -> Result<Option<serde_json::Value>> {
        self.original(
            "SELECT record FROM example_originals WHERE example_id = ?1",
            example_id,
        )
    }

    fn original(&self, sql: &str, id: i64) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn
            .prepare_cached(sql)?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }
}
