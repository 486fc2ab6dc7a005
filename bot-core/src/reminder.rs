//! The typed seam between the core and the reminder store: what a person asks of their reminder
//! ([`ReminderAction`], read here from the words of one message) and what became of it ([`ReminderOutcome`],
//! decided by the `reminders` crate and said by [`crate::ReminderContent::say`]). Pure: no store, no clock.
//!
//! The core has already decided the message is about reminders and which of `intents/reminder.toml`'s
//! entries it chose (`how`, `stop` or `forget`); the reader reads the rest: a time of day, a time zone, and
//! whether to pause, resume, show, stop or forget.

use crate::normalize::fold_latin_accent;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::zone_names::{AREAS, Place, ZoneNames};

/// What a message asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderAction {
    /// Start a daily reminder, or change its time or zone (and switch it on again if it was paused).
    /// Both parts may be missing: "remind me every day" starts the conversation.
    Set { time: TimeSpec, zone: ZoneSpec },
    /// Pause without forgetting the time and zone.
    Pause,
    /// Switch a paused reminder back on.
    Resume,
    /// Show the reminder's time, zone, state and next delivery.
    Status,
    /// Stop: delete the reminder.
    Stop,
    /// `/forget`: delete everything stored about the chat.
    Forget,
    /// How reminders work (and the status, when there is one).
    Help,
}

impl ReminderAction {
    /// Whether it changes what is stored (in a group, only admins may); showing and explaining do not.
    pub fn changes(&self) -> bool {
        !matches!(self, ReminderAction::Status | ReminderAction::Help)
    }
}

/// What became of a [`ReminderAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderOutcome {
    /// The chat's reminder as it now is, and what was done to it.
    Reminder {
        done: Done,
        reminder: ReminderView,
    },
    /// There is no reminder to pause, resume, show or stop.
    NotSubscribed,
    /// Nothing was written: the request needs (or gave wrongly) a time or a zone. `time` and `zone` are the
    /// ones known so far, to say back.
    Question {
        ask: Ask,
        time: Option<NaiveTime>,
        zone: Option<Tz>,
    },
    Stopped,
    Forgotten,
    /// Only a group's admins change its reminder.
    GroupAdminsOnly,
    /// How reminders work (there is no reminder to show).
    Help,
}

/// What was done to a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Started,
    /// Started in the operator's default zone, because the person named none.
    StartedInDefaultZone,
    Changed,
    Resumed,
    AlreadyActive,
    Paused,
    AlreadyPaused,
    /// Nothing: it is shown.
    Shown,
}

/// What a request lacks, or got wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Time,
    Zone,
    /// The zone name fits several zones.
    WhichZone(Vec<Tz>),
    UnknownZone,
    BadTime,
}

/// A chat's reminder, as it is said back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderView {
    pub time: NaiveTime,
    pub zone: Tz,
    pub state: ReminderState,
    /// When the next one is due (`None` when paused or blocked).
    pub next: Option<DateTime<Utc>>,
}

/// Whether reminders go out (stored as it is: the variants' order is part of the store's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReminderState {
    Active,
    /// The person paused them.
    Paused,
    /// The platform said the chat cannot be written to (blocked, DMs closed).
    Blocked,
}

/// The time of day a message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    Missing,
    At(NaiveTime),
    /// Something that looks like a time but is not one ("25:00", "13pm").
    Invalid,
}

/// The time zone a message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSpec {
    Missing,
    Zone(Tz),
    /// A name that fits more than one zone ("MST", "IST"): the person chooses.
    Ambiguous(Vec<Tz>),
    /// Something written like a zone name (`Europe/Londno`) that is not one.
    Unknown,
}

/// Reads reminder requests. Built once from the zone tables.
#[derive(Debug, Clone)]
pub struct ReminderReader {
    zones: ZoneNames,
    command: Regex,
    zone_token: Regex,
    clock: Regex,
    am_pm: Regex,
    period: Regex,
    half_quarter: Regex,
    bare_at: Regex,
    stop: Regex,
    pause: Regex,
    resume: Regex,
    status: Regex,
    start: Regex,
    question: Regex,
}

/// Number words for hours.
const NUMBER_WORDS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

const HOUR: &str = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)";

