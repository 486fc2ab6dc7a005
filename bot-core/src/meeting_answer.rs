//! Answers a meeting question from the configured feeds: the next meetings that fit, or the directories
//! from the seeds when no feed is configured or nothing fits.
//!
//! Only what a meeting publishes about itself is shown: its name, time, place or join link, dial-in line
//! and types. Never notes (they can hold a member's name or phone), never contacts.

use chrono::{DateTime, Datelike as _, Timelike as _};
use meetings::{Catalog, Hit, HitSummary, Relaxation, Tz};

use crate::content::{IntentContent, Listing};
use crate::engine::ChatContext;
use crate::reply::{Block, BlockKind, Span};

/// Entries of `meeting.toml` that frame a list of meetings.
pub const RESULTS_ENTRY: &str = "results";
pub const NO_MATCH_ENTRY: &str = "no-match";
/// The note for each widening step, by entry id.
pub const WIDENED_ENTRIES: [(Relaxation, &str); 4] = [
    (Relaxation::DropTime, "widened-time"),
    (Relaxation::DropDay, "widened-day"),
    (Relaxation::OfferOnline, "widened-online"),
    (Relaxation::DropTypes, "widened-types"),
];

/// Every entry id the meeting answer needs, for validation at load.
pub fn required_entries() -> impl Iterator<Item = &'static str> {
    [RESULTS_ENTRY, NO_MATCH_ENTRY]
        .into_iter()
        .chain(WIDENED_ENTRIES.iter().map(|(_, id)| *id))
}

/// A meeting answer: the entries it used (for the explanation), its blocks and the meetings listed.
pub struct MeetingAnswer {
    pub entries: Vec<usize>,
    pub blocks: Vec<Block>,
    pub meetings: Vec<HitSummary>,
}

/// Searches `catalog` for what `text` asks, widening the query when nothing fits.
pub fn answer(
    file: &IntentContent,
    listing: &Listing,
    catalog: &Catalog,
    text: &str,
    context: &ChatContext,
) -> MeetingAnswer {
    let mut query = catalog.parse_query(text);
    if let Some(location) = context.location {
        query = query.near(location);
    }
    let widened = catalog.search_widening(&query, context.now, context.zone);
    let entry = |id: &str| file.entry_index(id).expect("validated at load");
    if widened.result.hits.is_empty() {
        let no_match = entry(NO_MATCH_ENTRY);
        return MeetingAnswer {
            entries: vec![no_match],
            blocks: file.entries[no_match].blocks.clone(),
            meetings: Vec::new(),
        };
    }

    let results = entry(RESULTS_ENTRY);
    let mut entries = vec![results];
    let mut blocks: Vec<Block> = file.entries[results].heading().into_iter().collect();
    for step in &widened.relaxed {
        if let Some((_, id)) = WIDENED_ENTRIES.iter().find(|(s, _)| s == step) {
            let index = entry(id);
            entries.push(index);
            blocks.extend(file.entries[index].blocks.iter().cloned());
        }
    }
    let show_fellowship = catalog.fellowships().len() > 1;
    blocks.extend(
        widened
            .result
            .hits
            .iter()
            .map(|hit| meeting_item(hit, show_fellowship, listing)),
    );
    let feeds = feeds_line(catalog, &widened.result.hits, listing);
    blocks.extend(
        file.entries[results]
            .blocks
            .iter()
            .map(|b| fill(b, "{feeds}", &feeds)),
    );
    MeetingAnswer {
        entries,
        blocks,
        meetings: widened.result.hits.iter().map(Hit::summary).collect(),
    }
}

