//! `recovery-bot serve`: every platform that has a token, the reminder scheduler and the meeting feeds, in
//! one process over one [`App`], until SIGINT or SIGTERM.

use anyhow::{Context as _, Result};
use bot_core::{ChatRef, Core, DeliveryError, Platform, Reply, Responder};
use meetings::Catalog;
use meetings::fetch::{FeedStore, FetchConfig};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::{App, Defaults};
use crate::config::Config;

/// Runs until a signal, then stops every part, lets replies in flight finish and flushes the store.
/// `webhook`: Telegram's webhook mode (the public URL and the address to listen on) instead of polling.
pub fn run(bot: Core, config: Config, webhook: Option<telegram::Webhook>) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(bot, config, webhook))
}

async fn serve(bot: Core, config: Config, webhook: Option<telegram::Webhook>) -> Result<()> {
    let bot = Arc::new(bot);
    // Bound first: an address that cannot be used stops serve before it connects anywhere.
    let metrics = match config.metrics_listen()? {
        Some(address) => Some((
            crate::monitor::install(),
            crate::monitor::bind(address).await?,
        )),
        None => None,
    };
    let db = open_store(&config)?;
    let reminders = Arc::new(crate::open_reminders(&db, &bot, &config)?);

    let (stop_tx, stop_rx) = watch::channel(false);
    let shutdown = move || {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }
    };
    let mut tasks: JoinSet<(&'static str, Result<()>)> = JoinSet::new();

    let mut app = App::new(Arc::clone(&bot))
        .with_reminders(Arc::clone(&reminders))
        .with_defaults(Defaults {
            country: config.default_country()?,
            language: config.default_language()?,
        });
    if !config.meetings.feed.is_empty() {
        // Feeds load in the background: the platforms answer (crisis replies first of all) while they come in,
        // and a feed that cannot be loaded only leaves meeting questions with the directories.
        let catalog: Arc<RwLock<Option<Arc<Catalog>>>> = Arc::default();
        let current = Arc::clone(&catalog);
        app = app.with_meetings(Arc::new(move || {
            current.read().expect("catalog lock").clone()
        }));
        let specs = config.meetings.feed.clone();
        let fetch = FetchConfig {
            refresh_interval: Duration::from_secs(60 * config.meetings.refresh_minutes()),
            ..FetchConfig::default()
        };
        let stopped = shutdown();
        tasks.spawn(async move {
            keep_feeds(specs, fetch, catalog, stopped).await;
            ("meeting feeds", Ok(()))
        });
    }
    let app: Arc<dyn Responder> = Arc::new(app);
    let menu = bot.menu();
    let mut outboxes = Outboxes::default();
    let (mut telegram_status, mut discord_status) = (None, None);

    let telegram = telegram::TelegramConfig::from_vars(|name| config.var(name))
        .context("Telegram settings")?;
    if let Some(mut settings) = telegram {
        settings.webhook = match webhook {
            Some(webhook) => Some(webhook),
            None => config.telegram_webhook()?,
        };
        let telegram = telegram::Telegram::new(settings).context("Telegram settings")?;
        outboxes.telegram = Some(telegram.outbox());
        telegram_status = Some(telegram.status());
        let run = telegram.run(Arc::clone(&app), menu.clone(), shutdown());
        tasks.spawn(async move { ("telegram", run.await) });
    }
    let discord =
        discord::DiscordConfig::from_lookup(|name| config.var(name)).context("Discord settings")?;
    if let Some(settings) = discord {
        outboxes.discord = Some(discord::Outbox::new(&settings));
        let guilds = db
            .open_tree("discord-guilds")
            .context("opening the Discord settings in the store")?;
        let status = discord::Status::default();
        discord_status = Some(status.clone());
        let run = discord::run_with_status(
            settings,
            Arc::clone(&app),
            menu.clone(),
            guilds,
            status,
            shutdown(),
        );
        tasks.spawn(async move { ("discord", run.await) });
    }
    if outboxes.telegram.is_none() && outboxes.discord.is_none() {
        anyhow::bail!(
            "no platform is configured: set TELOXIDE_TOKEN or DISCORD_TOKEN (or run `recovery-bot chat`)"
        );
    }
    let scheduler = reminders::run(Arc::clone(&reminders), outboxes, shutdown());
    tasks.spawn(async move { ("reminders", scheduler.await.map_err(Into::into)) });
    if let Some((recorder, listener)) = metrics {
        let parts = crate::monitor::Parts {
            telegram: telegram_status,
            discord: discord_status,
            reminders: Arc::clone(&reminders),
        };
        crate::monitor::start_at_zero(&parts, !config.meetings.feed.is_empty());
        let run = crate::monitor::serve(listener, recorder, parts, db.clone(), shutdown());
        tasks.spawn(async move { ("metrics server", run.await) });
    }
    tracing::info!(feeds = config.meetings.feed.len(), "serving");

    let mut failure = None;
    tokio::select! {
        signal = stop_signal() => {
            signal?;
            tracing::info!("shutting down");
        }
        Some(ended) = tasks.join_next() => {
            failure = report(ended);
        }
    }
    let _ = stop_tx.send(true);
    while let Some(ended) = tasks.join_next().await {
        failure = failure.or(report(ended));
    }
    reminders.flush().context("flushing the reminders")?;
    db.flush_async().await.context("flushing the store")?;
    tracing::info!("stopped");
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The configured store (`RECOVERY_BOT_STORE` or `[store] path`; an error if it cannot be opened), or the
/// default one, or failing that a temporary one: a bot that cannot keep reminders must still answer a person in
/// crisis.
fn open_store(config: &Config) -> Result<sled::Db> {
    // sled's cache would otherwise grow to 1 GB; 8 MB keeps a day of a million reminders near 160 MB.
    let open = |path: &Path| {
        sled::Config::new()
            .path(path)
            .cache_capacity(8 << 20)
            .open()
    };
    if let Some(path) = &config.store_path() {
        return open(path).with_context(|| {
            format!(
                "opening the store {} (is another recovery-bot using it?)",
                path.display()
            )
        });
    }
    match open(Path::new(crate::config::DEFAULT_STORE)) {
        Ok(db) => Ok(db),
        Err(error) => {
            tracing::warn!(
                store = crate::config::DEFAULT_STORE,
                error = %error,
                "cannot open the default store; using a temporary one: reminders will not survive a restart (set [store] path)"
            );
            sled::Config::new()
                .temporary(true)
                .cache_capacity(8 << 20)
                .open()
                .context("opening a temporary store")
        }
    }
}

/// Loads the meeting feeds, publishes each new catalog into `catalog`, and refreshes them until `stopped`.
/// Failures are logged (the feed's id and why, never its content) and never stop the bot.
async fn keep_feeds(
    specs: Vec<meetings::fetch::FeedSpec>,
    fetch: FetchConfig,
    catalog: Arc<RwLock<Option<Arc<Catalog>>>>,
    stopped: impl std::future::Future<Output = ()> + Send,
) {
    let mut stopped = std::pin::pin!(stopped);
    let feeds = tokio::select! {
        loaded = FeedStore::load(specs, fetch) => match loaded {
            Ok(feeds) => feeds,
            Err(error) => {
                tracing::error!(error = %error, "meeting feeds not loaded: meeting questions get the directories");
                stopped.await;
                return;
            }
        },
        () = &mut stopped => return,
    };
    let mut updates = feeds.subscribe();
    let publish = async {
        loop {
            let latest = updates.borrow_and_update().clone();
            *catalog.write().expect("catalog lock") = Some(latest);
            if updates.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = feeds.run(stopped) => {}
        () = publish => {}
    }
}

/// Logs how a part ended; its error, if it failed.
fn report(
    ended: Result<(&'static str, Result<()>), tokio::task::JoinError>,
) -> Option<anyhow::Error> {
    match ended {
        Ok((part, Ok(()))) => {
            tracing::info!(part, "stopped");
            None
        }
        Ok((part, Err(error))) => {
            tracing::error!(part, error = %format!("{error:#}"), "failed");
            Some(error.context(format!("{part} failed")))
        }
        Err(error) => Some(anyhow::anyhow!("a task panicked: {error}")),
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() -> Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.context("listening for SIGINT"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("listening for Ctrl-C")
    }
}

/// Delivers reminders through whichever platforms run.
#[derive(Default, Clone)]
struct Outboxes {
    telegram: Option<telegram::Outbox>,
    discord: Option<discord::Outbox>,
}

impl reminders::Sender for Outboxes {
    async fn deliver(&self, chat: &ChatRef, reply: &Reply) -> Result<(), DeliveryError> {
        let not_running =
            || DeliveryError::Transient(format!("{:?} is not running", chat.platform));
        match chat.platform {
            Platform::Telegram => match &self.telegram {
                Some(outbox) => outbox.send(&chat.id, reply).await,
                None => Err(not_running()),
            },
            Platform::Discord => match &self.discord {
                Some(outbox) => outbox.send(&chat.id, reply).await,
                None => Err(not_running()),
            },
            Platform::Terminal => Err(DeliveryError::Permanent(
                "terminal reminders are sent by the terminal chat, not by serve".into(),
            )),
        }
    }
}
