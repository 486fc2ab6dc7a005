//! Telegram updates as what the bot acts on: a message for the core, a pressed button, a chat that can
//! no longer (or again) be written to, or something to skip.
//!
//! - Direct messages: every message. Text (or a media caption) goes to the core as written; a shared
//!   location (map pin or venue) goes as `/meeting` with its coordinates, so the core answers with the
//!   nearest meetings; other media (a sticker, a voice note) go as empty text, which the core answers by
//!   asking for words.
//! - Groups: only commands (not those addressed to another bot with `/cmd@other_bot`), messages that
//!   mention the bot (the mention is removed from the text) and replies to the bot's messages.
//! - Messages from bots, edits, channel posts and service messages are skipped.

use bot_core::language::Language;
use bot_core::{ChatKind, ChatMessage, ChatRef, Coordinates, Platform};
use teloxide::types::{
    CallbackQueryId, Chat, MessageEntityKind, MessageId, ThreadId, Update, UpdateKind, UserId,
};

/// Who the bot is, from getMe.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: UserId,
    /// The bot's username without `@`.
    pub username: String,
}

/// Where a reply goes in the chat, besides the chat itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// Reply to this message (in groups, so it is clear whom the bot answers).
    pub reply_to: Option<MessageId>,
    /// The forum topic the message came from.
    pub thread: Option<ThreadId>,
}

/// What an update asks of the bot.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A message for the core.
    Message {
        message: ChatMessage,
        placement: Placement,
        /// Who wrote it.
        sender: UserId,
    },
    /// A follow-up button was pressed.
    Button {
        query: CallbackQueryId,
        chat: ChatRef,
        data: String,
        placement: Placement,
        /// Who pressed it.
        sender: UserId,
    },
    /// The bot was blocked, removed, or let back in.
    Membership { chat: ChatRef, reachable: bool },
    /// Nothing to do; the reason is for the log (never message text).
    Skip(&'static str),
}

/// The chat's kind for the core.
pub fn chat_ref(chat: &Chat) -> ChatRef {
    let kind = if chat.is_private() {
        ChatKind::Direct
    } else {
        ChatKind::Group
    };
    ChatRef::new(Platform::Telegram, chat.id.0.to_string(), kind)
}

/// Reads one update.
pub fn translate(update: &Update, me: &Identity) -> Incoming {
    match &update.kind {
        UpdateKind::Message(message) => translate_message(message, me),
        UpdateKind::CallbackQuery(query) => {
            if query.from.is_bot {
                return Incoming::Skip("button pressed by a bot");
            }
            let Some(data) = query.data.clone() else {
                return Incoming::Skip("button without data");
            };
            let Some(message) = &query.message else {
                return Incoming::Skip("button on an inline message");
            };
            Incoming::Button {
                query: query.id.clone(),
                chat: chat_ref(message.chat()),
                sender: query.from.id,
                data,
                placement: Placement {
                    reply_to: None,
                    thread: message.regular_message().and_then(topic),
                },
            }
        }
        UpdateKind::MyChatMember(change) => {
            let new = &change.new_chat_member;
            let old = &change.old_chat_member;
            let chat = chat_ref(&change.chat);
            if new.is_banned() || new.is_left() {
                Incoming::Membership {
                    chat,
                    reachable: false,
                }
            } else if new.is_present() && !old.is_present() {
                Incoming::Membership {
                    chat,
                    reachable: true,
                }
            } else {
                Incoming::Skip("membership change that does not matter")
            }
        }
        UpdateKind::Error(_) => Incoming::Skip("update that could not be read"),
        _ => Incoming::Skip("update of a kind the bot does not handle"),
    }
}

/// The forum topic of a message, when it is in one.
fn topic(message: &teloxide::types::Message) -> Option<ThreadId> {
    message
        .is_topic_message
        .then_some(message.thread_id)
        .flatten()
}

