//! Sending rendered messages: as a reply to a message, into a channel, or as an interaction's answer.

use poise::serenity_prelude as serenity;

use crate::render::Outgoing;

/// Sends `messages` in the channel of `to`, the first as a reply to it (never failing because the message
/// was deleted meanwhile, never pinging its author).
pub async fn reply_to(
    http: &serenity::Http,
    to: &serenity::Message,
    messages: &[Outgoing],
) -> Result<(), serenity::Error> {
    for (i, message) in messages.iter().enumerate() {
        let mut builder = message.create_message();
        if i == 0 {
            let reference = serenity::MessageReference::from(to).fail_if_not_exists(false);
            builder = builder.reference_message(reference);
        }
        to.channel_id.send_message(http, builder).await?;
    }
    Ok(())
}

/// Sends `messages` into `channel`, in order.
pub async fn to_channel(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    messages: &[Outgoing],
) -> Result<(), serenity::Error> {
    for message in messages {
        channel.send_message(http, message.create_message()).await?;
    }
    Ok(())
}

/// Sends `messages` to a user's direct messages.
pub async fn to_user(
    http: &serenity::Http,
    user: serenity::UserId,
    messages: &[Outgoing],
) -> Result<(), serenity::Error> {
    let channel = user.create_dm_channel(http).await?;
    to_channel(http, channel.id, messages).await
}

/// Answers a button press with `messages`: the first as the interaction's response, the rest as
/// follow-ups.
pub async fn answer_component(
    http: &serenity::Http,
    interaction: &serenity::ComponentInteraction,
    messages: &[Outgoing],
) -> Result<(), serenity::Error> {
    for (i, message) in messages.iter().enumerate() {
        if i == 0 {
            let response =
                serenity::CreateInteractionResponse::Message(message.interaction_message());
            interaction.create_response(http, response).await?;
        } else {
            interaction
                .create_followup(http, message.followup(false))
                .await?;
        }
    }
    Ok(())
}
