//! The sled layout (schema 2): chats grouped into buckets by a hash of their id, and a table of the zones
//! they use, in one tree; a meta tree with the schema version. The due index is not stored: it is built in
//! memory from the records at open ([`DueIndex`]), so a record change is one sled write.
//!
//! Tree `reminders`:
//! - `B` platform bucket(u16, big-endian) -> postcard `Vec<StoredChat>`: the chats of that platform whose id
//!   hashes to the bucket. Grouping about 50 chats per key at a million keeps sled's per-key costs (memory,
//!   start-up, disk) small.
//! - `Z` number(u16, big-endian) -> IANA zone name: the zones records name by number (append-only).
//!
//! Tree `reminders-meta`: `version` -> u32 big-endian.
//!
//! Schema 1 (tree `reminders`: one key per chat, `S` platform id -> record with the zone name, and a stored
//! due index under `D`) is migrated at open by [`v1_to_v2`].

use bot_core::{ChatKind, ChatRef, Platform};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::Error;

/// The data tree.
pub const TREE: &str = "reminders-2";
/// The data tree of schema 1, dropped once its records are in [`TREE`].
const V1_TREE: &str = "reminders";
/// The schema version tree.
pub const META_TREE: &str = "reminders-meta";
/// The key of the schema version in the meta tree.
pub const VERSION_KEY: &[u8] = b"version";
/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

const BUCKET: u8 = b'B';
const ZONE: u8 = b'Z';
/// Buckets per platform: 2^14. At a million chats, about 50 in a bucket (a value of about 1.5 KB).
const BUCKET_BITS: u32 = 14;

/// Every platform, in key order.
pub(crate) const PLATFORMS: [Platform; 3] =
    [Platform::Terminal, Platform::Telegram, Platform::Discord];

/// A migration from schema `from` to `from + 1`, run at open, writing into `TREE`. It leaves the older
/// schema's data as it was, so an interrupted migration starts again at the next open (the version moves on
/// only after it returns; the older data is dropped after that).
type Migration = fn(&sled::Db, &sled::Tree) -> Result<(), Error>;

/// The migration path: entry `i` turns schema `i + 1` into `i + 2`.
const MIGRATIONS: &[Migration] = &[v1_to_v2];

/// What the store keeps about one chat, besides its id. Nothing else: no names, no message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// A group chat (the platform needs it to address the chat).
    pub group: bool,
    /// Minutes after local midnight.
    pub minute: u16,
    pub zone: Tz,
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

/// Whether reminders go out (the core's type: it says a reminder's state back).
pub use bot_core::ReminderState as State;

impl Record {
    pub fn time(&self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.minute / 60), u32::from(self.minute % 60), 0)
            .unwrap_or(NaiveTime::MIN)
    }
}

/// A chat id as stored: a number when the platform's id is one (Telegram, Discord), else the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ChatId {
    Number(i64),
    Text(String),
}

impl ChatId {
    fn of(id: &str) -> ChatId {
        match id.parse::<i64>() {
            // Only the canonical form, so that the text comes back exactly ("007" stays text).
            Ok(n) if n.to_string() == id => ChatId::Number(n),
            _ => ChatId::Text(id.to_string()),
        }
    }
}

impl std::fmt::Display for ChatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatId::Number(n) => write!(f, "{n}"),
            ChatId::Text(text) => f.write_str(text),
        }
    }
}

/// Where a chat's record lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatKey {
    pub platform: Platform,
    pub id: ChatId,
    pub bucket: u16,
}

impl ChatKey {
    pub fn of(chat: &ChatRef) -> ChatKey {
        ChatKey {
            platform: chat.platform,
            id: ChatId::of(&chat.id),
            bucket: bucket_of(&chat.id),
        }
    }

    /// The chat, as the platform addresses it.
    pub fn chat(&self, group: bool) -> ChatRef {
        let kind = if group {
            ChatKind::Group
        } else {
            ChatKind::Direct
        };
        ChatRef::new(self.platform, self.id.to_string(), kind)
    }
}

