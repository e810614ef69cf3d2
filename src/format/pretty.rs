//! A readable line for a terminal while developing: time, level, request, status,
//! duration, visitor kind, probe category and actions, optionally in colour.
//!
//! The layout lives in [`Line`] so that `reqlog pretty`, which reads JSON lines back,
//! shows exactly what [`Pretty`] writes.

use super::text::{write_millis, write_u64};
use super::{write_rfc3339, Format};
use crate::{FieldValue, Record};

/// One line for people: `02:30:05.123 INFO  GET /login 303 0.412ms human account.login`,
/// coloured with ANSI escapes when asked, like pino-pretty or Caddy's console encoder.
///
/// Not meant to be parsed: keep [`JsonLines`](super::JsonLines) (the default) for
/// files and collectors, and use this while developing, or pipe JSON lines through
/// `reqlog pretty` for the same view.
///
/// Field values are escaped (control characters as `\n`, `\x1b`…, backslash as `\\`),
/// so a request cannot write escape sequences to your terminal or split a line.
/// Colours are off unless [`Pretty::colors`] turns them on, and a non-empty `NO_COLOR`
/// environment variable (<https://no-color.org>) keeps them off.
///
/// # Example
/// ```
/// use reqlog::format::{Format, Pretty};
/// use reqlog::Record;
///
/// let mut line = Vec::new();
/// Pretty::new().format(&Record::event("reqlog.start"), &mut line);
/// let line = String::from_utf8(line).unwrap();
/// assert!(line.contains("INFO  reqlog.start"));
/// assert!(!line.contains('\x1b'));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Pretty {
    colors: bool,
}

impl Pretty {
    /// Plain text, no colours.
    pub fn new() -> Pretty {
        Pretty { colors: false }
    }

    /// Colours with ANSI escapes when `on` — unless `NO_COLOR` is set and not empty.
    ///
    /// # Example
    /// ```no_run
    /// use std::io::IsTerminal;
    /// use reqlog::format::Pretty;
    ///
    /// // Colour a terminal, not a file or a pipe.
    /// let format = Pretty::new().colors(std::io::stdout().is_terminal());
    /// ```
    pub fn colors(mut self, on: bool) -> Pretty {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        self.colors = on && !no_color;
        self
    }
}

impl Format for Pretty {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        let mut time = Vec::with_capacity(27);
        write_rfc3339(record.timestamp(), &mut time);
        // Built-in record names; at most 16 actions per request.
        let mut names = [""; crate::actions::MAX_ACTIONS];
        let mut n = 0;
        for action in record.actions() {
            if let (Some(name), Some(slot)) = (action_name(action), names.get_mut(n)) {
                *slot = name;
                n += 1;
            }
        }
        let method = record.method();
        let line = Line {
            // RFC 3339 is ASCII.
            time: std::str::from_utf8(&time).ok(),
            level: Some(record.level().as_str()),
            event: Some(record.event_name()),
            method: method.map(http::Method::as_str),
            path: record.path(),
            status: record.status().map(u64::from),
            duration_us: record.duration_micros(),
            kind: record.visitor_kind(),
            probe: record.probe_category(),
            actions: &names[..n],
        };
        line.write(out, self.colors);
    }

    fn name(&self) -> &'static str {
        "pretty"
    }
}

/// The `name` of one `visitor.actions` entry.
fn action_name(action: &FieldValue) -> Option<&str> {
    match action {
        FieldValue::Map(fields) => fields.iter().find_map(|(k, v)| match v {
            FieldValue::Str(s) if k == "name" => Some(s.as_ref()),
            _ => None,
        }),
        _ => None,
    }
}

