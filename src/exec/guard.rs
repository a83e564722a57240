//! Bounds on every SQLite connection that runs untrusted SQL or reads untrusted databases
//! (executor, introspection, materializer): a per-value length limit and a heap limit, so one
//! `randomblob(9e8)` or a row of many large values fails fast instead of taking gigabytes.

use rusqlite::limits::Limit;
use rusqlite::Connection;

/// Largest single string or blob a query may build or read (SQLITE_LIMIT_LENGTH).
pub const MAX_VALUE_BYTES: usize = 32 << 20;

/// SQLite's heap ceiling. SQLite only offers a process-wide one (`hard_heap_limit`); it is far
/// above what the workspace connection needs (a few MB of page cache), so it only stops runaway
/// untrusted queries, which then fail with "out of memory" and are reported as too large.
pub const HEAP_LIMIT_BYTES: i64 = 512 << 20;

/// Applies the length limit (`max_value` bytes, at most [`MAX_VALUE_BYTES`]) and the heap limit.
pub fn bound_connection(conn: &Connection, max_value: usize) -> rusqlite::Result<()> {
    let len = max_value.clamp(1, MAX_VALUE_BYTES) as i32;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, len)?;
    // The pragma answers with the limit now in force; it is process-wide, so setting it again
    // from another connection is harmless.
    conn.query_row(
        &format!("PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}"),
        [],
        |_| Ok(()),
    )?;
    Ok(())
}

/// Whether an SQLite error means a value or the heap went over its limit.
pub fn is_too_large(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::TooBig | rusqlite::ErrorCode::OutOfMemory)
    )
}
