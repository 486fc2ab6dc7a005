//! Errors for whole feeds. Single bad records are not errors: they are skipped and counted in the
//! [`LoadReport`](crate::LoadReport).

use thiserror::Error;

/// A feed could not be loaded at all.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The text is not JSON.
    #[error("feed {feed:?} is not valid JSON: {source}")]
    Json {
        /// The feed's id.
        feed: String,
        /// The parser's error (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but neither a Meeting Guide array nor a BMLT GetSearchResults response.
    #[error("feed {feed:?} is not a Meeting Guide or BMLT meeting list: {found}")]
    NotAMeetingList {
        /// The feed's id.
        feed: String,
        /// What was found instead.
        found: String,
    },
    /// A BMLT server answered with an error object.
    #[error("feed {feed:?}: BMLT server reported an error: {message}")]
    ServerError {
        /// The feed's id.
        feed: String,
        /// The server's message.
        message: String,
    },
}
