//! The step shared by every feed format: a record's fields, read loosely, become one normalised
//! [`Meeting`] per day, or a [`SkipReason`].

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde_json::Value;

use crate::address::{looks_specific, parse_formatted_address};
use crate::geo::Coordinates;
use crate::model::{Attendance, FeedOptions, Meeting};
use crate::privacy::redact_emails;
use crate::report::{Adjustment, LoadReport, SkipReason};
use crate::types::{self, TypeCode};

/// Default meeting length when a feed gives no end time or duration.
pub const DEFAULT_DURATION_MINUTES: u32 = 60;

/// What a feed says the venue is, when it says (BMLT `venue_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Venue {
    InPerson,
    Virtual,
    Hybrid,
}

/// Loads every record of a feed: `read` turns a record into a draft (one per format), `type_name` gives
/// each type code's meaning in this feed; what cannot be a meeting is counted in `report`.
pub(crate) fn load_records<'f>(
    records: &[Value],
    options: &FeedOptions,
    report: &mut LoadReport,
    read: fn(&Value, &mut LoadReport) -> Result<Draft, SkipReason>,
    type_name: &dyn Fn(&str) -> TypeCode<'f>,
) -> Vec<Meeting> {
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        match read(record, report).and_then(|d| d.finish(options, report, type_name)) {
            Ok(meetings) => out.extend(meetings),
            Err(reason) => report.skip(reason),
        }
    }
    out
}

/// A record's fields, read from any format, before normalisation.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub slug: String,
    pub name: String,
    pub days: Vec<Weekday>,
    pub start: Option<NaiveTime>,
    pub duration_minutes: Option<u32>,
    pub timezone: Option<String>,
    pub codes: Vec<String>,
    pub venue: Option<Venue>,
    pub location: Option<String>,
    pub formatted_address: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub regions: Vec<String>,
    pub approximate: Option<bool>,
    pub coordinates: Option<Coordinates>,
    pub conference_url: Option<String>,
    pub conference_url_notes: Option<String>,
    pub conference_phone: Option<String>,
    pub conference_phone_notes: Option<String>,
    pub notes: Option<String>,
    pub url: Option<String>,
}

impl Draft {
    /// Normalises the draft into one meeting per day. `type_name` gives the meaning of each code in
    /// this feed. Corrections are counted in `report`.
    pub(crate) fn finish<'f>(
        self,
        options: &FeedOptions,
        report: &mut LoadReport,
        type_name: &dyn Fn(&str) -> TypeCode<'f>,
    ) -> Result<Vec<Meeting>, SkipReason> {
        let start = self.start.ok_or(SkipReason::MissingTime)?;
        if self.days.is_empty() {
            return Err(SkipReason::MissingDay);
        }

        let mut temporarily_closed = false;
        let mut names: Vec<String> = Vec::new();
        let mut unknown = 0;
        for code in &self.codes {
            if types::is_temporarily_closed(code) {
                temporarily_closed = true;
            }
            match type_name(code) {
                TypeCode::Named(name) => {
                    if !names.iter().any(|n| n == name) {
                        names.push(name.to_string());
                    }
                }
                TypeCode::Attendance => {}
                TypeCode::Unknown => unknown += 1,
            }
        }

        let conference_url = self.conference_url.and_then(|url| {
            let ok = is_web_link(&url);
            if !ok {
                report.adjust(Adjustment::InvalidConferenceUrl);
            }
            ok.then_some(url)
        });
        let has_conference = conference_url.is_some() || self.conference_phone.is_some();
        let address_parts = self
            .formatted_address
            .as_deref()
            .map(parse_formatted_address)
            .unwrap_or_default();
        let approximate = self.approximate.unwrap_or_else(|| {
            let specific = self.street.is_some()
                || self
                    .formatted_address
                    .as_deref()
                    .is_some_and(looks_specific)
                || self.coordinates.is_some();
            !specific
        });
        let online = has_conference && self.venue != Some(Venue::InPerson);
        let in_person = !temporarily_closed && !approximate && self.venue != Some(Venue::Virtual);
        let attendance = Attendance::from_parts(online, in_person).ok_or(SkipReason::Inactive)?;

        let timezone = match self.timezone.as_deref() {
            None => {
                report.adjust(Adjustment::DefaultTimezone);
                options.default_timezone
            }
            Some(name) => name.parse::<Tz>().unwrap_or_else(|_| {
                report.adjust(Adjustment::UnknownTimezone);
                options.default_timezone
            }),
        };
        let duration_minutes = self.duration_minutes.unwrap_or_else(|| {
            report.adjust(Adjustment::EndTimeAssumed);
            DEFAULT_DURATION_MINUTES
        });
        for _ in 0..unknown {
            report.adjust(Adjustment::UnknownTypeCode);
        }
        let mut redact = |text: Option<String>| {
            text.map(|t| {
                let (clean, changed) = redact_emails(&t);
                if changed {
                    report.adjust(Adjustment::EmailRedacted);
                }
                clean
            })
        };
        let notes = redact(self.notes);
        let conference_url_notes = redact(self.conference_url_notes);
        let conference_phone_notes = redact(self.conference_phone_notes);

        let address = self.formatted_address.or_else(|| self.street.clone());
        let meeting = Meeting {
            slug: self.slug,
            name: self.name,
            feed: options.id.clone(),
            fellowship: options.fellowship,
            day: self.days[0],
            start,
            duration_minutes,
            timezone,
            types: names,
            type_codes: self.codes,
            attendance,
            temporarily_closed,
            location: self.location,
            address,
            city: self.city.or(address_parts.city),
            postal_code: self.postal_code.or(address_parts.postal_code),
            regions: self.regions,
            approximate,
            coordinates: self.coordinates,
            conference_url,
            conference_url_notes,
            conference_phone: self.conference_phone,
            conference_phone_notes,
            notes,
            url: self.url,
        };
        let mut days = self.days;
        days.dedup();
        Ok(days
            .into_iter()
            .map(|day| Meeting {
                day,
                ..meeting.clone()
            })
            .collect())
    }
}

