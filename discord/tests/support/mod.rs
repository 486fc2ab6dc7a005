//! A fake Discord on 127.0.0.1 for end-to-end tests: an HTTP API (reached through `DISCORD_PROXY_URL`) and
//! a gateway. The API records every request, answers `/gateway` with the fake gateway's `ws://` URL (so
//! serenity never falls back to the real one), and fails on purpose where a test asks (50007, 50013). The
//! gateway sends HELLO, answers IDENTIFY with READY and heartbeats with ACK, then pushes the dispatches a
//! test gives it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bot_core::{
    ChatContext, ChatMessage, ChatRef, Classification, Core, Platform, Reply, Responder,
};
use discord::{DiscordConfig, SettingsStore};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

// Shared with the other platform's fake; a test that includes both fakes has two copies of it.
#[allow(clippy::duplicate_mod)]
#[path = "../../../test-support/faults.rs"]
mod faults;
pub use faults::Fault;
use faults::{Dropped, Faults};

pub const BOT: u64 = 1000;
pub const APP: u64 = 2000;
pub const GUILD: u64 = 3000;
pub const CHANNEL: u64 = 4000;
pub const PERSON: u64 = 5000;
/// The direct-message channel the fake gives a user: their id plus this.
pub const DM_OFFSET: u64 = 1_000_000;
/// How long a test waits for anything before failing.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// One HTTP request the bot made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
    /// The HTTP status it got (0: the connection was closed without an answer).
    pub status: u16,
}

/// A message the fake posted.
#[derive(Debug, Clone)]
pub struct Posted {
    pub channel: u64,
    pub nonce: Option<String>,
    pub message: Value,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Channels whose messages fail with this Discord error code.
    failing: Mutex<HashMap<u64, u16>>,
    /// Channels whose next messages fail with a 500, and how many more will.
    failing_for_now: Mutex<HashMap<u64, u32>>,
    faults: Mutex<Faults>,
    /// Every message posted, in order.
    posted: Mutex<Vec<Posted>>,
    /// IDENTIFY payloads, in order.
    identifies: Mutex<Vec<Value>>,
    /// Close the gateway with 4014 when IDENTIFY asks for Message Content.
    refuse_message_content: Mutex<bool>,
    /// The live gateway connection's outbox.
    gateway: Mutex<Option<mpsc::UnboundedSender<Value>>>,
    next_id: Mutex<u64>,
}

