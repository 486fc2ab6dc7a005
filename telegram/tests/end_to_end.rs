//! End to end: the real adapter, configured as `recovery-bot serve` configures it (long polling,
//! teloxide's rate limiter on), against a fake Bot API on 127.0.0.1.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{Failure, FakeApi, TOKEN, dm, start};
use telegram::{TelegramConfig, Webhook};

#[tokio::test]
async fn the_adapter_answers_survives_failures_and_stops_on_shutdown() {
    let run = start(true).await;
    let fake = &run.fake;

    // Start-up: the webhook check, getMe, the command menu, then long polling.
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    let position = |m: &str| methods.iter().position(|x| x == m);
    assert!(position("getme").unwrap() < position("getupdates").unwrap());
    assert!(position("setmycommands").unwrap() < position("getupdates").unwrap());
    assert!(position("getwebhookinfo").is_some());

    // 1. A crisis message gets a reply with 988.
    fake.push(dm(11, "I don't want to be alive anymore"));
    let sent = fake.wait_for_sends(11, 1).await;
    assert!(sent[0].text().contains("988"), "{}", sent[0].text());

    // 2. 429 with retry_after 1, then success: delivered exactly once.
    fake.fail_next(12, Failure::RetryAfter(1));
    fake.push(dm(12, "/crisis"));
    let sent = fake.wait_for_sends(12, 1).await;
    assert_eq!(fake.attempts_to(12).len(), 2, "one 429, one retry");
    assert_eq!(sent.len(), 1, "delivered once");
    let attempts = fake.attempts_to(12);
    assert!(
        attempts[1].at.duration_since(attempts[0].at) >= Duration::from_secs(1),
        "retry_after honoured"
    );

    // 3. 403 "bot was blocked by the user": the responder hears of it, nothing more is sent.
    fake.block(13);
    fake.push(dm(13, "find a meeting tonight"));
    run.responder.wait_unreachable("13").await;
    assert_eq!(fake.attempts_to(13).len(), 1);
    let reminder = run.responder.reply_to("/principle");
    assert_eq!(
        run.outbox.send("13", &reminder).await,
        Err(bot_core::DeliveryError::Unreachable)
    );
    assert_eq!(fake.attempts_to(13).len(), 1, "no further sends");

    // 4. A malformed update is skipped; the next one in the same chat is answered.
    fake.push(json!({"message": {"message_id": "not a number", "chat": {"id": 14}}}));
    fake.push(json!({"message": 42}));
    fake.push(dm(14, "/help"));
    let sent = fake.wait_for_sends(14, 1).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(run.responder.seen_texts().last().unwrap(), "/help");

    // 5. Shutdown: run() returns by itself, cleanly.
    run.stop().await.unwrap();
}

#[tokio::test]
async fn the_free_run_function_stops_even_before_it_started() {
    let fake = FakeApi::start().await;
    let responder = support::TestResponder::new();
    let menu = responder.menu();
    // Shutdown already asked for: run() returns without serving.
    telegram::run(
        support::config(&fake, true),
        responder,
        menu,
        std::future::ready(()),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refused_token_is_an_error_at_start() {
    // Nothing listens on this port once the fake is dropped... so use a fake that says 401.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        )
    });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = TelegramConfig::new(TOKEN);
    config.api_url = Some(format!("http://{address}/").parse().unwrap());
    let responder = support::TestResponder::new();
    let menu = responder.menu();
    let error = telegram::run(config, responder, menu, std::future::pending())
        .await
        .unwrap_err();
    let shown = format!("{error:#}");
    assert!(shown.contains("getMe"), "{shown}");
    assert!(
        !shown.contains("test-token"),
        "the token is never shown: {shown}"
    );
    server.abort();
}

/// A raw HTTP/1.1 POST (the tests have no HTTP client of their own).
async fn post(address: std::net::SocketAddr, path: &str, secret: Option<&str>, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let secret = secret
        .map(|s| format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{secret}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn webhook_mode_sets_the_webhook_and_answers_posted_updates() {
    let fake = FakeApi::start().await;
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut config = support::config(&fake, false);
    config.webhook = Some(Webhook {
        url: "https://bot.example.org/telegram/hook".parse().unwrap(),
        listen,
    });
    let run = support::start_with(fake, config).await;
    let set = run.fake.calls_of("setwebhook");
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].body["url"], "https://bot.example.org/telegram/hook");
    let secret = set[0].body["secret_token"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    assert!(run.fake.calls_of("getupdates").is_empty(), "no polling");

    let mut update = dm(21, "/crisis");
    update["update_id"] = json!(900);
    let body = update.to_string();
    assert_eq!(post(listen, "/telegram/hook", None, &body).await, 401);
    assert_eq!(
        post(listen, "/telegram/hook", Some("wrong"), &body).await,
        401
    );
    assert_eq!(
        post(listen, "/telegram/hook", Some(&secret), "{\"garbage\":").await,
        200,
        "unreadable bodies are acknowledged and skipped"
    );
    assert_eq!(
        post(listen, "/telegram/hook", Some(&secret), &body).await,
        200
    );
    let sent = run.fake.wait_for_sends(21, 1).await;
    assert!(sent[0].text().contains("988"));

    run.stop().await.unwrap();
    // The server is gone after shutdown.
    assert!(tokio::net::TcpStream::connect(listen).await.is_err());
}