/// The values [`Pretty`] shows, and the layout it shows them in.
///
/// [`Pretty`] fills it from a [`Record`]; a program reading lines back (`reqlog
/// pretty`) fills it from the keys it finds, so both show the same line. Every field is
/// optional; missing ones are left out.
///
/// # Example
/// ```
/// use reqlog::format::pretty::Line;
///
/// let mut line = Line::default();
/// line.time = Some("2026-11-24T02:30:05.123456Z");
/// line.level = Some("INFO");
/// line.method = Some("GET");
/// line.path = Some("/courses/rust");
/// line.status = Some(200);
/// line.duration_us = Some(1_234);
/// line.kind = Some("human");
/// let actions = ["course.view"];
/// line.actions = &actions;
/// let mut out = Vec::new();
/// line.write(&mut out, false);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "02:30:05.123 INFO  GET /courses/rust 200 1.234ms human course.view\n"
/// );
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default)]
pub struct Line<'a> {
    /// The time, RFC 3339 (`2026-11-24T02:30:05.123456Z`); the time of day is shown.
    pub time: Option<&'a str>,
    /// `INFO`, `WARN`…
    pub level: Option<&'a str>,
    /// `otel.event.name`: shown when it is not `http.request`.
    pub event: Option<&'a str>,
    /// The request method.
    pub method: Option<&'a str>,
    /// The request path.
    pub path: Option<&'a str>,
    /// The response status.
    pub status: Option<u64>,
    /// How long the request took, in microseconds.
    pub duration_us: Option<u64>,
    /// `visitor.kind`: `human`, `crawler`, `scanner`…
    pub kind: Option<&'a str>,
    /// `probe.category`, when the detector flagged the request.
    pub probe: Option<&'a str>,
    /// The names of the user's actions.
    pub actions: &'a [&'a str],
}

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";

impl Line<'_> {
    /// Appends the line, ending in `\n`, to `out`; with `colors`, ANSI colours around
    /// the parts (never inside a value, which is escaped).
    pub fn write(&self, out: &mut Vec<u8>, colors: bool) {
        let mut w = Writer {
            out,
            colors,
            first: true,
        };
        if let Some(time) = self.time {
            w.part(DIM, |out| write_escaped(out, time_of_day(time)));
        }
        if let Some(level) = self.level {
            let is = |name: &str| level.eq_ignore_ascii_case(name);
            let color = if is("ERROR") || is("FATAL") {
                RED
            } else if is("WARN") || is("WARNING") {
                YELLOW
            } else if is("INFO") {
                GREEN
            } else {
                DIM
            };
            // Padded to five so that requests line up under each other.
            w.part(color, |out| {
                write_escaped(out, level);
                for _ in level.chars().count()..5 {
                    out.push(b' ');
                }
            });
        }
        if let Some(event) = self.event.filter(|e| *e != "http.request") {
            w.part(BOLD, |out| write_escaped(out, event));
        }
        if let Some(method) = self.method {
            w.part(BOLD, |out| write_escaped(out, method));
        }
        if let Some(path) = self.path {
            w.part("", |out| write_escaped(out, path));
        }
        if let Some(status) = self.status {
            let color = match status {
                500.. => RED,
                400..=499 => YELLOW,
                300..=399 => CYAN,
                _ => GREEN,
            };
            w.part(color, |out| write_u64(out, status));
        }
        if let Some(us) = self.duration_us {
            w.part(DIM, |out| {
                write_millis(out, us);
                out.extend_from_slice(b"ms");
            });
        }
        if let Some(kind) = self.kind {
            w.part(MAGENTA, |out| write_escaped(out, kind));
        }
        if let Some(probe) = self.probe {
            w.part(RED, |out| {
                out.extend_from_slice(b"probe:");
                write_escaped(out, probe);
            });
        }
        if !self.actions.is_empty() {
            w.part(CYAN, |out| {
                for (i, name) in self.actions.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_escaped(out, name);
                }
            });
        }
        w.out.push(b'\n');
    }
}

/// Writes parts separated by spaces, each in its colour.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    colors: bool,
    first: bool,
}

impl Writer<'_> {
    fn part(&mut self, color: &str, body: impl FnOnce(&mut Vec<u8>)) {
        if !self.first {
            self.out.push(b' ');
        }
        self.first = false;
        let colored = self.colors && !color.is_empty();
        if colored {
            self.out.extend_from_slice(color.as_bytes());
        }
        body(self.out);
        if colored {
            self.out.extend_from_slice(RESET.as_bytes());
        }
    }
}

/// `02:30:05.123` from `2026-11-24T02:30:05.123456Z`; anything else as it is.
fn time_of_day(time: &str) -> &str {
    let b = time.as_bytes();
    if b.len() >= 19 && matches!(b[10], b'T' | b't' | b' ') && b[13] == b':' {
        let end = if b.len() >= 23 && b[19] == b'.' {
            23
        } else {
            19
        };
        // Bytes 10..end are ASCII digits and separators here, or `get` refuses.
        time.get(11..end).unwrap_or(time)
    } else {
        time
    }
}

