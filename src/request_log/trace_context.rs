//! [`TraceContext`]: the W3C Trace Context `traceparent` header, parsed strictly.
//!
//! The header ties a request to a distributed trace. It comes from the client, so it is
//! read as untrusted bytes: anything that is not exactly the spec's layout is dropped,
//! never logged raw, and parsing costs one pass over at most 55 bytes.

use std::fmt;

use crate::hex::{hex_digit, lower_hex_u64};

/// The length of a version `00` value: `00-<32 hex>-<16 hex>-<2 hex>`.
const LEN: usize = 55;
/// Where the fields of the 55-byte head begin.
const TRACE_ID: usize = 3;
const SPAN_ID: usize = 36;
const FLAGS: usize = 53;
/// The `sampled` bit of the trace flags.
const SAMPLED: u8 = 0x01;

/// The trace a request belongs to, from its `traceparent` header (W3C Trace Context).
///
/// [`RequestLog`](crate::RequestLog) puts one in the request extensions when the
/// request carries a single valid `traceparent`, so handlers and inner layers can join
/// the trace (or tag their own logs with it). The record's `trace_id`, `span_id` and
/// `trace_flags` come from it. A malformed, duplicated or missing header gives none.
///
/// The ids are kept as bytes; [`trace_id_hex`](Self::trace_id_hex) and
/// [`span_id_hex`](Self::span_id_hex) give their lowercase hex without allocating. The
/// fields are private, so the type may gain fields (the version, `tracestate`) without
/// breaking code that reads it.
///
/// # Example
/// ```
/// use axum::{routing::get, Extension, Router};
/// use reqlog::request_log::TraceContext;
///
/// async fn handler(trace: Option<Extension<TraceContext>>) -> String {
///     match trace {
///         Some(Extension(trace)) => {
///             let mut text = String::from("trace ");
///             trace.push_trace_id_hex(&mut text);
///             text
///         }
///         None => "no trace".to_owned(),
///     }
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(handler))
///     .layer(reqlog::RequestLog::new());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

impl TraceContext {
    /// Parses a `traceparent` value as the W3C Trace Context spec says
    /// ("traceparent Header Field Values" and "Versioning of traceparent"):
    ///
    /// - version `00`: exactly `00-<trace-id>-<parent-id>-<trace-flags>`, 55 bytes, with
    ///   32, 16 and 2 lowercase hex digits; anything after the flags makes it invalid;
    /// - a higher version (two lowercase hex digits, not `ff`): the same layout for the
    ///   first 55 bytes, then either the end or a `-` that begins fields this version
    ///   does not know (ignored);
    /// - uppercase hex, version `ff`, an all-zero trace-id or parent-id: invalid;
    /// - spaces and tabs around the value are ignored, as HTTP field parsing strips them.
    ///
    /// Returns `None` for anything else; it never panics, whatever the bytes.
    ///
    /// # Example
    /// ```
    /// use reqlog::request_log::TraceContext;
    ///
    /// let value = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// let trace = TraceContext::parse(value).unwrap();
    /// assert_eq!(&trace.trace_id_hex(), b"4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert_eq!(&trace.span_id_hex(), b"00f067aa0ba902b7");
    /// assert!(trace.sampled());
    ///
    /// assert!(TraceContext::parse(b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").is_none());
    /// assert!(TraceContext::parse(b"00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
    /// ```
    pub fn parse(value: &[u8]) -> Option<TraceContext> {
        let value = trim_ows(value);
        let head: &[u8; LEN] = value.get(..LEN)?.try_into().ok()?;
        let rest = &value[LEN..];
        let version = lower_hex_byte(head[0], head[1])?;
        let extension_ok = match version {
            0xff => false,
            // Version 00 is complete: extra bytes mean the value is not version 00.
            0x00 => rest.is_empty(),
            // A later version may append fields, each introduced by a dash.
            _ => rest.first().is_none_or(|&b| b == b'-'),
        };
        if !extension_ok || head[2] != b'-' || head[SPAN_ID - 1] != b'-' || head[FLAGS - 1] != b'-'
        {
            return None;
        }
        let trace_id: [u8; 16] = lower_hex_bytes(&head[TRACE_ID..SPAN_ID - 1])?;
        let span_id: [u8; 8] = lower_hex_bytes(&head[SPAN_ID..FLAGS - 1])?;
        let flags = lower_hex_byte(head[FLAGS], head[FLAGS + 1])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            flags,
        })
    }

    /// The trace id: 16 bytes, never all zero.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The caller's span id (the header's `parent-id`): 8 bytes, never all zero.
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    /// The trace flags as sent (unknown bits included).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// Whether the caller may have recorded its part of the trace (the `sampled` flag).
    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }

    /// The trace id as 32 lowercase hex digits (ASCII), as the header writes it.
    ///
    /// # Example
    /// ```
    /// use reqlog::request_log::TraceContext;
    ///
    /// let trace = TraceContext::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
    /// let hex = trace.trace_id_hex();
    /// assert_eq!(std::str::from_utf8(&hex), Ok("4bf92f3577b34da6a3ce929d0e0e4736"));
    /// ```
    pub fn trace_id_hex(&self) -> [u8; 32] {
        let (high, low) = self.trace_id.split_at(8);
        let mut out = [0; 32];
        out[..16].copy_from_slice(&lower_hex_u64(u64_be(high)));
        out[16..].copy_from_slice(&lower_hex_u64(u64_be(low)));
        out
    }

    /// The span id as 16 lowercase hex digits (ASCII), as the header writes it.
    pub fn span_id_hex(&self) -> [u8; 16] {
        lower_hex_u64(u64::from_be_bytes(self.span_id))
    }

    /// Appends the trace id's 32 lowercase hex digits to `out`.
    ///
    /// # Example
    /// ```
    /// use reqlog::request_log::TraceContext;
    ///
    /// let trace = TraceContext::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    /// let mut line = String::from("trace_id=");
    /// trace.push_trace_id_hex(&mut line);
    /// assert_eq!(line, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736");
    /// ```
    pub fn push_trace_id_hex(&self, out: &mut String) {
        push_ascii(out, &self.trace_id_hex());
    }

    /// Appends the span id's 16 lowercase hex digits to `out`.
    pub fn push_span_id_hex(&self, out: &mut String) {
        push_ascii(out, &self.span_id_hex());
    }
}

