//! A fake Telegram Bot API on 127.0.0.1 for the adapter's tests and benchmark, and a test responder.
//!
//! The fake serves getMe, getWebhookInfo, deleteWebhook, setWebhook, setMyCommands, getUpdates (long
//! polling, woken at once when a test pushes an update), sendMessage and answerCallbackQuery, and records
//! every call. Answers for sendMessage can be scripted per chat (429, 403, refused HTML), and sendMessage
//! can meet a platform [`Fault`] in every chat (500s, dropped connections, slowness, 429s). Telegram has no
//! idempotency key: a message taken before its connection dropped is simply posted.
#![allow(dead_code)]

use bot_core::{ChatContext, ChatMessage, ChatRef, Classification, Platform, Reply, Responder};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use telegram::{Outbox, Telegram, TelegramConfig};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

// Shared with the other platform's fake; a test that includes both fakes has two copies of it.
#[allow(clippy::duplicate_mod)]
#[path = "../../../test-support/faults.rs"]
mod faults;
pub use faults::Fault;
use faults::{Dropped, Faults};

/// The fake bot's id and username.
pub const BOT_ID: i64 = 4242;
pub const BOT_USERNAME: &str = "recovery_test_bot";
pub const TOKEN: &str = "4242:test-token-not-secret";

/// How long a test waits for something before failing (never reached when all is well).
const PATIENCE: Duration = Duration::from_secs(30);

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Method name, lower case (`sendmessage`).
    pub method: String,
    pub body: Value,
    pub at: Instant,
    /// Whether the fake answered it with success.
    pub ok: bool,
}

impl Call {
    pub fn chat_id(&self) -> Option<i64> {
        self.body["chat_id"].as_i64()
    }

    pub fn text(&self) -> &str {
        self.body["text"].as_str().unwrap_or("")
    }
}

/// A scripted answer to the next sendMessage in a chat.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// 429 with `retry_after`.
    RetryAfter(u64),
    /// 400 "can't parse entities".
    BadHtml,
    /// 200 with a body that is not JSON (a broken proxy).
    Garbage,
}

#[derive(Default)]
struct Inner {
    updates: Vec<(u32, Value)>,
    next_update_id: u32,
    calls: Vec<Call>,
    failures: HashMap<i64, VecDeque<Failure>>,
    blocked: HashSet<i64>,
    /// (chat, user) pairs getChatMember reports as the group's creator; everyone else is a member.
    admins: HashSet<(i64, i64)>,
    next_message_id: i64,
    delivered: HashMap<u32, Instant>,
    /// Successful sendMessage calls so far, and when the last one arrived.
    sent: u64,
    last_sent_at: Option<Instant>,
    /// Keep every call (off in benchmarks: counters only).
    quiet: bool,
    faults: Faults,
}

#[derive(Default)]
pub struct FakeState {
    inner: Mutex<Inner>,
    changed: Notify,
}

/// The running fake server.
pub struct FakeApi {
    pub url: url::Url,
    pub state: Arc<FakeState>,
    server: JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn ok(result: Value) -> (axum::http::StatusCode, String) {
    (
        axum::http::StatusCode::OK,
        json!({"ok": true, "result": result}).to_string(),
    )
}

fn chat_json(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "supergroup", "title": "Group"})
    } else {
        json!({"id": id, "type": "private", "first_name": "Person"})
    }
}

