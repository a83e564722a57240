//! The jobs menu (`m` anywhere): start template synthesis, weak sampling or strong synthesis
//! (domains → schemas → questions, with an endpoint model) as a background
//! job of the workbench. A job runs on its own thread with its own store connection, writes
//! its progress into the workspace's `jobs` table (so the status bar, and any other viewer,
//! shows it) and reports over the action channel; `c` in the menu cancels it, keeping what
//! finished.

pub use crate::jobs::{JobEvent, JobSpec};
use crate::source::ModelSource;
use crate::tui::keymap::Cmd;
use crate::tui::screens::block;
use crate::tui::screens::playground::SAMPLE_TEMPERATURE;
use crate::tui::state::{move_cursor, on_cmd as state_cmd, Effect, State};
use crate::tui::widgets::{centered, fit};
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// Domains asked for, and questions per database, by the strong synthesis job.
pub const STRONG_DOMAINS: usize = 3;
pub const STRONG_QUESTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum JobEffect {
    Start(JobSpec),
    Cancel,
}

/// The job started from this workbench, while it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningJob {
    pub kind: String,
    pub id: Option<i64>,
    pub done: i64,
    pub total: i64,
    pub message: String,
    pub cancelling: bool,
}

/// Rows of the menu.
pub const ROW_SCOPE: usize = 0;
pub const ROW_TEMPLATES: usize = 1;
pub const ROW_SAMPLE: usize = 2;
pub const ROW_MODEL: usize = 3;
pub const ROW_K: usize = 4;
pub const ROW_LIMIT: usize = 5;
pub const ROW_STRONG: usize = 6;
const ROWS: usize = 7;
const LIMITS: [usize; 7] = [10, 25, 50, 100, 250, 1000, 0];

#[derive(Debug, Clone, PartialEq)]
pub struct JobsMenu {
    pub open: bool,
    pub cursor: usize,
    /// 0: all databases, i: the i-th database of the workspace (1-based).
    pub scope: usize,
    /// Index into the playground's model sources.
    pub model: usize,
    pub k: usize,
    /// Index into LIMITS (0 there means every example).
    pub limit: usize,
    pub running: Option<RunningJob>,
    /// The last finished job's summary.
    pub last: Option<String>,
    /// Enter was pressed once on a job that writes into held-out data: a second Enter confirms.
    pub confirm_dev: bool,
}

impl Default for JobsMenu {
    fn default() -> Self {
        JobsMenu {
            open: false,
            cursor: ROW_TEMPLATES,
            scope: 0,
            model: 0,
            k: 4,
            limit: 2,
            running: None,
            last: None,
            confirm_dev: false,
        }
    }
}

impl JobsMenu {
    pub fn limit(&self) -> Option<usize> {
        Some(LIMITS[self.limit.min(LIMITS.len() - 1)]).filter(|n| *n > 0)
    }
}

/// The databases row: 0 = every train database, 1..=n one database, n+1 = every database
/// with the held-out ones.
fn scope_db(s: &State) -> Option<String> {
    match s.jobs_menu.scope {
        0 => None,
        i => s.databases_list.get(i - 1).map(|d| d.name.clone()),
    }
}

/// Whether the scope reaches held-out (dev) databases.
fn scope_touches_dev(s: &State) -> bool {
    match s.jobs_menu.scope {
        0 => false,
        i => match s.databases_list.get(i - 1) {
            Some(d) => d.split != crate::store::TRAIN,
            None => true,
        },
    }
}

fn scope_label(s: &State) -> String {
    match s.jobs_menu.scope {
        0 => "every train database (dev held out)".into(),
        i => match s.databases_list.get(i - 1) {
            Some(d) => format!("{} [{}]", d.name, d.split),
            None => "every database, dev included (held out!)".into(),
        },
    }
}

/// Opens (or closes) the menu; the model sources are the playground's, read again on opening.
pub fn toggle(s: &mut State) -> Vec<Effect> {
    s.jobs_menu.open = !s.jobs_menu.open;
    if s.jobs_menu.open {
        use crate::tui::screens::playground::PgEffect;
        return vec![
            Effect::Playground(PgEffect::LoadSources),
            Effect::Playground(PgEffect::LoadRuns),
        ];
    }
    Vec::new()
}

