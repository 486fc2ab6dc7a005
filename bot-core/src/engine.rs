//! The bot: text and context in, a reply out.

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use meetings::{Catalog, Coordinates, Tz};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

use crate::classify::{Classifier, Decision, Matched, Precision, Rules, lexicon};
use crate::content::{Command, Content, ContentError, Entry};
use crate::country::{Country, CountryCode};
use crate::intent::Intent;
use crate::language::Language;
use crate::meeting_answer;
use crate::model::{Label, Scores};
use crate::normalize::Normalizer;
use crate::reminder::{ReminderAction, ReminderOutcome, ReminderReader};
use crate::reminder_content::ReminderContent;
use crate::reply::{Block, BlockKind, Explanation, FollowUp, Reply, SourceRef};
use crate::service::Menu;

/// Where a message comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[default]
    Terminal,
    Telegram,
    Discord,
}

/// A private conversation or a group.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    #[default]
    Direct,
    Group,
}

/// What the core knows besides the text. Adapters fill it in; nothing in it is the person's words.
#[derive(Debug, Clone)]
pub struct ChatContext {
    pub platform: Platform,
    pub chat: ChatKind,
    /// The moment the message is answered: meeting searches start from it.
    pub now: DateTime<Utc>,
    /// The person's time zone, when they set one (for reminders): meeting times are shown in it too.
    pub zone: Option<Tz>,
    /// The person's local date (or the server's): picks the principle of the day.
    pub today: NaiveDate,
    /// A location the person shared: meetings nearest to it first.
    pub location: Option<Coordinates>,
    /// The meeting feeds to search; without them, meeting questions get the directories from the seeds.
    pub meetings: Option<Arc<Catalog>>,
    /// The previous reply in this conversation was a crisis or overdose-now reply: small talk now gets a gentle
    /// reminder of the crisis lines, never a cheerful change of subject.
    pub after_crisis: bool,
    /// Where the person is, when known (they said so earlier, the operator's default): a crisis reply gives that
    /// country's lines. `None` and the US give the US lines.
    pub country: Option<CountryCode>,
    /// The language the person chose (`/language es`, or the operator's default): answers are in it where the
    /// content has them, whatever the message is written in.
    pub language: Option<Language>,
    /// The language the platform says the person uses (Telegram's `language_code`, Discord's locale): answers
    /// are in it when the message's own words do not tell.
    pub language_hint: Option<Language>,
}

impl ChatContext {
    /// A direct conversation on `platform` on `today` (at noon UTC), with no meeting feeds.
    pub fn new(platform: Platform, today: NaiveDate) -> Self {
        let noon = today.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
        ChatContext::at(platform, noon, None)
    }

    /// A direct conversation on `platform` at `now`, for a person in `zone` (their local date picks the
    /// principle of the day; UTC's when no zone is known).
    pub fn at(platform: Platform, now: DateTime<Utc>, zone: Option<Tz>) -> Self {
        let today = zone.map_or(now.date_naive(), |tz| now.with_timezone(&tz).date_naive());
        ChatContext {
            platform,
            chat: ChatKind::Direct,
            now,
            zone,
            today,
            location: None,
            meetings: None,
            after_crisis: false,
            country: None,
            language: None,
            language_hint: None,
        }
    }

    /// The same context, searching these meeting feeds.
    pub fn with_meetings(mut self, meetings: Arc<Catalog>) -> Self {
        self.meetings = Some(meetings);
        self
    }

    /// Carries what the next message needs from a reply: after a crisis reply, small talk keeps getting the
    /// crisis lines until the conversation moves on to something else.
    pub fn remember(&mut self, reply: &Reply) {
        self.after_crisis = reply.urgent || (self.after_crisis && reply.intent == Intent::Other);
    }
}

/// The intent of one message, without building a reply (for `classify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub intent: Intent,
    pub urgent: bool,
    /// An overdose happening now is part of the answer (alone, or after a crisis).
    pub overdose_now: bool,
}

impl Classification {
    /// Someone is at risk: the crisis reply.
    pub fn crisis() -> Self {
        Classification {
            intent: Intent::Crisis,
            urgent: true,
            overdose_now: false,
        }
    }

    /// An overdose or poisoning happening now.
    pub fn overdose_now() -> Self {
        Classification {
            intent: Intent::Overdose,
            urgent: true,
            overdose_now: true,
        }
    }

    /// A crisis or an overdose happening now: nothing can raise it further.
    pub fn emergency(&self) -> bool {
        self.intent == Intent::Crisis || self.overdose_now
    }

    fn other() -> Self {
        Classification {
            intent: Intent::Other,
            urgent: false,
            overdose_now: false,
        }
    }
}

/// The model's probabilities at which it raises a message to an urgent reply.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Someone at risk (the writer or another person).
    pub crisis: f32,
    /// An overdose or poisoning happening now.
    pub overdose_now: f32,
}

