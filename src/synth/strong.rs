//! Strong synthesis, as in the SENSE paper: a strong model proposes domains (stage 1), writes a
//! schema with rows for each (stage 2; the DDL is untrusted and built by `materialize`, which
//! allows only CREATE TABLE / CREATE INDEX / INSERT), then questions with gold SQL of graded
//! difficulty for each database (stage 3; kept only if the SQL executes, returns rows, and is
//! not a near-duplicate). Each stage reports what it kept and why it dropped the rest. Every
//! model call is recorded in the workspace; examples point at the exchange they came from.

use super::materialize::{materialize_with, BuildLimits, MaterializeError};
use crate::atomic::write_atomic;
use crate::exec::{Executor, Limits, Value};
use crate::llm::prompts::{Prompt, Prompts};
use crate::llm::{ChatRequest, Client, Message, Outcome, SamplingParams};
use crate::schema::{introspect_path, serialize_schema, PromptOptions};
use crate::sqltext::{estimate_hardness, normalize, Hardness};
use crate::store::{ExampleFilter, NewDatabase, NewExample, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `source` of databases and examples this module writes.
pub const SOURCE: &str = "strong";

#[derive(Debug, thiserror::Error)]
pub enum StrongError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {msg}")]
    File { path: PathBuf, msg: String },
    #[error("{0}")]
    Runtime(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What a stage asked for, kept, and why it dropped the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageReport {
    pub stage: String,
    /// Items proposed by the model (or requests, for failed calls).
    pub proposed: usize,
    pub kept: usize,
    /// Drop reason → count.
    pub dropped: BTreeMap<String, usize>,
    /// Model calls made, and those that failed after all retries.
    pub calls: usize,
    pub failed_calls: usize,
    /// Names of what was kept (domains, databases) or a count per database (questions).
    pub items: Vec<String>,
    /// Stopped by Ctrl-C: what finished before is kept, a rerun does the rest.
    pub cancelled: bool,
}

impl StageReport {
    fn new(stage: &str) -> Self {
        StageReport {
            stage: stage.into(),
            ..Default::default()
        }
    }
    /// Every call of the stage failed: nothing could have been made (the command fails).
    pub fn all_calls_failed(&self) -> bool {
        self.calls > 0 && self.failed_calls == self.calls
    }
    fn drop(&mut self, why: impl Into<String>) {
        *self.dropped.entry(why.into()).or_default() += 1;
    }
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} proposed, {} kept",
            self.stage, self.proposed, self.kept
        );
        if self.failed_calls > 0 {
            s.push_str(&format!(", {} failed calls", self.failed_calls));
        }
        if !self.dropped.is_empty() {
            let d: Vec<String> = self
                .dropped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            s.push_str(&format!("; dropped: {}", d.join(", ")));
        }
        if self.cancelled {
            s.push_str("; cancelled (a rerun resumes with what is left)");
        }
        s
    }
}

/// The model, its parameters, the prompts, and a runtime to call it from synchronous code.
pub struct Strong {
    pub client: Client,
    pub params: SamplingParams,
    pub prompts: Prompts,
    /// Bounds on building each database from a reply.
    pub build: BuildLimits,
    /// Set (by Ctrl-C) to stop waiting for calls in flight, keeping what already finished.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    rt: tokio::runtime::Runtime,
}

impl Strong {
    pub fn new(
        client: Client,
        params: SamplingParams,
        prompts: Prompts,
    ) -> Result<Self, StrongError> {
        let rt = crate::llm::runtime().map_err(|e| StrongError::Runtime(e.to_string()))?;
        Ok(Strong {
            client,
            params,
            prompts,
            build: BuildLimits::default(),
            cancel: None,
            rt,
        })
    }

    fn request(&self, purpose: &str, text: String) -> ChatRequest {
        ChatRequest {
            purpose: purpose.into(),
            messages: vec![Message::user(text)],
            params: self.params.clone(),
        }
    }

