//! Review's filters: status, database, split, source or model, failure class, flag and
//! annotator conflicts, combined; each chosen from a picker of the values the store has. The
//! queue is read again (ids only) whenever a filter changes.

use super::block;
use super::review::ReviewState;
use crate::store::{PairFacets, PairFlag, PairQuery, PairStatus};
use crate::tui::ctx::ViewCtx;
use crate::tui::keymap::{Cmd, Keymap};
use crate::tui::msg::Effect;
use crate::tui::widgets::{centered, fit};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// The filter rows, in picker order.
pub const DIMS: [&str; 7] = [
    "status",
    "database",
    "split",
    "source / model",
    "failure class",
    "flag",
    "conflicts",
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterPicker {
    pub open: bool,
    pub row: usize,
    /// The value list open for the row, with its cursor.
    pub choosing: Option<usize>,
}

/// The values a row can take; `None` is "any".
pub fn values(f: &PairFacets, dim: usize) -> Vec<Option<String>> {
    let some = |v: &[String]| v.iter().cloned().map(Some).collect::<Vec<_>>();
    let mut out = vec![None];
    match dim {
        0 => out.extend(PairStatus::ALL.iter().map(|s| Some(s.as_str().to_string()))),
        1 => out.extend(some(&f.databases)),
        2 => out.extend(some(&f.splits)),
        3 => out.extend(some(&f.sources)),
        4 => out.extend(some(&f.classes)),
        5 => out.extend(PairFlag::ALL.iter().map(|f| Some(f.as_str().to_string()))),
        _ => out.push(Some("only conflicts".into())),
    }
    out
}

pub fn current(q: &PairQuery, dim: usize) -> Option<String> {
    match dim {
        0 => q.status.map(|s| s.as_str().to_string()),
        1 => q.db.clone(),
        2 => q.split.clone(),
        3 => q.source.clone(),
        4 => q.class.clone(),
        5 => q.flag.map(|f| f.as_str().to_string()),
        _ => q.conflicts.then(|| "only conflicts".to_string()),
    }
}

pub fn set(q: &mut PairQuery, dim: usize, v: Option<String>) {
    match dim {
        0 => q.status = v.as_deref().and_then(PairStatus::parse),
        1 => q.db = v,
        2 => q.split = v,
        3 => q.source = v,
        4 => q.class = v,
        5 => q.flag = v.as_deref().and_then(PairFlag::parse),
        _ => q.conflicts = v.is_some(),
    }
}

/// "pending · vet_clinic · join" (the filters set, in row order), or "every pair".
pub fn summary(q: &PairQuery) -> String {
    let parts: Vec<String> = (0..DIMS.len()).filter_map(|d| current(q, d)).collect();
    if parts.is_empty() {
        "every pair".into()
    } else {
        parts.join(" · ")
    }
}

fn apply(r: &mut ReviewState, dim: usize, v: Option<String>) -> Vec<Effect> {
    let before = r.filter.clone();
    set(&mut r.filter, dim, v);
    if r.filter == before {
        return Vec::new();
    }
    // A new filter starts at the top of its queue.
    r.cursor = 0;
    r.queue.clear();
    vec![Effect::LoadQueue(r.filter.clone())]
}

/// Opens the picker; the values come from the store.
pub fn open(r: &mut ReviewState) -> Vec<Effect> {
    r.picker = FilterPicker {
        open: true,
        ..Default::default()
    };
    vec![Effect::LoadPairFacets]
}

/// Keys while the picker is open: j/k rows, ←/→ step a row's value, enter opens the row's
/// list (enter there picks), x clears the row, esc closes (or leaves the list).
pub fn on_key(r: &mut ReviewState, keymap: &Keymap, key: KeyEvent) -> Vec<Effect> {
    let mv = keymap.lookup("move", &key);
    let p = &mut r.picker;
    let row = p.row;
    if let Some(cur) = p.choosing {
        let n = values(&r.facets, row).len();
        let p = &mut r.picker;
        return match (key.code, mv) {
            (KeyCode::Esc, _) => {
                p.choosing = None;
                Vec::new()
            }
            (KeyCode::Enter, _) => {
                p.choosing = None;
                let v = values(&r.facets, row).get(cur).cloned().flatten();
                apply(r, row, v)
            }
            (_, Some(Cmd::Down)) | (KeyCode::Down, _) => {
                p.choosing = Some((cur + 1).min(n.saturating_sub(1)));
                Vec::new()
            }
            (_, Some(Cmd::Up)) | (KeyCode::Up, _) => {
                p.choosing = Some(cur.saturating_sub(1));
                Vec::new()
            }
            _ => Vec::new(),
        };
    }
    match (key.code, mv) {
        (KeyCode::Esc, _) | (KeyCode::Char('f'), _) | (KeyCode::Char('q'), _) => {
            p.open = false;
            Vec::new()
        }
        (_, Some(Cmd::Down)) | (KeyCode::Down, _) => {
            p.row = (row + 1).min(DIMS.len() - 1);
            Vec::new()
        }
        (_, Some(Cmd::Up)) | (KeyCode::Up, _) => {
            p.row = row.saturating_sub(1);
            Vec::new()
        }
        (KeyCode::Enter, _) => {
            let cur = current(&r.filter, row);
            let at = values(&r.facets, row)
                .iter()
                .position(|v| *v == cur)
                .unwrap_or(0);
            r.picker.choosing = Some(at);
            Vec::new()
        }
        (KeyCode::Left | KeyCode::Right | KeyCode::Char('h') | KeyCode::Char('l'), _) => {
            let vals = values(&r.facets, row);
            let cur = current(&r.filter, row);
            let at = vals.iter().position(|v| *v == cur).unwrap_or(0);
            let back = matches!(key.code, KeyCode::Left | KeyCode::Char('h'));
            let next = if back {
                (at + vals.len() - 1) % vals.len()
            } else {
                (at + 1) % vals.len()
            };
            apply(r, row, vals[next].clone())
        }
        (KeyCode::Char('x') | KeyCode::Backspace | KeyCode::Delete, _) => apply(r, row, None),
        _ => Vec::new(),
    }
}

pub fn render(f: &mut Frame, area: Rect, r: &ReviewState, v: &ViewCtx) {
    let t = v.theme;
    let p = &r.picker;
    let w = area.width.min(64);
    let inner_w = w.saturating_sub(4) as usize;
    let mut lines = Vec::new();
    for (i, name) in DIMS.iter().enumerate() {
        let v = current(&r.filter, i).unwrap_or_else(|| "any".into());
        let style = if i == p.row { t.selected() } else { t.text() };
        lines.push(Line::styled(
            fit(&format!(" {name:<15} {v}"), inner_w),
            style,
        ));
        if p.choosing.is_some() && i == p.row {
            let vals = values(&r.facets, i);
            let cur = p.choosing.unwrap_or(0);
            // A window of the list around its cursor.
            let start = cur.saturating_sub(5);
            for (j, v) in vals.iter().enumerate().skip(start).take(10) {
                let label = v.clone().unwrap_or_else(|| "any".into());
                let style = if j == cur { t.selected() } else { t.dim() };
                lines.push(Line::styled(fit(&format!("     {label}"), inner_w), style));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{} shown", r.queue.len()), t.accent()),
        Span::styled("  enter list · ←/→ step · x clears · esc closes", t.dim()),
    ]));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(block("Filter pairs", true, t))
            .style(t.base()),
        r,
    );
}
