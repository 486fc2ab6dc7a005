//! Loading and validating the content in `intents/`: rules, entries and their sources.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::country::{Countries, CountriesFile};
use crate::intent::Intent;
use crate::language::{Language, LanguageDetector};
use crate::markup;
use crate::model::{Model, ModelError};
use crate::notice::{Notices, NoticesFile};
use crate::reply::{Block, FollowUp};

/// The content files, in the order they are loaded.
pub const FILES: [&str; 10] = [
    "sources.toml",
    "normalize.toml",
    "crisis.toml",
    "overdose.toml",
    "reminder.toml",
    "meeting.toml",
    "principle.toml",
    "other.toml",
    "notices.toml",
    "countries.toml",
];

/// The content compiled into the binary.
const EMBEDDED: [&str; 10] = [
    include_str!("../../intents/sources.toml"),
    include_str!("../../intents/normalize.toml"),
    include_str!("../../intents/crisis.toml"),
    include_str!("../../intents/overdose.toml"),
    include_str!("../../intents/reminder.toml"),
    include_str!("../../intents/meeting.toml"),
    include_str!("../../intents/principle.toml"),
    include_str!("../../intents/other.toml"),
    include_str!("../../intents/notices.toml"),
    include_str!("../../intents/countries.toml"),
];

/// The weights of the learned scorer, beside the TOML files.
pub const MODEL_FILE: &str = "model.bin";

/// The weights compiled into the binary.
const EMBEDDED_MODEL: &[u8] = include_bytes!("../../intents/model.bin");

/// Why content could not be loaded. Every variant names the file, and the entry or rule when there is one.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("cannot read content file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: entry {entry:?}: {message}")]
    Entry {
        file: String,
        entry: String,
        message: String,
    },
    #[error("{file}: rule {rule:?}: {message}")]
    Rule {
        file: String,
        rule: String,
        message: String,
    },
    #[error("{MODEL_FILE}: {0}")]
    Model(#[from] ModelError),
}

/// A command a person can send (`/meeting tonight`), registered with the platforms that have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Lower-case name without the slash.
    pub name: String,
    /// One line for the platform's command menu.
    pub description: String,
    /// The same line in other languages, for the menus of people whose app is in them.
    pub descriptions: Vec<(Language, String)>,
    pub intent: Intent,
    /// The answer when the command comes without words; with words, they pick the entry as any message would.
    pub entry: Option<usize>,
    /// `/country GB`: the words name where the person is, and this entry answers once they do.
    pub sets_country: Option<usize>,
    /// `/language es`: the words name the language to answer in, and this entry (in that language) answers.
    pub sets_language: Option<usize>,
}

impl Command {
    /// The menu line in `language`, or the default one when the content has none in it.
    pub fn description_in(&self, language: Language) -> &str {
        self.descriptions
            .iter()
            .find(|(l, _)| *l == language)
            .map_or(&self.description, |(_, d)| d)
    }
}

/// A source an answer cites.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    /// The seed file (relative to `../shared/`) or `FACTS.md`.
    pub file: String,
    /// For a FACTS.md row: its first words.
    #[serde(default)]
    pub row: Option<String>,
}

/// A rule: when its pattern matches the normalised text, the message has the file's intent.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub pattern: String,
    /// Index of the entry that answers, if the rule names one.
    pub entry: Option<usize>,
    /// The rule counts only when a topic of the file matches too.
    pub requires_topic: bool,
    /// The phrase is as common in jest, in stories and in news as in danger ("my mom will kill me", "lost my
    /// buddy to suicide"): the model may overrule this rule when it is all but sure nobody is at risk.
    pub overrulable: bool,
    /// The rule reads a courtesy ("hola", "gracias") or a bare topic word ("overdose"), not what the message
    /// asks: where no other rule matched, the model may choose another intent over it, as it does where no rule
    /// matched at all ("buenas tardes, ¿dónde hay grupos de AA en español?"), or everyday talk ("my uncle died
    /// of an overdose in 2018").
    pub weak: bool,
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub title: Option<String>,
    /// Indexes into [`Content::sources`].
    pub sources: Vec<usize>,
    pub group: Option<String>,
    pub topics: Vec<String>,
    pub list_group: Option<String>,
    pub daily_from: Vec<String>,
    pub urgent: bool,
    /// This answer lists meetings from the configured feeds; its own text is the answer when there are none.
    pub meetings: bool,
    pub blocks: Vec<Block>,
    pub follow_ups: Vec<FollowUp>,
    /// The same answer in other languages: indexes of entries of the same file.
    pub translations: Vec<(Language, usize)>,
    /// The same answer outside the US: an entry of the same file whose `{emergency}` (and `{line}`) paragraphs
    /// take the country's.
    pub abroad: Option<usize>,
}

