//! The Runs screen's `v` prompt: evaluate the selected run's checkpoint on a split, on all of
//! its examples or the first N, as a detached `sense eval --model` whose progress the screen
//! follows through the store (and `V` cancels).

use super::RunsState;
use crate::tui::ctx::ViewCtx;
use crate::tui::msg::Effect;
use crate::tui::runs_jobs::Request;
use crate::tui::widgets::input::LineInput;
use crate::tui::widgets::{block, fit};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

#[derive(Debug, Clone, PartialEq)]
pub struct EvalForm {
    pub run: i64,
    pub checkpoint: String,
    pub split: LineInput,
    /// Empty: every example of the split.
    pub limit: LineInput,
    /// 0: split, 1: limit.
    pub field: usize,
    pub error: Option<String>,
}

impl EvalForm {
    pub fn new(run: i64, checkpoint: &str, split: &str, limit: &str) -> EvalForm {
        EvalForm {
            run,
            checkpoint: checkpoint.to_string(),
            split: LineInput::new(split),
            limit: LineInput::new(limit),
            field: 0,
            error: None,
        }
    }

    /// The request the form makes, or what is wrong with it.
    pub fn request(&self) -> Result<Request, String> {
        let split = self.split.text.trim();
        if split.is_empty() {
            return Err("name a split (dev, train, heldout, ...)".into());
        }
        let limit = match self.limit.text.trim() {
            "" | "all" => None,
            t => Some(
                t.parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or("limit must be a whole number ≥ 1, or empty for all")?,
            ),
        };
        Ok(Request::Eval {
            run: self.run,
            checkpoint: self.checkpoint.clone(),
            split: split.to_string(),
            limit,
        })
    }
}

/// Keys while the prompt is open: tab moves, typing edits, enter starts, esc closes (the
/// values are kept for the next `v`).
pub fn on_key(r: &mut RunsState, key: KeyEvent) -> Vec<Effect> {
    let Some(f) = r.eval_form.as_mut() else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            r.last_eval = r.eval_form.take().map(|f| (f.split.text, f.limit.text));
            Vec::new()
        }
        KeyCode::Char('c') if ctrl => {
            r.eval_form = None;
            Vec::new()
        }
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
            f.field = 1 - f.field.min(1);
            Vec::new()
        }
        KeyCode::Enter => match f.request() {
            Ok(req) => {
                r.last_eval = Some((f.split.text.clone(), f.limit.text.clone()));
                r.eval_form = None;
                vec![Effect::Runs(req)]
            }
            Err(e) => {
                f.error = Some(e);
                Vec::new()
            }
        },
        _ => {
            let input = if f.field == 0 {
                &mut f.split
            } else {
                &mut f.limit
            };
            if input.edit(&key) {
                f.error = None;
            }
            Vec::new()
        }
    }
}

pub fn render(f: &mut Frame, area: Rect, v: &ViewCtx, form: &EvalForm) {
    let t = v.theme;
    let r = crate::tui::widgets::centered(area, 64, 8);
    f.render_widget(Clear, r);
    let b = block(
        format!("Evaluate run #{} · enter starts · esc cancels", form.run),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(t.base()), r);
    let w = inner.width.saturating_sub(18) as usize;
    let name = std::path::Path::new(&form.checkpoint)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:>16} ", "checkpoint"), t.dim()),
        Span::styled(fit(&name, w), t.text()),
    ])];
    for (i, (label, input, empty)) in [
        ("split", &form.split, ""),
        ("limit", &form.limit, "all examples"),
    ]
    .into_iter()
    .enumerate()
    {
        let focused = i == form.field;
        let value = if focused {
            let mut s: String = input.text.chars().take(input.cursor).collect();
            s.push('▏');
            s.extend(input.text.chars().skip(input.cursor));
            s
        } else if input.text.is_empty() {
            empty.to_string()
        } else {
            input.text.clone()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{label:>16} "),
                if focused { t.accent() } else { t.dim() },
            ),
            Span::styled(
                fit(&value, w),
                if focused { t.selected() } else { t.text() },
            ),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(match &form.error {
        Some(e) => Line::styled(fit(e, inner.width as usize), t.error()),
        None => Line::styled(
            fit(
                &format!(
                    "progress shows in the Evaluation panel; {} cancels it",
                    v.keymap.hint("runs", crate::tui::keymap::Cmd::CancelEval)
                ),
                inner.width as usize,
            ),
            t.dim(),
        ),
    });
    f.render_widget(Paragraph::new(lines), inner);
}
