//! Sending replies: rendering, rate limits, retries, and chats that can no longer be written to.
//!
//! - With throttling on (the default), teloxide's `Throttle` paces messages under Telegram's limits and
//!   itself waits out a 429's `retry_after`. Without it, [`Outbox`] waits `retry_after` itself.
//! - A reply is tried again through failures that pass (5xx, network errors, unreadable answers) with
//!   backoff and jitter for as long as its [`Patience`] allows: two minutes for a crisis or overdose reply,
//!   one for any other (teloxide itself already waits 10 s after a 5xx before returning it).
//! - Telegram has no idempotency key: when a request was sent but its answer was lost (a dropped connection,
//!   a timeout, an unreadable answer), the message may have been posted. A reply is sent again anyway (a
//!   crisis reply twice is better than none); a message the bot starts (a reminder) never is: that failure
//!   is [`DeliveryError::Permanent`], so the reminder scheduler does not repeat it either.
//! - 403 ("bot was blocked by the user", kicked, deactivated): the chat is marked unreachable and nothing
//!   more is sent to it until the person writes again.
//! - If Telegram refuses a message's HTML, the same words are sent again as plain text, so help is never
//!   lost to a formatting mistake.

use bot_core::{Backoff, DeliveryError, Patience, Reply};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::payloads::SendMessageSetters as _;
use teloxide::prelude::Requester;
use teloxide::requests::Request as _;
use teloxide::types::{
    ChatId, InlineKeyboardMarkup, LinkPreviewOptions, ParseMode, ReplyParameters,
};
use teloxide::{ApiError, Bot, RequestError};

use crate::buttons::{FollowUpMemory, Pressed};
use crate::incoming::Placement;
use crate::render::{html_to_plain, render_messages};

/// The waits before retrying a network or server error: 500 ms, doubling up to 10 s.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
/// The longest total wait on 429s for one message before giving up (as a transient failure).
const MAX_RETRY_AFTER_WAIT: Duration = Duration::from_secs(300);

/// The Bot API client, paced or not.
#[derive(Clone)]
pub(crate) enum Api {
    Throttled(Throttle<Bot>),
    Direct(Bot),
}

impl Api {
    /// The unpaced client, for everything but sending messages.
    pub(crate) fn bot(&self) -> &Bot {
        match self {
            Api::Throttled(throttle) => throttle.inner(),
            Api::Direct(bot) => bot,
        }
    }

    async fn send(&self, message: &Outgoing) -> Result<(), RequestError> {
        match self {
            Api::Throttled(throttle) => send_with(throttle, message).await,
            Api::Direct(bot) => send_with(bot, message).await,
        }
    }
}

/// One message to send.
#[derive(Debug, Clone)]
struct Outgoing {
    chat: ChatId,
    text: String,
    html: bool,
    keyboard: Option<InlineKeyboardMarkup>,
    placement: Placement,
}

async fn send_with<R>(requester: &R, message: &Outgoing) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
{
    let mut request = requester
        .send_message(message.chat, message.text.clone())
        .link_preview_options(LinkPreviewOptions {
            is_disabled: true,
            url: None,
            prefer_small_media: false,
            prefer_large_media: false,
            show_above_text: false,
        });
    if message.html {
        request = request.parse_mode(ParseMode::Html);
    }
    if let Some(keyboard) = &message.keyboard {
        request = request.reply_markup(keyboard.clone());
    }
    if let Some(id) = message.placement.reply_to {
        request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
    }
    if let Some(thread) = message.placement.thread {
        request = request.message_thread_id(thread);
    }
    request.send().await.map(drop)
}

/// What to do about a failed request.
enum Failure {
    RetryAfter(Duration),
    /// Certainly not sent: Telegram answered with a server error, or no connection was made.
    Transient,
    /// Perhaps sent: the request went out but its answer was lost or unreadable.
    Unknown,
    Migrated(ChatId),
    BadHtml,
    Unreachable,
    Permanent,
}

fn classify(error: &RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(seconds) => Failure::RetryAfter(seconds.duration()),
        RequestError::MigrateToChatId(id) => Failure::Migrated(*id),
        RequestError::Network(e) if e.is_connect() => Failure::Transient,
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Failure::Unknown
        }
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::GroupDeactivated => Failure::Unreachable,
            ApiError::CantParseEntities(_) => Failure::BadHtml,
            ApiError::Unknown(description) => {
                if description.starts_with("Forbidden") {
                    Failure::Unreachable
                } else if description.contains("can't parse entities") {
                    Failure::BadHtml
                } else if is_server_error(description) {
                    Failure::Transient
                } else {
                    Failure::Permanent
                }
            }
            _ => Failure::Permanent,
        },
    }
}

