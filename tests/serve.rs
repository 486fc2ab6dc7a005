//! `recovery-bot serve` as an operator runs it: the real binary with `TELOXIDE_TOKEN` and `TELOXIDE_API_URL`
//! pointing at a fake Telegram Bot API on 127.0.0.1 (the adapter's own test fake), a store in a temporary
//! folder, and SIGTERM at the end.

#[path = "../discord/tests/support/mod.rs"]
mod fake_discord;
#[path = "../telegram/tests/support/mod.rs"]
mod fake_telegram;

use fake_telegram::{FakeApi, TOKEN, dm};
use std::io::{BufRead as _, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Served {
    child: Child,
    dir: std::path::PathBuf,
    /// The folder was made for this bot alone and goes with it.
    owns_dir: bool,
    /// Its stderr so far (the logs), read as it comes.
    logs: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Served {
    /// Runs `recovery-bot serve` in the folder `name`; with a store of its own in a fresh folder when `store`
    /// is set, else with none configured (and the folder kept, so two bots can share it).
    fn start(fake: &FakeApi, name: &str, store: bool) -> Served {
        Served::with_env(
            name,
            store,
            &[
                ("TELOXIDE_TOKEN", TOKEN),
                ("TELOXIDE_API_URL", fake.url.as_str()),
            ],
            "",
        )
    }

    /// With these environment variables, and `extra_config` added to the configuration file.
    fn with_env(name: &str, store: bool, env: &[(&str, &str)], extra_config: &str) -> Served {
        let dir =
            std::env::temp_dir().join(format!("recovery-bot-serve-{name}-{}", std::process::id()));
        if store {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("recovery-bot.toml");
        let mut text = if store {
            format!("[store]\npath = {:?}\n", dir.join("store"))
        } else {
            String::new()
        };
        text.push_str(extra_config);
        std::fs::write(&config, text).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
            .current_dir(&dir)
            .arg("--config")
            .arg(&config)
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("DISCORD_TOKEN")
            .env_remove("RECOVERY_BOT_STORE")
            .env_remove("RECOVERY_BOT_METRICS_LISTEN")
            .envs(env.iter().copied())
            .env_remove("RECOVERY_BOT_CONTENT")
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("recovery-bot starts");
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let reader = {
            let logs = Arc::clone(&logs);
            std::thread::spawn(move || {
                for line in stderr.lines().map_while(Result::ok) {
                    let mut logs = logs.lock().unwrap();
                    logs.push_str(&line);
                    logs.push('\n');
                }
            })
        };
        Served {
            child,
            dir,
            owns_dir: store,
            logs,
            reader,
        }
    }

    /// The first log line holding `needle`, once it is written.
    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(line) = self
                .logs
                .lock()
                .unwrap()
                .lines()
                .find(|l| l.contains(needle))
            {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?}: {}",
                self.logs.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status and the logs, within seconds.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "recovery-bot did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let logs = self.logs.lock().unwrap().clone();
        (status, logs)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_on_telegram_and_stops_cleanly_on_sigterm() {
    let fake = FakeApi::start().await;
    let served = Served::start(&fake, "telegram", true);
    fake.wait_until("the bot registered its commands", |calls| {
        calls.iter().any(|c| c.method == "setmycommands")
    })
    .await;
    let commands = fake.calls_of("setmycommands");
    let names = commands[0].body["commands"].to_string();
    for name in [
        "crisis",
        "overdose",
        "meeting",
        "principle",
        "remind",
        "forget",
        "help",
        "start",
    ] {
        assert!(names.contains(&format!("\"{name}\"")), "{names}");
    }

    let secret = "crisis-words-7731";
    fake.push(dm(501, &format!("{secret} I want to kill myself")));
    let crisis = fake.wait_for_sends(501, 1).await;
    assert!(crisis[0].text().contains("988"), "{}", crisis[0].text());

    fake.push(dm(502, "remind me every day at 8am Europe/London"));
    let reminder = fake.wait_for_sends(502, 1).await;
    assert!(
        reminder[0].text().contains("08:00"),
        "{}",
        reminder[0].text()
    );

    let (status, logs) = served.stop();
    assert!(status.success(), "exit {status:?}: {logs}");
    assert!(logs.contains("answered"), "logs are on: {logs}");
    assert!(
        !logs.contains(secret),
        "a log line carries what the person typed: {logs}"
    );
    assert!(
        !logs.contains(TOKEN),
        "a log line carries the token: {logs}"
    );
}

/// Two bots started in one folder with no store configured (as a test harness might): the second cannot have
/// the default store, takes a temporary one, and answers all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bot_without_a_store_of_its_own_still_answers() {
    let (first_api, second_api) = (FakeApi::start().await, FakeApi::start().await);
    let first = Served::start(&first_api, "shared-folder", false);
    first_api
        .wait_until("the first bot is up", |calls| {
            calls.iter().any(|c| c.method == "getupdates")
        })
        .await;
    let second = Served::start(&second_api, "shared-folder", false);
    second_api.push(dm(601, "I want to die"));
    let reply = second_api.wait_for_sends(601, 1).await;
    assert!(reply[0].text().contains("988"), "{}", reply[0].text());
    let (status, logs) = second.stop();
    assert!(status.success(), "{logs}");
    assert!(logs.contains("using a temporary one"), "{logs}");
    let dir = first.dir.clone();
    let (status, logs) = first.stop();
    assert!(status.success(), "{logs}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The same for Discord: `DISCORD_TOKEN` and `DISCORD_PROXY_URL` pointing at the Discord adapter's test fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_on_discord_through_the_proxy_url() {
    let fake = fake_discord::FakeDiscord::start().await;
    let proxy = fake.proxy_url();
    let served = Served::with_env(
        "discord",
        true,
        &[
            ("DISCORD_TOKEN", "discord-test-token"),
            ("DISCORD_PROXY_URL", &proxy),
        ],
        "[metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    fake.ready().await;
    let address = metrics_address(&served);
    let (_, health) = wait_for_answer(&address, "/healthz", |status, _| status == 200).await;
    assert!(
        health.contains(r#""discord":{"running":true,"connected":true}"#),
        "the shard is connected: {health}"
    );
    let dm_channel = fake_discord::PERSON + fake_discord::DM_OFFSET;
    let id = fake.new_id();
    let secret = "discord-words-5521";
    fake.push(
        "MESSAGE_CREATE",
        fake_discord::message_event(
            id,
            dm_channel,
            None,
            fake_discord::PERSON,
            &format!("{secret} i want to kill myself"),
            &[],
        ),
    );
    let sent = fake
        .request("POST", &format!("/channels/{dm_channel}/messages"), |_| {
            true
        })
        .await;
    assert!(sent.body.to_string().contains("988"), "{:#}", sent.body);
    let (_, text) = wait_for_answer(&address, "/metrics", |_, body| {
        body.contains(r#"recovery_bot_deliveries_total{platform="discord",outcome="sent"} 1"#)
    })
    .await;
    assert!(
        text.contains(r#"recovery_bot_messages_total{platform="discord",intent="crisis"} 1"#),
        "{text}"
    );
    assert!(!text.contains(secret), "{text}");
    let (status, logs) = served.stop();
    assert!(status.success(), "exit {status:?}: {logs}");
    assert!(!logs.contains(secret), "{logs}");
    assert!(!logs.contains("discord-test-token"), "{logs}");
}

/// A meeting feed that cannot be loaded is logged; the bot answers all the same, meeting questions with the
/// directories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_feed_does_not_keep_the_bot_from_answering() {
    let fake = FakeApi::start().await;
    let served = Served::with_env(
        "broken-feed",
        true,
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", fake.url.as_str()),
        ],
        "[[meetings.feed]]\nid = \"gone\"\nsource = \"/nonexistent/feed.json\"\n",
    );
    fake.push(dm(701, "i want to kill myself"));
    assert!(fake.wait_for_sends(701, 1).await[0].text().contains("988"));
    fake.push(dm(702, "any meetings tonight?"));
    let reply = fake.wait_for_sends(702, 1).await;
    assert!(
        reply[0].text().contains("Faces and Voices"),
        "{}",
        reply[0].text()
    );
    let (status, logs) = served.stop();
    assert!(status.success(), "{logs}");
    assert!(logs.contains("meeting feeds not loaded"), "{logs}");
}

/// Where the bot's metrics server listens (an ephemeral port), from its log.
fn metrics_address(served: &Served) -> String {
    let line = served.wait_for_log("metrics server listening");
    let address = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("listen="))
        .expect("the address in the log")
        .to_string();
    assert!(address.starts_with("127.0.0.1:"), "{line}");
    address
}

/// `GET path` on 127.0.0.1: the status code and the body.
fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).expect("the metrics server answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    (status, body.to_string())
}

/// Asks `path` until `done` holds for the answer (the bot counts a delivery once Telegram has answered it).
async fn wait_for_answer(
    address: &str,
    path: &str,
    done: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(address, path);
        if done(status, &body) {
            return (status, body);
        }
        assert!(
            Instant::now() < deadline,
            "{path} never got there: {status}\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `[metrics] listen` on an ephemeral port: `/healthz` says Telegram and the scheduler are up, `/metrics`
/// counts the messages, urgent replies and deliveries by platform, intent and outcome, and neither shows what
/// a person wrote or whom they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_are_served_without_what_anyone_wrote() {
    let fake = FakeApi::start().await;
    let served = Served::with_env(
        "metrics",
        true,
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", fake.url.as_str()),
        ],
        &format!(
            "[metrics]\nlisten = \"127.0.0.1:0\"\n[[meetings.feed]]\nid = \"anytown\"\nsource = {:?}\n",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/feeds/anytown.json")
        ),
    );
    let address = metrics_address(&served);

    let (_, health) = wait_for_answer(&address, "/healthz", |status, _| status == 200).await;
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["telegram"]["running"], true, "{health}");
    assert_eq!(health["telegram"]["connected"], true, "{health}");
    assert_eq!(health["reminders"]["running"], true, "{health}");
    assert!(health.get("discord").is_none(), "not configured: {health}");

    let (person, blocked) = (987_654_321, 987_654_322);
    let secret = "metrics-words-4417";
    fake.push(dm(person, &format!("{secret} I want to kill myself")));
    assert!(
        fake.wait_for_sends(person, 1).await[0]
            .text()
            .contains("988")
    );
    fake.push(dm(person, &format!("{secret} what is recovery")));
    fake.wait_for_sends(person, 2).await;
    fake.block(blocked);
    fake.push(dm(blocked, &format!("{secret} hello")));

    let (status, text) = wait_for_answer(&address, "/metrics", |_, body| {
        body.contains(r#"recovery_bot_deliveries_total{platform="telegram",outcome="sent"} 2"#)
            && body.contains(
                r#"recovery_bot_deliveries_total{platform="telegram",outcome="unreachable"} 1"#,
            )
            && body.contains(r#"recovery_bot_feed_refreshes_total{outcome="loaded"} 1"#)
    })
    .await;
    assert_eq!(status, 200);
    for line in [
        "# TYPE recovery_bot_messages_total counter",
        r#"recovery_bot_messages_total{platform="telegram",intent="crisis"} 1"#,
        r#"recovery_bot_urgent_replies_total{platform="telegram"} 1"#,
        r#"recovery_bot_messages_total{platform="telegram",intent="reminder"} 0"#,
        r#"recovery_bot_deliveries_total{platform="telegram",outcome="failed_permanent"} 0"#,
        "# TYPE recovery_bot_reply_seconds histogram",
        r#"recovery_bot_reply_seconds_count{platform="telegram"} 2"#,
        r#"recovery_bot_respond_seconds_count{platform="telegram"} 3"#,
        r#"recovery_bot_feed_refreshes_total{outcome="loaded"} 1"#,
        r#"recovery_bot_feed_refreshes_total{outcome="failed"} 0"#,
        r#"recovery_bot_up{part="telegram"} 1"#,
        r#"recovery_bot_up{part="reminders"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
    let messages: u64 = text
        .lines()
        .filter(|l| l.starts_with(r#"recovery_bot_messages_total{platform="telegram","#))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(messages, 3, "{text}");
    let store_bytes: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("recovery_bot_store_bytes "))
        .expect("the store's size")
        .parse()
        .unwrap();
    assert!(store_bytes > 0.0, "{text}");
    let feed_age: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("recovery_bot_feed_refresh_age_seconds "))
        .expect("the feed's age")
        .parse()
        .unwrap();
    assert!((0.0..600.0).contains(&feed_age), "{text}");
    for body in [&text, &health.to_string()] {
        assert!(!body.contains(secret), "what a person wrote:\n{body}");
        assert!(
            !body.contains("kill myself"),
            "what a person wrote:\n{body}"
        );
        assert!(!body.contains("98765432"), "a chat id:\n{body}");
    }

    // The binary's own health check, as a container runs it.
    let url = format!("http://{address}/healthz");
    let checked = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .args(["health", "--url", &url])
        .current_dir(std::env::temp_dir())
        .env_remove("RECOVERY_BOT_CONFIG")
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(String::from_utf8_lossy(&checked.stdout).contains(r#""status":"ok""#));

    let (status, logs) = served.stop();
    assert!(status.success(), "{logs}");
    assert!(!logs.contains(secret), "{logs}");
    let refused = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .args(["health", "--url", &url])
        .current_dir(std::env::temp_dir())
        .env_remove("RECOVERY_BOT_CONFIG")
        .output()
        .unwrap();
    assert!(!refused.status.success(), "nothing listens after a stop");
}
