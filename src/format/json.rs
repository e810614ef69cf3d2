//! JSON lines: one object per line, flat dotted keys.

use super::text::{write_f64, write_i64, write_ip, write_millis, write_u64};
use std::sync::Arc;

use super::{write_rfc3339, Format, Schema};
use crate::record::{FieldKey, VisitField};
use crate::{Record, Value};

/// One JSON object per line, with the record's flat dotted keys.
///
/// Strings are escaped so that any input gives one valid line: quotes, backslashes,
/// control characters, DEL and U+2028/U+2029 are written as escapes (the text of a
/// record is already valid UTF-8: invalid bytes were replaced when it was captured).
///
/// The keys are OpenTelemetry's by default; [`JsonLines::schema`] picks the Elastic
/// Common Schema or Google Cloud Logging's structured form instead (see [`Schema`]).
///
/// # Example
/// ```
/// use reqlog::format::{Format, JsonLines};
/// use reqlog::Record;
///
/// let mut line = Vec::new();
/// JsonLines::new().format(&Record::event("reqlog.start").with("note", "a \"quoted\"\nline"), &mut line);
/// let text = String::from_utf8(line).unwrap();
/// assert!(text.ends_with("\"note\":\"a \\\"quoted\\\"\\nline\"}\n"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct JsonLines {
    schema: Schema,
    /// `projects/PROJECT/traces/`, escaped for a JSON string, when a Google Cloud
    /// project was given.
    gcp_trace_prefix: Option<Arc<str>>,
}

impl JsonLines {
    /// JSON lines with OpenTelemetry keys (the default schema).
    pub const fn new() -> Self {
        JsonLines {
            schema: Schema::OpenTelemetry,
            gcp_trace_prefix: None,
        }
    }

    /// The key schema of the line: [`Schema::OpenTelemetry`] (the default),
    /// [`Schema::Ecs`] or [`Schema::GoogleCloud`].
    ///
    /// # Example
    /// ```
    /// use reqlog::format::{JsonLines, Schema};
    /// use reqlog::sink::NonBlocking;
    ///
    /// // Elastic Common Schema lines on standard output, for Filebeat or Elastic Agent.
    /// let (sink, _guard) = NonBlocking::builder()
    ///     .format(JsonLines::new().schema(Schema::Ecs))
    ///     .finish(std::io::stdout());
    /// let layer = reqlog::RequestLog::new().sink(sink);
    /// ```
    pub const fn schema(mut self, schema: Schema) -> Self {
        self.schema = schema;
        self
    }

    /// The Google Cloud project whose Cloud Trace the lines link to: with
    /// [`Schema::GoogleCloud`], `logging.googleapis.com/trace` is written
    /// `projects/PROJECT/traces/TRACE_ID` instead of the bare trace id. An empty
    /// name sets none. Other schemas ignore it.
    ///
    /// Cloud Run and GKE do not set an environment variable with the project; pass
    /// the one your deployment knows (often `GOOGLE_CLOUD_PROJECT`).
    ///
    /// # Example
    /// ```
    /// use reqlog::format::{JsonLines, Schema};
    ///
    /// let mut format = JsonLines::new().schema(Schema::GoogleCloud);
    /// if let Ok(project) = std::env::var("GOOGLE_CLOUD_PROJECT") {
    ///     format = format.gcp_project(project);
    /// }
    /// ```
    pub fn gcp_project(mut self, project: impl AsRef<str>) -> Self {
        let project = project.as_ref();
        self.gcp_trace_prefix = (!project.is_empty()).then(|| {
            let mut prefix = b"projects/".to_vec();
            write_str_content(&mut prefix, project);
            prefix.extend_from_slice(b"/traces/");
            // Escaped UTF-8 text stays UTF-8.
            String::from_utf8_lossy(&prefix).into()
        });
        self
    }
}

impl Format for JsonLines {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        match self.schema {
            Schema::OpenTelemetry => {
                // Every field is written as `,"key":value`; the first comma becomes the `{`.
                let start = out.len();
                record.visit_fields(&mut Fields(out));
                match out.get_mut(start) {
                    Some(comma) => *comma = b'{',
                    None => out.push(b'{'),
                }
                out.extend_from_slice(b"}\n");
            }
            Schema::Ecs => super::ecs::write(record, out),
            Schema::GoogleCloud => super::gcp::write(record, self.gcp_trace_prefix.as_deref(), out),
        }
    }

    fn name(&self) -> &'static str {
        match self.schema {
            Schema::OpenTelemetry => "json",
            Schema::Ecs => "json-ecs",
            Schema::GoogleCloud => "json-gcp",
        }
    }
}

/// Writes each field as `,"key":value`.
struct Fields<'o>(&'o mut Vec<u8>);