/// An `http://` or `https://` link with a host.
fn is_web_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        host.contains('.') && !host.contains(char::is_whitespace)
    })
}

/// A trimmed, non-empty string from a JSON string or number.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number from a JSON number or numeric string.
pub(crate) fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Coordinates from two JSON values (numbers or numeric strings).
pub(crate) fn coordinates(lat: Option<&Value>, lon: Option<&Value>) -> Option<Coordinates> {
    Coordinates::new(number(lat)?, number(lon)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options() -> FeedOptions {
        FeedOptions::new("test", chrono_tz::America::New_York)
    }

    fn draft() -> Draft {
        Draft {
            slug: "s".into(),
            name: "n".into(),
            days: vec![Weekday::Mon],
            start: NaiveTime::from_hms_opt(19, 0, 0),
            street: Some("1 Main St".into()),
            ..Draft::default()
        }
    }

    fn finish(d: Draft) -> (Result<Vec<Meeting>, SkipReason>, LoadReport) {
        let mut report = LoadReport::default();
        let r = d.finish(&options(), &mut report, &|c| types::lookup(c, None));
        (r, report)
    }

    #[test]
    fn defaults_are_filled_and_counted() {
        let (r, report) = finish(draft());
        let m = &r.unwrap()[0];
        assert_eq!(m.duration_minutes, 60);
        assert_eq!(m.timezone, chrono_tz::America::New_York);
        assert_eq!(m.attendance, Attendance::InPerson);
        assert_eq!(report.adjusted_for(Adjustment::EndTimeAssumed), 1);
        assert_eq!(report.adjusted_for(Adjustment::DefaultTimezone), 1);
    }

    #[test]
    fn temporarily_closed_without_conference_is_inactive() {
        let mut d = draft();
        d.codes = vec!["TC".into()];
        assert_eq!(finish(d).0.unwrap_err(), SkipReason::Inactive);
    }

    #[test]
    fn temporarily_closed_with_conference_is_online() {
        let mut d = draft();
        d.codes = vec!["TC".into(), "O".into()];
        d.conference_phone = Some("+1555".into());
        let m = &finish(d).0.unwrap()[0];
        assert_eq!(m.attendance, Attendance::Online);
        assert!(m.temporarily_closed);
        assert_eq!(m.types, vec!["Open".to_string()]);
    }

    #[test]
    fn bad_conference_url_is_ignored() {
        let mut d = draft();
        d.conference_url = Some("zoom id 123".into());
        let (r, report) = finish(d);
        let m = &r.unwrap()[0];
        assert_eq!(m.attendance, Attendance::InPerson);
        assert_eq!(m.conference_url, None);
        assert_eq!(report.adjusted_for(Adjustment::InvalidConferenceUrl), 1);
    }

    #[test]
    fn json_helpers() {
        assert_eq!(text(Some(&json!("  x "))), Some("x".into()));
        assert_eq!(text(Some(&json!(""))), None);
        assert_eq!(text(Some(&json!(42))), Some("42".into()));
        assert_eq!(text(Some(&json!(null))), None);
        assert_eq!(number(Some(&json!("37.5"))), Some(37.5));
        assert_eq!(number(Some(&json!(true))), None);
        assert!(coordinates(Some(&json!("37.9")), Some(&json!(-122.5))).is_some());
        assert!(coordinates(Some(&json!(null)), Some(&json!(-122.5))).is_none());
        assert!(is_web_link("https://zoom.us/j/1"));
        assert!(!is_web_link("https://"));
        assert!(!is_web_link("ftp://x.y"));
    }
}
