//! The scheduler on virtual time (tokio's paused clock: nothing sleeps for real) with a fake sender.

mod common;

use bot_core::{DeliveryError, Platform};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::{America, Asia, Australia, Europe, Pacific};
use common::{FakeSender, Scheduler, TestClock, ask, chat, open, run_until, utc};
use reminders::{Clock as _, Limits, Settings, State};
use std::collections::HashMap;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test(start_paused = true)]
async fn one_reminder_a_day_at_local_time_across_dst_changes() {
    let start = utc("2026-03-06T00:00:00Z");
    let (_dir, _db, reminders) = open(Settings::default());
    let cases = [
        ("ny-8", t(8, 0), America::New_York),
        ("ny-0230", t(2, 30), America::New_York), // does not exist on 2026-03-08
        ("london-0115", t(1, 15), Europe::London), // does not exist on 2026-03-29
        ("lhi-0210", t(2, 10), Australia::Lord_Howe), // does not exist on 2026-10-04
        ("ktm-8", t(8, 0), Asia::Kathmandu),
        ("kiri-8", t(8, 0), Pacific::Kiritimati),
        ("pago-8", t(8, 0), Pacific::Pago_Pago),
    ];
    for (id, time, zone) in cases {
        reminders
            .subscribe(&chat(Platform::Telegram, id), time, zone, start)
            .unwrap();
    }
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-03-11T00:00:00Z"),
    )
    .await;

    // New York's 08:00 moves from 13:00 to 12:00 UTC with the change on Sunday 8 March.
    let ny: Vec<_> = sender.sent_to("ny-8").iter().map(|s| s.at).collect();
    assert_eq!(
        ny,
        vec![
            utc("2026-03-06T13:00:00Z"),
            utc("2026-03-07T13:00:00Z"),
            utc("2026-03-08T12:00:00Z"),
            utc("2026-03-09T12:00:00Z"),
            utc("2026-03-10T12:00:00Z"),
        ]
    );
    // 02:30 does not exist on 8 March: it fires at 03:00 EDT, once.
    let ny0230: Vec<_> = sender.sent_to("ny-0230").iter().map(|s| s.at).collect();
    assert!(ny0230.contains(&utc("2026-03-08T07:00:00Z")), "{ny0230:?}");
    assert_eq!(
        sender.local_dates("ny-0230", America::New_York),
        vec![
            d(2026, 3, 6),
            d(2026, 3, 7),
            d(2026, 3, 8),
            d(2026, 3, 9),
            d(2026, 3, 10)
        ]
    );
    // Kathmandu (+05:45) and the date line.
    assert_eq!(sender.sent_to("ktm-8")[0].at, utc("2026-03-06T02:15:00Z"));
    assert_eq!(
        sender.sent_to("kiri-8")[0].at,
        utc("2026-03-06T18:00:00Z") // 08:00 on 7 March in Kiritimati
    );
    assert_eq!(
        sender.sent_to("pago-8")[0].at,
        utc("2026-03-06T19:00:00Z") // 08:00 on 6 March in Pago Pago
    );
    // Never two on one local day, for anyone.
    for (id, _, zone) in cases {
        let dates = sender.local_dates(id, zone);
        let mut unique = dates.clone();
        unique.dedup();
        assert_eq!(dates, unique, "{id} got two messages on one local day");
        assert!(dates.len() >= 4, "{id}: {dates:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn fall_back_fires_once_and_spring_forward_fires_at_the_next_valid_minute() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-10-24T00:00:00Z");
    let london = chat(Platform::Discord, "london-0115");
    let lhi = chat(Platform::Discord, "lhi-0210");
    reminders
        .subscribe(&london, t(1, 15), Europe::London, start)
        .unwrap();
    reminders
        .subscribe(
            &lhi,
            t(2, 10),
            Australia::Lord_Howe,
            utc("2026-10-02T00:00:00Z"),
        )
        .unwrap();
    let clock = TestClock::starting_at(utc("2026-10-02T00:00:00Z"));
    let sender = FakeSender::new(clock.clone());
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-10-27T00:00:00Z"),
    )
    .await;
    // 25 October: 01:15 happens twice in London (BST, then GMT); one message, at the first.
    let on_25th: Vec<_> = sender
        .sent_to("london-0115")
        .into_iter()
        .filter(|s| s.at.with_timezone(&Europe::London).date_naive() == d(2026, 10, 25))
        .map(|s| s.at)
        .collect();
    assert_eq!(on_25th, vec![utc("2026-10-25T00:15:00Z")]);
    // 4 October on Lord Howe Island: 02:00 becomes 02:30, so 02:10 fires at 02:30 (+11:00).
    assert!(
        sender
            .sent_to("lhi-0210")
            .iter()
            .any(|s| s.at == utc("2026-10-03T15:30:00Z")),
        "{:?}",
        sender.sent_to("lhi-0210")
    );
    let dates = sender.local_dates("lhi-0210", Australia::Lord_Howe);
    assert_eq!(dates.len(), 25, "one a day from 3 to 27 October: {dates:?}");
}

