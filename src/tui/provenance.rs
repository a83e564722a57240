//! Provenance overlays: the model exchange behind an example (`x` on Questions: its request,
//! reply, parameters, latency and tokens, or where the example came from when no model call is
//! behind it), and the prompt templates (`P`: name, version, built-in or overridden, text).
//! Loads go through effects the runtime performs; rendering reads the state only.

use crate::llm::prompts::Prompt;
use crate::store::{Example, Exchange, Store};
use crate::tui::ctx::{AppMsg, Ctx, ViewCtx};
use crate::tui::keymap::Cmd;
pub use crate::tui::msg::provenance::{ProvEffect, ProvLoaded};
use crate::tui::msg::Effect;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

/// Environment variable naming a folder of prompt overrides (`<name>.txt` or `<name>.vN.txt`).
pub const PROMPTS_ENV: &str = "SENSE_PROMPTS";

/// The exchange overlay: the example it was opened on and, when it has one, its exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeView {
    pub example: Example,
    /// None while loading (or when the example has no exchange).
    pub exchange: Option<Result<Exchange, String>>,
    pub scroll: usize,
}

/// The prompts overlay.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromptsView {
    /// None while loading.
    pub prompts: Option<Result<Vec<Prompt>, String>>,
    pub cursor: usize,
    pub scroll: usize,
}

/// Which provenance overlay is open, if any.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Overlay {
    #[default]
    Closed,
    Exchange(Box<ExchangeView>),
    Prompts(PromptsView),
}

impl Overlay {
    pub fn is_open(&self) -> bool {
        !matches!(self, Overlay::Closed)
    }
}

/// Performed by the runtime: a store read, or the prompt files (embedded, laid over by the
/// folder `$SENSE_PROMPTS` names).
pub fn perform(store: &Store, e: ProvEffect) -> ProvLoaded {
    match e {
        ProvEffect::LoadExchange(id) => {
            ProvLoaded::Exchange(id, Box::new(store.exchange(id).map_err(|e| e.to_string())))
        }
        ProvEffect::LoadPrompts => {
            let dir = std::env::var_os(PROMPTS_ENV).map(std::path::PathBuf::from);
            ProvLoaded::Prompts(
                crate::llm::prompts::Prompts::load(dir.as_deref())
                    .map(|p| p.all)
                    .map_err(|e| e.to_string()),
            )
        }
    }
}

/// `x` on Questions: the exchange behind the selected example.
pub fn open_exchange(o: &mut Overlay, example: Example) -> Vec<Effect> {
    let xid = example.exchange_id;
    *o = Overlay::Exchange(Box::new(ExchangeView {
        example,
        exchange: None,
        scroll: 0,
    }));
    match xid {
        Some(id) => vec![Effect::Provenance(ProvEffect::LoadExchange(id))],
        None => Vec::new(),
    }
}

/// `P`: the prompt templates.
pub fn open_prompts(o: &mut Overlay) -> Vec<Effect> {
    *o = Overlay::Prompts(PromptsView::default());
    vec![Effect::Provenance(ProvEffect::LoadPrompts)]
}

pub fn on_loaded(o: &mut Overlay, l: ProvLoaded) -> Vec<Effect> {
    match (o, l) {
        (Overlay::Exchange(v), ProvLoaded::Exchange(id, r))
            if v.example.exchange_id == Some(id) =>
        {
            v.exchange = Some(*r);
        }
        (Overlay::Prompts(v), ProvLoaded::Prompts(r)) => {
            if let Ok(list) = &r {
                v.cursor = v.cursor.min(list.len().saturating_sub(1));
            }
            v.prompts = Some(r);
        }
        _ => {} // the overlay was closed or moved on
    }
    Vec::new()
}

