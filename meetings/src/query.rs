//! What a person asked for, read from the words of their message: days, times, meeting types,
//! fellowship, online or in person, and a place.
//!
//! The reader is word-based and forgiving: it never fails, ignores what it does not understand, and
//! only reads a fellowship abbreviation that is also an ordinary word or place ("CA", "MA", "smart")
//! when a loaded feed belongs to that fellowship.

use chrono::Weekday;

use crate::catalog::Catalog;
use crate::clock::to_24_hour;
use crate::gazetteer::Place;
use crate::geo::Coordinates;
use crate::model::{Attendance, Fellowship, Meeting};

/// Meetings returned when the caller does not say.
pub const DEFAULT_LIMIT: usize = 5;
/// Characters of a message that are read; the rest is ignored.
pub const MAX_MESSAGE_CHARS: usize = 2000;
const MAX_WORDS: usize = 300;
const MINUTES_PER_DAY: u32 = 24 * 60;
/// "At 7pm" means starting 15 minutes before to 45 minutes after.
const AT_BEFORE_MINUTES: u32 = 15;
const AT_AFTER_MINUTES: u32 = 45;
/// "Now" means starting within the next hour (or started under 10 minutes ago).
pub const NOW_WINDOW_MINUTES: u32 = 60;

/// A day a person asked about, relative to their own "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySpec {
    /// Today ("today", "tonight", "this morning").
    Today,
    /// Tomorrow.
    Tomorrow,
    /// A day of the week ("friday", "weekend", "weekdays").
    Weekday(Weekday),
}

/// Start times of interest, as minutes after local midnight: `from_minute` inclusive, `to_minute`
/// exclusive (at most 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// First minute included.
    pub from_minute: u32,
    /// First minute no longer included.
    pub to_minute: u32,
}

impl TimeWindow {
    /// Morning: 04:00-12:00.
    pub const MORNING: TimeWindow = TimeWindow::new(4 * 60, 12 * 60);
    /// Around lunch: 11:30-13:30.
    pub const LUNCH: TimeWindow = TimeWindow::new(11 * 60 + 30, 13 * 60 + 30);
    /// Afternoon: 12:00-17:00.
    pub const AFTERNOON: TimeWindow = TimeWindow::new(12 * 60, 17 * 60);
    /// Evening, night, tonight: 17:00-24:00.
    pub const EVENING: TimeWindow = TimeWindow::new(17 * 60, MINUTES_PER_DAY);

    /// A window (clamped to one day).
    pub const fn new(from_minute: u32, to_minute: u32) -> Self {
        let to = if to_minute > MINUTES_PER_DAY {
            MINUTES_PER_DAY
        } else {
            to_minute
        };
        TimeWindow {
            from_minute,
            to_minute: to,
        }
    }

    /// Whether a start at `minute` after midnight is inside.
    pub fn contains(&self, minute: u32) -> bool {
        self.from_minute <= minute && minute < self.to_minute
    }

    /// Windows for "at `minute`": a little before to most of an hour after, split at midnight.
    fn around(minute: u32) -> Vec<TimeWindow> {
        let day = MINUTES_PER_DAY as i64;
        let from = minute as i64 - AT_BEFORE_MINUTES as i64;
        let to = minute as i64 + AT_AFTER_MINUTES as i64 + 1;
        let mut out = vec![TimeWindow::new(from.max(0) as u32, to.min(day) as u32)];
        if from < 0 {
            out.push(TimeWindow::new((day + from) as u32, day as u32));
        }
        if to > day {
            out.push(TimeWindow::new(0, (to - day) as u32));
        }
        out
    }
}

/// How a person wants to attend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceWant {
    /// By video or phone (online and hybrid meetings).
    Online,
    /// In person (in-person and hybrid meetings).
    InPerson,
    /// Hybrid meetings only.
    Hybrid,
}

impl AttendanceWant {
    /// Whether a meeting attended this way fits.
    pub fn accepts(self, attendance: Attendance) -> bool {
        match self {
            Self::Online => attendance.is_online(),
            Self::InPerson => attendance.is_in_person(),
            Self::Hybrid => attendance == Attendance::Hybrid,
        }
    }
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Soonest start first.
    Soonest,
    /// Nearest first (needs coordinates or a place), then soonest.
    Nearest,
}

