//! What a screen or overlay sees of the app around it, below both the screens and the app
//! state: [`Ctx`] while updating (the keymap, the databases, the prompt and the status-bar
//! message it may set, and the [`AppMsg`]s it sends up for the app to act on), [`ViewCtx`]
//! while drawing. A component updates only its own state; anything beyond it goes up as a
//! message, and the app (`state::update`) dispatches it.

use crate::exec::Verdict;
use crate::schema::DbSchema;
use crate::store::{Counts, DatabaseRow, Example, ExampleQuery};
use crate::tui::keymap::{Cmd, Keymap};
use crate::tui::theme::Theme;
use crate::tui::widgets::input::LineInput;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Databases,
    Questions,
    Review,
    Runs,
    Playground,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Databases,
        Screen::Questions,
        Screen::Review,
        Screen::Runs,
        Screen::Playground,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Screen::Databases => "Databases",
            Screen::Questions => "Questions",
            Screen::Review => "Review",
            Screen::Runs => "Runs",
            Screen::Playground => "Playground",
        }
    }
    /// The keymap table of this screen.
    pub fn mode(self) -> &'static str {
        match self {
            Screen::Databases => "databases",
            Screen::Questions => "questions",
            Screen::Review => "review",
            Screen::Runs => "runs",
            Screen::Playground => "playground",
        }
    }
    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Note {
        pair_id: i64,
    },
    EditChosen {
        pair_id: i64,
        example_id: i64,
    },
    /// A new gold SQL for an example (Review or Questions).
    EditGold {
        example_id: i64,
    },
    /// Read-only SQL on a workspace database (Databases).
    DbQuery {
        db: String,
    },
    Search,
    Filter,
    PgQuestion,
    PgModel,
    PgSql,
}

/// A text prompt over the current screen; keys go to it until Enter or Esc.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
    /// For EditChosen: the verdict of the text as last judged (text, verdict or error).
    pub judged: Option<(String, Result<Verdict, String>)>,
    pub judging: bool,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Prompt {
        Prompt {
            kind,
            input: LineInput::new(text),
            judged: None,
            judging: false,
        }
    }
    pub fn title(&self) -> &'static str {
        match self.kind {
            PromptKind::Note { .. } => "note · enter saves · esc cancels",
            PromptKind::EditChosen { .. } => "chosen SQL · enter judges, then saves · esc cancels",
            PromptKind::EditGold { .. } => {
                "gold SQL · enter runs it and re-judges every candidate · esc cancels"
            }
            PromptKind::DbQuery { .. } => {
                "read-only SQL (time, row and size limits) · enter runs · esc cancels"
            }
            PromptKind::Search => "search · enter keeps · esc clears",
            PromptKind::Filter => "filter tables and columns · enter keeps · esc clears",
            PromptKind::PgQuestion => "question · enter generates · esc cancels",
            PromptKind::PgModel => "checkpoint folder, URL MODEL, or profile:NAME · enter picks",
            PromptKind::PgSql => "SQL of the new example · enter runs, then saves · esc cancels",
        }
    }
}

/// The status bar's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// What a component asks of the app beyond its own state.
#[derive(Debug, Clone, PartialEq)]
pub enum AppMsg {
    /// Show the Questions screen with this query (Databases: the questions of a table).
    ShowQuestions(ExampleQuery),
    /// Show this pair in Review, every pair in the queue (Questions: a candidate's pair).
    ShowPair(i64),
    /// Open the provenance overlay on this example (Questions).
    OpenExchange(Box<Example>),
    /// Open the help overlay.
    Help,
    /// A command the component leaves to the app (global keys under an overlay).
    Cmd(Cmd),
}

/// The app around a component while it updates.
pub struct Ctx<'a> {
    /// The screen shown.
    pub screen: Screen,
    pub keymap: &'a Keymap,
    /// Rows a list can show (for page keys).
    pub page: usize,
    pub ticks: u64,
    /// Terminal size (columns, rows) as last reported.
    pub size: (u16, u16),
    pub databases: &'a [DatabaseRow],
    pub schemas: &'a HashMap<String, Result<DbSchema, String>>,
    pub prompt: &'a mut Option<Prompt>,
    pub message: &'a mut Option<Message>,
    /// Messages for the app, acted on when the component returns.
    pub sent: Vec<AppMsg>,
}

impl Ctx<'_> {
    pub fn info(&mut self, text: impl Into<String>) {
        *self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }
    pub fn error(&mut self, text: impl Into<String>) {
        *self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }
    pub fn send(&mut self, m: AppMsg) {
        self.sent.push(m);
    }
}

/// The app around a component while it draws (read only).
#[derive(Clone, Copy)]
pub struct ViewCtx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub counts: Option<&'a Counts>,
    pub databases: &'a [DatabaseRow],
    pub schemas: &'a HashMap<String, Result<DbSchema, String>>,
    pub prompt: Option<&'a Prompt>,
    pub ticks: u64,
}
