//! RFC 3339 timestamps without a date-time dependency.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// The `2026-11-24T02:30:05.` part of the last timestamp written on this thread and
    /// its second: lines come many per second, so the calendar is worked out once each.
    static LAST_SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
}

/// Writes `t` as `2026-11-24T02:30:05.123456Z` (UTC, microseconds).
pub(crate) fn write_rfc3339(t: SystemTime, out: &mut Vec<u8>) {
    let (secs, micros) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs(), d.subsec_micros()),
        Err(_) => (0, 0),
    };
    let date = LAST_SECOND
        .try_with(|last| match last.get() {
            (s, date) if s == secs => date,
            _ => {
                let date = date_to_second(secs);
                last.set((secs, date));
                date
            }
        })
        .unwrap_or_else(|_| date_to_second(secs));
    let mut buf = [0u8; 27];
    buf[..20].copy_from_slice(&date);
    put_micros(&mut buf[20..26], micros);
    buf[26] = b'Z';
    out.extend_from_slice(&buf);
}

/// `2026-11-24T02:30:05.` for `secs` since the epoch.
fn date_to_second(secs: u64) -> [u8; 20] {
    let (y, mo, d, h, mi, s) = civil(secs);
    let mut buf = *b"0000-00-00T00:00:00.";
    put(&mut buf[0..4], y);
    put(&mut buf[5..7], mo);
    put(&mut buf[8..10], d);
    put(&mut buf[11..13], h);
    put(&mut buf[14..16], mi);
    put(&mut buf[17..19], s);
    buf
}

/// Writes `micros` (below 1,000,000) as six digits, two at a time.
fn put_micros(dst: &mut [u8], micros: u32) {
    let pairs = [micros / 10_000 % 100, micros / 100 % 100, micros % 100];
    for (slot, pair) in dst.chunks_exact_mut(2).zip(pairs) {
        slot.copy_from_slice(&super::text::DIGIT_PAIRS[2 * pair as usize..][..2]);
    }
}

/// Splits seconds since the epoch into UTC (year, month, day, hour, minute, second).
///
/// Days to civil date after Howard Hinnant's public-domain `civil_from_days`.
pub(crate) fn civil(secs: u64) -> (u64, u64, u64, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y.clamp(0, 9999) as u64,
        m as u64,
        d as u64,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}

/// Writes `n` as decimal digits right-aligned in `dst`, zero-padded.
fn put(dst: &mut [u8], mut n: u64) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fmt(secs: u64, micros: u32) -> String {
        let mut out = Vec::new();
        let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros.into());
        write_rfc3339(t, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_instants() {
        assert_eq!(fmt(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-24T02:30:05.123456Z
        assert_eq!(fmt(1_795_487_405, 123_456), "2026-11-24T02:30:05.123456Z");
        // Leap day.
        assert_eq!(fmt(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(fmt(4_102_444_799, 999_999), "2099-12-31T23:59:59.999999Z");
    }

    #[test]
    fn the_cached_second_is_only_reused_within_its_second() {
        assert_eq!(fmt(1_795_487_405, 7), "2026-11-24T02:30:05.000007Z");
        assert_eq!(fmt(1_795_487_405, 120_034), "2026-11-24T02:30:05.120034Z");
        assert_eq!(fmt(1_795_487_406, 5), "2026-11-24T02:30:06.000005Z");
        assert_eq!(fmt(1_795_487_405, 999_999), "2026-11-24T02:30:05.999999Z");
        assert_eq!(fmt(0, 0), "1970-01-01T00:00:00.000000Z");
        for micros in [0, 9, 10, 99, 100, 5_050, 10_000, 99_999, 100_000, 909_090] {
            assert_eq!(
                fmt(1_795_487_405, micros),
                format!("2026-11-24T02:30:05.{micros:06}Z")
            );
        }
    }
}
