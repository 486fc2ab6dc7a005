//! Time zones by name: IANA names (`Europe/London`), the cities they are named after (`new york`), and the
//! words and abbreviations in the content's `[places]` table (`eastern`, `boston`, `mst`).

use chrono_tz::{TZ_VARIANTS, Tz};
use std::collections::HashMap;

/// Directories of the IANA database whose last name part is a region, not a city (`US/Eastern`,
/// `Canada/Pacific`): those are found by their full name only.
const REGION_DIRECTORIES: [&str; 7] = [
    "etc", "systemv", "us", "canada", "mexico", "brazil", "chile",
];

/// The first part of every IANA name with a `/`: a word followed by `/` names a zone only after one of these.
pub(crate) const AREAS: [&str; 17] = [
    "africa",
    "america",
    "antarctica",
    "arctic",
    "asia",
    "atlantic",
    "australia",
    "europe",
    "indian",
    "pacific",
    "etc",
    "us",
    "canada",
    "mexico",
    "brazil",
    "chile",
    "systemv",
];

/// What a place name means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// One zone.
    One(Tz),
    /// More than one zone ("MST": Denver or Phoenix): the person is asked which.
    Many(Vec<Tz>),
}

/// Looks zones up by name.
#[derive(Debug, Clone)]
pub struct ZoneNames {
    /// Lower-case IANA names.
    names: HashMap<String, Tz>,
    /// Lower-case place words, single spaces between words.
    places: HashMap<String, Place>,
    /// The most words in a place name.
    max_words: usize,
}

impl ZoneNames {
    /// Every IANA zone by name and by city, plus `places` (which win over city names), minus the city names in
    /// `not_places` (ordinary words such as "wake" or "christmas" that also name a zone).
    pub fn new(places: &[(String, Vec<Tz>)], not_places: &[String]) -> ZoneNames {
        let mut names = HashMap::with_capacity(TZ_VARIANTS.len());
        let mut cities: HashMap<String, Place> = HashMap::new();
        for tz in TZ_VARIANTS {
            let name = tz.name();
            names.insert(name.to_ascii_lowercase(), tz);
            let lower = name.to_ascii_lowercase();
            let parts: Vec<&str> = lower.split('/').collect();
            let city = match parts.as_slice() {
                [single] => {
                    // `Japan`, `Singapore`: country names; not `EST5EDT`, `GMT0`, `UCT`, `GB`.
                    let proper = name.len() >= 4
                        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && name.chars().skip(1).all(|c| c.is_ascii_lowercase());
                    if !proper {
                        continue;
                    }
                    (*single).to_string()
                }
                [dir, .., last] => {
                    if REGION_DIRECTORIES.contains(dir) {
                        continue;
                    }
                    words(last).join(" ")
                }
                [] => continue,
            };
            if city.is_empty() || not_places.iter().any(|n| n.eq_ignore_ascii_case(&city)) {
                continue;
            }
            // The first spelling wins (the database lists canonical names before most old links).
            cities.entry(city).or_insert(Place::One(tz));
        }
        for (place, zones) in places {
            let key = words(place).join(" ");
            let value = match zones.as_slice() {
                [one] => Place::One(*one),
                many => Place::Many(many.to_vec()),
            };
            cities.insert(key, value);
        }
        let max_words = cities
            .keys()
            .map(|k| k.split(' ').count())
            .max()
            .unwrap_or(1);
        ZoneNames {
            names,
            places: cities,
            max_words,
        }
    }

    /// A zone by its IANA name, in any case (`europe/london`).
    pub fn by_name(&self, name: &str) -> Option<Tz> {
        self.names.get(&name.to_ascii_lowercase()).copied()
    }

    /// A place by its words, in any case (`New York`, `new-york`).
    pub fn place(&self, name: &str) -> Option<&Place> {
        self.places.get(&words(name).join(" "))
    }

    /// The last place named in `words` (lower-case letter words), longest names first, with the index range of
    /// the words it covers.
    pub(crate) fn last_place(&self, words: &[&str]) -> Option<(&Place, std::ops::Range<usize>)> {
        let mut found = None;
        let mut i = 0;
        while i < words.len() {
            let mut matched = 0;
            for n in (1..=self.max_words.min(words.len() - i)).rev() {
                let key = words[i..i + n].join(" ");
                if let Some(place) = self.places.get(&key) {
                    found = Some((place, i..i + n));
                    matched = n;
                    break;
                }
            }
            i += matched.max(1);
        }
        found
    }
}

/// The city part of a zone's name, for people: `America/New_York` -> `New York`.
pub fn city(tz: Tz) -> String {
    tz.name()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace('_', " ")
}

/// Lower-case runs of ASCII letters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

    fn zones() -> ZoneNames {
        ZoneNames::new(
            &[
                ("boston".into(), vec![America::New_York]),
                ("mst".into(), vec![America::Denver, America::Phoenix]),
            ],
            &["wake".into(), "easter".into()],
        )
    }

    #[test]
    fn names_cities_and_places() {
        let z = zones();
        assert_eq!(z.by_name("europe/LONDON"), Some(Europe::London));
        assert_eq!(z.place("Chicago"), Some(&Place::One(America::Chicago)));
        assert_eq!(z.place("new-york"), Some(&Place::One(America::New_York)));
        assert_eq!(z.place("kathmandu"), Some(&Place::One(Asia::Kathmandu)));
        assert_eq!(z.place("Japan"), Some(&Place::One(chrono_tz::Japan)));
        assert_eq!(z.place("boston"), Some(&Place::One(America::New_York)));
        assert_eq!(
            z.place("MST"),
            Some(&Place::Many(vec![America::Denver, America::Phoenix]))
        );
        assert_eq!(z.place("wake"), None);
        assert_eq!(
            z.place("eastern"),
            None,
            "US/Eastern is found by full name only"
        );
        assert_eq!(z.by_name("US/Eastern"), Some(chrono_tz::US::Eastern));
        assert_eq!(city(America::Los_Angeles), "Los Angeles");
    }

    #[test]
    fn last_place_prefers_long_names_and_the_last_one() {
        let z = zones();
        let words = ["from", "new", "york", "to", "london", "time"];
        let (place, range) = z.last_place(&words).unwrap();
        assert_eq!(place, &Place::One(Europe::London));
        assert_eq!(range, 4..5);
        let words = ["i", "live", "in", "new", "york"];
        let (place, range) = z.last_place(&words).unwrap();
        assert_eq!(place, &Place::One(America::New_York));
        assert_eq!(range, 3..5);
    }
}