/// A kind of meeting a person asked for. Each matches several English type names, so that
/// fellowships' different words for the same thing are found ("Newcomer" and "Beginners").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeWant {
    /// Women's meetings.
    Women,
    /// Men's meetings.
    Men,
    /// Any LGBTQ meeting (gay, lesbian, bisexual, transgender, non-binary).
    Lgbtq,
    /// Gay (or LGBTQ) meetings.
    Gay,
    /// Lesbian (or LGBTQ) meetings.
    Lesbian,
    /// Transgender (or LGBTQ, non-binary) meetings.
    Transgender,
    /// Young people's meetings.
    YoungPeople,
    /// Speaker meetings.
    Speaker,
    /// Discussion meetings.
    Discussion,
    /// Big Book study.
    BigBook,
    /// Beginners' or newcomers' meetings.
    Beginners,
    /// Open to anyone.
    Open,
    /// Closed: for those with a desire to stop.
    Closed,
    /// Secular or agnostic.
    Secular,
    /// Wheelchair access.
    Wheelchair,
    /// Meditation.
    Meditation,
    /// Step study.
    StepStudy,
    /// Held in a language, by its English type name ("Spanish", "American Sign Language").
    Language(String),
}

impl TypeWant {
    /// English type names that satisfy this want.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Self::Women => vec!["Women"],
            Self::Men => vec!["Men"],
            Self::Lgbtq => vec![
                "LGBTQ",
                "Gay",
                "Lesbian",
                "Bisexual",
                "Transgender",
                "Non-Binary",
                "Gay/Lesbian",
            ],
            Self::Gay => vec!["Gay", "LGBTQ", "Gay/Lesbian"],
            Self::Lesbian => vec!["Lesbian", "LGBTQ", "Gay/Lesbian"],
            Self::Transgender => vec!["Transgender", "LGBTQ", "Non-Binary"],
            Self::YoungPeople => vec!["Young People"],
            Self::Speaker => vec!["Speaker", "Speaker/Discussion"],
            Self::Discussion => vec!["Discussion", "Speaker/Discussion", "Topic"],
            Self::BigBook => vec!["Big Book"],
            Self::Beginners => vec!["Newcomer", "Beginners"],
            Self::Open => vec!["Open"],
            Self::Closed => vec!["Closed"],
            Self::Secular => vec!["Secular"],
            Self::Wheelchair => vec!["Wheelchair Access", "Wheelchair-Accessible Bathroom"],
            Self::Meditation => vec!["Meditation", "11th Step Meditation"],
            Self::StepStudy => vec!["Step Study", "12 Steps & 12 Traditions"],
            Self::Language(name) => vec![name.as_str()],
        }
    }

    /// Whether a meeting fits. A meeting with no language type counts as English.
    pub fn matches(&self, meeting: &Meeting) -> bool {
        if let Self::Language(name) = self
            && name == "English"
            && !meeting.types.iter().any(|t| is_language_name(t))
        {
            return true;
        }
        self.names().iter().any(|n| meeting.has_type(n))
    }
}

/// Language type names (English) and the words people use for them.
const LANGUAGES: &[(&str, &[&str])] = &[
    ("Afrikaans", &["afrikaans"]),
    ("American Sign Language", &["asl"]),
    ("Amharic", &["amharic"]),
    ("Arabic", &["arabic"]),
    ("Bulgarian", &["bulgarian"]),
    ("Croatian", &["croatian"]),
    ("Danish", &["danish"]),
    ("Dutch", &["dutch", "nederlands"]),
    ("English", &["english"]),
    ("Finnish", &["finnish"]),
    ("French", &["french", "français", "francais"]),
    ("Georgian", &["georgian"]),
    ("German", &["german", "deutsch"]),
    ("Greek", &["greek"]),
    ("Hebrew", &["hebrew"]),
    ("Hindi", &["hindi"]),
    ("Hungarian", &["hungarian"]),
    ("Icelandic", &["icelandic"]),
    ("Italian", &["italian", "italiano"]),
    ("Japanese", &["japanese"]),
    ("Korean", &["korean"]),
    ("Lithuanian", &["lithuanian"]),
    ("Malayalam", &["malayalam"]),
    ("Maltese", &["maltese"]),
    ("Nepali", &["nepali"]),
    ("Norwegian", &["norwegian"]),
    ("Persian", &["persian", "farsi"]),
    ("Polish", &["polish", "polski"]),
    ("Portuguese", &["portuguese", "português", "portugues"]),
    ("Punjabi", &["punjabi"]),
    ("Russian", &["russian"]),
    ("Slovak", &["slovak"]),
    ("Slovenian", &["slovenian"]),
    (
        "Spanish",
        &["spanish", "español", "espanol", "spanish-speaking"],
    ),
    ("Swedish", &["swedish", "svenska"]),
    ("Tagalog", &["tagalog", "filipino"]),
    ("Thai", &["thai"]),
    ("Turkish", &["turkish"]),
    ("Ukrainian", &["ukrainian"]),
];

fn is_language_name(type_name: &str) -> bool {
    LANGUAGES
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(type_name))
}

