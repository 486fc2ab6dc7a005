//! The sled layout: one record per chat, and an index of due times, in one tree (so a batch changes both
//! atomically), plus a meta tree with the schema version.
//!
//! Tree `reminders`:
//! - `S` platform chat-id -> [`Record`] (postcard)
//! - `D` platform due-seconds(u64, big-endian) shuffle(u32) chat-id -> empty: the due index, in time order
//!   per platform
//!
//! Tree `reminders-meta`: `version` -> u32 big-endian.

use bot_core::{ChatKind, ChatRef, Platform};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The data tree.
pub const TREE: &str = "reminders";
/// The schema version tree.
pub const META_TREE: &str = "reminders-meta";
/// The key of the schema version in the meta tree.
pub const VERSION_KEY: &[u8] = b"version";
/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const RECORD: u8 = b'S';
pub(crate) const DUE: u8 = b'D';

/// Every platform, in key order.
pub(crate) const PLATFORMS: [Platform; 3] =
    [Platform::Terminal, Platform::Telegram, Platform::Discord];

/// A migration from schema `from` to `from + 1`, run at open inside one batch.
type Migration = fn(&sled::Tree) -> Result<sled::Batch, Error>;

/// The migration path: entry `i` turns schema `i + 1` into `i + 2`. Empty while there is one schema.
const MIGRATIONS: &[Migration] = &[];

/// What the store keeps about one chat. Nothing else: no names, no message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// A group chat (the platform needs it to address the chat).
    pub group: bool,
    /// Minutes after local midnight.
    pub minute: u16,
    /// IANA zone name.
    pub zone: String,
    pub state: State,
    /// The last local date a reminder was handed to the platform for, or was about to be: the at-most-once
    /// marker, written (and flushed) before sending. No date up to it is ever sent again.
    pub sent: Option<i32>,
    /// The last local date the platform confirmed.
    pub delivered: Option<i32>,
    /// A date whose send failed with a temporary error and will be tried again (it was certainly not
    /// delivered), with the number of attempts so far.
    pub retry: Option<(i32, u8)>,
    /// The due index entry: seconds since the epoch (UTC) and the local date it is for; `None` when paused.
    pub due: Option<(i64, i32)>,
}

/// Whether reminders go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Active,
    /// The person paused them.
    Paused,
    /// The platform said the chat cannot be written to (blocked, DMs closed).
    Blocked,
}

impl Record {
    pub fn time(&self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.minute / 60), u32::from(self.minute % 60), 0)
            .unwrap_or(NaiveTime::MIN)
    }

    pub fn tz(&self) -> Tz {
        self.zone.parse().unwrap_or(Tz::UTC)
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a record always encodes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Record, String> {
        let view = RecordView::decode(bytes)?;
        Ok(Record {
            group: view.group,
            minute: view.minute,
            zone: view.zone.to_string(),
            state: view.state,
            sent: view.sent,
            delivered: view.delivered,
            retry: view.retry,
            due: view.due,
        })
    }
}

/// A [`Record`] read in place: the same encoding, with the zone borrowed from the stored bytes. Every record
/// read goes through [`RecordView::decode`], so the check at open accepts exactly what the service reads,
/// without allocating.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordView<'a> {
    pub group: bool,
    pub minute: u16,
    pub zone: &'a str,
    pub state: State,
    pub sent: Option<i32>,
    pub delivered: Option<i32>,
    pub retry: Option<(i32, u8)>,
    pub due: Option<(i64, i32)>,
}

