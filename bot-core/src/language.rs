//! The language of a message, read in one place: from words that mark a language in `normalize.toml`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A language the bot can answer in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "es")]
    Spanish,
}

impl Language {
    /// Every language.
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    /// Parses an ISO 639-1 code.
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language of a platform's language tag or locale (`es`, `es-MX`, `en_GB`, `pt-br`), when the bot
    /// answers in it.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Language::from_code(&primary)
    }
}

/// Tells the language of normalised text by counting words that mark each language.
#[derive(Debug, Clone, Default)]
pub struct LanguageDetector {
    marker: HashMap<String, Language>,
    /// What people call each language (`es`, `spanish`, `espanol`), for `/language es`.
    name: HashMap<String, Language>,
}

impl LanguageDetector {
    /// Builds a detector from `normalize.toml`'s `[language]` table (a language code to its marker words) and
    /// its `[language_names]` table (a language code to the words that name it).
    pub fn new(
        markers: &BTreeMap<String, Vec<String>>,
        names: &BTreeMap<String, Vec<String>>,
    ) -> Result<LanguageDetector, String> {
        Ok(LanguageDetector {
            marker: word_table("language", markers)?,
            name: word_table("language_names", names)?,
        })
    }

    /// The language with more marker words in normalised `text`; `None` when neither has more (no marker
    /// word at all, or as many of each).
    pub fn detect(&self, text: &str) -> Option<Language> {
        let mut counts = [0usize; Language::ALL.len()];
        for word in text.split(' ') {
            if let Some(language) = self.marker.get(word) {
                counts[*language as usize] += 1;
            }
        }
        let (english, spanish) = (
            counts[Language::English as usize],
            counts[Language::Spanish as usize],
        );
        match spanish.cmp(&english) {
            std::cmp::Ordering::Greater => Some(Language::Spanish),
            std::cmp::Ordering::Less => Some(Language::English),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// The first language normalised `text` names (`/language es`, `/language spanish`).
    pub fn named_in(&self, text: &str) -> Option<Language> {
        text.split(' ')
            .find_map(|word| self.name.get(word).copied())
    }
}

/// A `[table]` of language codes to words as a word -> language map; a word may belong to one language only.
fn word_table(
    table: &str,
    words_of: &BTreeMap<String, Vec<String>>,
) -> Result<HashMap<String, Language>, String> {
    let mut map = HashMap::new();
    for (code, words) in words_of {
        let language = Language::from_code(code)
            .ok_or_else(|| format!("[{table}] {code:?} is not a language the bot knows"))?;
        for word in words {
            if let Some(other) = map.insert(word.clone(), language)
                && other != language
            {
                return Err(format!(
                    "[{table}] {word:?} is in both {} and {}",
                    other.code(),
                    code
                ));
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> LanguageDetector {
        let mut markers = BTreeMap::new();
        markers.insert("en".to_string(), vec!["the".to_string(), "i".to_string()]);
        markers.insert(
            "es".to_string(),
            vec!["quiero".to_string(), "no".to_string(), "la".to_string()],
        );
        let mut names = BTreeMap::new();
        names.insert(
            "es".to_string(),
            vec!["es".to_string(), "espanol".to_string()],
        );
        LanguageDetector::new(&markers, &names).unwrap()
    }

    #[test]
    fn the_language_with_more_marker_words_wins() {
        let d = detector();
        assert_eq!(d.detect("ya no quiero vivir"), Some(Language::Spanish));
        assert_eq!(d.detect("i want the pills"), Some(Language::English));
        assert_eq!(d.detect("ok"), None);
        assert_eq!(d.detect("i quiero"), None);
    }

    #[test]
    fn a_word_cannot_mark_two_languages() {
        let mut markers = BTreeMap::new();
        markers.insert("en".to_string(), vec!["no".to_string()]);
        markers.insert("es".to_string(), vec!["no".to_string()]);
        assert!(LanguageDetector::new(&markers, &BTreeMap::new()).is_err());
    }

    #[test]
    fn languages_are_read_from_names_and_platform_tags() {
        let d = detector();
        assert_eq!(d.named_in("please espanol"), Some(Language::Spanish));
        assert_eq!(d.named_in("klingon"), None);
        assert_eq!(Language::from_tag("es-MX"), Some(Language::Spanish));
        assert_eq!(Language::from_tag("en_GB"), Some(Language::English));
        assert_eq!(Language::from_tag("pt-br"), None);
        assert_eq!(Language::from_tag(""), None);
    }
}