#[tokio::test(start_paused = true)]
async fn after_downtime_a_recent_miss_is_sent_late_once_and_an_old_one_skipped() {
    let (_dir, _db, reminders) = open(Settings::default());
    // Both were due at 08:00 London on 1 June; the bot comes back at 13:30 (5 h 30 late for one, 7 h 30 for
    // the other).
    let subscribed = utc("2026-06-01T05:00:00Z");
    let recent = chat(Platform::Telegram, "recent");
    let old = chat(Platform::Telegram, "old");
    reminders
        .subscribe(&recent, t(8, 0), Europe::London, subscribed)
        .unwrap();
    reminders
        .subscribe(&old, t(6, 0), Europe::London, subscribed)
        .unwrap();
    let clock = TestClock::starting_at(utc("2026-06-01T12:30:00Z"));
    let sender = FakeSender::new(clock.clone());
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-06-03T00:00:00Z"),
    )
    .await;
    let recent_at: Vec<_> = sender.sent_to("recent").iter().map(|s| s.at).collect();
    assert_eq!(
        recent_at,
        vec![utc("2026-06-01T12:30:00Z"), utc("2026-06-02T07:00:00Z")],
        "sent late once, then on time"
    );
    let old_at: Vec<_> = sender.sent_to("old").iter().map(|s| s.at).collect();
    assert_eq!(
        old_at,
        vec![utc("2026-06-02T05:00:00Z")],
        "skipped, then on time"
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_reminder_is_never_sent_on_the_next_local_day() {
    let (_dir, _db, reminders) = open(Settings::default());
    // Due 23:30 London on 1 June; the bot is back at 00:30 on 2 June (1 h late, within the window).
    let night = chat(Platform::Telegram, "night");
    reminders
        .subscribe(
            &night,
            t(23, 30),
            Europe::London,
            utc("2026-06-01T12:00:00Z"),
        )
        .unwrap();
    let clock = TestClock::starting_at(utc("2026-06-01T23:30:00Z"));
    let sender = FakeSender::new(clock.clone());
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-06-03T00:00:00Z"),
    )
    .await;
    assert_eq!(
        sender
            .sent_to("night")
            .iter()
            .map(|s| s.at)
            .collect::<Vec<_>>(),
        vec![utc("2026-06-02T22:30:00Z")]
    );
}