fn translate_message(msg: &teloxide::types::Message, me: &Identity) -> Incoming {
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Incoming::Skip("message from a bot or without a sender");
    };
    let sender = from.id;
    if msg.via_bot.is_some() {
        return Incoming::Skip("message from a bot or without a sender");
    }
    let teloxide::types::MessageKind::Common(_) = &msg.kind else {
        return Incoming::Skip("service message");
    };
    let chat = chat_ref(&msg.chat);
    let location = msg
        .location()
        .or_else(|| msg.venue().map(|v| &v.location))
        .and_then(|l| Coordinates::new(l.latitude, l.longitude));
    let (text, entities) = match (msg.text(), msg.caption()) {
        (Some(text), _) => (text, msg.parse_entities().unwrap_or_default()),
        (None, Some(caption)) => (caption, msg.parse_caption_entities().unwrap_or_default()),
        (None, None) => ("", Vec::new()),
    };

    let text = match chat.kind {
        ChatKind::Direct => text.to_owned(),
        ChatKind::Group => {
            let replying_to_me = msg
                .reply_to_message()
                .and_then(|r| r.from.as_ref())
                .is_some_and(|u| u.id == me.id);
            let mentions: Vec<_> = entities
                .iter()
                .filter(|e| match e.kind() {
                    MessageEntityKind::Mention => e
                        .text()
                        .strip_prefix('@')
                        .is_some_and(|name| name.eq_ignore_ascii_case(&me.username)),
                    MessageEntityKind::TextMention { user } => user.id == me.id,
                    _ => false,
                })
                .map(|e| e.range())
                .collect();
            match command_target(text) {
                Some(Some(target)) if !target.eq_ignore_ascii_case(&me.username) => {
                    return Incoming::Skip("command for another bot");
                }
                Some(_) => text.to_owned(),
                None if !mentions.is_empty() => strip_ranges(text, &mentions),
                None if replying_to_me => text.to_owned(),
                None => return Incoming::Skip("group message not addressed to the bot"),
            }
        }
    };

    let text = if location.is_some() && text.trim().is_empty() {
        "/meeting".to_owned()
    } else {
        text
    };
    let placement = Placement {
        reply_to: (chat.kind == ChatKind::Group).then_some(msg.id),
        thread: topic(msg),
    };
    Incoming::Message {
        message: ChatMessage {
            chat,
            text,
            location,
            sender_manages_chat: None,
            // Telegram's language_code is the app's language, not where the person is: a language hint only.
            language_hint: from.language_code.as_deref().and_then(Language::from_tag),
            country_hint: None,
        },
        placement,
        sender,
    }
}

/// For a command (`/name` or `/name@bot` at the start), `Some` with the bot it names, if any.
fn command_target(text: &str) -> Option<Option<&str>> {
    let rest = text.trim_start().strip_prefix('/')?;
    let word = rest.split(char::is_whitespace).next().unwrap_or("");
    let name_ok = !word.is_empty() && !word.starts_with('@');
    name_ok.then(|| word.split_once('@').map(|(_, bot)| bot))
}

