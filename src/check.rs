//! `recovery-bot config check`: reads the configuration file and the environment as `serve` does, checks
//! every setting and prints what would run. It connects to nothing and opens no store (it writes and removes
//! one empty probe file to see that the store's folder is writable). Tokens are never printed: only whether
//! each is set, and where from.

use anyhow::Result;
use meetings::fetch::{DEFAULT_MAX_BYTES, FeedSource};
use std::io::Write;
use std::path::Path;

use crate::config::{Config, DEFAULT_STORE, METRICS_LISTEN_VAR, STORE_VAR};

/// Prints the report to `out`; fails (after printing it) when `serve` would not run as configured.
/// `file`: `--config`; `content`: `--content` (already loaded by then).
pub fn run(
    config: &Config,
    file: Option<&Path>,
    content: Option<&Path>,
    out: &mut impl Write,
) -> Result<()> {
    let mut report = Report::default();
    let source = match file {
        Some(path) => path.display().to_string(),
        None if Path::new("recovery-bot.toml").exists() => "recovery-bot.toml".into(),
        None => "none (defaults and the environment)".into(),
    };
    report.line(format!("configuration: {source}"));
    report.line(match content {
        Some(dir) => format!("content: {} (loaded)", dir.display()),
        None => "content: built-in".into(),
    });
    let platforms = check_platforms(config, &mut report);
    check_store(config, &mut report);
    check_country(config, &mut report);
    check_language(config, &mut report);
    check_reminders(config, &mut report);
    let feeds = check_feeds(config, &mut report);
    let metrics = check_metrics(config, &mut report);

    if platforms.is_empty() {
        report.problem(
            "no platform is configured: `serve` would stop at once (set TELOXIDE_TOKEN or DISCORD_TOKEN)",
        );
    }
    let problems = report.problems;
    out.write_all(report.text.as_bytes())?;
    if problems > 0 {
        anyhow::bail!(
            "{problems} problem{} in the configuration",
            if problems == 1 { "" } else { "s" }
        );
    }
    let mut parts = platforms;
    parts.push("the reminder scheduler");
    if feeds > 0 {
        parts.push("the meeting feeds");
    }
    if metrics {
        parts.push("/metrics and /healthz");
    }
    writeln!(
        out,
        "ok: `recovery-bot serve` would run {}",
        parts.join(", ")
    )?;
    Ok(())
}

/// The report so far and the number of problems in it.
#[derive(Default)]
struct Report {
    text: String,
    problems: usize,
}

impl Report {
    fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    fn problem(&mut self, what: impl std::fmt::Display) {
        self.problems += 1;
        self.line(format!("  error: {what}"));
    }
}

/// Where a setting with an environment name comes from (the environment wins).
fn from_where(name: &str) -> &'static str {
    if std::env::var(name).is_ok_and(|v| !v.trim().is_empty()) {
        "from the environment"
    } else {
        "from the configuration file"
    }
}

/// A URL's scheme, host and port only: its path, query or user part may hold a secret.
fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
            (Some(host), None) => format!("{}://{host}", url.scheme()),
            (None, _) => format!("{}:", url.scheme()),
        },
        Err(_) => "(not a URL)".into(),
    }
}

