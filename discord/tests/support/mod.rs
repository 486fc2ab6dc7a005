//! A fake Discord on 127.0.0.1 for end-to-end tests: an HTTP API (reached through `DISCORD_PROXY_URL`) and
//! a gateway. The API records every request, answers `/gateway` with the fake gateway's `ws://` URL (so
//! serenity never falls back to the real one), and fails on purpose where a test asks (50007, 50013). The
//! gateway sends HELLO, answers IDENTIFY with READY and heartbeats with ACK, then pushes the dispatches a
//! test gives it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bot_core::{
    ChatContext, ChatMessage, ChatRef, Classification, Core, Platform, Reply, Responder,
};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

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
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Channels whose messages fail with this Discord error code.
    failing: Mutex<HashMap<u64, u16>>,
    /// Channels whose next messages fail with a 500, and how many more will.
    failing_for_now: Mutex<HashMap<u64, u32>>,
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
                async move { Ok::<_, Infallible>(handle(req, &state, &tick, ws).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

async fn handle(
    req: Request<Incoming>,
    state: &State,
    tick: &watch::Sender<u64>,
    ws: SocketAddr,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    state.requests.lock().unwrap().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        body: body.clone(),
    });
    tick.send_modify(|n| *n += 1);

    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method.as_str(), segments.as_slice()) {
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
                None => {
                    let content = body["content"].as_str().unwrap_or("");
                    respond(
                        StatusCode::OK,
                        message_json(next_id(state), channel, content),
                    )
                }
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
        let today = chrono_date();
        self.bot
            .respond(&message.text, &ChatContext::new(Platform::Discord, today))
    }

    fn unreachable(&self, chat: &ChatRef) {
        self.record(Call::Unreachable(chat.clone()));
    }
}

fn chrono_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 9, 15).unwrap()
}
