//! [`Reminders`]: the store of daily reminders, the replies to reminder messages, and the steps the scheduler
//! takes (claim, begin, finish) under the at-most-once protocol.

use bot_core::{ChatRef, DeliveryError, FollowUp, Platform, Reply};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use std::sync::Mutex;
use tokio::sync::Notify;

use crate::Error;
use crate::content::{ReminderContent, Vars};
use crate::request::{Parser, Request, TimeSpec, ZoneSpec};
use crate::schedule::{Occurrence, end_of_day, next_occurrence};
use crate::store::{
    self, META_TREE, PLATFORMS, Record, State, StoreStats, TREE, date_of, day_number, due_key,
    due_prefix, minute_of, parse_due_key, record_key,
};

/// How reminders behave; the defaults suit most operators.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The zone used when a person asks for a reminder without naming one (they are told, and can change
    /// it). `None`: they are asked.
    pub default_zone: Option<Tz>,
    /// A reminder missed by less than this (the bot was down) is sent late, once; an older one is skipped.
    pub late_window: Duration,
    /// Read every record at open, so a corrupt one stops start-up with an error naming its chat (and a
    /// damaged due index is rebuilt). The records and the due index are read on two threads; per million
    /// subscriptions it takes 1.2-1.9 s (2 cores) and leaves sled holding about 140 MB more than the sample
    /// with a 32 MB cache (40 MB more with a 4 MB one);
    /// without it, open checks the schema and a sample, and a corrupt record found later is logged, left
    /// untouched and not scheduled.
    pub verify_at_open: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_zone: None,
            late_window: Duration::hours(6),
            verify_at_open: true,
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
    pub key: Vec<u8>,
    pub chat: ChatRef,
    /// The local date it is for.
    pub date: NaiveDate,
    /// 1 for the first try.
    pub attempt: u8,
}

