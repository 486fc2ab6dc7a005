//! Messages the bot starts (reminders): a reply sent to a person's direct messages.

use std::sync::Arc;

use bot_core::{DeliveryError, Reply};
use poise::serenity_prelude as serenity;

use crate::config::{DiscordConfig, SharedHttp};
use crate::{error, render, send};
use bot_core::Patience;

/// Sends replies to people's direct messages by user id. Cheap to clone; works before, during and after
/// [`crate::run`] (it has its own HTTP client with the same token and proxy).
#[derive(Clone)]
pub struct Outbox {
    http: SharedHttp,
}

impl Outbox {
    /// An outbox for the bot configured by `config`.
    pub fn new(config: &DiscordConfig) -> Self {
        Outbox {
            http: Arc::new(config.http()),
        }
    }

    /// Sends `reply` to the direct messages of the user `user_id` (the `id` of the person's `ChatRef`).
    ///
    /// Errors: [`DeliveryError::Unreachable`] when Discord says the user cannot be messaged (50007: direct
    /// messages closed, the bot blocked, or no server in common): stop writing to them.
    /// [`DeliveryError::Transient`] for rate limits, server errors and network failures;
    /// [`DeliveryError::Permanent`] otherwise (including an id that is not a Discord user id).
    pub async fn send(&self, user_id: &str, reply: &Reply) -> Result<(), DeliveryError> {
        let user = user_id
            .parse::<u64>()
            .ok()
            .filter(|&id| id != 0)
            .map(serenity::UserId::new)
            .ok_or_else(|| DeliveryError::Permanent("not a Discord user id".into()))?;
        let messages = render::render(reply);
        match send::to_user(&self.http, user, &messages, Patience::AtMostOnce).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let outcome = error::delivery_error(&e);
                tracing::info!(user = user.get(), error = %error::describe(&e), "direct message not delivered");
                Err(outcome)
            }
        }
    }
}
