//! Searching small hand-written feeds at a fixed clock: Wednesday 15 May 2024, 17:00 in Los Angeles.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use meetings::{
    Attendance, Catalog, Coordinates, Feed, FeedOptions, Fellowship, Hit, Query, Relaxation,
};

const LA: Tz = chrono_tz::America::Los_Angeles;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The town feed (AA, Los Angeles time) plus a BMLT feed declared NA (New York time).
fn catalog() -> Catalog {
    let town = Feed::from_json(
        &fixture("search_town.json"),
        FeedOptions::new("town", LA).with_fellowship(Fellowship::Aa),
    )
    .unwrap();
    let na = Feed::from_json(
        &fixture("bmlt_bare.json"),
        FeedOptions::new("na", chrono_tz::America::New_York).with_fellowship(Fellowship::Na),
    )
    .unwrap();
    Catalog::new(vec![town, na])
}

/// Wednesday 2024-05-15 17:00 in Los Angeles.
fn wednesday_5pm() -> DateTime<Utc> {
    LA.with_ymd_and_hms(2024, 5, 15, 17, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn slugs(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.meeting.slug.as_str()).collect()
}

fn run(text: &str) -> Vec<Hit> {
    let c = catalog();
    let q = c.parse_query(text);
    c.search(&q, wednesday_5pm(), None).hits
}

#[test]
fn aa_meetings_tonight() {
    let hits = run("AA meetings tonight");
    assert_eq!(
        slugs(&hits),
        vec!["wed-women", "wed-online", "wed-hybrid-bigbook"]
    );
    for h in &hits {
        assert_eq!(h.start.weekday(), Weekday::Wed);
        assert!(h.start.hour() >= 17);
        assert_eq!(h.meeting.fellowship, Some(Fellowship::Aa));
        assert!(!h.in_progress);
    }
}

#[test]
fn now_lists_a_meeting_that_just_started() {
    let hits = run("is there a meeting right now?");
    // The NA meeting at 20:00 New York time starts this minute.
    assert_eq!(slugs(&hits), vec!["in-progress", "bmlt-102"]);
    assert!(hits[0].in_progress);
    assert!(hits[1].in_progress, "starts exactly now");
    // Started 30 minutes ago: not listed for today, even though it has not ended.
    let all = run("next meetings");
    assert!(!slugs(&all).contains(&"started-long-ago"));
    assert_eq!(all[0].meeting.slug, "in-progress");
    assert!(all.windows(2).all(|w| w[0].start <= w[1].start));
}

#[test]
fn default_is_five_soonest() {
    let c = catalog();
    let result = c.search(&Query::any(), wednesday_5pm(), None);
    assert_eq!(result.hits.len(), 5);
    assert!(result.total_matches > 5);
    assert!(result.hits.windows(2).all(|w| w[0].start <= w[1].start));
    assert_eq!(result.suggestion, None);
}

#[test]
fn women_tomorrow_morning() {
    let hits = run("women's meeting tomorrow morning");
    assert_eq!(slugs(&hits), vec!["thu-women-newcomer"]);
    let hits = run("newcomers meeting for women");
    assert!(slugs(&hits).contains(&"thu-women-newcomer"));
    assert!(hits.iter().all(|h| h.meeting.has_type("Women")));
}

#[test]
fn types_from_words() {
    assert_eq!(slugs(&run("spanish speaking meeting")), vec!["thu-spanish"]);
    assert_eq!(slugs(&run("big book")), vec!["wed-hybrid-bigbook"]);
    assert_eq!(slugs(&run("speaker meeting saturday")), vec!["sat-speaker"]);
    assert_eq!(
        slugs(&run("gay friendly meeting")),
        vec!["sun-lgbtq-online"]
    );
    assert_eq!(slugs(&run("young people")), vec!["fri-young"]);
}

#[test]
fn online_includes_hybrid() {
    let hits = run("online meeting tonight");
    // bmlt-102 is 20:00 in its own zone (New York), which is 17:00 here.
    assert_eq!(
        slugs(&hits),
        vec!["bmlt-102", "wed-online", "wed-hybrid-bigbook"]
    );
    assert!(hits.iter().all(|h| h.meeting.attendance.is_online()));
}

#[test]
fn fellowship_words_select_declared_feeds_only() {
    let hits = run("NA meetings");
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.meeting.fellowship == Some(Fellowship::Na))
    );
    let hits = run("AA meetings");
    assert!(
        hits.iter()
            .all(|h| h.meeting.fellowship == Some(Fellowship::Aa))
    );
    // No Cocaine Anonymous feed: nothing pretends to be one.
    let c = catalog();
    let q = c.parse_query("cocaine anonymous meeting");
    assert_eq!(q.fellowships, vec![Fellowship::Ca]);
    let result = c.search(&q, wednesday_5pm(), None);
    assert!(result.hits.is_empty());
    assert_eq!(result.suggestion, None, "the fellowship is never relaxed");
}

