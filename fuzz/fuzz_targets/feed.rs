//! The feed parser and search on arbitrary bytes: never a panic, whatever a feed server sends.
//!
//! The input is read as a whole feed (format detected), as the records of a BMLT envelope (so that
//! arrays reach the BMLT reader too), and with the zone and fellowship guessed; whatever loads is
//! searched with a few typical queries at a fixed time.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use meetings::{Catalog, Coordinates, Feed, FeedOptions, Fellowship, Query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut feeds = Vec::new();

    let aa =
        FeedOptions::new("mg", meetings::Tz::America__Los_Angeles).with_fellowship(Fellowship::Aa);
    if let Ok(feed) = Feed::from_json(text, aa) {
        check(&feed);
        feeds.push(feed);
    }
    let na = FeedOptions::new("bmlt", meetings::Tz::Europe__London).with_fellowship(Fellowship::Na);
    let envelope = format!(r#"{{"meetings": {text}, "formats": []}}"#);
    if let Ok(feed) = Feed::from_json(&envelope, na) {
        check(&feed);
        feeds.push(feed);
    }
    if let Ok((feed, _zone)) = Feed::from_json_guessing(text, "guessed", None, None) {
        check(&feed);
        feeds.push(feed);
    }
    if feeds.is_empty() {
        return;
    }

    let catalog = Catalog::new(feeds);
    // Wednesday 2024-05-15 18:00 UTC, and a Sunday night across a DST change in Europe.
    let times = [
        Utc.with_ymd_and_hms(2024, 5, 15, 18, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 3, 31, 0, 30, 0).unwrap(),
    ];
    let near = Coordinates::new(33.66, -117.95).unwrap();
    let mut queries: Vec<Query> = [
        "any meetings tonight",
        "women's online meeting saturday at 7pm",
        "NA meeting now",
        "spanish big book meeting tomorrow morning",
    ]
    .iter()
    .map(|t| catalog.parse_query(t))
    .collect();
    queries.push(Query::any().near(near));
    // A place from the feed itself, when it has one.
    if let Some(place) = catalog.gazetteer().places().next() {
        queries.push(catalog.parse_query(&format!("meeting in {}", place.name)));
    }
    for now in times {
        for query in &queries {
            let result = catalog.search(query, now, Some(meetings::Tz::Asia__Kolkata));
            assert!(result.hits.len() <= query.limit);
            assert!(result.total_matches >= result.hits.len());
            for hit in &result.hits {
                let summary = hit.summary();
                assert!(summary.day <= 6);
                assert_eq!(summary.time.len(), 5);
                assert!(hit.end > hit.start || hit.meeting.duration_minutes == 0);
            }
        }
        let widened = catalog.search_widening(&queries[1], now, None);
        assert!(widened.relaxed.len() <= 4);
    }
});

/// What holds for any feed that loads.
fn check(feed: &Feed) {
    assert_eq!(feed.report.loaded, feed.meetings.len());
    for meeting in &feed.meetings {
        assert!(!meeting.slug.is_empty());
        assert_eq!(meeting.feed, feed.options.id);
    }
}
