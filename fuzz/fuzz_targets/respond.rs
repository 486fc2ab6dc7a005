//! Normalisation and classification of arbitrary bytes: never a panic, and `classify` agrees with `respond`.
#![no_main]

use bot_core::{ChatContext, Core, Platform};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn bot() -> &'static Core {
    static BOT: OnceLock<Core> = OnceLock::new();
    BOT.get_or_init(|| Core::embedded().expect("valid content"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let context = ChatContext::new(
        Platform::Terminal,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    );
    let reply = bot().respond(&text, &context);
    assert!(!reply.blocks.is_empty());
    let class = bot().classify(&text);
    assert_eq!((class.intent, class.urgent), (reply.intent, reply.urgent));
});