impl<'a> VisitField<'a> for Fields<'_> {
    /// Inlined into each call in [`Record::visit_fields`], where the key is a constant
    /// and the variant of the value is known: the key is a copy of a constant and the
    /// value goes straight to its writer.
    #[inline(always)]
    fn field(&mut self, key: FieldKey<'a>, value: Value<'a>) {
        write_field(self.0, key, value)
    }
}

#[inline(always)]
fn write_field(out: &mut Vec<u8>, key: FieldKey<'_>, value: Value<'_>) {
    match key {
        FieldKey::Schema(k) => out.extend_from_slice(k.json.as_bytes()),
        FieldKey::Free(k) => write_key(out, k),
    }
    // The two most common kinds first; the rest as any value.
    match value {
        Value::Str(s) => write_str(out, s),
        Value::U64(n) => write_u64(out, n),
        other => write_value(out, other),
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
        Value::Header(s) => {
            out.push(b'[');
            write_str(out, s);
            out.push(b']');
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

/// Writes `,"key":` for a free key, known to need no escaping: free keys are checked
/// to be `[A-Za-z0-9._-]` when they are added.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Whether `bytes` has no byte that [`SPECIAL`] marks, so it can be copied as it is.
///
/// Most text in a record is short plain ASCII, so this is checked without a branch per
/// byte: 16-byte blocks with comparisons the compiler turns into a few vector
/// instructions (the last block overlapping the one before), 8 to 15 bytes as two
/// overlapping words, shorter text byte by byte. Non-ASCII bytes count as special
/// here; [`write_escaped`] copies the ones that are not.
fn is_plain(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n >= 16 {
        let mut i = 0;
        while i + 16 < n {
            if block_special(&bytes[i..i + 16]) {
                return false;
            }
            i += 16;
        }
        return !block_special(&bytes[n - 16..]);
    }
    if n >= 8 {
        return !word_special(&bytes[..8]) && !word_special(&bytes[n - 8..]);
    }
    !bytes
        .iter()
        .fold(false, |acc, &b| acc | SPECIAL[b as usize])
}

/// Whether one of 16 bytes is a control, `"`, `\\`, DEL or not ASCII.
#[inline(always)]
fn block_special(block: &[u8]) -> bool {
    let block: &[u8; 16] = match block.try_into() {
        Ok(b) => b,
        Err(_) => return true, // never: callers pass 16 bytes
    };
    block.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\') | (b >= 0x7f)
    })
}

/// [`block_special`] for 8 bytes, in one machine word.
#[inline(always)]
fn word_special(word: &[u8]) -> bool {
    const ONES: u64 = u64::MAX / 255; // 0x0101…01
    const HIGH: u64 = ONES * 0x80;
    let w = match <[u8; 8]>::try_from(word) {
        Ok(b) => u64::from_le_bytes(b),
        Err(_) => return true, // never: callers pass 8 bytes
    };
    // For bytes below 0x80 (the others are caught by `w` itself): `x - k` borrows into
    // the high bit exactly for bytes below `k`, and `x + 1` reaches it from 0x7f up.
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    (w | w.wrapping_add(ONES)) & HIGH != 0
        || w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
        || zero_byte(w ^ (ONES * u64::from(b'"')))
        || zero_byte(w ^ (ONES * u64::from(b'\\')))
}

/// Writes `s` as a JSON string, escaping in runs so plain text is copied in one go.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if is_plain(bytes) {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes);
    }
    out.push(b'"');
}

/// Writes `s` escaped as in [`write_str`], without the quotes: for a string a format
/// puts together from several parts.
///
/// Through [`write_str`] and a move of the bytes, not a second caller of [`is_plain`]:
/// with two callers the compiler makes that a call, and the OpenTelemetry line, which
/// writes a score of strings, would pay for it (about 120 instructions a line).
pub(crate) fn write_str_content(out: &mut Vec<u8>, s: &str) {
    let start = out.len();
    write_str(out, s);
    let end = out.len() - 1; // the closing quote
    out.copy_within(start + 1..end, start);
    out.truncate(end - 1);
}

/// The body of a JSON string that has something to escape (or is not ASCII). Kept out
/// of line so that [`write_str`] stays small for the plain case.
#[cold]
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
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
    fn every_byte_that_needs_a_look_is_seen_at_every_position() {
        for len in 1..50 {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[pos] = b;
                    if SPECIAL[b as usize] {
                        assert!(!is_plain(&bytes), "byte {b:#x} at {pos} of {len}");
                    }
                    if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                        assert!(is_plain(&bytes), "byte {b:#x} at {pos} of {len}");
                    }
                }
            }
        }
        assert!(is_plain(b""));
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
        JsonLines::new().format(&record, &mut line);
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
        assert_eq!(v["otel.event.name"], "test");
        assert_eq!(v["level"], "INFO");
    }
}