#[test]
fn place_names_come_from_the_feeds() {
    let c = catalog();
    let q = c.parse_query("meetings in shelbyville");
    assert_eq!(
        q.place.as_ref().map(|p| p.key.as_str()),
        Some("shelbyville")
    );
    let hits = c.search(&q, wednesday_5pm(), None).hits;
    assert_eq!(
        slugs(&hits),
        vec!["thu-women-newcomer", "wed-hybrid-bigbook"],
        "nearest to the place's centre first"
    );
    assert!(hits.iter().all(|h| h.meeting.attendance.is_in_person()));
    assert!(hits.iter().all(|h| h.distance_km.is_some()));

    let zip = c.parse_query("anything near 93001");
    assert_eq!(
        slugs(&c.search(&zip, wednesday_5pm(), None).hits),
        vec!["sat-speaker"]
    );
    let region = c.parse_query("north county");
    assert_eq!(c.search(&region, wednesday_5pm(), None).hits.len(), 2);
    assert!(c.parse_query("atlantis").place.is_none());
}

#[test]
fn coordinates_mean_in_person_nearest_first() {
    let c = catalog();
    let here = Coordinates::new(34.0, -118.0).unwrap();
    let q = c.parse_query("meetings near me").near(here);
    let hits = c.search(&q, wednesday_5pm(), None).hits;
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].meeting.slug, "early-bird");
    assert!(hits[0].distance_km.unwrap() < 0.01);
    assert!(
        hits.iter()
            .all(|h| h.meeting.attendance != Attendance::Online)
    );
    let d: Vec<f64> = hits.iter().map(|h| h.distance_km.unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");

    // "Next" keeps time order, within a radius.
    let q = c.parse_query("next meeting").near(here);
    let hits = c.search(&q, wednesday_5pm(), None).hits;
    assert!(hits.windows(2).all(|w| w[0].start <= w[1].start));
    assert!(
        hits.iter()
            .all(|h| h.distance_km.unwrap() <= meetings::NEAR_RADIUS_KM)
    );
}

#[test]
fn person_time_zone_moves_today() {
    let c = catalog();
    let q = c.parse_query("meetings tonight");
    let ny = chrono_tz::America::New_York;
    let hits = c.search(&q, wednesday_5pm(), Some(ny)).hits;
    // 17:00 in LA is 20:00 in New York; "tonight" there ends at 21:00 LA time.
    assert!(!hits.is_empty());
    for h in &hits {
        let theirs = h.start_for_person.expect("person's zone given");
        assert_eq!(theirs.timezone(), ny);
        assert_eq!(theirs.weekday(), Weekday::Wed);
        assert!(theirs.hour() >= 17);
        assert_eq!(theirs, h.start);
    }
    assert!(!slugs(&hits).contains(&"wed-hybrid-bigbook"));
}

#[test]
fn summary_has_the_agreed_shape() {
    let hits = run("women tonight");
    let summary = hits[0].summary();
    let json = serde_json::to_value(&summary).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "day",
            "distance_km",
            "in_person",
            "name",
            "online",
            "slug",
            "time",
            "timezone"
        ]
    );
    assert_eq!(json["slug"], "wed-women");
    assert_eq!(json["day"], 3);
    assert_eq!(json["time"], "19:00");
    assert_eq!(json["timezone"], "America/Los_Angeles");
    assert_eq!(json["online"], false);
    assert_eq!(json["in_person"], true);
    assert!(json["distance_km"].is_null());
    let hybrid = run("big book")[0].summary();
    assert!(hybrid.online && hybrid.in_person);
}

#[test]
fn nothing_matches_then_widen() {
    let c = catalog();
    let q = c.parse_query("women's meeting at 3am on monday in shelbyville");
    let result = c.search(&q, wednesday_5pm(), None);
    assert!(result.hits.is_empty());
    assert_eq!(result.suggestion, Some(Relaxation::DropTime));
    let widened = c.search_widening(&q, wednesday_5pm(), None);
    assert_eq!(
        widened.relaxed,
        vec![Relaxation::DropTime, Relaxation::DropDay]
    );
    assert_eq!(slugs(&widened.result.hits), vec!["thu-women-newcomer"]);

    let q = c.parse_query("lgbtq meeting in springfield");
    let widened = c.search_widening(&q, wednesday_5pm(), None);
    assert_eq!(widened.relaxed, vec![Relaxation::OfferOnline]);
    assert_eq!(slugs(&widened.result.hits), vec!["sun-lgbtq-online"]);
}

#[test]
fn daylight_saving_gap_moves_forward() {
    let json =
        r#"[{"slug": "gap", "name": "Gap", "day": 0, "time": "02:30", "conference_phone": "+1"}]"#;
    let feed = Feed::from_json(json, FeedOptions::new("dst", LA)).unwrap();
    // Saturday 9 March 2024 noon; clocks skip 02:00-03:00 on Sunday 10 March.
    let now = LA
        .with_ymd_and_hms(2024, 3, 9, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let start = meetings::next_start(&feed.meetings[0], now).unwrap();
    assert_eq!((start.day(), start.hour(), start.minute()), (10, 3, 30));
}
