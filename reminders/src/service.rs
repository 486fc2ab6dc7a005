//! [`Reminders`]: the store of daily reminders (open, read, write, forget) and the steps the scheduler takes
//! (claim, begin, finish) under the at-most-once protocol. What requests do is in `requests.rs`.

use bot_core::{ChatRef, DeliveryError, Platform, ReminderContent, Reply};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use std::sync::Mutex;
use tokio::sync::Notify;

use crate::Error;
use crate::schedule::{Occurrence, end_of_day, next_occurrence};
use crate::store::{
    self, ChatKey, Due, DueIndex, Forgotten, META_TREE, Record, State, StoreStats, TREE, Zones,
    date_of, day_number, minute_of,
};

/// How reminders behave; the defaults suit most operators.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The zone used when a person asks for a reminder without naming one (they are told, and can change
    /// it). `None`: they are asked.
    pub default_zone: Option<Tz>,
    /// A reminder missed by less than this (the bot was down) is sent late, once; an older one is skipped.
    pub late_window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_zone: None,
            late_window: Duration::hours(6),
        }
    }
}

/// One chat's reminder, as [`Reminders::subscription`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub chat: ChatRef,
    pub time: NaiveTime,
    pub zone: Tz,
    pub state: State,
    /// The last local date the platform confirmed a reminder for.
    pub last_delivered: Option<NaiveDate>,
    /// When the next one is due (`None` when paused or blocked).
    pub next: Option<DateTime<Utc>>,
}

/// A reminder the scheduler is about to send.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub key: ChatKey,
    pub chat: ChatRef,
    /// The local date it is for.
    pub date: NaiveDate,
    /// 1 for the first try.
    pub attempt: u8,
}

/// What the scheduler found at a due index entry.
#[derive(Debug)]
pub(crate) enum Claim {
    /// Send it: the claim is recorded (flush before sending).
    Deliver(Delivery),
    /// Nothing to send (paused, stopped, already sent, or too late); the index has moved on.
    Skip,
}

/// Daily reminders over one sled database.
pub struct Reminders {
    db: sled::Db,
    tree: sled::Tree,
    /// Where the daily message comes from (the replies to requests are the core's).
    content: ReminderContent,
    settings: Settings,
    stats: StoreStats,
    /// The zone table and the due index; held for every read-modify-write of records (messages and the
    /// scheduler).
    inner: Mutex<Inner>,
    /// Wakes the scheduler when a reminder changes.
    pub(crate) wake: Notify,
    /// Whether the scheduler runs over this store (for a health check).
    pub(crate) scheduler_running: std::sync::atomic::AtomicBool,
}

/// What the lock guards.
#[derive(Debug)]
pub(crate) struct Inner {
    zones: Zones,
    due: DueIndex,
}

