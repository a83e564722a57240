//! A conversation as the token ids a model reads. Training, evaluation, sampling and
//! `sense serve` all go through [`conversation_ids`], so a model sees one prompt for one
//! question whichever path asks: its chat template's (`chat_template.rs`) where its folder has
//! one, the plain prompt otherwise.

use super::chat_template::{ChatTemplate, ChatTemplateError};
use super::tokenizer::Tokenizer;
use crate::llm::Message;
use std::path::Path;

/// The token ids a model reads for a conversation's prompt, at most `keep` of them, and whether
/// anything was cut. With a chat template: the template's text with the generation prompt,
/// encoded whole (special tokens in it become their ids); when that is too long, the beginning of
/// the last user message goes (the question sits at its end) and the template's frame stays.
/// Without one (sense's own checkpoints): the begin token and the contents joined by newlines,
/// whose beginning goes when too long.
pub fn conversation_ids(
    tok: &Tokenizer,
    messages: &[Message],
    keep: usize,
) -> Result<(Vec<u32>, bool), ChatTemplateError> {
    let Some(t) = tok.chat_template() else {
        let mut p = tok.encode(&Message::plain_text(messages));
        let room = keep.saturating_sub(1);
        let cut = p.len() > room;
        if cut {
            p.drain(..p.len() - room);
        }
        let mut out = Vec::with_capacity(1 + p.len());
        out.push(tok.bos());
        out.extend(p);
        return Ok((out, cut));
    };
    let whole = tok.encode(&t.render(messages, true)?);
    if whole.len() <= keep {
        return Ok((whole, false));
    }
    let Some(u) = messages.iter().rposition(|m| m.role == "user") else {
        // Nothing to cut inside: keep the end, where the generation prompt is.
        return Ok((whole[whole.len() - keep..].to_vec(), true));
    };
    let (head, tail) = t.frame(messages, u)?;
    let (head, tail) = (tok.encode(&head), tok.encode(&tail));
    let mut content = tok.encode(&messages[u].content);
    let room = keep.saturating_sub(head.len() + tail.len());
    content.drain(..content.len().saturating_sub(room));
    let mut out = head;
    out.extend(content);
    out.extend(tail);
    // A frame longer than `keep` on its own: its end, as above.
    let extra = out.len().saturating_sub(keep);
    out.drain(..extra);
    Ok((out, true))
}

/// The text a model reads for a conversation: its chat template's rendering, or without one
/// the plain prompt (the contents joined by newlines; the begin token is not text).
pub fn conversation_text(
    tok: &Tokenizer,
    messages: &[Message],
) -> Result<String, ChatTemplateError> {
    match tok.chat_template() {
        Some(t) => t.render(messages, true),
        None => Ok(Message::plain_text(messages)),
    }
}

/// `tok` with the chat template of folder `dir`, if the folder has one.
pub fn with_folder_template(tok: Tokenizer, dir: &Path) -> Result<Tokenizer, ChatTemplateError> {
    match ChatTemplate::from_folder(dir)? {
        Some(t) => tok.with_chat_template(t),
        None => Ok(tok),
    }
}

/// The `tokenizer_config.json` that carries a tokenizer's chat template into a checkpoint
/// folder (so a run trained from an Instruct model keeps its prompt); `None` without one.
pub fn config_json(tok: &Tokenizer) -> Option<String> {
    let t = tok.chat_template()?;
    let v = serde_json::json!({
        "chat_template": t.source(),
        "bos_token": t.bos_token(),
        "eos_token": t.eos_token(),
    });
    serde_json::to_string_pretty(&v).ok()
}
