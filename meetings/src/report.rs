//! What happened when a feed was loaded: how many meetings were kept, and why the rest were skipped.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a record in a feed did not become a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The record is not a JSON object.
    NotAnObject,
    /// No `slug` (Meeting Guide) or `id_bigint` (BMLT).
    MissingSlug,
    /// No meeting name.
    MissingName,
    /// No day: a meeting "by appointment".
    MissingDay,
    /// A day that is not 0-6 (Meeting Guide) or 1-7 (BMLT), nor a weekday name.
    InvalidDay,
    /// No start time.
    MissingTime,
    /// A start time that could not be read.
    InvalidTime,
    /// Neither online (no conference link or phone) nor in person (temporarily closed, or only an
    /// approximate address): Meeting Guide calls this inactive.
    Inactive,
    /// BMLT marks the meeting unpublished.
    Unpublished,
    /// The same slug on the same day appeared earlier in the feed.
    DuplicateSlug,
}

impl SkipReason {
    /// Stable snake_case name, the same as its JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnObject => "not_an_object",
            Self::MissingSlug => "missing_slug",
            Self::MissingName => "missing_name",
            Self::MissingDay => "missing_day",
            Self::InvalidDay => "invalid_day",
            Self::MissingTime => "missing_time",
            Self::InvalidTime => "invalid_time",
            Self::Inactive => "inactive",
            Self::Unpublished => "unpublished",
            Self::DuplicateSlug => "duplicate_slug",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something filled in or corrected while loading, counted so a feed's quality can be seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// No end time or duration: one hour assumed.
    EndTimeAssumed,
    /// No time zone on the meeting: the feed's default used.
    DefaultTimezone,
    /// A time zone name that is not in the tz database: the feed's default used.
    UnknownTimezone,
    /// A type code with no known English name (kept in `type_codes` only).
    UnknownTypeCode,
    /// A conference URL that is not an http(s) link was ignored.
    InvalidConferenceUrl,
    /// Member contact fields (names, emails, phones) were dropped.
    ContactDropped,
    /// An email address was removed from free text.
    EmailRedacted,
}

/// Counts for one loaded feed. `records` = `loaded` + skipped, except that a record listed on several
/// days counts once in `records` and once per day in `loaded`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Records in the feed.
    pub records: usize,
    /// Meetings kept (one per day).
    pub loaded: usize,
    /// Records (or record-days) skipped, by reason.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Corrections made to kept meetings, by kind.
    pub adjusted: BTreeMap<Adjustment, usize>,
}

impl LoadReport {
    /// Total skipped, over all reasons.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// How many were skipped for `reason`.
    pub fn skipped_for(&self, reason: SkipReason) -> usize {
        self.skipped.get(&reason).copied().unwrap_or(0)
    }

    /// How many times `adjustment` was made.
    pub fn adjusted_for(&self, adjustment: Adjustment) -> usize {
        self.adjusted.get(&adjustment).copied().unwrap_or(0)
    }

    pub(crate) fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub(crate) fn adjust(&mut self, adjustment: Adjustment) {
        *self.adjusted.entry(adjustment).or_default() += 1;
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records: {} meetings loaded, {} skipped",
            self.records,
            self.loaded,
            self.skipped_total()
        )?;
        for (i, (reason, n)) in self.skipped.iter().enumerate() {
            write!(f, "{}{reason}={n}", if i == 0 { " (" } else { ", " })?;
        }
        if !self.skipped.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_display() {
        let mut r = LoadReport {
            records: 4,
            loaded: 2,
            ..LoadReport::default()
        };
        r.skip(SkipReason::Inactive);
        r.skip(SkipReason::Inactive);
        r.adjust(Adjustment::EndTimeAssumed);
        assert_eq!(r.skipped_total(), 2);
        assert_eq!(r.skipped_for(SkipReason::Inactive), 2);
        assert_eq!(r.skipped_for(SkipReason::MissingDay), 0);
        assert_eq!(r.adjusted_for(Adjustment::EndTimeAssumed), 1);
        assert_eq!(
            r.to_string(),
            "4 records: 2 meetings loaded, 2 skipped (inactive=2)"
        );
    }

    #[test]
    fn reason_json_matches_as_str() {
        let json = serde_json::to_string(&SkipReason::DuplicateSlug).unwrap();
        assert_eq!(json, "\"duplicate_slug\"");
        assert_eq!(SkipReason::DuplicateSlug.as_str(), "duplicate_slug");
    }
}
