//! The reminder store with 1,000,000 subscriptions: insert, start-up (open + check + index), due-scan, a
//! claim pass, `apply` and `say`, disk size and resident memory.
//!
//! `cargo bench -p reminders --bench store`. One-shot figures (insert, start-up, disk, memory, claim pass)
//! are printed first; criterion then times the repeatable operations. Start-up and memory are measured in a
//! fresh child process (this binary again), so nothing from the insert phase is in its memory.
//!
//! After start-up, a further child runs the real scheduler (`run_with`) over 24 hours of due reminders on a
//! clock that jumps a minute at a time, and reports its memory after the day (it moves the store on by a day).
//!
//! `REMINDERS_BENCH_N` changes the count (default 1,000,000); `REMINDERS_BENCH_CACHE_MB` sled's cache
//! (default 8, what `recovery-bot serve` uses); `REMINDERS_BENCH_MODE=low-space|high-throughput` sled's mode.

use bot_core::language::Language;
use bot_core::{ChatKind, ChatRef, Core, Platform};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use criterion::Criterion;
use reminders::{Clock, Limits, Reminders, Sender, Settings};
use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Instant;

const ZONES: [Tz; 12] = [
    chrono_tz::America::New_York,
    chrono_tz::America::Chicago,
    chrono_tz::America::Denver,
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::Phoenix,
    chrono_tz::Europe::London,
    chrono_tz::Europe::Berlin,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Australia::Sydney,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Auckland,
];

fn count() -> usize {
    std::env::var("REMINDERS_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

fn cache_mb() -> u64 {
    std::env::var("REMINDERS_BENCH_CACHE_MB")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Subscription `i`: 80% Telegram (10-digit ids), 20% Discord (18-digit ids); a pseudo-random minute and zone.
fn subscription(i: usize) -> (ChatRef, NaiveTime, Tz) {
    let mix = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let chat = if i % 5 == 4 {
        ChatRef::new(
            Platform::Discord,
            (700_000_000_000_000_000u64 + i as u64).to_string(),
            ChatKind::Direct,
        )
    } else {
        ChatRef::new(
            Platform::Telegram,
            (1_000_000_000u64 + i as u64).to_string(),
            ChatKind::Direct,
        )
    };
    let minute = (mix >> 20) % 1440;
    let time = NaiveTime::from_hms_opt((minute / 60) as u32, (minute % 60) as u32, 0).unwrap();
    (chat, time, ZONES[(mix >> 40) as usize % ZONES.len()])
}

fn open_db(path: &Path) -> sled::Db {
    let mut config = sled::Config::new()
        .path(path)
        .cache_capacity(cache_mb() * 1024 * 1024);
    match std::env::var("REMINDERS_BENCH_MODE").as_deref() {
        Ok("low-space") => config = config.mode(sled::Mode::LowSpace),
        Ok("high-throughput") => config = config.mode(sled::Mode::HighThroughput),
        _ => {}
    }
    config.open().expect("open sled")
}

fn content() -> bot_core::ReminderContent {
    bot().reminder_content().clone()
}

fn bot() -> &'static Core {
    static BOT: std::sync::OnceLock<Core> = std::sync::OnceLock::new();
    BOT.get_or_init(|| Core::embedded().expect("content"))
}

/// What the core reads from `text`: the reminder action (outside the measured loop).
fn action(text: &str) -> bot_core::ReminderAction {
    let context = bot_core::ChatContext::at(Platform::Telegram, now(), None);
    bot()
        .understand(text, &context)
        .reminder
        .expect("a reminder request")
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The child: open the store as the binary would and report time and memory.
fn startup_child(path: &Path) {
    let content = content(); // loaded before the clock starts: the binary has it already
    let before = status_kb("VmRSS:");
    let started = Instant::now();
    let db = open_db(path);
    let opened = started.elapsed();
    let reminders = Reminders::open(&db, content, Settings::default()).expect("open reminders");
    let total = started.elapsed();
    let after_open = status_kb("VmRSS:");
    let stats = reminders.stats_at_open();
    // Then the whole first day of the due index read in one scan, and one record in 1000 read (as apply and
    // zone_of do). The scheduler never reads this much at once (it reads a minute's entries per wake-up, and
    // claims them): `day_child` measures a real day of it.
    let first = reminders
        .next_due(Platform::Telegram)
        .unwrap()
        .unwrap_or_else(now);
    let scan = Instant::now();
    let day = reminders
        .due_count(Platform::Telegram, first + Duration::hours(24), usize::MAX)
        .unwrap();
    let scan_ms = scan.elapsed().as_secs_f64() * 1e3;
    for i in (0..count()).step_by(1000) {
        black_box(reminders.zone_of(&subscription(i).0));
    }
    println!(
        "startup: sled open {:.0} ms, Reminders::open {:.0} ms, total {:.0} ms ({} records read); RSS before {:.1} MB, after open {:.1} MB; then the whole day's due index ({day} entries) read in one scan in {scan_ms:.0} ms and 1 in 1000 records read: RSS {:.1} MB, peak {:.1} MB",
        opened.as_secs_f64() * 1e3,
        (total - opened).as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        stats.subscriptions,
        before as f64 / 1024.0,
        after_open as f64 / 1024.0,
        status_kb("VmRSS:") as f64 / 1024.0,
        status_kb("VmHWM:") as f64 / 1024.0,
    );
}

/// A clock for [`day_child`]: each sleep jumps straight to the end of the minute holding the deadline, so the
/// real scheduler wakes once a minute and claims that minute's batch, as it does in production.
#[derive(Clone)]
struct JumpClock {
    secs: Arc<AtomicI64>,
    end: i64,
    done: Arc<tokio::sync::Notify>,
}

impl Clock for JumpClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.secs.load(Ordering::SeqCst), 0).unwrap()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let clock = self.clone();
        async move {
            // Let the deliveries already started finish first, as they would in a minute of real time.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            let target = (deadline.timestamp() + 59) / 60 * 60;
            let now = clock.secs.fetch_max(target, Ordering::SeqCst).max(target);
            if now >= clock.end {
                clock.done.notify_one();
            }
        }
    }
}

