//! Platform faults, end to end: the real Telegram and Discord adapters against their fakes on 127.0.0.1
//! (`telegram/tests/support`, `discord/tests/support`), the real reminder scheduler sending through the
//! adapters' outboxes as `recovery-bot serve` wires it, and every log line captured.
//!
//! - A 30-second outage (500 on every send) then recovery: every reply written during it arrives, exactly
//!   once, and each reminder due during it is sent once that day.
//! - 429 with `retry_after`; dropped connections; a platform taking 5 s per call.
//! - In each, no log line holds what anyone typed.
//!
//! The outage test is the long one (about 45 s); the others run beside it. Each prints what it measured
//! (`cargo test --test faults -- --nocapture`).

#[path = "../discord/tests/support/mod.rs"]
mod fake_discord;
#[path = "../telegram/tests/support/mod.rs"]
mod fake_telegram;

use bot_core::{ChatKind, ChatRef, DeliveryError, Platform, Reply};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long the platforms fail in the outage test: the 30 seconds.
const OUTAGE: Duration = Duration::from_secs(30);

/// What the reply to a crisis looks like and how many messages it takes, per platform.
fn telegram_messages(reply: &Reply) -> usize {
    telegram::render::render_messages(reply).len()
}

fn discord_messages(reply: &Reply) -> usize {
    discord::render::render(reply).len()
}

// ---------------------------------------------------------------------------------------------------------
// Logs

/// Every log line of this test binary, as `recovery-bot serve` filters them (info, serenity kept at
/// warnings) but with the adapters and the scheduler at debug, to look at more than an operator would see.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::default());
        let mut filter =
            tracing_subscriber::EnvFilter::new("info,telegram=debug,discord=debug,reminders=debug");
        for directive in discord::LOG_DIRECTIVES.split(',') {
            filter = filter.add_directive(directive.parse().expect("a valid directive"));
        }
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || Capture(buffer))
            .init();
        buffer
    })
}

