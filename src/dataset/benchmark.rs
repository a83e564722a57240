//! Importers for the public benchmark layouts: Spider, BIRD, and Spider's gold-SQL files.
//! A Spider import keeps what sense does not model (each database's `tables.json` entry, each
//! record's `sql` tree and tokens) in the store, and `export spider` writes it back.

use super::{DatasetError, ImportReport};
use crate::store::{NewDatabase, NewExample, Originals, Store};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Spider,
    Bird,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Folder holding `<db_id>/<db_id>.sqlite`; defaults by layout beside the questions file.
    pub db_dir: Option<PathBuf>,
    /// Split label; defaults from the file name (dev/test/train).
    pub split: Option<String>,
}

pub fn default_db_dir(layout: Layout, questions: &Path) -> PathBuf {
    let base = questions.parent().unwrap_or(Path::new("."));
    match layout {
        Layout::Spider => base.join("database"),
        Layout::Bird => {
            let bird = base.join("dev_databases");
            if bird.is_dir() {
                bird
            } else if base.join("train_databases").is_dir() {
                base.join("train_databases")
            } else {
                base.join("database")
            }
        }
    }
}

fn split_from_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("dev") {
        "dev"
    } else if name.contains("test") {
        "test"
    } else {
        "train"
    }
    .into()
}

fn field<'a>(
    path: &Path,
    index: usize,
    rec: &'a Json,
    name: &str,
) -> Result<&'a str, DatasetError> {
    match rec.get(name) {
        Some(Json::String(s)) => Ok(s),
        Some(other) => Err(DatasetError::Record {
            path: path.to_path_buf(),
            index,
            field: name.into(),
            msg: format!("expected a string, found {}", kind(other)),
        }),
        None => Err(DatasetError::Record {
            path: path.to_path_buf(),
            index,
            field: name.into(),
            msg: "missing".into(),
        }),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// One question record of a benchmark file, checked.
fn to_record(layout: Layout, path: &Path, i: usize, rec: &Json) -> Result<Record, DatasetError> {
    if !rec.is_object() {
        return Err(DatasetError::Record {
            path: path.to_path_buf(),
            index: i,
            field: "(record)".into(),
            msg: format!("expected an object, found {}", kind(rec)),
        });
    }
    let (sql_field, evidence) = match layout {
        Layout::Spider => ("query", None),
        Layout::Bird => (
            "SQL",
            rec.get("evidence")
                .and_then(Json::as_str)
                .map(str::to_string),
        ),
    };
    let sql = field(path, i, rec, sql_field)?.to_string();
    // Spider's fields beyond sense's own (the parsed `sql`, the token lists) are kept whole for
    // `export spider`; a record with none keeps nothing (the import stays within twice the file).
    let original = (layout == Layout::Spider
        && rec
            .as_object()
            .is_some_and(|o| o.keys().any(|k| !OWN_FIELDS.contains(&k.as_str()))))
    .then(|| rec.to_string());
    let label = rec
        .get("difficulty")
        .and_then(Json::as_str)
        .and_then(crate::sqltext::Hardness::parse);
    Ok(Record {
        db: field(path, i, rec, "db_id")?.to_string(),
        question: field(path, i, rec, "question")?.to_string(),
        difficulty: Some(
            label
                .unwrap_or_else(|| crate::sqltext::estimate_hardness(&sql))
                .as_str()
                .into(),
        ),
        estimated: label.is_none(),
        sql,
        evidence,
        index: i,
        original,
    })
}

/// The fields of a Spider record that become the example itself.
const OWN_FIELDS: [&str; 3] = ["db_id", "question", "query"];

/// Reads a benchmark file's array of records one record at a time: the compact records are
/// held, never the whole parsed document (which took about 4 to 11 times the file's size).
fn read_records(layout: Layout, path: &Path) -> Result<Vec<Record>, DatasetError> {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    struct Records<'a> {
        layout: Layout,
        path: &'a Path,
        failed: &'a mut Option<DatasetError>,
    }
    impl<'de> Visitor<'de> for Records<'_> {
        type Value = Vec<Record>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of question records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Record>, A::Error> {
            let mut out = Vec::new();
            while let Some(rec) = seq.next_element::<Json>()? {
                match to_record(self.layout, self.path, out.len(), &rec) {
                    Ok(r) => out.push(r),
                    Err(e) => {
                        *self.failed = Some(e);
                        return Err(serde::de::Error::custom("bad record"));
                    }
                }
            }
            Ok(out)
        }
    }
    if path.is_dir() {
        return Err(DatasetError::file(
            path,
            "is a directory, not a questions file",
        ));
    }
    // The bytes once (parsing from a slice is twice as fast as from a reader), then records
    // one at a time: about twice the file's size at the peak.
    let bytes = std::fs::read(path).map_err(|e| DatasetError::file(path, e))?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let mut failed = None;
    let r = de.deserialize_seq(Records {
        layout,
        path,
        failed: &mut failed,
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let records = r.map_err(|e| match e.classify() {
        serde_json::error::Category::Io => DatasetError::file(path, e),
        serde_json::error::Category::Data => {
            DatasetError::file(path, "expected a JSON array of question records")
        }
        _ => DatasetError::Line {
            path: path.to_path_buf(),
            line: e.line(),
            msg: e.to_string(),
        },
    })?;
    de.end().map_err(|e| DatasetError::Line {
        path: path.to_path_buf(),
        line: e.line(),
        msg: e.to_string(),
    })?;
    Ok(records)
}

/// A record read from a benchmark file, before it meets the store.
struct Record {
    db: String,
    question: String,
    sql: String,
    evidence: Option<String>,
    difficulty: Option<String>,
    estimated: bool,
    index: usize,
    /// A Spider record with fields beyond sense's own, as JSON text.
    original: Option<String>,
}

/// Imports a Spider or BIRD questions file.
pub fn import_questions(
    store: &Store,
    layout: Layout,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, DatasetError> {
    let records = read_records(layout, path)?;
    let db_dir = opts
        .db_dir
        .clone()
        .unwrap_or_else(|| default_db_dir(layout, path));
    let split = opts.split.clone().unwrap_or_else(|| split_from_name(path));
    let (source, tables) = match layout {
        Layout::Spider => ("spider", spider_tables(path)?),
        Layout::Bird => ("bird", BTreeMap::new()),
    };
    store_records(store, path, &db_dir, &split, source, records, tables)
}

/// The `tables.json` of a Spider questions file: `<name>_tables.json` beside it (Spider's
/// `test_tables.json` for `test.json`), else `tables.json` beside it; none when neither exists.
pub fn tables_file(questions: &Path) -> Option<PathBuf> {
    let dir = questions.parent().unwrap_or(Path::new("."));
    let stem = questions.file_stem()?.to_string_lossy();
    [
        dir.join(format!("{stem}_tables.json")),
        dir.join("tables.json"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// Each database's entry of the questions file's `tables.json` (db_id → the entry as JSON text).
fn spider_tables(questions: &Path) -> Result<BTreeMap<String, String>, DatasetError> {
    let Some(path) = tables_file(questions) else {
        return Ok(BTreeMap::new());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| DatasetError::file(&path, e))?;
    let entries: Vec<Json> = serde_json::from_str(&text).map_err(|e| {
        DatasetError::file(
            &path,
            format!("expected Spider's array of database entries: {e}"),
        )
    })?;
    let mut out = BTreeMap::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let db = field(&path, i, &entry, "db_id")?.to_string();
        out.insert(db, entry.to_string());
    }
    Ok(out)
}

/// Imports Spider's gold file format: one `SQL<TAB>db_id` per line.
pub fn import_gold_sql(
    store: &Store,
    path: &Path,
    db_dir: &Path,
    split: Option<String>,
) -> Result<ImportReport, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|e| DatasetError::file(path, e))?;
    let records = parse_gold_lines(path, &text)?
        .into_iter()
        .enumerate()
        .map(|(i, (sql, db))| Record {
            question: format!("gold line {}", i + 1),
            difficulty: Some(crate::sqltext::estimate_hardness(&sql).as_str().into()),
            estimated: true,
            db,
            sql,
            evidence: None,
            index: i,
            original: None,
        })
        .collect();
    let split = split.unwrap_or_else(|| split_from_name(path));
    store_records(
        store,
        path,
        db_dir,
        &split,
        "gold-sql",
        records,
        BTreeMap::new(),
    )
}

/// Parses `SQL<TAB>db_id` lines (blank lines are kept as errors: they would shift alignment).
pub fn parse_gold_lines(path: &Path, text: &str) -> Result<Vec<(String, String)>, DatasetError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() && i + 1 == text.lines().count() {
            break;
        }
        let Some((sql, db)) = line.rsplit_once('\t') else {
            return Err(DatasetError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                msg: "expected SQL, a tab, and a db_id".into(),
            });
        };
        if db.trim().is_empty() {
            return Err(DatasetError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                msg: "empty db_id".into(),
            });
        }
        out.push((sql.trim().to_string(), db.trim().to_string()));
    }
    Ok(out)
}

