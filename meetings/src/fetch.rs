//! Loading feeds from files and http(s) URLs and keeping them fresh (cargo feature `fetch`).
//!
//! A [`FeedStore`] loads every configured feed once, then [`FeedStore::run`] refreshes them on an
//! interval until its shutdown future resolves. Readers take the current [`Catalog`] with
//! [`FeedStore::catalog`]: a cheap `Arc` clone that never waits for a refresh.
//!
//! - Files are read from disk, and re-read only when their modification time or length changed.
//! - URLs are fetched with reqwest (rustls) using conditional requests: the `ETag` and
//!   `Last-Modified` of the last good copy are sent back as `If-None-Match` and `If-Modified-Since`,
//!   and `304 Not Modified` keeps the copy. Each request has a timeout, and bodies over
//!   [`FetchConfig::max_bytes`] are refused.
//! - Any failure (network, HTTP status, size, text that is not a feed) keeps the last good copy and
//!   logs why: the feed id, the kind of error and the HTTP status, never the feed's content.
//!
//! At start, a file feed that cannot be loaded is an error (the configuration is wrong); a URL feed
//! that cannot be fetched is logged and retried later, unless [`FetchConfig::strict_start`] is set.
//!
//! ```no_run
//! use std::time::Duration;
//! use meetings::fetch::{FeedSpec, FeedStore, FetchConfig};
//!
//! # async fn demo(shutdown: impl std::future::Future<Output = ()> + Send + 'static)
//! #     -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let specs = vec![
//!     FeedSpec::new("oc", "https://example.org/wp-admin/admin-ajax.php?action=meetings".parse()?)
//!         .with_timezone(meetings::Tz::America__Los_Angeles)
//!         .with_fellowship(meetings::Fellowship::Aa),
//!     FeedSpec::new("local", "/etc/recovery-bot/local-meetings.json".parse()?),
//! ];
//! let config = FetchConfig { refresh_interval: Duration::from_secs(3600), ..FetchConfig::default() };
//! let store = FeedStore::load(specs, config).await?;
//! let refresher = tokio::spawn(store.clone().run(shutdown));
//!
//! // Anywhere, without blocking: the catalog as of the last successful refresh.
//! let catalog = store.catalog();
//! let query = catalog.parse_query("women's meeting tonight");
//! let _hits = catalog.search(&query, chrono::Utc::now(), None);
//!
//! refresher.await?; // returns once `shutdown` resolved
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use chrono_tz::Tz;
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::header::{ACCEPT, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::Deserialize;
use thiserror::Error;
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::error::LoadError;
use crate::feed::Feed;
use crate::model::{FeedOptions, Fellowship};

/// Largest feed accepted by default: 20 MiB (the largest real feeds are a few MB).
pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Where a feed is read from: a local file or an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    /// A file on disk, re-read when it changes.
    File(PathBuf),
    /// An `http://` or `https://` URL, fetched with conditional requests.
    Url(Url),
}

impl FeedSource {
    /// Reads a source from configuration text: `http://…` or `https://…` is a URL, `file:///…` or
    /// anything without a scheme is a file path. Other schemes are refused.
    pub fn parse(text: &str) -> Result<Self, SourceError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SourceError::Empty);
        }
        let scheme = text
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            None => Ok(Self::File(PathBuf::from(text))),
            Some("http" | "https") => {
                let url = Url::parse(text).map_err(|e| SourceError::InvalidUrl {
                    reason: e.to_string(),
                })?;
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(SourceError::InvalidUrl {
                        reason: "no host".into(),
                    });
                }
                Ok(Self::Url(url))
            }
            Some("file") => {
                let url = Url::parse(text).map_err(|e| SourceError::InvalidUrl {
                    reason: e.to_string(),
                })?;
                url.to_file_path()
                    .map(Self::File)
                    .map_err(|()| SourceError::InvalidUrl {
                        reason: "not a local file path".into(),
                    })
            }
            Some(other) => Err(SourceError::UnsupportedScheme {
                scheme: other.to_string(),
            }),
        }
    }

    /// `"file"` or `"url"`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::File(_) => "file",
            Self::Url(_) => "url",
        }
    }
}