/// Telegram said `"ok": true` but teloxide could not read the rest of the answer (a field it does not
/// know yet): the message was sent, and sending it again would duplicate it.
fn accepted(error: &RequestError) -> bool {
    match error {
        RequestError::InvalidJson { raw, .. } => serde_json::from_str::<serde_json::Value>(raw)
            .is_ok_and(|answer| answer["ok"] == serde_json::Value::Bool(true)),
        _ => false,
    }
}

/// Descriptions Telegram gives with 5xx answers.
fn is_server_error(description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    [
        "internal server error",
        "bad gateway",
        "gateway",
        "unavailable",
        "timeout",
        "timed out",
    ]
    .iter()
    .any(|s| d.contains(s))
}

/// A short description of an error for logs: never the response body (which can hold message text).
pub(crate) fn describe(error: &RequestError) -> String {
    match error {
        // Telegram's details can quote the message: only the kind of error.
        RequestError::Api(ApiError::CantParseEntities(_)) => {
            "api error: Telegram cannot parse the message's HTML".into()
        }
        RequestError::Api(ApiError::Unknown(description)) => {
            // Telegram's own words about the request, cut short; never user text.
            let short: String = description.chars().take(80).collect();
            format!("api error: {short}")
        }
        RequestError::Api(api) => format!("api error: {api:?}"),
        RequestError::MigrateToChatId(_) => "group migrated to a supergroup".into(),
        RequestError::RetryAfter(s) => format!("rate limited for {}s", s.seconds()),
        RequestError::Network(e) if e.is_timeout() => "network timeout".into(),
        RequestError::Network(e) if e.is_connect() => "cannot connect".into(),
        RequestError::Network(_) => "network error".into(),
        RequestError::InvalidJson { .. } => "unreadable answer from the Bot API".into(),
        RequestError::Io(e) => format!("io error: {}", e.kind()),
    }
}

/// Sends replies to Telegram chats: the adapter's replies, and messages the bot starts (reminders).
/// Cheap to clone; all clones share the same client, pacing and list of unreachable chats.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    api: Api,
    unreachable: Mutex<HashSet<i64>>,
    buttons: Mutex<FollowUpMemory>,
}

impl Outbox {
    pub(crate) fn new(api: Api) -> Self {
        Outbox {
            inner: Arc::new(Inner {
                api,
                unreachable: Mutex::new(HashSet::new()),
                buttons: Mutex::new(FollowUpMemory::default()),
            }),
        }
    }

    pub(crate) fn api(&self) -> &Api {
        &self.inner.api
    }

    /// Sends `reply` to the Telegram chat `chat_id` (a [`bot_core::ChatRef`]'s `id`), for messages the bot
    /// starts. `Err(DeliveryError::Unreachable)` when the person blocked the bot (now or before): the
    /// caller stops writing to the chat.
    pub async fn send(&self, chat_id: &str, reply: &Reply) -> Result<(), DeliveryError> {
        let chat = chat_id
            .trim()
            .parse::<i64>()
            .map_err(|_| DeliveryError::Permanent("not a Telegram chat id".into()))?;
        self.deliver(
            ChatId(chat),
            reply,
            Placement::default(),
            Patience::AtMostOnce,
        )
        .await
        .map(drop)
    }

    /// Whether the chat is known to be unreachable.
    pub fn is_unreachable(&self, chat_id: &str) -> bool {
        chat_id
            .parse::<i64>()
            .is_ok_and(|id| self.unreachable().contains(&id))
    }