impl Thresholds {
    /// The model's probability at which it raises a message it has little to read in, a command's words or a
    /// single word (whose few character n-grams reach the crisis threshold on their own: "status", "idk", "bye"),
    /// or one that a reminder rule read (an action on the person's own data: "forget everything about me" reads
    /// 0.06 crisis).
    pub const OVER_LITTLE_TO_READ: f32 = 0.2;
    /// Below this probability of any emergency, the model overrules an emergency rule: the phrase was a joke,
    /// a story or someone else's news ("my mom's gonna kill me lol", "lost my buddy to suicide in 2015"). In
    /// cross-validation, 0.01 took about a seventh of the false crisis replies away at the same recall (BENCHMARKS.md).
    pub const RULE_FLOOR: f32 = 0.01;
    /// When no rule matched, the model's probability at which it chooses a meeting search, a principle,
    /// overdose information or a reminder (whose answer then only explains how to ask: nothing is stored on
    /// the model's word). Cross-validated 6-way accuracy on train: 0.896 at 0.85, 0.900 at 0.6, 0.901 at 0.4
    /// (crisis figures unchanged).
    pub const CHOOSE_AN_INTENT: f32 = 0.4;
}

/// What the rules said of a message: with the model's scores, what [`Core::combine`] decides from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RulesReading {
    /// The rules' answer.
    pub said: Classification,
    /// Only rules the model may overrule found an emergency.
    pub overrulable: bool,
    /// Their answer without the rules of an emergency: what stands when the model overrules them.
    pub without_emergency: Classification,
    /// No rule matched (besides those the model overrules, and `weak` ones): the model may choose a non-urgent
    /// intent.
    pub silent: bool,
    /// A command's words or a single word: the model raises them only at [`Thresholds::OVER_LITTLE_TO_READ`].
    pub little_to_read: bool,
    /// The rules' crisis is told as a story that is over (`[past_story]`): the model overrules every crisis rule
    /// when it reads no one at risk, at its own thresholds.
    pub past_story: bool,
}

/// What the learned scorer said of one message, for `--explain`. Holds pieces of the message: show it to the
/// person who asked, never log it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelView {
    /// Each label's probability, in [`Label::ALL`] order.
    pub probabilities: Vec<(Label, f32)>,
    pub thresholds: Thresholds,
    /// The features that weighed most for the model's leading label, with their weight.
    pub top_features: Vec<(String, f32)>,
    /// The label those features were weighed for.
    pub leading: Label,
}

/// The bot's core: compiled rules over validated content.
pub struct Core {
    content: Content,
    normalizer: Normalizer,
    classifier: Classifier,
    reminders: ReminderContent,
    reminder_reader: ReminderReader,
}

/// A message as the bot understood it: the answer from content, and what it asks of the chat's reminder
/// (which the app applies, and answers with [`ReminderContent::say`] instead).
#[derive(Debug, Clone)]
pub struct Understood {
    pub reply: Reply,
    pub reminder: Option<ReminderAction>,
    /// The country the message says the person is in ("I'm in the UK"), for the conversation to remember.
    pub country: Option<CountryCode>,
    /// The language the person chose (`/language es`), for the conversation to remember.
    pub language: Option<Language>,
}

/// A message as the rules and the model read it.
struct Reading {
    matched: Matched,
    /// What the rules alone say.
    rules: Classification,
    /// When only rules the model may overrule found an emergency: the match without the rules of an
    /// emergency, which stands if the model overrules them (see [`Core::combine`]).
    everyday: Option<Matched>,
    /// The rules' crisis is told as a story that is over.
    past_story: bool,
    /// The message is one word ("idk", "status"; as written, before shorthand is spelled out).
    one_word: bool,
    scores: Scores,
    /// The normalised text without idioms (with `Precision::Entry` only).
    text: String,
    /// The country the message names (with `Precision::Entry` only).
    country: Option<CountryCode>,
    /// The language it is written in, when its words tell (with `Precision::Entry` only).
    language: Option<Language>,
}

/// How a route's rule names the model when the model, not a rule, chose the intent (`model:crisis`).
const MODEL_RULE: &str = "model:";

/// Why a message got the answer it got, before the answer is built.
struct Route<'t> {
    intent: Intent,
    rule: String,
    entries: Vec<(Intent, usize)>,
    /// The words a meeting search reads: the message, or a command's words without `/name@bot`.
    query: &'t str,
    /// The language the message is written in, when its words tell.
    written_in: Option<Language>,
    /// The language the message chooses (`/language es`), for the conversation to remember.
    chosen_language: Option<Language>,
    /// The country the message names.
    named_country: Option<CountryCode>,
    /// Outside the US: the country whose lines the crisis entries give.
    abroad: Option<CountryCode>,
}

impl Core {
    /// Compiles `content` into a bot, with the embedded reminder content.
    pub fn new(content: Content) -> Result<Core, ContentError> {
        let reminders = ReminderContent::embedded(&content)?;
        Core::with_reminders(content, reminders)
    }

    /// The bot over an operator's copy of `intents/` (`--content DIR`).
    pub fn from_dir(dir: &Path) -> Result<Core, ContentError> {
        let content = Content::from_dir(dir)?;
        let reminders = ReminderContent::from_dir(dir, &content)?;
        Core::with_reminders(content, reminders)
    }

    fn with_reminders(content: Content, reminders: ReminderContent) -> Result<Core, ContentError> {
        let classifier = Classifier::new(&content)?;
        let normalizer = Normalizer::new(content.normalize.shorthand.clone(), lexicon(&content))
            .with_emoji(content.normalize.emoji.clone());
        Ok(Core {
            content,
            normalizer,
            classifier,
            reminder_reader: reminders.reader(),
            reminders,
        })
    }