/// One meeting on one line: name, when, where or how to join, types, distance.
fn meeting_item(hit: &Hit, show_fellowship: bool, words: &Listing) -> Block {
    let m = &hit.meeting;
    let mut spans = Vec::new();
    let name = match (show_fellowship, m.fellowship) {
        (true, Some(f)) => format!("{} ({})", m.name, f.short_name()),
        _ => m.name.clone(),
    };
    spans.push(Span::Strong { text: name });
    let mut when = format!(": {}", clock(&hit.start, words));
    if let Some(theirs) = hit.start_for_person
        && theirs.naive_local() != hit.start.naive_local()
    {
        when.push_str(&words.your_time.replace("{time}", &clock(&theirs, words)));
    }
    if hit.in_progress {
        when.push_str(&words.in_progress);
    }
    spans.push(Span::Text { text: when });

    if m.attendance.is_in_person() && !m.approximate {
        let address = m.address.as_ref().or(m.city.as_ref());
        // Feeds often repeat the street as the location's name.
        let location = m
            .location
            .as_ref()
            .filter(|l| address.is_none_or(|a| !simplified(a).starts_with(&simplified(l))));
        let place: Vec<&str> = location
            .into_iter()
            .chain(address)
            .map(String::as_str)
            .collect();
        if !place.is_empty() {
            spans.push(Span::Text {
                text: format!(". {}", place.join(", ")),
            });
        }
    }
    if m.attendance.is_online() {
        let label = if m.attendance.is_in_person() {
            &words.hybrid
        } else {
            &words.online
        };
        let link = m
            .conference_url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        let phone = m.conference_phone.as_deref().and_then(dial_target);
        if link.is_some() || phone.is_some() {
            spans.push(Span::Text {
                text: label.clone(),
            });
        }
        if let Some(url) = link {
            spans.push(Span::Link {
                text: words.join_link.clone(),
                target: url.to_string(),
                strong: false,
            });
        }
        if let Some((text, target)) = phone {
            if link.is_some() {
                spans.push(Span::Text {
                    text: words.or_dial.clone(),
                });
            }
            spans.push(Span::Link {
                text,
                target,
                strong: false,
            });
        }
    }
    let mut tail = String::new();
    if !m.types.is_empty() {
        tail.push_str(&format!(". {}", m.types.join(", ")));
    }
    if let Some(km) = hit.distance_km {
        tail.push_str(&words.distance.replace("{km}", &format!("{km:.1}")));
    }
    tail.push('.');
    spans.push(Span::Text { text: tail });
    Block {
        kind: BlockKind::Item,
        spans,
    }
}

/// Lower-case letters and digits only, for comparing names that differ in punctuation.
fn simplified(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// "Tue 7:00 PM PDT" in the Americas, "Tue 19:00 BST" elsewhere.
fn clock(t: &DateTime<Tz>, words: &Listing) -> String {
    let day = &words.weekdays[t.weekday().num_days_from_monday() as usize];
    let zone = t.format("%Z").to_string();
    if t.timezone().name().starts_with("America/") {
        let (pm, hour) = t.hour12();
        format!(
            "{day} {hour}:{:02} {} {zone}",
            t.minute(),
            words.am_pm[usize::from(pm)]
        )
    } else {
        format!("{day} {:02}:{:02} {zone}", t.hour(), t.minute())
    }
}

/// A meeting's dial-in line as link text and a `tel:` target, when it has enough digits to be one.
fn dial_target(phone: &str) -> Option<(String, String)> {
    let number: String = phone
        .split([',', ';', 'x'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let digits = number.chars().filter(char::is_ascii_digit).count();
    (7..=15)
        .contains(&digits)
        .then(|| (phone.trim().to_string(), format!("tel:{number}")))
}

/// "Orange County Intergroup (updated 2024-05-01)" for each feed that a listed meeting came from.
fn feeds_line(catalog: &Catalog, hits: &[Hit], words: &Listing) -> String {
    let mut names: Vec<String> = Vec::new();
    for feed in catalog.feeds() {
        if !hits.iter().any(|h| h.meeting.feed == feed.options.id) {
            continue;
        }
        names.push(match feed.updated {
            Some(date) => words
                .updated
                .replace("{feed}", &feed.options.id)
                .replace("{date}", &date.to_string()),
            None => feed.options.id.clone(),
        });
    }
    names.join(", ")
}

/// The block with `{name}` replaced in its text.
fn fill(block: &Block, name: &str, value: &str) -> Block {
    let spans = block
        .spans
        .iter()
        .map(|span| match span {
            Span::Text { text } => Span::Text {
                text: text.replace(name, value),
            },
            other => other.clone(),
        })
        .collect();
    Block {
        kind: block.kind,
        spans,
    }
}
