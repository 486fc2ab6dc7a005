//! Shared test helpers: a store in a temporary folder, a virtual clock, a fake sender, and the core in front
//! of `Reminders::handle` the way the binary puts it.
#![allow(dead_code)]

use bot_core::language::Language;
use bot_core::{ChatContext, ChatKind, ChatRef, Core, DeliveryError, Platform, Reply};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use reminders::{Clock, Reminders, Sender, Settings};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

/// The core, compiled once per test binary.
pub fn bot() -> &'static Core {
    static BOT: OnceLock<Core> = OnceLock::new();
    BOT.get_or_init(|| Core::embedded().expect("embedded content"))
}

/// The reminder content, without compiling the core's rules (the crash test's children start in time).
pub fn content() -> bot_core::ReminderContent {
    let core = bot_core::Content::embedded().expect("embedded content");
    bot_core::ReminderContent::embedded(&core).expect("embedded reminder content")
}

/// Opens the sled database at `path`. A database just dropped in this process can still be locked for a
/// moment by sled's own background threads: opening is retried for up to two seconds.
pub fn open_db(path: &std::path::Path) -> sled::Db {
    let mut tries = 0;
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return db,
            Err(_) if tries < 200 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(error) => panic!("cannot open {}: {error}", path.display()),
        }
    }
}

/// A store in a fresh temporary folder (kept alive by the returned guard).
pub fn open(settings: Settings) -> (tempfile::TempDir, sled::Db, Arc<Reminders>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = open_db(dir.path());
    let reminders = Arc::new(Reminders::open(&db, content(), settings).expect("open reminders"));
    (dir, db, reminders)
}

pub fn chat(platform: Platform, id: &str) -> ChatRef {
    ChatRef::new(platform, id, ChatKind::Direct)
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// What the binary does with a message: the core understands it; a reminder action goes to `apply`, and the
/// core says the outcome.
pub fn ask(reminders: &Reminders, chat: &ChatRef, text: &str, now: DateTime<Utc>) -> Reply {
    let context = ChatContext::at(chat.platform, now, reminders.zone_of(chat));
    let understood = bot().understand(text, &context);
    match understood.reminder {
        Some(action) => {
            let outcome = reminders.apply(chat, &action, now).expect("reminder store");
            bot()
                .reminder_content()
                .say(&outcome, now, Language::English)
        }
        None => understood.reply,
    }
}

/// Virtual time over tokio's paused clock: `now` is `base` plus the time tokio says has passed.
#[derive(Debug, Clone)]
pub struct TestClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TestClock {
    /// Call inside a runtime started paused.
    pub fn starting_at(base: DateTime<Utc>) -> TestClock {
        TestClock {
            base,
            start: tokio::time::Instant::now(),
        }
    }

    /// Sleeps (virtually) until `at`.
    pub async fn until(&self, at: DateTime<Utc>) {
        self.sleep_until(at).await;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.base + Duration::from_std(self.start.elapsed()).expect("in range")
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let offset = (deadline - self.base).to_std().unwrap_or_default();
        tokio::time::sleep_until(self.start + offset)
    }
}

/// One delivery the fake sender saw.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat: ChatRef,
    pub at: DateTime<Utc>,
    pub entry: String,
    pub text: String,
}

type Hook = Box<dyn Fn(&ChatRef) + Send + Sync>;
/// Chat id and instant of every attempt.
type Attempts = Arc<Mutex<Vec<(String, DateTime<Utc>)>>>;
/// Per chat id, the results its next deliveries answer.
type Script = Arc<Mutex<Vec<(String, VecDeque<Result<(), DeliveryError>>)>>>;

/// Records every delivery; answers from a per-chat script of results (then `Ok`).
#[derive(Clone)]
pub struct FakeSender {
    clock: TestClock,
    pub sent: Arc<Mutex<Vec<Sent>>>,
    /// Every attempt, delivered or not: chat id and instant.
    pub attempts: Attempts,
    script: Script,
    always: Arc<Mutex<Vec<(String, DeliveryError)>>>,
    hook: Arc<Mutex<Option<Hook>>>,
}