/// FNV-1a of the id's text.
fn fnv(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

fn bucket_of(id: &str) -> u16 {
    (fnv(id.as_bytes()) & ((1 << BUCKET_BITS) - 1)) as u16
}

/// [`bucket_of`] the id's text, without allocating for a number.
fn bucket_of_id(id: &ChatId) -> u16 {
    match id {
        ChatId::Number(n) => {
            use std::io::Write as _;
            let mut buffer = [0u8; 20];
            let mut cursor = std::io::Cursor::new(&mut buffer[..]);
            write!(cursor, "{n}").expect("an i64 fits in 20 bytes");
            let len = cursor.position() as usize;
            bucket_of(std::str::from_utf8(&buffer[..len]).expect("digits"))
        }
        ChatId::Text(text) => bucket_of(text),
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

fn bucket_key(platform: Platform, bucket: u16) -> [u8; 4] {
    let [high, low] = bucket.to_be_bytes();
    [BUCKET, platform_byte(platform), high, low]
}

/// Reads a bucket key.
fn parse_bucket_key(key: &[u8]) -> Option<(Platform, u16)> {
    match key {
        [BUCKET, platform, high, low] => {
            Some((platform_of(*platform)?, u16::from_be_bytes([*high, *low])))
        }
        _ => None,
    }
}

fn describe_bucket(platform: Platform, bucket: u16) -> String {
    format!("{platform:?} bucket {bucket}")
}

/// One chat as it is encoded in a bucket: the zone is a number in the zone table.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredChat {
    pub id: ChatId,
    pub group: bool,
    pub minute: u16,
    pub zone: u16,
    pub state: State,
    pub sent: Option<i32>,
    pub delivered: Option<i32>,
    pub retry: Option<(i32, u8)>,
    pub due: Option<(i64, i32)>,
}

/// The zones records refer to by number, with how many records use each. A zone's row is written in the
/// same batch as the first record that uses it and removed with the last, so the table names only zones in
/// use (a forgotten chat's zone does not stay behind).
#[derive(Debug, Default)]
pub(crate) struct Zones {
    rows: Vec<Option<ZoneRow>>,
    numbers: HashMap<Tz, u16>,
}

#[derive(Debug, Clone, Copy)]
struct ZoneRow {
    zone: Tz,
    users: usize,
}

fn zone_key(number: u16) -> [u8; 3] {
    let [high, low] = number.to_be_bytes();
    [ZONE, high, low]
}

impl Zones {
    fn load(tree: &sled::Tree) -> Result<Zones, Error> {
        let mut zones = Zones::default();
        for item in tree.scan_prefix([ZONE]) {
            let (key, value) = item?;
            let corrupt = |message: String| Error::Corrupt {
                key: format!("zone table entry {key:?}"),
                message,
            };
            let [ZONE, high, low] = key.as_ref() else {
                return Err(corrupt("not a zone table key".into()));
            };
            let name = std::str::from_utf8(&value).map_err(|e| corrupt(e.to_string()))?;
            let zone: Tz = name
                .parse()
                .map_err(|_| corrupt(format!("unknown time zone {name:?}")))?;
            zones.add(u16::from_be_bytes([*high, *low]), zone);
        }
        Ok(zones)
    }

    fn add(&mut self, number: u16, zone: Tz) {
        let at = usize::from(number);
        if self.rows.len() <= at {
            self.rows.resize(at + 1, None);
        }
        self.rows[at] = Some(ZoneRow { zone, users: 0 });
        self.numbers.insert(zone, number);
    }

    fn get(&self, number: u16) -> Option<Tz> {
        self.rows
            .get(usize::from(number))
            .copied()
            .flatten()
            .map(|row| row.zone)
    }

    /// The number a new zone gets: the first free one. There are about 600 zones: the table never comes near
    /// u16::MAX.
    fn free_number(&self) -> u16 {
        let free = self
            .rows
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.rows.len());
        u16::try_from(free).expect("fewer than 65,536 zones")
    }

    fn count(&mut self, zone: Tz, by: isize) {
        if let Some(row) = self
            .numbers
            .get(&zone)
            .and_then(|n| self.rows[usize::from(*n)].as_mut())
        {
            row.users = row.users.saturating_add_signed(by);
        }
    }

    /// Removes, in one batch, the rows no record uses (left behind by forgetting a chat whose bucket could not
    /// be read).
    fn drop_unused(&mut self, tree: &sled::Tree) -> Result<(), Error> {
        let unused: Vec<(u16, Tz)> = (0..)
            .zip(&self.rows)
            .filter_map(|(n, row)| row.filter(|r| r.users == 0).map(|r| (n, r.zone)))
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for (number, _) in &unused {
            batch.remove(&zone_key(*number));
        }
        tree.apply_batch(batch)?;
        for (number, zone) in unused {
            self.rows[usize::from(number)] = None;
            self.numbers.remove(&zone);
        }
        Ok(())
    }

    fn users(&self, zone: Tz) -> usize {
        self.numbers
            .get(&zone)
            .and_then(|n| self.rows[usize::from(*n)])
            .map_or(0, |row| row.users)
    }
}

/// The chats of one bucket, decoded.
pub(crate) type Bucket = Vec<(ChatId, Record)>;

fn decode_bucket(
    bytes: &[u8],
    zones: &Zones,
    platform: Platform,
    bucket: u16,
) -> Result<Bucket, Error> {
    let stored: Vec<StoredChat> = postcard::from_bytes(bytes).map_err(|e| Error::Corrupt {
        key: describe_bucket(platform, bucket),
        message: e.to_string(),
    })?;
    stored
        .into_iter()
        .map(|chat| {
            let corrupt = |message: String| Error::Corrupt {
                key: format!("{platform:?}:{}", chat.id),
                message,
            };
            let zone = zones.get(chat.zone).ok_or_else(|| {
                corrupt(format!(
                    "zone number {} is not in the zone table",
                    chat.zone
                ))
            })?;
            if chat.minute >= 24 * 60 {
                return Err(corrupt(format!(
                    "time of day {} is out of range",
                    chat.minute
                )));
            }
            if bucket_of_id(&chat.id) != bucket {
                return Err(corrupt(format!("filed in bucket {bucket}, not its own")));
            }
            let record = Record {
                group: chat.group,
                minute: chat.minute,
                zone,
                state: chat.state,
                sent: chat.sent,
                delivered: chat.delivered,
                retry: chat.retry,
                due: chat.due,
            };
            Ok((chat.id, record))
        })
        .collect()
}

fn encode_bucket(chats: &Bucket, number: impl Fn(Tz) -> u16) -> Vec<u8> {
    let stored: Vec<StoredChat> = chats
        .iter()
        .map(|(id, record)| StoredChat {
            id: id.clone(),
            group: record.group,
            minute: record.minute,
            zone: number(record.zone),
            state: record.state,
            sent: record.sent,
            delivered: record.delivered,
            retry: record.retry,
            due: record.due,
        })
        .collect();
    postcard::to_stdvec(&stored).expect("a bucket always encodes")
}

/// Reads the bucket of one platform (empty when it has no chats).
pub(crate) fn read_bucket(
    tree: &sled::Tree,
    zones: &Zones,
    platform: Platform,
    bucket: u16,
) -> Result<Bucket, Error> {
    match tree.get(bucket_key(platform, bucket))? {
        Some(bytes) => decode_bucket(&bytes, zones, platform, bucket),
        None => Ok(Vec::new()),
    }
}

/// Writes a bucket (removes it when empty) in which one record's zone went from `old` to `new` (`None`: the
/// record is new, or deleted), with the zone table rows this adds or frees, in one atomic batch.
pub(crate) fn write_bucket(
    tree: &sled::Tree,
    zones: &mut Zones,
    (platform, bucket): (Platform, u16),
    chats: &Bucket,
    (old, new): (Option<Tz>, Option<Tz>),
) -> Result<(), Error> {
    let mut batch = sled::Batch::default();
    let added = new
        .filter(|zone| !zones.numbers.contains_key(zone))
        .map(|zone| (zones.free_number(), zone));
    if let Some((number, zone)) = added {
        batch.insert(&zone_key(number), zone.name());
    }
    let freed = old.filter(|zone| Some(*zone) != new && zones.users(*zone) == 1);
    if let Some(number) = freed.and_then(|zone| zones.numbers.get(&zone)) {
        batch.remove(&zone_key(*number));
    }
    let key = bucket_key(platform, bucket);
    if chats.is_empty() {
        batch.remove(&key);
    } else {
        let value = encode_bucket(chats, |zone| match (zones.numbers.get(&zone), added) {
            (Some(number), _) => *number,
            (None, Some((number, _))) => number,
            (None, None) => unreachable!("every zone of the bucket is in the table or added"),
        });
        batch.insert(&key, value);
    }
    tree.apply_batch(batch)?;
    // Only now that the batch is on the tree does the table in memory change.
    if let Some((number, zone)) = added {
        zones.add(number, zone);
    }
    if let Some(zone) = new {
        zones.count(zone, 1);
    }
    if let Some(zone) = old {
        zones.count(zone, -1);
    }
    if let Some(zone) = freed {
        let number = zones.numbers.remove(&zone).expect("in the table");
        zones.rows[usize::from(number)] = None;
    }
    Ok(())
}

/// What [`forget_unreadable`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forgotten {
    /// The chat's entry, with its due second.
    Chat { due: Option<i64> },
    /// The whole bucket: its list of chats could not be read.
    Bucket,
}

