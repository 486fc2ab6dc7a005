//! How the adapter reaches Telegram: the token, another Bot API server, webhook or long polling.

use secrecy::{ExposeSecret as _, SecretString};
use std::net::SocketAddr;
use url::Url;

/// The environment variable holding the bot token (teloxide's own name).
pub const TOKEN_VAR: &str = "TELOXIDE_TOKEN";
/// The environment variable holding another Bot API server's URL (teloxide's own name).
pub const API_URL_VAR: &str = "TELOXIDE_API_URL";

/// Everything the adapter needs to connect. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// The bot token from BotFather (`123456:ABC...`). A secret: never logged.
    pub token: SecretString,
    /// Another Bot API server (a self-hosted `telegram-bot-api`, or a fake one in tests); Telegram's when
    /// `None`.
    pub api_url: Option<Url>,
    /// Receive updates by webhook instead of long polling.
    pub webhook: Option<Webhook>,
    /// Keep within Telegram's rate limits with teloxide's `Throttle` (about one message a second per chat,
    /// 30 a second overall). On by default; turned off only for benchmarks against a fake server.
    pub throttle: bool,
}

/// Webhook mode: Telegram posts updates to `url`, which a reverse proxy forwards to `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The public HTTPS URL Telegram posts to, for example `https://bot.example.org/telegram`. Its path is
    /// the path the local server answers on.
    pub url: Url,
    /// The local address the webhook server listens on, for example `127.0.0.1:8443`.
    pub listen: SocketAddr,
}

impl Webhook {
    /// The address the webhook server listens on when none is configured.
    pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";

    /// A webhook from configuration text: the public URL (`https://bot.example.org/telegram`) and the
    /// listen address (`127.0.0.1:8443`; [`Webhook::DEFAULT_LISTEN`] when `None`).
    pub fn parse(url: &str, listen: Option<&str>) -> Result<Webhook, ConfigError> {
        let listen = listen
            .unwrap_or(Self::DEFAULT_LISTEN)
            .trim()
            .parse()
            .map_err(|e| ConfigError::Webhook(format!("listen address: {e}")))?;
        Webhook::new(url, listen)
    }

    /// A webhook posting to the public URL `url`, served on `listen`.
    pub fn new(url: &str, listen: SocketAddr) -> Result<Webhook, ConfigError> {
        let url = Url::parse(url.trim()).map_err(|e| ConfigError::Webhook(format!("URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ConfigError::Webhook(format!(
                "URL scheme {:?} (Telegram needs https)",
                url.scheme()
            )));
        }
        Ok(Webhook { url, listen })
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The token is empty or has whitespace in it.
    #[error("the Telegram token is empty or malformed")]
    Token,
    /// The API URL does not parse as an http(s) URL.
    #[error("{API_URL_VAR} is not an http(s) URL: {0}")]
    ApiUrl(String),
    /// The webhook URL is not an http(s) URL, or the listen address is not `host:port`.
    #[error("webhook configuration: {0}")]
    Webhook(String),
    /// [`crate::Telegram::new`] was called outside a Tokio runtime.
    #[error("the Telegram adapter must be created inside a Tokio runtime")]
    NoRuntime,
}

impl TelegramConfig {
    /// Long polling against Telegram's servers with `token`, throttled.
    pub fn new(token: impl Into<String>) -> Self {
        TelegramConfig {
            token: SecretString::new(token.into()),
            api_url: None,
            webhook: None,
            throttle: true,
        }
    }

    /// Reads `TELOXIDE_TOKEN` and `TELOXIDE_API_URL`. `Ok(None)` when no token is set (Telegram is not
    /// configured).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`TelegramConfig::from_env`], reading variables through `var` (for tests and config layering).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(token) = var(TOKEN_VAR).filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        let mut config = TelegramConfig::new(token);
        if let Some(url) = var(API_URL_VAR).filter(|u| !u.trim().is_empty()) {
            config.api_url = Some(parse_api_url(&url)?);
        }
        config.validate()?;
        Ok(Some(config))
    }

    /// Checks the token's shape (no network).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let token = self.token.expose_secret().trim();
        if token.is_empty() || token.chars().any(char::is_whitespace) || token.contains('/') {
            return Err(ConfigError::Token);
        }
        Ok(())
    }
}

/// Parses a Bot API server URL (`http://127.0.0.1:8081`, `https://api.example.org/`).
pub fn parse_api_url(text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim()).map_err(|e| ConfigError::ApiUrl(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(ConfigError::ApiUrl(format!("scheme {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn no_token_means_not_configured() {
        assert!(TelegramConfig::from_vars(vars(&[])).unwrap().is_none());
        assert!(
            TelegramConfig::from_vars(vars(&[(TOKEN_VAR, "  ")]))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn reads_token_and_api_url() {
        let config = TelegramConfig::from_vars(vars(&[
            (TOKEN_VAR, "123:abc"),
            (API_URL_VAR, "http://127.0.0.1:8081"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(config.token.expose_secret(), "123:abc");
        assert_eq!(config.api_url.unwrap().as_str(), "http://127.0.0.1:8081/");
        assert!(config.throttle);
        assert!(config.webhook.is_none());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(matches!(
            TelegramConfig::from_vars(vars(&[(TOKEN_VAR, "1:a"), (API_URL_VAR, "ftp://x")])),
            Err(ConfigError::ApiUrl(_))
        ));
        assert!(matches!(
            TelegramConfig::from_vars(vars(&[(TOKEN_VAR, "12 34")])),
            Err(ConfigError::Token)
        ));
    }

    #[test]
    fn webhooks_parse() {
        let hook = Webhook::parse("https://bot.example.org/tg", None).unwrap();
        assert_eq!(hook.url.path(), "/tg");
        assert_eq!(hook.listen.to_string(), Webhook::DEFAULT_LISTEN);
        let hook = Webhook::parse("https://bot.example.org/", Some("127.0.0.1:9000")).unwrap();
        assert_eq!(hook.listen.port(), 9000);
        assert!(Webhook::parse("ftp://x/", None).is_err());
        assert!(Webhook::parse("https://x/", Some("nowhere")).is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", TelegramConfig::new("123:secret-token"));
        assert!(!shown.contains("secret-token"), "{shown}");
    }
}
