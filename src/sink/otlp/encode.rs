//! Protobuf encoding of the few OTLP messages reqlog sends, written by hand into reused
//! buffers: one `LogRecord` per record on the request's thread, and the
//! `ExportLogsServiceRequest` around a batch of them on the exporter's thread.
//!
//! Field numbers are those of `opentelemetry/proto/logs/v1/logs.proto`,
//! `common/v1/common.proto`, `resource/v1/resource.proto` and
//! `collector/logs/v1/logs_service.proto`; `tests/otlp.rs` decodes what we send with the
//! official generated code and checks that it re-encodes to the very same bytes.
//!
//! A repeated message field is a run of `tag len message` items, and concatenating
//! such runs gives a valid repeated field. So each record is queued as one complete
//! `log_records` item of `ScopeLogs` (tag 2), and the exporter frames a batch by
//! writing only the lengths of the enclosing messages in front of the concatenation.

use std::borrow::Cow;
use std::time::UNIX_EPOCH;

use crate::format::text::{write_ip, write_u64};
use crate::format::write_rfc3339;
use crate::{FieldValue, Level, Record, Value};

const VARINT: u8 = 0;
const I64: u8 = 1;
/// Wire type of `fixed32`.
const I32: u8 = 5;
const LEN: u8 = 2;

// LogRecord (logs.proto).
const LOG_TIME: u8 = 1;
const LOG_SEVERITY_NUMBER: u8 = 2;
const LOG_SEVERITY_TEXT: u8 = 3;
const LOG_BODY: u8 = 5;
const LOG_ATTRIBUTES: u8 = 6;
const LOG_FLAGS: u8 = 8;
const LOG_TRACE_ID: u8 = 9;
const LOG_SPAN_ID: u8 = 10;
const LOG_OBSERVED_TIME: u8 = 11;
const LOG_EVENT_NAME: u8 = 12;
// ScopeLogs.log_records, ResourceLogs.scope_logs, ExportLogsServiceRequest.resource_logs.
const SCOPE_LOGS_LOG_RECORDS: u8 = 2;
const RESOURCE_LOGS_SCOPE_LOGS: u8 = 2;
const REQUEST_RESOURCE_LOGS: u8 = 1;
// ResourceLogs.resource, Resource.attributes, ScopeLogs.scope, InstrumentationScope.
const RESOURCE_LOGS_RESOURCE: u8 = 1;
const RESOURCE_ATTRIBUTES: u8 = 1;
const SCOPE_LOGS_SCOPE: u8 = 1;
const SCOPE_NAME: u8 = 1;
const SCOPE_VERSION: u8 = 2;
// KeyValue, AnyValue, ArrayValue, KeyValueList (common.proto).
const KV_KEY: u8 = 1;
const KV_VALUE: u8 = 2;
const ANY_STRING: u8 = 1;
const ANY_BOOL: u8 = 2;
const ANY_INT: u8 = 3;
const ANY_DOUBLE: u8 = 4;
const ANY_ARRAY: u8 = 5;
const ANY_KVLIST: u8 = 6;
const LIST_VALUES: u8 = 1;
// ExportLogsServiceResponse.partial_success, ExportLogsPartialSuccess, google.rpc.Status.
const RESPONSE_PARTIAL_SUCCESS: u64 = 1;
const PARTIAL_REJECTED: u64 = 1;
const PARTIAL_MESSAGE: u64 = 2;
const STATUS_MESSAGE: u64 = 2;

/// Room kept in front of a record for its `tag len` header: one tag byte and a length
/// of at most five varint bytes (a `u32`).
pub(super) const HEADER_ROOM: usize = 6;

/// The OpenTelemetry severity number of a level (`SeverityNumber` in logs.proto: the
/// first number of each range; TRACE would be 1).
pub(super) fn severity_number(level: Level) -> u64 {
    match level {
        Level::Debug => 5,
        Level::Info => 9,
        Level::Warn => 13,
        Level::Error => 17,
    }
}

