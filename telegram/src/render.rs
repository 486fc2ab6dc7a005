//! A [`Reply`] as Telegram messages: the shared renderer ([`bot_core::render`]) in HTML parse mode, escaped,
//! split under Telegram's length limit.
//!
//! - Headings are bold, list items start with "• ".
//! - `https:` links are `<a href>` links. Telegram refuses `tel:` and `sms:` in `<a href>`, so a phone
//!   number shows in bold.
//! - Every message is complete HTML: a tag is never cut, and bold or link text that spans two messages is
//!   closed and reopened.

use bot_core::render::{Dialect, Run};
use bot_core::{Block, Reply};

/// Telegram's limit for one message's text. Counted here in UTF-16 code units of the HTML source, which
/// is never shorter than the text Telegram counts after parsing the tags.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Escapes text for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The length Telegram's limit is checked against.
pub fn message_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Telegram's HTML.
struct Html;

impl Dialect for Html {
    const ITEM: &'static str = "• ";
    const BOLD_NUMBERS: bool = true;
    fn len(&self, text: &str) -> usize {
        message_len(text)
    }
    fn escape(&self, text: &str) -> String {
        escape(text)
    }
    fn escaped_len(&self, c: char) -> usize {
        match c {
            '&' => 5,
            '<' | '>' => 4,
            c => c.len_utf16(),
        }
    }
    fn links(&self, target: &str) -> bool {
        target.starts_with("https://") || target.starts_with("http://")
    }
    /// Neighbouring runs with the same look share one tag.
    fn span(&self, runs: &[Run]) -> String {
        let mut out = String::new();
        for group in runs.chunk_by(|a, b| a.strong == b.strong && a.link == b.link) {
            let mut html: String = group.iter().map(|run| run.escaped(self)).collect();
            if let Some(href) = &group[0].link {
                let href = escape(href).replace('"', "&quot;");
                html = format!("<a href=\"{href}\">{html}</a>");
            }
            if group[0].strong {
                html = format!("<b>{html}</b>");
            }
            out.push_str(&html);
        }
        out
    }
}

/// The reply's text as HTML messages, each at most [`MAX_MESSAGE_LEN`] long. Empty when the reply has no
/// visible text.
pub fn render_messages(reply: &Reply) -> Vec<String> {
    render_blocks(&reply.blocks, MAX_MESSAGE_LEN)
}

/// Renders blocks into HTML messages of at most `limit` (for tests with small limits).
pub fn render_blocks(blocks: &[Block], limit: usize) -> Vec<String> {
    bot_core::render::messages(&Html, blocks, limit)
}

