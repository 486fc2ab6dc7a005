//! `GET /metrics` (Prometheus' text format) and `GET /healthz` (JSON), served by `serve` when `[metrics]
//! listen` (or `RECOVERY_BOT_METRICS_LISTEN`) is set. Labels are platforms, intents and outcomes: never what
//! a person typed, never a user or chat id.

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use bot_core::Platform;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::recorder::TextRecorder;

/// The gauge the feed store sets after each good refresh; `/metrics` turns it into an age.
const FEED_REFRESHED_AT: &str = "recovery_bot_feed_last_refresh_timestamp_seconds";

/// A platform as a metric label.
pub fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => "telegram",
        Platform::Discord => "discord",
        Platform::Terminal => "terminal",
    }
}

/// The process's recorder, installed (and its metrics described) the first time; every `metrics::` call
/// anywhere in the process records into it from then on. Until then those calls do nothing.
pub fn install() -> TextRecorder {
    static RECORDER: OnceLock<TextRecorder> = OnceLock::new();
    RECORDER
        .get_or_init(|| {
            let recorder = TextRecorder::default();
            if metrics::set_global_recorder(recorder.clone()).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            describe();
            recorder
        })
        .clone()
}

/// What each metric means (the `# HELP` lines), in one place.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "recovery_bot_messages_total",
        "Messages answered, by platform and intent."
    );
    describe_counter!(
        "recovery_bot_urgent_replies_total",
        "Urgent replies (a crisis, an overdose happening now), by platform."
    );
    describe_histogram!(
        "recovery_bot_respond_seconds",
        "Time to work out a reply (the core, the reminder store), by platform."
    );
    describe_histogram!(
        "recovery_bot_reply_seconds",
        "Time from a message's arrival to its reply delivered, by platform."
    );
    describe_counter!(
        "recovery_bot_deliveries_total",
        "Replies and reminders sent, by platform and outcome (sent, retried, failed_transient, failed_permanent, unreachable)."
    );
    describe_counter!(
        "recovery_bot_reminders_total",
        "Daily reminders, by platform and outcome (sent, late, retry, failed, missed, blocked)."
    );
    describe_counter!(
        "recovery_bot_feed_refreshes_total",
        "Meeting feed refreshes, by outcome (loaded, not_modified, failed)."
    );
    describe_gauge!(
        FEED_REFRESHED_AT,
        "When a meeting feed was last refreshed successfully (Unix time)."
    );
    describe_gauge!(
        "recovery_bot_feed_refresh_age_seconds",
        "Seconds since a meeting feed was last refreshed successfully."
    );
    describe_gauge!(
        "recovery_bot_store_bytes",
        "Size of the store on disk, in bytes."
    );
    describe_gauge!(
        "recovery_bot_up",
        "Whether each part serve runs is up (1) or not (0), as /healthz says."
    );
}

/// Shows every counter the configured parts can move at 0 from the start, so that a rate over the first
/// event is right and a dashboard finds every series.
pub fn start_at_zero(parts: &Parts, feeds: bool) {
    let platforms = [
        (parts.telegram.is_some(), "telegram"),
        (parts.discord.is_some(), "discord"),
    ];
    for platform in platforms.iter().filter(|(on, _)| *on).map(|(_, p)| *p) {
        for intent in bot_core::Intent::ALL {
            metrics::counter!("recovery_bot_messages_total", "platform" => platform, "intent" => intent.as_str())
                .increment(0);
        }
        metrics::counter!("recovery_bot_urgent_replies_total", "platform" => platform).increment(0);
        for outcome in [
            "sent",
            "retried",
            "failed_transient",
            "failed_permanent",
            "unreachable",
        ] {
            metrics::counter!("recovery_bot_deliveries_total", "platform" => platform, "outcome" => outcome)
                .increment(0);
        }
        for outcome in ["sent", "late", "retry", "failed", "missed", "blocked"] {
            metrics::counter!("recovery_bot_reminders_total", "platform" => platform, "outcome" => outcome)
                .increment(0);
        }
    }
    if feeds {
        for outcome in ["loaded", "not_modified", "failed"] {
            metrics::counter!("recovery_bot_feed_refreshes_total", "outcome" => outcome)
                .increment(0);
        }
    }
}

/// The parts `serve` runs, as `/healthz` reports them.
#[derive(Clone)]
pub struct Parts {
    /// When Telegram is configured.
    pub telegram: Option<telegram::Status>,
    /// When Discord is configured.
    pub discord: Option<discord::Status>,
    pub reminders: Arc<reminders::Reminders>,
}

/// `/healthz`'s answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `"ok"` when every configured part is up, else `"unavailable"`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram: Option<PlatformHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discord: Option<PlatformHealth>,
    pub reminders: SchedulerHealth,
}