impl std::fmt::Debug for Reminders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reminders")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Reminders {
    /// Opens the reminders kept in `db` (trees `reminders` and `reminders-meta`): checks the schema version
    /// (migrating an older one), reads every record and builds the due index from them. A corrupt record, a
    /// missing version on a non-empty store or a newer schema is an error; nothing is ever deleted to recover.
    pub fn open(
        db: &sled::Db,
        content: ReminderContent,
        settings: Settings,
    ) -> Result<Reminders, Error> {
        let tree = db.open_tree(TREE)?;
        let meta = db.open_tree(META_TREE)?;
        store::upgrade(db, &tree, &meta)?;
        let (zones, due, stats) = store::load(&tree)?;
        tracing::info!(
            subscriptions = stats.subscriptions,
            active = stats.active,
            "reminder store opened"
        );
        Ok(Reminders {
            db: db.clone(),
            tree,
            content,
            settings,
            stats,
            inner: Mutex::new(Inner { zones, due }),
            wake: Notify::new(),
            scheduler_running: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Whether the scheduler ([`crate::run`]) is running over this store.
    pub fn scheduler_running(&self) -> bool {
        self.scheduler_running
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// What the store held when it was opened.
    pub fn stats_at_open(&self) -> StoreStats {
        self.stats
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Deletes everything kept about `chat` (its reminder, its delivery dates, its index entry) and flushes.
    /// Returns whether there was anything.
    pub fn forget(&self, chat: &ChatRef) -> Result<bool, Error> {
        let existed = self.delete(chat)?;
        tracing::info!(platform = ?chat.platform, chat = %chat.id, existed, "reminder data forgotten");
        Ok(existed)
    }

    /// The platform says `chat` cannot be written to: its reminder pauses as blocked (it resumes when the
    /// person asks). Flushed before returning.
    pub fn mark_unreachable(&self, chat: &ChatRef) -> Result<(), Error> {
        let key = ChatKey::of(chat);
        let changed = {
            let mut inner = self.lock();
            match self.get(&inner, &key)? {
                Some(mut record) if record.state != State::Blocked => {
                    record.state = State::Blocked;
                    self.write(&mut inner, &key, record, None)?;
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.db.flush()?;
            self.wake.notify_one();
            tracing::info!(platform = ?chat.platform, chat = %chat.id, "reminder paused: chat unreachable");
            count(chat.platform, "blocked");
        }
        Ok(())
    }

    /// The time zone `chat` set for its reminder (for showing meeting times in it).
    pub fn zone_of(&self, chat: &ChatRef) -> Option<Tz> {
        self.record(chat).ok().flatten().map(|r| r.zone)
    }

    /// `chat`'s reminder, if it has one.
    pub fn subscription(&self, chat: &ChatRef) -> Result<Option<Subscription>, Error> {
        Ok(self.record(chat)?.map(|record| Subscription {
            chat: ChatKey::of(chat).chat(record.group),
            time: record.time(),
            zone: record.zone,
            state: record.state,
            last_delivered: record.delivered.map(date_of),
            next: record
                .due
                .and_then(|(at, _)| DateTime::from_timestamp(at, 0)),
        }))
    }

    /// Starts (or changes) `chat`'s reminder without a reply and without flushing: for importing and
    /// benchmarks. Call [`Reminders::flush`] after a batch.
    pub fn subscribe(
        &self,
        chat: &ChatRef,
        time: NaiveTime,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Subscription, Error> {
        self.upsert(chat, time, zone, now)?;
        Ok(self.subscription(chat)?.expect("just written"))
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }

    /// The reminder message for local date `date`.
    pub fn daily_reply(&self, date: NaiveDate) -> Reply {
        self.content.daily_reply(date)
    }

    // ---- store ---------------------------------------------------------------------------------------

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The record of `key`'s chat.
    pub(crate) fn get(&self, inner: &Inner, key: &ChatKey) -> Result<Option<Record>, Error> {
        let bucket = store::read_bucket(&self.tree, &inner.zones, key.platform, key.bucket)?;
        Ok(bucket
            .into_iter()
            .find_map(|(id, record)| (id == key.id).then_some(record)))
    }

    pub(crate) fn record(&self, chat: &ChatRef) -> Result<Option<Record>, Error> {
        let inner = self.lock();
        self.get(&inner, &ChatKey::of(chat))
    }

    /// The next reminder for an active record from `now`, after the dates already sent.
    pub(crate) fn next_for(&self, record: &Record, now: DateTime<Utc>) -> Option<Occurrence> {
        next_occurrence(record.time(), record.zone, record.sent.map(date_of), now)
    }

    /// Writes `record` with its due entry moved to `next` (none unless active); returns it as written.
    pub(crate) fn write(
        &self,
        inner: &mut Inner,
        key: &ChatKey,
        mut record: Record,
        next: Option<Occurrence>,
    ) -> Result<Record, Error> {
        record.due = match (record.state, next) {
            (State::Active, Some(o)) => Some((o.at.timestamp(), day_number(o.date))),
            _ => None,
        };
        self.put(inner, key, Some(&record))?;
        Ok(record)
    }

    /// Stores `record` as `key`'s (`None`: deletes it) in one atomic write of its bucket, then moves the due
    /// index entry from the stored record's due time to the new one.
    fn put(&self, inner: &mut Inner, key: &ChatKey, record: Option<&Record>) -> Result<(), Error> {
        let mut chats = store::read_bucket(&self.tree, &inner.zones, key.platform, key.bucket)?;
        let position = chats.iter().position(|(id, _)| *id == key.id);
        let old = position.map(|p| (chats[p].1.due, chats[p].1.zone));
        match (position, record) {
            (Some(p), Some(record)) => chats[p].1 = record.clone(),
            (Some(p), None) => {
                chats.remove(p);
            }
            (None, Some(record)) => chats.push((key.id.clone(), record.clone())),
            (None, None) => return Ok(()),
        }
        store::write_bucket(
            &self.tree,
            &mut inner.zones,
            (key.platform, key.bucket),
            &chats,
            (old.map(|(_, zone)| zone), record.map(|r| r.zone)),
        )?;
        if let Some((at, _)) = old.and_then(|(due, _)| due) {
            inner.due.remove(key.platform, at, key.bucket);
        }
        if let Some((at, _)) = record.and_then(|r| r.due) {
            inner.due.insert(key.platform, at, key.bucket);
        }
        Ok(())
    }

    /// Creates or updates a reminder: active, at `time` in `zone`, next due from `now`.
    pub(crate) fn upsert(
        &self,
        chat: &ChatRef,
        time: NaiveTime,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Record, Error> {
        let key = ChatKey::of(chat);
        let record = {
            let mut inner = self.lock();
            let mut record = self.get(&inner, &key)?.unwrap_or(Record {
                group: chat.kind == bot_core::ChatKind::Group,
                minute: 0,
                zone,
                state: State::Active,
                sent: None,
                delivered: None,
                retry: None,
                due: None,
            });
            record.minute = minute_of(time);
            record.zone = zone;
            record.state = State::Active;
            record.retry = None;
            let next = self.next_for(&record, now);
            self.write(&mut inner, &key, record, next)?
        };
        self.wake.notify_one();
        Ok(record)
    }

    /// Deletes a chat's record and index entry, flushed. Returns whether there was one.
    pub(crate) fn delete(&self, chat: &ChatRef) -> Result<bool, Error> {
        let key = ChatKey::of(chat);
        let existed = {
            let mut inner = self.lock();
            match self.get(&inner, &key) {
                Ok(Some(_)) => {
                    self.put(&mut inner, &key, None)?;
                    true
                }
                Ok(None) => false,
                // Forgetting must always work, also in a bucket that cannot be read.
                Err(Error::Corrupt { key: at, message }) => {
                    match store::forget_unreadable(&self.tree, &key)? {
                        Forgotten::Chat { due } => {
                            tracing::error!(%at, %message, "reminder bucket is corrupt; the chat's entry was removed to forget it");
                            if let Some(due) = due {
                                inner.due.remove(key.platform, due, key.bucket);
                            }
                        }
                        Forgotten::Bucket => {
                            tracing::error!(%at, %message, "unreadable reminder bucket removed whole to forget a chat");
                            inner.due.remove_bucket(key.platform, key.bucket);
                        }
                    }
                    true
                }
                Err(other) => return Err(other),
            }
        };
        self.db.flush()?;
        self.wake.notify_one();
        Ok(existed)
    }

    // ---- the scheduler's steps -----------------------------------------------------------------------

    /// When `platform`'s next reminder is due: the earliest entry of its due index (what the scheduler
    /// sleeps until).
    pub fn next_due(&self, platform: Platform) -> Result<Option<DateTime<Utc>>, Error> {
        Ok(self
            .lock()
            .due
            .next(platform)
            .and_then(|at| DateTime::from_timestamp(at, 0)))
    }

    /// How many of `platform`'s reminders are due at or before `until`, reading at most `limit` index entries:
    /// the scan the scheduler makes at each wake-up (for monitoring and benchmarks).
    pub fn due_count(
        &self,
        platform: Platform,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, Error> {
        Ok(self.due(platform, until, limit)?.len())
    }

    /// Up to `limit` due index entries of `platform` due at or before `now`, earliest first.
    pub(crate) fn due(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Due>, Error> {
        Ok(self.lock().due.due(platform, now.timestamp(), limit))
    }

    /// Decides what to do with a due entry and records the decision; the entry always moves or goes. For a
    /// delivery the record now says the date is sent (the at-most-once marker) and the index points at the
    /// next date; the caller flushes before sending.
    pub(crate) fn claim(&self, due: Due, now: DateTime<Utc>) -> Result<Claim, Error> {
        let mut inner = self.lock();
        let found =
            store::read_bucket(&self.tree, &inner.zones, due.platform, due.bucket).map(|chats| {
                chats
                    .into_iter()
                    .find(|(_, r)| r.due.is_some_and(|(at, _)| at == due.at))
            });
        let (id, mut record) = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                // A stale entry (nothing in the bucket is due then).
                inner.due.remove(due.platform, due.at, due.bucket);
                return Ok(Claim::Skip);
            }
            Err(Error::Corrupt { key, message }) => {
                // Never deleted: the bucket stays for repair; only its (derived) index entries go.
                tracing::error!(at = %key, %message, "reminder bucket is corrupt; left untouched and no longer scheduled");
                inner.due.remove_bucket(due.platform, due.bucket);
                return Ok(Claim::Skip);
            }
            Err(other) => return Err(other),
        };
        let key = ChatKey {
            platform: due.platform,
            id,
            bucket: due.bucket,
        };
        let Some((at, day)) = record.due else {
            unreachable!("found by its due time")
        };
        if record.state != State::Active {
            self.write(&mut inner, &key, record, None)?;
            return Ok(Claim::Skip);
        }
        let date = date_of(day);
        let tz = record.zone;
        let retry = record.retry.filter(|(d, _)| *d == day);
        if retry.is_none() {
            // A retry for an earlier day (left by a pause or a block) must not hold up this one.
            record.retry = None;
        }
        let chat = key.chat(record.group);
        let already_sent = record.sent.is_some_and(|s| s >= day);
        let due_at = DateTime::from_timestamp(at, 0).unwrap_or(now);
        let next_after = |record: &Record, after: i32, not_before: DateTime<Utc>| {
            next_occurrence(
                record.time(),
                tz,
                Some(date_of(after.max(record.sent.unwrap_or(after)))),
                not_before,
            )
        };
        match retry {
            Some((_, attempts)) => {
                record.retry = None;
                if now >= end_of_day(date, tz) {
                    tracing::warn!(platform = ?key.platform, chat = %chat.id, %date, attempts, "reminder not delivered: retries ran out at the end of the day");
                    count(key.platform, "failed");
                    let next = next_after(&record, day, now - self.settings.late_window);
                    self.write(&mut inner, &key, record, next)?;
                    return Ok(Claim::Skip);
                }
                let next = next_after(&record, day, due_at);
                self.write(&mut inner, &key, record, next)?;
                Ok(Claim::Deliver(Delivery {
                    key,
                    chat,
                    date,
                    attempt: attempts.saturating_add(1),
                }))
            }
            None if already_sent => {
                let next = next_after(&record, day, now - self.settings.late_window);
                self.write(&mut inner, &key, record, next)?;
                Ok(Claim::Skip)
            }
            None if now - due_at > self.settings.late_window
                || crate::schedule::local_date(now, tz) != date =>
            {
                tracing::info!(platform = ?key.platform, chat = %chat.id, %date, "reminder skipped: missed by more than the late window, or its day is over");
                count(key.platform, "missed");
                let next = next_after(&record, day, now - self.settings.late_window);
                self.write(&mut inner, &key, record, next)?;
                Ok(Claim::Skip)
            }
            None => {
                if now - due_at > LATE {
                    count(key.platform, "late");
                }
                record.sent = Some(day);
                let next = next_after(&record, day, due_at);
                self.write(&mut inner, &key, record, next)?;
                Ok(Claim::Deliver(Delivery {
                    key,
                    chat,
                    date,
                    attempt: 1,
                }))
            }
        }
    }

    /// The last check before a delivery starts: the reminder still exists, is active, and this date is still
    /// the one claimed. A stop answered before this check means no delivery.
    pub(crate) fn begin(&self, delivery: &Delivery) -> Result<bool, Error> {
        let inner = self.lock();
        Ok(self.get(&inner, &delivery.key)?.is_some_and(|r| {
            r.state == State::Active
                && r.sent == Some(day_number(delivery.date))
                && r.retry.is_none()
        }))
    }

    /// Records how a delivery went. A temporary failure is retried with `backoff` within the local day.
    pub(crate) fn finish(
        &self,
        delivery: &Delivery,
        result: &Result<(), DeliveryError>,
        now: DateTime<Utc>,
        backoff: Duration,
    ) -> Result<(), Error> {
        let key = &delivery.key;
        let day = day_number(delivery.date);
        let mut inner = self.lock();
        let mut record = match self.get(&inner, key) {
            Ok(Some(record)) => record,
            Ok(None) => return Ok(()),
            Err(Error::Corrupt { key, message }) => {
                // Left untouched for repair, as in `claim`; the scheduler goes on with everyone else.
                tracing::error!(at = %key, %message, "reminder bucket is corrupt; delivery result not recorded");
                return Ok(());
            }
            Err(other) => return Err(other),
        };
        match result {
            Ok(()) => {
                record.delivered = Some(record.delivered.map_or(day, |d| d.max(day)));
                self.put(&mut inner, key, Some(&record))?;
                count(key.platform, "sent");
            }
            Err(DeliveryError::Unreachable) => {
                record.state = State::Blocked;
                self.write(&mut inner, key, record, None)?;
                tracing::info!(platform = ?key.platform, chat = %delivery.chat.id, "reminder paused: chat unreachable");
                count(key.platform, "blocked");
            }
            Err(DeliveryError::Transient(error)) => {
                let retry_at = now + backoff;
                if record.state == State::Active
                    && record.sent == Some(day)
                    && retry_at < end_of_day(delivery.date, record.zone)
                {
                    tracing::warn!(platform = ?key.platform, chat = %delivery.chat.id, attempt = delivery.attempt, %error, "reminder delivery failed; will retry");
                    record.retry = Some((day, delivery.attempt));
                    let retry = Occurrence {
                        date: delivery.date,
                        at: retry_at,
                    };
                    self.write(&mut inner, key, record, Some(retry))?;
                    count(key.platform, "retry");
                } else {
                    tracing::warn!(platform = ?key.platform, chat = %delivery.chat.id, attempt = delivery.attempt, %error, "reminder delivery failed; no time left today to retry");
                    count(key.platform, "failed");
                }
            }
            Err(DeliveryError::Permanent(error)) => {
                tracing::warn!(platform = ?key.platform, chat = %delivery.chat.id, %error, "reminder delivery failed permanently for today");
                count(key.platform, "failed");
            }
        }
        Ok(())
    }
}

/// A reminder claimed later than this after its time (after downtime) counts as late.
const LATE: Duration = Duration::minutes(5);

/// Counts what became of a day's reminder (`recovery_bot_reminders_total`): `sent`, `late` (claimed more than
/// five minutes after its time), `retry`, `failed`, `missed` (beyond the late window), `blocked`.
fn count(platform: Platform, outcome: &'static str) {
    metrics::counter!("recovery_bot_reminders_total", "platform" => platform_label(platform), "outcome" => outcome)
        .increment(1);
}

/// A platform as a metric label.
fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => "telegram",
        Platform::Discord => "discord",
        Platform::Terminal => "terminal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::ChatKind;

    fn open() -> Reminders {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let bot = bot_core::Core::embedded().unwrap();
        let content = ReminderContent::embedded(bot.content()).unwrap();
        Reminders::open(&db, content, Settings::default()).unwrap()
    }

    /// Two Telegram chats whose ids fall in the same bucket.
    fn neighbours() -> (ChatRef, ChatRef) {
        let first = ChatRef::new(Platform::Telegram, "1", ChatKind::Direct);
        let bucket = ChatKey::of(&first).bucket;
        let second = (2..)
            .map(|n| ChatRef::new(Platform::Telegram, n.to_string(), ChatKind::Direct))
            .find(|chat| ChatKey::of(chat).bucket == bucket)
            .unwrap();
        (first, second)
    }

    fn june() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn forgetting_in_a_bucket_that_does_not_decode_removes_only_that_chat_and_its_zone_goes_at_open()
     {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = neighbours();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        {
            let db = sled::Config::new().path(dir.path()).open().unwrap();
            let bot = bot_core::Core::embedded().unwrap();
            let content = ReminderContent::embedded(bot.content()).unwrap();
            let r = Reminders::open(&db, content, Settings::default()).unwrap();
            r.subscribe(&first, eight, chrono_tz::Asia::Kathmandu, june())
                .unwrap();
            r.subscribe(&second, eight, chrono_tz::Europe::London, june())
                .unwrap();
            // The neighbour's record turns unreadable (a time of day out of range): the bucket no longer
            // decodes as a whole, but its list of chats does.
            let bucket = |r: &Reminders| r.tree.scan_prefix(b"B").next().unwrap().unwrap();
            let (key, bytes) = bucket(&r);
            let mut chats: Vec<store::StoredChat> = postcard::from_bytes(&bytes).unwrap();
            chats[1].minute = 2000;
            r.tree
                .insert(&key, postcard::to_stdvec(&chats).unwrap())
                .unwrap();
            assert!(matches!(r.subscription(&first), Err(Error::Corrupt { .. })));
            assert!(r.forget(&first).unwrap());
            assert_eq!(r.lock().due.len(), 1, "the first chat's index entry went");
            // The neighbour's entry is still stored, for repair; repair it.
            let (_, bytes) = bucket(&r);
            let mut chats: Vec<store::StoredChat> = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(chats.len(), 1);
            assert_eq!(chats[0].id, ChatKey::of(&second).id);
            chats[0].minute = 480;
            r.tree
                .insert(&key, postcard::to_stdvec(&chats).unwrap())
                .unwrap();
            db.flush().unwrap();
        }
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree(TREE).unwrap();
        assert_eq!(tree.scan_prefix(b"Z").count(), 2);
        let bot = bot_core::Core::embedded().unwrap();
        let content = ReminderContent::embedded(bot.content()).unwrap();
        let r = Reminders::open(&db, content, Settings::default()).unwrap();
        let zones: Vec<_> = tree
            .scan_prefix(b"Z")
            .values()
            .map(Result::unwrap)
            .collect();
        assert_eq!(zones, vec![sled::IVec::from("Europe/London")]);
        assert_eq!(
            r.subscription(&second).unwrap().unwrap().zone,
            chrono_tz::Europe::London
        );
        assert_eq!(r.subscription(&first).unwrap(), None);
    }

    #[test]
    fn forgetting_in_a_bucket_that_is_garbage_removes_the_bucket() {
        let r = open();
        let (first, second) = neighbours();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        r.subscribe(&first, eight, chrono_tz::Europe::London, june())
            .unwrap();
        r.subscribe(&second, eight, chrono_tz::Europe::London, june())
            .unwrap();
        let (key, _) = r.tree.scan_prefix(b"B").next().unwrap().unwrap();
        r.tree.insert(&key, &b"\xff\xff"[..]).unwrap();
        assert!(r.forget(&first).unwrap());
        assert!(r.tree.get(&key).unwrap().is_none());
        assert_eq!(r.lock().due.len(), 0);
    }

    #[test]
    fn two_chats_of_one_bucket_due_in_the_same_second_are_both_claimed_once() {
        let (first, second) = neighbours();
        let r = open();
        let now = june();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        for chat in [&first, &second] {
            r.subscribe(chat, eight, chrono_tz::Europe::London, now)
                .unwrap();
        }
        let at = r.next_due(Platform::Telegram).unwrap().unwrap();
        let due = r.due(Platform::Telegram, at, 10).unwrap();
        assert_eq!(due.len(), 2);
        let mut delivered: Vec<String> = due
            .into_iter()
            .map(|entry| match r.claim(entry, at).unwrap() {
                Claim::Deliver(delivery) => delivery.chat.id,
                Claim::Skip => panic!("both are due"),
            })
            .collect();
        delivered.sort();
        let mut expected = vec![first.id.clone(), second.id.clone()];
        expected.sort();
        assert_eq!(delivered, expected);
        // Both moved on a day; nothing is left at `at`.
        assert_eq!(r.due(Platform::Telegram, at, 10).unwrap(), vec![]);
        assert_eq!(
            r.due(Platform::Telegram, at + Duration::days(1), 10)
                .unwrap()
                .len(),
            2
        );
        // Stopping one leaves the other's entry.
        r.apply(&first, &bot_core::ReminderAction::Stop, at)
            .unwrap();
        assert_eq!(
            r.due(Platform::Telegram, at + Duration::days(1), 10)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(r.lock().due.len(), 1);
    }
}