#[tokio::test(start_paused = true)]
async fn temporary_failures_retry_with_backoff_within_the_day() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let flaky = chat(Platform::Telegram, "flaky");
    let down = chat(Platform::Telegram, "down");
    reminders
        .subscribe(&flaky, t(8, 0), Europe::London, start)
        .unwrap();
    reminders
        .subscribe(&down, t(20, 0), Europe::London, start)
        .unwrap();
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    sender.script(
        "flaky",
        vec![
            Err(DeliveryError::Transient("429".into())),
            Err(DeliveryError::Transient("502".into())),
        ],
    );
    sender.always_fail(
        "down",
        DeliveryError::Transient("connection refused".into()),
    );
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-06-02T12:00:00Z"),
    )
    .await;
    let attempts: Vec<_> = sender
        .attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| id == "flaky")
        .map(|(_, at)| *at)
        .collect();
    assert_eq!(
        &attempts[..3],
        &[
            utc("2026-06-01T07:00:00Z"),
            utc("2026-06-01T07:01:00Z"), // +1 min
            utc("2026-06-01T07:03:00Z"), // +2 min
        ]
    );
    assert_eq!(
        sender.local_dates("flaky", Europe::London),
        vec![d(2026, 6, 1), d(2026, 6, 2)]
    );
    // Always failing: tries until the day ends, never after midnight, then tries again the next day.
    let down: Vec<_> = sender
        .attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| id == "down")
        .map(|(_, at)| *at)
        .collect();
    assert!(down.len() >= 4, "{down:?}");
    assert!(down.iter().all(|at| *at < utc("2026-06-01T23:00:00Z")));
    assert!(sender.sent_to("down").is_empty());
    let sub = reminders
        .subscription(&chat(Platform::Telegram, "down"))
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, State::Active);
    assert_eq!(sub.next, Some(utc("2026-06-02T19:00:00Z")));
}

#[tokio::test(start_paused = true)]
async fn a_pause_while_a_retry_waits_does_not_hold_up_the_days_after_the_resume() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let person = chat(Platform::Telegram, "person");
    ask(&reminders, &person, "/remind 8am Europe/London", start);
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    sender.script("person", vec![Err(DeliveryError::Transient("502".into()))]);
    let scheduler = Scheduler::spawn(&reminders, &sender, &clock, Limits::default());
    // 08:00 fails; the retry would be at 08:01, but they pause first, and resume in the evening.
    clock.until(utc("2026-06-01T07:00:30Z")).await;
    assert_eq!(sender.attempts.lock().unwrap().len(), 1);
    ask(&reminders, &person, "pause reminders", clock.now());
    clock.until(utc("2026-06-01T18:00:00Z")).await;
    ask(&reminders, &person, "resume reminders", clock.now());
    clock.until(utc("2026-06-04T00:00:00Z")).await;
    assert_eq!(
        sender.local_dates("person", Europe::London),
        vec![d(2026, 6, 2), d(2026, 6, 3)]
    );
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_chat_pauses_until_the_person_resumes() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let gone = chat(Platform::Discord, "gone");
    reminders
        .subscribe(&gone, t(9, 0), America::Chicago, start)
        .unwrap();
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    sender.script("gone", vec![Err(DeliveryError::Unreachable)]);
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-06-04T00:00:00Z"),
    )
    .await;
    assert_eq!(
        sender.attempts.lock().unwrap().len(),
        1,
        "no more tries after a block"
    );
    let sub = reminders.subscription(&gone).unwrap().unwrap();
    assert_eq!(sub.state, State::Blocked);
    let status = ask(
        &reminders,
        &gone,
        "/remind status",
        utc("2026-06-04T00:00:00Z"),
    );
    assert!(
        status.plain_text().contains("couldn't deliver"),
        "{}",
        status.plain_text()
    );
    let resumed = ask(
        &reminders,
        &gone,
        "/remind resume",
        utc("2026-06-04T00:00:00Z"),
    );
    assert!(
        resumed.plain_text().contains("back on"),
        "{}",
        resumed.plain_text()
    );
    assert_eq!(
        reminders.subscription(&gone).unwrap().unwrap().state,
        State::Active
    );
}

