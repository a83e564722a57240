//! The terminal loop: crossterm events, worker results and a frame tick in one `select!`;
//! redraws only when something changed, at most ~30 times a second.

use crate::tui::keymap::Keymap;
use crate::tui::runtime::{open_workspace, Runtime};
use crate::tui::state::{Action, State};
use crate::tui::theme::Theme;
use crate::tui::view;
use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, SignalKind};

#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    pub workspace: PathBuf,
    /// A shipped theme name or a theme file; else the config file's, else "dark".
    pub theme: Option<String>,
    /// A keymap file laid over the built-in keys; else $CONFIG/sense/keys.toml when present.
    pub keys: Option<PathBuf>,
    /// Who decisions and gold corrections are recorded as made by.
    pub annotator: String,
}

fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("sense"))
}

/// `theme` from $CONFIG/sense/config.toml, when the file exists.
fn config_theme(dir: &Path) -> Result<Option<String>> {
    let path = dir.join("config.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        anyhow::anyhow!("config {}: {}", path.display(), e.message())
    })?;
    if let Some(k) = doc.keys().find(|k| *k != "theme") {
        anyhow::bail!(
            "config {}: key `{k}`: unknown key (known: theme)",
            path.display()
        );
    }
    match doc.get("theme") {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => anyhow::bail!("config {}: key `theme`: must be a string", path.display()),
    }
}

/// Theme and keymap from the options and the config folder (errors name the file and key).
pub fn load_look(opts: &TuiOptions) -> Result<(Theme, Keymap)> {
    let dir = config_dir();
    let theme_name = match &opts.theme {
        Some(t) => t.clone(),
        None => match &dir {
            Some(d) => config_theme(d)?.unwrap_or_else(|| "dark".into()),
            None => "dark".into(),
        },
    };
    let theme = Theme::load(&theme_name)?;
    let keys = match &opts.keys {
        Some(p) => Some(p.clone()),
        None => dir.map(|d| d.join("keys.toml")).filter(|p| p.is_file()),
    };
    let keymap = match keys {
        Some(p) => Keymap::with_user_file(&p)?,
        None => Keymap::default(),
    };
    Ok((theme, keymap))
}

/// Opens the workbench; returns when the user quits.
pub fn run(opts: TuiOptions) -> Result<()> {
    let (theme, keymap) = load_look(&opts)?;
    let (mut store, created) = open_workspace(&opts.workspace)?;
    store.set_annotator(&opts.annotator);
    let mut state = State::new(&opts.workspace.display().to_string(), theme, keymap);
    if let Some(m) = created {
        state.info(m);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(event_loop(store, state))
}

async fn event_loop(store: crate::store::Store, mut state: State) -> Result<()> {
    let (mut runtime, mut rx) = Runtime::new(store);
    // ratatui's panic hook restores the terminal on a panic; a failed start is undone here.
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            return Err(
                anyhow::Error::from(e).context("setting up the terminal (is this a terminal?)")
            );
        }
    };
    // Mouse capture is ours to undo, on panic too (ratatui's hook restores the rest).
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        prev(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);

    let result = async {
        if let Ok(size) = terminal.size() {
            runtime.dispatch(&mut state, Action::Resize(size.width, size.height));
        }
        runtime.start(&mut state);
        // SIGTERM / SIGHUP (a closed terminal window, `kill`) end the loop like `q`, so the
        // terminal is restored below instead of left in the alternate screen with mouse capture.
        let mut term = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        let mut events = EventStream::new();
        let mut frame_tick = tokio::time::interval(Duration::from_millis(33));
        let mut last_tick = Instant::now();
        let mut dirty = true;
        loop {
            if state.quit {
                return Ok(());
            }
            tokio::select! {
                _ = term.recv() => return Ok(()),
                _ = hangup.recv() => return Ok(()),
                ev = events.next() => {
                    match ev {
                        Some(Ok(ev)) => {
                            if let Some(a) = to_action(ev) {
                                runtime.dispatch(&mut state, a);
                                dirty = true;
                            }
                        }
                        Some(Err(e)) => return Err(anyhow::Error::from(e)),
                        None => return Ok(()),
                    }
                }
                Some(a) = rx.recv() => {
                    runtime.dispatch(&mut state, a);
                    while let Ok(a) = rx.try_recv() {
                        runtime.dispatch(&mut state, a);
                    }
                    dirty = true;
                }
                // Frames: at most ~30 a second, and only when something changed.
                _ = frame_tick.tick() => {
                    if last_tick.elapsed() >= Duration::from_secs(1) {
                        last_tick = Instant::now();
                        let before = (state.counts.clone(), state.activity.clone());
                        let runs_before = state.runs.generation;
                        runtime.dispatch(&mut state, Action::Tick);
                        dirty |= before != (state.counts.clone(), state.activity.clone());
                        dirty |= runs_before != state.runs.generation;
                        // Elapsed time of a generation or a job in progress.
                        dirty |= state.playground.running.is_some()
                            || state.jobs_menu.running.is_some();
                    }
                    if dirty {
                        terminal.draw(|f| view::render(f, &state))?;
                        dirty = false;
                    }
                }
            }
        }
    }
    .await;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    result
}

fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Action::Key(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
            _ => None,
        },
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(config_theme(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join("config.toml"), "theme = \"light\"\n").unwrap();
        assert_eq!(config_theme(dir.path()).unwrap(), Some("light".into()));
        std::fs::write(
            dir.path().join("config.toml"),
            "theme = \"light\"\ncolour = 1\n",
        )
        .unwrap();
        let e = config_theme(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("config.toml") && e.contains("key `colour`"),
            "{e}"
        );
        std::fs::write(dir.path().join("config.toml"), "theme = 3\n").unwrap();
        let e = config_theme(dir.path()).unwrap_err().to_string();
        assert!(e.contains("key `theme`"), "{e}");
    }

    #[test]
    fn options_pick_theme_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys.toml");
        std::fs::write(&keys, "[review]\naccept = [\"y\"]\n").unwrap();
        let opts = TuiOptions {
            workspace: dir.path().join("ws.db"),
            theme: Some("high-contrast".into()),
            keys: Some(keys.clone()),
            annotator: "tester".into(),
        };
        let (theme, keymap) = load_look(&opts).unwrap();
        assert_eq!(theme.name, "high-contrast");
        assert_eq!(keymap.hint("review", crate::tui::keymap::Cmd::Accept), "y");
        std::fs::write(&keys, "[review]\naccept = 1\n").unwrap();
        let e = load_look(&opts).unwrap_err().to_string();
        assert!(
            e.contains("keys.toml") && e.contains("review.accept"),
            "{e}"
        );
    }
}