/// Words with a meaning to the reader; a feed's place name made only of these is not a place.
pub(crate) fn is_keyword(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "today",
        "tonight",
        "tomorrow",
        "morning",
        "afternoon",
        "evening",
        "night",
        "now",
        "next",
        "weekend",
        "weekends",
        "weekday",
        "weekdays",
        "online",
        "virtual",
        "zoom",
        "remote",
        "hybrid",
        "person",
        "women",
        "men",
        "open",
        "closed",
        "speaker",
        "discussion",
        "meeting",
        "meetings",
        "near",
        "nearest",
        "the",
        "and",
        "for",
        "any",
        "area",
        "soon",
        "noon",
        // Spanish
        "hoy",
        "noche",
        "manana",
        "mañana",
        "tarde",
        "ahora",
        "linea",
        "línea",
        "presencial",
        "mujeres",
        "hombres",
        "reunion",
        "reunión",
        "reuniones",
        "esta",
        "cerca",
    ];
    WORDS.contains(&word)
        || crate::clock::weekday_from_name(word).is_some()
        || LANGUAGES.iter().any(|(_, words)| words.contains(&word))
}

/// What a person asked for. Build one with [`Query::parse`] (or by hand), then search with
/// [`crate::search::search`]. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Days asked about (any of them).
    pub days: Vec<DaySpec>,
    /// Start-time windows in local time (any of them).
    pub times: Vec<TimeWindow>,
    /// Only meetings starting within this many minutes ("now").
    pub starting_within_minutes: Option<u32>,
    /// Meeting types asked for (all of them).
    pub types: Vec<TypeWant>,
    /// Fellowships asked for (any of them); matched only against feeds declared to belong to one.
    pub fellowships: Vec<Fellowship>,
    /// Online, in person or hybrid, if the person said.
    pub attendance: Option<AttendanceWant>,
    /// A place named in the message and found in the feeds.
    pub place: Option<Place>,
    /// Where the person is (from a shared location), set by the caller.
    pub near: Option<Coordinates>,
    /// Ordering; `None` = nearest first when a place or coordinates are given, else soonest.
    pub order: Option<Order>,
    /// Most hits to return.
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            days: Vec::new(),
            times: Vec::new(),
            starting_within_minutes: None,
            types: Vec::new(),
            fellowships: Vec::new(),
            attendance: None,
            place: None,
            near: None,
            order: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// A clock time read from a message, before am/pm is settled.
#[derive(Debug, Clone, Copy)]
struct ClockReading {
    hour: u32,
    minute: u32,
    /// `Some(true)` for pm; `None` when a 1-12 hour could be either.
    pm: Option<bool>,
    bound: Bound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    At,
    After,
    Before,
}

/// Scratch state while reading a message.
#[derive(Default)]
struct Reading {
    clocks: Vec<ClockReading>,
    parts: Vec<TimeWindow>,
    pm_hint: Option<bool>,
    attendance: Vec<AttendanceWant>,
}

impl Query {
    /// A query matching any meeting.
    pub fn any() -> Self {
        Self::default()
    }

    /// The same query, near these coordinates (a location the person shared).
    pub fn near(mut self, coordinates: Coordinates) -> Self {
        self.near = Some(coordinates);
        self
    }

    /// The same query, returning at most `limit` hits.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Whether the person gave a time constraint (clock time, part of day or "now").
    pub fn has_time(&self) -> bool {
        !self.times.is_empty() || self.starting_within_minutes.is_some()
    }

    /// Reads a query from a message. Robust to any text: unknown words are ignored, and only the
    /// first [`MAX_MESSAGE_CHARS`] characters are read. Places are looked up in the catalog's
    /// gazetteer; fellowship words that are also ordinary words count only if a feed declares that
    /// fellowship.
    pub fn parse(text: &str, catalog: &Catalog) -> Query {
        let words = words(text);
        let mut used = vec![false; words.len()];
        let mut query = Query::default();
        let mut reading = Reading::default();
        let mut i = 0;
        while i < words.len() {
            let taken = query.read_at(&words, i, catalog, &mut reading);
            for u in used.iter_mut().skip(i).take(taken) {
                *u = true;
            }
            i += taken.max(1);
        }
        if let Some((place, _, _)) = catalog.gazetteer().find_in(&words, &used) {
            query.place = Some(place.clone());
        }
        query.settle(reading);
        query
    }

