//! Sending rendered messages: as a reply to a message, into a channel, or as an interaction's answer.
//!
//! A send that fails for a reason that passes (Discord's 5xx or 429, a timeout, a dropped connection) is
//! tried again with backoff and jitter, for as long as the reply's [`Patience`] allows. Channel messages
//! carry a nonce that Discord enforces, so a message that went through before its answer was lost is not
//! posted twice (an interaction's follow-up has no nonce: after a lost answer it can, rarely, show twice).
//!
//! 429s: straight to Discord, serenity's rate limiter waits out `retry-after` inside the request and tries
//! again, so the adapter never sees them. Through a proxy (`DISCORD_PROXY_URL`) serenity's limiter is off
//! and the 429 comes back; serenity keeps neither its headers nor (its body has no `code`) its
//! `retry_after`, so the adapter backs off on its own schedule until Discord takes the message.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bot_core::{Backoff, DeliveryError, Patience};
use poise::serenity_prelude as serenity;

use crate::error::{delivery_error, describe, may_have_been_sent};
use crate::render::Outgoing;

/// The waits between tries: 250 ms, doubling up to 10 s.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(10));

/// Runs `attempt` until it succeeds, fails for good, or `patience` runs out.
pub(crate) async fn retrying<T, Attempt>(
    patience: Patience,
    mut attempt: impl FnMut() -> Attempt,
) -> Result<T, serenity::Error>
where
    Attempt: Future<Output = Result<T, serenity::Error>>,
{
    let deadline = tokio::time::Instant::now() + patience.budget();
    let mut backoff = BACKOFF;
    loop {
        let result = attempt().await;
        let Err(error) = &result else { return result };
        let pause = backoff.next_wait(random_fraction());
        let passes = matches!(delivery_error(error), DeliveryError::Transient(_))
            || may_have_been_sent(error);
        if !passes || tokio::time::Instant::now() + pause > deadline {
            return result;
        }
        tracing::warn!(error = %describe(error), wait_ms = pause.as_millis() as u64, "Discord send failed; trying again");
        metrics::counter!("recovery_bot_deliveries_total", "platform" => "discord", "outcome" => "retried")
            .increment(1);
        tokio::time::sleep(pause).await;
    }
}

/// Counts a reply's delivery by outcome (`recovery_bot_deliveries_total`): `sent`, `failed_transient`,
/// `failed_permanent` or `unreachable`.
pub(crate) fn count<T>(result: &Result<T, serenity::Error>) {
    let outcome = match result {
        Ok(_) => "sent",
        Err(error) => match delivery_error(error) {
            DeliveryError::Transient(_) => "failed_transient",
            DeliveryError::Permanent(_) => "failed_permanent",
            DeliveryError::Unreachable => "unreachable",
        },
    };
    metrics::counter!("recovery_bot_deliveries_total", "platform" => "discord", "outcome" => outcome)
        .increment(1);
}

/// Records how long a delivered reply took, from the event to the last message sent.
pub(crate) fn record_latency(started: std::time::Instant) {
    metrics::histogram!("recovery_bot_reply_seconds", "platform" => "discord")
        .record(started.elapsed().as_secs_f64());
}

/// A random fraction in 0..=1, for the backoff's jitter.
fn random_fraction() -> f64 {
    let mut byte = [0u8; 1];
    getrandom::getrandom(&mut byte).map_or(0.5, |()| f64::from(byte[0]) / 255.0)
}

/// A nonce no other message of this process has: Discord refuses a second message with it.
fn nonce() -> serenity::Nonce {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let count = NEXT.fetch_add(1, Ordering::Relaxed);
    serenity::Nonce::String(format!("{started:x}{count:x}"))
}

/// `message` as a channel message that Discord posts once whatever the retries.
fn once_only(message: &Outgoing) -> serenity::CreateMessage {
    message.create_message().nonce(nonce()).enforce_nonce(true)
}

/// Sends `messages` in the channel of `to`, the first as a reply to it (never failing because the message
/// was deleted meanwhile, never pinging its author).
pub async fn reply_to(
    http: &serenity::Http,
    to: &serenity::Message,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    let result = reply_all(http, to, messages, patience).await;
    count(&result);
    result
}

async fn reply_all(
    http: &serenity::Http,
    to: &serenity::Message,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    for (i, message) in messages.iter().enumerate() {
        let mut builder = once_only(message);
        if i == 0 {
            let reference = serenity::MessageReference::from(to).fail_if_not_exists(false);
            builder = builder.reference_message(reference);
        }
        retrying(patience, || {
            to.channel_id.send_message(http, builder.clone())
        })
        .await?;
    }
    Ok(())
}

/// Sends `messages` into `channel`, in order.
pub async fn to_channel(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    let result = post(http, channel, messages, patience).await;
    count(&result);
    result
}

async fn post(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    for message in messages {
        let builder = once_only(message);
        retrying(patience, || channel.send_message(http, builder.clone())).await?;
    }
    Ok(())
}

/// Sends `messages` to a user's direct messages.
pub async fn to_user(
    http: &serenity::Http,
    user: serenity::UserId,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    let result = match retrying(patience, || user.create_dm_channel(http)).await {
        Ok(channel) => post(http, channel.id, messages, patience).await,
        Err(error) => Err(error),
    };
    count(&result);
    result
}

/// Answers a button press with `messages`: the first as the interaction's response, the rest as
/// follow-ups.
pub async fn answer_component(
    http: &serenity::Http,
    interaction: &serenity::ComponentInteraction,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    let result = answer_all(http, interaction, messages, patience).await;
    count(&result);
    result
}

async fn answer_all(
    http: &serenity::Http,
    interaction: &serenity::ComponentInteraction,
    messages: &[Outgoing],
    patience: Patience,
) -> Result<(), serenity::Error> {
    for (i, message) in messages.iter().enumerate() {
        if i == 0 {
            let response =
                serenity::CreateInteractionResponse::Message(message.interaction_message());
            retrying(patience, || {
                interaction.create_response(http, response.clone())
            })
            .await?;
        } else {
            let followup = message.followup(false);
            retrying(patience, || {
                interaction.create_followup(http, followup.clone())
            })
            .await?;
        }
    }
    Ok(())
}
