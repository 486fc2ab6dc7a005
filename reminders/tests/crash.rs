//! Crash test: a child process runs the scheduler on a fast clock against a sender that appends every
//! delivery to a file (fsync), and is killed with SIGKILL at random moments, 20 times. Afterwards no
//! subscription is lost and no chat got two messages on one local day.
//!
//! The child is this test binary itself, running the ignored test `crash_child` with
//! `REMINDERS_CRASH_DIR` set.

mod common;

use bot_core::{ChatRef, DeliveryError, Platform, Reply};
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use reminders::{Clock, Limits, Reminders, Sender, Settings, State};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

const SUBSCRIPTIONS: usize = 60;
const RUNS: usize = 20;
/// Simulated time runs this many times faster than real time: a simulated day takes 1.44 s.
const SPEED: i64 = 60_000;
/// A child gives up by itself after this long, in case the parent is gone.
const CHILD_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30);

const ZONES: [Tz; 7] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Pacific::Kiritimati,
    chrono_tz::Pacific::Pago_Pago,
    chrono_tz::Asia::Tokyo,
];

fn zone_of(index: usize) -> Tz {
    ZONES[index % ZONES.len()]
}

fn sim_start() -> DateTime<Utc> {
    // Just before the US change to daylight time (8 March 2026).
    common::utc("2026-03-07T00:00:00Z")
}

/// Simulated time: `sim_start + (real now - real_start) * SPEED`, the same in every child.
#[derive(Clone)]
struct FastClock {
    real_start: DateTime<Utc>,
}

impl Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        let real = Utc::now() - self.real_start;
        sim_start() + real * SPEED as i32
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let wait = ((deadline - self.now()) / SPEED as i32)
            .to_std()
            .unwrap_or_default();
        tokio::time::sleep(wait)
    }
}

/// Appends `chat-index local-date attempt-instant` per delivery and syncs it to disk before returning.
struct FileSender {
    file: Mutex<std::fs::File>,
    clock: FastClock,
}

impl Sender for FileSender {
    fn deliver(
        &self,
        chat: &ChatRef,
        _reply: &Reply,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        let index: usize = chat.id.parse().expect("numeric chat id");
        let now = self.clock.now();
        let local = now.with_timezone(&zone_of(index)).date_naive();
        let result = (|| {
            let mut file = self.file.lock().unwrap();
            writeln!(file, "{index} {local} {}", now.to_rfc3339())?;
            file.sync_data()
        })();
        std::future::ready(result.map_err(|e| DeliveryError::Transient(e.to_string())))
    }
}

fn chat(index: usize) -> ChatRef {
    common::chat(Platform::Telegram, &index.to_string())
}

fn open(dir: &Path) -> (sled::Db, Reminders) {
    let db = common::open_db(&dir.join("store"));
    let reminders =
        Reminders::open(&db, common::content(), Settings::default()).expect("open reminders");
    (db, reminders)
}

/// The child: runs the scheduler until it is killed (or its lifetime ends).
#[test]
#[ignore = "run by `crash_kills_never_double_a_day_or_lose_a_subscription` as a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os("REMINDERS_CRASH_DIR").map(PathBuf::from) else {
        return;
    };
    let real_start: DateTime<Utc> = std::fs::read_to_string(dir.join("real-start"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let clock = FastClock { real_start };
    let (_db, reminders) = open(&dir);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("deliveries"))
        .unwrap();
    let sender = FileSender {
        file: Mutex::new(file),
        clock: clock.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime
        .block_on(reminders::run_with(
            Arc::new(reminders),
            sender,
            clock,
            Limits::default(),
            async { tokio::time::sleep(CHILD_LIFETIME).await },
        ))
        .unwrap();
}

/// xorshift64*: random kill times without a dependency; the seed is printed to reproduce a run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn crash_kills_never_double_a_day_or_lose_a_subscription() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (db, reminders) = open(dir.path());
        for i in 0..SUBSCRIPTIONS {
            // Times spread from 01:00 to 17:00, so deliveries happen all the time, and even a late one (6 h
            // window) plus the fast clock's magnified latency stays on its local day.
            let minute = 60 + (i * 16 * 60 / SUBSCRIPTIONS + i * 7) % (16 * 60);
            let time =
                NaiveTime::from_hms_opt((minute / 60) as u32, (minute % 60) as u32, 0).unwrap();
            reminders
                .subscribe(&chat(i), time, zone_of(i), sim_start())
                .unwrap();
        }
        reminders.flush().unwrap();
        drop(reminders);
        db.flush().unwrap();
    }
    std::fs::write(dir.path().join("real-start"), Utc::now().to_rfc3339()).unwrap();

    let seed = std::env::var("REMINDERS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1);
    eprintln!("crash test seed: {seed} (set REMINDERS_CRASH_SEED to repeat)");
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();
    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "crash_child", "--test-threads=1"])
            .env("REMINDERS_CRASH_DIR", dir.path())
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Alive for 60 to 400 ms: killed while sleeping, claiming, flushing or sending.
        std::thread::sleep(std::time::Duration::from_millis(60 + rng.below(340)));
        if let Ok(Some(status)) = child.try_wait() {
            panic!("run {run}: the child exited by itself ({status})");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let simulated = FastClock {
        real_start: std::fs::read_to_string(dir.path().join("real-start"))
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    }
    .now()
        - sim_start();

    // No subscription lost or changed.
    let (_db, reminders) = open(dir.path());
    assert_eq!(reminders.stats_at_open().subscriptions, SUBSCRIPTIONS);
    for i in 0..SUBSCRIPTIONS {
        let sub = reminders.subscription(&chat(i)).unwrap().expect("kept");
        assert_eq!(sub.state, State::Active, "chat {i}");
        assert_eq!(sub.zone, zone_of(i));
        assert!(sub.next.is_some(), "chat {i} still scheduled");
    }

    // No chat got two messages on one local day.
    let log = std::fs::read_to_string(dir.path().join("deliveries")).unwrap_or_default();
    let mut seen: HashSet<(usize, String)> = HashSet::new();
    let mut per_chat: HashMap<usize, usize> = HashMap::new();
    for line in log.lines() {
        let mut parts = line.split(' ');
        let index: usize = parts.next().unwrap().parse().unwrap();
        let date = parts.next().unwrap().to_string();
        assert!(
            seen.insert((index, date.clone())),
            "chat {index} got two messages on {date} (seed {seed})"
        );
        *per_chat.entry(index).or_default() += 1;
    }
    let days = simulated.num_hours() as f64 / 24.0;
    eprintln!(
        "{} deliveries to {} chats over {days:.1} simulated days in {RUNS} runs",
        seen.len(),
        per_chat.len()
    );
    // The bot did its job between the kills: most chats got most days (a kill between a claim and its
    // send loses that day's message, by design: at most once).
    assert!(days >= 1.0, "only {days:.2} simulated days");
    assert!(
        seen.len() as f64 >= SUBSCRIPTIONS as f64 * (days - 1.0) * 0.5,
        "{} deliveries in {days:.1} days",
        seen.len()
    );
}