/// A platform that takes every message at once.
#[derive(Clone, Default)]
struct CountingSender(Arc<AtomicUsize>);

impl Sender for CountingSender {
    fn deliver(
        &self,
        _chat: &ChatRef,
        _reply: &bot_core::Reply,
    ) -> impl Future<Output = Result<(), bot_core::DeliveryError>> + Send {
        self.0.fetch_add(1, Ordering::Relaxed);
        std::future::ready(Ok(()))
    }
}

/// The child for a day of running: the real scheduler (`run_with`) over 24 hours of the store's due entries,
/// woken once a minute by [`JumpClock`]; every due reminder is claimed, flushed, delivered and finished.
/// Rates are set high so that each minute is one batch (one flush); production's 20/s spreads the same
/// batch over up to 30 s, which reads the same entries.
fn day_child(path: &Path) {
    let content = content();
    let db = open_db(path);
    let reminders = Arc::new(Reminders::open(&db, content, Settings::default()).expect("open"));
    let after_open = status_kb("VmRSS:");
    let mut start = reminders
        .next_due(Platform::Telegram)
        .unwrap()
        .unwrap_or_else(now)
        .timestamp();
    let sender = CountingSender::default();
    let limits = Limits {
        telegram_per_second: 1_000_000,
        discord_per_second: 1_000_000,
        terminal_per_second: 1_000_000,
        max_in_flight: 1_000_000,
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // REMINDERS_BENCH_DAYS: how many days one process runs (memory after each).
    let days: usize = std::env::var("REMINDERS_BENCH_DAYS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    for day in 1..=days {
        let clock = JumpClock {
            secs: Arc::new(AtomicI64::new(start)),
            end: start + 24 * 3600,
            done: Arc::new(tokio::sync::Notify::new()),
        };
        let started = Instant::now();
        let before = sender.0.load(Ordering::Relaxed);
        let done = clock.done.clone();
        runtime
            .block_on(reminders::run_with(
                reminders.clone(),
                sender.clone(),
                clock,
                limits.clone(),
                async move { done.notified().await },
            ))
            .expect("scheduler");
        start += 24 * 3600;
        println!(
            "day {day} of the scheduler (run_with, minute batches): {} reminders claimed, flushed, delivered and finished in {:.1} s; RSS after open {:.1} MB, after the day {:.1} MB, peak {:.1} MB",
            sender.0.load(Ordering::Relaxed) - before,
            started.elapsed().as_secs_f64(),
            after_open as f64 / 1024.0,
            status_kb("VmRSS:") as f64 / 1024.0,
            status_kb("VmHWM:") as f64 / 1024.0,
        );
    }
}

fn main() {
    if let Ok(path) = std::env::var("REMINDERS_BENCH_DAY") {
        day_child(Path::new(&path));
        return;
    }
    if let Ok(path) = std::env::var("REMINDERS_BENCH_STARTUP") {
        startup_child(Path::new(&path));
        return;
    }
    let n = count();
    let dir = tempfile::tempdir().expect("temp dir");
    // REMINDERS_BENCH_DIR keeps the store there, and reuses it when it exists (skips the insert).
    let kept = std::env::var_os("REMINDERS_BENCH_DIR").map(std::path::PathBuf::from);
    let reuse = kept.as_ref().is_some_and(|p| p.exists());
    let path = kept.unwrap_or_else(|| dir.path().join("store"));
    println!(
        "reminders store bench: {n} subscriptions, sled cache {} MB",
        cache_mb()
    );

    // Insert.
    if !reuse {
        let db = open_db(&path);
        let reminders = Reminders::open(&db, content(), Settings::default()).unwrap();
        let started = Instant::now();
        for i in 0..n {
            let (chat, time, zone) = subscription(i);
            reminders.subscribe(&chat, time, zone, now()).unwrap();
        }
        let inserted = started.elapsed();
        reminders.flush().unwrap();
        let flushed = started.elapsed();
        println!(
            "insert: {:.2} s ({:.1} µs each, {:.0}/s), flush {:.0} ms; process RSS {:.0} MB",
            inserted.as_secs_f64(),
            inserted.as_secs_f64() * 1e6 / n as f64,
            n as f64 / inserted.as_secs_f64(),
            (flushed - inserted).as_secs_f64() * 1e3,
            status_kb("VmRSS:") as f64 / 1024.0
        );
    }
    println!("disk: {:.1} MB", dir_size(&path) as f64 / 1e6);

    // Start-up, in fresh processes, three times.
    let exe = std::env::current_exe().unwrap();
    for _ in 0..3 {
        let out = std::process::Command::new(&exe)
            .env("REMINDERS_BENCH_STARTUP", &path)
            .output()
            .expect("start-up child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    // A day of the real scheduler, in a fresh process (it moves every reminder on by a day).
    let out = std::process::Command::new(&exe)
        .env("REMINDERS_BENCH_DAY", &path)
        .output()
        .expect("day child");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if std::env::var_os("REMINDERS_BENCH_ONE_SHOT").is_some() {
        return;
    }

    let db = open_db(&path);
    let reminders = Reminders::open(&db, content(), Settings::default()).unwrap();
    let first = reminders.next_due(Platform::Telegram).unwrap().unwrap();
    let hour = reminders
        .due_count(Platform::Telegram, first + Duration::hours(1), usize::MAX)
        .unwrap();
    println!("due index: first at {first}, {hour} Telegram reminders in the first hour");

    let status_chat = subscription(0).0;
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    c.bench_function("due-scan: next due instant (3 platforms)", |b| {
        b.iter(|| {
            for p in [Platform::Terminal, Platform::Telegram, Platform::Discord] {
                black_box(reminders.next_due(p).unwrap());
            }
        })
    });
    c.bench_function("due-scan: entries due in the first minute", |b| {
        b.iter(|| {
            black_box(
                reminders
                    .due_count(Platform::Telegram, first + Duration::minutes(1), usize::MAX)
                    .unwrap(),
            )
        })
    });
    c.bench_function("due-scan: a one-hour backlog", |b| {
        b.iter(|| {
            black_box(
                reminders
                    .due_count(Platform::Telegram, first + Duration::hours(1), usize::MAX)
                    .unwrap(),
            )
        })
    });
    let say = |outcome| {
        bot()
            .reminder_content()
            .say(&outcome, now(), Language::English)
    };
    let status = action("/remind status");
    c.bench_function("apply and say: /remind status", |b| {
        b.iter(|| black_box(say(reminders.apply(&status_chat, &status, now()).unwrap())))
    });
    let (seven, eight) = (action("/remind 7am"), action("/remind 8am"));
    let mut flip = false;
    c.bench_function("apply and say: change the time (write + flush)", |b| {
        b.iter(|| {
            flip = !flip;
            let change = if flip { &seven } else { &eight };
            black_box(say(reminders.apply(&status_chat, change, now()).unwrap()))
        })
    });
    c.final_summary();
}
