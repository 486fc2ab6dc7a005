//! The feed store against a small HTTP server on 127.0.0.1 and temporary files: first load,
//! conditional requests, failures that keep the last good copy, size and time limits, and shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meetings::fetch::{
    FeedError, FeedRefresh, FeedSource, FeedSpec, FeedStore, FetchConfig, RefreshOutcome,
    StartError,
};
use meetings::{Fellowship, LoadError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Two meetings.
const FEED_V1: &str = r#"[
  {"slug": "a", "name": "Serenity", "day": 1, "time": "19:00", "types": ["O"],
   "formatted_address": "1 Main St, Anytown, CA 90000, USA", "latitude": 33.7, "longitude": -117.9},
  {"slug": "b", "name": "Online Hope", "day": 3, "time": "07:00",
   "conference_url": "https://zoom.us/j/123"}
]"#;

/// Three meetings.
const FEED_V2: &str = r#"[
  {"slug": "a", "name": "Serenity", "day": 1, "time": "19:00", "types": ["O"],
   "formatted_address": "1 Main St, Anytown, CA 90000, USA", "latitude": 33.7, "longitude": -117.9},
  {"slug": "b", "name": "Online Hope", "day": 3, "time": "07:00",
   "conference_url": "https://zoom.us/j/123"},
  {"slug": "c", "name": "Early Birds", "day": [2, 4], "time": "6:30 AM",
   "conference_phone": "+15555550100"}
]"#;

/// What the test server answers, changed by the tests as they go.
#[derive(Clone)]
struct Plan {
    status: u16,
    body: Vec<u8>,
    etag: Option<&'static str>,
    last_modified: Option<&'static str>,
    /// Accept the connection but never answer.
    hang: bool,
}

impl Plan {
    fn ok(body: &str, etag: &'static str) -> Self {
        Plan {
            status: 200,
            body: body.as_bytes().to_vec(),
            etag: Some(etag),
            last_modified: Some("Wed, 15 May 2024 12:00:00 GMT"),
            hang: false,
        }
    }
}

/// Conditional headers the server received with one request.
#[derive(Debug, Clone, Default, PartialEq)]
struct Seen {
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

/// A hand-written HTTP/1.1 server on 127.0.0.1: one request per connection, answered from the plan.
/// It answers 304 when the request's If-None-Match equals the plan's ETag.
struct Server {
    url: String,
    plan: Arc<Mutex<Plan>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(plan: Plan) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/meetings.json", listener.local_addr().unwrap());
        let plan = Arc::new(Mutex::new(plan));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (p, s) = (plan.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(answer(stream, p.clone(), s.clone()));
            }
        });
        Server { url, plan, seen }
    }

    fn set(&self, plan: Plan) {
        *self.plan.lock().unwrap() = plan;
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn source(&self) -> FeedSource {
        self.url.parse().unwrap()
    }
}

