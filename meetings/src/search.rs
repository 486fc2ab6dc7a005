//! Finding the next meetings for a query: time-ordered, or nearest first when the person gave a
//! place or their location; with a way to widen a query that matches nothing.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::geo::DistanceFrom;
use crate::model::Meeting;
use crate::query::{AttendanceWant, DaySpec, Order, Query};

/// A meeting that started less than this many minutes ago is still listed (flagged in progress).
pub const STILL_JOINABLE_MINUTES: i64 = 10;
/// With coordinates but soonest-first ordering ("next meeting near me"), meetings further than this
/// are left out.
pub const NEAR_RADIUS_KM: f64 = 30.0;

/// One meeting found, at its next start.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The meeting.
    pub meeting: Meeting,
    /// Its next start, in the meeting's own time zone.
    pub start: DateTime<Tz>,
    /// The same instant in the person's time zone, when the caller gave one.
    pub start_for_person: Option<DateTime<Tz>>,
    /// When it ends, in the meeting's time zone.
    pub end: DateTime<Tz>,
    /// It has started and not yet ended.
    pub in_progress: bool,
    /// Great-circle distance from the person's location or the place asked about, when both are known.
    pub distance_km: Option<f64>,
}

/// The JSON summary of a hit: `{slug, name, day, time, timezone, online, in_person, distance_km}`,
/// with `day` 0 = Sunday and `time` "HH:MM", both in the meeting's time zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitSummary {
    /// The meeting's slug.
    pub slug: String,
    /// The meeting's name.
    pub name: String,
    /// Day of the next start, 0 = Sunday ... 6 = Saturday, in the meeting's zone.
    pub day: u8,
    /// Start time "HH:MM" in the meeting's zone.
    pub time: String,
    /// The meeting's time zone name ("America/Los_Angeles").
    pub timezone: String,
    /// Can be joined online (online or hybrid).
    pub online: bool,
    /// Can be attended in person (in person or hybrid).
    pub in_person: bool,
    /// Distance in kilometres, when known.
    pub distance_km: Option<f64>,
}

impl Hit {
    /// The summary used by callers and evaluations.
    pub fn summary(&self) -> HitSummary {
        HitSummary {
            slug: self.meeting.slug.clone(),
            name: self.meeting.name.clone(),
            day: self.start.weekday().num_days_from_sunday() as u8,
            time: format!("{:02}:{:02}", self.start.hour(), self.start.minute()),
            timezone: self.meeting.timezone.name().to_string(),
            online: self.meeting.attendance.is_online(),
            in_person: self.meeting.attendance.is_in_person(),
            distance_km: self.distance_km,
        }
    }
}

/// A step that widens a query which matched nothing, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relaxation {
    /// Forget the time of day ("at 7pm", "morning", "now").
    DropTime,
    /// Forget the day ("tomorrow", "friday").
    DropDay,
    /// Offer online meetings instead of in-person ones near a place.
    OfferOnline,
    /// Forget the meeting types asked for.
    DropTypes,
}

impl Query {
    /// The query widened by one step, and which step; `None` when there is nothing left to widen.
    /// Steps: drop the time, then the day, then offer online meetings instead of a place, then drop
    /// the types. The fellowship is never dropped.
    pub fn relax(&self) -> Option<(Query, Relaxation)> {
        let mut q = self.clone();
        if q.has_time() {
            q.times.clear();
            q.starting_within_minutes = None;
            return Some((q, Relaxation::DropTime));
        }
        if !q.days.is_empty() {
            q.days.clear();
            return Some((q, Relaxation::DropDay));
        }
        let wants_in_person = q.place.is_some()
            || q.near.is_some()
            || matches!(
                q.attendance,
                Some(AttendanceWant::InPerson | AttendanceWant::Hybrid)
            );
        if wants_in_person {
            q.place = None;
            q.near = None;
            q.attendance = Some(AttendanceWant::Online);
            q.order = Some(Order::Soonest);
            return Some((q, Relaxation::OfferOnline));
        }
        if !q.types.is_empty() {
            q.types.clear();
            return Some((q, Relaxation::DropTypes));
        }
        None
    }
}

/// The hits for a query, and how to widen it if there are none.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// Hits, best first, at most `query.limit`.
    pub hits: Vec<Hit>,
    /// How many meetings matched before the limit was applied.
    pub total_matches: usize,
    /// When nothing matched: the next widening step to offer, if any.
    pub suggestion: Option<Relaxation>,
}

