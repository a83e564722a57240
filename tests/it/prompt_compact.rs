//! The compact prompt layout (version 2): it names every table and column with its keys, is
//! shorter than the CREATE TABLE layout, and checkpoints record which layout they learned.

use sense::dataset::samples;
use sense::schema::{
    introspect_path, prompt_for, serialize_compact, DbSchema, PromptFormat, PromptOptions,
};
use sense::store::{ExampleFilter, Store};

/// Splits `s` at `sep` outside single- and double-quoted text.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let (mut out, mut cur, mut quote) = (Vec::new(), String::new(), None);
    for ch in s.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            None if ch == '\'' || ch == '"' => quote = Some(ch),
            None if ch == sep => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur);
    out
}

/// Reads an identifier as the layout writes it (bare or double-quoted), and the rest.
fn ident(s: &str) -> (String, &str) {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    chars.next();
                    name.push('"');
                } else {
                    return (name, &rest[i + 1..]);
                }
            } else {
                name.push(c);
            }
        }
        panic!("unterminated identifier in {s:?}");
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (s[..end].to_string(), &s[end..])
}

/// (table, [(column, primary key, foreign key "t.c")]) read back from the compact text.
type Parsed = Vec<(String, Vec<(String, bool, Option<String>)>)>;

fn parse(text: &str) -> Parsed {
    let mut out = Vec::new();
    for line in text.lines() {
        let (table, rest) = ident(line);
        let body = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{line:?} is not table(...)"));
        let mut cols = Vec::new();
        for c in split_top(body, ',') {
            let (name, rest) = ident(&c);
            let words = split_top(rest.trim(), ' ');
            let pk = words.iter().any(|w| w == "PK");
            // `-> parent` names the parent's column of the same name.
            let fk = words.iter().position(|w| w == "->").map(|i| {
                let target = words[i + 1].replace('"', "");
                if target.contains('.') {
                    target
                } else {
                    format!("{target}.{name}")
                }
            });
            cols.push((name, pk, fk));
        }
        out.push((table, cols));
    }
    out
}

fn expected(s: &DbSchema) -> Parsed {
    s.tables
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.columns
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            c.primary_key,
                            c.foreign_key
                                .as_ref()
                                .map(|f| format!("{}.{}", f.table, f.column)),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn sample_store() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("sense.db")).unwrap();
    samples::init_workspace(&store, &samples::embedded().unwrap()).unwrap();
    (d, store)
}