    /// Reads whatever starts at word `i`; returns how many words it used (0 if none).
    fn read_at(
        &mut self,
        words: &[String],
        i: usize,
        catalog: &Catalog,
        reading: &mut Reading,
    ) -> usize {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let next2 = words.get(i + 2).map(String::as_str).unwrap_or("");
        let prev = if i > 0 { words[i - 1].as_str() } else { "" };
        let has = |f: Fellowship| catalog.fellowships().contains(&f);

        // Phrases of several words first.
        let phrase3 = match (w, next, next2) {
            ("face", "to", "face") => Some(Term::Attend(AttendanceWant::InPerson)),
            ("crystal", "meth", "anonymous") => Some(Term::Fellowship(Fellowship::Cma)),
            ("american", "sign", "language") => Some(Term::Type(TypeWant::Language(
                "American Sign Language".into(),
            ))),
            ("fin", "de", "semana") => Some(Term::Days(&[Weekday::Sat, Weekday::Sun])),
            _ => None,
        };
        if let Some(term) = phrase3 {
            self.apply(term, reading);
            return 3;
        }
        let phrase2 = match (w, next) {
            ("in", "person") => Some(Term::Attend(AttendanceWant::InPerson)),
            ("big", "book") => Some(Term::Type(TypeWant::BigBook)),
            ("young", "people" | "persons" | "adults") => Some(Term::Type(TypeWant::YoungPeople)),
            ("step", "study" | "studies") => Some(Term::Type(TypeWant::StepStudy)),
            ("sign", "language") => Some(Term::Type(TypeWant::Language(
                "American Sign Language".into(),
            ))),
            ("non", "binary") => Some(Term::Type(TypeWant::Transgender)),
            ("new", "comer" | "comers") => Some(Term::Type(TypeWant::Beginners)),
            ("alcoholics", "anonymous") => Some(Term::Fellowship(Fellowship::Aa)),
            ("narcotics", "anonymous") => Some(Term::Fellowship(Fellowship::Na)),
            ("cocaine", "anonymous") => Some(Term::Fellowship(Fellowship::Ca)),
            ("marijuana", "anonymous") => Some(Term::Fellowship(Fellowship::Ma)),
            ("al", "anon") => Some(Term::Fellowship(Fellowship::AlAnon)),
            ("smart", "recovery") => Some(Term::Fellowship(Fellowship::Smart)),
            ("right", "now") => Some(Term::Now),
            ("this", "morning") => Some(Term::DayPart(DaySpec::Today, TimeWindow::MORNING, false)),
            ("this", "afternoon") => {
                Some(Term::DayPart(DaySpec::Today, TimeWindow::AFTERNOON, true))
            }
            ("this", "evening") => Some(Term::DayPart(DaySpec::Today, TimeWindow::EVENING, true)),
            // Spanish: "esta noche", "en línea", "por la mañana" (a lone "mañana" is tomorrow).
            ("esta", "noche") => Some(Term::DayPart(DaySpec::Today, TimeWindow::EVENING, true)),
            ("esta", "tarde") => Some(Term::DayPart(DaySpec::Today, TimeWindow::AFTERNOON, true)),
            ("esta", "manana" | "mañana") => {
                Some(Term::DayPart(DaySpec::Today, TimeWindow::MORNING, false))
            }
            ("la", "manana" | "mañana") => Some(Term::Part(TimeWindow::MORNING, false)),
            ("en", "linea" | "línea") => Some(Term::Attend(AttendanceWant::Online)),
            ("en", "persona") => Some(Term::Attend(AttendanceWant::InPerson)),
            ("alcoholicos" | "alcohólicos", "anonimos" | "anónimos") => {
                Some(Term::Fellowship(Fellowship::Aa))
            }
            ("narcoticos" | "narcóticos", "anonimos" | "anónimos") => {
                Some(Term::Fellowship(Fellowship::Na))
            }
            _ => None,
        };
        if let Some(term) = phrase2 {
            self.apply(term, reading);
            return 2;
        }

        // Clock times: "7pm", "7 pm", "19:00", "at 7", "after 6:30".
        let after_preposition = matches!(
            prev,
            "at" | "around"
                | "about"
                | "after"
                | "from"
                | "since"
                | "before"
                | "by"
                | "until"
                | "till"
                | "las"
        );
        if let Some((mut clock, taken)) = read_clock(w, next, after_preposition) {
            clock.bound = match prev {
                "after" | "from" | "since" => Bound::After,
                "before" | "by" | "until" | "till" => Bound::Before,
                _ => Bound::At,
            };
            reading.clocks.push(clock);
            return taken;
        }

        let term = match w {
            "today" | "todays" => Term::Day(DaySpec::Today),
            "tonight" | "tonite" | "tonights" => {
                Term::DayPart(DaySpec::Today, TimeWindow::EVENING, true)
            }
            "tomorrow" | "tomorrows" | "tmrw" | "tmr" | "tomorow" | "tommorow" | "tommorrow" => {
                Term::Day(DaySpec::Tomorrow)
            }
            "weekend" | "weekends" => Term::Days(&[Weekday::Sat, Weekday::Sun]),
            "weekday" | "weekdays" => Term::Days(&[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ]),
            "morning" | "mornings" => Term::Part(TimeWindow::MORNING, false),
            "lunch" | "lunchtime" | "midday" => Term::Part(TimeWindow::LUNCH, true),
            "afternoon" | "afternoons" => Term::Part(TimeWindow::AFTERNOON, true),
            "evening" | "evenings" | "night" | "nights" => Term::Part(TimeWindow::EVENING, true),
            "now" | "asap" | "soon" | "immediately" | "ahora" | "ahorita" => Term::Now,
            "hoy" => Term::Day(DaySpec::Today),
            "manana" | "mañana" => Term::Day(DaySpec::Tomorrow),
            "tarde" | "tardes" => Term::Part(TimeWindow::AFTERNOON, true),
            "noche" | "noches" => Term::Part(TimeWindow::EVENING, true),
            "mediodia" | "mediodía" => Term::Part(TimeWindow::LUNCH, true),
            "presencial" | "presenciales" => Term::Attend(AttendanceWant::InPerson),
            "hibrida" | "híbrida" | "hibridas" | "híbridas" => {
                Term::Attend(AttendanceWant::Hybrid)
            }
            "mujeres" | "mujer" => Term::Type(TypeWant::Women),
            "hombres" | "hombre" => Term::Type(TypeWant::Men),
            "jovenes" | "jóvenes" => Term::Type(TypeWant::YoungPeople),
            "principiantes" | "novatos" => Term::Type(TypeWant::Beginners),
            "proxima" | "próxima" | "siguiente" => Term::Order(Order::Soonest),
            "cercana" | "cercanas" | "cerca" => Term::Order(Order::Nearest),
            "next" | "soonest" | "earliest" => Term::Order(Order::Soonest),
            "nearest" | "closest" => Term::Order(Order::Nearest),
            "online" | "zoom" | "virtual" | "remote" | "remotely" | "video" | "internet" => {
                Term::Attend(AttendanceWant::Online)
            }
            "in-person" | "inperson" | "face-to-face" | "f2f" | "irl" | "physical" => {
                Term::Attend(AttendanceWant::InPerson)
            }
            "hybrid" => Term::Attend(AttendanceWant::Hybrid),
            "women" | "woman" | "womens" | "ladies" | "female" | "women-only" => {
                Term::Type(TypeWant::Women)
            }
            "men" | "mens" | "male" | "men-only" => Term::Type(TypeWant::Men),
            "lgbtq" | "lgbt" | "lgbtqia" | "lgbtqi" | "lgbtq2" | "queer" => {
                Term::Type(TypeWant::Lgbtq)
            }
            "gay" | "gays" => Term::Type(TypeWant::Gay),
            "lesbian" | "lesbians" => Term::Type(TypeWant::Lesbian),
            "trans" | "transgender" | "nonbinary" | "non-binary" => {
                Term::Type(TypeWant::Transgender)
            }
            "young" | "youth" | "ypaa" => Term::Type(TypeWant::YoungPeople),
            "speaker" | "speakers" => Term::Type(TypeWant::Speaker),
            "discussion" | "discussions" => Term::Type(TypeWant::Discussion),
            "bigbook" | "big-book" => Term::Type(TypeWant::BigBook),
            "beginner" | "beginners" | "newcomer" | "newcomers" | "newbie" | "newbies" => {
                Term::Type(TypeWant::Beginners)
            }
            "open" | "closed" if is_state_not_type(prev, next) => Term::Nothing,
            "open" => Term::Type(TypeWant::Open),
            "closed" => Term::Type(TypeWant::Closed),
            "secular" | "agnostic" | "agnostics" | "atheist" | "atheists" | "non-religious" => {
                Term::Type(TypeWant::Secular)
            }
            "wheelchair" | "accessible" | "wheelchair-accessible" => {
                Term::Type(TypeWant::Wheelchair)
            }
            "meditation" => Term::Type(TypeWant::Meditation),
            "aa" => Term::Fellowship(Fellowship::Aa),
            "na" => Term::Fellowship(Fellowship::Na),
            "cma" => Term::Fellowship(Fellowship::Cma),
            "alanon" | "al-anon" | "alateen" => Term::Fellowship(Fellowship::AlAnon),
            "ca" if has(Fellowship::Ca) => Term::Fellowship(Fellowship::Ca),
            "ma" if has(Fellowship::Ma) => Term::Fellowship(Fellowship::Ma),
            "smart" if has(Fellowship::Smart) => Term::Fellowship(Fellowship::Smart),
            "sat" | "sun" if !weekday_context(prev, next) => Term::Nothing,
            _ => match crate::clock::weekday_from_name(
                w.strip_suffix("days").map_or(w, |_| &w[..w.len() - 1]),
            ) {
                Some(day) => Term::Day(DaySpec::Weekday(day)),
                None => match LANGUAGES.iter().find(|(_, ws)| ws.contains(&w)) {
                    Some((name, _)) => Term::Type(TypeWant::Language((*name).to_string())),
                    None => Term::Nothing,
                },
            },
        };
        if term == Term::Nothing {
            return 0;
        }
        self.apply(term, reading);
        1
    }