impl Entry {
    /// The entry that answers in `language`: its translation, or itself.
    pub fn in_language(&self, own: usize, language: Language) -> usize {
        self.translations
            .iter()
            .find(|(l, _)| *l == language)
            .map_or(own, |(_, index)| *index)
    }

    /// The entry's title as a heading block, when it has one.
    pub fn heading(&self) -> Option<Block> {
        self.title.as_ref().map(|title| Block {
            kind: crate::reply::BlockKind::Heading,
            spans: vec![crate::reply::Span::Strong {
                text: title.clone(),
            }],
        })
    }
}

/// The rules and entries of one intent.
#[derive(Debug, Clone)]
pub struct IntentContent {
    pub intent: Intent,
    /// Commands (`/crisis`, `/meeting`, ...) that lead to this intent.
    pub commands: Vec<Command>,
    pub file: String,
    pub default_entry: usize,
    /// `other.toml` only: the answer to a message with no words in it.
    pub empty_entry: Option<usize>,
    /// `other.toml` only: the answer to small talk right after a crisis reply.
    pub after_crisis_entry: Option<usize>,
    /// `other.toml` only: said first when a message is in a language its answer is not written in.
    pub language_notice_entry: Option<usize>,
    /// `crisis.toml` only: the answer when the person at risk is someone else.
    pub someone_else_entry: Option<usize>,
    /// `overdose.toml` only: the answer to an overdose happening now that no rule named.
    pub now_entry: Option<usize>,
    /// `other.toml` only: a crisis that is over, told as a story.
    pub past_story: Option<PastStory>,
    /// When several rules of this file match, the entry that comes first here answers.
    pub prefer_entries: Vec<usize>,
    pub rules: Vec<Rule>,
    pub entries: Vec<Entry>,
}

impl IntentContent {
    /// How strongly the file prefers an entry when several rules match: lower is stronger.
    pub fn preference(&self, entry: usize) -> usize {
        self.prefer_entries
            .iter()
            .position(|e| *e == entry)
            .unwrap_or(usize::MAX)
    }

    /// Finds an entry by id.
    pub fn entry_index(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Entries of a group, in file order.
    pub fn group(&self, group: &str) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.group.as_deref() == Some(group))
    }
}

/// The normalisation data.
#[derive(Debug, Clone, Default)]
pub struct NormalizeData {
    pub shorthand: BTreeMap<String, String>,
    pub emoji: BTreeMap<String, String>,
    pub words: Vec<String>,
    pub idioms: Vec<String>,
    /// Words that mark each language, by code.
    pub language: BTreeMap<String, Vec<String>>,
    /// Words that name each language, by code (`/language es`).
    pub language_names: BTreeMap<String, Vec<String>>,
}

/// All content, validated.
#[derive(Debug, Clone)]
pub struct Content {
    pub sources: Vec<Source>,
    pub normalize: NormalizeData,
    /// One per intent, indexed by [`Intent::rank`].
    pub intents: Vec<IntentContent>,
    /// How a meeting is listed.
    pub listing: Listing,
    /// What the adapters say on their own (errors, permissions, crisis watch).
    pub notices: Notices,
    /// Crisis lines outside the US.
    pub countries: Countries,
    /// The learned scorer.
    pub model: Model,
    /// Reads the language of normalised text.
    pub language: LanguageDetector,
}

impl Content {
    /// The content compiled into the binary.
    pub fn embedded() -> Result<Content, ContentError> {
        Content::from_texts(
            FILES.iter().copied().zip(EMBEDDED.iter().copied()),
            EMBEDDED_MODEL,
        )
    }

