//! Rule matching: the rules of each intent file in one `RegexSet`, all matched once per message. (One set over
//! every rule was as fast on a few hundred messages seen again and again, and a hundred times slower on varied
//! text: its lazy DFA kept running out of room and rebuilding.)

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::borrow::Cow;

use crate::content::{Content, ContentError, IntentContent};
use crate::intent::Intent;

/// Room for the lazy DFA of each rule set. Long, varied messages (late-night venting, 100-200 words) need it: at
/// 32 MB the crisis set's DFA kept clearing its cache and handing searches to the much slower PikeVM (10,000
/// messages a second on the training corpus, against 50,000-70,000 at 128 MB; see BENCHMARKS.md). The cache grows
/// only as far as the text needs.
const DFA_CACHE_BYTES: usize = 128 << 20;

/// Which rule decided, and which entry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub intent: Intent,
    /// Index of the rule in its intent file.
    pub rule: usize,
    /// Index of the answering entry in its intent file.
    pub entry: usize,
}

/// The result of matching a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// The highest-priority rule that counts, or `None` when no rule matched.
    pub decision: Option<Decision>,
    /// With a crisis: an overdose-now rule that matched as well, so the reply can carry both.
    pub overdose_now: Option<Decision>,
}

struct Topics {
    set: RegexSet,
    regexes: Vec<Regex>,
    /// Entry index of each topic pattern.
    entry_of: Vec<usize>,
}

/// How much of a match to work out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// The intent and whether it is urgent (`classify`).
    Intent,
    /// The entry that answers, too (`respond`).
    Entry,
}

/// Which rules to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    All,
    /// All but the emergency rules the model may overrule.
    Strict,
    /// All but the rules of an emergency.
    Everyday,
}

/// Compiled rules.
pub struct Classifier {
    idioms: Option<Regex>,
    /// The rules of each intent file as one set, in priority order, with the index of its first rule.
    rules: Vec<(RegexSet, usize)>,
    /// (intent, rule index) of each pattern of `rules`, in priority order.
    rule_of: Vec<(Intent, usize)>,
    /// Topic patterns per intent, indexed by rank.
    topics: Vec<Topics>,
    /// Whether each intent (by rank) has an urgent entry, so that its entry decides urgency.
    has_urgent: Vec<bool>,
    /// `other.toml`'s `[past_story]`: the past, a safe present, danger now.
    past_story: Option<[Regex; 3]>,
}

impl Classifier {
    /// Compiles the rules, topics and idioms of `content`.
    pub fn new(content: &Content) -> Result<Classifier, ContentError> {
        let mut rule_of = Vec::new();
        let mut rules = Vec::new();
        for file in &content.intents {
            let first = rule_of.len();
            rule_of.extend((0..file.rules.len()).map(|index| (file.intent, index)));
            let patterns: Vec<&str> = file.rules.iter().map(|r| r.pattern.as_str()).collect();
            let set = set_builder(&patterns).build().map_err(|_| {
                // Find the rule at fault, for an error that names it.
                let rule = file
                    .rules
                    .iter()
                    .find(|r| builder(&r.pattern).build().is_err());
                ContentError::Rule {
                    file: file.file.clone(),
                    rule: rule.map(|r| r.id.clone()).unwrap_or_default(),
                    message: rule
                        .and_then(|r| builder(&r.pattern).build().err())
                        .map_or_else(|| "the rule set is too large".into(), |e| e.to_string()),
                }
            })?;
            rules.push((set, first));
        }

        let idioms = if content.normalize.idioms.is_empty() {
            None
        } else {
            for idiom in &content.normalize.idioms {
                builder(idiom).build().map_err(|e| ContentError::File {
                    file: "normalize.toml".into(),
                    message: format!("idiom {idiom:?}: {e}"),
                })?;
            }
            let joined = content
                .normalize
                .idioms
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|");
            Some(builder(&joined).build().map_err(|e| ContentError::File {
                file: "normalize.toml".into(),
                message: format!("idioms: {e}"),
            })?)
        };

        let topics = content
            .intents
            .iter()
            .map(compile_topics)
            .collect::<Result<Vec<_>, _>>()?;
        let has_urgent = content
            .intents
            .iter()
            .map(|file| file.entries.iter().any(|e| e.urgent))
            .collect();
        let past_story = match &content.intent(Intent::Other).past_story {
            Some(story) => {
                let compile = |field: &str, pattern: &str| {
                    builder(pattern).build().map_err(|e| ContentError::File {
                        file: "other.toml".into(),
                        message: format!("[past_story] {field}: {e}"),
                    })
                };
                Some([
                    compile("past", &story.past)?,
                    compile("safe_now", &story.safe_now)?,
                    compile("danger_now", &story.danger_now)?,
                ])
            }
            None => None,
        };
        Ok(Classifier {
            idioms,
            rules,
            rule_of,
            topics,
            has_urgent,
            past_story,
        })
    }