/// The plain text of one rendered HTML message: tags removed, entities decoded. Used when Telegram
/// refuses a message's HTML, so that the words still arrive.
pub fn html_to_plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::render::{phone_number, shows_number};
    use bot_core::{BlockKind, Span};

    fn text(kind: BlockKind, t: &str) -> Block {
        Block::plain(kind, t)
    }

    /// Checks that `html` is well formed for Telegram: tags balanced and only ours, entities known.
    fn assert_well_formed(html: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(['<', '&']) {
            let tail = &rest[start..];
            if let Some(after) = tail.strip_prefix('&') {
                assert!(
                    ["amp;", "lt;", "gt;", "quot;"]
                        .iter()
                        .any(|e| after.starts_with(e)),
                    "bare & in {html:?}"
                );
                rest = after;
                continue;
            }
            let end = tail.find('>').expect("unclosed tag");
            let tag = &tail[1..end];
            assert!(!tag.contains('<'), "broken tag in {html:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "misnested in {html:?}");
            } else {
                let name = tag.split(' ').next().unwrap();
                assert!(
                    ["b", "a"].contains(&name),
                    "unexpected tag {tag} in {html:?}"
                );
                stack.push(if name == "a" { "a" } else { "b" });
            }
            rest = &tail[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?} in {html:?}");
    }

    #[test]
    fn escapes_hostile_text() {
        let blocks = vec![Block {
            kind: BlockKind::Paragraph,
            spans: vec![
                Span::Text {
                    text: "<b>&\"' </a>".into(),
                },
                Span::Link {
                    text: "x<y".into(),
                    target: "https://example.org/?a=1&b=\"2\"".into(),
                    strong: false,
                },
            ],
        }];
        let html = render_blocks(&blocks, MAX_MESSAGE_LEN);
        assert_eq!(
            html,
            vec![
                "&lt;b&gt;&amp;\"' &lt;/a&gt;<a href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\">x&lt;y</a>"
            ]
        );
        assert_well_formed(&html[0]);
        assert_eq!(
            html_to_plain(&html[0]),
            "<b>&\"' </a>x<y",
            "plain fallback gives back the words"
        );
    }

    #[test]
    fn layout_matches_plain_rendering() {
        let blocks = vec![
            text(BlockKind::Heading, "Title"),
            text(BlockKind::Paragraph, "Call or text:"),
            Block {
                kind: BlockKind::Item,
                spans: vec![Span::Link {
                    text: "988".into(),
                    target: "tel:988".into(),
                    strong: true,
                }],
            },
            Block {
                kind: BlockKind::Item,
                spans: vec![
                    Span::Text {
                        text: "text HOME to ".into(),
                    },
                    Span::Link {
                        text: "Crisis Text Line".into(),
                        target: "sms:741741?body=HOME".into(),
                        strong: false,
                    },
                ],
            },
            Block {
                kind: BlockKind::Paragraph,
                spans: vec![Span::Link {
                    text: "988lifeline.org".into(),
                    target: "https://988lifeline.org".into(),
                    strong: true,
                }],
            },
        ];
        let html = render_blocks(&blocks, MAX_MESSAGE_LEN);
        assert_eq!(
            html,
            vec![
                "<b>Title</b>\n\nCall or text:\n• <b>988</b>\n• text HOME to <b>Crisis Text Line</b> (<b>741741</b>)\n\n<b><a href=\"https://988lifeline.org\">988lifeline.org</a></b>"
            ]
        );
        assert!(!html[0].contains("tel:") && !html[0].contains("sms:"));
        assert_well_formed(&html[0]);
    }

    #[test]
    fn long_replies_split_between_blocks() {
        let blocks: Vec<Block> = (0..10)
            .map(|i| text(BlockKind::Paragraph, &format!("{i}{}", "x".repeat(99))))
            .collect();
        let html = render_blocks(&blocks, 350);
        // 100 characters a block, 2 of separator: three blocks a message.
        assert_eq!(html.len(), 4);
        for m in &html {
            assert!(message_len(m) <= 350);
            assert!(!m.starts_with('\n') && !m.ends_with('\n'));
        }
        assert!(html[0].starts_with('0') && html[1].starts_with('3'));
        assert_eq!(
            html.join("\n\n"),
            render_blocks(&blocks, MAX_MESSAGE_LEN)[0],
            "nothing lost or reordered"
        );
    }

    #[test]
    fn an_oversize_block_splits_at_words_and_keeps_tags_whole() {
        let words = "word ".repeat(200);
        let blocks = vec![Block {
            kind: BlockKind::Item,
            spans: vec![
                Span::Strong {
                    text: words.clone(),
                },
                Span::Link {
                    text: words.clone(),
                    target: "https://example.org/a&b".into(),
                    strong: false,
                },
            ],
        }];
        let html = render_blocks(&blocks, 300);
        assert!(html.len() > 5);
        for m in &html {
            assert!(message_len(m) <= 300, "{} > 300", message_len(m));
            assert_well_formed(m);
            // Cut between words: every run of text ends with a whole word.
            assert!(!html_to_plain(m).contains("wor "), "{m}");
        }
        assert!(html[0].starts_with("• <b>word"));
        let plain: String = html.iter().map(|m| html_to_plain(m)).collect();
        assert_eq!(plain, format!("• {words}{words}"));
    }

    #[test]
    fn a_single_huge_word_is_cut_between_characters_never_inside_an_escape() {
        let blocks = vec![text(BlockKind::Paragraph, &"&é<".repeat(3000))];
        let html = render_blocks(&blocks, MAX_MESSAGE_LEN);
        assert!(html.len() >= 2);
        for m in &html {
            assert!(message_len(m) <= MAX_MESSAGE_LEN);
            assert_well_formed(m);
        }
        let plain: String = html.iter().map(|m| html_to_plain(m)).collect();
        assert_eq!(plain, "&é<".repeat(3000));
    }

    #[test]
    fn lines_are_preferred_to_words() {
        let paragraph = format!("{}\n{}", "a ".repeat(60), "b ".repeat(60));
        let html = render_blocks(&[text(BlockKind::Paragraph, &paragraph)], 150);
        assert_eq!(html.len(), 2);
        assert!(html[0].ends_with('\n') && html[1].starts_with("b "));
    }

    #[test]
    fn phone_numbers_are_shown_when_the_words_do_not_say_them() {
        assert_eq!(phone_number("sms:741741?body=HOME"), "741741");
        assert!(shows_number("800-972-0590", "8009720590"));
        assert!(!shows_number("Safe Spot", "8009720590"));
    }
}
