//! What reminders say, as data: `intents/reminder-replies.toml` (the replies, the daily message's frame and the
//! zone words) and `intents/recovery-month.toml` (the September series). Both are embedded in the binary and
//! can be loaded from the operator's content folder instead; both are validated at load, with errors that
//! name the file and the entry, and every source is checked against bot-core's `sources.toml`.

use crate::content::{Content, entry_error, file_error, parse_toml};
use crate::language::Language;
use crate::{Block, ContentError, Explanation, FollowUp, Intent, Reply, SourceRef, Span};
use chrono::format::{Item, StrftimeItems};
use chrono::{Datelike as _, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::reminder::{Ask, Done, ReminderOutcome, ReminderReader, ReminderState};
use crate::zone_names::{ZoneNames, city};

/// The reply texts file.
pub const REMINDER_REPLIES_FILE: &str = "reminder-replies.toml";
/// The September series file.
pub const MONTH_FILE: &str = "recovery-month.toml";

const EMBEDDED_REMINDER_REPLIES: &str = include_str!("../../intents/reminder-replies.toml");
const EMBEDDED_MONTH: &str = include_str!("../../intents/recovery-month.toml");

/// Every message `reminder-replies.toml` must define, with the placeholders its text and follow-ups may use.
const MESSAGES: [(&str, &[&str]); 23] = [
    ("started", &["time", "zone", "next"]),
    ("started-default-zone", &["time", "zone", "next"]),
    ("changed", &["time", "zone", "next"]),
    ("resumed", &["time", "zone", "next"]),
    ("already-active", &["time", "zone", "next"]),
    ("paused", &["time", "zone"]),
    ("already-paused", &["time", "zone"]),
    ("status-active", &["time", "zone", "next"]),
    ("status-paused", &["time", "zone"]),
    ("status-blocked", &["time", "zone"]),
    ("not-subscribed", &[]),
    ("ask-time", &["zone"]),
    ("ask-zone", &["time"]),
    ("ambiguous-zone", &["time"]),
    ("unknown-zone", &["time"]),
    ("bad-time", &["zone"]),
    ("stopped", &[]),
    ("forgotten", &[]),
    ("group-admins-only", &[]),
    ("help", &[]),
    ("daily", &[]),
    ("series", &["day", "days"]),
    ("footer", &[]),
];

/// One message, ready to fill in.
#[derive(Debug, Clone)]
struct Template {
    blocks: Vec<Block>,
    follow_ups: Vec<FollowUp>,
    sources: Vec<SourceRef>,
}

/// One day's reminder text: a Recovery Month message or a principle.
#[derive(Debug, Clone)]
pub struct DailyText {
    /// `recovery-month:<id>` or `principle:<id>`.
    pub entry: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub sources: Vec<SourceRef>,
}

/// Values for a message's `{placeholders}`.
#[derive(Debug, Clone, Default)]
struct Vars {
    pub time: Option<String>,
    pub zone: Option<String>,
    pub next: Option<String>,
    pub day: Option<String>,
    pub days: Option<String>,
}

impl Vars {
    fn get(&self, name: &str) -> &str {
        let value = match name {
            "time" => &self.time,
            "zone" => &self.zone,
            "next" => &self.next,
            "day" => &self.day,
            "days" => &self.days,
            _ => &None,
        };
        value.as_deref().unwrap_or_default()
    }
}

/// The validated reminder content.
#[derive(Debug, Clone)]
pub struct ReminderContent {
    /// Each message in English, and in the other languages it is translated into.
    messages: HashMap<(&'static str, Language), Template>,
    /// The Recovery Month series, one per day of `month`.
    series: Vec<DailyText>,
    month: u32,
    /// The rest of the year: principles and dimensions, picked by date.
    rotation: Vec<DailyText>,
    time_format: String,
    /// How the next reminder's day reads, in English and in each translation.
    days: HashMap<Language, DayWords>,
    ask_zone_choices: Vec<Tz>,
    zone_choice: FollowUp,
    places: Vec<(String, Vec<Tz>)>,
    not_places: Vec<String>,
}

impl ReminderContent {
    /// The content compiled into the binary; rotation entries and sources come from `core` (the bot's
    /// loaded content, embedded or the operator's).
    pub fn embedded(core: &Content) -> Result<ReminderContent, ContentError> {
        ReminderContent::from_texts(EMBEDDED_REMINDER_REPLIES, EMBEDDED_MONTH, core)
    }

    /// `reminder-replies.toml` and `recovery-month.toml` from the operator's content folder (the `--content DIR`
    /// that holds the rest of `intents/`).
    pub fn from_dir(dir: &Path, core: &Content) -> Result<ReminderContent, ContentError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| ContentError::Read { path, source })
        };
        ReminderContent::from_texts(&read(REMINDER_REPLIES_FILE)?, &read(MONTH_FILE)?, core)
    }

    /// Validates and builds the content from the two files' texts.
    pub fn from_texts(
        reminders: &str,
        month: &str,
        core: &Content,
    ) -> Result<ReminderContent, ContentError> {
        let file = REMINDER_REPLIES_FILE;
        let raw: RemindersFile = parse_toml(file, reminders)?;
        let file_err = |message: String| file_error(file, message);
        let entry_err = |entry: &str, message: String| entry_error(file, entry, message);

        let mut days = HashMap::from([(
            Language::English,
            DayWords {
                date_format: raw.date_format.clone(),
                today: raw.today.clone(),
                tomorrow: raw.tomorrow.clone(),
            },
        )]);
        for (code, words) in &raw.languages {
            let language = Language::from_code(code)
                .ok_or_else(|| file_err(format!("[languages.{code}]: unknown language")))?;
            days.insert(language, words.clone());
        }
        let formats = std::iter::once(("time_format", &raw.time_format)).chain(
            days.values()
                .map(|words| ("date_format", &words.date_format)),
        );
        for (field, format) in formats {
            if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
                return Err(file_err(format!(
                    "`{field}` {format:?} is not a valid strftime format"
                )));
            }
        }

        let mut messages = HashMap::new();
        for m in &raw.message {
            let language = match &m.language {
                None => Language::English,
                Some(code) => Language::from_code(code)
                    .ok_or_else(|| entry_err(&m.id, format!("unknown language {code:?}")))?,
            };
            let Some(&(id, allowed)) = MESSAGES.iter().find(|(id, _)| *id == m.id) else {
                return Err(entry_err(
                    &m.id,
                    format!(
                        "unknown message id; the messages are: {}",
                        MESSAGES.map(|(id, _)| id).join(", ")
                    ),
                ));
            };
            let key = (id, language);
            if messages.contains_key(&key) {
                return Err(entry_err(
                    &m.id,
                    format!("the id is used twice in {}", language.code()),
                ));
            }
            let sources = resolve_sources(&m.source, core).map_err(|e| entry_err(&m.id, e))?;
            let blocks = crate::markup::parse(&m.text).map_err(|e| entry_err(&m.id, e))?;
            let texts = std::iter::once(m.text.as_str()).chain(
                m.follow_ups
                    .iter()
                    .flat_map(|f| [f.label.as_str(), f.message.as_str()]),
            );
            for text in texts {
                check_placeholders(text, allowed).map_err(|e| entry_err(&m.id, e))?;
            }
            for block in &blocks {
                for span in &block.spans {
                    if let Span::Link { target, .. } = span
                        && target.contains('{')
                    {
                        return Err(entry_err(
                            &m.id,
                            "placeholders cannot stand in a link target".into(),
                        ));
                    }
                }
            }
            if m.follow_ups
                .iter()
                .any(|f| f.label.trim().is_empty() || f.message.trim().is_empty())
            {
                return Err(entry_err(
                    &m.id,
                    "a follow-up has an empty label or message".into(),
                ));
            }
            if m.id == "footer" && blocks.len() != 1 {
                return Err(entry_err(
                    &m.id,
                    "the footer is one line: a single paragraph".into(),
                ));
            }
            messages.insert(
                key,
                Template {
                    blocks,
                    follow_ups: m.follow_ups.clone(),
                    sources,
                },
            );
        }
        for (id, _) in MESSAGES {
            if !messages.contains_key(&(id, Language::English)) {
                return Err(file_err(format!("message {id:?} is missing")));
            }
        }

        let parse_zone = |what: &str, name: &str| -> Result<Tz, ContentError> {
            name.parse::<Tz>()
                .map_err(|_| file_err(format!("{what}: {name:?} is not an IANA time zone")))
        };
        let mut places = Vec::with_capacity(raw.places.len());
        for (place, zones) in &raw.places {
            let names: Vec<&String> = zones.iter().collect();
            if names.is_empty() {
                return Err(file_err(format!("place {place:?} names no zone")));
            }
            let zones = names
                .iter()
                .map(|n| parse_zone(&format!("place {place:?}"), n))
                .collect::<Result<Vec<_>, _>>()?;
            places.push((place.clone(), zones));
        }
        let ask_zone_choices = raw
            .ask_zone_choices
            .iter()
            .map(|n| parse_zone("ask_zone_choices", n))
            .collect::<Result<Vec<_>, _>>()?;
        for text in [&raw.zone_choice.label, &raw.zone_choice.message] {
            check_placeholders(text, &["city", "zone", "time"])
                .map_err(|e| file_err(format!("zone_choice: {e}")))?;
        }

        // The rotation: principle entries of the named groups.
        let principles = core.intent(Intent::Principle);
        let mut rotation = Vec::new();
        for group in &raw.rotation_groups {
            let before = rotation.len();
            for (_, entry) in principles.group(group) {
                rotation.push(DailyText {
                    entry: format!("{}:{}", Intent::Principle, entry.id),
                    title: entry.title.clone().unwrap_or_default(),
                    blocks: entry.blocks.clone(),
                    sources: entry
                        .sources
                        .iter()
                        .map(|&i| source_ref(&core.sources[i]))
                        .collect(),
                });
            }
            if rotation.len() == before {
                return Err(file_err(format!(
                    "rotation_groups: group {group:?} has no entries in principle.toml"
                )));
            }
        }
        if rotation.len() < 2 {
            return Err(file_err(
                "rotation_groups: the rotation needs at least two entries, so no two days running are the same"
                    .into(),
            ));
        }

        let (series, month) = parse_month(month, core)?;
        Ok(ReminderContent {
            messages,
            series,
            month,
            rotation,
            time_format: raw.time_format,
            days,
            ask_zone_choices,
            zone_choice: raw.zone_choice,
            places,
            not_places: raw.not_places,
        })
    }

    /// A reminder-request reader that knows this content's place names.
    pub(crate) fn reader(&self) -> ReminderReader {
        ReminderReader::new(ZoneNames::new(&self.places, &self.not_places))
    }

    /// The text for local date `date`: in the series month, that day's message; otherwise a principle or
    /// dimension picked by the date (consecutive dates always differ).
    pub fn daily_text(&self, date: NaiveDate) -> &DailyText {
        if date.month() == self.month {
            &self.series[(date.day() as usize - 1).min(self.series.len() - 1)]
        } else {
            let day = date.num_days_from_ce().unsigned_abs() as usize;
            &self.rotation[day % self.rotation.len()]
        }
    }

    /// The whole reminder for local date `date`: the text of the day under its heading, then the line on
    /// how to stop.
    pub fn daily_reply(&self, date: NaiveDate) -> Reply {
        let text = self.daily_text(date);
        let in_series = date.month() == self.month;
        let intro = if in_series {
            self.message(
                "series",
                &Vars {
                    day: Some(date.day().to_string()),
                    days: Some(self.series.len().to_string()),
                    ..Vars::default()
                },
                Language::English,
            )
        } else {
            self.message("daily", &Vars::default(), Language::English)
        };
        let footer = self.message("footer", &Vars::default(), Language::English);
        let mut blocks = intro.0;
        blocks.push(Block {
            kind: crate::BlockKind::Heading,
            spans: vec![Span::Strong {
                text: text.title.clone(),
            }],
        });
        blocks.extend(text.blocks.iter().cloned());
        blocks.extend(footer.0);
        let mut sources = text.sources.clone();
        for s in intro.2.iter().chain(&footer.2) {
            if !sources.iter().any(|r| r.id == s.id) {
                sources.push(s.clone());
            }
        }
        Reply {
            intent: Intent::Reminder,
            urgent: false,
            overdose_now: false,
            language: Language::English,
            blocks,
            follow_ups: footer.1,
            meetings: Vec::new(),
            explanation: Explanation {
                intent: Intent::Reminder,
                rule: "reminders:daily".into(),
                entries: vec![text.entry.clone()],
                sources,
            },
        }
    }

    /// What `outcome` says to the person, at `now` (for "next: today, 8:00 AM"), in `language` where the message
    /// is translated into it, otherwise in English (the reply's `language` says which).
    pub fn say(
        &self,
        outcome: &ReminderOutcome,
        now: chrono::DateTime<chrono::Utc>,
        language: Language,
    ) -> Reply {
        let (id, time, zone, next, choices): (_, _, _, _, Option<&[Tz]>) = match outcome {
            ReminderOutcome::Reminder { done, reminder } => {
                let id = match done {
                    Done::Started => "started",
                    Done::StartedInDefaultZone => "started-default-zone",
                    Done::Changed => "changed",
                    Done::Resumed => "resumed",
                    Done::AlreadyActive => "already-active",
                    Done::Paused => "paused",
                    Done::AlreadyPaused => "already-paused",
                    Done::Shown => match reminder.state {
                        ReminderState::Active => "status-active",
                        ReminderState::Paused => "status-paused",
                        ReminderState::Blocked => "status-blocked",
                    },
                };
                let choices = (*done == Done::StartedInDefaultZone).then_some(&[][..]);
                let next = reminder.next.map(|at| (at, reminder.zone));
                (id, Some(reminder.time), Some(reminder.zone), next, choices)
            }
            ReminderOutcome::Question { ask, time, zone } => {
                let (id, choices): (&str, Option<&[Tz]>) = match ask {
                    Ask::Time => ("ask-time", None),
                    Ask::Zone => ("ask-zone", Some(&[])),
                    Ask::WhichZone(candidates) => ("ambiguous-zone", Some(candidates)),
                    Ask::UnknownZone => ("unknown-zone", Some(&[])),
                    Ask::BadTime => ("bad-time", None),
                };
                (id, *time, *zone, None, choices)
            }
            ReminderOutcome::NotSubscribed => ("not-subscribed", None, None, None, None),
            ReminderOutcome::Stopped => ("stopped", None, None, None, None),
            ReminderOutcome::Forgotten => ("forgotten", None, None, None, None),
            ReminderOutcome::GroupAdminsOnly => ("group-admins-only", None, None, None, None),
            ReminderOutcome::Help => ("help", None, None, None, None),
        };
        let language = self.language_of(id, language);
        let vars = Vars {
            time: time.map(|t| self.show_time(t)),
            zone: zone.map(|z| z.name().to_string()),
            next: next.map(|(at, zone)| self.show_next(at, zone, now, language)),
            ..Vars::default()
        };
        let (blocks, mut follow_ups, sources) = self.message(id, &vars, language);
        if let Some(zones) = choices {
            follow_ups.extend(self.zone_choices(zones, vars.time.as_deref()));
        }
        Reply {
            intent: Intent::Reminder,
            urgent: false,
            overdose_now: false,
            language,
            blocks,
            follow_ups,
            meetings: Vec::new(),
            explanation: Explanation {
                intent: Intent::Reminder,
                rule: format!("reminders:{id}"),
                entries: vec![format!("reminders:{id}")],
                sources,
            },
        }
    }

    /// `language` if message `id` is translated into it, otherwise English.
    fn language_of(&self, id: &'static str, language: Language) -> Language {
        if self.messages.contains_key(&(id, language)) {
            language
        } else {
            Language::English
        }
    }

    /// Message `id` in `language` (English, or one that [`ReminderContent::language_of`] found), filled in.
    fn message(
        &self,
        id: &'static str,
        vars: &Vars,
        language: Language,
    ) -> (Vec<Block>, Vec<FollowUp>, Vec<SourceRef>) {
        let m = &self.messages[&(id, language)];
        let blocks = m
            .blocks
            .iter()
            .map(|b| Block {
                kind: b.kind,
                spans: b.spans.iter().map(|s| fill_span(s, vars)).collect(),
            })
            .collect();
        let follow_ups = m
            .follow_ups
            .iter()
            .map(|f| FollowUp {
                label: fill(&f.label, vars),
                message: fill(&f.message, vars),
            })
            .collect();
        (blocks, follow_ups, m.sources.clone())
    }

    /// Buttons that answer "which zone?": one per zone, each sending the request again with that zone.
    fn zone_choices(&self, zones: &[Tz], time: Option<&str>) -> Vec<FollowUp> {
        let zones = if zones.is_empty() {
            &self.ask_zone_choices
        } else {
            zones
        };
        zones
            .iter()
            .map(|tz| {
                let vars = Vars {
                    time: time.map(str::to_string),
                    zone: Some(tz.name().to_string()),
                    ..Vars::default()
                };
                let with_city = |text: &str| fill(&text.replace("{city}", &city(*tz)), &vars);
                FollowUp {
                    label: with_city(&self.zone_choice.label),
                    message: with_city(&self.zone_choice.message),
                }
            })
            .collect()
    }

    /// A time of day as people read it (the content's `time_format`).
    fn show_time(&self, time: chrono::NaiveTime) -> String {
        time.format(&self.time_format).to_string()
    }

    /// When the next reminder comes, relative to the person's local today, in the words of `language`.
    fn show_next(
        &self,
        next: chrono::DateTime<chrono::Utc>,
        zone: Tz,
        now: chrono::DateTime<chrono::Utc>,
        language: Language,
    ) -> String {
        let words = self
            .days
            .get(&language)
            .unwrap_or(&self.days[&Language::English]);
        let local = next.with_timezone(&zone);
        let today = now.with_timezone(&zone).date_naive();
        let day = if local.date_naive() == today {
            words.today.clone()
        } else if Some(local.date_naive()) == today.succ_opt() {
            words.tomorrow.clone()
        } else {
            local.format(&words.date_format).to_string()
        };
        format!("{day}, {}", local.format(&self.time_format))
    }

    /// How many messages the series has.
    pub fn series_len(&self) -> usize {
        self.series.len()
    }
}

