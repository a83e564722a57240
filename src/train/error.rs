//! The error type of `train`. Messages read as before the move from `anyhow`: a cause keeps
//! its context, `{}` shows the outermost message and `{:#}` the whole chain ("saving
//! checkpoint X: No space left on device"), in this crate's front ends and in `anyhow` alike.

use std::fmt;

pub type Result<T, E = TrainError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A tensor operation, a kernel or a safetensors file failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    /// A model folder's chat template that cannot be read or refuses a conversation.
    #[error(transparent)]
    ChatTemplate(#[from] super::chat_template::ChatTemplateError),
    /// What went wrong, in words (a bad setting, a file that is not a checkpoint, ...).
    #[error("{0}")]
    Message(String),
    /// `context` around its cause.
    #[error(fmt = fmt_context)]
    Context {
        context: String,
        #[source]
        source: Box<TrainError>,
    },
}

/// `{}`: the context alone (as `anyhow` shows it, and `anyhow` then walks the sources);
/// `{:#}`: the context and every cause, joined by ": ".
fn fmt_context<S: std::error::Error + 'static>(
    context: &str,
    source: &S,
    f: &mut fmt::Formatter,
) -> fmt::Result {
    f.write_str(context)?;
    if f.alternate() {
        let mut cause: Option<&dyn std::error::Error> = Some(source);
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
    }
    Ok(())
}

impl TrainError {
    pub fn msg(text: impl Into<String>) -> Self {
        TrainError::Message(text.into())
    }

    /// This error as the cause of `context`.
    pub fn context(self, context: impl fmt::Display) -> Self {
        TrainError::Context {
            context: context.to_string(),
            source: Box::new(self),
        }
    }
}

/// `context` / `with_context` on results and options, as `anyhow::Context` has them.
pub trait Context<T> {
    fn context<C: fmt::Display>(self, context: C) -> Result<T>;
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<TrainError>> Context<T> for std::result::Result<T, E> {
    fn context<C: fmt::Display>(self, context: C) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context<C: fmt::Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| TrainError::msg(context.to_string()))
    }

    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| TrainError::msg(f().to_string()))
    }
}

/// Returns early with a `TrainError::Message` (`format!` arguments).
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::train::error::TrainError::Message(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_shows_like_anyhow() {
        let io = std::io::Error::other("disk full");
        let e = Err::<(), _>(io).context("saving x").unwrap_err();
        assert_eq!(e.to_string(), "saving x");
        assert_eq!(format!("{e:#}"), "saving x: disk full");
        let e = e.context("run #3");
        assert_eq!(format!("{e:#}"), "run #3: saving x: disk full");
        let a = anyhow::Error::from(e);
        assert_eq!(a.to_string(), "run #3");
        assert_eq!(format!("{a:#}"), "run #3: saving x: disk full");
        let none: Option<u8> = None;
        assert_eq!(none.context("missing").unwrap_err().to_string(), "missing");
    }
}
