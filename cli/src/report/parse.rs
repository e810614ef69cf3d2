//! Line parsers: reqlog's JSON lines, logfmt and the `combined` format, each read into
//! one borrowed [`Entry`].
//!
//! Speed matters here (the report reads hundreds of thousands of lines per second), so
//! no `serde_json::Value` is built per line: a small scanner walks the flat JSON object,
//! keeps the keys the report uses as slices of the line, and unescapes a string only
//! when it is used and contains an escape. Only `user.actions`, an array that few lines
//! carry, is handed to `serde_json`.

use std::borrow::Cow;

use reqlog::Field;

use super::time::{self, Micros};

/// The line formats reqlog writes, detected per line: `{` starts a JSON line, `key=` a
/// logfmt line, anything else is tried as `combined`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineFormat {
    Json,
    Logfmt,
    Combined,
}

impl LineFormat {
    pub(crate) const ALL: [LineFormat; 3] =
        [LineFormat::Json, LineFormat::Logfmt, LineFormat::Combined];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LineFormat::Json => "json",
            LineFormat::Logfmt => "logfmt",
            LineFormat::Combined => "combined",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// What a recognised line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// `http.request`, and every `combined` line.
    Request,
    /// `app.start`: the application (re)started.
    Start,
    /// `reqlog.dropped`: the writer dropped lines.
    Dropped,
    /// Another event name.
    Other,
}

/// Why a line was not read as a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Empty or only white space.
    Blank,
    /// It looks like one of the formats but is broken or cut short.
    Malformed,
    /// Well-formed text, but not a reqlog record (another program's log).
    Foreign,
}

/// Word-sized so that values holding it are copied in whole words (byte-sized, the
/// copies of parse results straddled stores and stalled store forwarding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
enum Escape {
    None,
    Json,
    Nginx,
}

/// Text borrowed from a line, still escaped the way its format wrote it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text<'a> {
    raw: &'a [u8],
    escape: Escape,
}

impl<'a> Text<'a> {
    /// Text that needs no unescaping.
    pub(crate) fn plain(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            escape: Escape::None,
        }
    }

    /// The bytes as they are in the line (escapes not undone).
    pub(crate) fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The text with escapes undone and invalid UTF-8 replaced; borrowed when there is
    /// nothing to undo.
    pub(crate) fn decode(&self) -> Cow<'a, str> {
        match self.escape {
            Escape::None => String::from_utf8_lossy(self.raw),
            Escape::Json => Cow::Owned(unescape_json(self.raw)),
            Escape::Nginx => Cow::Owned(unescape_nginx(self.raw)),
        }
    }

    /// The bytes with escapes undone: borrowed from the line when there was nothing to
    /// undo (not checked for UTF-8: tables check their keys on output).
    pub(crate) fn bytes(&self) -> Cow<'a, [u8]> {
        match self.escape {
            Escape::None => Cow::Borrowed(self.raw),
            _ => Cow::Owned(self.decode().into_owned().into_bytes()),
        }
    }

    /// Whether the text is exactly `s` (ASCII names such as `crawler` are never
    /// escaped, so raw bytes are compared first).
    #[cfg(test)]
    pub(crate) fn is(&self, s: &str) -> bool {
        match self.escape {
            Escape::None => self.raw == s.as_bytes(),
            _ => self.decode() == s,
        }
    }
}

/// One log line, read. Absent keys are `None` (a `combined` line has no duration, no
/// probe fields, no actions).
#[derive(Clone, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) format: LineFormat,
    pub(crate) event: Event,
    pub(crate) time: Option<Micros>,
    pub(crate) method: Option<Text<'a>>,
    pub(crate) path: Option<Text<'a>>,
    /// `url.query`, or the query of a `combined` request line.
    pub(crate) query: Option<Text<'a>>,
    pub(crate) route: Option<Text<'a>>,
    pub(crate) client: Option<Text<'a>>,
    pub(crate) user_agent: Option<Text<'a>>,
    /// `http.request.header.referer`, or the referer of a `combined` line (not `-`).
    pub(crate) referer: Option<Text<'a>>,
    pub(crate) status: Option<u16>,
    pub(crate) bytes: Option<u64>,
    pub(crate) duration_us: Option<u64>,
    pub(crate) outcome: Option<Text<'a>>,
    pub(crate) probe_category: Option<Text<'a>>,
    pub(crate) probe_rule: Option<Text<'a>>,
    pub(crate) kind: Option<Text<'a>>,
    pub(crate) crawler: Option<Text<'a>>,
    /// `client.verified`: the crawler claim checked out (`true`) or failed (`false`);
    /// `None` when not checked or not known yet.
    pub(crate) verified: Option<bool>,
    pub(crate) scanning: bool,
    pub(crate) blocked: bool,
    /// `robots.disallowed`: the site's robots.txt disallows this path for the crawler.
    pub(crate) robots_disallowed: bool,
    /// `user.actions` as JSON text (an array of objects).
    pub(crate) actions: Option<Text<'a>>,
    pub(crate) user_id: Option<Text<'a>>,
    /// `reqlog.dropped.count` of a dropped-lines record.
    pub(crate) dropped: Option<u64>,
    /// How many requests the line stands for: its `sample.rate` (a line kept as one
    /// in N), 1 without one or when it is not a number from 1 to [`MAX_WEIGHT`].
    pub(crate) weight: u64,
}