impl ReminderReader {
    /// A reader that finds zones with `zones`.
    pub fn new(zones: ZoneNames) -> ReminderReader {
        let re = |pattern: &str| Regex::new(pattern).expect("built-in pattern");
        ReminderReader {
            zones,
            command: re(r"^\s*/([a-z_]+)(@\S+)?"),
            zone_token: re(r"\b[a-z]+(?:/[a-z0-9_+\-]+)+(?: [a-z]+){0,2}"),
            // 20:30, 8.30, 20h30 (am/pm and periods are read after it).
            clock: re(&format!(
                r"\b{HOUR}(?:\s*[:.h]\s*(\d{{2}}))?(?:\s*o ?clock)?"
            )),
            am_pm: re(r"^\s*(a\.?m\.?|p\.?m\.?)(?:\W|$)"),
            period: re(
                r"^\s*(?:in the|this|at|tonight|every|each|de la|por la|en la)?\s*(morning|afternoon|evening|night|tonight|manana|tarde|noche)\b",
            ),
            half_quarter: re(&format!(r"\b(half past|quarter past|quarter to) {HOUR}\b")),
            bare_at: re(r"\bat (\d{3,4})\b"),
            // English, then Spanish (accents folded). A bare `para` is "for" as often as "stop": only with
            // what it stops.
            stop: re(
                r"\b(stop|cancel|unsubscribe|opt ?out|turn (it |them |reminders? |the reminders? )?off|switch (it |them )?off|no more|dont (want|need)|do not (want|need)|disable|quit|end (my |the |these )?(daily )?(reminders?|messages?)|delete|remove)\b|\b(para|parar|deten|detener|cancela|cancelar|desactiva|desactivar|quita|quitar|borra|borrar|elimina|eliminar) (los |mis |el |mi |tus |ya )?(recordatorios?|mensajes?|notificaciones?)\b|\b(darme|dame|darse) de baja\b|\b(ya )?no (quiero|necesito) (mas )?(los |tus |mas )?(recordatorios?|mensajes?)\b|^\s*(para|basta)\s*$",
            ),
            pause: re(
                r"\b(pause|mute|snooze|suspend|take a break|break from)\b|\b(pausa|pausar|pausalos|silencia|silenciar)\b",
            ),
            resume: re(
                r"\b(resume|unpause|un pause|restart|start (it |them )?again|turn (it |them |reminders? )?(back )?on|back on|unmute|continue)\b|\b(reanuda|reanudar|reactiva|reactivar|continua|continuar)\b|\bvuelve a (mandar|enviar|empezar)\b",
            ),
            status: re(
                r"\b(status|am i (subscribed|signed up|registered|on)|is (it|this chat) (on|set)|when (is|are|do|will)|what time (is|are|do|will)|settings|show|check|details|next one)\b|\b(estado|a que hora (llega|me llega|es|son)|cuando (llega|me llega))\b",
            ),
            start: re(
                r"\bremind( me| us)?\b|\bsubscribe\b|\bsign (me |us )?up\b|\bopt in\b|\bsend (me|us)\b|\bstart\b|\bset (it )?up\b|\bi (want|would like)\b|\bid like\b|\bplease\b|\breminders? (every|each|daily)\b|\bdaily\b|\bevery ?day\b|\brecuerda(me|nos)\b|\bsuscribe(me)?\b|\bsuscribirme\b|\bapuntame\b|\b(mandame|enviame|escribeme)\b|\bquiero\b|\btodos los dias\b|\bcada dia\b|\bdiari[oa]s?\b|\bpor favor\b",
            ),
            question: re(
                r"^\s*(how|what|why|who|tell)\b|\bhow (do|does|can|would|will)\b|^\s*(como|que|por que|quien)\b",
            ),
        }
    }

