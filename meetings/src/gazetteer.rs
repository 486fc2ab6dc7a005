//! Place names from the loaded feeds themselves (cities, regions, postal codes): the only gazetteer
//! this crate uses, so a place is recognised only if some meeting is there.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::geo::Coordinates;
use crate::model::Meeting;

/// The longest place name, in words, that a message is searched for.
const MAX_PLACE_WORDS: usize = 5;

/// A place named in the feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// The name as a feed first wrote it ("COSTA MESA", "Rehoboth", "92626").
    pub name: String,
    /// Normalised key: lower case, words separated by single spaces.
    pub key: String,
    /// Mean position of the in-person meetings there, if any have coordinates.
    pub centroid: Option<Coordinates>,
    /// How many meetings name the place.
    pub meetings: usize,
    /// How many of them can be attended in person.
    pub in_person_meetings: usize,
}

/// All place names in a set of meetings.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    places: HashMap<String, Place>,
}

/// A place name's key: lower case, runs of anything but letters and digits turned into one space.
pub fn place_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// The keys a meeting can be found by: its city, regions and postal code, and each half of names
/// like "Clarksville/Frankford".
pub fn meeting_place_keys(meeting: &Meeting) -> Vec<String> {
    let mut keys = Vec::new();
    for name in meeting.place_names() {
        let key = place_key(name);
        if !key.is_empty() {
            keys.push(key);
        }
        if name.contains('/') {
            keys.extend(name.split('/').map(place_key).filter(|k| !k.is_empty()));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

impl Gazetteer {
    /// Collects place names from meetings. Names of two letters or fewer, and names that are only
    /// query words ("online", "today"), are left out so they cannot be mistaken for places.
    pub fn from_meetings<'a>(meetings: impl IntoIterator<Item = &'a Meeting>) -> Self {
        let mut places: HashMap<String, Place> = HashMap::new();
        let mut points: HashMap<String, Vec<Coordinates>> = HashMap::new();
        for meeting in meetings {
            for key in meeting_place_keys(meeting) {
                if key.chars().count() < 3 || key.split(' ').all(crate::query::is_keyword) {
                    continue;
                }
                let display = meeting
                    .place_names()
                    .find(|n| place_key(n) == key)
                    .unwrap_or(&key)
                    .to_string();
                let place = places.entry(key.clone()).or_insert_with(|| Place {
                    name: display,
                    key: key.clone(),
                    centroid: None,
                    meetings: 0,
                    in_person_meetings: 0,
                });
                place.meetings += 1;
                if meeting.attendance.is_in_person() {
                    place.in_person_meetings += 1;
                    if let Some(c) = meeting.coordinates {
                        points.entry(key).or_default().push(c);
                    }
                }
            }
        }
        for (key, pts) in points {
            if let Some(place) = places.get_mut(&key) {
                place.centroid = Coordinates::centroid(pts);
            }
        }
        Gazetteer { places }
    }

    /// The place with this name, in any case or spacing.
    pub fn get(&self, name: &str) -> Option<&Place> {
        self.places.get(&place_key(name))
    }

    /// Number of distinct place names.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether no place is known.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Every known place, in no particular order.
    pub fn places(&self) -> impl Iterator<Item = &Place> {
        self.places.values()
    }

    /// The longest place name found in a run of normalised words, with the index of its first word
    /// and its length in words. Words marked `used` (already read as something else) are not used.
    pub fn find_in(&self, words: &[String], used: &[bool]) -> Option<(&Place, usize, usize)> {
        for len in (1..=MAX_PLACE_WORDS.min(words.len())).rev() {
            for start in 0..=(words.len() - len) {
                if used[start..start + len].iter().any(|u| *u) {
                    continue;
                }
                let key = place_key(&words[start..start + len].join(" "));
                if let Some(place) = self.places.get(&key) {
                    return Some((place, start, len));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised() {
        assert_eq!(place_key("  COSTA   MESA "), "costa mesa");
        assert_eq!(place_key("Clarksville/Frankford"), "clarksville frankford");
        assert_eq!(place_key("São Paulo"), "são paulo");
        assert_eq!(place_key("!!!"), "");
    }
}
