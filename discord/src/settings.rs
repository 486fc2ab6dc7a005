//! Per-server crisis-watch settings, in the sled tree the binary passes in (`discord-guilds`).
//!
//! Key: the server id (8 bytes, big-endian). Value: JSON `{"version": 1, ...}`. Only ids are stored: the
//! watched channels, the alert channel, the role to ping, and who configured it (to tell them when the bot
//! lacks a permission). `/setup off` deletes the entry.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Why the settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings store: {0}")]
    Store(#[from] sled::Error),
    #[error("settings entry is not readable: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Crisis watch for one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchSettings {
    /// Channels whose messages are read for crisis.
    #[serde(default)]
    pub watched: BTreeSet<u64>,
    /// Where moderators are alerted.
    #[serde(default)]
    pub alert_channel: Option<u64>,
    /// The role pinged in alerts (the only mention the bot ever allows).
    #[serde(default)]
    pub alert_role: Option<u64>,
    /// The member who last changed the settings: told (once) when the bot lacks a permission.
    #[serde(default)]
    pub configured_by: Option<u64>,
    /// That member has been told about a missing permission since the last change.
    #[serde(default)]
    pub problem_reported: bool,
}

impl WatchSettings {
    /// Whether messages in `channel` are watched.
    pub fn watches(&self, channel: u64) -> bool {
        self.watched.contains(&channel)
    }
}

/// The stored form, versioned so that later versions can read older entries.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum Stored {
    #[serde(rename = "1")]
    V1(WatchSettings),
}

/// The settings of every server.
#[derive(Clone)]
pub struct SettingsStore {
    tree: sled::Tree,
}

impl SettingsStore {
    /// Settings kept in `tree`.
    pub fn new(tree: sled::Tree) -> Self {
        SettingsStore { tree }
    }

    /// The settings of `guild`, if it has any.
    pub fn get(&self, guild: u64) -> Result<Option<WatchSettings>, SettingsError> {
        let Some(bytes) = self.tree.get(guild.to_be_bytes())? else {
            return Ok(None);
        };
        let Stored::V1(settings) = serde_json::from_slice(&bytes)?;
        Ok(Some(settings))
    }

    /// Stores the settings of `guild` and flushes them to disk.
    pub async fn put(&self, guild: u64, settings: &WatchSettings) -> Result<(), SettingsError> {
        let bytes = serde_json::to_vec(&Stored::V1(settings.clone()))?;
        self.tree.insert(guild.to_be_bytes(), bytes)?;
        self.tree.flush_async().await?;
        Ok(())
    }

    /// Deletes the settings of `guild`.
    pub async fn delete(&self, guild: u64) -> Result<(), SettingsError> {
        self.tree.remove(guild.to_be_bytes())?;
        self.tree.flush_async().await?;
        Ok(())
    }

    /// Writes everything to disk (at shutdown).
    pub async fn flush(&self) -> Result<(), SettingsError> {
        self.tree.flush_async().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> SettingsStore {
        let db = sled::Config::new().temporary(true).open().unwrap();
        SettingsStore::new(db.open_tree("discord-guilds").unwrap())
    }

    #[tokio::test]
    async fn round_trip_and_delete() {
        let store = store();
        assert_eq!(store.get(1).unwrap(), None);
        let settings = WatchSettings {
            watched: [10, 11].into(),
            alert_channel: Some(20),
            alert_role: Some(30),
            configured_by: Some(40),
            problem_reported: false,
        };
        store.put(1, &settings).await.unwrap();
        assert_eq!(store.get(1).unwrap(), Some(settings.clone()));
        assert!(settings.watches(10) && !settings.watches(20));
        assert_eq!(store.get(2).unwrap(), None);
        store.delete(1).await.unwrap();
        assert_eq!(store.get(1).unwrap(), None);
    }

    #[tokio::test]
    async fn entries_are_versioned_json_of_ids_only() {
        let store = store();
        store
            .put(
                7,
                &WatchSettings {
                    watched: [5].into(),
                    ..WatchSettings::default()
                },
            )
            .await
            .unwrap();
        let raw = store.tree.get(7u64.to_be_bytes()).unwrap().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(json["version"], "1");
        assert_eq!(json["watched"], serde_json::json!([5]));
    }

    #[test]
    fn unknown_versions_are_errors_not_panics() {
        let store = store();
        store
            .tree
            .insert(9u64.to_be_bytes(), br#"{"version":"99"}"#.to_vec())
            .unwrap();
        assert!(matches!(store.get(9), Err(SettingsError::Decode(_))));
    }
}