impl FromStr for FeedSource {
    type Err = SourceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for FeedSource {
    type Error = SourceError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl<'de> Deserialize<'de> for FeedSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Shows a file's path, or a URL without its user, password, query or fragment (which may hold
/// keys), so that it is safe in logs and messages.
impl fmt::Display for FeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Url(url) => {
                write!(f, "{}://{}", url.scheme(), url.host_str().unwrap_or(""))?;
                if let Some(port) = url.port() {
                    write!(f, ":{port}")?;
                }
                write!(f, "{}", url.path())?;
                if url.query().is_some() {
                    write!(f, "?…")?;
                }
                Ok(())
            }
        }
    }
}

/// A feed source in the configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SourceError {
    /// Nothing was given.
    #[error("empty feed source: give a file path or an http(s) URL")]
    Empty,
    /// A scheme other than http, https or file.
    #[error("unsupported feed source scheme {scheme:?}: give a file path or an http(s) URL")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// An http(s) or file URL that does not parse.
    #[error("invalid feed URL: {reason}")]
    InvalidUrl {
        /// Why.
        reason: String,
    },
}

/// One configured feed: where it is and what the feed does not say about itself.
///
/// Deserialises from `{id, source, timezone?, fellowship?}` (`timezone` an IANA name such as
/// `"America/Los_Angeles"`, `fellowship` a short name such as `"AA"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeedSpec {
    /// Short identifier (`"oc"`), copied into each meeting and used in logs and errors.
    pub id: String,
    /// File or URL.
    pub source: FeedSource,
    /// Zone for meetings that do not name one. When `None`, it is guessed from the feed's addresses
    /// (see [`Feed::from_json_guessing`]), else UTC.
    #[serde(default)]
    pub timezone: Option<Tz>,
    /// The feed's fellowship. When `None`, a Meeting Guide feed is taken to be AA and a BMLT feed NA
    /// (see [`Feed::from_json_guessing`]).
    #[serde(default)]
    pub fellowship: Option<Fellowship>,
}

impl FeedSpec {
    /// A feed with its zone and fellowship left to be guessed.
    pub fn new(id: impl Into<String>, source: FeedSource) -> Self {
        Self {
            id: id.into(),
            source,
            timezone: None,
            fellowship: None,
        }
    }

    /// A feed with fully known options.
    pub fn from_options(source: FeedSource, options: FeedOptions) -> Self {
        Self {
            id: options.id,
            source,
            timezone: Some(options.default_timezone),
            fellowship: options.fellowship,
        }
    }

    /// The same feed with its default time zone set.
    pub fn with_timezone(mut self, timezone: Tz) -> Self {
        self.timezone = Some(timezone);
        self
    }

    /// The same feed with its fellowship set.
    pub fn with_fellowship(mut self, fellowship: Fellowship) -> Self {
        self.fellowship = Some(fellowship);
        self
    }
}

/// How feeds are fetched and refreshed.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Time between refreshes of every feed. Default: one hour.
    pub refresh_interval: Duration,
    /// Time before the next try after a round in which some feed failed, when shorter than
    /// `refresh_interval`. Default: five minutes.
    pub retry_interval: Duration,
    /// Limit on each whole request (connecting, headers and body). Default: 30 seconds.
    pub timeout: Duration,
    /// Largest feed accepted, in bytes (files and response bodies). Default: [`DEFAULT_MAX_BYTES`].
    pub max_bytes: u64,
    /// `User-Agent` sent with requests.
    pub user_agent: String,
    /// When true, [`FeedStore::load`] fails if any feed, URLs included, cannot be loaded (for
    /// one-shot commands). When false (the default), only files must load; URLs are retried.
    pub strict_start: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(60 * 60),
            retry_interval: Duration::from_secs(5 * 60),
            timeout: Duration::from_secs(30),
            max_bytes: DEFAULT_MAX_BYTES,
            user_agent: concat!("recovery-bot-meetings/", env!("CARGO_PKG_VERSION")).to_string(),
            strict_start: false,
        }
    }
}