    /// Reads one message. `entry_id` is the core's choice among `how`, `stop` and `forget`.
    pub(crate) fn read(&self, text: &str, entry_id: &str) -> ReminderAction {
        // Accents folded as in normalisation (`recuérdame` -> `recuerdame`), so that patterns stay ASCII.
        let lower: String = text
            .to_lowercase()
            .chars()
            .map(fold_latin_accent)
            .filter(|c| !matches!(c, '\'' | '\u{2019}'))
            .collect();
        let (command, rest) = match self.command.captures(&lower) {
            Some(c) => (
                Some(c[1].to_string()),
                lower[c.get(0).map_or(0, |m| m.end())..].to_string(),
            ),
            None => (None, lower.clone()),
        };
        if entry_id == "forget" || command.as_deref() == Some("forget") {
            return ReminderAction::Forget;
        }
        let (zone, blanked) = self.zone(&rest);
        let time = self.time(&blanked, command.is_some());
        let words = &blanked;
        if self.stop.is_match(words) {
            return ReminderAction::Stop;
        }
        if time != TimeSpec::Missing || zone != ZoneSpec::Missing {
            return ReminderAction::Set { time, zone };
        }
        if self.pause.is_match(words) {
            return ReminderAction::Pause;
        }
        if entry_id == "stop" {
            return ReminderAction::Stop;
        }
        if self.resume.is_match(words) {
            return ReminderAction::Resume;
        }
        if self.status.is_match(words) {
            return ReminderAction::Status;
        }
        if rest.trim().is_empty() {
            return ReminderAction::Help;
        }
        if self.start.is_match(words) && !self.question.is_match(words) {
            return ReminderAction::Set {
                time: TimeSpec::Missing,
                zone: ZoneSpec::Missing,
            };
        }
        ReminderAction::Help
    }

    /// The zone named in `text`, and `text` with the zone's words blanked out.
    fn zone(&self, text: &str) -> (ZoneSpec, String) {
        let mut blanked = text.to_string();
        let mut spec = ZoneSpec::Missing;
        // IANA names first (`europe/london`, `america/new york`).
        for m in self.zone_token.find_iter(text) {
            let token = m.as_str();
            let area = token.split('/').next().unwrap_or_default();
            if !AREAS.contains(&area) {
                continue;
            }
            // Try the longest reading first: `america/new york` before `america/new`.
            let parts: Vec<&str> = token.split(' ').collect();
            let mut found = None;
            for n in (1..=parts.len()).rev() {
                let candidate = parts[..n].join("_");
                if let Some(tz) = self.zones.by_name(&candidate) {
                    let len = parts[..n].join(" ").len();
                    found = Some((tz, len));
                    break;
                }
            }
            let end = match found {
                Some((tz, len)) => {
                    spec = ZoneSpec::Zone(tz);
                    m.start() + len
                }
                None => {
                    spec = ZoneSpec::Unknown;
                    m.start() + parts[0].len()
                }
            };
            blanked.replace_range(m.start()..end, &" ".repeat(end - m.start()));
        }
        if spec != ZoneSpec::Missing {
            return (spec, blanked);
        }
        // Then cities and abbreviations, in the words that are left.
        let spans: Vec<(usize, usize)> = word_spans(&blanked);
        let words: Vec<&str> = spans.iter().map(|&(s, e)| &blanked[s..e]).collect();
        if let Some((place, range)) = self.zones.last_place(&words) {
            spec = match place {
                Place::One(tz) => ZoneSpec::Zone(*tz),
                Place::Many(many) => ZoneSpec::Ambiguous(many.clone()),
            };
            let (start, end) = (spans[range.start].0, spans[range.end - 1].1);
            blanked.replace_range(start..end, &" ".repeat(end - start));
        }
        (spec, blanked)
    }

