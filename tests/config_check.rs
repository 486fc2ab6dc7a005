//! `recovery-bot config check` on configurations in a temporary folder: what it prints, what it refuses, and
//! that it never shows a token nor touches the store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "recovery-bot-config-check-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `config check` on `config` (written to the folder), in the folder, with only `env` set of the bot's
/// variables.
fn check(dir: &Path, config: &str, env: &[(&str, &str)]) -> (Output, String) {
    let file = dir.join("recovery-bot.toml");
    std::fs::write(&file, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_recovery-bot"));
    command.current_dir(dir).arg("--config").arg(&file);
    for var in [
        "TELOXIDE_TOKEN",
        "TELOXIDE_API_URL",
        "DISCORD_TOKEN",
        "DISCORD_PROXY_URL",
        "DISCORD_DEV_GUILD",
        "DISCORD_SHARDS",
        "RECOVERY_BOT_STORE",
        "RECOVERY_BOT_METRICS_LISTEN",
        "RECOVERY_BOT_CONTENT",
    ] {
        command.env_remove(var);
    }
    let output = command
        .envs(env.iter().copied())
        .args(["config", "check"])
        .output()
        .expect("recovery-bot runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, all)
}

fn feed() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/feeds/anytown.json")
        .display()
        .to_string()
}

#[test]
fn a_good_configuration_says_what_would_run_without_tokens_or_side_effects() {
    let dir = folder("good");
    let store = dir.join("data").join("store");
    let config = format!(
        r#"
[store]
path = {store:?}

[telegram]
token = "4242:file-token-SECRET-1"

[reminders]
default_zone = "America/New_York"

[meetings]
refresh_minutes = 30

[[meetings.feed]]
id = "anytown"
source = {feed:?}

[[meetings.feed]]
id = "oc"
source = "https://example.org/wp-admin/admin-ajax.php?action=meetings&key=SECRET-2"

[metrics]
listen = "127.0.0.1:9477"
"#,
        feed = feed()
    );
    let (output, all) = check(
        &dir,
        &config,
        &[("DISCORD_TOKEN", "discord-env-token-SECRET-3")],
    );
    assert!(output.status.success(), "{all}");
    for expected in [
        "telegram: on (token from the configuration file), long polling",
        "discord: on (token from the environment)",
        &format!("store: {}", store.display()),
        "will be created in",
        "reminders: default zone America/New_York",
        "meetings: 2 feeds, refreshed every 30 min",
        "anytown: file",
        "oc: https://example.org/wp-admin/admin-ajax.php?",
        "metrics: http://127.0.0.1:9477/metrics and /healthz",
        "ok: `recovery-bot serve` would run telegram, discord, the reminder scheduler, the meeting feeds, /metrics and /healthz",
    ] {
        assert!(all.contains(expected), "{expected:?} missing:\n{all}");
    }
    assert!(
        !all.contains("SECRET"),
        "a token or a URL's query shown:\n{all}"
    );
    assert!(
        !dir.join("data").exists(),
        "the check made the store's folder"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "only the configuration is left: {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_problem_is_named_and_the_check_fails() {
    let dir = folder("bad");
    std::fs::write(dir.join("a-file"), "").unwrap();
    let config = format!(
        r#"
[store]
path = {store:?}

[reminders]
default_zone = "Mars/Olympus_Mons"

[[meetings.feed]]
id = "gone"
source = "/nonexistent/feed.json"

[[meetings.feed]]
id = "gone"
source = {feed:?}

[metrics]
listen = "localhost"
"#,
        store = dir.join("a-file").join("store"),
        feed = feed()
    );
    let (output, all) = check(
        &dir,
        &config,
        &[("DISCORD_SHARDS", "9-1/2"), ("DISCORD_TOKEN", "SECRET-4")],
    );
    assert!(!output.status.success(), "{all}");
    for expected in [
        "is not a folder",
        "unknown time zone \"Mars/Olympus_Mons\"",
        "feed \"gone\": cannot read /nonexistent/feed.json",
        "two feeds have the id \"gone\"",
        "[metrics] listen",
        "DISCORD_SHARDS must look like FIRST-LAST/TOTAL",
        "no platform is configured",
        "7 problems in the configuration",
    ] {
        assert!(all.contains(expected), "{expected:?} missing:\n{all}");
    }
    assert!(!all.contains("SECRET"), "{all}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_does_not_parse_fails_with_its_line_and_the_environment_wins() {
    let dir = folder("parse");
    let (output, all) = check(
        &dir,
        "[[meetings.feed]]\nid = \"oc\"\nsource = \"feed.json\"\ntimezone = \"Not/AZone\"\n",
        &[],
    );
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("line 4"), "{all}");

    let (output, all) = check(
        &dir,
        "[metrics]\nlisten = \"not an address\"\n",
        &[
            ("TELOXIDE_TOKEN", "4242:env-token-SECRET-5"),
            ("RECOVERY_BOT_METRICS_LISTEN", "127.0.0.1:9999"),
            ("RECOVERY_BOT_STORE", dir.join("store").to_str().unwrap()),
        ],
    );
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("metrics: http://127.0.0.1:9999/metrics and /healthz (from the environment)"),
        "{all}"
    );
    assert!(
        all.contains("telegram: on (token from the environment)"),
        "{all}"
    );
    assert!(
        all.contains("(from the environment)\n  will be created in"),
        "{all}"
    );
    assert!(!all.contains("SECRET"), "{all}");
    std::fs::remove_dir_all(&dir).unwrap();
}
