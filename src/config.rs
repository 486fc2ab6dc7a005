//! The operator's configuration file (TOML), with tokens also read from the environment under the names
//! the platforms' own libraries use (`TELOXIDE_TOKEN`, `DISCORD_TOKEN`, ...). The environment wins, so a
//! token never has to be written into a file.

use anyhow::{Context as _, Result};
use bot_core::CountryCode;
use bot_core::language::Language;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `recovery-bot.toml`. Its `Debug` never shows the tokens.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where people are assumed to be until they say (ISO code such as `GB`; `--country` overrides it): crisis
    /// replies give that country's lines (`intents/countries.toml`). The US when unset.
    pub default_country: Option<String>,
    /// The language people are answered in until they choose (`en`, `es`; `--lang` overrides it), whatever they
    /// write in. Unset: the language of each message.
    pub default_language: Option<String>,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub telegram: TelegramSection,
    #[serde(default)]
    pub discord: DiscordSection,
    #[serde(default)]
    pub reminders: RemindersSection,
    #[serde(default)]
    pub meetings: MeetingsSection,
    #[serde(default)]
    pub metrics: MetricsSection,
}

/// Where the sled store lives (reminders, Discord server settings).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A folder for the store; `RECOVERY_BOT_STORE` overrides it. When not set, `recovery-bot.db` in the
    /// working directory, and if that cannot be opened (another recovery-bot holds it, or the folder is
    /// read-only), a temporary store with a warning, so that the bot still answers; reminders then last only
    /// as long as the process.
    pub path: Option<PathBuf>,
}

/// `/metrics` (Prometheus) and `/healthz`, served by `serve` when an address is set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// The address to listen on, such as `127.0.0.1:9477`; `RECOVERY_BOT_METRICS_LISTEN` overrides it. Off
    /// when neither is set.
    pub listen: Option<String>,
}

/// The environment variable for `[store] path`.
pub const STORE_VAR: &str = "RECOVERY_BOT_STORE";
/// The environment variable for `[metrics] listen`.
pub const METRICS_LISTEN_VAR: &str = "RECOVERY_BOT_METRICS_LISTEN";