/// Lines the scrolled text has (before wrapping): an upper bound for the scroll offset.
fn text_lines(o: &Overlay) -> usize {
    match o {
        Overlay::Closed => 0,
        Overlay::Exchange(v) => match &v.exchange {
            Some(Ok(x)) => {
                let n = |t: &str| t.lines().count() + t.chars().count() / 40;
                16 + n(&x.prompt)
                    + x.reply.as_deref().map(n).unwrap_or(0)
                    + x.error.as_deref().map(n).unwrap_or(0)
            }
            _ => 0,
        },
        Overlay::Prompts(v) => match &v.prompts {
            Some(Ok(list)) => list
                .get(v.cursor)
                .map(|p| p.text.lines().count() + p.text.chars().count() / 40)
                .unwrap_or(0),
            _ => 0,
        },
    }
}

/// Keys while an overlay is open: esc/q close (the opening key too), movement scrolls the
/// text; on the prompts overlay h/l (left/right, tab) pick the prompt.
pub fn on_key(o: &mut Overlay, cx: &mut Ctx, key: KeyEvent) -> Vec<Effect> {
    if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
        *o = Overlay::Closed;
        return Vec::new();
    }
    let mode = cx.screen.mode();
    let cmd = cx.keymap.lookup(mode, &key);
    if matches!(cmd, Some(Cmd::Provenance) | Some(Cmd::Prompts)) {
        *o = Overlay::Closed;
        return Vec::new();
    }
    if matches!(cmd, Some(Cmd::Help)) {
        cx.send(AppMsg::Help);
        return Vec::new();
    }
    let max = text_lines(o);
    let page = cx.page;
    if let Overlay::Prompts(v) = o {
        let n = match &v.prompts {
            Some(Ok(list)) => list.len(),
            _ => 0,
        };
        let pick = match key.code {
            KeyCode::Char('l') | KeyCode::Right | KeyCode::Tab => Some(true),
            KeyCode::Char('h') | KeyCode::Left | KeyCode::BackTab => Some(false),
            _ => None,
        };
        if let Some(fwd) = pick {
            if n > 0 {
                v.cursor = if fwd {
                    (v.cursor + 1) % n
                } else {
                    (v.cursor + n - 1) % n
                };
                v.scroll = 0;
            }
            return Vec::new();
        }
    }
    let scroll = match o {
        Overlay::Exchange(v) => &mut v.scroll,
        Overlay::Prompts(v) => &mut v.scroll,
        Overlay::Closed => return Vec::new(),
    };
    *scroll = match cx.keymap.lookup("move", &key) {
        Some(Cmd::Down) => *scroll + 1,
        Some(Cmd::Up) => scroll.saturating_sub(1),
        Some(Cmd::PageDown) => *scroll + page,
        Some(Cmd::PageUp) => scroll.saturating_sub(page),
        Some(Cmd::Top) => 0,
        Some(Cmd::Bottom) => max,
        _ => *scroll,
    }
    .min(max);
    Vec::new()
}

/// Mouse wheel over an open overlay scrolls its text.
pub fn on_scroll(o: &mut Overlay, n: i32) {
    let max = text_lines(o);
    let scroll = match o {
        Overlay::Exchange(v) => &mut v.scroll,
        Overlay::Prompts(v) => &mut v.scroll,
        Overlay::Closed => return,
    };
    *scroll = (*scroll as i64 + n as i64).clamp(0, max as i64) as usize;
}

// ---- view ----------------------------------------------------------------------------

/// Where an example without a model call behind it came from.
pub fn source_note(source: &str) -> String {
    let what = match source {
        "sample" => "the built-in sample workspace (`sense init`)".to_string(),
        "template" => "template synthesis (`sense synth templates`), from SQL templates".into(),
        "playground" => "the Playground, saved with SQL edited by hand".into(),
        "bench" => "a benchmark fixture".into(),
        other => format!("an import ({other})"),
    };
    format!("source: {source} — {what}: no model call behind it")
}

fn field(name: &str, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<10} "), t.dim()),
        Span::styled(value, t.text()),
    ])
}

fn section(title: &str, t: &Theme) -> Line<'static> {
    Line::styled(format!("── {title} "), t.title())
}