pub fn db_file(db_dir: &Path, db: &str) -> PathBuf {
    db_dir.join(db).join(format!("{db}.sqlite"))
}

fn store_records(
    store: &Store,
    path: &Path,
    db_dir: &Path,
    split: &str,
    source: &str,
    records: Vec<Record>,
    mut tables: BTreeMap<String, String>,
) -> Result<ImportReport, DatasetError> {
    let mut report = ImportReport::default();
    let mut by_db: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for r in records {
        by_db.entry(r.db.clone()).or_default().push(r);
    }
    // A db_id is joined to --db-dir: one like "../x" or "/etc" would read outside it.
    for (db, recs) in &by_db {
        crate::store::check_db_name(db).map_err(|e| DatasetError::Record {
            path: path.to_path_buf(),
            index: recs[0].index,
            field: "db_id".into(),
            msg: e.to_string(),
        })?;
    }
    let mut batch = Vec::new();
    for (db, mut recs) in by_db {
        let file = db_file(db_dir, &db);
        if !file.is_file() {
            report.missing_db.push((db, recs.len()));
            continue;
        }
        let schema =
            crate::schema::introspect_path(&file, 0).map_err(|e| DatasetError::file(&file, e))?;
        let new_db = NewDatabase {
            name: db.clone(),
            domain: String::new(),
            source: source.into(),
            path: file,
            fingerprint: crate::schema::fingerprint(&schema),
        };
        let originals = Originals {
            tables: tables.remove(&db),
            records: recs.iter_mut().map(|r| r.original.take()).collect(),
        };
        let examples = recs
            .into_iter()
            .map(|r| NewExample {
                db_id: 0,
                question: r.question,
                gold_sql: r.sql,
                evidence: r.evidence,
                difficulty: r.difficulty,
                split: split.into(),
                source: source.into(),
                provenance: serde_json::json!({
                    "file": path, "index": r.index, "difficulty_estimated": r.estimated
                }),
                exchange_id: None,
            })
            .collect();
        batch.push((new_db, examples, originals));
    }
    report.databases = batch.len();
    // One transaction for the whole file, database rows included: a crash or a refused name
    // mid-import leaves nothing half-done.
    let (ins, dup) = store.import_databases_with_originals(batch)?;
    report.inserted = ins;
    report.duplicates = dup;
    Ok(report)
}