    /// The bot with the content compiled into the binary.
    pub fn embedded() -> Result<Core, ContentError> {
        Core::new(Content::embedded()?)
    }

    /// The loaded content.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// What reminders say: replies, the daily message and the Recovery Month series.
    pub fn reminder_content(&self) -> &ReminderContent {
        &self.reminders
    }

    /// What a reminder request came to, said in `language` where the reply is translated into it; otherwise
    /// the English reply follows the notice that says so in `language` (with the crisis line).
    pub fn say_reminder(
        &self,
        outcome: &ReminderOutcome,
        now: DateTime<Utc>,
        language: Language,
    ) -> Reply {
        let mut reply = self.reminders.say(outcome, now, language);
        if reply.language != language {
            let notice =
                &self.content.intent(Intent::Other).entries[self.language_notice(language)];
            reply.blocks.splice(0..0, entry_blocks(notice));
            reply.language = language;
        }
        reply
    }

    /// Every command, for the platforms' command menus.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.content.commands()
    }

    /// The commands and principle titles, for the platforms' menus.
    pub fn menu(&self) -> Menu {
        Menu {
            commands: self.commands().cloned().collect(),
            principles: self
                .content
                .intent(Intent::Principle)
                .entries
                .iter()
                .filter_map(|e| e.title.clone())
                .collect(),
            notices: self.content.notices.clone(),
        }
    }

    /// A known command at the start of `text` (`/meeting@some_bot tonight`), and the words after it.
    fn command<'t>(&self, text: &'t str) -> Option<(&Command, &'t str)> {
        let rest = text.trim_start().strip_prefix('/')?;
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        let (word, words) = rest.split_at(end);
        let name = word.split_once('@').map_or(word, |(name, _bot)| name);
        let command = self
            .commands()
            .find(|c| c.name.eq_ignore_ascii_case(name))?;
        Some((command, words))
    }

    /// Normalises `text`, blanks its idioms, matches the rules and scores it with the model; `None` when no
    /// word is left.
    fn read(&self, text: &str, precision: Precision) -> Option<Reading> {
        let normalized = self.normalizer.normalize(text);
        if normalized.is_empty() {
            return None;
        }
        let one_word = text.split_whitespace().nth(1).is_none();
        let stripped = self.classifier.strip_idioms(&normalized);
        let matches = self.classifier.matches(&stripped);
        let decide = |rules| {
            self.classifier
                .classify(&self.content, &stripped, &matches, precision, rules)
        };
        let matched = decide(Rules::All);
        let rules = self.rules_classification(matched);
        let past_story = rules.intent == Intent::Crisis
            && !rules.overdose_now
            && self.classifier.past_story(&stripped);
        let overrulable = rules.emergency()
            && (past_story || !self.rules_classification(decide(Rules::Strict)).emergency());
        let everyday = overrulable.then(|| decide(Rules::Everyday));
        // Past a crisis that no model can overrule, the scores only choose between crisis answers. (An overdose
        // happening now still needs them: the model may read a crisis in it too.)
        let scores =
            if rules.intent == Intent::Crisis && !overrulable && precision == Precision::Intent {
                Scores::certain(Label::Crisis)
            } else {
                self.content.model.score(&stripped)
            };
        let (text, language, country) = match precision {
            Precision::Entry => (
                stripped.into_owned(),
                self.content.language.detect(&normalized),
                self.content.countries.named_in(&normalized),
            ),
            Precision::Intent => (String::new(), None, None),
        };
        Some(Reading {
            one_word,
            matched,
            rules,
            everyday,
            past_story,
            scores,
            text,
            country,
            language,
        })
    }

    /// What the rules said of a reading, for [`Core::combine`].
    fn rules_reading(&self, reading: &Reading, command: bool) -> RulesReading {
        RulesReading {
            said: reading.rules,
            overrulable: reading.everyday.is_some(),
            without_emergency: reading
                .everyday
                .map_or(reading.rules, |m| self.rules_classification(m)),
            silent: reading
                .everyday
                .unwrap_or(reading.matched)
                .decision
                .is_none_or(|d| self.content.intent(d.intent).rules[d.rule].weak),
            little_to_read: command || reading.one_word,
            past_story: reading.past_story,
        }
    }

    /// The text the model reads: normalised, idioms blanked out.
    pub fn model_input(&self, text: &str) -> String {
        let normalized = self.normalizer.normalize(text);
        self.classifier.strip_idioms(&normalized).into_owned()
    }

    /// The model's probabilities for a message.
    pub fn scores(&self, text: &str) -> Scores {
        self.content.model.score(&self.model_input(text))
    }

    /// The thresholds the model raises urgency at.
    pub fn thresholds(&self) -> Thresholds {
        let header = self.content.model.header();
        Thresholds {
            crisis: header.crisis_threshold,
            overdose_now: header.overdose_now_threshold,
        }
    }

    /// The model's view of a message, for `--explain`.
    pub fn explain_model(&self, text: &str) -> ModelView {
        let input = self.model_input(text);
        let scores = self.content.model.score(&input);
        let leading = scores.best();
        ModelView {
            probabilities: Label::ALL.iter().map(|l| (*l, scores.of(*l))).collect(),
            thresholds: self.thresholds(),
            top_features: self.content.model.top_features(&input, leading, 6),
            leading,
        }
    }

    /// Rules and model together, safety first: the model raises a message to a crisis or an overdose happening
    /// now, and leaves the rules' other intents alone.
    ///
    /// - an overdose happening now that the rules found is also a crisis when the model's probability of
    ///   someone at risk reaches its threshold and is above its probability of an overdose (both answers);
    /// - an emergency the rules found stands, unless only rules marked `overrulable` found it and the model is
    ///   all but sure that nobody is at risk (below [`Thresholds::RULE_FLOOR`]), or the rules' crisis is told as
    ///   a story that is over and the model reads no one at risk at its own thresholds: then the rules' other
    ///   reading stands;
    /// - overdose now if the model's probability of it reaches its threshold and is above its probability of a
    ///   crisis;
    /// - crisis if the model's probability of someone at risk reaches its threshold (and overdose now as well
    ///   when that probability reaches its own: both answers, the crisis lines first);
    /// - when no rule matched (or only `weak` ones), the intent the model is sure enough of
    ///   ([`Thresholds::CHOOSE_AN_INTENT`]): a meeting search, a principle, overdose information, a reminder, or
    ///   everyday talk over a weak rule's reading.
    ///
    /// The same thresholds hold when a rule read a meeting search, a principle or overdose information ("is there
    /// a meeting near the bridge? i'm standing on it"): a higher bar there (0.2) cost 0.4 points of
    /// cross-validated false crisis at the same recall, with folds by writer (BENCHMARKS.md). A command's words,
    /// a single word and a reminder rule's reading need [`Thresholds::OVER_LITTLE_TO_READ`].
    pub fn combine(rules: RulesReading, scores: &Scores, t: Thresholds) -> Classification {
        if rules.said.emergency() && !(rules.overrulable && Core::overrules(&rules, scores, t)) {
            // An overdose happening now that the model reads as someone at risk ("took all my pills on
            // purpose"): the crisis lines too, before the overdose steps.
            if rules.said.intent == Intent::Overdose
                && scores.crisis() >= t.crisis
                && scores.crisis() > scores.of(Label::OverdoseNow)
            {
                return Classification {
                    overdose_now: true,
                    ..Classification::crisis()
                };
            }
            return rules.said;
        }
        let t = if rules.little_to_read || rules.without_emergency.intent == Intent::Reminder {
            Thresholds {
                crisis: t.crisis.max(Thresholds::OVER_LITTLE_TO_READ),
                overdose_now: t.overdose_now.max(Thresholds::OVER_LITTLE_TO_READ),
            }
        } else {
            t
        };
        let overdose_now = scores.of(Label::OverdoseNow);
        if overdose_now >= t.overdose_now && overdose_now >= scores.crisis() {
            return Classification::overdose_now();
        }
        if scores.crisis() >= t.crisis {
            return Classification {
                overdose_now: overdose_now >= t.overdose_now,
                ..Classification::crisis()
            };
        }
        let best = scores.best();
        if rules.silent
            && matches!(
                best,
                Label::Overdose
                    | Label::Meeting
                    | Label::Principle
                    | Label::Reminder
                    | Label::Other
            )
            && scores.of(best) >= Thresholds::CHOOSE_AN_INTENT
        {
            return Classification {
                intent: best.intent(),
                urgent: false,
                overdose_now: false,
            };
        }
        rules.without_emergency
    }

    /// Whether the model is sure enough that nobody is at risk to overrule an emergency rule: below
    /// [`Thresholds::RULE_FLOOR`], or, for a crisis told as a story that is over, below the thresholds at which it
    /// would raise an emergency itself.
    fn overrules(rules: &RulesReading, scores: &Scores, t: Thresholds) -> bool {
        if rules.past_story {
            scores.crisis() < t.crisis && scores.of(Label::OverdoseNow) < t.overdose_now
        } else {
            scores.crisis() + scores.of(Label::OverdoseNow) < Thresholds::RULE_FLOOR
        }
    }

    /// What the rules alone say of a message (for measuring them, and for [`Core::combine`] with other scores).
    pub fn classify_by_rules(&self, text: &str) -> RulesReading {
        let (said, command) = match self.command(text) {
            Some((command, words)) => (self.command_classification(command, words), true),
            None => match self.read(text, Precision::Intent) {
                Some(reading) => return self.rules_reading(&reading, false),
                None => (Classification::other(), false),
            },
        };
        RulesReading {
            said,
            overrulable: false,
            without_emergency: said,
            silent: false,
            little_to_read: command,
            past_story: false,
        }
    }

    fn rules_classification(&self, matched: Matched) -> Classification {
        match matched {
            Matched {
                decision: Some(d),
                overdose_now,
            } => {
                let urgent = self.content.intent(d.intent).entries[d.entry].urgent;
                Classification {
                    intent: d.intent,
                    urgent,
                    overdose_now: overdose_now.is_some()
                        || (d.intent == Intent::Overdose && urgent),
                }
            }
            _ => Classification::other(),
        }
    }

    /// The intent of a message and whether it is urgent: rules and model together.
    pub fn classify(&self, text: &str) -> Classification {
        if let Some((command, words)) = self.command(text) {
            return self.command_classification(command, words);
        }
        match self.read(text, Precision::Intent) {
            Some(reading) => Core::combine(
                self.rules_reading(&reading, false),
                &reading.scores,
                self.thresholds(),
            ),
            None => Classification::other(),
        }
    }

    fn command_classification(&self, command: &Command, words: &str) -> Classification {
        let route = self.route_command(command, words);
        let urgent_entry =
            |(intent, entry): &(Intent, usize)| self.content.intent(*intent).entries[*entry].urgent;
        Classification {
            intent: route.intent,
            urgent: route.entries.iter().any(urgent_entry),
            overdose_now: route
                .entries
                .iter()
                .any(|e| e.0 == Intent::Overdose && urgent_entry(e)),
        }
    }

    /// Answers one message.
    pub fn respond(&self, text: &str, context: &ChatContext) -> Reply {
        self.understand(text, context).reply
    }

    /// Answers one message, and reads what it asks of the chat's reminder.
    pub fn understand(&self, text: &str, context: &ChatContext) -> Understood {
        let (route, language) = self.route(text, context);
        let reminders = self.content.intent(Intent::Reminder);
        // A reminder that only the model read ("ponme el mensaje de buenos días a las 6"): how to ask, and
        // nothing stored or changed on its word.
        let chosen_by_model = route.rule.starts_with(MODEL_RULE);
        let reminder = (route.intent == Intent::Reminder)
            .then(|| route.entries.iter().find(|(i, _)| *i == Intent::Reminder))
            .flatten()
            .map(|&(_, entry)| {
                let action = self
                    .reminder_reader
                    .read(text, &reminders.entries[entry].id);
                if chosen_by_model && action.changes() {
                    ReminderAction::Help
                } else {
                    action
                }
            });
        Understood {
            country: route.named_country,
            language: route.chosen_language,
            reply: self.build(route, context, language),
            reminder,
        }
    }

    /// The answer's entries, and the language to give them in: the one this message chooses (`/language es`),
    /// else the one the person chose, else the one the message is written in, else the platform's, else English.
    fn route<'t>(&self, text: &'t str, context: &ChatContext) -> (Route<'t>, Language) {
        let mut route = match self.command(text) {
            Some((command, words)) => self.route_command(command, words),
            None => {
                let other = self.content.intent(Intent::Other);
                let mut route = match self.read(text, Precision::Entry) {
                    None => Route {
                        intent: Intent::Other,
                        rule: "other:empty-input".into(),
                        entries: vec![(
                            Intent::Other,
                            other.empty_entry.expect("validated at load"),
                        )],
                        query: text,
                        written_in: None,
                        chosen_language: None,
                        named_country: None,
                        abroad: None,
                    },
                    Some(reading) => Route {
                        named_country: reading.country,
                        ..self.route_reading(&reading, false, text)
                    },
                };
                // Right after a crisis reply, anything that is not about something else keeps the lines in
                // view.
                if route.intent == Intent::Other && context.after_crisis {
                    route.entries = vec![(
                        Intent::Other,
                        other.after_crisis_entry.expect("validated at load"),
                    )];
                }
                route
            }
        };
        let language = route
            .chosen_language
            .or(context.language)
            .or(route.written_in)
            .or(context.language_hint)
            .unwrap_or_default();
        self.localise(&mut route, context);
        self.translate(&mut route, language);
        (route, language)
    }

    /// Outside the US (the country the message names, else the one the context knows), crisis answers give the
    /// country's lines: each entry with an `abroad` variant takes it.
    fn localise(&self, route: &mut Route<'_>, context: &ChatContext) {
        let Some(code) = route.named_country.or(context.country) else {
            return;
        };
        if self.content.countries.get(code).is_none() {
            return;
        }
        for (intent, entry) in &mut route.entries {
            if let Some(abroad) = self.content.intent(*intent).entries[*entry].abroad {
                *entry = abroad;
                route.abroad = Some(code);
            }
        }
    }

    /// Answers in `language` where the content has the answer in it. An answer that is not urgent and has
    /// no translation is given as it is, after a notice in that language (which carries the crisis line).
    fn translate(&self, route: &mut Route<'_>, language: Language) {
        if language == Language::English {
            return;
        }
        let mut translated = false;
        let mut urgent = false;
        for (intent, entry) in &mut route.entries {
            let file = self.content.intent(*intent);
            let chosen = file.entries[*entry].in_language(*entry, language);
            translated |= chosen != *entry;
            urgent |= file.entries[chosen].urgent;
            *entry = chosen;
        }
        if !translated && !urgent {
            route
                .entries
                .insert(0, (Intent::Other, self.language_notice(language)));
        }
    }

    /// The `other.toml` entry that says, in `language`, that the answer after it is in English.
    fn language_notice(&self, language: Language) -> usize {
        let other = self.content.intent(Intent::Other);
        let notice = other.language_notice_entry.expect("validated at load");
        other.entries[notice].in_language(notice, language)
    }

    /// The intent and entries of a message: the rules' answer, raised by the model when it finds someone at
    /// risk or an overdose happening now that no rule saw (see [`Core::combine`]). With a crisis, an overdose
    /// happening now as well.
    fn route_reading<'t>(&self, reading: &Reading, command: bool, query: &'t str) -> Route<'t> {
        let rules_reading = self.rules_reading(reading, command);
        let combined = Core::combine(rules_reading, &reading.scores, self.thresholds());
        let Reading {
            matched,
            everyday,
            scores,
            text,
            language,
            ..
        } = reading;
        let language = *language;
        // The rules' reading that stands: all of them, or all but the emergency rules the model overruled.
        let overruled = everyday.filter(|_| !combined.emergency());
        let (matched, rules) = match overruled {
            Some(everyday) => (everyday, rules_reading.without_emergency),
            None => (*matched, rules_reading.said),
        };
        let crisis = self.content.intent(Intent::Crisis);
        // Worked out only for a crisis answer: danger right now (a topic of an urgent crisis entry) comes
        // before whose life it is.
        let crisis_entry = || {
            let danger = self
                .classifier
                .best_topic_where(Intent::Crisis, text, |e| crisis.entries[e].urgent);
            match danger {
                Some(entry) => entry,
                None if scores.of(Label::CrisisOther) > scores.of(Label::Crisis) => {
                    crisis.someone_else_entry.expect("validated at load")
                }
                None => crisis.default_entry,
            }
        };
        // Likewise for an overdose happening now that the model read: the urgent overdose entry its topic names.
        let overdose_now_entry = || {
            let overdose = self.content.intent(Intent::Overdose);
            self.classifier
                .best_topic_where(Intent::Overdose, text, |e| overdose.entries[e].urgent)
                .unwrap_or_else(|| overdose.now_entry.expect("validated at load"))
        };
        if combined != rules {
            let intent = combined.intent;
            let (entry, label) = if intent == Intent::Crisis {
                (crisis_entry(), Label::Crisis)
            } else if combined.overdose_now {
                (overdose_now_entry(), Label::OverdoseNow)
            } else {
                // A non-urgent intent the model chose where no rule (or only a weak one) matched.
                let file = self.content.intent(intent);
                let entry = self
                    .classifier
                    .best_topic_where(intent, text, |e| !file.entries[e].urgent)
                    .unwrap_or(file.default_entry);
                (entry, scores.best())
            };
            let mut entries = vec![(intent, entry)];
            // With an overdose the rules found (happening now, or a question such as using alone tonight), or
            // one happening now that the model read, its answer follows the crisis lines.
            if intent == Intent::Crisis {
                match matched.decision {
                    Some(d) if d.intent == Intent::Overdose => entries.push((d.intent, d.entry)),
                    _ if combined.overdose_now => {
                        entries.push((Intent::Overdose, overdose_now_entry()));
                    }
                    _ => {}
                }
            }
            return Route {
                intent,
                rule: format!("{MODEL_RULE}{label}"),
                entries,
                query,
                written_in: language,
                chosen_language: None,
                named_country: None,
                abroad: None,
            };
        }
        let mut route = self.route_matched(matched, query);
        route.written_in = language;
        let other = self.content.intent(Intent::Other);
        if let Some(story) = other
            .past_story
            .as_ref()
            .filter(|_| overruled.is_some() && reading.past_story && route.intent == Intent::Other)
        {
            route.rule = "other:past-story".into();
            route.entries = vec![(Intent::Other, story.entry)];
        }
        if let (Some(_), Some(d)) = (overruled, reading.matched.decision) {
            route.rule += &format!(
                " (the model overruled {}:{})",
                d.intent,
                self.content.intent(d.intent).rules[d.rule].id
            );
        }
        // The general crisis answer gives way to the someone-else answer when the model reads it so.
        if let Some(first) = route.entries.first_mut()
            && *first == (Intent::Crisis, crisis.default_entry)
        {
            first.1 = crisis_entry();
        }
        route
    }

    /// The intent and entries a match gives: with a crisis, an overdose happening now as well.
    fn route_matched<'t>(&self, matched: Matched, query: &'t str) -> Route<'t> {
        match matched {
            Matched { decision: None, .. } => Route {
                intent: Intent::Other,
                rule: "other:no-rule-matched".into(),
                entries: vec![(
                    Intent::Other,
                    self.content.intent(Intent::Other).default_entry,
                )],
                query,
                written_in: None,
                chosen_language: None,
                named_country: None,
                abroad: None,
            },
            Matched {
                decision:
                    Some(Decision {
                        intent,
                        rule,
                        entry,
                    }),
                overdose_now,
            } => Route {
                intent,
                rule: format!("{intent}:{}", self.content.intent(intent).rules[rule].id),
                entries: std::iter::once((intent, entry))
                    .chain(overdose_now.map(|od| (Intent::Overdose, od.entry)))
                    .collect(),
                query,
                written_in: None,
                chosen_language: None,
                named_country: None,
                abroad: None,
            },
        }
    }

    /// A command goes to its intent, unless its words carry a crisis or an overdose happening now.
    fn route_command<'t>(&self, command: &Command, words: &'t str) -> Route<'t> {
        let intent = command.intent;
        let file = self.content.intent(intent);
        // `/country GB`, `/language es`: the words say where the person is, or the language to answer in.
        if command.sets_country.is_some() || command.sets_language.is_some() {
            let normalized = self.normalizer.normalize(words);
            let country = command
                .sets_country
                .and_then(|done| Some((done, self.content.countries.in_command(&normalized)?)));
            let language = command
                .sets_language
                .and_then(|done| Some((done, self.content.language.named_in(&normalized)?)));
            if let Some(done) = country
                .map(|(done, _)| done)
                .or(language.map(|(done, _)| done))
            {
                return Route {
                    intent,
                    rule: format!("command:/{}", command.name),
                    entries: vec![(intent, done)],
                    query: words,
                    written_in: None,
                    chosen_language: language.map(|(_, language)| language),
                    named_country: country.map(|(_, code)| code),
                    abroad: None,
                };
            }
        }
        let Some(reading) = self.read(words, Precision::Entry) else {
            return Route {
                intent,
                rule: format!("command:/{}", command.name),
                entries: vec![(intent, command.entry.unwrap_or(file.default_entry))],
                query: words,
                written_in: None,
                chosen_language: None,
                named_country: None,
                abroad: None,
            };
        };
        let routed = self.route_reading(&reading, true, words);
        let urgent = routed
            .entries
            .iter()
            .any(|(i, e)| self.content.intent(*i).entries[*e].urgent);
        if urgent {
            return routed;
        }
        let entry = match reading.matched.decision {
            Some(d) if d.intent == intent => d.entry,
            _ => self
                .classifier
                .best_topic(intent, &reading.text)
                .or(command.entry)
                .unwrap_or(file.default_entry),
        };
        Route {
            intent,
            rule: format!("command:/{}", command.name),
            entries: vec![(intent, entry)],
            query: words,
            written_in: reading.language,
            chosen_language: None,
            named_country: None,
            abroad: None,
        }
    }

    fn build(&self, route: Route<'_>, context: &ChatContext, language: Language) -> Reply {
        let country = route.abroad.and_then(|c| self.content.countries.get(c));
        let named = route
            .named_country
            .map(|c| self.content.countries.name_of(c, language));
        let mut blocks = Vec::new();
        let mut meetings = Vec::new();
        let mut follow_ups: Vec<FollowUp> = Vec::new();
        let mut used = Vec::new();
        let (mut urgent, mut overdose_now) = (false, false);
        for (intent, index) in route.entries {
            let file = self.content.intent(intent);
            let entry = &file.entries[index];
            urgent |= entry.urgent;
            overdose_now |= entry.urgent && intent == Intent::Overdose;
            if entry.meetings
                && let Some(catalog) = context
                    .meetings
                    .as_deref()
                    .filter(|c| c.meetings().next().is_some())
            {
                let answer = meeting_answer::answer(
                    file,
                    &self.content.listing,
                    catalog,
                    route.query,
                    context,
                );
                used.extend(answer.entries.into_iter().map(|e| (intent, e)));
                blocks.extend(answer.blocks);
                meetings = answer.meetings;
                follow_ups.extend(entry.follow_ups.iter().cloned());
                continue;
            }
            used.push((intent, index));
            blocks.extend(
                entry_blocks(entry).flat_map(|block| fill(block, country, named, language)),
            );
            if let Some(group) = &entry.list_group {
                blocks.extend(file.group(group).filter_map(|(_, e)| {
                    e.title
                        .as_ref()
                        .map(|t| Block::plain(BlockKind::Item, t.clone()))
                }));
            }
            let mut shown = entry;
            if !entry.daily_from.is_empty() {
                let pool: Vec<usize> = entry
                    .daily_from
                    .iter()
                    .flat_map(|g| file.group(g).map(|(i, _)| i))
                    .collect();
                let day = context.today.num_days_from_ce().unsigned_abs() as usize;
                let pick = pool[day % pool.len()];
                shown = &file.entries[pick];
                used.push((intent, pick));
                blocks.extend(entry_blocks(shown));
            }
            follow_ups.extend(shown.follow_ups.iter().cloned());
        }
        follow_ups.dedup();
        if let Some(country) = country {
            blocks.push(Block::plain(
                BlockKind::Paragraph,
                self.content.countries.assumed(country, language),
            ));
        }

        let mut sources: Vec<SourceRef> = Vec::new();
        let entry_sources = used
            .iter()
            .flat_map(|&(intent, index)| &self.content.intent(intent).entries[index].sources);
        for &s in entry_sources.chain(country.iter().flat_map(|c| &c.sources)) {
            let source = &self.content.sources[s];
            if !sources.iter().any(|r| r.id == source.id) {
                sources.push(SourceRef {
                    id: source.id.clone(),
                    title: source.title.clone(),
                    file: source.file.clone(),
                });
            }
        }
        Reply {
            intent: route.intent,
            urgent,
            overdose_now,
            language,
            blocks,
            follow_ups,
            meetings,
            explanation: Explanation {
                intent: route.intent,
                rule: route.rule,
                entries: used
                    .iter()
                    .map(|&(i, e)| format!("{}:{}", i, self.content.intent(i).entries[e].id))
                    .collect(),
                sources,
            },
        }
    }
}