    /// Calls the model for every request and, as each call completes, records its attempts
    /// and hands `on_reply` the request's index and its reply text with the id of the exchange
    /// that produced it (None when the call failed). Work is kept per call, so a hung call or
    /// Ctrl-C (`cancel`) loses only what had not finished.
    fn call_each(
        &self,
        store: &Store,
        prompt: &Prompt,
        reqs: Vec<ChatRequest>,
        report: &mut StageReport,
        mut on_reply: impl FnMut(
            usize,
            Option<(String, i64)>,
            &mut StageReport,
        ) -> Result<(), StrongError>,
    ) -> Result<(), StrongError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        use std::sync::atomic::Ordering;
        let client = &self.client;
        let mut pending: FuturesUnordered<_> = reqs
            .iter()
            .enumerate()
            .map(|(i, r)| async move { (i, client.chat(r).await) })
            .collect();
        let cancelled = || {
            self.cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::SeqCst))
        };
        self.rt.block_on(async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                if cancelled() {
                    report.cancelled = true;
                    return Ok(());
                }
                let (i, mut o): (usize, Outcome) = tokio::select! {
                    next = pending.next() => match next {
                        Some(done) => done,
                        None => return Ok(()),
                    },
                    _ = tick.tick() => continue,
                };
                report.calls += 1;
                for x in &mut o.exchanges {
                    if let Some(obj) = x.params.as_object_mut() {
                        obj.insert("prompt".into(), prompt.tag());
                    }
                }
                let ids = store.record_exchanges(&o.exchanges)?;
                let reply = match (o.result, ids.last()) {
                    (Ok(r), Some(id)) => r.texts.into_iter().next().map(|t| (t, *id)),
                    _ => None,
                };
                if reply.is_none() {
                    report.failed_calls += 1;
                }
                on_reply(i, reply, report)?;
            }
        })
    }

    /// [`Strong::call_each`], collected in request order (None for failed or unfinished calls).
    fn call(
        &self,
        store: &Store,
        prompt: &Prompt,
        reqs: Vec<ChatRequest>,
        report: &mut StageReport,
    ) -> Result<Vec<Option<(String, i64)>>, StrongError> {
        let mut res = vec![None; reqs.len()];
        self.call_each(store, prompt, reqs, report, |i, reply, _| {
            res[i] = reply;
            Ok(())
        })?;
        Ok(res)
    }
}

// ---- reply parsing -----------------------------------------------------------------------

/// The first JSON array in a reply (fenced or bare).
pub fn json_array(reply: &str) -> Option<Vec<serde_json::Value>> {
    let t = reply.trim();
    if let Ok(serde_json::Value::Array(a)) = serde_json::from_str(t) {
        return Some(a);
    }
    let start = t.find('[')?;
    let end = t.rfind(']')?;
    (end > start)
        .then(|| serde_json::from_str(&t[start..=end]).ok())
        .flatten()
        .and_then(|v: serde_json::Value| match v {
            serde_json::Value::Array(a) => Some(a),
            _ => None,
        })
}

/// The schema script in a reply: the ```sql fenced block(s), else the reply itself when it
/// starts with CREATE.
pub fn schema_script(reply: &str) -> Option<String> {
    let mut blocks = Vec::new();
    let mut rest = reply;
    while let Some(i) = rest.find("```") {
        let after = &rest[i + 3..];
        let nl = after.find('\n').unwrap_or(after.len());
        let lang = after[..nl].trim().to_ascii_lowercase();
        let body = &after[nl.min(after.len())..];
        let end = body.find("```").unwrap_or(body.len());
        if lang.is_empty() || lang == "sql" || lang == "sqlite" {
            blocks.push(body[..end].trim().to_string());
        }
        rest = &body[(end + 3).min(body.len())..];
    }
    let blocks: Vec<String> = blocks.into_iter().filter(|b| !b.is_empty()).collect();
    if !blocks.is_empty() {
        return Some(blocks.join("\n"));
    }
    let t = reply.trim();
    t.get(..6)
        .filter(|w| w.eq_ignore_ascii_case("create"))
        .map(|_| t.to_string())
}

/// snake_case of a proposed name; None when nothing usable is left.
pub fn domain_name(raw: &str) -> Option<String> {
    let mut s = String::new();
    for c in raw.trim().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').chars().take(48).collect::<String>();
    let s = s.trim_end_matches('_').to_string();
    (s.len() >= 3 && s.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(s)
}

// ---- domain files ------------------------------------------------------------------------

/// Where stage 1 leaves its domains by default: beside the workspace.
pub fn default_domains_file(store: &Store) -> PathBuf {
    let stem = store
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sense".into());
    store.path().with_file_name(format!("{stem}_domains.json"))
}

/// Reads a domains file: a JSON array of `{"name", "description"}` or of strings, or one
/// domain per line (`name: description`).
pub fn read_domains(path: &Path) -> Result<Vec<Domain>, StrongError> {
    let text = std::fs::read_to_string(path).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })?;
    let items = match json_array(&text) {
        Some(a) => a,
        None => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| serde_json::Value::String(l.to_string()))
            .collect(),
    };
    Ok(items.iter().filter_map(parse_domain).collect())
}

