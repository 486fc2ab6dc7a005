//! Normalisation: the form of a message that the rules in `intents/` are written against.
//!
//! Lower case ASCII words separated by single spaces, no punctuation. Full-width letters and curly quotes are
//! folded, zero-width and bidirectional control characters removed, apostrophes dropped (`don't` -> `dont`),
//! letters stretched three times or more shortened (`sooo` -> `so`, `killll` -> `kill`) and chat shorthand
//! replaced from a table (`kms` -> `kill myself`). Accented Latin letters lose their accents, a dropped final
//! g is restored when the rules know the word (`livin` -> `living`), emoji that carry meaning become words
//! (`😂` -> `lol`), and letters of other scripts are kept, lower-cased.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast hasher for short words (FNV-1a).
#[derive(Default)]
pub(crate) struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let hash = if self.0 == 0 {
            crate::model::FNV_OFFSET
        } else {
            self.0
        };
        self.0 = crate::model::fnv(hash, bytes);
    }
}

type FastBuild = BuildHasherDefault<FnvHasher>;

/// Most stretched runs tried letter by letter; longer words fall back to shortening every run to one letter.
const MAX_STRETCHED_RUNS: usize = 4;
/// Longest word looked at letter by letter; anything longer is kept as it is (it matches no rule anyway).
const MAX_WORD: usize = 64;

/// Turns raw text into the normalised form.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    shorthand: HashMap<String, String, FastBuild>,
    lexicon: HashSet<String, FastBuild>,
    emoji: HashMap<char, String, FastBuild>,
}

impl Normalizer {
    /// Builds a normaliser from a shorthand table (word -> replacement words) and the lexicon of words the
    /// rules know, which decides how stretched words are shortened.
    pub fn new(
        shorthand: impl IntoIterator<Item = (String, String)>,
        lexicon: impl IntoIterator<Item = String>,
    ) -> Self {
        let shorthand: HashMap<String, String, FastBuild> = shorthand.into_iter().collect();
        let mut known: HashSet<String, FastBuild> = lexicon.into_iter().collect();
        known.extend(shorthand.keys().cloned());
        Normalizer {
            shorthand,
            lexicon: known,
            emoji: HashMap::default(),
        }
    }

