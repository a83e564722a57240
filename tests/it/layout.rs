//! The module layout README.md describes: dependencies point one way (no two modules of `src/` import
//! each other, no circle inside `train`, `cli`, `tui`, `synth`, `store` or `dataset`) and no source file
//! grows past 800 lines (tests and data tables excepted). Read from the `use crate::` / `super::` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules whose direct submodules must not import each other in a circle.
const CHECKED_INSIDE: &[&str] = &["train", "cli", "tui", "synth", "store", "dataset"];
const MAX_LINES: usize = 800;

type Node = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b/c.rs` -> ["a", "b", "c"]; `mod.rs` names its folder.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs").to_string();
    if !matches!(stem.as_str(), "mod" | "lib" | "main") || parts.is_empty() {
        parts.push(stem);
    }
    parts
}

/// Text before a `#[cfg(test)] mod tests {` block: tests may reach anywhere.
fn without_test_module(src: &str) -> &str {
    let mut at = 0;
    while let Some(i) = src[at..].find("#[cfg(test)]") {
        let start = at + i;
        let rest = src[start + "#[cfg(test)]".len()..].trim_start();
        if rest.starts_with("mod tests") && rest["mod tests".len()..].trim_start().starts_with('{')
        {
            return &src[..start];
        }
        at = start + 1;
    }
    src
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Each `prefix::name[::name2]` in `src`, as (name, name2).
fn paths_after<'a>(src: &'a str, prefix: &str) -> Vec<(&'a str, Option<&'a str>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = src[at..].find(prefix) {
        let start = at + i;
        at = start + prefix.len();
        if start > 0 && src[..start].chars().next_back().is_some_and(is_ident_char) {
            continue;
        }
        let ident = |from: usize| -> Option<(&'a str, usize)> {
            let s = &src[from..];
            let len = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
            let name = &s[..len];
            name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                .then_some((name, from + len))
        };
        if let Some((a, end)) = ident(at) {
            let b = src[end..]
                .strip_prefix("::")
                .and_then(|_| ident(end + 2))
                .map(|(b, _)| b);
            out.push((a, b));
        }
    }
    out
}

struct Graph {
    edges: BTreeMap<Node, BTreeSet<Node>>,
}

fn read_graph(src_dir: &Path) -> (Graph, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src_dir, &mut files);
    let mut edges: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    let mut long = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(src_dir)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        let lines = text.lines().count();
        // Data tables (word lists, vocabularies) and unit-test files may be long.
        let name = rel.rsplit('/').next().unwrap_or_default();
        let exempt = ["vocab", "words", "lexicon", "names", "tables"]
            .iter()
            .any(|w| name.contains(w))
            || name.ends_with("tests.rs")
            || rel.contains("/tests/");
        if lines > MAX_LINES && !exempt {
            long.push(format!("src/{rel}: {lines} lines"));
        }
        let module = module_path(&rel);
        let me1: Node = module[..1].to_vec();
        let me2: Node = module[..module.len().min(2)].to_vec();
        let code = without_test_module(&text);
        for (a, b) in paths_after(code, "crate::") {
            if [a.to_string()] != me1[..] {
                edges
                    .entry(me1.clone())
                    .or_default()
                    .insert(vec![a.to_string()]);
            } else if let Some(b) = b {
                if me2.len() == 2 && me2[1] != b && CHECKED_INSIDE.contains(&me1[0].as_str()) {
                    edges
                        .entry(me2.clone())
                        .or_default()
                        .insert(vec![a.to_string(), b.to_string()]);
                }
            }
        }
        // `super::x` from a direct submodule file names a sibling.
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.len() == 2 && !parts[1].starts_with("mod.") {
            let me = parts[1].trim_end_matches(".rs");
            for (b, _) in paths_after(code, "super::") {
                if b != me {
                    edges
                        .entry(vec![parts[0].to_string(), me.to_string()])
                        .or_default()
                        .insert(vec![parts[0].to_string(), b.to_string()]);
                }
            }
        }
    }
    (Graph { edges }, long)
}

impl Graph {
    /// Strongly connected components of more than one node, among nodes of the given depth.
    fn circles(&self, depth: usize) -> Vec<Vec<String>> {
        let nodes: BTreeSet<&Node> = self
            .edges
            .iter()
            .flat_map(|(k, vs)| std::iter::once(k).chain(vs))
            .filter(|n| n.len() == depth)
            .collect();
        let reaches = |from: &Node| -> BTreeSet<Node> {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from.clone()];
            while let Some(n) = stack.pop() {
                for next in self.edges.get(&n).into_iter().flatten() {
                    if next.len() == depth && seen.insert(next.clone()) {
                        stack.push(next.clone());
                    }
                }
            }
            seen
        };
        let reach: BTreeMap<&Node, BTreeSet<Node>> =
            nodes.iter().map(|n| (*n, reaches(n))).collect();
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for n in &nodes {
            if done.contains(*n) {
                continue;
            }
            let comp: Vec<&Node> = nodes
                .iter()
                .filter(|m| **m == *n || (reach[*n].contains(**m) && reach[**m].contains(*n)))
                .copied()
                .collect();
            for m in &comp {
                done.insert((*m).clone());
            }
            if comp.len() > 1 {
                out.push(comp.iter().map(|m| m.join("/")).collect());
            }
        }
        out
    }
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let (graph, _) = read_graph(&src_dir());
    let circles = graph.circles(1);
    assert!(
        circles.is_empty(),
        "import circles between modules of src/: {circles:?}"
    );
}

#[test]
fn no_import_circle_inside_train_cli_tui_synth_store_or_dataset() {
    let (graph, _) = read_graph(&src_dir());
    let circles = graph.circles(2);
    assert!(
        circles.is_empty(),
        "import circles inside modules: {circles:?}"
    );
}

#[test]
fn no_source_file_is_longer_than_800_lines() {
    let (_, long) = read_graph(&src_dir());
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:?}");
}

#[test]
fn the_circle_check_sees_a_circle_when_there_is_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).expect("mkdir");
    std::fs::write(src.join("a/mod.rs"), "use crate::b::x;\n").expect("write");
    std::fs::write(src.join("b.rs"), "pub fn x() { crate::a::y() }\n").expect("write");
    std::fs::write(src.join("c.rs"), "use crate::a;\n").expect("write");
    std::fs::create_dir_all(src.join("tui")).expect("mkdir");
    std::fs::write(src.join("tui/state.rs"), "use super::view::draw;\n").expect("write");
    std::fs::write(src.join("tui/view.rs"), "use crate::tui::state::State;\n").expect("write");
    std::fs::write(
        src.join("tui/app.rs"),
        "use crate::tui::view;\n#[cfg(test)]\nmod tests {\n use crate::tui::state;\n}\n",
    )
    .expect("write");
    let (graph, long) = read_graph(src);
    assert_eq!(
        graph.circles(1),
        vec![vec!["a".to_string(), "b".to_string()]]
    );
    assert_eq!(
        graph.circles(2),
        vec![vec!["tui/state".to_string(), "tui/view".to_string()]]
    );
    assert!(long.is_empty());
    std::fs::write(src.join("c.rs"), "\n".repeat(MAX_LINES + 1)).expect("write");
    let (_, long) = read_graph(src);
    assert_eq!(long.len(), 1, "{long:?}");
}
