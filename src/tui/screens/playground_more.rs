//! Playground generation controls: temperature and the token limit (keys, their bounds and
//! the header's text), kept apart from `playground.rs` which holds the screen's main loop.

use super::playground::{PgEffect, PlaygroundState, SAMPLE_TEMPERATURE};
use crate::tui::ctx::{Ctx, ViewCtx};
use crate::tui::keymap::Cmd;
use crate::tui::msg::Effect;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

/// Temperature steps by this much per key, within 0..=MAX_TEMPERATURE.
const TEMPERATURE_STEP: f32 = 0.1;
const MAX_TEMPERATURE: f32 = 2.0;
/// Token limits the keys step through.
const TOKEN_STEPS: &[usize] = &[64, 128, 256, 512, 1024, 2048];

/// Samples need some randomness: a greedy setting samples at the default temperature.
pub fn sample_temperature(t: f32) -> f32 {
    if t > 0.0 {
        t
    } else {
        SAMPLE_TEMPERATURE
    }
}

/// "temp 0.3 · 256 tok" (temperature 0 reads "greedy").
pub fn controls_text(p: &PlaygroundState) -> String {
    let temp = if p.temperature <= 0.0 {
        "greedy".to_string()
    } else {
        format!("temp {:.1}", p.temperature)
    };
    format!("{temp} · {} tok", p.max_tokens)
}

pub fn on_cmd(p: &mut PlaygroundState, cx: &mut Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::Hotter | Cmd::Cooler => {
            let step = if cmd == Cmd::Hotter {
                TEMPERATURE_STEP
            } else {
                -TEMPERATURE_STEP
            };
            // Rounded to a tenth so repeated steps never drift (0.30000001).
            p.temperature =
                ((p.temperature + step).clamp(0.0, MAX_TEMPERATURE) * 10.0).round() / 10.0;
        }
        Cmd::MoreTokens => {
            p.max_tokens = TOKEN_STEPS
                .iter()
                .copied()
                .find(|n| *n > p.max_tokens)
                .unwrap_or(p.max_tokens);
        }
        Cmd::FewerTokens => {
            p.max_tokens = TOKEN_STEPS
                .iter()
                .rev()
                .copied()
                .find(|n| *n < p.max_tokens)
                .unwrap_or(p.max_tokens);
        }
        Cmd::GridDown | Cmd::Down => {
            p.prompt_scroll += 1;
            return Vec::new();
        }
        Cmd::GridUp | Cmd::Up => {
            p.prompt_scroll = p.prompt_scroll.saturating_sub(1);
            return Vec::new();
        }
        Cmd::SavePair => {
            if p.generation
                .as_ref()
                .is_none_or(|g| g.sql.trim().is_empty())
            {
                cx.info("generate first (enter): a pair rejects the model's SQL");
                return Vec::new();
            }
            let fx = super::playground::on_cmd(p, cx, Cmd::SaveExample);
            p.saving_pair = cx.prompt.is_some();
            return fx;
        }
        Cmd::ShowPrompt => {
            if p.prompt_view.take().is_some() {
                return Vec::new();
            }
            let question = p.question.trim().to_string();
            if question.is_empty() {
                cx.info("type a question first (i): the prompt is built from it");
                return Vec::new();
            }
            let Some(db) = super::playground::current_db(p, cx.databases) else {
                cx.error("no database in the workspace");
                return Vec::new();
            };
            p.prompt_view = Some(None);
            p.prompt_scroll = 0;
            return vec![Effect::Playground(PgEffect::ShowPrompt {
                db,
                question,
                source: p.source().cloned(),
            })];
        }
        _ => return Vec::new(),
    }
    let m = format!(
        "{} for the next generation (samples: temperature {:.1})",
        controls_text(p),
        sample_temperature(p.temperature)
    );
    cx.info(m);
    Vec::new()
}

/// The prompt view: the exact text the model is given, over the screen (esc or the key again
/// closes it).
pub fn render_prompt_view(f: &mut Frame, area: Rect, p: &PlaygroundState, v: &ViewCtx) {
    let Some(view) = &p.prompt_view else {
        return;
    };
    let t = v.theme;
    let r = crate::tui::widgets::centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, r);
    let key = v.keymap.hint("playground", Cmd::ShowPrompt);
    let b = super::block(
        format!("prompt the model gets · j/k scroll · {key} or esc closes"),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(t.base()), r);
    let lines: Vec<Line> = match view {
        None => vec![Line::styled("building the prompt…", t.dim())],
        Some(Err(e)) => vec![Line::styled(e.clone(), t.error())],
        Some(Ok(p)) => p
            .lines()
            .map(|l| Line::styled(l.to_string(), t.text()))
            .collect(),
    };
    // Never scrolled past its end (the key handler does not know the height).
    let top = p
        .prompt_scroll
        .min(lines.len().saturating_sub(inner.height as usize));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((top as u16, 0)),
        inner,
    );
}

/// What saving a pair did, said in the status bar.
pub fn on_pair_saved(
    pg: &mut PlaygroundState,
    cx: &mut Ctx,
    r: Result<crate::tui::playground_save::PairSaved, String>,
) -> Vec<Effect> {
    pg.saving_pair = false;
    match r {
        Ok(p) => {
            let ex = if p.new_example {
                format!("saved example #{}", p.example_id)
            } else {
                format!("example #{} (already saved)", p.example_id)
            };
            match p.pair_id {
                Some(id) => cx.info(format!(
                    "{ex} and pair #{id}: the model's SQL rejected, the corrected SQL chosen (pending in Review)"
                )),
                None => cx.info(format!(
                    "{ex}; no new pair: the model's SQL was judged {} against the correction",
                    p.verdict
                )),
            }
            vec![Effect::LoadCounts, Effect::LoadFacets]
        }
        Err(e) => {
            cx.error(format!("cannot save the pair: {e}"));
            Vec::new()
        }
    }
}
