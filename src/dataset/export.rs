//! Export for other tools: TRL's preference format (DPO), prompt/completion or chat SFT data,
//! and a Spider-layout folder (questions, gold SQL, tables.json, database files). Prompts are
//! `schema::prompt_for` (the training serialization) and completions are the training
//! completion text (`schema::completion_text`). Every file is written atomically.

use super::card::Card;
use super::DatasetError;
use crate::atomic::{write_atomic, JsonlWriter};
use crate::schema::{completion_text, introspect_path, DbSchema, PromptCache};
use crate::store::{ExampleFilter, PairStatus, Store};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn err(path: &Path, e: impl std::fmt::Display) -> DatasetError {
    DatasetError::file(path, e)
}

fn prompt_of(
    store: &Store,
    cache: &mut PromptCache,
    example_id: i64,
    out: &Path,
) -> Result<String, DatasetError> {
    let ex = store.example(example_id)?;
    cache.prompt(store, &ex).map_err(|e| err(out, e))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"prompt": "...", "chosen": "...", "rejected": "..."}` / `{"prompt", "completion"}`.
    Standard,
    /// Conversational: lists of `{"role", "content"}` messages.
    Chat,
}

/// Writes TRL preference JSONL for the pairs with the given statuses (accepted only, usually)
/// on examples of `split` (`None` = every split). A flagged pair (disputed, ambiguous gold) is
/// written only when a person accepted it. Returns the number of records; with none, no file
/// is written. `meta` adds `pair_id`, `example_id`, `db_id`, `split`, `status` and `flags`.
pub fn export_dpo(
    store: &Store,
    out: &Path,
    statuses: &[PairStatus],
    split: Option<&str>,
    shape: Shape,
    meta: bool,
) -> Result<usize, DatasetError> {
    let mut card = Card::new("dpo", "");
    export_dpo_counted(store, out, statuses, split, None, shape, meta, &mut card)
}

/// `export_dpo`, counting what it writes into a dataset card. With `meta`, each record also
/// carries its provenance: note, annotator and time of the decision, failure class, flags and
/// the model that wrote the rejected SQL.
#[allow(clippy::too_many_arguments)]
pub fn export_dpo_counted(
    store: &Store,
    out: &Path,
    statuses: &[PairStatus],
    split: Option<&str>,
    db: Option<&str>,
    shape: Shape,
    meta: bool,
    card: &mut Card,
) -> Result<usize, DatasetError> {
    let mut cache = PromptCache::default();
    let mut rows = JsonlWriter::new(out);
    let deciders = if meta {
        store.deciders()?
    } else {
        Default::default()
    };
    for status in statuses {
        let pairs = store.query_pairs(&crate::store::PairQuery {
            status: Some(*status),
            split: split.map(str::to_string),
            db: db.map(str::to_string),
            ..Default::default()
        })?;
        for p in pairs {
            if !p.flags.is_empty() && p.status != PairStatus::Accepted {
                continue;
            }
            let prompt = prompt_of(store, &mut cache, p.example_id, out)?;
            let (chosen, rejected) = (
                completion_text(&p.chosen_sql),
                completion_text(&p.rejected_sql),
            );
            let mut r = match shape {
                Shape::Standard => {
                    json!({"prompt": prompt, "chosen": chosen, "rejected": rejected})
                }
                Shape::Chat => json!({
                    "prompt": [{"role": "user", "content": prompt}],
                    "chosen": [{"role": "assistant", "content": chosen}],
                    "rejected": [{"role": "assistant", "content": rejected}],
                }),
            };
            if meta {
                r["pair_id"] = p.id.into();
                r["example_id"] = p.example_id.into();
                r["db_id"] = p.db_name.clone().into();
                r["split"] = p.split.clone().into();
                r["status"] = p.status.as_str().into();
                r["flags"] = p
                    .flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .into();
                r["failure_class"] = p.failure_class.clone().into();
                r["note"] = p.note.clone().into();
                r["annotator"] = deciders.get(&p.id).cloned().into();
                r["decided_at"] = p.decided_at.clone().into();
                r["rejected_model"] = p.model.clone().into();
                r["rejected_temperature"] = p.temperature.into();
                r["source"] = p.source.clone().into();
                r["gold_changed"] = p.gold_changed.into();
            }
            card.add(&p.split, &p.db_name, Some(&p.failure_class), &p.model);
            card.prompt_chars.push(
                prompt.chars().count() + chosen.chars().count().max(rejected.chars().count()),
            );
            rows.write(&r).map_err(|e| err(out, e))?;
        }
    }
    // An empty file is no dataset (`datasets` fails on it with a bare StopIteration): the
    // writer creates nothing until its first record.
    rows.finish().map_err(|e| err(out, e))
}

/// Writes SFT JSONL (prompt/completion, or chat messages) for the examples matching `filter`.
pub fn export_sft(
    store: &Store,
    out: &Path,
    filter: &ExampleFilter,
    shape: Shape,
    meta: bool,
) -> Result<usize, DatasetError> {
    export_sft_counted(store, out, filter, shape, meta, &mut Card::new("sft", ""))
}

/// `export_sft`, counting what it writes into a dataset card.
pub fn export_sft_counted(
    store: &Store,
    out: &Path,
    filter: &ExampleFilter,
    shape: Shape,
    meta: bool,
    card: &mut Card,
) -> Result<usize, DatasetError> {
    let mut cache = PromptCache::default();
    let mut rows = JsonlWriter::new(out);
    for ex in store.examples(filter)? {
        let prompt = cache.prompt(store, &ex).map_err(|e| err(out, e))?;
        let completion = completion_text(&ex.gold_sql);
        let mut r = match shape {
            Shape::Standard => json!({"prompt": prompt, "completion": completion}),
            // Conversational prompt/completion, not `messages`: TRL then puts the loss on the
            // completion only, as for the standard shape, instead of on the whole schema prompt.
            Shape::Chat => json!({
                "prompt": [{"role": "user", "content": prompt}],
                "completion": [{"role": "assistant", "content": completion}],
            }),
        };
        if meta {
            r["example_id"] = ex.id.into();
            r["db_id"] = ex.db_name.clone().into();
            r["split"] = ex.split.clone().into();
            r["source"] = ex.source.clone().into();
        }
        card.add(&ex.split, &ex.db_name, None, &ex.source);
        card.prompt_chars
            .push(prompt.chars().count() + completion.chars().count());
        rows.write(&r).map_err(|e| err(out, e))?;
    }
    rows.finish().map_err(|e| err(out, e))
}

/// A question split into words and punctuation, as Spider's `question_toks` (NLTK-like).
pub fn question_tokens(q: &str) -> Vec<String> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        // A decimal point inside a number ("3.5") stays in the number.
        let decimal = c == '.'
            && !word.is_empty()
            && word.chars().all(|w| w.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || c == '_' || c == '\'' || decimal {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpiderExport {
    pub dir: PathBuf,
    /// (split, number of questions)
    pub splits: Vec<(String, usize)>,
    pub databases: usize,
    /// Databases written with the tables.json entry they were imported with.
    pub original_tables: usize,
    /// Questions written with the `sql` tree they were imported with.
    pub original_sql: usize,
    /// Questions imported with a `sql` tree whose gold SQL was corrected since, so the tree no
    /// longer matches and is left out.
    pub sql_dropped: usize,
}

impl SpiderExport {
    pub fn summary(&self) -> String {
        let splits: Vec<String> = self
            .splits
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let mut s = format!(
            "{}: {} databases, questions: {}",
            self.dir.display(),
            self.databases,
            splits.join(", ")
        );
        if self.original_tables > 0 || self.original_sql > 0 {
            s.push_str(&format!(
                "; as imported from Spider: {} tables.json entries, {} `sql` trees",
                self.original_tables, self.original_sql
            ));
        }
        if self.sql_dropped > 0 {
            s.push_str(&format!(
                "; {} questions without their `sql` tree: their gold SQL was corrected since import",
                self.sql_dropped
            ));
        }
        s
    }
}

/// Fields of an imported Spider record that describe its query, or its question: written back
/// only while the example's gold SQL (question) is still the one imported.
const QUERY_FIELDS: [&str; 3] = ["sql", "query_toks", "query_toks_no_value"];
const QUESTION_FIELDS: [&str; 1] = ["question_toks"];

/// Lays an imported record's own fields over the exported one `q`: the query and its tree and
/// tokens while the gold SQL is unchanged, the question tokens while the question is, any other
/// field the export does not write. Returns whether the `sql` tree was written, or dropped.
fn merge_original(q: &mut Value, original: &Value, question: &str, gold_sql: &str) -> (bool, bool) {
    let Some(orig) = original.as_object() else {
        return (false, false);
    };
    let same_query = orig.get("query").and_then(Value::as_str) == Some(gold_sql);
    let same_question = orig.get("question").and_then(Value::as_str) == Some(question);
    for (k, v) in orig {
        let keep = match k.as_str() {
            "db_id" | "question" => false,
            "query" => same_query,
            k if QUERY_FIELDS.contains(&k) => same_query,
            k if QUESTION_FIELDS.contains(&k) => same_question,
            k => q.get(k).is_none(),
        };
        if keep {
            q[k.as_str()] = v.clone();
        }
    }
    let had_sql = orig.contains_key("sql");
    (had_sql && same_query, had_sql && !same_query)
}

/// One database's entry in Spider's tables.json.
pub fn spider_tables_entry(db_id: &str, schema: &DbSchema) -> Value {
    let mut column_names_original = vec![json!([-1, "*"])];
    let mut column_names = vec![json!([-1, "*"])];
    let mut column_types = vec![json!("text")];
    let mut primary_keys = Vec::new();
    let mut foreign_keys = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (ti, t) in schema.tables.iter().enumerate() {
        for c in &t.columns {
            let i = column_names_original.len();
            index.insert(
                (t.name.to_ascii_lowercase(), c.name.to_ascii_lowercase()),
                i,
            );
            column_names_original.push(json!([ti, c.name]));
            column_names.push(json!([ti, c.name.replace('_', " ").to_ascii_lowercase()]));
            let ty = c.ty.to_ascii_uppercase();
            let sty = if ["INT", "REAL", "FLOA", "DOUB", "NUM", "DEC"]
                .iter()
                .any(|k| ty.contains(k))
            {
                "number"
            } else if ty.contains("DATE") || ty.contains("TIME") {
                "time"
            } else if ty.contains("BOOL") {
                "boolean"
            } else {
                "text"
            };
            column_types.push(json!(sty));
            if c.primary_key {
                primary_keys.push(json!(i));
            }
        }
    }
    for t in &schema.tables {
        for c in &t.columns {
            if let Some(fk) = &c.foreign_key {
                let from = index.get(&(t.name.to_ascii_lowercase(), c.name.to_ascii_lowercase()));
                let to = index.get(&(
                    fk.table.to_ascii_lowercase(),
                    fk.column.to_ascii_lowercase(),
                ));
                if let (Some(f), Some(t)) = (from, to) {
                    foreign_keys.push(json!([f, t]));
                }
            }
        }
    }
    json!({
        "db_id": db_id,
        "table_names_original": schema.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "table_names": schema.tables.iter().map(|t| t.name.replace('_', " ").to_ascii_lowercase()).collect::<Vec<_>>(),
        "column_names_original": column_names_original,
        "column_names": column_names,
        "column_types": column_types,
        "primary_keys": primary_keys,
        "foreign_keys": foreign_keys,
    })
}

/// Writes a Spider-layout folder: `<split>.json` (db_id, question, question_toks, query,
/// query_toks, difficulty, evidence), `<split>_gold.sql` (SQL<TAB>db_id), `tables.json`, and
/// `database/<db>/<db>.sqlite` for every database the questions use. What came from Spider
/// goes back as imported: a database's tables.json entry, a question's `sql` tree and token
/// fields (those of the query only while its gold SQL is unchanged).
pub fn export_spider(
    store: &Store,
    dir: &Path,
    filter: &ExampleFilter,
) -> Result<SpiderExport, DatasetError> {
    let mut by_split: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut gold: BTreeMap<String, String> = BTreeMap::new();
    let mut used: BTreeMap<String, (i64, PathBuf)> = BTreeMap::new();
    let (mut original_sql, mut sql_dropped) = (0, 0);
    for ex in store.examples(filter)? {
        let query = ex.gold_sql.trim().trim_end_matches(';').trim_end();
        // Spider's token fields, which RAT-SQL/RESDSQL-style pipelines read.
        let query_toks: Vec<&str> = crate::sqltext::significant(query);
        let mut q = json!({
            "db_id": ex.db_name,
            "question": ex.question,
            "question_toks": question_tokens(&ex.question),
            "query": query,
            "query_toks": query_toks,
            "difficulty": ex.difficulty,
            "source": ex.source,
        });
        if let Some(e) = &ex.evidence {
            q["evidence"] = e.clone().into();
        }
        if let Some(orig) = store.example_original(ex.id)? {
            let (kept, dropped) = merge_original(&mut q, &orig, &ex.question, &ex.gold_sql);
            original_sql += usize::from(kept);
            sql_dropped += usize::from(dropped);
        }
        by_split.entry(ex.split.clone()).or_default().push(q);
        let one_line = ex.gold_sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let g = gold.entry(ex.split.clone()).or_default();
        g.push_str(&format!(
            "{}\t{}\n",
            one_line.trim_end_matches(';'),
            ex.db_name
        ));
        if !used.contains_key(&ex.db_name) {
            used.insert(
                ex.db_name.clone(),
                (ex.db_id, store.database(ex.db_id)?.path),
            );
        }
    }
    let mut tables = Vec::new();
    let mut original_tables = 0;
    for (name, (db_id, path)) in &used {
        match store.database_original(*db_id)? {
            Some(mut entry) => {
                original_tables += 1;
                // The database's name in this workspace, should it differ from Spider's.
                if let Some(o) = entry.as_object_mut() {
                    o.insert("db_id".into(), name.clone().into());
                }
                tables.push(entry);
            }
            None => {
                let schema = introspect_path(path, 0).map_err(|e| err(path, e))?;
                tables.push(spider_tables_entry(name, &schema));
            }
        }
        let dest = under(dir, &["database", name, &format!("{name}.sqlite")])?;
        copy_atomic(path, &dest)?;
    }
    let pretty = |v: &Value, p: &Path| -> Result<(), DatasetError> {
        let s = serde_json::to_string_pretty(v).map_err(|e| err(p, e))?;
        write_atomic(p, s.as_bytes()).map_err(|e| err(p, e))
    };
    pretty(&Value::Array(tables), &dir.join("tables.json"))?;
    let mut splits = Vec::new();
    for (split, qs) in by_split {
        splits.push((split.clone(), qs.len()));
        pretty(&Value::Array(qs), &under(dir, &[&format!("{split}.json")])?)?;
        let gp = under(dir, &[&format!("{split}_gold.sql")])?;
        write_atomic(
            &gp,
            gold.get(&split).map(String::as_bytes).unwrap_or_default(),
        )
        .map_err(|e| err(&gp, e))?;
    }
    Ok(SpiderExport {
        dir: dir.to_path_buf(),
        splits,
        databases: used.len(),
        original_tables,
        original_sql,
        sql_dropped,
    })
}

/// `dir/a/b/...`, refused unless each part is one plain name: database names and splits come
/// from imported files, and a workspace written before names were checked may hold `../x`.
fn under(dir: &Path, parts: &[&str]) -> Result<PathBuf, DatasetError> {
    let mut p = dir.to_path_buf();
    for part in parts {
        let mut comps = Path::new(part).components();
        let plain = matches!(comps.next(), Some(std::path::Component::Normal(_)))
            && comps.next().is_none()
            && !part.contains(['/', '\\', '\0'])
            && !part.starts_with('.');
        if !plain {
            return Err(err(
                dir,
                format!("refusing to write {part:?}: not a plain name inside this folder"),
            ));
        }
        p.push(part);
    }
    Ok(p)
}

fn copy_atomic(src: &Path, dest: &Path) -> Result<(), DatasetError> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
    }
    let tmp = crate::atomic::temp_path(dest);
    std::fs::copy(src, &tmp)
        .and_then(|_| std::fs::rename(&tmp, dest))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(dest, e)
        })
}