    /// The last time of day named in `text` (already lower case, zone blanked). In a command, a lone number
    /// is an hour (`/remind 8 Europe/London`).
    fn time(&self, text: &str, is_command: bool) -> TimeSpec {
        let mut found = TimeSpec::Missing;
        let mut found_at = 0;
        let mut set = |spec: TimeSpec, at: usize| {
            if at >= found_at {
                found = spec;
                found_at = at;
            }
        };
        for (word, h, m) in [
            ("noon", 12, 0),
            ("midday", 12, 0),
            ("midnight", 0, 0),
            ("mediodia", 12, 0),
            ("medianoche", 0, 0),
        ] {
            if let Some(pos) = find_word(text, word) {
                set(at(h, m), pos);
            }
        }
        let mut covered = Vec::new();
        for c in self.half_quarter.captures_iter(text) {
            let whole = c.get(0).expect("match");
            covered.push(whole.range());
            let Some(hour) = hour_value(&c[2]) else {
                continue;
            };
            let (h, m) = match &c[1] {
                "half past" => (hour, 30),
                "quarter past" => (hour, 15),
                _ => ((hour + 23) % 24, 45),
            };
            let after = &text[whole.end()..];
            set(self.qualify(h, m, after, true), whole.start());
        }
        for c in self.clock.captures_iter(text) {
            let whole = c.get(0).expect("match");
            // Part of a longer number or of a date (`2026-09-01`, `1/2`): not a time.
            let before = text[..whole.start()].chars().next_back();
            if before.is_some_and(|ch| ch.is_ascii_digit() || ch == '/' || ch == '-' || ch == '.')
                || covered.iter().any(|r| r.contains(&whole.start()))
            {
                continue;
            }
            let Some(hour) = hour_value(&c[1]) else {
                continue;
            };
            let minute: Option<u32> = c.get(2).and_then(|m| m.as_str().parse().ok());
            let after = &text[whole.end()..];
            let is_word = !c[1].starts_with(|ch: char| ch.is_ascii_digit());
            // `123`, `8th`, `tent`: part of a longer word or number.
            let next = after.chars().next();
            if next.is_some_and(|ch| ch.is_ascii_digit())
                || (next.is_some_and(|ch| ch.is_ascii_alphabetic())
                    && (is_word || !self.am_pm.is_match(after)))
            {
                continue;
            }
            let has_clock_word = whole.as_str().contains("clock");
            let qualified = self.am_pm.is_match(after) || self.period.is_match(after);
            // A bare number is a time only with minutes, am/pm, a period of day, "o'clock", after "at",
            // or alone in a command.
            let before = text[..whole.start()].trim_end();
            let preceded_by_at = [" at", " a las", " a la"]
                .iter()
                .any(|at| before.ends_with(at) || before == at.trim_start());
            let is_time = minute.is_some()
                || qualified
                || has_clock_word
                || (!is_word && (preceded_by_at || is_command));
            if !is_time {
                continue;
            }
            set(
                self.qualify(hour, minute.unwrap_or(0), after, qualified),
                whole.start(),
            );
        }
        for c in self.bare_at.captures_iter(text) {
            let digits = &c[1];
            let value: u32 = digits.parse().unwrap_or(9999);
            let (h, m) = (value / 100, value % 100);
            let start = c.get(0).expect("match").start();
            set(at(h, m), start);
        }
        found
    }

    /// A clock reading `hour:minute`, adjusted by an am/pm or period-of-day word at the start of `after`.
    fn qualify(&self, hour: u32, minute: u32, after: &str, qualified: bool) -> TimeSpec {
        if !qualified {
            return at(hour, minute);
        }
        if let Some(c) = self.am_pm.captures(after) {
            if !(1..=12).contains(&hour) {
                return TimeSpec::Invalid;
            }
            let pm = c[1].starts_with('p');
            let h = match (hour, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, false) => h,
                (h, true) => h + 12,
            };
            return at(h, minute);
        }
        if let Some(c) = self.period.captures(after) {
            if hour > 12 {
                // "20:30 in the evening": already a 24-hour time.
                return at(hour, minute);
            }
            let h = match &c[1] {
                "morning" | "manana" => hour % 12,
                "afternoon" | "evening" | "tarde" => {
                    if hour == 12 {
                        12
                    } else {
                        hour + 12
                    }
                }
                // "10 at night" is 22:00, "12 at night" midnight, "2 at night" 02:00.
                _ => match hour {
                    12 => 0,
                    1..=4 => hour,
                    h => h + 12,
                },
            };
            return at(h, minute);
        }
        at(hour, minute)
    }
}

fn at(hour: u32, minute: u32) -> TimeSpec {
    NaiveTime::from_hms_opt(hour, minute, 0).map_or(TimeSpec::Invalid, TimeSpec::At)
}

fn hour_value(text: &str) -> Option<u32> {
    text.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .position(|w| *w == text)
            .map(|i| i as u32 + 1)
    })
}

