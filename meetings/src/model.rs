//! The normalised meeting record shared by every feed format, and the options a caller gives per feed.

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::geo::Coordinates;

/// How a person can attend a meeting, worked out as Meeting Guide and TSML UI do: a conference URL
/// or phone line makes it online; a specific (not approximate) address that is not temporarily closed
/// makes it in person; both make it hybrid. Meetings that are neither are inactive and never loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// At an address only.
    InPerson,
    /// By video or phone only.
    Online,
    /// At an address, and by video or phone.
    Hybrid,
}

impl Attendance {
    /// From the two facts that decide it; `None` when the meeting is inactive.
    pub fn from_parts(online: bool, in_person: bool) -> Option<Self> {
        match (online, in_person) {
            (true, true) => Some(Self::Hybrid),
            (true, false) => Some(Self::Online),
            (false, true) => Some(Self::InPerson),
            (false, false) => None,
        }
    }

    /// Whether a person can join by video or phone.
    pub fn is_online(self) -> bool {
        matches!(self, Self::Online | Self::Hybrid)
    }

    /// Whether a person can go in person.
    pub fn is_in_person(self) -> bool {
        matches!(self, Self::InPerson | Self::Hybrid)
    }
}

/// A fellowship a feed belongs to. Feeds do not say this themselves, so the caller names it in
/// [`FeedOptions`]; it decides which meaning a clashing type code has and which fellowship words in
/// a message can select the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Fellowship {
    /// Alcoholics Anonymous.
    #[serde(rename = "AA")]
    Aa,
    /// Narcotics Anonymous.
    #[serde(rename = "NA")]
    Na,
    /// Cocaine Anonymous.
    #[serde(rename = "CA")]
    Ca,
    /// Crystal Meth Anonymous.
    #[serde(rename = "CMA")]
    Cma,
    /// Marijuana Anonymous.
    #[serde(rename = "MA")]
    Ma,
    /// Al-Anon and Alateen family groups.
    #[serde(rename = "Al-Anon")]
    AlAnon,
    /// SMART Recovery.
    #[serde(rename = "SMART")]
    Smart,
}

impl Fellowship {
    /// Every fellowship this crate knows.
    pub const ALL: [Fellowship; 7] = [
        Self::Aa,
        Self::Na,
        Self::Ca,
        Self::Cma,
        Self::Ma,
        Self::AlAnon,
        Self::Smart,
    ];

    /// Short name, as used in `data/types.json` and in replies ("AA", "NA", "Al-Anon", ...).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Aa => "AA",
            Self::Na => "NA",
            Self::Ca => "CA",
            Self::Cma => "CMA",
            Self::Ma => "MA",
            Self::AlAnon => "Al-Anon",
            Self::Smart => "SMART",
        }
    }

    /// Full name ("Alcoholics Anonymous", ...).
    pub fn full_name(self) -> &'static str {
        match self {
            Self::Aa => "Alcoholics Anonymous",
            Self::Na => "Narcotics Anonymous",
            Self::Ca => "Cocaine Anonymous",
            Self::Cma => "Crystal Meth Anonymous",
            Self::Ma => "Marijuana Anonymous",
            Self::AlAnon => "Al-Anon Family Groups",
            Self::Smart => "SMART Recovery",
        }
    }
}

/// What the caller knows about a feed that the feed does not say itself.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedOptions {
    /// A short identifier for the feed (for example `"oc"`), copied into each meeting and used in
    /// error messages.
    pub id: String,
    /// The fellowship the feed belongs to, if known.
    pub fellowship: Option<Fellowship>,
    /// Time zone for meetings that do not name one (most Meeting Guide feeds do not).
    pub default_timezone: Tz,
}

impl FeedOptions {
    /// Options with no fellowship.
    pub fn new(id: impl Into<String>, default_timezone: Tz) -> Self {
        Self {
            id: id.into(),
            fellowship: None,
            default_timezone,
        }
    }

