//! Discord markdown: escaping text so that it shows as typed, never as formatting, links or mentions.
//!
//! Every piece of text the bot sends goes through [`escape`]: the content's own words, and words that came
//! from people or from meeting feeds (a place someone typed, a meeting's name). Nothing in them can bold,
//! hide (spoilers), quote, link, or mention a user, a role, a channel, @everyone or @here.
//!
//! [`Markdown`] is the shared renderer's Discord dialect ([`bot_core::render`]).

use bot_core::render::{Dialect, Run};

/// Characters that start or end Discord formatting anywhere in a line.
const INLINE: &[char] = &['\\', '*', '_', '~', '`', '|', '[', ']', '<', '>', '(', ')'];

/// A zero-width space: breaks `@everyone` and `@here` without changing how they look.
const ZWSP: char = '\u{200B}';

/// `text` with Discord markdown and mentions neutralised.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(line, &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    let body = line.trim_start();
    out.push_str(&line[..line.len() - body.len()]);
    // Block formatting only counts at the start of a line: headings, lists, subtext, numbered lists (quotes
    // and `*` lists are escaped anywhere).
    let chars = body.char_indices();
    if let Some(first) = body.chars().next()
        && matches!(first, '#' | '-' | '+')
    {
        out.push('\\');
    }
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    let numbered = digits > 0 && body[digits..].starts_with('.');
    for (at, c) in chars {
        if INLINE.contains(&c) || (numbered && at == digits) {
            out.push('\\');
            out.push(c);
        } else if c == '@' {
            out.push('@');
            let rest = &body[at + 1..];
            if starts_with_ignore_case(rest, "everyone") || starts_with_ignore_case(rest, "here") {
                out.push(ZWSP);
            }
        } else {
            out.push(c);
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A link target safe to put in `[text](<target>)`: only `https:` URLs without spaces or brackets.
pub fn safe_url(target: &str) -> Option<&str> {
    let ok = target.starts_with("https://")
        && target.len() > "https://".len()
        && !target
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')'));
    ok.then_some(target)
}

/// Characters as Discord counts them for its length limits.
pub fn length(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `limit` characters, ending with "…" when cut.
pub fn truncate(text: &str, limit: usize) -> String {
    if length(text) <= limit {
        return text.to_string();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

/// `**text**`, with surrounding spaces kept outside the markers (Markdown ignores `** x**`).
fn strong(text: &str) -> String {
    let inner = text.trim();
    if inner.is_empty() {
        return text.to_string();
    }
    let start = text.len() - text.trim_start().len();
    let end = start + inner.len();
    format!("{}**{inner}**{}", &text[..start], &text[end..])
}

/// Discord Markdown.
pub struct Markdown;

impl Dialect for Markdown {
    const ITEM: &'static str = "- ";
    const AFTER_HEADING: &'static str = "\n";
    fn escape(&self, text: &str) -> String {
        escape(text)
    }
    /// A backslash or a zero-width space may come before any of these.
    fn escaped_len(&self, c: char) -> usize {
        if INLINE.contains(&c) || matches!(c, '#' | '-' | '+' | '.' | '@') {
            2
        } else {
            1
        }
    }
    fn links(&self, target: &str) -> bool {
        safe_url(target).is_some()
    }
    /// Only when the words do not contain the number as written in the target.
    fn adds_number(&self, text: &str, number: &str) -> bool {
        !number.is_empty() && !text.contains(number)
    }
    /// A span is emphasised whole: `**Crisis Text Line (741741)**`.
    fn span(&self, runs: &[Run]) -> String {
        let inner: String = runs
            .iter()
            .map(|run| match &run.link {
                Some(target) => format!("[{}](<{target}>)", run.escaped(self)),
                None => run.escaped(self),
            })
            .collect();
        if runs.first().is_some_and(|run| run.strong) {
            strong(&inner)
        } else {
            inner
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_unchanged() {
        assert_eq!(
            escape("Call or text 988, any time."),
            "Call or text 988, any time."
        );
    }

    #[test]
    fn formatting_is_shown_as_typed() {
        assert_eq!(
            escape("**bold** _it_ ~~x~~ `c`"),
            r"\*\*bold\*\* \_it\_ \~\~x\~\~ \`c\`"
        );
        assert_eq!(escape("||spoiler||"), r"\|\|spoiler\|\|");
        assert_eq!(escape(r"a\b"), r"a\\b");
    }

    #[test]
    fn block_formatting_at_line_start_is_escaped() {
        assert_eq!(escape("# Heading"), r"\# Heading");
        assert_eq!(escape("-# small"), r"\-# small");
        assert_eq!(escape("> quote\n  - item"), "\\> quote\n  \\- item");
        assert_eq!(escape("1. first"), r"1\. first");
        assert_eq!(escape("well-known #1"), "well-known #1");
    }

    #[test]
    fn masked_links_cannot_be_made() {
        let shown = escape("[click me](https://evil.example)");
        assert_eq!(shown, r"\[click me\]\(https://evil.example\)");
    }

    #[test]
    fn mentions_cannot_be_made() {
        let hostile = "@everyone @HERE <@123> <@!123> <@&456> <#789> </cmd:1> <t:0:R>";
        let shown = escape(hostile);
        assert!(!shown.contains("@everyone"), "{shown}");
        assert!(!shown.to_lowercase().contains("@here"), "{shown}");
        // Every `<` is escaped, so no `<@…>`, `<#…>`, `</…>` or `<t:…>` is read as a mention or a tag.
        assert_eq!(
            shown.matches('<').count(),
            shown.matches("\\<").count(),
            "{shown}"
        );
        assert_eq!(shown.matches('<').count(), 6);
        assert!(shown.contains("@\u{200B}everyone"));
        assert_eq!(escape("mail me @ noon"), "mail me @ noon");
    }

    #[test]
    fn unicode_is_kept_whole() {
        assert_eq!(escape("héllo 💛 *ñ*"), "héllo 💛 \\*ñ\\*");
        assert_eq!(length("💛é"), 2);
    }

    #[test]
    fn only_plain_https_urls_are_links() {
        assert_eq!(
            safe_url("https://988lifeline.org"),
            Some("https://988lifeline.org")
        );
        assert_eq!(safe_url("tel:988"), None);
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("https://a.example/x)y"), None);
        assert_eq!(safe_url("https://a b"), None);
        assert_eq!(safe_url("https://"), None);
    }
}
