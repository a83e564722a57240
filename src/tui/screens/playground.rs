//! Playground: filled by the training-dashboard issue (issue 6). Until then it says what will
//! be here. The screen's state lives in `PlaygroundState`; its keys go in `[playground]`.

use super::render_note;
use crate::tui::state::State;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

/// State of the Playground screen (empty until it lands).
#[derive(Debug, Clone, Default)]
pub struct PlaygroundState {}

pub fn render(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    render_note(
        f,
        area,
        vec![
            Line::styled("Playground — coming with the training dashboard", t.title()),
            Line::raw(""),
            Line::styled(
                "Here you will pick a database and a checkpoint (or an endpoint), ask",
                t.text(),
            ),
            Line::styled(
                "a question, and see the generated SQL, its result and its timing;",
                t.text(),
            ),
            Line::styled(
                "sample k alternatives, and save a corrected question as an example.",
                t.text(),
            ),
        ],
        t,
    );
}