    /// Loads every file of [`FILES`] from a folder (an operator's localised copy of `intents/`).
    pub fn from_dir(dir: &Path) -> Result<Content, ContentError> {
        let mut texts = Vec::with_capacity(FILES.len());
        for name in FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ContentError::Read { path, source })?;
            texts.push((name, text));
        }
        let path = dir.join(MODEL_FILE);
        let model = std::fs::read(&path).map_err(|source| ContentError::Read { path, source })?;
        Content::from_texts(texts.iter().map(|(n, t)| (*n, t.as_str())), &model)
    }

    /// Every command, in priority order of their intents.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.intents.iter().flat_map(|i| &i.commands)
    }

    /// The content of one intent.
    pub fn intent(&self, intent: Intent) -> &IntentContent {
        &self.intents[intent.rank()]
    }

    fn from_texts<'a>(
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
        model: &[u8],
    ) -> Result<Content, ContentError> {
        let texts: HashMap<&str, &str> = texts.into_iter().collect();
        let text_of = |name: &str| texts.get(name).copied().unwrap_or_default();

        let sources: SourcesFile = parse_toml("sources.toml", text_of("sources.toml"))?;
        let mut seen = HashSet::new();
        for source in &sources.source {
            if !seen.insert(source.id.as_str()) {
                return Err(file_error(
                    "sources.toml",
                    format!("source {:?} is listed twice", source.id),
                ));
            }
        }
        let normalize: NormalizeFile = parse_toml("normalize.toml", text_of("normalize.toml"))?;
        let notices: NoticesFile = parse_toml("notices.toml", text_of("notices.toml"))?;
        let notices =
            Notices::new(notices).map_err(|message| file_error("notices.toml", message))?;
        let countries: CountriesFile = parse_toml("countries.toml", text_of("countries.toml"))?;
        let countries = Countries::new(countries, |id| {
            sources.source.iter().position(|s| s.id == id)
        })
        .map_err(|message| file_error("countries.toml", message))?;

        let mut intents = Vec::with_capacity(Intent::ALL.len());
        let mut listing = None;
        for intent in Intent::ALL {
            let file = format!("{intent}.toml");
            let mut raw: IntentFile = parse_toml(&file, text_of(&file))?;
            match (intent, raw.listing.take()) {
                (Intent::Meeting, found) => listing = found,
                (_, Some(_)) => {
                    return Err(file_error(
                        &file,
                        "only meeting.toml has a [listing]".into(),
                    ));
                }
                (_, None) => {}
            }
            intents.push(build_intent(intent, file, raw, &sources.source)?);
        }
        let listing = listing
            .ok_or_else(|| file_error("meeting.toml", "the [listing] table is required".into()))?;
        for (field, text, placeholders) in [
            ("your_time", &listing.your_time, &["{time}"][..]),
            ("distance", &listing.distance, &["{km}"]),
            ("updated", &listing.updated, &["{feed}", "{date}"]),
        ] {
            if let Some(missing) = placeholders.iter().find(|p| !text.contains(*p)) {
                return Err(file_error(
                    "meeting.toml",
                    format!("[listing] {field} needs {missing}"),
                ));
            }
        }
        let mut names = HashSet::new();
        for command in intents.iter().flat_map(|i| &i.commands) {
            if !names.insert(command.name.as_str()) {
                return Err(file_error(
                    &format!("{}.toml", command.intent),
                    format!("command {:?} is defined twice", command.name),
                ));
            }
        }
        let other = &intents[Intent::Other.rank()];
        for (file, field, value) in [
            ("other.toml", "empty_entry", other.empty_entry),
            ("other.toml", "after_crisis_entry", other.after_crisis_entry),
            (
                "other.toml",
                "language_notice_entry",
                other.language_notice_entry,
            ),
            (
                "crisis.toml",
                "someone_else_entry",
                intents[Intent::Crisis.rank()].someone_else_entry,
            ),
            (
                "overdose.toml",
                "now_entry",
                intents[Intent::Overdose.rank()].now_entry,
            ),
        ] {
            if value.is_none() {
                return Err(file_error(file, format!("`{field}` is required")));
            }
        }
        let language = LanguageDetector::new(&normalize.language, &normalize.language_names)
            .map_err(|m| file_error("normalize.toml", m))?;
        Ok(Content {
            sources: sources.source,
            normalize: NormalizeData {
                shorthand: normalize.shorthand,
                emoji: normalize.emoji,
                words: normalize.words,
                idioms: normalize.idioms,
                language: normalize.language,
                language_names: normalize.language_names,
            },
            intents,
            listing,
            notices,
            countries,
            model: Model::from_bytes(model)?,
            language,
        })
    }
}

