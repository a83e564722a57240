//! Stage 3: questions with gold SQL for each database, kept only if the SQL executes, returns
//! rows, and repeats nothing already there.

use super::reply::json_array;
use super::{StageReport, Strong, StrongError, SOURCE};
use crate::exec::{Executor, Limits, Value};
use crate::llm::prompts::Prompts;
use crate::schema::{introspect_path, serialize_schema, PromptOptions};
use crate::sqltext::{estimate_hardness, normalize, Hardness};
use crate::store::{ExampleFilter, NewExample, Store, StoreError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn questions_prompt(prompts: &Prompts, schema_text: &str, n: usize) -> String {
    prompts
        .get("questions")
        .render(&[("schema", schema_text.trim_end()), ("n", &n.to_string())])
}

/// The schema text shown to the strong model (the training serialization of the schema).
pub fn schema_text(path: &Path) -> Result<String, StrongError> {
    let s = introspect_path(path, PromptOptions::default().sample_rows).map_err(|e| {
        StrongError::File {
            path: path.into(),
            msg: e.to_string(),
        }
    })?;
    Ok(serialize_schema(&s, PromptOptions::default()))
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProposedQuestion {
    pub question: String,
    pub sql: String,
    pub difficulty: Option<String>,
    pub evidence: Option<String>,
}

fn parse_question(v: &serde_json::Value) -> Option<ProposedQuestion> {
    let o = v.as_object()?;
    let s = |k: &str| {
        o.get(k)
            .and_then(|x| x.as_str())
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    Some(ProposedQuestion {
        question: s("question")?,
        sql: s("sql").or_else(|| s("query")).or_else(|| s("SQL"))?,
        difficulty: s("difficulty"),
        evidence: s("evidence"),
    })
}

/// Validates proposed questions for one database and returns the examples to keep: the SQL
/// must execute and return rows, and neither the SQL (normalized) nor the question may repeat
/// one already kept or already in the workspace.
pub fn validate_questions(
    store: &Store,
    db_id: i64,
    items: &[serde_json::Value],
    exchange_id: Option<i64>,
    model: &str,
    report: &mut StageReport,
) -> Result<Vec<NewExample>, StrongError> {
    let db = store.database(db_id)?;
    let mut seen_sql = BTreeSet::new();
    let mut seen_q = BTreeSet::new();
    for e in store.examples(&ExampleFilter {
        db: Some(db.name.clone()),
        ..Default::default()
    })? {
        seen_sql.insert(normalize(&e.gold_sql));
        seen_q.insert(e.question.trim().to_lowercase());
    }
    let ex = match Executor::open(
        &db.path,
        Limits {
            timeout: std::time::Duration::from_secs(5),
            ..Limits::default()
        },
    ) {
        Ok(e) => e,
        Err(e) => {
            return Err(StrongError::File {
                path: db.path.clone(),
                msg: e.to_string(),
            })
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        report.proposed += 1;
        let Some(q) = parse_question(item) else {
            report.drop("malformed item");
            continue;
        };
        let sql = crate::llm::extract_sql(&q.sql).unwrap_or(q.sql.clone());
        match ex.run(&sql) {
            Err(_) => {
                report.drop("SQL fails");
                continue;
            }
            Ok(r)
                if r.rows.is_empty()
                    || r.rows
                        .iter()
                        .all(|row| row.iter().all(|v| matches!(v, Value::Null))) =>
            {
                report.drop("no rows");
                continue;
            }
            Ok(_) => {}
        }
        if !seen_sql.insert(normalize(&sql)) {
            report.drop("near-duplicate SQL");
            continue;
        }
        if !seen_q.insert(q.question.to_lowercase()) {
            report.drop("duplicate question");
            continue;
        }
        let difficulty = q
            .difficulty
            .as_deref()
            .and_then(Hardness::parse)
            .unwrap_or_else(|| estimate_hardness(&sql));
        report.kept += 1;
        out.push(NewExample {
            db_id,
            question: q.question,
            gold_sql: sql,
            evidence: q.evidence,
            difficulty: Some(difficulty.as_str().into()),
            split: "train".into(),
            source: SOURCE.into(),
            provenance: serde_json::json!({"model": model, "index": i, "stated_difficulty": q.difficulty}),
            exchange_id,
        });
    }
    Ok(out)
}

/// Stage 3: `n` questions for each named database (default: strong databases with no
/// examples yet).
pub fn synth_questions(
    store: &Store,
    strong: &Strong,
    dbs: &[String],
    n: usize,
) -> Result<StageReport, StrongError> {
    let mut report = StageReport::new("questions");
    let targets = question_targets(store, dbs)?;
    let prompt = strong.prompts.get("questions").clone();
    let mut reqs = Vec::new();
    for (_, path) in &targets {
        reqs.push(strong.request(
            "questions",
            questions_prompt(&strong.prompts, &schema_text(path)?, n),
        ));
    }
    // Each database's questions are stored as its reply arrives: a rerun skips those with
    // examples.
    strong.call_each(store, &prompt, reqs, &mut report, |i, reply, report| {
        let db_id = &targets[i].0;
        let Some((text, xid)) = reply else {
            report.drop("model call failed");
            return Ok(());
        };
        let Some(items) = json_array(&text) else {
            report.drop("unparseable reply");
            return Ok(());
        };
        let before = report.kept;
        let examples = validate_questions(
            store,
            *db_id,
            &items,
            Some(xid),
            &strong.client.config().model,
            report,
        )?;
        store.insert_examples(&examples)?;
        let name = store.database(*db_id)?.name;
        report
            .items
            .push(format!("{name} {}", report.kept - before));
        Ok(())
    })?;
    Ok(report)
}

/// (id, path) of the databases stage 3 works on.
pub fn question_targets(store: &Store, dbs: &[String]) -> Result<Vec<(i64, PathBuf)>, StrongError> {
    let all = store.databases()?;
    if dbs.is_empty() {
        return Ok(all
            .into_iter()
            .filter(|d| d.source == SOURCE && d.examples == 0)
            .map(|d| (d.id, d.path))
            .collect());
    }
    let mut out = Vec::new();
    for n in dbs {
        let d = all
            .iter()
            .find(|d| &d.name == n)
            .ok_or_else(|| StoreError::NotFound(format!("database '{n}'")))?;
        out.push((d.id, d.path.clone()));
    }
    Ok(out)
}
