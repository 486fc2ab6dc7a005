//! A [`Reply`] as Discord messages: Markdown content or an embed, buttons for follow-ups, split to fit
//! Discord's limits.
//!
//! - Crisis and overdose replies (and anything urgent) are plain message content, the first lines first,
//!   never inside an embed that a client may collapse.
//! - Principles and meetings are embeds (a title and a description).
//! - Everything else is plain content.
//! - The text comes from the shared renderer ([`bot_core::render`]) in [`Markdown`]: content over 2,000
//!   characters (an embed description over 4,096) is split at block boundaries into several messages; the
//!   follow-up buttons go on the last one.
//! - All text is escaped ([`crate::markdown::escape`]) and every message has empty `allowed_mentions`.

use bot_core::render::messages;
use bot_core::{Block, BlockKind, Intent, Reply, Span};
use poise::serenity_prelude as serenity;

use crate::markdown::{Markdown, escape, length, truncate};

/// Discord's limit for message content.
pub const CONTENT_LIMIT: usize = 2000;
/// Discord's limit for an embed description.
pub const DESCRIPTION_LIMIT: usize = 4096;
/// Discord's limit for an embed title.
pub const TITLE_LIMIT: usize = 256;
/// Discord's limit for a button label.
pub const LABEL_LIMIT: usize = 80;
/// Discord's limit for a component's custom id.
pub const CUSTOM_ID_LIMIT: usize = 100;
/// Buttons per row, and rows per message.
const PER_ROW: usize = 5;
const ROWS: usize = 5;
/// A calm blue for embeds.
const EMBED_COLOUR: u32 = 0x3B_82_F6;

/// Custom ids of follow-up buttons start with this; the rest is the message to send to the core.
pub const FOLLOW_UP_PREFIX: &str = "rb:";

/// Fills any of serenity's or poise's message builders with an [`Outgoing`]: they share these methods but no
/// trait. Mentions are always off.
macro_rules! fill {
    ($outgoing:expr, $builder:expr) => {{
        let outgoing = $outgoing;
        let mut builder = $builder.allowed_mentions(serenity::CreateAllowedMentions::new());
        if let Some(content) = &outgoing.content {
            builder = builder.content(content);
        }
        if let Some(embed) = outgoing.embed_builder() {
            builder = builder.embed(embed);
        }
        if !outgoing.buttons.is_empty() {
            builder = builder.components(outgoing.rows());
        }
        builder
    }};
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Markdown content, already escaped.
    pub content: Option<String>,
    pub embed: Option<Embed>,
    pub buttons: Vec<Button>,
}

/// An embed: a title and a Markdown description, already escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    pub title: Option<String>,
    pub description: String,
}

/// A follow-up button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    /// [`FOLLOW_UP_PREFIX`] and the follow-up's message.
    pub custom_id: String,
}

/// Whether a reply is shown as embeds.
pub fn uses_embed(reply: &Reply) -> bool {
    !reply.urgent && matches!(reply.intent, Intent::Principle | Intent::Meeting)
}

/// The messages for `reply`, in order (at least one).
pub fn render(reply: &Reply) -> Vec<Outgoing> {
    let mut messages = if uses_embed(reply) {
        render_embeds(&reply.blocks)
    } else {
        contents(&reply.blocks)
    };
    if messages.is_empty() {
        messages.push(Outgoing::text("…".to_string()));
    }
    if let Some(last) = messages.last_mut() {
        last.buttons = buttons(reply);
    }
    messages
}

/// Plain text in content (used for the bot's own notices), split to fit.
pub fn notice(text: &str) -> Vec<Outgoing> {
    contents(&[Block::plain(BlockKind::Paragraph, text)])
}

/// `blocks` as Markdown messages, split to fit.
fn contents(blocks: &[Block]) -> Vec<Outgoing> {
    messages(&Markdown, blocks, CONTENT_LIMIT)
        .into_iter()
        .map(Outgoing::text)
        .collect()
}

/// The message a pressed button stands for.
pub fn follow_up_message(custom_id: &str) -> Option<&str> {
    custom_id
        .strip_prefix(FOLLOW_UP_PREFIX)
        .filter(|m| !m.trim().is_empty())
}

