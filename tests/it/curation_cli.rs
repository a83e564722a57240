//! Curation from the command line on a fresh sample workspace: disputed verdicts, pairs listed
//! and decided, gold corrected and undone, held-out splits sealed; through the real binary.

use crate::bin::{ok, sense};
use serde_json::Value;
use std::path::Path;

fn init(dir: &Path) -> std::path::PathBuf {
    let ws = dir.join("sense.db");
    ok(sense(&ws).arg("init"));
    ws
}

fn pairs(ws: &Path, extra: &[&str]) -> Vec<Value> {
    ok(sense(ws).args(["pairs", "list", "--json"]).args(extra))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn exit_code(c: &mut std::process::Command) -> (i32, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_group_by_answer_is_disputed_not_a_plain_wrong_pair() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    let all = pairs(&ws, &[]);
    let p = all
        .iter()
        .find(|p| p["rejected_sql"] == "SELECT manufacturer FROM aircraft GROUP BY manufacturer")
        .expect("the GROUP BY candidate has a pair");
    for field in [
        "id",
        "example_id",
        "db",
        "split",
        "status",
        "chosen_sql",
        "rejected_sql",
        "reason",
        "flags",
        "gold_changed",
    ] {
        assert!(p.get(field).is_some(), "{field} missing in {p}");
    }
    assert_eq!(p["db"], "airline_maintenance");
    assert_eq!(p["split"], "dev");
    assert_eq!(p["flags"], serde_json::json!(["disputed"]));
    assert!(
        p["flag_reason"]
            .as_str()
            .unwrap()
            .starts_with("differs only because the Spider rule removes DISTINCT"),
        "{p}"
    );
    // The flag filter finds it, and only flagged pairs.
    let disputed = pairs(&ws, &["--flag", "disputed"]);
    assert!(disputed.iter().any(|q| q["id"] == p["id"]));
    assert!(disputed
        .iter()
        .all(|q| q["flags"].as_array().unwrap().contains(&"disputed".into())));
    // Flagged pending pairs are not exported as training data.
    let out = d.path().join("pending.jsonl");
    ok(sense(&ws)
        .args([
            "export",
            "dpo",
            "--status",
            "pending",
            "--split",
            "dev",
            "--allow-dev",
            "--meta",
        ])
        .arg(&out));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        assert_ne!(
            r["pair_id"], p["id"],
            "a disputed pending pair was exported"
        );
        assert_eq!(r["flags"], serde_json::json!([]));
    }
}

