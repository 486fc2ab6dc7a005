//! Notices the adapters show on their own, without a message asking for them: errors, permissions, crisis
//! watch's settings and alerts on Discord, an expired button on Telegram. Their words are content
//! (`intents/notices.toml`), chosen by a typed key; `{name}` marks a value the adapter fills in.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One notice. The content names it in kebab-case (`ExpiredButton` is `expired-button`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Notice {
    /// A button whose message the bot no longer knows (after a restart).
    ExpiredButton,
    /// A command failed; carries the crisis line, as every error does.
    SomethingWentWrong,
    /// Discord sent options the command does not have (commands still updating).
    OptionsNotUnderstood,
    /// A command that needs Manage Server.
    ManageServerOnly,
    /// Crisis watch's settings, changed or shown, need Manage Server.
    ChangeWatchNotAllowed,
    SeeWatchNotAllowed,
    /// A command used in direct messages that works only in a server.
    ServerOnly,
    /// Sent to a member's direct messages after `/remind` in a server.
    RemindersArriveHere,
    /// Their direct messages are closed, so reminders cannot reach them.
    DirectMessagesClosed,
    /// Crisis watch's summary, line by line: `{channels}`, `{channel}`, `{role}` are mentions.
    WatchNoChannels,
    WatchReads,
    WatchDoes,
    AlertsWithRole,
    AlertsWithoutRole,
    NoAlertChannel,
    NoMessageContent,
    /// The test post in a new alert channel, and what is wrong when it fails (`{channel}`).
    AlertChannelTest,
    CannotPostAlerts,
    RoleNotMentionable,
    WatchOff,
    /// The moderators' alert: `{ping}`, `{channel}`, `{link}`, then what the message may be and what the bot
    /// did (the notices below).
    Alert,
    AlertMayBeCrisis,
    AlertMayBeOverdose,
    AlertRepliedCrisis,
    AlertRepliedOverdose,
    AlertCouldNotReply,
    /// Told once to the member who set crisis watch up: `{link}` to the channel.
    CannotReplyInWatched,
    CannotPostInAlerts,
}

impl Notice {
    /// Every notice, so that the content is checked for each.
    pub const ALL: [Notice; 28] = [
        Notice::ExpiredButton,
        Notice::SomethingWentWrong,
        Notice::OptionsNotUnderstood,
        Notice::ManageServerOnly,
        Notice::ChangeWatchNotAllowed,
        Notice::SeeWatchNotAllowed,
        Notice::ServerOnly,
        Notice::RemindersArriveHere,
        Notice::DirectMessagesClosed,
        Notice::WatchNoChannels,
        Notice::WatchReads,
        Notice::WatchDoes,
        Notice::AlertsWithRole,
        Notice::AlertsWithoutRole,
        Notice::NoAlertChannel,
        Notice::NoMessageContent,
        Notice::AlertChannelTest,
        Notice::CannotPostAlerts,
        Notice::RoleNotMentionable,
        Notice::WatchOff,
        Notice::Alert,
        Notice::AlertMayBeCrisis,
        Notice::AlertMayBeOverdose,
        Notice::AlertRepliedCrisis,
        Notice::AlertRepliedOverdose,
        Notice::AlertCouldNotReply,
        Notice::CannotReplyInWatched,
        Notice::CannotPostInAlerts,
    ];

    /// The values the notice's text must use.
    fn placeholders(self) -> &'static [&'static str] {
        match self {
            Notice::WatchReads => &["{channels}"],
            Notice::AlertsWithRole => &["{channel}", "{role}"],
            Notice::AlertsWithoutRole | Notice::CannotPostAlerts => &["{channel}"],
            Notice::Alert => &["{ping}", "{channel}", "{link}", "{what}", "{done}"],
            Notice::CannotReplyInWatched | Notice::CannotPostInAlerts => &["{link}"],
            _ => &[],
        }
    }
}

/// The text of every notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notices(BTreeMap<Notice, String>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticesFile {
    notices: BTreeMap<Notice, String>,
}

impl Notices {
    /// Checks that every notice has a text with its placeholders; the error says what is missing.
    pub(crate) fn new(file: NoticesFile) -> Result<Notices, String> {
        for notice in Notice::ALL {
            let text = file
                .notices
                .get(&notice)
                .ok_or_else(|| format!("notice {notice:?} has no text"))?;
            if let Some(missing) = notice.placeholders().iter().find(|p| !text.contains(*p)) {
                return Err(format!("notice {notice:?} needs {missing}"));
            }
        }
        Ok(Notices(file.notices))
    }

    /// The text of `notice`, as written.
    pub fn text(&self, notice: Notice) -> &str {
        &self.0[&notice]
    }

    /// The text of `notice` with each `{name}` replaced by its value.
    pub fn fill(&self, notice: Notice, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.text(notice).to_string(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml_text: &str) -> Result<Notices, String> {
        Notices::new(toml::from_str(toml_text).map_err(|e| e.to_string())?)
    }

    #[test]
    fn every_notice_has_a_text_with_its_values() {
        let shipped = include_str!("../../intents/notices.toml");
        let notices = load(shipped).unwrap();
        let alert = notices.fill(
            Notice::Alert,
            &[
                ("ping", ""),
                ("channel", "<#2>"),
                ("what", "may be"),
                ("link", "L"),
                ("done", "D"),
            ],
        );
        assert!(
            alert.starts_with("A message in <#2> may be: L\nD "),
            "{alert}"
        );

        let without_alert = shipped.replace("\nalert = ", "\nnot-a-notice = ");
        assert!(load(&without_alert).is_err());
        let missing_link =
            shipped.replacen("cannot post crisis alerts in {link}", "cannot post", 1);
        assert_eq!(
            load(&missing_link).unwrap_err(),
            "notice CannotPostInAlerts needs {link}"
        );
    }
}
