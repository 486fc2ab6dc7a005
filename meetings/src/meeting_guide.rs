//! Meeting Guide JSON (the Code for Recovery spec, used by TSML and TSML UI): an array of meeting
//! objects, read with the quirks real feeds have.

use chrono::Weekday;
use serde_json::{Map, Value};

use crate::clock::{minutes_between, parse_time, weekday_from_name, weekday_from_sunday0};
use crate::model::FeedOptions;
use crate::privacy::is_contact_field;
use crate::records::{Draft, coordinates, load_records, text};
use crate::report::{Adjustment, LoadReport, SkipReason};

/// Reads one Meeting Guide record into a draft, or the reason it cannot be a meeting.
pub(crate) fn draft(record: &Value, report: &mut LoadReport) -> Result<Draft, SkipReason> {
    let obj = record.as_object().ok_or(SkipReason::NotAnObject)?;
    let get = |key: &str| obj.get(key);
    let slug = text(get("slug")).ok_or(SkipReason::MissingSlug)?;
    let name = text(get("name")).ok_or(SkipReason::MissingName)?;
    let days = days(get("day"))?;
    let start = match text(get("time")) {
        None => return Err(SkipReason::MissingTime),
        Some(t) => parse_time(&t).ok_or(SkipReason::InvalidTime)?,
    };
    let duration_minutes = text(get("end_time"))
        .and_then(|t| parse_time(&t))
        .and_then(|end| minutes_between(start, end));

    if has_contact_details(obj) {
        report.adjust(Adjustment::ContactDropped);
    }

    let street = text(get("address"));
    let formatted_address = text(get("formatted_address")).or_else(|| {
        let parts: Vec<String> = ["address", "city", "state", "postal_code", "country"]
            .iter()
            .filter_map(|k| text(get(k)))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let regions = match get("regions") {
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        _ => ["region", "sub_region"]
            .iter()
            .filter_map(|k| text(get(k)))
            .collect(),
    };

    Ok(Draft {
        slug,
        name,
        days,
        start: Some(start),
        duration_minutes,
        timezone: text(get("timezone")),
        codes: codes(get("types")),
        venue: None,
        location: text(get("location")),
        formatted_address,
        street,
        city: text(get("city")),
        postal_code: text(get("postal_code")),
        regions,
        approximate: approximate(get("approximate")),
        coordinates: coordinates(get("latitude"), get("longitude")),
        conference_url: text(get("conference_url")),
        conference_url_notes: text(get("conference_url_notes")),
        conference_phone: text(get("conference_phone")),
        conference_phone_notes: text(get("conference_phone_notes")),
        notes: text(get("notes")),
        url: text(get("url")),
    })
}

/// Loads every record of a Meeting Guide array.
pub(crate) fn load(
    records: &[Value],
    options: &FeedOptions,
    report: &mut LoadReport,
) -> Vec<crate::Meeting> {
    let type_name = |code: &str| crate::types::lookup(code, options.fellowship);
    load_records(records, options, report, draft, &type_name)
}

fn has_contact_details(obj: &Map<String, Value>) -> bool {
    obj.iter()
        .any(|(k, v)| is_contact_field(k) && text(Some(v)).is_some())
}

/// `day`: an integer 0-6, a numeric string, a weekday name, or an array of these.
fn days(value: Option<&Value>) -> Result<Vec<Weekday>, SkipReason> {
    let one = |v: &Value| -> Result<Weekday, SkipReason> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .and_then(weekday_from_sunday0)
                .ok_or(SkipReason::InvalidDay),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => weekday_from_sunday0(n).ok_or(SkipReason::InvalidDay),
                Err(_) => weekday_from_name(s).ok_or(SkipReason::InvalidDay),
            },
            _ => Err(SkipReason::InvalidDay),
        }
    };
    match value {
        None | Some(Value::Null) => Err(SkipReason::MissingDay),
        Some(Value::String(s)) if s.trim().is_empty() => Err(SkipReason::MissingDay),
        Some(Value::Array(items)) if items.is_empty() => Err(SkipReason::MissingDay),
        Some(Value::Array(items)) => {
            let mut days = items.iter().map(one).collect::<Result<Vec<_>, _>>()?;
            days.sort_by_key(Weekday::num_days_from_sunday);
            days.dedup();
            Ok(days)
        }
        Some(v) => Ok(vec![one(v)?]),
    }
}

/// `types`: an array of codes, or (in some feeds) one comma-separated string.
fn codes(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// `approximate`: `"yes"`/`"no"` as the spec says, or a JSON boolean.
fn approximate(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Some(true),
            "no" | "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn day_forms() {
        assert_eq!(days(Some(&json!(0))), Ok(vec![Weekday::Sun]));
        assert_eq!(days(Some(&json!("3"))), Ok(vec![Weekday::Wed]));
        assert_eq!(days(Some(&json!("Friday"))), Ok(vec![Weekday::Fri]));
        assert_eq!(
            days(Some(&json!([5, 1, 1]))),
            Ok(vec![Weekday::Mon, Weekday::Fri])
        );
        assert_eq!(days(None), Err(SkipReason::MissingDay));
        assert_eq!(days(Some(&json!(null))), Err(SkipReason::MissingDay));
        assert_eq!(days(Some(&json!([]))), Err(SkipReason::MissingDay));
        assert_eq!(days(Some(&json!(7))), Err(SkipReason::InvalidDay));
        assert_eq!(days(Some(&json!([1, "x"]))), Err(SkipReason::InvalidDay));
        assert_eq!(days(Some(&json!({"d": 1}))), Err(SkipReason::InvalidDay));
    }

    #[test]
    fn type_forms() {
        assert_eq!(codes(Some(&json!(["O", "", null, "W"]))), vec!["O", "W"]);
        assert_eq!(codes(Some(&json!("O, W"))), vec!["O", "W"]);
        assert!(codes(Some(&json!(null))).is_empty());
    }

    #[test]
    fn approximate_forms() {
        assert_eq!(approximate(Some(&json!("yes"))), Some(true));
        assert_eq!(approximate(Some(&json!("No"))), Some(false));
        assert_eq!(approximate(Some(&json!(true))), Some(true));
        assert_eq!(approximate(Some(&json!("maybe"))), None);
        assert_eq!(approximate(None), None);
    }

    #[test]
    fn record_errors_in_order() {
        let mut r = LoadReport::default();
        assert_eq!(
            draft(&json!([1]), &mut r).unwrap_err(),
            SkipReason::NotAnObject
        );
        assert_eq!(
            draft(&json!({"name": "x"}), &mut r).unwrap_err(),
            SkipReason::MissingSlug
        );
        assert_eq!(
            draft(&json!({"slug": "x"}), &mut r).unwrap_err(),
            SkipReason::MissingName
        );
        assert_eq!(
            draft(&json!({"slug": 5, "name": "x", "day": 1}), &mut r).unwrap_err(),
            SkipReason::MissingTime
        );
        assert_eq!(
            draft(
                &json!({"slug": 5, "name": "x", "day": 1, "time": "late"}),
                &mut r
            )
            .unwrap_err(),
            SkipReason::InvalidTime
        );
    }
}