    /// Blanks out idioms ("killing it at work") so that no rule sees them.
    pub fn strip_idioms<'t>(&self, normalized: &'t str) -> Cow<'t, str> {
        match &self.idioms {
            Some(idioms) if idioms.is_match(normalized.as_bytes()) => {
                let replaced = idioms.replace_all(normalized.as_bytes(), &b" "[..]);
                Cow::Owned(String::from_utf8_lossy(&replaced).into_owned())
            }
            _ => Cow::Borrowed(normalized),
        }
    }

    /// Whether normalised text tells of something in the past and of a safe present, with no sign of danger
    /// now (`[past_story]`).
    pub fn past_story(&self, text: &str) -> bool {
        self.past_story
            .as_ref()
            .is_some_and(|[past, safe_now, danger_now]| {
                let text = text.as_bytes();
                past.is_match(text) && safe_now.is_match(text) && !danger_now.is_match(text)
            })
    }

    /// The rules that match normalised, idiom-free text.
    pub fn matches(&self, text: &str) -> Vec<usize> {
        self.rules
            .iter()
            .flat_map(|(set, first)| {
                set.matches(text.as_bytes())
                    .into_iter()
                    .map(move |i| first + i)
            })
            .collect()
    }

    /// Decides from the rules that match normalised, idiom-free text. With `Precision::Intent` the answering entry
    /// is only worked out where it decides urgency (crisis and overdose files); elsewhere it is the file's
    /// default entry, which is enough to know the intent.
    ///
    /// `matches` are the rules that match `text` ([`Classifier::matches`]). `rules` leaves some out: the
    /// emergency rules (every crisis rule, and overdose rules whose answer is urgent) that the model may
    /// overrule, or all of them (see `Core::combine`).
    pub fn classify(
        &self,
        content: &Content,
        text: &str,
        matches: &[usize],
        precision: Precision,
        rules: Rules,
    ) -> Matched {
        let mut decision: Option<Decision> = None;
        let mut overdose_now = None;
        for &index in matches {
            let (intent, rule) = self.rule_of[index];
            let left_out = match rules {
                Rules::All => false,
                Rules::Strict => content.intent(intent).rules[rule].overrulable,
                Rules::Everyday => true,
            };
            if left_out
                && (intent == Intent::Crisis
                    || (self.has_urgent[intent.rank()]
                        && self
                            .answer(content.intent(intent), rule, text, Precision::Entry)
                            .is_none_or(|entry| content.intent(intent).entries[entry].urgent)))
            {
                continue;
            }
            if let Some(current) = decision {
                // Within the deciding file, a rule whose entry the file prefers ("danger-now" over the
                // general crisis answer) takes over.
                let file = content.intent(intent);
                if intent == current.intent && !file.prefer_entries.is_empty() {
                    if let Some(entry) = self.answer(file, rule, text, precision)
                        && file.preference(entry) < file.preference(current.entry)
                    {
                        decision = Some(Decision {
                            intent,
                            rule,
                            entry,
                        });
                    }
                    continue;
                }
            }
            if decision.is_some() && intent != Intent::Overdose {
                continue;
            }
            let file = content.intent(intent);
            let Some(entry) = self.answer(file, rule, text, precision) else {
                continue;
            };
            let found = Decision {
                intent,
                rule,
                entry,
            };
            match decision {
                None => {
                    decision = Some(found);
                    if intent != Intent::Crisis {
                        break;
                    }
                }
                Some(_) if file.entries[entry].urgent => {
                    overdose_now = Some(found);
                    break;
                }
                Some(_) => {}
            }
        }
        Matched {
            decision,
            overdose_now,
        }
    }

    /// The entry a matched rule answers with, or `None` when the rule does not count.
    fn answer(
        &self,
        file: &IntentContent,
        rule: usize,
        text: &str,
        precision: Precision,
    ) -> Option<usize> {
        let rule = &file.rules[rule];
        if let Some(entry) = rule.entry
            && !rule.requires_topic
        {
            return Some(entry);
        }
        if precision == Precision::Intent && !self.has_urgent[file.intent.rank()] {
            let counts = !rule.requires_topic
                || self.topics[file.intent.rank()]
                    .set
                    .is_match(text.as_bytes());
            return counts.then_some(rule.entry.unwrap_or(file.default_entry));
        }
        match (self.best_topic(file.intent, text), rule.entry) {
            (Some(_), Some(entry)) => Some(entry),
            (Some(topic), None) => Some(topic),
            (None, _) if rule.requires_topic => None,
            (None, entry) => Some(entry.unwrap_or(file.default_entry)),
        }
    }

    /// The entry whose topic matches the longest stretch of text; ties go to the earlier entry.
    pub fn best_topic(&self, intent: Intent, text: &str) -> Option<usize> {
        self.best_topic_where(intent, text, |_| true)
    }

    /// [`Classifier::best_topic`] among the entries that `keep` accepts.
    pub fn best_topic_where(
        &self,
        intent: Intent,
        text: &str,
        keep: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let topics = &self.topics[intent.rank()];
        let mut best: Option<(usize, usize)> = None; // (length, entry)
        for index in topics.set.matches(text.as_bytes()).iter() {
            if !keep(topics.entry_of[index]) {
                continue;
            }
            let length = topics.regexes[index]
                .find_iter(text.as_bytes())
                .map(|m| m.len())
                .max()
                .unwrap_or(0);
            let entry = topics.entry_of[index];
            let better = match best {
                None => true,
                Some((best_len, best_entry)) => {
                    length > best_len || (length == best_len && entry < best_entry)
                }
            };
            if better {
                best = Some((length, entry));
            }
        }
        best.map(|(_, entry)| entry)
    }
}