#[tokio::test(start_paused = true)]
async fn no_delivery_after_stop_is_answered() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let person = chat(Platform::Telegram, "person");
    ask(&reminders, &person, "/remind 8am Europe/London", start);
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    let scheduler = Scheduler::spawn(&reminders, &sender, &clock, Limits::default());
    // One delivery on 1 June, then "stop" one second before the next is due.
    clock.until(utc("2026-06-02T06:59:59Z")).await;
    assert_eq!(sender.sent_to("person").len(), 1);
    let reply = ask(&reminders, &person, "stop my daily reminders", clock.now());
    assert!(
        reply.plain_text().contains("stopped"),
        "{}",
        reply.plain_text()
    );
    clock.until(utc("2026-06-10T00:00:00Z")).await;
    assert_eq!(sender.sent_to("person").len(), 1, "nothing after the stop");
    assert!(reminders.subscription(&person).unwrap().is_none());
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_a_batch_withdraws_the_deliveries_not_yet_started() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let a = chat(Platform::Telegram, "a");
    let b = chat(Platform::Telegram, "b");
    // Same minute: claimed in one batch.
    reminders
        .subscribe(&a, t(8, 0), Europe::London, start)
        .unwrap();
    reminders
        .subscribe(&b, t(8, 0), Europe::London, start)
        .unwrap();
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    // Whoever is delivered first, the other says "stop" while that delivery is in flight.
    let hook_reminders = reminders.clone();
    let hook_clock = clock.clone();
    sender.on_deliver(move |delivered| {
        let other = if delivered.id == "a" { "b" } else { "a" };
        let other = chat(Platform::Telegram, other);
        if hook_reminders.subscription(&other).unwrap().is_some() {
            ask(&hook_reminders, &other, "/remind stop", hook_clock.now());
        }
    });
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-06-03T00:00:00Z"),
    )
    .await;
    let sent = sender.sent();
    let first = &sent[0].chat.id;
    assert!(
        sent.iter().all(|s| &s.chat.id == first),
        "the stopped chat got nothing: {sent:?}"
    );
    assert_eq!(sent.len(), 2, "the other chat got its two days");
}

