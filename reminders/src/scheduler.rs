//! The scheduler: sleeps until the earliest due reminder (or until a reminder changes), claims what is due,
//! flushes the claims to disk, then sends through the [`Sender`] at a per-platform rate.
//!
//! No loop over everyone: the store keeps a due index in time order per platform, and each wake-up reads
//! only the entries that are due.

use bot_core::{ChatRef, DeliveryError, Platform, Reply};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

use crate::Error;
use crate::service::{Claim, Delivery, Reminders};
use crate::store::PLATFORMS;

/// Sends a message the bot starts (a reminder) to a chat. The binary implements it over the adapters.
///
/// The result decides what happens next:
/// - `Ok`: delivered.
/// - [`DeliveryError::Unreachable`]: the person blocked the bot or closed their DMs; the reminder pauses.
/// - [`DeliveryError::Transient`]: **certainly not delivered** (429, 5xx, connection refused): retried with
///   backoff within the person's local day. An error that leaves it unknown whether the platform accepted
///   the message (a timeout after the request was sent) must be reported as `Permanent` to keep the
///   never-twice guarantee; reported as `Transient` it may double that day's message.
/// - [`DeliveryError::Permanent`]: not retried today; the reminder stays on.
///
/// ```
/// use bot_core::{ChatRef, DeliveryError, Platform, Reply};
///
/// struct Adapters; // the binary's: a Telegram bot, a Discord HTTP client, the terminal
///
/// impl reminders::Sender for Adapters {
///     async fn deliver(&self, chat: &ChatRef, reply: &Reply) -> Result<(), DeliveryError> {
///         match chat.platform {
///             Platform::Terminal => {
///                 println!("{}", reply.plain_text());
///                 Ok(())
///             }
///             // Telegram 403 / Discord 50007 -> Unreachable; 429 or 5xx before sending -> Transient.
///             _ => Err(DeliveryError::Permanent("not configured".into())),
///         }
///     }
/// }
/// ```
pub trait Sender: Send + Sync + 'static {
    /// Sends `reply` to `chat`.
    fn deliver(
        &self,
        chat: &ChatRef,
        reply: &Reply,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Time for the scheduler: the wall clock in production, a fake one in tests.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
    /// Resolves at `deadline` (or earlier: the scheduler checks the time again when it wakes).
    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send;
}

/// The system clock. Sleeps at most a minute at a time, so a wall-clock change (NTP, a suspended VM) delays
/// reminders by at most a minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let wait = (deadline - Utc::now())
            .to_std()
            .unwrap_or_default()
            .min(std::time::Duration::from_secs(60));
        tokio::time::sleep(wait)
    }
}

/// Rates and retries.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Messages per second started on Telegram (its limit is about 30/s for different chats).
    pub telegram_per_second: u32,
    /// Messages per second started on Discord (its global limit is 50 requests/s, a DM costs two).
    pub discord_per_second: u32,
    /// Messages per second to the terminal chat.
    pub terminal_per_second: u32,
    /// Deliveries waiting for a platform's answer at once, per platform.
    pub max_in_flight: usize,
    /// The first retry after a temporary failure; each next one waits twice as long, up to `retry_max`.
    pub retry_first: Duration,
    pub retry_max: Duration,
    /// How long shutdown waits for deliveries already started.
    pub shutdown_grace: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            telegram_per_second: 20,
            discord_per_second: 20,
            terminal_per_second: 50,
            max_in_flight: 32,
            retry_first: Duration::minutes(1),
            retry_max: Duration::hours(1),
            shutdown_grace: std::time::Duration::from_secs(10),
        }
    }
}

impl Limits {
    fn rate(&self, platform: Platform) -> u32 {
        match platform {
            Platform::Telegram => self.telegram_per_second,
            Platform::Discord => self.discord_per_second,
            Platform::Terminal => self.terminal_per_second,
        }
        .max(1)
    }

    fn backoff(&self, attempt: u8) -> Duration {
        let factor = 1i32 << u32::from(attempt.saturating_sub(1)).min(16);
        (self.retry_first * factor).min(self.retry_max)
    }
}