pub(crate) fn file_error(file: &str, message: String) -> ContentError {
    ContentError::File {
        file: file.to_string(),
        message,
    }
}

pub(crate) fn entry_error(file: &str, entry: &str, message: String) -> ContentError {
    ContentError::Entry {
        file: file.to_string(),
        entry: entry.to_string(),
        message,
    }
}

pub(crate) fn parse_toml<T: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
) -> Result<T, ContentError> {
    toml::from_str(text).map_err(|e| file_error(file, e.to_string()))
}

fn build_intent(
    intent: Intent,
    file: String,
    raw: IntentFile,
    sources: &[Source],
) -> Result<IntentContent, ContentError> {
    if raw.intent != intent.as_str() {
        return Err(file_error(
            &file,
            format!("`intent = {:?}` but the file holds {intent}", raw.intent),
        ));
    }
    let entry_err = |entry: &str, message: String| ContentError::Entry {
        file: file.clone(),
        entry: entry.to_string(),
        message,
    };
    let mut ids = HashSet::new();
    let mut entries = Vec::with_capacity(raw.entry.len());
    let mut translations = Vec::with_capacity(raw.entry.len());
    let mut abroad = Vec::with_capacity(raw.entry.len());
    for e in raw.entry {
        if !ids.insert(e.id.clone()) {
            return Err(entry_err(&e.id, "the id is used twice".into()));
        }
        let ids: Vec<&String> = match &e.source {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v.iter().collect(),
        };
        if ids.is_empty() {
            return Err(entry_err(
                &e.id,
                "`source` is empty: every answer names its source".into(),
            ));
        }
        let mut indexes = Vec::with_capacity(ids.len());
        for id in ids {
            let index = sources
                .iter()
                .position(|s| &s.id == id)
                .ok_or_else(|| entry_err(&e.id, format!("source {id:?} is not in sources.toml")))?;
            indexes.push(index);
        }
        let blocks = markup::parse(&e.text).map_err(|m| entry_err(&e.id, m))?;
        for follow_up in &e.follow_ups {
            if follow_up.label.trim().is_empty() || follow_up.message.trim().is_empty() {
                return Err(entry_err(
                    &e.id,
                    "a follow-up has an empty label or message".into(),
                ));
            }
        }
        entries.push(Entry {
            id: e.id,
            title: e.title,
            sources: indexes,
            group: e.group,
            topics: e.topics,
            list_group: e.list_group,
            daily_from: e.daily_from,
            urgent: e.urgent,
            meetings: e.meetings,
            blocks,
            follow_ups: e.follow_ups,
            translations: Vec::new(),
            abroad: None,
        });
        translations.push(e.translations);
        abroad.push(e.abroad);
    }
    let target = |entries: &[Entry], index: usize, id: &str, what: &str| {
        entries.iter().position(|e| e.id == id).ok_or_else(|| {
            entry_err(
                &entries[index].id,
                format!("{what} {id:?} is not an entry of this file"),
            )
        })
    };
    for (index, (wanted, abroad)) in translations.into_iter().zip(abroad).enumerate() {
        for (code, id) in wanted {
            let language = Language::from_code(&code).ok_or_else(|| {
                entry_err(
                    &entries[index].id,
                    format!("translation {code:?} is not a language the bot knows"),
                )
            })?;
            let found = target(&entries, index, &id, "translation")?;
            entries[index].translations.push((language, found));
        }
        if let Some(id) = abroad {
            let found = target(&entries, index, &id, "abroad")?;
            if !entries[found]
                .blocks
                .iter()
                .any(|b| b.placeholder() == Some("{emergency}"))
            {
                return Err(entry_err(
                    &id,
                    "an abroad entry needs an {emergency} paragraph".into(),
                ));
            }
            entries[index].abroad = Some(found);
        }
    }
    let groups: HashSet<&str> = entries.iter().filter_map(|e| e.group.as_deref()).collect();
    for e in &entries {
        for group in e.list_group.iter().chain(&e.daily_from) {
            if !groups.contains(group.as_str()) {
                return Err(entry_err(&e.id, format!("group {group:?} has no entries")));
            }
        }
        if e.list_group.is_some()
            && entries
                .iter()
                .any(|o| o.group == e.list_group && o.title.is_none())
        {
            return Err(entry_err(
                &e.id,
                "every entry of a listed group needs a `title`".into(),
            ));
        }
    }
    if entries.iter().any(|e| e.meetings) {
        for id in crate::meeting_answer::required_entries() {
            if !entries.iter().any(|e| e.id == id) {
                return Err(file_error(
                    &file,
                    format!("an entry lists meetings, so entry {id:?} is required"),
                ));
            }
        }
    }
    let find = |id: &str, what: &str| -> Result<usize, ContentError> {
        entries
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| file_error(&file, format!("{what} {id:?} is not an entry of this file")))
    };
    let default_entry = find(&raw.default_entry, "default_entry")?;
    let empty_entry = raw
        .empty_entry
        .as_deref()
        .map(|id| find(id, "empty_entry"))
        .transpose()?;
    let optional =
        |id: &Option<String>, what: &str| id.as_deref().map(|id| find(id, what)).transpose();
    let after_crisis_entry = optional(&raw.after_crisis_entry, "after_crisis_entry")?;
    let language_notice_entry = optional(&raw.language_notice_entry, "language_notice_entry")?;
    let someone_else_entry = optional(&raw.someone_else_entry, "someone_else_entry")?;
    let now_entry = optional(&raw.now_entry, "now_entry")?;
    let past_story = match (&raw.past_story, intent) {
        (None, _) => None,
        (Some(story), Intent::Other) => Some(PastStory {
            entry: find(&story.entry, "[past_story] entry")?,
            past: story.past.clone(),
            safe_now: story.safe_now.clone(),
            danger_now: story.danger_now.clone(),
        }),
        (Some(_), _) => {
            return Err(file_error(
                &file,
                "only other.toml has a [past_story]".into(),
            ));
        }
    };
    let prefer_entries = raw
        .prefer_entries
        .iter()
        .map(|id| find(id, "prefer_entries"))
        .collect::<Result<Vec<_>, _>>()?;

    let mut rule_ids = HashSet::new();
    let mut rules = Vec::with_capacity(raw.rule.len());
    for r in raw.rule {
        if !rule_ids.insert(r.id.clone()) {
            return Err(ContentError::Rule {
                file: file.clone(),
                rule: r.id,
                message: "the id is used twice".into(),
            });
        }
        let entry =
            match r.entry.as_deref() {
                None => None,
                Some(id) => Some(entries.iter().position(|e| e.id == id).ok_or_else(|| {
                    ContentError::Rule {
                        file: file.clone(),
                        rule: r.id.clone(),
                        message: format!("entry {id:?} is not in this file"),
                    }
                })?),
            };
        rules.push(Rule {
            id: r.id,
            pattern: r.pattern,
            entry,
            requires_topic: r.requires_topic,
            overrulable: r.overrulable,
            weak: r.weak,
        });
    }
    let mut commands = Vec::with_capacity(raw.command.len());
    for c in raw.command {
        let command_err =
            |message: String| file_error(&file, format!("command {:?}: {message}", c.name));
        let valid_name = (1..=32).contains(&c.name.len())
            && c.name.starts_with(|ch: char| ch.is_ascii_lowercase())
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid_name {
            return Err(command_err(
                "a name is 1 to 32 lower-case letters, digits or underscores, starting with a letter".into(),
            ));
        }
        let mut descriptions = Vec::with_capacity(c.descriptions.len());
        for (code, description) in std::iter::once(("en", &c.description))
            .chain(c.descriptions.iter().map(|(code, d)| (code.as_str(), d)))
        {
            let language = Language::from_code(code)
                .ok_or_else(|| command_err(format!("{code:?} is not a language the bot knows")))?;
            if !(3..=100).contains(&description.chars().count()) {
                return Err(command_err(format!(
                    "the description ({code}) needs 3 to 100 characters"
                )));
            }
            if language != Language::English {
                descriptions.push((language, description.clone()));
            }
        }
        let entry = c
            .entry
            .as_deref()
            .map(|id| find(id, "the command's entry"))
            .transpose()?;
        let sets_country = c
            .sets_country
            .as_deref()
            .map(|id| find(id, "the command's sets_country"))
            .transpose()?;
        let sets_language = c
            .sets_language
            .as_deref()
            .map(|id| find(id, "the command's sets_language"))
            .transpose()?;
        commands.push(Command {
            name: c.name,
            description: c.description,
            descriptions,
            intent,
            entry,
            sets_country,
            sets_language,
        });
    }
    Ok(IntentContent {
        intent,
        commands,
        file,
        default_entry,
        empty_entry,
        after_crisis_entry,
        language_notice_entry,
        someone_else_entry,
        now_entry,
        past_story,
        prefer_entries,
        rules,
        entries,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    source: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizeFile {
    #[serde(default)]
    shorthand: BTreeMap<String, String>,
    #[serde(default)]
    emoji: BTreeMap<String, String>,
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    idioms: Vec<String>,
    #[serde(default)]
    language: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    language_names: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentFile {
    intent: String,
    default_entry: String,
    #[serde(default)]
    empty_entry: Option<String>,
    #[serde(default)]
    after_crisis_entry: Option<String>,
    #[serde(default)]
    language_notice_entry: Option<String>,
    #[serde(default)]
    someone_else_entry: Option<String>,
    #[serde(default)]
    now_entry: Option<String>,
    #[serde(default)]
    prefer_entries: Vec<String>,
    #[serde(default)]
    command: Vec<RawCommand>,
    #[serde(default)]
    rule: Vec<RawRule>,
    entry: Vec<RawEntry>,
    #[serde(default)]
    listing: Option<Listing>,
    #[serde(default)]
    past_story: Option<RawPastStory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPastStory {
    entry: String,
    past: String,
    safe_now: String,
    danger_now: String,
}

/// `other.toml`'s `[past_story]`: a crisis that is over, told as a story: `past` and `safe_now` match, and
/// `danger_now` does not.
#[derive(Debug, Clone)]
pub struct PastStory {
    /// The warm answer, with the 988 line, that replaces the crisis reply.
    pub entry: usize,
    /// Something in the past ("two years ago", "back in 2019").
    pub past: String,
    /// A safe present ("today I'm grateful", "3 years sober").
    pub safe_now: String,
    /// A sign of danger now ("tonight", "want to do it again"): then it is not a story.
    pub danger_now: String,
}

/// How one meeting is listed: the words around its name, time, place and link (`meeting.toml`'s
/// `[listing]`). Each fragment carries its own punctuation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Weekday abbreviations, Monday first.
    pub weekdays: [String; 7],
    /// Before and after noon, for zones that read the time that way.
    pub am_pm: [String; 2],
    /// After the meeting's time, when the person's zone differs: `{time}` is theirs.
    pub your_time: String,
    pub in_progress: String,
    /// Before the join link of a hybrid and of an online meeting.
    pub hybrid: String,
    pub online: String,
    pub join_link: String,
    /// Between the join link and the dial-in number.
    pub or_dial: String,
    /// `{km}`: the distance.
    pub distance: String,
    /// A feed and its date: `{feed}`, `{date}`.
    pub updated: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    name: String,
    description: String,
    #[serde(default)]
    entry: Option<String>,
    #[serde(default)]
    sets_country: Option<String>,
    #[serde(default)]
    sets_language: Option<String>,
    /// Language code -> the description in that language.
    #[serde(default)]
    descriptions: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    pattern: String,
    #[serde(default)]
    entry: Option<String>,
    #[serde(default)]
    requires_topic: bool,
    #[serde(default)]
    overrulable: bool,
    #[serde(default)]
    weak: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    title: Option<String>,
    source: OneOrMany,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    list_group: Option<String>,
    #[serde(default)]
    daily_from: Vec<String>,
    #[serde(default)]
    urgent: bool,
    #[serde(default)]
    meetings: bool,
    text: String,
    #[serde(default)]
    follow_ups: Vec<FollowUp>,
    /// Language code -> id of the entry that says this in that language.
    #[serde(default)]
    translations: BTreeMap<String, String>,
    /// The entry that says this outside the US, with the country's lines (`countries.toml`).
    #[serde(default)]
    abroad: Option<String>,
}