impl<'a> RecordView<'a> {
    pub fn decode(bytes: &'a [u8]) -> Result<RecordView<'a>, String> {
        let view: RecordView<'a> = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
        if view.zone.parse::<Tz>().is_err() {
            return Err(format!("unknown time zone {:?}", view.zone));
        }
        if view.minute >= 24 * 60 {
            return Err(format!("time of day {} is out of range", view.minute));
        }
        Ok(view)
    }
}

pub(crate) fn minute_of(time: NaiveTime) -> u16 {
    use chrono::Timelike as _;
    (time.hour() * 60 + time.minute()) as u16
}

pub(crate) fn day_number(date: NaiveDate) -> i32 {
    use chrono::Datelike as _;
    date.num_days_from_ce()
}

pub(crate) fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

pub(crate) fn platform_byte(platform: Platform) -> u8 {
    match platform {
        Platform::Terminal => b'c',
        Platform::Telegram => b't',
        Platform::Discord => b'd',
    }
}

fn platform_of(byte: u8) -> Option<Platform> {
    PLATFORMS.into_iter().find(|p| platform_byte(*p) == byte)
}

/// `S` platform id.
pub(crate) fn record_key(chat: &ChatRef) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + chat.id.len());
    key.push(RECORD);
    key.push(platform_byte(chat.platform));
    key.extend_from_slice(chat.id.as_bytes());
    key
}

/// `D` platform seconds shuffle id. Within one second, `shuffle` (a hash of the second and the chat) orders
/// the chats differently every day, so when a rate limit makes a big batch wait, nobody is always last.
pub(crate) fn due_key(platform: Platform, at: i64, id: &[u8]) -> Vec<u8> {
    let secs = at.max(0) as u64;
    let mut key = Vec::with_capacity(14 + id.len());
    key.push(DUE);
    key.push(platform_byte(platform));
    key.extend_from_slice(&secs.to_be_bytes());
    key.extend_from_slice(&shuffle(secs, id).to_be_bytes());
    key.extend_from_slice(id);
    key
}

/// FNV-1a over the second and the chat id.
fn shuffle(secs: u64, id: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in secs.to_le_bytes().iter().chain(id) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The prefix of one platform's due index.
pub(crate) fn due_prefix(platform: Platform) -> [u8; 2] {
    [DUE, platform_byte(platform)]
}

/// Reads a due key: the instant and the chat's record key.
pub(crate) fn parse_due_key(key: &[u8]) -> Option<(DateTime<Utc>, Vec<u8>)> {
    let at = due_at(key)?;
    let mut record = Vec::with_capacity(key.len() - 12);
    record.push(RECORD);
    record.push(key[1]);
    record.extend_from_slice(&key[14..]);
    Some((at, record))
}

/// The instant of a due index key (`None`: not one), without building its record key.
fn due_at(key: &[u8]) -> Option<DateTime<Utc>> {
    if key.len() < 14 || key[0] != DUE {
        return None;
    }
    let secs = u64::from_be_bytes(key[2..10].try_into().ok()?);
    DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)
}

/// Whether a record key names a platform and a chat id, as [`chat_of`] reads it (without building the chat).
fn chat_of_key(key: &[u8]) -> Option<(Platform, &str)> {
    if key.len() < 2 || key[0] != RECORD {
        return None;
    }
    Some((platform_of(key[1])?, std::str::from_utf8(&key[2..]).ok()?))
}

/// The chat a record key belongs to.
pub(crate) fn chat_of(key: &[u8], group: bool) -> Option<ChatRef> {
    let (platform, id) = chat_of_key(key)?;
    Some(ChatRef::new(
        platform,
        id,
        if group {
            ChatKind::Group
        } else {
            ChatKind::Direct
        },
    ))
}