    /// The same options, naming the feed's fellowship.
    pub fn with_fellowship(mut self, fellowship: Fellowship) -> Self {
        self.fellowship = Some(fellowship);
        self
    }
}

/// One weekly meeting, normalised from any feed format. A meeting listed on several days in its feed
/// becomes one `Meeting` per day, sharing a slug.
///
/// Anonymity: contact names, emails and phone numbers of members are dropped when a feed is parsed,
/// and email addresses are removed from free text; only the meeting's own conference line is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    /// The feed's unique key for the meeting (integers are turned into strings).
    pub slug: String,
    /// Meeting name.
    pub name: String,
    /// The [`FeedOptions::id`] of the feed it came from.
    pub feed: String,
    /// The feed's fellowship, if the caller named it.
    pub fellowship: Option<Fellowship>,
    /// Day of the week, in the meeting's time zone.
    pub day: Weekday,
    /// Local start time, in the meeting's time zone.
    pub start: NaiveTime,
    /// Length in minutes (60 when the feed gives no end time).
    pub duration_minutes: u32,
    /// The meeting's time zone, or its feed's default.
    pub timezone: Tz,
    /// Meeting types in English ("Open", "Women", "Big Book", ...), deduplicated, feed order.
    pub types: Vec<String>,
    /// The feed's raw type codes, as given.
    pub type_codes: Vec<String>,
    /// In person, online or hybrid.
    pub attendance: Attendance,
    /// The location is temporarily closed (type `TC`); the meeting is only online for now.
    pub temporarily_closed: bool,
    /// Building or landmark name.
    pub location: Option<String>,
    /// Full address, as formatted by the feed or assembled from its parts.
    pub address: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// Postal (ZIP) code.
    pub postal_code: Option<String>,
    /// Regions, most general first (`region`, `sub_region` or `regions`).
    pub regions: Vec<String>,
    /// The address is only approximate (a city or county), so it cannot be attended there.
    pub approximate: bool,
    /// Where the meeting is, when the feed says.
    pub coordinates: Option<Coordinates>,
    /// Video meeting link.
    pub conference_url: Option<String>,
    /// Notes on the video link (meeting ID, passcode).
    pub conference_url_notes: Option<String>,
    /// The meeting's dial-in line (not a member's phone).
    pub conference_phone: Option<String>,
    /// Notes on the dial-in line.
    pub conference_phone_notes: Option<String>,
    /// The meeting's notes, with email addresses removed.
    pub notes: Option<String>,
    /// The meeting's page on the service entity's website.
    pub url: Option<String>,
}

impl Meeting {
    /// Day number as in Meeting Guide JSON: 0 = Sunday ... 6 = Saturday.
    pub fn day_number(&self) -> u8 {
        self.day.num_days_from_sunday() as u8
    }

    /// Whether the meeting has this English type name (case-insensitive).
    pub fn has_type(&self, name: &str) -> bool {
        self.types.iter().any(|t| t.eq_ignore_ascii_case(name))
    }

    /// Place names a person might use for this meeting: city, regions and postal code.
    pub fn place_names(&self) -> impl Iterator<Item = &str> {
        self.city
            .iter()
            .chain(self.regions.iter())
            .chain(self.postal_code.iter())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_from_parts_matches_meeting_guide() {
        assert_eq!(Attendance::from_parts(true, true), Some(Attendance::Hybrid));
        assert_eq!(
            Attendance::from_parts(true, false),
            Some(Attendance::Online)
        );
        assert_eq!(
            Attendance::from_parts(false, true),
            Some(Attendance::InPerson)
        );
        assert_eq!(Attendance::from_parts(false, false), None);
        assert!(Attendance::Hybrid.is_online() && Attendance::Hybrid.is_in_person());
        assert!(!Attendance::Online.is_in_person());
        assert!(!Attendance::InPerson.is_online());
    }

    #[test]
    fn fellowship_serialises_to_short_name() {
        for f in Fellowship::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.short_name()));
            assert!(!f.full_name().is_empty());
        }
    }
}
