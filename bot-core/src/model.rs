//! The learned scorer beside the rules: hashed word 1-2-grams and character 3-5-grams of the normalised text,
//! and a multinomial linear model over the intents, with crisis split into the writer and someone else and
//! overdose into happening now and information.
//!
//! The weights are data (`intents/model.bin`), made by `recovery-bot train` from the corpus in `corpus/train/`
//! and validated at load. Scoring is pure arithmetic over the text: no allocation per feature, linear in the
//! length of the message.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::intent::Intent;

/// The first bytes of a weights file.
pub const MAGIC: &[u8; 8] = b"RBMODEL\x01";

/// What the model tells apart: the six intents, with the situations that change the reply split out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Label {
    /// The writer is at risk of suicide or self-harm, or in danger now.
    #[serde(rename = "crisis")]
    Crisis,
    /// Someone else is at risk.
    #[serde(rename = "crisis-other")]
    CrisisOther,
    /// An overdose or poisoning is happening now.
    #[serde(rename = "overdose-now")]
    OverdoseNow,
    /// Overdose information and safer use.
    #[serde(rename = "overdose")]
    Overdose,
    #[serde(rename = "reminder")]
    Reminder,
    #[serde(rename = "meeting")]
    Meeting,
    #[serde(rename = "principle")]
    Principle,
    #[serde(rename = "other")]
    Other,
}

impl Label {
    /// Every label, in the order of the model's outputs.
    pub const ALL: [Label; 8] = [
        Label::Crisis,
        Label::CrisisOther,
        Label::OverdoseNow,
        Label::Overdose,
        Label::Reminder,
        Label::Meeting,
        Label::Principle,
        Label::Other,
    ];
    /// How many outputs the model has.
    pub const COUNT: usize = Label::ALL.len();

    /// The name used in the corpus and the weights file.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Crisis => "crisis",
            Label::CrisisOther => "crisis-other",
            Label::OverdoseNow => "overdose-now",
            Label::Overdose => "overdose",
            Label::Reminder => "reminder",
            Label::Meeting => "meeting",
            Label::Principle => "principle",
            Label::Other => "other",
        }
    }

    /// Parses a corpus label.
    pub fn from_name(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The intent this label belongs to.
    pub fn intent(self) -> Intent {
        match self {
            Label::Crisis | Label::CrisisOther => Intent::Crisis,
            Label::OverdoseNow | Label::Overdose => Intent::Overdose,
            Label::Reminder => Intent::Reminder,
            Label::Meeting => Intent::Meeting,
            Label::Principle => Intent::Principle,
            Label::Other => Intent::Other,
        }
    }

    /// Whether a message with this label needs an urgent reply.
    pub fn urgent(self) -> bool {
        matches!(
            self,
            Label::Crisis | Label::CrisisOther | Label::OverdoseNow
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The model's probabilities for one message.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores(pub [f32; Label::COUNT]);

impl Scores {
    /// The probability of one label.
    pub fn of(&self, label: Label) -> f32 {
        self.0[label.index()]
    }

    /// All the weight on one label.
    pub fn certain(label: Label) -> Scores {
        Scores(std::array::from_fn(|l| {
            if l == label.index() { 1.0 } else { 0.0 }
        }))
    }

    /// The probability that someone, the writer or another person, is at risk.
    pub fn crisis(&self) -> f32 {
        self.of(Label::Crisis) + self.of(Label::CrisisOther)
    }

    /// The most likely label.
    pub fn best(&self) -> Label {
        let mut best = Label::Other;
        for label in Label::ALL {
            if self.of(label) > self.of(best) {
                best = label;
            }
        }
        best
    }
}

/// One feature of a message, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gram<'t> {
    Word(&'t str),
    Bigram(&'t str, &'t str),
    /// The run of bytes `start..end` of the text (without its padding), or `None` for a run that includes the
    /// padding (not worth showing).
    Chars(Option<(&'t str, usize, usize)>),
}

impl fmt::Display for Gram<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gram::Word(w) => write!(f, "word {w:?}"),
            Gram::Bigram(a, b) => write!(f, "words \"{a} {b}\""),
            Gram::Chars(Some((text, start, end))) => write!(
                f,
                "chars {:?}",
                String::from_utf8_lossy(&text.as_bytes()[*start..*end])
            ),
            Gram::Chars(None) => f.write_str("chars at the edge"),
        }
    }
}

pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;
/// Seeds that keep words, word pairs and character runs apart in the hash space.
const SEED_WORD: u64 = FNV_OFFSET ^ 0x57;
const SEED_BIGRAM: u64 = 0x42 << 56;
/// Character n-grams from this length...
const CHARS_MIN: usize = 3;
/// ...to this one (at most 7: a run and its length tag share one `u64`).
const CHARS_MAX: usize = 5;

/// One byte of FNV-1a.
#[inline]
fn fnv_step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// FNV-1a over bytes from `seed` (also the normaliser's word hasher).
pub(crate) fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, &b| fnv_step(h, b))
}

