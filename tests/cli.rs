//! The `recovery-bot` binary as the evaluation and an operator use it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bot() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recovery-bot"));
    command
        .env_remove("RECOVERY_BOT_CONTENT")
        .env("RUST_BACKTRACE", "0");
    command
}

fn run(args: &[&str]) -> Output {
    let output = bot().args(args).output().expect("recovery-bot runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&run(args).stdout).expect("one JSON object")
}

/// A fresh copy of `intents/` to edit.
fn content_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("recovery-bot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn ask_json_has_intent_urgent_and_text() {
    let reply = json(&["ask", "--json", "I", "want", "to", "kill", "myself"]);
    assert_eq!(reply["intent"], "crisis");
    assert_eq!(reply["urgent"], true);
    assert!(reply["text"].as_str().unwrap().contains("988"));
    assert!(reply.get("explanation").is_none());

    let calm = json(&["ask", "--json", "what is recovery"]);
    assert_eq!(calm["intent"], "principle");
    assert_eq!(calm["urgent"], false);
}

#[test]
fn ask_takes_the_country_and_says_which_country_and_language_it_answered_for() {
    let uk = json(&["ask", "--json", "--country", "gb", "I want to kill myself"]);
    assert_eq!(uk["country"], "GB");
    assert_eq!(uk["lang"], "en");
    let text = uk["text"].as_str().unwrap();
    assert!(text.contains("116 123") && !text.contains("988"), "{text}");

    let mexico = json(&["ask", "--json", "estoy en méxico y ya no quiero vivir"]);
    assert_eq!(mexico["country"], "MX");
    assert_eq!(mexico["lang"], "es");

    let default = json(&["ask", "--json", "hello"]);
    assert_eq!(default["country"], "US");

    let bad = bot()
        .args(["--country", "GBR", "ask", "hi"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("two-letter"));
}

#[test]
fn ask_takes_the_language_to_answer_in_whatever_the_message_is_written_in() {
    let spanish = json(&["ask", "--json", "--lang", "es", "I want to end my life"]);
    assert_eq!(spanish["lang"], "es");
    assert_eq!(spanish["intent"], "crisis");
    let text = spanish["text"].as_str().unwrap();
    assert!(text.contains("988") && text.contains("marca 2"), "{text}");

    let bad = bot().args(["--lang", "fr", "ask", "hi"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("en or es"));
}

#[test]
fn ask_explain_names_rule_entries_and_sources() {
    let reply = json(&["ask", "--json", "--explain", "explain hope"]);
    let explanation = &reply["explanation"];
    assert!(
        explanation["rule"]
            .as_str()
            .unwrap()
            .starts_with("principle:")
    );
    assert!(
        explanation["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"] == "seeds/003_49d8631996848f37.txt")
    );
    let text = String::from_utf8(run(&["ask", "--explain", "narcan"]).stdout).unwrap();
    assert!(text.contains("rule: overdose:naloxone"), "{text}");
    assert!(text.contains("facts-naloxone"), "{text}");
}

#[test]
fn classify_streams_a_line_out_for_each_line_in() {
    let mut child = bot()
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // One line in, one line out, while stdin is still open.
    for (message, intent) in [("kms", "crisis"), ("hey", "other"), ("narcan", "overdose")] {
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["intent"], intent, "{message}");
    }
    // Then many at once, with empty lines, invalid UTF-8 and CRLF, in order.
    let mut batch = Vec::new();
    for i in 0..10_000 {
        match i % 4 {
            0 => batch.extend_from_slice(b"i want to die\r\n"),
            1 => batch.extend_from_slice(b"\n"),
            2 => batch.extend_from_slice(b"\xff\xfe not utf8\n"),
            _ => batch.extend_from_slice(b"any NA meetings tonight?\n"),
        }
    }
    let writer = std::thread::spawn(move || {
        stdin.write_all(&batch).unwrap();
    });
    let mut intents = Vec::new();
    for _ in 0..10_000 {
        line.clear();
        stdout.read_line(&mut line).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        intents.push(value["intent"].as_str().unwrap().to_string());
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    for (i, intent) in intents.iter().enumerate() {
        let expected = ["crisis", "other", "other", "meeting"][i % 4];
        assert_eq!(intent, expected, "line {i}");
    }
}

#[test]
fn content_can_be_localised_without_rebuilding() {
    let dir = content_copy("localised");
    let crisis = dir.join("crisis.toml");
    let text = std::fs::read_to_string(&crisis).unwrap();
    std::fs::write(
        &crisis,
        text.replace("Suicide & Crisis Lifeline", "Línea 988 de Prevención"),
    )
    .unwrap();
    let reply = json(&["--content", dir.to_str().unwrap(), "ask", "--json", "kms"]);
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Línea 988 de Prevención")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn ask_with_content(dir: &Path) -> Output {
    bot()
        .args(["--content", dir.to_str().unwrap(), "ask", "hi"])
        .output()
        .unwrap()
}

#[test]
fn broken_content_is_refused_with_the_file_and_entry_named() {
    let dir = content_copy("broken");
    let overdose = dir.join("overdose.toml");
    let text = std::fs::read_to_string(&overdose).unwrap();
    std::fs::write(
        &overdose,
        text.replacen(
            "\"facts-naloxone\", \"facts-od-steps\"]",
            "\"no-such-source\"]",
            1,
        ),
    )
    .unwrap();
    let output = ask_with_content(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "overdose.toml: entry \"naloxone\": source \"no-such-source\" is not in sources.toml"
        ),
        "{stderr}"
    );

    std::fs::write(
        dir.join("overdose.toml"),
        text.replacen(
            "pattern = '''\\bharm reduction",
            "pattern = '''(unclosed",
            1,
        ),
    )
    .unwrap();
    let output = ask_with_content(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("overdose.toml: rule \"safer-use\""),
        "{stderr}"
    );

    std::fs::remove_file(dir.join("meeting.toml")).unwrap();
    let output = ask_with_content(&dir);
    assert!(String::from_utf8_lossy(&output.stderr).contains("meeting.toml"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// What the terminal chat (no tokens) prints for these lines typed in, one after another.
fn terminal_chat(lines: &[&str]) -> String {
    let mut child = bot()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .env_remove("RECOVERY_BOT_LANG")
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", lines.join("\n")).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn terminal_chat_uses_the_same_core_and_numbers_pick_follow_ups() {
    let text = terminal_chat(&["hi", "1", "kms", "/quit"]);
    assert!(text.contains("[1] What is recovery?"), "{text}");
    assert!(
        text.contains("self-directed life"),
        "follow-up 1 answered: {text}"
    );
    assert!(text.contains("Call or text 988"), "{text}");
}

/// Issue 14: a conversation in Spanish (a principle, a reminder set, checked and stopped, a meeting search)
/// through the same `App` as the platforms, answered in Spanish where the content has it.
#[test]
fn a_conversation_in_spanish_is_answered_in_spanish() {
    let text = terminal_chat(&[
        "¿qué es la recuperación?",
        "recuérdame todos los días a las 8 de la mañana en America/Mexico_City",
        "estado de mi recordatorio",
        "para los recordatorios",
        "busco una reunión de AA esta noche",
        "/quit",
    ]);
    for expected in [
        "la recuperación es un proceso de cambio",
        "Recordatorio diario activado: todos los días a las 08:00, hora de America/Mexico_City",
        "Tu recordatorio diario está activado",
        "Recordatorios parados",
        // Meeting searches are still English, after the Spanish notice with the crisis line.
        "Por ahora solo puedo responder a esto en inglés",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in: {text}");
    }
    assert!(!text.contains("Daily reminder on"), "{text}");
}

#[test]
fn logs_never_carry_what_a_person_typed() {
    let secret = "my-secret-words-4242";
    let output = bot()
        .args(["-v", "ask", "--explain", secret, "i want to kill myself"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("content loaded"), "logging is on: {stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains(secret),
        "the explanation does not echo the message"
    );

    let mut child = bot()
        .args(["-v", "chat"])
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{secret} kms").unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("answered"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}