/// A running fake Discord. Its tasks end with the test's runtime.
pub struct FakeDiscord {
    pub http: SocketAddr,
    pub ws: SocketAddr,
    state: Arc<State>,
    changed: watch::Receiver<u64>,
    tick: Arc<watch::Sender<u64>>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        init_logging();
        let state = Arc::new(State {
            next_id: Mutex::new(900_000),
            ..State::default()
        });
        let (tick, changed) = watch::channel(0u64);
        let tick = Arc::new(tick);
        let http_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = http_listener.local_addr().unwrap();
        let ws = ws_listener.local_addr().unwrap();
        tokio::spawn(serve_http(
            http_listener,
            Arc::clone(&state),
            Arc::clone(&tick),
            ws,
        ));
        tokio::spawn(serve_gateway(
            ws_listener,
            Arc::clone(&state),
            Arc::clone(&tick),
        ));
        FakeDiscord {
            http,
            ws,
            state,
            changed,
            tick,
        }
    }

    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// Messages to `channel` fail with Discord error `code` (403).
    pub fn fail_channel(&self, channel: u64, code: u16) {
        self.state.failing.lock().unwrap().insert(channel, code);
    }

    /// The next `times` messages to `channel` fail with 500 Internal Server Error; then it recovers.
    pub fn fail_channel_for_now(&self, channel: u64, times: u32) {
        self.state
            .failing_for_now
            .lock()
            .unwrap()
            .insert(channel, times);
    }

    /// Every send meets `fault` until [`FakeDiscord::recover`].
    pub fn fault(&self, fault: Fault) {
        *self.state.faults.lock().unwrap() = Faults::always(fault);
    }

    /// The next `times` sends meet `fault`.
    pub fn fault_next(&self, fault: Fault, times: u32) {
        *self.state.faults.lock().unwrap() = Faults::next(fault, times);
    }

    /// Sends get 429 for `window` from now.
    pub fn rate_limit_for(&self, window: Duration) {
        self.fault(Fault::RateLimited {
            until: Instant::now() + window,
        });
    }

    /// The platform works again.
    pub fn recover(&self) {
        *self.state.faults.lock().unwrap() = Faults::default();
    }

    /// The messages posted in `channel`, in order.
    pub fn posted(&self, channel: u64) -> Vec<Posted> {
        self.state
            .posted
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.channel == channel)
            .cloned()
            .collect()
    }

    /// Waits until `count` messages were posted in `channel`; returns them.
    pub async fn wait_for_posts(&self, channel: u64, count: usize) -> Vec<Posted> {
        self.until(&format!("{count} messages in {channel}"), |fake| {
            let posted = fake.posted(channel);
            (posted.len() >= count).then_some(posted)
        })
        .await
    }

    pub fn refuse_message_content(&self) {
        *self.state.refuse_message_content.lock().unwrap() = true;
    }

    pub fn identifies(&self) -> Vec<Value> {
        self.state.identifies.lock().unwrap().clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Waits until `check` holds (checked after every request and gateway change).
    pub async fn until<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> T {
        let mut changed = self.changed.clone();
        let wait = async {
            loop {
                if let Some(found) = check(self) {
                    return found;
                }
                changed.changed().await.unwrap();
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out waiting for {what}; requests: {:#?}",
                    self.requests()
                )
            })
    }

    /// Waits for a request with `method` whose path ends with `path_end` and whose body satisfies `body`.
    pub async fn request(
        &self,
        method: &str,
        path_end: &str,
        body: impl Fn(&Value) -> bool,
    ) -> Recorded {
        self.until(&format!("{method} …{path_end}"), |fake| {
            fake.requests()
                .into_iter()
                .find(|r| r.method == method && r.path.ends_with(path_end) && body(&r.body))
        })
        .await
    }

    /// Waits until the bot is connected and has registered its commands.
    pub async fn ready(&self) {
        self.until("READY and command registration", |fake| {
            let connected = fake.state.gateway.lock().unwrap().is_some();
            let registered = fake
                .requests()
                .iter()
                .any(|r| r.method == "PUT" && r.path.ends_with("/commands"));
            (connected && registered).then_some(())
        })
        .await;
    }

    /// Pushes a dispatch event to the bot.
    pub fn push(&self, event: &str, data: Value) {
        let gateway = self.state.gateway.lock().unwrap();
        let sender = gateway.as_ref().expect("the bot is connected");
        sender.send(json!({"t": event, "d": data})).unwrap();
    }

    pub fn new_id(&self) -> u64 {
        next_id(&self.state)
    }
}

fn next_id(state: &State) -> u64 {
    let mut id = state.next_id.lock().unwrap();
    *id += 1;
    *id
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub fn user(id: u64, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": if bot { "recovery-bot" } else { "someone" },
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": bot,
    })
}

fn message_json(id: u64, channel: &str, content: &str) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel,
        "author": user(BOT, true),
        "content": content,
        "timestamp": "2025-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
    })
}

/// A MESSAGE_CREATE from `author` in `channel` (a server channel when `guild` is set).
pub fn message_event(
    id: u64,
    channel: u64,
    guild: Option<u64>,
    author: u64,
    content: &str,
    mentions: &[u64],
) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": user(author, false),
        "content": content,
        "timestamp": "2025-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions.iter().map(|&u| user(u, u == BOT)).collect::<Vec<_>>(),
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
    });
    if let Some(guild) = guild {
        m["guild_id"] = json!(guild.to_string());
        m["member"] = json!({
            "roles": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": false,
            "mute": false,
            "flags": 0,
        });
    }
    m
}

fn member(user_id: u64, permissions: u64) -> Value {
    json!({
        "user": user(user_id, false),
        "roles": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": permissions.to_string(),
    })
}

