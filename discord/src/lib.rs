//! The Discord adapter of recovery-bot: translates between Discord (through poise 0.6 over serenity 0.12)
//! and [`bot_core`]. It answers slash commands, direct messages and mentions, and, in servers that opt in,
//! watches chosen channels for crisis messages and alerts the moderators.
//!
//! Who a conversation belongs to: on Discord every message, command and button press is keyed by the
//! **person** ([`ChatRef`] `{ Discord, id: user id, kind: Direct }`), in direct messages and in servers alike,
//! because whatever the bot later starts (a reminder) goes to that person's direct messages. Crisis watch
//! never uses the person's chat: it only calls [`bot_core::Responder::classify`] on what they wrote, and asks
//! for the crisis reply with `/crisis` in the channel's chat (`{ Discord, id: channel id, kind: Group }`).
//!
//! How the binary wires it (about this much):
//!
//! ```no_run
//! # async fn wire(
//! #     responder: std::sync::Arc<dyn bot_core::Responder>,
//! #     menu: bot_core::Menu,
//! #     db: sled::Db,
//! #     shutdown: tokio::sync::watch::Receiver<bool>,
//! # ) -> anyhow::Result<()> {
//! if let Some(config) = discord::DiscordConfig::from_env()? {
//!     // The reminder scheduler sends with this (a direct message to a user id); clone it freely.
//!     let outbox = discord::Outbox::new(&config);
//!     # let _ = outbox;
//!     let mut stop = shutdown.clone();
//!     let settings = db.open_tree("discord-guilds")?;
//!     tokio::spawn(discord::run(config, responder, menu, settings, async move {
//!         let _ = stop.wait_for(|stopping| *stopping).await;
//!     }));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Logging: serenity prints whole gateway events (message text included) in some warnings and request
//! bodies at debug level. Add [`LOG_DIRECTIVES`] to the tracing filter.

mod commands;
mod config;
mod error;
mod events;
pub mod markdown;
mod outbox;
pub mod render;
mod send;
mod settings;
mod status;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::task::TaskTracker;

use bot_core::{ChatKind, ChatRef, Menu, Platform, Responder};
use poise::serenity_prelude as serenity;
use tokio::sync::watch as signal;

pub use config::{ConfigError, DiscordConfig, ShardRange};
pub use error::Error;
pub use outbox::Outbox;
pub use settings::{SettingsError, SettingsStore, WatchSettings};
pub use status::Status;

/// Tracing filter directives that keep message text out of the logs: serenity logs the raw event on some
/// warnings (`serenity::gateway::ws`) and request bodies at debug level. Append to the binary's filter:
/// `EnvFilter::new(format!("{default},{}", discord::LOG_DIRECTIVES))`.
pub const LOG_DIRECTIVES: &str = "serenity=warn,serenity::gateway::ws=error,poise=warn";

/// How long a clean shutdown waits for the shards to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long a clean shutdown waits for replies still being delivered (an urgent one may be retrying).
const REPLY_GRACE: Duration = Duration::from_secs(20);

/// What every handler shares.
pub(crate) struct Shared {
    pub responder: Arc<dyn Responder>,
    pub menu: Menu,
    pub settings: SettingsStore,
    pub cooldowns: watch::Cooldowns,
    /// Whether the gateway sends message content (the privileged intent is enabled for the application).
    pub message_content: AtomicBool,
    /// Events and commands being answered: at shutdown, they get [`REPLY_GRACE`] to finish.
    pub answering: TaskTracker,
}

impl Shared {
    pub(crate) fn reads_messages(&self) -> bool {
        self.message_content.load(Ordering::Relaxed)
    }
}

/// poise's user data.
pub(crate) type Data = Arc<Shared>;
/// poise's context.
pub(crate) type Ctx<'a> = poise::Context<'a, Data, Error>;

/// The chat of a person: where their conversation lives and where reminders go (their direct messages).
pub(crate) fn person(user: serenity::UserId) -> ChatRef {
    ChatRef::new(Platform::Discord, user.get().to_string(), ChatKind::Direct)
}

/// Runs the bot until `shutdown` resolves (then closes the shards and flushes `settings`).
///
/// - `responder` answers every message; `menu` names and describes the slash commands (from
///   `Bot::menu()`); `settings` is the sled tree for per-server crisis-watch settings
///   (`db.open_tree("discord-guilds")`).
/// - Registers the slash commands globally (or in `config.dev_guild`), from the process running shard 0.
/// - Asks for the Message Content intent; when the application is not allowed it (gateway close 4014), it
///   reconnects without it: slash commands, direct messages and mentions still work, crisis watch cannot
///   read messages.
///
/// Errors: the token is refused, or the gateway fails for good.
pub async fn run(
    config: DiscordConfig,
    responder: Arc<dyn Responder>,
    menu: Menu,
    settings: sled::Tree,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_status(
        config,
        responder,
        menu,
        settings,
        Status::default(),
        shutdown,
    )
    .await
}

