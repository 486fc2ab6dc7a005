//! Opt-in crisis watch: in channels a server chose with `/setup watch`, every message is classified (never
//! answered as a conversation, never stored, never logged). When it reads as a crisis, or as an overdose
//! happening now, the bot replies there gently with the crisis lines (or the overdose steps) and alerts the
//! moderators in the alert channel, pinging only the configured role, with a link to the message and never
//! its text.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bot_core::{Alarm, ChatKind, ChatMessage, ChatRef, Classification, Notice, Notices, Platform};
use poise::serenity_prelude as serenity;

use crate::settings::WatchSettings;
use crate::{Shared, error, render, send};
use bot_core::Patience;

/// One reply and one alert per person and channel in this time, however many messages they post.
pub const COOLDOWN: Duration = Duration::from_secs(10 * 60);
/// Past this many entries, expired ones are dropped.
const PRUNE_AT: usize = 4096;

/// When each (channel, person) last triggered the watch.
#[derive(Default)]
pub struct Cooldowns {
    last: Mutex<HashMap<(u64, u64), Instant>>,
}

impl Cooldowns {
    /// Whether (channel, person) may trigger the watch now; if so, starts its cooldown.
    pub fn allow(&self, channel: u64, person: u64, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() >= PRUNE_AT {
            last.retain(|_, at| now.saturating_duration_since(*at) < COOLDOWN);
        }
        match last.get(&(channel, person)) {
            Some(at) if now.saturating_duration_since(*at) < COOLDOWN => false,
            _ => {
                last.insert((channel, person), now);
                true
            }
        }
    }
}

/// What the watch found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concern {
    Crisis,
    Overdose,
}

impl From<Alarm> for Concern {
    fn from(alarm: Alarm) -> Self {
        match alarm {
            Alarm::Crisis { .. } => Concern::Crisis,
            Alarm::OverdoseNow => Concern::Overdose,
        }
    }
}

impl Concern {
    /// What the watch finds in a message read as `c`: a crisis, or an overdose happening now.
    pub fn of(c: Classification) -> Option<Concern> {
        Alarm::of(c).map(Concern::from)
    }

    /// The command whose answer the watch posts.
    fn command(self) -> &'static str {
        match self {
            Concern::Crisis => "/crisis",
            Concern::Overdose => "/overdose",
        }
    }
}

/// A message in a watched channel that did not mention the bot.
pub async fn on_watched_message(
    ctx: &serenity::Context,
    shared: &Shared,
    guild: serenity::GuildId,
    settings: &WatchSettings,
    msg: &serenity::Message,
) {
    // Without the Message Content intent, messages that do not mention the bot arrive empty.
    if msg.content.trim().is_empty() {
        return;
    }
    let classification = shared.responder.classify(&msg.content);
    let Some(concern) = Concern::of(classification) else {
        return;
    };
    if !shared
        .cooldowns
        .allow(msg.channel_id.get(), msg.author.id.get(), Instant::now())
    {
        tracing::info!(
            guild = guild.get(),
            channel = msg.channel_id.get(),
            "crisis watch: in cooldown"
        );
        return;
    }
    // The gentle public reply: the answer to `/crisis` (or `/overdose`) in the channel's own chat, so that
    // nothing the person wrote starts or changes a conversation of theirs.
    let channel_chat = ChatRef::new(
        Platform::Discord,
        msg.channel_id.get().to_string(),
        ChatKind::Group,
    );
    let mut reply = shared
        .responder
        .respond(&ChatMessage::text(channel_chat.clone(), concern.command()));
    if concern == Concern::Crisis && classification.overdose_now {
        // A crisis and an overdose happening now: both answers, crisis first, as in a direct message.
        let overdose = shared
            .responder
            .respond(&ChatMessage::text(channel_chat, "/overdose"));
        reply.blocks.extend(overdose.blocks);
    }
    let replied = match send::reply_to(
        &ctx.http,
        msg,
        &render::render(&reply),
        Patience::for_reply(&reply),
    )
    .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(guild = guild.get(), channel = msg.channel_id.get(), error = %error::describe(&e), "crisis watch: reply failed");
            if error::is_missing_permission(&e) {
                report_problem(ctx, shared, guild, Problem::Reply(msg.channel_id)).await;
            }
            false
        }
    };
    alert(ctx, shared, guild, settings, msg, concern, replied).await;
}