/// The spec of the job on the cursor's row.
pub fn spec_at_cursor(s: &State) -> Result<JobSpec, String> {
    let m = &s.jobs_menu;
    let db = scope_db(s);
    let allow_dev = scope_touches_dev(s);
    match m.cursor {
        ROW_SCOPE | ROW_TEMPLATES => Ok(JobSpec::Templates {
            dbs: db.into_iter().collect(),
            allow_dev,
        }),
        ROW_STRONG => {
            let source = s
                .playground
                .sources
                .get(m.model)
                .cloned()
                .ok_or("no model: add an endpoint on the Playground (t), then pick it here")?;
            if let ModelSource::Checkpoint(dir) = &source {
                return Err(format!(
                    "strong synthesis needs an endpoint model, not the local checkpoint {}: pick an endpoint profile or `http://host/v1 MODEL` in the model row",
                    dir.display()
                ));
            }
            Ok(JobSpec::Strong {
                source,
                domains: STRONG_DOMAINS,
                questions: STRONG_QUESTIONS,
            })
        }
        _ => {
            let source = s.playground.sources.get(m.model).cloned().ok_or(
                "no model: add a checkpoint or an endpoint on the Playground (t), then pick it here",
            )?;
            Ok(JobSpec::Sample {
                source,
                db,
                k: m.k,
                temperature: SAMPLE_TEMPERATURE,
                limit: m.limit(),
                allow_dev,
            })
        }
    }
}

fn change_value(s: &mut State, forward: bool) {
    let step = |v: usize, len: usize| {
        if len == 0 {
            0
        } else if forward {
            (v + 1) % len
        } else {
            (v + len - 1) % len
        }
    };
    let n_dbs = s.databases_list.len();
    let n_models = s.playground.sources.len();
    let m = &mut s.jobs_menu;
    match m.cursor {
        ROW_SCOPE => m.scope = step(m.scope, n_dbs + 2),
        ROW_MODEL => m.model = step(m.model, n_models),
        ROW_K => {
            m.k = if forward {
                (m.k + 1).min(32)
            } else {
                m.k.saturating_sub(1).max(1)
            }
        }
        ROW_LIMIT => m.limit = step(m.limit, LIMITS.len()),
        _ => {}
    }
}

/// Keys while the menu is open.
pub fn on_key(s: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(cmd) = s.keymap.lookup("jobs", &key) else {
        return Vec::new();
    };
    let confirmed = std::mem::take(&mut s.jobs_menu.confirm_dev);
    match cmd {
        Cmd::CloseMenu | Cmd::JobsMenu => {
            s.jobs_menu.open = false;
            Vec::new()
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            move_cursor(&mut s.jobs_menu.cursor, ROWS, cmd, ROWS);
            Vec::new()
        }
        Cmd::NextValue => {
            change_value(s, true);
            Vec::new()
        }
        Cmd::PrevValue => {
            change_value(s, false);
            Vec::new()
        }
        Cmd::StartJob => {
            if s.jobs_menu.running.is_some() {
                s.info(format!(
                    "a job is running ({} cancels it)",
                    s.keymap.hint("jobs", Cmd::CancelJob)
                ));
                return Vec::new();
            }
            match spec_at_cursor(s) {
                Ok(spec) if spec.touches_dev() && !confirmed => {
                    s.jobs_menu.confirm_dev = true;
                    s.error(format!(
                        "{} is held out (dev): {} again writes into it, any other key cancels",
                        scope_label(s),
                        s.keymap.hint("jobs", Cmd::StartJob)
                    ));
                    Vec::new()
                }
                Ok(spec) => {
                    s.jobs_menu.running = Some(RunningJob {
                        kind: spec.kind().to_string(),
                        id: None,
                        done: 0,
                        total: 0,
                        message: "starting".into(),
                        cancelling: false,
                    });
                    s.jobs_menu.last = None;
                    vec![Effect::Job(JobEffect::Start(spec))]
                }
                Err(e) => {
                    s.error(e);
                    Vec::new()
                }
            }
        }
        Cmd::CancelJob => match s.jobs_menu.running.as_mut() {
            Some(r) if !r.cancelling => {
                r.cancelling = true;
                s.info("cancelling the job: what finished is kept");
                vec![Effect::Job(JobEffect::Cancel)]
            }
            _ => Vec::new(),
        },
        // Global keys (quit, help, screens) still work under the menu.
        other => state_cmd(s, other),
    }
}

