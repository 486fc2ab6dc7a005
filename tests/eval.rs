//! Classification quality on labelled messages: the project's own corpus (always), and ../shared/eval/dev.tsv
//! when it is beside the checkout.

use bot_core::{Core, Intent};
use std::path::Path;

struct Score {
    total: usize,
    correct: usize,
    crisis: usize,
    crisis_found: usize,
    non_crisis: usize,
    false_alarms: usize,
    misses: Vec<String>,
}

fn score(bot: &Core, tsv: &str) -> Score {
    let mut s = Score {
        total: 0,
        correct: 0,
        crisis: 0,
        crisis_found: 0,
        non_crisis: 0,
        false_alarms: 0,
        misses: Vec::new(),
    };
    for line in tsv
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (labels, text) = line.split_once('\t').expect("label<TAB>text");
        let labels: Vec<Intent> = labels
            .split('|')
            .map(|l| Intent::from_name(l).unwrap_or_else(|| panic!("unknown label {l:?}")))
            .collect();
        let got = bot.classify(text).intent;
        s.total += 1;
        if labels.contains(&got) {
            s.correct += 1;
        } else {
            s.misses.push(format!("{labels:?} -> {got}: {text}"));
        }
        if labels == [Intent::Crisis] {
            s.crisis += 1;
            s.crisis_found += usize::from(got == Intent::Crisis);
        }
        if !labels.contains(&Intent::Crisis) {
            s.non_crisis += 1;
            s.false_alarms += usize::from(got == Intent::Crisis);
        }
    }
    let accuracy = s.correct as f64 / s.total as f64;
    println!(
        "{} messages: accuracy {accuracy:.3}, crisis recall {}/{}, false crisis alarms {}/{}",
        s.total, s.crisis_found, s.crisis, s.false_alarms, s.non_crisis
    );
    s
}

fn check(name: &str, tsv: &str) {
    let bot = Core::embedded().expect("built-in content is valid");
    let s = score(&bot, tsv);
    assert!(s.total > 50, "{name}: too few messages");
    assert_eq!(
        s.crisis_found,
        s.crisis,
        "{name}: every crisis message must be found:\n{}",
        s.misses.join("\n")
    );
    assert!(
        s.correct * 100 >= s.total * 95,
        "{name}: accuracy below 0.95:\n{}",
        s.misses.join("\n")
    );
    assert!(
        s.false_alarms * 100 <= s.non_crisis * 3,
        "{name}: more than 3% false crisis alarms:\n{}",
        s.misses.join("\n")
    );
}

#[test]
fn own_labelled_corpus() {
    check("tests/data/messages.tsv", include_str!("data/messages.tsv"));
}

#[test]
fn own_blind_corpus() {
    check("tests/data/blind.tsv", include_str!("data/blind.tsv"));
}

#[test]
fn shared_dev_set_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/dev.tsv");
    match std::fs::read_to_string(&path) {
        Ok(tsv) => check("../shared/eval/dev.tsv", &tsv),
        Err(_) => println!("skipping: {} is not here", path.display()),
    }
}