fn key(field: u8, wire: u8) -> u8 {
    // Every field number we write is below 16, so a tag is one byte.
    (field << 3) | wire
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes `v` as a varint filling `dst` exactly (`dst.len() == varint_len(v)`).
fn put_varint_into(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut() {
        *b = (v as u8 & 0x7f) | if v >= 0x80 { 0x80 } else { 0 };
        v >>= 7;
    }
}

fn varint_len(v: u64) -> usize {
    // 1 byte per 7 bits; 0 still takes one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_str(out: &mut Vec<u8>, field: u8, s: &str) {
    out.push(key(field, LEN));
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Writes a length-delimited field whose content `body` writes. One byte is kept for
/// the length; a longer content is moved up by the extra length bytes, which costs a
/// copy only for the rare attribute of 128 bytes or more.
fn put_message(out: &mut Vec<u8>, field: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(key(field, LEN));
    let at = out.len();
    out.push(0);
    body(out);
    let len = out.len() - at - 1;
    if len < 0x80 {
        out[at] = len as u8;
        return;
    }
    let extra = varint_len(len as u64) - 1;
    out.resize(out.len() + extra, 0);
    out.copy_within(at + 1..at + 1 + len, at + 1 + extra);
    put_varint_into(&mut out[at..at + 1 + extra], len as u64);
}

/// An `AnyValue`'s fields, typed as the JSON line types them: text as `string_value`,
/// integers as `int_value` (a `u64` above `i64::MAX`, which `int64` cannot hold, as its
/// decimal text), floats and `duration_ms`-style milliseconds as `double_value` (a
/// non-finite float stays a double; JSON writes it as `null`), booleans as
/// `bool_value`, addresses and timestamps as the text JSON writes, lists and objects
/// as `array_value` and `kvlist_value`.
fn put_any_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Str(s) => put_str(out, ANY_STRING, s),
        Value::U64(n) => match i64::try_from(n) {
            Ok(n) => put_int(out, n),
            Err(_) => put_message(out, ANY_STRING, |out| write_u64(out, n)),
        },
        Value::I64(n) => put_int(out, n),
        Value::F64(n) => put_double(out, n),
        Value::Millis(us) => put_double(out, us as f64 / 1000.0),
        Value::Bool(b) => {
            out.push(key(ANY_BOOL, VARINT));
            out.push(u8::from(b));
        }
        Value::Timestamp(t) => put_message(out, ANY_STRING, |out| write_rfc3339(t, out)),
        Value::Ip(ip) => put_message(out, ANY_STRING, |out| write_ip(out, ip)),
        Value::Header(s) => put_message(out, ANY_ARRAY, |out| {
            put_message(out, LIST_VALUES, |out| put_str(out, ANY_STRING, s));
        }),
        Value::List(items) => put_message(out, ANY_ARRAY, |out| {
            for item in items {
                put_message(out, LIST_VALUES, |out| put_any_value(out, item.as_value()));
            }
        }),
        Value::Map(entries) => put_message(out, ANY_KVLIST, |out| {
            for (k, v) in entries {
                put_key_value(out, LIST_VALUES, k, v.as_value());
            }
        }),
    }
}

fn put_int(out: &mut Vec<u8>, n: i64) {
    out.push(key(ANY_INT, VARINT));
    // int64 is written as the two's-complement u64: negative numbers take 10 bytes.
    put_varint(out, n as u64);
}

fn put_double(out: &mut Vec<u8>, n: f64) {
    out.push(key(ANY_DOUBLE, I64));
    out.extend_from_slice(&n.to_le_bytes());
}

/// A `KeyValue` as field `field` of the enclosing message.
fn put_key_value(out: &mut Vec<u8>, field: u8, k: &str, v: Value<'_>) {
    put_message(out, field, |out| {
        put_str(out, KV_KEY, k);
        put_message(out, KV_VALUE, |out| put_any_value(out, v));
    });
}

