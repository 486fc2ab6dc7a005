//! The intents a message can have, in priority order.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a message is about. The order is the priority: when a message carries two intents, the earlier wins,
/// so a crisis is answered first whatever else the message asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    /// Thoughts of suicide or self-harm, a plan or means, a goodbye, or danger to life now.
    Crisis,
    /// An overdose happening now, or preventing, recognising and responding to one; safer use.
    Overdose,
    /// Starting, changing, stopping or seeing daily reminders.
    Reminder,
    /// Finding a meeting, mutual-aid or peer support group.
    Meeting,
    /// What recovery is; its principles, dimensions and models.
    Principle,
    /// Greetings, thanks, help, questions about the bot, and anything out of scope.
    Other,
}

impl Intent {
    /// Every intent, in priority order.
    pub const ALL: [Intent; 6] = [
        Intent::Crisis,
        Intent::Overdose,
        Intent::Reminder,
        Intent::Meeting,
        Intent::Principle,
        Intent::Other,
    ];

    /// The lower-case name, also the content file's stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Crisis => "crisis",
            Intent::Overdose => "overdose",
            Intent::Reminder => "reminder",
            Intent::Meeting => "meeting",
            Intent::Principle => "principle",
            Intent::Other => "other",
        }
    }

    /// Parses a lower-case name.
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == name)
    }

    /// Position in the priority order (0 is highest).
    pub fn rank(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
