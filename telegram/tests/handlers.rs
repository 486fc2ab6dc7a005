//! Handler tests: the adapter running against the fake Bot API (teloxide's rate limiter off, so nothing
//! waits a second between messages). The end-to-end test in `end_to_end.rs` runs with it on.

mod support;

use bot_core::{Block, BlockKind, FollowUp, Span};
use serde_json::json;
use support::{BOT_ID, BOT_USERNAME, Failure, button, buttons, dm, group, start};

#[tokio::test]
async fn commands_are_registered_and_each_command_is_answered() {
    let run = start(false).await;
    let registered = run.fake.calls_of("setmycommands");
    // The default list, then the Spanish one for people whose app is in Spanish.
    assert_eq!(registered.len(), 2);
    assert!(registered[0].body.get("language_code").is_none());
    assert_eq!(registered[1].body["language_code"], "es");
    let spanish = registered[1].body["commands"].as_array().unwrap();
    let spanish_crisis = spanish.iter().find(|c| c["command"] == "crisis").unwrap();
    assert!(
        spanish_crisis["description"]
            .as_str()
            .unwrap()
            .starts_with("Líneas de crisis")
    );
    let commands = registered[0].body["commands"].as_array().unwrap().clone();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    for name in [
        "start",
        "help",
        "crisis",
        "overdose",
        "meeting",
        "principle",
        "remind",
        "forget",
    ] {
        assert!(names.contains(&name), "/{name} not registered: {names:?}");
    }
    assert!(
        commands
            .iter()
            .all(|c| !c["description"].as_str().unwrap().is_empty())
    );

    // Each command in its own chat, all at once.
    let commands = [
        "/start",
        "/help",
        "/crisis",
        "/overdose",
        "/meeting",
        "/principle",
        "/remind 8:00 Europe/London",
        "/forget",
    ];
    for (i, command) in commands.iter().enumerate() {
        run.fake.push(dm(100 + i as i64, command));
    }
    for (i, command) in commands.iter().enumerate() {
        let chat = 100 + i as i64;
        let sent = run.fake.wait_for_sends(chat, 1).await;
        let expected = run.responder.reply_to(command);
        let first = &sent[0];
        assert_eq!(first.body["parse_mode"], "HTML", "{command}");
        assert!(!first.text().is_empty(), "{command}");
        // The first words of the core's reply arrive (HTML aside).
        let plain = expected.plain_text();
        let opening: String = plain.chars().take(12).collect();
        let shown = telegram::render::html_to_plain(first.text());
        assert!(
            shown.starts_with(&opening),
            "{command}: {shown:?} vs {opening:?}"
        );
    }
    let start_reply = run.fake.sent_to(100);
    assert!(
        start_reply.iter().any(|c| c.text().contains("988")),
        "/start names the crisis line"
    );
    assert!(run.fake.sent_to(102)[0].text().contains("988"), "/crisis");
    run.stop().await.unwrap();
}

#[tokio::test]
async fn a_crisis_in_a_direct_message_gets_the_crisis_lines_first() {
    let run = start(false).await;
    run.fake.push(dm(201, "I want to kill myself tonight"));
    let sent = run.fake.wait_for_sends(201, 1).await;
    let first = sent[0].text();
    assert!(first.contains("988"), "{first}");
    assert!(
        sent[0].body.get("reply_parameters").is_none(),
        "no reply threading in DMs"
    );
    assert_eq!(
        sent[0].body["link_preview_options"]["is_disabled"],
        json!(true)
    );
    assert!(
        run.responder
            .reply_to("I want to kill myself tonight")
            .urgent
    );
    run.stop().await.unwrap();
}