/// A printable name for a key in errors and logs: platform and chat id (never anything a person wrote).
pub(crate) fn describe(key: &[u8]) -> String {
    match key.get(1).copied().and_then(platform_of) {
        Some(p) => format!(
            "{:?}:{}",
            p,
            String::from_utf8_lossy(key.get(2..).unwrap_or_default())
        ),
        None => format!("{key:?}"),
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Chats with a reminder (any state).
    pub subscriptions: usize,
    /// Of them, active.
    pub active: usize,
    /// Entries in the due index.
    pub due_entries: usize,
}

/// Brings the schema to [`SCHEMA_VERSION`]: writes it into a new store, runs the migrations from an older
/// one, and refuses a store without a version that holds data, or one from a newer build.
pub(crate) fn upgrade(tree: &sled::Tree, meta: &sled::Tree) -> Result<(), Error> {
    let version = match meta.get(VERSION_KEY)? {
        Some(bytes) => {
            let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| Error::Corrupt {
                key: "reminders-meta:version".into(),
                message: format!("{} bytes, expected 4", bytes.len()),
            })?;
            u32::from_be_bytes(bytes)
        }
        None if tree.first()?.is_none() => {
            meta.insert(VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            return Ok(());
        }
        None => return Err(Error::NoVersion),
    };
    if version > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        return Err(Error::Corrupt {
            key: "reminders-meta:version".into(),
            message: "schema 0 does not exist".into(),
        });
    }
    for from in version..SCHEMA_VERSION {
        let migrate = MIGRATIONS
            .get(from as usize - 1)
            .ok_or(Error::NoMigration { from })?;
        let batch = migrate(tree)?;
        tree.apply_batch(batch)?;
        meta.insert(VERSION_KEY, &(from + 1).to_be_bytes())?;
        tracing::info!(from, to = from + 1, "reminder store migrated");
    }
    Ok(())
}

/// Reads every record (a corrupt one is an error naming its chat) and counts the due index. When the index
/// does not match the records (it is derived data), it is rebuilt from them. The records and the due index
/// are read on two threads at once (they are disjoint key ranges of one tree).
pub(crate) fn check(tree: &sled::Tree) -> Result<StoreStats, Error> {
    let (records, due_entries) = std::thread::scope(|scope| {
        let due = scope.spawn(|| count_due(tree));
        let records = check_records(tree);
        let due = due
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (records, due)
    });
    let (mut stats, expected_due) = records?;
    stats.due_entries = due_entries?;
    if stats.due_entries != expected_due {
        tracing::warn!(
            records = expected_due,
            index = stats.due_entries,
            "reminder due index does not match the records; rebuilding it"
        );
        stats.due_entries = rebuild_due_index(tree)?;
    }
    Ok(stats)
}

/// Decodes every record in place; returns the counts and how many due index entries the records expect.
fn check_records(tree: &sled::Tree) -> Result<(StoreStats, usize), Error> {
    let mut stats = StoreStats::default();
    let mut expected_due = 0;
    for item in tree.scan_prefix([RECORD]) {
        let (key, value) = item?;
        let record = RecordView::decode(&value).map_err(|message| Error::Corrupt {
            key: describe(&key),
            message,
        })?;
        if chat_of_key(&key).is_none() {
            return Err(Error::Corrupt {
                key: describe(&key),
                message: "the key is not a platform and a chat id".into(),
            });
        }
        stats.subscriptions += 1;
        if record.state == State::Active {
            stats.active += 1;
        }
        if record.due.is_some() {
            expected_due += 1;
        }
    }
    Ok((stats, expected_due))
}

/// Counts the due index, checking that every key is one.
fn count_due(tree: &sled::Tree) -> Result<usize, Error> {
    let mut count = 0;
    for item in tree.scan_prefix([DUE]).keys() {
        let key = item?;
        if due_at(&key).is_none() {
            return Err(Error::Corrupt {
                key: format!("{key:?}"),
                message: "not a due index key".into(),
            });
        }
        count += 1;
    }
    Ok(count)
}

/// The quick check at open: the first and last records of each platform and the first due entries.
pub(crate) fn sample(tree: &sled::Tree) -> Result<StoreStats, Error> {
    const SAMPLE: usize = 64;
    let mut stats = StoreStats::default();
    for platform in PLATFORMS {
        let prefix = [RECORD, platform_byte(platform)];
        let ends = tree
            .scan_prefix(prefix)
            .take(SAMPLE)
            .chain(tree.scan_prefix(prefix).rev().take(SAMPLE));
        for item in ends {
            let (key, value) = item?;
            let record = Record::decode(&value).map_err(|message| Error::Corrupt {
                key: describe(&key),
                message,
            })?;
            stats.subscriptions += 1;
            if record.state == State::Active {
                stats.active += 1;
            }
        }
        for item in tree.scan_prefix(due_prefix(platform)).keys().take(SAMPLE) {
            let key = item?;
            if parse_due_key(&key).is_none() {
                return Err(Error::Corrupt {
                    key: format!("{key:?}"),
                    message: "not a due index key".into(),
                });
            }
            stats.due_entries += 1;
        }
    }
    Ok(stats)
}