/// Why one feed could not be loaded or refreshed. Messages name the feed id and, for files, the
/// path; they never include the feed's content or a URL's query.
#[derive(Debug, Error)]
pub enum FeedError {
    /// The file could not be read (missing, unreadable).
    #[error("feed {feed:?}: cannot read file {}: {source}", path.display())]
    Read {
        /// The feed's id.
        feed: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with a status other than success (or an unexpected 304).
    #[error("feed {feed:?}: the server answered HTTP {status}")]
    Status {
        /// The feed's id.
        feed: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The request failed: connection, timeout, redirect or body.
    #[error("feed {feed:?}: request failed ({kind}): {source}")]
    Network {
        /// The feed's id.
        feed: String,
        /// `"timeout"`, `"connect"`, `"redirect"`, `"body"` or `"request"`.
        kind: &'static str,
        /// reqwest's error, with the URL removed.
        #[source]
        source: reqwest::Error,
    },
    /// The file or body is larger than [`FetchConfig::max_bytes`].
    #[error("feed {feed:?}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// The feed's id.
        feed: String,
        /// The limit.
        limit: u64,
    },
    /// The file or body is not UTF-8 text.
    #[error("feed {feed:?}: not UTF-8 text")]
    NotUtf8 {
        /// The feed's id.
        feed: String,
    },
    /// Text, but not a feed (broken JSON, not a meeting list, a BMLT error object).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The parser stopped unexpectedly (a bug; the last good copy is kept).
    #[error("feed {feed:?}: the feed parser failed unexpectedly")]
    ParserFailed {
        /// The feed's id.
        feed: String,
    },
}

impl FeedError {
    /// The id of the feed concerned.
    pub fn feed(&self) -> &str {
        match self {
            Self::Read { feed, .. }
            | Self::Status { feed, .. }
            | Self::Network { feed, .. }
            | Self::TooLarge { feed, .. }
            | Self::NotUtf8 { feed }
            | Self::ParserFailed { feed } => feed,
            Self::Load(
                LoadError::Json { feed, .. }
                | LoadError::NotAMeetingList { feed, .. }
                | LoadError::ServerError { feed, .. },
            ) => feed,
        }
    }

    /// A short name for the kind of failure, for logs and metrics: `"read"`, `"http_status"`,
    /// `"timeout"`, `"connect"`, `"redirect"`, `"body"`, `"request"`, `"too_large"`, `"not_utf8"`,
    /// `"json"`, `"not_a_meeting_list"`, `"server_error"` or `"parser_failed"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::Status { .. } => "http_status",
            Self::Network { kind, .. } => kind,
            Self::TooLarge { .. } => "too_large",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::Load(LoadError::Json { .. }) => "json",
            Self::Load(LoadError::NotAMeetingList { .. }) => "not_a_meeting_list",
            Self::Load(LoadError::ServerError { .. }) => "server_error",
            Self::ParserFailed { .. } => "parser_failed",
        }
    }

    /// The HTTP status, for [`FeedError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn network(feed: &str, error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connect"
        } else if error.is_redirect() {
            "redirect"
        } else if error.is_body() || error.is_decode() {
            "body"
        } else {
            "request"
        };
        Self::Network {
            feed: feed.to_string(),
            kind,
            source: error.without_url(),
        }
    }
}

/// [`FeedStore::load`] could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// Two feeds share an id.
    #[error("two feeds have the id {0:?}: feed ids must be unique")]
    DuplicateId(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot start the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A feed that must load at start did not (any file; URLs too with
    /// [`FetchConfig::strict_start`]).
    #[error(transparent)]
    Feed(#[from] FeedError),
}

/// What happened to one feed in a refresh.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// A new copy was loaded and published.
    Loaded {
        /// Meetings kept.
        meetings: usize,
        /// Records skipped.
        skipped: usize,
    },
    /// Unchanged (HTTP 304, or a file with the same modification time and length).
    NotModified,
    /// The refresh failed; the last good copy (if any) is kept.
    Failed(FeedError),
}

/// The outcome of one feed in a refresh round.
#[derive(Debug)]
pub struct FeedRefresh {
    /// The feed's id.
    pub id: String,
    /// What happened.
    pub outcome: RefreshOutcome,
}

/// The state of one feed, for status pages and `meetings check`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    /// The feed's id.
    pub id: String,
    /// Its source, safe to show (see [`FeedSource`]'s `Display`).
    pub source: String,
    /// Meetings in the copy in use; `None` when no copy was ever loaded.
    pub meetings: Option<usize>,
    /// When the copy in use was loaded.
    pub loaded_at: Option<SystemTime>,
    /// When the feed was last checked, successfully or not.
    pub checked_at: Option<SystemTime>,
    /// Why the last check failed, when it did (cleared by the next success or 304).
    pub last_error: Option<String>,
}

