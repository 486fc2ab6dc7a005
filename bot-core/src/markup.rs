//! The light markup of content text: paragraphs, `- ` list items, `## ` headings, `**bold**` and
//! `[text](target)` links.

use crate::reply::{Block, BlockKind, Span};

/// Parses content text into blocks. Errors say what is wrong, for the loader to add file and entry.
pub fn parse(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| -> Result<(), String> {
        if !paragraph.is_empty() {
            let joined = paragraph.join(" ");
            blocks.push(Block {
                kind: BlockKind::Paragraph,
                spans: parse_inline(&joined)?,
            });
            paragraph.clear();
        }
        Ok(())
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks)?;
        } else if let Some(item) = line.strip_prefix("- ") {
            flush(&mut paragraph, &mut blocks)?;
            blocks.push(Block {
                kind: BlockKind::Item,
                spans: parse_inline(item.trim())?,
            });
        } else if let Some(heading) = line.strip_prefix("## ") {
            flush(&mut paragraph, &mut blocks)?;
            blocks.push(Block {
                kind: BlockKind::Heading,
                spans: parse_inline(heading.trim())?,
            });
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut blocks)?;
    if blocks.is_empty() {
        return Err("the text is empty".into());
    }
    Ok(blocks)
}

/// Parses `**bold**` and `[text](target)` inside one line; links may stand inside bold.
pub fn parse_inline(line: &str) -> Result<Vec<Span>, String> {
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("**") {
        parse_links(&rest[..start], false, &mut spans, line)?;
        let after = &rest[start + 2..];
        let end = after
            .find("**")
            .ok_or_else(|| format!("unclosed ** in {line:?}"))?;
        parse_links(&after[..end], true, &mut spans, line)?;
        rest = &after[end + 2..];
    }
    parse_links(rest, false, &mut spans, line)?;
    Ok(spans)
}

/// Parses the links of a stretch of text that is all bold or all plain.
fn parse_links(text: &str, strong: bool, spans: &mut Vec<Span>, line: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        push_text(spans, &rest[..open], strong);
        let after = &rest[open + 1..];
        let close = after
            .find("](")
            .ok_or_else(|| format!("a [ without ]( in {line:?}"))?;
        let target_len = after[close + 2..]
            .find(')')
            .ok_or_else(|| format!("a link without ) in {line:?}"))?;
        let target = &after[close + 2..close + 2 + target_len];
        check_target(target)?;
        spans.push(Span::Link {
            text: after[..close].to_string(),
            target: target.to_string(),
            strong,
        });
        rest = &after[close + 3 + target_len..];
    }
    push_text(spans, rest, strong);
    Ok(())
}

fn push_text(spans: &mut Vec<Span>, text: &str, strong: bool) {
    if text.is_empty() {
        return;
    }
    let text = text.to_string();
    spans.push(if strong {
        Span::Strong { text }
    } else {
        Span::Text { text }
    });
}

fn check_target(target: &str) -> Result<(), String> {
    let ok = match target.split_once(':') {
        Some(("https" | "http", rest)) => rest.starts_with("//") && rest.len() > 3,
        Some(("tel" | "sms", number)) => {
            !number.is_empty()
                && number
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "link target {target:?} is not an http(s) URL or a tel:/sms: number"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_items_headings_and_inline_markup() {
        let blocks = parse(
            "## Now\nCall **911** if life\nis in danger.\n\n- [988](tel:988) call or text\n- [site](https://988lifeline.org)\n\nEnd.",
        )
        .unwrap();
        assert_eq!(blocks.len(), 5);
        assert_eq!(blocks[0].kind, BlockKind::Heading);
        assert_eq!(
            blocks[1].spans,
            vec![
                Span::Text {
                    text: "Call ".into()
                },
                Span::Strong { text: "911".into() },
                Span::Text {
                    text: " if life is in danger.".into()
                },
            ]
        );
        assert_eq!(blocks[2].kind, BlockKind::Item);
        assert_eq!(
            blocks[2].spans[0],
            Span::Link {
                text: "988".into(),
                target: "tel:988".into(),
                strong: false
            }
        );
        assert_eq!(blocks[4].kind, BlockKind::Paragraph);
    }

    #[test]
    fn links_inside_bold_stay_bold() {
        let spans = parse_inline("**Call or text [988](tel:988)** now").unwrap();
        assert_eq!(
            spans,
            vec![
                Span::Strong {
                    text: "Call or text ".into()
                },
                Span::Link {
                    text: "988".into(),
                    target: "tel:988".into(),
                    strong: true
                },
                Span::Text {
                    text: " now".into()
                },
            ]
        );
    }

    #[test]
    fn malformed_markup_is_an_error() {
        assert!(parse("**open").is_err());
        assert!(parse("[text](javascript:alert)").is_err());
        assert!(parse("[text(https://x.org)").is_err());
        assert!(parse("   \n  ").is_err());
    }
}