    fn unreachable(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.inner
            .unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Marks `chat` unreachable; `true` if it was not already.
    pub(crate) fn mark_unreachable(&self, chat: ChatId) -> bool {
        self.unreachable().insert(chat.0)
    }

    /// The person wrote or let the bot back in: the chat can be written to again.
    pub(crate) fn mark_reachable(&self, chat: ChatId) {
        self.unreachable().remove(&chat.0);
    }

    /// What a pressed button's data asks for.
    pub(crate) fn pressed(&self, data: &str) -> Pressed {
        self.inner
            .buttons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .decode(data)
    }

    /// Sends every message of `reply` in order, the follow-up buttons under the last, each tried again as
    /// `patience` allows. Returns the number of messages sent. Stops at the first message that cannot be
    /// delivered.
    pub(crate) async fn deliver(
        &self,
        chat: ChatId,
        reply: &Reply,
        placement: Placement,
        patience: Patience,
    ) -> Result<usize, DeliveryError> {
        let result = self.deliver_all(chat, reply, placement, patience).await;
        count_delivery(&result);
        result
    }

    async fn deliver_all(
        &self,
        chat: ChatId,
        reply: &Reply,
        placement: Placement,
        patience: Patience,
    ) -> Result<usize, DeliveryError> {
        if self.unreachable().contains(&chat.0) {
            return Err(DeliveryError::Unreachable);
        }
        let messages = render_messages(reply);
        if messages.is_empty() {
            return Ok(0);
        }
        let keyboard = self
            .inner
            .buttons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keyboard(&reply.follow_ups);
        let last = messages.len() - 1;
        let mut chat = chat;
        for (i, text) in messages.into_iter().enumerate() {
            let outgoing = Outgoing {
                chat,
                text,
                html: true,
                keyboard: if i == last { keyboard.clone() } else { None },
                placement: Placement {
                    reply_to: if i == 0 { placement.reply_to } else { None },
                    thread: placement.thread,
                },
            };
            chat = self.send_one(outgoing, patience).await?;
        }
        Ok(last + 1)
    }

    /// Sends one message with retries; returns the chat it went to (a migrated group's new id).
    async fn send_one(
        &self,
        mut message: Outgoing,
        patience: Patience,
    ) -> Result<ChatId, DeliveryError> {
        let original = message.chat;
        let deadline = Instant::now() + patience.budget();
        let mut attempt = 1;
        let mut backoff = BACKOFF;
        let mut next_wait = backoff.next_wait(random_fraction());
        let mut waited = Duration::ZERO;
        loop {
            let started = Instant::now();
            let error = match self.inner.api.send(&message).await {
                Err(error) if accepted(&error) => {
                    tracing::debug!(
                        chat_id = message.chat.0,
                        attempt,
                        "message sent; Telegram's answer was not fully readable"
                    );
                    return Ok(message.chat);
                }
                Ok(()) => {
                    tracing::debug!(
                        chat_id = message.chat.0,
                        attempt,
                        send_ms = started.elapsed().as_millis() as u64,
                        "message sent"
                    );
                    return Ok(message.chat);
                }
                Err(error) => error,
            };
            let what = describe(&error);
            match classify(&error) {
                Failure::Unreachable => {
                    tracing::info!(chat_id = message.chat.0, error = %what, "chat unreachable");
                    self.mark_unreachable(message.chat);
                    if message.chat != original {
                        self.mark_unreachable(original);
                    }
                    return Err(DeliveryError::Unreachable);
                }
                Failure::RetryAfter(wait) if waited + wait <= MAX_RETRY_AFTER_WAIT => {
                    tracing::warn!(
                        chat_id = message.chat.0,
                        wait_s = wait.as_secs(),
                        "rate limited; waiting"
                    );
                    waited += wait;
                    count_retry();
                    tokio::time::sleep(wait).await;
                }
                Failure::RetryAfter(_) => return Err(DeliveryError::Transient(what)),
                Failure::Transient | Failure::Unknown if Instant::now() + next_wait <= deadline => {
                    tracing::warn!(chat_id = message.chat.0, attempt, error = %what, wait_ms = next_wait.as_millis() as u64, "send failed; retrying");
                    attempt += 1;
                    count_retry();
                    tokio::time::sleep(next_wait).await;
                    next_wait = backoff.next_wait(random_fraction());
                }
                Failure::Transient => return Err(DeliveryError::Transient(what)),
                Failure::Unknown => {
                    tracing::warn!(chat_id = message.chat.0, attempt, error = %what, "send failed; the message may have been sent");
                    return Err(DeliveryError::Permanent(format!(
                        "{what}; the message may have been sent"
                    )));
                }
                Failure::Migrated(new) if new != message.chat => {
                    tracing::info!(
                        chat_id = message.chat.0,
                        new_chat_id = new.0,
                        "group moved; sending there"
                    );
                    message.chat = new;
                }
                Failure::BadHtml if message.html => {
                    tracing::error!(
                        chat_id = message.chat.0,
                        error = %what,
                        "Telegram refused the HTML; sending plain text"
                    );
                    message.text = html_to_plain(&message.text);
                    message.html = false;
                }
                Failure::Migrated(_) | Failure::BadHtml | Failure::Permanent => {
                    tracing::error!(chat_id = message.chat.0, error = %what, "message refused");
                    return Err(DeliveryError::Permanent(what));
                }
            }
        }
    }
}

/// Counts a reply's delivery by outcome (`recovery_bot_deliveries_total`); an empty reply is not one.
fn count_delivery(result: &Result<usize, DeliveryError>) {
    let outcome = match result {
        Ok(0) => return,
        Ok(_) => "sent",
        Err(DeliveryError::Transient(_)) => "failed_transient",
        Err(DeliveryError::Permanent(_)) => "failed_permanent",
        Err(DeliveryError::Unreachable) => "unreachable",
    };
    metrics::counter!("recovery_bot_deliveries_total", "platform" => "telegram", "outcome" => outcome)
        .increment(1);
}

/// A random fraction in 0..=1, for the backoff's jitter.
fn random_fraction() -> f64 {
    let mut byte = [0u8; 1];
    getrandom::getrandom(&mut byte).map_or(0.5, |()| f64::from(byte[0]) / 255.0)
}

/// Counts one more try of a message after a failure that passes (a 429's wait, a network or server error).
fn count_retry() {
    metrics::counter!("recovery_bot_deliveries_total", "platform" => "telegram", "outcome" => "retried")
        .increment(1);
}

/// The client for `config`: paced by `Throttle` unless turned off. Spawns the throttle's worker, so it
/// must run inside a Tokio runtime.
pub(crate) fn api(bot: Bot, throttle: bool) -> Api {
    if throttle {
        Api::Throttled(Throttle::new_spawn(bot, Limits::default()))
    } else {
        Api::Direct(bot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc as StdArc;

    #[test]
    fn errors_are_classified() {
        let api = |e: ApiError| classify(&RequestError::Api(e));
        assert!(matches!(api(ApiError::BotBlocked), Failure::Unreachable));
        assert!(matches!(
            api(ApiError::Unknown(
                "Forbidden: bot is not a member of the group chat".into()
            )),
            Failure::Unreachable
        ));
        assert!(matches!(
            api(ApiError::CantParseEntities(
                "Bad Request: can't parse entities: Unsupported start tag".into()
            )),
            Failure::BadHtml
        ));
        assert!(matches!(
            api(ApiError::Unknown("Bad Gateway".into())),
            Failure::Transient
        ));
        let unreadable = RequestError::InvalidJson {
            source: StdArc::new(serde_json::from_str::<u8>("x").unwrap_err()),
            raw: "<html>502</html>".into(),
        };
        assert!(
            matches!(classify(&unreadable), Failure::Unknown),
            "perhaps sent"
        );
        assert!(matches!(api(ApiError::ChatNotFound), Failure::Permanent));
        assert!(matches!(
            classify(&RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3))),
            Failure::RetryAfter(d) if d == Duration::from_secs(3)
        ));
    }

    #[test]
    fn an_ok_answer_teloxide_cannot_read_is_a_success() {
        let invalid = |raw: &str| RequestError::InvalidJson {
            source: StdArc::new(serde_json::from_str::<u8>("x").unwrap_err()),
            raw: raw.into(),
        };
        assert!(accepted(&invalid(r#"{"ok":true,"result":true}"#)));
        assert!(!accepted(&invalid("<html>502 Bad Gateway</html>")));
        assert!(!accepted(&invalid(r#"{"ok":false}"#)));
        assert!(!accepted(&RequestError::Api(ApiError::BotBlocked)));
    }

    #[test]
    fn descriptions_never_carry_response_bodies() {
        let body = "{\"ok\":true,\"result\":[{\"message\":{\"text\":\"my secret words\"}}]}";
        let error = RequestError::InvalidJson {
            source: StdArc::new(serde_json::from_str::<u8>("x").unwrap_err()),
            raw: body.into(),
        };
        assert!(!describe(&error).contains("secret"));
    }
}
