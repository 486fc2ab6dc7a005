//! Nothing a person writes, and never the token, reaches the logs: every log record (the adapter's, and
//! teloxide's through the `log` bridge) at TRACE level is captured while the adapter handles messages,
//! a malformed update, a button, a 429 and a 403.

mod support;

use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{BOT_USERNAME, Failure, button, dm, group};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRET: &str = "zebra-umbrella";

#[tokio::test]
async fn logs_carry_no_message_text_and_no_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber in this test binary");

    let run = support::start(false).await;
    let fake = &run.fake;
    fake.push(dm(31, &format!("I want to die {SECRET}")));
    fake.push(group(
        -32,
        1,
        5,
        &format!("not for the bot {SECRET}"),
        json!([]),
    ));
    fake.push(
        json!({"message": {"message_id": "broken", "text": format!("malformed {SECRET}"),
                     "chat": {"id": 33, "type": "private"}}}),
    );
    fake.fail_next(34, Failure::RetryAfter(1));
    fake.push(dm(34, &format!("find a meeting {SECRET}")));
    fake.block(35);
    fake.push(dm(35, &format!("hello {SECRET}")));
    fake.push(button(36, "q", &format!("t:explain hope {SECRET}")));
    fake.push(group(
        -37,
        2,
        5,
        &format!("@{BOT_USERNAME} {SECRET}"),
        json!([{"type": "mention", "offset": 0, "length": BOT_USERNAME.len() + 1}]),
    ));
    fake.wait_for_sends(31, 1).await;
    fake.wait_for_sends(34, 1).await;
    fake.wait_for_sends(36, 1).await;
    fake.wait_for_sends(-37, 1).await;
    run.responder.wait_unreachable("35").await;
    run.stop().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("answered"), "the adapter logged its work");
    assert!(logs.contains("skipped an update that could not be read"));
    assert!(logs.contains("update_id"));
    assert!(
        logs.contains("teloxide::"),
        "teloxide's own records were captured too"
    );
    assert!(!logs.contains(SECRET), "message text in the logs");
    assert!(!logs.contains("test-token"), "the token in the logs");
}
