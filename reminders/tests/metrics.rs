//! What the scheduler reports for `/metrics` and `/healthz`: reminders sent, late and blocked, counted by
//! platform and outcome, and whether it runs. On virtual time, with a counting recorder on the test's thread.

mod common;

use bot_core::{DeliveryError, Platform};
use chrono::NaiveTime;
use chrono_tz::{America, Europe};
use common::{FakeSender, Scheduler, TestClock, chat, open, utc};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use reminders::{Limits, Settings};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counters by `name{label=value,...}`; gauges and histograms go nowhere.
#[derive(Default)]
struct Counts(Mutex<BTreeMap<String, Arc<AtomicU64>>>);

impl Counts {
    fn get(&self, series: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .get(series)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

impl Recorder for Counts {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let series = format!("{}{{{}}}", key.name(), labels.join(","));
        let counter = Arc::clone(self.0.lock().unwrap().entry(series).or_default());
        Counter::from_arc(counter)
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[tokio::test(start_paused = true)]
async fn sent_late_and_blocked_reminders_are_counted_and_the_scheduler_says_it_runs() {
    let counts = Counts::default();
    let _recording = metrics::set_default_local_recorder(&counts);
    let (_dir, _db, reminders) = open(Settings::default());
    let subscribed = utc("2026-06-01T00:00:00Z");
    let at = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    // 08:00 in London is 07:00 UTC: the scheduler starts an hour later (after downtime), within the late window.
    let late = chat(Platform::Telegram, "late");
    let on_time = chat(Platform::Telegram, "on-time");
    let gone = chat(Platform::Discord, "gone");
    reminders
        .subscribe(&late, at(8), Europe::London, subscribed)
        .unwrap();
    reminders
        .subscribe(&on_time, at(12), Europe::London, subscribed)
        .unwrap();
    reminders
        .subscribe(&gone, at(9), America::Chicago, subscribed)
        .unwrap();

    let clock = TestClock::starting_at(utc("2026-06-01T08:00:00Z"));
    let sender = FakeSender::new(clock.clone());
    sender.script("gone", vec![Err(DeliveryError::Unreachable)]);
    assert!(!reminders.scheduler_running());
    let scheduler = Scheduler::spawn(&reminders, &sender, &clock, Limits::default());
    clock.until(utc("2026-06-01T20:00:00Z")).await;
    assert!(reminders.scheduler_running());
    scheduler.stop().await;
    assert!(!reminders.scheduler_running(), "stopped");

    let count = |platform: &str, outcome: &str| {
        counts.get(&format!(
            "recovery_bot_reminders_total{{platform={platform},outcome={outcome}}}"
        ))
    };
    assert_eq!(count("telegram", "sent"), 2);
    assert_eq!(count("telegram", "late"), 1, "only the one after downtime");
    assert_eq!(count("discord", "blocked"), 1);
    assert_eq!(count("discord", "sent"), 0);
    assert_eq!(sender.sent_to("late").len(), 1);
}
