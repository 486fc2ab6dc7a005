//! The platform-neutral reply: ordered blocks of lightly marked-up text, follow-ups and flags.
//! Adapters render it through [`crate::render`] (HTML for Telegram, Markdown for Discord, plain text for the
//! terminal).

use serde::Serialize;

use crate::engine::Classification;
use crate::intent::Intent;
use crate::language::Language;

/// A run of inline text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Span {
    /// Plain text.
    Text { text: String },
    /// Emphasised text.
    Strong { text: String },
    /// A link: `https:` URL, or `tel:` / `sms:` for phone numbers; `strong` when inside emphasis.
    Link {
        text: String,
        target: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        strong: bool,
    },
}

impl Span {
    /// The words a reader sees.
    pub fn text(&self) -> &str {
        match self {
            Span::Text { text } | Span::Strong { text } | Span::Link { text, .. } => text,
        }
    }
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    /// A list item; consecutive items form one list.
    Item,
}

/// One block of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub kind: BlockKind,
    pub spans: Vec<Span>,
}

impl Block {
    /// A paragraph that is one placeholder and nothing else (`{line}`): the placeholder.
    pub(crate) fn placeholder(&self) -> Option<&str> {
        match self.spans.as_slice() {
            [Span::Text { text }] if self.kind == BlockKind::Paragraph && text.starts_with('{') => {
                Some(text)
            }
            _ => None,
        }
    }

    /// A block of plain text.
    pub fn plain(kind: BlockKind, text: impl Into<String>) -> Self {
        Block {
            kind,
            spans: vec![Span::Text { text: text.into() }],
        }
    }
}

/// A suggested next message, shown as a button where the platform has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FollowUp {
    /// Button label.
    pub label: String,
    /// The message sent to the bot when the button is pressed.
    pub message: String,
}

/// Where an answer came from, for `--explain` and tests. Never contains the person's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub intent: Intent,
    /// `file:rule-id` of the rule that decided the intent, or a built-in reason such as `empty-input`.
    pub rule: String,
    /// The content entries used, in order, each as `file:entry-id`.
    pub entries: Vec<String>,
    /// Source ids the entries cite (from `intents/sources.toml`), in order, without repeats.
    pub sources: Vec<SourceRef>,
}

/// A cited source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    pub file: String,
}

/// A reply, ready to be rendered by any adapter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub intent: Intent,
    /// A crisis or an overdose happening now: adapters show it at once and never hide it.
    pub urgent: bool,
    /// It carries the answer to an overdose happening now (alone, or after the crisis lines).
    #[serde(skip)]
    pub overdose_now: bool,
    /// The language it answers in (the message's, where the content has the answer in it).
    #[serde(skip)]
    pub language: Language,
    pub blocks: Vec<Block>,
    pub follow_ups: Vec<FollowUp>,
    /// The meetings listed, in order, when the reply lists meetings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub meetings: Vec<meetings::HitSummary>,
    pub explanation: Explanation,
}

impl Reply {
    /// The reply as plain text: list items as bullets, links as `text (url)`.
    pub fn plain_text(&self) -> String {
        render_plain(&self.blocks)
    }

    /// What the message this reply answers was read as.
    pub fn classification(&self) -> Classification {
        Classification {
            intent: self.intent,
            urgent: self.urgent,
            overdose_now: self.overdose_now,
        }
    }

    /// Whether, and why, this reply is alarming (see [`Alarm`]).
    pub fn alarm(&self) -> Option<Alarm> {
        Alarm::of(self.classification())
    }
}

/// Why a message is alarming: it is answered where everyone can see it, at once, and crisis watch tells
/// the moderators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    /// Someone may be at risk (thoughts of suicide or self-harm, danger now), perhaps with an overdose
    /// happening now as well.
    Crisis { overdose_now: bool },
    /// An overdose happening now.
    OverdoseNow,
}

impl Alarm {
    /// Whether, and why, a message read as `c` is alarming.
    pub fn of(c: Classification) -> Option<Alarm> {
        let overdose_now = c.overdose_now || (c.intent == Intent::Overdose && c.urgent);
        if c.intent == Intent::Crisis {
            Some(Alarm::Crisis { overdose_now })
        } else if overdose_now {
            Some(Alarm::OverdoseNow)
        } else {
            None
        }
    }
}

/// Renders blocks as plain text, one block per line, a blank line between paragraphs.
pub fn render_plain(blocks: &[Block]) -> String {
    crate::render::plain(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rendering_shows_bullets_and_urls_once() {
        let blocks = vec![
            Block::plain(BlockKind::Paragraph, "Call or text:"),
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
                spans: vec![Span::Link {
                    text: "988lifeline.org".into(),
                    target: "https://988lifeline.org".into(),
                    strong: false,
                }],
            },
            Block {
                kind: BlockKind::Paragraph,
                spans: vec![Span::Link {
                    text: "the guide".into(),
                    target: "https://example.org/guide".into(),
                    strong: false,
                }],
            },
        ];
        assert_eq!(
            render_plain(&blocks),
            "Call or text:\n• 988\n• 988lifeline.org\n\nthe guide (https://example.org/guide)"
        );
    }
}