/// `text` without the byte ranges `ranges` (sorted, not overlapping), spaces tidied.
fn strip_ranges(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        if r.start >= at && r.end <= text.len() {
            out.push_str(&text[at..r.start]);
            at = r.end;
        }
    }
    out.push_str(&text[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn me() -> Identity {
        Identity {
            id: UserId(42),
            username: "recovery_bot".into(),
        }
    }

    fn update(message: serde_json::Value) -> Update {
        parse(json!({"update_id": 1, "message": message}))
    }

    /// As teloxide reads updates: from text (its reader needs borrowed keys).
    fn parse(value: serde_json::Value) -> Update {
        serde_json::from_str(&value.to_string()).unwrap()
    }

    fn group_message(text: &str, entities: serde_json::Value) -> serde_json::Value {
        json!({
            "message_id": 5, "date": 0,
            "chat": {"id": -100, "type": "supergroup", "title": "g"},
            "from": {"id": 7, "is_bot": false, "first_name": "A"},
            "text": text, "entities": entities
        })
    }

    fn text_of(incoming: Incoming) -> Option<String> {
        match incoming {
            Incoming::Message { message, .. } => Some(message.text),
            _ => None,
        }
    }

    #[test]
    fn direct_messages_pass_whole() {
        let u = update(json!({
            "message_id": 1, "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": {"id": 9, "is_bot": false, "first_name": "A"},
            "text": "I <3 you @recovery_bot"
        }));
        match translate(&u, &me()) {
            Incoming::Message {
                message, placement, ..
            } => {
                assert_eq!(message.text, "I <3 you @recovery_bot");
                assert_eq!(message.chat.kind, ChatKind::Direct);
                assert_eq!(message.chat.id, "9");
                assert_eq!(placement, Placement::default());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_app_language_is_a_language_hint_and_never_a_country() {
        let u = update(json!({
            "message_id": 1, "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": {"id": 9, "is_bot": false, "first_name": "A", "language_code": "es-MX"},
            "text": "/help"
        }));
        match translate(&u, &me()) {
            Incoming::Message { message, .. } => {
                assert_eq!(message.language_hint, Some(Language::Spanish));
                assert_eq!(message.country_hint, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn groups_need_a_command_mention_or_reply() {
        let plain = update(group_message("I want to use again", json!([])));
        assert_eq!(
            translate(&plain, &me()),
            Incoming::Skip("group message not addressed to the bot")
        );

        let mention = update(group_message(
            "hey @Recovery_Bot find a meeting",
            json!([{"type": "mention", "offset": 4, "length": 13}]),
        ));
        assert_eq!(
            text_of(translate(&mention, &me())).as_deref(),
            Some("hey find a meeting")
        );

        let other_mention = update(group_message(
            "@someone_else hi",
            json!([{"type": "mention", "offset": 0, "length": 13}]),
        ));
        assert!(matches!(
            translate(&other_mention, &me()),
            Incoming::Skip(_)
        ));

        let command = update(group_message("/meeting@recovery_bot tonight", json!([])));
        assert_eq!(
            text_of(translate(&command, &me())).as_deref(),
            Some("/meeting@recovery_bot tonight")
        );
        let bare_command = update(group_message("/crisis", json!([])));
        assert_eq!(
            text_of(translate(&bare_command, &me())).as_deref(),
            Some("/crisis")
        );
        let other_bot = update(group_message("/help@other_bot", json!([])));
        assert_eq!(
            translate(&other_bot, &me()),
            Incoming::Skip("command for another bot")
        );

        let mut reply = group_message("yes please", json!([]));
        reply["reply_to_message"] = json!({
            "message_id": 4, "date": 0,
            "chat": {"id": -100, "type": "supergroup", "title": "g"},
            "from": {"id": 42, "is_bot": true, "first_name": "Bot"},
            "text": "Want the next meetings?"
        });
        match translate(&update(reply), &me()) {
            Incoming::Message {
                message, placement, ..
            } => {
                assert_eq!(message.text, "yes please");
                assert_eq!(message.chat.kind, ChatKind::Group);
                assert_eq!(placement.reply_to, Some(MessageId(5)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mentions_after_multibyte_text_are_stripped_by_utf16_offsets() {
        // "😀 " is 3 UTF-16 units.
        let u = update(group_message(
            "😀 @recovery_bot help",
            json!([{"type": "mention", "offset": 3, "length": 13}]),
        ));
        assert_eq!(text_of(translate(&u, &me())).as_deref(), Some("😀 help"));
    }

    #[test]
    fn a_shared_location_asks_for_meetings_near_it() {
        let u = update(json!({
            "message_id": 1, "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": {"id": 9, "is_bot": false, "first_name": "A"},
            "location": {"latitude": 51.5, "longitude": -0.12}
        }));
        match translate(&u, &me()) {
            Incoming::Message { message, .. } => {
                assert_eq!(message.text, "/meeting");
                assert_eq!(message.location, Coordinates::new(51.5, -0.12));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn media_without_words_in_a_dm_is_empty_text() {
        let u = update(json!({
            "message_id": 1, "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": {"id": 9, "is_bot": false, "first_name": "A"},
            "sticker": {"file_id": "f", "file_unique_id": "u", "type": "regular",
                        "width": 1, "height": 1, "is_animated": false, "is_video": false}
        }));
        assert_eq!(text_of(translate(&u, &me())).as_deref(), Some(""));
    }

    #[test]
    fn bots_and_unknown_updates_are_skipped() {
        let u = update(json!({
            "message_id": 1, "date": 0,
            "chat": {"id": 9, "type": "private"},
            "from": {"id": 9, "is_bot": true, "first_name": "B"},
            "text": "hi"
        }));
        assert!(matches!(translate(&u, &me()), Incoming::Skip(_)));
        let garbage = parse(json!({"update_id": 3, "message": {"message_id": "x"}}));
        assert_eq!(
            translate(&garbage, &me()),
            Incoming::Skip("update that could not be read")
        );
    }

    #[test]
    fn blocking_and_unblocking() {
        let change = |old: &str, new: &str| -> Update {
            parse(json!({"update_id": 4, "my_chat_member": {
                "chat": {"id": 9, "type": "private"},
                "from": {"id": 9, "is_bot": false, "first_name": "A"},
                "date": 0,
                "old_chat_member": {"user": {"id": 42, "is_bot": true, "first_name": "B"}, "status": old, "until_date": 0},
                "new_chat_member": {"user": {"id": 42, "is_bot": true, "first_name": "B"}, "status": new, "until_date": 0}
            }}))
        };
        assert!(matches!(
            translate(&change("member", "kicked"), &me()),
            Incoming::Membership {
                reachable: false,
                ..
            }
        ));
        assert!(matches!(
            translate(&change("kicked", "member"), &me()),
            Incoming::Membership {
                reachable: true,
                ..
            }
        ));
    }

    #[test]
    fn command_targets() {
        assert_eq!(command_target("/help"), Some(None));
        assert_eq!(command_target(" /help@bot x"), Some(Some("bot")));
        assert_eq!(command_target("/"), None);
        assert_eq!(command_target("hello /help"), None);
    }
}