fn compile_topics(file: &IntentContent) -> Result<Topics, ContentError> {
    let mut patterns = Vec::new();
    let mut regexes = Vec::new();
    let mut entry_of = Vec::new();
    for (index, entry) in file.entries.iter().enumerate() {
        for topic in &entry.topics {
            let regex = builder(topic).build().map_err(|e| ContentError::Entry {
                file: file.file.clone(),
                entry: entry.id.clone(),
                message: format!("topic {topic:?}: {e}"),
            })?;
            patterns.push(topic.as_str());
            regexes.push(regex);
            entry_of.push(index);
        }
    }
    let set = set_builder(&patterns)
        .build()
        .map_err(|e| ContentError::File {
            file: file.file.clone(),
            message: format!("topics: {e}"),
        })?;
    Ok(Topics {
        set,
        regexes,
        entry_of,
    })
}

/// Patterns are ASCII and matched as bytes: `\b` is an ASCII word boundary, which keeps the fast DFA in
/// use whatever script the message is written in.
fn builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.unicode(false).dfa_size_limit(DFA_CACHE_BYTES);
    b
}

fn set_builder(patterns: &[&str]) -> RegexSetBuilder {
    let mut b = RegexSetBuilder::new(patterns);
    b.unicode(false)
        .dfa_size_limit(DFA_CACHE_BYTES)
        .size_limit(64 << 20);
    b
}

/// Words the rules know, for shortening stretched words: every run of two or more letters in the patterns.
pub fn lexicon(content: &Content) -> Vec<String> {
    let mut words = content.normalize.words.clone();
    let patterns = content
        .intents
        .iter()
        .flat_map(|f| {
            f.rules.iter().map(|r| r.pattern.as_str()).chain(
                f.entries
                    .iter()
                    .flat_map(|e| e.topics.iter().map(String::as_str)),
            )
        })
        .chain(content.normalize.idioms.iter().map(String::as_str))
        .chain(content.normalize.shorthand.values().map(String::as_str));
    for pattern in patterns {
        // Skip escapes such as \b and \s: the letter after a backslash is not a word.
        let cleaned = pattern
            .replace("\\b", " ")
            .replace("\\s", " ")
            .replace("\\w", " ");
        words.extend(
            cleaned
                .split(|c: char| !c.is_ascii_lowercase())
                .filter(|w| w.len() >= 2)
                .map(String::from),
        );
    }
    words.sort_unstable();
    words.dedup();
    words
}
