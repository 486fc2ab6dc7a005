//! `recovery-bot serve` as an operator runs it: the real binary with `TELOXIDE_TOKEN` and `TELOXIDE_API_URL`
//! pointing at a fake Telegram Bot API on 127.0.0.1 (the adapter's own test fake), a store in a temporary
//! folder, and SIGTERM at the end.

#[path = "../discord/tests/support/mod.rs"]
mod fake_discord;
#[path = "../telegram/tests/support/mod.rs"]
mod fake_telegram;

use fake_telegram::{FakeApi, TOKEN, dm};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Served {
    child: Child,
    dir: std::path::PathBuf,
    /// The folder was made for this bot alone and goes with it.
    owns_dir: bool,
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
        let child = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
            .current_dir(&dir)
            .arg("--config")
            .arg(&config)
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("DISCORD_TOKEN")
            .envs(env.iter().copied())
            .env_remove("RECOVERY_BOT_CONTENT")
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("recovery-bot starts");
        Served {
            child,
            dir,
            owns_dir: store,
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
        let output = self.child.wait_with_output().unwrap();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
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
        "",
    );
    fake.ready().await;
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