/// Appends one record as a complete `ScopeLogs.log_records` item (`tag len LogRecord`)
/// to `buf`, and returns where the item starts.
///
/// The header is written right-aligned into [`HEADER_ROOM`] bytes kept in front of the
/// record, so the record is never moved; bytes before the returned offset are padding.
/// Fields are written in field-number order, as protobuf's own encoders do, and the
/// record's `timestamp`, `level` and `otel.event.name` become the log record's time,
/// severity and body (and event name); every other field is an attribute under the
/// key the JSON line uses.
pub(super) fn log_record(record: &Record, buf: &mut Vec<u8>) -> usize {
    let room = buf.len();
    buf.resize(room + HEADER_ROOM, 0);
    let content = buf.len();
    let nanos = record
        .timestamp()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    if nanos != 0 {
        buf.push(key(LOG_TIME, I64));
        buf.extend_from_slice(&nanos.to_le_bytes());
    }
    let level = record.level();
    buf.push(key(LOG_SEVERITY_NUMBER, VARINT));
    put_varint(buf, severity_number(level));
    put_str(buf, LOG_SEVERITY_TEXT, level.as_str());
    let event = record.event_name();
    put_message(buf, LOG_BODY, |out| put_str(out, ANY_STRING, event));
    record.for_each_field(|k, v| {
        // The log record's own fields carry these.
        if !matches!(
            k,
            "timestamp" | "level" | "otel.event.name" | "trace_id" | "span_id" | "trace_flags"
        ) {
            put_key_value(buf, LOG_ATTRIBUTES, k, v);
        }
    });
    if let (Some(trace), Some(span)) = (
        record.trace_id().and_then(hex_bytes::<16>),
        record.span_id().and_then(hex_bytes::<8>),
    ) {
        let flags = record
            .trace_flags()
            .and_then(hex_bytes::<1>)
            .map_or(0, |f| f[0]);
        buf.push(key(LOG_FLAGS, I32));
        buf.extend_from_slice(&u32::from(flags).to_le_bytes());
        put_bytes(buf, LOG_TRACE_ID, &trace);
        put_bytes(buf, LOG_SPAN_ID, &span);
    }
    if nanos != 0 {
        // The record's own time: it is made when the request starts, the moment reqlog
        // observes it (an SDK-made record has both times equal).
        buf.push(key(LOG_OBSERVED_TIME, I64));
        buf.extend_from_slice(&nanos.to_le_bytes());
    }
    if !event.is_empty() {
        put_str(buf, LOG_EVENT_NAME, event);
    }
    let len = (buf.len() - content) as u64;
    let start = content - 1 - varint_len(len);
    buf[start] = key(SCOPE_LOGS_LOG_RECORDS, LEN);
    put_varint_into(&mut buf[start + 1..content], len);
    start
}

/// The length of the item at the start of `queued` (a run of items written by
/// [`log_record`]), header included; `None` at the end or on bytes we did not write.
pub(super) fn item_len(queued: &[u8]) -> Option<usize> {
    if queued.first() != Some(&key(SCOPE_LOGS_LOG_RECORDS, LEN)) {
        return None;
    }
    let (len, n) = read_varint(&queued[1..])?;
    let total = 1 + n + usize::try_from(len).ok()?;
    (total <= queued.len()).then_some(total)
}

/// The parts of an `ExportLogsServiceRequest` that are the same for every batch: the
/// resource and the instrumentation scope, encoded once.
#[derive(Debug)]
pub(super) struct RequestFrame {
    /// `ResourceLogs.resource`, tag and length included.
    resource: Vec<u8>,
    /// `ScopeLogs.scope`, tag and length included.
    scope: Vec<u8>,
}

