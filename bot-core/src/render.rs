//! One renderer for every platform: it walks a reply's blocks and spans, decides the separators, the
//! emphasis, what a link or a phone number shows, and splits the text into messages under a length limit.
//! What differs per platform (escaping, how bold and links are written, how length is counted, the limit)
//! is a [`Dialect`]: plain text here, HTML in `telegram`, Markdown in `discord`.
//!
//! - Paragraphs and headings are separated by a blank line, list items by a line break.
//! - Headings are emphasised whole.
//! - A link the platform cannot open (`tel:`, `sms:`, anything but the web) shows its words, followed by
//!   the number or the address in brackets when the words do not already say it.
//! - A reply longer than one message is split between blocks; a block that alone is too long is split at a
//!   line break, else between words, else between characters, and its emphasis and links are reopened in
//!   the next message. The order of blocks is kept, so an urgent reply's first message holds its help.

use crate::reply::{Block, BlockKind, Span};

/// What differs between platforms.
pub trait Dialect {
    /// The longest message, in [`Dialect::len`] units.
    fn limit(&self) -> usize;
    /// How the platform counts a message's length.
    fn len(&self, text: &str) -> usize;
    /// `text` escaped so that it shows as written.
    fn escape(&self, text: &str) -> String;
    /// The length of one character once escaped, or more (never less): where a too-long block is cut.
    fn escaped_len(&self, c: char) -> usize;
    /// Escaped text, emphasised.
    fn strong(&self, text: &str) -> String;
    /// Escaped text as a link to `target` (one that [`Dialect::links`] accepts).
    fn link(&self, text: &str, target: &str) -> String;
    /// Whether `target` can be a link.
    fn links(&self, target: &str) -> bool;
    /// What starts a list item.
    fn item_prefix(&self) -> &'static str;
    /// The separator after a heading.
    fn after_heading(&self) -> &'static str {
        "\n\n"
    }
    /// Whether a phone number must be added after link words `text` (`number` is the link's number).
    fn adds_number(&self, text: &str, number: &str) -> bool {
        !shows_number(text, number)
    }
    /// Whether a phone number that cannot be a link is emphasised to stand out.
    fn emphasises_numbers(&self) -> bool {
        false
    }
    /// One span's runs, written out. The runs share one span's emphasis, except where
    /// [`Dialect::emphasises_numbers`] set it.
    fn span(&self, runs: &[Run]) -> String {
        runs.iter().map(|run| self.run(run)).collect()
    }
    /// One run written out.
    fn run(&self, run: &Run) -> String {
        let text = if run.markup {
            run.text.clone()
        } else {
            self.escape(&run.text)
        };
        let text = match &run.link {
            Some(target) => self.link(&text, target),
            None => text,
        };
        if run.strong { self.strong(&text) } else { text }
    }
}

/// A stretch of text with one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    pub strong: bool,
    /// The link target, when the text is a link.
    pub link: Option<String>,
    /// Written as it is, never escaped (the brackets around a number).
    pub markup: bool,
}

impl Run {
    fn new(text: impl Into<String>, strong: bool) -> Self {
        Run {
            text: text.into(),
            strong,
            link: None,
            markup: false,
        }
    }

    fn markup(text: &'static str, strong: bool) -> Self {
        Run {
            markup: true,
            ..Run::new(text, strong)
        }
    }
}

/// Plain text: list items as bullets, links as `text (url)`, no length limit.
pub struct Plain;

impl Dialect for Plain {
    fn limit(&self) -> usize {
        usize::MAX
    }
    fn len(&self, text: &str) -> usize {
        text.len()
    }
    fn escape(&self, text: &str) -> String {
        text.to_string()
    }
    fn escaped_len(&self, c: char) -> usize {
        c.len_utf8()
    }
    fn strong(&self, text: &str) -> String {
        text.to_string()
    }
    fn link(&self, text: &str, _target: &str) -> String {
        text.to_string()
    }
    fn links(&self, _target: &str) -> bool {
        false
    }
    fn item_prefix(&self) -> &'static str {
        "• "
    }
    fn adds_number(&self, _text: &str, _number: &str) -> bool {
        false
    }
}

/// Blocks as plain text, one string.
pub fn plain(blocks: &[Block]) -> String {
    messages(&Plain, blocks).pop().unwrap_or_default()
}