/// Writes `s` with control characters (C0, DEL, C1), bidirectional overrides and the
/// backslash escaped, so that a value can neither move the cursor, change colours nor
/// end the line.
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\0'..='\x1f' | '\x7f' => {
                out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes())
            }
            '\u{80}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                out.extend_from_slice(format!("\\u{{{:x}}}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Line<'static> {
        Line {
            time: Some("2026-11-24T02:30:05.123456Z"),
            level: Some("WARN"),
            event: Some("http.request"),
            method: Some("GET"),
            path: Some("/wp-login.php"),
            status: Some(404),
            duration_us: Some(412),
            kind: Some("scanner"),
            probe: Some("wordpress"),
            actions: &[],
        }
    }

    fn text(line: &Line<'_>, colors: bool) -> String {
        let mut out = Vec::new();
        line.write(&mut out, colors);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_layout() {
        assert_eq!(
            text(&request(), false),
            "02:30:05.123 WARN  GET /wp-login.php 404 0.412ms scanner probe:wordpress\n"
        );
        let mut l = request();
        l.actions = &["account.login", "course.view"];
        l.probe = None;
        l.level = Some("INFO");
        l.status = Some(303);
        assert!(text(&l, false).ends_with(" 303 0.412ms scanner account.login,course.view\n"));
        let event = Line {
            time: Some("2026-11-24T02:30:05Z"),
            level: Some("INFO"),
            event: Some("reqlog.start"),
            ..Line::default()
        };
        assert_eq!(text(&event, false), "02:30:05 INFO  reqlog.start\n");
        assert_eq!(text(&Line::default(), false), "\n");
    }

    #[test]
    fn colours_only_when_asked() {
        let c = text(&request(), true);
        assert!(c.contains("\x1b[33mWARN \x1b[0m"), "{c:?}");
        assert!(c.contains("\x1b[33m404\x1b[0m"), "{c:?}");
        assert!(c.contains("\x1b[31mprobe:wordpress\x1b[0m"), "{c:?}");
        assert!(!text(&request(), false).contains('\x1b'));
        let mut l = request();
        l.status = Some(502);
        assert!(text(&l, true).contains("\x1b[31m502\x1b[0m"));
    }

    #[test]
    fn hostile_values_are_escaped() {
        let mut l = request();
        l.path = Some("/a\x1b[2J\nINFO fake\r\u{9b}31m\u{202e}\\");
        l.kind = Some("x\ty");
        l.actions = &["evil\x07"];
        for colors in [false, true] {
            let t = text(&l, colors);
            assert_eq!(t.matches('\n').count(), 1, "{t:?}");
            assert!(!t.contains('\r') && !t.contains('\u{9b}') && !t.contains('\u{202e}'));
            assert!(!t.contains('\x07') && !t.contains('\t'));
            assert!(
                t.contains(r"/a\x1b[2J\nINFO fake\r\u{9b}31m\u{202e}\\"),
                "{t:?}"
            );
            // The only escapes are the colours the format adds.
            let escapes = t.matches('\x1b').count();
            assert_eq!(escapes, if colors { 2 * 8 } else { 0 }, "{t:?}");
        }
    }

    #[test]
    fn a_record() {
        let mut r = Record::event("http.request");
        r.set_method(http::Method::POST);
        let path = r.push_text("/login\x1b]0;pwned\x07");
        r.set_path(path);
        r.set_status(303);
        r.set_duration_micros(1_500);
        r.set_visitor_kind("human");
        r.push_action(FieldValue::Map(vec![(
            "name".into(),
            FieldValue::Str("account.login".into()),
        )]));
        let mut out = Vec::new();
        Pretty::new().format(&r, &mut out);
        let t = String::from_utf8(out).unwrap();
        assert!(
            t.ends_with(
                r"INFO  POST /login\x1b]0;pwned\x07 303 1.500ms human account.login
"
            ),
            "{t:?}"
        );
        let mut coloured = Vec::new();
        Pretty { colors: true }.format(&r, &mut coloured);
        assert!(String::from_utf8(coloured)
            .unwrap()
            .contains("\x1b[1mPOST\x1b[0m"));
    }
}