/// Forgets `key`'s chat in a bucket that does not decode (a record naming a zone not in the table, say): when
/// the list of chats still reads, only this chat's entry goes, and the others stay as they are; when it does
/// not, the whole bucket goes, since forgetting must always work. Zone rows left without users go at the next
/// open.
pub(crate) fn forget_unreadable(tree: &sled::Tree, key: &ChatKey) -> Result<Forgotten, Error> {
    let bucket_key = bucket_key(key.platform, key.bucket);
    let Some(bytes) = tree.get(bucket_key)? else {
        return Ok(Forgotten::Chat { due: None });
    };
    let Ok(mut chats) = postcard::from_bytes::<Vec<StoredChat>>(&bytes) else {
        tree.remove(bucket_key)?;
        return Ok(Forgotten::Bucket);
    };
    let due = chats
        .iter()
        .find(|chat| chat.id == key.id)
        .and_then(|chat| chat.due.map(|(at, _)| at));
    chats.retain(|chat| chat.id != key.id);
    if chats.is_empty() {
        tree.remove(bucket_key)?;
    } else {
        tree.insert(
            bucket_key,
            postcard::to_stdvec(&chats).expect("a bucket always encodes"),
        )?;
    }
    Ok(Forgotten::Chat { due })
}

/// What the store held at open.
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
pub(crate) fn upgrade(db: &sled::Db, tree: &sled::Tree, meta: &sled::Tree) -> Result<(), Error> {
    let version = match meta.get(VERSION_KEY)? {
        Some(bytes) => {
            let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| Error::Corrupt {
                key: "reminders-meta:version".into(),
                message: format!("{} bytes, expected 4", bytes.len()),
            })?;
            u32::from_be_bytes(bytes)
        }
        None if tree.first()?.is_none() && !has_data(db, V1_TREE)? => {
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
        migrate(db, tree)?;
        meta.insert(VERSION_KEY, &(from + 1).to_be_bytes())?;
        meta.flush()?;
        tracing::info!(from, to = from + 1, "reminder store migrated");
    }
    // The older schemas' data, once migrated (also when a migration stopped just after moving the version).
    if db.drop_tree(V1_TREE)? {
        db.flush()?;
        tracing::info!("schema 1 reminder data dropped");
    }
    Ok(())
}