/// Byte ranges of the runs of ASCII letters in `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        match (ch.is_ascii_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Where `word` stands as a whole word in `text`.
fn find_word(text: &str, word: &str) -> Option<usize> {
    word_spans(text)
        .into_iter()
        .find(|&(s, e)| &text[s..e] == word)
        .map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

    fn parser() -> ReminderReader {
        crate::Core::embedded().unwrap().reminder_content().reader()
    }

    fn time(h: u32, m: u32) -> TimeSpec {
        TimeSpec::At(NaiveTime::from_hms_opt(h, m, 0).unwrap())
    }

    fn set(t: TimeSpec, z: ZoneSpec) -> ReminderAction {
        ReminderAction::Set { time: t, zone: z }
    }

    #[test]
    fn times_of_day() {
        let p = parser();
        let cases = [
            ("remind me every day at 8am", time(8, 0)),
            ("remind me at 8 am please", time(8, 0)),
            ("remind me at 8:30pm", time(20, 30)),
            ("remind me at 8.30 p.m.", time(20, 30)),
            ("remind me at 20:30", time(20, 30)),
            ("daily reminder at 6 in the evening", time(18, 0)),
            ("remind me at six in the evening", time(18, 0)),
            ("remind me at 7 in the morning", time(7, 0)),
            ("remind me at 10 at night", time(22, 0)),
            ("remind me at 12 at night", time(0, 0)),
            ("remind me at noon", time(12, 0)),
            ("remind me at midnight", time(0, 0)),
            ("remind me at 12am", time(0, 0)),
            ("remind me at 12pm", time(12, 0)),
            ("remind me at 9 oclock", time(9, 0)),
            ("remind me at 9", time(9, 0)),
            ("remind me at 0830", time(8, 30)),
            ("remind me at half past 7 in the evening", time(19, 30)),
            ("remind me at quarter to 8", time(7, 45)),
            ("change my reminder from 8am to 9:15am", time(9, 15)),
            ("remind me at 25:00", TimeSpec::Invalid),
            ("remind me at 13pm", TimeSpec::Invalid),
            ("remind me at 8:75", TimeSpec::Invalid),
        ];
        for (text, expected) in cases {
            match p.read(text, "how") {
                ReminderAction::Set { time, .. } => assert_eq!(time, expected, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn spanish_requests() {
        let p = parser();
        let cases = [
            (
                "recuérdame todos los días a las 8",
                set(time(8, 0), ZoneSpec::Missing),
            ),
            (
                "recuerdame a las 9 de la noche",
                set(time(21, 0), ZoneSpec::Missing),
            ),
            (
                "mándame un mensaje diario a las 7:30 de la mañana",
                set(time(7, 30), ZoneSpec::Missing),
            ),
            (
                "a las 3 de la tarde por favor",
                set(time(15, 0), ZoneSpec::Missing),
            ),
            (
                "recuérdame al mediodía",
                set(time(12, 0), ZoneSpec::Missing),
            ),
            // `para` as "for" is not "stop".
            (
                "recuérdame a las 8 para tomar mis pastillas",
                set(time(8, 0), ZoneSpec::Missing),
            ),
            ("para los recordatorios", ReminderAction::Stop),
            ("ya no quiero los mensajes", ReminderAction::Stop),
            ("pausa los recordatorios", ReminderAction::Pause),
            ("reanuda los recordatorios", ReminderAction::Resume),
            ("estado de mi recordatorio", ReminderAction::Status),
        ];
        for (text, expected) in cases {
            assert_eq!(p.read(text, "how"), expected, "{text}");
        }
    }

    #[test]
    fn zones_by_name_city_and_abbreviation() {
        let p = parser();
        let cases = [
            ("/remind 8am Europe/London", ZoneSpec::Zone(Europe::London)),
            (
                "my time zone is europe/london",
                ZoneSpec::Zone(Europe::London),
            ),
            (
                "time zone America/New York",
                ZoneSpec::Zone(America::New_York),
            ),
            (
                "remind me at 8am chicago time",
                ZoneSpec::Zone(America::Chicago),
            ),
            (
                "remind me at 8am, I live in New York",
                ZoneSpec::Zone(America::New_York),
            ),
            ("remind me at 8am london", ZoneSpec::Zone(Europe::London)),
            ("i am on eastern time", ZoneSpec::Zone(America::New_York)),
            ("remind me at 8am pst", ZoneSpec::Zone(America::Los_Angeles)),
            ("my time zone is kathmandu", ZoneSpec::Zone(Asia::Kathmandu)),
            (
                "remind me at 9 boston time",
                ZoneSpec::Zone(America::New_York),
            ),
            ("time zone Europe/Londno", ZoneSpec::Unknown),
        ];
        for (text, expected) in cases {
            match p.read(text, "how") {
                ReminderAction::Set { zone, .. } => assert_eq!(zone, expected, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        match p.read("remind me at 8am mst", "how") {
            ReminderAction::Set {
                zone: ZoneSpec::Ambiguous(zones),
                ..
            } => assert!(zones.contains(&America::Denver) && zones.contains(&America::Phoenix)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_command_reads_like_a_sentence() {
        let p = parser();
        assert_eq!(
            p.read("/remind 8am Europe/London", "how"),
            set(time(8, 0), ZoneSpec::Zone(Europe::London))
        );
        assert_eq!(
            p.read("/remind@recovery_bot 20:30 Chicago", "how"),
            set(time(20, 30), ZoneSpec::Zone(America::Chicago))
        );
        assert_eq!(
            p.read("/remind 8 America/Chicago", "how"),
            set(time(8, 0), ZoneSpec::Zone(America::Chicago))
        );
        assert_eq!(p.read("/remind pause", "stop"), ReminderAction::Pause);
        assert_eq!(p.read("/remind stop", "stop"), ReminderAction::Stop);
        assert_eq!(p.read("/remind cancel", "how"), ReminderAction::Stop);
        assert_eq!(p.read("/remind resume", "how"), ReminderAction::Resume);
        assert_eq!(p.read("/remind status", "how"), ReminderAction::Status);
        assert_eq!(p.read("/remind", "how"), ReminderAction::Help);
        assert_eq!(p.read("/forget", "forget"), ReminderAction::Forget);
        assert_eq!(
            p.read("/forget@recovery_bot", "how"),
            ReminderAction::Forget
        );
    }

    #[test]
    fn actions_in_free_text() {
        let p = parser();
        assert_eq!(
            p.read("stop my daily reminders", "stop"),
            ReminderAction::Stop
        );
        assert_eq!(
            p.read("please unsubscribe me", "stop"),
            ReminderAction::Stop
        );
        assert_eq!(
            p.read("i dont want these messages anymore", "stop"),
            ReminderAction::Stop
        );
        assert_eq!(p.read("pause my reminders", "stop"), ReminderAction::Pause);
        assert_eq!(p.read("resume my reminders", "how"), ReminderAction::Resume);
        assert_eq!(
            p.read("turn my reminders back on", "how"),
            ReminderAction::Resume
        );
        assert_eq!(
            p.read("am i subscribed to reminders", "how"),
            ReminderAction::Status
        );
        assert_eq!(p.read("forget me", "forget"), ReminderAction::Forget);
        assert_eq!(
            p.read("remind me every day", "how"),
            set(TimeSpec::Missing, ZoneSpec::Missing)
        );
        assert_eq!(
            p.read("can you send me a daily message", "how"),
            set(TimeSpec::Missing, ZoneSpec::Missing)
        );
        assert_eq!(
            p.read("how do reminders work?", "how"),
            ReminderAction::Help
        );
        assert_eq!(
            p.read("change my reminder to 9am", "how"),
            set(time(9, 0), ZoneSpec::Missing)
        );
        assert_eq!(
            p.read("resume my reminders at 7am", "how"),
            set(time(7, 0), ZoneSpec::Missing)
        );
        assert_eq!(
            p.read("switch my time zone to Europe/London", "how"),
            set(TimeSpec::Missing, ZoneSpec::Zone(Europe::London))
        );
    }

    #[test]
    fn numbers_that_are_not_times() {
        let p = parser();
        assert_eq!(
            p.read("remind me every day for 30 days", "how"),
            set(TimeSpec::Missing, ZoneSpec::Missing)
        );
        assert_eq!(
            p.read("reminders from 2026-09-01 please", "how"),
            set(TimeSpec::Missing, ZoneSpec::Missing)
        );
    }
}
