//! logfmt: `key=value` pairs on one line, quoted and escaped where needed.

use super::json::write_str as write_json_str;
use super::text::{write_f64, write_i64, write_ip, write_millis, write_u64};
use super::{write_rfc3339, Format};
use crate::{Record, Value};

/// `key=value` pairs separated by spaces, one record per line (the logfmt convention
/// read by Loki, Grafana, Heroku's and Go's tooling).
///
/// A value is quoted when it is empty or contains a space, `=`, `"` or anything
/// outside printable ASCII; inside quotes `"` and `\` are escaped and control
/// characters are written as `\n`, `\r`, `\t` or `\u00XX`, so a record is always one
/// line. Lists and objects (`visitor.actions`) are written as a quoted JSON string.
///
/// # Example
/// ```
/// use reqlog::format::{Format, Logfmt};
/// use reqlog::Record;
///
/// let mut line = Vec::new();
/// Logfmt.format(&Record::event("reqlog.start").with("service.name", "my site"), &mut line);
/// let line = String::from_utf8(line).unwrap();
/// assert!(line.contains(r#"otel.event.name=reqlog.start service.name="my site""#));
/// assert!(line.ends_with('\n'));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Logfmt;

impl Format for Logfmt {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        let mut first = true;
        record.for_each_field(|key, value| {
            if !first {
                out.push(b' ');
            }
            first = false;
            // Keys are schema constants or checked to be `[A-Za-z0-9._-]`.
            out.extend_from_slice(key.as_bytes());
            out.push(b'=');
            write_value(out, value);
        });
        out.push(b'\n');
    }

    fn name(&self) -> &'static str {
        "logfmt"
    }
}

fn write_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Str(s) | Value::Header(s) => write_str(out, s),
        Value::U64(n) => write_u64(out, n),
        Value::I64(n) => write_i64(out, n),
        Value::F64(n) => {
            if !write_f64(out, n) {
                out.extend_from_slice(b"NaN");
            }
        }
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Millis(us) => write_millis(out, us),
        Value::Timestamp(t) => write_rfc3339(t, out),
        Value::Ip(ip) => write_ip(out, ip),
        Value::List(_) | Value::Map(_) => {
            // Nested values as JSON, then quoted as one logfmt string.
            let mut json = Vec::new();
            super::json::write_value_to(&mut json, value);
            write_str(out, &String::from_utf8_lossy(&json));
        }
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.bytes()
            .any(|b| b <= b' ' || b == b'=' || b == b'"' || b == b'\\' || b >= 0x7f)
}

/// Writes a logfmt value, quoted and escaped when needed.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if needs_quotes(s) {
        // JSON string escaping is a superset of what logfmt parsers undo.
        write_json_str(out, s);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldValue;

    fn line(r: &Record) -> String {
        let mut out = Vec::new();
        Logfmt.format(r, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quoting_and_escaping() {
        let r = Record::event("t")
            .with("plain", "abc")
            .with("space", "a b")
            .with("eq", "a=b")
            .with("quote", "say \"hi\"")
            .with("nl", "x\ny")
            .with("empty", "")
            .with("n", 7u64)
            .with(
                "acts",
                FieldValue::List(vec![FieldValue::Map(vec![("name".into(), "login".into())])]),
            );
        let l = line(&r);
        assert!(l.contains(" plain=abc "), "{l}");
        assert!(l.contains(r#" space="a b" "#), "{l}");
        assert!(l.contains(r#" eq="a=b" "#), "{l}");
        assert!(l.contains(r#" quote="say \"hi\"" "#), "{l}");
        assert!(l.contains(r#" nl="x\ny" "#), "{l}");
        assert!(l.contains(r#" empty="" "#), "{l}");
        assert!(l.contains(" n=7 "), "{l}");
        assert!(l.contains(r#" acts="[{\"name\":\"login\"}]""#), "{l}");
        assert_eq!(l.matches('\n').count(), 1);
    }
}
