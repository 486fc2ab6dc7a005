//! The terminal chat: the same core and the same [`Responder`] the platforms use, one message per line.

use anyhow::Result;
use bot_core::{ChatKind, ChatMessage, ChatRef, DeliveryError, Platform, Reply, Responder};
use std::io::{BufRead, Write};

use crate::cli::render_terminal;

/// The terminal's one conversation.
pub fn terminal_chat() -> ChatRef {
    ChatRef::new(Platform::Terminal, "terminal", ChatKind::Direct)
}

/// Prints reminders in the terminal chat, between its messages.
pub struct TerminalSender;

impl reminders::Sender for TerminalSender {
    async fn deliver(&self, _chat: &ChatRef, reply: &Reply) -> Result<(), DeliveryError> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "\n{}\n", render_terminal(reply))
            .and_then(|()| out.flush())
            .map_err(|error| DeliveryError::Permanent(error.to_string()))
    }
}

/// Chats until end of input or `/quit`. Starts with the `/start` answer (what the bot can do and the
/// crisis line); a number picks a suggested follow-up of the previous reply.
pub fn run(responder: &dyn Responder, input: impl BufRead, mut out: impl Write) -> Result<()> {
    let chat = terminal_chat();
    let welcome = responder.respond(&ChatMessage::text(chat.clone(), "/start"));
    writeln!(
        out,
        "{}\n\n(Terminal chat: type a message, a number to pick a suggestion, or /quit to leave.)\n",
        render_terminal(&welcome)
    )?;
    out.flush()?;
    let mut follow_ups = welcome.follow_ups;
    for line in input.lines() {
        let line = line?;
        let trimmed = line.trim();
        if matches!(trimmed, "/quit" | "/exit") {
            break;
        }
        let text = match trimmed.parse::<usize>() {
            Ok(n) if (1..=follow_ups.len()).contains(&n) => follow_ups[n - 1].message.clone(),
            _ => line,
        };
        let reply = responder.respond(&ChatMessage::text(chat.clone(), text));
        writeln!(out, "\n{}\n", render_terminal(&reply))?;
        out.flush()?;
        follow_ups = reply.follow_ups;
    }
    Ok(())
}
