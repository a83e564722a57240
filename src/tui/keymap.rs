//! Key bindings: one table per mode, loaded from a default TOML embedded in the binary and
//! overridden by a user file. The help overlay is generated from the same tables.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::path::Path;

pub const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// What a key asks for. Names are the keys of the TOML tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    Quit,
    Help,
    NextScreen,
    PrevScreen,
    GoDatabases,
    GoQuestions,
    GoReview,
    GoRuns,
    GoPlayground,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Expand,
    Collapse,
    Filter,
    ClearFilter,
    GridDown,
    GridUp,
    GridLeft,
    GridRight,
    Search,
    FilterDb,
    FilterSplit,
    FilterDifficulty,
    FilterSource,
    FilterWrong,
    ClearFilters,
    Accept,
    Reject,
    Skip,
    Undo,
    Note,
    Edit,
    EditGold,
    ToggleRule,
    NextPending,
    AcceptAll,
    RejectAll,
    SkipAll,
    Guidelines,
    Query,
    SortColumn,
    TableQuestions,
    NextCandidate,
    OpenPair,
    SqlDown,
    SqlUp,
    Ask,
    Generate,
    SampleK,
    CancelGeneration,
    NextDb,
    PrevDb,
    NextModel,
    PrevModel,
    TypeModel,
    SaveExample,
    MoreK,
    FewerK,
    Hotter,
    SavePair,
    ShowPrompt,
    Cooler,
    MoreTokens,
    FewerTokens,
    JobsMenu,
    StartJob,
    CancelJob,
    CloseMenu,
    NextValue,
    PrevValue,
    NewRun,
    StopRun,
    EvalRun,
    CancelEval,
    NextMetric,
    PrevMetric,
    Smooth,
    SmoothMore,
    SmoothLess,
    LogScale,
    Overlay,
    ClearOverlay,
    Zoom,
    ShowEvals,
    ShowLog,
    Provenance,
    Prompts,
}

