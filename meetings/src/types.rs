//! Meeting type codes and their English names, per fellowship.
//!
//! The names come from `data/types.json` (embedded at compile time): the Code for Recovery spec's
//! codes in English, plus per-fellowship overrides for codes that clash, such as `B`, which is
//! "Big Book" in AA feeds and "Beginners" in NA feeds.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::model::Fellowship;

#[derive(Debug, Deserialize)]
struct TypeData {
    common: HashMap<String, String>,
    fellowships: HashMap<String, HashMap<String, String>>,
    ignore: Vec<String>,
}

static DATA: LazyLock<TypeData> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/types.json"))
        .expect("data/types.json is embedded at compile time and checked by a unit test")
});

/// What a type code means in a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeCode<'a> {
    /// A meeting type with this English name.
    Named(&'a str),
    /// A code that only describes attendance (`ONL`, `TC`, `HY`, `VM`), worked out separately.
    Attendance,
    /// A code this crate does not know.
    Unknown,
}

/// The meaning of `code` in a feed of `fellowship`: that fellowship's own meaning if the code
/// clashes, else the Meeting Guide spec's. Exact case is tried first (BMLT keys are case-sensitive),
/// then upper case.
pub fn lookup(code: &str, fellowship: Option<Fellowship>) -> TypeCode<'static> {
    let data = &*DATA;
    let code = code.trim();
    let upper = code.to_ascii_uppercase();
    if data.ignore.contains(&upper) {
        return TypeCode::Attendance;
    }
    let fellowship_map = fellowship.and_then(|f| data.fellowships.get(f.short_name()));
    let found = fellowship_map
        .and_then(|m| m.get(code))
        .or_else(|| data.common.get(code))
        .or_else(|| fellowship_map.and_then(|m| m.get(&upper)))
        .or_else(|| data.common.get(&upper));
    match found {
        Some(name) => TypeCode::Named(name.as_str()),
        None => TypeCode::Unknown,
    }
}

/// English name of `code` in a feed of `fellowship`, if it names a meeting type.
pub fn english_name(code: &str, fellowship: Option<Fellowship>) -> Option<&'static str> {
    match lookup(code, fellowship) {
        TypeCode::Named(name) => Some(name),
        _ => None,
    }
}

/// Whether `code` means "location temporarily closed".
pub fn is_temporarily_closed(code: &str) -> bool {
    code.trim().eq_ignore_ascii_case("TC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses_and_covers_the_spec() {
        assert!(DATA.common.len() >= 87, "{}", DATA.common.len());
        assert!(DATA.fellowships.contains_key("NA"));
        for f in DATA.fellowships.keys() {
            assert!(
                Fellowship::ALL.iter().any(|x| x.short_name() == f),
                "unknown fellowship key {f} in data/types.json"
            );
        }
    }

    #[test]
    fn spec_codes_in_english() {
        assert_eq!(english_name("W", None), Some("Women"));
        assert_eq!(english_name("S", Some(Fellowship::Aa)), Some("Spanish"));
        assert_eq!(english_name("LGBTQ", None), Some("LGBTQ"));
        assert_eq!(
            english_name("12x12", None),
            Some("12 Steps & 12 Traditions")
        );
        assert_eq!(english_name("x", None), Some("Wheelchair Access"));
    }

    #[test]
    fn clashing_codes_follow_the_feed_fellowship() {
        assert_eq!(english_name("B", Some(Fellowship::Aa)), Some("Big Book"));
        assert_eq!(english_name("B", None), Some("Big Book"));
        assert_eq!(english_name("B", Some(Fellowship::Na)), Some("Beginners"));
        assert_eq!(english_name("SL", None), Some("Slovenian"));
        assert_eq!(
            english_name("SL", Some(Fellowship::Na)),
            Some("American Sign Language")
        );
        assert_eq!(english_name("AL", None), Some("Concurrent with Alateen"));
        assert_eq!(
            english_name("AL", Some(Fellowship::AlAnon)),
            Some("Alateen")
        );
        // NA's case-sensitive keys.
        assert_eq!(english_name("So", Some(Fellowship::Na)), Some("Speaker"));
        assert_eq!(
            english_name("Tr", Some(Fellowship::Na)),
            Some("Tradition Study")
        );
    }

    #[test]
    fn attendance_and_unknown_codes() {
        assert_eq!(lookup("ONL", None), TypeCode::Attendance);
        assert_eq!(lookup("TC", Some(Fellowship::Na)), TypeCode::Attendance);
        assert_eq!(lookup("ZZZ-not-a-code", None), TypeCode::Unknown);
        assert_eq!(lookup("", None), TypeCode::Unknown);
        assert!(is_temporarily_closed(" tc "));
        assert!(!is_temporarily_closed("T"));
    }
}