fn parse_domain(v: &serde_json::Value) -> Option<Domain> {
    match v {
        serde_json::Value::String(s) => {
            let (n, d) = s.split_once(':').unwrap_or((s, ""));
            let n = n.trim_start_matches(['-', '*', ' ']);
            Some(Domain {
                name: n.trim().into(),
                description: d.trim().into(),
            })
        }
        serde_json::Value::Object(o) => {
            let name = o
                .get("name")
                .or_else(|| o.get("domain"))
                .and_then(|x| x.as_str())?;
            let description = o
                .get("description")
                .and_then(|x| x.as_str())
                .unwrap_or_default();
            Some(Domain {
                name: name.into(),
                description: description.into(),
            })
        }
        _ => None,
    }
}

pub fn write_domains(path: &Path, domains: &[Domain]) -> Result<(), StrongError> {
    let text = serde_json::to_string_pretty(domains).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes()).map_err(|e| StrongError::File {
        path: path.into(),
        msg: e.to_string(),
    })
}

// ---- stage 1: domains --------------------------------------------------------------------

/// Names and domains already in the workspace (lower-case), to be avoided.
fn taken(store: &Store) -> Result<BTreeSet<String>, StrongError> {
    let mut t = BTreeSet::new();
    for d in store.databases()? {
        t.insert(d.name.to_ascii_lowercase());
        if let Some(n) = domain_name(&d.domain) {
            t.insert(n);
        }
    }
    Ok(t)
}