/// The platforms `serve` would run.
fn check_platforms(config: &Config, report: &mut Report) -> Vec<&'static str> {
    let mut platforms = Vec::new();
    match telegram::TelegramConfig::from_vars(|name| config.var(name)) {
        Ok(None) => report.line("telegram: off (no TELOXIDE_TOKEN)"),
        Ok(Some(settings)) => {
            platforms.push("telegram");
            let api = match &settings.api_url {
                Some(url) => format!(", Bot API at {}", host_of(url.as_str())),
                None => String::new(),
            };
            let mode = match config.telegram_webhook() {
                Ok(None) => "long polling".to_string(),
                Ok(Some(webhook)) => format!(
                    "webhook at {}/…, listening on {}",
                    host_of(webhook.url.as_str()),
                    webhook.listen
                ),
                Err(error) => {
                    report.problem(format!("Telegram: {error:#}"));
                    "webhook (not usable)".into()
                }
            };
            report.line(format!(
                "telegram: on (token {}), {mode}{api}",
                from_where("TELOXIDE_TOKEN")
            ));
        }
        Err(error) => {
            report.line("telegram: not usable");
            report.problem(format!("Telegram: {error}"));
        }
    }
    match discord::DiscordConfig::from_lookup(|name| config.var(name)) {
        Ok(None) => report.line("discord: off (no DISCORD_TOKEN)"),
        Ok(Some(settings)) => {
            platforms.push("discord");
            let shards = match settings.shards {
                Some(s) => format!("shards {}-{} of {}", s.first, s.last, s.total),
                None => "the shards Discord recommends".into(),
            };
            let mut line = format!(
                "discord: on (token {}), {shards}",
                from_where("DISCORD_TOKEN")
            );
            if let Some(guild) = settings.dev_guild {
                line.push_str(&format!(", slash commands in server {guild} only"));
            }
            if let Some(proxy) = &settings.proxy_url {
                line.push_str(&format!(", through the proxy {}", host_of(proxy)));
            }
            report.line(line);
        }
        Err(error) => {
            report.line("discord: not usable");
            report.problem(format!("Discord: {error}"));
        }
    }
    platforms
}

fn check_store(config: &Config, report: &mut Report) {
    match config.store_path() {
        Some(path) => {
            report.line(format!(
                "store: {} ({})",
                path.display(),
                from_where(STORE_VAR)
            ));
            match writable(&path) {
                Ok(state) => report.line(format!("  {state}")),
                Err(why) => report.problem(format!("the store {}: {why}", path.display())),
            }
        }
        None => {
            report.line(format!(
                "store: {DEFAULT_STORE} in the working directory (the default; set [store] path or {STORE_VAR})"
            ));
            match writable(Path::new(DEFAULT_STORE)) {
                Ok(state) => report.line(format!("  {state}")),
                Err(why) => report.line(format!(
                    "  warning: {why}: serve would use a temporary store, and reminders would not survive a restart"
                )),
            }
        }
    }
}

/// Whether the store's folder exists and can be written to, or can be made.
fn writable(path: &Path) -> Result<String, String> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => Err("is not a folder".into()),
        Ok(_) => probe(path).map(|()| "exists and is writable".into()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            let parent = path
                .ancestors()
                .skip(1)
                .map(|a| {
                    if a.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        a
                    }
                })
                .find(|a| a.exists())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(format!("{} is not a folder", parent.display()));
            }
            probe(parent).map(|()| format!("will be created in {}", parent.display()))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Creates and removes an empty file in `dir`.
