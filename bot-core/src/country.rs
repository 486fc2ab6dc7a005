//! Where the person is: the countries whose crisis lines the content has (`intents/countries.toml`), read from
//! what a message says ("I'm in the UK", "estoy en México"), and the lines a crisis reply gives there.

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::language::Language;
use crate::markup;
use crate::reply::Block;

/// An ISO 3166-1 alpha-2 code, upper case (`GB`, `MX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The United States, whose lines are the content's defaults.
    pub const US: CountryCode = CountryCode(*b"US");

    /// Two ASCII letters, in either case; `None` otherwise.
    pub fn parse(code: &str) -> Option<CountryCode> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some(CountryCode([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
            ])),
            _ => None,
        }
    }

    /// The region of a locale (`en-GB`, `es_MX`): `None` without one, or with a region that is not a country
    /// (`es-419`, Latin America).
    pub fn from_locale(locale: &str) -> Option<CountryCode> {
        let (_, region) = locale.split_once(['-', '_'])?;
        CountryCode::parse(region)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII letters")
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A country's crisis lines, in English and (where written) Spanish.
#[derive(Debug, Clone)]
pub struct Country {
    /// `None` for the lines of anywhere else.
    pub code: Option<CountryCode>,
    name: String,
    name_es: Option<String>,
    /// The crisis line, and what to do when life is in danger now, in English and perhaps Spanish.
    line: [Vec<Block>; 2],
    emergency: [Vec<Block>; 2],
    /// Indexes into the content's sources.
    pub sources: Vec<usize>,
}

impl Country {
    /// Its name in `language` ("the United Kingdom", "México").
    pub fn name(&self, language: Language) -> &str {
        match (language, &self.name_es) {
            (Language::Spanish, Some(name)) => name,
            _ => &self.name,
        }
    }

    /// Its crisis line in `language` (else English).
    pub fn line(&self, language: Language) -> &[Block] {
        &self.line[usize::from(language == Language::Spanish)]
    }

    /// What to do when life is in danger now, in `language` (else English).
    pub fn emergency(&self, language: Language) -> &[Block] {
        &self.emergency[usize::from(language == Language::Spanish)]
    }
}

/// Every country of the content, and how to find one named in a message.
#[derive(Debug, Clone)]
pub struct Countries {
    countries: Vec<Country>,
    elsewhere: Country,
    assumed: String,
    assumed_es: String,
    us_name: [String; 2],
    /// Each place word after "in", "from", "en", "de" ...: its country, or `None` for the US.
    places: Vec<(String, Option<usize>)>,
    /// Each IANA zone of a country: its code.
    zones: Vec<(String, CountryCode)>,
    finder: Regex,
}

impl Countries {
    /// The country of `code`: one of the content's, or anywhere else. `None` for the US (the default lines).
    pub fn get(&self, code: CountryCode) -> Option<&Country> {
        if code == CountryCode::US {
            return None;
        }
        Some(
            self.countries
                .iter()
                .find(|c| c.code == Some(code))
                .unwrap_or(&self.elsewhere),
        )
    }

    /// The country a normalised message says the person is in ("im in the uk", "estoy en mexico"), if any.
    pub fn named_in(&self, normalized: &str) -> Option<CountryCode> {
        let caps = self.finder.captures(normalized.as_bytes())?;
        let place = std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?;
        let (_, country) = self.places.iter().find(|(p, _)| p == place)?;
        Some(country.map_or(CountryCode::US, |i| {
            self.countries[i]
                .code
                .expect("listed countries have a code")
        }))
    }

    /// The country of an IANA time zone (a person's reminder zone), when the content knows it.
    pub fn of_zone(&self, zone: &str) -> Option<CountryCode> {
        self.zones.iter().find(|(z, _)| z == zone).map(|(_, c)| *c)
    }

    /// The name of `code`'s country in `language` ("the United Kingdom", "Estados Unidos").
    pub fn name_of(&self, code: CountryCode, language: Language) -> &str {
        match self.get(code) {
            Some(country) => country.name(language),
            None => &self.us_name[usize::from(language == Language::Spanish)],
        }
    }

    /// The country `/country` names: a code (`gb`), or a place (`uk`, `mexico`), in normalised words.
    pub fn in_command(&self, normalized_words: &str) -> Option<CountryCode> {
        let words = normalized_words.trim();
        self.named_in(&format!("in {words}"))
            .or_else(|| CountryCode::parse(words))
    }

    /// The line after the help that says which country was assumed.
    pub fn assumed(&self, country: &Country, language: Language) -> String {
        let template = match language {
            Language::Spanish => &self.assumed_es,
            _ => &self.assumed,
        };
        template.replace("{country}", country.name(language))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountriesFile {
    us_name: String,
    us_name_es: String,
    us_zones: Vec<String>,
    us_places: Vec<String>,
    assumed: String,
    assumed_es: String,
    country: Vec<RawCountry>,
    elsewhere: RawCountry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountry {
    #[serde(default)]
    code: Option<String>,
    name: String,
    #[serde(default)]
    name_es: Option<String>,
    #[serde(default)]
    places: Vec<String>,
    #[serde(default)]
    zones: Vec<String>,
    source: Vec<String>,
    line: String,
    emergency: String,
    #[serde(default)]
    line_es: Option<String>,
    #[serde(default)]
    emergency_es: Option<String>,
}

impl Countries {
    /// Validates the file: codes, lines, sources (`source_index` finds a source id), places.
    pub(crate) fn new(
        file: CountriesFile,
        source_index: impl Fn(&str) -> Option<usize>,
    ) -> Result<Countries, String> {
        let build = |raw: RawCountry, code: Option<CountryCode>| -> Result<Country, String> {
            let what = code.map_or("[elsewhere]".to_string(), |c| format!("country {c}"));
            let parse = |text: &str| markup::parse(text).map_err(|e| format!("{what}: {e}"));
            let (line, emergency) = (parse(&raw.line)?, parse(&raw.emergency)?);
            Ok(Country {
                code,
                line: [
                    line.clone(),
                    raw.line_es.as_deref().map_or(Ok(line), parse)?,
                ],
                emergency: [
                    emergency.clone(),
                    raw.emergency_es.as_deref().map_or(Ok(emergency), parse)?,
                ],
                sources: raw
                    .source
                    .iter()
                    .map(|id| source_index(id).ok_or(format!("{what}: unknown source {id:?}")))
                    .collect::<Result<_, _>>()?,
                name: raw.name,
                name_es: raw.name_es,
            })
        };
        let mut countries = Vec::new();
        let mut places: Vec<(String, Option<usize>)> =
            file.us_places.iter().map(|p| (p.clone(), None)).collect();
        let mut zones: Vec<(String, CountryCode)> = file
            .us_zones
            .iter()
            .map(|z| (z.clone(), CountryCode::US))
            .collect();
        for raw in file.country {
            let code = raw
                .code
                .as_deref()
                .and_then(CountryCode::parse)
                .filter(|c| *c != CountryCode::US)
                .ok_or(format!(
                    "country {:?}: `code` must be two letters, not US",
                    raw.name
                ))?;
            if countries.iter().any(|c: &Country| c.code == Some(code)) {
                return Err(format!("country {code} is listed twice"));
            }
            places.extend(
                raw.places
                    .iter()
                    .map(|p| (p.clone(), Some(countries.len()))),
            );
            zones.extend(raw.zones.iter().map(|z| (z.clone(), code)));
            countries.push(build(raw, Some(code))?);
        }
        if let Some((zone, _)) = zones
            .iter()
            .find(|(z, _)| z.parse::<chrono_tz::Tz>().is_err())
        {
            return Err(format!("zone {zone:?} is not an IANA time zone"));
        }
        for (place, _) in &places {
            if place.is_empty() || !place.bytes().all(|b| b.is_ascii_lowercase() || b == b' ') {
                return Err(format!(
                    "place {place:?}: lower-case ASCII letters and spaces only"
                ));
            }
        }
        let mut alternatives: Vec<&str> = places.iter().map(|(p, _)| p.as_str()).collect();
        // Longest first, so that "new south wales" wins over "wales".
        alternatives.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let finder = RegexBuilder::new(&format!(
            r"\b(?:in|from|en|desde|de)(?: the)? ({})\b",
            alternatives.join("|")
        ))
        .unicode(false)
        .build()
        .map_err(|e| format!("places: {e}"))?;
        Ok(Countries {
            countries,
            elsewhere: build(file.elsewhere, None)?,
            assumed: file.assumed,
            assumed_es: file.assumed_es,
            us_name: [file.us_name, file.us_name_es],
            places,
            zones,
            finder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countries() -> Countries {
        let file: CountriesFile =
            toml::from_str(include_str!("../../intents/countries.toml")).unwrap();
        Countries::new(file, |_| Some(0)).unwrap()
    }

    #[test]
    fn a_locale_names_a_country_only_with_a_region() {
        assert_eq!(CountryCode::from_locale("en-GB"), CountryCode::parse("GB"));
        assert_eq!(CountryCode::from_locale("es_MX"), CountryCode::parse("MX"));
        assert_eq!(CountryCode::from_locale("es-419"), None);
        assert_eq!(CountryCode::from_locale("fr"), None);
    }

    #[test]
    fn a_message_names_the_country_after_in_or_from() {
        let countries = countries();
        let code = |text: &str| countries.named_in(text).map(|c| c.to_string());
        assert_eq!(
            code("im in the uk and i want to die").as_deref(),
            Some("GB")
        );
        assert_eq!(code("i live in london").as_deref(), Some("GB"));
        assert_eq!(code("estoy en mexico y ya no puedo").as_deref(), Some("MX"));
        assert_eq!(code("from new south wales").as_deref(), Some("AU"));
        assert_eq!(code("back in the states now").as_deref(), Some("US"));
        assert_eq!(code("i want to die"), None);
        assert_eq!(code("the uk is nice"), None);
    }

    #[test]
    fn a_code_without_lines_gets_the_lines_of_anywhere_else() {
        let countries = countries();
        assert!(countries.get(CountryCode::US).is_none());
        let de = countries.get(CountryCode::parse("de").unwrap()).unwrap();
        assert_eq!(de.code, None);
        let gb = countries.get(CountryCode::parse("GB").unwrap()).unwrap();
        assert_eq!(gb.name(Language::English), "the United Kingdom");
        assert_eq!(CountryCode::parse("GBR"), None);
        assert_eq!(countries.of_zone("Europe/London"), CountryCode::parse("GB"));
        assert_eq!(countries.of_zone("America/Chicago"), Some(CountryCode::US));
        assert_eq!(countries.of_zone("Asia/Tokyo"), None);
    }
}
