//! Loading a whole feed: detect its format, read every record, keep what is sound and count the rest.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::LoadError;
use crate::model::{FeedOptions, Fellowship, Meeting};
use crate::report::{LoadReport, SkipReason};
use crate::{bmlt, meeting_guide};
use chrono_tz::Tz;

/// The JSON format a feed was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    /// Meeting Guide JSON (Code for Recovery spec): an array of meetings.
    MeetingGuide,
    /// BMLT `GetSearchResults`: an array of meetings, or a `{meetings, formats}` envelope.
    Bmlt,
}

/// A loaded feed: its meetings (active ones only, one per day) and what loading it found.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The options it was loaded with.
    pub options: FeedOptions,
    /// The format detected.
    pub format: FeedFormat,
    /// Meetings kept.
    pub meetings: Vec<Meeting>,
    /// Counts of kept and skipped records.
    pub report: LoadReport,
    /// The latest `updated` date of its records (Meeting Guide), when they carry one.
    pub updated: Option<NaiveDate>,
}

impl Feed {
    /// Parses feed text, detecting Meeting Guide or BMLT JSON.
    pub fn from_json(text: &str, options: FeedOptions) -> Result<Feed, LoadError> {
        let value: Value = serde_json::from_str(text).map_err(|source| LoadError::Json {
            feed: options.id.clone(),
            source,
        })?;
        Self::from_value(&value, options)
    }

    /// Loads feed text when the configuration may not say the feed's zone or fellowship: the zone is
    /// guessed from the feed's addresses ([`guess_timezone`](crate::guess_timezone)), else UTC; a Meeting
    /// Guide feed is taken to be AA (the format of AA's Meeting Guide app) and a BMLT feed NA. Returns the
    /// zone used for meetings that do not name one, and where it came from.
    pub fn from_json_guessing(
        text: &str,
        id: &str,
        timezone: Option<Tz>,
        fellowship: Option<Fellowship>,
    ) -> Result<(Feed, ZoneSource), LoadError> {
        let value: Value = serde_json::from_str(text).map_err(|source| LoadError::Json {
            feed: id.to_string(),
            source,
        })?;
        let (zone, source) = match timezone {
            Some(tz) => (tz, ZoneSource::Configured),
            None => match crate::guess_timezone(&value) {
                Some(tz) => (tz, ZoneSource::Guessed),
                None => (Tz::UTC, ZoneSource::Unknown),
            },
        };
        let fellowship = fellowship.or(match detect_format(&value) {
            Some(FeedFormat::MeetingGuide) => Some(Fellowship::Aa),
            Some(FeedFormat::Bmlt) => Some(Fellowship::Na),
            None => None,
        });
        let mut options = FeedOptions::new(id, zone);
        options.fellowship = fellowship;
        Ok((Self::from_value(&value, options)?, source))
    }

    /// Loads an already-parsed JSON document, detecting its format.
    pub fn from_value(value: &Value, options: FeedOptions) -> Result<Feed, LoadError> {
        let mut report = LoadReport::default();
        let (format, meetings) = match value {
            Value::Array(records) => {
                if records.first().is_some_and(is_bmlt_format_list) {
                    return Err(LoadError::NotAMeetingList {
                        feed: options.id.clone(),
                        found: "a BMLT format list (get_formats_only), not meetings".into(),
                    });
                }
                report.records = records.len();
                if matches!(detect_format(value), Some(FeedFormat::Bmlt)) {
                    let formats = Default::default();
                    let m = bmlt::load(records, &formats, &options, &mut report);
                    (FeedFormat::Bmlt, m)
                } else {
                    let m = meeting_guide::load(records, &options, &mut report);
                    (FeedFormat::MeetingGuide, m)
                }
            }
            Value::Object(obj) => {
                if let Some(Value::Array(records)) = obj.get("meetings") {
                    report.records = records.len();
                    let formats = bmlt::format_names(obj.get("formats"));
                    let m = bmlt::load(records, &formats, &options, &mut report);
                    (FeedFormat::Bmlt, m)
                } else if let Some(message) = obj.get("error") {
                    return Err(LoadError::ServerError {
                        feed: options.id.clone(),
                        message: message
                            .as_str()
                            .map_or_else(|| message.to_string(), str::to_string),
                    });
                } else {
                    return Err(LoadError::NotAMeetingList {
                        feed: options.id.clone(),
                        found: describe_object(obj),
                    });
                }
            }
            other => {
                return Err(LoadError::NotAMeetingList {
                    feed: options.id.clone(),
                    found: format!("a JSON {}", json_kind(other)),
                });
            }
        };
        let meetings = dedupe(meetings, &mut report);
        report.loaded = meetings.len();
        Ok(Feed {
            options,
            format,
            meetings,
            report,
            updated: latest_update(value),
        })
    }
}