fn rebuild_due_index(tree: &sled::Tree) -> Result<usize, Error> {
    let mut batch = sled::Batch::default();
    for key in tree.scan_prefix([DUE]).keys() {
        batch.remove(key?);
    }
    let mut count = 0;
    for item in tree.scan_prefix([RECORD]) {
        let (key, value) = item?;
        let record = Record::decode(&value).map_err(|message| Error::Corrupt {
            key: describe(&key),
            message,
        })?;
        if let (Some((at, _)), Some(platform)) =
            (record.due, key.get(1).copied().and_then(platform_of))
        {
            batch.insert(due_key(platform, at, &key[2..]), &[]);
            count += 1;
        }
    }
    tree.apply_batch(batch)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let chat = ChatRef::new(Platform::Telegram, "-100123", ChatKind::Group);
        let key = record_key(&chat);
        assert_eq!(chat_of(&key, true), Some(chat.clone()));
        let due = due_key(Platform::Telegram, 1_800_000_000, &key[2..]);
        let (at, back) = parse_due_key(&due).unwrap();
        assert_eq!(at.timestamp(), 1_800_000_000);
        assert_eq!(back, key);
        // Due keys sort by time within a platform.
        assert!(due_key(Platform::Telegram, 5, b"z") < due_key(Platform::Telegram, 6, b"a"));
    }

    #[test]
    fn records_are_small() {
        let record = Record {
            group: false,
            minute: 480,
            zone: "America/New_York".into(),
            state: State::Active,
            sent: Some(739_000),
            delivered: Some(739_000),
            retry: None,
            due: Some((1_800_000_000, 739_001)),
        };
        let bytes = record.encode();
        assert!(bytes.len() < 40, "{} bytes", bytes.len());
        assert_eq!(Record::decode(&bytes).unwrap(), record);
        assert!(Record::decode(&bytes[..5]).is_err());
    }

    #[test]
    fn the_check_reads_records_and_index_and_names_what_is_corrupt() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree(TREE).unwrap();
        let record = Record {
            group: false,
            minute: 480,
            zone: "Europe/London".into(),
            state: State::Active,
            sent: None,
            delivered: None,
            retry: None,
            due: Some((1_800_000_000, 739_001)),
        };
        tree.insert(b"St1", record.encode()).unwrap();
        tree.insert(due_key(Platform::Telegram, 1_800_000_000, b"1"), &[])
            .unwrap();
        let expected = StoreStats {
            subscriptions: 1,
            active: 1,
            due_entries: 1,
        };
        assert_eq!(check(&tree).unwrap(), expected);

        let mut bad = record.clone();
        bad.zone = "Mars/Olympus_Mons".into();
        tree.insert(b"St2", bad.encode()).unwrap();
        assert!(Record::decode(&bad.encode()).is_err());
        match check(&tree) {
            Err(Error::Corrupt { key, message }) => {
                assert_eq!(key, "Telegram:2");
                assert!(message.contains("Mars/Olympus_Mons"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        tree.remove(b"St2").unwrap();

        tree.insert(b"Dt-short", &[]).unwrap();
        match check(&tree) {
            Err(Error::Corrupt { message, .. }) => assert_eq!(message, "not a due index key"),
            other => panic!("{other:?}"),
        }
        // Nothing was changed by the failed checks.
        assert_eq!(tree.get(b"St1").unwrap().unwrap().as_ref(), record.encode());
        assert!(tree.get(b"Dt-short").unwrap().is_some());
    }
}