/// Feeds loaded from files and URLs, refreshed by [`FeedStore::run`], published as one [`Catalog`].
///
/// Cloning is cheap and every clone shares the same feeds.
#[derive(Clone)]
pub struct FeedStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for FeedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedStore")
            .field("feeds", &self.inner.specs.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    specs: Vec<FeedSpec>,
    config: FetchConfig,
    client: reqwest::Client,
    /// Per feed, in the order of `specs`. Never held across an `.await`.
    state: Mutex<Vec<FeedState>>,
    /// One refresh round at a time.
    refreshing: tokio::sync::Mutex<()>,
    catalog: watch::Sender<Arc<Catalog>>,
}

#[derive(Default)]
struct FeedState {
    feed: Option<Feed>,
    validators: Validators,
    loaded_at: Option<SystemTime>,
    checked_at: Option<SystemTime>,
    last_error: Option<String>,
}

/// What identifies the copy in use, to ask for it only when it changed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Validators {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    file: Option<FileStamp>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

impl FeedStore {
    /// Loads every feed once and returns the store, its catalog ready.
    ///
    /// Fails if two feeds share an id, or if a file feed cannot be loaded (the error names the feed
    /// and the path). A URL feed that fails is logged and left empty until a refresh succeeds,
    /// unless [`FetchConfig::strict_start`] is set, in which case it fails too.
    pub async fn load(specs: Vec<FeedSpec>, config: FetchConfig) -> Result<FeedStore, StartError> {
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i].iter().any(|s| s.id == spec.id) {
                return Err(StartError::DuplicateId(spec.id.clone()));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(StartError::Client)?;
        let (catalog, _) = watch::channel(Arc::new(Catalog::default()));
        let state = specs.iter().map(|_| FeedState::default()).collect();
        let store = FeedStore {
            inner: Arc::new(Inner {
                specs,
                config,
                client,
                state: Mutex::new(state),
                refreshing: tokio::sync::Mutex::new(()),
                catalog,
            }),
        };
        let results = store.refresh_now().await;
        for (spec, result) in store.inner.specs.iter().zip(results) {
            if let RefreshOutcome::Failed(error) = result.outcome {
                let required =
                    store.inner.config.strict_start || matches!(spec.source, FeedSource::File(_));
                if required {
                    return Err(StartError::Feed(error));
                }
            }
        }
        Ok(store)
    }