#[tokio::test]
async fn a_crisis_in_a_group_is_answered_when_addressed_and_unaddressed_talk_is_ignored() {
    let run = start(false).await;
    let chat = -300;
    // Not addressed: ignored.
    run.fake.push(group(
        chat,
        10,
        7,
        "what is everyone doing tonight",
        json!([]),
    ));
    // A mention, with a crisis in it.
    let mention = format!("@{BOT_USERNAME} I want to end my life");
    run.fake.push(group(
        chat,
        11,
        7,
        &mention,
        json!([{"type": "mention", "offset": 0, "length": BOT_USERNAME.len() + 1}]),
    ));
    let sent = run.fake.wait_for_sends(chat, 1).await;
    assert!(sent[0].text().contains("988"));
    assert_eq!(sent[0].body["reply_parameters"]["message_id"], json!(11));
    // Updates of one chat are handled in order: the first was done with before the second.
    assert_eq!(run.responder.seen_texts(), vec!["I want to end my life"]);

    // /crisis@this_bot and a reply to the bot are answered; /help@other_bot is not.
    run.fake
        .push(group(chat, 12, 8, "/help@other_bot", json!([])));
    run.fake.push(group(
        chat,
        13,
        8,
        &format!("/crisis@{BOT_USERNAME}"),
        json!([]),
    ));
    let mut reply = group(chat, 14, 9, "yes, the meetings", json!([]));
    reply["message"]["reply_to_message"] = json!({
        "message_id": 5, "date": 0, "chat": {"id": chat, "type": "supergroup", "title": "Group"},
        "from": {"id": BOT_ID, "is_bot": true, "first_name": "Recovery"}, "text": "earlier"
    });
    run.fake.push(reply);
    let sent = run.fake.wait_for_sends(chat, 3).await;
    assert_eq!(sent.len(), 3);
    assert!(sent[1].text().contains("988"), "/crisis answered");
    assert_eq!(sent[2].body["reply_parameters"]["message_id"], json!(14));
    assert_eq!(
        run.responder.seen_texts(),
        vec![
            "I want to end my life".to_string(),
            format!("/crisis@{BOT_USERNAME}"),
            "yes, the meetings".to_string()
        ]
    );
    run.stop().await.unwrap();
}

#[tokio::test]
async fn in_a_group_a_reminder_request_says_whether_the_sender_is_an_admin() {
    let run = start(false).await;
    let chat = -400;
    run.fake.make_admin(chat, 1);
    let command = format!("/remind@{BOT_USERNAME} 8am Europe/London");
    run.fake.push(group(chat, 20, 1, &command, json!([])));
    run.fake.push(group(chat, 21, 2, &command, json!([])));
    // Not a reminder request: Telegram is not asked.
    run.fake.push(group(
        chat,
        22,
        2,
        &format!("/help@{BOT_USERNAME}"),
        json!([]),
    ));
    run.fake.push(dm(5, "remind me every day at 8am"));
    run.fake.wait_for_sends(chat, 3).await;
    run.fake.wait_for_sends(5, 1).await;
    // Chats are handled concurrently: compare in the order of the group's messages.
    let mut seen: Vec<(String, String, Option<bool>)> = run
        .responder
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| (m.chat.id.clone(), m.text.clone(), m.sender_manages_chat))
        .collect();
    seen.sort_by_key(|(chat, _, _)| chat != "-400");
    let flags: Vec<_> = seen.iter().map(|(_, _, flag)| *flag).collect();
    assert_eq!(flags, vec![Some(true), Some(false), None, None], "{seen:?}");
    let asked: Vec<_> = run
        .fake
        .calls_of("getchatmember")
        .iter()
        .map(|c| (c.body["chat_id"].clone(), c.body["user_id"].clone()))
        .collect();
    assert_eq!(
        asked,
        vec![(json!(chat), json!(1)), (json!(chat), json!(2))]
    );
    run.stop().await.unwrap();
}

#[tokio::test]
async fn hostile_text_is_escaped() {
    let run = start(false).await;
    let mut reply = run.responder.reply_to("hello");
    reply.blocks = vec![Block {
        kind: BlockKind::Paragraph,
        spans: vec![
            Span::Text {
                text: "<b>&\"' <a href=\"x\">".into(),
            },
            Span::Strong {
                text: "</b>".into(),
            },
        ],
    }];
    reply.follow_ups.clear();
    run.responder.script("echo", reply);
    run.fake.push(dm(401, "echo"));
    let sent = run.fake.wait_for_sends(401, 1).await;
    assert_eq!(
        sent[0].text(),
        "&lt;b&gt;&amp;\"' &lt;a href=\"x\"&gt;<b>&lt;/b&gt;</b>"
    );
    assert_eq!(sent[0].body["parse_mode"], "HTML");
    run.stop().await.unwrap();
}