fn probe(dir: &Path) -> Result<(), String> {
    let file = dir.join(format!(".recovery-bot-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&file);
    Ok(())
}

fn check_country(config: &Config, report: &mut Report) {
    match config.default_country() {
        Ok(Some(code)) => report.line(format!(
            "crisis lines: {code}'s until a person says where they are"
        )),
        Ok(None) => report.line("crisis lines: the US's until a person says where they are"),
        Err(error) => {
            report.line("crisis lines:");
            report.problem(format!("{error:#}"));
        }
    }
}

fn check_language(config: &Config, report: &mut Report) {
    match config.default_language() {
        Ok(Some(language)) => report.line(format!(
            "answers: in {} until a person chooses with /language",
            language.code()
        )),
        Ok(None) => report.line("answers: in the language of each message"),
        Err(error) => {
            report.line("answers:");
            report.problem(format!("{error:#}"));
        }
    }
}

fn check_reminders(config: &Config, report: &mut Report) {
    let zone = match &config.reminders.default_zone {
        Some(zone) => match crate::feeds::parse_timezone(zone) {
            Ok(tz) => format!("default zone {}", tz.name()),
            Err(error) => {
                report.line("reminders:");
                report.problem(format!("[reminders] default_zone: {error}"));
                return;
            }
        },
        None => "no default zone (people are asked for theirs)".into(),
    };
    let hours = config.reminders.late_window_hours.unwrap_or(6);
    report.line(format!(
        "reminders: {zone}; a reminder missed by less than {hours} h is sent late"
    ));
}

/// Checks each feed: a file is read and parsed, a URL only checked for shape. Returns how many there are.
fn check_feeds(config: &Config, report: &mut Report) -> usize {
    let feeds = &config.meetings.feed;
    if feeds.is_empty() {
        report.line("meetings: no feeds (meeting questions get the directories)");
        return 0;
    }
    report.line(format!(
        "meetings: {} feed{}, refreshed every {} min",
        feeds.len(),
        if feeds.len() == 1 { "" } else { "s" },
        config.meetings.refresh_minutes()
    ));
    for (i, spec) in feeds.iter().enumerate() {
        if feeds[..i].iter().any(|other| other.id == spec.id) {
            report.problem(format!(
                "two feeds have the id {:?}: feed ids must be unique",
                spec.id
            ));
        }
        match &spec.source {
            FeedSource::Url(_) => report.line(format!(
                "  {}: {} (a URL: fetched when serve starts, not now)",
                spec.id, spec.source
            )),
            FeedSource::File(path) => match load_feed(spec, path) {
                Ok(summary) => report.line(format!("  {}: {summary}", spec.id)),
                Err(why) => {
                    report.line(format!("  {}: file {}", spec.id, path.display()));
                    report.problem(format!("feed {:?}: {why}", spec.id));
                }
            },
        }
    }
    feeds.len()
}

/// Reads and parses a feed file as the feed store would.
fn load_feed(spec: &meetings::fetch::FeedSpec, path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > DEFAULT_MAX_BYTES {
        return Err(format!(
            "{} is {size} bytes, over the {DEFAULT_MAX_BYTES} the feed store accepts",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (feed, zone) =
        meetings::Feed::from_json_guessing(&text, &spec.id, spec.timezone, spec.fellowship)
            .map_err(|e| format!("{} is not a meeting feed: {e}", path.display()))?;
    let zone = match zone {
        meetings::ZoneSource::Configured => "configured",
        meetings::ZoneSource::Guessed => "guessed from the addresses",
        meetings::ZoneSource::Unknown => "unknown, UTC assumed: set its timezone",
    };
    Ok(format!(
        "file {}: {:?} feed, {}; zone {} ({zone})",
        path.display(),
        feed.format,
        feed.report,
        feed.options.default_timezone.name()
    ))
}

/// Whether `/metrics` and `/healthz` would be served.
fn check_metrics(config: &Config, report: &mut Report) -> bool {
    match config.metrics_listen() {
        Ok(Some(address)) => {
            report.line(format!(
                "metrics: http://{address}/metrics and /healthz ({})",
                from_where(METRICS_LISTEN_VAR)
            ));
            true
        }
        Ok(None) => {
            report.line("metrics: off");
            false
        }
        Err(error) => {
            report.line("metrics:");
            report.problem(format!("{error:#}"));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_path_query_or_password() {
        assert_eq!(
            host_of("https://user:pw@bot.example.org:8443/telegram/SECRET?x=1"),
            "https://bot.example.org:8443"
        );
        assert_eq!(host_of("http://127.0.0.1:3000/"), "http://127.0.0.1:3000");
        assert_eq!(host_of("not a url"), "(not a URL)");
    }

    #[test]
    fn a_store_under_a_file_is_not_writable() {
        let dir = std::env::temp_dir().join(format!("recovery-bot-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a-file");
        std::fs::write(&file, "").unwrap();
        let under = writable(&file.join("store"));
        let is_file = writable(&file);
        let fresh = writable(&dir.join("new").join("store"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(under.expect_err("a file").contains("is not a folder"));
        assert_eq!(is_file, Err("is not a folder".into()));
        assert!(fresh.expect("writable").starts_with("will be created in"));
    }
}
