use super::*;

fn ws() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&d.path().join("w.db")).expect("store");
    (d, store)
}

#[test]
fn the_budget_is_shared_and_the_timed_stages_get_most_of_it() {
    let o = RecipeOptions {
        minutes: 10.0,
        ..RecipeOptions::default()
    };
    let total: f64 = Stage::ALL.iter().map(|s| o.minutes_for(*s)).sum();
    assert!(
        (total - 10.0).abs() < 1e-9,
        "shares sum to the budget: {total}"
    );
    assert!((o.minutes_for(Stage::Sft) - 6.0).abs() < 1e-9);
    let timed: f64 = Stage::ALL
        .iter()
        .filter(|s| s.timed())
        .map(|s| o.minutes_for(*s))
        .sum();
    assert!(timed > 7.9, "{timed}");
    assert_eq!(o.eval_examples(), 120);
    let tiny = RecipeOptions {
        minutes: 0.5,
        ..o.clone()
    };
    assert_eq!(tiny.eval_examples(), 16);
}

#[test]
fn finished_stages_are_skipped_and_training_resumes_its_run() {
    let (_d, store) = ws();
    let o = RecipeOptions::default();
    let mut st = RecipeState::default();
    assert_eq!(pending(&st), Stage::ALL.to_vec());
    st.stage_mut(Stage::Databases).done = true;
    st.stage_mut(Stage::HeldoutDatabases).done = true;
    assert_eq!(pending(&st)[0], Stage::Sft);
    let Step::Run {
        args,
        deadline_minutes,
    } = step(&store, &o, &st, Stage::Sft).expect("step")
    else {
        panic!("SFT runs")
    };
    assert!(args.windows(2).any(|w| w == ["--prompt", "linked"]));
    assert!(args.windows(2).any(|w| w == ["--tokenizer", "bpe"]));
    assert!(args.contains(&"--early-checkpoint".to_string()));
    assert!(deadline_minutes.is_some_and(|m| m > o.minutes_for(Stage::Sft)));
    st.stage_mut(Stage::Sft).run_id = Some(7);
    let Step::Run { args, .. } = step(&store, &o, &st, Stage::Sft).expect("step") else {
        panic!("SFT resumes")
    };
    assert_eq!(args, ["train", "sft", "--resume", "7", "--json"]);
    // Sampling needs the weak checkpoint; DPO is skipped without pairs, and its evals with it.
    assert!(step(&store, &o, &st, Stage::Sample).is_err());
    st.weak_checkpoint = Some("/ck/early".into());
    let Step::Run {
        args,
        deadline_minutes,
    } = step(&store, &o, &st, Stage::Sample).expect("step")
    else {
        panic!("sampling runs")
    };
    assert_eq!(args[..3], ["sample", "--model", "/ck/early"]);
    assert_eq!(deadline_minutes, Some(o.minutes_for(Stage::Sample)));
    let short = RecipeOptions {
        minutes: 0.1,
        ..o.clone()
    };
    assert!(
        matches!(step(&store, &short, &st, Stage::Sample), Ok(Step::Run { deadline_minutes: Some(m), .. }) if m >= 0.25)
    );
    let Step::Skip(why) = step(&store, &o, &st, Stage::Dpo).expect("step") else {
        panic!("no pairs, no DPO")
    };
    st.stage_mut(Stage::Dpo).skipped = Some(why);
    assert!(matches!(
        step(&store, &o, &st, Stage::EvalDpoDev),
        Ok(Step::Skip(_))
    ));
    // Enough train databases: none are made.
    let few = RecipeOptions {
        train_databases: 0,
        ..o
    };
    assert!(matches!(
        step(&store, &few, &RecipeState::default(), Stage::Databases),
        Ok(Step::Skip(_))
    ));
}

#[test]
fn state_round_trips_through_its_file() {
    let d = tempfile::tempdir().expect("tempdir");
    let path = state_path(&d.path().join("w.db"));
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("w.db.recipe.json")
    );
    assert_eq!(
        RecipeState::load(&path).expect("missing"),
        RecipeState::default()
    );
    let mut st = RecipeState {
        options: Some(RecipeOptions::default()),
        ..RecipeState::default()
    };
    let sft = st.stage_mut(Stage::Sft);
    sft.done = true;
    sft.run_id = Some(3);
    sft.checkpoint = Some("/x/step-000010".into());
    sft.minutes = 1.5;
    let eval = st.stage_mut(Stage::EvalSftDev);
    eval.done = true;
    eval.result = serde_json::json!({"ex": 0.25, "n": 4});
    st.weak_checkpoint = Some("/x/early".into());
    st.save(&path).expect("save");
    let back = RecipeState::load(&path).expect("load");
    assert_eq!(back, st);
    assert_eq!(pending(&back).len(), Stage::ALL.len() - 2);
    let r = report(&back, 2.0);
    assert_eq!(r["sft"]["ex_dev"], 0.25);
    assert!(r["dpo"]["ex_dev"].is_null());
    std::fs::write(&path, "{not json").expect("write");
    assert!(RecipeState::load(&path).is_err());
}

#[test]
fn eval_output_becomes_the_stage_result() {
    let (_d, store) = ws();
    let mut st = RecipeState::default();
    let out =
        "{\"example_id\":1}\n{\"summary\":true,\"eval_id\":5,\"n\":4,\"correct\":1,\"ex\":0.25}\n";
    finish(&store, &mut st, Stage::EvalSftHeldout, out, true, false).expect("finish");
    let s = st.stage(Stage::EvalSftHeldout);
    assert!(s.done);
    assert_eq!((s.run_id, s.result["ex"].as_f64()), (Some(5), Some(0.25)));
    assert!(finish(&store, &mut st, Stage::EvalSftDev, "", false, false).is_err());
    assert!(!st.stage(Stage::EvalSftDev).done);
}

#[test]
fn sft_gets_the_recipe_sizes_unless_the_flags_give_their_own() {
    let (_d, store) = ws();
    let mut st = RecipeState::default();
    st.stage_mut(Stage::Databases).done = true;
    st.stage_mut(Stage::HeldoutDatabases).done = true;
    let args_for = |flags: &[&str]| {
        let o = RecipeOptions {
            sft_flags: flags.iter().map(|s| s.to_string()).collect(),
            ..RecipeOptions::default()
        };
        match step(&store, &o, &st, Stage::Sft).expect("step") {
            Step::Run { args, .. } => args,
            Step::Skip(why) => panic!("{why}"),
        }
    };
    let count = |args: &[String], flag: &str| args.iter().filter(|a| *a == flag).count();
    let plain = args_for(&[]);
    // The weak model's checkpoint at `weak_at` of SFT's minutes.
    let o = RecipeOptions::default();
    let early = format!("{:.4}", o.minutes_for(Stage::Sft) * o.weak_at);
    assert!(
        plain
            .windows(2)
            .any(|w| w[0] == "--early-checkpoint" && w[1] == early),
        "{plain:?}"
    );
    for (flag, v) in SFT_DEFAULTS {
        assert!(
            plain.windows(2).any(|w| w == [*flag, *v]),
            "{flag} {v}: {plain:?}"
        );
    }
    // A flag the user gives replaces the default once (clap refuses a flag given twice).
    let own = args_for(&["--layers", "4", "--lr", "0.001"]);
    assert!(own.windows(2).any(|w| w == ["--layers", "4"]));
    assert!(own.windows(2).any(|w| w == ["--lr", "0.001"]));
    assert_eq!((count(&own, "--layers"), count(&own, "--lr")), (1, 1));
    assert!(own.windows(2).any(|w| w == ["--d-model", "128"]));
}
