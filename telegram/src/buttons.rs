//! Follow-ups as inline keyboard buttons, and what a pressed button means.
//!
//! Telegram gives a button at most 64 bytes of `callback_data`, returned as is when it is pressed. A
//! follow-up's message is sent to the core as if the person typed it, so the data carries the message:
//!
//! - `t:<message>` when the message fits (nearly all follow-ups: "explain the hope principle");
//! - `h:<16 hex digits>` otherwise: a hash of the message, looked up in a bounded in-memory table filled
//!   when the button is sent. After a restart such a button has expired, and the person is asked to type
//!   instead.
//!
//! Anyone can send any callback data, so a decoded message is treated exactly like typed text: it is
//! never trusted more than what the person could type themselves.

use bot_core::FollowUp;
use lru::LruCache;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Telegram's limit on a button's callback data, in bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// Long follow-up messages remembered at most; the oldest are forgotten first.
const MEMORY_CAPACITY: usize = 4096;

const TEXT_PREFIX: &str = "t:";
const HASH_PREFIX: &str = "h:";

/// What a pressed button's data asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// Send this message to the core.
    Message(String),
    /// A long follow-up this process no longer (or never) knew.
    Expired,
    /// Not data this bot makes.
    Invalid,
}

/// The long follow-up messages behind `h:` buttons, forgotten in the order they were first sent.
#[derive(Debug)]
pub struct FollowUpMemory {
    messages: LruCache<u64, String>,
}

impl Default for FollowUpMemory {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(MEMORY_CAPACITY).expect("a capacity above zero");
        FollowUpMemory {
            messages: LruCache::new(capacity),
        }
    }
}

fn hash(message: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    message.hash(&mut hasher);
    hasher.finish()
}

impl FollowUpMemory {
    /// The callback data for a follow-up `message`, remembering it when it is too long to carry.
    fn encode(&mut self, message: &str) -> String {
        if TEXT_PREFIX.len() + message.len() <= MAX_CALLBACK_DATA {
            return format!("{TEXT_PREFIX}{message}");
        }
        let key = hash(message);
        // `contains` and `peek` leave the order alone: the first sent is the first forgotten.
        if !self.messages.contains(&key) {
            self.messages.put(key, message.to_owned());
        }
        format!("{HASH_PREFIX}{key:016x}")
    }

    /// What a pressed button's `data` asks for.
    pub fn decode(&self, data: &str) -> Pressed {
        if let Some(message) = data.strip_prefix(TEXT_PREFIX) {
            return Pressed::Message(message.to_owned());
        }
        if let Some(hex) = data.strip_prefix(HASH_PREFIX) {
            return match u64::from_str_radix(hex, 16) {
                Ok(key) if hex.len() == 16 => self
                    .messages
                    .peek(&key)
                    .map_or(Pressed::Expired, |m| Pressed::Message(m.clone())),
                _ => Pressed::Invalid,
            };
        }
        Pressed::Invalid
    }

    /// An inline keyboard with one button per follow-up, in order; `None` without follow-ups.
    pub fn keyboard(&mut self, follow_ups: &[FollowUp]) -> Option<InlineKeyboardMarkup> {
        if follow_ups.is_empty() {
            return None;
        }
        let rows = follow_ups
            .iter()
            .map(|f| {
                vec![InlineKeyboardButton::callback(
                    f.label.clone(),
                    self.encode(&f.message),
                )]
            })
            .collect::<Vec<_>>();
        Some(InlineKeyboardMarkup::new(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_messages_travel_in_the_button() {
        let mut memory = FollowUpMemory::default();
        let message = "explain the relationships and social networks principle";
        let data = memory.encode(message);
        assert!(data.len() <= MAX_CALLBACK_DATA);
        assert_eq!(
            FollowUpMemory::default().decode(&data),
            Pressed::Message(message.into()),
            "no memory needed"
        );
    }

    #[test]
    fn long_messages_are_remembered_by_hash() {
        let mut memory = FollowUpMemory::default();
        let message = "é".repeat(40); // 80 bytes
        let data = memory.encode(&message);
        assert_eq!(data.len(), 18);
        assert_eq!(memory.decode(&data), Pressed::Message(message));
        assert_eq!(FollowUpMemory::default().decode(&data), Pressed::Expired);
    }

    #[test]
    fn memory_is_bounded() {
        let mut memory = FollowUpMemory::default();
        let first = memory.encode(&"x".repeat(100));
        for i in 0..MEMORY_CAPACITY {
            memory.encode(&format!("{i}{}", "y".repeat(100)));
        }
        assert_eq!(memory.messages.len(), MEMORY_CAPACITY);
        assert_eq!(memory.decode(&first), Pressed::Expired);
    }

    #[test]
    fn foreign_data_is_invalid() {
        let memory = FollowUpMemory::default();
        for data in ["", "hello", "h:zz", "h:123", "x:1"] {
            assert_eq!(memory.decode(data), Pressed::Invalid, "{data}");
        }
    }
}