/// Serves one request: `POST /{token}/{method}`. `Err` closes the connection without an answer.
async fn serve_request(
    state: Arc<FakeState>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let method = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let fault = if method == "sendmessage" {
        take_fault(&state)
    } else {
        None
    };
    if let Some(Fault::Slow(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    let (status, text) = api(&state, method, &content_type, &body, fault).await;
    if matches!(fault, Some(Fault::DropBefore | Fault::DropAfter)) {
        return Err(Dropped);
    }
    let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    Ok(response)
}

/// The fault a sendMessage meets now, counting it down.
fn take_fault(state: &FakeState) -> Option<Fault> {
    state.inner.lock().unwrap().faults.take()
}

async fn api(
    state: &FakeState,
    method: String,
    content_type: &str,
    body: &[u8],
    fault: Option<Fault>,
) -> (axum::http::StatusCode, String) {
    let body: Value = match content_type.split_once("boundary=") {
        Some((_, boundary)) => multipart_fields(body, boundary.trim_matches('"')),
        None => serde_json::from_slice(body).unwrap_or(Value::Null),
    };
    if method == "getupdates" {
        {
            let mut inner = state.inner.lock().unwrap();
            if !inner.quiet {
                inner.calls.push(Call {
                    method,
                    body: body.clone(),
                    at: Instant::now(),
                    ok: true,
                });
            }
        }
        state.changed.notify_waiters();
        return get_updates(state, &body).await;
    }
    let answer = {
        let mut inner = state.inner.lock().unwrap();
        let answer = match method.as_str() {
            "getme" => ok(json!({
                "id": BOT_ID, "is_bot": true, "first_name": "Recovery",
                "username": BOT_USERNAME, "can_join_groups": true,
                "can_read_all_group_messages": false, "supports_inline_queries": false,
                "can_connect_to_business": false, "has_main_web_app": false
            })),
            "getchatmember" => {
                let (chat, user) = (
                    body["chat_id"].as_i64().unwrap_or(0),
                    body["user_id"].as_i64().unwrap_or(0),
                );
                let person = json!({"id": user, "is_bot": false, "first_name": "Person"});
                if inner.admins.contains(&(chat, user)) {
                    ok(json!({"status": "creator", "user": person, "is_anonymous": false}))
                } else {
                    ok(json!({"status": "member", "user": person}))
                }
            }
            "getwebhookinfo" => ok(json!({
                "url": "", "has_custom_certificate": false, "pending_update_count": 0
            })),
            "sendmessage" => {
                let chat = body["chat_id"].as_i64().unwrap_or(0);
                let scripted = inner.failures.get_mut(&chat).and_then(VecDeque::pop_front);
                if fault == Some(Fault::ServerError) {
                    (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"})
                            .to_string(),
                    )
                } else if fault == Some(Fault::DropBefore) {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new())
                } else if let Some(Fault::RateLimited { until }) = fault {
                    let seconds = until
                        .saturating_duration_since(Instant::now())
                        .as_secs_f64()
                        .ceil();
                    (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        json!({"ok": false, "error_code": 429,
                               "description": format!("Too Many Requests: retry after {seconds}"),
                               "parameters": {"retry_after": seconds as u64}})
                        .to_string(),
                    )
                } else if inner.blocked.contains(&chat) {
                    (
                        axum::http::StatusCode::FORBIDDEN,
                        json!({"ok": false, "error_code": 403,
                               "description": "Forbidden: bot was blocked by the user"})
                        .to_string(),
                    )
                } else if let Some(Failure::RetryAfter(seconds)) = scripted {
                    (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        json!({"ok": false, "error_code": 429,
                               "description": format!("Too Many Requests: retry after {seconds}"),
                               "parameters": {"retry_after": seconds}})
                        .to_string(),
                    )
                } else if let Some(Failure::Garbage) = scripted {
                    (axum::http::StatusCode::OK, "<html>oops</html>".to_owned())
                } else if let Some(Failure::BadHtml) = scripted {
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        json!({"ok": false, "error_code": 400,
                               "description": "Bad Request: can't parse entities: Unsupported start tag"})
                        .to_string(),
                    )
                } else {
                    inner.next_message_id += 1;
                    inner.sent += 1;
                    inner.last_sent_at = Some(Instant::now());
                    ok(json!({
                        "message_id": inner.next_message_id, "date": 0,
                        "chat": chat_json(chat),
                        "from": {"id": BOT_ID, "is_bot": true, "first_name": "Recovery"},
                        "text": body["text"].clone()
                    }))
                }
            }
            _ => ok(json!(true)),
        };
        if !inner.quiet {
            inner.calls.push(Call {
                method,
                body,
                at: Instant::now(),
                ok: serde_json::from_str::<Value>(&answer.1).is_ok_and(|v| v["ok"] == json!(true)),
            });
        }
        answer
    };
    state.changed.notify_waiters();
    answer
}