async fn answer(mut stream: TcpStream, plan: Arc<Mutex<Plan>>, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request).to_string();
    let header = |name: &str| {
        request.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let this = Seen {
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
    };
    seen.lock().unwrap().push(this.clone());
    let plan = plan.lock().unwrap().clone();
    if plan.hang {
        // Hold the connection open until the client gives up.
        let _ = stream.read(&mut buf).await;
        return;
    }
    let not_modified =
        plan.status == 200 && plan.etag.is_some() && this.if_none_match.as_deref() == plan.etag;
    let (status, body): (u16, &[u8]) = if not_modified {
        (304, b"")
    } else {
        (plan.status, &plan.body)
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(etag) = plan.etag {
        head.push_str(&format!("ETag: {etag}\r\n"));
    }
    if let Some(modified) = plan.last_modified {
        head.push_str(&format!("Last-Modified: {modified}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

fn config() -> FetchConfig {
    FetchConfig {
        refresh_interval: Duration::from_millis(20),
        retry_interval: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    }
}

fn spec(id: &str, source: FeedSource) -> FeedSpec {
    FeedSpec::new(id, source)
        .with_timezone(chrono_tz::America::Los_Angeles)
        .with_fellowship(Fellowship::Aa)
}

fn only(results: Vec<FeedRefresh>) -> RefreshOutcome {
    assert_eq!(results.len(), 1);
    results.into_iter().next().unwrap().outcome
}

fn meeting_count(store: &FeedStore) -> usize {
    store.catalog().meetings().count()
}

#[tokio::test]
async fn url_feed_loads_then_revalidates_with_etag_and_date() {
    let server = Server::start(Plan::ok(FEED_V1, "\"v1\"")).await;
    let store = FeedStore::load(vec![spec("web", server.source())], config())
        .await
        .unwrap();
    assert_eq!(meeting_count(&store), 2);
    let catalog = store.catalog();
    assert_eq!(catalog.feeds()[0].options.id, "web");
    assert_eq!(catalog.fellowships().len(), 1);
    assert_eq!(
        server.seen()[0],
        Seen::default(),
        "first request is unconditional"
    );

    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(outcome, RefreshOutcome::NotModified),
        "{outcome:?}"
    );
    assert_eq!(
        server.seen()[1],
        Seen {
            if_none_match: Some("\"v1\"".into()),
            if_modified_since: Some("Wed, 15 May 2024 12:00:00 GMT".into()),
        }
    );
    assert!(
        Arc::ptr_eq(&catalog, &store.catalog()),
        "a 304 keeps the same catalog"
    );

    server.set(Plan::ok(FEED_V2, "\"v2\""));
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(
            outcome,
            RefreshOutcome::Loaded {
                meetings: 4,
                skipped: 0
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(meeting_count(&store), 4, "c is listed on two days");
    assert_eq!(meeting_count(&FeedStore::clone(&store)), 4);
}

#[tokio::test]
async fn failures_keep_the_last_good_copy() {
    let server = Server::start(Plan::ok(FEED_V1, "\"v1\"")).await;
    let store = FeedStore::load(vec![spec("web", server.source())], config())
        .await
        .unwrap();
    let good = store.catalog();
    assert_eq!(meeting_count(&store), 2);

    // A server error.
    server.set(Plan {
        status: 500,
        body: b"oops".to_vec(),
        etag: None,
        last_modified: None,
        hang: false,
    });
    match only(store.refresh_now().await) {
        RefreshOutcome::Failed(e @ FeedError::Status { status: 500, .. }) => {
            assert_eq!(e.feed(), "web");
            assert_eq!(e.kind(), "http_status");
            assert_eq!(e.status(), Some(500));
        }
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    assert!(Arc::ptr_eq(&good, &store.catalog()));
    let status = &store.status()[0];
    assert_eq!(status.meetings, Some(2));
    assert!(status.last_error.as_deref().unwrap().contains("500"));

    // Broken JSON with a new ETag: refused, and its ETag is not remembered.
    server.set(Plan::ok(r#"[{"slug": "a", "name": "#, "\"broken\""));
    match only(store.refresh_now().await) {
        RefreshOutcome::Failed(e @ FeedError::Load(LoadError::Json { .. })) => {
            assert_eq!(e.kind(), "json");
            assert!(e.to_string().contains("\"web\""), "{e}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert!(Arc::ptr_eq(&good, &store.catalog()));
    let last = server.seen().last().cloned().unwrap();
    assert_eq!(last.if_none_match.as_deref(), Some("\"v1\""));

    // JSON that is not a meeting list.
    server.set(Plan::ok(r#"{"hello": 1}"#, "\"obj\""));
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.kind() == "not_a_meeting_list"),
        "{outcome:?}"
    );

    // Not UTF-8.
    server.set(Plan {
        body: vec![b'[', 0xff, 0xfe, b']'],
        ..Plan::ok("", "\"bin\"")
    });
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.kind() == "not_utf8"),
        "{outcome:?}"
    );
    assert!(Arc::ptr_eq(&good, &store.catalog()));
    assert_eq!(meeting_count(&store), 2);

    // Still asking for the good copy: the server says it has not changed.
    server.set(Plan::ok(FEED_V1, "\"v1\""));
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(outcome, RefreshOutcome::NotModified),
        "{outcome:?}"
    );
    assert_eq!(store.status()[0].last_error, None);
}

#[tokio::test]
async fn bodies_over_the_size_cap_are_refused() {
    let server = Server::start(Plan::ok(FEED_V1, "\"v1\"")).await;
    let small = FetchConfig {
        max_bytes: 1000,
        ..config()
    };
    let store = FeedStore::load(vec![spec("web", server.source())], small)
        .await
        .unwrap();
    let big = format!("[{}]", vec![r#"{"slug":"x"}"#; 200].join(","));
    server.set(Plan::ok(&big, "\"big\""));
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(
            &outcome,
            RefreshOutcome::Failed(FeedError::TooLarge { limit: 1000, .. })
        ),
        "{outcome:?}"
    );
    assert_eq!(meeting_count(&store), 2);
}

#[tokio::test]
async fn a_server_that_does_not_answer_times_out() {
    let server = Server::start(Plan::ok(FEED_V1, "\"v1\"")).await;
    let quick = FetchConfig {
        timeout: Duration::from_millis(300),
        ..config()
    };
    let store = FeedStore::load(vec![spec("web", server.source())], quick)
        .await
        .unwrap();
    server.set(Plan {
        hang: true,
        ..Plan::ok(FEED_V1, "\"v2\"")
    });
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.kind() == "timeout"),
        "{outcome:?}"
    );
    assert_eq!(meeting_count(&store), 2);
}

#[tokio::test]
async fn an_unreachable_url_at_start_is_retried_unless_strict() {
    // A port that was just free: connections are refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let source: FeedSource = format!("http://127.0.0.1:{port}/feed.json")
        .parse()
        .unwrap();
    let store = FeedStore::load(vec![spec("down", source.clone())], config())
        .await
        .unwrap();
    assert_eq!(meeting_count(&store), 0);
    let status = &store.status()[0];
    assert_eq!(status.meetings, None);
    assert!(status.last_error.is_some());

    let strict = FetchConfig {
        strict_start: true,
        ..config()
    };
    let err = FeedStore::load(vec![spec("down", source)], strict)
        .await
        .unwrap_err();
    match &err {
        StartError::Feed(e) => assert_eq!((e.feed(), e.kind()), ("down", "connect")),
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(
        !err.to_string().contains("feed.json"),
        "URLs stay out of messages: {err}"
    );
}

#[tokio::test]
async fn file_source_loads_and_reloads_when_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.json");
    std::fs::write(&path, FEED_V1).unwrap();
    let source = FeedSource::parse(path.to_str().unwrap()).unwrap();
    assert!(matches!(source, FeedSource::File(_)));
    let store = FeedStore::load(vec![spec("local", source)], config())
        .await
        .unwrap();
    assert_eq!(meeting_count(&store), 2);

    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(outcome, RefreshOutcome::NotModified),
        "{outcome:?}"
    );

    std::fs::write(&path, FEED_V2).unwrap();
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(outcome, RefreshOutcome::Loaded { meetings: 4, .. }),
        "{outcome:?}"
    );
    assert_eq!(meeting_count(&store), 4);

    // Broken, then gone: the last good copy stays.
    std::fs::write(&path, "[{").unwrap();
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.kind() == "json"),
        "{outcome:?}"
    );
    std::fs::remove_file(&path).unwrap();
    let outcome = only(store.refresh_now().await);
    assert!(
        matches!(&outcome, RefreshOutcome::Failed(e) if e.kind() == "read"),
        "{outcome:?}"
    );
    assert_eq!(meeting_count(&store), 4);
}

#[tokio::test]
async fn a_missing_file_at_start_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.json");
    let source = FeedSource::File(path.clone());
    let err = FeedStore::load(vec![spec("local", source)], config())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("nowhere.json"), "{message}");
    assert!(message.contains("\"local\""), "{message}");
    assert!(matches!(err, StartError::Feed(FeedError::Read { .. })));
}

#[tokio::test]
async fn duplicate_feed_ids_are_refused() {
    let a = spec("same", FeedSource::File("a.json".into()));
    let b = spec("same", FeedSource::File("b.json".into()));
    let err = FeedStore::load(vec![a, b], config()).await.unwrap_err();
    assert!(matches!(err, StartError::DuplicateId(id) if id == "same"));
}

#[tokio::test]
async fn feeds_from_files_and_urls_share_one_catalog_in_order() {
    let server = Server::start(Plan::ok(FEED_V2, "\"v2\"")).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.json");
    std::fs::write(&path, FEED_V1).unwrap();
    let specs = vec![
        spec("local", FeedSource::File(path)),
        FeedSpec::new("web", server.source()),
    ];
    let store = FeedStore::load(specs, config()).await.unwrap();
    let catalog = store.catalog();
    let ids: Vec<&str> = catalog
        .feeds()
        .iter()
        .map(|f| f.options.id.as_str())
        .collect();
    assert_eq!(ids, ["local", "web"]);
    assert_eq!(catalog.meetings().count(), 6);
    // Zone guessed from the addresses ("CA"), fellowship from the format (Meeting Guide = AA).
    let web = &catalog.feeds()[1];
    assert_eq!(
        web.options.default_timezone,
        chrono_tz::America::Los_Angeles
    );
    assert_eq!(web.options.fellowship, Some(Fellowship::Aa));
}

#[tokio::test]
async fn run_publishes_changes_and_stops_on_shutdown() {
    let server = Server::start(Plan::ok(FEED_V1, "\"v1\"")).await;
    let store = FeedStore::load(vec![spec("web", server.source())], config())
        .await
        .unwrap();
    let mut updates = store.subscribe();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let refresher = tokio::spawn(store.clone().run(async move {
        let _ = stopped.await;
    }));

    server.set(Plan::ok(FEED_V2, "\"v2\""));
    tokio::time::timeout(Duration::from_secs(10), updates.changed())
        .await
        .expect("the refresher publishes the new feed")
        .unwrap();
    assert_eq!(updates.borrow().meetings().count(), 4);
    assert_eq!(meeting_count(&store), 4);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), refresher)
        .await
        .expect("the refresher stops on shutdown")
        .unwrap();
}