    fn apply(&mut self, term: Term, reading: &mut Reading) {
        match term {
            Term::Nothing => {}
            Term::Day(d) => push_unique(&mut self.days, d),
            Term::Days(days) => {
                for d in days {
                    push_unique(&mut self.days, DaySpec::Weekday(*d));
                }
            }
            Term::Part(window, pm) => {
                push_unique(&mut reading.parts, window);
                reading.pm_hint = Some(pm);
            }
            Term::DayPart(day, window, pm) => {
                push_unique(&mut self.days, day);
                push_unique(&mut reading.parts, window);
                reading.pm_hint = Some(pm);
            }
            Term::Now => {
                self.starting_within_minutes = Some(NOW_WINDOW_MINUTES);
                self.order = Some(Order::Soonest);
            }
            Term::Order(order) => self.order = Some(order),
            Term::Attend(a) => push_unique(&mut reading.attendance, a),
            Term::Type(t) => push_unique(&mut self.types, t),
            Term::Fellowship(f) => push_unique(&mut self.fellowships, f),
        }
    }

    /// Settles what could only be decided once the whole message was read.
    fn settle(&mut self, reading: Reading) {
        if reading.clocks.is_empty() {
            self.times = reading.parts;
        } else {
            for clock in &reading.clocks {
                for minute in clock.minutes(reading.pm_hint) {
                    let windows = match clock.bound {
                        Bound::At => TimeWindow::around(minute),
                        Bound::After => vec![TimeWindow::new(minute, MINUTES_PER_DAY)],
                        Bound::Before => vec![TimeWindow::new(0, minute)],
                    };
                    for w in windows {
                        push_unique(&mut self.times, w);
                    }
                }
            }
        }
        // "Men and women" means a mixed meeting, not one that is both.
        if self.types.contains(&TypeWant::Women) && self.types.contains(&TypeWant::Men) {
            self.types
                .retain(|t| !matches!(t, TypeWant::Women | TypeWant::Men));
        }
        let wants = &reading.attendance;
        self.attendance = if wants.contains(&AttendanceWant::Hybrid) {
            Some(AttendanceWant::Hybrid)
        } else if wants.len() == 1 {
            Some(wants[0])
        } else {
            None
        };
    }
}