impl FakeSender {
    pub fn new(clock: TestClock) -> FakeSender {
        FakeSender {
            clock,
            sent: Arc::default(),
            attempts: Arc::default(),
            script: Arc::default(),
            always: Arc::default(),
            hook: Arc::default(),
        }
    }

    /// The next deliveries to `chat_id` answer these results, in order.
    pub fn script(&self, chat_id: &str, results: Vec<Result<(), DeliveryError>>) {
        self.script
            .lock()
            .unwrap()
            .push((chat_id.to_string(), results.into()));
    }

    /// Every delivery to `chat_id` fails with `error`.
    pub fn always_fail(&self, chat_id: &str, error: DeliveryError) {
        self.always
            .lock()
            .unwrap()
            .push((chat_id.to_string(), error));
    }

    /// Runs `hook` at the start of every delivery (to act while it is in flight).
    pub fn on_deliver(&self, hook: impl Fn(&ChatRef) + Send + Sync + 'static) {
        *self.hook.lock().unwrap() = Some(Box::new(hook));
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    pub fn sent_to(&self, chat_id: &str) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.chat.id == chat_id)
            .collect()
    }

    /// Local dates (in `zone`) of the deliveries to `chat_id`.
    pub fn local_dates(&self, chat_id: &str, zone: Tz) -> Vec<NaiveDate> {
        self.sent_to(chat_id)
            .iter()
            .map(|s| s.at.with_timezone(&zone).date_naive())
            .collect()
    }
}

impl Sender for FakeSender {
    fn deliver(
        &self,
        chat: &ChatRef,
        reply: &Reply,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        let now = self.clock.now();
        if let Some(hook) = self.hook.lock().unwrap().as_ref() {
            hook(chat);
        }
        self.attempts.lock().unwrap().push((chat.id.clone(), now));
        let scripted = self
            .script
            .lock()
            .unwrap()
            .iter_mut()
            .find(|(id, results)| *id == chat.id && !results.is_empty())
            .and_then(|(_, results)| results.pop_front());
        let always = self
            .always
            .lock()
            .unwrap()
            .iter()
            .find(|(id, _)| *id == chat.id)
            .map(|(_, e)| e.clone());
        let result = match (scripted, always) {
            (Some(r), _) => r,
            (None, Some(e)) => Err(e),
            (None, None) => Ok(()),
        };
        if result.is_ok() {
            self.sent.lock().unwrap().push(Sent {
                chat: chat.clone(),
                at: now,
                entry: reply
                    .explanation
                    .entries
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                text: reply.plain_text(),
            });
        }
        std::future::ready(result)
    }
}

/// Runs the scheduler from the clock's current time until `until` (virtual), then shuts it down and waits
/// for it to return.
pub async fn run_until(
    reminders: &Arc<Reminders>,
    sender: &FakeSender,
    clock: &TestClock,
    limits: reminders::Limits,
    until: DateTime<Utc>,
) {
    let scheduler = Scheduler::spawn(reminders, sender, clock, limits);
    clock.until(until).await;
    scheduler.stop().await;
}

/// The scheduler running in a task until [`Scheduler::stop`].
pub struct Scheduler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), reminders::Error>>,
}

impl Scheduler {
    pub fn spawn(
        reminders: &Arc<Reminders>,
        sender: &FakeSender,
        clock: &TestClock,
        limits: reminders::Limits,
    ) -> Scheduler {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(reminders::run_with(
            reminders.clone(),
            sender.clone(),
            clock.clone(),
            limits,
            async move {
                let _ = stopped.await;
            },
        ));
        Scheduler { stop, task }
    }

    /// Stops it and waits until it has returned (successfully).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("scheduler task").expect("scheduler");
    }
}