/// (name in the file, command, help text)
const COMMANDS: &[(&str, Cmd, &str)] = &[
    ("quit", Cmd::Quit, "quit"),
    ("help", Cmd::Help, "show or hide this help"),
    ("next_screen", Cmd::NextScreen, "next screen"),
    ("prev_screen", Cmd::PrevScreen, "previous screen"),
    ("go_databases", Cmd::GoDatabases, "Databases screen"),
    ("go_questions", Cmd::GoQuestions, "Questions screen"),
    ("go_review", Cmd::GoReview, "Review screen"),
    ("go_runs", Cmd::GoRuns, "Runs screen"),
    ("go_playground", Cmd::GoPlayground, "Playground screen"),
    ("up", Cmd::Up, "move up"),
    ("down", Cmd::Down, "move down"),
    ("page_up", Cmd::PageUp, "page up"),
    ("page_down", Cmd::PageDown, "page down"),
    ("top", Cmd::Top, "first item"),
    ("bottom", Cmd::Bottom, "last item"),
    ("expand", Cmd::Expand, "expand / open"),
    ("collapse", Cmd::Collapse, "collapse"),
    ("filter", Cmd::Filter, "filter the list"),
    ("clear_filter", Cmd::ClearFilter, "clear the filter"),
    ("search", Cmd::Search, "search questions and SQL"),
    ("filter_db", Cmd::FilterDb, "cycle database filter"),
    ("filter_split", Cmd::FilterSplit, "cycle split filter"),
    (
        "filter_difficulty",
        Cmd::FilterDifficulty,
        "cycle difficulty filter",
    ),
    ("filter_source", Cmd::FilterSource, "cycle source filter"),
    (
        "filter_wrong",
        Cmd::FilterWrong,
        "only questions with wrong candidates",
    ),
    ("clear_filters", Cmd::ClearFilters, "clear all filters"),
    ("accept", Cmd::Accept, "accept the pair"),
    ("reject", Cmd::Reject, "reject the pair"),
    ("skip", Cmd::Skip, "skip the pair"),
    ("undo", Cmd::Undo, "undo the last change"),
    ("note", Cmd::Note, "add a note"),
    ("edit", Cmd::Edit, "edit the chosen SQL"),
    ("edit_gold", Cmd::EditGold, "correct the gold SQL"),
    (
        "toggle_rule",
        Cmd::ToggleRule,
        "results as written / as judged",
    ),
    ("next_pending", Cmd::NextPending, "next pending pair"),
    ("accept_all", Cmd::AcceptAll, "accept every pair shown"),
    ("reject_all", Cmd::RejectAll, "reject every pair shown"),
    ("skip_all", Cmd::SkipAll, "skip every pair shown"),
    ("guidelines", Cmd::Guidelines, "annotation guidelines"),
    ("query", Cmd::Query, "run read-only SQL on this database"),
    (
        "next_candidate",
        Cmd::NextCandidate,
        "next candidate: its result (again: none)",
    ),
    ("open_pair", Cmd::OpenPair, "the candidate's pair in Review"),
    (
        "sort",
        Cmd::SortColumn,
        "sort by the grid's column (asc, desc, off)",
    ),
    (
        "table_questions",
        Cmd::TableQuestions,
        "questions that use this table",
    ),
    ("sql_down", Cmd::SqlDown, "scroll the SQL down"),
    ("sql_up", Cmd::SqlUp, "scroll the SQL up"),
    ("jobs_menu", Cmd::JobsMenu, "jobs: synthesize, sample"),
    ("ask", Cmd::Ask, "type a question"),
    ("generate", Cmd::Generate, "generate SQL for the question"),
    (
        "sample_k",
        Cmd::SampleK,
        "sample k alternatives, grouped by result",
    ),
    (
        "cancel_generation",
        Cmd::CancelGeneration,
        "cancel the generation",
    ),
    ("next_db", Cmd::NextDb, "next database"),
    ("prev_db", Cmd::PrevDb, "previous database"),
    (
        "next_model",
        Cmd::NextModel,
        "next model (checkpoints, profiles)",
    ),
    ("prev_model", Cmd::PrevModel, "previous model"),
    (
        "type_model",
        Cmd::TypeModel,
        "type a checkpoint folder, URL MODEL or profile:NAME",
    ),
    (
        "save_example",
        Cmd::SaveExample,
        "save as an example (SQL edited by hand)",
    ),
    ("more_k", Cmd::MoreK, "more alternatives (k)"),
    ("fewer_k", Cmd::FewerK, "fewer alternatives (k)"),
    (
        "save_pair",
        Cmd::SavePair,
        "save as pair: model's SQL rejected, corrected chosen",
    ),
    ("hotter", Cmd::Hotter, "raise the temperature"),
    ("show_prompt", Cmd::ShowPrompt, "the prompt the model gets"),
    ("cooler", Cmd::Cooler, "lower the temperature"),
    ("more_tokens", Cmd::MoreTokens, "allow more tokens"),
    ("fewer_tokens", Cmd::FewerTokens, "allow fewer tokens"),
    ("start_job", Cmd::StartJob, "start the job"),
    (
        "cancel_job",
        Cmd::CancelJob,
        "cancel the running job (keeps what finished)",
    ),
    ("close_menu", Cmd::CloseMenu, "close the menu"),
    ("next_value", Cmd::NextValue, "next value"),
    ("prev_value", Cmd::PrevValue, "previous value"),
    ("grid_down", Cmd::GridDown, "result rows down"),
    ("grid_up", Cmd::GridUp, "result rows up"),
    ("grid_left", Cmd::GridLeft, "result columns left"),
    ("grid_right", Cmd::GridRight, "result columns right"),
    ("new_run", Cmd::NewRun, "start a run (form)"),
    ("stop_run", Cmd::StopRun, "stop run, save checkpoint"),
    ("eval_run", Cmd::EvalRun, "evaluate checkpoint"),
    ("cancel_eval", Cmd::CancelEval, "cancel its evaluation"),
    ("next_metric", Cmd::NextMetric, "next metric"),
    ("prev_metric", Cmd::PrevMetric, "previous metric"),
    ("smooth", Cmd::Smooth, "EMA smoothing on/off"),
    ("smooth_more", Cmd::SmoothMore, "stronger smoothing"),
    ("smooth_less", Cmd::SmoothLess, "weaker smoothing"),
    ("log_scale", Cmd::LogScale, "log scale on/off"),
    ("overlay", Cmd::Overlay, "overlay run on the chart"),
    ("clear_overlay", Cmd::ClearOverlay, "clear overlays"),
    ("zoom", Cmd::Zoom, "zoom: whole run / last N"),
    ("show_evals", Cmd::ShowEvals, "evaluations / chart"),
    ("show_log", Cmd::ShowLog, "log of the selected run / chart"),
    ("provenance", Cmd::Provenance, "model exchange behind it"),
    ("prompts", Cmd::Prompts, "prompt templates"),
];