/// The largest `sample.rate` believed; a larger one counts as 1 (a broken or hostile
/// line must not outweigh the rest of the log).
pub(crate) const MAX_WEIGHT: u64 = 1_000_000;

impl<'a> Entry<'a> {
    fn new(format: LineFormat) -> Entry<'a> {
        Entry {
            format,
            event: Event::Request,
            time: None,
            method: None,
            path: None,
            query: None,
            route: None,
            client: None,
            user_agent: None,
            referer: None,
            status: None,
            bytes: None,
            duration_us: None,
            outcome: None,
            probe_category: None,
            probe_rule: None,
            kind: None,
            crawler: None,
            verified: None,
            scanning: false,
            blocked: false,
            robots_disallowed: false,
            actions: None,
            user_id: None,
            dropped: None,
            weight: 1,
        }
    }
}

/// Reads one line (without its newline) in whichever format it is.
pub(crate) fn parse_line(line: &[u8]) -> Result<Entry<'_>, Skip> {
    let line = trim(line);
    match line.first() {
        None => Err(Skip::Blank),
        Some(b'{') => parse_json(line),
        Some(_) if looks_like_logfmt(line) => parse_logfmt(line),
        Some(_) => parse_combined(line),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if !is_space(*first) {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if !is_space(*last) {
            break;
        }
        b = rest;
    }
    b
}

// ---------------------------------------------------------------------------------
// Byte search, eight bytes at a time.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The word's bytes that are zero have their high bit set; false positives only above
/// the lowest true zero, so the lowest set bit is exact.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

#[inline]
fn word(b: &[u8], i: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(bytes)
}

/// Index of the first `x` at or after `from`.
pub(crate) fn find_byte(b: &[u8], from: usize, x: u8) -> Option<usize> {
    let vx = LO * u64::from(x);
    let mut i = from;
    while i + 8 <= b.len() {
        let m = zero_bytes(word(b, i) ^ vx);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == x).map(|p| i + p)
}

/// Index of the first `x` or `y` at or after `from`.
#[inline(always)]
fn find_either(b: &[u8], from: usize, x: u8, y: u8) -> Option<usize> {
    let (vx, vy) = (LO * u64::from(x), LO * u64::from(y));
    let mut i = from;
    while i + 8 <= b.len() {
        let w = word(b, i);
        let m = zero_bytes(w ^ vx) | zero_bytes(w ^ vy);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == x || c == y)
        .map(|p| i + p)
}

// ---------------------------------------------------------------------------------
// JSON lines.