impl ClockReading {
    /// Minutes after midnight this could mean: one, or two when am/pm is unknown.
    fn minutes(&self, pm_hint: Option<bool>) -> Vec<u32> {
        let pm = self.pm.or(if (1..=11).contains(&self.hour) {
            pm_hint
        } else {
            None
        });
        let hours: Vec<u32> = match pm {
            Some(pm) => to_24_hour(self.hour, pm).into_iter().collect(),
            None if (1..=11).contains(&self.hour) => vec![self.hour, self.hour + 12],
            None => vec![self.hour],
        };
        hours.into_iter().map(|h| h * 60 + self.minute).collect()
    }
}

/// One thing read from a message.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Nothing,
    Day(DaySpec),
    Days(&'static [Weekday]),
    Part(TimeWindow, bool),
    DayPart(DaySpec, TimeWindow, bool),
    Now,
    Order(Order),
    Attend(AttendanceWant),
    Type(TypeWant),
    Fellowship(Fellowship),
}

fn push_unique<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// "Is anything open now?": open/closed describing a state, not a meeting type.
fn is_state_not_type(prev: &str, next: &str) -> bool {
    matches!(
        prev,
        "is" | "are" | "still" | "anything" | "anywhere" | "whats" | "what's" | "places" | "stay"
    ) || matches!(
        next,
        "now" | "today" | "tonight" | "late" | "right" | "24" | "until" | "till"
    )
}

/// "sat" and "sun" are days only next to day-ish words ("on sat", "sun morning").
fn weekday_context(prev: &str, next: &str) -> bool {
    matches!(prev, "on" | "this" | "next" | "every")
        || matches!(
            next,
            "morning" | "afternoon" | "evening" | "night" | "at" | "am" | "pm"
        )
        || next.starts_with(|c: char| c.is_ascii_digit())
}

