//! How to reach Discord: the token, an optional API proxy, a development server and the shards to run.

use std::str::FromStr;
use std::sync::Arc;

use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret as _, SecretString};

/// Why the Discord settings could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `DISCORD_DEV_GUILD` is not a server id (a number).
    #[error("DISCORD_DEV_GUILD must be a server id (a number)")]
    DevGuild,
    /// `DISCORD_SHARDS` is not `FIRST-LAST/TOTAL`.
    #[error("DISCORD_SHARDS must look like FIRST-LAST/TOTAL, for example 0-3/8")]
    Shards,
    /// `DISCORD_PROXY_URL` is not an `http://` or `https://` URL.
    #[error("DISCORD_PROXY_URL must start with http:// or https://")]
    ProxyUrl,
}

/// The shards this process runs, out of the total the bot is split into (see the README, "Shards").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    /// First shard id run here.
    pub first: u32,
    /// Last shard id run here (inclusive).
    pub last: u32,
    /// How many shards the bot has in all processes together.
    pub total: u32,
}

impl ShardRange {
    /// Whether shard 0 runs here (the process that registers the slash commands).
    pub fn has_first_shard(&self) -> bool {
        self.first == 0
    }
}

impl FromStr for ShardRange {
    type Err = ConfigError;

    /// Parses `FIRST-LAST/TOTAL` (`0-3/8`) or `ID/TOTAL` (`5/8`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (range, total) = s.trim().split_once('/').ok_or(ConfigError::Shards)?;
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let number = |x: &str| x.trim().parse::<u32>().map_err(|_| ConfigError::Shards);
        let shards = ShardRange {
            first: number(first)?,
            last: number(last)?,
            total: number(total)?,
        };
        if shards.first > shards.last || shards.last >= shards.total {
            return Err(ConfigError::Shards);
        }
        Ok(shards)
    }
}

/// Settings for the Discord adapter. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// The bot token from the Developer Portal (never logged).
    pub token: SecretString,
    /// A Discord API proxy such as twilight-http-proxy (`http://127.0.0.1:3000`): every HTTP request goes
    /// there, and serenity's own rate limiter is off (the proxy limits instead). Tests point it at a fake
    /// Discord.
    pub proxy_url: Option<String>,
    /// Register the slash commands in this server only (they appear at once) instead of globally.
    pub dev_guild: Option<u64>,
    /// Run only these shards (several processes); `None` asks Discord how many shards to run, all here.
    pub shards: Option<ShardRange>,
}

impl DiscordConfig {
    /// Settings with only a token.
    pub fn new(token: impl Into<String>) -> Self {
        DiscordConfig {
            token: SecretString::new(token.into()),
            proxy_url: None,
            dev_guild: None,
            shards: None,
        }
    }

    /// Reads `DISCORD_TOKEN`, `DISCORD_PROXY_URL`, `DISCORD_DEV_GUILD` and `DISCORD_SHARDS`.
    /// `Ok(None)` when no token is set (Discord is not configured).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`DiscordConfig::from_env`], reading variables through `var` (for tests and config files).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(token) = get("DISCORD_TOKEN") else {
            return Ok(None);
        };
        let proxy_url = get("DISCORD_PROXY_URL");
        if let Some(url) = &proxy_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::ProxyUrl);
        }
        let dev_guild = get("DISCORD_DEV_GUILD")
            .map(|g| g.parse::<u64>().map_err(|_| ConfigError::DevGuild))
            .transpose()?;
        let shards = get("DISCORD_SHARDS").map(|s| s.parse()).transpose()?;
        Ok(Some(DiscordConfig {
            token: SecretString::new(token),
            proxy_url,
            dev_guild,
            shards,
        }))
    }

    /// The HTTP client: through the proxy when one is set (rate limiter off, as serenity requires; and
    /// discord.com resolved to a closed port on 127.0.0.1, so that nothing bypasses the proxy), else
    /// straight to Discord with serenity's rate limiter. Either way a request that gets no answer fails after
    /// [`REQUEST_TIMEOUT`], so that it is tried again instead of holding a reply forever.
    pub(crate) fn http(&self) -> serenity::Http {
        let builder = serenity::HttpBuilder::new(self.token.expose_secret())
            .default_allowed_mentions(serenity::CreateAllowedMentions::new());
        match &self.proxy_url {
            Some(proxy) => builder
                .proxy(proxy.trim_end_matches('/'))
                .ratelimiter_disabled(true)
                .client(proxy_client()),
            None => builder.client(client(reqwest::Client::builder())),
        }
        .build()
    }

    /// Whether this process registers the slash commands: only the one running shard 0.
    pub(crate) fn registers_commands(&self) -> bool {
        self.shards.is_none_or(|s| s.has_first_shard())
    }
}

/// A port on 127.0.0.1 that nothing listens on (the discard port).
const DEAD_END: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9);

/// How long one request to Discord may go unanswered.
pub(crate) const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A reqwest client as serenity builds its own (rustls), with [`REQUEST_TIMEOUT`].
fn client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    builder
        .use_rustls_tls()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The reqwest client used with a proxy: Discord's own hosts lead nowhere.
fn proxy_client() -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    for host in [
        "discord.com",
        "discordapp.com",
        "gateway.discord.gg",
        "cdn.discordapp.com",
    ] {
        builder = builder.resolve(host, DEAD_END);
    }
    client(builder)
}

/// Shared, cheap-to-clone HTTP client.
pub(crate) type SharedHttp = Arc<serenity::Http>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn no_token_means_not_configured() {
        assert!(matches!(DiscordConfig::from_lookup(lookup(&[])), Ok(None)));
        assert!(matches!(
            DiscordConfig::from_lookup(lookup(&[("DISCORD_TOKEN", "  ")])),
            Ok(None)
        ));
    }

    #[test]
    fn reads_every_variable() {
        let config = DiscordConfig::from_lookup(lookup(&[
            ("DISCORD_TOKEN", "abc"),
            ("DISCORD_PROXY_URL", "http://127.0.0.1:3000/"),
            ("DISCORD_DEV_GUILD", "123"),
            ("DISCORD_SHARDS", "4-7/16"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(config.token.expose_secret(), "abc");
        assert_eq!(config.proxy_url.as_deref(), Some("http://127.0.0.1:3000/"));
        assert_eq!(config.dev_guild, Some(123));
        assert_eq!(
            config.shards,
            Some(ShardRange {
                first: 4,
                last: 7,
                total: 16
            })
        );
        assert!(!config.registers_commands());
    }

    #[test]
    fn bad_values_are_errors() {
        // The error, or `None` when the settings were accepted.
        let with =
            |k, v| DiscordConfig::from_lookup(lookup(&[("DISCORD_TOKEN", "t"), (k, v)])).err();
        assert_eq!(
            with("DISCORD_DEV_GUILD", "my server"),
            Some(ConfigError::DevGuild)
        );
        assert_eq!(with("DISCORD_SHARDS", "8/8"), Some(ConfigError::Shards));
        assert_eq!(with("DISCORD_SHARDS", "3-1/8"), Some(ConfigError::Shards));
        assert_eq!(
            with("DISCORD_PROXY_URL", "127.0.0.1:3000"),
            Some(ConfigError::ProxyUrl)
        );
        assert_eq!(
            "5/8".parse::<ShardRange>(),
            Ok(ShardRange {
                first: 5,
                last: 5,
                total: 8
            })
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let shown = format!("{:?}", DiscordConfig::new("secret-token"));
        assert!(!shown.contains("secret-token"), "{shown}");
    }
}