/// A token bucket per platform: `rate` messages a second, bursts of up to `rate`.
#[derive(Debug)]
struct Lane {
    rate: u32,
    tokens: f64,
    refilled: DateTime<Utc>,
    in_flight: usize,
}

impl Lane {
    fn refill(&mut self, now: DateTime<Utc>) {
        let elapsed = (now - self.refilled).num_milliseconds().max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * f64::from(self.rate)).min(f64::from(self.rate));
        self.refilled = now;
    }

    /// When the next whole token is there.
    fn next_token(&self) -> DateTime<Utc> {
        let missing = (1.0 - self.tokens).max(0.0);
        self.refilled
            + Duration::milliseconds((missing * 1000.0 / f64::from(self.rate)).ceil() as i64)
    }
}

/// Runs the scheduler on the system clock with the default limits until `shutdown` resolves; then waits for
/// deliveries already started (up to [`Limits::shutdown_grace`]), flushes the store and returns.
pub async fn run<S: Sender>(
    reminders: Arc<Reminders>,
    sender: S,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    run_with(reminders, sender, SystemClock, Limits::default(), shutdown).await
}

/// [`run`] with a chosen clock and limits.
pub async fn run_with<S: Sender, C: Clock>(
    reminders: Arc<Reminders>,
    sender: S,
    clock: C,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let sender = Arc::new(sender);
    let start = clock.now();
    let mut lanes: HashMap<Platform, Lane> = PLATFORMS
        .into_iter()
        .map(|p| {
            let rate = limits.rate(p);
            (
                p,
                Lane {
                    rate,
                    tokens: f64::from(rate),
                    refilled: start,
                    in_flight: 0,
                },
            )
        })
        .collect();
    let mut tasks: JoinSet<(Delivery, Option<Result<(), DeliveryError>>)> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, Platform> = HashMap::new();
    tokio::pin!(shutdown);
    let _running = Running::start(&reminders);
    tracing::info!("reminder scheduler started");

    loop {
        let now = clock.now();
        let mut claimed = Vec::new();
        for platform in PLATFORMS {
            let lane = lanes.get_mut(&platform).expect("every platform has a lane");
            lane.refill(now);
            loop {
                let capacity = (lane.tokens.floor() as usize)
                    .min(limits.max_in_flight.saturating_sub(lane.in_flight));
                if capacity == 0 {
                    break;
                }
                let due = reminders.due(platform, now, capacity)?;
                if due.is_empty() {
                    break;
                }
                for entry in due {
                    if let Claim::Deliver(delivery) = reminders.claim(entry, now)? {
                        lane.tokens -= 1.0;
                        lane.in_flight += 1;
                        claimed.push(delivery);
                    }
                }
            }
        }
        if !claimed.is_empty() {
            // The at-most-once point: every claim is on disk before any of them is sent.
            reminders.flush()?;
            for delivery in claimed {
                let platform = delivery.chat.platform;
                let reminders = reminders.clone();
                let sender = sender.clone();
                let reply = reminders.daily_reply(delivery.date);
                let handle = tasks.spawn(async move {
                    match reminders.begin(&delivery) {
                        Ok(true) => {
                            let result = sender.deliver(&delivery.chat, &reply).await;
                            (delivery, Some(result))
                        }
                        Ok(false) => (delivery, None),
                        Err(error) => {
                            tracing::error!(%error, "reminder store failed before a delivery");
                            (delivery, None)
                        }
                    }
                });
                running.insert(handle.id(), platform);
            }
        }

        let wake_at = wake_time(&reminders, &lanes, &limits, now)?;
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                finish(&reminders, &mut lanes, &mut running, &limits, clock.now(), joined)?;
            }
            () = reminders.wake.notified() => {}
            () = sleep_until(&clock, wake_at) => {}
        }
    }

    tracing::info!(in_flight = tasks.len(), "reminder scheduler stopping");
    let grace = tokio::time::timeout(limits.shutdown_grace, async {
        while let Some(joined) = tasks.join_next_with_id().await {
            finish(
                &reminders,
                &mut lanes,
                &mut running,
                &limits,
                clock.now(),
                joined,
            )?;
        }
        Ok::<(), Error>(())
    })
    .await;
    match grace {
        Ok(result) => result?,
        Err(_) => {
            tracing::warn!(
                in_flight = tasks.len(),
                "reminder deliveries still running at shutdown were abandoned (not resent: at most once)"
            );
            tasks.abort_all();
        }
    }
    reminders.flush()?;
    tracing::info!("reminder scheduler stopped");
    Ok(())
}

