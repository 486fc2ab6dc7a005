//! Whether the adapter is up, for the binary's health check.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long after a failed `getUpdates` Telegram counts as unreachable, unless an update arrives first:
/// teloxide waits at most 64 s between failing polls, and a poll lasts up to 10 s.
const FAILURE_HOLDS_FOR: Duration = Duration::from_secs(90);

/// Whether the adapter runs and reaches Telegram. Cheap to clone; every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Status(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    running: bool,
    last_failure: Option<Instant>,
}

impl Status {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The adapter has started (Telegram accepted the token, updates are being received) and not stopped.
    pub fn running(&self) -> bool {
        self.state().running
    }

    /// Running, and no `getUpdates` failed in the last 90 seconds without an update arriving since.
    pub fn connected(&self) -> bool {
        let state = self.state();
        state.running
            && state
                .last_failure
                .is_none_or(|at| at.elapsed() > FAILURE_HOLDS_FOR)
    }

    pub(crate) fn set_running(&self, running: bool) {
        self.state().running = running;
    }

    pub(crate) fn poll_failed(&self) {
        self.state().last_failure = Some(Instant::now());
    }

    pub(crate) fn update_received(&self) {
        self.state().last_failure = None;
    }
}

/// Marks the adapter stopped when dropped, however `serve` ends.
pub(crate) struct StopsRunning(pub Status);

impl Drop for StopsRunning {
    fn drop(&mut self) {
        self.0.set_running(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_poll_disconnects_until_an_update_arrives() {
        let status = Status::default();
        assert!(!status.connected());
        status.set_running(true);
        assert!(status.connected());
        status.poll_failed();
        assert!(status.running() && !status.connected());
        status.update_received();
        assert!(status.connected());
        drop(StopsRunning(status.clone()));
        assert!(!status.running() && !status.connected());
    }
}
