//! Time math: when a daily reminder at a local time of day fires, in a time zone with daylight-saving
//! changes, offsets of any size, and days that do not exist.
//!
//! Pure functions, no clock: the instant is always an argument.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;

/// The longest stretch of missing local time searched for the next valid minute. Real gaps are one hour
/// (30 minutes on Lord Howe Island); whole missing days (Samoa 2011, Kiritimati 1994) end the search on the
/// next date, which skips that date's reminder.
const MAX_GAP_MINUTES: i64 = 26 * 60;

/// One day's reminder: the local date it belongs to and the instant it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The person's local date this reminder is for. At most one reminder is sent per local date.
    pub date: NaiveDate,
    /// When it fires.
    pub at: DateTime<Utc>,
}

/// The instant `time` happens on local `date` in `zone`.
///
/// - A time that happens once is that instant.
/// - A time that happens twice (clocks go back) is the earlier instant: the reminder fires once.
/// - A time that does not exist (clocks go forward over it) fires at the next valid local minute.
/// - `None` when the next valid minute is on another date (the date has no such time at all, as when a
///   zone skipped a whole day): that date gets no reminder, so no date ever gets two.
pub fn fire_at(date: NaiveDate, time: NaiveTime, zone: Tz) -> Option<DateTime<Utc>> {
    let start = date.and_time(time);
    for minutes in 0..=MAX_GAP_MINUTES {
        let local = start + Duration::minutes(minutes);
        if local.date() != date {
            return None;
        }
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
            LocalResult::None => continue,
        }
    }
    None
}

/// The first reminder for a date after `after` (when given) that fires at or after `not_before`.
///
/// `after` is the last local date a reminder was sent (or may have been sent) for: dates up to it never get
/// another one. Returns `None` only if no date within the next few days has the time at all (impossible in
/// real zones).
pub fn next_occurrence(
    time: NaiveTime,
    zone: Tz,
    after: Option<NaiveDate>,
    not_before: DateTime<Utc>,
) -> Option<Occurrence> {
    // Local dates are not monotonic in the instant (clocks going back over midnight), so start a day early.
    let local_today = not_before.with_timezone(&zone).date_naive();
    let mut date = local_today.pred_opt()?;
    if let Some(after) = after
        && after >= date
    {
        date = after.succ_opt()?;
    }
    for _ in 0..8 {
        if let Some(at) = fire_at(date, time, zone)
            && at >= not_before
        {
            return Some(Occurrence { date, at });
        }
        date = date.succ_opt()?;
    }
    None
}