impl RequestFrame {
    pub(super) fn new(resource: &[(Cow<'static, str>, FieldValue)]) -> RequestFrame {
        let mut r = Vec::new();
        put_message(&mut r, RESOURCE_LOGS_RESOURCE, |out| {
            for (k, v) in resource {
                put_key_value(out, RESOURCE_ATTRIBUTES, k, v.as_value());
            }
        });
        let mut scope = Vec::new();
        put_message(&mut scope, SCOPE_LOGS_SCOPE, |out| {
            put_str(out, SCOPE_NAME, "reqlog");
            put_str(out, SCOPE_VERSION, env!("CARGO_PKG_VERSION"));
        });
        RequestFrame { resource: r, scope }
    }

    /// Appends the request for a run of queued items to `out`: one `ResourceLogs` with
    /// one `ScopeLogs` holding them all, the lengths computed, the items copied once.
    pub(super) fn request(&self, items: &[u8], out: &mut Vec<u8>) {
        let scope_logs = (self.scope.len() + items.len()) as u64;
        let resource_logs = (self.resource.len() + 1 + varint_len(scope_logs)) as u64 + scope_logs;
        out.reserve(2 + 2 * 5 + resource_logs as usize);
        out.push(key(REQUEST_RESOURCE_LOGS, LEN));
        put_varint(out, resource_logs);
        out.extend_from_slice(&self.resource);
        out.push(key(RESOURCE_LOGS_SCOPE_LOGS, LEN));
        put_varint(out, scope_logs);
        out.extend_from_slice(&self.scope);
        out.extend_from_slice(items);
    }
}

fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Calls `f(field, value)` for each varint and length-delimited field of a message,
/// skipping the others; stops at the first malformed byte. Reads what a collector
/// sends back, so it trusts nothing.
fn fields<'a>(mut msg: &'a [u8], mut f: impl FnMut(u64, Field<'a>)) {
    while !msg.is_empty() {
        let Some((tag, n)) = read_varint(msg) else {
            return;
        };
        msg = &msg[n..];
        let field = tag >> 3;
        match tag & 7 {
            0 => {
                let Some((v, n)) = read_varint(msg) else {
                    return;
                };
                msg = &msg[n..];
                f(field, Field::Varint(v));
            }
            1 | 5 => {
                let n = if tag & 7 == 1 { 8 } else { 4 };
                let Some(rest) = msg.get(n..) else {
                    return;
                };
                msg = rest;
            }
            2 => {
                let Some((len, n)) = read_varint(msg) else {
                    return;
                };
                let Some(body) = usize::try_from(len)
                    .ok()
                    .and_then(|len| msg.get(n..n.checked_add(len)?))
                else {
                    return;
                };
                msg = &msg[n + body.len()..];
                f(field, Field::Bytes(body));
            }
            _ => return,
        }
    }
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// What an `ExportLogsServiceResponse` says about records the collector refused: the
/// count of `partial_success.rejected_log_records` and its message.
pub(super) fn rejected(response: &[u8]) -> Option<(u64, String)> {
    let mut found = None;
    fields(response, |field, value| {
        if let (RESPONSE_PARTIAL_SUCCESS, Field::Bytes(partial)) = (field, value) {
            let (mut count, mut message) = (0, String::new());
            fields(partial, |field, value| match (field, value) {
                (PARTIAL_REJECTED, Field::Varint(n)) => count = n,
                (PARTIAL_MESSAGE, Field::Bytes(m)) => {
                    message = String::from_utf8_lossy(m).into_owned();
                }
                _ => {}
            });
            found = Some((count, message));
        }
    });
    // A negative int64 would be a collector bug; ignore it rather than count 2^64.
    found.filter(|(count, _)| *count > 0 && *count <= i64::MAX as u64)
}

/// The `message` of a `google.rpc.Status`, which OTLP collectors send with an error.
pub(super) fn status_message(body: &[u8]) -> Option<String> {
    let mut found = None;
    fields(body, |field, value| {
        if let (STATUS_MESSAGE, Field::Bytes(m)) = (field, value) {
            found = Some(String::from_utf8_lossy(m).into_owned());
        }
    });
    found
}

/// `N` bytes from `2N` hex digits (the record's trace ids); `None` for anything else.
fn hex_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (crate::hex::hex_digit(b[2 * i])? << 4) | crate::hex::hex_digit(b[2 * i + 1])?;
    }
    Some(out)
}

fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push(key(field, LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// A decoded field, for checking structure without a protobuf library.
    #[derive(Debug, PartialEq)]
    enum F {
        V(u64),
        Fixed(u64),
        B(Vec<u8>),
    }

    /// Decodes one message strictly: every byte must belong to a well-formed field.
    fn decode(mut msg: &[u8]) -> Vec<(u64, F)> {
        let mut out = Vec::new();
        while !msg.is_empty() {
            let (tag, n) = read_varint(msg).expect("tag");
            msg = &msg[n..];
            match tag & 7 {
                0 => {
                    let (v, n) = read_varint(msg).expect("varint");
                    msg = &msg[n..];
                    out.push((tag >> 3, F::V(v)));
                }
                1 => {
                    let v = u64::from_le_bytes(msg[..8].try_into().unwrap());
                    msg = &msg[8..];
                    out.push((tag >> 3, F::Fixed(v)));
                }
                2 => {
                    let (len, n) = read_varint(msg).expect("len");
                    let body = &msg[n..n + len as usize];
                    msg = &msg[n + len as usize..];
                    out.push((tag >> 3, F::B(body.to_vec())));
                }
                5 => {
                    let v = u32::from_le_bytes(msg[..4].try_into().unwrap());
                    msg = &msg[4..];
                    out.push((tag >> 3, F::Fixed(u64::from(v))));
                }
                w => panic!("wire type {w}"),
            }
        }
        out
    }

    fn bytes(f: &F) -> &[u8] {
        match f {
            F::B(b) => b,
            other => panic!("not bytes: {other:?}"),
        }
    }

    /// The attribute `key`'s AnyValue fields.
    fn attribute(record: &[(u64, F)], key: &str) -> Vec<(u64, F)> {
        record
            .iter()
            .filter(|(n, _)| *n == 6)
            .map(|(_, kv)| decode(bytes(kv)))
            .find(|kv| bytes(&kv[0].1) == key.as_bytes())
            .map(|kv| decode(bytes(&kv[1].1)))
            .unwrap_or_else(|| panic!("no attribute {key}"))
    }

    #[test]
    fn varints() {
        for (v, enc) in [
            (0u64, vec![0u8]),
            (1, vec![1]),
            (127, vec![127]),
            (128, vec![0x80, 1]),
            (300, vec![0xac, 2]),
            (
                u64::MAX,
                vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, enc, "{v}");
            assert_eq!(varint_len(v), enc.len(), "{v}");
            assert_eq!(read_varint(&enc), Some((v, enc.len())));
        }
    }

    #[test]
    fn long_nested_values_get_their_length_right() {
        for len in [0, 1, 126, 127, 128, 200, 16_383, 16_384, 70_000] {
            let s = "x".repeat(len);
            let mut out = vec![9];
            put_key_value(&mut out, 6, "k", Value::Str(&s));
            let fields = decode(&out[1..]);
            assert_eq!(fields.len(), 1);
            let kv = decode(bytes(&fields[0].1));
            assert_eq!(bytes(&kv[0].1), b"k");
            let any = decode(bytes(&kv[1].1));
            assert_eq!(any, vec![(1, F::B(s.into_bytes()))]);
        }
    }

    #[test]
    fn a_record_is_one_log_records_item() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_795_487_405_123_456_000);
        let mut record = Record::event("reqlog.test")
            .with("s", "é\"\n")
            .with("n", 42u64)
            .with("big", u64::MAX)
            .with("neg", -3i64)
            .with("f", 0.5)
            .with("b", true)
            .with(
                "actions",
                FieldValue::List(vec![FieldValue::Map(vec![(
                    "name".into(),
                    "account.login".into(),
                )])]),
            );
        record.set_timestamp(t);
        record.set_level(Level::Warn);
        let mut buf = vec![7, 7, 7];
        let start = log_record(&record, &mut buf);
        assert!((3..3 + HEADER_ROOM).contains(&start));
        let item = &buf[start..];
        assert_eq!(item_len(item), Some(item.len()));
        let outer = decode(item);
        assert_eq!(outer.len(), 1);
        assert_eq!(outer[0].0, 2);
        let rec = decode(bytes(&outer[0].1));
        let numbers: Vec<u64> = rec.iter().map(|(n, _)| *n).collect();
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_eq!(numbers, sorted, "fields in field-number order");
        assert_eq!(rec[0], (1, F::Fixed(1_795_487_405_123_456_000)));
        assert_eq!(rec[1], (2, F::V(13)));
        assert_eq!(rec[2], (3, F::B(b"WARN".to_vec())));
        assert_eq!(
            decode(bytes(&rec[3].1)),
            vec![(1, F::B(b"reqlog.test".to_vec()))]
        );
        assert_eq!(
            rec[rec.len() - 2],
            (11, F::Fixed(1_795_487_405_123_456_000))
        );
        assert_eq!(rec[rec.len() - 1], (12, F::B(b"reqlog.test".to_vec())));
        assert_eq!(attribute(&rec, "s"), vec![(1, F::B("é\"\n".into()))]);
        assert_eq!(attribute(&rec, "n"), vec![(3, F::V(42))]);
        assert_eq!(
            attribute(&rec, "big"),
            vec![(1, F::B(u64::MAX.to_string().into_bytes()))]
        );
        assert_eq!(attribute(&rec, "neg"), vec![(3, F::V(-3i64 as u64))]);
        assert_eq!(attribute(&rec, "f"), vec![(4, F::Fixed(0.5f64.to_bits()))]);
        assert_eq!(attribute(&rec, "b"), vec![(2, F::V(1))]);
        let list = attribute(&rec, "actions");
        let array = decode(bytes(&list[0].1));
        let map = decode(bytes(&decode(bytes(&array[0].1))[0].1));
        let kv = decode(bytes(&map[0].1));
        assert_eq!(bytes(&kv[0].1), b"name");
        assert_eq!(
            decode(bytes(&kv[1].1)),
            vec![(1, F::B(b"account.login".to_vec()))]
        );
        // Time, level and event name are not repeated as attributes.
        for (n, kv) in rec.iter().filter(|(n, _)| *n == 6) {
            let k = decode(bytes(kv));
            assert!(
                !matches!(bytes(&k[0].1), b"timestamp" | b"level" | b"otel.event.name"),
                "{n}"
            );
        }
    }