enum Json<'a> {
    Str(Text<'a>),
    Num(&'a [u8]),
    Bool(bool),
    Null,
    Nested(&'a [u8]),
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

/// A JSON string whose opening quote is at `start - 1`: its text and the index after
/// the closing quote.
#[inline(always)]
fn json_string(b: &[u8], start: usize) -> Result<(Text<'_>, usize), Skip> {
    let mut i = start;
    let mut escape = Escape::None;
    loop {
        match find_either(b, i, b'"', b'\\') {
            Some(j) if b[j] == b'"' => {
                let text = Text {
                    raw: &b[start..j],
                    escape,
                };
                return Ok((text, j + 1));
            }
            Some(j) => {
                escape = Escape::Json;
                i = j + 2;
            }
            None => return Err(Skip::Malformed),
        }
    }
}

/// Skips an array or object starting at `i`; returns the index after it.
fn skip_nested(b: &[u8], mut i: usize) -> Result<usize, Skip> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1).ok_or(Skip::Malformed)?;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            b'"' => {
                i = json_string(b, i + 1)?.1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Err(Skip::Malformed)
}

fn json_value(b: &[u8], i: usize) -> Result<(Json<'_>, usize), Skip> {
    let literal = |word: &[u8], value: Json<'static>| {
        if b.get(i..i + word.len()) == Some(word) {
            Ok((value, i + word.len()))
        } else {
            Err(Skip::Malformed)
        }
    };
    match b.get(i) {
        Some(b'"') => json_string(b, i + 1).map(|(t, next)| (Json::Str(t), next)),
        Some(b'[' | b'{') => skip_nested(b, i).map(|end| (Json::Nested(&b[i..end]), end)),
        Some(b't') => literal(b"true", Json::Bool(true)),
        Some(b'f') => literal(b"false", Json::Bool(false)),
        Some(b'n') => literal(b"null", Json::Null),
        Some(b'-' | b'0'..=b'9') => {
            let end = b[i..]
                .iter()
                .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(b.len(), |p| i + p);
            Ok((Json::Num(&b[i..end]), end))
        }
        _ => Err(Skip::Malformed),
    }
}

fn parse_json(b: &[u8]) -> Result<Entry<'_>, Skip> {
    let mut e = Entry::new(LineFormat::Json);
    let mut recognised = Recognised::default();
    let mut i = skip_ws(b, 1);
    if b.get(i) == Some(&b'}') {
        return if skip_ws(b, i + 1) == b.len() {
            Err(Skip::Foreign)
        } else {
            Err(Skip::Malformed)
        };
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(Skip::Malformed);
        }
        let (key, next) = json_string(b, i + 1)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return Err(Skip::Malformed);
        }
        let (value, next) = json_value(b, skip_ws(b, i + 1))?;
        let text = match value {
            Json::Str(t) => Some(t),
            Json::Num(n) | Json::Nested(n) => Some(Text::plain(n)),
            Json::Bool(true) => Some(Text::plain(b"true")),
            Json::Bool(false) => Some(Text::plain(b"false")),
            Json::Null => None,
        };
        if let Some(text) = text {
            set_field(&mut e, &mut recognised, key.raw, text);
        }
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return Err(Skip::Malformed),
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return Err(Skip::Malformed);
    }
    recognised.finish(e)
}

/// Which schema keys a JSON or logfmt line had: a line with neither `event.name` nor
/// request keys is another program's.
#[derive(Default)]
struct Recognised {
    event: bool,
    request: bool,
}

impl Recognised {
    fn finish(self, e: Entry<'_>) -> Result<Entry<'_>, Skip> {
        if self.event || self.request {
            Ok(e)
        } else {
            Err(Skip::Foreign)
        }
    }
}

/// Stores one key of a JSON or logfmt line. Values of the wrong type are ignored.
///
/// Keys are looked up in the record's field list, under this version's names or an
/// earlier version's (`client.kind`, `user.id`…), so old logs read the same.
fn set_field<'a>(e: &mut Entry<'a>, seen: &mut Recognised, key: &[u8], v: Text<'a>) {
    if key == b"reqlog.dropped.count" {
        e.dropped = parse_u64(v.raw);
        return;
    }
    let Some(id) = Field::from_key(key) else {
        return;
    };
    match id {
        Field::Outcome => e.outcome = Some(v),
        Field::UserId => e.user_id = Some(v),
        Field::Path => {
            seen.request = true;
            e.path = Some(v);
        }
        Field::Timestamp => e.time = time::parse_rfc3339(v.raw),
        Field::Query => e.query = Some(v),
        Field::EventName => {
            seen.event = true;
            e.event = match v.raw {
                b"http.request" => Event::Request,
                b"reqlog.start" | b"app.start" => Event::Start,
                b"reqlog.dropped" => Event::Dropped,
                _ => Event::Other,
            };
        }
        Field::Route => e.route = Some(v),
        Field::ProbeRule => e.probe_rule = Some(v),
        Field::Duration => e.duration_us = parse_millis(v.raw),
        Field::VisitorKind => e.kind = Some(v),
        Field::Actions => e.actions = Some(v),
        Field::ClientAddress => e.client = Some(v),
        Field::ProbeCategory => e.probe_category = Some(v),
        Field::Crawler => e.crawler = Some(v),
        Field::Blocked => e.blocked = v.raw == b"true",
        Field::Scanning => e.scanning = v.raw == b"true",
        Field::Verified => {
            e.verified = match v.raw {
                b"true" => Some(true),
                b"false" => Some(false),
                _ => None,
            }
        }
        Field::RobotsDisallowed => e.robots_disallowed = v.raw == b"true",
        Field::Method => e.method = Some(v),
        Field::UserAgent => e.user_agent = Some(v),
        Field::ResponseBodySize => e.bytes = parse_u64(v.raw),
        Field::Status => {
            seen.request = true;
            e.status = parse_u64(v.raw).and_then(|n| u16::try_from(n).ok());
        }
        // A one-item array since header attributes became OpenTelemetry's; a string before.
        Field::Referer => e.referer = Some(only_string(v)),
        Field::SampleRate => {
            e.weight = parse_u64(v.raw)
                .filter(|n| (1..=MAX_WEIGHT).contains(n))
                .unwrap_or(1);
        }
        _ => {}
    }
}

