//! Meeting feeds: find real mutual-aid meetings.
//!
//! A pure, synchronous library. It reads Meeting Guide JSON and BMLT `GetSearchResults` JSON
//! (detected automatically), keeps the sound records and counts why the others were skipped, reads a
//! query from a person's message, and finds the next meetings that fit. It does no network access
//! and logs nothing; fetching feeds is the caller's job.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use meetings::{Catalog, Feed, FeedOptions, Fellowship};
//!
//! let json = r#"[{"slug": "s1", "name": "Serenity", "day": 3, "time": "19:00",
//!                 "types": ["O", "W"], "formatted_address": "1 Main St, Anytown, CA 90000, USA",
//!                 "latitude": 33.7, "longitude": -117.9}]"#;
//! let options = FeedOptions::new("demo", chrono_tz::America::Los_Angeles)
//!     .with_fellowship(Fellowship::Aa);
//! let feed = Feed::from_json(json, options).unwrap();
//! assert_eq!(feed.report.loaded, 1);
//!
//! let catalog = Catalog::new(vec![feed]);
//! let query = catalog.parse_query("women's AA meeting tonight");
//! // Wednesday 2024-05-15, 17:00 in Los Angeles.
//! let now = Utc.with_ymd_and_hms(2024, 5, 16, 0, 0, 0).unwrap();
//! let result = catalog.search(&query, now, None);
//! assert_eq!(result.hits[0].summary().time, "19:00");
//! ```

mod address;
mod bmlt;
mod catalog;
mod clock;
mod error;
mod feed;
#[cfg(feature = "fetch")]
pub mod fetch;
mod gazetteer;
mod geo;
mod meeting_guide;
mod model;
mod privacy;
mod query;
mod records;
mod report;
mod search;
pub mod types;
mod zone_guess;

pub use catalog::Catalog;
pub use clock::parse_time;
pub use error::LoadError;
pub use feed::{Feed, FeedFormat, ZoneSource};
pub use gazetteer::{Gazetteer, Place};
pub use geo::Coordinates;
pub use model::{Attendance, FeedOptions, Fellowship, Meeting};
pub use query::{
    AttendanceWant, DEFAULT_LIMIT, DaySpec, MAX_MESSAGE_CHARS, NOW_WINDOW_MINUTES, Order, Query,
    TimeWindow, TypeWant,
};
pub use records::DEFAULT_DURATION_MINUTES;
pub use report::{Adjustment, LoadReport, SkipReason};
pub use search::{
    Hit, HitSummary, NEAR_RADIUS_KM, Relaxation, STILL_JOINABLE_MINUTES, SearchResult, Widened,
    next_start, search, search_widening,
};

/// Re-exported so callers can name time zones without depending on `chrono-tz` themselves.
pub use chrono_tz::Tz;
pub use zone_guess::guess_timezone;
