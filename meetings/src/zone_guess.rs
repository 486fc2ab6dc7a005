//! A feed's time zone when neither the feed nor its configuration names one: read from the states and
//! provinces in its addresses ("..., Costa Mesa, CA 92626, USA" is in America/Los_Angeles).
//!
//! Most Meeting Guide feeds give no `timezone` at all, and a wrong zone moves every meeting by hours, so
//! this is better than assuming UTC. States that span two zones take the zone most of their people are in.

use std::collections::HashMap;

use chrono_tz::Tz;
use serde_json::Value;

use crate::address::parse_formatted_address;

/// US states and territories, Canadian provinces and Australian states by their postal codes.
const REGION_ZONES: &[(&str, Tz)] = {
    use chrono_tz::America::*;
    use chrono_tz::Australia;
    use chrono_tz::Pacific::Honolulu;
    &[
        ("AL", Chicago),
        ("AK", Anchorage),
        ("AZ", Phoenix),
        ("AR", Chicago),
        ("CA", Los_Angeles),
        ("CO", Denver),
        ("CT", New_York),
        ("DE", New_York),
        ("DC", New_York),
        ("FL", New_York),
        ("GA", New_York),
        ("HI", Honolulu),
        ("ID", Boise),
        ("IL", Chicago),
        ("IN", Indiana::Indianapolis),
        ("IA", Chicago),
        ("KS", Chicago),
        ("KY", New_York),
        ("LA", Chicago),
        ("ME", New_York),
        ("MD", New_York),
        ("MA", New_York),
        ("MI", Detroit),
        ("MN", Chicago),
        ("MS", Chicago),
        ("MO", Chicago),
        ("MT", Denver),
        ("NE", Chicago),
        ("NV", Los_Angeles),
        ("NH", New_York),
        ("NJ", New_York),
        ("NM", Denver),
        ("NY", New_York),
        ("NC", New_York),
        ("ND", Chicago),
        ("OH", New_York),
        ("OK", Chicago),
        ("OR", Los_Angeles),
        ("PA", New_York),
        ("RI", New_York),
        ("SC", New_York),
        ("SD", Chicago),
        ("TN", Chicago),
        ("TX", Chicago),
        ("UT", Denver),
        ("VT", New_York),
        ("VA", New_York),
        ("WA", Los_Angeles),
        ("WV", New_York),
        ("WI", Chicago),
        ("WY", Denver),
        ("PR", Puerto_Rico),
        ("AB", Edmonton),
        ("BC", Vancouver),
        ("MB", Winnipeg),
        ("NB", Moncton),
        ("NL", St_Johns),
        ("NS", Halifax),
        ("ON", Toronto),
        ("PE", Halifax),
        ("QC", Toronto),
        ("SK", Regina),
        ("NSW", Australia::Sydney),
        ("VIC", Australia::Melbourne),
        ("QLD", Australia::Brisbane),
        ("WA", Australia::Perth),
        ("SA", Australia::Adelaide),
        ("TAS", Australia::Hobart),
        ("ACT", Australia::Sydney),
        ("NT", Australia::Darwin),
    ]
};

/// Countries with one time zone, by the names feeds use at the end of an address.
const COUNTRY_ZONES: &[(&str, Tz)] = &[
    ("uk", chrono_tz::Europe::London),
    ("united kingdom", chrono_tz::Europe::London),
    ("england", chrono_tz::Europe::London),
    ("scotland", chrono_tz::Europe::London),
    ("wales", chrono_tz::Europe::London),
    ("northern ireland", chrono_tz::Europe::London),
    ("ireland", chrono_tz::Europe::Dublin),
    ("new zealand", chrono_tz::Pacific::Auckland),
    ("germany", chrono_tz::Europe::Berlin),
    ("france", chrono_tz::Europe::Paris),
    ("spain", chrono_tz::Europe::Madrid),
    ("italy", chrono_tz::Europe::Rome),
    ("netherlands", chrono_tz::Europe::Amsterdam),
    ("belgium", chrono_tz::Europe::Brussels),
    ("south africa", chrono_tz::Africa::Johannesburg),
    ("india", chrono_tz::Asia::Kolkata),
    ("japan", chrono_tz::Asia::Tokyo),
];