fn parse_month(text: &str, core: &Content) -> Result<(Vec<DailyText>, u32), ContentError> {
    let file = MONTH_FILE;
    let raw: MonthFile = parse_toml(file, text)?;
    let file_err = |message: String| file_error(file, message);
    let entry_err = |entry: &str, message: String| entry_error(file, entry, message);
    let first = NaiveDate::from_ymd_opt(2000, raw.month, 1)
        .ok_or_else(|| file_err(format!("month {} is not a month", raw.month)))?;
    let next_month = first
        .checked_add_months(chrono::Months::new(1))
        .expect("in range");
    let days = (next_month - first).num_days() as usize;
    let days = if raw.month == 2 { 29 } else { days };
    let mut series: Vec<Option<DailyText>> = vec![None; days];
    let mut ids = HashSet::new();
    for d in raw.day {
        if !ids.insert(d.id.clone()) {
            return Err(entry_err(&d.id, "the id is used twice".into()));
        }
        let index = (d.day as usize)
            .checked_sub(1)
            .filter(|&i| i < days)
            .ok_or_else(|| entry_err(&d.id, format!("day {} is not a day of the month", d.day)))?;
        if series[index].is_some() {
            return Err(entry_err(&d.id, format!("day {} has two messages", d.day)));
        }
        if d.title.trim().is_empty() {
            return Err(entry_err(&d.id, "the title is empty".into()));
        }
        let sources = resolve_sources(&d.source, core).map_err(|e| entry_err(&d.id, e))?;
        let blocks = crate::markup::parse(&d.text).map_err(|e| entry_err(&d.id, e))?;
        series[index] = Some(DailyText {
            entry: format!("recovery-month:{}", d.id),
            title: d.title,
            blocks,
            sources,
        });
    }
    let missing: Vec<String> = series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !missing.is_empty() {
        return Err(file_err(format!(
            "one message per day is needed; days without one: {}",
            missing.join(", ")
        )));
    }
    Ok((series.into_iter().flatten().collect(), raw.month))
}

