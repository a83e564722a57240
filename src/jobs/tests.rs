//! The runner without any UI: real workspaces, the events a caller receives, the jobs table.

use super::*;
use crate::dataset::samples::{embedded, init_workspace};
use std::sync::atomic::Ordering;

fn workspace(dir: &Path) -> Store {
    let store = Store::open(&dir.join("ws.db")).unwrap();
    init_workspace(&store, &embedded().unwrap()).unwrap();
    store
}

fn run(store: &Store, spec: &JobSpec, cancel: &AtomicBool) -> Vec<JobEvent> {
    let mut events = Vec::new();
    run_job(store.path(), spec, cancel, |e| events.push(e));
    events
}

fn finished(events: &[JobEvent]) -> (&str, &str) {
    match events.last() {
        Some(JobEvent::Finished { status, message }) => (status, message),
        _ => panic!("{events:?}"),
    }
}

#[test]
fn a_template_job_reports_each_database_and_records_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path());
    let spec = JobSpec::Templates {
        dbs: vec!["vet_clinic".into(), "library_loans".into()],
        allow_dev: true,
    };
    let events = run(&store, &spec, &AtomicBool::new(false));
    let Some(JobEvent::Started { id, kind }) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(kind, "templates");
    let steps: Vec<(i64, i64)> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Progress { done, total, .. } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(steps, vec![(0, 2), (1, 2), (2, 2)]);
    let (status, message) = finished(&events);
    assert_eq!(status, "done", "{message}");
    assert!(message.starts_with("2 of 2 databases"), "{message}");
    let row = store.job(*id).unwrap();
    assert_eq!((row.status.as_str(), row.done, row.total), ("done", 2, 2));
    let examples: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM examples WHERE source = 'template'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(examples > 0);
}

#[test]
fn a_job_cancelled_before_it_starts_does_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path());
    let cancel = AtomicBool::new(true);
    let events = run(
        &store,
        &JobSpec::Templates {
            dbs: vec![],
            allow_dev: false,
        },
        &cancel,
    );
    let (status, message) = finished(&events);
    assert_eq!(status, "cancelled");
    assert!(message.starts_with("0 of 6 databases"), "{message}");
    assert!(cancel.load(Ordering::SeqCst));
}

#[test]
fn a_model_that_cannot_be_opened_fails_the_job_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = workspace(dir.path());
    let gone = dir.path().join("no-such-checkpoint");
    let sample = JobSpec::Sample {
        source: ModelSource::Checkpoint(gone.clone()),
        db: None,
        k: 1,
        temperature: 0.8,
        limit: Some(1),
        allow_dev: false,
    };
    let events = run(&store, &sample, &AtomicBool::new(false));
    assert_eq!(
        finished(&events),
        (
            "failed",
            format!("no checkpoint folder {}", gone.display()).as_str()
        )
    );
    let strong = JobSpec::Strong {
        source: ModelSource::Checkpoint(gone),
        domains: 1,
        questions: 1,
    };
    let events = run(&store, &strong, &AtomicBool::new(false));
    let (status, message) = finished(&events);
    assert_eq!(status, "failed");
    assert!(message.contains("needs an endpoint model"), "{message}");
    let statuses: Vec<String> = (1..=2)
        .map(|id| store.job(id).unwrap().status.as_str().to_string())
        .collect();
    assert_eq!(statuses, ["failed", "failed"]);
}

#[test]
fn a_child_that_is_not_sense_is_never_started_and_a_dead_pid_is_not_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    // The test binary is not `sense`: nothing is started in its name.
    let err = spawn_sense(&dir.path().join("ws.db"), &["status".into()], "x").unwrap_err();
    assert!(err.contains("is not the sense binary"), "{err}");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = i64::from(child.id());
    child.wait().unwrap();
    assert_eq!(
        interrupt(pid).unwrap_err(),
        format!("process {pid} is not running")
    );
}
