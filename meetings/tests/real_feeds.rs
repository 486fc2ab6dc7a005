//! The real feeds in `../shared/meetings` (beside the workspace), when present: every one loads, and
//! fixed-clock queries give what a person would expect. Skipped, with a message, when absent.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use meetings::{Attendance, Catalog, Coordinates, Feed, FeedOptions, Fellowship, Hit, SkipReason};
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/meetings");

struct RealFeed {
    file: &'static str,
    id: &'static str,
    zone: Tz,
}

const FEEDS: [RealFeed; 3] = [
    RealFeed {
        file: "tsml-ui_oc.json",
        id: "oc",
        zone: chrono_tz::America::Los_Angeles,
    },
    RealFeed {
        file: "tsml-ui_sussexaa.json",
        id: "sussexaa",
        zone: chrono_tz::America::New_York,
    },
    RealFeed {
        file: "tsml-ui_aasfmarin.test.json",
        id: "aasfmarin",
        zone: chrono_tz::America::Los_Angeles,
    },
];

/// The feed's text, or `None` (with a message) when the shared folder is not there.
fn read(feed: &RealFeed) -> Option<String> {
    let path = format!("{SHARED}/{}", feed.file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            println!("skipping: real feed {path} not available ({e})");
            None
        }
    }
}

fn load(feed: &RealFeed) -> Option<(Feed, String)> {
    let text = read(feed)?;
    let options = FeedOptions::new(feed.id, feed.zone).with_fellowship(Fellowship::Aa);
    let loaded = Feed::from_json(&text, options).unwrap_or_else(|e| panic!("{}: {e}", feed.file));
    Some((loaded, text))
}

