//! The message, built on the request's thread: header, then the record in the message
//! format, as one `\n`-terminated line for the queue (the transport sends each line as
//! one message, without the newline).

use std::sync::Arc;

use super::{Facility, Protocol};
use crate::format::{write_rfc3339, Format};
use crate::{Level, Record};

/// Ends a message that was cut (the crate's marker for cut text).
pub(super) const MARKER: &[u8] = "…[truncated]".as_bytes();

/// RFC 5424 §6: longest `HOSTNAME`, `APP-NAME`, `PROCID`, `MSGID`.
const HOSTNAME_MAX: usize = 255;
const APP_NAME_MAX: usize = 48;
const PROCID_MAX: usize = 128;
const MSGID_MAX: usize = 32;

/// The settings of the header, before its fixed part is built.
pub(super) struct MessageFormat {
    pub(super) inner: Arc<dyn Format>,
    pub(super) protocol: Protocol,
    pub(super) facility: Facility,
    pub(super) hostname: String,
    pub(super) app_name: String,
    pub(super) procid: String,
    pub(super) max_len: usize,
}

/// The [`Format`] the queue uses: header + `MSG` + `\n`.
pub(super) struct Message {
    inner: Arc<dyn Format>,
    protocol: Protocol,
    facility: Facility,
    /// The part of the header that is the same for every record, sanitised once:
    /// RFC 5424 ` HOSTNAME APP-NAME PROCID `, local `APP-NAME[PROCID]: `.
    fixed: Vec<u8>,
    max_len: usize,
}

impl MessageFormat {
    pub(super) fn build(self) -> Message {
        let mut fixed = Vec::with_capacity(64);
        match self.protocol {
            Protocol::Rfc5424 => {
                fixed.push(b' ');
                push_sanitized(&mut fixed, &self.hostname, HOSTNAME_MAX, b"");
                fixed.push(b' ');
                push_sanitized(&mut fixed, &self.app_name, APP_NAME_MAX, b"");
                fixed.push(b' ');
                push_sanitized(&mut fixed, &self.procid, PROCID_MAX, b"");
                fixed.push(b' ');
            }
            Protocol::Local => {
                // The tag ends at `[`, `:` or a space for the daemons that parse it.
                push_sanitized(&mut fixed, &self.app_name, APP_NAME_MAX, b"[]:");
                fixed.push(b'[');
                push_sanitized(&mut fixed, &self.procid, PROCID_MAX, b"[]:");
                fixed.extend_from_slice(b"]: ");
            }
        }
        Message {
            inner: self.inner,
            protocol: self.protocol,
            facility: self.facility,
            fixed,
            max_len: self.max_len,
        }
    }
}

impl Format for Message {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        let start = out.len();
        write_pri(out, pri(self.facility, record.level()));
        match self.protocol {
            Protocol::Rfc5424 => {
                out.extend_from_slice(b"1 ");
                write_rfc3339(record.timestamp(), out);
                out.extend_from_slice(&self.fixed);
                push_sanitized(out, record.event_name(), MSGID_MAX, b"");
                out.extend_from_slice(b" - ");
            }
            Protocol::Local => out.extend_from_slice(&self.fixed),
        }
        let msg = out.len();
        self.inner.format(record, out);
        if out.len() == msg {
            // No form for this record in the message format: no message.
            out.truncate(start);
            return;
        }
        if out.last() == Some(&b'\n') {
            out.pop();
        }
        // One record, one message: the transport splits the queue on newlines, and the
        // built-in formats escape them, so only a custom format could leave one here.
        for b in &mut out[msg..] {
            if *b == b'\n' {
                *b = b' ';
            }
        }
        truncate(out, start, msg, self.max_len);
        out.push(b'\n');
    }

    fn name(&self) -> &'static str {
        match self.protocol {
            Protocol::Rfc5424 => "rfc5424",
            Protocol::Local => "local",
        }
    }
}

/// RFC 5424 §6.2.1: facility × 8 + severity.
pub(super) fn pri(facility: Facility, level: Level) -> u8 {
    facility.code() * 8 + severity(level)
}

