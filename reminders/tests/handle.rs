//! Conversations through the core and `Reminders::handle`, and the store's behaviour at open.

mod common;

use bot_core::{ChatKind, ChatRef, Intent, Platform};
use chrono::NaiveTime;
use chrono_tz::{America, Europe};
use common::{ask, chat, content, open, utc};
use reminders::{Error, Reminders, Settings, State};

fn text(reply: &bot_core::Reply) -> String {
    reply.plain_text()
}

#[test]
fn start_change_pause_resume_status_stop() {
    let (_dir, _db, r) = open(Settings::default());
    let me = chat(Platform::Telegram, "42");
    let now = utc("2026-06-01T06:00:00Z"); // 07:00 in London

    let reply = ask(&r, &me, "remind me every day at 8am", now);
    assert_eq!(reply.intent, Intent::Reminder);
    assert!(text(&reply).contains("Which time zone"), "{}", text(&reply));
    assert!(
        reply
            .follow_ups
            .iter()
            .any(|f| f.message == "/remind 08:00 America/Chicago")
    );
    assert!(
        r.subscription(&me).unwrap().is_none(),
        "nothing stored without a zone"
    );

    // Pressing a button sends its message as if typed.
    let reply = ask(&r, &me, "/remind 08:00 Europe/London", now);
    assert!(
        text(&reply).contains("Daily reminder on"),
        "{}",
        text(&reply)
    );
    assert!(
        text(&reply).contains("08:00, Europe/London"),
        "{}",
        text(&reply)
    );
    assert!(text(&reply).contains("today, 08:00"), "{}", text(&reply));
    let sub = r.subscription(&me).unwrap().unwrap();
    assert_eq!(sub.time, NaiveTime::from_hms_opt(8, 0, 0).unwrap());
    assert_eq!(sub.zone, Europe::London);
    assert_eq!(sub.state, State::Active);
    assert_eq!(sub.next, Some(utc("2026-06-01T07:00:00Z")));
    assert_eq!(r.zone_of(&me), Some(Europe::London));

    let reply = ask(&r, &me, "change my reminder to 6 in the evening", now);
    assert!(
        text(&reply).contains("Reminder changed"),
        "{}",
        text(&reply)
    );
    assert!(text(&reply).contains("18:00"), "{}", text(&reply));
    let reply = ask(&r, &me, "my time zone is America/Chicago", now);
    assert!(
        text(&reply).contains("18:00, America/Chicago"),
        "{}",
        text(&reply)
    );

    let reply = ask(&r, &me, "pause my reminders", now);
    assert!(text(&reply).contains("paused"), "{}", text(&reply));
    assert_eq!(r.subscription(&me).unwrap().unwrap().state, State::Paused);
    assert_eq!(r.subscription(&me).unwrap().unwrap().next, None);
    let reply = ask(&r, &me, "/remind status", now);
    assert!(text(&reply).contains("is paused"), "{}", text(&reply));

    let reply = ask(&r, &me, "/remind resume", now);
    assert!(text(&reply).contains("back on"), "{}", text(&reply));
    let reply = ask(&r, &me, "/remind status", now);
    assert!(
        text(&reply).contains("is on: every day at 18:00"),
        "{}",
        text(&reply)
    );

    let reply = ask(&r, &me, "/remind stop", now);
    assert!(
        text(&reply).contains("Reminders stopped"),
        "{}",
        text(&reply)
    );
    assert!(r.subscription(&me).unwrap().is_none());
    let reply = ask(&r, &me, "/remind stop", now);
    assert!(
        text(&reply).contains("don't have a daily reminder"),
        "{}",
        text(&reply)
    );
}

#[test]
fn a_configured_default_zone_is_used_and_said() {
    let (_dir, _db, r) = open(Settings {
        default_zone: Some(America::New_York),
        ..Settings::default()
    });
    let me = chat(Platform::Discord, "7");
    let reply = ask(
        &r,
        &me,
        "remind me every day at 20:30",
        utc("2026-06-01T12:00:00Z"),
    );
    let said = text(&reply);
    assert!(said.contains("so I used America/New_York"), "{said}");
    assert!(said.contains("today, 20:30"), "{said}");
    assert_eq!(
        r.subscription(&me).unwrap().unwrap().next,
        Some(utc("2026-06-02T00:30:00Z"))
    );
}

#[test]
fn questions_for_missing_and_unclear_parts() {
    let (_dir, _db, r) = open(Settings::default());
    let me = chat(Platform::Telegram, "1");
    let now = utc("2026-06-01T12:00:00Z");
    let reply = ask(&r, &me, "my time zone is Europe/London", now);
    assert!(
        text(&reply).contains("What time of day"),
        "{}",
        text(&reply)
    );
    assert!(
        reply
            .follow_ups
            .iter()
            .any(|f| f.message == "/remind 08:00 Europe/London")
    );

    let reply = ask(&r, &me, "remind me at 8am mst", now);
    assert!(
        text(&reply).contains("more than one time zone"),
        "{}",
        text(&reply)
    );
    let choices: Vec<&str> = reply
        .follow_ups
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        choices,
        [
            "/remind 08:00 America/Denver",
            "/remind 08:00 America/Phoenix"
        ]
    );
    assert_eq!(reply.follow_ups[1].label, "Phoenix");

    let reply = ask(&r, &me, "/remind 8am Europe/Londno", now);
    assert!(text(&reply).contains("don't recognise"), "{}", text(&reply));
    let reply = ask(&r, &me, "/remind 25:00 Europe/London", now);
    assert!(
        text(&reply).contains("doesn't look like a time"),
        "{}",
        text(&reply)
    );
    assert!(r.subscription(&me).unwrap().is_none());

    let reply = ask(&r, &me, "how do reminders work?", now);
    assert!(text(&reply).contains("Daily reminders"), "{}", text(&reply));
    let reply = ask(&r, &me, "/remind", now);
    assert!(text(&reply).contains("Daily reminders"), "{}", text(&reply));
}