#[tokio::test(start_paused = true)]
async fn a_big_batch_is_spread_at_the_platform_rate_without_holding_up_the_other_platform() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    for i in 0..100 {
        reminders
            .subscribe(
                &chat(Platform::Telegram, &format!("tg{i}")),
                t(8, 0),
                Europe::London,
                start,
            )
            .unwrap();
    }
    for i in 0..10 {
        reminders
            .subscribe(
                &chat(Platform::Discord, &format!("dc{i}")),
                t(8, 0),
                Europe::London,
                start,
            )
            .unwrap();
    }
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    let limits = Limits {
        telegram_per_second: 10,
        discord_per_second: 5,
        ..Limits::default()
    };
    run_until(
        &reminders,
        &sender,
        &clock,
        limits,
        utc("2026-06-01T08:00:00Z"),
    )
    .await;
    let due = utc("2026-06-01T07:00:00Z");
    let sent = sender.sent();
    let offsets = |prefix: &str| -> Vec<i64> {
        sent.iter()
            .filter(|s| s.chat.id.starts_with(prefix))
            .map(|s| (s.at - due).num_milliseconds())
            .collect()
    };
    let tg = offsets("tg");
    let dc = offsets("dc");
    assert_eq!(tg.len(), 100);
    assert_eq!(dc.len(), 10);
    // Telegram: a burst of 10, then 10 a second: the last one about 9 s after the due minute.
    let last_tg = *tg.iter().max().unwrap();
    assert!((8_500..=10_500).contains(&last_tg), "{last_tg} ms");
    for window in 0..10 {
        let in_window = tg
            .iter()
            .filter(|&&ms| ms >= window * 1000 && ms < (window + 1) * 1000)
            .count();
        assert!(
            in_window <= 20,
            "{in_window} Telegram messages in second {window}"
        );
    }
    // Discord is not queued behind Telegram: 5 at once, 5 more within about a second.
    assert!(*dc.iter().max().unwrap() <= 1_500, "{dc:?}");
    // Every chat got exactly one.
    let mut per_chat: HashMap<String, usize> = HashMap::new();
    for s in &sent {
        *per_chat.entry(s.chat.id.clone()).or_default() += 1;
    }
    assert!(per_chat.values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn the_scheduler_wakes_when_a_reminder_is_added() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-06-01T00:00:00Z");
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    // Nothing is due: the scheduler has no timer at all.
    let scheduler = Scheduler::spawn(&reminders, &sender, &clock, Limits::default());
    clock.until(utc("2026-06-01T06:58:00Z")).await;
    let person = chat(Platform::Terminal, "local");
    ask(
        &reminders,
        &person,
        "remind me every day at 8am london time",
        clock.now(),
    );
    clock.until(utc("2026-06-01T07:30:00Z")).await;
    assert_eq!(
        sender
            .sent_to("local")
            .iter()
            .map(|s| s.at)
            .collect::<Vec<_>>(),
        vec![utc("2026-06-01T07:00:00Z")]
    );
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn september_sends_the_series_and_the_rest_of_the_year_the_rotation() {
    let (_dir, _db, reminders) = open(Settings::default());
    let start = utc("2026-08-30T00:00:00Z");
    let person = chat(Platform::Telegram, "series");
    reminders
        .subscribe(&person, t(9, 0), America::New_York, start)
        .unwrap();
    let clock = TestClock::starting_at(start);
    let sender = FakeSender::new(clock.clone());
    run_until(
        &reminders,
        &sender,
        &clock,
        Limits::default(),
        utc("2026-10-03T00:00:00Z"),
    )
    .await;
    let sent = sender.sent_to("series");
    assert_eq!(sent.len(), 34, "30 Aug to 2 Oct");
    let entries: Vec<&str> = sent.iter().map(|s| s.entry.as_str()).collect();
    assert!(entries[..2].iter().all(|e| e.starts_with("principle:")));
    assert!(
        entries[2..32]
            .iter()
            .all(|e| e.starts_with("recovery-month:"))
    );
    assert!(entries[32..].iter().all(|e| e.starts_with("principle:")));
    let series: std::collections::HashSet<_> = entries[2..32].iter().collect();
    assert_eq!(series.len(), 30, "30 different messages");
    for pair in sent.windows(2) {
        assert_ne!(
            pair[0].text, pair[1].text,
            "the same message two days running"
        );
    }
    assert!(sent[2].text.contains("Day 1 of 30"), "{}", sent[2].text);
    for s in &sent {
        assert!(
            s.text.trim_end().ends_with("/remind pause pauses them."),
            "{}",
            s.text
        );
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_returns_and_leaves_the_store_readable() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2026-06-01T00:00:00Z");
    {
        let db = common::open_db(dir.path());
        let reminders = std::sync::Arc::new(
            reminders::Reminders::open(&db, common::content(), Settings::default()).unwrap(),
        );
        reminders
            .subscribe(
                &chat(Platform::Telegram, "keep"),
                t(8, 0),
                Europe::London,
                start,
            )
            .unwrap();
        let clock = TestClock::starting_at(start);
        let sender = FakeSender::new(clock.clone());
        run_until(
            &reminders,
            &sender,
            &clock,
            Limits::default(),
            utc("2026-06-01T12:00:00Z"),
        )
        .await;
        assert_eq!(sender.sent().len(), 1);
    }
    let db = common::open_db(dir.path());
    let reminders =
        reminders::Reminders::open(&db, common::content(), Settings::default()).unwrap();
    let sub = reminders
        .subscription(&chat(Platform::Telegram, "keep"))
        .unwrap()
        .unwrap();
    assert_eq!(sub.last_delivered, Some(d(2026, 6, 1)));
    assert_eq!(sub.next, Some(utc("2026-06-02T07:00:00Z")));
}