impl Cmd {
    pub fn name(self) -> &'static str {
        COMMANDS
            .iter()
            .find(|(_, c, _)| *c == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("?")
    }
    pub fn help(self) -> &'static str {
        COMMANDS
            .iter()
            .find(|(_, c, _)| *c == self)
            .map(|(_, _, h)| *h)
            .unwrap_or("")
    }
    fn from_name(name: &str) -> Option<Cmd> {
        COMMANDS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, c, _)| *c)
    }
}

/// The tables of the keymap file, in the order lookups fall through them.
pub const MODES: &[&str] = &[
    "global",
    "move",
    "databases",
    "questions",
    "review",
    "runs",
    "playground",
    "jobs",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            // Shift is already in the character's case; BackTab already means shift-tab.
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        if matches!(code, KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Option<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            }),
            _ => match rest {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                f if f.starts_with('f') => {
                    KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
                }
                _ => return None,
            },
        };
        Some(Key { code, mods })
    }

    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("enter"),
            KeyCode::Esc => s.push_str("esc"),
            KeyCode::Tab => s.push_str("tab"),
            KeyCode::BackTab => s.push_str("shift-tab"),
            KeyCode::Backspace => s.push_str("backspace"),
            KeyCode::Delete => s.push_str("delete"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::PageUp => s.push_str("pgup"),
            KeyCode::PageDown => s.push_str("pgdn"),
            KeyCode::Home => s.push_str("home"),
            KeyCode::End => s.push_str("end"),
            KeyCode::F(n) => s.push_str(&format!("f{n}")),
            _ => s.push('?'),
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("keymap {file}: key `{key}`: {msg}")]
pub struct KeymapError {
    pub file: String,
    pub key: String,
    pub msg: String,
}

/// Per-mode bindings, in file order (for help).
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    modes: HashMap<String, Vec<(Cmd, Vec<Key>)>>,
}

impl Default for Keymap {
    fn default() -> Self {
        // The embedded file is tested; an empty map is the total fallback.
        Keymap::parse_into(None, "keymap.toml (built in)", DEFAULT_KEYMAP).unwrap_or(Keymap {
            modes: HashMap::new(),
        })
    }
}

