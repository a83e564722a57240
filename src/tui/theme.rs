//! Themes: TOML files of semantic roles. Render code asks for a role, never a colour.

use ratatui::style::{Color, Modifier, Style};
use std::path::Path;

/// Every role a theme must define (besides `chart_series`, a list).
pub const ROLES: &[&str] = &[
    "background",
    "text",
    "text_dim",
    "border",
    "border_focused",
    "selection_bg",
    "selection_fg",
    "accent",
    "ok",
    "error",
    "warning",
    "diff_added",
    "diff_removed",
    "keyword",
    "string",
    "number",
    "comment",
    "status_bg",
    "status_fg",
];

/// The themes built into the binary (the files in themes/).
pub const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("theme {file}: key `{key}`: {msg}")]
pub struct ThemeError {
    pub file: String,
    pub key: String,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub background: Color,
    pub text: Color,
    pub text_dim: Color,
    pub border: Color,
    pub border_focused: Color,
    pub selection_bg: Color,
    pub selection_fg: Color,
    pub accent: Color,
    pub ok: Color,
    pub error: Color,
    pub warning: Color,
    pub diff_added: Color,
    pub diff_removed: Color,
    pub keyword: Color,
    pub string: Color,
    pub number: Color,
    pub comment: Color,
    pub status_bg: Color,
    pub status_fg: Color,
    pub chart_series: Vec<Color>,
}

impl Default for Theme {
    fn default() -> Self {
        // The dark theme is shipped and tested; falling back to plain colours keeps this total.
        Theme::shipped("dark").unwrap_or_else(|_| Theme::plain())
    }
}

pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    Some(
        match s.to_ascii_lowercase().replace(['-', '_', ' '], "").as_str() {
            "reset" | "default" => Color::Reset,
            "black" => Color::Black,
            "red" => Color::Red,
            "green" => Color::Green,
            "yellow" => Color::Yellow,
            "blue" => Color::Blue,
            "magenta" => Color::Magenta,
            "cyan" => Color::Cyan,
            "gray" | "grey" => Color::Gray,
            "darkgray" | "darkgrey" => Color::DarkGray,
            "lightred" => Color::LightRed,
            "lightgreen" => Color::LightGreen,
            "lightyellow" => Color::LightYellow,
            "lightblue" => Color::LightBlue,
            "lightmagenta" => Color::LightMagenta,
            "lightcyan" => Color::LightCyan,
            "white" => Color::White,
            _ => return None,
        },
    )
}

impl Theme {
    fn plain() -> Theme {
        Theme {
            name: "plain".into(),
            background: Color::Reset,
            text: Color::Reset,
            text_dim: Color::DarkGray,
            border: Color::DarkGray,
            border_focused: Color::Cyan,
            selection_bg: Color::Blue,
            selection_fg: Color::White,
            accent: Color::Cyan,
            ok: Color::Green,
            error: Color::Red,
            warning: Color::Yellow,
            diff_added: Color::Green,
            diff_removed: Color::Red,
            keyword: Color::Magenta,
            string: Color::Yellow,
            number: Color::Cyan,
            comment: Color::DarkGray,
            status_bg: Color::DarkGray,
            status_fg: Color::White,
            chart_series: vec![Color::Cyan, Color::Yellow],
        }
    }

    /// A theme built into the binary, by name.
    pub fn shipped(name: &str) -> Result<Theme, ThemeError> {
        let (file, text) = SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError {
                file: format!("{name} (built in)"),
                key: "name".into(),
                msg: format!(
                    "no such theme; shipped: {}",
                    SHIPPED
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        Theme::parse(&format!("themes/{file}.toml"), text)
    }

    /// A shipped theme name, or a path to a theme file.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        let p = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || p.is_file() {
            let text = std::fs::read_to_string(p).map_err(|e| ThemeError {
                file: p.display().to_string(),
                key: "-".into(),
                msg: e.to_string(),
            })?;
            Theme::parse(&p.display().to_string(), &text)
        } else {
            Theme::shipped(name_or_path)
        }
    }

