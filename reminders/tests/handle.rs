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

/// The one bucket key of a store holding one chat of `platform`, and its value.
fn only_bucket(tree: &sled::Tree, platform: u8) -> (sled::IVec, sled::IVec) {
    let mut buckets = tree.scan_prefix([b'B', platform]).map(Result::unwrap);
    let bucket = buckets.next().expect("a bucket");
    assert!(buckets.next().is_none(), "one bucket");
    bucket
}

#[test]
fn a_corrupt_record_stops_open_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
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
        let (key, _) = only_bucket(&tree, b't');
        tree.insert(&key, &b"\xff\xff\xff garbage"[..]).unwrap();
        db.flush().unwrap();
        key
    };
    let err = reopen(dir.path()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Corrupt { .. }), "{message}");
    assert!(message.contains("Telegram bucket"), "{message}");
    assert!(message.contains("left untouched"), "{message}");
    // Still there, byte for byte.
    let db = common::open_db(dir.path());
    let tree = db.open_tree(reminders::TREE).unwrap();
    assert_eq!(
        tree.get(&key).unwrap().unwrap().as_ref(),
        b"\xff\xff\xff garbage"
    );
}

#[test]
fn a_record_naming_a_zone_not_in_the_table_stops_open_naming_its_chat() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = common::open_db(dir.path());
        let r = Reminders::open(&db, content(), Settings::default()).unwrap();
        ask(
            &r,
            &chat(Platform::Discord, "77"),
            "/remind 8am Europe/London",
            utc("2026-06-01T00:00:00Z"),
        );
        let tree = db.open_tree(reminders::TREE).unwrap();
        let zone_rows: Vec<_> = tree.scan_prefix(b"Z").keys().map(Result::unwrap).collect();
        assert_eq!(zone_rows.len(), 1);
        tree.remove(&zone_rows[0]).unwrap();
        db.flush().unwrap();
    }
    let message = reopen(dir.path()).unwrap_err().to_string();
    assert!(message.contains("Discord:77"), "{message}");
    assert!(message.contains("not in the zone table"), "{message}");
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
        matches!(err, Error::NewerSchema { found: 3, known: 2 }),
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

/// A record of schema 1 (one key per chat, the zone by name), as the first release wrote it.
#[derive(serde::Serialize)]
struct RecordV1 {
    group: bool,
    minute: u16,
    zone: &'static str,
    state: State,
    sent: Option<i32>,
    delivered: Option<i32>,
    retry: Option<(i32, u8)>,
    due: Option<(i64, i32)>,
}

