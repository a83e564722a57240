//! The jobs menu (`m` anywhere): start template synthesis, weak sampling or strong synthesis
//! (domains → schemas → questions, with an endpoint model) as a background
//! job of the workbench. A job runs on its own thread with its own store connection, writes
//! its progress into the workspace's `jobs` table (so the status bar, and any other viewer,
//! shows it) and reports over the action channel; `c` in the menu cancels it, keeping what
//! finished.

use crate::store::{DatabaseRow, Run};
use crate::tui::ctx::{AppMsg, Ctx, ViewCtx};
use crate::tui::keymap::Cmd;
use crate::tui::model_names::source_name;
pub use crate::tui::msg::jobs::{JobEffect, JobEvent, JobSpec, STRONG_DOMAINS, STRONG_QUESTIONS};
use crate::tui::msg::playground::{ModelSource, PgEffect, SAMPLE_TEMPERATURE};
use crate::tui::msg::Effect;
use crate::tui::widgets::{block, centered, fit, move_cursor};
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

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
fn scope_db(m: &JobsMenu, dbs: &[DatabaseRow]) -> Option<String> {
    match m.scope {
        0 => None,
        i => dbs.get(i - 1).map(|d| d.name.clone()),
    }
}

/// Whether the scope reaches held-out (dev) databases.
fn scope_touches_dev(m: &JobsMenu, dbs: &[DatabaseRow]) -> bool {
    match m.scope {
        0 => false,
        i => match dbs.get(i - 1) {
            Some(d) => d.split != crate::store::TRAIN,
            None => true,
        },
    }
}

fn scope_label(m: &JobsMenu, dbs: &[DatabaseRow]) -> String {
    match m.scope {
        0 => "every train database (dev held out)".into(),
        i => match dbs.get(i - 1) {
            Some(d) => format!("{} [{}]", d.name, d.split),
            None => "every database, dev included (held out!)".into(),
        },
    }
}

/// Opens (or closes) the menu; the model sources are the playground's, read again on opening.
pub fn toggle(m: &mut JobsMenu) -> Vec<Effect> {
    m.open = !m.open;
    if m.open {
        return vec![
            Effect::Playground(PgEffect::LoadSources),
            Effect::Playground(PgEffect::LoadRuns),
        ];
    }
    Vec::new()
}

/// The spec of the job on the cursor's row; `sources` are the Playground's model sources.
pub fn spec_at_cursor(
    m: &JobsMenu,
    dbs: &[DatabaseRow],
    sources: &[ModelSource],
) -> Result<JobSpec, String> {
    let db = scope_db(m, dbs);
    let allow_dev = scope_touches_dev(m, dbs);
    match m.cursor {
        ROW_SCOPE | ROW_TEMPLATES => Ok(JobSpec::Templates {
            dbs: db.into_iter().collect(),
            allow_dev,
        }),
        ROW_STRONG => {
            let source = sources
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
            let source = sources.get(m.model).cloned().ok_or(
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

fn change_value(m: &mut JobsMenu, n_dbs: usize, n_models: usize, forward: bool) {
    let step = |v: usize, len: usize| {
        if len == 0 {
            0
        } else if forward {
            (v + 1) % len
        } else {
            (v + len - 1) % len
        }
    };
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

/// Keys while the menu is open (`sources`: the Playground's model sources); global keys go
/// up to the app.
pub fn on_key(
    m: &mut JobsMenu,
    cx: &mut Ctx,
    sources: &[ModelSource],
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(cmd) = cx.keymap.lookup("jobs", &key) else {
        return Vec::new();
    };
    let confirmed = std::mem::take(&mut m.confirm_dev);
    match cmd {
        Cmd::CloseMenu | Cmd::JobsMenu => {
            m.open = false;
            Vec::new()
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            move_cursor(&mut m.cursor, ROWS, cmd, ROWS);
            Vec::new()
        }
        Cmd::NextValue => {
            change_value(m, cx.databases.len(), sources.len(), true);
            Vec::new()
        }
        Cmd::PrevValue => {
            change_value(m, cx.databases.len(), sources.len(), false);
            Vec::new()
        }
        Cmd::StartJob => {
            if m.running.is_some() {
                cx.info(format!(
                    "a job is running ({} cancels it)",
                    cx.keymap.hint("jobs", Cmd::CancelJob)
                ));
                return Vec::new();
            }
            match spec_at_cursor(m, cx.databases, sources) {
                Ok(spec) if spec.touches_dev() && !confirmed => {
                    m.confirm_dev = true;
                    let msg = format!(
                        "{} is held out (dev): {} again writes into it, any other key cancels",
                        scope_label(m, cx.databases),
                        cx.keymap.hint("jobs", Cmd::StartJob)
                    );
                    cx.error(msg);
                    Vec::new()
                }
                Ok(spec) => {
                    m.running = Some(RunningJob {
                        kind: spec.kind().to_string(),
                        id: None,
                        done: 0,
                        total: 0,
                        message: "starting".into(),
                        cancelling: false,
                    });
                    m.last = None;
                    vec![Effect::Job(JobEffect::Start(spec))]
                }
                Err(e) => {
                    cx.error(e);
                    Vec::new()
                }
            }
        }
        Cmd::CancelJob => match m.running.as_mut() {
            Some(r) if !r.cancelling => {
                r.cancelling = true;
                cx.info("cancelling the job: what finished is kept");
                vec![Effect::Job(JobEffect::Cancel)]
            }
            _ => Vec::new(),
        },
        // Global keys (quit, help, screens) still work under the menu.
        other => {
            cx.send(AppMsg::Cmd(other));
            Vec::new()
        }
    }
}

pub fn on_loaded(m: &mut JobsMenu, cx: &mut Ctx, e: JobEvent) -> Vec<Effect> {
    match e {
        JobEvent::Started { id, kind } => {
            let r = m.running.get_or_insert(RunningJob {
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
            if let Some(r) = m.running.as_mut() {
                r.done = done;
                r.total = total;
                r.message = message;
            }
            // Each step writes examples or pairs: the counts (and Review's queue) follow.
            vec![Effect::LoadActivity, Effect::LoadCounts]
        }
        JobEvent::Finished { status, message } => {
            let kind = m
                .running
                .take()
                .map(|r| r.kind)
                .unwrap_or_else(|| "job".into());
            let text = format!("{kind} {status}: {message}");
            if status == "failed" {
                cx.error(text.clone());
            } else {
                cx.info(text.clone());
            }
            m.last = Some(text);
            vec![Effect::LoadActivity, Effect::LoadCounts, Effect::LoadFacets]
        }
    }
}

// ---- view ----------------------------------------------------------------------------

/// The menu over the screen; `sources` and `runs` are the Playground's (a checkpoint is named
/// by its run).
pub fn render(
    f: &mut Frame,
    area: Rect,
    m: &JobsMenu,
    v: &ViewCtx,
    sources: &[ModelSource],
    runs: &[Run],
) {
    let t = v.theme;
    let k = v.keymap;
    let w = area.width.min(76);
    let inner_w = w.saturating_sub(4) as usize;
    let scope = scope_label(m, v.databases);
    let model = sources
        .get(m.model)
        .map(|src| source_name(runs, src))
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