    /// The catalog as of the last successful load of each feed. Cheap (an `Arc` clone) and never
    /// waits for a refresh in progress.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.catalog.borrow().clone()
    }

    /// A receiver that sees each new catalog as it is published (`changed().await`).
    pub fn subscribe(&self) -> watch::Receiver<Arc<Catalog>> {
        self.inner.catalog.subscribe()
    }

    /// The configured feeds, in order.
    pub fn specs(&self) -> &[FeedSpec] {
        &self.inner.specs
    }

    /// The state of each feed, in configuration order.
    pub fn status(&self) -> Vec<FeedStatus> {
        let state = self.lock_state();
        self.inner
            .specs
            .iter()
            .zip(state.iter())
            .map(|(spec, s)| FeedStatus {
                id: spec.id.clone(),
                source: spec.source.to_string(),
                meetings: s.feed.as_ref().map(|f| f.meetings.len()),
                loaded_at: s.loaded_at,
                checked_at: s.checked_at,
                last_error: s.last_error.clone(),
            })
            .collect()
    }

    /// Checks every feed now (one at a time, in order), publishes a new catalog if any changed,
    /// and says what happened to each. Concurrent calls wait for each other.
    pub async fn refresh_now(&self) -> Vec<FeedRefresh> {
        let _round = self.inner.refreshing.lock().await;
        let mut results = Vec::with_capacity(self.inner.specs.len());
        let mut changed = false;
        for (index, spec) in self.inner.specs.iter().enumerate() {
            let outcome = self.refresh_feed(index, spec).await;
            changed |= matches!(outcome, RefreshOutcome::Loaded { .. });
            results.push(FeedRefresh {
                id: spec.id.clone(),
                outcome,
            });
        }
        if changed {
            self.publish().await;
        }
        results
    }

    /// Refreshes every [`FetchConfig::refresh_interval`] (sooner, after
    /// [`FetchConfig::retry_interval`], when a feed failed) until `shutdown` resolves. A refresh in
    /// progress is abandoned at shutdown. The feeds were already loaded by [`FeedStore::load`], so
    /// the first refresh comes one interval after this starts.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let config = &self.inner.config;
        let retry = config.retry_interval.min(config.refresh_interval);
        let mut failing = self.lock_state().iter().any(|s| s.last_error.is_some());
        tokio::pin!(shutdown);
        loop {
            let wait = if failing {
                retry
            } else {
                config.refresh_interval
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = tokio::time::sleep(wait) => {}
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                results = self.refresh_now() => {
                    failing = results
                        .iter()
                        .any(|r| matches!(r.outcome, RefreshOutcome::Failed(_)));
                }
            }
        }
        tracing::info!(
            feeds = self.inner.specs.len(),
            "meeting feed refresher stopped"
        );
    }

    fn lock_state(&self) -> MutexGuard<'_, Vec<FeedState>> {
        // A panic while the lock was held cannot leave a FeedState half-written in a harmful way:
        // every update replaces whole fields.
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn refresh_feed(&self, index: usize, spec: &FeedSpec) -> RefreshOutcome {
        let (validators, has_copy) = {
            let state = self.lock_state();
            (state[index].validators.clone(), state[index].feed.is_some())
        };
        let result = match self.fetch(spec, &validators, has_copy).await {
            Ok(Fetched::NotModified) => Ok(None),
            Ok(Fetched::Body { bytes, validators }) => parse(spec, bytes)
                .await
                .map(|feed| Some((feed, validators))),
            Err(error) => Err(error),
        };
        let now = SystemTime::now();
        let mut state = self.lock_state();
        let entry = &mut state[index];
        entry.checked_at = Some(now);
        let outcome = match &result {
            Ok(None) => "not_modified",
            Ok(Some(_)) => "loaded",
            Err(_) => "failed",
        };
        metrics::counter!("recovery_bot_feed_refreshes_total", "outcome" => outcome).increment(1);
        if result.is_ok() {
            let unix = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            metrics::gauge!("recovery_bot_feed_last_refresh_timestamp_seconds").set(unix);
        }
        match result {
            Ok(None) => {
                entry.last_error = None;
                tracing::debug!(feed = %spec.id, "meeting feed not modified");
                RefreshOutcome::NotModified
            }
            Ok(Some((feed, validators))) => {
                let meetings = feed.report.loaded;
                let skipped = feed.report.skipped_total();
                tracing::info!(
                    feed = %spec.id,
                    source = spec.source.kind(),
                    meetings,
                    skipped,
                    "meeting feed loaded"
                );
                entry.feed = Some(feed);
                entry.validators = validators;
                entry.loaded_at = Some(now);
                entry.last_error = None;
                RefreshOutcome::Loaded { meetings, skipped }
            }
            Err(error) => {
                tracing::warn!(
                    feed = %spec.id,
                    source = spec.source.kind(),
                    error_kind = error.kind(),
                    status = error.status(),
                    error = %error,
                    kept_copy = entry.feed.is_some(),
                    "meeting feed refresh failed; keeping the last good copy"
                );
                entry.last_error = Some(error.to_string());
                RefreshOutcome::Failed(error)
            }
        }
    }

    async fn fetch(
        &self,
        spec: &FeedSpec,
        validators: &Validators,
        has_copy: bool,
    ) -> Result<Fetched, FeedError> {
        let max_bytes = self.inner.config.max_bytes;
        match &spec.source {
            FeedSource::File(path) => {
                let (id, owned_path) = (spec.id.clone(), path.clone());
                let last = has_copy.then_some(validators.file).flatten();
                tokio::task::spawn_blocking(move || read_file(&id, &owned_path, last, max_bytes))
                    .await
                    .unwrap_or_else(|_| {
                        Err(FeedError::Read {
                            feed: spec.id.clone(),
                            path: path.clone(),
                            source: std::io::Error::other("the file reading task stopped"),
                        })
                    })
            }
            FeedSource::Url(url) => {
                let validators = if has_copy {
                    validators.clone()
                } else {
                    Validators::default()
                };
                self.fetch_url(&spec.id, url, &validators, max_bytes).await
            }
        }
    }

    async fn fetch_url(
        &self,
        id: &str,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
    ) -> Result<Fetched, FeedError> {
        let mut request = self
            .inner
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json");
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag.clone());
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified.clone());
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| FeedError::network(id, e))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && validators != &Validators::default() {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FeedError::Status {
                feed: id.to_string(),
                status: status.as_u16(),
            });
        }
        let too_large = || FeedError::TooLarge {
            feed: id.to_string(),
            limit: max_bytes,
        };
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        let new_validators = Validators {
            etag: response.headers().get(ETAG).cloned(),
            last_modified: response.headers().get(LAST_MODIFIED).cloned(),
            file: None,
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FeedError::network(id, e))?
        {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            validators: new_validators,
        })
    }

    /// Builds a catalog of every feed's copy in use, in configuration order, and publishes it.
    async fn publish(&self) {
        let feeds: Vec<Feed> = self
            .lock_state()
            .iter()
            .filter_map(|s| s.feed.clone())
            .collect();
        let count = feeds.len();
        match tokio::task::spawn_blocking(move || Catalog::new(feeds)).await {
            Ok(catalog) => {
                self.inner.catalog.send_replace(Arc::new(catalog));
                tracing::debug!(feeds = count, "meeting catalog published");
            }
            Err(_) => tracing::error!("building the meeting catalog failed; keeping the old one"),
        }
    }
}