impl Keymap {
    /// The built-in keymap with a user file laid over it.
    pub fn with_user_file(path: &Path) -> Result<Keymap, KeymapError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeymapError {
            file: path.display().to_string(),
            key: "-".into(),
            msg: e.to_string(),
        })?;
        Keymap::with_overrides(&path.display().to_string(), &text)
    }

    pub fn with_overrides(file: &str, text: &str) -> Result<Keymap, KeymapError> {
        let base = Keymap::default();
        Keymap::parse_into(Some(base), file, text)
    }

    fn parse_into(base: Option<Keymap>, file: &str, text: &str) -> Result<Keymap, KeymapError> {
        let err = |key: &str, msg: String| KeymapError {
            file: file.to_string(),
            key: key.to_string(),
            msg,
        };
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err("-", e.message().to_string()))?;
        let mut map = base.unwrap_or(Keymap {
            modes: HashMap::new(),
        });
        for (mode, table) in &doc {
            if !MODES.contains(&mode.as_str()) {
                return Err(err(
                    mode,
                    format!("unknown mode (expected one of {})", MODES.join(", ")),
                ));
            }
            let table = table
                .as_table()
                .ok_or_else(|| err(mode, "must be a table".into()))?;
            let entries = map.modes.entry(mode.clone()).or_default();
            for (name, keys) in table {
                let path = format!("{mode}.{name}");
                let cmd =
                    Cmd::from_name(name).ok_or_else(|| err(&path, "unknown command".into()))?;
                let list = keys
                    .as_array()
                    .ok_or_else(|| err(&path, "must be a list of keys".into()))?;
                let mut parsed = Vec::new();
                for k in list {
                    let s = k
                        .as_str()
                        .ok_or_else(|| err(&path, "keys must be strings".into()))?;
                    parsed.push(
                        Key::parse(s).ok_or_else(|| err(&path, format!("`{s}` is not a key")))?,
                    );
                }
                match entries.iter_mut().find(|(c, _)| *c == cmd) {
                    Some(e) => e.1 = parsed,
                    None => entries.push((cmd, parsed)),
                }
            }
        }
        Ok(map)
    }

    /// The command a key means in `mode` (falling back to movement, then global keys).
    pub fn lookup(&self, mode: &str, ev: &KeyEvent) -> Option<Cmd> {
        let key = Key::from_event(ev);
        for m in [mode, "move", "global"] {
            if let Some(entries) = self.modes.get(m) {
                for (cmd, keys) in entries {
                    if keys.contains(&key) {
                        return Some(*cmd);
                    }
                }
            }
        }
        None
    }

    /// Bindings of one mode, for help: (keys as text, help text), in the canonical command order.
    pub fn bindings(&self, mode: &str) -> Vec<(String, &'static str)> {
        let rank = |c: &Cmd| {
            COMMANDS
                .iter()
                .position(|(_, x, _)| x == c)
                .unwrap_or(usize::MAX)
        };
        self.modes
            .get(mode)
            .map(|entries| {
                let mut entries: Vec<&(Cmd, Vec<Key>)> = entries.iter().collect();
                entries.sort_by_key(|(c, _)| rank(c));
                entries
                    .into_iter()
                    .filter(|(_, keys)| !keys.is_empty())
                    .map(|(cmd, keys)| {
                        let labels: Vec<String> = keys.iter().map(Key::label).collect();
                        (labels.join(" "), cmd.help())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first key bound to a command in a mode, for hints ("a accept").
    pub fn hint(&self, mode: &str, cmd: Cmd) -> String {
        self.modes
            .get(mode)
            .and_then(|e| e.iter().find(|(c, _)| *c == cmd))
            .and_then(|(_, keys)| keys.first())
            .map(Key::label)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn default_keymap_parses_and_resolves() {
        let k = Keymap::default();
        assert_eq!(
            k.lookup("review", &ev(KeyCode::Char('a'))),
            Some(Cmd::Accept)
        );
        assert_eq!(k.lookup("review", &ev(KeyCode::Char('j'))), Some(Cmd::Down));
        assert_eq!(k.lookup("review", &ev(KeyCode::Down)), Some(Cmd::Down));
        assert_eq!(
            k.lookup("questions", &ev(KeyCode::Char('3'))),
            Some(Cmd::GoReview)
        );
        assert_eq!(
            k.lookup(
                "runs",
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Cmd::Quit)
        );
        assert_eq!(
            k.lookup(
                "runs",
                &KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Cmd::PrevScreen)
        );
        assert_eq!(
            k.lookup(
                "review",
                &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Cmd::Bottom)
        );
        assert_eq!(
            k.lookup("review", &ev(KeyCode::Char('a'))).map(Cmd::name),
            Some("accept")
        );
        assert!(k
            .bindings("review")
            .iter()
            .any(|(keys, h)| keys == "a" && *h == "accept the pair"));
    }

    #[test]
    fn every_command_has_a_default_key_somewhere() {
        let k = Keymap::default();
        for (name, cmd, _) in COMMANDS {
            let bound = MODES.iter().any(|m| !k.hint(m, *cmd).is_empty());
            assert!(bound, "command {name} has no default key");
        }
    }

    #[test]
    fn user_file_overrides_one_binding() {
        let k = Keymap::with_overrides("keys.toml", "[review]\naccept = [\"y\", \"ctrl-a\"]\n")
            .unwrap();
        assert_eq!(
            k.lookup("review", &ev(KeyCode::Char('y'))),
            Some(Cmd::Accept)
        );
        assert_eq!(k.lookup("review", &ev(KeyCode::Char('a'))), None);
        assert_eq!(
            k.lookup("review", &ev(KeyCode::Char('r'))),
            Some(Cmd::Reject)
        );
    }

    #[test]
    fn bad_user_file_names_file_and_key() {
        let e = Keymap::with_overrides("keys.toml", "[review]\naccpet = [\"y\"]\n").unwrap_err();
        assert_eq!(e.key, "review.accpet");
        assert!(e
            .to_string()
            .starts_with("keymap keys.toml: key `review.accpet`"));
        let e =
            Keymap::with_overrides("keys.toml", "[review]\naccept = [\"hyper-q\"]\n").unwrap_err();
        assert_eq!(e.key, "review.accept");
        let e = Keymap::with_overrides("keys.toml", "[reveiw]\n").unwrap_err();
        assert_eq!(e.key, "reveiw");
    }
}
