//! A [`Reply`] as Telegram messages: HTML parse mode, escaped, split under Telegram's length limit.
//!
//! - Headings are bold, list items start with "• ", paragraphs are separated by a blank line (the same
//!   layout as [`bot_core::reply::render_plain`]).
//! - `https:` links are `<a href>` links. Telegram refuses `tel:` and `sms:` in `<a href>`, so a phone
//!   link shows its words in bold, with the number after them when the words do not already say it.
//! - A reply longer than one message is split between blocks; a block that alone is too long is split
//!   at a line break, else between words, else between characters. Every message is complete HTML: a
//!   tag is never cut, and bold or link text that spans two messages is closed and reopened.
//! - The order of blocks is kept, so an urgent reply's first message holds its help.

use bot_core::{Block, BlockKind, Reply, Span};

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

/// Escapes text for an attribute value in double quotes.
fn escape_attr(text: &str) -> String {
    escape(text).replace('"', "&quot;")
}

/// The length Telegram's limit is checked against.
pub fn message_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

fn escaped_len(c: char) -> usize {
    match c {
        '&' => 5,
        '<' | '>' => 4,
        c => c.len_utf16(),
    }
}

/// How a run of text is wrapped: bold, a link, or both.
#[derive(Debug, Clone, Default)]
struct Wrap {
    bold: bool,
    href: Option<String>,
}

impl Wrap {
    fn open(&self) -> String {
        let mut out = String::new();
        if self.bold {
            out.push_str("<b>");
        }
        if let Some(href) = &self.href {
            out.push_str("<a href=\"");
            out.push_str(&escape_attr(href));
            out.push_str("\">");
        }
        out
    }

    fn close(&self) -> &'static str {
        match (self.bold, self.href.is_some()) {
            (true, true) => "</a></b>",
            (true, false) => "</b>",
            (false, true) => "</a>",
            (false, false) => "",
        }
    }
}

/// The digits (and a leading `+`) of a `tel:` or `sms:` target: `sms:741741?body=HOME` gives `741741`.
fn phone_number(target: &str) -> &str {
    let rest = target
        .strip_prefix("tel:")
        .or_else(|| target.strip_prefix("sms:"))
        .unwrap_or(target);
    rest.split(['?', ';']).next().unwrap_or(rest)
}

/// Whether `text` already shows the number `number` (ignoring spaces, dashes, dots and brackets).
fn shows_number(text: &str, number: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let wanted = digits(number);
    !wanted.is_empty() && digits(text).contains(&wanted)
}

/// A span as wrapped runs of visible text.
fn span_runs(span: &Span, in_heading: bool) -> Vec<(Wrap, String)> {
    match span {
        Span::Text { text } => vec![(
            Wrap {
                bold: in_heading,
                href: None,
            },
            text.clone(),
        )],
        Span::Strong { text } => vec![(
            Wrap {
                bold: true,
                href: None,
            },
            text.clone(),
        )],
        Span::Link {
            text,
            target,
            strong,
        } => {
            let bold = *strong || in_heading;
            if target.starts_with("https://") || target.starts_with("http://") {
                vec![(
                    Wrap {
                        bold,
                        href: Some(target.clone()),
                    },
                    text.clone(),
                )]
            } else if target.starts_with("tel:") || target.starts_with("sms:") {
                let number = phone_number(target);
                let mut runs = vec![(
                    Wrap {
                        bold: true,
                        href: None,
                    },
                    text.clone(),
                )];
                if !shows_number(text, number) {
                    runs.push((
                        Wrap {
                            bold: in_heading,
                            href: None,
                        },
                        " (".into(),
                    ));
                    runs.push((
                        Wrap {
                            bold: true,
                            href: None,
                        },
                        number.into(),
                    ));
                    runs.push((
                        Wrap {
                            bold: in_heading,
                            href: None,
                        },
                        ")".into(),
                    ));
                }
                runs
            } else {
                // A scheme Telegram may refuse: words, then the target as text.
                let shown = match bot_core::reply::visible_url(text, target) {
                    Some(url) => format!("{text} ({url})"),
                    None => text.clone(),
                };
                vec![(Wrap { bold, href: None }, shown)]
            }
        }
    }
}