/// Says the scheduler runs while it lives ([`Reminders::scheduler_running`]), however the loop ends.
struct Running<'a>(&'a Reminders);

impl<'a> Running<'a> {
    fn start(reminders: &'a Reminders) -> Self {
        reminders
            .scheduler_running
            .store(true, std::sync::atomic::Ordering::Release);
        Running(reminders)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0
            .scheduler_running
            .store(false, std::sync::atomic::Ordering::Release);
    }
}

async fn sleep_until<C: Clock>(clock: &C, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// When the loop has something to do next: the earliest due entry, or, for a platform with entries already
/// due but no rate left, its next token. A platform whose deliveries are all in flight waits for one to end.
fn wake_time(
    reminders: &Reminders,
    lanes: &HashMap<Platform, Lane>,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Error> {
    let mut wake: Option<DateTime<Utc>> = None;
    let mut consider = |at: DateTime<Utc>| wake = Some(wake.map_or(at, |w| w.min(at)));
    for platform in PLATFORMS {
        let Some(at) = reminders.next_due(platform)? else {
            continue;
        };
        if at > now {
            consider(at);
            continue;
        }
        let lane = &lanes[&platform];
        if lane.in_flight >= limits.max_in_flight {
            continue;
        }
        consider(lane.next_token().max(now));
    }
    Ok(wake)
}

type Joined = Result<
    (
        tokio::task::Id,
        (Delivery, Option<Result<(), DeliveryError>>),
    ),
    tokio::task::JoinError,
>;

fn finish(
    reminders: &Reminders,
    lanes: &mut HashMap<Platform, Lane>,
    running: &mut HashMap<tokio::task::Id, Platform>,
    limits: &Limits,
    now: DateTime<Utc>,
    joined: Joined,
) -> Result<(), Error> {
    let id = match &joined {
        Ok((id, _)) => *id,
        Err(error) => error.id(),
    };
    if let Some(platform) = running.remove(&id)
        && let Some(lane) = lanes.get_mut(&platform)
    {
        lane.in_flight = lane.in_flight.saturating_sub(1);
    }
    match joined {
        Ok((_, (delivery, Some(result)))) => {
            match &result {
                Ok(()) => {
                    tracing::info!(platform = ?delivery.chat.platform, chat = %delivery.chat.id, date = %delivery.date, attempt = delivery.attempt, "reminder delivered")
                }
                Err(error) => {
                    tracing::debug!(platform = ?delivery.chat.platform, chat = %delivery.chat.id, %error, "reminder delivery failed")
                }
            }
            reminders.finish(&delivery, &result, now, limits.backoff(delivery.attempt))
        }
        Ok((_, (delivery, None))) => {
            tracing::debug!(platform = ?delivery.chat.platform, chat = %delivery.chat.id, "reminder withdrawn before sending");
            Ok(())
        }
        Err(error) => {
            // A sender that panicked: that day's message is lost, never repeated.
            tracing::error!(%error, "a reminder delivery task failed");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let limits = Limits::default();
        assert_eq!(limits.backoff(1), Duration::minutes(1));
        assert_eq!(limits.backoff(2), Duration::minutes(2));
        assert_eq!(limits.backoff(4), Duration::minutes(8));
        assert_eq!(limits.backoff(10), Duration::hours(1));
        assert_eq!(limits.backoff(255), Duration::hours(1));
    }

    #[test]
    fn lane_refills_at_its_rate() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut lane = Lane {
            rate: 20,
            tokens: 0.0,
            refilled: t0,
            in_flight: 0,
        };
        assert_eq!(lane.next_token(), t0 + Duration::milliseconds(50));
        lane.refill(t0 + Duration::milliseconds(500));
        assert!((lane.tokens - 10.0).abs() < 1e-9);
        lane.refill(t0 + Duration::seconds(10));
        assert!(
            (lane.tokens - 20.0).abs() < 1e-9,
            "bursts are capped at one second"
        );
    }
}