/// The blocks as messages in `dialect`, each at most [`Dialect::limit`] long. Empty when there is no
/// visible text.
pub fn messages(dialect: &impl Dialect, blocks: &[Block]) -> Vec<String> {
    let limit = dialect.limit();
    // Units: a separator and a piece that is never cut.
    let mut units: Vec<(&'static str, String)> = Vec::new();
    let mut previous = None;
    for block in blocks {
        let spans = block_runs(dialect, block);
        if spans.iter().flatten().all(|run| run.text.trim().is_empty()) {
            continue;
        }
        let separator = separator(dialect, previous, block.kind);
        previous = Some(block.kind);
        let prefix = if block.kind == BlockKind::Item {
            dialect.item_prefix()
        } else {
            ""
        };
        let whole: String = std::iter::once(prefix.to_string())
            .chain(spans.iter().map(|runs| dialect.span(runs)))
            .collect();
        if dialect.len(&whole) <= limit {
            units.push((separator, whole));
        } else {
            let runs: Vec<Run> = spans.into_iter().flatten().collect();
            for (i, piece) in split_block(dialect, prefix, &runs).into_iter().enumerate() {
                units.push((if i == 0 { separator } else { "" }, piece));
            }
        }
    }

    let mut messages = Vec::new();
    let mut current = String::new();
    for (separator, piece) in units {
        if current.is_empty() {
            current = piece;
        } else if dialect.len(&current) + dialect.len(separator) + dialect.len(&piece) <= limit {
            current.push_str(separator);
            current.push_str(&piece);
        } else {
            messages.push(std::mem::replace(&mut current, piece));
        }
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

/// The separator before a block of kind `kind` that follows one of kind `previous`.
fn separator(dialect: &impl Dialect, previous: Option<BlockKind>, kind: BlockKind) -> &'static str {
    match previous {
        None => "",
        Some(BlockKind::Heading) => dialect.after_heading(),
        Some(_) if kind == BlockKind::Item => "\n",
        Some(_) => "\n\n",
    }
}

/// A block's runs, span by span, without empty ones.
fn block_runs(dialect: &impl Dialect, block: &Block) -> Vec<Vec<Run>> {
    let heading = block.kind == BlockKind::Heading;
    block
        .spans
        .iter()
        .map(|span| {
            let mut runs = span_runs(dialect, span, heading);
            runs.retain(|run| !run.text.is_empty());
            runs
        })
        .filter(|runs| !runs.is_empty())
        .collect()
}

/// A span as runs: the words, and for a link the platform cannot open, what it points to.
fn span_runs(dialect: &impl Dialect, span: &Span, heading: bool) -> Vec<Run> {
    match span {
        Span::Text { text } => vec![Run::new(text, heading)],
        Span::Strong { text } => vec![Run::new(text, true)],
        Span::Link {
            text,
            target,
            strong,
        } => {
            let strong = *strong || heading;
            if dialect.links(target) {
                return vec![Run {
                    link: Some(target.clone()),
                    ..Run::new(text, strong)
                }];
            }
            // The words, then in brackets what they stand for; a number stands out where the platform
            // emphasises numbers, the brackets keep the span's look.
            let (shown, words_strong, brackets_strong) = if is_phone(target) {
                let number = phone_number(target);
                let emphasised = dialect.emphasises_numbers();
                let bold = strong || emphasised;
                if !dialect.adds_number(text, number) {
                    return vec![Run::new(text, bold)];
                }
                (number, bold, if emphasised { heading } else { strong })
            } else {
                match visible_url(text, target) {
                    Some(url) => (url, strong, strong),
                    None => return vec![Run::new(text, strong)],
                }
            };
            vec![
                Run::new(text, words_strong),
                Run::markup(" (", brackets_strong),
                Run::new(shown, words_strong),
                Run::markup(")", brackets_strong),
            ]
        }
    }
}

fn is_phone(target: &str) -> bool {
    target.starts_with("tel:") || target.starts_with("sms:")
}

/// The digits (and a leading `+`) of a `tel:` or `sms:` target: `sms:741741?body=HOME` gives `741741`.
pub fn phone_number(target: &str) -> &str {
    let rest = target
        .strip_prefix("tel:")
        .or_else(|| target.strip_prefix("sms:"))
        .unwrap_or(target);
    rest.split(['?', ';']).next().unwrap_or(rest)
}

/// Whether `text` already shows the number `number` (ignoring spaces, dashes, dots and brackets).
pub fn shows_number(text: &str, number: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let wanted = digits(number);
    !wanted.is_empty() && digits(text).contains(&wanted)
}

/// The URL to show after a link's text where it cannot be a link, if the text does not already say it.
pub fn visible_url<'a>(text: &str, target: &'a str) -> Option<&'a str> {
    if is_phone(target) {
        return None;
    }
    let bare = target
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.")
        .trim_end_matches('/');
    if text.to_lowercase().contains(&bare.to_lowercase()) {
        None
    } else {
        Some(target)
    }
}

/// The escaped length of `text` in `run`'s place.
fn run_text_len(dialect: &impl Dialect, run: &Run, c: char) -> usize {
    if run.markup {
        dialect.len(c.encode_utf8(&mut [0; 4]))
    } else {
        dialect.escaped_len(c)
    }
}

/// The longest prefix of `run`'s text (in bytes) that fits `budget` once escaped, ending at a line break
/// if there is one, else after whitespace; `0` when no such break fits. All of the text when it fits.
fn fit_at_break(dialect: &impl Dialect, run: &Run, text: &str, budget: usize) -> usize {
    let mut used = 0;
    let mut last_line = 0;
    let mut last_space = 0;
    for (i, c) in text.char_indices() {
        used += run_text_len(dialect, run, c);
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

/// The longest prefix of `text` (in bytes) that fits `budget` once escaped, cut between characters; at
/// least one character.
fn fit_hard(dialect: &impl Dialect, run: &Run, text: &str, budget: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += run_text_len(dialect, run, c);
        if used > budget {
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    text.len()
}

/// Splits one block that is too long for a message into pieces that each fit.
fn split_block(dialect: &impl Dialect, prefix: &str, runs: &[Run]) -> Vec<String> {
    let limit = dialect.limit();
    let mut pieces = Vec::new();
    let mut current = String::from(prefix);
    let mut has_text = false;
    for run in runs {
        // What the run's look adds around its text.
        let sample = Run {
            text: "x".into(),
            markup: true,
            ..run.clone()
        };
        let overhead = dialect.len(&dialect.run(&sample)).saturating_sub(1);
        let mut rest = run.text.as_str();
        while !rest.is_empty() {
            let budget = limit.saturating_sub(dialect.len(&current) + overhead);
            let mut take = fit_at_break(dialect, run, rest, budget);
            if take == 0 {
                if has_text {
                    pieces.push(std::mem::take(&mut current));
                    has_text = false;
                    continue;
                }
                take = fit_hard(dialect, run, rest, budget.max(1));
            }
            current.push_str(&dialect.run(&Run {
                text: rest[..take].to_string(),
                ..run.clone()
            }));
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