fn buttons(reply: &Reply) -> Vec<Button> {
    let mut out: Vec<Button> = Vec::new();
    for follow_up in &reply.follow_ups {
        let custom_id = format!("{FOLLOW_UP_PREFIX}{}", follow_up.message);
        // A follow-up too long for a custom id is left out rather than cut (it would send other words).
        if length(&custom_id) > CUSTOM_ID_LIMIT
            || follow_up.message.trim().is_empty()
            || out.iter().any(|b| b.custom_id == custom_id)
        {
            continue;
        }
        let label = truncate(follow_up.label.trim(), LABEL_LIMIT);
        if label.is_empty() {
            continue;
        }
        out.push(Button { label, custom_id });
        if out.len() == PER_ROW * ROWS {
            break;
        }
    }
    out
}

fn render_embeds(blocks: &[Block]) -> Vec<Outgoing> {
    let (title, rest) = match blocks.split_first() {
        Some((first, rest)) if first.kind == BlockKind::Heading => {
            let text: String = first.spans.iter().map(Span::text).collect();
            (
                Some(truncate_escaped(&escape(text.trim()), TITLE_LIMIT)),
                rest,
            )
        }
        _ => (None, blocks),
    };
    let mut descriptions = messages(&Markdown, rest, DESCRIPTION_LIMIT);
    if descriptions.is_empty() {
        descriptions.push(String::new());
    }
    descriptions
        .into_iter()
        .enumerate()
        .map(|(i, description)| Outgoing {
            content: None,
            embed: Some(Embed {
                title: if i == 0 { title.clone() } else { None },
                description,
            }),
            buttons: Vec::new(),
        })
        .collect()
}

/// Truncates escaped text without leaving a lone backslash at the end.
fn truncate_escaped(text: &str, limit: usize) -> String {
    let mut out = truncate(text, limit);
    if out.ends_with("\\…") {
        out.truncate(out.len() - "\\…".len());
        out.push('…');
    }
    out
}

impl Outgoing {
    /// A message of Markdown content only.
    fn text(content: String) -> Outgoing {
        Outgoing {
            content: Some(content),
            embed: None,
            buttons: Vec::new(),
        }
    }

    fn embed_builder(&self) -> Option<serenity::CreateEmbed> {
        self.embed.as_ref().map(|embed| {
            let mut builder = serenity::CreateEmbed::new().colour(EMBED_COLOUR);
            if let Some(title) = &embed.title {
                builder = builder.title(title);
            }
            if !embed.description.is_empty() {
                builder = builder.description(&embed.description);
            }
            builder
        })
    }