/// Tells the moderators about `msg` in the alert channel, if one is set.
pub async fn alert(
    ctx: &serenity::Context,
    shared: &Shared,
    guild: serenity::GuildId,
    settings: &WatchSettings,
    msg: &serenity::Message,
    concern: Concern,
    replied: bool,
) {
    let Some(alert_channel) = settings
        .alert_channel
        .and_then(std::num::NonZeroU64::new)
        .map(serenity::ChannelId::from)
    else {
        tracing::info!(guild = guild.get(), "crisis watch: no alert channel set");
        return;
    };
    let role = settings
        .alert_role
        .and_then(std::num::NonZeroU64::new)
        .map(serenity::RoleId::from);
    let text = alert_text(
        &shared.menu.notices,
        guild,
        msg.channel_id,
        msg.id,
        role,
        concern,
        replied,
    );
    let mentions = match role {
        Some(role) => serenity::CreateAllowedMentions::new().roles(vec![role]),
        None => serenity::CreateAllowedMentions::new(),
    };
    let builder = serenity::CreateMessage::new()
        .content(text)
        .allowed_mentions(mentions);
    match alert_channel.send_message(&ctx.http, builder).await {
        Ok(_) => tracing::info!(
            guild = guild.get(),
            channel = msg.channel_id.get(),
            message_id = msg.id.get(),
            ?concern,
            "crisis watch: moderators alerted"
        ),
        Err(e) => {
            tracing::warn!(guild = guild.get(), error = %error::describe(&e), "crisis watch: alert failed");
            if error::is_missing_permission(&e) {
                report_problem(ctx, shared, guild, Problem::Alert(alert_channel)).await;
            }
        }
    }
}

/// The alert: who is pinged, where, a link, what the bot did. Never the message's text or its author.
pub fn alert_text(
    notices: &Notices,
    guild: serenity::GuildId,
    channel: serenity::ChannelId,
    message: serenity::MessageId,
    role: Option<serenity::RoleId>,
    concern: Concern,
    replied: bool,
) -> String {
    let what = match concern {
        Concern::Crisis => Notice::AlertMayBeCrisis,
        Concern::Overdose => Notice::AlertMayBeOverdose,
    };
    let done = match (concern, replied) {
        (Concern::Crisis, true) => Notice::AlertRepliedCrisis,
        (Concern::Overdose, true) => Notice::AlertRepliedOverdose,
        (_, false) => Notice::AlertCouldNotReply,
    };
    notices.fill(
        Notice::Alert,
        &[
            (
                "ping",
                &role.map(|r| format!("<@&{r}> ")).unwrap_or_default(),
            ),
            ("channel", &format!("<#{channel}>")),
            ("what", notices.text(what)),
            (
                "link",
                &format!("https://discord.com/channels/{guild}/{channel}/{message}"),
            ),
            ("done", notices.text(done)),
        ],
    )
}

/// A permission the bot lacks.
#[derive(Debug, Clone, Copy)]
pub enum Problem {
    /// It cannot reply in a watched channel.
    Reply(serenity::ChannelId),
    /// It cannot post in the alert channel.
    Alert(serenity::ChannelId),
}

