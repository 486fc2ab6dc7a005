//! Reading the times and days that feeds write in many ways: `"19:00"`, `"7:00 PM"`, `"19:00:00"`,
//! `"noon"`, day numbers, day names.

use chrono::{NaiveTime, Weekday};

/// Reads a clock time: `"19:00"`, `"7:00"`, `"19:00:00"`, `"7:00 PM"`, `"7pm"`, `"7.30 p.m."`,
/// `"noon"`, `"midnight"`. `"24:00"` is read as midnight. Returns `None` for anything else.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let lower = text.trim().to_lowercase();
    match lower.as_str() {
        "noon" | "midday" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let (digits, meridiem) = if let Some(rest) = strip_meridiem(&compact, "am") {
        (rest, Some(false))
    } else if let Some(rest) = strip_meridiem(&compact, "pm") {
        (rest, Some(true))
    } else {
        (compact.as_str(), None)
    };
    let mut parts = digits.split([':', '.']);
    let hour: u32 = parse_number(parts.next()?, 2)?;
    let minute: u32 = match parts.next() {
        Some(m) if m.len() == 2 => parse_number(m, 2)?,
        Some(_) => return None,
        None if meridiem.is_some() => 0,
        None => return None,
    };
    let second: u32 = match parts.next() {
        Some(s) if s.len() == 2 => parse_number(s, 2)?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match meridiem {
        Some(pm) => to_24_hour(hour, pm)?,
        None if hour == 24 && minute == 0 && second == 0 => 0,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

fn strip_meridiem<'a>(text: &'a str, which: &str) -> Option<&'a str> {
    let dotted = format!("{}.{}.", &which[..1], &which[1..]);
    text.strip_suffix(which)
        .or_else(|| text.strip_suffix(dotted.as_str()))
        .filter(|rest| !rest.is_empty())
}

fn parse_number(text: &str, max_len: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// 12-hour clock to 24-hour: 12 am is 0, 12 pm is 12.
pub(crate) fn to_24_hour(hour: u32, pm: bool) -> Option<u32> {
    match (hour, pm) {
        (1..=11, false) => Some(hour),
        (12, false) => Some(0),
        (1..=11, true) => Some(hour + 12),
        (12, true) => Some(12),
        _ => None,
    }
}

/// Reads a BMLT duration `"HH:MM:SS"` or `"HH:MM"` as minutes; `None` if unreadable or zero.
pub fn parse_duration_minutes(text: &str) -> Option<u32> {
    let mut parts = text.trim().split(':');
    let hours: u32 = parse_number(parts.next()?, 2)?;
    let minutes: u32 = parse_number(parts.next()?, 2)?;
    if let Some(seconds) = parts.next() {
        parse_number(seconds, 2)?;
    }
    let total = hours * 60 + minutes;
    (total > 0 && minutes < 60 && parts.next().is_none()).then_some(total)
}

/// Minutes from `start` to `end`, wrapping past midnight; `None` when they are equal.
pub fn minutes_between(start: NaiveTime, end: NaiveTime) -> Option<u32> {
    let diff = (end - start).num_minutes().rem_euclid(24 * 60);
    u32::try_from(diff).ok().filter(|m| *m > 0)
}

/// Weekday from a Meeting Guide day number (0 = Sunday ... 6 = Saturday).
pub fn weekday_from_sunday0(n: i64) -> Option<Weekday> {
    match n {
        0 => Some(Weekday::Sun),
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        _ => None,
    }
}

/// Weekday from an English name or common abbreviation ("monday", "Mon", "thurs"), any case.
pub fn weekday_from_name(name: &str) -> Option<Weekday> {
    let lower = name.trim().to_lowercase();
    let day = match lower.as_str() {
        "sunday" | "sun" => Weekday::Sun,
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" | "weds" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        // Spanish, with and without accents.
        "domingo" => Weekday::Sun,
        "lunes" => Weekday::Mon,
        "martes" => Weekday::Tue,
        "miercoles" | "miércoles" => Weekday::Wed,
        "jueves" => Weekday::Thu,
        "viernes" => Weekday::Fri,
        "sabado" | "sábado" => Weekday::Sat,
        _ => return None,
    };
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn twenty_four_hour_forms() {
        assert_eq!(parse_time("19:00"), t(19, 0));
        assert_eq!(parse_time("7:05"), t(7, 5));
        assert_eq!(parse_time(" 19:00:00 "), t(19, 0));
        assert_eq!(parse_time("00:00"), t(0, 0));
        assert_eq!(parse_time("24:00"), t(0, 0));
    }

    #[test]
    fn twelve_hour_forms() {
        assert_eq!(parse_time("7:00 PM"), t(19, 0));
        assert_eq!(parse_time("7:30pm"), t(19, 30));
        assert_eq!(parse_time("7 pm"), t(19, 0));
        assert_eq!(parse_time("12:00 AM"), t(0, 0));
        assert_eq!(parse_time("12:15 pm"), t(12, 15));
        assert_eq!(parse_time("7.30 p.m."), t(19, 30));
        assert_eq!(parse_time("6:45 a.m."), t(6, 45));
        assert_eq!(parse_time("Noon"), t(12, 0));
        assert_eq!(parse_time("midnight"), t(0, 0));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "pm",
            "25:00",
            "7",
            "7:5",
            "19:60",
            "13:00 pm",
            "0 am",
            "abc",
            "1:2:3:4",
            "19-00",
            "１９:００",
            "7:00 XM",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_minutes("01:00:00"), Some(60));
        assert_eq!(parse_duration_minutes("1:30"), Some(90));
        assert_eq!(parse_duration_minutes("00:00:00"), None);
        assert_eq!(parse_duration_minutes("x"), None);
        assert_eq!(parse_duration_minutes("01:75:00"), None);
    }

    #[test]
    fn minutes_between_wraps_midnight() {
        assert_eq!(
            minutes_between(t(19, 0).unwrap(), t(20, 30).unwrap()),
            Some(90)
        );
        assert_eq!(
            minutes_between(t(23, 30).unwrap(), t(0, 30).unwrap()),
            Some(60)
        );
        assert_eq!(minutes_between(t(8, 0).unwrap(), t(8, 0).unwrap()), None);
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday_from_sunday0(0), Some(Weekday::Sun));
        assert_eq!(weekday_from_sunday0(6), Some(Weekday::Sat));
        assert_eq!(weekday_from_sunday0(7), None);
        assert_eq!(weekday_from_sunday0(-1), None);
        assert_eq!(weekday_from_name("Thurs"), Some(Weekday::Thu));
        assert_eq!(weekday_from_name("SUNDAY"), Some(Weekday::Sun));
        assert_eq!(weekday_from_name("someday"), None);
    }
}