#[tokio::test]
async fn refused_html_is_sent_again_as_plain_text() {
    let run = start(false).await;
    run.fake.fail_next(402, Failure::BadHtml);
    run.fake.push(dm(402, "/crisis"));
    let sent = run.fake.wait_for_sends(402, 1).await;
    assert!(sent[0].body.get("parse_mode").is_none());
    assert!(sent[0].text().contains("988") && !sent[0].text().contains("<b>"));
    run.stop().await.unwrap();
}

#[tokio::test]
async fn rate_limits_and_unreadable_answers_are_retried_and_delivered_once() {
    // Without teloxide's rate limiter, the adapter waits out retry_after itself.
    let run = start(false).await;
    run.fake.fail_next(403, Failure::RetryAfter(1));
    run.fake.fail_next(403, Failure::Garbage);
    run.fake.push(dm(403, "/crisis"));
    let sent = run.fake.wait_for_sends(403, 1).await;
    assert_eq!(
        run.fake.attempts_to(403).len(),
        3,
        "429, unreadable, then sent"
    );
    assert_eq!(sent.len(), 1, "delivered once");
    assert!(sent[0].text().contains("988"));
    run.stop().await.unwrap();
}

#[tokio::test]
async fn a_long_reply_is_split_in_order_with_buttons_under_the_last_message() {
    let run = start(false).await;
    let mut reply = run.responder.reply_to("/principle");
    assert!(!reply.follow_ups.is_empty());
    reply.blocks = (0..100)
        .map(|i| {
            Block::plain(
                BlockKind::Paragraph,
                format!("{i:03} {}", "word ".repeat(20)),
            )
        })
        .collect();
    run.responder.script("long", reply.clone());
    run.fake.push(dm(501, "long"));
    let expected = telegram::render::render_messages(&reply);
    assert!(expected.len() >= 3);
    let sent = run.fake.wait_for_sends(501, expected.len()).await;
    assert_eq!(sent.len(), expected.len());
    for (i, (call, html)) in sent.iter().zip(&expected).enumerate() {
        assert_eq!(call.text(), html);
        assert!(telegram::render::message_len(call.text()) <= 4096);
        assert_eq!(
            call.body.get("reply_markup").is_some(),
            i == expected.len() - 1,
            "buttons only under the last message"
        );
    }
    assert!(sent[0].text().starts_with("000 "));
    run.stop().await.unwrap();
}

#[tokio::test]
async fn a_button_press_is_answered_and_sent_as_the_follow_up_message() {
    let run = start(false).await;
    run.fake.push(dm(601, "/principle"));
    let sent = run.fake.wait_for_sends(601, 1).await;
    let keyboard = buttons(sent.last().unwrap());
    assert!(!keyboard.is_empty(), "follow-ups shown as buttons");
    let expected_follow_ups = run.responder.reply_to("/principle").follow_ups;
    assert_eq!(
        keyboard
            .iter()
            .map(|(label, _)| label.clone())
            .collect::<Vec<_>>(),
        expected_follow_ups
            .iter()
            .map(|f| f.label.clone())
            .collect::<Vec<_>>()
    );
    let (_, data) = &keyboard[0];
    assert!(data.len() <= 64);

    run.fake.push(button(601, "q-1", data));
    let sent = run.fake.wait_for_sends(601, 2).await;
    let answered = run.fake.calls_of("answercallbackquery");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].body["callback_query_id"], "q-1");
    assert!(
        answered[0].at <= sent[1].at,
        "the query is answered before the reply"
    );
    assert_eq!(
        run.responder.seen_texts().last().unwrap(),
        &expected_follow_ups[0].message
    );
    run.stop().await.unwrap();
}