    /// Parses a theme file; `file` names it in errors. Unknown, missing and malformed keys
    /// are errors naming the key.
    pub fn parse(file: &str, text: &str) -> Result<Theme, ThemeError> {
        let err = |key: &str, msg: String| ThemeError {
            file: file.to_string(),
            key: key.to_string(),
            msg,
        };
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err("-", e.message().to_string()))?;
        for k in doc.keys() {
            if k != "name" && k != "roles" {
                return Err(err(k, "unknown key (expected `name` and `[roles]`)".into()));
            }
        }
        let name = match doc.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(err("name", "must be a string".into())),
            None => return Err(err("name", "missing".into())),
        };
        let roles = match doc.get("roles") {
            Some(toml::Value::Table(t)) => t,
            _ => return Err(err("roles", "missing table [roles]".into())),
        };
        for k in roles.keys() {
            if k != "chart_series" && !ROLES.contains(&k.as_str()) {
                return Err(err(&format!("roles.{k}"), "unknown role".into()));
            }
        }
        let color = |role: &str| -> Result<Color, ThemeError> {
            let key = format!("roles.{role}");
            match roles.get(role) {
                Some(toml::Value::String(s)) => parse_color(s)
                    .ok_or_else(|| err(&key, format!("`{s}` is not a colour (#rrggbb or a name)"))),
                Some(_) => Err(err(&key, "must be a string".into())),
                None => Err(err(&key, "missing".into())),
            }
        };
        // Report problems in the order the roles are documented.
        for role in ROLES {
            color(role)?;
        }
        let chart_series = match roles.get("chart_series") {
            Some(toml::Value::Array(a)) if !a.is_empty() => {
                let mut v = Vec::new();
                for (i, c) in a.iter().enumerate() {
                    let key = format!("roles.chart_series[{i}]");
                    let s = c
                        .as_str()
                        .ok_or_else(|| err(&key, "must be a string".into()))?;
                    v.push(
                        parse_color(s)
                            .ok_or_else(|| err(&key, format!("`{s}` is not a colour")))?,
                    );
                }
                v
            }
            Some(_) => return Err(err("roles.chart_series", "must be a non-empty list".into())),
            None => return Err(err("roles.chart_series", "missing".into())),
        };
        Ok(Theme {
            name,
            background: color("background")?,
            text: color("text")?,
            text_dim: color("text_dim")?,
            border: color("border")?,
            border_focused: color("border_focused")?,
            selection_bg: color("selection_bg")?,
            selection_fg: color("selection_fg")?,
            accent: color("accent")?,
            ok: color("ok")?,
            error: color("error")?,
            warning: color("warning")?,
            diff_added: color("diff_added")?,
            diff_removed: color("diff_removed")?,
            keyword: color("keyword")?,
            string: color("string")?,
            number: color("number")?,
            comment: color("comment")?,
            status_bg: color("status_bg")?,
            status_fg: color("status_fg")?,
            chart_series,
        })
    }

    // ---- styles by role -------------------------------------------------------------

    pub fn base(&self) -> Style {
        Style::default().fg(self.text).bg(self.background)
    }
    pub fn text(&self) -> Style {
        Style::default().fg(self.text)
    }
    pub fn dim(&self) -> Style {
        Style::default().fg(self.text_dim)
    }
    pub fn accent(&self) -> Style {
        Style::default().fg(self.accent)
    }
    pub fn title(&self) -> Style {
        Style::default()
            .fg(self.accent)
            .add_modifier(Modifier::BOLD)
    }
    pub fn border(&self, focused: bool) -> Style {
        Style::default().fg(if focused {
            self.border_focused
        } else {
            self.border
        })
    }
    pub fn selected(&self) -> Style {
        Style::default()
            .fg(self.selection_fg)
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        Style::default().fg(self.ok)
    }
    pub fn error(&self) -> Style {
        Style::default().fg(self.error)
    }
    pub fn warning(&self) -> Style {
        Style::default().fg(self.warning)
    }
    pub fn added(&self) -> Style {
        Style::default()
            .fg(self.diff_added)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn removed(&self) -> Style {
        Style::default()
            .fg(self.diff_removed)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn status(&self) -> Style {
        Style::default().fg(self.status_fg).bg(self.status_bg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_defines_every_role() {
        for (name, text) in SHIPPED {
            let doc: toml::Table = text.parse().unwrap();
            let roles = doc["roles"].as_table().unwrap();
            for role in ROLES {
                assert!(roles.contains_key(*role), "theme {name} lacks role {role}");
            }
            assert!(
                roles.contains_key("chart_series"),
                "theme {name} lacks chart_series"
            );
            let t = Theme::shipped(name).unwrap();
            assert_eq!(t.name, *name);
            assert!(
                t.chart_series.len() >= 4,
                "theme {name}: too few chart colours"
            );
        }
    }

    #[test]
    fn shipped_files_match_the_themes_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .trim_end_matches(".toml")
                    .to_string()
            })
            .collect();
        on_disk.sort();
        let mut shipped: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        shipped.sort();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn bad_theme_names_file_and_key() {
        let good = SHIPPED[0].1;
        let missing = good.replace("warning = ", "# warning = ");
        let e = Theme::parse("my.toml", &missing).unwrap_err();
        assert_eq!(e.key, "roles.warning");
        assert!(e.to_string().contains("my.toml") && e.to_string().contains("roles.warning"));

        let bad_colour = good.replace("ok = \"#5fd75f\"", "ok = \"#12\"");
        let e = Theme::parse("my.toml", &bad_colour).unwrap_err();
        assert_eq!(e.key, "roles.ok");

        let unknown = good.replace("[roles]", "[roles]\nsparkle = \"red\"");
        let e = Theme::parse("my.toml", &unknown).unwrap_err();
        assert_eq!(e.key, "roles.sparkle");

        let e = Theme::load("no-such-theme").unwrap_err();
        assert!(e
            .to_string()
            .contains("shipped: dark, light, high-contrast"));
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#ff0080"), Some(Color::Rgb(255, 0, 128)));
        assert_eq!(parse_color("light-red"), Some(Color::LightRed));
        assert_eq!(parse_color("#ff00"), None);
        assert_eq!(parse_color("mauve"), None);
    }
}
