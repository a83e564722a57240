//! Runs: filled by the training-dashboard issue (issue 6). Until then it says what will be here.
//! The screen's state lives in `RunsState`; its keys go in the `[runs]` table of keymap.toml.

use super::render_note;
use crate::tui::state::State;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

/// State of the Runs screen (empty until the dashboard lands).
#[derive(Debug, Clone, Default)]
pub struct RunsState {}

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let runs = s.counts.as_ref().map(|c| c.runs).unwrap_or(0);
    render_note(
        f,
        area,
        vec![
            Line::styled("Runs — coming with the training dashboard", t.title()),
            Line::raw(""),
            Line::styled(
                "Here you will start SFT and DPO runs, follow their loss and reward",
                t.text(),
            ),
            Line::styled(
                "curves live (also runs started from the CLI), stop them, evaluate",
                t.text(),
            ),
            Line::styled(
                "checkpoints and compare EX per database and difficulty.",
                t.text(),
            ),
            Line::raw(""),
            Line::styled(format!("The workspace holds {runs} runs."), t.dim()),
        ],
        t,
    );
}