/// The string of a one-item JSON array of strings (`["x"]`); other values as they are.
fn only_string(v: Text<'_>) -> Text<'_> {
    let raw = v.raw;
    if raw.starts_with(b"[\"") {
        if let Ok((text, end)) = json_string(raw, 2) {
            if &raw[end..] == b"]" {
                return text;
            }
        }
    }
    v
}

pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// Milliseconds (`0.412`, `12`, `1.5e3`) as whole microseconds, rounded.
fn parse_millis(b: &[u8]) -> Option<u64> {
    let (int, frac) = match find_byte(b, 0, b'.') {
        Some(dot) => (&b[..dot], &b[dot + 1..]),
        None => (b, &b""[..]),
    };
    if frac.len() <= 3 && frac.iter().all(u8::is_ascii_digit) {
        let mut us = parse_u64(int)?.checked_mul(1000)?;
        let mut scale = 100;
        for &c in frac {
            us += u64::from(c - b'0') * scale;
            scale /= 10;
        }
        return Some(us);
    }
    let ms: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    let us = (ms * 1000.0).round();
    // `as` saturates; keep it to values that mean something.
    (0.0..1e18).contains(&us).then_some(us as u64)
}

// ---------------------------------------------------------------------------------
// logfmt.

/// `key=` at the start, with a key of `[A-Za-z_][A-Za-z0-9_.-]*`.
fn looks_like_logfmt(b: &[u8]) -> bool {
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    for &c in b {
        match c {
            b'=' => return true,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {}
            _ => return false,
        }
    }
    false
}

fn parse_logfmt(b: &[u8]) -> Result<Entry<'_>, Skip> {
    let mut e = Entry::new(LineFormat::Logfmt);
    let mut recognised = Recognised::default();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b' ' | b'\t') {
            i += 1;
        }
        let key = &b[start..i];
        if key.is_empty() {
            return Err(Skip::Malformed);
        }
        if b.get(i) != Some(&b'=') {
            continue; // A bare key (logfmt's flag form): nothing the report uses.
        }
        i += 1;
        let value = if b.get(i) == Some(&b'"') {
            let (text, next) = json_string(b, i + 1)?;
            i = next;
            if i < b.len() && !matches!(b[i], b' ' | b'\t') {
                return Err(Skip::Malformed);
            }
            text
        } else {
            let start = i;
            while i < b.len() && !matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            Text::plain(&b[start..i])
        };
        set_field(&mut e, &mut recognised, key, value);
    }
    recognised.finish(e)
}

// ---------------------------------------------------------------------------------
// combined: %h - %u [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i"

/// The next space-separated field at `*i`.
fn field<'a>(b: &'a [u8], i: &mut usize) -> Option<&'a [u8]> {
    let start = *i;
    let end = find_byte(b, start, b' ').unwrap_or(b.len());
    if end == start {
        return None;
    }
    *i = (end + 1).min(b.len());
    Some(&b[start..end])
}