fn has_data(db: &sled::Db, name: &str) -> Result<bool, Error> {
    if !db.tree_names().iter().any(|n| n == name.as_bytes()) {
        return Ok(false);
    }
    Ok(db.open_tree(name)?.first()?.is_some())
}

/// Reads the whole store at open: the zone table, then every bucket (a record that does not decode is an
/// error naming its chat, or its bucket when the bucket itself does not decode; nothing is changed), and
/// builds the due index from the records.
pub(crate) fn load(tree: &sled::Tree) -> Result<(Zones, DueIndex, StoreStats), Error> {
    let mut zones = Zones::load(tree)?;
    let mut stats = StoreStats::default();
    let mut due = Vec::new();
    for item in tree.iter() {
        let (key, value) = item?;
        if key.first() == Some(&ZONE) {
            continue;
        }
        let Some((platform, bucket)) = parse_bucket_key(&key) else {
            return Err(Error::Corrupt {
                key: format!("{key:?}"),
                message: "not a key of this schema".into(),
            });
        };
        for (_, record) in decode_bucket(&value, &zones, platform, bucket)? {
            zones.count(record.zone, 1);
            stats.subscriptions += 1;
            if record.state == State::Active {
                stats.active += 1;
            }
            if let Some((at, _)) = record.due {
                due.push((platform, at, bucket));
            }
        }
    }
    zones.drop_unused(tree)?;
    let index = DueIndex::build(due);
    stats.due_entries = index.len();
    Ok((zones, index, stats))
}

/// One entry of the due index: a chat of `bucket` is due at `at` (seconds, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Due {
    pub platform: Platform,
    pub at: i64,
    pub bucket: u16,
}

