//! Stage 2: a schema with rows for each domain, built from the model's untrusted script.

use super::reply::{domain_name, schema_script};
use super::{Domain, StageReport, Strong, StrongError, SOURCE};
use crate::llm::prompts::Prompts;
use crate::schema::introspect_path;
use crate::store::{NewDatabase, Store};
use crate::synth::materialize::{materialize_with, BuildLimits, MaterializeError};
use std::collections::BTreeSet;

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
