//! `recovery-bot ask --meetings FEED --now ...` and `recovery-bot meetings check`, on the project's own
//! small feed (tests/data/feeds/anytown.json: Anytown, California, with no time zone in the feed) and, when
//! ../shared is present, on real feeds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Tuesday 24 November 2026, 17:00 in California.
const TUESDAY_5PM: &str = "2026-11-24T17:00:00-08:00";

fn feed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/feeds")
        .join(name)
}

fn bot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .env_remove("RECOVERY_BOT_CONTENT")
        .env("RUST_BACKTRACE", "0")
        .args(args)
        .output()
        .expect("recovery-bot runs")
}

/// `ask --json --meetings anytown.json --now TUESDAY_5PM TEXT`.
fn ask(text: &str) -> serde_json::Value {
    let anytown = feed("anytown.json");
    let output = bot(&[
        "ask",
        "--json",
        "--meetings",
        anytown.to_str().unwrap(),
        "--now",
        TUESDAY_5PM,
        text,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

fn slugs(reply: &serde_json::Value) -> Vec<&str> {
    reply["meetings"]
        .as_array()
        .expect("a meetings list")
        .iter()
        .map(|m| m["slug"].as_str().unwrap())
        .collect()
}

#[test]
fn tonight_lists_this_evenings_meetings_in_order_in_the_guessed_zone() {
    let reply = ask("any AA meetings tonight?");
    assert_eq!(reply["intent"], "meeting");
    assert_eq!(slugs(&reply), ["otherville-early", "women-tuesday"]);
    let first = &reply["meetings"][0];
    assert_eq!(first["day"], 2);
    assert_eq!(first["time"], "18:30");
    assert_eq!(first["timezone"], "America/Los_Angeles");
    assert_eq!(first["in_person"], true);
    assert_eq!(first["online"], false);
    let text = reply["text"].as_str().unwrap();
    assert!(
        text.contains("Otherville Library, 3 River Rd, Otherville"),
        "{text}"
    );
    assert!(text.contains("confirm with the group"), "{text}");
    assert!(text.contains("updated 2026-11-02"), "{text}");
}

#[test]
fn a_command_addressed_to_the_bot_searches_only_its_words() {
    // Telegram groups send `/meeting@botname`: the bot's name is not a place to search for.
    let reply = ask("/meeting@anytown_bot tonight");
    assert_eq!(slugs(&reply), ["otherville-early", "women-tuesday"]);
}

#[test]
fn online_womens_meeting_on_saturday() {
    let reply = ask("online women's meeting saturday");
    assert_eq!(slugs(&reply), ["online-saturday"]);
    assert_eq!(reply["meetings"][0]["day"], 6);
    assert_eq!(reply["meetings"][0]["online"], true);
    assert_eq!(reply["meetings"][0]["in_person"], false);
    let text = reply["text"].as_str().unwrap();
    assert!(text.contains("https://zoom.us/j/111"), "{text}");
    assert!(text.contains("+1 555 010 0100"), "{text}");
}

#[test]
fn a_place_from_the_feed_sorts_nearest_first_with_distances() {
    let reply = ask("meeting near Otherville");
    assert_eq!(slugs(&reply)[0], "otherville-early");
    let km = reply["meetings"][0]["distance_km"]
        .as_f64()
        .expect("a distance");
    assert!(km < 1.0, "{km}");
}

#[test]
fn spanish_and_twelve_hour_feed_times() {
    let reply = ask("spanish speaking meeting");
    assert_eq!(slugs(&reply), ["spanish-friday"]);
    assert_eq!(reply["meetings"][0]["time"], "20:00");
}

#[test]
fn nothing_matching_says_so_and_gives_the_directories() {
    let reply = ask("NA meeting tonight");
    assert_eq!(reply["intent"], "meeting");
    assert_eq!(slugs(&reply), Vec::<&str>::new());
    let text = reply["text"].as_str().unwrap();
    assert!(text.contains("couldn't find a meeting"), "{text}");
    assert!(text.contains("Faces and Voices of Recovery"), "{text}");
}

#[test]
fn a_narrow_question_is_widened_and_says_how() {
    // No meeting on Thursday at 9pm: the time is dropped first.
    let reply = ask("AA meeting thursday at 9pm");
    assert!(!slugs(&reply).is_empty());
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Nothing at that time")
    );
}

#[test]
fn temporarily_closed_meetings_without_a_link_are_not_offered() {
    for text in ["meetings today", "meetings tonight", "next meeting"] {
        assert!(!slugs(&ask(text)).contains(&"closed-for-now"), "{text}");
    }
}

#[test]
fn contacts_and_notes_never_reach_a_reply() {
    for text in [
        "any meeting",
        "meeting near Anytown tomorrow morning",
        "meetings tomorrow at 7am",
    ] {
        let reply = ask(text);
        assert!(slugs(&reply).contains(&"sunrise"), "{text}: {reply}");
        let shown = reply.to_string();
        for secret in [
            "Jane",
            "555-0111",
            "jane@example.org",
            "Bob",
            "555-0199",
            "bob@example.org",
        ] {
            assert!(
                !shown.contains(secret),
                "{secret:?} shown for {text:?}: {shown}"
            );
        }
    }
}

#[test]
fn a_crisis_comes_first_even_with_feeds() {
    let reply = ask("I want a meeting but honestly I'd rather be dead");
    assert_eq!(reply["intent"], "crisis");
    assert_eq!(reply["urgent"], true);
    assert_eq!(slugs(&reply), Vec::<&str>::new());
    assert!(reply["text"].as_str().unwrap().contains("988"));
}

#[test]
fn without_feeds_meeting_questions_get_the_directories() {
    let output = bot(&["ask", "--json", "find a meeting tonight"]);
    let reply: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reply["intent"], "meeting");
    assert!(reply.get("meetings").is_none());
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Faces and Voices of Recovery")
    );
}