    fn rows(&self) -> Vec<serenity::CreateActionRow> {
        self.buttons
            .chunks(PER_ROW)
            .map(|row| {
                serenity::CreateActionRow::Buttons(
                    row.iter()
                        .map(|b| {
                            serenity::CreateButton::new(&b.custom_id)
                                .label(&b.label)
                                .style(serenity::ButtonStyle::Secondary)
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// As a channel message (replies and direct messages).
    pub fn create_message(&self) -> serenity::CreateMessage {
        fill!(self, serenity::CreateMessage::new())
    }

    /// As the first answer to an interaction (a button press).
    pub fn interaction_message(&self) -> serenity::CreateInteractionResponseMessage {
        fill!(self, serenity::CreateInteractionResponseMessage::new())
    }

    /// As a later message answering an interaction.
    pub fn followup(&self, ephemeral: bool) -> serenity::CreateInteractionResponseFollowup {
        fill!(
            self,
            serenity::CreateInteractionResponseFollowup::new().ephemeral(ephemeral)
        )
    }

    /// As a slash command's answer (poise sends the first as the response, later ones as follow-ups).
    pub fn poise_reply(&self, ephemeral: bool) -> poise::CreateReply {
        fill!(self, poise::CreateReply::default().ephemeral(ephemeral))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::{Explanation, FollowUp};

    fn reply(intent: Intent, urgent: bool, blocks: Vec<Block>) -> Reply {
        Reply {
            intent,
            urgent,
            overdose_now: false,
            language: bot_core::language::Language::English,
            blocks,
            follow_ups: Vec::new(),
            meetings: Vec::new(),
            explanation: Explanation {
                intent,
                rule: "test".into(),
                entries: Vec::new(),
                sources: Vec::new(),
            },
        }
    }

    fn para(text: &str) -> Block {
        Block::plain(BlockKind::Paragraph, text)
    }

    fn crisis_blocks() -> Vec<Block> {
        vec![
            Block {
                kind: BlockKind::Paragraph,
                spans: vec![
                    Span::Text {
                        text: "Please call or text ".into(),
                    },
                    Span::Link {
                        text: "988".into(),
                        target: "tel:988".into(),
                        strong: true,
                    },
                    Span::Text {
                        text: " now.".into(),
                    },
                ],
            },
            Block {
                kind: BlockKind::Item,
                spans: vec![Span::Link {
                    text: "Crisis Text Line".into(),
                    target: "sms:741741".into(),
                    strong: false,
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
        ]
    }

    #[test]
    fn crisis_is_plain_content_with_the_number_first() {
        let out = render(&reply(Intent::Crisis, true, crisis_blocks()));
        assert_eq!(out.len(), 1);
        assert!(out[0].embed.is_none());
        let content = out[0].content.as_deref().unwrap();
        assert_eq!(
            content,
            "Please call or text **988** now.\n- Crisis Text Line (741741)\n- [988lifeline.org](<https://988lifeline.org>)"
        );
    }

    #[test]
    fn urgent_principle_is_still_plain() {
        let out = render(&reply(Intent::Principle, true, vec![para("x")]));
        assert!(out[0].embed.is_none());
        assert!(out[0].content.is_some());
    }

    #[test]
    fn principles_and_meetings_are_embeds_with_a_title() {
        let blocks = vec![
            Block::plain(BlockKind::Heading, "Recovery emerges from hope"),
            para("Hope is the catalyst."),
            Block::plain(BlockKind::Item, "one"),
        ];
        for intent in [Intent::Principle, Intent::Meeting] {
            let out = render(&reply(intent, false, blocks.clone()));
            assert_eq!(out.len(), 1);
            assert!(out[0].content.is_none());
            let embed = out[0].embed.as_ref().unwrap();
            assert_eq!(embed.title.as_deref(), Some("Recovery emerges from hope"));
            assert_eq!(embed.description, "Hope is the catalyst.\n- one");
        }
    }

    #[test]
    fn long_content_is_split_at_blocks_in_order() {
        let blocks: Vec<Block> = (0..30)
            .map(|i| para(&format!("{i:02} {}", "word ".repeat(30))))
            .collect();
        let out = render(&reply(Intent::Other, false, blocks));
        assert!(out.len() > 1);
        let mut seen = Vec::new();
        for message in &out {
            let content = message.content.as_deref().unwrap();
            assert!(length(content) <= CONTENT_LIMIT);
            for line in content.split("\n\n") {
                seen.push(line[..2].to_string());
            }
        }
        let expected: Vec<String> = (0..30).map(|i| format!("{i:02}")).collect();
        assert_eq!(seen, expected, "every block once, in order");
    }

    #[test]
    fn one_huge_block_is_split_at_spaces() {
        let text = "abcdefghi ".repeat(500);
        let out = render(&reply(Intent::Other, false, vec![para(&text)]));
        assert_eq!(out.len(), 3);
        let joined: Vec<&str> = out
            .iter()
            .flat_map(|o| o.content.as_deref().unwrap().split_whitespace())
            .collect();
        assert_eq!(joined.len(), 500);
        assert!(joined.iter().all(|w| *w == "abcdefghi"));
    }

    #[test]
    fn splitting_never_leaves_a_lone_backslash() {
        let text = "*".repeat(3000);
        let parts: Vec<String> = notice(&text)
            .into_iter()
            .map(|o| o.content.unwrap())
            .collect();
        for part in &parts {
            assert!(length(part) <= CONTENT_LIMIT);
            assert!(!part.ends_with('\\') || part.ends_with("\\\\"), "{part}");
            assert!(part.starts_with('\\'));
        }
        let stars: usize = parts.iter().map(|p| p.matches('*').count()).sum();
        assert_eq!(stars, 3000);
    }

    #[test]
    fn long_embeds_are_split_with_the_title_once() {
        let mut blocks = vec![Block::plain(BlockKind::Heading, "Meetings")];
        blocks.extend(
            (0..60).map(|i| Block::plain(BlockKind::Item, format!("{i} {}", "m".repeat(150)))),
        );
        let out = render(&reply(Intent::Meeting, false, blocks));
        assert!(out.len() >= 2);
        assert_eq!(
            out[0].embed.as_ref().unwrap().title.as_deref(),
            Some("Meetings")
        );
        for o in &out[1..] {
            assert_eq!(o.embed.as_ref().unwrap().title, None);
        }
        for o in &out {
            assert!(length(&o.embed.as_ref().unwrap().description) <= DESCRIPTION_LIMIT);
        }
    }

    #[test]
    fn hostile_text_from_feeds_or_people_is_escaped() {
        let blocks = vec![
            Block::plain(BlockKind::Heading, "@everyone **Meetings** near <@&1>"),
            Block::plain(
                BlockKind::Item,
                "[free stuff](https://evil.example) @here ||x||",
            ),
        ];
        let out = render(&reply(Intent::Meeting, false, blocks));
        let embed = out[0].embed.as_ref().unwrap();
        let all = format!("{} {}", embed.title.as_deref().unwrap(), embed.description);
        assert!(
            !all.contains("@everyone") && !all.contains("@here"),
            "{all}"
        );
        assert!(all.contains(r"\<@&1\>"), "{all}");
        assert!(all.contains(r"\[free stuff\]\(https"), "{all}");
        assert!(all.contains(r"\|\|x\|\|"), "{all}");
        assert!(all.contains(r"\*\*Meetings\*\*"), "{all}");
    }

    #[test]
    fn unsafe_link_targets_are_not_links() {
        let block = Block {
            kind: BlockKind::Paragraph,
            spans: vec![Span::Link {
                text: "site".into(),
                target: "https://x.example/a)b".into(),
                strong: false,
            }],
        };
        let out = render(&reply(Intent::Other, false, vec![block]));
        let content = out[0].content.as_deref().unwrap();
        assert!(!content.contains("]("), "not a masked link: {content}");
        assert!(content.starts_with("site "), "{content}");
    }

    #[test]
    fn buttons_follow_ups_on_the_last_message_only() {
        let mut r = reply(
            Intent::Other,
            false,
            (0..10).map(|_| para(&"x".repeat(400))).collect(),
        );
        r.follow_ups = vec![
            FollowUp {
                label: "Find a meeting".into(),
                message: "find a meeting".into(),
            },
            FollowUp {
                label: "Again".into(),
                message: "find a meeting".into(),
            },
            FollowUp {
                label: "Too long".into(),
                message: "y".repeat(98),
            },
            FollowUp {
                label: "L".repeat(200),
                message: "principle of the day".into(),
            },
        ];
        let out = render(&r);
        assert!(out.len() > 1);
        assert!(out[..out.len() - 1].iter().all(|o| o.buttons.is_empty()));
        let buttons = &out.last().unwrap().buttons;
        assert_eq!(buttons.len(), 2, "duplicate and over-long ids are left out");
        assert_eq!(buttons[0].custom_id, "rb:find a meeting");
        assert_eq!(
            follow_up_message(&buttons[0].custom_id),
            Some("find a meeting")
        );
        assert!(length(&buttons[1].label) <= LABEL_LIMIT);
        assert!(
            buttons
                .iter()
                .all(|b| length(&b.custom_id) <= CUSTOM_ID_LIMIT)
        );
        assert_eq!(follow_up_message("other:x"), None);
        assert_eq!(follow_up_message("rb: "), None);
    }

    #[test]
    fn messages_never_allow_mentions() {
        let out = render(&reply(Intent::Other, false, vec![para("@everyone")]));
        let json = serde_json::to_value(out[0].create_message()).unwrap();
        assert_eq!(
            json["allowed_mentions"],
            serde_json::json!({"parse": [], "users": [], "roles": []})
        );
        let json = serde_json::to_value(out[0].followup(false)).unwrap();
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
        let json = serde_json::to_value(out[0].interaction_message()).unwrap();
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
    }

    #[test]
    fn buttons_become_rows_of_five() {
        let mut r = reply(Intent::Other, false, vec![para("hi")]);
        r.follow_ups = (0..7)
            .map(|i| FollowUp {
                label: format!("b{i}"),
                message: format!("m{i}"),
            })
            .collect();
        let json = serde_json::to_value(render(&r)[0].create_message()).unwrap();
        let rows = json["components"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["components"].as_array().unwrap().len(), 5);
        assert_eq!(rows[1]["components"][1]["custom_id"], "rb:m6");
    }

    #[test]
    fn an_empty_reply_still_says_something() {
        let out = render(&reply(Intent::Other, false, Vec::new()));
        assert_eq!(out.len(), 1);
        assert!(out[0].content.is_some());
    }

    #[test]
    fn notices_are_escaped() {
        let out = notice("use *this* @everyone");
        assert_eq!(
            out[0].content.as_deref(),
            Some("use \\*this\\* @\u{200B}everyone")
        );
    }
}
