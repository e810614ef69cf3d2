//! JSON lines: one object per line, flat dotted keys.

use super::text::{write_f64, write_i64, write_ip, write_millis, write_u64};
use super::{write_rfc3339, Format};
use crate::{Record, Value};

/// One JSON object per line, with the record's flat dotted keys.
///
/// Strings are escaped so that any input gives one valid line: quotes, backslashes,
/// control characters, DEL and U+2028/U+2029 are written as escapes (the text of a
/// record is already valid UTF-8: invalid bytes were replaced when it was captured).
///
/// # Example
/// ```
/// use reqlog::format::{Format, JsonLines};
/// use reqlog::Record;
///
/// let mut line = Vec::new();
/// JsonLines.format(&Record::event("app.start").with("note", "a \"quoted\"\nline"), &mut line);
/// let text = String::from_utf8(line).unwrap();
/// assert!(text.ends_with("\"note\":\"a \\\"quoted\\\"\\nline\"}\n"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonLines;

impl Format for JsonLines {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        record.for_each_field(|key, value| {
            if !first {
                out.push(b',');
            }
            first = false;
            write_key(out, key);
            write_value(out, value);
        });
        out.extend_from_slice(b"}\n");
    }

    fn name(&self) -> &'static str {
        "json"
    }
}

/// Writes one value as JSON (for formats that embed JSON, such as logfmt's lists).
pub(crate) fn write_value_to(out: &mut Vec<u8>, value: Value<'_>) {
    write_value(out, value)
}

fn write_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Str(s) => write_str(out, s),
        Value::U64(n) => write_u64(out, n),
        Value::I64(n) => write_i64(out, n),
        Value::F64(n) => {
            if !write_f64(out, n) {
                out.extend_from_slice(b"null");
            }
        }
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Millis(us) => write_millis(out, us),
        Value::Timestamp(t) => {
            out.push(b'"');
            write_rfc3339(t, out);
            out.push(b'"');
        }
        Value::Ip(ip) => {
            out.push(b'"');
            write_ip(out, ip);
            out.push(b'"');
        }
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item.as_value());
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v.as_value());
            }
            out.push(b'}');
        }
    }
}

/// Bytes that need a second look: controls, `"`, `\\`, DEL, and 0xE2 (the first byte of
/// U+2028/U+2029). Everything else is copied in runs.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7f] = true;
    t[0xe2] = true;
    t
};

/// Writes a key that is known to need no escaping: schema keys are constants and free
/// keys are checked to be `[A-Za-z0-9._-]` when they are added.
fn write_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Writes `s` as a JSON string, escaping in runs so plain text is copied in one go.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            // U+2028 and U+2029 (E2 80 A8/A9) end lines in JavaScript.
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8) | Some(0xa9)) =>
            {
                out.extend_from_slice(&bytes[run..i]);
                out.extend_from_slice(if bytes[i + 2] == 0xa8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                run = i;
                continue;
            }
            0xe2 => {
                i += 1;
                continue;
            }
            _ => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ],
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(escape);
        i += 1;
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldValue;

    fn esc(s: &str) -> String {
        let mut o = Vec::new();
        write_str(&mut o, s);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn escapes_everything_that_could_break_a_line() {
        assert_eq!(esc("plain"), "\"plain\"");
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            esc("x\r\ny\t\u{0}\u{1b}\u{7f}"),
            r#""x\r\ny\t\u0000\u001b\u007f""#
        );
        assert_eq!(esc("a\u{2028}b\u{2029}c"), r#""a\u2028b\u2029c""#);
        assert_eq!(esc("é€😀"), "\"é€😀\"");
    }

    #[test]
    fn a_record_is_one_valid_object() {
        let record = Record::event("test")
            .with("s", "line\nbreak \"q\" \u{2028}")
            .with("n", 42u64)
            .with("neg", -3i64)
            .with("f", 0.5)
            .with("nan", f64::NAN)
            .with("b", true)
            .with(
                "list",
                FieldValue::List(vec![FieldValue::Map(vec![("name".into(), "x".into())])]),
            );
        let mut line = Vec::new();
        JsonLines.format(&record, &mut line);
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(line.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["s"], "line\nbreak \"q\" \u{2028}");
        assert_eq!(v["n"], 42);
        assert_eq!(v["neg"], -3);
        assert_eq!(v["f"], 0.5);
        assert!(v["nan"].is_null());
        assert_eq!(v["b"], true);
        assert_eq!(v["list"][0]["name"], "x");
        assert_eq!(v["event.name"], "test");
        assert_eq!(v["level"], "INFO");
    }
}