/// Reads a clock time at `word` (maybe with `next` = "am"/"pm"); returns it and words used. A bare
/// hour ("7") or a dotted time ("7.30") counts only after a preposition ("at 7") or with am/pm.
fn read_clock(word: &str, next: &str, after_preposition: bool) -> Option<(ClockReading, usize)> {
    let reading = |hour, minute, pm| ClockReading {
        hour,
        minute,
        pm,
        bound: Bound::At,
    };
    match word {
        "noon" => return Some((reading(12, 0, Some(true)), 1)),
        "midnight" => return Some((reading(0, 0, None), 1)),
        _ => {}
    }
    let (digits, pm, taken) = if let Some(d) = word.strip_suffix("am") {
        (d, Some(false), 1)
    } else if let Some(d) = word.strip_suffix("pm") {
        (d, Some(true), 1)
    } else if matches!(next, "am" | "pm") {
        (word, Some(next == "pm"), 2)
    } else {
        (word, None, 1)
    };
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (hour_text, minute_text, separator) = match digits.find([':', '.']) {
        Some(at) => (
            &digits[..at],
            Some(&digits[at + 1..]),
            Some(&digits[at..=at]),
        ),
        None => (digits, None, None),
    };
    let number = |t: &str| -> Option<u32> {
        (!t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let hour = number(hour_text)?;
    let minute = match minute_text {
        Some(m) if m.len() == 2 => number(m)?,
        Some(_) => return None,
        None => 0,
    };
    let plain_enough = pm.is_some() || after_preposition || separator == Some(":");
    if !plain_enough || minute > 59 {
        return None;
    }
    match pm {
        Some(_) if !(1..=12).contains(&hour) => None,
        None if hour > 23 => None,
        // "12:30" without am/pm is after noon; 13-23 and 0 are already 24-hour.
        None if hour == 12 => Some((reading(12, minute, Some(true)), taken)),
        // 0 and 13-23 are 24-hour times; `minutes` takes them as they are.
        _ => Some((reading(hour, minute, pm), taken)),
    }
}

/// Lower-cased words of a message: letters, digits and the marks inside times and names
/// (`7:30`, `al-anon`, `a.m.` -> `am`, `women's` -> `women`).
fn words(text: &str) -> Vec<String> {
    let lower: String = text
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .flat_map(char::to_lowercase)
        .collect();
    let inner = |c: char| matches!(c, ':' | '.' | '\'' | '’' | '-' | '+');
    let mut out = Vec::new();
    for raw in lower.split(|c: char| !(c.is_alphanumeric() || inner(c))) {
        let w = raw.trim_matches(inner);
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .unwrap_or(w)
            .trim_matches(inner);
        if w.is_empty() {
            continue;
        }
        let w = if w.contains('.') && w.chars().all(|c| c.is_alphabetic() || c == '.') {
            w.replace('.', "")
        } else {
            w.to_string()
        };
        out.push(w);
        if out.len() >= MAX_WORDS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Query {
        Query::parse(text, &Catalog::default())
    }

    #[test]
    fn words_are_normalised() {
        assert_eq!(
            words("Women's A.A. meeting at 7:30 p.m.!"),
            vec!["women", "aa", "meeting", "at", "7:30", "pm"]
        );
        assert_eq!(words("LGBTQ+ al-anon"), vec!["lgbtq", "al-anon"]);
        assert!(words("   ...  ").is_empty());
    }

    #[test]
    fn tonight_is_today_evening() {
        let q = parse("AA meetings tonight");
        assert_eq!(q.days, vec![DaySpec::Today]);
        assert_eq!(q.times, vec![TimeWindow::EVENING]);
        assert_eq!(q.fellowships, vec![Fellowship::Aa]);
    }

    #[test]
    fn clock_times() {
        let q = parse("anything at 7pm?");
        assert_eq!(q.times, vec![TimeWindow::new(18 * 60 + 45, 19 * 60 + 46)]);
        let q = parse("a meeting at 7:30");
        assert_eq!(q.times.len(), 2, "am and pm: {:?}", q.times);
        let q = parse("tomorrow morning at 7:30");
        assert_eq!(q.days, vec![DaySpec::Tomorrow]);
        assert_eq!(q.times, vec![TimeWindow::new(7 * 60 + 15, 8 * 60 + 16)]);
        let q = parse("after 18:00");
        assert_eq!(q.times, vec![TimeWindow::new(18 * 60, 24 * 60)]);
        let q = parse("before 9 am");
        assert_eq!(q.times, vec![TimeWindow::new(0, 9 * 60)]);
        let q = parse("at noon");
        assert_eq!(q.times, vec![TimeWindow::new(11 * 60 + 45, 12 * 60 + 46)]);
        let q = parse("at midnight");
        assert_eq!(q.times.len(), 2, "{:?}", q.times);
    }

    #[test]
    fn numbers_that_are_not_times() {
        assert!(parse("12 step meeting").times.is_empty());
        assert!(parse("I have 30 days").times.is_empty());
        assert!(parse("3.5 stars").times.is_empty());
        assert!(parse("at 99").times.is_empty());
        assert!(parse("13pm").times.is_empty());
    }

    #[test]
    fn days() {
        assert_eq!(
            parse("friday night").days,
            vec![DaySpec::Weekday(Weekday::Fri)]
        );
        assert_eq!(parse("mondays").days, vec![DaySpec::Weekday(Weekday::Mon)]);
        assert_eq!(parse("weekend").days.len(), 2);
        assert_eq!(parse("weekdays").days.len(), 5);
        assert!(parse("I sat down").days.is_empty());
        assert_eq!(parse("on sat").days, vec![DaySpec::Weekday(Weekday::Sat)]);
    }

    #[test]
    fn spanish_queries() {
        let q = parse("reunión de AA esta noche en línea");
        assert_eq!(q.fellowships, vec![Fellowship::Aa]);
        assert_eq!(q.days, vec![DaySpec::Today]);
        assert_eq!(q.times, vec![TimeWindow::EVENING]);
        assert_eq!(q.attendance, Some(AttendanceWant::Online));
        let q = parse("reuniones de mujeres el sábado por la mañana");
        assert_eq!(q.types, vec![TypeWant::Women]);
        assert_eq!(q.days, vec![DaySpec::Weekday(Weekday::Sat)]);
        assert_eq!(q.times, vec![TimeWindow::MORNING]);
        let q = parse("narcóticos anónimos mañana a las 7 de la tarde presencial");
        assert_eq!(q.fellowships, vec![Fellowship::Na]);
        assert_eq!(q.days, vec![DaySpec::Tomorrow]);
        assert_eq!(q.times, vec![TimeWindow::new(18 * 60 + 45, 19 * 60 + 46)]);
        assert_eq!(q.attendance, Some(AttendanceWant::InPerson));
        assert_eq!(parse("el fin de semana").days.len(), 2);
        assert_eq!(
            parse("miercoles").days,
            vec![DaySpec::Weekday(Weekday::Wed)]
        );
        assert_eq!(
            parse("necesito una reunión ahora").starting_within_minutes,
            Some(NOW_WINDOW_MINUTES)
        );
        assert_eq!(
            parse("reuniones en español").types,
            vec![TypeWant::Language("Spanish".into())]
        );
    }

    #[test]
    fn now_and_next() {
        let q = parse("I need a meeting right now");
        assert_eq!(q.starting_within_minutes, Some(NOW_WINDOW_MINUTES));
        assert_eq!(q.order, Some(Order::Soonest));
        assert_eq!(parse("next meeting").order, Some(Order::Soonest));
    }

    #[test]
    fn types_in_words() {
        let q = parse("women's big book speaker meeting for beginners");
        assert_eq!(
            q.types,
            vec![
                TypeWant::Women,
                TypeWant::BigBook,
                TypeWant::Speaker,
                TypeWant::Beginners
            ]
        );
        assert_eq!(parse("gay").types, vec![TypeWant::Gay]);
        assert_eq!(parse("young people").types, vec![TypeWant::YoungPeople]);
        assert_eq!(
            parse("en español").types,
            vec![TypeWant::Language("Spanish".into())]
        );
        assert_eq!(
            parse("french meeting").types,
            vec![TypeWant::Language("French".into())]
        );
        assert_eq!(parse("agnostic").types, vec![TypeWant::Secular]);
        assert_eq!(parse("wheelchair access").types, vec![TypeWant::Wheelchair]);
        assert!(parse("men and women").types.is_empty());
    }

    #[test]
    fn open_as_state_is_not_a_type() {
        assert!(parse("is anything open now").types.is_empty());
        assert_eq!(parse("an open meeting").types, vec![TypeWant::Open]);
        assert_eq!(parse("closed meetings").types, vec![TypeWant::Closed]);
    }

    #[test]
    fn attendance_words() {
        assert_eq!(parse("zoom").attendance, Some(AttendanceWant::Online));
        assert_eq!(
            parse("in person").attendance,
            Some(AttendanceWant::InPerson)
        );
        assert_eq!(
            parse("face to face").attendance,
            Some(AttendanceWant::InPerson)
        );
        assert_eq!(parse("hybrid").attendance, Some(AttendanceWant::Hybrid));
        assert_eq!(parse("online or in person").attendance, None);
    }

    #[test]
    fn ambiguous_fellowship_words_need_a_feed() {
        assert!(parse("ca meetings").fellowships.is_empty());
        assert!(parse("smart idea").fellowships.is_empty());
        assert_eq!(parse("smart recovery").fellowships, vec![Fellowship::Smart]);
        assert_eq!(parse("N.A. tonight").fellowships, vec![Fellowship::Na]);
        assert_eq!(parse("al-anon").fellowships, vec![Fellowship::AlAnon]);
    }

    #[test]
    fn any_text_is_fine() {
        for text in [
            "",
            " ",
            "🙂🙂🙂",
            "\u{0}\u{202e}",
            "at",
            "at :",
            "7:",
            ":30",
            "pm pm pm",
            "ＡＡ",
            "İstanbul",
            &"a ".repeat(10_000),
            &"7pm ".repeat(5_000),
        ] {
            let q = parse(text);
            assert!(q.limit == DEFAULT_LIMIT);
        }
    }

    #[test]
    fn time_window_contains() {
        assert!(TimeWindow::EVENING.contains(17 * 60));
        assert!(!TimeWindow::EVENING.contains(17 * 60 - 1));
        assert!(TimeWindow::EVENING.contains(24 * 60 - 1));
        assert_eq!(TimeWindow::around(5).len(), 2);
        assert_eq!(TimeWindow::around(23 * 60 + 50).len(), 2);
    }
}
