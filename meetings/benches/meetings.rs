//! Benchmarks: loading the real Orange County feed (from `../shared/meetings`, skipped with a
//! message when absent), and searching 10,000 synthetic meetings with typical queries.
//!
//! Run: `cargo bench -p meetings`

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use meetings::{Catalog, Coordinates, Feed, FeedOptions, Fellowship, Query};
use serde_json::{Value, json};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/meetings");
const SYNTHETIC_MEETINGS: usize = 10_000;
const SEED: u64 = 0x5EED_2024_0515;

/// SplitMix64: a small, fixed-seed generator, so every run searches the same meetings.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Towns with a zone, a state or country, a ZIP-like code and a centre.
struct Town {
    city: &'static str,
    region: &'static str,
    state: &'static str,
    postal: &'static str,
    zone: &'static str,
    lat: f64,
    lon: f64,
}

const TOWNS: &[Town] = &[
    Town {
        city: "Costa Mesa",
        region: "Orange County",
        state: "CA",
        postal: "92626",
        zone: "America/Los_Angeles",
        lat: 33.64,
        lon: -117.92,
    },
    Town {
        city: "Huntington Beach",
        region: "Orange County",
        state: "CA",
        postal: "92648",
        zone: "America/Los_Angeles",
        lat: 33.66,
        lon: -118.00,
    },
    Town {
        city: "San Rafael",
        region: "Marin",
        state: "CA",
        postal: "94901",
        zone: "America/Los_Angeles",
        lat: 37.97,
        lon: -122.53,
    },
    Town {
        city: "Denver",
        region: "Metro Denver",
        state: "CO",
        postal: "80202",
        zone: "America/Denver",
        lat: 39.74,
        lon: -104.99,
    },
    Town {
        city: "Phoenix",
        region: "Valley",
        state: "AZ",
        postal: "85004",
        zone: "America/Phoenix",
        lat: 33.45,
        lon: -112.07,
    },
    Town {
        city: "Chicago",
        region: "Cook County",
        state: "IL",
        postal: "60601",
        zone: "America/Chicago",
        lat: 41.88,
        lon: -87.63,
    },
    Town {
        city: "Austin",
        region: "Central Texas",
        state: "TX",
        postal: "78701",
        zone: "America/Chicago",
        lat: 30.27,
        lon: -97.74,
    },
    Town {
        city: "Rehoboth Beach",
        region: "Sussex County",
        state: "DE",
        postal: "19971",
        zone: "America/New_York",
        lat: 38.72,
        lon: -75.08,
    },
    Town {
        city: "Boston",
        region: "Greater Boston",
        state: "MA",
        postal: "02108",
        zone: "America/New_York",
        lat: 42.36,
        lon: -71.06,
    },
    Town {
        city: "Atlanta",
        region: "Metro Atlanta",
        state: "GA",
        postal: "30303",
        zone: "America/New_York",
        lat: 33.75,
        lon: -84.39,
    },
    Town {
        city: "Anchorage",
        region: "Southcentral",
        state: "AK",
        postal: "99501",
        zone: "America/Anchorage",
        lat: 61.22,
        lon: -149.90,
    },
    Town {
        city: "Honolulu",
        region: "Oahu",
        state: "HI",
        postal: "96813",
        zone: "Pacific/Honolulu",
        lat: 21.31,
        lon: -157.86,
    },
    Town {
        city: "Brighton",
        region: "Sussex",
        state: "UK",
        postal: "BN1 1AA",
        zone: "Europe/London",
        lat: 50.82,
        lon: -0.14,
    },
    Town {
        city: "Berlin",
        region: "Mitte",
        state: "DE",
        postal: "10115",
        zone: "Europe/Berlin",
        lat: 52.52,
        lon: 13.40,
    },
    Town {
        city: "Sydney",
        region: "Inner West",
        state: "NSW",
        postal: "2000",
        zone: "Australia/Sydney",
        lat: -33.87,
        lon: 151.21,
    },
];

const NAMES: &[&str] = &[
    "Serenity",
    "Happy Hour",
    "Early Birds",
    "Came to Believe",
    "Keep It Simple",
    "Living Sober",
    "Night Owls",
    "Big Book Study",
    "Women in Recovery",
    "Young People",
    "Back to Basics",
    "Beginners",
    "Step Sisters",
    "Men's Stag",
    "Grapevine",
    "Hope Group",
    "Sunrise",
    "Lunch Bunch",
];

const TYPES: &[&str] = &[
    "O", "C", "W", "M", "D", "SP", "B", "BE", "ST", "YP", "LGBTQ", "S", "X", "MED", "A", "TR",
];