    /// Adds emoji that stand for a word (`😂` -> `lol`); an empty word drops the emoji. Keys that are not a
    /// single character are ignored.
    pub fn with_emoji(mut self, emoji: impl IntoIterator<Item = (String, String)>) -> Self {
        self.emoji = emoji
            .into_iter()
            .filter_map(|(k, v)| {
                let mut chars = k.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some((c, v)),
                    _ => None,
                }
            })
            .collect();
        self
    }

    /// Normalises `text`.
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        let mut word = String::with_capacity(32);
        for c in text.chars() {
            // ASCII fast path: most messages are plain ASCII words.
            if c.is_ascii() {
                match c {
                    'a'..='z' | '0'..='9' => word.push(c),
                    'A'..='Z' => word.push(c.to_ascii_lowercase()),
                    '\'' | '`' => push_apostrophe(&mut word),
                    _ => self.push_word(&mut out, &mut word),
                }
                continue;
            }
            match fold(c) {
                Folded::Keep(c) => {
                    if c.is_ascii() {
                        word.push(c.to_ascii_lowercase());
                    } else {
                        word.extend(c.to_lowercase());
                    }
                }
                Folded::Drop => {}
                Folded::Apostrophe => push_apostrophe(&mut word),
                Folded::Break => {
                    self.push_word(&mut out, &mut word);
                    if !c.is_ascii()
                        && let Some(replacement) = self.emoji.get(&c)
                        && !replacement.is_empty()
                    {
                        push_words(&mut out, replacement);
                    }
                }
            }
        }
        self.push_word(&mut out, &mut word);
        out
    }

    fn push_word(&self, out: &mut String, word: &mut String) {
        if word.is_empty() {
            return;
        }
        // A contraction the table knows as written (`od'd`), else the word without apostrophes (`dont`).
        if word.contains('\'') {
            if let Some(replaced) = self.shorthand.get(word.trim_end_matches('\'')) {
                push_words(out, replaced);
                word.clear();
                return;
            }
            word.retain(|c| c != '\'');
            if word.is_empty() {
                return;
            }
        }
        let destretched;
        let mut token: &str = word;
        if token.len() <= MAX_WORD && has_stretch(token) {
            destretched = self.destretch(token);
            token = &destretched;
        }
        let with_g;
        if token.len() >= 4 && token.ends_with("in") && !self.lexicon.contains(token) {
            let candidate = format!("{token}g");
            if self.lexicon.contains(&candidate) {
                with_g = candidate;
                token = &with_g;
            }
        }
        let replaced = self.shorthand.get(token).map_or(token, String::as_str);
        push_words(out, replaced);
        word.clear();
    }

    /// Shortens runs of three or more letters: to two or one letter each, picking the first spelling the
    /// lexicon knows (or whose stem it knows), else one letter per run.
    fn destretch(&self, word: &str) -> String {
        let chars: Vec<char> = word.chars().collect();
        let mut runs = Vec::new(); // (start, len)
        let mut i = 0;
        while i < chars.len() {
            let mut j = i;
            while j < chars.len() && chars[j] == chars[i] {
                j += 1;
            }
            runs.push((i, j - i));
            i = j;
        }
        let stretched: Vec<usize> = runs
            .iter()
            .enumerate()
            .filter(|(_, (start, len))| *len >= 3 && chars[*start].is_alphabetic())
            .map(|(k, _)| k)
            .collect();
        let build = |mask: u32| -> String {
            let mut s = String::with_capacity(word.len());
            for (k, (start, len)) in runs.iter().enumerate() {
                let keep = match stretched.iter().position(|&r| r == k) {
                    Some(bit) if mask & (1 << bit) != 0 => 2,
                    Some(_) => 1,
                    None => *len,
                };
                s.extend(std::iter::repeat_n(chars[*start], keep));
            }
            s
        };
        if stretched.len() <= MAX_STRETCHED_RUNS {
            // Masks from all-two-letters down to all-one-letter.
            for mask in (0..(1u32 << stretched.len())).rev() {
                let candidate = build(mask);
                if self.knows(&candidate) {
                    return candidate;
                }
            }
        }
        build(0)
    }

    fn knows(&self, word: &str) -> bool {
        self.lexicon.contains(word)
            || ["ing", "ed", "es", "s", "er", "y"].iter().any(|suffix| {
                word.strip_suffix(suffix)
                    .is_some_and(|stem| stem.len() >= 2 && self.lexicon.contains(stem))
            })
    }
}

/// An apostrophe inside a word (never at its start).
fn push_apostrophe(word: &mut String) {
    if !word.is_empty() {
        word.push('\'');
    }
}

fn push_words(out: &mut String, words: &str) {
    if !words.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(words);
    }
}

enum Folded {
    Keep(char),
    Drop,
    /// An apostrophe: kept inside a word until the shorthand table has been asked about the word.
    Apostrophe,
    Break,
}

/// Folds one character: full-width ASCII to ASCII, apostrophes and invisible characters dropped, other
/// punctuation, symbols and spaces break words.
fn fold(c: char) -> Folded {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(' '),
        _ => c,
    };
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => Folded::Keep(c),
        '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{02B9}' | '\u{0060}' | '\u{00B4}'
        | '\u{FF07}' => Folded::Apostrophe,
        // Zero-width, soft hyphen, bidirectional marks and other invisible format characters.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' => Folded::Drop,
        c if c.is_ascii() => Folded::Break,
        c if c.is_alphanumeric() => Folded::Keep(fold_latin_accent(c)),
        c if is_combining_mark(c) => Folded::Drop,
        _ => Folded::Break,
    }
}

/// An accented Latin letter's base letter (`é` -> `e`, `ñ` -> `n`): the first character of its canonical
/// decomposition when that is an ASCII letter; other letters unchanged. `ø` has no decomposition in Unicode
/// (it is a letter of its own there) but reads as `o` here, as it always has.
pub(crate) fn fold_latin_accent(c: char) -> char {
    if matches!(c, 'ø' | 'Ø') {
        return 'o';
    }
    let mut base = None;
    unicode_normalization::char::decompose_canonical(c, |d| {
        base.get_or_insert(d);
    });
    base.filter(char::is_ascii_alphabetic).unwrap_or(c)
}

/// Combining diacritical marks (so `su\u{0301}icide` reads as `suicide`).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

