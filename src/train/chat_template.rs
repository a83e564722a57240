//! Chat templates: how a model folder writes a conversation as prompt text. A Hugging Face
//! Instruct folder carries its template (`chat_template.jinja`, or `chat_template` in
//! `tokenizer_config.json`); it is rendered here with a Jinja engine as transformers renders it
//! (trim_blocks, lstrip_blocks, `raise_exception`, Python string methods, `tojson`), with the
//! begin and end tokens and `add_generation_prompt = true`. Sense's own checkpoints have none
//! and keep the plain prompt: the begin token, then the messages' text.
//!
//! The engine only: `conversation.rs` turns a conversation into token ids with it.

use crate::llm::Message;
use minijinja::value::Serde;
use minijinja::{Environment, ErrorKind, Value};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// The file beside `tokenizer.json` that holds the template on its own (transformers 4.47+);
/// it wins over `tokenizer_config.json`'s `chat_template`, as in transformers.
pub const TEMPLATE_FILE: &str = "chat_template.jinja";
/// The Hugging Face tokenizer settings: `chat_template`, `bos_token`, `eos_token`.
pub const CONFIG_FILE: &str = "tokenizer_config.json";

/// A template that cannot be read, compiled or rendered, with the file it came from.
#[derive(Debug, thiserror::Error)]
#[error("{}: chat template: {msg}", path.display())]
pub struct ChatTemplateError {
    pub path: PathBuf,
    pub msg: String,
}

/// A compiled chat template and the special tokens it may write.
#[derive(Debug, Clone)]
pub struct ChatTemplate {
    env: Environment<'static>,
    source: String,
    path: PathBuf,
    bos_token: Option<String>,
    eos_token: Option<String>,
}

/// The name the template is compiled under, so engine errors cite the file.
fn template_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chat_template".into())
}

/// transformers' `raise_exception(message)`: the template refuses the conversation.
fn raise_exception(msg: String) -> Result<String, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
}

