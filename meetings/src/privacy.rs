//! Anonymity: the fields and text a meeting must not carry.
//!
//! Meeting Guide feeds may list members as contacts (`contact_1_name`, `contact_1_email`,
//! `contact_1_phone`, ...) and TSML adds `email`, `phone` and `author`; BMLT has `contact_name_1` and
//! so on. None of these is ever copied into a [`Meeting`](crate::Meeting). Free-text notes are kept,
//! minus any email address in them.

/// Whether a feed field holds a person's contact details (never kept).
pub fn is_contact_field(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("contact_")
        || matches!(key.as_str(), "email" | "phone" | "author" | "last_contact")
        || key.starts_with("email_contact")
}

/// `text` with every email address replaced by `[email removed]`, and whether anything was removed.
pub fn redact_emails(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let space = &piece[word.len()..];
        let core = word.trim_matches(|c: char| !(c.is_alphanumeric()));
        if looks_like_email(core) {
            let start = word.find(core).unwrap_or(0);
            out.push_str(&word[..start]);
            out.push_str("[email removed]");
            out.push_str(&word[start + core.len()..]);
            changed = true;
        } else {
            out.push_str(word);
        }
        out.push_str(space);
    }
    (out, changed)
}

fn looks_like_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c));
    let domain_ok = domain
        .chars()
        .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields() {
        for key in [
            "contact_1_name",
            "contact_2_email",
            "Contact_3_Phone",
            "contact_name_1",
            "contact_email_1",
            "contact_phone_2",
            "email",
            "phone",
            "author",
        ] {
            assert!(is_contact_field(key), "{key}");
        }
        for key in [
            "conference_phone",
            "entity_email",
            "name",
            "location",
            "notes",
        ] {
            assert!(!is_contact_field(key), "{key}");
        }
    }

    #[test]
    fn redacts_emails_and_keeps_the_rest() {
        let (out, changed) = redact_emails("Please email Sam R. for password sam.r@example.org.");
        assert!(changed);
        assert_eq!(out, "Please email Sam R. for password [email removed].");
        let (out, changed) = redact_emails("(x@y.co)\nline two");
        assert!(changed);
        assert_eq!(out, "([email removed])\nline two");
    }

    #[test]
    fn leaves_non_emails_alone() {
        for text in [
            "PCH @ 1st Street",
            "Meeting ID: 843 805 8634 Password: Recovery",
            "https://www.google.com/maps/place/x/@33.54,-117.79,17z",
            "@AAGroupName",
            "",
            "ünïcödé text — fine",
        ] {
            let (out, changed) = redact_emails(text);
            assert!(!changed, "{text}");
            assert_eq!(out, text);
        }
    }
}
