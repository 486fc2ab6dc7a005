//! The crate's error type, and what Discord's errors mean for us. Only status codes and Discord's numeric
//! codes are ever logged: error texts can hold URLs with interaction tokens.

use bot_core::DeliveryError;
use poise::serenity_prelude as serenity;

use crate::settings::SettingsError;

/// Something the adapter could not do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Discord request failed ({})", describe(.0))]
    Discord(#[from] serenity::Error),
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// Discord's JSON error codes the adapter acts on.
pub mod code {
    /// Unknown channel (deleted).
    pub const UNKNOWN_CHANNEL: isize = 10003;
    /// Missing access (the bot cannot see the channel).
    pub const MISSING_ACCESS: isize = 50001;
    /// Cannot send messages to this user (DMs closed, blocked, no shared server).
    pub const CANNOT_DM: isize = 50007;
    /// Missing permissions.
    pub const MISSING_PERMISSIONS: isize = 50013;
}

/// The HTTP status and Discord's JSON error code of a failed request, if it was one.
pub fn http_failure(error: &serenity::Error) -> Option<(u16, isize)> {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            Some((response.status_code.as_u16(), response.error.code))
        }
        _ => None,
    }
}

/// Discord's JSON error code, if the request reached Discord and failed.
pub fn discord_code(error: &serenity::Error) -> Option<isize> {
    http_failure(error).map(|(_, code)| code)
}

/// The bot may not see or write in a channel.
pub fn is_missing_permission(error: &serenity::Error) -> bool {
    matches!(
        discord_code(error),
        Some(code::MISSING_ACCESS | code::MISSING_PERMISSIONS | code::UNKNOWN_CHANNEL)
    )
}

/// A short description safe for logs: status and code, never a URL or a body.
pub fn describe(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => format!(
            "status {}, code {}",
            response.status_code.as_u16(),
            response.error.code
        ),
        serenity::Error::Http(serenity::HttpError::Request(e)) => {
            if e.is_timeout() {
                "timeout".into()
            } else if e.is_connect() {
                "connection failed".into()
            } else {
                "request error".into()
            }
        }
        serenity::Error::Http(_) => "http error".into(),
        serenity::Error::Json(_) => "unexpected response".into(),
        serenity::Error::Model(e) => format!("refused before sending: {e}"),
        serenity::Error::Gateway(e) => format!("gateway: {e}"),
        _ => "other error".into(),
    }
}

/// The request went out but its answer was lost (a dropped connection, a timeout): Discord may have acted on
/// it. Sending it again is safe only under the same nonce.
pub fn may_have_been_sent(error: &serenity::Error) -> bool {
    matches!(error, serenity::Error::Http(serenity::HttpError::Request(e)) if !e.is_connect())
}

/// What a failed message the bot started (a reminder) means for its sender. `Transient` only when Discord
/// certainly did not post it (429, 5xx, no connection); a message that may have been posted is `Permanent`,
/// so that it is never sent twice.
pub fn delivery_error(error: &serenity::Error) -> DeliveryError {
    match http_failure(error) {
        Some((_, code::CANNOT_DM)) => DeliveryError::Unreachable,
        Some((429 | 500..=599, _)) => DeliveryError::Transient(describe(error)),
        Some(_) => DeliveryError::Permanent(describe(error)),
        None if may_have_been_sent(error) => {
            DeliveryError::Permanent(format!("{}; it may have been sent", describe(error)))
        }
        None => match error {
            serenity::Error::Http(serenity::HttpError::Request(_)) => {
                DeliveryError::Transient(describe(error))
            }
            _ => DeliveryError::Permanent(describe(error)),
        },
    }
}
