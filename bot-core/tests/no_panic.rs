//! Any text, up to 1 MB, gets a reply and never a panic, and `classify` (rules and model) agrees with
//! `respond`.

use bot_core::{ChatContext, Core, Platform};
use chrono::NaiveDate;
use proptest::prelude::*;
use std::sync::OnceLock;

fn bot() -> &'static Core {
    static BOT: OnceLock<Core> = OnceLock::new();
    BOT.get_or_init(|| Core::embedded().expect("valid content"))
}

fn check(text: &str) {
    let context = ChatContext::new(
        Platform::Telegram,
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    );
    let reply = bot().respond(text, &context);
    assert!(!reply.blocks.is_empty());
    assert!(!reply.explanation.sources.is_empty());
    let class = bot().classify(text);
    assert_eq!((class.intent, class.urgent), (reply.intent, reply.urgent));
}

/// Pieces real messages are made of, plus the awkward characters.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z ]{0,20}",
        Just("kill myself".to_string()),
        Just("killing it".to_string()),
        Just("ｋｍｓ".to_string()),
        Just("\u{200B}\u{202E}\u{FEFF}\u{0000}".to_string()),
        Just("ééé ñ 🙂😂💀 مرحبا".to_string()),
        Just("soooooo".to_string()),
        // Read by the model more than by the rules: Spanish, contractions, someone else, an everyday ask.
        Just("ya no quiero estar aqui".to_string()),
        Just("he od'd".to_string()),
        Just("my buddy posted a goodbye".to_string()),
        Just("/remind 8am".to_string()),
        Just("'''\"\\[](**)".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn short_messages_never_panic(parts in proptest::collection::vec(fragment(), 0..12)) {
        check(&parts.concat());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn messages_up_to_a_megabyte_never_panic(
        parts in proptest::collection::vec(fragment(), 1..8),
        size in 1usize..(1 << 20),
    ) {
        let unit = parts.concat();
        let mut text = String::with_capacity(size + unit.len());
        while text.len() < size && !unit.is_empty() {
            text.push_str(&unit);
        }
        check(&text);
    }
}