/// Writes a schema 1 store: `S` platform id -> record, and the stored due index `D` platform secs shuffle id.
fn write_v1(db: &sled::Db, records: &[(u8, &str, RecordV1)]) {
    let tree = db.open_tree("reminders").unwrap();
    for (platform, id, record) in records {
        let mut key = vec![b'S', *platform];
        key.extend_from_slice(id.as_bytes());
        tree.insert(key, postcard::to_stdvec(record).unwrap())
            .unwrap();
        if let Some((at, _)) = record.due {
            let mut due = vec![b'D', *platform];
            due.extend_from_slice(&(at as u64).to_be_bytes());
            due.extend_from_slice(&[0, 0, 0, 0]);
            due.extend_from_slice(id.as_bytes());
            tree.insert(due, &[]).unwrap();
        }
    }
    let meta = db.open_tree(reminders::META_TREE).unwrap();
    meta.insert("version", &1u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

#[test]
fn a_schema_1_store_is_migrated_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let due = utc("2026-06-02T07:00:00Z").timestamp();
    {
        let db = common::open_db(dir.path());
        write_v1(
            &db,
            &[
                (
                    b't',
                    "-100123",
                    RecordV1 {
                        group: true,
                        minute: 480,
                        zone: "Europe/London",
                        state: State::Active,
                        sent: Some(739_768),
                        delivered: Some(739_768),
                        retry: None,
                        due: Some((due, 739_769)),
                    },
                ),
                (
                    b'd',
                    "700000000000000001",
                    RecordV1 {
                        group: false,
                        minute: 1230,
                        zone: "Asia/Kathmandu",
                        state: State::Paused,
                        sent: None,
                        delivered: None,
                        retry: None,
                        due: None,
                    },
                ),
                (
                    b'c',
                    "local",
                    RecordV1 {
                        group: false,
                        minute: 0,
                        zone: "Europe/London",
                        state: State::Blocked,
                        sent: None,
                        delivered: None,
                        retry: None,
                        due: None,
                    },
                ),
            ],
        );
    }
    let db = common::open_db(dir.path());
    let r = Reminders::open(&db, content(), Settings::default()).unwrap();
    assert_eq!(r.stats_at_open().subscriptions, 3);
    assert_eq!(r.stats_at_open().active, 1);
    assert_eq!(r.stats_at_open().due_entries, 1);
    let group = ChatRef::new(Platform::Telegram, "-100123", ChatKind::Group);
    let sub = r.subscription(&group).unwrap().unwrap();
    assert_eq!(sub.chat, group);
    assert_eq!(sub.zone, Europe::London);
    assert_eq!(sub.next.map(|t| t.timestamp()), Some(due));
    assert_eq!(
        sub.last_delivered.map(|d| d.to_string()).as_deref(),
        Some("2026-06-01")
    );
    assert_eq!(
        r.next_due(Platform::Telegram)
            .unwrap()
            .map(|t| t.timestamp()),
        Some(due)
    );
    let paused = r
        .subscription(&chat(Platform::Discord, "700000000000000001"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (paused.state, paused.zone),
        (State::Paused, chrono_tz::Asia::Kathmandu)
    );
    let blocked = r
        .subscription(&chat(Platform::Terminal, "local"))
        .unwrap()
        .unwrap();
    assert_eq!(blocked.state, State::Blocked);
    // Nothing of schema 1 is left, and the version moved on.
    let tree = db.open_tree(reminders::TREE).unwrap();
    assert_eq!(
        tree.scan_prefix(b"S").count() + tree.scan_prefix(b"D").count(),
        0
    );
    let meta = db.open_tree(reminders::META_TREE).unwrap();
    assert_eq!(
        meta.get("version").unwrap().unwrap().as_ref(),
        &2u32.to_be_bytes()
    );
}

#[test]
fn a_corrupt_schema_1_record_stops_the_migration_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = common::open_db(dir.path());
        write_v1(
            &db,
            &[(
                b't',
                "5",
                RecordV1 {
                    group: false,
                    minute: 480,
                    zone: "Mars/Olympus_Mons",
                    state: State::Active,
                    sent: None,
                    delivered: None,
                    retry: None,
                    due: None,
                },
            )],
        );
    }
    let message = reopen(dir.path()).unwrap_err().to_string();
    assert!(message.contains("Telegram:5"), "{message}");
    assert!(message.contains("Mars/Olympus_Mons"), "{message}");
    let db = common::open_db(dir.path());
    let tree = db.open_tree("reminders").unwrap();
    assert_eq!(tree.scan_prefix(b"S").count(), 1, "kept as it was");
    assert!(db.open_tree(reminders::TREE).unwrap().is_empty());
    let meta = db.open_tree(reminders::META_TREE).unwrap();
    assert_eq!(
        meta.get("version").unwrap().unwrap().as_ref(),
        &1u32.to_be_bytes()
    );
}

#[test]
fn an_interrupted_migration_starts_again_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let record = |minute| RecordV1 {
        group: false,
        minute,
        zone: "America/Chicago",
        state: State::Active,
        sent: None,
        delivered: None,
        retry: None,
        due: None,
    };
    {
        // A migration stopped half way: schema 1 intact, part of a new tree written, the version still 1.
        let db = common::open_db(dir.path());
        write_v1(&db, &[(b't', "1", record(480)), (b't', "2", record(540))]);
        let new = db.open_tree(reminders::TREE).unwrap();
        new.insert(b"Z\0\0", "Europe/Paris").unwrap();
        db.flush().unwrap();
    }
    let db = common::open_db(dir.path());
    let r = Reminders::open(&db, content(), Settings::default()).unwrap();
    assert_eq!(r.stats_at_open().subscriptions, 2);
    for (id, hour) in [("1", 8), ("2", 9)] {
        let sub = r
            .subscription(&chat(Platform::Telegram, id))
            .unwrap()
            .unwrap();
        assert_eq!(sub.time, NaiveTime::from_hms_opt(hour, 0, 0).unwrap());
        assert_eq!(sub.zone, America::Chicago);
    }
    // What the interrupted run wrote is gone: only the zone in use is in the table.
    let tree = db.open_tree(reminders::TREE).unwrap();
    let zones: Vec<_> = tree
        .scan_prefix(b"Z")
        .values()
        .map(Result::unwrap)
        .collect();
    assert_eq!(zones, vec![sled::IVec::from("America/Chicago")]);
}