/// The text fields of a multipart/form-data body as a JSON object (teloxide sends setWebhook so). A
/// field holding JSON (an array, an object) is parsed.
fn multipart_fields(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = match serde_json::from_str::<Value>(value) {
            Ok(v @ (Value::Array(_) | Value::Object(_))) => v,
            _ => Value::String(value.to_owned()),
        };
        fields.insert(name.to_owned(), parsed);
    }
    Value::Object(fields)
}

async fn get_updates(state: &FakeState, body: &Value) -> (axum::http::StatusCode, String) {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = state.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = state.inner.lock().unwrap();
            // Updates before the offset are confirmed: Telegram forgets them.
            inner.updates.retain(|(id, _)| i64::from(*id) >= offset);
            let ready: Vec<(u32, Value)> = inner
                .updates
                .iter()
                .filter(|(id, _)| i64::from(*id) >= offset)
                .take(limit)
                .cloned()
                .collect();
            if !ready.is_empty() || tokio::time::Instant::now() >= deadline {
                let now = Instant::now();
                for (id, _) in &ready {
                    inner.delivered.entry(*id).or_insert(now);
                }
                let values: Vec<Value> = ready.into_iter().map(|(_, v)| v).collect();
                return ok(Value::Array(values));
            }
        }
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

impl FakeApi {
    /// Starts the fake on a random port of 127.0.0.1.
    pub async fn start() -> FakeApi {
        let state = Arc::new(FakeState::default());
        state.inner.lock().unwrap().next_update_id = 1;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shared = state.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                let service = hyper::service::service_fn(move |request| {
                    serve_request(state.clone(), request)
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
                );
            }
        });
        FakeApi {
            url: format!("http://{address}/").parse().unwrap(),
            state,
            server,
        }
    }

    /// Queues an update (its `update_id` is filled in); returns the id.
    pub fn push(&self, mut update: Value) -> u32 {
        let id = {
            let mut inner = self.state.inner.lock().unwrap();
            let id = inner.next_update_id;
            inner.next_update_id += 1;
            update["update_id"] = json!(id);
            inner.updates.push((id, update));
            id
        };
        self.state.changed.notify_waiters();
        id
    }

    /// Stops recording calls (bodies and all); only counters are kept. For benchmarks.
    pub fn quiet(&self) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.quiet = true;
        inner.calls.clear();
    }

    /// Successful sendMessage calls so far.
    pub fn sent_total(&self) -> u64 {
        self.state.inner.lock().unwrap().sent
    }

    /// When the last successful sendMessage arrived.
    pub fn last_sent_at(&self) -> Option<Instant> {
        self.state.inner.lock().unwrap().last_sent_at
    }

    /// Forgets when updates were delivered (for long benchmark runs).
    pub fn forget_deliveries(&self) {
        self.state.inner.lock().unwrap().delivered.clear();
    }

    /// Waits until `total` messages were sent successfully, counting all chats.
    pub async fn wait_for_total(&self, total: u64) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.state.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.sent_total() >= total {
                return;
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(deadline) => panic!("timed out waiting for {total} sends"),
            }
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.inner.lock().unwrap().calls.clone()
    }

    /// Calls of `method` (lower case).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Successful sendMessage calls to `chat`, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == "sendmessage" && c.ok && c.chat_id() == Some(chat))
            .collect()
    }

    /// Every sendMessage attempt to `chat`, answered well or not.
    pub fn attempts_to(&self, chat: i64) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat))
            .collect()
    }

    /// When getUpdates first handed out update `id`.
    pub fn delivered_at(&self, id: u32) -> Option<Instant> {
        self.state.inner.lock().unwrap().delivered.get(&id).copied()
    }

    /// Every sendMessage meets `fault` until [`FakeApi::recover`].
    pub fn fault(&self, fault: Fault) {
        self.state.inner.lock().unwrap().faults = Faults::always(fault);
    }

    /// The next `times` sendMessage calls meet `fault`.
    pub fn fault_next(&self, fault: Fault, times: u32) {
        self.state.inner.lock().unwrap().faults = Faults::next(fault, times);
    }

    /// sendMessage gets 429 for `window` from now.
    pub fn rate_limit_for(&self, window: Duration) {
        self.fault(Fault::RateLimited {
            until: Instant::now() + window,
        });
    }

    /// The platform works again.
    pub fn recover(&self) {
        self.state.inner.lock().unwrap().faults = Faults::default();
    }

    /// The next sendMessage to `chat` fails with `failure`.
    pub fn fail_next(&self, chat: i64, failure: Failure) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.failures.entry(chat).or_default().push_back(failure);
    }

    /// Every sendMessage to `chat` gets 403 "bot was blocked by the user".
    /// Makes `user` an administrator of group `chat`.
    pub fn make_admin(&self, chat: i64, user: i64) {
        self.state.inner.lock().unwrap().admins.insert((chat, user));
    }

    pub fn block(&self, chat: i64) {
        self.state.inner.lock().unwrap().blocked.insert(chat);
    }

    /// Waits until `done` holds for the calls so far; panics after a generous time.
    pub async fn wait_until(&self, what: &str, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.state.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let calls = self.calls();
            if done(&calls) {
                return calls;
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(deadline) => {
                    let methods: Vec<_> = calls.iter().map(|c| c.method.as_str()).collect();
                    panic!("timed out waiting for {what}; calls: {methods:?}");
                }
            }
        }
    }

    /// Waits until `count` messages were sent to `chat`; returns them.
    pub async fn wait_for_sends(&self, chat: i64, count: usize) -> Vec<Call> {
        self.wait_until(&format!("{count} sends to {chat}"), |calls| {
            calls
                .iter()
                .filter(|c| c.method == "sendmessage" && c.ok && c.chat_id() == Some(chat))
                .count()
                >= count
        })
        .await;
        self.sent_to(chat)
    }
}