/// Fields every interaction has; in a server when `guild` is set, else in a direct message.
fn interaction_base(
    id: u64,
    kind: u8,
    channel: u64,
    guild: Option<u64>,
    user_id: u64,
    permissions: u64,
) -> Value {
    let mut i = json!({
        "id": id.to_string(),
        "application_id": APP.to_string(),
        "type": kind,
        "channel_id": channel.to_string(),
        "token": format!("token-{id}"),
        "version": 1,
        "app_permissions": "2048",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD.to_string()},
        "attachment_size_limit": 8_388_608,
    });
    match guild {
        Some(guild) => {
            i["guild_id"] = json!(guild.to_string());
            i["member"] = member(user_id, permissions);
            i["context"] = json!(0);
        }
        None => {
            i["user"] = user(user_id, false);
            i["context"] = json!(1);
        }
    }
    i
}

/// A slash command (INTERACTION_CREATE type 2) with `options` as Discord sends them.
pub fn command_event(
    id: u64,
    name: &str,
    options: Value,
    channel: u64,
    guild: Option<u64>,
    user_id: u64,
    permissions: u64,
) -> Value {
    let mut i = interaction_base(id, 2, channel, guild, user_id, permissions);
    i["data"] = json!({"id": "7000", "name": name, "type": 1, "options": options});
    i
}

/// A button press (INTERACTION_CREATE type 3) on a message of the bot.
pub fn button_event(
    id: u64,
    custom_id: &str,
    channel: u64,
    guild: Option<u64>,
    user_id: u64,
) -> Value {
    let mut i = interaction_base(id, 3, channel, guild, user_id, 0);
    i["data"] = json!({"custom_id": custom_id, "component_type": 2});
    i["message"] = message_json(id - 1, &channel.to_string(), "earlier reply");
    i
}

async fn serve_http(
    listener: TcpListener,
    state: Arc<State>,
    tick: Arc<watch::Sender<u64>>,
    ws: SocketAddr,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let state = Arc::clone(&state);
        let tick = Arc::clone(&tick);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&state);
                let tick = Arc::clone(&tick);
                async move { handle(req, &state, &tick, ws).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Posts a message in `channel`, once per nonce when the bot asks Discord to enforce it (then a second
/// request with the nonce gets the message already posted).
fn post_message(state: &State, channel: &str, body: &Value) -> Value {
    let channel_id: u64 = channel.parse().unwrap_or(0);
    let nonce = body["nonce"].as_str().map(str::to_owned);
    let mut posted = state.posted.lock().unwrap();
    if body["enforce_nonce"] == json!(true)
        && let Some(earlier) = posted
            .iter()
            .find(|p| p.channel == channel_id && nonce.is_some() && p.nonce == nonce)
    {
        return earlier.message.clone();
    }
    let content = body["content"].as_str().unwrap_or("");
    let message = message_json(next_id(state), channel, content);
    posted.push(Posted {
        channel: channel_id,
        nonce,
        message: message.clone(),
        at: Instant::now(),
    });
    message
}

fn respond(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

/// Whether a request sends something (the requests that meet a [`Fault`]).
fn is_send(method: &str, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        ("POST", ["channels", _, "messages"])
            | ("POST", ["interactions", _, _, "callback"])
            | ("POST", ["webhooks", _, _])
    )
}

/// The fault a send meets now, counting it down.
fn take_fault(state: &State) -> Option<Fault> {
    state.faults.lock().unwrap().take()
}

async fn handle(
    req: Request<Incoming>,
    state: &State,
    tick: &watch::Sender<u64>,
    ws: SocketAddr,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let at = Instant::now();
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let fault = if is_send(&method, &segments) {
        take_fault(state)
    } else {
        None
    };
    if let Some(Fault::Slow(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    let response = match fault {
        Some(Fault::DropBefore) => None,
        Some(Fault::ServerError) => Some(respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"code": 0, "message": "500: Internal Server Error"}),
        )),
        Some(Fault::RateLimited { until }) => {
            let seconds = until
                .saturating_duration_since(Instant::now())
                .as_secs_f64();
            let mut limited = respond(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"message": "You are being rate limited.", "retry_after": seconds, "global": false}),
            );
            limited
                .headers_mut()
                .insert("retry-after", format!("{seconds:.3}").parse().unwrap());
            Some(limited)
        }
        _ => Some(answer(&method, &segments, &body, state, ws)),
    };
    let status = match (&response, fault) {
        (_, Some(Fault::DropAfter)) | (None, _) => 0,
        (Some(response), _) => response.status().as_u16(),
    };
    state.requests.lock().unwrap().push(Recorded {
        method,
        path,
        body,
        at,
        status,
    });
    tick.send_modify(|n| *n += 1);
    match response {
        Some(response) if status != 0 => Ok(response),
        _ => Err(Dropped),
    }
}