/// Tells the member who configured the watch about a missing permission, once until the settings change.
pub async fn report_problem(
    ctx: &serenity::Context,
    shared: &Shared,
    guild: serenity::GuildId,
    problem: Problem,
) {
    let settings = match shared.settings.get(guild.get()) {
        Ok(Some(settings)) => settings,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(guild = guild.get(), error = %e, "crisis watch settings unreadable");
            return;
        }
    };
    if settings.problem_reported {
        return;
    }
    let updated = WatchSettings {
        problem_reported: true,
        ..settings.clone()
    };
    if let Err(e) = shared.settings.put(guild.get(), &updated).await {
        tracing::error!(guild = guild.get(), error = %e, "crisis watch settings not saved");
        return;
    }
    let Some(admin) = settings
        .configured_by
        .and_then(std::num::NonZeroU64::new)
        .map(serenity::UserId::from)
    else {
        return;
    };
    let (channel, notice) = match problem {
        Problem::Reply(c) => (c, Notice::CannotReplyInWatched),
        Problem::Alert(c) => (c, Notice::CannotPostInAlerts),
    };
    let text = shared.menu.notices.fill(
        notice,
        &[(
            "link",
            &format!("https://discord.com/channels/{guild}/{channel}"),
        )],
    );
    let builder = serenity::CreateMessage::new()
        .content(text)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    let sent = async {
        let dm = admin.create_dm_channel(&ctx.http).await?;
        dm.id.send_message(&ctx.http, builder).await
    };
    match sent.await {
        Ok(_) => tracing::info!(
            guild = guild.get(),
            "crisis watch: told the admin about a missing permission"
        ),
        Err(e) => {
            tracing::warn!(guild = guild.get(), error = %error::describe(&e), "crisis watch: could not tell the admin")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::Intent;

    #[test]
    fn only_crisis_and_overdose_now_are_alarming() {
        let c = |intent, urgent| Classification {
            intent,
            urgent,
            overdose_now: false,
        };
        assert_eq!(Concern::of(c(Intent::Crisis, true)), Some(Concern::Crisis));
        assert_eq!(Concern::of(c(Intent::Crisis, false)), Some(Concern::Crisis));
        assert_eq!(
            Concern::of(c(Intent::Overdose, true)),
            Some(Concern::Overdose)
        );
        assert_eq!(Concern::of(c(Intent::Overdose, false)), None);
        assert_eq!(Concern::of(c(Intent::Meeting, false)), None);
        assert_eq!(Concern::of(c(Intent::Other, false)), None);
    }

    #[test]
    fn a_crisis_with_an_overdose_happening_now_is_a_crisis_concern() {
        let both = Classification {
            intent: Intent::Crisis,
            urgent: true,
            overdose_now: true,
        };
        assert_eq!(Alarm::of(both), Some(Alarm::Crisis { overdose_now: true }));
        assert_eq!(Concern::of(both), Some(Concern::Crisis));
        assert_eq!(Concern::from(Alarm::OverdoseNow), Concern::Overdose);
    }

    #[test]
    fn cooldown_is_per_channel_and_person() {
        let cooldowns = Cooldowns::default();
        let t0 = Instant::now();
        assert!(cooldowns.allow(1, 2, t0));
        assert!(!cooldowns.allow(1, 2, t0 + Duration::from_secs(60)));
        assert!(cooldowns.allow(1, 3, t0));
        assert!(cooldowns.allow(4, 2, t0));
        assert!(cooldowns.allow(1, 2, t0 + COOLDOWN));
    }

    #[test]
    fn alert_links_and_pings_only_the_role() {
        let notices = bot_core::Core::embedded().unwrap().menu().notices;
        let text = alert_text(
            &notices,
            serenity::GuildId::new(1),
            serenity::ChannelId::new(2),
            serenity::MessageId::new(3),
            Some(serenity::RoleId::new(4)),
            Concern::Crisis,
            true,
        );
        assert!(text.starts_with("<@&4> "), "{text}");
        assert!(text.contains("https://discord.com/channels/1/2/3"));
        assert!(text.contains("<#2>"));
        assert!(!text.contains("@everyone") && !text.contains("@here"));
        let no_role = alert_text(
            &notices,
            serenity::GuildId::new(1),
            serenity::ChannelId::new(2),
            serenity::MessageId::new(3),
            None,
            Concern::Overdose,
            false,
        );
        assert!(!no_role.contains("<@"), "{no_role}");
        assert!(no_role.contains("could not reply"));
    }
}