/// FNV-1a over bytes: the corpus fingerprint kept in the weights file.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    fnv(FNV_OFFSET, bytes)
}

/// Calls `emit` with the hash of every feature of normalised `text`: each word, each pair of neighbouring
/// words, and each run of 3 to 5 bytes of the text padded with a space at each end, where a byte repeated more
/// than twice in a row counts twice. Linear in the length.
/// (Runs of 2 bytes as well cost a quarter more time and did no better in cross-validation.)
///
/// A word is hashed with FNV-1a, a pair by mixing its two words' hashes; a run of bytes is its own key: the
/// bytes packed into an integer with the run's length in the top byte. [`bucket`] mixes every key.
pub fn for_each_feature(text: &str, mut emit: impl FnMut(u64, Gram<'_>)) {
    if text.is_empty() {
        return;
    }
    // One pass over the text between two spaces: a rolling window of its last bytes, and the word so far.
    let bytes = text.as_bytes();
    let mut window = u64::from(b' ');
    let mut words = Words {
        start: 0,
        hash: SEED_WORD,
        previous: None,
    };
    for (at, &byte) in bytes.iter().enumerate() {
        // A byte that repeats the two before it adds nothing: "nooooo" reads as "noo", and a megabyte of one
        // letter cannot outweigh everything else.
        if byte != b' ' && window & 0xffff == u64::from(byte) * 0x0101 {
            continue;
        }
        window = (window << 8) | u64::from(byte);
        runs_ending_at(text, window, at + 1, &mut emit);
        if byte == b' ' {
            words.end(text, at, &mut emit);
        } else {
            words.hash = fnv_step(words.hash, byte);
        }
    }
    words.end(text, bytes.len(), &mut emit);
    runs_ending_at(
        text,
        (window << 8) | u64::from(b' '),
        bytes.len() + 1,
        &mut emit,
    );
}

/// The word being read, and the one before it.
struct Words<'t> {
    start: usize,
    hash: u64,
    previous: Option<(&'t str, u64)>,
}

impl<'t> Words<'t> {
    /// The word from `start` ends at byte `end` (a space, or the end of the text).
    #[inline(always)]
    fn end(&mut self, text: &'t str, end: usize, emit: &mut impl FnMut(u64, Gram<'_>)) {
        if end > self.start {
            let word = &text[self.start..end];
            emit(self.hash, Gram::Word(word));
            if let Some((before, before_hash)) = self.previous {
                let pair = (before_hash ^ SEED_BIGRAM)
                    .wrapping_mul(FNV_PRIME)
                    .rotate_left(29)
                    ^ self.hash;
                emit(pair, Gram::Bigram(before, word));
            }
            self.previous = Some((word, self.hash));
        }
        self.start = end + 1;
        self.hash = SEED_WORD;
    }
}