    /// The trace on the line goes into the log record's own fields (flags 8, trace id
    /// 9, span id 10, as bytes), not into attributes.
    #[test]
    fn the_trace_goes_into_the_log_records_fields() {
        let mut record = Record::event("http.request");
        let t = record.push_text("4bf92f3577b34da6a3ce929d0e0e4736");
        record.set_trace_id(t);
        let s = record.push_text("00f067aa0ba902b7");
        record.set_span_id(s);
        let f = record.push_text("01");
        record.set_trace_flags(f);
        let mut buf = Vec::new();
        let start = log_record(&record, &mut buf);
        let outer = decode(&buf[start..]);
        let rec = decode(bytes(&outer[0].1));
        let field = |n: u64| rec.iter().find(|(k, _)| *k == n).map(|(_, v)| v);
        assert_eq!(field(8), Some(&F::Fixed(1)));
        let trace: Vec<u8> = (0..16)
            .map(|i| {
                u8::from_str_radix(&"4bf92f3577b34da6a3ce929d0e0e4736"[2 * i..2 * i + 2], 16)
                    .unwrap()
            })
            .collect();
        assert_eq!(field(9), Some(&F::B(trace)));
        assert_eq!(
            field(10),
            Some(&F::B(vec![0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]))
        );
        for (n, kv) in rec.iter().filter(|(n, _)| *n == 6) {
            let k = decode(bytes(kv));
            let key = bytes(&k[0].1);
            assert!(
                !matches!(key, b"trace_id" | b"span_id" | b"trace_flags"),
                "{n}"
            );
        }
        let numbers: Vec<u64> = rec.iter().map(|(n, _)| *n).collect();
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_eq!(numbers, sorted, "fields in field-number order");
    }