impl ChatTemplate {
    /// Compiles `source` (read from `path`, which errors name) with the special tokens it may
    /// write as `bos_token` and `eos_token`.
    pub fn new(
        path: impl Into<PathBuf>,
        source: &str,
        bos_token: Option<String>,
        eos_token: Option<String>,
    ) -> Result<Self, ChatTemplateError> {
        let path = path.into();
        let mut env = Environment::new();
        // transformers compiles with trim_blocks and lstrip_blocks on, and Jinja drops one
        // trailing newline of the template.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| ChatTemplateError {
                path: path.clone(),
                msg: e.to_string(),
            })?;
        env.set_syntax(syntax);
        // The engine would escape output for a template named `*.json` (tokenizer_config.json).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_filter("tojson", tojson);
        // No `strftime_now`: templates that date their system prompt fall back to their fixed
        // date, so a prompt does not change from one day to the next.
        env.add_template_owned(template_name(&path), source.to_string())
            .map_err(|e| ChatTemplateError {
                path: path.clone(),
                msg: describe(&e),
            })?;
        Ok(ChatTemplate {
            env,
            source: source.to_string(),
            path,
            bos_token,
            eos_token,
        })
    }

    /// The template of a model folder: `chat_template.jinja`, else `tokenizer_config.json`'s
    /// `chat_template` (a string, or a list of named templates of which `default` is taken);
    /// `None` when the folder has neither. The special tokens come from `tokenizer_config.json`.
    pub fn from_folder(dir: &Path) -> Result<Option<Self>, ChatTemplateError> {
        let config_path = dir.join(CONFIG_FILE);
        let config: Option<Json> = match std::fs::read_to_string(&config_path) {
            Ok(text) => Some(serde_json::from_str(&text).map_err(|e| ChatTemplateError {
                path: config_path.clone(),
                msg: format!("not valid JSON: {e}"),
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ChatTemplateError {
                    path: config_path,
                    msg: e.to_string(),
                })
            }
        };
        let token = |key: &str| -> Option<String> {
            match config.as_ref()?.get(key)? {
                Json::String(s) => Some(s.clone()),
                // An `AddedToken` written out: {"content": "<s>", ...}.
                Json::Object(o) => o.get("content")?.as_str().map(str::to_string),
                _ => None,
            }
        };
        let (bos, eos) = (token("bos_token"), token("eos_token"));
        let file = dir.join(TEMPLATE_FILE);
        match std::fs::read_to_string(&file) {
            Ok(source) => return Self::new(file, &source, bos, eos).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ChatTemplateError {
                    path: file,
                    msg: e.to_string(),
                })
            }
        }
        let bad = |msg: String| ChatTemplateError {
            path: config_path.clone(),
            msg,
        };
        let source = match config.as_ref().and_then(|c| c.get("chat_template")) {
            None | Some(Json::Null) => return Ok(None),
            Some(Json::String(s)) => s.clone(),
            Some(Json::Array(named)) => {
                let default = named
                    .iter()
                    .find(|t| t.get("name") == Some(&"default".into()));
                match default
                    .and_then(|t| t.get("template"))
                    .and_then(Json::as_str)
                {
                    Some(s) => s.to_string(),
                    None => {
                        return Err(bad(
                            "chat_template is a list without a template named \"default\"".into(),
                        ))
                    }
                }
            }
            Some(other) => {
                return Err(bad(format!(
                    "chat_template must be a string or a list of named templates, not {other}"
                )))
            }
        };
        Self::new(config_path.clone(), &source, bos, eos).map(Some)
    }

    /// The file the template was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The template's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn bos_token(&self) -> Option<&str> {
        self.bos_token.as_deref()
    }

    pub fn eos_token(&self) -> Option<&str> {
        self.eos_token.as_deref()
    }

    /// The conversation as prompt text, as transformers' `apply_chat_template(messages,
    /// add_generation_prompt=..., tokenize=False)` writes it.
    pub fn render(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        let err = |e: minijinja::Error| ChatTemplateError {
            path: self.path.clone(),
            msg: describe(&e),
        };
        let tmpl = self
            .env
            .get_template(&template_name(&self.path))
            .map_err(err)?;
        // Unset special tokens stay undefined (not `none`), as transformers leaves them out.
        let mut ctx = serde_json::Map::new();
        ctx.insert("messages".into(), serde_json::json!(messages));
        ctx.insert("add_generation_prompt".into(), add_generation_prompt.into());
        if let Some(b) = &self.bos_token {
            ctx.insert("bos_token".into(), b.as_str().into());
        }
        if let Some(e) = &self.eos_token {
            ctx.insert("eos_token".into(), e.as_str().into());
        }
        tmpl.render(Value::from(Serde(ctx))).map_err(err)
    }

    /// The text before and after the last user message's content, where the template writes
    /// that content as given (so a long prompt can be cut inside the content, never in the
    /// template's frame).
    pub fn frame(
        &self,
        messages: &[Message],
        last_user: usize,
    ) -> Result<(String, String), ChatTemplateError> {
        // Private-use characters: in no prompt, and untouched by `trim` and `strip`.
        const MARK: &str = "\u{F8FF}sense-prompt\u{F8FE}";
        let mut marked = messages.to_vec();
        marked[last_user].content = MARK.into();
        let text = self.render(&marked, true)?;
        match text.split_once(MARK) {
            Some((head, tail)) if !tail.contains(MARK) => Ok((head.into(), tail.into())),
            _ => Err(ChatTemplateError {
                path: self.path.clone(),
                msg: "the template does not write the last user message once and as given, so a \
                      prompt too long for the context cannot be cut to fit"
                    .into(),
            }),
        }
    }
}

/// transformers' `tojson`: Python's `json.dumps(value, ensure_ascii=False, indent=indent)`, whose
/// separators are `", "` and `": "` (`","` at line ends when indented).
fn tojson(value: &Value, kwargs: minijinja::value::Kwargs) -> Result<Value, minijinja::Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let v = serde_json::to_value(value)
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, format!("tojson: {e}")))?;
    let mut out = String::new();
    write_py_json(&v, indent, 0, &mut out);
    Ok(Value::from_safe_string(out))
}

fn write_py_json(v: &Json, indent: Option<usize>, depth: usize, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    let sep = if indent.is_some() { "," } else { ", " };
    match v {
        Json::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                write_py_json(x, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Json::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (k, x)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                out.push_str(&Json::String(k.clone()).to_string());
                out.push_str(": ");
                write_py_json(x, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        // Scalars, `[]` and `{}` print alike (strings keep non-ASCII, as ensure_ascii=False).
        other => out.push_str(&other.to_string()),
    }
}

/// An engine error with its causes (the template's line, an exception's message).
fn describe(e: &minijinja::Error) -> String {
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

#[cfg(test)]
#[path = "chat_template_tests.rs"]
mod tests;