/// The runs of [`CHARS_MIN`] to [`CHARS_MAX`] bytes that end at byte `end` of the padded text, whose last bytes
/// are `window`.
#[inline(always)]
fn runs_ending_at(text: &str, window: u64, end: usize, emit: &mut impl FnMut(u64, Gram<'_>)) {
    for len in CHARS_MIN..=CHARS_MAX.min(end + 1) {
        let key = (window & ((1 << (8 * len)) - 1)) | ((len as u64) << 56);
        let start = end + 1 - len;
        let inner = start >= 1 && end <= text.len();
        emit(key, Gram::Chars(inner.then(|| (text, start - 1, end))));
    }
}

/// The bucket of a feature key in a table of `2^bits` rows (multiply-shift).
#[inline]
pub fn bucket(hash: u64, bits: u32) -> usize {
    let mixed = (hash ^ (hash >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - bits)) as usize
}

/// The settings and figures written in a weights file's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format version: 1.
    pub version: u32,
    /// The feature table has `2^bucket_bits` rows.
    pub bucket_bits: u32,
    /// The output labels, in order; must be [`Label::ALL`].
    pub labels: Vec<Label>,
    /// Crisis when the model's probability of someone at risk is at or above this.
    pub crisis_threshold: f32,
    /// Overdose now when the model's probability of it is at or above this (and above crisis).
    pub overdose_now_threshold: f32,
    /// [`fingerprint`] of the training corpus (see [`crate::corpus::Corpus::fingerprint`]), as 16 hex digits.
    pub corpus_fingerprint: String,
    /// How the weights were made, for people reading the file.
    #[serde(default)]
    pub trained: String,
}

/// Why a weights file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a recovery-bot weights file (wrong magic bytes)")]
    Magic,
    #[error("the file ends early: {0}")]
    Truncated(&'static str),
    #[error("header: {0}")]
    Header(String),
    #[error("{0}")]
    Invalid(String),
}

/// A loaded, validated model.
#[derive(Clone)]
pub struct Model {
    header: Header,
    /// Per label: weight = scale * quantised weight.
    scales: [f32; Label::COUNT],
    bias: [f32; Label::COUNT],
    /// `2^bucket_bits` rows of one signed byte per label, each row packed in a `u64` (label `l` in byte `l`,
    /// stored as the weight plus 128) so that scoring adds eight labels at once.
    weights: Vec<u64>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// The smallest and largest feature tables a file may hold.
const BUCKET_BITS: std::ops::RangeInclusive<u32> = 10..=22;

impl Model {
    /// Builds a model from full-precision weights (`rows[bucket][label]`), quantising each label's weights to
    /// one byte.
    pub fn quantize(
        header: Header,
        rows: &[[f32; Label::COUNT]],
        bias: [f32; Label::COUNT],
    ) -> Model {
        let mut scales = [0f32; Label::COUNT];
        for (label, scale) in scales.iter_mut().enumerate() {
            let max = rows.iter().map(|r| r[label].abs()).fold(0f32, f32::max);
            *scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        }
        let weights = rows
            .iter()
            .map(|row| {
                pack(std::array::from_fn(|l| {
                    (row[l] / scales[l]).round().clamp(-127.0, 127.0) as i8
                }))
            })
            .collect();
        Model {
            header,
            scales,
            bias,
            weights,
        }
    }

