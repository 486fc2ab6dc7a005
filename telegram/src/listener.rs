//! Where updates come from: long polling (teloxide's), or a webhook server of our own.
//!
//! Both skip updates that cannot be read before teloxide's dispatcher sees them: the dispatcher would log
//! such an update whole (with the person's words in it); here only its id is logged.
//!
//! The webhook server is a small axum app rather than teloxide's `webhooks-axum`: it checks Telegram's
//! secret header in constant time, never logs a body, and answers 503 once shutdown has begun so that
//! Telegram delivers the update again after the restart.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt as _, future};
use std::convert::Infallible;
use std::sync::Arc;
use teloxide::Bot;
use teloxide::payloads::SetWebhookSetters as _;
use teloxide::prelude::Requester as _;
use teloxide::requests::Request as _;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, Polling, UpdateListener};
use tokio::sync::mpsc;

use crate::config::Webhook;

/// The update kinds the adapter asks for.
pub(crate) const ALLOWED_UPDATES: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MyChatMember,
];

/// Logs and drops an update teloxide could not read; keeps all others.
fn readable(update: &Update) -> bool {
    if matches!(update.kind, UpdateKind::Error(_)) {
        tracing::warn!(
            update_id = update.id.0,
            "skipped an update that could not be read"
        );
        false
    } else {
        true
    }
}

/// Long polling, without unreadable updates; each update received tells `Status` Telegram is reachable.
pub(crate) struct Polled(pub Polling<Bot>, pub crate::Status);

impl UpdateListener for Polled {
    type Err = teloxide::RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.0.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.0.hint_allowed_updates(hint);
    }
}

impl<'a> AsUpdateStream<'a> for Polled {
    type StreamErr = teloxide::RequestError;
    type Stream = BoxStream<'a, Result<Update, teloxide::RequestError>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let status = self.1.clone();
        self.0
            .as_stream()
            .inspect(move |item| {
                if item.is_ok() {
                    status.update_received();
                }
            })
            .filter(|item| future::ready(item.as_ref().map_or(true, readable)))
            .boxed()
    }
}

/// Updates posted to the webhook server.
pub(crate) struct Posted {
    updates: mpsc::UnboundedReceiver<Update>,
    stop: StopToken,
}

impl Drop for Posted {
    /// The server stops with its listener, even if dispatching never started.
    fn drop(&mut self) {
        self.stop.stop();
    }
}

impl UpdateListener for Posted {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.stop.clone()
    }
}

impl<'a> AsUpdateStream<'a> for Posted {
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        futures_util::stream::poll_fn(move |cx| self.updates.poll_recv(cx).map(|u| u.map(Ok)))
            .boxed()
    }
}

#[derive(Clone)]
struct WebhookState {
    updates: mpsc::UnboundedSender<Update>,
    secret: Arc<str>,
    stopped: StopFlag,
}

/// Compares two byte strings in time that depends only on their lengths.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, state.secret.as_bytes()) {
        tracing::warn!("webhook request without the right secret token");
        return StatusCode::UNAUTHORIZED;
    }
    if state.stopped.is_stopped() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match serde_json::from_slice::<Update>(&body) {
        Ok(update) if readable(&update) => {
            if state.updates.send(update).is_err() {
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        }
        Ok(_) => {}
        Err(_) => tracing::warn!(
            bytes = body.len(),
            "skipped a webhook body that is not an update"
        ),
    }
    StatusCode::OK
}

/// 32 random characters for Telegram's `secret_token` (A-Z, a-z, 0-9, `_`, `-`).
fn random_secret() -> anyhow::Result<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the webhook secret: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect())
}

/// Binds the webhook server, registers the webhook with Telegram, and serves until the listener is
/// stopped. Updates queued before the stop are still handed to the dispatcher.
pub(crate) async fn webhook(bot: &Bot, webhook: &Webhook) -> anyhow::Result<Posted> {
    let listener = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", webhook.listen))?;
    let secret = random_secret()?;
    bot.set_webhook(webhook.url.clone())
        .secret_token(secret.clone())
        .allowed_updates(ALLOWED_UPDATES.to_vec())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("setWebhook failed: {}", crate::outbox::describe(&e)))?;

    let (stop, stopped) = mk_stop_token();
    let (tx, rx) = mpsc::unbounded_channel();
    let path = match webhook.url.path() {
        "" => "/",
        path => path,
    };
    let app = Router::new()
        .route(path, post(receive))
        .with_state(WebhookState {
            updates: tx,
            secret: secret.into(),
            stopped: stopped.clone(),
        });
    let address = listener.local_addr().ok();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "webhook server failed");
        }
    });
    tracing::info!(listen = ?address, "webhook server listening");
    Ok(Posted { updates: rx, stop })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn secrets_are_random_and_allowed_by_telegram() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
    }
}