#[tokio::test]
async fn long_follow_ups_travel_by_hash_and_expire_politely() {
    let run = start(false).await;
    let long_message = format!("explain {}", "the hope principle ".repeat(5));
    assert!(long_message.len() > 62);
    let mut reply = run.responder.reply_to("/principle");
    reply.follow_ups = vec![FollowUp {
        label: "More".into(),
        message: long_message.clone(),
    }];
    run.responder.script("offer", reply);
    run.fake.push(dm(602, "offer"));
    let sent = run.fake.wait_for_sends(602, 1).await;
    let (_, data) = buttons(&sent[0]).remove(0);
    assert!(data.starts_with("h:") && data.len() <= 64);

    run.fake.push(button(602, "q-2", &data));
    run.fake.wait_for_sends(602, 2).await;
    assert_eq!(run.responder.seen_texts().last().unwrap(), &long_message);

    // A hash this process never made (a button from before a restart).
    run.fake.push(button(602, "q-3", "h:0123456789abcdef"));
    let calls = run
        .fake
        .wait_until("the expired button's answer", |calls| {
            calls
                .iter()
                .any(|c| c.method == "answercallbackquery" && c.body["callback_query_id"] == "q-3")
        })
        .await;
    let expired = calls
        .iter()
        .find(|c| c.body["callback_query_id"] == "q-3")
        .unwrap();
    assert!(expired.body["text"].as_str().unwrap().contains("expired"));
    run.stop().await.unwrap();
}

#[tokio::test]
async fn a_shared_location_searches_meetings_near_it() {
    let run = start(false).await;
    run.fake.push(json!({"message": {
        "message_id": 1, "date": 0,
        "chat": {"id": 701, "type": "private", "first_name": "P"},
        "from": {"id": 701, "is_bot": false, "first_name": "P"},
        "location": {"latitude": 40.7128, "longitude": -74.006}
    }}));
    run.fake.wait_for_sends(701, 1).await;
    let seen = run.responder.seen.lock().unwrap().clone();
    assert_eq!(seen[0].text, "/meeting");
    let at = seen[0].location.expect("coordinates passed on");
    assert!((at.latitude - 40.7128).abs() < 1e-9 && (at.longitude + 74.006).abs() < 1e-9);
    drop(seen);
    run.stop().await.unwrap();
}

#[tokio::test]
async fn blocking_the_bot_stops_all_sending_to_that_chat() {
    let run = start(false).await;
    // The person blocks the bot: Telegram says so with a my_chat_member update.
    run.fake.push(json!({"my_chat_member": {
        "chat": {"id": 801, "type": "private", "first_name": "P"},
        "from": {"id": 801, "is_bot": false, "first_name": "P"},
        "date": 0,
        "old_chat_member": {"user": {"id": BOT_ID, "is_bot": true, "first_name": "R"}, "status": "member"},
        "new_chat_member": {"user": {"id": BOT_ID, "is_bot": true, "first_name": "R"}, "status": "kicked", "until_date": 0}
    }}));
    run.responder.wait_unreachable("801").await;

    let reminder = run.responder.reply_to("/principle");
    assert_eq!(
        run.outbox.send("801", &reminder).await,
        Err(bot_core::DeliveryError::Unreachable)
    );
    assert!(run.fake.attempts_to(801).is_empty(), "nothing sent");
    assert!(run.outbox.is_unreachable("801"));

    // They unblock and write: reachable again.
    run.fake.push(dm(801, "/start"));
    run.fake.wait_for_sends(801, 1).await;
    assert!(!run.outbox.is_unreachable("801"));
    assert_eq!(run.outbox.send("801", &reminder).await, Ok(()));
    run.stop().await.unwrap();
}

#[tokio::test]
async fn outbox_rejects_ids_that_are_not_telegram_chats() {
    let run = start(false).await;
    let reply = run.responder.reply_to("/help");
    assert!(matches!(
        run.outbox.send("not-a-number", &reply).await,
        Err(bot_core::DeliveryError::Permanent(_))
    ));
    run.stop().await.unwrap();
}