/// The result of [`search_widening`]: what was searched in the end, and what was given up to get there.
#[derive(Debug, Clone)]
pub struct Widened {
    /// The result of the last query tried (empty only if every step failed).
    pub result: SearchResult,
    /// The query that produced it.
    pub query: Query,
    /// The widening steps taken, in order (empty when the original query matched).
    pub relaxed: Vec<Relaxation>,
}

/// The next meetings matching `query`, as of `now`.
///
/// - Each meeting's next start is worked out in its own time zone; one that started less than
///   [`STILL_JOINABLE_MINUTES`] ago is still listed, flagged `in_progress`.
/// - Day and time words are read in the person's time zone when given, else in each meeting's zone.
/// - A place or coordinates mean in-person meetings only (unless online was asked for), nearest first
///   by great-circle distance; otherwise soonest first.
pub fn search(
    catalog: &Catalog,
    query: &Query,
    now: DateTime<Utc>,
    person_tz: Option<Tz>,
) -> SearchResult {
    let place_has_venues = query
        .place
        .as_ref()
        .is_some_and(|p| p.in_person_meetings > 0);
    let attendance = query
        .attendance
        .or((query.near.is_some() || place_has_venues).then_some(AttendanceWant::InPerson));
    let geographic = attendance != Some(AttendanceWant::Online);
    let origin = if geographic {
        query
            .near
            .or_else(|| query.place.as_ref().and_then(|p| p.centroid))
    } else {
        None
    };
    let order = query.order.unwrap_or(if origin.is_some() {
        Order::Nearest
    } else {
        Order::Soonest
    });
    let radius = (order == Order::Soonest && query.near.is_some() && geographic)
        .then(|| DistanceFrom::key_for_km(NEAR_RADIUS_KM));
    let from = origin.map(DistanceFrom::new);

    let mut zones = ZoneCache::new(now);
    let mut found: Vec<Found> = catalog
        .meetings_with_places()
        .filter(|(_, places)| query.place.as_ref().is_none_or(|p| places.contains(&p.key)))
        .map(|(m, _)| m)
        .filter(|m| {
            query.fellowships.is_empty()
                || m.fellowship.is_some_and(|f| query.fellowships.contains(&f))
        })
        .filter(|m| attendance.is_none_or(|a| a.accepts(m.attendance)))
        .filter(|m| query.types.iter().all(|t| t.matches(m)))
        .filter_map(|m| found(m, query, now, person_tz, from, &mut zones))
        .filter(|f| match (radius, f.distance_key) {
            (Some(r), Some(d)) => d <= r,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();

    let by_start = |a: &Found, b: &Found| {
        a.start_utc
            .cmp(&b.start_utc)
            .then_with(|| a.meeting.slug.cmp(&b.meeting.slug))
    };
    let by_order = |a: &Found, b: &Found| match order {
        Order::Soonest => by_start(a, b),
        Order::Nearest => {
            let da = a.distance_key.unwrap_or(f64::INFINITY);
            let db = b.distance_key.unwrap_or(f64::INFINITY);
            da.total_cmp(&db).then_with(|| by_start(a, b))
        }
    };
    let total_matches = found.len();
    // Only the best `limit` need sorting.
    if query.limit > 0 && found.len() > query.limit {
        found.select_nth_unstable_by(query.limit - 1, by_order);
    }
    found.truncate(query.limit);
    found.sort_unstable_by(by_order);
    // Only the meetings shown are copied, and their times put in their zones.
    let hits: Vec<Hit> = found
        .into_iter()
        .map(|f| {
            let start = f.meeting.timezone.from_utc_datetime(&f.start_utc);
            let end = start + Duration::minutes(i64::from(f.meeting.duration_minutes));
            Hit {
                meeting: f.meeting.clone(),
                start,
                start_for_person: person_tz.map(|tz| start.with_timezone(&tz)),
                end,
                in_progress: start.with_timezone(&Utc) <= now && now < end.with_timezone(&Utc),
                distance_km: f.distance_key.map(DistanceFrom::km),
            }
        })
        .collect();
    let suggestion = if hits.is_empty() {
        query.relax().map(|(_, r)| r)
    } else {
        None
    };
    SearchResult {
        hits,
        total_matches,
        suggestion,
    }
}

/// Searches, and while nothing matches, widens the query one [`Query::relax`] step at a time.
pub fn search_widening(
    catalog: &Catalog,
    query: &Query,
    now: DateTime<Utc>,
    person_tz: Option<Tz>,
) -> Widened {
    let mut current = query.clone();
    let mut relaxed = Vec::new();
    loop {
        let result = search(catalog, &current, now, person_tz);
        if !result.hits.is_empty() {
            return Widened {
                result,
                query: current,
                relaxed,
            };
        }
        match current.relax() {
            Some((next, step)) => {
                current = next;
                relaxed.push(step);
            }
            None => {
                return Widened {
                    result,
                    query: current,
                    relaxed,
                };
            }
        }
    }
}

/// A meeting that fits, before the list is cut to the limit.
struct Found<'m> {
    meeting: &'m Meeting,
    /// Its next start, in UTC.
    start_utc: NaiveDateTime,
    /// Orders by distance (see [`DistanceFrom::key`]).
    distance_key: Option<f64>,
}

/// The meeting, if its next start fits the query's days and times.
fn found<'m>(
    meeting: &'m Meeting,
    query: &Query,
    now: DateTime<Utc>,
    person_tz: Option<Tz>,
    from: Option<DistanceFrom>,
    zones: &mut ZoneCache,
) -> Option<Found<'m>> {
    let (start_utc, local) = zones.next_start(meeting)?;
    if let Some(within) = query.starting_within_minutes
        && start_utc > (now + Duration::minutes(i64::from(within))).naive_utc()
    {
        return None;
    }
    if !(query.days.is_empty() && query.times.is_empty()) {
        let reference = person_tz.unwrap_or(meeting.timezone);
        let local_start = if reference == meeting.timezone {
            local
        } else {
            zones.local(reference, start_utc)
        };
        let today = zones.week(reference).today;
        let day_ok = query.days.is_empty()
            || query.days.iter().any(|d| match d {
                DaySpec::Today => local_start.date() == today,
                DaySpec::Tomorrow => today.succ_opt() == Some(local_start.date()),
                DaySpec::Weekday(w) => local_start.weekday() == *w,
            });
        let minute = local_start.hour() * 60 + local_start.minute();
        let time_ok = query.times.is_empty() || query.times.iter().any(|w| w.contains(minute));
        if !(day_ok && time_ok) {
            return None;
        }
    }
    Some(Found {
        meeting,
        start_utc,
        distance_key: from.zip(meeting.coordinates).map(|(o, c)| o.key(&c)),
    })
}