#[test]
fn check_counts_loaded_and_skipped_with_reasons_and_names_broken_feeds() {
    let (good, broken) = (feed("anytown.json"), feed("broken.json"));
    let output = bot(&[
        "meetings",
        "check",
        good.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "a broken feed fails the check");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("6 records: 11 meetings loaded, 1 skipped (inactive=1)"),
        "{report}"
    );
    assert!(
        report.contains("America/Los_Angeles (guessed from the addresses)"),
        "{report}"
    );
    assert!(report.contains("broken.json: not loaded"), "{report}");

    let output = bot(&["meetings", "check", good.to_str().unwrap()]);
    assert!(output.status.success());
}

#[test]
fn bad_arguments_get_clear_errors() {
    for (args, expected) in [
        (vec!["ask", "--now", "tuesday", "hi"], "RFC 3339"),
        (
            vec!["ask", "--zone", "Mars/Base", "hi"],
            "unknown time zone",
        ),
        (
            vec!["ask", "--meetings", "/nonexistent/feed.json", "meetings"],
            "/nonexistent/feed.json",
        ),
    ] {
        let output = bot(&args);
        assert!(!output.status.success(), "{args:?}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "{args:?}: {error}");
    }
}

#[test]
fn real_feeds_when_present() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/meetings");
    let oc = shared.join("tsml-ui_oc.json");
    if !oc.exists() {
        eprintln!("skipped: {} is absent", oc.display());
        return;
    }
    let output = bot(&["meetings", "check", oc.to_str().unwrap()]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("1964 meetings loaded"));

    let output = bot(&[
        "ask",
        "--json",
        "--meetings",
        oc.to_str().unwrap(),
        "--now",
        TUESDAY_5PM,
        "AA meeting near Huntington Beach tomorrow morning",
    ]);
    let reply: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let meetings = reply["meetings"].as_array().unwrap();
    assert!(!meetings.is_empty());
    for m in meetings {
        assert_eq!(m["day"], 3, "tomorrow is Wednesday: {m}");
        assert!(m["time"].as_str().unwrap() < "12:00", "{m}");
        assert!(m["distance_km"].as_f64().unwrap() < 10.0, "{m}");
    }
}