impl fmt::Debug for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (trace_id, span_id) = (self.trace_id_hex(), self.span_id_hex());
        f.debug_struct("TraceContext")
            .field("trace_id", &std::str::from_utf8(&trace_id).unwrap_or("?"))
            .field("span_id", &std::str::from_utf8(&span_id).unwrap_or("?"))
            .field("flags", &format_args!("{:02x}", self.flags))
            .finish()
    }
}

/// Strips the spaces and tabs (HTTP's optional whitespace) around a field value.
fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// One byte from two lowercase hex digits (uppercase is invalid in `traceparent`).
fn lower_hex_byte(high: u8, low: u8) -> Option<u8> {
    let digit = |b: u8| match b {
        b'0'..=b'9' | b'a'..=b'f' => hex_digit(b),
        _ => None,
    };
    Some(digit(high)? << 4 | digit(low)?)
}

/// `N` bytes from `2 * N` lowercase hex digits.
fn lower_hex_bytes<const N: usize>(hex: &[u8]) -> Option<[u8; N]> {
    let mut out = [0; N];
    if hex.len() != 2 * N {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = lower_hex_byte(pair[0], pair[1])?;
    }
    Some(out)
}

fn u64_be(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(bytes);
    u64::from_be_bytes(word)
}

fn push_ascii(out: &mut String, hex: &[u8]) {
    // The hex writers give ASCII digits only, so this never takes the fallback.
    out.push_str(std::str::from_utf8(hex).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TRACE: &str = "12345678901234567890123456789012";
    const SPAN: &str = "1234567890123456";

    fn parse(s: &str) -> Option<TraceContext> {
        TraceContext::parse(s.as_bytes())
    }

    fn valid(s: &str) -> bool {
        parse(s).is_some()
    }

    #[test]
    fn reads_the_fields_of_version_00() {
        let t = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(
            t.trace_id(),
            [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36
            ]
        );
        assert_eq!(
            t.span_id(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(t.flags(), 1);
        assert!(t.sampled());
        let t = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!t.sampled());
        // Unknown flag bits are kept as sent; `sampled` reads only its own bit.
        let t = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe").unwrap();
        assert_eq!(t.flags(), 0xfe);
        assert!(!t.sampled());
        assert_eq!(
            format!("{t:?}"),
            "TraceContext { trace_id: \"4bf92f3577b34da6a3ce929d0e0e4736\", \
             span_id: \"00f067aa0ba902b7\", flags: fe }"
        );
    }

    /// The cases of the W3C conformance suite (w3c/trace-context, test/test.py) that a
    /// single value can express.
    #[test]
    fn w3c_conformance_cases() {
        let ok = format!("00-{TRACE}-{SPAN}-01");
        assert!(valid(&ok));

        // Version.
        assert!(valid(&format!("cc-{TRACE}-{SPAN}-01")));
        assert!(valid(&format!(
            "cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like"
        )));
        assert!(!valid(&format!(
            "cc-{TRACE}-{SPAN}-01.what-the-future-will-be-like"
        )));
        assert!(!valid(&format!("ff-{TRACE}-{SPAN}-01")));
        for bad in [".0", "0.", "0", "000", "CC", "0A", "g0", "-0"] {
            assert!(!valid(&format!("{bad}-{TRACE}-{SPAN}-01")), "{bad}");
        }
        // Version 00 with anything after the flags.
        assert!(!valid(&format!("00-{TRACE}-{SPAN}-01.")));
        assert!(!valid(&format!("00-{TRACE}-{SPAN}-01-")));
        assert!(!valid(&format!(
            "00-{TRACE}-{SPAN}-01-what-the-future-will-be-like"
        )));

        // Trace id.
        let zero_trace = "0".repeat(32);
        assert!(!valid(&format!("00-{zero_trace}-{SPAN}-01")));
        for bad in [
            "12345678901234567890123456789012.",
            "1234567890123456789012345678901.",
            ".2345678901234567890123456789012",
            "1234567890123456789012345678901",
            "123456789012345678901234567890123",
            "ABCDEF78901234567890123456789012",
            "abcdef78901234567890123456789O12",
        ] {
            assert!(!valid(&format!("00-{bad}-{SPAN}-01")), "{bad}");
        }

        // Parent id.
        assert!(!valid(&format!("00-{TRACE}-0000000000000000-01")));
        for bad in [
            "1234567890123456.",
            "123456789012345.",
            ".234567890123456",
            "123456789012345",
            "12345678901234567",
            "ABCDEF7890123456",
        ] {
            assert!(!valid(&format!("00-{TRACE}-{bad}-01")), "{bad}");
        }

        // Trace flags.
        for bad in ["0.", ".0", "0", "001", "0A", "FF", "0x"] {
            assert!(!valid(&format!("00-{TRACE}-{SPAN}-{bad}")), "{bad}");
        }

        // Optional whitespace around the value.
        for ws in [" ", "\t", " \t", "\t \t"] {
            assert!(valid(&format!("{ws}{ok}")), "{ws:?}");
            assert!(valid(&format!("{ok}{ws}")), "{ws:?}");
            assert!(valid(&format!("{ws}{ok}{ws}")), "{ws:?}");
        }
        // Whitespace inside is not whitespace around.
        assert!(!valid(&format!("00 -{TRACE}-{SPAN}-01")));
        assert!(!valid(&format!("00-{TRACE}-{SPAN}- 1")));
        // Other separators, other characters, short and long.
        assert!(!valid(&format!("00_{TRACE}_{SPAN}_01")));
        assert!(!valid(""));
        assert!(!valid("   "));
        assert!(!valid("00"));
        assert!(!valid(&ok[..54]));
        assert!(!valid(&format!("{ok}0")));
        assert!(!valid(&format!("{ok},{ok}")));
        assert!(!valid(&format!("cc-{TRACE}-{SPAN}-01x")));
        assert!(TraceContext::parse(&[0xff; 80]).is_none());
    }

    #[test]
    fn hex_writers_give_the_header_digits() {
        let t = parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
        assert_eq!(&t.trace_id_hex(), b"0af7651916cd43dd8448eb211c80319c");
        assert_eq!(&t.span_id_hex(), b"b7ad6b7169203331");
        let mut s = String::from(">");
        t.push_trace_id_hex(&mut s);
        s.push('/');
        t.push_span_id_hex(&mut s);
        assert_eq!(s, ">0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331");
    }

    /// Values near the valid layout, so that both answers are reached often: a valid
    /// head with a random version and flags, then perhaps a tail, then perhaps one byte
    /// overwritten.
    fn near_valid() -> impl Strategy<Value = Vec<u8>> {
        (
            "[0-9a-fA-F]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}",
            prop_oneof![Just(String::new()), "[-.][ -~]{0,20}", "[ \t]{1,3}"],
            proptest::option::of((0usize..80, any::<u8>())),
        )
            .prop_map(|(head, tail, flip)| {
                let mut v = (head + &tail).into_bytes();
                if let Some((i, b)) = flip {
                    let n = v.len();
                    v[i % n] = b;
                }
                v
            })
    }

    fn round_trips(value: &[u8]) -> Result<(), TestCaseError> {
        let Some(t) = TraceContext::parse(value) else {
            return Ok(());
        };
        let value = trim_ows(value);
        prop_assert_eq!(&t.trace_id_hex()[..], &value[TRACE_ID..SPAN_ID - 1]);
        prop_assert_eq!(&t.span_id_hex()[..], &value[SPAN_ID..FLAGS - 1]);
        let mut again = String::from("00-");
        t.push_trace_id_hex(&mut again);
        again.push('-');
        t.push_span_id_hex(&mut again);
        again.push_str(&format!("-{:02x}", t.flags()));
        prop_assert_eq!(TraceContext::parse(again.as_bytes()), Some(t));
        Ok(())
    }

    proptest! {
        #[test]
        fn never_panics_and_accepted_values_round_trip(value in proptest::collection::vec(any::<u8>(), 0..120)) {
            round_trips(&value)?;
        }

        #[test]
        fn near_valid_values_round_trip(value in near_valid()) {
            round_trips(&value)?;
        }
    }
}
