//! The core of recovery-bot: pure and synchronous. A message and its [`ChatContext`] go in, a platform-neutral
//! [`Reply`] comes out. No network, no clock, no platform types: the Telegram and Discord adapters and the
//! terminal chat all call [`Core::respond`].
//!
//! What the bot says and the rules that choose it are data, in the workspace's `intents/` folder
//! ([`Content`]); every answer names its source.

mod classify;
pub mod content;
pub mod corpus;
mod country;
mod engine;
mod intent;
pub mod language;
pub mod markup;
mod meeting_answer;
pub mod model;
pub mod normalize;
mod notice;
pub mod reminder;
mod reminder_content;
pub mod render;
pub mod reply;
mod service;
pub mod train;
mod zone_names;

pub use content::{Command, Content, ContentError};
pub use country::{Countries, Country, CountryCode};
pub use engine::{
    ChatContext, ChatKind, Classification, Core, ModelView, Platform, RulesReading, Thresholds,
    Understood,
};
pub use intent::Intent;
pub use notice::{Notice, Notices};
pub use reminder::{ReminderAction, ReminderOutcome, ReminderState};
pub use reminder_content::{DailyText, MONTH_FILE, REMINDER_REPLIES_FILE, ReminderContent};
pub use reply::{Alarm, Block, BlockKind, Explanation, FollowUp, Reply, SourceRef, Span};
pub use service::{
    Backoff, ChatMessage, ChatRef, Coordinates, DeliveryError, Menu, Patience, Responder,
};