/// The RFC 5424 severity of a record's level.
pub(super) fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug => 7,
    }
}

fn write_pri(out: &mut Vec<u8>, pri: u8) {
    out.push(b'<');
    if pri >= 100 {
        out.push(b'0' + pri / 100);
    }
    if pri >= 10 {
        out.push(b'0' + pri / 10 % 10);
    }
    out.push(b'0' + pri % 10);
    out.push(b'>');
}

/// Appends `s` keeping printable US-ASCII (`!`..=`~`) except `reserved`; any other
/// character becomes one `_`. At most `max` bytes; an empty result is `-` (nil).
pub(super) fn push_sanitized(out: &mut Vec<u8>, s: &str, max: usize, reserved: &[u8]) {
    let start = out.len();
    for c in s.chars().take(max) {
        let keep = c.is_ascii_graphic() && !reserved.contains(&(c as u8));
        out.push(if keep { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// Cuts the message in `out[start..]` to at most `max` bytes, ending in [`MARKER`],
/// at a UTF-8 boundary and never before `floor` (the end of the header).
pub(super) fn truncate(out: &mut Vec<u8>, start: usize, floor: usize, max: usize) {
    if out.len() - start <= max {
        return;
    }
    let limit = (start + max).saturating_sub(MARKER.len()).max(floor);
    let cut = char_boundary(out, limit, floor);
    out.truncate(cut);
    out.extend_from_slice(MARKER);
}

/// The largest index `<= at` (and `>= floor`) that does not split a UTF-8 character.
pub(super) fn char_boundary(bytes: &[u8], at: usize, floor: usize) -> usize {
    let mut cut = at.min(bytes.len());
    while cut > floor && bytes.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::JsonLines;
    use std::time::{Duration, UNIX_EPOCH};

    fn message(protocol: Protocol, max_len: usize) -> Message {
        MessageFormat {
            inner: Arc::new(JsonLines::new()),
            protocol,
            facility: Facility::Local0,
            hostname: "web 1".into(),
            app_name: "shop:é".into(),
            procid: "4242".into(),
            max_len,
        }
        .build()
    }

    fn line(m: &Message, record: &Record) -> String {
        let mut out = b"previous\n".to_vec();
        m.format(record, &mut out);
        let text = String::from_utf8(out).unwrap();
        text.strip_prefix("previous\n").unwrap().to_owned()
    }

    fn record(level: Level) -> Record {
        let mut r = Record::event("http.request").with("note", "x");
        r.set_level(level);
        r.set_timestamp(UNIX_EPOCH + Duration::from_micros(1_795_487_405_123_456));
        r
    }

    #[test]
    fn pri_is_facility_times_eight_plus_severity() {
        assert_eq!(severity(Level::Error), 3);
        assert_eq!(severity(Level::Warn), 4);
        assert_eq!(severity(Level::Info), 6);
        assert_eq!(severity(Level::Debug), 7);
        assert_eq!(pri(Facility::User, Level::Info), 14);
        assert_eq!(pri(Facility::Local0, Level::Error), 131);
        assert_eq!(pri(Facility::Local7, Level::Debug), 191);
        for (p, text) in [(0, "<0>"), (9, "<9>"), (14, "<14>"), (191, "<191>")] {
            let mut out = Vec::new();
            write_pri(&mut out, p);
            assert_eq!(out, text.as_bytes());
        }
    }

    #[test]
    fn rfc5424_header_then_json() {
        let m = message(Protocol::Rfc5424, 8192);
        assert_eq!(
            line(&m, &record(Level::Warn)),
            "<132>1 2026-11-24T02:30:05.123456Z web_1 shop:_ 4242 http.request - \
             {\"timestamp\":\"2026-11-24T02:30:05.123456Z\",\"level\":\"WARN\",\
             \"otel.event.name\":\"http.request\",\"note\":\"x\"}\n"
        );
        assert_eq!(m.name(), "rfc5424");
    }

    #[test]
    fn local_header_is_what_syslog3_writes() {
        let m = message(Protocol::Local, 8192);
        let text = line(&m, &record(Level::Info));
        assert!(
            text.starts_with("<134>shop__[4242]: {\"timestamp\""),
            "{text}"
        );
        assert!(text.ends_with("\"note\":\"x\"}\n"));
    }

    #[test]
    fn header_fields_are_sanitised_and_capped() {
        let mut out = Vec::new();
        push_sanitized(&mut out, "a b\tc\u{7f}é€😀~!", 100, b"");
        assert_eq!(out, b"a_b_c____~!");
        out.clear();
        push_sanitized(&mut out, "", 10, b"");
        assert_eq!(out, b"-");
        out.clear();
        push_sanitized(&mut out, &"h".repeat(300), HOSTNAME_MAX, b"");
        assert_eq!(out.len(), 255);
        out.clear();
        push_sanitized(&mut out, "app[1]:x", APP_NAME_MAX, b"[]:");
        assert_eq!(out, b"app_1__x");
        let m = MessageFormat {
            inner: Arc::new(JsonLines::new()),
            protocol: Protocol::Rfc5424,
            facility: Facility::User,
            hostname: "h".repeat(300),
            app_name: "a".repeat(60),
            procid: "p".repeat(200),
            max_len: 1 << 20,
        }
        .build();
        let text = line(&m, &record(Level::Info));
        let fields: Vec<&str> = text.split(' ').collect();
        assert_eq!(fields[2].len(), 255);
        assert_eq!(fields[3].len(), 48);
        assert_eq!(fields[4].len(), 128);
    }

    #[test]
    fn msgid_is_the_event_name_capped_at_32() {
        let m = message(Protocol::Rfc5424, 8192);
        let mut r = Record::event("a.very.long.event.name.beyond.thirty.two");
        r.set_timestamp(UNIX_EPOCH);
        let text = line(&m, &r);
        assert_eq!(
            text.split(' ').nth(5),
            Some("a.very.long.event.name.beyond.th")
        );
    }

    #[test]
    fn long_messages_are_cut_at_a_char_boundary_with_a_marker() {
        let m = message(Protocol::Rfc5424, 500);
        let r = record(Level::Info).with("note", "é".repeat(1000));
        for max in [500, 501, 502, 503] {
            let m = Message {
                max_len: max,
                ..message(Protocol::Rfc5424, max)
            };
            let text = line(&m, &r);
            let msg = text.strip_suffix('\n').unwrap();
            assert!(
                msg.len() <= max && msg.len() >= max - 1,
                "{max}: {}",
                msg.len()
            );
            assert!(msg.ends_with("é…[truncated]"), "{msg}");
        }
        // Short enough: untouched.
        let text = line(&m, &record(Level::Info));
        assert!(!text.contains("truncated"));
    }

    #[test]
    fn the_header_is_never_cut() {
        let mut out = b"<14>1 header - 0123456789".to_vec();
        truncate(&mut out, 0, 15, 5);
        assert_eq!(out, [&b"<14>1 header - "[..], MARKER].concat());
        assert_eq!(char_boundary("aé".as_bytes(), 2, 0), 1);
        assert_eq!(char_boundary("aé".as_bytes(), 3, 0), 3);
        assert_eq!(char_boundary("😀".as_bytes(), 3, 0), 0);
        assert_eq!(char_boundary("😀".as_bytes(), 3, 2), 2);
    }

    /// A format that writes a newline inside its line, and one that writes nothing.
    struct Broken;
    impl Format for Broken {
        fn format(&self, record: &Record, out: &mut Vec<u8>) {
            if record.event_name() != "skip" {
                out.extend_from_slice(b"two\nlines\n");
            }
        }
    }

    #[test]
    fn one_record_is_one_message_whatever_the_format() {
        let m = MessageFormat {
            inner: Arc::new(Broken),
            ..MessageFormat {
                inner: Arc::new(JsonLines::new()),
                protocol: Protocol::Local,
                facility: Facility::User,
                hostname: "-".into(),
                app_name: "a".into(),
                procid: "1".into(),
                max_len: 8192,
            }
        }
        .build();
        assert_eq!(line(&m, &record(Level::Info)), "<14>a[1]: two lines\n");
        assert_eq!(line(&m, &Record::event("skip")), "");
    }
}
