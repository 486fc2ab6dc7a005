//! Runs the conversations in `tests/transcripts/*.txt` (format in that folder's README) through the core.

use bot_core::{ChatContext, Core, Intent, Platform};
use chrono::NaiveDate;
use std::path::Path;

#[test]
fn transcripts() {
    let bot = Core::embedded().expect("built-in content is valid");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/transcripts exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no transcripts in {}", dir.display());
    let mut checks = 0;
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("readable transcript");
        let mut context = ChatContext::new(
            Platform::Terminal,
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        );
        let mut reply = None;
        for (number, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", number + 1);
            let (tag, rest) = line.split_at(line.len().min(2));
            let Some(r) = reply.as_ref().filter(|_| tag != "> ") else {
                if let Some(message) = line.strip_prefix('>') {
                    let r = bot.respond(message.strip_prefix(' ').unwrap_or(message), &context);
                    context.remember(&r);
                    reply = Some(r);
                }
                continue;
            };
            let plain = bot_core::reply::render_plain(&r.blocks);
            let first = bot_core::reply::render_plain(&r.blocks[..1]);
            let ok = match tag {
                "= " => {
                    let mut words = rest.split_whitespace();
                    let intent = words.next().and_then(Intent::from_name);
                    let urgent = match words.next() {
                        Some("urgent") => Some(true),
                        Some("calm") => Some(false),
                        _ => None,
                    };
                    intent == Some(r.intent) && urgent.is_none_or(|u| u == r.urgent)
                }
                "+ " => plain.contains(rest),
                "- " => !plain.to_lowercase().contains(&rest.to_lowercase()),
                "^ " => first.contains(rest),
                _ => true,
            };
            if matches!(tag, "= " | "+ " | "- " | "^ ") {
                checks += 1;
            }
            if !ok {
                failures.push(format!(
                    "{at}: `{line}` failed; got {} (urgent {}) via {}:\n{plain}\n",
                    r.intent, r.urgent, r.explanation.rule
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checks > 50, "only {checks} checks ran");
}
