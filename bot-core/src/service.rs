//! What the adapters see of the bot: a [`ChatMessage`] in, a [`Reply`] out, through one [`Responder`].
//!
//! The adapters (Telegram, Discord) and the terminal chat translate their platform's events into a
//! [`ChatMessage`] and render the [`Reply`]; everything else (memory of the conversation, meetings, reminders)
//! happens behind the [`Responder`] that the `recovery-bot` binary wires up.

use crate::content::Command;
use crate::country::CountryCode;
use crate::engine::{ChatKind, Classification, Platform};
use crate::language::Language;
use crate::notice::Notices;
use crate::reply::Reply;

pub use meetings::Coordinates;

/// A conversation the bot can answer in, and later write to (reminders).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatRef {
    pub platform: Platform,
    /// The platform's id for the conversation: a Telegram chat id; on Discord the person's user id (their
    /// reminders go to their direct messages), or a channel id for crisis watch's public reply. Never a name.
    pub id: String,
    pub kind: ChatKind,
}

impl ChatRef {
    /// A conversation on `platform` with the platform's id `id`.
    pub fn new(platform: Platform, id: impl Into<String>, kind: ChatKind) -> Self {
        ChatRef {
            platform,
            id: id.into(),
            kind,
        }
    }
}

/// One incoming message, already translated from the platform's event.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub chat: ChatRef,
    /// What the person wrote. A command arrives as text: `/meeting tonight women`; slash-command options are
    /// written out as words after the name, in any order.
    pub text: String,
    /// A location the person shared (a Telegram map pin), for the meeting search.
    pub location: Option<Coordinates>,
    /// In a group: whether the sender administers it (`None`: not asked). The adapter asks the platform only
    /// for a reminder request, since only a group's admins may change the group's daily reminder.
    pub sender_manages_chat: Option<bool>,
    /// The language the platform says the person uses (Telegram's `language_code`, Discord's locale).
    pub language_hint: Option<Language>,
    /// The country the platform's locale names (Discord's `en-GB`; never Telegram's, which is a language).
    pub country_hint: Option<CountryCode>,
}

impl ChatMessage {
    /// A text message in `chat`.
    pub fn text(chat: ChatRef, text: impl Into<String>) -> Self {
        ChatMessage {
            chat,
            text: text.into(),
            location: None,
            sender_manages_chat: None,
            language_hint: None,
            country_hint: None,
        }
    }
}

/// Answers messages. The binary's implementation remembers each conversation, searches the configured
/// meeting feeds and keeps reminders; adapters only call it. Implementations must be cheap to call from many
/// tasks at once and never block for long (no network inside).
pub trait Responder: Send + Sync {
    /// The intent of a message without answering it or changing anything (Discord's crisis watch reads
    /// messages that were not sent to the bot: they must never start a reminder or a conversation).
    fn classify(&self, text: &str) -> Classification;

    /// The reply to one message. A crisis or an overdose happening now is detected in every message,
    /// commands included, and leads the reply.
    fn respond(&self, message: &ChatMessage) -> Reply;

    /// The platform says this chat can no longer be written to (Telegram 403 "bot was blocked by the user",
    /// Discord 50007 "cannot send messages to this user"): stop writing to it (reminders pause).
    fn unreachable(&self, chat: &ChatRef) {
        let _ = chat;
    }
}

/// What the platforms' menus offer: commands with their descriptions, and the principles (for
/// autocomplete); and the notices the adapters show on their own. Taken from the content, so a localised
/// content folder localises the menus and notices too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub commands: Vec<Command>,
    /// Titles of the principles and dimensions, in content order.
    pub principles: Vec<String>,
    pub notices: Notices,
}

/// Why a message the bot started (a reminder) could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The person blocked the bot or closed their direct messages: stop writing to this chat.
    #[error("the chat cannot be written to")]
    Unreachable,
    /// Worth another try later: a network error, a rate limit, a server error.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will not work on retry (a bad chat id, a message the platform refuses).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// How long a message is tried again through failures that pass (both platforms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// A message the bot starts (a reminder), sent at most once: at most a rate limit is waited out (the
    /// platform certainly did not post it); any other failure goes back to the reminder scheduler's policy.
    AtMostOnce,
    /// An ordinary reply: a minute, so that a half-minute outage loses none.
    Ordinary,
    /// A crisis or an overdose happening now: two minutes.
    Urgent,
}

impl Patience {
    /// What `reply` deserves.
    pub fn for_reply(reply: &Reply) -> Patience {
        if reply.urgent {
            Patience::Urgent
        } else {
            Patience::Ordinary
        }
    }

    /// How long retries may go on.
    pub fn budget(self) -> std::time::Duration {
        std::time::Duration::from_secs(match self {
            Patience::AtMostOnce => 0,
            Patience::Ordinary => 60,
            Patience::Urgent => 120,
        })
    }
}

/// The waits between tries of a message that failed in a way that passes: doubling from `first` up to `most`,
/// each with up to half again of jitter, so that chats hit by the same outage do not all come back at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    step: std::time::Duration,
    most: std::time::Duration,
}

impl Backoff {
    pub const fn new(first: std::time::Duration, most: std::time::Duration) -> Backoff {
        Backoff { step: first, most }
    }

    /// The wait before the next try; `random` is a fraction in 0..=1 from the caller's source of randomness
    /// (this crate has none).
    pub fn next_wait(&mut self, random: f64) -> std::time::Duration {
        let step = self.step;
        self.step = (step * 2).min(self.most);
        step + (step / 2).mul_f64(random.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_its_most_with_up_to_half_again_of_jitter() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(2));
        assert_eq!(backoff.next_wait(0.0), Duration::from_millis(500));
        assert_eq!(backoff.next_wait(1.0), Duration::from_millis(1500));
        assert_eq!(backoff.next_wait(0.5), Duration::from_millis(2500));
        assert_eq!(
            backoff.next_wait(7.0),
            Duration::from_secs(3),
            "the jitter is at most half"
        );
        assert_eq!(backoff.next_wait(-1.0), Duration::from_secs(2));
    }
}