fn resolve_sources(ids: &OneOrMany, core: &Content) -> Result<Vec<SourceRef>, String> {
    let ids: Vec<&String> = ids.iter().collect();
    if ids.is_empty() {
        return Err("`source` is empty: every message names its source".into());
    }
    ids.into_iter()
        .map(|id| {
            core.sources
                .iter()
                .find(|s| &s.id == id)
                .map(source_ref)
                .ok_or_else(|| format!("source {id:?} is not in sources.toml"))
        })
        .collect()
}

fn source_ref(s: &crate::content::Source) -> SourceRef {
    SourceRef {
        id: s.id.clone(),
        title: s.title.clone(),
        file: s.file.clone(),
    }
}

/// Checks that every `{name}` in `text` is one of `allowed`.
fn check_placeholders(text: &str, allowed: &[&str]) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("a {{ without }} in {text:?}"))?;
        let name = &after[..close];
        if !allowed.contains(&name) {
            return Err(if allowed.is_empty() {
                format!("placeholder {{{name}}} is not available here (none are)")
            } else {
                format!(
                    "placeholder {{{name}}} is not available here; use {}",
                    allowed
                        .iter()
                        .map(|a| format!("{{{a}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Fills a one-line text (a follow-up's label or message); a missing value leaves no double space
/// (`/remind {time} Europe/London` without a time is `/remind Europe/London`).
fn fill(text: &str, vars: &Vars) -> String {
    fill_inline(text, vars)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn fill_span(span: &Span, vars: &Vars) -> Span {
    match span {
        Span::Text { text } => Span::Text {
            text: fill_inline(text, vars),
        },
        Span::Strong { text } => Span::Strong {
            text: fill_inline(text, vars),
        },
        Span::Link {
            text,
            target,
            strong,
        } => Span::Link {
            text: fill_inline(text, vars),
            target: target.clone(),
            strong: *strong,
        },
    }
}

/// Fills placeholders inside running text, keeping its spaces (a span may start or end with one).
fn fill_inline(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(vars.get(&after[..close]));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn iter(&self) -> impl Iterator<Item = &String> {
        let slice: &[String] = match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        };
        slice.iter()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemindersFile {
    rotation_groups: Vec<String>,
    time_format: String,
    date_format: String,
    today: String,
    tomorrow: String,
    ask_zone_choices: Vec<String>,
    zone_choice: FollowUp,
    #[serde(default)]
    not_places: Vec<String>,
    #[serde(default)]
    places: BTreeMap<String, OneOrMany>,
    /// `[languages.es]`: the day words of a translation.
    #[serde(default)]
    languages: BTreeMap<String, DayWords>,
    message: Vec<RawMessage>,
}

/// How the day of the next reminder reads: "today", "tomorrow", or a date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayWords {
    date_format: String,
    today: String,
    tomorrow: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    id: String,
    /// A translation of the English message of the same id (`es`); English when absent.
    #[serde(default)]
    language: Option<String>,
    source: OneOrMany,
    text: String,
    #[serde(default)]
    follow_ups: Vec<FollowUp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonthFile {
    month: u32,
    day: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    day: u32,
    id: String,
    title: String,
    source: OneOrMany,
    text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Content {
        Content::embedded().unwrap()
    }

    #[test]
    fn embedded_content_is_valid_and_complete() {
        let content = ReminderContent::embedded(&core()).unwrap();
        assert_eq!(content.series_len(), 30);
        assert!(content.rotation.len() >= 10);
    }

    #[test]
    fn september_is_the_series_and_no_two_days_running_are_the_same() {
        let content = ReminderContent::embedded(&core()).unwrap();
        let mut date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut previous = content.daily_reply(date.pred_opt().unwrap());
        let mut series_days = 0;
        while date.year() < 2028 {
            let reply = content.daily_reply(date);
            assert_ne!(
                reply.blocks, previous.blocks,
                "{date} repeats the day before"
            );
            assert_ne!(
                reply.explanation.entries, previous.explanation.entries,
                "{date}"
            );
            assert!(!reply.explanation.sources.is_empty());
            let last = reply.blocks.last().unwrap();
            assert!(
                reply
                    .plain_text()
                    .ends_with(&crate::reply::render_plain(std::slice::from_ref(last))),
                "every reminder ends with the footer"
            );
            if date.month() == 9 {
                series_days += 1;
                assert_eq!(
                    reply.explanation.entries[0],
                    content.series[date.day() as usize - 1].entry
                );
            } else {
                assert!(reply.explanation.entries[0].starts_with("principle:"));
            }
            previous = reply;
            date = date.succ_opt().unwrap();
        }
        assert_eq!(series_days, 60);
    }

    #[test]
    fn every_series_message_cites_a_seed() {
        let content = ReminderContent::embedded(&core()).unwrap();
        for day in &content.series {
            assert!(
                day.sources.iter().any(|s| s.id.starts_with("seed-")),
                "{} cites no seed",
                day.entry
            );
        }
    }

    fn error(reminders: &str, month: &str) -> String {
        match ReminderContent::from_texts(reminders, month, &core()) {
            Ok(_) => panic!("the content was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_the_file_and_the_entry() {
        let bad_source =
            EMBEDDED_MONTH.replacen("source = [\"seed-001\"", "source = [\"seed-999\"", 1);
        let err = error(EMBEDDED_REMINDER_REPLIES, &bad_source);
        assert!(err.starts_with("recovery-month.toml: entry"), "{err}");
        assert!(err.contains("seed-999"), "{err}");

        let bad_placeholder = EMBEDDED_REMINDER_REPLIES.replacen(
            "every day at {time}, {zone} time. The first",
            "at {tiem}",
            1,
        );
        let err = error(&bad_placeholder, EMBEDDED_MONTH);
        assert!(err.starts_with("reminder-replies.toml: entry"), "{err}");
        assert!(err.contains("{tiem}"), "{err}");

        let bad_zone = EMBEDDED_REMINDER_REPLIES.replacen("America/Chicago", "America/Chicagoo", 1);
        let err = error(&bad_zone, EMBEDDED_MONTH);
        assert!(err.contains("America/Chicagoo"), "{err}");

        let missing_day = EMBEDDED_MONTH.replacen("day = 17\n", "day = 16\n", 1);
        let err = error(EMBEDDED_REMINDER_REPLIES, &missing_day);
        assert!(err.starts_with("recovery-month.toml"), "{err}");
        assert!(err.contains("day 16 has two messages"), "{err}");

        let no_footer = EMBEDDED_REMINDER_REPLIES.replacen("id = \"footer\"", "id = \"fotter\"", 1);
        let err = error(&no_footer, EMBEDDED_MONTH);
        assert!(
            err.contains("fotter") && err.contains("unknown message id"),
            "{err}"
        );

        let bad_group = EMBEDDED_REMINDER_REPLIES.replacen("\"dimensions\"]", "\"dimensionz\"]", 1);
        let err = error(&bad_group, EMBEDDED_MONTH);
        assert!(err.contains("dimensionz"), "{err}");

        let bad_language = EMBEDDED_REMINDER_REPLIES.replacen(
            "id = \"stopped\"\nlanguage = \"es\"",
            "id = \"stopped\"\nlanguage = \"xx\"",
            1,
        );
        let err = error(&bad_language, EMBEDDED_MONTH);
        assert!(err.contains("unknown language \"xx\""), "{err}");

        let twice = format!(
            "{EMBEDDED_REMINDER_REPLIES}\n[[message]]\nid = \"stopped\"\nlanguage = \"es\"\nsource = [\"bot\"]\ntext = \"Parados.\"\n"
        );
        let err = error(&twice, EMBEDDED_MONTH);
        assert!(err.contains("used twice in es"), "{err}");
    }

    fn text_of(reply: &Reply) -> String {
        reply
            .blocks
            .iter()
            .flat_map(|b| &b.spans)
            .map(|span| match span {
                Span::Text { text } | Span::Strong { text } => text.as_str(),
                _ => "",
            })
            .collect()
    }

    #[test]
    fn a_translated_reply_is_in_the_language_asked_and_the_rest_in_english() {
        let content = ReminderContent::embedded(&core()).unwrap();
        let now = chrono::Utc::now();
        let english = content.say(&ReminderOutcome::Stopped, now, Language::English);
        let spanish = content.say(&ReminderOutcome::Stopped, now, Language::Spanish);
        assert_eq!(spanish.language, Language::Spanish);
        assert_eq!(spanish.explanation.entries, english.explanation.entries);
        assert_ne!(text_of(&spanish), text_of(&english));
        // Every reply to a request has a Spanish translation; only the daily message's frame has not.
        for (id, _) in MESSAGES {
            let translated = content.language_of(id, Language::Spanish) == Language::Spanish;
            assert_eq!(
                translated,
                !matches!(id, "daily" | "series" | "footer"),
                "{id}"
            );
        }

        let zone: Tz = "America/Mexico_City".parse().unwrap();
        let tomorrow = now + chrono::Duration::days(1);
        let next = content.show_next(tomorrow, zone, now, Language::Spanish);
        assert!(next.starts_with("mañana, "), "{next}");
        let next = content.show_next(tomorrow, zone, now, Language::English);
        assert!(next.starts_with("tomorrow, "), "{next}");
    }

    #[test]
    fn placeholders_are_filled() {
        let vars = Vars {
            time: Some("08:00".into()),
            zone: Some("Europe/London".into()),
            ..Vars::default()
        };
        assert_eq!(
            fill("/remind {time} {zone}", &vars),
            "/remind 08:00 Europe/London"
        );
        assert_eq!(fill("/remind {time} {zone}", &Vars::default()), "/remind");
        assert_eq!(fill_inline(" at {time} ", &vars), " at 08:00 ");
    }
}