/// The local date `at` falls on in `zone`.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The instant the local date `date` ends in `zone` (its next midnight, or the first valid minute after it):
/// retries of that date's reminder stop there.
pub fn end_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    fire_at(next, NaiveTime::MIN, zone)
        .or_else(|| fire_at(next.succ_opt().unwrap_or(next), NaiveTime::MIN, zone))
        .unwrap_or_else(|| {
            // A zone that skips two days in a row does not exist; fall back to 24 h after the UTC midnight.
            next.and_time(NaiveTime::MIN).and_utc() + Duration::days(1)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Australia, Europe, Pacific};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn new_york_spring_forward_fires_at_the_next_valid_minute() {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT; 02:30 does not exist.
        assert_eq!(
            fire_at(d(2026, 3, 8), t(2, 30), America::New_York),
            Some(utc("2026-03-08T07:00:00Z")) // 03:00 EDT
        );
        assert_eq!(
            fire_at(d(2026, 3, 8), t(8, 0), America::New_York),
            Some(utc("2026-03-08T12:00:00Z"))
        );
        assert_eq!(
            fire_at(d(2026, 3, 7), t(8, 0), America::New_York),
            Some(utc("2026-03-07T13:00:00Z"))
        );
    }

    #[test]
    fn new_york_fall_back_fires_once_at_the_first_of_the_two() {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
        assert_eq!(
            fire_at(d(2026, 11, 1), t(1, 30), America::New_York),
            Some(utc("2026-11-01T05:30:00Z")) // 01:30 EDT, the first
        );
        // Consecutive days each get exactly one reminder, 25 hours apart across the change.
        let sat = next_occurrence(
            t(1, 30),
            America::New_York,
            None,
            utc("2026-10-31T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(sat.date, d(2026, 10, 31));
        let sun = next_occurrence(t(1, 30), America::New_York, Some(sat.date), sat.at).unwrap();
        assert_eq!(sun.date, d(2026, 11, 1));
        assert_eq!(sun.at - sat.at, Duration::hours(24));
        // After the first 01:30 has fired, the second 01:30 (an hour later) is not another reminder.
        let mon = next_occurrence(
            t(1, 30),
            America::New_York,
            Some(sun.date),
            sun.at + Duration::hours(1),
        )
        .unwrap();
        assert_eq!(mon.date, d(2026, 11, 2));
        assert_eq!(mon.at, utc("2026-11-02T06:30:00Z"));
    }

    #[test]
    fn london_spring_forward_and_fall_back() {
        // 2026-03-29: 01:00 GMT becomes 02:00 BST; 01:15 does not exist.
        assert_eq!(
            fire_at(d(2026, 3, 29), t(1, 15), Europe::London),
            Some(utc("2026-03-29T01:00:00Z")) // 02:00 BST
        );
        // 2026-10-25: 02:00 BST becomes 01:00 GMT; 01:15 happens twice.
        assert_eq!(
            fire_at(d(2026, 10, 25), t(1, 15), Europe::London),
            Some(utc("2026-10-25T00:15:00Z"))
        );
        // 08:00 stays 08:00 local on both sides of the change.
        assert_eq!(
            fire_at(d(2026, 3, 28), t(8, 0), Europe::London),
            Some(utc("2026-03-28T08:00:00Z"))
        );
        assert_eq!(
            fire_at(d(2026, 3, 30), t(8, 0), Europe::London),
            Some(utc("2026-03-30T07:00:00Z"))
        );
    }

    #[test]
    fn lord_howe_half_hour_shift() {
        // Lord Howe Island: +10:30 standard, +11:00 summer. 2026-10-04 02:00 becomes 02:30.
        assert_eq!(
            fire_at(d(2026, 10, 4), t(2, 10), Australia::Lord_Howe),
            Some(utc("2026-10-03T15:30:00Z")) // 02:30 +11:00
        );
        // 2026-04-05 02:00 +11:00 becomes 01:30 +10:30; 01:45 happens twice, the first is +11:00.
        assert_eq!(
            fire_at(d(2026, 4, 5), t(1, 45), Australia::Lord_Howe),
            Some(utc("2026-04-04T14:45:00Z"))
        );
        assert_eq!(
            fire_at(d(2026, 7, 1), t(8, 0), Australia::Lord_Howe),
            Some(utc("2026-06-30T21:30:00Z"))
        );
    }

    #[test]
    fn kathmandu_quarter_hour_offset() {
        // +05:45 all year.
        assert_eq!(
            fire_at(d(2026, 1, 15), t(8, 0), Asia::Kathmandu),
            Some(utc("2026-01-15T02:15:00Z"))
        );
        assert_eq!(
            fire_at(d(2026, 7, 15), t(0, 10), Asia::Kathmandu),
            Some(utc("2026-07-14T18:25:00Z"))
        );
    }

    #[test]
    fn zone_without_dst_is_the_same_all_year() {
        for (m, day) in [(1, 1), (3, 29), (7, 1), (10, 25), (11, 1), (12, 31)] {
            assert_eq!(
                fire_at(d(2026, m, day), t(8, 0), Asia::Tokyo).unwrap()
                    - d(2026, m, day).and_time(t(8, 0)).and_utc(),
                Duration::hours(-9)
            );
            assert_eq!(
                fire_at(d(2026, m, day), t(8, 0), America::Phoenix).unwrap()
                    - d(2026, m, day).and_time(t(8, 0)).and_utc(),
                Duration::hours(7)
            );
        }
    }

    #[test]
    fn date_line_neighbours_are_a_day_apart() {
        // Kiritimati is UTC+14, Pago Pago UTC-11: the same 08:00 is 25 hours apart.
        let kiri = fire_at(d(2026, 6, 1), t(8, 0), Pacific::Kiritimati).unwrap();
        let pago = fire_at(d(2026, 6, 1), t(8, 0), Pacific::Pago_Pago).unwrap();
        assert_eq!(kiri, utc("2026-05-31T18:00:00Z"));
        assert_eq!(pago, utc("2026-06-01T19:00:00Z"));
        assert_eq!(pago - kiri, Duration::hours(25));
        // At one instant they are on different dates.
        let now = utc("2026-06-01T05:00:00Z");
        assert_eq!(local_date(now, Pacific::Kiritimati), d(2026, 6, 1));
        assert_eq!(local_date(now, Pacific::Pago_Pago), d(2026, 5, 31));
        let next = next_occurrence(t(8, 0), Pacific::Pago_Pago, None, now).unwrap();
        assert_eq!(next.date, d(2026, 6, 1));
        let next = next_occurrence(t(8, 0), Pacific::Kiritimati, None, now).unwrap();
        assert_eq!(next.date, d(2026, 6, 2));
    }

    #[test]
    fn a_skipped_day_gets_no_reminder_and_no_day_gets_two() {
        // Kiritimati moved from UTC-10 to UTC+14 at the end of 1994: 1994-12-31 did not exist there.
        assert_eq!(fire_at(d(1994, 12, 31), t(8, 0), Pacific::Kiritimati), None);
        let before = fire_at(d(1994, 12, 30), t(8, 0), Pacific::Kiritimati).unwrap();
        let next =
            next_occurrence(t(8, 0), Pacific::Kiritimati, Some(d(1994, 12, 30)), before).unwrap();
        assert_eq!(next.date, d(1995, 1, 1));
        // Samoa skipped 2011-12-30 the same way.
        assert_eq!(fire_at(d(2011, 12, 30), t(8, 0), Pacific::Apia), None);
    }

    #[test]
    fn next_occurrence_skips_dates_already_sent() {
        let now = utc("2026-06-01T06:00:00Z"); // 07:00 in London
        let today = next_occurrence(t(8, 0), Europe::London, None, now).unwrap();
        assert_eq!(today.date, d(2026, 6, 1));
        let tomorrow = next_occurrence(t(8, 0), Europe::London, Some(d(2026, 6, 1)), now).unwrap();
        assert_eq!(tomorrow.date, d(2026, 6, 2));
        // A time already past today is tomorrow.
        let later = next_occurrence(t(6, 30), Europe::London, None, now).unwrap();
        assert_eq!(later.date, d(2026, 6, 2));
    }

    #[test]
    fn end_of_day_is_the_next_local_midnight() {
        assert_eq!(
            end_of_day(d(2026, 6, 1), Europe::London),
            utc("2026-06-01T23:00:00Z")
        );
        assert_eq!(
            end_of_day(d(2026, 6, 1), Asia::Kathmandu),
            utc("2026-06-01T18:15:00Z")
        );
    }
}