#[test]
fn the_compact_prompt_round_trips_every_table_and_column() {
    let (d, store) = sample_store();
    sense::synth::procedural::synth_databases(
        &store,
        &sense::synth::procedural::ProceduralOptions {
            n: 4,
            per_db: 3,
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    // Names that need quoting, and a value with a quote and a comma.
    let odd = d.path().join("odd.sqlite");
    let c = rusqlite::Connection::open(&odd).unwrap();
    c.execute_batch(
        "CREATE TABLE \"song list\" (id INTEGER PRIMARY KEY, \"Title, \"\"Main\"\"\" TEXT, n INT);
         CREATE TABLE plays (play_id INTEGER PRIMARY KEY, song INT REFERENCES \"song list\"(id), who TEXT);
         INSERT INTO \"song list\" VALUES (1, 'O''Neil, live', 3);
         INSERT INTO plays VALUES (1, 1, 'x (y)');",
    )
    .unwrap();
    drop(c);
    let mut paths: Vec<_> = store
        .databases()
        .unwrap()
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert!(paths.len() >= 12);
    paths.push(odd);
    for p in paths {
        let s = introspect_path(&p, PromptOptions::default().sample_rows).unwrap();
        let text = serialize_compact(&s);
        assert_eq!(text.lines().count(), s.tables.len(), "one line per table");
        assert_eq!(parse(&text), expected(&s), "{}:\n{text}", p.display());
        let compact = prompt_for(
            &s,
            "How many?",
            None,
            PromptOptions::of(PromptFormat::Compact),
        );
        let create = prompt_for(&s, "How many?", None, PromptOptions::default());
        assert!(compact.contains(&text) && compact.ends_with("-- Question: How many?\n-- SQL:\n"));
        assert!(compact.len() < create.len(), "{}", p.display());
    }
}

/// The linked layout is the compact one plus a `-- Links:` line after the question; on the
/// hand-written questions of the sample databases the links name the gold's tables and
/// columns far more often than not, and never a name the schema lacks.
#[test]
fn the_linked_prompt_names_what_the_question_mentions() {
    let (_d, store) = sample_store();
    let examples = store.examples(&ExampleFilter::default()).unwrap();
    let (mut links, mut in_gold) = (0usize, 0usize);
    let mut schemas = std::collections::HashMap::new();
    for e in &examples {
        let s = schemas
            .entry(e.db_id)
            .or_insert_with(|| introspect_path(&store.database(e.db_id).unwrap().path, 3).unwrap());
        let linked = prompt_for(
            s,
            &e.question,
            None,
            PromptOptions::of(PromptFormat::Linked),
        );
        let compact = prompt_for(
            s,
            &e.question,
            None,
            PromptOptions::of(PromptFormat::Compact),
        );
        let line = linked
            .lines()
            .find_map(|l| l.strip_prefix("-- Links: "))
            .expect("a links line");
        let question_line = format!("-- Question: {}\n", e.question.trim());
        assert_eq!(
            linked.replace(&format!("-- Links: {line}\n"), ""),
            compact,
            "the links line is all that differs, after {question_line}"
        );
        assert_eq!(
            sense::schema::schema_section(&linked),
            sense::schema::schema_section(&compact)
        );
        if line == "none" {
            continue;
        }
        let gold = e.gold_sql.to_ascii_lowercase();
        for l in split_top(line, ',') {
            let l = l.trim();
            // `table`, `table.column` or `table.column='value'`.
            let (name, value) = match l.split_once("='") {
                Some((n, v)) => (n, Some(v.trim_end_matches('\'').replace("''", "'"))),
                None => (l, None),
            };
            let (table, column) = name
                .split_once('.')
                .map_or((name, None), |(t, c)| (t, Some(c)));
            let t = s
                .table(table)
                .unwrap_or_else(|| panic!("{l}: no such table"));
            if let Some(c) = column {
                let i = t.columns.iter().position(|x| x.name == c);
                let i = i.unwrap_or_else(|| panic!("{l}: no such column"));
                if let Some(v) = &value {
                    assert!(t.values[i].contains(v), "{l}: not a value of the column");
                }
            }
            links += 1;
            let said = value.unwrap_or_else(|| column.unwrap_or(table).to_string());
            in_gold += usize::from(gold.contains(&said.to_ascii_lowercase()));
        }
    }
    assert!(
        links > examples.len(),
        "{links} links over {} questions",
        examples.len()
    );
    assert!(
        in_gold * 10 > links * 7,
        "{in_gold} of {links} links are in the gold SQL"
    );
    assert_eq!(PromptFormat::Linked.version(), 3);
    assert_eq!(PromptFormat::from_version(3), Some(PromptFormat::Linked));
}

#[test]
fn a_run_records_its_prompt_layout_and_generation_follows_it() {
    use sense::llm::generator::SqlGenerator;
    use sense::train::config::{ModelConfig, TrainConfig, TrainKind};
    use sense::train::{checkpoint, runner};
    let (d, store) = sample_store();
    let cfg = TrainConfig {
        kind: TrainKind::Sft,
        model: ModelConfig {
            d_model: 32,
            n_layers: 1,
            n_heads: 2,
            d_ff: 32,
            max_seq_len: 64,
            ..ModelConfig::default()
        },
        out: Some(d.path().join("ck")),
        steps: 1,
        batch_size: 2,
        max_len: 64,
        warmup_steps: 1,
        eval_every: 0,
        ..TrainConfig::default()
    };
    let mut compact = cfg.clone();
    compact.data.prompt = PromptFormat::Compact;
    let never = std::sync::atomic::AtomicBool::new(false);
    runner::start(&store, compact, &never, &mut |_| {}).unwrap();
    let l = checkpoint::load(&d.path().join("ck"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(l.meta.prompt_version, PromptFormat::Compact.version());
    assert_eq!(PromptFormat::Compact.version(), 2);
    let g = sense::train::local::LocalGenerator::load(&d.path().join("ck"), "cpu", 0).unwrap();
    assert_eq!(g.prompt_format(), PromptFormat::Compact);
    // A run from that checkpoint keeps its layout whatever the config says.
    let mut from = cfg.clone();
    from.from = Some(d.path().join("ck"));
    from.out = Some(d.path().join("ck2"));
    runner::start(&store, from, &never, &mut |_| {}).unwrap();
    let l2 = checkpoint::load(&d.path().join("ck2"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(l2.meta.prompt_version, 2);
    // The default stays the CREATE TABLE layout (version 1).
    let mut plain = cfg;
    plain.out = Some(d.path().join("ck3"));
    runner::start(&store, plain, &never, &mut |_| {}).unwrap();
    let l3 = checkpoint::load(&d.path().join("ck3"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(l3.meta.prompt_version, 1);
}

/// A measurement, not a check: median prompt length in BPE tokens (a 2048 vocabulary trained
/// on the train prompts of each layout, as `--tokenizer bpe` does) over the sample databases'
/// examples. `cargo test --release --test it prompt_lengths -- --ignored --nocapture`
#[test]
#[ignore]
fn prompt_lengths_in_bpe_tokens() {
    let (_d, store) = sample_store();
    let examples = store.examples(&ExampleFilter::default()).unwrap();
    for format in [
        PromptFormat::Create,
        PromptFormat::Compact,
        PromptFormat::Linked,
    ] {
        let mut schemas = std::collections::HashMap::new();
        let prompts: Vec<String> = examples
            .iter()
            .map(|e| {
                let s = schemas.entry(e.db_id).or_insert_with(|| {
                    introspect_path(&store.database(e.db_id).unwrap().path, 3).unwrap()
                });
                prompt_for(
                    s,
                    &e.question,
                    e.evidence.as_deref(),
                    PromptOptions::of(format),
                )
            })
            .collect();
        let train: Vec<String> = examples
            .iter()
            .zip(&prompts)
            .filter(|(e, _)| e.split == "train")
            .flat_map(|(e, p)| [p.clone(), sense::schema::completion_text(&e.gold_sql)])
            .collect();
        let tok = sense::train::tokenizer::train_bpe(train.into_iter(), 2048).unwrap();
        if std::env::var_os("SHOW_PROMPT").is_some() {
            println!("{}", prompts[0]);
        }
        let mut lens: Vec<usize> = prompts.iter().map(|p| tok.encode(p).len()).collect();
        lens.sort_unstable();
        let mut bytes: Vec<usize> = prompts.iter().map(String::len).collect();
        bytes.sort_unstable();
        println!(
            "{format:?}: {} prompts, median {} BPE tokens (p90 {}, max {}), median {} bytes",
            lens.len(),
            lens[lens.len() / 2],
            lens[lens.len() * 9 / 10],
            lens[lens.len() - 1],
            bytes[bytes.len() / 2]
        );
    }
}

/// `--repeat-source sample=3`: each hand-written train example is three sequences of the
/// epoch, template ones one, and held-out examples none.
#[test]
fn repeat_source_weighs_one_source_in_the_sft_data() {
    use sense::train::config::DataConfig;
    use sense::train::data::sft_sequences;
    use sense::train::tokenizer::Tokenizer;
    let (_d, store) = sample_store();
    sense::synth::procedural::synth_databases(
        &store,
        &sense::synth::procedural::ProceduralOptions {
            n: 2,
            per_db: 5,
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    let count = |source: &str| {
        store
            .examples(&ExampleFilter {
                split: Some("train".into()),
                source: Some(source.into()),
                ..ExampleFilter::default()
            })
            .unwrap()
            .len()
    };
    let (hand, procedural) = (count("sample"), count("procedural"));
    assert!(hand > 100 && procedural >= 5, "{hand} {procedural}");
    let tok = Tokenizer::Byte;
    let plain = DataConfig::default();
    let (seqs, stats) = sft_sequences(&store, &plain, &tok, 8192).unwrap();
    assert_eq!(seqs.len(), hand + procedural);
    let mut weighted = DataConfig::default();
    weighted.repeat_source.insert("sample".into(), 3);
    let (seqs3, stats3) = sft_sequences(&store, &weighted, &tok, 8192).unwrap();
    assert_eq!(seqs3.len(), 3 * hand + procedural);
    assert_eq!(stats3.sequences, seqs3.len());
    assert!(
        stats3.tokens > 2 * stats.tokens,
        "{} vs {}",
        stats3.tokens,
        stats.tokens
    );
}