#[derive(Debug, Serialize)]
pub struct PlatformHealth {
    /// The adapter is running.
    pub running: bool,
    /// It reaches the platform (Telegram: getUpdates answers; Discord: every shard connected).
    pub connected: bool,
}

#[derive(Debug, Serialize)]
pub struct SchedulerHealth {
    pub running: bool,
}

impl Parts {
    /// Each part's state, and whether all of them are up.
    pub fn health(&self) -> (bool, Health) {
        let telegram = self.telegram.as_ref().map(|s| PlatformHealth {
            running: s.running(),
            connected: s.connected(),
        });
        let discord = self.discord.as_ref().map(|s| PlatformHealth {
            running: s.running(),
            connected: s.connected(),
        });
        let reminders = SchedulerHealth {
            running: self.reminders.scheduler_running(),
        };
        let up = [&telegram, &discord]
            .into_iter()
            .flatten()
            .all(|p| p.running && p.connected)
            && reminders.running;
        let health = Health {
            status: if up { "ok" } else { "unavailable" },
            telegram,
            discord,
            reminders,
        };
        (up, health)
    }
}

/// What the two routes read.
struct Monitor {
    recorder: TextRecorder,
    parts: Parts,
    db: sled::Db,
}

/// Binds `address` (an error names it: another process may hold it).
pub async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address} ([metrics] listen)"))
}

/// Serves `/metrics` and `/healthz` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    recorder: TextRecorder,
    parts: Parts,
    db: sled::Db,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let address = listener.local_addr().context("the metrics address")?;
    let app = router(Monitor {
        recorder,
        parts,
        db,
    });
    tracing::info!(listen = %address, "metrics server listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("metrics server")
}

fn router(monitor: Monitor) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .with_state(Arc::new(monitor))
}

async fn metrics_text(State(monitor): State<Arc<Monitor>>) -> impl IntoResponse {
    let db = monitor.db.clone();
    if let Ok(Ok(bytes)) = tokio::task::spawn_blocking(move || db.size_on_disk()).await {
        metrics::gauge!("recovery_bot_store_bytes").set(bytes as f64);
    }
    if let Some(at) = monitor.recorder.gauge_value(FEED_REFRESHED_AT) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        metrics::gauge!("recovery_bot_feed_refresh_age_seconds").set((now - at).max(0.0));
    }
    let (_, health) = monitor.parts.health();
    let up = |part: &'static str, up: bool| {
        metrics::gauge!("recovery_bot_up", "part" => part).set(if up { 1.0 } else { 0.0 });
    };
    if let Some(p) = &health.telegram {
        up("telegram", p.running && p.connected);
    }
    if let Some(p) = &health.discord {
        up("discord", p.running && p.connected);
    }
    up("reminders", health.reminders.running);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        monitor.recorder.render(),
    )
}

async fn healthz(State(monitor): State<Arc<Monitor>>) -> impl IntoResponse {
    let (up, health) = monitor.parts.health();
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_string(&health).unwrap_or_else(|_| "{}".into());
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

/// `recovery-bot health`: asks `url` (a `/healthz`) and succeeds when it answers 200. Prints the answer.
pub fn check(url: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?;
        let response = client
            .get(url)
            .send()
            .await
            .with_context(|| format!("asking {url}"))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        println!("{}", body.trim_end());
        if !status.is_success() {
            anyhow::bail!("{url} answered {status}: not healthy");
        }
        Ok(())
    })
}

/// The `/healthz` URL for a metrics address: a wildcard address is asked on the loopback.
pub fn healthz_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        }
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(ip, listen.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminders() -> Arc<reminders::Reminders> {
        let bot = bot_core::Core::embedded().unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        Arc::new(
            reminders::Reminders::open(
                &db,
                bot.reminder_content().clone(),
                reminders::Settings::default(),
            )
            .unwrap(),
        )
    }

    #[test]
    fn health_is_up_only_when_every_configured_part_is() {
        let parts = Parts {
            telegram: Some(telegram::Status::default()),
            discord: None,
            reminders: reminders(),
        };
        let (up, health) = parts.health();
        assert!(!up);
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["status"], "unavailable");
        assert_eq!(json["telegram"]["running"], false);
        assert!(json.get("discord").is_none(), "{json}");
        assert_eq!(json["reminders"]["running"], false);
    }

    #[test]
    fn a_wildcard_address_is_asked_on_the_loopback() {
        assert_eq!(
            healthz_url("0.0.0.0:9477".parse().unwrap()),
            "http://127.0.0.1:9477/healthz"
        );
        assert_eq!(
            healthz_url("[::]:9477".parse().unwrap()),
            "http://[::1]:9477/healthz"
        );
        assert_eq!(
            healthz_url("10.0.0.2:80".parse().unwrap()),
            "http://10.0.0.2:80/healthz"
        );
    }
}