/// One synthetic Meeting Guide record: varied days, times, types, places, zones and attendance.
fn record(rng: &mut Rng, n: usize) -> Value {
    let town = rng.pick(TOWNS);
    let day = rng.below(7);
    let minute = 6 * 60 + 15 * rng.below(67); // 06:00 to 22:30
    let (hour, min) = (minute / 60, minute % 60);
    let length = *rng.pick(&[60, 60, 60, 90, 45]);
    let end = (minute + length).min(23 * 60 + 59);
    let mut types: Vec<&str> = (0..1 + rng.below(4)).map(|_| *rng.pick(TYPES)).collect();
    types.push(if rng.chance(60) { "O" } else { "C" });
    let mut r = json!({
        "slug": format!("m-{n}"),
        "name": format!("{} {}", rng.pick(NAMES), n % 97),
        "day": day,
        "time": format!("{hour:02}:{min:02}"),
        "end_time": format!("{:02}:{:02}", end / 60, end % 60),
        "timezone": town.zone,
        "types": types,
        "region": town.region,
        "updated": "2024-05-01 12:00:00",
    });
    let kind = rng.below(100);
    let in_person = kind < 75; // 60% in person, 15% hybrid, 25% online
    let online = kind >= 60;
    if in_person {
        let obj = r.as_object_mut().unwrap();
        obj.insert("location".into(), json!(format!("Hall {}", n % 31)));
        obj.insert(
            "formatted_address".into(),
            json!(format!(
                "{} Main St, {}, {} {}, USA",
                1 + rng.below(9000),
                town.city,
                town.state,
                town.postal
            )),
        );
        obj.insert("city".into(), json!(town.city));
        obj.insert("postal_code".into(), json!(town.postal));
        obj.insert("latitude".into(), json!(town.lat + 0.2 * rng.unit()));
        obj.insert("longitude".into(), json!(town.lon + 0.2 * rng.unit()));
    }
    if online {
        let obj = r.as_object_mut().unwrap();
        obj.insert(
            "conference_url".into(),
            json!(format!("https://zoom.us/j/{}", 1_000_000 + n)),
        );
        if rng.chance(30) {
            obj.insert("conference_phone".into(), json!("+16699006833"));
        }
    }
    r
}

/// The synthetic catalog: one Meeting Guide feed of `count` meetings (loaded through the parser).
fn synthetic_catalog(count: usize) -> Catalog {
    let mut rng = Rng(SEED);
    let records: Vec<Value> = (0..count).map(|n| record(&mut rng, n)).collect();
    let text = serde_json::to_string(&records).unwrap();
    let options = FeedOptions::new("synthetic", chrono_tz::America::Los_Angeles)
        .with_fellowship(Fellowship::Aa);
    let feed = Feed::from_json(&text, options).expect("synthetic feed loads");
    assert_eq!(
        feed.report.loaded, count,
        "every synthetic meeting is sound"
    );
    Catalog::new(vec![feed])
}

/// Wednesday 2024-05-15, 18:00 UTC (11:00 in Los Angeles, 19:00 in London).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 15, 18, 0, 0).unwrap()
}

const QUERIES: &[(&str, &str)] = &[
    ("tonight", "any meetings tonight?"),
    ("women_tomorrow_morning", "women's meeting tomorrow morning"),
    ("online_speaker_saturday", "online speaker meeting saturday"),
    ("near_place", "meeting near Huntington Beach"),
    ("spanish_at_7pm", "spanish meeting at 7pm"),
    ("now", "is there a meeting now"),
    (
        "big_book_weekend_closed",
        "closed big book study this weekend",
    ),
];

fn load_benches(c: &mut Criterion) {
    let path = format!("{SHARED}/tsml-ui_oc.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            println!("skipping load benchmark: {path} not available ({e})");
            return;
        }
    };
    let options =
        FeedOptions::new("oc", chrono_tz::America::Los_Angeles).with_fellowship(Fellowship::Aa);
    let feed = Feed::from_json(&text, options.clone()).unwrap();
    println!(
        "Orange County feed: {} bytes, {} records, {} meetings loaded, {} skipped",
        text.len(),
        feed.report.records,
        feed.report.loaded,
        feed.report.skipped_total()
    );
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("oc_feed_parse", |b| {
        b.iter(|| Feed::from_json(black_box(&text), options.clone()).unwrap())
    });
    group.bench_function("oc_feed_parse_and_catalog", |b| {
        b.iter(|| {
            let feed = Feed::from_json(black_box(&text), options.clone()).unwrap();
            Catalog::new(vec![feed])
        })
    });
    group.finish();
}

fn search_benches(c: &mut Criterion) {
    let catalog = synthetic_catalog(SYNTHETIC_MEETINGS);
    println!(
        "synthetic catalog: {} meetings, {} place names",
        catalog.meetings().count(),
        catalog.gazetteer().len()
    );
    let now = now();
    let mut group = c.benchmark_group("search_10k");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(4));
    for (name, text) in QUERIES {
        let query = catalog.parse_query(text);
        let hits = catalog.search(&query, now, None);
        println!("  {name}: {:?} -> {} matches", text, hits.total_matches);
        group.bench_function(*name, |b| {
            b.iter(|| catalog.search(black_box(&query), now, None))
        });
    }
    let origin = Coordinates::new(33.66, -117.95).unwrap();
    let near_me = Query::any().near(origin);
    println!(
        "  near_location: {} matches",
        catalog.search(&near_me, now, None).total_matches
    );
    group.bench_function("near_location", |b| {
        b.iter(|| catalog.search(black_box(&near_me), now, None))
    });
    // A message that matches nothing as asked and is widened step by step.
    let hard = catalog.parse_query("ASL beginners meeting at 6am tuesday near Anchorage");
    group.bench_function("widening_no_match", |b| {
        b.iter(|| catalog.search_widening(black_box(&hard), now, None))
    });
    // The whole path from a message: parse, then search.
    group.bench_function("parse_and_search_tonight", |b| {
        b.iter(|| {
            let query =
                catalog.parse_query(black_box("any women's meetings tonight near Costa Mesa"));
            catalog.search(&query, now, None)
        })
    });
    group.finish();

    // Where a search's time goes: every meeting's next start in its own zone.
    let mut group = c.benchmark_group("parts_10k");
    group.sample_size(30);
    group.bench_function("next_start_every_meeting", |b| {
        b.iter(|| {
            catalog
                .meetings()
                .filter_map(|m| meetings::next_start(m, black_box(now)))
                .count()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("build_10k");
    group.sample_size(10);
    group.bench_function("catalog_from_feed", |b| {
        b.iter_batched(
            || catalog.feeds().to_vec(),
            Catalog::new,
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, load_benches, search_benches);
criterion_main!(benches);