/// What one search needs to know about each time zone, worked out once per zone: its local date now,
/// and whether its offset stays the same over the days a next start can fall on (no daylight-saving
/// change), in which case a start is plain arithmetic.
struct ZoneCache {
    now: DateTime<Utc>,
    /// A start must be after this to be listed.
    earliest: NaiveDateTime,
    weeks: Vec<ZoneWeek>,
}

#[derive(Clone, Copy)]
struct ZoneWeek {
    tz: Tz,
    today: chrono::NaiveDate,
    /// The local dates from yesterday to eight days ahead.
    dates: [chrono::NaiveDate; 10],
    /// The offset, when it does not change from yesterday to nine days ahead.
    fixed: Option<chrono::FixedOffset>,
}

impl ZoneCache {
    fn new(now: DateTime<Utc>) -> Self {
        ZoneCache {
            now,
            earliest: (now - Duration::minutes(STILL_JOINABLE_MINUTES)).naive_utc(),
            weeks: Vec::with_capacity(4),
        }
    }

    fn week(&mut self, tz: Tz) -> ZoneWeek {
        if let Some(week) = self.weeks.iter().find(|w| w.tz == tz) {
            return *week;
        }
        let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let current = offset_at(self.now);
        let steady = offset_at(self.now - Duration::days(2)) == current
            && offset_at(self.now + Duration::days(10)) == current;
        let today = self.now.with_timezone(&tz).date_naive();
        let mut dates = [today; 10];
        for (offset, date) in (-1..).zip(dates.iter_mut()) {
            *date = today + Duration::days(offset);
        }
        let week = ZoneWeek {
            tz,
            today,
            dates,
            fixed: steady.then_some(current),
        };
        self.weeks.push(week);
        week
    }