    /// Reads and validates a weights file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(ModelError::Magic)?;
        let (len, rest) = split(rest, 4, "header length")?;
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let (text, rest) = split(rest, len, "header")?;
        let text = std::str::from_utf8(text).map_err(|e| ModelError::Header(e.to_string()))?;
        let header: Header = toml::from_str(text).map_err(|e| ModelError::Header(e.to_string()))?;
        if header.version != 1 {
            return Err(ModelError::Header(format!(
                "version {} is not 1",
                header.version
            )));
        }
        if header.labels != Label::ALL {
            return Err(ModelError::Header(format!(
                "labels {:?} are not the bot's {:?}",
                header.labels,
                Label::ALL
            )));
        }
        if !BUCKET_BITS.contains(&header.bucket_bits) {
            return Err(ModelError::Header(format!(
                "bucket_bits {} is outside {BUCKET_BITS:?}",
                header.bucket_bits
            )));
        }
        for (name, value) in [
            ("crisis_threshold", header.crisis_threshold),
            ("overdose_now_threshold", header.overdose_now_threshold),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return Err(ModelError::Header(format!(
                    "{name} {value} is not in (0, 1]"
                )));
            }
        }
        let floats = |rest: &[u8], what| -> Result<([f32; Label::COUNT], usize), ModelError> {
            let (raw, _) = split(rest, 4 * Label::COUNT, what)?;
            let mut out = [0f32; Label::COUNT];
            for (value, chunk) in out.iter_mut().zip(raw.chunks_exact(4)) {
                *value = f32::from_le_bytes(chunk.try_into().expect("4 bytes"));
                if !value.is_finite() {
                    return Err(ModelError::Invalid(format!(
                        "{what}: {value} is not a number"
                    )));
                }
            }
            Ok((out, 4 * Label::COUNT))
        };
        let (scales, used) = floats(rest, "scales")?;
        let rest = &rest[used..];
        let (bias, used) = floats(rest, "bias")?;
        let rest = &rest[used..];
        if scales.iter().any(|s| *s <= 0.0) {
            return Err(ModelError::Invalid("a scale is not positive".into()));
        }
        let rows = 1usize << header.bucket_bits;
        let expected = rows * Label::COUNT;
        if rest.len() != expected {
            return Err(ModelError::Invalid(format!(
                "{} bytes of weights where {rows} rows need {expected}",
                rest.len()
            )));
        }
        let weights = rest
            .chunks_exact(Label::COUNT)
            .map(|row| pack(std::array::from_fn(|l| row[l] as i8)))
            .collect();
        Ok(Model {
            header,
            scales,
            bias,
            weights,
        })
    }

    /// The weights file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = toml::to_string(&self.header).expect("the header serialises");
        let mut out = Vec::with_capacity(64 + header.len() + self.weights.len() * Label::COUNT);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for value in self.scales.iter().chain(&self.bias) {
            out.extend_from_slice(&value.to_le_bytes());
        }
        for row in &self.weights {
            out.extend(unpack(*row).map(|w| w as u8));
        }
        out
    }

    /// The header: thresholds, corpus fingerprint.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The probabilities of each label for normalised `text`.
    pub fn score(&self, text: &str) -> Scores {
        let bits = self.header.bucket_bits;
        // Each row is split into its even and odd bytes, four 16-bit lanes each, and added in two integers;
        // the lanes are carried into wide sums before they can overflow (256 * 255 fits in 16 bits).
        const EVEN: u64 = 0x00ff_00ff_00ff_00ff;
        let mut sums = [0i64; Label::COUNT];
        let (mut even, mut odd) = (0u64, 0u64);
        let mut count = 0u32;
        let carry = |sums: &mut [i64; Label::COUNT], even: u64, odd: u64| {
            for lane in 0..Label::COUNT / 2 {
                sums[2 * lane] += ((even >> (16 * lane)) & 0xffff) as i64;
                sums[2 * lane + 1] += ((odd >> (16 * lane)) & 0xffff) as i64;
            }
        };
        for_each_feature(text, |hash, _| {
            let row = self.weights[bucket(hash, bits)];
            even += row & EVEN;
            odd += (row >> 8) & EVEN;
            count += 1;
            if count.is_multiple_of(256) {
                carry(&mut sums, even, odd);
                (even, odd) = (0, 0);
            }
        });
        carry(&mut sums, even, odd);
        // Every byte was stored as weight + 128.
        for sum in &mut sums {
            *sum -= 128 * i64::from(count);
        }
        let norm = if count == 0 {
            0.0
        } else {
            1.0 / (count as f32).sqrt()
        };
        let logits: [f32; Label::COUNT] =
            std::array::from_fn(|l| sums[l] as f32 * self.scales[l] * norm + self.bias[l]);
        Scores(softmax(logits))
    }

    /// The features of `text` that weigh most for `label` against the other labels, strongest first.
    pub fn top_features(&self, text: &str, label: Label, count: usize) -> Vec<(String, f32)> {
        let bits = self.header.bucket_bits;
        let mut all: Vec<(String, f32)> = Vec::new();
        let mut total = 0u32;
        for_each_feature(text, |hash, gram| {
            total += 1;
            if let Gram::Chars(None) = gram {
                return;
            }
            let row = unpack(self.weights[bucket(hash, bits)]);
            let weight = |l: usize| f32::from(row[l]) * self.scales[l];
            let mean = (0..Label::COUNT).map(weight).sum::<f32>() / Label::COUNT as f32;
            all.push((gram.to_string(), weight(label.index()) - mean));
        });
        let norm = if total == 0 {
            0.0
        } else {
            1.0 / (total as f32).sqrt()
        };
        for item in &mut all {
            item.1 *= norm;
        }
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all.dedup_by(|a, b| a.0 == b.0);
        all.truncate(count);
        all
    }
}