/// Writes log lines into the shared buffer.
struct Capture(&'static Mutex<Vec<u8>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks that the logs so far hold none of `typed` (and that there are logs: the faults were logged).
fn assert_logs_hold_no_text(typed: &[&str], expected_line: &str) {
    let logs =
        String::from_utf8_lossy(&logs().lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(
        logs.contains(expected_line),
        "the capture sees the adapters' logs ({expected_line:?})"
    );
    for text in typed {
        assert!(!logs.contains(text), "a log line holds {text:?}");
        // Nor a telling part of it (a text cut short, or quoted in a body).
        let words: Vec<&str> = text.split_whitespace().collect();
        for three in words.windows(3) {
            let part = three.join(" ");
            assert!(!logs.contains(&part), "a log line holds {part:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The two adapters

/// Both adapters, each against its fake, started as `serve` starts them (Telegram paced by teloxide's
/// `Throttle`, Discord through the proxy URL).
struct Platforms {
    telegram: fake_telegram::Running,
    discord: fake_discord::Running,
}

impl Platforms {
    async fn start() -> Platforms {
        logs();
        let (telegram, discord) =
            tokio::join!(fake_telegram::start(true), fake_discord::Running::start());
        Platforms { telegram, discord }
    }

    fn discord_outbox(&self) -> discord::Outbox {
        let mut config = discord::DiscordConfig::new("fake-token");
        config.proxy_url = Some(self.discord.fake.proxy_url());
        discord::Outbox::new(&config)
    }

    /// Someone writes `text` to the bot on Telegram, in the direct chat `chat`.
    fn telegram_writes(&self, chat: i64, text: &str) {
        self.telegram.fake.push(fake_telegram::dm(chat, text));
    }

    /// Someone (`user`) writes `text` to the bot in their Discord direct messages.
    fn discord_writes(&self, user: u64, text: &str) {
        let fake = &self.discord.fake;
        let id = fake.new_id();
        fake.push(
            "MESSAGE_CREATE",
            fake_discord::message_event(id, dm_channel(user), None, user, text, &[]),
        );
    }

    /// Waits for the whole reply to `text` in Telegram chat `chat`; checks it came once, in order. Returns
    /// when its last message arrived.
    async fn telegram_reply_arrives_once(&self, chat: i64, text: &str) -> Instant {
        let reply = self.telegram.responder.reply_to(text);
        let expected = telegram::render::render_messages(&reply);
        let sent = self
            .telegram
            .fake
            .wait_for_sends(chat, expected.len())
            .await;
        let texts: Vec<&str> = sent.iter().map(|c| c.text()).collect();
        assert_eq!(
            texts, expected,
            "the reply to chat {chat}, once and in order"
        );
        sent.last().expect("a message").at
    }

    /// Waits for the whole reply to `text` in `user`'s Discord DMs; checks it was posted once, in order.
    async fn discord_reply_arrives_once(&self, user: u64, text: &str) -> Instant {
        let reply = self.discord.core.reply_to(text);
        let expected = discord_messages(&reply);
        let posted = self
            .discord
            .fake
            .wait_for_posts(dm_channel(user), expected)
            .await;
        assert_eq!(posted.len(), expected, "the reply to {user}, posted once");
        posted.last().expect("a message").at
    }

    async fn stop(self) {
        self.telegram.stop().await.expect("Telegram stops cleanly");
        self.discord.stop().await;
    }
}

fn dm_channel(user: u64) -> u64 {
    user + fake_discord::DM_OFFSET
}

/// What people write: urgent (crisis) and ordinary, each text unique to its writer so that the log check
/// means something.
fn crisis(n: usize) -> String {
    format!("i want to kill myself tonight, message number {n} of the fault tests")
}

fn ordinary(n: usize) -> String {
    format!("what does step {} of the program mean for me", n % 12 + 1)
}

// ---------------------------------------------------------------------------------------------------------
// Reminders as serve wires them

/// Delivers reminders through the adapters' outboxes, as `recovery-bot serve` does (`src/serve.rs`).
struct Outboxes {
    telegram: telegram::Outbox,
    discord: discord::Outbox,
}

impl reminders::Sender for Outboxes {
    async fn deliver(&self, chat: &ChatRef, reply: &Reply) -> Result<(), DeliveryError> {
        match chat.platform {
            Platform::Telegram => self.telegram.send(&chat.id, reply).await,
            Platform::Discord => self.discord.send(&chat.id, reply).await,
            Platform::Terminal => Err(DeliveryError::Permanent("not served".into())),
        }
    }
}

/// The wall clock moved so that `at` comes `after` from now: a reminder falls due during the test.
#[derive(Clone)]
struct ShiftedClock {
    offset: chrono::Duration,
}

impl ShiftedClock {
    fn reaching(at: DateTime<Utc>, after: Duration) -> ShiftedClock {
        let real = Utc::now() + chrono::Duration::from_std(after).unwrap();
        ShiftedClock { offset: at - real }
    }

    /// The real instant at which this clock shows `at`.
    fn instant_of(&self, at: DateTime<Utc>) -> Instant {
        let wait = (at - reminders::Clock::now(self))
            .to_std()
            .unwrap_or_default();
        Instant::now() + wait
    }
}

impl reminders::Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let wait = (deadline - self.now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait)
    }
}

/// The scheduler over a fresh store, running until the returned sender is used.
struct Scheduler {
    reminders: Arc<reminders::Reminders>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), reminders::Error>>,
    _db: sled::Db,
}

impl Scheduler {
    /// Subscribes `chats` to a reminder at `due` (UTC), then runs the scheduler on `clock`.
    fn start(
        outboxes: Outboxes,
        clock: ShiftedClock,
        due: DateTime<Utc>,
        chats: &[ChatRef],
    ) -> Scheduler {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let content = bot_core::Core::embedded()
            .unwrap()
            .reminder_content()
            .clone();
        let reminders = Arc::new(
            reminders::Reminders::open(&db, content, reminders::Settings::default()).unwrap(),
        );
        let now = reminders::Clock::now(&clock);
        for chat in chats {
            reminders
                .subscribe(chat, due.time(), chrono_tz::UTC, now)
                .unwrap();
        }
        reminders.flush().unwrap();
        // serve's limits, with the first retry after 2 s instead of a minute (and at most 8 s apart) so
        // that the test does not wait minutes; the code that retries is the same.
        let limits = reminders::Limits {
            retry_first: chrono::Duration::seconds(2),
            retry_max: chrono::Duration::seconds(8),
            ..reminders::Limits::default()
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(reminders::run_with(
            Arc::clone(&reminders),
            outboxes,
            clock,
            limits,
            async {
                let _ = stopped.await;
            },
        ));
        Scheduler {
            reminders,
            stop,
            task,
            _db: db,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_outage_loses_no_reply_and_sends_no_reminder_twice() {
    let platforms = Platforms::start().await;
    let tg = &platforms.telegram.fake;
    let dc = &platforms.discord.fake;

    // A reminder for one person on each platform falls due 3 s into the outage.
    let due = DateTime::parse_from_rfc3339("2030-03-04T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = ShiftedClock::reaching(due, Duration::from_secs(3));
    let reminded_tg = ChatRef::new(Platform::Telegram, "301", ChatKind::Direct);
    let reminded_dc = ChatRef::new(Platform::Discord, "6301", ChatKind::Direct);
    let scheduler = Scheduler::start(
        Outboxes {
            telegram: platforms.telegram.outbox.clone(),
            discord: platforms.discord_outbox(),
        },
        clock.clone(),
        due,
        &[reminded_tg.clone(), reminded_dc.clone()],
    );
    let due_at = clock.instant_of(due);

    tg.fault(fake_telegram::Fault::ServerError);
    dc.fault(fake_discord::Fault::ServerError);
    let outage_began = Instant::now();

    // People write at the start of the outage and halfway through: crisis messages and ordinary ones.
    let mut typed = Vec::new();
    let mut telegram_urgent = Vec::new();
    let mut telegram_ordinary = Vec::new();
    let mut discord_urgent = Vec::new();
    let mut discord_ordinary = Vec::new();
    for wave in 0..2 {
        for i in 0..3 {
            let n = wave * 10 + i;
            let (urgent, calm) = (crisis(n), ordinary(n));
            assert!(platforms.telegram.responder.reply_to(&urgent).urgent);
            assert!(!platforms.telegram.responder.reply_to(&calm).urgent);
            let (chat, user) = (100 + n as i64, 6000 + n as u64);
            platforms.telegram_writes(chat, &urgent);
            platforms.telegram_writes(chat + 50, &calm);
            platforms.discord_writes(user, &urgent);
            platforms.discord_writes(user + 50, &calm);
            telegram_urgent.push((chat, urgent.clone()));
            telegram_ordinary.push((chat + 50, calm.clone()));
            discord_urgent.push((user, urgent.clone()));
            discord_ordinary.push((user + 50, calm.clone()));
            typed.extend([urgent, calm]);
        }
        if wave == 0 {
            tokio::time::sleep(OUTAGE / 2).await;
        }
    }
    tokio::time::sleep_until((outage_began + OUTAGE).into()).await;
    tg.recover();
    dc.recover();
    let recovered = Instant::now();

    // Every reply arrives, once.
    let mut last_urgent = recovered;
    for (chat, text) in &telegram_urgent {
        let at = platforms.telegram_reply_arrives_once(*chat, text).await;
        last_urgent = last_urgent.max(at);
    }
    let last_urgent_telegram = last_urgent;
    let mut last_urgent = recovered;
    for (user, text) in &discord_urgent {
        let at = platforms.discord_reply_arrives_once(*user, text).await;
        last_urgent = last_urgent.max(at);
    }
    let last_urgent_discord = last_urgent;
    for (chat, text) in &telegram_ordinary {
        platforms.telegram_reply_arrives_once(*chat, text).await;
    }
    for (user, text) in &discord_ordinary {
        platforms.discord_reply_arrives_once(*user, text).await;
    }

    // Each reminder arrives once that day: 500s are retried by the scheduler, never doubled.
    let daily = scheduler.reminders.daily_reply(due.date_naive());
    let tg_reminder = tg.wait_for_sends(301, telegram_messages(&daily)).await;
    let dc_reminder = dc
        .wait_for_posts(dm_channel(6301), discord_messages(&daily))
        .await;
    let tg_late = tg_reminder.last().unwrap().at.duration_since(due_at);
    let dc_late = dc_reminder.last().unwrap().at.duration_since(due_at);
    assert!(
        tg.attempts_to(301).len() > tg_reminder.len(),
        "the reminder met the outage"
    );
    // Nothing more comes for them that day (the next is due tomorrow).
    let next = scheduler
        .reminders
        .next_due(Platform::Telegram)
        .unwrap()
        .unwrap();
    assert!(next > due + chrono::Duration::hours(23), "next: {next}");
    scheduler.stop().await;
    assert_eq!(tg.sent_to(301).len(), telegram_messages(&daily));
    assert_eq!(dc.posted(dm_channel(6301)).len(), discord_messages(&daily));

    println!(
        "outage {OUTAGE:?}: recovery to last urgent reply: Telegram {:?}, Discord {:?}; replies lost: 0 \
         ({} urgent, {} ordinary per platform); reminder lateness (due 3 s into the outage): Telegram {:?}, \
         Discord {:?}",
        last_urgent_telegram.duration_since(recovered),
        last_urgent_discord.duration_since(recovered),
        telegram_urgent.len(),
        telegram_ordinary.len(),
        tg_late,
        dc_late,
    );
    let typed: Vec<&str> = typed.iter().map(String::as_str).collect();
    assert_logs_hold_no_text(&typed, "retrying");
    platforms.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_replies_wait_out_retry_after_and_arrive_once() {
    let platforms = Platforms::start().await;
    let window = Duration::from_secs(2);
    platforms.telegram.fake.rate_limit_for(window);
    platforms.discord.fake.rate_limit_for(window);
    let limited_until = Instant::now() + window;
    let texts = [crisis(40), crisis(41)];
    for (i, text) in texts.iter().enumerate() {
        platforms.telegram_writes(400 + i as i64, text);
        platforms.discord_writes(6400 + i as u64, text);
    }
    for (i, text) in texts.iter().enumerate() {
        let at = platforms
            .telegram_reply_arrives_once(400 + i as i64, text)
            .await;
        assert!(at >= limited_until, "Telegram waited out retry_after");
        let at = platforms
            .discord_reply_arrives_once(6400 + i as u64, text)
            .await;
        assert!(at >= limited_until, "Discord waited out retry_after");
    }
    let limited = |fake: &fake_discord::FakeDiscord| {
        fake.requests().iter().filter(|r| r.status == 429).count()
    };
    let tg_limited = (0..2)
        .map(|i| {
            platforms
                .telegram
                .fake
                .attempts_to(400 + i)
                .iter()
                .filter(|c| !c.ok)
                .count()
        })
        .sum::<usize>();
    println!(
        "429 for {window:?}: Telegram sends refused {tg_limited} times, Discord {} times; every reply once",
        limited(&platforms.discord.fake)
    );
    assert_logs_hold_no_text(&texts.each_ref().map(String::as_str), "Discord send failed");
    platforms.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_lose_no_reply_and_never_double_a_reminder() {
    let platforms = Platforms::start().await;
    let tg = &platforms.telegram.fake;
    let dc = &platforms.discord.fake;
    let reminder = platforms.telegram.responder.reply_to("/principle");

    // Dropped before the platform took the message: sent again, arrives once.
    let before = crisis(50);
    tg.fault_next(fake_telegram::Fault::DropBefore, 2);
    dc.fault_next(fake_discord::Fault::DropBefore, 2);
    platforms.telegram_writes(500, &before);
    platforms.discord_writes(6500, &before);
    platforms.telegram_reply_arrives_once(500, &before).await;
    platforms.discord_reply_arrives_once(6500, &before).await;

    // Dropped after Discord took it: sent again under the same nonce, posted once.
    let after = crisis(51);
    dc.fault_next(fake_discord::Fault::DropAfter, 1);
    platforms.discord_writes(6501, &after);
    let posted = platforms.discord_reply_arrives_once(6501, &after).await;
    let path = format!("/channels/{}/messages", dm_channel(6501));
    let statuses = dc
        .until("the try after the lost answer", |fake| {
            let statuses: Vec<u16> = fake
                .requests()
                .into_iter()
                .filter(|r| r.path.ends_with(&path))
                .map(|r| r.status)
                .collect();
            (statuses.len() >= 2).then_some(statuses)
        })
        .await;
    assert_eq!(
        statuses[..2],
        [0, 200],
        "the answer was lost, the retry got the message"
    );
    assert_eq!(
        dc.posted(dm_channel(6501)).last().map(|p| p.at),
        Some(posted),
        "posted once, under its nonce"
    );

    // Dropped after Telegram took it: Telegram has no way to say it already has the message, so the
    // adapter sends it again and the person sees that message twice (a crisis reply twice rather than
    // none; README, "Delivery"). Nothing is lost.
    tg.fault_next(fake_telegram::Fault::DropAfter, 1);
    platforms.telegram_writes(501, &after);
    let expected = telegram_messages(&platforms.telegram.responder.reply_to(&after));
    let sent = tg.wait_for_sends(501, expected + 1).await;
    assert_eq!(sent[0].text(), sent[1].text(), "the first message, twice");

    // A reminder whose answer is lost may have been sent: never again (Permanent, so the scheduler does
    // not retry it either). One whose connection dropped before anything was taken is not sent that day:
    // at most once.
    let discord_outbox = platforms.discord_outbox();
    for (fault_tg, fault_dc, posted) in [
        (
            fake_telegram::Fault::DropAfter,
            fake_discord::Fault::DropAfter,
            1,
        ),
        (
            fake_telegram::Fault::DropBefore,
            fake_discord::Fault::DropBefore,
            0,
        ),
    ] {
        let (chat, user) = (510 + posted, 6510 + posted as u64);
        tg.fault_next(fault_tg, 1);
        let sent = platforms
            .telegram
            .outbox
            .send(&chat.to_string(), &reminder)
            .await;
        assert!(matches!(sent, Err(DeliveryError::Permanent(_))), "{sent:?}");
        assert_eq!(tg.sent_to(chat).len(), posted as usize);
        assert_eq!(tg.attempts_to(chat).len(), 1, "not tried again");
        dc.fault_next(fault_dc, 1);
        let sent = discord_outbox.send(&user.to_string(), &reminder).await;
        assert!(matches!(sent, Err(DeliveryError::Permanent(_))), "{sent:?}");
        assert_eq!(dc.posted(dm_channel(user)).len(), posted as usize);
    }
    assert_logs_hold_no_text(&[&before, &after], "may have been sent");
    platforms.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_taking_5_seconds_a_call_still_gets_every_reply_once() {
    let platforms = Platforms::start().await;
    let slow = fake_telegram::Fault::Slow(Duration::from_secs(5));
    platforms.telegram.fake.fault(slow);
    platforms
        .discord
        .fake
        .fault(fake_discord::Fault::Slow(Duration::from_secs(5)));
    let (urgent, calm) = (crisis(60), ordinary(60));
    platforms.telegram_writes(600, &urgent);
    platforms.telegram_writes(601, &calm);
    platforms.discord_writes(6600, &urgent);
    platforms.discord_writes(6601, &calm);
    let started = Instant::now();
    platforms.telegram_reply_arrives_once(600, &urgent).await;
    platforms.telegram_reply_arrives_once(601, &calm).await;
    platforms.discord_reply_arrives_once(6600, &urgent).await;
    platforms.discord_reply_arrives_once(6601, &calm).await;
    assert_eq!(
        platforms.telegram.fake.attempts_to(600).len(),
        telegram_messages(&platforms.telegram.responder.reply_to(&urgent)),
        "no send tried twice"
    );
    println!(
        "5 s per call: every reply once, all in {:?}",
        started.elapsed()
    );
    platforms.telegram.fake.recover();
    platforms.discord.fake.recover();
    assert_logs_hold_no_text(&[&urgent, &calm], "answered");
    platforms.stop().await;
}

/// SIGTERM while replies are still being delivered: `serve` stops each adapter, and a reply under way (here
/// on platforms taking 2 s (Telegram) and 7 s (Discord, longer than its shards take to close) a call) is
/// finished within the grace period before `run` returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_under_way_at_shutdown_is_finished_before_the_adapters_stop() {
    let platforms = Platforms::start().await;
    platforms
        .telegram
        .fake
        .fault(fake_telegram::Fault::Slow(Duration::from_secs(2)));
    platforms
        .discord
        .fake
        .fault(fake_discord::Fault::Slow(Duration::from_secs(7)));
    let urgent = crisis(70);
    platforms.telegram_writes(700, &urgent);
    platforms.discord_writes(7700, &urgent);
    // Both replies are under way (their first send is waiting on the slow platform) when shutdown comes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while platforms.telegram.fake.attempts_to(700).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let telegram_expected = telegram_messages(&platforms.telegram.responder.reply_to(&urgent));
    let discord_expected = discord_messages(&platforms.discord.core.reply_to(&urgent));
    let Platforms {
        mut telegram,
        mut discord,
    } = platforms;
    let (telegram_stopped, ()) = tokio::join!(telegram.stop_in_place(), discord.stop_in_place());
    telegram_stopped.expect("Telegram stops cleanly");
    assert_eq!(
        telegram.fake.sent_to(700).len(),
        telegram_expected,
        "Telegram reply finished"
    );
    assert_eq!(
        discord.fake.posted(dm_channel(7700)).len(),
        discord_expected,
        "Discord reply finished"
    );
}