/// The zone most of a feed's addresses point to, if any do. `value` is the feed's JSON: a Meeting Guide
/// array, or a BMLT array or `{"meetings": [...]}` object.
pub fn guess_timezone(value: &Value) -> Option<Tz> {
    let records = match value {
        Value::Array(records) => records,
        Value::Object(obj) => obj.get("meetings")?.as_array()?,
        _ => return None,
    };
    let mut votes: HashMap<Tz, usize> = HashMap::new();
    for record in records {
        if let Some(tz) = record_zone(record) {
            *votes.entry(tz).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.name().cmp(a.0.name())))
        .map(|(tz, _)| tz)
}

fn record_zone(record: &Value) -> Option<Tz> {
    let field = |name: &str| record.get(name).and_then(Value::as_str).map(str::trim);
    let country = field("country")
        .or_else(|| field("location_nation"))
        .map(str::to_ascii_lowercase);
    let australia = country
        .as_deref()
        .is_some_and(|c| c == "au" || c == "australia");
    let state = field("state").or_else(|| field("location_province"));
    if let Some(tz) = state.and_then(|s| region_zone(s, australia)) {
        return Some(tz);
    }
    if let Some(tz) = country.as_deref().and_then(country_zone) {
        return Some(tz);
    }
    let address = field("formatted_address")?;
    let last = address.rsplit(',').next().unwrap_or_default().trim();
    if let Some(tz) = country_zone(&last.to_ascii_lowercase()) {
        return Some(tz);
    }
    let australia = last.eq_ignore_ascii_case("australia");
    let parts = parse_formatted_address(address);
    parts
        .state
        .as_deref()
        .and_then(|s| region_zone(s, australia))
}

fn region_zone(code: &str, australia: bool) -> Option<Tz> {
    let code = code.trim().to_ascii_uppercase();
    let mut found = REGION_ZONES.iter().filter(|(c, _)| *c == code);
    let (first, second) = (found.next(), found.next());
    // WA and SA are both US and Australian codes.
    match (first, second) {
        (Some((_, us)), Some((_, au))) => Some(if australia { *au } else { *us }),
        (Some((_, tz)), None) => Some(*tz),
        _ => None,
    }
}

fn country_zone(name: &str) -> Option<Tz> {
    COUNTRY_ZONES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, tz)| *tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_us_states_from_formatted_addresses() {
        let feed = json!([
            {"formatted_address": "3186 Pullman St, Costa Mesa, CA 92626, USA"},
            {"formatted_address": "18 Olive Ave, Rehoboth Beach, DE 19971, USA"},
            {"formatted_address": "1 Main St, Irvine, CA 92618, USA"},
        ]);
        assert_eq!(guess_timezone(&feed), Some(chrono_tz::America::Los_Angeles));
    }

    #[test]
    fn reads_state_fields_countries_and_bmlt_objects() {
        let bmlt = json!({"meetings": [{"location_province": "NY", "location_nation": "US"}]});
        assert_eq!(guess_timezone(&bmlt), Some(chrono_tz::America::New_York));
        let uk = json!([{"formatted_address": "1 High St, Brighton BN1 1AA, UK"}]);
        assert_eq!(guess_timezone(&uk), Some(chrono_tz::Europe::London));
        let perth = json!([{"state": "WA", "country": "Australia"}]);
        assert_eq!(guess_timezone(&perth), Some(chrono_tz::Australia::Perth));
        let seattle = json!([{"state": "WA"}]);
        assert_eq!(
            guess_timezone(&seattle),
            Some(chrono_tz::America::Los_Angeles)
        );
    }

    #[test]
    fn nothing_to_go_on_gives_none() {
        assert_eq!(guess_timezone(&json!([{"name": "x"}])), None);
        assert_eq!(guess_timezone(&json!("text")), None);
        assert_eq!(guess_timezone(&json!([])), None);
    }
}