pub fn on_loaded(s: &mut State, e: JobEvent) -> Vec<Effect> {
    match e {
        JobEvent::Started { id, kind } => {
            let r = s.jobs_menu.running.get_or_insert(RunningJob {
                kind: kind.clone(),
                id: None,
                done: 0,
                total: 0,
                message: String::new(),
                cancelling: false,
            });
            r.id = Some(id);
            r.kind = kind;
            vec![Effect::LoadActivity]
        }
        JobEvent::Progress {
            done,
            total,
            message,
        } => {
            if let Some(r) = s.jobs_menu.running.as_mut() {
                r.done = done;
                r.total = total;
                r.message = message;
            }
            // Each step writes examples or pairs: the counts (and Review's queue) follow.
            vec![Effect::LoadActivity, Effect::LoadCounts]
        }
        JobEvent::Finished { status, message } => {
            let kind = s
                .jobs_menu
                .running
                .take()
                .map(|r| r.kind)
                .unwrap_or_else(|| "job".into());
            let text = format!("{kind} {status}: {message}");
            if status == "failed" {
                s.error(text.clone());
            } else {
                s.info(text.clone());
            }
            s.jobs_menu.last = Some(text);
            vec![Effect::LoadActivity, Effect::LoadCounts, Effect::LoadFacets]
        }
    }
}

// ---- view ----------------------------------------------------------------------------

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let m = &s.jobs_menu;
    let k = &s.keymap;
    let w = area.width.min(76);
    let inner_w = w.saturating_sub(4) as usize;
    let scope = scope_label(s);
    let model = s
        .playground
        .sources
        .get(m.model)
        .map(|src| crate::tui::screens::playground_more::source_name(s, src))
        .unwrap_or_else(|| "(none: add one on the Playground with t)".into());
    let limit = m
        .limit()
        .map(|n| format!("{n} examples"))
        .unwrap_or_else(|| "every example".into());
    let rows: [(String, bool); ROWS] = [
        (format!("databases: {scope}"), false),
        ("▶ Synthesize template examples".into(), true),
        ("▶ Sample weak candidates from a model".into(), true),
        (format!("    model: {model}"), false),
        (format!("    k: {} samples per example", m.k), false),
        (format!("    limit: {limit}"), false),
        (
            "▶ Strong synthesis: domains → schemas → questions (endpoint)".into(),
            true,
        ),
    ];
    let mut lines = Vec::new();
    for (i, (text, action)) in rows.iter().enumerate() {
        let style = if i == m.cursor {
            t.selected()
        } else if *action {
            t.title()
        } else {
            t.text()
        };
        lines.push(Line::styled(fit(&format!(" {text}"), inner_w), style));
    }
    lines.push(Line::raw(""));
    match &m.running {
        Some(r) => {
            let id = r.id.map(|i| format!(" #{i}")).unwrap_or_default();
            let pct = if r.total > 0 {
                format!(" {:.0}%", 100.0 * r.done as f64 / r.total as f64)
            } else {
                String::new()
            };
            lines.push(Line::styled(
                fit(
                    &format!("⟳ job{id} {} {}/{}{pct}", r.kind, r.done, r.total),
                    inner_w,
                ),
                t.warning(),
            ));
            lines.push(Line::styled(fit(&r.message, inner_w), t.dim()));
            lines.push(Line::from(vec![
                Span::styled(k.hint("jobs", Cmd::CancelJob), t.accent()),
                Span::styled(
                    if r.cancelling {
                        " cancelling…"
                    } else {
                        " cancels (what finished is kept)"
                    },
                    t.dim(),
                ),
            ]));
        }
        None => {
            let last = m.last.clone().unwrap_or_else(|| "no job running".into());
            lines.push(Line::styled(fit(&last, inner_w), t.dim()));
            lines.push(Line::raw(""));
            lines.push(Line::raw(""));
        }
    }
    lines.push(Line::from(vec![
        Span::styled(k.hint("jobs", Cmd::StartJob), t.accent()),
        Span::styled(" starts  ", t.dim()),
        Span::styled(
            format!(
                "{}/{}",
                k.hint("jobs", Cmd::PrevValue),
                k.hint("jobs", Cmd::NextValue)
            ),
            t.accent(),
        ),
        Span::styled(" changes  ", t.dim()),
        Span::styled(k.hint("jobs", Cmd::CancelJob), t.accent()),
        Span::styled(" cancels  ", t.dim()),
        Span::styled(k.hint("jobs", Cmd::CloseMenu), t.accent()),
        Span::styled(" closes", t.dim()),
    ]));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(block("Jobs", true, t))
            .style(t.base()),
        r,
    );
}
