//! One update in, the core's reply out.

use bot_core::{ChatKind, ChatMessage, ChatRef, Intent, Notice, Notices, Responder};
use std::sync::Arc;
use std::time::Instant;
use teloxide::payloads::AnswerCallbackQuerySetters as _;
use teloxide::prelude::Requester as _;
use teloxide::requests::Request as _;
use teloxide::types::{CallbackQueryId, ChatId, Update, UserId};
use tokio_util::task::TaskTracker;

use crate::buttons::Pressed;
use crate::incoming::{Identity, Incoming, Placement, translate};
use crate::outbox::{Outbox, describe};
use bot_core::Patience;

/// Everything a handler needs; shared by all chats.
pub(crate) struct Handler {
    pub responder: Arc<dyn Responder>,
    pub outbox: Outbox,
    pub me: Identity,
    /// What the adapter says on its own (an expired button).
    pub notices: Notices,
    /// Updates being answered: at shutdown, those still running after the grace period are counted as lost.
    pub answering: TaskTracker,
}

fn chat_id(chat: &ChatRef) -> Option<ChatId> {
    chat.id.parse().ok().map(ChatId)
}

impl Handler {
    /// Handles one update. Never fails: problems are logged (ids and reasons only) and the update is
    /// done with.
    pub(crate) async fn handle(&self, update: Update) {
        let _answering = self.answering.token();
        let started = Instant::now();
        let update_id = update.id.0;
        match translate(&update, &self.me) {
            Incoming::Message {
                message,
                placement,
                sender,
            } => {
                self.answer(update_id, message, placement, sender, started)
                    .await;
            }
            Incoming::Button {
                query,
                chat,
                data,
                placement,
                sender,
            } => {
                let pressed = self.outbox.pressed(&data);
                self.acknowledge(update_id, query, &pressed).await;
                match pressed {
                    Pressed::Message(text) => {
                        let message = ChatMessage::text(chat, text);
                        self.answer(update_id, message, placement, sender, started)
                            .await;
                    }
                    Pressed::Expired | Pressed::Invalid => {
                        tracing::info!(update_id, chat_id = %chat.id, "button without a known message");
                    }
                }
            }
            Incoming::Membership { chat, reachable } => {
                let Some(id) = chat_id(&chat) else { return };
                if reachable {
                    tracing::info!(update_id, chat_id = %chat.id, "bot let back into the chat");
                    self.outbox.mark_reachable(id);
                } else {
                    tracing::info!(update_id, chat_id = %chat.id, "bot blocked or removed");
                    if self.outbox.mark_unreachable(id) {
                        self.responder.unreachable(&chat);
                    }
                }
            }
            Incoming::Skip(reason) => {
                tracing::debug!(update_id, reason, "update skipped");
            }
        }
    }

    /// Whether `user` is an owner or administrator of group `chat` (getChatMember). When Telegram cannot
    /// say, no: a group's reminder is changed only by someone known to administer it.
    async fn is_admin(&self, update_id: u32, chat: ChatId, user: UserId) -> bool {
        match self.outbox.api().bot().get_chat_member(chat, user).await {
            Ok(member) => member.is_privileged(),
            Err(e) => {
                tracing::warn!(update_id, chat_id = chat.0, error = %describe(&e), "getChatMember failed");
                false
            }
        }
    }

    /// Answers the callback query at once, so the button stops spinning.
    async fn acknowledge(&self, update_id: u32, query: CallbackQueryId, pressed: &Pressed) {
        let bot = self.outbox.api().bot();
        let mut request = bot.answer_callback_query(query);
        if *pressed == Pressed::Expired {
            request = request.text(self.notices.text(Notice::ExpiredButton));
        }
        if let Err(e) = request.send().await {
            tracing::warn!(update_id, error = %describe(&e), "answerCallbackQuery failed");
        }
    }

    async fn answer(
        &self,
        update_id: u32,
        mut message: ChatMessage,
        placement: Placement,
        sender: UserId,
        started: Instant,
    ) {
        let Some(chat) = chat_id(&message.chat) else {
            return;
        };
        if message.chat.kind == ChatKind::Group
            && self.responder.classify(&message.text).intent == Intent::Reminder
        {
            message.sender_manages_chat = Some(self.is_admin(update_id, chat, sender).await);
        }
        // They wrote to the bot, so the chat can be written to again.
        self.outbox.mark_reachable(chat);
        let reply = self.responder.respond(&message);
        let responded = started.elapsed();
        let patience = Patience::for_reply(&reply);
        let result = self.outbox.deliver(chat, &reply, placement, patience).await;
        let intent = reply.intent.as_str();
        let respond_us = responded.as_micros() as u64;
        let total_ms = started.elapsed().as_millis() as u64;
        if result.is_ok() {
            metrics::histogram!("recovery_bot_reply_seconds", "platform" => "telegram")
                .record(started.elapsed().as_secs_f64());
        }
        match result {
            Ok(messages) => tracing::info!(
                update_id,
                chat_id = chat.0,
                intent,
                urgent = reply.urgent,
                messages,
                respond_us,
                total_ms,
                "answered"
            ),
            Err(bot_core::DeliveryError::Unreachable) => {
                tracing::info!(
                    update_id,
                    chat_id = chat.0,
                    intent,
                    "reply not delivered: chat unreachable"
                );
                self.responder.unreachable(&message.chat);
            }
            Err(error) => tracing::error!(
                update_id,
                chat_id = chat.0,
                intent,
                urgent = reply.urgent,
                %error,
                total_ms,
                "reply not delivered"
            ),
        }
    }
}