/// [`run`], telling `status` whether the adapter runs and its shards are connected (for a health check).
pub async fn run_with_status(
    config: DiscordConfig,
    responder: Arc<dyn Responder>,
    menu: Menu,
    settings: sled::Tree,
    status: Status,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    status.set_running(true);
    let result = serve(config, responder, menu, settings, &status, shutdown).await;
    status.set_running(false);
    result
}

async fn serve(
    config: DiscordConfig,
    responder: Arc<dyn Responder>,
    menu: Menu,
    settings: sled::Tree,
    status: &Status,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = signal::channel(false);
    let relay = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let shared = Arc::new(Shared {
        responder,
        menu,
        settings: SettingsStore::new(settings),
        cooldowns: watch::Cooldowns::default(),
        message_content: AtomicBool::new(true),
        answering: TaskTracker::new(),
    });
    let mut intents = serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT;
    let outcome = loop {
        shared.message_content.store(
            intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT),
            Ordering::Relaxed,
        );
        let watcher = status::Watcher(status.clone());
        match run_client(
            &config,
            Arc::clone(&shared),
            intents,
            watcher,
            stop_rx.clone(),
        )
        .await
        {
            Err(serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents))
                if intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT) =>
            {
                tracing::warn!(
                    "the Message Content intent is not enabled for this application: reconnecting \
                     without it (slash commands, direct messages and mentions work; crisis watch cannot \
                     read messages)"
                );
                intents.remove(serenity::GatewayIntents::MESSAGE_CONTENT);
            }
            other => break other,
        }
    };
    relay.abort();
    shared.answering.close();
    if tokio::time::timeout(REPLY_GRACE, shared.answering.wait())
        .await
        .is_err()
    {
        let lost = shared.answering.len();
        tracing::warn!(
            lost,
            "replies still being delivered at shutdown were dropped"
        );
        metrics::counter!("recovery_bot_deliveries_total", "platform" => "discord", "outcome" => "lost_at_shutdown")
            .increment(lost as u64);
    }
    if let Err(e) = shared.settings.flush().await {
        tracing::error!(error = %e, "flushing Discord settings failed");
    }
    match outcome {
        Ok(()) => {
            tracing::info!("Discord adapter stopped");
            Ok(())
        }
        Err(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)) => {
            Err(anyhow::anyhow!("Discord refused the token (DISCORD_TOKEN)"))
        }
        Err(e) => Err(anyhow::anyhow!(
            "Discord gateway stopped: {}",
            error::describe(&e)
        )),
    }
}

/// One client with `intents`, until it stops or `stop` turns true.
async fn run_client(
    config: &DiscordConfig,
    shared: Data,
    intents: serenity::GatewayIntents,
    watcher: status::Watcher,
    mut stop: signal::Receiver<bool>,
) -> Result<(), serenity::Error> {
    let framework = commands::framework(config, shared);
    let mut client = serenity::ClientBuilder::new_with_http(config.http(), intents)
        .framework(framework)
        .event_handler(watcher)
        .await?;
    let shards = match config.shards {
        Some(shards) => shards,
        None => recommended_shards(&client.http).await?,
    };
    tracing::info!(
        first = shards.first,
        last = shards.last,
        total = shards.total,
        proxy = config.proxy_url.is_some(),
        "connecting to Discord"
    );
    let shard_manager = Arc::clone(&client.shard_manager);
    let mut start =
        std::pin::pin!(client.start_shard_range(shards.first..shards.last, shards.total));
    tokio::select! {
        outcome = &mut start => outcome,
        () = stopped(&mut stop) => {
            tracing::info!("shutting down the Discord shards");
            let running = !shard_manager.runners.lock().await.is_empty();
            shard_manager.shutdown_all().await;
            // Before a shard runs, shutdown_all has nothing to stop: do not wait for the connection.
            if running && tokio::time::timeout(SHUTDOWN_GRACE, &mut start).await.is_err() {
                tracing::warn!("Discord shards did not close in time");
            }
            Ok(())
        }
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut signal::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The shard count Discord recommends (`GET /gateway/bot`), all run here; one shard if the endpoint does not
/// answer (a minimal proxy or fake), unless the token is refused.
async fn recommended_shards(http: &serenity::Http) -> Result<ShardRange, serenity::Error> {
    match http.get_bot_gateway().await {
        Ok(gateway) => {
            let total = gateway.shards.max(1);
            Ok(ShardRange {
                first: 0,
                last: total - 1,
                total,
            })
        }
        Err(e) if error::http_failure(&e).is_some_and(|(status, _)| status == 401) => Err(
            serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication),
        ),
        Err(e) => {
            tracing::warn!(error = %error::describe(&e), "GET /gateway/bot failed: running one shard");
            Ok(ShardRange {
                first: 0,
                last: 0,
                total: 1,
            })
        }
    }
}