/// Where a feed's default time zone came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// The configuration named it.
    Configured,
    /// Read from the states and countries in the feed's addresses.
    Guessed,
    /// Nothing told: UTC. Meetings that name their own zone are still right.
    Unknown,
}

/// The format of a feed document, without loading it.
fn detect_format(value: &Value) -> Option<FeedFormat> {
    match value {
        Value::Array(records) if records.iter().take(5).any(bmlt::is_bmlt_record) => {
            Some(FeedFormat::Bmlt)
        }
        Value::Array(_) => Some(FeedFormat::MeetingGuide),
        Value::Object(obj) if obj.get("meetings").is_some_and(Value::is_array) => {
            Some(FeedFormat::Bmlt)
        }
        _ => None,
    }
}

/// The latest `updated` date ("2024-05-01 12:00:00") among the records of a Meeting Guide feed.
fn latest_update(value: &Value) -> Option<NaiveDate> {
    value
        .as_array()?
        .iter()
        .filter_map(|r| r.get("updated")?.as_str()?.get(..10))
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .max()
}

/// Drops a meeting whose slug and day were already seen in the feed.
fn dedupe(meetings: Vec<Meeting>, report: &mut LoadReport) -> Vec<Meeting> {
    let mut seen = HashSet::new();
    meetings
        .into_iter()
        .filter(|m| {
            let new = seen.insert((m.slug.clone(), m.day));
            if !new {
                report.skip(SkipReason::DuplicateSlug);
            }
            new
        })
        .collect()
}

fn is_bmlt_format_list(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.contains_key("key_string") && o.contains_key("name_string"))
}

fn describe_object(obj: &serde_json::Map<String, Value>) -> String {
    let keys: Vec<&str> = obj.keys().take(5).map(String::as_str).collect();
    format!("an object with keys {keys:?}")
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> FeedOptions {
        FeedOptions::new("t", chrono_tz::UTC)
    }

    #[test]
    fn detects_formats() {
        let mg = r#"[{"slug":"a","name":"A","day":1,"time":"19:00","conference_url":"https://zoom.us/j/1"}]"#;
        assert_eq!(
            Feed::from_json(mg, options()).unwrap().format,
            FeedFormat::MeetingGuide
        );
        let bmlt = r#"[{"id_bigint":"1","meeting_name":"A","weekday_tinyint":"2","start_time":"19:00:00","venue_type":"2","virtual_meeting_link":"https://zoom.us/j/1"}]"#;
        let feed = Feed::from_json(bmlt, options()).unwrap();
        assert_eq!(feed.format, FeedFormat::Bmlt);
        assert_eq!(feed.report.loaded, 1);
        assert_eq!(Feed::from_json("[]", options()).unwrap().report.loaded, 0);
    }

    #[test]
    fn whole_feed_errors_name_the_feed() {
        let err = Feed::from_json("{not json", options()).unwrap_err();
        assert!(matches!(err, LoadError::Json { .. }));
        assert!(err.to_string().contains("\"t\""), "{err}");
        let err = Feed::from_json(r#"{"error":"bad switcher"}"#, options()).unwrap_err();
        assert!(err.to_string().contains("bad switcher"), "{err}");
        let err = Feed::from_json(r#"{"foo":1}"#, options()).unwrap_err();
        assert!(matches!(err, LoadError::NotAMeetingList { .. }));
        let err = Feed::from_json("42", options()).unwrap_err();
        assert!(err.to_string().contains("number"), "{err}");
        let err =
            Feed::from_json(r#"[{"key_string":"O","name_string":"Open"}]"#, options()).unwrap_err();
        assert!(err.to_string().contains("format list"), "{err}");
    }

    #[test]
    fn duplicates_are_counted() {
        let mg = r#"[{"slug":"a","name":"A","day":[1,2],"time":"19:00","conference_phone":"+1"},
                     {"slug":"a","name":"A","day":1,"time":"19:00","conference_phone":"+1"}]"#;
        let feed = Feed::from_json(mg, options()).unwrap();
        assert_eq!(feed.report.records, 2);
        assert_eq!(feed.report.loaded, 2);
        assert_eq!(feed.report.skipped_for(SkipReason::DuplicateSlug), 1);
    }
}