/// The fake's answer to a request that meets no fault.
fn answer(
    method: &str,
    segments: &[&str],
    body: &Value,
    state: &State,
    ws: SocketAddr,
) -> Response<Full<Bytes>> {
    match (method, segments) {
        ("GET", ["gateway"]) => respond(StatusCode::OK, json!({"url": format!("ws://{ws}")})),
        ("GET", ["gateway", "bot"]) => respond(
            StatusCode::OK,
            json!({
                "url": format!("ws://{ws}"),
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }),
        ),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            respond(StatusCode::OK, json!([]))
        }
        ("POST", ["users", "@me", "channels"]) => {
            let user_id: u64 = body["recipient_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            respond(
                StatusCode::OK,
                json!({
                    "id": (user_id + DM_OFFSET).to_string(),
                    "type": 1,
                    "last_message_id": null,
                    "recipients": [user(user_id, false)],
                }),
            )
        }
        ("POST", ["channels", channel, "messages"]) => {
            let failing = channel
                .parse::<u64>()
                .ok()
                .and_then(|c| state.failing.lock().unwrap().get(&c).copied());
            let down_for_now = channel.parse::<u64>().ok().is_some_and(|c| {
                let mut down = state.failing_for_now.lock().unwrap();
                match down.get_mut(&c) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        true
                    }
                    _ => false,
                }
            });
            match failing {
                _ if down_for_now => respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"code": 0, "message": "500: Internal Server Error"}),
                ),
                Some(code) => respond(
                    StatusCode::FORBIDDEN,
                    json!({"code": code, "message": "refused by the fake"}),
                ),
                None => respond(StatusCode::OK, post_message(state, channel, body)),
            }
        }
        ("POST", ["interactions", _, _, "callback"]) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        ("POST", ["webhooks", _, _]) => {
            let content = body["content"].as_str().unwrap_or("");
            respond(
                StatusCode::OK,
                message_json(next_id(state), &CHANNEL.to_string(), content),
            )
        }
        _ => respond(
            StatusCode::NOT_FOUND,
            json!({"code": 0, "message": "404: Not Found"}),
        ),
    }
}

async fn serve_gateway(listener: TcpListener, state: Arc<State>, tick: Arc<watch::Sender<u64>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let state = Arc::clone(&state);
        let tick = Arc::clone(&tick);
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            gateway_session(ws, &state, &tick).await;
            *state.gateway.lock().unwrap() = None;
            tick.send_modify(|n| *n += 1);
        });
    }
}