fn text_block(text: &str, t: &Theme) -> Vec<Line<'static>> {
    text.lines()
        .map(|l| Line::styled(l.to_string(), t.text()))
        .collect()
}

fn exchange_lines(v: &ExchangeView, t: &Theme) -> Vec<Line<'static>> {
    let ex = &v.example;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("#{} ", ex.id), t.accent()),
            Span::styled(ex.question.clone(), t.text()),
        ]),
        Line::styled(
            format!("{} · {} · source {}", ex.db_name, ex.split, ex.source),
            t.dim(),
        ),
        Line::raw(""),
    ];
    let Some(xid) = ex.exchange_id else {
        lines.push(Line::styled(source_note(&ex.source), t.warning()));
        return lines;
    };
    match &v.exchange {
        None => lines.push(Line::styled(format!("loading exchange #{xid}…"), t.dim())),
        Some(Err(e)) => lines.push(Line::styled(
            format!("cannot read exchange #{xid}: {e}"),
            t.error(),
        )),
        Some(Ok(x)) => {
            lines.push(field("exchange", format!("#{}", x.id), t));
            lines.push(field("purpose", x.purpose.clone(), t));
            lines.push(field("model", x.model.clone(), t));
            lines.push(field("endpoint", x.endpoint.clone(), t));
            lines.push(field("params", x.params.to_string(), t));
            lines.push(field("latency", format!("{:.0} ms", x.latency_ms), t));
            let tok = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
            lines.push(field(
                "tokens",
                format!(
                    "{} prompt · {} completion",
                    tok(x.prompt_tokens),
                    tok(x.completion_tokens)
                ),
                t,
            ));
            lines.push(field("time", x.created_at.clone(), t));
            if let Some(e) = &x.error {
                lines.push(Line::raw(""));
                lines.push(section("error", t));
                lines.extend(
                    e.lines()
                        .map(|l| Line::styled(l.to_string(), t.error()))
                        .collect::<Vec<_>>(),
                );
            }
            lines.push(Line::raw(""));
            lines.push(section("prompt", t));
            lines.extend(text_block(&x.prompt, t));
            lines.push(Line::raw(""));
            lines.push(section("reply", t));
            match &x.reply {
                Some(r) => lines.extend(text_block(r, t)),
                None => lines.push(Line::styled("(no reply)", t.dim())),
            }
        }
    }
    lines
}

fn prompts_lines(v: &PromptsView, t: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let list = match &v.prompts {
        None => return (vec![Line::styled("loading prompts…", t.dim())], Vec::new()),
        Some(Err(e)) => {
            return (
                vec![Line::styled(format!("cannot load prompts: {e}"), t.error())],
                Vec::new(),
            )
        }
        Some(Ok(list)) => list,
    };
    let mut head = Vec::new();
    let mut tabs = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let label = format!(" {} v{} ", p.name, p.version);
        tabs.push(Span::styled(
            label,
            if i == v.cursor { t.selected() } else { t.dim() },
        ));
    }
    head.push(Line::from(tabs));
    let mut body = Vec::new();
    if let Some(p) = list.get(v.cursor) {
        let origin = if p.origin == "embedded" {
            "built-in (embedded from prompts/)".to_string()
        } else {
            format!("overridden by {}", p.origin)
        };
        head.push(Line::styled(
            format!("{}.v{}.txt · {origin}", p.name, p.version),
            if p.origin == "embedded" {
                t.dim()
            } else {
                t.warning()
            },
        ));
        body = text_block(&p.text, t);
    }
    (head, body)
}

fn footer(t: &Theme, prompts: bool) -> Line<'static> {
    let mut spans = vec![
        Span::styled("j/k", t.accent()),
        Span::styled(" scroll  ", t.dim()),
    ];
    if prompts {
        spans.push(Span::styled("h/l", t.accent()));
        spans.push(Span::styled(" prompt  ", t.dim()));
    }
    spans.push(Span::styled("esc/q", t.accent()));
    spans.push(Span::styled(" closes", t.dim()));
    if prompts {
        spans.push(Span::styled(
            format!("  · override folder: ${PROMPTS_ENV}"),
            t.dim(),
        ));
    }
    Line::from(spans)
}