#[test]
fn pairs_are_decided_from_the_command_line_and_bad_ids_are_named() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    let pending = pairs(&ws, &["--status", "pending", "--db", "vet_clinic"]);
    assert!(pending.len() >= 2, "{pending:?}");
    let (a, b) = (
        pending[0]["id"].as_i64().unwrap(),
        pending[1]["id"].as_i64().unwrap(),
    );
    let out = ok(sense(&ws).args([
        "pairs",
        "accept",
        &a.to_string(),
        "--note",
        "clear case",
        "--annotator",
        "kim",
    ]));
    assert!(out.contains(&format!("pair #{a} accepted")), "{out}");
    ok(sense(&ws).args(["pairs", "reject", &b.to_string()]));
    let accepted = pairs(&ws, &["--status", "accepted"]);
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        (accepted[0]["id"].as_i64(), accepted[0]["note"].as_str()),
        (Some(a), Some("clear case"))
    );
    assert_eq!(
        pairs(&ws, &["--status", "rejected"])[0]["id"].as_i64(),
        Some(b)
    );
    // An unknown id is exit 2, naming it, and nothing is decided.
    let (code, err) = exit_code(sense(&ws).args(["pairs", "skip", &b.to_string(), "99999"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pair #99999"), "{err}");
    assert!(pairs(&ws, &["--status", "skipped"]).is_empty());
    let (code, err) = exit_code(sense(&ws).args(["pairs", "list", "--flag", "bogus"]));
    assert_eq!(code, 2, "{err}");
    // status --json: examples by split × source, pairs by status × split.
    let s: Value = serde_json::from_str(&ok(sense(&ws).args(["status", "--json"]))).unwrap();
    assert!(
        s["examples_by_split_source"]["dev"]["sample"]
            .as_i64()
            .unwrap()
            > 0,
        "{s}"
    );
    assert!(
        s["examples_by_split_source"]["train"]["sample"]
            .as_i64()
            .unwrap()
            > 0,
        "{s}"
    );
    assert_eq!(s["pairs_by_status_split"]["accepted"]["dev"], 1, "{s}");
    assert_eq!(s["pairs"]["rejected"], 1);
    assert_eq!(s["database_splits"]["vet_clinic"], "dev");
    let weak = s["weak_samples"].as_array().unwrap();
    let hand = weak.iter().find(|w| w["model"] == "hand-written").unwrap();
    assert!(hand["samples"].as_i64().unwrap() > 50, "{hand}");
    assert!(hand["executable"].as_f64().unwrap() > 0.5, "{hand}");
}

#[test]
fn gold_set_withdraws_the_pair_it_makes_correct_and_undo_restores_it() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    let p = pairs(&ws, &["--status", "pending"])
        .into_iter()
        .find(|p| p["flags"] == serde_json::json!([]))
        .unwrap();
    let (id, ex) = (p["id"].as_i64().unwrap(), p["example_id"].as_i64().unwrap());
    let old_gold = p["chosen_sql"].as_str().unwrap().to_string();
    let rejected = p["rejected_sql"].as_str().unwrap().to_string();
    let out = ok(sense(&ws)
        .args([
            "gold",
            "set",
            &ex.to_string(),
            &rejected,
            "--note",
            "the model was right",
        ])
        .env("SENSE_ANNOTATOR", "ana"));
    assert!(out.contains(&format!("pair #{id} withdrawn")), "{out}");
    let now = pairs(&ws, &["--status", "withdrawn"]);
    let w = now.iter().find(|q| q["id"].as_i64() == Some(id)).unwrap();
    assert!(w["withdrawn_reason"]
        .as_str()
        .unwrap()
        .contains("correct under the new gold"));
    assert_eq!(w["gold_changed"], true);
    // Deciding a withdrawn pair is refused with the reason.
    let (code, err) = exit_code(sense(&ws).args(["pairs", "accept", &id.to_string()]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("withdrawn") && err.contains("correct under the new gold"),
        "{err}"
    );
    // The log has old, new, note and annotator.
    let log: Vec<Value> = ok(sense(&ws).args(["gold", "log", "--json"]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["old_sql"], old_gold.as_str());
    assert_eq!(log[0]["new_sql"], rejected.as_str());
    assert_eq!(log[0]["note"], "the model was right");
    assert_eq!(log[0]["annotator"], "ana");
    // A gold that fails to execute is refused with SQLite's message; nothing changes.
    let (code, err) = exit_code(sense(&ws).args([
        "gold",
        "set",
        &ex.to_string(),
        "SELECT no_such_col FROM nowhere",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such table: nowhere"), "{err}");
    let (code, err) = exit_code(sense(&ws).args(["gold", "set", "987654", "SELECT 1"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("example #987654"), "{err}");
    // Undo: the old gold and the pending pair come back.
    ok(sense(&ws).args(["gold", "undo"]));
    let back = pairs(&ws, &[])
        .into_iter()
        .find(|q| q["id"].as_i64() == Some(id))
        .unwrap();
    assert_eq!(back["status"], "pending");
    assert_eq!(back["chosen_sql"], old_gold.as_str());
    assert_eq!(back["gold_changed"], false);
}

#[test]
fn held_out_splits_are_written_and_trained_only_when_asked() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    let by_split = |ws: &Path| -> Value {
        let s: Value = serde_json::from_str(&ok(sense(ws).args(["status", "--json"]))).unwrap();
        s["examples_by_split_source"].clone()
    };
    // Templates with no split flag: train databases only.
    ok(sense(&ws).args(["synth", "templates", "--per-db", "20"]));
    let s = by_split(&ws);
    assert!(s["train"]["template"].as_i64().unwrap() > 0, "{s}");
    assert!(
        s["dev"].get("template").is_none(),
        "templates reached dev: {s}"
    );
    // Asking for dev without --allow-dev is refused (exit 2), naming the flag.
    for args in [
        &["synth", "templates", "--split", "dev"][..],
        &["synth", "templates", "--db", "vet_clinic"],
        &["sample", "--model", "x", "--split", "dev", "--dry-run"],
        &["export", "sft", "out.jsonl", "--split", "dev"],
        &["export", "dpo", "out.jsonl", "--split", "all"],
        &["train", "sft", "--split", "dev", "--steps", "1"],
        &["train", "sft", "--all-splits", "--steps", "1"],
    ] {
        let (code, err) = exit_code(sense(&ws).current_dir(d.path()).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("held out") && err.contains("--allow-dev"),
            "{args:?}: {err}"
        );
    }
    assert!(!d.path().join("out.jsonl").exists());
    // Asked for: written.
    ok(sense(&ws).args([
        "synth",
        "templates",
        "--split",
        "dev",
        "--allow-dev",
        "--per-db",
        "5",
    ]));
    assert!(by_split(&ws)["dev"]["template"].as_i64().unwrap() > 0);
    // Exports default to train.
    let out = d.path().join("sft.jsonl");
    ok(sense(&ws).args(["export", "sft", "--meta"]).arg(&out));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().all(|l| l.contains("\"split\":\"train\"")));
}

#[test]
fn two_annotators_agreement_conflicts_and_export_provenance() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    let ids: Vec<String> = pairs(&ws, &["--status", "pending", "--db", "vet_clinic"])
        .iter()
        .filter(|p| p["flags"] == serde_json::json!([]))
        .take(4)
        .map(|p| p["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    let decide = |who: &str, verb: &str, id: &str| {
        ok(sense(&ws).args(["pairs", verb, id, "--annotator", who]));
    };
    // ana accepts all four; bo agrees on three and rejects the last.
    for id in &ids {
        decide("ana", "accept", id);
    }
    for id in &ids[..3] {
        decide("bo", "accept", id);
    }
    decide("bo", "reject", &ids[3]);
    let a: Value =
        serde_json::from_str(&ok(sense(&ws).args(["pairs", "agreement", "--json"]))).unwrap();
    assert_eq!(a["decisions"]["ana"], 4);
    assert_eq!(a["decisions"]["bo"], 4);
    assert_eq!(a["shared_pairs"], 4);
    assert_eq!(a["conflicts"], 1);
    let p = &a["pairs"][0];
    assert_eq!(
        (p["a"].as_str(), p["b"].as_str()),
        (Some("ana"), Some("bo"))
    );
    assert_eq!((p["n"].as_i64(), p["agree"].as_i64()), (Some(4), Some(3)));
    assert_eq!(p["raw"].as_f64(), Some(0.75));
    // ana's labels are all "accepted": chance agreement 0.75, so kappa is 0.
    assert_eq!(p["kappa"].as_f64(), Some(0.0));
    let conflicts = pairs(&ws, &["--conflicts"]);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["id"].to_string(), ids[3]);
    // Export with provenance: who decided, the failure class; a dataset card beside it.
    let out = d.path().join("exp/dpo.jsonl");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let msg = ok(sense(&ws)
        .args(["export", "dpo", "--split", "dev", "--allow-dev", "--meta"])
        .arg(&out));
    assert!(
        msg.contains("3 pairs written") && msg.contains("dataset card"),
        "{msg}"
    );
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["annotator"], "bo");
        assert_eq!(r["split"], "dev");
        assert!(!r["failure_class"].as_str().unwrap().is_empty(), "{r}");
        assert_eq!(r["rejected_model"], "hand-written");
        assert!(r["decided_at"].is_string());
    }
    let card = std::fs::read_to_string(d.path().join("exp/README.md")).unwrap();
    assert!(
        card.contains("| vet_clinic | 3 |") && card.contains("--allow-dev --meta"),
        "{card}"
    );
    // The class filter lists only that class.
    let class = conflicts[0]["failure_class"].as_str().unwrap().to_string();
    let same = pairs(&ws, &["--class", &class]);
    assert!(same.iter().all(|p| p["failure_class"] == class.as_str()));
    let (code, err) = exit_code(sense(&ws).args(["pairs", "list", "--class", "nonsense"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("extra_rows"), "lists the classes: {err}");
}

#[test]
fn the_theme_flag_works_without_the_tui_subcommand() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    // Parsed at the top level (clap refused `--theme` here before) and checked.
    let (code, err) = exit_code(sense(&ws).args(["--theme", "no-such-theme"]));
    assert_ne!(code, 0);
    assert!(
        err.contains("no such theme") && err.contains("high-contrast"),
        "{err}"
    );
    assert!(!err.contains("unexpected argument"), "{err}");
}

#[test]
fn an_export_that_matches_nothing_fails_without_writing_and_a_db_filter_narrows_it() {
    let d = tempfile::tempdir().unwrap();
    let ws = init(d.path());
    // The sample pairs are all on dev databases: the default (train) selects none.
    let out = d.path().join("none.jsonl");
    let (code, err) = exit_code(
        sense(&ws)
            .args(["export", "dpo", "--status", "pending"])
            .arg(&out),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing written"), "{err}");
    assert!(!out.exists(), "no empty file");
    let vet = d.path().join("vet.jsonl");
    let msg = ok(sense(&ws)
        .args([
            "export",
            "dpo",
            "--status",
            "pending",
            "--split",
            "dev",
            "--allow-dev",
        ])
        .args(["--db", "vet_clinic", "--meta", "--max-length", "100"])
        .arg(&vet));
    assert!(
        msg.contains("record length (prompt and completion, characters): median"),
        "{msg}"
    );
    let rows: Vec<Value> = std::fs::read_to_string(&vet)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["db_id"] == "vet_clinic"));
    let (code, err) = exit_code(
        sense(&ws)
            .args([
                "export",
                "dpo",
                "--status",
                "pending",
                "--split",
                "dev",
                "--allow-dev",
            ])
            .args(["--db", "vet_clinic", "--max-length", "100"])
            .arg(&vet),
    );
    assert_eq!(code, 0);
    assert!(err.contains("longer than 100 characters"), "{err}");
}