async fn gateway_session(
    mut ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    state: &State,
    tick: &watch::Sender<u64>,
) {
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": null, "t": null});
    if ws.send(Ws::text(hello.to_string())).await.is_err() {
        return;
    }
    let (events_tx, mut events) = mpsc::unbounded_channel::<Value>();
    let mut sequence = 0u64;
    loop {
        tokio::select! {
            incoming = ws.next() => {
                let Some(Ok(frame)) = incoming else { return };
                let Ws::Text(text) = frame else {
                    if matches!(frame, Ws::Close(_)) { return; }
                    continue;
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) => {
                        let _ = ws.send(Ws::text(json!({"op": 11}).to_string())).await;
                    }
                    Some(2) => {
                        state.identifies.lock().unwrap().push(payload["d"].clone());
                        let intents = payload["d"]["intents"].as_u64().unwrap_or(0);
                        if *state.refuse_message_content.lock().unwrap() && intents & (1 << 15) != 0 {
                            tick.send_modify(|n| *n += 1);
                            let _ = ws.send(Ws::Close(Some(CloseFrame {
                                code: CloseCode::from(4014),
                                reason: "Disallowed intent(s).".into(),
                            }))).await;
                            return;
                        }
                        sequence += 1;
                        let ready = json!({
                            "op": 0, "s": sequence, "t": "READY",
                            "d": {
                                "v": 10,
                                "user": user(BOT, true),
                                "guilds": [],
                                "session_id": "fake-session",
                                "resume_gateway_url": "ws://127.0.0.1:9",
                                "shard": [0, 1],
                                "application": {"id": APP.to_string(), "flags": 0},
                            }
                        });
                        if ws.send(Ws::text(ready.to_string())).await.is_err() {
                            return;
                        }
                        *state.gateway.lock().unwrap() = Some(events_tx.clone());
                        tick.send_modify(|n| *n += 1);
                    }
                    _ => {}
                }
            }
            Some(event) = events.recv() => {
                sequence += 1;
                let dispatch = json!({"op": 0, "s": sequence, "t": event["t"], "d": event["d"]});
                if ws.send(Ws::text(dispatch.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The adapter, running against a fake.
pub struct Running {
    pub fake: FakeDiscord,
    pub core: Arc<Recorder>,
    /// The per-server settings the adapter reads (the same sled tree).
    pub store: SettingsStore,
    _db: sled::Db,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    pub async fn start() -> Running {
        Running::start_with(|_| {}).await
    }

    /// Starts the fake and the adapter; `prepare` may change the fake before the bot connects.
    pub async fn start_with(prepare: impl FnOnce(&FakeDiscord)) -> Running {
        let fake = FakeDiscord::start().await;
        let core = Recorder::new();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("discord-guilds").unwrap();
        prepare(&fake);
        let store = SettingsStore::new(tree.clone());
        let mut config = DiscordConfig::new("fake-token");
        config.proxy_url = Some(fake.proxy_url());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(discord::run(
            config,
            Arc::clone(&core) as Arc<dyn bot_core::Responder>,
            core.menu(),
            tree,
            async move {
                let _ = stopped.await;
            },
        ));
        fake.ready().await;
        Running {
            fake,
            core,
            store,
            _db: db,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Resolves the shutdown future and checks that `run` returns cleanly.
    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    /// [`Running::stop`], keeping the fake to look at afterwards.
    pub async fn stop_in_place(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        let task = self.task.take().unwrap();
        let outcome = tokio::time::timeout(PATIENCE, task)
            .await
            .expect("run returns after shutdown")
            .expect("run did not panic");
        outcome.expect("run ends without an error");
    }
}

/// One call the bot made to its [`Responder`].
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Classify(String),
    Respond(ChatRef, String),
    Unreachable(ChatRef),
}

/// The real core, recording every call.
pub struct Recorder {
    bot: Core,
    calls: Mutex<Vec<Call>>,
    tick: watch::Sender<u64>,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder {
            bot: Core::embedded().unwrap(),
            calls: Mutex::new(Vec::new()),
            tick: watch::channel(0).0,
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn menu(&self) -> bot_core::Menu {
        self.bot.menu()
    }

    /// The core's reply to `text`, as [`Responder::respond`] gives it.
    pub fn reply_to(&self, text: &str) -> Reply {
        self.bot
            .respond(text, &ChatContext::new(Platform::Discord, chrono_date()))
    }

    fn record(&self, call: Call) {
        self.calls.lock().unwrap().push(call);
        self.tick.send_modify(|n| *n += 1);
    }

    /// Waits until `check` holds for the calls so far.
    pub async fn until(&self, what: &str, check: impl Fn(&[Call]) -> bool) {
        let mut changed = self.tick.subscribe();
        let wait = async {
            while !check(&self.calls()) {
                changed.changed().await.unwrap();
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; calls: {:#?}", self.calls()));
    }
}

impl Responder for Recorder {
    fn classify(&self, text: &str) -> Classification {
        self.record(Call::Classify(text.to_string()));
        self.bot.classify(text)
    }

    fn respond(&self, message: &ChatMessage) -> Reply {
        self.record(Call::Respond(message.chat.clone(), message.text.clone()));
        self.reply_to(&message.text)
    }

    fn unreachable(&self, chat: &ChatRef) {
        self.record(Call::Unreachable(chat.clone()));
    }
}

fn chrono_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 9, 15).unwrap()
}
