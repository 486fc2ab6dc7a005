//! Loading small hand-written feeds, one per quirk seen in real Meeting Guide and BMLT feeds.

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use meetings::{
    Adjustment, Attendance, Feed, FeedFormat, FeedOptions, Fellowship, Meeting, SkipReason,
};

const LA: Tz = chrono_tz::America::Los_Angeles;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn load_with(name: &str, options: FeedOptions) -> Feed {
    Feed::from_json(&fixture(name), options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load(name: &str) -> Feed {
    load_with(name, FeedOptions::new(name, LA))
}

fn by_slug<'a>(feed: &'a Feed, slug: &str) -> &'a Meeting {
    feed.meetings
        .iter()
        .find(|m| m.slug == slug)
        .unwrap_or_else(|| panic!("no meeting {slug} in {:?}", feed.options.id))
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn spec_example_loads_with_english_types() {
    let feed = load("mg_spec_example.json");
    assert_eq!(feed.format, FeedFormat::MeetingGuide);
    assert_eq!(feed.report.loaded, 1);
    let m = &feed.meetings[0];
    assert_eq!(m.day, Weekday::Sun);
    assert_eq!(m.day_number(), 0);
    assert_eq!(m.start, hm(18, 0));
    assert_eq!(m.duration_minutes, 90);
    assert_eq!(m.types, vec!["Open", "Transgender", "LGBTQ"]);
    assert_eq!(m.attendance, Attendance::InPerson);
    assert!(!m.approximate);
    assert_eq!(m.city.as_deref(), Some("Anytown"));
    assert_eq!(m.postal_code.as_deref(), Some("98765"));
    assert_eq!(
        m.address.as_deref(),
        Some("123 Main Street, Anytown, CA, 98765, US")
    );
    assert_eq!(m.location.as_deref(), Some("Alano Club"));
}

#[test]
fn day_as_array_string_or_name() {
    let feed = load("mg_day_forms.json");
    let days: Vec<Weekday> = feed
        .meetings
        .iter()
        .filter(|m| m.slug == "mon-wed-fri")
        .map(|m| m.day)
        .collect();
    assert_eq!(days, vec![Weekday::Mon, Weekday::Wed, Weekday::Fri]);
    assert_eq!(by_slug(&feed, "string-day").day, Weekday::Tue);
    assert_eq!(by_slug(&feed, "named-day").day, Weekday::Sat);
    assert_eq!(feed.report.skipped_for(SkipReason::MissingDay), 2);
    assert_eq!(feed.report.records, 5);
    assert_eq!(feed.report.loaded, 5);
}

#[test]
fn twelve_hour_and_seconds_times() {
    let feed = load("mg_time_forms.json");
    assert_eq!(by_slug(&feed, "pm-time").start, hm(19, 0));
    assert_eq!(by_slug(&feed, "pm-time").duration_minutes, 90);
    assert_eq!(by_slug(&feed, "am-time").start, hm(7, 30));
    assert_eq!(by_slug(&feed, "seconds-time").start, hm(19, 0));
    assert_eq!(by_slug(&feed, "seconds-time").duration_minutes, 60);
    assert_eq!(feed.report.skipped_for(SkipReason::MissingTime), 1);
    assert_eq!(feed.report.skipped_for(SkipReason::InvalidTime), 1);
}

#[test]
fn missing_end_time_is_one_hour() {
    let feed = load("mg_end_time.json");
    assert_eq!(by_slug(&feed, "no-end").duration_minutes, 60);
    assert_eq!(by_slug(&feed, "bad-end").duration_minutes, 60);
    assert_eq!(by_slug(&feed, "past-midnight").duration_minutes, 60);
    assert_eq!(feed.report.adjusted_for(Adjustment::EndTimeAssumed), 2);
}

#[test]
fn missing_timezone_uses_the_feed_default() {
    let feed = load_with(
        "mg_timezones.json",
        FeedOptions::new("tz", chrono_tz::America::Chicago),
    );
    assert_eq!(
        by_slug(&feed, "new-york").timezone,
        chrono_tz::America::New_York
    );
    assert_eq!(
        by_slug(&feed, "no-zone").timezone,
        chrono_tz::America::Chicago
    );
    assert_eq!(
        by_slug(&feed, "bad-zone").timezone,
        chrono_tz::America::Chicago
    );
    assert_eq!(feed.report.adjusted_for(Adjustment::DefaultTimezone), 1);
    assert_eq!(feed.report.adjusted_for(Adjustment::UnknownTimezone), 1);
}

#[test]
fn attendance_is_worked_out_not_trusted() {
    let feed = load("mg_attendance.json");
    assert_eq!(by_slug(&feed, "in-person").attendance, Attendance::InPerson);
    let online = by_slug(&feed, "online");
    assert_eq!(online.attendance, Attendance::Online);
    assert_eq!(online.types, vec!["Open"], "ONL is not a type name");
    assert_eq!(
        online.conference_url_notes.as_deref(),
        Some("Passcode: serenity")
    );
    assert_eq!(by_slug(&feed, "hybrid").attendance, Attendance::Hybrid);
    assert_eq!(by_slug(&feed, "phone-only").attendance, Attendance::Online);
    // A feed's own attendance_option is not trusted: no link means not online.
    assert_eq!(
        by_slug(&feed, "claims-online-without-link").attendance,
        Attendance::InPerson
    );
    // A link that is not a URL does not make a meeting online; with an approximate address it is
    // inactive.
    assert!(
        feed.meetings
            .iter()
            .all(|m| m.slug != "bad-url-approximate")
    );
    assert_eq!(feed.report.skipped_for(SkipReason::Inactive), 1);
    assert_eq!(
        feed.report.adjusted_for(Adjustment::InvalidConferenceUrl),
        1
    );
}

#[test]
fn temporarily_closed_needs_a_link() {
    let feed = load("mg_temporarily_closed.json");
    assert_eq!(feed.report.loaded, 1);
    assert_eq!(feed.report.skipped_for(SkipReason::Inactive), 2);
    let m = by_slug(&feed, "closed-with-link");
    assert_eq!(m.attendance, Attendance::Online);
    assert!(m.temporarily_closed);
}

#[test]
fn address_parts_instead_of_formatted_address() {
    let feed = load("mg_address_parts.json");
    let street = by_slug(&feed, "street-parts");
    assert_eq!(street.attendance, Attendance::InPerson);
    assert_eq!(street.city.as_deref(), Some("Seaside"));
    assert_eq!(street.regions, vec!["Bay County", "Seaside"]);
    let c = street.coordinates.expect("string coordinates are read");
    assert!((c.latitude - 37.93).abs() < 1e-9 && (c.longitude + 122.53).abs() < 1e-9);
    assert_eq!(
        street.address.as_deref(),
        Some("500 Harbor Ave, Seaside, CA, 94999, USA")
    );
    let online = by_slug(&feed, "city-only-online");
    assert!(
        online.approximate,
        "no street address and no pin: approximate"
    );
    assert_eq!(online.attendance, Attendance::Online);
    assert_eq!(online.conference_phone, None, "empty string is no phone");
    let no_pin = by_slug(&feed, "street-no-coordinates");
    assert!(!no_pin.approximate);
    assert_eq!(no_pin.attendance, Attendance::InPerson);
    assert_eq!(no_pin.coordinates, None);
}

#[test]
fn member_contacts_never_reach_the_meeting() {
    let text = fixture("mg_contacts.json");
    let feed = load("mg_contacts.json");
    let m = &feed.meetings[0];
    let json = serde_json::to_string(m).unwrap();
    for secret in [
        "Jane D.",
        "jane.d@example.com",
        "555-555-0199",
        "555-555-0198",
        "group.secretary@example.com",
        "5555550197",
        "webmaster@example.org",
        "pat@example.net",
    ] {
        assert!(text.contains(secret), "fixture should contain {secret}");
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    assert_eq!(m.conference_phone.as_deref(), Some("+15555550102,,222#"));
    assert_eq!(
        m.notes.as_deref(),
        Some("For the basement key email Jane at [email removed] before 6pm.")
    );
    assert_eq!(feed.report.adjusted_for(Adjustment::ContactDropped), 1);
    assert_eq!(feed.report.adjusted_for(Adjustment::EmailRedacted), 2);
}

#[test]
fn unsound_records_are_skipped_and_counted() {
    let feed = load("mg_bad_records.json");
    let r = &feed.report;
    assert_eq!(r.records, 8);
    assert_eq!(r.loaded, 2);
    assert_eq!(r.skipped_for(SkipReason::NotAnObject), 2);
    assert_eq!(r.skipped_for(SkipReason::MissingSlug), 1);
    assert_eq!(r.skipped_for(SkipReason::MissingName), 1);
    assert_eq!(r.skipped_for(SkipReason::InvalidDay), 1);
    assert_eq!(r.skipped_for(SkipReason::DuplicateSlug), 1);
    assert_eq!(r.loaded + r.skipped_total(), r.records);
    assert_eq!(by_slug(&feed, "good").name, "Good One");
    assert_eq!(by_slug(&feed, "17").name, "Numeric Slug");
    println!("mg_bad_records: {r}");
}

#[test]
fn regions_array_or_region_string() {
    let feed = load("mg_regions.json");
    assert_eq!(
        by_slug(&feed, "regions-array").regions,
        vec!["North County", "Hilltop"]
    );
    assert_eq!(
        by_slug(&feed, "region-string").regions,
        vec!["South County"]
    );
    assert_eq!(
        by_slug(&feed, "region-string").city.as_deref(),
        Some("Valley Springs")
    );
}

#[test]
fn clashing_codes_depend_on_the_feed_fellowship() {
    let aa = load_with(
        "na_clash.json",
        FeedOptions::new("aa", LA).with_fellowship(Fellowship::Aa),
    );
    assert_eq!(aa.meetings[0].types, vec!["Big Book", "Slovenian", "Women"]);
    assert_eq!(aa.meetings[0].fellowship, Some(Fellowship::Aa));
    let na = load_with(
        "na_clash.json",
        FeedOptions::new("na", LA).with_fellowship(Fellowship::Na),
    );
    assert_eq!(
        na.meetings[0].types,
        vec!["Beginners", "American Sign Language", "Women"]
    );
    assert_eq!(na.meetings[0].type_codes, vec!["B", "SL", "W", "XYZ"]);
    assert_eq!(na.report.adjusted_for(Adjustment::UnknownTypeCode), 1);
}

#[test]
fn bmlt_bare_array() {
    let feed = load_with(
        "bmlt_bare.json",
        FeedOptions::new("bmlt", chrono_tz::America::New_York),
    );
    assert_eq!(feed.format, FeedFormat::Bmlt);
    let r = &feed.report;
    println!("bmlt_bare: {r}");
    assert_eq!(r.records, 6);
    assert_eq!(r.loaded, 3);
    assert_eq!(r.skipped_for(SkipReason::Inactive), 1);
    assert_eq!(r.skipped_for(SkipReason::Unpublished), 1);
    assert_eq!(r.skipped_for(SkipReason::InvalidDay), 1);

    let sunday = by_slug(&feed, "bmlt-3-101");
    assert_eq!(sunday.day, Weekday::Sun, "weekday_tinyint 1 is Sunday");
    assert_eq!(sunday.start, hm(19, 0));
    assert_eq!(sunday.duration_minutes, 90);
    assert_eq!(sunday.attendance, Attendance::InPerson);
    assert_eq!(sunday.timezone, chrono_tz::America::New_York);
    assert_eq!(
        sunday.types,
        vec!["Open", "Basic Text", "Beginners", "Wheelchair Access"]
    );
    assert_eq!(sunday.city.as_deref(), Some("Seatown"));
    assert_eq!(sunday.postal_code.as_deref(), Some("19900"));
    assert_eq!(sunday.regions, vec!["Sussex"]);
    assert_eq!(sunday.notes.as_deref(), Some("Side door"));
    let json = serde_json::to_string(sunday).unwrap();
    assert!(
        !json.contains("Sam") && !json.contains("sam@example.com") && !json.contains("555-0100")
    );
    assert_eq!(r.adjusted_for(Adjustment::ContactDropped), 1);

    let virtual_meeting = by_slug(&feed, "bmlt-102");
    assert_eq!(virtual_meeting.day, Weekday::Wed);
    assert_eq!(virtual_meeting.attendance, Attendance::Online);
    assert_eq!(virtual_meeting.types, vec!["Closed", "Just for Today"]);

    let hybrid = by_slug(&feed, "bmlt-103");
    assert_eq!(hybrid.day, Weekday::Sat);
    assert_eq!(hybrid.attendance, Attendance::Hybrid);
    assert_eq!(hybrid.duration_minutes, 60, "zero duration means default");
}

#[test]
fn bmlt_envelope_uses_its_format_names() {
    let feed = load_with(
        "bmlt_envelope.json",
        FeedOptions::new("env", chrono_tz::America::New_York),
    );
    assert_eq!(feed.format, FeedFormat::Bmlt);
    assert_eq!(feed.report.loaded, 1);
    let m = &feed.meetings[0];
    assert_eq!(m.day, Weekday::Tue);
    assert_eq!(m.types, vec!["Open", "Custom Local Format", "Speaker"]);
}