/// A double-quoted field whose opening quote is at `*i`; a backslash escapes the next
/// byte (nginx writes `\x22`, Apache `\"`).
fn quoted<'a>(b: &'a [u8], i: &mut usize) -> Option<Text<'a>> {
    if b.get(*i) != Some(&b'"') {
        return None;
    }
    let start = *i + 1;
    let mut j = start;
    let mut escape = Escape::None;
    loop {
        let k = find_either(b, j, b'"', b'\\')?;
        if b[k] == b'"' {
            *i = k + 1;
            return Some(Text {
                raw: &b[start..k],
                escape,
            });
        }
        escape = Escape::Nginx;
        j = k + 2;
    }
}

fn parse_combined(b: &[u8]) -> Result<Entry<'_>, Skip> {
    let mut e = Entry::new(LineFormat::Combined);
    let mut i = 0;
    // Up to the time, a line that does not fit is another program's.
    let host = field(b, &mut i).ok_or(Skip::Foreign)?;
    let _ident = field(b, &mut i).ok_or(Skip::Foreign)?;
    let user = field(b, &mut i).ok_or(Skip::Foreign)?;
    if b.get(i) != Some(&b'[') {
        return Err(Skip::Foreign);
    }
    let close = find_byte(b, i, b']').ok_or(Skip::Foreign)?;
    e.time = Some(time::parse_clf(&b[i + 1..close]).ok_or(Skip::Foreign)?);
    e.client = Some(Text::plain(host));
    if user != b"-" {
        e.user_id = Some(Text::plain(user));
    }
    // From here on, a line that stops short is a damaged access-log line.
    i = close + 1;
    if b.get(i) != Some(&b' ') {
        return Err(Skip::Malformed);
    }
    i += 1;
    let request = quoted(b, &mut i).ok_or(Skip::Malformed)?;
    read_request(&mut e, request);
    if b.get(i) != Some(&b' ') {
        return Err(Skip::Malformed);
    }
    i += 1;
    let status = field(b, &mut i).ok_or(Skip::Malformed)?;
    e.status = Some(
        parse_u64(status)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or(Skip::Malformed)?,
    );
    let bytes = field(b, &mut i).ok_or(Skip::Malformed)?;
    e.bytes = match bytes {
        b"-" => Some(0),
        n => Some(parse_u64(n).ok_or(Skip::Malformed)?),
    };
    // Referer and user agent are absent in the common log format.
    if i < b.len() {
        let referer = quoted(b, &mut i).ok_or(Skip::Malformed)?;
        e.referer = Some(referer).filter(|r| !r.raw.is_empty() && r.raw != b"-");
        if b.get(i) == Some(&b' ') {
            i += 1;
            e.user_agent = Some(quoted(b, &mut i).ok_or(Skip::Malformed)?);
        }
    }
    Ok(e)
}

/// `GET /path?query HTTP/1.1` into method and path; anything else (`-`, TLS bytes sent
/// to a plain-text port) leaves both unset.
fn read_request<'a>(e: &mut Entry<'a>, request: Text<'a>) {
    let raw = request.raw;
    let (Some(first), Some(last)) = (
        find_byte(raw, 0, b' '),
        raw.iter().rposition(|&c| c == b' '),
    ) else {
        return;
    };
    if first >= last || !raw[last + 1..].starts_with(b"HTTP/") {
        return;
    }
    let target = &raw[first + 1..last];
    let question = find_byte(target, 0, b'?');
    let text = |raw| Text {
        raw,
        escape: request.escape,
    };
    e.method = Some(text(&raw[..first]));
    e.path = Some(text(&target[..question.unwrap_or(target.len())]));
    e.query = question.map(|q| text(&target[q + 1..]));
}

// ---------------------------------------------------------------------------------
// Unescaping.

/// The value of one ASCII hex digit (either case).
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    b[..4]
        .iter()
        .try_fold(0u32, |n, &c| Some(n << 4 | u32::from(hex(c)?)))
}