/// A direct text message from person `chat`.
pub fn dm(chat: i64, text: &str) -> Value {
    json!({"message": {
        "message_id": 1, "date": 0,
        "chat": chat_json(chat),
        "from": {"id": chat, "is_bot": false, "first_name": "Person"},
        "text": text
    }})
}

/// A text message in group `chat` from person `from`, with entities.
pub fn group(chat: i64, message_id: i64, from: i64, text: &str, entities: Value) -> Value {
    json!({"message": {
        "message_id": message_id, "date": 0,
        "chat": chat_json(chat),
        "from": {"id": from, "is_bot": false, "first_name": "Person"},
        "text": text, "entities": entities
    }})
}

/// A button press with `data` under a bot message in `chat`.
pub fn button(chat: i64, query_id: &str, data: &str) -> Value {
    json!({"callback_query": {
        "id": query_id,
        "from": {"id": chat.abs(), "is_bot": false, "first_name": "Person"},
        "chat_instance": "ci",
        "data": data,
        "message": {
            "message_id": 99, "date": 0,
            "chat": chat_json(chat),
            "from": {"id": BOT_ID, "is_bot": true, "first_name": "Recovery"},
            "text": "earlier reply"
        }
    }})
}

/// The callback data of every button under a sent message.
pub fn buttons(call: &Call) -> Vec<(String, String)> {
    call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["text"].as_str().unwrap_or("").to_owned(),
                b["callback_data"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// A real responder over the embedded content that records what it saw, with scripted replies for
/// some texts.
pub struct TestResponder {
    bot: bot_core::Core,
    pub seen: Mutex<Vec<ChatMessage>>,
    pub unreachable: Mutex<Vec<ChatRef>>,
    unreachable_changed: Notify,
    scripted: Mutex<HashMap<String, Reply>>,
    /// Record what it saw (off in benchmarks).
    record: bool,
}

impl TestResponder {
    pub fn new() -> Arc<TestResponder> {
        Arc::new(Self::unshared(true))
    }

    /// A responder that records nothing, for benchmarks.
    pub fn quiet() -> Arc<TestResponder> {
        Arc::new(Self::unshared(false))
    }

    fn unshared(record: bool) -> TestResponder {
        TestResponder {
            record,
            bot: bot_core::Core::embedded().expect("embedded content"),
            seen: Mutex::new(Vec::new()),
            unreachable: Mutex::new(Vec::new()),
            unreachable_changed: Notify::new(),
            scripted: Mutex::new(HashMap::new()),
        }
    }

    pub fn menu(&self) -> bot_core::Menu {
        self.bot.menu()
    }

    /// The core's reply to `text` in a direct message.
    pub fn reply_to(&self, text: &str) -> Reply {
        self.bot.respond(text, &context())
    }

    /// Answers `text` with `reply`.
    pub fn script(&self, text: &str, reply: Reply) {
        self.scripted.lock().unwrap().insert(text.into(), reply);
    }

    pub fn seen_texts(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.text.clone())
            .collect()
    }

    /// Waits until the adapter reported chat `id` unreachable; panics after a generous time.
    pub async fn wait_unreachable(&self, id: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.unreachable_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.unreachable_ids().iter().any(|c| c == id) {
                return;
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(deadline) => panic!("chat {id} never reported unreachable"),
            }
        }
    }

    pub fn unreachable_ids(&self) -> Vec<String> {
        self.unreachable
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }
}

