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
}

/// Tells the language of normalised text by counting words that mark each language.
#[derive(Debug, Clone, Default)]
pub struct LanguageDetector {
    marker: HashMap<String, Language>,
}

impl LanguageDetector {
    /// Builds a detector from `normalize.toml`'s `[language]` table: a language code to its marker words.
    pub fn new(markers: &BTreeMap<String, Vec<String>>) -> Result<LanguageDetector, String> {
        let mut marker = HashMap::new();
        for (code, words) in markers {
            let language = Language::from_code(code)
                .ok_or_else(|| format!("[language] {code:?} is not a language the bot knows"))?;
            for word in words {
                if let Some(other) = marker.insert(word.clone(), language)
                    && other != language
                {
                    return Err(format!(
                        "[language] {word:?} marks both {} and {}",
                        other.code(),
                        code
                    ));
                }
            }
        }
        Ok(LanguageDetector { marker })
    }

    /// The language with the most marker words in normalised `text`; English when none wins.
    pub fn detect(&self, text: &str) -> Language {
        let mut counts = [0usize; Language::ALL.len()];
        for word in text.split(' ') {
            if let Some(language) = self.marker.get(word) {
                counts[*language as usize] += 1;
            }
        }
        if counts[Language::Spanish as usize] > counts[Language::English as usize] {
            Language::Spanish
        } else {
            Language::English
        }
    }
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
        LanguageDetector::new(&markers).unwrap()
    }

    #[test]
    fn the_language_with_more_marker_words_wins() {
        let d = detector();
        assert_eq!(d.detect("ya no quiero vivir"), Language::Spanish);
        assert_eq!(d.detect("i want the pills"), Language::English);
        assert_eq!(d.detect("ok"), Language::English);
    }

    #[test]
    fn a_word_cannot_mark_two_languages() {
        let mut markers = BTreeMap::new();
        markers.insert("en".to_string(), vec!["no".to_string()]);
        markers.insert("es".to_string(), vec!["no".to_string()]);
        assert!(LanguageDetector::new(&markers).is_err());
    }
}