/// Undoes JSON string escapes; unpaired surrogates and invalid UTF-8 become U+FFFD.
pub(crate) fn unescape_json(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let simple = match b.get(i + 1) {
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            Some(b'b') => Some(8),
            Some(b'f') => Some(12),
            Some(&c @ (b'"' | b'\\' | b'/')) => Some(c),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        let Some(unit) = (b.get(i + 1) == Some(&b'u'))
            .then(|| hex4(&b[i + 2..]))
            .flatten()
        else {
            // A stray backslash: keep it.
            out.push(b'\\');
            i += 1;
            continue;
        };
        i += 6;
        let c = if (0xD800..0xDC00).contains(&unit) {
            let low = (b.get(i..i + 2) == Some(b"\\u"))
                .then(|| hex4(&b[i + 2..]))
                .flatten()
                .filter(|low| (0xDC00..0xE000).contains(low));
            match low {
                Some(low) => {
                    i += 6;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                }
                None => None,
            }
        } else {
            char::from_u32(unit)
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Undoes nginx's `\xHH` (and Apache's `\"`, `\\`) escapes.
fn unescape_nginx(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if let (Some(b'x'), Some(h), Some(l)) = (
                b.get(i + 1),
                b.get(i + 2).copied().and_then(hex),
                b.get(i + 3).copied().and_then(hex),
            ) {
                out.push(h << 4 | l);
                i += 4;
                continue;
            }
            if let Some(&c @ (b'"' | b'\\')) = b.get(i + 1) {
                out.push(c);
                i += 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &[u8] = br#"{"timestamp":"2026-11-24T02:30:05.123456Z","level":"WARN","event.name":"http.request","http.request.method":"GET","url.path":"/wp-login.php","url.query":"a=1","http.route":"/x","network.protocol.version":"1.1","server.address":"localhost:3000","client.address":"203.0.113.7","user_agent.original":"Mozilla/5.0 \"quoted\" \u00e9","request.id":"abc","http.response.status_code":404,"http.request.body.size":0,"http.response.body.size":153,"duration_ms":1.234,"ttfb_ms":0.5,"outcome":"ok","probe.category":"wordpress","probe.rule":"wp-login","client.kind":"scanner","client.crawler":"Googlebot","client.scanning":true,"client.blocked":false,"user.actions":[{"name":"purchase","course":"python-jumpstart"}],"user.id":"u_c8f6b880722999ec","cart.items":3}"#;

    #[test]
    fn json_every_key() {
        let e = parse_line(JSON).unwrap();
        assert_eq!(e.format, LineFormat::Json);
        assert_eq!(e.event, Event::Request);
        assert_eq!(e.time, Some(1_795_487_405_123_456));
        assert!(e.method.unwrap().is("GET"));
        assert_eq!(e.path.unwrap().decode(), "/wp-login.php");
        assert_eq!(e.route.unwrap().decode(), "/x");
        assert_eq!(e.client.unwrap().decode(), "203.0.113.7");
        assert_eq!(e.user_agent.unwrap().decode(), "Mozilla/5.0 \"quoted\" é");
        assert_eq!(e.status, Some(404));
        assert_eq!(e.bytes, Some(153));
        assert_eq!(e.duration_us, Some(1234));
        assert!(e.outcome.unwrap().is("ok"));
        assert!(e.probe_category.unwrap().is("wordpress"));
        assert!(e.probe_rule.unwrap().is("wp-login"));
        assert!(e.kind.unwrap().is("scanner"));
        assert!(e.crawler.unwrap().is("Googlebot"));
        assert!(e.scanning);
        assert!(!e.blocked);
        assert_eq!(
            e.actions.unwrap().decode(),
            r#"[{"name":"purchase","course":"python-jumpstart"}]"#
        );
        assert!(e.user_id.unwrap().is("u_c8f6b880722999ec"));
    }

    /// A line written with this version's keys reads as the same line with the keys of
    /// earlier versions.
    #[test]
    fn sample_rate_is_the_weight_and_bad_rates_count_once() {
        let line = |rate: &str| {
            format!(r#"{{"otel.event.name":"http.request","url.path":"/","sample.rate":{rate}}}"#)
        };
        for (rate, weight) in [
            ("20", 20),
            ("1", 1),
            ("0", 1),
            ("-3", 1),
            ("2.5", 1),
            ("\"20\"", 20),
            ("1000000", 1_000_000),
            ("1000001", 1),
            ("99999999999999999999999", 1),
        ] {
            let text = line(rate);
            assert_eq!(
                parse_line(text.as_bytes()).unwrap().weight,
                weight,
                "{rate}"
            );
        }
        let logfmt = b"otel.event.name=http.request url.path=/ sample.rate=50";
        assert_eq!(parse_line(logfmt).unwrap().weight, 50);
        let plain = br#"{"otel.event.name":"http.request","url.path":"/"}"#;
        assert_eq!(parse_line(plain).unwrap().weight, 1);
    }

    #[test]
    fn old_and_new_keys_read_the_same() {
        let old = std::str::from_utf8(JSON).unwrap();
        let new = old
            .replace("\"event.name\"", "\"otel.event.name\"")
            .replace("\"client.kind\"", "\"visitor.kind\"")
            .replace("\"client.crawler\"", "\"visitor.crawler\"")
            .replace("\"client.scanning\"", "\"visitor.scanning\"")
            .replace("\"client.blocked\"", "\"visitor.blocked\"")
            .replace("\"user.actions\"", "\"visitor.actions\"")
            .replace("\"user.id\"", "\"enduser.pseudo.id\"")
            .replace("\"localhost:3000\"", "\"localhost\",\"server.port\":3000");
        assert!(!new.contains("client.kind") && new.contains("visitor.kind"));
        let (a, b) = (
            parse_line(JSON).unwrap(),
            parse_line(new.as_bytes()).unwrap(),
        );
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let start_old = parse_line(br#"{"event.name":"app.start"}"#).unwrap();
        let start_new = parse_line(br#"{"otel.event.name":"reqlog.start"}"#).unwrap();
        assert_eq!(
            (start_old.event, start_new.event),
            (Event::Start, Event::Start)
        );
        // The referer: a string before, a one-item array now.
        let line = br#"{"otel.event.name":"http.request","url.path":"/","http.request.header.referer":["https://example.com/a?b"]}"#;
        assert_eq!(
            parse_line(line).unwrap().referer.unwrap().decode(),
            "https://example.com/a?b"
        );
    }

    #[test]
    fn crawler_fields() {
        let line = br#"{"event.name":"http.request","url.path":"/courses/x/lectures/1","http.request.header.referer":"https://example.com/a?b","client.kind":"crawler","client.crawler":"Googlebot","client.verified":false,"robots.disallowed":true}"#;
        let e = parse_line(line).unwrap();
        assert_eq!(e.verified, Some(false));
        assert!(e.robots_disallowed);
        assert_eq!(e.referer.unwrap().decode(), "https://example.com/a?b");
        let line = b"url.path=/x client.kind=crawler client.verified=true robots.disallowed=true http.request.header.referer=https://example.com/";
        let e = parse_line(line).unwrap();
        assert_eq!((e.verified, e.robots_disallowed), (Some(true), true));
        assert_eq!(e.referer.unwrap().decode(), "https://example.com/");
        let e = parse_line(br#"{"url.path":"/x","client.kind":"crawler"}"#).unwrap();
        assert_eq!(
            (e.verified, e.robots_disallowed, e.referer.is_none()),
            (None, false, true)
        );
        let combined = br#"66.249.66.1 - - [24/Nov/2026:02:30:05 +0000] "GET /x HTTP/1.1" 200 5 "https://example.com/" "Googlebot/2.1""#;
        assert_eq!(
            parse_line(combined).unwrap().referer.unwrap().decode(),
            "https://example.com/"
        );
    }

    #[test]
    fn json_damage() {
        for cut in 1..JSON.len() - 1 {
            assert_eq!(
                parse_line(&JSON[..cut]).err(),
                Some(Skip::Malformed),
                "cut at {cut}"
            );
        }
        assert_eq!(
            parse_line(br#"{"msg":"hello","n":1}"#).err(),
            Some(Skip::Foreign)
        );
        assert_eq!(parse_line(b"{}").err(), Some(Skip::Foreign));
        assert_eq!(parse_line(b"{} x").err(), Some(Skip::Malformed));
        assert_eq!(parse_line(b"   ").err(), Some(Skip::Blank));
        let start = br#"{"timestamp":"2026-11-24T02:30:05Z","event.name":"app.start"}"#;
        assert_eq!(parse_line(start).unwrap().event, Event::Start);
        let dropped = br#"{"event.name":"reqlog.dropped","reqlog.dropped.count":12}"#;
        assert_eq!(parse_line(dropped).unwrap().dropped, Some(12));
    }

    #[test]
    fn millis() {
        assert_eq!(parse_millis(b"0.412"), Some(412));
        assert_eq!(parse_millis(b"12"), Some(12_000));
        assert_eq!(parse_millis(b"1.5"), Some(1500));
        assert_eq!(parse_millis(b"1.5e3"), Some(1_500_000));
        assert_eq!(parse_millis(b"0.0004"), Some(0));
        assert_eq!(parse_millis(b"-1"), None);
        assert_eq!(parse_millis(b"x"), None);
    }

    #[test]
    fn logfmt_line() {
        let line = br#"timestamp=2026-11-24T02:30:05.123456Z level=INFO event.name=http.request http.request.method=POST url.path=/purchase/python-jumpstart client.address=127.0.0.1 user_agent.original="Mozilla/5.0 (X11) \"x\"" http.response.status_code=303 http.response.body.size=0 duration_ms=0.121 outcome=ok client.scanning=true user.actions="[{\"name\":\"purchase\",\"course\":\"python-jumpstart\"}]" user.id=u_c8f6b880722999ec"#;
        let e = parse_line(line).unwrap();
        assert_eq!(e.format, LineFormat::Logfmt);
        assert_eq!(e.time, Some(1_795_487_405_123_456));
        assert!(e.method.unwrap().is("POST"));
        assert_eq!(e.user_agent.unwrap().decode(), "Mozilla/5.0 (X11) \"x\"");
        assert_eq!(e.status, Some(303));
        assert_eq!(e.duration_us, Some(121));
        assert!(e.scanning);
        assert_eq!(
            e.actions.unwrap().decode(),
            r#"[{"name":"purchase","course":"python-jumpstart"}]"#
        );
        assert_eq!(parse_line(b"msg=hello n=1").err(), Some(Skip::Foreign));
        assert_eq!(
            parse_line(br#"timestamp=x url.path="/open"#).err(),
            Some(Skip::Malformed)
        );
    }

    #[test]
    fn combined_line() {
        let line = br#"203.0.113.7 - u_c8f6b880722999ec [24/Nov/2026:02:30:05 +0000] "GET /caf\xC3\xA9?q=\x22x\x22 HTTP/1.1" 404 153 "-" "Mozilla/5.0 \x22evil\x22""#;
        let e = parse_line(line).unwrap();
        assert_eq!(e.format, LineFormat::Combined);
        assert_eq!(e.time, Some(1_795_487_405_000_000));
        assert_eq!(e.client.unwrap().decode(), "203.0.113.7");
        assert_eq!(e.user_id.unwrap().decode(), "u_c8f6b880722999ec");
        assert!(e.method.unwrap().is("GET"));
        assert_eq!(e.path.unwrap().decode(), "/café");
        assert_eq!(e.query.unwrap().decode(), "q=\"x\"");
        assert_eq!(e.status, Some(404));
        assert_eq!(e.bytes, Some(153));
        assert_eq!(e.user_agent.unwrap().decode(), "Mozilla/5.0 \"evil\"");
        assert_eq!(e.duration_us, None);
        let tls = br#"198.51.100.1 - - [24/Nov/2026:02:30:05 +0000] "\x16\x03\x01" 400 - "-" "-""#;
        let e = parse_line(tls).unwrap();
        assert_eq!(
            (e.status, e.bytes, e.path.is_none()),
            (Some(400), Some(0), true)
        );
        let common = b"::1 - - [24/Nov/2026:02:30:05 +0000] \"GET / HTTP/1.0\" 200 5";
        assert_eq!(parse_line(common).unwrap().status, Some(200));
        assert_eq!(
            parse_line(b"Nov 24 02:30:05 host sshd[1]: hello").err(),
            Some(Skip::Foreign)
        );
        let cut = b"::1 - - [24/Nov/2026:02:30:05 +0000] \"GET / HT";
        assert_eq!(parse_line(cut).err(), Some(Skip::Malformed));
    }

    #[test]
    fn unescapes() {
        assert_eq!(
            unescape_json(br#"a\"b\\c\/\n\u00e9\ud83d\ude00"#),
            "a\"b\\c/\né😀"
        );
        assert_eq!(unescape_json(br#"\ud800x\u12"#), "\u{FFFD}x\\u12");
        assert_eq!(unescape_nginx(br#"\x22\xC3\xA9\"\\\q"#), "\"é\"\\\\q");
    }

    #[test]
    fn byte_search() {
        let s = b"0123456789abcdef\"0123456789";
        assert_eq!(find_byte(s, 0, b'"'), Some(16));
        assert_eq!(find_either(s, 0, b'\\', b'"'), Some(16));
        assert_eq!(find_either(s, 17, b'\\', b'"'), None);
        assert_eq!(find_byte(s, 100, b'"'), None);
        for i in 0..s.len() {
            assert_eq!(find_byte(s, 0, s[i]), s.iter().position(|&c| c == s[i]));
        }
    }
}
