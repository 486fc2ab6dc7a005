//! One renderer for every platform: it walks a reply's blocks and spans, decides the separators, the
//! emphasis, what a link or a phone number shows, and splits the text into messages under a length limit.
//! What differs per platform (escaping, how bold and links are written, how length is counted, the limit)
//! is a [`Dialect`]: plain text here, HTML in `telegram`, Markdown in `discord`.
//!
//! - Paragraphs and headings are separated by a blank line, list items by a line break (a dialect may
//!   put a heading closer to what follows it).
//! - Everything in a heading is emphasised.
//! - A link the platform cannot open (`tel:`, `sms:`, anything but the web) shows its words, followed by
//!   the number or the address in brackets when the words do not already say it.
//! - A reply longer than one message is split between blocks; a block that alone is too long is split at a
//!   line break, else between words, else between characters, and its emphasis and links are reopened in
//!   the next message. The order of blocks is kept, so an urgent reply's first message holds its help.

use crate::reply::{Block, BlockKind, Span};

/// What differs between platforms.
pub trait Dialect {
    /// What starts a list item.
    const ITEM: &'static str;
    /// The separator after a heading.
    const AFTER_HEADING: &'static str = "\n\n";
    /// Whether a phone number that cannot be a link stands out in bold.
    const BOLD_NUMBERS: bool = false;
    /// How the platform counts a message's length.
    fn len(&self, text: &str) -> usize {
        text.chars().count()
    }
    /// `text` escaped so that it shows as written.
    fn escape(&self, text: &str) -> String;
    /// The length of one character once escaped, or more (never less): where a too-long block is cut.
    fn escaped_len(&self, c: char) -> usize {
        self.len(c.encode_utf8(&mut [0; 4]))
    }
    /// Whether `target` can be a link.
    fn links(&self, target: &str) -> bool;
    /// Whether a phone number must be added after link words `text` (`number` is the link's number).
    fn adds_number(&self, text: &str, number: &str) -> bool {
        !shows_number(text, number)
    }
    /// One span's runs written out: escaped, emphasised, linked. The runs share the span's emphasis, but
    /// for numbers made bold ([`Dialect::BOLD_NUMBERS`]).
    fn span(&self, runs: &[Run]) -> String;
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

    /// The text as `dialect` writes it: escaped unless it is markup.
    pub fn escaped(&self, dialect: &impl Dialect) -> String {
        if self.markup {
            self.text.clone()
        } else {
            dialect.escape(&self.text)
        }
    }
}

/// Plain text: list items as bullets, links as `text (url)`.
struct Plain;

impl Dialect for Plain {
    const ITEM: &'static str = "• ";
    fn escape(&self, text: &str) -> String {
        text.to_string()
    }
    fn links(&self, _target: &str) -> bool {
        false
    }
    fn adds_number(&self, _text: &str, _number: &str) -> bool {
        false
    }
    fn span(&self, runs: &[Run]) -> String {
        runs.iter().map(|run| run.text.as_str()).collect()
    }
}

/// Blocks as plain text, one string.
pub fn plain(blocks: &[Block]) -> String {
    messages(&Plain, blocks, usize::MAX)
        .pop()
        .unwrap_or_default()
}

/// The blocks as messages in `dialect`, each at most `limit` long. Empty when there is no visible text.
pub fn messages<D: Dialect>(dialect: &D, blocks: &[Block], limit: usize) -> Vec<String> {
    // Units: a separator and a piece that is never cut.
    let mut units: Vec<(&'static str, String)> = Vec::new();
    let mut previous = None;
    for block in blocks {
        let spans = block_runs(dialect, block);
        if spans.iter().flatten().all(|run| run.text.trim().is_empty()) {
            continue;
        }
        let separator = match previous {
            None => "",
            Some(BlockKind::Heading) => D::AFTER_HEADING,
            Some(_) if block.kind == BlockKind::Item => "\n",
            Some(_) => "\n\n",
        };
        previous = Some(block.kind);
        let prefix = if block.kind == BlockKind::Item {
            D::ITEM
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
            for (i, piece) in split_block(dialect, prefix, &runs, limit)
                .into_iter()
                .enumerate()
            {
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
fn span_runs<D: Dialect>(dialect: &D, span: &Span, heading: bool) -> Vec<Run> {
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
                let bold = strong || D::BOLD_NUMBERS;
                if !dialect.adds_number(text, number) {
                    return vec![Run::new(text, bold)];
                }
                (number, bold, if D::BOLD_NUMBERS { heading } else { strong })
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

/// Where to cut `text` of `run` to fit `budget` once written: the longest prefix (in bytes) ending at a
/// line break, else after whitespace (`0` when none fits), and the longest cut between characters (at least
/// one). All of `text` for both when it fits.
fn fit(dialect: &impl Dialect, run: &Run, text: &str, budget: usize) -> (usize, usize) {
    let (mut used, mut last_line, mut last_space) = (0, 0, 0);
    for (i, c) in text.char_indices() {
        used += if run.markup {
            dialect.len(c.encode_utf8(&mut [0; 4]))
        } else {
            dialect.escaped_len(c)
        };
        if used > budget {
            let at_break = if last_line > 0 { last_line } else { last_space };
            return (at_break, if i == 0 { c.len_utf8() } else { i });
        }
        let end = i + c.len_utf8();
        if c == '\n' {
            last_line = end;
        } else if c.is_whitespace() {
            last_space = end;
        }
    }
    (text.len(), text.len())
}

/// Splits one block that is too long for a message into pieces that each fit.
fn split_block(dialect: &impl Dialect, prefix: &str, runs: &[Run], limit: usize) -> Vec<String> {
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
        let overhead = dialect.len(&dialect.span(&[sample])).saturating_sub(1);
        let mut rest = run.text.as_str();
        while !rest.is_empty() {
            let budget = limit.saturating_sub(dialect.len(&current) + overhead);
            let (mut take, hard) = fit(dialect, run, rest, budget);
            if take == 0 {
                if has_text {
                    pieces.push(std::mem::take(&mut current));
                    has_text = false;
                    continue;
                }
                take = hard;
            }
            current.push_str(&dialect.span(&[Run {
                text: rest[..take].to_string(),
                ..run.clone()
            }]));
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
