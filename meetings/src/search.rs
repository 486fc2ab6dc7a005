//! Finding the next meetings for a query: time-ordered, or nearest first when the person gave a
//! place or their location; with a way to widen a query that matches nothing.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::gazetteer::meeting_place_keys;
use crate::geo::Coordinates;
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
    let radius =
        (order == Order::Soonest && query.near.is_some() && geographic).then_some(NEAR_RADIUS_KM);

    let mut hits: Vec<Hit> = catalog
        .meetings()
        .filter(|m| {
            query.fellowships.is_empty()
                || m.fellowship.is_some_and(|f| query.fellowships.contains(&f))
        })
        .filter(|m| attendance.is_none_or(|a| a.accepts(m.attendance)))
        .filter(|m| query.types.iter().all(|t| t.matches(m)))
        .filter(|m| {
            query
                .place
                .as_ref()
                .is_none_or(|p| meeting_place_keys(m).contains(&p.key))
        })
        .filter_map(|m| hit(m, query, now, person_tz, origin))
        .filter(|h| match (radius, h.distance_km) {
            (Some(r), Some(d)) => d <= r,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();

    let by_start = |a: &Hit, b: &Hit| {
        a.start
            .cmp(&b.start)
            .then_with(|| a.meeting.slug.cmp(&b.meeting.slug))
    };
    match order {
        Order::Soonest => hits.sort_by(by_start),
        Order::Nearest => hits.sort_by(|a, b| {
            let da = a.distance_km.unwrap_or(f64::INFINITY);
            let db = b.distance_km.unwrap_or(f64::INFINITY);
            da.total_cmp(&db).then_with(|| by_start(a, b))
        }),
    }
    let total_matches = hits.len();
    hits.truncate(query.limit);
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

/// The meeting's hit if its next start fits the query's days and times.
fn hit(
    meeting: &Meeting,
    query: &Query,
    now: DateTime<Utc>,
    person_tz: Option<Tz>,
    origin: Option<Coordinates>,
) -> Option<Hit> {
    let start = next_start(meeting, now)?;
    if let Some(within) = query.starting_within_minutes
        && start.with_timezone(&Utc) > now + Duration::minutes(i64::from(within))
    {
        return None;
    }
    let reference = person_tz.unwrap_or(meeting.timezone);
    let local_start = start.with_timezone(&reference);
    let today = now.with_timezone(&reference).date_naive();
    let day_ok = query.days.is_empty()
        || query.days.iter().any(|d| match d {
            DaySpec::Today => local_start.date_naive() == today,
            DaySpec::Tomorrow => today.succ_opt() == Some(local_start.date_naive()),
            DaySpec::Weekday(w) => local_start.weekday() == *w,
        });
    let minute = local_start.hour() * 60 + local_start.minute();
    let time_ok = query.times.is_empty() || query.times.iter().any(|w| w.contains(minute));
    if !(day_ok && time_ok) {
        return None;
    }
    let end = start + Duration::minutes(i64::from(meeting.duration_minutes));
    let now_utc = now;
    Some(Hit {
        meeting: meeting.clone(),
        start,
        start_for_person: person_tz.map(|tz| start.with_timezone(&tz)),
        end,
        in_progress: start.with_timezone(&Utc) <= now_utc && now_utc < end.with_timezone(&Utc),
        distance_km: origin
            .zip(meeting.coordinates)
            .map(|(o, c)| o.distance_km(&c)),
    })
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
