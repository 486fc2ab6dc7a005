//! Whether the adapter is up, for the binary's health check: running, and every shard connected.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use poise::serenity_prelude as serenity;

/// Whether the adapter runs and its shards are connected. Cheap to clone; every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Status(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    running: bool,
    /// By shard id: whether it is connected (ready, not resuming or reconnecting).
    shards: BTreeMap<u32, bool>,
}

impl Status {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`crate::run`] is running (it may still be connecting).
    pub fn running(&self) -> bool {
        self.state().running
    }

    /// Running, and every shard that started is connected to the gateway (at least one).
    pub fn connected(&self) -> bool {
        let state = self.state();
        state.running && !state.shards.is_empty() && state.shards.values().all(|&up| up)
    }

    pub(crate) fn set_running(&self, running: bool) {
        let mut state = self.state();
        state.running = running;
        if !running {
            state.shards.clear();
        }
    }

    pub(crate) fn shard(&self, id: u32, connected: bool) {
        self.state().shards.insert(id, connected);
    }
}

/// Follows the shards' connection stages (serenity tells only event handlers, not the framework).
pub(crate) struct Watcher(pub Status);

#[serenity::async_trait]
impl serenity::EventHandler for Watcher {
    async fn ready(&self, _ctx: serenity::Context, ready: serenity::Ready) {
        self.0.shard(ready.shard.map_or(0, |s| s.id.0), true);
    }

    async fn shard_stage_update(
        &self,
        _ctx: serenity::Context,
        event: serenity::ShardStageUpdateEvent,
    ) {
        self.0.shard(
            event.shard_id.0,
            event.new == serenity::ConnectionStage::Connected,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_needs_every_shard_up() {
        let status = Status::default();
        status.set_running(true);
        assert!(status.running() && !status.connected(), "no shard yet");
        status.shard(0, true);
        status.shard(1, false);
        assert!(!status.connected());
        status.shard(1, true);
        assert!(status.connected());
        status.set_running(false);
        assert!(!status.running() && !status.connected());
    }
}
