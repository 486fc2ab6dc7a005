//! `recovery-bot`: the one binary. It loads the content, then serves the platforms that have a token, chats in
//! the terminal, answers one message, classifies a stream of messages or checks meeting feeds.

mod app;
mod chat;
mod check;
mod cli;
mod config;
mod feeds;
mod monitor;
mod recorder;
mod serve;

use anyhow::{Context as _, Result};
use bot_core::Core;
use clap::Parser;
use std::sync::Arc;

use cli::{Cli, Command};
use config::Config;

fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(Command::Health(args)) = &cli.command {
        // Often and quickly (a container's health check): without loading the content.
        return health(&config, args);
    }
    if let Some(country) = cli.country {
        config.default_country = Some(country.to_string());
    }
    if let Some(language) = cli.lang {
        config.default_language = Some(language.code().to_string());
    }
    let defaults = app::Defaults {
        country: config.default_country()?,
        language: config.default_language()?,
    };
    let bot = load_bot(cli.content.as_deref())?;
    let command = cli.command.unwrap_or(if config.has_platform() {
        Command::Serve(cli::ServeArgs::default())
    } else {
        Command::Chat
    });
    match command {
        Command::Config(cli::ConfigCommand::Check) => check::run(
            &config,
            cli.config.as_deref(),
            cli.content.as_deref(),
            &mut std::io::stdout().lock(),
        ),
        Command::Health(args) => health(&config, &args),
        Command::Serve(args) => serve::run(bot, config, args.webhook()?),
        Command::Chat => chat_in_terminal(bot, &config, defaults),
        Command::Ask(args) => cli::ask(&bot, &args, defaults),
        Command::Classify => cli::classify(&bot),
        Command::Train(args) => cli::train(&bot, &args),
        Command::Evaluate(args) => cli::evaluate(&bot, &args),
        Command::Meetings(cli::MeetingsCommand::Check { feeds, files }) => {
            feeds::check(&files, feeds.defaults()?, &mut std::io::stdout().lock())
        }
    }
}

/// `recovery-bot health`: the given URL, or the configured metrics address's /healthz.
fn health(config: &Config, args: &cli::HealthArgs) -> Result<()> {
    let url = match &args.url {
        Some(url) => url.clone(),
        None => match config.metrics_listen()? {
            Some(listen) => monitor::healthz_url(listen),
            None => anyhow::bail!(
                "no /healthz to ask: metrics are off (give --url, or set [metrics] listen or {})",
                config::METRICS_LISTEN_VAR
            ),
        },
    };
    monitor::check(&url)
}

/// The terminal chat, through the same [`app::App`] as the platforms, with reminders kept in a store that
/// lasts as long as the chat: while it runs, the scheduler prints each reminder in it when it is due.
fn chat_in_terminal(bot: Core, config: &Config, defaults: app::Defaults) -> Result<()> {
    let db = sled::Config::new()
        .temporary(true)
        .open()
        .context("opening a temporary reminder store")?;
    let reminders = Arc::new(open_reminders(&db, &bot, config)?);
    let app = app::App::new(Arc::new(bot))
        .with_reminders(Arc::clone(&reminders))
        .with_defaults(defaults);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = std::thread::spawn(move || -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .context("starting the reminder scheduler")?;
        let shutdown = async {
            let _ = stopped.await;
        };
        runtime.block_on(reminders::run(reminders, chat::TerminalSender, shutdown))?;
        Ok(())
    });
    let chatted = chat::run(&app, std::io::stdin().lock(), std::io::stdout());
    let _ = stop.send(());
    scheduler
        .join()
        .map_err(|_| anyhow::anyhow!("the reminder scheduler panicked"))??;
    chatted
}

/// The reminders in `db`, worded from the bot's content (the operator's folder when given).
pub fn open_reminders(db: &sled::Db, bot: &Core, config: &Config) -> Result<reminders::Reminders> {
    let content = bot.reminder_content().clone();
    let mut settings = reminders::Settings::default();
    if let Some(zone) = &config.reminders.default_zone {
        settings.default_zone =
            Some(feeds::parse_timezone(zone).context("[reminders] default_zone")?);
    }
    if let Some(hours) = config.reminders.late_window_hours {
        settings.late_window = chrono::Duration::hours(i64::from(hours));
    }
    reminders::Reminders::open(db, content, settings).context("opening the reminder store")
}

/// Logs go to stderr and carry ids, intents and timings, never what a person typed. Serenity's own logs are
/// kept at warnings and above: below that they can print whole events, message text included.
fn init_logging(verbose: bool) {
    let default = if verbose { "info" } else { "warn" };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    for directive in discord::LOG_DIRECTIVES.split(',') {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn load_bot(content_dir: Option<&std::path::Path>) -> Result<Core> {
    let started = std::time::Instant::now();
    let bot = match content_dir {
        Some(dir) => Core::from_dir(dir)
            .with_context(|| format!("loading content from {}", dir.display()))?,
        None => Core::embedded().context("loading the built-in content")?,
    };
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        custom_content = content_dir.is_some(),
        "content loaded"
    );
    Ok(bot)
}