    #[test]
    fn a_request_frames_concatenated_records() {
        let resource = [
            ("service.name".into(), FieldValue::from("shop")),
            ("instance".into(), FieldValue::from(3u64)),
        ];
        let frame = RequestFrame::new(&resource);
        let mut items = Vec::new();
        let mut one = Vec::new();
        for i in 0..300u64 {
            one.clear();
            let mut record = Record::event("e").with("i", i);
            record.set_timestamp(SystemTime::now());
            let start = log_record(&record, &mut one);
            items.extend_from_slice(&one[start..]);
        }
        let mut count = 0;
        let mut rest = &items[..];
        while let Some(n) = item_len(rest) {
            rest = &rest[n..];
            count += 1;
        }
        assert_eq!((count, rest.len()), (300, 0));
        let mut request = Vec::new();
        frame.request(&items, &mut request);
        let top = decode(&request);
        assert_eq!(top.len(), 1);
        let resource_logs = decode(bytes(&top[0].1));
        assert_eq!(resource_logs.len(), 2);
        let attrs = decode(bytes(&resource_logs[0].1));
        assert_eq!(attrs.len(), 2);
        let scope_logs = decode(bytes(&resource_logs[1].1));
        assert_eq!(scope_logs.len(), 301);
        let scope = decode(bytes(&scope_logs[0].1));
        assert_eq!(scope[0], (1, F::B(b"reqlog".to_vec())));
        assert_eq!(scope[1], (2, F::B(env!("CARGO_PKG_VERSION").into())));
    }

    #[test]
    fn severity_numbers_are_the_start_of_each_range() {
        assert_eq!(severity_number(Level::Debug), 5);
        assert_eq!(severity_number(Level::Info), 9);
        assert_eq!(severity_number(Level::Warn), 13);
        assert_eq!(severity_number(Level::Error), 17);
    }

    #[test]
    fn reads_partial_success_and_status() {
        let mut partial = Vec::new();
        partial.push(key(1, VARINT));
        put_varint(&mut partial, 7);
        put_str(&mut partial, 2, "too old");
        let mut response = Vec::new();
        put_message(&mut response, 1, |out| out.extend_from_slice(&partial));
        assert_eq!(rejected(&response), Some((7, "too old".into())));
        assert_eq!(rejected(&[]), None);
        let mut status = Vec::new();
        status.push(key(1, VARINT));
        put_varint(&mut status, 3);
        put_str(&mut status, 2, "bad data");
        assert_eq!(status_message(&status), Some("bad data".into()));
    }

    proptest::proptest! {
        /// Whatever a collector sends back, reading it never panics.
        #[test]
        fn responses_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = rejected(&body);
            let _ = status_message(&body);
            let _ = item_len(&body);
        }
    }
}