fn has_stretch(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes
        .windows(3)
        .any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_ascii_alphabetic())
        || (!word.is_ascii() && {
            let chars: Vec<char> = word.chars().collect();
            chars
                .windows(3)
                .any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_alphabetic())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalizer() -> Normalizer {
        Normalizer::new(
            [
                ("kms", "kill myself"),
                ("wanna", "want to"),
                ("2", "to"),
                ("im", "i am"),
                ("sucidal", "suicidal"),
                ("od'd", "overdosed"),
                ("od'ing", "overdosing"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string())),
            [
                "kill", "killing", "die", "so", "good", "feel", "feeling", "please", "with",
            ]
            .map(String::from),
        )
    }

    #[test]
    fn case_punctuation_apostrophes_and_spaces() {
        let n = normalizer();
        assert_eq!(
            n.normalize("  I'm  SO tired...   really!! "),
            "i am so tired really"
        );
        assert_eq!(n.normalize("don’t self-harm"), "dont self harm");
        assert_eq!(
            n.normalize("he od'd, she OD’ing"),
            "he overdosed she overdosing"
        );
        assert_eq!(n.normalize("'quoted' odd"), "quoted odd");
        assert_eq!(n.normalize(""), "");
        assert_eq!(n.normalize("!!! ... ??"), "");
    }

    #[test]
    fn shorthand_and_misspellings() {
        let n = normalizer();
        assert_eq!(n.normalize("i wanna kms"), "i want to kill myself");
        assert_eq!(n.normalize("i want 2 die"), "i want to die");
        assert_eq!(n.normalize("Im sucidal"), "i am suicidal");
    }

    #[test]
    fn dropped_g_is_restored_for_known_words() {
        let n = normalizer();
        assert_eq!(n.normalize("feelin killin"), "feeling killing");
        assert_eq!(n.normalize("begin again within"), "begin again within");
    }

    #[test]
    fn emoji_that_mean_something_become_words() {
        let n = normalizer().with_emoji([("😂".to_string(), "lol".to_string())]);
        assert_eq!(n.normalize("he'll kill me😂"), "hell kill me lol");
        assert_eq!(n.normalize("🙂"), "");
    }

    #[test]
    fn stretched_letters() {
        let n = normalizer();
        assert_eq!(n.normalize("sooooo"), "so");
        assert_eq!(n.normalize("killlll"), "kill");
        assert_eq!(n.normalize("killllling"), "killing");
        assert_eq!(n.normalize("dieeeee"), "die");
        assert_eq!(n.normalize("goooood feeeeeling"), "good feeling");
        assert_eq!(n.normalize("pleaseeeee"), "please");
        assert_eq!(n.normalize("heyyyyy"), "hey");
        assert_eq!(n.normalize("1000 people"), "1000 people");
    }

    #[test]
    fn unicode_width_quotes_and_invisible_characters() {
        let n = normalizer();
        assert_eq!(n.normalize("ｋｉｌｌ ｍｙｓｅｌｆ"), "kill myself");
        assert_eq!(n.normalize("ki\u{200B}ll my\u{00AD}self"), "kill myself");
        assert_eq!(n.normalize("\u{202E}kms\u{202C}"), "kill myself");
        assert_eq!(n.normalize("su\u{0301}icide"), "suicide");
        assert_eq!(
            n.normalize("Straße ÉTÉ, reunión en español"),
            "straße ete reunion en espanol"
        );
        assert_eq!(n.normalize("مرحبا بك"), "مرحبا بك");
        assert_eq!(n.normalize("🙂🙂🙂"), "");
        assert_eq!(n.normalize("a\u{0000}b\u{0007}c"), "a b c");
    }

    #[test]
    fn accented_latin_letters_lose_their_accents() {
        let n = normalizer();
        assert_eq!(
            n.normalize("à á â ã ä å À Á Â Ã Ä Å ā ă ą ç Ç ć č è é ê ë È É Ê Ë ē ę ě ì í î ï Ì Í Î Ï ī į ñ Ñ ń ň ò ó ô õ ö Ò Ó Ô Õ Ö ø Ø ō ő ù ú û ü Ù Ú Û Ü ū ů ű ý ÿ Ý š ś ž ź ż"),
            "a a a a a a a a a a a a a a a c c c c e e e e e e e e e e e i i i i i i i i i i n n n n o o o o o o o o o o o o o o u u u u u u u u u u u y y y s s z z z"
        );
        assert_eq!(n.normalize("ĉu ŝi ŭ řeč ţară"), "cu si u rec tara");
        assert_eq!(n.normalize("łódź ß æ"), "łodz ß æ");
    }
}