pub fn domains_prompt(prompts: &Prompts, n: usize, avoid: &[String]) -> String {
    let avoid = if avoid.is_empty() {
        "(none yet)".to_string()
    } else {
        avoid
            .iter()
            .map(|a| format!("- {a}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    prompts
        .get("domains")
        .render(&[("n", &n.to_string()), ("avoid", &avoid)])
}

/// Keeps proposed domains that are new: valid names, not in the workspace, not in `existing`,
/// not repeated. Returns them with the stage report.
pub fn filter_domains(
    store: &Store,
    proposed: Vec<Domain>,
    existing: &[Domain],
    report: &mut StageReport,
) -> Result<Vec<Domain>, StrongError> {
    let taken = taken(store)?;
    let mut seen: BTreeSet<String> = existing
        .iter()
        .filter_map(|d| domain_name(&d.name))
        .collect();
    let mut kept = Vec::new();
    for d in proposed {
        report.proposed += 1;
        let Some(name) = domain_name(&d.name) else {
            report.drop("invalid name");
            continue;
        };
        if taken.contains(&name) {
            report.drop("already in the workspace");
        } else if !seen.insert(name.clone()) {
            report.drop("duplicate");
        } else {
            report.kept += 1;
            report.items.push(name.clone());
            kept.push(Domain {
                name,
                description: d.description,
            });
        }
    }
    Ok(kept)
}

/// Stage 1: asks for `n` new domains (or takes them from `from`), and appends the new ones to
/// the domains file `out`.
pub fn synth_domains(
    store: &Store,
    strong: Option<&Strong>,
    n: usize,
    from: Option<&Path>,
    out: &Path,
) -> Result<(Vec<Domain>, StageReport), StrongError> {
    let mut report = StageReport::new("domains");
    let existing = if out.is_file() {
        read_domains(out)?
    } else {
        Vec::new()
    };
    let proposed = match (from, strong) {
        (Some(f), _) => read_domains(f)?,
        (None, Some(s)) => {
            let mut avoid: Vec<String> = taken(store)?.into_iter().collect();
            avoid.extend(existing.iter().map(|d| d.name.clone()));
            let prompt = s.prompts.get("domains").clone();
            let req = s.request("domains", domains_prompt(&s.prompts, n, &avoid));
            let replies = s.call(store, &prompt, vec![req], &mut report)?;
            match replies.into_iter().next().flatten() {
                Some((text, _)) => match json_array(&text) {
                    Some(items) => items.iter().filter_map(parse_domain).collect(),
                    None => {
                        report.drop("unparseable reply");
                        Vec::new()
                    }
                },
                None => Vec::new(),
            }
        }
        (None, None) => {
            return Err(StrongError::Runtime(
                "domains need a model or a file".into(),
            ))
        }
    };
    let mut kept = filter_domains(store, proposed, &existing, &mut report)?;
    // A model may answer with more than it was asked for: keep the first `n`.
    if from.is_none() && kept.len() > n {
        let extra = kept.len() - n;
        kept.truncate(n);
        report.items.truncate(n);
        report.kept = kept.len();
        *report
            .dropped
            .entry(format!("beyond the {n} asked for"))
            .or_default() += extra;
    }
    let mut all = existing;
    all.extend(kept.iter().cloned());
    write_domains(out, &all)?;
    Ok((kept, report))
}

// ---- stage 2: schemas --------------------------------------------------------------------

pub fn schema_prompt(prompts: &Prompts, d: &Domain) -> String {
    prompts
        .get("schema")
        .render(&[("domain", &d.name), ("description", &d.description)])
}

/// Domains of the file that have no database yet (by name).
pub fn pending_domains(store: &Store, domains: &[Domain]) -> Result<Vec<Domain>, StrongError> {
    let have: BTreeSet<String> = store
        .databases()?
        .into_iter()
        .map(|d| d.name.to_ascii_lowercase())
        .collect();
    Ok(domains
        .iter()
        .filter(|d| domain_name(&d.name).is_some_and(|n| !have.contains(&n)))
        .cloned()
        .collect())
}

/// Builds one database from a model's schema reply; the reason when it is dropped.
pub fn build_database(
    store: &Store,
    d: &Domain,
    reply: &str,
    limits: BuildLimits,
) -> Result<Result<i64, String>, StrongError> {
    let Some(name) = domain_name(&d.name) else {
        return Ok(Err("invalid name".into()));
    };
    if store.database_by_name(&name).is_ok() {
        return Ok(Err("name taken".into()));
    }
    let Some(script) = schema_script(reply) else {
        return Ok(Err("no SQL in reply".into()));
    };
    let dest = store.db_dir().join(format!("{name}.sqlite"));
    match materialize_with(&script, &dest, limits) {
        Err(MaterializeError::Denied(_)) => return Ok(Err("statement not allowed".into())),
        Err(e @ MaterializeError::Refused(_)) => return Ok(Err(e.to_string())),
        Err(MaterializeError::Sql(_)) => return Ok(Err("does not build".into())),
        Err(MaterializeError::Empty) => return Ok(Err("no rows".into())),
        Err(MaterializeError::Io(e)) => return Err(StrongError::File { path: dest, msg: e }),
        Ok(_) => {}
    }
    let schema = match introspect_path(&dest, 0) {
        Ok(s) => s,
        Err(_) => {
            let _ = std::fs::remove_file(&dest);
            return Ok(Err("does not build".into()));
        }
    };
    if schema.tables.iter().filter(|t| t.row_count > 0).count() == 0 {
        let _ = std::fs::remove_file(&dest);
        return Ok(Err("no rows".into()));
    }
    let id = store.upsert_database(&NewDatabase {
        name,
        domain: if d.description.is_empty() {
            d.name.clone()
        } else {
            d.description.clone()
        },
        source: SOURCE.into(),
        path: dest,
        fingerprint: crate::schema::fingerprint(&schema),
    })?;
    Ok(Ok(id))
}

/// Stage 2: a schema with rows for each domain that has no database yet (at most `limit`).
pub fn synth_schemas(
    store: &Store,
    strong: &Strong,
    domains: &[Domain],
    limit: Option<usize>,
) -> Result<StageReport, StrongError> {
    let mut report = StageReport::new("schemas");
    // Builds of a killed earlier run leave `NAME.PID.sense-tmp` files behind.
    let dir = store.db_dir();
    crate::proc::remove_stale_temps(&dir).map_err(|e| StrongError::File {
        path: dir.clone(),
        msg: e.to_string(),
    })?;
    let mut todo = pending_domains(store, domains)?;
    if let Some(n) = limit {
        todo.truncate(n);
    }
    let prompt = strong.prompts.get("schema").clone();
    let reqs = todo
        .iter()
        .map(|d| strong.request("schema", schema_prompt(&strong.prompts, d)))
        .collect();
    // Each database is built as its reply arrives: a rerun skips the built ones.
    strong.call_each(store, &prompt, reqs, &mut report, |i, reply, report| {
        let d = &todo[i];
        report.proposed += 1;
        let Some((text, _)) = reply else {
            report.drop("model call failed");
            return Ok(());
        };
        match build_database(store, d, &text, strong.build)? {
            Ok(_) => {
                report.kept += 1;
                report.items.push(domain_name(&d.name).unwrap_or_default());
            }
            Err(why) => report.drop(why),
        }
        Ok(())
    })?;
    Ok(report)
}

// ---- stage 3: questions ------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_scripts() {
        assert_eq!(
            domain_name("Pet Grooming Salon").as_deref(),
            Some("pet_grooming_salon")
        );
        assert_eq!(domain_name("  --x"), None);
        assert_eq!(domain_name("9lives"), None);
        assert_eq!(
            schema_script("Here:\n```sql\nCREATE TABLE a(x);\n```\n").as_deref(),
            Some("CREATE TABLE a(x);")
        );
        assert_eq!(
            schema_script("CREATE TABLE a(x);").as_deref(),
            Some("CREATE TABLE a(x);")
        );
        assert_eq!(schema_script("no"), None);
        assert_eq!(json_array("ok: [1, 2] done").map(|a| a.len()), Some(2));
        assert!(json_array("nothing").is_none());
    }
}