#[test]
fn forget_deletes_everything_and_says_so() {
    let (_dir, db, r) = open(Settings::default());
    let me = ChatRef::new(Platform::Discord, "99", ChatKind::Group);
    let now = utc("2026-06-01T12:00:00Z");
    ask(&r, &me, "/remind 9pm Chicago", now);
    assert!(r.subscription(&me).unwrap().is_some());
    let reply = ask(&r, &me, "/forget", now);
    assert!(
        text(&reply).contains("deleted everything"),
        "{}",
        text(&reply)
    );
    assert!(r.subscription(&me).unwrap().is_none());
    let tree = db.open_tree(reminders::TREE).unwrap();
    assert_eq!(tree.iter().count(), 0, "no record and no index entry left");
    let reply = ask(&r, &me, "forget everything about me", now);
    assert!(
        text(&reply).contains("deleted everything"),
        "{}",
        text(&reply)
    );
}

#[test]
fn mark_unreachable_pauses_as_blocked() {
    let (_dir, _db, r) = open(Settings::default());
    let me = chat(Platform::Telegram, "5");
    ask(
        &r,
        &me,
        "/remind 8am Europe/London",
        utc("2026-06-01T00:00:00Z"),
    );
    r.mark_unreachable(&me).unwrap();
    let sub = r.subscription(&me).unwrap().unwrap();
    assert_eq!(sub.state, State::Blocked);
    assert_eq!(sub.next, None);
    // Unknown chats are fine.
    r.mark_unreachable(&chat(Platform::Telegram, "nobody"))
        .unwrap();
}

#[test]
fn a_crisis_in_a_reminder_command_is_still_a_crisis() {
    let (_dir, _db, r) = open(Settings::default());
    let me = chat(Platform::Telegram, "6");
    let reply = ask(
        &r,
        &me,
        "/remind 8am i want to kill myself",
        utc("2026-06-01T00:00:00Z"),
    );
    assert_eq!(reply.intent, Intent::Crisis);
    assert!(reply.urgent);
    assert!(r.subscription(&me).unwrap().is_none());
}

#[test]
fn reminders_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let me = chat(Platform::Telegram, "8");
    {
        let db = common::open_db(dir.path());
        let r = Reminders::open(&db, content(), Settings::default()).unwrap();
        ask(
            &r,
            &me,
            "/remind 7:15am Asia/Kathmandu",
            utc("2026-06-01T00:00:00Z"),
        );
    }
    let db = common::open_db(dir.path());
    let r = Reminders::open(&db, content(), Settings::default()).unwrap();
    assert_eq!(r.stats_at_open().subscriptions, 1);
    assert_eq!(r.stats_at_open().active, 1);
    assert_eq!(r.stats_at_open().due_entries, 1);
    let sub = r.subscription(&me).unwrap().unwrap();
    assert_eq!(sub.zone, chrono_tz::Asia::Kathmandu);
}

fn reopen(dir: &std::path::Path) -> Result<Reminders, Error> {
    let db = common::open_db(dir);
    Reminders::open(&db, content(), Settings::default())
}

#[test]
fn a_corrupt_record_stops_open_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = common::open_db(dir.path());
        let r = Reminders::open(&db, content(), Settings::default()).unwrap();
        r.subscribe(
            &chat(Platform::Telegram, "123"),
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            Europe::London,
            utc("2026-06-01T00:00:00Z"),
        )
        .unwrap();
        let tree = db.open_tree(reminders::TREE).unwrap();
        tree.insert(b"St123", &b"\xff\xff\xff garbage"[..]).unwrap();
        db.flush().unwrap();
    }
    let err = reopen(dir.path()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Corrupt { .. }), "{message}");
    assert!(message.contains("Telegram:123"), "{message}");
    assert!(message.contains("left untouched"), "{message}");
    // Still there, byte for byte.
    let db = common::open_db(dir.path());
    let tree = db.open_tree(reminders::TREE).unwrap();
    assert_eq!(
        tree.get(b"St123").unwrap().unwrap().as_ref(),
        b"\xff\xff\xff garbage"
    );
}

#[test]
fn a_newer_schema_or_a_missing_version_stops_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = common::open_db(dir.path());
        Reminders::open(&db, content(), Settings::default()).unwrap();
        let meta = db.open_tree(reminders::META_TREE).unwrap();
        meta.insert("version", &(reminders::SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = reopen(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::NewerSchema { found: 2, known: 1 }),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    {
        let db = common::open_db(dir.path());
        let tree = db.open_tree(reminders::TREE).unwrap();
        tree.insert(b"St1", &b"x"[..]).unwrap();
        db.flush().unwrap();
    }
    let err = reopen(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoVersion), "{err}");
}

#[test]
fn a_damaged_due_index_is_rebuilt_from_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let me = chat(Platform::Discord, "3");
    {
        let db = common::open_db(dir.path());
        let r = Reminders::open(&db, content(), Settings::default()).unwrap();
        ask(
            &r,
            &me,
            "/remind 8am Europe/London",
            utc("2026-06-01T00:00:00Z"),
        );
        let tree = db.open_tree(reminders::TREE).unwrap();
        let due: Vec<_> = tree.scan_prefix(b"D").keys().map(Result::unwrap).collect();
        assert_eq!(due.len(), 1);
        tree.remove(&due[0]).unwrap();
        db.flush().unwrap();
    }
    let r = reopen(dir.path()).unwrap();
    assert_eq!(r.stats_at_open().due_entries, 1);
}
