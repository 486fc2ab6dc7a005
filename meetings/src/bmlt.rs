//! BMLT `GetSearchResults` JSON (the meeting server used by Narcotics Anonymous and others): a bare
//! array of meetings, or a `{"meetings": [...], "formats": [...]}` envelope when
//! `get_used_formats=1` was asked for. Every value is a string; `weekday_tinyint` 1 = Sunday;
//! `venue_type` 1 = in person, 2 = virtual, 3 = hybrid.

use std::collections::HashMap;

use serde_json::Value;

use crate::clock::{parse_duration_minutes, parse_time, weekday_from_sunday0};
use crate::model::{FeedOptions, Fellowship, Meeting};
use crate::privacy::is_contact_field;
use crate::records::{Draft, Venue, coordinates, load_records, text};
use crate::report::{Adjustment, LoadReport, SkipReason};
use crate::types::{self, TypeCode};

/// Whether a JSON object looks like a BMLT meeting record.
pub(crate) fn is_bmlt_record(value: &Value) -> bool {
    value.as_object().is_some_and(|o| {
        o.contains_key("weekday_tinyint")
            || o.contains_key("id_bigint")
            || o.contains_key("meeting_name")
    })
}

/// Format key -> name, from an envelope's `formats` array.
pub(crate) fn format_names(formats: Option<&Value>) -> HashMap<String, String> {
    let Some(Value::Array(items)) = formats else {
        return HashMap::new();
    };
    items
        .iter()
        .filter_map(|f| {
            let key = text(f.get("key_string"))?;
            let name = text(f.get("name_string"))?;
            Some((key, name))
        })
        .collect()
}

/// Loads BMLT meeting records. Format keys are named by the feed's fellowship table (NA when the
/// caller named none, as BMLT is NA's server), then by the envelope's own format names.
pub(crate) fn load(
    records: &[Value],
    formats: &HashMap<String, String>,
    options: &FeedOptions,
    report: &mut LoadReport,
) -> Vec<Meeting> {
    let fellowship = options.fellowship.or(Some(Fellowship::Na));
    let type_name = |code: &str| match types::lookup(code, fellowship) {
        TypeCode::Unknown => formats
            .get(code)
            .map_or(TypeCode::Unknown, |n| TypeCode::Named(n.as_str())),
        known => known,
    };
    load_records(records, options, report, draft, &type_name)
}

/// Reads one BMLT record into a draft.
pub(crate) fn draft(record: &Value, report: &mut LoadReport) -> Result<Draft, SkipReason> {
    let obj = record.as_object().ok_or(SkipReason::NotAnObject)?;
    let get = |key: &str| obj.get(key);
    let id = text(get("id_bigint")).ok_or(SkipReason::MissingSlug)?;
    let slug = match text(get("root_server_id")) {
        Some(root) => format!("bmlt-{root}-{id}"),
        None => format!("bmlt-{id}"),
    };
    if text(get("published")).as_deref() == Some("0") {
        return Err(SkipReason::Unpublished);
    }
    let name = text(get("meeting_name")).ok_or(SkipReason::MissingName)?;
    let day = match text(get("weekday_tinyint")) {
        None => return Err(SkipReason::MissingDay),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .and_then(|n| weekday_from_sunday0(n - 1))
            .ok_or(SkipReason::InvalidDay)?,
    };
    let start = match text(get("start_time")) {
        None => return Err(SkipReason::MissingTime),
        Some(t) => parse_time(&t).ok_or(SkipReason::InvalidTime)?,
    };
    if obj
        .iter()
        .any(|(k, v)| is_contact_field(k) && text(Some(v)).is_some())
    {
        report.adjust(Adjustment::ContactDropped);
    }
    let venue = match text(get("venue_type")).as_deref() {
        Some("1") => Some(Venue::InPerson),
        Some("2") => Some(Venue::Virtual),
        Some("3") => Some(Venue::Hybrid),
        _ => None,
    };
    let street = text(get("location_street"));
    let city = text(get("location_municipality"));
    let postal_code = text(get("location_postal_code_1"));
    let state_postal = [text(get("location_province")), postal_code.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let formatted: Vec<String> = [
        street.clone(),
        city.clone(),
        (!state_postal.is_empty()).then_some(state_postal),
        text(get("location_nation")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let regions = [
        "location_sub_province",
        "location_city_subsection",
        "location_neighborhood",
    ]
    .iter()
    .filter_map(|k| text(get(k)))
    .collect();
    let codes = text(get("formats"))
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let notes = [text(get("location_info")), text(get("comments"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");

    Ok(Draft {
        slug,
        name,
        days: vec![day],
        start: Some(start),
        duration_minutes: text(get("duration_time")).and_then(|d| parse_duration_minutes(&d)),
        timezone: text(get("time_zone")),
        codes,
        venue,
        location: text(get("location_text")),
        formatted_address: (!formatted.is_empty()).then(|| formatted.join(", ")),
        street,
        city,
        postal_code,
        regions,
        approximate: None,
        coordinates: coordinates(get("latitude"), get("longitude")),
        conference_url: text(get("virtual_meeting_link")),
        conference_url_notes: text(get("virtual_meeting_additional_info")),
        conference_phone: text(get("phone_meeting_number")),
        conference_phone_notes: None,
        notes: (!notes.is_empty()).then_some(notes),
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, Weekday};
    use serde_json::json;

    #[test]
    fn weekday_one_is_sunday_and_times_have_seconds() {
        let mut r = LoadReport::default();
        let d = draft(
            &json!({"id_bigint": "7", "meeting_name": "x", "weekday_tinyint": "1",
                    "start_time": "19:30:00", "duration_time": "01:30:00", "root_server_id": "2"}),
            &mut r,
        )
        .unwrap();
        assert_eq!(d.days, vec![Weekday::Sun]);
        assert_eq!(d.start, NaiveTime::from_hms_opt(19, 30, 0));
        assert_eq!(d.duration_minutes, Some(90));
        assert_eq!(d.slug, "bmlt-2-7");
    }

    #[test]
    fn bad_records() {
        let mut r = LoadReport::default();
        let base = json!({"id_bigint": "7", "meeting_name": "x", "weekday_tinyint": "8", "start_time": "19:00:00"});
        assert_eq!(draft(&base, &mut r).unwrap_err(), SkipReason::InvalidDay);
        let mut unpublished = base.clone();
        unpublished["published"] = json!("0");
        assert_eq!(
            draft(&unpublished, &mut r).unwrap_err(),
            SkipReason::Unpublished
        );
        assert_eq!(
            draft(&json!("x"), &mut r).unwrap_err(),
            SkipReason::NotAnObject
        );
    }

    #[test]
    fn envelope_format_names() {
        let names = format_names(Some(&json!([
            {"key_string": "XYZ", "name_string": "Custom Thing"},
            {"key_string": "", "name_string": "ignored"}
        ])));
        assert_eq!(names.len(), 1);
        assert_eq!(names["XYZ"], "Custom Thing");
        assert!(format_names(None).is_empty());
    }
}