/// Wednesday 2024-05-15 at `hour`:00 in `zone`.
fn wednesday_at(zone: Tz, hour: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(2024, 5, 15, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn assert_time_ordered(hits: &[Hit]) {
    assert!(hits.windows(2).all(|w| w[0].start <= w[1].start));
}

#[test]
fn every_real_feed_loads() {
    for feed in &FEEDS {
        let Some((loaded, text)) = load(feed) else {
            continue;
        };
        let report = &loaded.report;
        println!("{}: {report}", feed.file);
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(report.records, records.len());
        assert!(report.loaded > records.len() / 2, "{}: {report}", feed.file);
        // Each record is loaded once per day or skipped once.
        let days: usize = records
            .iter()
            .map(|r| r["day"].as_array().map_or(1, Vec::len))
            .sum();
        assert_eq!(
            report.loaded + report.skipped_total(),
            days,
            "{}",
            feed.file
        );
        for m in &loaded.meetings {
            assert!(!m.name.is_empty() && !m.slug.is_empty());
            assert!(m.duration_minutes > 0);
            if m.temporarily_closed {
                assert_eq!(m.attendance, Attendance::Online, "{}", m.slug);
            }
            if m.attendance.is_online() {
                assert!(m.conference_url.is_some() || m.conference_phone.is_some());
            }
            if m.attendance.is_in_person() {
                assert!(!m.approximate && !m.temporarily_closed, "{}", m.slug);
            }
        }
    }
}

#[test]
fn attendance_agrees_with_tsml_where_the_feed_states_it() {
    for feed in &FEEDS {
        let Some((loaded, text)) = load(feed) else {
            continue;
        };
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        let stated: HashMap<&str, &str> = records
            .iter()
            .filter_map(|r| Some((r["slug"].as_str()?, r["attendance_option"].as_str()?)))
            .collect();
        if stated.is_empty() {
            println!("{}: no attendance_option to compare", feed.file);
            continue;
        }
        let mut compared = 0;
        for m in &loaded.meetings {
            let ours = match m.attendance {
                Attendance::InPerson => "in_person",
                Attendance::Online => "online",
                Attendance::Hybrid => "hybrid",
            };
            if let Some(theirs) = stated.get(m.slug.as_str()) {
                assert_eq!(ours, *theirs, "{} {}", feed.file, m.slug);
                compared += 1;
            }
        }
        let inactive = stated.values().filter(|v| **v == "inactive").count();
        assert_eq!(loaded.report.skipped_for(SkipReason::Inactive), inactive);
        println!("{}: attendance agrees for {compared} meetings", feed.file);
        assert!(compared > 0);
    }
}

#[test]
fn no_member_contact_details_survive() {
    for feed in &FEEDS {
        let Some((loaded, text)) = load(feed) else {
            continue;
        };
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        let json = serde_json::to_string(&loaded.meetings).unwrap();
        let mut checked = 0;
        for r in &records {
            for key in [
                "email",
                "phone",
                "contact_1_name",
                "contact_1_email",
                "contact_1_phone",
            ] {
                if let Some(v) = r[key].as_str().filter(|v| v.len() > 4) {
                    assert!(!json.contains(v), "{}: {key} value leaked", feed.file);
                    checked += 1;
                }
            }
        }
        println!("{}: {checked} contact values checked absent", feed.file);
    }
}

#[test]
fn aa_meetings_tonight_on_a_wednesday_at_five() {
    for feed in &FEEDS {
        let Some((loaded, _)) = load(feed) else {
            continue;
        };
        let catalog = Catalog::new(vec![loaded]);
        let now = wednesday_at(feed.zone, 17);
        let query = catalog.parse_query("AA meetings tonight");
        let result = catalog.search(&query, now, None);
        println!(
            "{}: 'AA meetings tonight': {} matches, first {:?}",
            feed.file,
            result.total_matches,
            result.hits.first().map(|h| h.summary())
        );
        assert!(!result.hits.is_empty(), "{}", feed.file);
        assert!(result.hits.len() <= 5);
        assert_time_ordered(&result.hits);
        for h in &result.hits {
            let local = h.start.with_timezone(&feed.zone);
            assert_eq!(local.weekday(), Weekday::Wed);
            assert!(local.hour() >= 17, "{:?}", h.summary());
            assert!(h.start.with_timezone(&Utc) >= now - Duration::minutes(10));
            assert_eq!(h.meeting.fellowship, Some(Fellowship::Aa));
            let s = h.summary();
            assert_eq!(s.day, 3);
            assert!(s.time.as_str() >= "17:00");
        }
        // Nothing that is on tonight and still to come is missed.
        let all_tonight = catalog
            .meetings()
            .filter(|m| m.day == Weekday::Wed && m.start.hour() >= 17)
            .count();
        assert_eq!(result.total_matches, all_tonight, "{}", feed.file);
    }
}

#[test]
fn womens_meeting_tomorrow_morning() {
    for feed in &FEEDS {
        let Some((loaded, _)) = load(feed) else {
            continue;
        };
        let catalog = Catalog::new(vec![loaded]);
        let query = catalog.parse_query("women's meeting tomorrow morning");
        let result = catalog.search(&query, wednesday_at(feed.zone, 17), None);
        println!(
            "{}: women tomorrow morning: {}",
            feed.file, result.total_matches
        );
        for h in &result.hits {
            assert!(h.meeting.has_type("Women"));
            let local = h.start.with_timezone(&feed.zone);
            assert_eq!(
                local.date_naive(),
                NaiveDate::from_ymd_opt(2024, 5, 16).unwrap()
            );
            assert!((4..12).contains(&local.hour()));
        }
        assert_time_ordered(&result.hits);
    }
}

#[test]
fn online_now_and_spanish() {
    for feed in &FEEDS {
        let Some((loaded, _)) = load(feed) else {
            continue;
        };
        let catalog = Catalog::new(vec![loaded]);
        let now = wednesday_at(feed.zone, 19);
        let q = catalog.parse_query("any zoom meeting now?");
        let result = catalog.search(&q, now, None);
        println!("{}: online now: {}", feed.file, result.total_matches);
        for h in &result.hits {
            assert!(h.meeting.attendance.is_online());
            let start = h.start.with_timezone(&Utc);
            assert!(start > now - Duration::minutes(10) && start <= now + Duration::minutes(60));
            assert_eq!(h.in_progress, start <= now);
        }
        let q = catalog.parse_query("reunión en español");
        for h in catalog.search(&q, now, None).hits {
            assert!(h.meeting.has_type("Spanish"));
        }
    }
}

#[test]
fn a_city_from_the_feed_and_a_shared_location() {
    for feed in &FEEDS {
        let Some((loaded, _)) = load(feed) else {
            continue;
        };
        let catalog = Catalog::new(vec![loaded]);
        let now = wednesday_at(feed.zone, 17);
        // The place with the most in-person meetings, named as the feed names it.
        let place = catalog
            .gazetteer()
            .places()
            .filter(|p| p.centroid.is_some() && !p.key.chars().all(|c| c.is_ascii_digit()))
            .max_by_key(|p| (p.in_person_meetings, p.key.clone()))
            .expect("some place with in-person meetings")
            .clone();
        let q = catalog.parse_query(&format!(
            "meetings in {} tonight",
            place.name.to_lowercase()
        ));
        assert_eq!(q.place.as_ref().map(|p| &p.key), Some(&place.key));
        let result = catalog.search(&q, now, None);
        println!(
            "{}: place {:?} tonight: {} matches",
            feed.file, place.name, result.total_matches
        );
        let d: Vec<f64> = result.hits.iter().filter_map(|h| h.distance_km).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        for h in &result.hits {
            assert!(h.meeting.attendance.is_in_person());
            assert!(
                h.meeting
                    .place_names()
                    .any(|n| n.eq_ignore_ascii_case(&place.name))
            );
        }

        let here = place.centroid.unwrap();
        let q = catalog.parse_query("meeting near me").near(here);
        let hits = catalog.search(&q, now, None).hits;
        assert_eq!(hits.len(), 5);
        let d: Vec<f64> = hits.iter().map(|h| h.distance_km.unwrap()).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        assert!(hits.iter().all(|h| h.meeting.attendance.is_in_person()));
        // Nothing in person with coordinates is nearer than the first hit.
        let nearest = catalog
            .meetings()
            .filter(|m| m.attendance.is_in_person())
            .filter_map(|m| m.coordinates)
            .map(|c| c.distance_km(&here))
            .fold(f64::INFINITY, f64::min);
        assert!((d[0] - nearest).abs() < 1e-9);
        assert!(Coordinates::new(here.latitude, here.longitude).is_some());
    }
}

#[test]
fn any_message_is_safe_to_search() {
    for feed in &FEEDS {
        let Some((loaded, _)) = load(feed) else {
            continue;
        };
        let catalog = Catalog::new(vec![loaded]);
        let now = wednesday_at(feed.zone, 9);
        // Meeting names and notes make varied, messy messages.
        let messages: Vec<String> = catalog
            .meetings()
            .step_by(7)
            .flat_map(|m| [m.name.clone(), m.notes.clone().unwrap_or_default()])
            .collect();
        let mut with_hits = 0;
        for text in &messages {
            let q = catalog.parse_query(text);
            let result = catalog.search(&q, now, None);
            assert!(result.hits.len() <= q.limit);
            assert!(result.hits.is_empty() || result.suggestion.is_none());
            with_hits += usize::from(!result.hits.is_empty());
        }
        println!(
            "{}: {} messages, {with_hits} with hits",
            feed.file,
            messages.len()
        );
    }
}

#[test]
fn all_feeds_together() {
    let loaded: Vec<Feed> = FEEDS
        .iter()
        .filter_map(|f| load(f).map(|(l, _)| l))
        .collect();
    if loaded.len() < FEEDS.len() {
        println!("skipping: not every real feed is available");
        return;
    }
    let catalog = Catalog::new(loaded);
    println!("gazetteer: {} place names", catalog.gazetteer().len());
    // "Tonight" in each meeting's own zone; Sussex (Eastern) meetings are three hours ahead.
    let now = wednesday_at(chrono_tz::America::Los_Angeles, 17);
    let q = catalog.parse_query("meetings tonight").with_limit(50);
    let result = catalog.search(&q, now, None);
    assert_eq!(result.hits.len(), 50);
    assert_time_ordered(&result.hits);
    for h in &result.hits {
        assert_eq!(h.start.weekday(), Weekday::Wed);
        assert!(h.start.hour() >= 17);
    }
}