/// A slot of the due index. Within one second, slots are ordered by `shuffle` (a hash of the second and the
/// bucket), so the order changes every day and, when a rate limit makes a big batch wait, nobody is always
/// last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    shuffle: u32,
    bucket: u16,
}

impl Slot {
    fn new(at: i64, bucket: u16) -> Slot {
        let mut bytes = [0; 10];
        bytes[..8].copy_from_slice(&at.to_le_bytes());
        bytes[8..].copy_from_slice(&bucket.to_le_bytes());
        Slot {
            shuffle: fnv(&bytes),
            bucket,
        }
    }
}

/// The due index, in memory: per platform, the due seconds in order, each with one slot per chat due then
/// (a bucket with two chats due in the same second has two equal slots). About 8 bytes a subscription.
#[derive(Debug, Default)]
pub(crate) struct DueIndex {
    platforms: [BTreeMap<i64, Vec<Slot>>; 3],
    len: usize,
}

fn lane(platform: Platform) -> usize {
    match platform {
        Platform::Terminal => 0,
        Platform::Telegram => 1,
        Platform::Discord => 2,
    }
}

impl DueIndex {
    fn build(entries: Vec<(Platform, i64, u16)>) -> DueIndex {
        let mut index = DueIndex {
            len: entries.len(),
            ..DueIndex::default()
        };
        let mut slots: Vec<(usize, i64, Slot)> = entries
            .into_iter()
            .map(|(platform, at, bucket)| (lane(platform), at, Slot::new(at, bucket)))
            .collect();
        slots.sort_unstable();
        for (lane, at, slot) in slots {
            index.platforms[lane].entry(at).or_default().push(slot);
        }
        for slots in index.platforms.iter_mut().flat_map(BTreeMap::values_mut) {
            slots.shrink_to_fit();
        }
        index
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn insert(&mut self, platform: Platform, at: i64, bucket: u16) {
        let slot = Slot::new(at, bucket);
        let slots = self.platforms[lane(platform)].entry(at).or_default();
        let position = slots.partition_point(|s| *s < slot);
        slots.insert(position, slot);
        self.len += 1;
    }

    /// Removes one slot of `bucket` at `at`; returns whether there was one.
    pub fn remove(&mut self, platform: Platform, at: i64, bucket: u16) -> bool {
        let seconds = &mut self.platforms[lane(platform)];
        let Some(slots) = seconds.get_mut(&at) else {
            return false;
        };
        let Ok(position) = slots.binary_search(&Slot::new(at, bucket)) else {
            return false;
        };
        slots.remove(position);
        if slots.is_empty() {
            seconds.remove(&at);
        }
        self.len -= 1;
        true
    }

    /// Removes every slot of `bucket` (a bucket that was removed whole).
    pub fn remove_bucket(&mut self, platform: Platform, bucket: u16) {
        let seconds = &mut self.platforms[lane(platform)];
        let mut removed = 0;
        seconds.retain(|_, slots| {
            let before = slots.len();
            slots.retain(|s| s.bucket != bucket);
            removed += before - slots.len();
            !slots.is_empty()
        });
        self.len -= removed;
    }

    /// The earliest due second of `platform`.
    pub fn next(&self, platform: Platform) -> Option<i64> {
        self.platforms[lane(platform)].keys().next().copied()
    }

    /// Up to `limit` entries of `platform` due at or before `until`, earliest first.
    pub fn due(&self, platform: Platform, until: i64, limit: usize) -> Vec<Due> {
        self.platforms[lane(platform)]
            .range(..=until)
            .flat_map(|(at, slots)| {
                slots.iter().map(|slot| Due {
                    platform,
                    at: *at,
                    bucket: slot.bucket,
                })
            })
            .take(limit)
            .collect()
    }
}

/// Schema 1 to 2: one key per chat becomes buckets in the new tree, the zone names a table, and the stored
/// due index (derived data) is left behind. Every schema 1 record is read first: one that does not decode
/// stops the migration with an error naming its chat, with the new tree still empty. The schema 1 tree is
/// not changed; [`upgrade`] drops it after the version has moved on.
fn v1_to_v2(db: &sled::Db, tree: &sled::Tree) -> Result<(), Error> {
    /// A schema 1 record, postcard-encoded under `S` platform id.
    #[derive(Deserialize)]
    struct RecordV1 {
        group: bool,
        minute: u16,
        zone: String,
        state: State,
        sent: Option<i32>,
        delivered: Option<i32>,
        retry: Option<(i32, u8)>,
        due: Option<(i64, i32)>,
    }
    const BUCKETS_PER_BATCH: usize = 1024;
    let old_tree = db.open_tree(V1_TREE)?;
    // What an interrupted run wrote is written again.
    tree.clear()?;
    let mut buckets: BTreeMap<(u8, u16), Bucket> = BTreeMap::new();
    for item in old_tree.scan_prefix(b"S") {
        let (key, value) = item?;
        let platform = key.get(1).copied().and_then(platform_of);
        let id = key.get(2..).and_then(|id| std::str::from_utf8(id).ok());
        let (Some(platform), Some(id)) = (platform, id) else {
            return Err(Error::Corrupt {
                key: format!("{key:?}"),
                message: "the key is not a platform and a chat id".into(),
            });
        };
        let corrupt = |message: String| Error::Corrupt {
            key: format!("{platform:?}:{id}"),
            message,
        };
        let old: RecordV1 = postcard::from_bytes(&value).map_err(|e| corrupt(e.to_string()))?;
        let zone: Tz = old
            .zone
            .parse()
            .map_err(|_| corrupt(format!("unknown time zone {:?}", old.zone)))?;
        if old.minute >= 24 * 60 {
            return Err(corrupt(format!(
                "time of day {} is out of range",
                old.minute
            )));
        }
        let record = Record {
            group: old.group,
            minute: old.minute,
            zone,
            state: old.state,
            sent: old.sent,
            delivered: old.delivered,
            retry: old.retry,
            due: old.due,
        };
        let chat = ChatKey::of(&ChatRef::new(platform, id, ChatKind::Direct));
        buckets
            .entry((platform_byte(platform), chat.bucket))
            .or_default()
            .push((chat.id, record));
    }
    let mut zones = Zones::default();
    let buckets: Vec<_> = buckets.into_iter().collect();
    for chunk in buckets.chunks(BUCKETS_PER_BATCH) {
        let mut batch = sled::Batch::default();
        for ((platform, bucket), chats) in chunk {
            for (_, record) in chats {
                if !zones.numbers.contains_key(&record.zone) {
                    let number = zones.free_number();
                    batch.insert(&zone_key(number), record.zone.name());
                    zones.add(number, record.zone);
                }
            }
            let platform = platform_of(*platform).expect("read from a key");
            let value = encode_bucket(chats, |zone| zones.numbers[&zone]);
            batch.insert(&bucket_key(platform, *bucket), value);
        }
        tree.apply_batch(batch)?;
    }
    tree.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(zone: Tz, due: Option<(i64, i32)>) -> Record {
        Record {
            group: false,
            minute: 480,
            zone,
            state: State::Active,
            sent: Some(739_000),
            delivered: Some(739_000),
            retry: None,
            due,
        }
    }

    /// Writes one Telegram chat due at 1,800,000,000 into a fresh zone table and its bucket.
    fn write_one(tree: &sled::Tree, id: &str, zone: Tz) -> (ChatKey, Bucket) {
        let chat = ChatKey::of(&ChatRef::new(Platform::Telegram, id, ChatKind::Direct));
        let chats = vec![(
            chat.id.clone(),
            record(zone, Some((1_800_000_000, 739_001))),
        )];
        let mut zones = Zones::default();
        let place = (Platform::Telegram, chat.bucket);
        write_bucket(tree, &mut zones, place, &chats, (None, Some(zone))).unwrap();
        (chat, chats)
    }

    #[test]
    fn ids_round_trip_and_numbers_are_compact() {
        for id in [
            "123",
            "-100123",
            "700000000000000000",
            "007",
            "+5",
            "local",
            "",
        ] {
            let chat = ChatRef::new(Platform::Telegram, id, ChatKind::Group);
            let key = ChatKey::of(&chat);
            assert_eq!(key.chat(true), chat);
        }
        assert_eq!(ChatId::of("-100123"), ChatId::Number(-100_123));
        assert_eq!(ChatId::of("007"), ChatId::Text("007".into()));
    }

    #[test]
    fn buckets_round_trip_and_records_are_small() {
        let tree = sled::Config::new()
            .temporary(true)
            .open()
            .unwrap()
            .open_tree(TREE)
            .unwrap();
        let (chat, chats) = write_one(&tree, "1000000001", chrono_tz::America::New_York);
        let stored = tree
            .get(bucket_key(Platform::Telegram, chat.bucket))
            .unwrap()
            .unwrap();
        assert!(stored.len() < 32, "{} bytes for one chat", stored.len());
        let zones = Zones::load(&tree).unwrap();
        assert_eq!(
            read_bucket(&tree, &zones, Platform::Telegram, chat.bucket).unwrap(),
            chats
        );
        assert!(decode_bucket(&stored[..5], &zones, Platform::Telegram, chat.bucket).is_err());
        // Filed in the wrong bucket: corrupt.
        assert!(decode_bucket(&stored, &zones, Platform::Telegram, chat.bucket ^ 1).is_err());
    }

    #[test]
    fn the_due_index_keeps_one_slot_per_chat_in_time_order() {
        let mut index = DueIndex::build(vec![
            (Platform::Telegram, 20, 7),
            (Platform::Telegram, 10, 7),
            (Platform::Telegram, 10, 7),
            (Platform::Discord, 5, 1),
        ]);
        assert_eq!(index.len(), 4);
        assert_eq!(index.next(Platform::Telegram), Some(10));
        assert_eq!(index.next(Platform::Terminal), None);
        let due = index.due(Platform::Telegram, 15, 10);
        assert_eq!(due.len(), 2, "two chats of bucket 7 due at 10");
        assert!(index.remove(Platform::Telegram, 10, 7));
        assert!(index.remove(Platform::Telegram, 10, 7));
        assert!(!index.remove(Platform::Telegram, 10, 7));
        assert_eq!(index.next(Platform::Telegram), Some(20));
        index.insert(Platform::Telegram, 15, 3);
        index.insert(Platform::Telegram, 15, 9);
        assert_eq!(index.due(Platform::Telegram, 15, 1).len(), 1, "the limit");
        index.remove_bucket(Platform::Telegram, 3);
        assert_eq!(index.len(), 3);
        let all: Vec<_> = index
            .due(Platform::Telegram, i64::MAX, 10)
            .iter()
            .map(|d| (d.at, d.bucket))
            .collect();
        assert_eq!(all, vec![(15, 9), (20, 7)]);
    }

    #[test]
    fn within_a_second_the_order_changes_from_day_to_day() {
        let order = |at: i64| {
            let mut index = DueIndex::default();
            for bucket in 0..20 {
                index.insert(Platform::Telegram, at, bucket);
            }
            index
                .due(Platform::Telegram, at, 20)
                .iter()
                .map(|d| d.bucket)
                .collect::<Vec<_>>()
        };
        assert_ne!(order(1_800_000_000), order(1_800_086_400));
    }

    #[test]
    fn load_names_what_is_corrupt_and_changes_nothing() {
        let tree = sled::Config::new()
            .temporary(true)
            .open()
            .unwrap()
            .open_tree(TREE)
            .unwrap();
        write_one(&tree, "1", chrono_tz::Europe::London);
        let (_, index, stats) = load(&tree).unwrap();
        assert_eq!(
            stats,
            StoreStats {
                subscriptions: 1,
                active: 1,
                due_entries: 1
            }
        );
        assert_eq!(index.next(Platform::Telegram), Some(1_800_000_000));

        // A zone table row that names no zone.
        tree.insert([ZONE, 0, 9], "Mars/Olympus_Mons").unwrap();
        match load(&tree) {
            Err(Error::Corrupt { message, .. }) => {
                assert!(message.contains("Mars/Olympus_Mons"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        tree.remove([ZONE, 0, 9]).unwrap();

        // A bucket that does not decode is named.
        let other = bucket_key(Platform::Discord, 42);
        tree.insert(other, &b"\xff\xff"[..]).unwrap();
        match load(&tree) {
            Err(Error::Corrupt { key, .. }) => assert_eq!(key, "Discord bucket 42"),
            other => panic!("{other:?}"),
        }
        assert!(tree.get(other).unwrap().is_some(), "left untouched");
        tree.remove(other).unwrap();
        // A key of no schema.
        tree.insert(b"Dt-short", &[]).unwrap();
        match load(&tree) {
            Err(Error::Corrupt { message, .. }) => assert_eq!(message, "not a key of this schema"),
            other => panic!("{other:?}"),
        }
    }
}
