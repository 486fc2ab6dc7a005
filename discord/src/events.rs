//! Gateway events that are not slash commands: direct messages, mentions, watched channels, button presses.

use std::time::Instant;

use bot_core::ChatMessage;
use poise::serenity_prelude as serenity;

use crate::watch::{self, Concern};
use crate::{Data, Error, Shared, commands, error, person, render, send};
use bot_core::Patience;

/// poise's event handler.
pub fn handle<'a>(
    ctx: &'a serenity::Context,
    event: &'a serenity::FullEvent,
    framework: poise::FrameworkContext<'a, Data, Error>,
    data: &'a Data,
) -> poise::BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        let _answering = data.answering.token();
        match event {
            serenity::FullEvent::Message { new_message } => {
                on_message(ctx, framework.bot_id, data, new_message).await;
            }
            serenity::FullEvent::InteractionCreate {
                interaction: serenity::Interaction::Component(press),
            } => on_button(ctx, data, press).await,
            serenity::FullEvent::Ready { data_about_bot } => tracing::info!(
                shard = ?data_about_bot.shard.map(|s| s.id.0),
                guilds = data_about_bot.guilds.len(),
                message_content = data.reads_messages(),
                "Discord shard ready"
            ),
            _ => {}
        }
        Ok(())
    })
}

/// Whether a message is one a person wrote (not a bot, a webhook or a system notice).
fn from_a_person(msg: &serenity::Message) -> bool {
    !msg.author.bot
        && !msg.author.system
        && msg.webhook_id.is_none()
        && matches!(
            msg.kind,
            serenity::MessageType::Regular | serenity::MessageType::InlineReply
        )
}

async fn on_message(
    ctx: &serenity::Context,
    bot_id: serenity::UserId,
    shared: &Shared,
    msg: &serenity::Message,
) {
    if !from_a_person(msg) {
        return;
    }
    match msg.guild_id {
        None => on_direct_message(ctx, shared, msg).await,
        Some(guild) => on_server_message(ctx, bot_id, shared, guild, msg).await,
    }
}

async fn on_direct_message(ctx: &serenity::Context, shared: &Shared, msg: &serenity::Message) {
    let text = msg.content.trim();
    if text.is_empty() {
        return;
    }
    let started = Instant::now();
    let chat = person(msg.author.id);
    let reply = shared
        .responder
        .respond(&ChatMessage::text(chat.clone(), text));
    let outcome = send::to_channel(
        &ctx.http,
        msg.channel_id,
        &render::render(&reply),
        Patience::for_reply(&reply),
    )
    .await;
    log_answer("direct", &reply, started, &outcome);
    if let Err(e) = outcome
        && error::discord_code(&e) == Some(error::code::CANNOT_DM)
    {
        shared.responder.unreachable(&chat);
    }
}

async fn on_server_message(
    ctx: &serenity::Context,
    bot_id: serenity::UserId,
    shared: &Shared,
    guild: serenity::GuildId,
    msg: &serenity::Message,
) {
    let settings = match shared.settings.get(guild.get()) {
        Ok(settings) => settings.filter(|s| s.watches(msg.channel_id.get())),
        Err(e) => {
            tracing::error!(guild = guild.get(), error = %e, "crisis watch settings unreadable");
            None
        }
    };
    if msg.mentions.iter().any(|u| u.id == bot_id) {
        let started = Instant::now();
        let text = strip_mention(&msg.content, bot_id);
        let reply = shared
            .responder
            .respond(&ChatMessage::text(person(msg.author.id), text));
        let outcome = send::reply_to(
            &ctx.http,
            msg,
            &render::render(&reply),
            Patience::for_reply(&reply),
        )
        .await;
        log_answer("mention", &reply, started, &outcome);
        // In a watched channel the moderators hear of a crisis even when the person asked the bot.
        if let Some(settings) = &settings
            && let Some(concern) = reply.alarm().map(Concern::from)
            && shared
                .cooldowns
                .allow(msg.channel_id.get(), msg.author.id.get(), Instant::now())
        {
            watch::alert(ctx, shared, guild, settings, msg, concern, outcome.is_ok()).await;
        }
    } else if let Some(settings) = &settings {
        watch::on_watched_message(ctx, shared, guild, settings, msg).await;
    }
}

/// The text without mentions of the bot (`<@id>` and `<@!id>`).
pub fn strip_mention(content: &str, bot_id: serenity::UserId) -> String {
    let plain = format!("<@{bot_id}>");
    let nick = format!("<@!{bot_id}>");
    let text = content.replace(&plain, " ").replace(&nick, " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn on_button(
    ctx: &serenity::Context,
    shared: &Shared,
    press: &serenity::ComponentInteraction,
) {
    let Some(text) = render::follow_up_message(&press.data.custom_id) else {
        return;
    };
    let started = Instant::now();
    let reply = shared.responder.respond(&commands::with_locale(
        ChatMessage::text(person(press.user.id), text),
        Some(&press.locale),
    ));
    let outcome = send::answer_component(
        &ctx.http,
        press,
        &render::render(&reply),
        Patience::for_reply(&reply),
    )
    .await;
    log_answer("button", &reply, started, &outcome);
}

fn log_answer(
    kind: &'static str,
    reply: &bot_core::Reply,
    started: Instant,
    outcome: &Result<(), serenity::Error>,
) {
    let ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => {
            send::record_latency(started);
            tracing::info!(kind, intent = %reply.intent, urgent = reply.urgent, ms, "answered")
        }
        Err(e) => {
            tracing::warn!(kind, intent = %reply.intent, urgent = reply.urgent, ms, error = %error::describe(e), "answer not delivered")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_of_the_bot_are_stripped() {
        let bot = serenity::UserId::new(42);
        assert_eq!(
            strip_mention("<@42> find a meeting tonight", bot),
            "find a meeting tonight"
        );
        assert_eq!(strip_mention("hey <@!42>  help", bot), "hey help");
        assert_eq!(strip_mention("<@43> hi <@42>", bot), "<@43> hi");
    }
}
