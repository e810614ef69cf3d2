//! Instants as the report keeps them: microseconds since the Unix epoch, UTC.
//!
//! Parses the RFC 3339 timestamps of JSON and logfmt lines, the `combined` format's
//! `24/Nov/2026:02:30:05 +0000`, and the `--since`/`--until` arguments, without a
//! date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since 1970-01-01T00:00:00Z.
pub(crate) type Micros = i64;

/// One second in [`Micros`].
pub(crate) const SECOND: Micros = 1_000_000;

/// Days since 1970-01-01 of a Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Gregorian date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // In range by construction: day 1..=31, month 1..=12.
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The value of ASCII digits, `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    Some(n)
}

/// Builds an instant from checked calendar fields (years 1970 to 9999).
fn instant(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: u32) -> Option<Micros> {
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    Some(secs * SECOND + i64::from(micros))
}

/// `Z`, `+HH:MM`, `-HHMM` or `+HH` as seconds east of UTC.
fn offset(b: &[u8]) -> Option<i64> {
    match b {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// Parses `2026-11-24T02:30:05.123456Z` (any fraction, `Z` or an offset; `T`, `t` or a
/// space between date and time).
pub(crate) fn parse_rfc3339(b: &[u8]) -> Option<Micros> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut micros = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Microseconds from the first six digits; further digits are dropped.
        for i in 0..6 {
            micros = micros * 10
                + tail
                    .get(i)
                    .filter(|_| i < n)
                    .map_or(0, |c| u32::from(c - b'0'));
        }
        rest = &tail[n..];
    }
    let utc = instant(y, mo, d, h, mi, s, micros)?;
    Some(utc - offset(rest)? * SECOND)
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses the `combined` format's `24/Nov/2026:02:30:05 +0000`.
pub(crate) fn parse_clf(b: &[u8]) -> Option<Micros> {
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let mo = MONTHS.iter().position(|m| m[..] == b[3..6])? as u32 + 1;
    let (d, y) = (digits(&b[0..2])?, digits(&b[7..11])?);
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let (h, mi, s) = (
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
    );
    let utc = instant(y, mo, d, h, mi, s, 0)?;
    Some(utc - offset(&b[21..])? * SECOND)
}

/// Parses a `--since`/`--until` argument, with `now` and the local time zone `tz` for
/// the forms that need them:
///
/// - RFC 3339 with an offset: `2026-11-24T08:00:00Z`, `2026-11-24T09:00:00+01:00`;
/// - a date alone: `2026-11-24`, midnight UTC (as logs are in UTC);
/// - a local date and time, without an offset: `2026-11-24 08:00`,
///   `2026-11-24T08:00:30`, in `tz`;
/// - a span back from `now`: `90s`, `30m`, `2h`, `1d`, `1w`, `1h30m`, `2 days`, `P1D`
///   (a day is a calendar day in `tz`).
///
/// Dates that do not exist (31 February, 25:00) are errors, never rolled over.
pub(crate) fn parse_arg(
    arg: &str,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<Micros, String> {
    use jiff::civil::{Date, DateTime};
    use jiff::{Span, Timestamp};

    let arg = arg.trim();
    if let Ok(t) = arg.parse::<Timestamp>() {
        return Ok(t.as_microsecond());
    }
    let looks_like_a_date = arg.len() >= 10 && arg.as_bytes()[4] == b'-';
    if arg.len() == 10 && looks_like_a_date {
        return arg
            .parse::<Date>()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|z| z.timestamp().as_microsecond())
            .map_err(|e| format!("`{arg}` is not a valid date: {e}"));
    }
    if looks_like_a_date {
        return arg
            .parse::<DateTime>()
            .and_then(|dt| dt.to_zoned(tz.clone()))
            .map(|z| z.timestamp().as_microsecond())
            .map_err(|e| format!("`{arg}` is not a valid time: {e}"));
    }
    if let Ok(span) = arg.parse::<Span>() {
        if span.is_negative() {
            return Err(format!(
                "`{arg}` is a negative span: give how long ago, like 2h"
            ));
        }
        return now
            .to_zoned(tz.clone())
            .checked_sub(span)
            .map(|z| z.timestamp().as_microsecond())
            .map_err(|e| format!("`{arg}` reaches too far back: {e}"));
    }
    Err(format!(
        "`{arg}` is not a time: use RFC 3339 (2026-11-24T00:00:00Z), a date (2026-11-24, \
         UTC), a local time (2026-11-24 08:00) or a span before now (30m, 2h, 1d, 1w)"
    ))
}

/// A `SystemTime` as [`Micros`] (clamped to the epoch and to `i64`).
pub(crate) fn to_micros(t: SystemTime) -> Micros {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// `2026-11-24 02:30:05` (UTC) for people; `seconds: false` drops the seconds.
pub(crate) fn format(t: Micros, seconds: bool) -> String {
    let s = rfc3339(t);
    // `2026-11-24T02:30:05.123456Z`: date, space, time.
    let end = if seconds { 19 } else { 16 };
    format!("{} {}", &s[..10], &s[11..end])
}

/// `2026-11-24T02:30:05Z`, for machines.
pub(crate) fn rfc3339(t: Micros) -> String {
    let secs = t.max(0).div_euclid(SECOND);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A span for people: `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`.
pub(crate) fn span(micros: Micros) -> String {
    let s = micros.max(0) / SECOND;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Micros = 1_795_487_405 * SECOND; // 2026-11-24T02:30:05Z

    #[test]
    fn rfc3339_forms() {
        assert_eq!(parse_rfc3339(b"2026-11-24T02:30:05Z"), Some(T));
        assert_eq!(
            parse_rfc3339(b"2026-11-24T02:30:05.123456Z"),
            Some(T + 123_456)
        );
        assert_eq!(parse_rfc3339(b"2026-11-24T02:30:05.1Z"), Some(T + 100_000));
        assert_eq!(
            parse_rfc3339(b"2026-11-24T02:30:05.123456789Z"),
            Some(T + 123_456)
        );
        assert_eq!(parse_rfc3339(b"2026-11-24T03:30:05+01:00"), Some(T));
        assert_eq!(parse_rfc3339(b"2026-11-24 01:30:05-0100"), Some(T));
        assert_eq!(
            parse_rfc3339(b"2000-02-29T00:00:00Z"),
            Some(951_782_400 * SECOND)
        );
        for bad in [
            &b"2026-11-24T02:30:05"[..],
            b"2026-13-24T02:30:05Z",
            b"2026-11-24T02:30:05.Z",
            b"2026-11-24T02:30:05Zjunk",
            b"1969-12-31T23:59:59Z",
            b"",
            b"2026-11-24T02:3x:05Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn clf_time() {
        assert_eq!(parse_clf(b"24/Nov/2026:02:30:05 +0000"), Some(T));
        assert_eq!(parse_clf(b"24/Nov/2026:04:30:05 +0200"), Some(T));
        assert_eq!(parse_clf(b"24/Now/2026:02:30:05 +0000"), None);
        assert_eq!(parse_clf(b"24/Nov/2026:02:30:05"), None);
    }

    #[test]
    fn arguments() {
        use jiff::tz::{Offset, TimeZone};
        let now = jiff::Timestamp::from_microsecond(T).unwrap();
        let utc = TimeZone::UTC;
        let p = |arg| parse_arg(arg, now, &utc);
        assert_eq!(p("2026-11-24T02:30:05Z"), Ok(T));
        assert_eq!(p("2026-11-24T03:30:05+01:00"), Ok(T));
        assert_eq!(p("2026-11-24"), Ok(T - (2 * 3600 + 30 * 60 + 5) * SECOND));
        assert_eq!(p("1h"), Ok(T - 3600 * SECOND));
        assert_eq!(p("2h"), Ok(T - 2 * 3600 * SECOND));
        assert_eq!(p("30m"), Ok(T - 1800 * SECOND));
        assert_eq!(p("90s"), Ok(T - 90 * SECOND));
        assert_eq!(p("1d"), Ok(T - 86_400 * SECOND));
        assert_eq!(p("2d"), Ok(T - 2 * 86_400 * SECOND));
        assert_eq!(p("1w"), Ok(T - 7 * 86_400 * SECOND));
        assert_eq!(p("1h30m"), Ok(T - 5400 * SECOND));
        assert!(p("h").is_err());
        assert!(p("yesterday").unwrap_err().contains("is not a time"));
        assert!(p("-1h").is_err());
        // Local times are read in the given zone: 03:30:05 at UTC+1 is T.
        let plus_one = TimeZone::fixed(Offset::constant(1));
        assert_eq!(parse_arg("2026-11-24 03:30:05", now, &plus_one), Ok(T));
        assert_eq!(parse_arg("2026-11-24T03:30:05", now, &plus_one), Ok(T));
        assert_eq!(p("2026-11-24 02:30"), Ok(T - 5 * SECOND));
        // A day is a calendar day of the zone.
        let one_day_back = parse_arg("1d", now, &plus_one).unwrap();
        assert_eq!(one_day_back, T - 86_400 * SECOND);
        // Dates that do not exist are errors, in every form.
        for bad in [
            "2026-02-31",
            "2026-02-31T00:00:00Z",
            "2026-02-31 08:00",
            "2026-11-24 25:00",
            "2026-13-01",
        ] {
            let e = p(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn days_round_trip() {
        for days in [-719_468, -1, 0, 59, 365, 11_016, 20_781, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn formatting() {
        assert_eq!(format(T + 5, true), "2026-11-24 02:30:05");
        assert_eq!(format(T, false), "2026-11-24 02:30");
        assert_eq!(rfc3339(T + 999_999), "2026-11-24T02:30:05Z");
        assert_eq!(span(45 * SECOND), "45 s");
        assert_eq!(span(3 * 3600 * SECOND + 20 * 60 * SECOND), "3 h 20 min");
    }
}