/// Reads a file unless its stamp equals `last` (the stamp of the copy in use).
fn read_file(
    id: &str,
    path: &Path,
    last: Option<FileStamp>,
    max_bytes: u64,
) -> Result<Fetched, FeedError> {
    let read_error = |source| FeedError::Read {
        feed: id.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    let stamp = FileStamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
    };
    if last.is_some_and(|last| last == stamp && stamp.modified.is_some()) {
        return Ok(Fetched::NotModified);
    }
    if stamp.len > max_bytes {
        return Err(FeedError::TooLarge {
            feed: id.to_string(),
            limit: max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    if bytes.len() as u64 > max_bytes {
        return Err(FeedError::TooLarge {
            feed: id.to_string(),
            limit: max_bytes,
        });
    }
    Ok(Fetched::Body {
        bytes,
        validators: Validators {
            file: Some(stamp),
            ..Validators::default()
        },
    })
}

/// Parses a feed's bytes off the async threads.
async fn parse(spec: &FeedSpec, bytes: Vec<u8>) -> Result<Feed, FeedError> {
    let id = spec.id.clone();
    let (timezone, fellowship) = (spec.timezone, spec.fellowship);
    tokio::task::spawn_blocking(move || {
        let text = String::from_utf8(bytes).map_err(|_| FeedError::NotUtf8 { feed: id.clone() })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let (feed, _zone_source) = Feed::from_json_guessing(text, &id, timezone, fellowship)?;
        Ok(feed)
    })
    .await
    .unwrap_or_else(|_| {
        Err(FeedError::ParserFailed {
            feed: spec.id.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_from_config_text() {
        assert!(matches!(
            FeedSource::parse("https://example.org/feed.json"),
            Ok(FeedSource::Url(_))
        ));
        assert!(matches!(
            FeedSource::parse(" HTTP://example.org/x "),
            Ok(FeedSource::Url(_))
        ));
        assert_eq!(
            FeedSource::parse("data/oc.json"),
            Ok(FeedSource::File(PathBuf::from("data/oc.json")))
        );
        assert_eq!(
            FeedSource::parse("file:///srv/feeds/oc.json"),
            Ok(FeedSource::File(PathBuf::from("/srv/feeds/oc.json")))
        );
        assert_eq!(FeedSource::parse("  "), Err(SourceError::Empty));
        assert!(matches!(
            FeedSource::parse("ftp://example.org/x"),
            Err(SourceError::UnsupportedScheme { scheme }) if scheme == "ftp"
        ));
        assert!(matches!(
            FeedSource::parse("https://"),
            Err(SourceError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn display_hides_credentials_and_query() {
        let source =
            FeedSource::parse("https://user:secret@example.org:8443/feed?key=abc#x").unwrap();
        let shown = source.to_string();
        assert_eq!(shown, "https://example.org:8443/feed?…");
        assert!(!shown.contains("secret") && !shown.contains("abc"));
        assert_eq!(source.kind(), "url");
    }

    #[test]
    fn specs_deserialise_from_config() {
        let spec: FeedSpec = serde_json::from_str(
            r#"{"id":"oc","source":"https://example.org/f.json","timezone":"America/Los_Angeles","fellowship":"AA"}"#,
        )
        .unwrap();
        assert_eq!(spec.timezone, Some(chrono_tz::America::Los_Angeles));
        assert_eq!(spec.fellowship, Some(Fellowship::Aa));
        let spec: FeedSpec = serde_json::from_str(r#"{"id":"x","source":"x.json"}"#).unwrap();
        assert_eq!(spec.timezone, None);
        let err =
            serde_json::from_str::<FeedSpec>(r#"{"id":"x","source":"gopher://x"}"#).unwrap_err();
        assert!(err.to_string().contains("gopher"), "{err}");
    }
}