/// The store's folder when none is configured.
pub const DEFAULT_STORE: &str = "recovery-bot.db";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSection {
    /// Bot token from BotFather; `TELOXIDE_TOKEN` overrides it.
    pub token: Option<SecretString>,
    /// Another Bot API server (self-hosted, or a fake one in tests); `TELOXIDE_API_URL` overrides it.
    pub api_url: Option<String>,
    /// Public HTTPS URL for webhook mode; long polling when absent.
    pub webhook_url: Option<String>,
    /// Address the webhook server listens on (default 0.0.0.0:8443).
    pub listen: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSection {
    /// Bot token; `DISCORD_TOKEN` overrides it.
    pub token: Option<SecretString>,
    /// A Discord API proxy (twilight-http-proxy); `DISCORD_PROXY_URL` overrides it.
    pub proxy_url: Option<String>,
    /// Register the slash commands to this server only (instant, for development); `DISCORD_DEV_GUILD`.
    pub dev_guild: Option<u64>,
    /// The shards this process runs, `FIRST-LAST/TOTAL`; `DISCORD_SHARDS`.
    pub shards: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersSection {
    /// Zone used when a person asks for a reminder without naming one (they are told).
    pub default_zone: Option<String>,
    /// A reminder missed by less than this (after downtime) is sent late, once; default 6.
    pub late_window_hours: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingsSection {
    /// Minutes between refreshes of feeds given by URL (default 60).
    pub refresh_minutes: Option<u64>,
    /// `[[meetings.feed]]`: `id`, `source` (a file or an http(s) URL), and optionally `timezone` (IANA; else
    /// guessed from the addresses) and `fellowship` (AA, NA, ...; else AA for Meeting Guide, NA for BMLT).
    #[serde(default)]
    pub feed: Vec<meetings::fetch::FeedSpec>,
}

impl MeetingsSection {
    /// Minutes between feed refreshes: 60 by default, at least 5 (feed servers are volunteers' websites),
    /// at most a week.
    pub fn refresh_minutes(&self) -> u64 {
        self.refresh_minutes.unwrap_or(60).clamp(5, 7 * 24 * 60)
    }
}

impl Config {
    /// [`Config::default_country`], checked.
    pub fn default_country(&self) -> Result<Option<CountryCode>> {
        self.default_country
            .as_deref()
            .map(|code| {
                CountryCode::parse(code).with_context(|| {
                    format!("default_country {code:?}: use a two-letter ISO code such as GB")
                })
            })
            .transpose()
    }

    /// [`Config::default_language`], checked.
    pub fn default_language(&self) -> Result<Option<Language>> {
        self.default_language
            .as_deref()
            .map(|code| {
                Language::from_code(code)
                    .with_context(|| format!("default_language {code:?}: use en or es"))
            })
            .transpose()
    }

    /// Reads `path` when given (it must exist), else `recovery-bot.toml` in the working directory if there
    /// is one, else the defaults. Settings with an environment name are read through [`Config::var`].
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("recovery-bot.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            // Only the message and the line: the parser's own report quotes the line, which may hold a token.
            Ok(text) => toml::from_str(&text).map_err(|e| {
                let line = e
                    .span()
                    .map(|span| text[..span.start].matches('\n').count() + 1);
                let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
                anyhow::anyhow!(
                    "reading configuration {}{at}: {}",
                    path.display(),
                    e.message()
                )
            }),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(e) => Err(e).with_context(|| format!("reading configuration {}", path.display())),
        }
    }

    /// A setting by its environment name (`TELOXIDE_TOKEN`, `DISCORD_PROXY_URL`, ...): the environment when
    /// set and not empty, else the file. The adapters read their settings through this.
    pub fn var(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.file_var(name))
    }

    fn file_var(&self, name: &str) -> Option<String> {
        match name {
            "TELOXIDE_TOKEN" => self.telegram.token.as_ref().map(expose),
            "TELOXIDE_API_URL" => self.telegram.api_url.clone(),
            "DISCORD_TOKEN" => self.discord.token.as_ref().map(expose),
            "DISCORD_PROXY_URL" => self.discord.proxy_url.clone(),
            "DISCORD_DEV_GUILD" => self.discord.dev_guild.map(|g| g.to_string()),
            "DISCORD_SHARDS" => self.discord.shards.clone(),
            METRICS_LISTEN_VAR => self.metrics.listen.clone(),
            _ => None,
        }
    }

    /// Telegram webhook mode from the file (`[telegram] webhook_url`, `listen`), when set.
    pub fn telegram_webhook(&self) -> Result<Option<telegram::Webhook>> {
        self.telegram
            .webhook_url
            .as_deref()
            .map(|url| telegram::Webhook::parse(url, self.telegram.listen.as_deref()))
            .transpose()
            .context("[telegram] webhook_url / listen")
    }

    /// The store's folder: `RECOVERY_BOT_STORE`, else `[store] path`; `None` for the default.
    pub fn store_path(&self) -> Option<PathBuf> {
        match std::env::var_os(STORE_VAR) {
            Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => self.store.path.clone(),
        }
    }

    /// Where `/metrics` and `/healthz` are served: `RECOVERY_BOT_METRICS_LISTEN`, else `[metrics] listen`;
    /// `None` when metrics are off.
    pub fn metrics_listen(&self) -> Result<Option<std::net::SocketAddr>> {
        self.var(METRICS_LISTEN_VAR)
            .as_deref()
            .map(parse_metrics_listen)
            .transpose()
    }

    /// Some platform has a token: `recovery-bot` serves instead of chatting in the terminal.
    pub fn has_platform(&self) -> bool {
        self.var("TELOXIDE_TOKEN").is_some() || self.var("DISCORD_TOKEN").is_some()
    }
}

/// `[metrics] listen`: an IP address and a port.
fn parse_metrics_listen(text: &str) -> Result<std::net::SocketAddr> {
    text.trim().parse().map_err(|e| {
        anyhow::anyhow!(
            "[metrics] listen ({METRICS_LISTEN_VAR}) {text:?}: {e} (use an IP address and a port, such as 127.0.0.1:9477)"
        )
    })
}

/// A token's text, to hand to the platform's client.
fn expose(token: &SecretString) -> String {
    token.expose_secret().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_gives_settings_by_their_environment_names() {
        let config: Config = toml::from_str(
            r#"
            [telegram]
            token = "from-file"
            [discord]
            dev_guild = 42
            [[meetings.feed]]
            id = "oc"
            source = "feeds/oc.json"
            timezone = "America/Los_Angeles"
            "#,
        )
        .unwrap();
        assert_eq!(
            config.file_var("TELOXIDE_TOKEN").as_deref(),
            Some("from-file")
        );
        assert_eq!(config.file_var("DISCORD_DEV_GUILD").as_deref(), Some("42"));
        assert_eq!(config.file_var("DISCORD_TOKEN"), None);
        assert_eq!(config.meetings.feed[0].id, "oc");
        assert_eq!(
            config.meetings.feed[0].timezone,
            Some(meetings::Tz::America__Los_Angeles)
        );
    }

    #[test]
    fn a_mistake_in_the_file_is_reported_without_quoting_the_line() {
        let dir = std::env::temp_dir().join(format!("recovery-bot-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("recovery-bot.toml");
        std::fs::write(&path, "[telegram]\ntoken = 12345:ABCsecretTOKEN\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&path)).expect_err("an error"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(error.contains("line 2"), "{error}");
        assert!(!error.contains("ABCsecretTOKEN"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_tokens() {
        let config: Config = toml::from_str(
            "[telegram]\ntoken = \"tg-secret-token\"\n[discord]\ntoken = \"dc-secret-token\"",
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert_eq!(
            config.file_var("TELOXIDE_TOKEN").as_deref(),
            Some("tg-secret-token")
        );
    }

    #[test]
    fn refresh_minutes_stay_sensible() {
        let section = |m| MeetingsSection {
            refresh_minutes: m,
            feed: vec![],
        };
        assert_eq!(section(None).refresh_minutes(), 60);
        assert_eq!(section(Some(0)).refresh_minutes(), 5);
        assert_eq!(section(Some(u64::MAX)).refresh_minutes(), 7 * 24 * 60);
    }

    #[test]
    fn the_metrics_address_is_read_and_checked() {
        let off: Config = toml::from_str("").unwrap();
        assert_eq!(off.file_var(METRICS_LISTEN_VAR), None);
        let on: Config = toml::from_str("[metrics]\nlisten = \"127.0.0.1:9477\"").unwrap();
        assert_eq!(
            on.file_var(METRICS_LISTEN_VAR).as_deref(),
            Some("127.0.0.1:9477")
        );
        assert_eq!(
            parse_metrics_listen(" 127.0.0.1:9477 ").unwrap(),
            "127.0.0.1:9477".parse().unwrap()
        );
        let error = format!(
            "{:#}",
            parse_metrics_listen("localhost").expect_err("an error")
        );
        assert!(error.contains("[metrics] listen"), "{error}");
    }

    #[test]
    fn mistakes_are_named() {
        let error = toml::from_str::<Config>("[telegram]\ntokn = \"x\"").expect_err("an error");
        assert!(error.to_string().contains("tokn"), "{error}");
        let missing =
            Config::load(Some(Path::new("/nonexistent/recovery-bot.toml"))).expect_err("an error");
        assert!(format!("{missing:#}").contains("/nonexistent/recovery-bot.toml"));
    }
}