/// One row of weights in the packed form [`Model`] keeps.
fn pack(row: [i8; Label::COUNT]) -> u64 {
    u64::from_le_bytes(row.map(|w| (w as u8) ^ 0x80))
}

/// The weights of a packed row.
fn unpack(row: u64) -> [i8; Label::COUNT] {
    row.to_le_bytes().map(|b| (b ^ 0x80) as i8)
}

fn split<'b>(
    bytes: &'b [u8],
    len: usize,
    what: &'static str,
) -> Result<(&'b [u8], &'b [u8]), ModelError> {
    if bytes.len() < len {
        return Err(ModelError::Truncated(what));
    }
    Ok(bytes.split_at(len))
}

/// Turns scores into probabilities.
pub fn softmax<const N: usize>(logits: [f32; N]) -> [f32; N] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = logits.map(|x| (x - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_cover_words_pairs_and_character_runs() {
        let mut grams = Vec::new();
        for_each_feature("no way", |_, g| grams.push(g.to_string()));
        assert!(grams.contains(&"word \"no\"".to_string()));
        assert!(grams.contains(&"words \"no way\"".to_string()));
        assert!(grams.contains(&"chars \"o w\"".to_string()));
        // " no way " has 8 bytes: 6 + 5 + 4 runs of 3 to 5 bytes, 2 words, 1 pair.
        assert_eq!(grams.len(), 15 + 3);
    }

    #[test]
    fn an_empty_text_has_no_features() {
        let mut n = 0;
        for_each_feature("", |_, _| n += 1);
        assert_eq!(n, 0);
    }

    fn tiny_model() -> Model {
        let header = Header {
            version: 1,
            bucket_bits: 10,
            labels: Label::ALL.to_vec(),
            crisis_threshold: 0.5,
            overdose_now_threshold: 0.5,
            corpus_fingerprint: "0000000000000000".into(),
            trained: String::new(),
        };
        let mut rows = vec![[0f32; Label::COUNT]; 1 << 10];
        for_each_feature("help", |hash, _| rows[bucket(hash, 10)][0] += 1.0);
        Model::quantize(header, &rows, [0.0; Label::COUNT])
    }

    #[test]
    fn a_model_survives_its_file_and_scores_alike() {
        let model = tiny_model();
        let again = Model::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(again.score("help"), model.score("help"));
        assert_eq!(model.score("help").best(), Label::Crisis);
        let sum: f32 = model.score("anything").0.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn broken_files_are_refused_with_a_reason() {
        let bytes = tiny_model().to_bytes();
        assert!(matches!(Model::from_bytes(b"nope"), Err(ModelError::Magic)));
        assert!(matches!(
            Model::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ModelError::Invalid(_))
        ));
        assert!(matches!(
            Model::from_bytes(&bytes[..10]),
            Err(ModelError::Truncated(_))
        ));
        let mut model = tiny_model();
        model.header.crisis_threshold = 1.5;
        let err = Model::from_bytes(&model.to_bytes()).unwrap_err();
        assert!(err.to_string().contains("crisis_threshold"), "{err}");
    }
}