/// A due index entry: when, and the key of the chat's record.
pub(crate) type DueEntry = (DateTime<Utc>, Vec<u8>);

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
    content: ReminderContent,
    parser: Parser,
    settings: Settings,
    stats: StoreStats,
    /// Serialises read-modify-write of records (messages and the scheduler).
    write: Mutex<()>,
    /// Wakes the scheduler when a reminder changes.
    pub(crate) wake: Notify,
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
    /// (migrating an older one), reads every record, and checks the due index. A corrupt record, a missing
    /// version on a non-empty store or a newer schema is an error; nothing is ever deleted to recover.
    pub fn open(
        db: &sled::Db,
        content: ReminderContent,
        settings: Settings,
    ) -> Result<Reminders, Error> {
        let tree = db.open_tree(TREE)?;
        let meta = db.open_tree(META_TREE)?;
        store::upgrade(&tree, &meta)?;
        let stats = if settings.verify_at_open {
            store::check(&tree)?
        } else {
            store::sample(&tree)?
        };
        tracing::info!(
            subscriptions = stats.subscriptions,
            active = stats.active,
            "reminder store opened"
        );
        let parser = content.parser();
        Ok(Reminders {
            db: db.clone(),
            tree,
            content,
            parser,
            settings,
            stats,
            write: Mutex::new(()),
            wake: Notify::new(),
        })
    }

    /// What the store held when it was opened (with [`Settings::verify_at_open`] off, only what the sample
    /// read).
    pub fn stats_at_open(&self) -> StoreStats {
        self.stats
    }

    /// Reads every record and the whole due index, as [`Settings::verify_at_open`] does: a corrupt record is
    /// an error naming its chat; a due index that does not match the records is rebuilt from them.
    pub fn verify(&self) -> Result<StoreStats, Error> {
        let _guard = self.lock();
        store::check(&self.tree)
    }

    /// The content the replies and reminders come from.
    pub fn content(&self) -> &ReminderContent {
        &self.content
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Answers a message the core classified as a reminder request. `entry_id` is the core's entry of
    /// `reminder.toml` (`how`, `stop` or `forget`). Every change is flushed to disk before the reply is
    /// returned: once a person reads "stopped", no restart brings the reminder back.
    pub fn handle(
        &self,
        chat: &ChatRef,
        text: &str,
        entry_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Reply, Error> {
        let request = self.parser.parse(text, entry_id);
        tracing::debug!(platform = ?chat.platform, chat = %chat.id, request = request_name(&request), "reminder request");
        let reply = match request {
            Request::Forget => {
                self.forget(chat)?;
                self.content.reply("forgotten", &Vars::default(), vec![])
            }
            Request::Stop => {
                if self.delete(chat)? {
                    self.content.reply("stopped", &Vars::default(), vec![])
                } else {
                    self.not_subscribed()
                }
            }
            Request::Pause => self.pause(chat, now)?,
            Request::Resume => self.resume(chat, now)?,
            Request::Status | Request::Help => match self.record(chat)? {
                Some(record) => self.status_reply(&record, now),
                None if request == Request::Status => self.not_subscribed(),
                None => self.content.reply("help", &Vars::default(), vec![]),
            },
            Request::Set { time, zone } => self.set(chat, time, zone, now)?,
        };
        Ok(reply)
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
        let key = record_key(chat);
        let changed = {
            let _guard = self.lock();
            match self.get(&key)? {
                Some(mut record) if record.state != State::Blocked => {
                    record.state = State::Blocked;
                    self.write_record(&key, chat.platform, &record, None)?;
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.db.flush()?;
            self.wake.notify_one();
            tracing::info!(platform = ?chat.platform, chat = %chat.id, "reminder paused: chat unreachable");
        }
        Ok(())
    }

    /// The time zone `chat` set for its reminder (for showing meeting times in it).
    pub fn zone_of(&self, chat: &ChatRef) -> Option<Tz> {
        self.tree
            .get(record_key(chat))
            .ok()
            .flatten()
            .and_then(|bytes| Record::decode(&bytes).ok())
            .map(|r| r.tz())
    }

    /// `chat`'s reminder, if it has one.
    pub fn subscription(&self, chat: &ChatRef) -> Result<Option<Subscription>, Error> {
        Ok(self.record(chat)?.map(|record| Subscription {
            chat: store::chat_of(&record_key(chat), record.group).unwrap_or_else(|| chat.clone()),
            time: record.time(),
            zone: record.tz(),
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

    // ---- replies -------------------------------------------------------------------------------------

    fn not_subscribed(&self) -> Reply {
        self.content
            .reply("not-subscribed", &Vars::default(), vec![])
    }

    fn vars(&self, record: &Record, now: DateTime<Utc>) -> Vars {
        let tz = record.tz();
        Vars {
            time: Some(self.content.show_time(record.time())),
            zone: Some(record.zone.clone()),
            next: record
                .due
                .and_then(|(at, _)| DateTime::from_timestamp(at, 0))
                .map(|at| self.content.show_next(at, tz, now)),
            ..Vars::default()
        }
    }

    fn status_reply(&self, record: &Record, now: DateTime<Utc>) -> Reply {
        let id = match record.state {
            State::Active => "status-active",
            State::Paused => "status-paused",
            State::Blocked => "status-blocked",
        };
        self.content.reply(id, &self.vars(record, now), vec![])
    }

    fn pause(&self, chat: &ChatRef, now: DateTime<Utc>) -> Result<Reply, Error> {
        let key = record_key(chat);
        let (id, record) = {
            let _guard = self.lock();
            let Some(mut record) = self.get(&key)? else {
                return Ok(self.not_subscribed());
            };
            if record.state != State::Active {
                ("already-paused", record)
            } else {
                record.state = State::Paused;
                self.write_record(&key, chat.platform, &record, None)?;
                ("paused", record)
            }
        };
        self.db.flush()?;
        self.wake.notify_one();
        Ok(self.content.reply(id, &self.vars(&record, now), vec![]))
    }

    fn resume(&self, chat: &ChatRef, now: DateTime<Utc>) -> Result<Reply, Error> {
        let key = record_key(chat);
        let (id, record) = {
            let _guard = self.lock();
            let Some(mut record) = self.get(&key)? else {
                return Ok(self.not_subscribed());
            };
            if record.state == State::Active {
                ("already-active", record)
            } else {
                record.state = State::Active;
                let next = self.next_for(&record, now);
                self.write_record(&key, chat.platform, &record, next)?;
                let record = self.get(&key)?.expect("just written");
                ("resumed", record)
            }
        };
        self.db.flush()?;
        self.wake.notify_one();
        Ok(self.content.reply(id, &self.vars(&record, now), vec![]))
    }

    fn set(
        &self,
        chat: &ChatRef,
        time: TimeSpec,
        zone: ZoneSpec,
        now: DateTime<Utc>,
    ) -> Result<Reply, Error> {
        let existing = self.record(chat)?;
        let time_text = match time {
            TimeSpec::At(t) => Some(self.content.show_time(t)),
            _ => existing.as_ref().map(|r| self.content.show_time(r.time())),
        };
        let zone_vars = |zone: Option<Tz>| Vars {
            time: time_text.clone(),
            zone: zone.map(|z| z.name().to_string()),
            ..Vars::default()
        };
        let known_zone = match &zone {
            ZoneSpec::Zone(tz) => Some(*tz),
            _ => existing.as_ref().map(Record::tz),
        };
        if time == TimeSpec::Invalid {
            return Ok(self
                .content
                .reply("bad-time", &zone_vars(known_zone), vec![]));
        }
        let choices = |zones: &[Tz]| self.content.zone_choices(zones, time_text.as_deref());
        match &zone {
            ZoneSpec::Unknown => {
                return Ok(self
                    .content
                    .reply("unknown-zone", &zone_vars(None), choices(&[])));
            }
            ZoneSpec::Ambiguous(candidates) => {
                return Ok(self.content.reply(
                    "ambiguous-zone",
                    &zone_vars(None),
                    choices(candidates),
                ));
            }
            _ => {}
        }
        let new_time = match (time, &existing) {
            (TimeSpec::At(t), _) => t,
            (_, Some(record)) => record.time(),
            (_, None) => {
                return Ok(self
                    .content
                    .reply("ask-time", &zone_vars(known_zone), vec![]));
            }
        };
        let (new_zone, defaulted) = match (known_zone, self.settings.default_zone) {
            (Some(tz), _) => (tz, false),
            (None, Some(default)) => (default, true),
            (None, None) => {
                return Ok(self
                    .content
                    .reply("ask-zone", &zone_vars(None), choices(&[])));
            }
        };
        let id = match &existing {
            None if defaulted => "started-default-zone",
            None => "started",
            Some(r) if r.time() == new_time && r.tz() == new_zone && r.state == State::Active => {
                "already-active"
            }
            Some(r) if r.time() == new_time && r.tz() == new_zone => "resumed",
            Some(_) => "changed",
        };
        if id != "already-active" {
            self.upsert(chat, new_time, new_zone, now)?;
            self.db.flush()?;
        }
        let record = self.record(chat)?.expect("written");
        let follow_ups: Vec<FollowUp> = if defaulted { choices(&[]) } else { Vec::new() };
        Ok(self.content.reply(id, &self.vars(&record, now), follow_ups))
    }

    // ---- store ---------------------------------------------------------------------------------------

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Record>, Error> {
        match self.tree.get(key)? {
            None => Ok(None),
            Some(bytes) => Record::decode(&bytes)
                .map(Some)
                .map_err(|message| Error::Corrupt {
                    key: store::describe(key),
                    message,
                }),
        }
    }

    fn record(&self, chat: &ChatRef) -> Result<Option<Record>, Error> {
        self.get(&record_key(chat))
    }

    /// The next reminder for an active record from `now`, after the dates already sent.
    fn next_for(&self, record: &Record, now: DateTime<Utc>) -> Option<Occurrence> {
        next_occurrence(record.time(), record.tz(), record.sent.map(date_of), now)
    }

    /// Writes `record` with its due index entry moved to `next` (removed when `None`), in one atomic batch.
    fn write_record(
        &self,
        key: &[u8],
        platform: Platform,
        record: &Record,
        next: Option<Occurrence>,
    ) -> Result<(), Error> {
        let mut record = record.clone();
        let mut batch = sled::Batch::default();
        let id = &key[2..];
        if let Some((at, _)) = record.due {
            batch.remove(due_key(platform, at, id));
        }
        record.due = match (record.state, next) {
            (State::Active, Some(o)) => {
                let at = o.at.timestamp();
                batch.insert(due_key(platform, at, id), &[]);
                Some((at, day_number(o.date)))
            }
            _ => None,
        };
        batch.insert(key, record.encode());
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Creates or updates a reminder: active, at `time` in `zone`, next due from `now`.
    fn upsert(
        &self,
        chat: &ChatRef,
        time: NaiveTime,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let key = record_key(chat);
        {
            let _guard = self.lock();
            let mut record = self.get(&key)?.unwrap_or(Record {
                group: chat.kind == bot_core::ChatKind::Group,
                minute: 0,
                zone: String::new(),
                state: State::Active,
                sent: None,
                delivered: None,
                retry: None,
                due: None,
            });
            record.minute = minute_of(time);
            record.zone = zone.name().to_string();
            record.state = State::Active;
            record.retry = None;
            let next = self.next_for(&record, now);
            self.write_record(&key, chat.platform, &record, next)?;
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Deletes a chat's record and index entry, flushed. Returns whether there was one.
    fn delete(&self, chat: &ChatRef) -> Result<bool, Error> {
        let key = record_key(chat);
        let existed = {
            let _guard = self.lock();
            match self.get(&key) {
                Ok(Some(record)) => {
                    let mut batch = sled::Batch::default();
                    if let Some((at, _)) = record.due {
                        batch.remove(due_key(chat.platform, at, &key[2..]));
                    }
                    batch.remove(key.as_slice());
                    self.tree.apply_batch(batch)?;
                    true
                }
                Ok(None) => false,
                // A record that cannot be read is still deleted: forgetting must always work.
                Err(_) => {
                    let mut batch = sled::Batch::default();
                    for entry in self.tree.scan_prefix(due_prefix(chat.platform)).keys() {
                        let entry = entry?;
                        if parse_due_key(&entry).is_some_and(|(_, k)| k == key) {
                            batch.remove(entry);
                        }
                    }
                    batch.remove(key.as_slice());
                    self.tree.apply_batch(batch)?;
                    true
                }
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
        match self.tree.scan_prefix(due_prefix(platform)).keys().next() {
            Some(item) => Ok(parse_due_key(&item?).map(|(at, _)| at)),
            None => Ok(None),
        }
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
    ) -> Result<Vec<DueEntry>, Error> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(due_prefix(platform)).keys() {
            if out.len() >= limit {
                break;
            }
            let key = item?;
            match parse_due_key(&key) {
                Some((at, record)) if at <= now => out.push((at, record)),
                Some(_) => break,
                None => {
                    return Err(Error::Corrupt {
                        key: format!("{key:?}"),
                        message: "not a due index key".into(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Decides what to do with a due entry and records the decision. For a delivery the record now says
    /// the date is sent (the at-most-once marker) and the index points at the next date; the caller flushes
    /// before sending.
    pub(crate) fn claim(
        &self,
        record_key: &[u8],
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Claim, Error> {
        let _guard = self.lock();
        let Some(platform) = record_key.get(1).and_then(|b| {
            PLATFORMS
                .into_iter()
                .find(|p| store::platform_byte(*p) == *b)
        }) else {
            return Ok(Claim::Skip);
        };
        let id = &record_key[2..];
        let stale = |tree: &sled::Tree| tree.remove(due_key(platform, due_at.timestamp(), id));
        let mut record = match self.get(record_key) {
            Ok(Some(record)) => record,
            Ok(None) => {
                stale(&self.tree)?;
                return Ok(Claim::Skip);
            }
            Err(Error::Corrupt { key, message }) => {
                // Never deleted: the record stays for repair; only its (derived) index entry goes.
                tracing::error!(chat = %key, %message, "reminder record is corrupt; left untouched and no longer scheduled");
                stale(&self.tree)?;
                return Ok(Claim::Skip);
            }
            Err(other) => return Err(other),
        };
        let Some((at, day)) = record.due.filter(|(at, _)| *at == due_at.timestamp()) else {
            stale(&self.tree)?;
            return Ok(Claim::Skip);
        };
        if record.state != State::Active {
            self.write_record(record_key, platform, &record, None)?;
            return Ok(Claim::Skip);
        }
        let date = date_of(day);
        let tz = record.tz();
        let retry = record.retry.filter(|(d, _)| *d == day);
        let chat = store::chat_of(record_key, record.group).expect("valid key");
        let already_sent = record.sent.is_some_and(|s| s >= day);
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
                if now >= end_of_day(date, tz) {
                    tracing::warn!(platform = ?platform, chat = %chat.id, %date, attempts, "reminder not delivered: retries ran out at the end of the day");
                    record.retry = None;
                    let next = next_after(&record, day, now - self.settings.late_window);
                    self.write_record(record_key, platform, &record, next)?;
                    return Ok(Claim::Skip);
                }
                record.retry = None;
                let next = next_after(&record, day, DateTime::from_timestamp(at, 0).unwrap_or(now));
                self.write_record(record_key, platform, &record, next)?;
                Ok(Claim::Deliver(Delivery {
                    key: record_key.to_vec(),
                    chat,
                    date,
                    attempt: attempts.saturating_add(1),
                }))
            }
            None if already_sent => {
                let next = next_after(&record, day, now - self.settings.late_window);
                self.write_record(record_key, platform, &record, next)?;
                Ok(Claim::Skip)
            }
            None if now - due_at > self.settings.late_window
                || crate::schedule::local_date(now, tz) != date =>
            {
                tracing::info!(platform = ?platform, chat = %chat.id, %date, "reminder skipped: missed by more than the late window, or its day is over");
                let next = next_after(&record, day, now - self.settings.late_window);
                self.write_record(record_key, platform, &record, next)?;
                Ok(Claim::Skip)
            }
            None => {
                record.sent = Some(day);
                let next = next_after(&record, day, due_at);
                self.write_record(record_key, platform, &record, next)?;
                Ok(Claim::Deliver(Delivery {
                    key: record_key.to_vec(),
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
        let _guard = self.lock();
        Ok(self.get(&delivery.key)?.is_some_and(|r| {
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
        let platform = delivery.chat.platform;
        let day = day_number(delivery.date);
        let _guard = self.lock();
        let Some(mut record) = self.get(&delivery.key)? else {
            return Ok(());
        };
        match result {
            Ok(()) => {
                record.delivered = Some(record.delivered.map_or(day, |d| d.max(day)));
                self.tree.insert(delivery.key.as_slice(), record.encode())?;
            }
            Err(DeliveryError::Unreachable) => {
                record.state = State::Blocked;
                self.write_record(&delivery.key, platform, &record, None)?;
                tracing::info!(platform = ?platform, chat = %delivery.chat.id, "reminder paused: chat unreachable");
            }
            Err(DeliveryError::Transient(error)) => {
                let tz = record.tz();
                let retry_at = now + backoff;
                if record.state == State::Active
                    && record.sent == Some(day)
                    && retry_at < end_of_day(delivery.date, tz)
                {
                    tracing::warn!(platform = ?platform, chat = %delivery.chat.id, attempt = delivery.attempt, %error, "reminder delivery failed; will retry");
                    record.retry = Some((day, delivery.attempt));
                    let retry = Occurrence {
                        date: delivery.date,
                        at: retry_at,
                    };
                    self.write_record(&delivery.key, platform, &record, Some(retry))?;
                } else {
                    tracing::warn!(platform = ?platform, chat = %delivery.chat.id, attempt = delivery.attempt, %error, "reminder delivery failed; no time left today to retry");
                }
            }
            Err(DeliveryError::Permanent(error)) => {
                tracing::warn!(platform = ?platform, chat = %delivery.chat.id, %error, "reminder delivery failed permanently for today");
            }
        }
        Ok(())
    }
}

fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Set { .. } => "set",
        Request::Pause => "pause",
        Request::Resume => "resume",
        Request::Status => "status",
        Request::Stop => "stop",
        Request::Forget => "forget",
        Request::Help => "help",
    }
}