pub fn render(f: &mut Frame, area: Rect, o: &Overlay, v: &ViewCtx) {
    let t = v.theme;
    let w = area.width.saturating_sub(4).min(120);
    let h = area.height;
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    let (title, head, body, scroll, prompts) = match o {
        Overlay::Closed => return,
        Overlay::Exchange(x) => (
            "Provenance",
            Vec::new(),
            exchange_lines(x, t),
            x.scroll,
            false,
        ),
        Overlay::Prompts(p) => {
            let (head, body) = prompts_lines(p, t);
            ("Prompts", head, body, p.scroll, true)
        }
    };
    let b = block(title, true, t).style(t.base());
    let inner = b.inner(r);
    f.render_widget(b, r);
    let head_h = (head.len() as u16).min(inner.height);
    let foot_h = 1.min(inner.height.saturating_sub(head_h));
    let head_r = Rect {
        height: head_h,
        ..inner
    };
    let body_r = Rect {
        y: inner.y + head_h,
        height: inner.height.saturating_sub(head_h + foot_h),
        ..inner
    };
    let foot_r = Rect {
        y: inner.y + inner.height.saturating_sub(foot_h),
        height: foot_h,
        ..inner
    };
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_r);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        body_r,
    );
    f.render_widget(Paragraph::new(footer(t, prompts)), foot_r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewDatabase, NewExample, NewExchange};
    use crate::tui::keymap::Keymap;
    use crate::tui::runtime::Runtime;
    use crate::tui::state::{update, Action, Pane, Screen, State};
    use crate::tui::theme::Theme;
    use crossterm::event::KeyModifiers;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use std::path::Path;
    use std::time::Duration;

    fn key(c: char) -> Action {
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    /// A workspace with two examples: #1 sampled from a model (exchange #1 behind it), #2 from
    /// the sample workspace (none).
    fn fixture(dir: &Path) -> Store {
        let db = dir.join("vet.sqlite");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(
                "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
                 INSERT INTO pets VALUES (1,'Rex',5),(2,'Tom',2);",
            )
            .unwrap();
        let store = Store::open(&dir.join("ws.db")).unwrap();
        let db_id = store
            .upsert_database(&NewDatabase {
                name: "vet".into(),
                domain: "veterinary".into(),
                source: "test".into(),
                path: db,
                fingerprint: String::new(),
            })
            .unwrap();
        let reply = "```json\n[{\"question\": \"How many pets are there?\", \
                     \"sql\": \"SELECT count(*) FROM pets\"}]\n```";
        let xid = store
            .record_exchange(&NewExchange {
                purpose: "questions".into(),
                endpoint: "http://localhost:8000/v1".into(),
                model: "qwen2.5-coder-7b".into(),
                params: serde_json::json!({"temperature": 0.7, "attempt": 1,
                    "prompt": {"name": "questions", "version": 1, "origin": "embedded"}}),
                prompt: (1..=30)
                    .map(|i| format!("prompt line {i}: write questions over the schema"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                reply: Some(reply.into()),
                error: None,
                latency_ms: 1234.5,
                prompt_tokens: Some(812),
                completion_tokens: Some(64),
            })
            .unwrap();
        rusqlite::Connection::open(dir.join("ws.db"))
            .unwrap()
            .execute(
                "UPDATE llm_exchanges SET created_at = '2026-01-02 03:04:05'",
                [],
            )
            .unwrap();
        let ex = |q: &str, source: &str, exchange_id| NewExample {
            db_id,
            question: q.into(),
            gold_sql: "SELECT count(*) FROM pets".into(),
            evidence: None,
            difficulty: Some("easy".into()),
            split: "train".into(),
            source: source.into(),
            provenance: serde_json::json!({}),
            exchange_id,
        };
        store
            .insert_examples(&[
                ex("How many pets are there?", "llm", Some(xid)),
                ex("Count the pets.", "sample", None),
            ])
            .unwrap();
        store
    }

    type Rx = tokio::sync::mpsc::UnboundedReceiver<Action>;

    fn settle(rt: &mut Runtime, s: &mut State, rx: &mut Rx) {
        rt.settle(s, rx, Duration::from_secs(10));
        if let Pane::Ready(g) = &mut s.questions.gold {
            g.elapsed_ms = 0.0;
        }
    }

    fn loaded(dir: &Path) -> (Runtime, State, Rx) {
        let (mut rt, mut rx) = Runtime::new(fixture(dir));
        let mut s = State::new("test.db", Theme::default(), Keymap::default());
        rt.start(&mut s);
        rt.dispatch(&mut s, key('2'));
        settle(&mut rt, &mut s, &mut rx);
        (rt, s, rx)
    }

    fn snap(name: &str, s: &State) {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| crate::tui::view::render(f, s)).unwrap();
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend().to_string());
        }
    }

    fn example(id: i64, exchange_id: Option<i64>, source: &str) -> Example {
        Example {
            id,
            db_id: 1,
            db_name: "vet".into(),
            question: "q".into(),
            gold_sql: "SELECT 1".into(),
            evidence: None,
            difficulty: None,
            split: "dev".into(),
            source: source.into(),
            exchange_id,
            wrong_candidates: 0,
            provenance: "{}".into(),
        }
    }

    #[test]
    fn x_opens_the_exchange_and_esc_closes_it() {
        let mut s = State::new("test.db", Theme::default(), Keymap::default());
        s.screen = Screen::Questions;
        assert!(update(&mut s, key('x')).is_empty(), "nothing selected");
        assert!(!s.provenance.is_open());
        s.questions.ids = vec![7, 8];
        s.questions.rows.insert(7, example(7, Some(42), "llm"));
        s.questions.rows.insert(8, example(8, None, "template"));
        let fx = update(&mut s, key('x'));
        assert_eq!(
            fx,
            vec![Effect::Provenance(ProvEffect::LoadExchange(42))],
            "the load is an effect, no I/O in update"
        );
        let Overlay::Exchange(v) = &s.provenance else {
            panic!("{:?}", s.provenance)
        };
        assert_eq!((v.example.id, v.exchange.is_none()), (7, true));
        // A stale reply for another exchange is dropped; the right one lands.
        update(
            &mut s,
            Action::Loaded(crate::tui::state::Loaded::Provenance(ProvLoaded::Exchange(
                41,
                Box::new(Err("x".into())),
            ))),
        );
        assert!(matches!(&s.provenance, Overlay::Exchange(v) if v.exchange.is_none()));
        update(
            &mut s,
            Action::Loaded(crate::tui::state::Loaded::Provenance(ProvLoaded::Exchange(
                42,
                Box::new(Err("gone".into())),
            ))),
        );
        assert!(matches!(&s.provenance, Overlay::Exchange(v) if v.exchange.is_some()));
        // Keys go to the overlay: j does not move the list, q does not quit.
        update(&mut s, key('j'));
        assert_eq!(s.questions.cursor, 0);
        update(&mut s, key('q'));
        assert!(!s.provenance.is_open() && !s.quit);
        // An example without an exchange: no effect, the overlay says where it came from.
        update(&mut s, key('j'));
        assert!(update(&mut s, key('x')).is_empty());
        assert!(matches!(&s.provenance, Overlay::Exchange(v) if v.example.id == 8));
        update(&mut s, Action::Key(KeyEvent::from(KeyCode::Esc)));
        assert!(!s.provenance.is_open());
        assert!(source_note("template").contains("no model call behind it"));
    }

    #[test]
    fn the_exchange_scrolls_within_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let (mut rt, mut s, _rx) = loaded(dir.path());
        rt.dispatch(&mut s, key('x'));
        let max = text_lines(&s.provenance);
        assert!(max > 30, "{max}");
        rt.dispatch(&mut s, key('j'));
        rt.dispatch(&mut s, key('j'));
        let scroll = |s: &State| match &s.provenance {
            Overlay::Exchange(v) => v.scroll,
            _ => usize::MAX,
        };
        assert_eq!(scroll(&s), 2);
        rt.dispatch(&mut s, key('k'));
        assert_eq!(scroll(&s), 1);
        rt.dispatch(&mut s, key('G'));
        assert_eq!(scroll(&s), max);
        rt.dispatch(&mut s, key('j'));
        assert_eq!(scroll(&s), max, "not past the end");
        rt.dispatch(&mut s, Action::Scroll(-3));
        assert_eq!(scroll(&s), max - 3, "the wheel scrolls the overlay");
        rt.dispatch(&mut s, key('g'));
        assert_eq!(scroll(&s), 0);
        rt.dispatch(&mut s, key('x'));
        assert!(!s.provenance.is_open(), "x again closes it");
    }

    #[test]
    fn prompts_overlay_lists_and_picks() {
        let mut s = State::new("test.db", Theme::default(), Keymap::default());
        let fx = update(&mut s, key('P'));
        assert_eq!(fx, vec![Effect::Provenance(ProvEffect::LoadPrompts)]);
        let all = crate::llm::prompts::Prompts::embedded().all;
        let n = all.len();
        update(
            &mut s,
            Action::Loaded(crate::tui::state::Loaded::Provenance(ProvLoaded::Prompts(
                Ok(all),
            ))),
        );
        let cursor = |s: &State| match &s.provenance {
            Overlay::Prompts(v) => (v.cursor, v.scroll),
            _ => (usize::MAX, 0),
        };
        update(&mut s, key('j'));
        assert_eq!(cursor(&s), (0, 1));
        update(&mut s, key('l'));
        assert_eq!(
            cursor(&s),
            (1, 0),
            "picking another prompt scrolls to its top"
        );
        update(&mut s, key('h'));
        update(&mut s, key('h'));
        assert_eq!(cursor(&s), (n - 1, 0), "wraps around");
        update(&mut s, Action::Key(KeyEvent::from(KeyCode::Esc)));
        assert!(!s.provenance.is_open());
    }

    #[test]
    fn overridden_prompts_say_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("schema.txt"), "my schema prompt").unwrap();
        let p = crate::llm::prompts::Prompts::load(Some(dir.path())).unwrap();
        let mut s = State::new("test.db", Theme::default(), Keymap::default());
        update(&mut s, key('P'));
        let i = p.all.iter().position(|x| x.name == "schema").unwrap();
        update(
            &mut s,
            Action::Loaded(crate::tui::state::Loaded::Provenance(ProvLoaded::Prompts(
                Ok(p.all),
            ))),
        );
        for _ in 0..i {
            update(&mut s, key('l'));
        }
        let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
        t.draw(|f| crate::tui::view::render(f, &s)).unwrap();
        let out = t.backend().to_string();
        assert!(
            out.contains("overridden by") && out.contains("my schema prompt"),
            "{out}"
        );
    }

    #[test]
    fn snapshots_provenance() {
        let dir = tempfile::tempdir().unwrap();
        let (mut rt, mut s, mut rx) = loaded(dir.path());
        assert_eq!(s.questions.ids.len(), 2);
        rt.dispatch(&mut s, key('x'));
        assert!(matches!(&s.provenance, Overlay::Exchange(v) if matches!(v.exchange, Some(Ok(_)))));
        snap("provenance_exchange", &s);
        rt.dispatch(&mut s, key('j'));
        rt.dispatch(&mut s, key('j'));
        rt.dispatch(&mut s, key('j'));
        snap("provenance_exchange_scrolled", &s);
        rt.dispatch(&mut s, key('q'));
        rt.dispatch(&mut s, key('j'));
        settle(&mut rt, &mut s, &mut rx);
        rt.dispatch(&mut s, key('x'));
        snap("provenance_none", &s);
        rt.dispatch(&mut s, key('q'));
        rt.dispatch(&mut s, key('P'));
        snap("prompts", &s);
    }
}
