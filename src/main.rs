//! `recovery-bot`: the one binary. It loads the content, then chats in the terminal, answers one message, or
//! classifies a stream of messages. The platform adapters plug in here as they arrive.

mod chat;
mod cli;
mod feeds;

use anyhow::{Context as _, Result};
use bot_core::{Bot, Content};
use clap::Parser;

use cli::{Cli, Command};

fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let bot = load_bot(cli.content.as_deref())?;
    match cli.command.unwrap_or(Command::Chat) {
        Command::Chat => chat::run(&bot),
        Command::Ask(args) => cli::ask(&bot, &args),
        Command::Classify => cli::classify(&bot),
        Command::Meetings(cli::MeetingsCommand::Check { feeds, files }) => {
            feeds::check(&files, feeds.defaults()?, &mut std::io::stdout().lock())
        }
    }
}

/// Logs go to stderr and carry ids, intents and timings, never what a person typed.
fn init_logging(verbose: bool) {
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn load_bot(content_dir: Option<&std::path::Path>) -> Result<Bot> {
    let started = std::time::Instant::now();
    let content = match content_dir {
        Some(dir) => Content::from_dir(dir)
            .with_context(|| format!("loading content from {}", dir.display()))?,
        None => Content::embedded().context("loading the built-in content")?,
    };
    let bot = Bot::new(content).context("compiling the content's rules")?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        custom_content = content_dir.is_some(),
        "content loaded"
    );
    Ok(bot)
}