/// A block of an answer, its placeholders filled: outside the US (`abroad`), the `{line}` and `{emergency}`
/// paragraphs are the country's; `{country}` is the name of the country the message named.
fn fill(
    mut block: Block,
    abroad: Option<&Country>,
    named: Option<&str>,
    language: Language,
) -> Vec<Block> {
    match (block.placeholder(), abroad) {
        (Some("{line}"), Some(country)) => return country.line(language).to_vec(),
        (Some("{emergency}"), Some(country)) => return country.emergency(language).to_vec(),
        _ => {}
    }
    if let Some(name) = named {
        for span in &mut block.spans {
            if let crate::reply::Span::Text { text } | crate::reply::Span::Strong { text } = span {
                *text = text.replace("{country}", name);
            }
        }
    }
    vec![block]
}

/// An entry's blocks, under its title when it has one.
fn entry_blocks(entry: &Entry) -> impl Iterator<Item = Block> + '_ {
    entry
        .heading()
        .into_iter()
        .chain(entry.blocks.iter().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(said: Classification) -> RulesReading {
        RulesReading {
            said,
            overrulable: false,
            without_emergency: Classification::other(),
            silent: false,
            little_to_read: false,
            past_story: false,
        }
    }

    fn scores(label: Label, p: f32) -> Scores {
        let mut all = [(1.0 - p) / (Label::COUNT - 1) as f32; Label::COUNT];
        all[Label::ALL.iter().position(|l| *l == label).unwrap()] = p;
        Scores(all)
    }

    const T: Thresholds = Thresholds {
        crisis: 0.05,
        overdose_now: 0.05,
    };

    #[test]
    fn an_overdose_happening_now_the_model_reads_as_a_crisis_gets_both_answers() {
        let overdose_now = reading(Classification::overdose_now());
        let both = Core::combine(overdose_now, &scores(Label::Crisis, 0.9), T);
        assert_eq!(both.intent, Intent::Crisis);
        assert!(both.urgent && both.overdose_now);
        // The model reading an overdose never lowers it.
        let still = Core::combine(overdose_now, &scores(Label::OverdoseNow, 0.9), T);
        assert_eq!(still, Classification::overdose_now());
        let calm = Core::combine(overdose_now, &scores(Label::Other, 0.99), T);
        assert_eq!(calm, Classification::overdose_now());
    }

    #[test]
    fn a_reminder_only_the_model_reads_is_explained_and_changes_nothing() {
        let silent = RulesReading {
            silent: true,
            ..reading(Classification::other())
        };
        let chosen = Core::combine(silent, &scores(Label::Reminder, 0.9), T);
        assert_eq!(chosen.intent, Intent::Reminder);
        let mut split = Scores::certain(Label::Other);
        split.0[Label::Reminder as usize] = 0.35;
        split.0[Label::Other as usize] = 0.65;
        let unsure = Core::combine(silent, &split, T);
        assert_eq!(unsure, Classification::other());

        let bot = Core::embedded().unwrap();
        let context = ChatContext::new(
            Platform::Terminal,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        );
        // No rule reads a reminder here; the model does, and the time in it is not stored on its word.
        let by_model = "ponme el mensaje de buenos días a las 6 que entro a trabajar temprano";
        let understood = bot.understand(by_model, &context);
        assert_eq!(understood.reminder, Some(ReminderAction::Help));
        assert_eq!(understood.reply.intent, Intent::Reminder);
        // A request the rules read still sets the reminder.
        let by_rule = bot.understand("recuérdame todos los días a las 6", &context);
        assert!(
            matches!(by_rule.reminder, Some(ReminderAction::Set { .. })),
            "{:?}",
            by_rule.reminder
        );
    }

    #[test]
    fn overdose_information_gives_way_to_a_crisis_the_model_reads() {
        let information = Classification {
            intent: Intent::Overdose,
            urgent: false,
            overdose_now: false,
        };
        let rules = RulesReading {
            without_emergency: information,
            ..reading(information)
        };
        let sure = Core::combine(rules, &scores(Label::Crisis, 0.8), T);
        assert_eq!(sure, Classification::crisis());
        // At the threshold, as where no rule read anything (crisis and someone else at risk: 0.05).
        let mut at_threshold = Scores::certain(Label::Overdose);
        at_threshold.0[Label::Crisis as usize] = 0.05;
        at_threshold.0[Label::Overdose as usize] = 0.95;
        assert_eq!(
            Core::combine(rules, &at_threshold, T),
            Classification::crisis()
        );
        // Below it, the information answer stands.
        let calm = Core::combine(rules, &scores(Label::Overdose, 0.99), T);
        assert_eq!(calm, information);
    }

    #[test]
    fn a_crisis_the_model_reads_with_an_overdose_happening_now_gets_both_answers() {
        let mut both = Scores::certain(Label::Crisis);
        both.0[Label::Crisis as usize] = 0.6;
        both.0[Label::OverdoseNow as usize] = 0.4;
        let read = Core::combine(reading(Classification::other()), &both, T);
        assert_eq!(read.intent, Intent::Crisis);
        assert!(read.urgent && read.overdose_now);

        let bot = Core::embedded().unwrap();
        let context = ChatContext::new(
            Platform::Terminal,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        );
        let reply = bot.respond(
            // No rule reads this one: the model reads both.
            "sorry for the late message, my wife got home drunk and took her sleeping tablets and I can't wake her up properly",
            &context,
        );
        let text = reply.plain_text();
        let lines = text.find("988").expect("the crisis lines");
        let steps = text.find("naloxone").expect("the overdose steps");
        assert!(reply.urgent && lines < steps, "{text}");
    }
}
