//! Opt-in daily reminders: a person says "remind me every day at 8am" (or `/remind 8am Europe/London`) and
//! gets one message a day at 08:00 their time, never twice, never after they stop, across restarts, crashes
//! and daylight-saving changes.
//!
//! The core reads what a message asks ([`bot_core::ReminderAction`]); this crate does it and returns what
//! became of it ([`bot_core::ReminderOutcome`]), which the core says
//! ([`bot_core::ReminderContent::say`]).
//!
//! - [`Reminders`]: the sled store and what reminder requests do to it ([`Reminders::apply`]).
//! - [`run`]: the scheduler, which sends each day's message through a [`Sender`].
//!
//! How the binary wires it (about 20 lines):
//!
//! ```no_run
//! # async fn wire(bot: &bot_core::Core, db: &sled::Db, sender: impl reminders::Sender + 'static,
//! #   shutdown: impl std::future::Future<Output = ()> + Send) -> anyhow::Result<()> {
//! use std::sync::Arc;
//! // The daily messages come from the core's content (embedded, or the operator's `--content DIR`).
//! let content = bot.reminder_content().clone();
//! let settings = reminders::Settings {
//!     default_zone: Some(chrono_tz::America::New_York), // from the config, or None to ask
//!     ..reminders::Settings::default()
//! };
//! // Stops with a clear error on a corrupt store or one written by a newer version; never wipes it.
//! let reminders = Arc::new(reminders::Reminders::open(db, content, settings)?);
//!
//! // In the Responder, for a message the core understood as a reminder action:
//! //     let outcome = reminders.apply(&message.chat, &action, now)?;
//! //     let reply = bot.reminder_content().say(&outcome, now, Language::English);
//! // and in `Responder::unreachable`: reminders.mark_unreachable(chat)?;
//!
//! // The scheduler: runs until `shutdown` resolves, then flushes the store.
//! reminders::run(reminders.clone(), sender, shutdown).await?;
//! # Ok(()) }
//! ```

mod requests;
pub mod schedule;
mod scheduler;
mod service;
mod store;

pub use scheduler::{Clock, Limits, Sender, SystemClock, run, run_with};
pub use service::{Reminders, Settings, Subscription};
pub use store::{META_TREE, SCHEMA_VERSION, State, StoreStats, TREE};

/// Why the reminder store or its content could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reminder store: {0}")]
    Store(#[from] sled::Error),
    #[error(
        "the reminder store holds data but no schema version: it was not written by this program, or its meta tree \
         is damaged. It was left untouched"
    )]
    NoVersion,
    #[error(
        "the reminder store has schema {found}, written by a newer version of recovery-bot (this one knows up to \
         {known}). It was left untouched: run the newer version, or restore a backup"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error("no migration from reminder schema {from}")]
    NoMigration { from: u32 },
    #[error(
        "the reminder store is corrupt at {key}: {message}. It was left untouched: restore it from a backup, or move \
         it away to start with an empty store"
    )]
    Corrupt { key: String, message: String },
    #[error(transparent)]
    Content(#[from] bot_core::ContentError),
}