    /// The same instant as [`next_start`] (in UTC, and local in the meeting's zone), by plain arithmetic
    /// where the meeting's zone has no offset change nearby.
    fn next_start(&mut self, meeting: &Meeting) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let week = self.week(meeting.timezone);
        let Some(offset) = week.fixed else {
            let start = next_start(meeting, self.now)?;
            return Some((start.naive_utc(), start.naive_local()));
        };
        // `dates[1]` is today; the meeting's weekday is `ahead` days on, and again seven days later, or
        // it was yesterday.
        let ahead = ((7 + meeting.day.num_days_from_monday()
            - week.today.weekday().num_days_from_monday())
            % 7) as usize;
        [ahead.checked_sub(6), Some(ahead + 1), Some(ahead + 8)]
            .into_iter()
            .flatten()
            .filter_map(|i| week.dates.get(i))
            .map(|date| {
                let local = date.and_time(meeting.start);
                (local - offset, local)
            })
            .filter(|(start, _)| *start > self.earliest)
            .min()
    }

    /// A UTC time as local time in `tz`.
    fn local(&mut self, tz: Tz, utc: NaiveDateTime) -> NaiveDateTime {
        match self.week(tz).fixed {
            Some(offset) => utc + offset,
            None => tz.from_utc_datetime(&utc).naive_local(),
        }
    }
}

/// The meeting's next start that began less than [`STILL_JOINABLE_MINUTES`] before `now`, in its
/// own zone. A start in a daylight-saving gap moves forward an hour; an ambiguous one takes the
/// first.
pub fn next_start(meeting: &Meeting, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
    let tz = meeting.timezone;
    let earliest = now - Duration::minutes(STILL_JOINABLE_MINUTES);
    let today = now.with_timezone(&tz).date_naive();
    (-1..=8)
        .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
        .filter(|date| date.weekday() == meeting.day)
        .filter_map(|date| resolve(tz, date.and_time(meeting.start)))
        .filter(|start| start.with_timezone(&Utc) > earliest)
        .min()
}

fn resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Tz>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => tz
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attendance, Meeting};
    use chrono::{NaiveTime, Weekday};

    fn meeting(tz: Tz, day: Weekday, hour: u32, minute: u32) -> Meeting {
        Meeting {
            slug: "m".into(),
            name: "m".into(),
            feed: "f".into(),
            fellowship: None,
            day,
            start: NaiveTime::from_hms_opt(hour, minute, 0).unwrap(),
            duration_minutes: 60,
            timezone: tz,
            types: vec![],
            type_codes: vec![],
            attendance: Attendance::Online,
            temporarily_closed: false,
            location: None,
            address: None,
            city: None,
            postal_code: None,
            regions: vec![],
            approximate: false,
            coordinates: None,
            conference_url: None,
            conference_url_notes: None,
            conference_phone: None,
            conference_phone_notes: None,
            notes: None,
            url: None,
        }
    }

    /// The per-zone shortcut gives exactly the full computation's answer, in weeks with and without a
    /// daylight-saving change, in zones with odd offsets, every hour of a fortnight.
    #[test]
    fn zone_cache_agrees_with_next_start() {
        let zones = [
            chrono_tz::America::New_York,
            chrono_tz::Europe::London,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::UTC,
        ];
        let starts = [
            (2024, 3, 3),
            (2024, 3, 24),
            (2024, 6, 1),
            (2024, 10, 27),
            (2024, 11, 1),
        ];
        let days = [Weekday::Sun, Weekday::Mon, Weekday::Wed, Weekday::Sat];
        for (y, m, d) in starts {
            let first = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
            for hour in (0..14 * 24).step_by(5) {
                let now = first + Duration::hours(hour) + Duration::minutes(7);
                let mut cache = ZoneCache::new(now);
                for tz in zones {
                    for day in days {
                        for (h, min) in [(0, 5), (1, 30), (2, 30), (9, 0), (19, 45), (23, 55)] {
                            let m = meeting(tz, day, h, min);
                            let expected =
                                next_start(&m, now).map(|t| (t.naive_utc(), t.naive_local()));
                            assert_eq!(
                                cache.next_start(&m),
                                expected,
                                "{tz} {day} {h}:{min} at {now}"
                            );
                        }
                    }
                }
            }
        }
    }
}