fn context() -> ChatContext {
    ChatContext::new(
        Platform::Telegram,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    )
}

impl Responder for TestResponder {
    fn classify(&self, text: &str) -> Classification {
        self.bot.classify(text)
    }

    fn respond(&self, message: &ChatMessage) -> Reply {
        if self.record {
            self.seen.lock().unwrap().push(message.clone());
            if let Some(reply) = self.scripted.lock().unwrap().get(&message.text) {
                return reply.clone();
            }
        }
        let mut context = context();
        context.chat = message.chat.kind;
        context.location = message.location;
        self.bot.respond(&message.text, &context)
    }

    fn unreachable(&self, chat: &ChatRef) {
        self.unreachable.lock().unwrap().push(chat.clone());
        self.unreachable_changed.notify_waiters();
    }
}

/// The adapter running against a fake API.
pub struct Running {
    pub fake: FakeApi,
    pub responder: Arc<TestResponder>,
    pub outbox: Outbox,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The configuration pointing at `fake`.
pub fn config(fake: &FakeApi, throttle: bool) -> TelegramConfig {
    let mut config = TelegramConfig::new(TOKEN);
    config.api_url = Some(fake.url.clone());
    config.throttle = throttle;
    config
}

/// Starts the adapter (long polling) against a new fake, and waits until it is taking updates.
pub async fn start(throttle: bool) -> Running {
    let fake = FakeApi::start().await;
    let config = config(&fake, throttle);
    start_with(fake, config).await
}

/// Starts the adapter with `config` against `fake`, and waits until it asked for updates or set its
/// webhook.
pub async fn start_with(fake: FakeApi, config: TelegramConfig) -> Running {
    start_responding(fake, config, TestResponder::new()).await
}

/// Starts the adapter with `config` and `responder` against `fake`.
pub async fn start_responding(
    fake: FakeApi,
    config: TelegramConfig,
    responder: Arc<TestResponder>,
) -> Running {
    let telegram = Telegram::new(config).expect("config");
    let outbox = telegram.outbox();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(telegram.run(responder.clone(), responder.menu(), async {
        let _ = stopped.await;
    }));
    fake.wait_until("the adapter to start", |calls| {
        calls
            .iter()
            .any(|c| c.method == "getupdates" || c.method == "setwebhook")
    })
    .await;
    Running {
        fake,
        responder,
        outbox,
        stop: Some(stop),
        task: Some(task),
    }
}

impl Running {
    /// Resolves the shutdown future and waits for `run` to return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.stop_in_place().await
    }

    /// [`Running::stop`], keeping the fake to look at afterwards.
    pub async fn stop_in_place(&mut self) -> anyhow::Result<()> {
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("run() returns after shutdown")
            .expect("run() does not panic")
    }
}
