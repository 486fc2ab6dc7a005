//! The Telegram adapter: translates between the Telegram Bot API (through teloxide) and bot-core.
//!
//! Everything the bot says comes from the [`bot_core::Responder`] the binary passes in; this crate only
//! reads updates, decides which messages are for the bot, renders replies as Telegram HTML and sends
//! them within Telegram's limits.
//!
//! # Use
//!
//! The binary builds a [`TelegramConfig`] from its configuration (environment first), creates the
//! adapter inside its Tokio runtime, keeps the [`Outbox`] for reminders, and runs the adapter until
//! SIGINT/SIGTERM:
//!
//! ```no_run
//! # async fn example(
//! #     responder: std::sync::Arc<dyn bot_core::Responder>,
//! #     menu: bot_core::Menu,
//! #     token: String,
//! #     api_url: Option<String>,
//! #     webhook_url: Option<String>,
//! #     listen: Option<String>,
//! # ) -> anyhow::Result<()> {
//! let mut config = telegram::TelegramConfig::new(token); // TELOXIDE_TOKEN or [telegram] token
//! if let Some(url) = api_url.as_deref() {
//!     config.api_url = Some(telegram::parse_api_url(url)?); // TELOXIDE_API_URL or [telegram] api_url
//! }
//! if let Some(url) = webhook_url.as_deref() {
//!     config.webhook = Some(telegram::Webhook::parse(url, listen.as_deref())?);
//! }
//! let telegram = telegram::Telegram::new(config)?; // inside the Tokio runtime
//! let outbox = telegram.outbox(); // reminders: outbox.send(&chat.id, &reply).await
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let task = tokio::spawn(telegram.run(responder, menu, async {
//!     let _ = stopped.await;
//! }));
//! // ... on SIGINT/SIGTERM:
//! let _ = stop.send(());
//! task.await??; // returns once in-flight replies are done (at most 20 s)
//! # drop(outbox);
//! # Ok(())
//! # }
//! ```
//!
//! [`TelegramConfig::from_env`] reads `TELOXIDE_TOKEN` and `TELOXIDE_API_URL` alone, and [`run`] does
//! `Telegram::new(config)?.run(..)` in one call when no outbox is needed.
//!
//! # Behaviour
//!
//! - Long polling by default; a webhook server when [`TelegramConfig::webhook`] is set.
//! - Direct messages: everything goes to the core. Groups: commands, mentions of the bot and replies to
//!   its messages only ([`incoming`]).
//! - At start-up the menu's commands are registered with `setMyCommands`.
//! - Replies: HTML, split under 4096 characters between blocks, follow-ups as inline buttons
//!   ([`render`], [`buttons`]).
//! - Limits and failures: teloxide's `Throttle`, 429 `retry_after` honoured, network and server errors
//!   retried, 403 marks the chat unreachable and tells the responder ([`Outbox`]).
//! - Logs carry update ids, chat ids, intents and timings, never message text or the token.

pub mod buttons;
pub mod config;
mod handler;
pub mod incoming;
mod listener;
mod outbox;
pub mod render;
mod status;

pub use config::{ConfigError, TelegramConfig, Webhook, parse_api_url};
pub use outbox::Outbox;
pub use status::Status;
pub use url::Url;

use bot_core::language::Language;
use bot_core::{Menu, Responder};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::dispatching::{Dispatcher, UpdateFilterExt as _};
use teloxide::dptree;
use teloxide::payloads::SetMyCommandsSetters as _;
use teloxide::prelude::Requester as _;
use teloxide::requests::Request as _;
use teloxide::types::{BotCommand, Me, Update};
use teloxide::update_listeners::Polling;
use teloxide::{Bot, RequestError};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use handler::Handler;
use incoming::Identity;

/// How long in-flight replies may take to finish after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Long-polling timeout for getUpdates.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// Tries for getMe at start-up when the network fails.
const STARTUP_ATTEMPTS: u32 = 5;

/// The adapter, configured but not yet running.
pub struct Telegram {
    config: TelegramConfig,
    bot: Bot,
    outbox: Outbox,
    status: Status,
}

impl Telegram {
    /// Prepares the client. Must be called inside a Tokio runtime (the rate limiter runs as a task).
    pub fn new(config: TelegramConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::NoRuntime);
        }
        let mut bot = Bot::new(secrecy::ExposeSecret::expose_secret(&config.token));
        if let Some(url) = &config.api_url {
            bot = bot.set_api_url(url.clone());
        }
        let outbox = Outbox::new(outbox::api(bot.clone(), config.throttle));
        Ok(Telegram {
            config,
            bot,
            outbox,
            status: Status::default(),
        })
    }

    /// Sends messages the bot starts (reminders). Works before, during and after [`Telegram::run`].
    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// Whether the adapter runs and reaches Telegram (for a health check). Works before, during and after
    /// [`Telegram::run`].
    pub fn status(&self) -> Status {
        self.status.clone()
    }

    /// Runs the bot until `shutdown` resolves, then stops taking updates, lets in-flight replies finish
    /// (up to 20 seconds) and returns. Fails if Telegram refuses the token or cannot be reached at
    /// start-up, or the webhook cannot be set up.
    pub async fn run(
        self,
        responder: Arc<dyn Responder>,
        menu: Menu,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let signal = tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let result = self.serve(responder, menu, stop_rx).await;
        signal.abort();
        result
    }

    async fn serve(
        self,
        responder: Arc<dyn Responder>,
        menu: Menu,
        stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let _stops = status::StopsRunning(self.status.clone());
        let setup = async {
            let me = get_me(&self.bot).await?;
            register_commands(&self.bot, &menu).await;
            let listener = match &self.config.webhook {
                Some(webhook) => Listener::Webhook(listener::webhook(&self.bot, webhook).await?),
                None => Listener::Polling(listener::Polled(
                    Polling::builder(self.bot.clone())
                        .timeout(POLL_TIMEOUT)
                        .allowed_updates(listener::ALLOWED_UPDATES.to_vec())
                        .delete_webhook()
                        .await
                        .build(),
                    self.status.clone(),
                )),
            };
            anyhow::Ok((me, listener))
        };
        let (me, listener) = tokio::select! {
            ready = setup => ready?,
            () = stopped(stop.clone()) => {
                tracing::info!("Telegram adapter stopped before it started");
                return Ok(());
            }
        };
        tracing::info!(
            bot_id = me.user.id.0,
            mode = listener.mode(),
            startup_ms = started.elapsed().as_millis() as u64,
            "Telegram adapter started"
        );
        self.status.set_running(true);

        let handler = Arc::new(Handler {
            responder,
            outbox: self.outbox.clone(),
            me: Identity {
                id: me.user.id,
                username: me.username().to_owned(),
            },
            notices: menu.notices,
            answering: TaskTracker::new(),
        });
        let answering = handler.answering.clone();
        let schema = dptree::entry()
            .branch(Update::filter_message().endpoint(endpoint))
            .branch(Update::filter_callback_query().endpoint(endpoint))
            .branch(Update::filter_my_chat_member().endpoint(endpoint));
        let mut dispatcher = Dispatcher::builder(self.bot.clone(), schema)
            .dependencies(dptree::deps![handler])
            .default_handler(|update: Arc<Update>| async move {
                tracing::debug!(
                    update_id = update.id.0,
                    "update of a kind the bot does not handle"
                );
            })
            .build();

        let token = dispatcher.shutdown_token();
        let mut stop_for_token = stop.clone();
        let stopper = tokio::spawn(async move {
            let _ = stop_for_token.wait_for(|s| *s).await;
            tracing::info!("Telegram adapter stopping");
            loop {
                match token.shutdown() {
                    Ok(done) => break done.await,
                    // Not dispatching yet: try again in a moment.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });

        let polling = self.status.clone();
        let listener_errors = Arc::new(move |error: RequestError| {
            polling.poll_failed();
            async move {
                tracing::warn!(error = %outbox::describe(&error), "getting updates failed");
            }
        });
        let dispatch = async {
            match listener {
                Listener::Polling(l) => {
                    dispatcher
                        .try_dispatch_with_listener(l, listener_errors)
                        .await
                }
                Listener::Webhook(l) => {
                    let no_errors =
                        Arc::new(|e: std::convert::Infallible| async move { match e {} });
                    dispatcher.try_dispatch_with_listener(l, no_errors).await
                }
            }
        };
        let grace = async {
            stopped(stop.clone()).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        let result = tokio::select! {
            result = dispatch => result.map_err(|e| anyhow::anyhow!("Telegram: {}", outbox::describe(&e))),
            () = grace => {
                let lost = answering.len();
                tracing::warn!(lost, "replies still being delivered at shutdown were dropped");
                metrics::counter!("recovery_bot_deliveries_total", "platform" => "telegram", "outcome" => "lost_at_shutdown")
                    .increment(lost as u64);
                Ok(())
            }
        };
        stopper.abort();
        tracing::info!("Telegram adapter stopped");
        result
    }
}

/// Runs the Telegram adapter with `config` until `shutdown` resolves: [`Telegram::new`] then
/// [`Telegram::run`]. Use [`Telegram`] directly to get an [`Outbox`] for reminders.
pub async fn run(
    config: TelegramConfig,
    responder: Arc<dyn Responder>,
    menu: Menu,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Telegram::new(config)?.run(responder, menu, shutdown).await
}

enum Listener {
    Polling(listener::Polled),
    Webhook(listener::Posted),
}

impl Listener {
    fn mode(&self) -> &'static str {
        match self {
            Listener::Polling(_) => "long polling",
            Listener::Webhook(_) => "webhook",
        }
    }
}

async fn endpoint(update: Update, handler: Arc<Handler>) -> Result<(), std::convert::Infallible> {
    handler.handle(update).await;
    Ok(())
}

/// Resolves once shutdown has been asked for.
async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        // The sender is gone without asking: never resolve.
        std::future::pending::<()>().await;
    }
}

/// getMe, retried while the network fails; an invalid token fails at once.
async fn get_me(bot: &Bot) -> anyhow::Result<Me> {
    let mut attempt = 1;
    loop {
        match bot.get_me().send().await {
            Ok(me) => return Ok(me),
            Err(e @ (RequestError::Network(_) | RequestError::Io(_)))
                if attempt < STARTUP_ATTEMPTS =>
            {
                let wait = Duration::from_secs(1 << attempt);
                tracing::warn!(attempt, error = %outbox::describe(&e), "getMe failed; retrying");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => anyhow::bail!("Telegram getMe failed: {}", outbox::describe(&e)),
        }
    }
}

/// Registers the menu's commands: the default list, then one for each other language the content describes
/// them in, for people whose app is in that language (a failure is logged: the bot works without the menu).
async fn register_commands(bot: &Bot, menu: &Menu) {
    let mut languages: Vec<Language> = menu
        .commands
        .iter()
        .flat_map(|c| c.descriptions.iter().map(|(language, _)| *language))
        .collect();
    languages.sort_unstable();
    languages.dedup();
    for language in std::iter::once(None).chain(languages.into_iter().map(Some)) {
        let commands: Vec<BotCommand> = menu
            .commands
            .iter()
            .filter(|c| valid_command_name(&c.name))
            .map(|c| {
                let description = language.map_or(c.description.as_str(), |l| c.description_in(l));
                BotCommand::new(
                    c.name.clone(),
                    description.chars().take(256).collect::<String>(),
                )
            })
            .collect();
        let count = commands.len();
        let mut request = bot.set_my_commands(commands);
        if let Some(language) = language {
            request = request.language_code(language.code());
        }
        match request.send().await {
            Ok(_) => tracing::info!(
                commands = count,
                language = language.map_or("default", Language::code),
                "commands registered"
            ),
            Err(e) => tracing::warn!(error = %outbox::describe(&e), "setMyCommands failed"),
        }
    }
}

/// Telegram's rule for command names: 1-32 of `a-z`, `0-9`, `_`.
fn valid_command_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_follow_telegram_rules() {
        assert!(valid_command_name("meeting"));
        assert!(valid_command_name("set_reminder2"));
        assert!(!valid_command_name("Meeting"));
        assert!(!valid_command_name(""));
        assert!(!valid_command_name(&"a".repeat(33)));
    }

    #[test]
    fn the_embedded_menu_is_valid_for_telegram() {
        let menu = bot_core::Core::embedded().unwrap().menu();
        for name in [
            "start",
            "help",
            "crisis",
            "overdose",
            "meeting",
            "principle",
            "remind",
            "forget",
        ] {
            let command = menu
                .commands
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("/{name} missing"));
            assert!(valid_command_name(&command.name));
            assert!(!command.description.is_empty() && command.description.chars().count() <= 256);
        }
    }

    #[tokio::test]
    async fn new_needs_a_valid_token() {
        assert!(matches!(
            Telegram::new(TelegramConfig::new("")),
            Err(ConfigError::Token)
        ));
        assert!(Telegram::new(TelegramConfig::new("1:abc")).is_ok());
    }

    #[test]
    fn new_outside_a_runtime_is_an_error() {
        assert!(matches!(
            Telegram::new(TelegramConfig::new("1:abc")),
            Err(ConfigError::NoRuntime)
        ));
    }
}
