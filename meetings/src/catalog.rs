//! The loaded feeds together: what queries are parsed against and searched in.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::feed::Feed;
use crate::gazetteer::{Gazetteer, meeting_place_keys};
use crate::model::{Fellowship, Meeting};
use crate::query::Query;
use crate::search::{SearchResult, Widened};

/// Every loaded feed, with the place names found in them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    feeds: Vec<Feed>,
    gazetteer: Gazetteer,
    fellowships: BTreeSet<Fellowship>,
    /// The place keys of each meeting, in [`Catalog::meetings`] order, worked out once.
    place_keys: Vec<Vec<String>>,
}

impl Catalog {
    /// Builds a catalog (and its gazetteer) from loaded feeds.
    pub fn new(feeds: Vec<Feed>) -> Self {
        let gazetteer = Gazetteer::from_meetings(feeds.iter().flat_map(|f| f.meetings.iter()));
        let fellowships = feeds.iter().filter_map(|f| f.options.fellowship).collect();
        let place_keys = feeds
            .iter()
            .flat_map(|f| f.meetings.iter().map(meeting_place_keys))
            .collect();
        Catalog {
            feeds,
            gazetteer,
            fellowships,
            place_keys,
        }
    }

    /// The feeds, in the order given.
    pub fn feeds(&self) -> &[Feed] {
        &self.feeds
    }

    /// Every meeting of every feed.
    pub fn meetings(&self) -> impl Iterator<Item = &Meeting> {
        self.feeds.iter().flat_map(|f| f.meetings.iter())
    }

    /// Every meeting with its place keys (see [`meeting_place_keys`]).
    pub(crate) fn meetings_with_places(&self) -> impl Iterator<Item = (&Meeting, &[String])> {
        self.meetings()
            .zip(self.place_keys.iter().map(Vec::as_slice))
    }

    /// Place names known from the feeds.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// Fellowships that the feeds were declared to belong to.
    pub fn fellowships(&self) -> &BTreeSet<Fellowship> {
        &self.fellowships
    }

    /// Reads a query from a person's message (see [`Query::parse`]).
    pub fn parse_query(&self, text: &str) -> Query {
        Query::parse(text, self)
    }

    /// The next meetings matching `query` (see [`crate::search::search`]).
    pub fn search(&self, query: &Query, now: DateTime<Utc>, person_tz: Option<Tz>) -> SearchResult {
        crate::search::search(self, query, now, person_tz)
    }

    /// Like [`Catalog::search`], relaxing the query step by step until something matches (see
    /// [`crate::search::search_widening`]).
    pub fn search_widening(
        &self,
        query: &Query,
        now: DateTime<Utc>,
        person_tz: Option<Tz>,
    ) -> Widened {
        crate::search::search_widening(self, query, now, person_tz)
    }
}
