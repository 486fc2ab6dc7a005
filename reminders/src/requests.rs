//! What a person's reminder request does to the store: [`Reminders::apply`] takes the core's
//! [`ReminderAction`] and returns a [`ReminderOutcome`] for the core to say. Every change is flushed before
//! the outcome is returned.

use bot_core::reminder::{Ask, Done, ReminderView, TimeSpec, ZoneSpec};
use bot_core::{ChatRef, ReminderAction, ReminderOutcome};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::Error;
use crate::service::Reminders;
use crate::store::{ChatKey, Record, State};

impl Reminders {
    /// Does what a reminder message asks (read by the core) and says what became of it. Every change is
    /// flushed to disk before the outcome is returned: once a person reads "stopped", no restart brings the
    /// reminder back.
    pub fn apply(
        &self,
        chat: &ChatRef,
        action: &ReminderAction,
        now: DateTime<Utc>,
    ) -> Result<ReminderOutcome, Error> {
        tracing::debug!(platform = ?chat.platform, chat = %chat.id, action = action_name(action), "reminder request");
        Ok(match action {
            ReminderAction::Forget => {
                self.forget(chat)?;
                ReminderOutcome::Forgotten
            }
            ReminderAction::Stop => {
                if self.delete(chat)? {
                    ReminderOutcome::Stopped
                } else {
                    ReminderOutcome::NotSubscribed
                }
            }
            ReminderAction::Pause => self.pause(chat)?,
            ReminderAction::Resume => self.resume(chat, now)?,
            ReminderAction::Status | ReminderAction::Help => match self.record(chat)? {
                Some(record) => shown(Done::Shown, &record),
                None if *action == ReminderAction::Status => ReminderOutcome::NotSubscribed,
                None => ReminderOutcome::Help,
            },
            ReminderAction::Set { time, zone } => self.set(chat, *time, zone, now)?,
        })
    }

    fn pause(&self, chat: &ChatRef) -> Result<ReminderOutcome, Error> {
        let key = ChatKey::of(chat);
        let (done, record) = {
            let mut inner = self.lock();
            let Some(mut record) = self.get(&inner, &key)? else {
                return Ok(ReminderOutcome::NotSubscribed);
            };
            if record.state != State::Active {
                (Done::AlreadyPaused, record)
            } else {
                record.state = State::Paused;
                (Done::Paused, self.write(&mut inner, &key, record, None)?)
            }
        };
        self.flush()?;
        self.wake.notify_one();
        Ok(shown(done, &record))
    }

    fn resume(&self, chat: &ChatRef, now: DateTime<Utc>) -> Result<ReminderOutcome, Error> {
        let key = ChatKey::of(chat);
        let (done, record) = {
            let mut inner = self.lock();
            let Some(mut record) = self.get(&inner, &key)? else {
                return Ok(ReminderOutcome::NotSubscribed);
            };
            if record.state == State::Active {
                (Done::AlreadyActive, record)
            } else {
                record.state = State::Active;
                let next = self.next_for(&record, now);
                (Done::Resumed, self.write(&mut inner, &key, record, next)?)
            }
        };
        self.flush()?;
        self.wake.notify_one();
        Ok(shown(done, &record))
    }

    fn set(
        &self,
        chat: &ChatRef,
        time: TimeSpec,
        zone: &ZoneSpec,
        now: DateTime<Utc>,
    ) -> Result<ReminderOutcome, Error> {
        let existing = self.record(chat)?;
        let known_time = match time {
            TimeSpec::At(t) => Some(t),
            _ => existing.as_ref().map(Record::time),
        };
        let known_zone = match zone {
            ZoneSpec::Zone(tz) => Some(*tz),
            _ => existing.as_ref().map(|r| r.zone),
        };
        let question = |ask: Ask, zone: Option<Tz>| {
            Ok(ReminderOutcome::Question {
                ask,
                time: known_time,
                zone,
            })
        };
        if time == TimeSpec::Invalid {
            return question(Ask::BadTime, known_zone);
        }
        match zone {
            ZoneSpec::Unknown => return question(Ask::UnknownZone, None),
            ZoneSpec::Ambiguous(candidates) => {
                return question(Ask::WhichZone(candidates.clone()), None);
            }
            _ => {}
        }
        let Some(new_time) = known_time else {
            return question(Ask::Time, known_zone);
        };
        let (new_zone, defaulted) = match (known_zone, self.settings().default_zone) {
            (Some(tz), _) => (tz, false),
            (None, Some(default)) => (default, true),
            (None, None) => return question(Ask::Zone, None),
        };
        let done = match &existing {
            None if defaulted => Done::StartedInDefaultZone,
            None => Done::Started,
            Some(r) if r.time() == new_time && r.zone == new_zone && r.state == State::Active => {
                Done::AlreadyActive
            }
            Some(r) if r.time() == new_time && r.zone == new_zone => Done::Resumed,
            Some(_) => Done::Changed,
        };
        let record = match existing {
            Some(record) if done == Done::AlreadyActive => record,
            _ => {
                let record = self.upsert(chat, new_time, new_zone, now)?;
                self.flush()?;
                record
            }
        };
        Ok(shown(done, &record))
    }
}

fn action_name(action: &ReminderAction) -> &'static str {
    match action {
        ReminderAction::Set { .. } => "set",
        ReminderAction::Pause => "pause",
        ReminderAction::Resume => "resume",
        ReminderAction::Status => "status",
        ReminderAction::Stop => "stop",
        ReminderAction::Forget => "forget",
        ReminderAction::Help => "help",
    }
}

/// A record as it is said back, after `done`.
fn shown(done: Done, record: &Record) -> ReminderOutcome {
    ReminderOutcome::Reminder {
        done,
        reminder: ReminderView {
            time: record.time(),
            zone: record.zone,
            state: record.state,
            next: record
                .due
                .and_then(|(at, _)| DateTime::from_timestamp(at, 0)),
        },
    }
}