/// One block's prefix and runs.
fn block_runs(block: &Block) -> (&'static str, Vec<(Wrap, String)>) {
    let heading = block.kind == BlockKind::Heading;
    let prefix = if block.kind == BlockKind::Item {
        "• "
    } else {
        ""
    };
    let runs = block
        .spans
        .iter()
        .flat_map(|span| span_runs(span, heading))
        .filter(|(_, text)| !text.is_empty())
        .collect();
    (prefix, runs)
}

/// The HTML of runs, whole.
fn runs_html(prefix: &str, runs: &[(Wrap, String)]) -> String {
    let mut out = String::from(prefix);
    for (wrap, text) in runs {
        out.push_str(&wrap.open());
        out.push_str(&escape(text));
        out.push_str(wrap.close());
    }
    out
}

/// The longest prefix of `text` (in bytes) whose escaped length fits `budget`, ending at a line break if
/// there is one, else after whitespace; `0` when no such break fits. All of `text` when it fits.
fn fit_at_break(text: &str, budget: usize) -> usize {
    let mut used = 0;
    let mut last_line = 0;
    let mut last_space = 0;
    for (i, c) in text.char_indices() {
        used += escaped_len(c);
        if used > budget {
            return if last_line > 0 { last_line } else { last_space };
        }
        let end = i + c.len_utf8();
        if c == '\n' {
            last_line = end;
        } else if c.is_whitespace() {
            last_space = end;
        }
    }
    text.len()
}

/// The longest prefix of `text` (in bytes) whose escaped length fits `budget`, cut between characters;
/// at least one character.
fn fit_hard(text: &str, budget: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += escaped_len(c);
        if used > budget {
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    text.len()
}

/// Splits one block that is too long for a message into pieces that each fit in `limit`.
fn split_block(prefix: &str, runs: &[(Wrap, String)], limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::from(prefix);
    let mut has_text = false;
    for (wrap, text) in runs {
        let open = wrap.open();
        let overhead = message_len(&open) + message_len(wrap.close());
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let budget = limit.saturating_sub(message_len(&current) + overhead);
            let mut take = fit_at_break(rest, budget);
            if take == 0 {
                if has_text {
                    pieces.push(std::mem::take(&mut current));
                    has_text = false;
                    continue;
                }
                take = fit_hard(rest, budget.max(1));
            }
            current.push_str(&open);
            current.push_str(&escape(&rest[..take]));
            current.push_str(wrap.close());
            has_text = true;
            rest = &rest[take..];
            if !rest.is_empty() {
                pieces.push(std::mem::take(&mut current));
                has_text = false;
            }
        }
    }
    if has_text {
        pieces.push(current);
    }
    pieces
}

/// The separator before a block of kind `kind` that follows one of kind `previous`.
fn separator(previous: Option<BlockKind>, kind: BlockKind) -> &'static str {
    match previous {
        None => "",
        Some(prev) if kind == BlockKind::Item && prev != BlockKind::Heading => "\n",
        Some(_) => "\n\n",
    }
}

/// The reply's text as HTML messages, each at most [`MAX_MESSAGE_LEN`] long. Empty when the reply has no
/// visible text.
pub fn render_messages(reply: &Reply) -> Vec<String> {
    render_blocks(&reply.blocks, MAX_MESSAGE_LEN)
}

/// Renders blocks into HTML messages of at most `limit` (for tests with small limits).
pub fn render_blocks(blocks: &[Block], limit: usize) -> Vec<String> {
    // Units: a separator and a piece of HTML that never needs to be cut.
    let mut units: Vec<(&'static str, String)> = Vec::new();
    let mut previous = None;
    for block in blocks {
        let (prefix, runs) = block_runs(block);
        if runs.is_empty() {
            continue;
        }
        let sep = separator(previous, block.kind);
        previous = Some(block.kind);
        let html = runs_html(prefix, &runs);
        if message_len(&html) <= limit {
            units.push((sep, html));
        } else {
            for (i, piece) in split_block(prefix, &runs, limit).into_iter().enumerate() {
                units.push((if i == 0 { sep } else { "" }, piece));
            }
        }
    }

    let mut messages = Vec::new();
    let mut current = String::new();
    for (sep, html) in units {
        if current.is_empty() {
            current = html;
        } else if message_len(&current) + message_len(sep) + message_len(&html) <= limit {
            current.push_str(sep);
            current.push_str(&html);
        } else {
            messages.push(std::mem::replace(&mut current, html));
        }
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
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
