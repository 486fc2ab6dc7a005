//! End to end against a fake Discord on 127.0.0.1 (tests/support): the real adapter, the real core, real
//! HTTP and websocket traffic. Every wait is bounded (support::PATIENCE), and every test ends by resolving
//! the shutdown future and waiting for `run` to return.

mod support;

use bot_core::{ChatKind, ChatRef, Platform};
use discord::{DiscordConfig, Outbox, SettingsStore, WatchSettings};
use serde_json::{Value, json};
use support::{BOT, CHANNEL, Call, DM_OFFSET, GUILD, PERSON, Running};

fn person_chat(user: u64) -> ChatRef {
    ChatRef::new(Platform::Discord, user.to_string(), ChatKind::Direct)
}

fn text_of(body: &Value) -> String {
    // A channel message or a follow-up has `content`; an interaction callback has `data.content`.
    let content = body["content"]
        .as_str()
        .or_else(|| body["data"]["content"].as_str());
    content.unwrap_or_default().to_string()
}

fn no_mentions_allowed(body: &Value) -> bool {
    let mentions = if body["allowed_mentions"].is_object() {
        &body["allowed_mentions"]
    } else {
        &body["data"]["allowed_mentions"]
    };
    mentions["parse"] == json!([])
        && mentions["roles"].as_array().is_none_or(|r| r.is_empty())
        && mentions["users"].as_array().is_none_or(|u| u.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_is_answered_at_once_and_visibly() {
    let bot = Running::start().await;
    // The commands were registered from the menu, with their descriptions.
    let registered = bot.fake.request("PUT", "/commands", |b| b.is_array()).await;
    let names: Vec<&str> = registered
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for name in [
        "crisis",
        "overdose",
        "meeting",
        "principle",
        "remind",
        "forget",
        "help",
        "setup",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }

    let id = bot.fake.new_id();
    bot.fake.push(
        "INTERACTION_CREATE",
        support::command_event(id, "crisis", json!([]), CHANNEL, Some(GUILD), PERSON, 0),
    );
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert_eq!(
        callback.body["type"], 4,
        "answered with a message, not deferred"
    );
    let text = text_of(&callback.body);
    assert!(text.contains("988"), "{text}");
    let flags = callback.body["data"]["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 0, "not ephemeral");
    assert!(
        callback.body["data"]["embeds"]
            .as_array()
            .is_none_or(|e| e.is_empty()),
        "crisis is never an embed"
    );
    assert!(no_mentions_allowed(&callback.body), "{:#}", callback.body);
    assert!(
        bot.core
            .calls()
            .contains(&Call::Respond(person_chat(PERSON), "/crisis".into())),
        "{:?}",
        bot.core.calls()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_options_reach_the_core_as_words_and_come_back_as_an_embed() {
    let bot = Running::start().await;
    let id = bot.fake.new_id();
    // Choices are integers (their index, as registered); free options are strings.
    let registered = bot.fake.request("PUT", "/commands", |b| b.is_array()).await;
    let meeting = registered
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "meeting")
        .unwrap()
        .clone();
    assert_eq!(
        meeting["options"][0]["choices"][1]["name"], "tonight",
        "{meeting:#}"
    );
    let options = json!([
        {"name": "day", "type": 4, "value": 1},
        {"name": "type", "type": 3, "value": "women"},
        {"name": "online", "type": 4, "value": 0},
        {"name": "place", "type": 3, "value": "Tustin"},
    ]);
    bot.fake.push(
        "INTERACTION_CREATE",
        support::command_event(id, "meeting", options, CHANNEL, Some(GUILD), PERSON, 0),
    );
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert!(
        bot.core.calls().contains(&Call::Respond(
            person_chat(PERSON),
            "/meeting tonight women online near Tustin".into()
        )),
        "{:?}",
        bot.core.calls()
    );
    let embeds = callback.body["data"]["embeds"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(embeds.len(), 1, "{:#}", callback.body);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_message_crisis_is_answered_with_988() {
    let bot = Running::start().await;
    let dm_channel = PERSON + DM_OFFSET;
    let id = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(id, dm_channel, None, PERSON, "i want to kill myself", &[]),
    );
    let sent = bot
        .fake
        .request("POST", &format!("/channels/{dm_channel}/messages"), |_| {
            true
        })
        .await;
    let text = text_of(&sent.body);
    assert!(text.contains("988"), "{text}");
    assert!(sent.body["embeds"].as_array().is_none_or(|e| e.is_empty()));
    assert!(no_mentions_allowed(&sent.body), "{:#}", sent.body);
    assert_eq!(
        bot.core.calls(),
        vec![Call::Respond(
            person_chat(PERSON),
            "i want to kill myself".into()
        )]
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_reply_is_sent_again_through_server_errors_and_posted_once() {
    let dm_channel = PERSON + DM_OFFSET;
    let bot = Running::start_with(|fake| fake.fail_channel_for_now(dm_channel, 3)).await;
    let id = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(id, dm_channel, None, PERSON, "i want to kill myself", &[]),
    );
    let path = format!("/channels/{dm_channel}/messages");
    let tries = bot
        .fake
        .until("four tries of the reply", |fake| {
            let tries: Vec<_> = fake
                .requests()
                .into_iter()
                .filter(|r| r.method == "POST" && r.path.ends_with(&path))
                .collect();
            (tries.len() >= 4).then_some(tries)
        })
        .await;
    assert_eq!(tries.len(), 4, "three 500s, then one that went through");
    assert!(text_of(&tries[3].body).contains("988"));
    // Every try is the same message under the same nonce, which Discord enforces: never posted twice.
    let nonce = &tries[0].body["nonce"];
    assert!(nonce.is_string(), "{:#}", tries[0].body);
    for t in &tries {
        assert_eq!(&t.body["nonce"], nonce);
        assert_eq!(t.body["enforce_nonce"], true);
        assert_eq!(t.body["content"], tries[0].body["content"]);
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_in_a_server_is_answered_as_a_reply_without_pings() {
    let bot = Running::start().await;
    let id = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(
            id,
            CHANNEL,
            Some(GUILD),
            PERSON,
            &format!("<@{BOT}> how do I use this? @everyone"),
            &[BOT],
        ),
    );
    let sent = bot
        .fake
        .request("POST", &format!("/channels/{CHANNEL}/messages"), |_| true)
        .await;
    assert_eq!(sent.body["message_reference"]["message_id"], id.to_string());
    assert_eq!(sent.body["message_reference"]["fail_if_not_exists"], false);
    assert!(no_mentions_allowed(&sent.body), "{:#}", sent.body);
    assert!(!text_of(&sent.body).is_empty());
    assert_eq!(
        bot.core.calls(),
        vec![Call::Respond(
            person_chat(PERSON),
            "how do I use this? @everyone".into()
        )],
        "the mention is stripped, the person's chat is theirs"
    );
    // A server message that does not mention the bot, in a channel nobody watches, is not even read.
    let other = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(other, CHANNEL, Some(GUILD), PERSON, "i want to die", &[]),
    );
    let marker = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(
            marker,
            CHANNEL,
            Some(GUILD),
            PERSON,
            &format!("<@{BOT}> thanks"),
            &[BOT],
        ),
    );
    bot.core
        .until("the second mention", |calls| calls.len() == 2)
        .await;
    assert!(
        !bot.core
            .calls()
            .iter()
            .any(|c| matches!(c, Call::Classify(_)))
    );
    bot.stop().await;
}

const WATCHED: u64 = 4100;
const ALERTS: u64 = 4200;
const ROLE: u64 = 4300;
const ADMIN: u64 = 4400;

fn watch_settings() -> WatchSettings {
    WatchSettings {
        watched: [WATCHED].into(),
        alert_channel: Some(ALERTS),
        alert_role: Some(ROLE),
        configured_by: Some(ADMIN),
        problem_reported: false,
    }
}

async fn configure(store: &SettingsStore) {
    store.put(GUILD, &watch_settings()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_watch_replies_gently_and_alerts_the_role_without_the_text() {
    let bot = Running::start().await;
    configure(&bot.store).await;

    let words = "I can't do this anymore, I want to end my life tonight";
    let benign = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(
            benign,
            WATCHED,
            Some(GUILD),
            PERSON,
            "anyone up for coffee later?",
            &[],
        ),
    );
    let id = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(id, WATCHED, Some(GUILD), PERSON, words, &[]),
    );

    let alert = bot
        .fake
        .request("POST", &format!("/channels/{ALERTS}/messages"), |_| true)
        .await;
    let text = text_of(&alert.body);
    assert!(text.starts_with(&format!("<@&{ROLE}>")), "{text}");
    assert!(
        text.contains(&format!(
            "https://discord.com/channels/{GUILD}/{WATCHED}/{id}"
        )),
        "{text}"
    );
    assert!(
        !text.contains("end my life") && !text.contains("anymore"),
        "no text copied: {text}"
    );
    assert!(
        !text.contains(&PERSON.to_string()),
        "the author is not named: {text}"
    );
    assert_eq!(
        alert.body["allowed_mentions"],
        json!({"parse": [], "users": [], "roles": [ROLE.to_string()]}),
        "only the role may be pinged"
    );

    let reply = bot
        .fake
        .request("POST", &format!("/channels/{WATCHED}/messages"), |_| true)
        .await;
    assert!(text_of(&reply.body).contains("988"), "{:#}", reply.body);
    assert_eq!(
        reply.body["message_reference"]["message_id"],
        id.to_string()
    );
    assert!(no_mentions_allowed(&reply.body));

    // Both messages were classified; the only reply asked was `/crisis`, in the channel's chat, never the
    // person's words in their own chat.
    bot.core
        .until("both messages classified", |calls| {
            calls
                .iter()
                .filter(|c| matches!(c, Call::Classify(_)))
                .count()
                == 2
        })
        .await;
    let responds: Vec<Call> = bot
        .core
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Respond(..)))
        .collect();
    let channel_chat = ChatRef::new(Platform::Discord, WATCHED.to_string(), ChatKind::Group);
    assert_eq!(
        responds,
        vec![Call::Respond(channel_chat, "/crisis".into())]
    );
    let replies_in_channel = bot
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path.ends_with(&format!("/channels/{WATCHED}/messages"))
        })
        .count();
    assert_eq!(replies_in_channel, 1, "the coffee message got no reply");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_watch_tells_the_admin_once_when_it_cannot_post_alerts() {
    let bot = Running::start_with(|fake| fake.fail_channel(ALERTS, 50013)).await;
    let store = bot.store.clone();
    configure(&store).await;

    for person in [PERSON, PERSON + 1] {
        let id = bot.fake.new_id();
        bot.fake.push(
            "MESSAGE_CREATE",
            support::message_event(
                id,
                WATCHED,
                Some(GUILD),
                person,
                "i am going to kill myself",
                &[],
            ),
        );
    }
    let admin_dm = ADMIN + DM_OFFSET;
    let told = bot
        .fake
        .request("POST", &format!("/channels/{admin_dm}/messages"), |_| true)
        .await;
    assert!(
        text_of(&told.body).contains("missing a permission"),
        "{:#}",
        told.body
    );
    bot.fake
        .until("two alert attempts", |fake| {
            let attempts = fake
                .requests()
                .iter()
                .filter(|r| r.path.ends_with(&format!("/channels/{ALERTS}/messages")))
                .count();
            (attempts == 2).then_some(())
        })
        .await;
    bot.core
        .until("settings marked as reported", |_| {
            store
                .get(GUILD)
                .unwrap()
                .is_some_and(|s| s.problem_reported)
        })
        .await;
    let admin_messages = bot
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(&format!("/channels/{admin_dm}/messages")))
        .count();
    assert_eq!(admin_messages, 1, "told once");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_is_answered_as_if_typed() {
    let bot = Running::start().await;
    let id = bot.fake.new_id();
    bot.fake.push(
        "INTERACTION_CREATE",
        support::button_event(id, "rb:principle of the day", CHANNEL, Some(GUILD), PERSON),
    );
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert_eq!(callback.body["type"], 4);
    assert!(no_mentions_allowed(&callback.body), "{:#}", callback.body);
    assert_eq!(
        bot.core.calls(),
        vec![Call::Respond(
            person_chat(PERSON),
            "principle of the day".into()
        )]
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_direct_messages_50007_are_told_in_the_channel_and_pause_reminders() {
    let bot = Running::start_with(|fake| fake.fail_channel(PERSON + DM_OFFSET, 50007)).await;
    let id = bot.fake.new_id();
    let options = json!([
        {"name": "time", "type": 3, "value": "8am"},
        {"name": "zone", "type": 3, "value": "Europe/London"},
    ]);
    bot.fake.push(
        "INTERACTION_CREATE",
        support::command_event(id, "remind", options, CHANNEL, Some(GUILD), PERSON, 0),
    );
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert_eq!(
        callback.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "only they see their reminder"
    );
    let told = bot
        .fake
        .request(
            "POST",
            &format!("/webhooks/{}/token-{id}", support::APP),
            |b| text_of(b).contains("direct messages"),
        )
        .await;
    assert_eq!(
        told.body["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "{:#}",
        told.body
    );
    bot.core
        .until("unreachable", |calls| {
            calls.contains(&Call::Unreachable(person_chat(PERSON)))
        })
        .await;
    assert!(bot.core.calls().contains(&Call::Respond(
        person_chat(PERSON),
        "/remind 8am Europe/London".into()
    )));

    // The outbox says the same to the reminder scheduler, and delivers to people whose DMs are open.
    let mut config = DiscordConfig::new("fake-token");
    config.proxy_url = Some(bot.fake.proxy_url());
    let outbox = Outbox::new(&config);
    let reply = bot_core::Core::embedded().unwrap().respond(
        "principle of the day",
        &bot_core::ChatContext::new(
            Platform::Discord,
            chrono::NaiveDate::from_ymd_opt(2025, 9, 15).unwrap(),
        ),
    );
    assert_eq!(
        outbox.send(&PERSON.to_string(), &reply).await,
        Err(bot_core::DeliveryError::Unreachable)
    );
    assert_eq!(
        outbox.clone().send(&(PERSON + 1).to_string(), &reply).await,
        Ok(())
    );
    bot.fake
        .request(
            "POST",
            &format!("/channels/{}/messages", PERSON + 1 + DM_OFFSET),
            |_| true,
        )
        .await;
    assert!(matches!(
        outbox.send("not-an-id", &reply).await,
        Err(bot_core::DeliveryError::Permanent(_))
    ));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_message_content_intent_the_bot_reconnects_and_still_answers() {
    let bot = Running::start_with(|fake| fake.refuse_message_content()).await;
    let identifies = bot.fake.identifies();
    assert_eq!(identifies.len(), 2, "{identifies:?}");
    let message_content = 1 << 15;
    assert_ne!(
        identifies[0]["intents"].as_u64().unwrap() & message_content,
        0
    );
    assert_eq!(
        identifies[1]["intents"].as_u64().unwrap() & message_content,
        0
    );
    let dm_channel = PERSON + DM_OFFSET;
    let id = bot.fake.new_id();
    bot.fake.push(
        "MESSAGE_CREATE",
        support::message_event(id, dm_channel, None, PERSON, "hello", &[]),
    );
    bot.fake
        .request("POST", &format!("/channels/{dm_channel}/messages"), |_| {
            true
        })
        .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_needs_manage_server_and_stores_the_settings() {
    let bot = Running::start().await;
    let store = bot.store.clone();
    let watch = |id| {
        support::command_event(
            id,
            "setup",
            json!([{"name": "watch", "type": 1, "options": [
                {"name": "channel", "type": 7, "value": WATCHED.to_string()}
            ]}]),
            CHANNEL,
            Some(GUILD),
            ADMIN,
            0,
        )
    };
    // Without Manage Server: refused, nothing stored.
    let id = bot.fake.new_id();
    let mut event = watch(id);
    event["data"]["resolved"] = json!({"channels": {WATCHED.to_string(): {"id": WATCHED.to_string(), "name": "support", "type": 0, "permissions": "0"}}});
    bot.fake.push("INTERACTION_CREATE", event);
    let refused = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert!(
        text_of(&refused.body).contains("Manage Server"),
        "{:#}",
        refused.body
    );
    assert_eq!(store.get(GUILD).unwrap(), None);

    // With it (permission bit 1 << 5): stored.
    let id = bot.fake.new_id();
    let mut event = watch(id);
    event["member"]["permissions"] = json!((1u64 << 5).to_string());
    event["data"]["resolved"] = json!({"channels": {WATCHED.to_string(): {"id": WATCHED.to_string(), "name": "support", "type": 0, "permissions": "0"}}});
    bot.fake.push("INTERACTION_CREATE", event);
    let saved = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert_eq!(saved.body["data"]["flags"].as_u64().unwrap_or(0) & 64, 64);
    assert!(
        text_of(&saved.body).contains(&format!("<#{WATCHED}>")),
        "{:#}",
        saved.body
    );
    let settings = store.get(GUILD).unwrap().unwrap();
    assert!(settings.watches(WATCHED));
    assert_eq!(settings.configured_by, Some(ADMIN));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principle_names_autocomplete_from_the_menu() {
    let bot = Running::start().await;
    let id = bot.fake.new_id();
    let mut event = support::command_event(
        id,
        "principle",
        json!([{"name": "name", "type": 3, "value": "hop", "focused": true}]),
        CHANNEL,
        None,
        PERSON,
        0,
    );
    event["type"] = json!(4);
    bot.fake.push("INTERACTION_CREATE", event);
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert_eq!(callback.body["type"], 8, "{:#}", callback.body);
    let choices: Vec<&str> = callback.body["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["value"].as_str())
        .collect();
    assert!(!choices.is_empty() && choices.len() <= 25, "{choices:?}");
    assert!(
        choices.iter().all(|c| c.to_lowercase().contains("hop")),
        "{choices:?}"
    );
    assert!(
        bot.core.calls().is_empty(),
        "autocomplete asks nothing of the core"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_a_private_command_is_answered_visibly() {
    let bot = Running::start().await;
    let id = bot.fake.new_id();
    let options = json!([{"name": "zone", "type": 3, "value": "i want to kill myself"}]);
    bot.fake.push(
        "INTERACTION_CREATE",
        support::command_event(id, "remind", options, CHANNEL, Some(GUILD), PERSON, 0),
    );
    let callback = bot
        .fake
        .request(
            "POST",
            &format!("/interactions/{id}/token-{id}/callback"),
            |_| true,
        )
        .await;
    assert!(
        text_of(&callback.body).contains("988"),
        "{:#}",
        callback.body
    );
    let flags = callback.body["data"]["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 0, "a crisis reply is never hidden away");
    bot.stop().await;
}
