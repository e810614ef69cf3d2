//! Filling a record from the request head: copied once into the record's arena,
//! redacted, made valid UTF-8 and length-capped on the way in.

use std::net::IpAddr;

use http::header::{HOST, REFERER, USER_AGENT};
use http::request::Parts;
use http::{HeaderValue, Version};

use super::client_ip;
use super::layer::Config;
use super::redact::write_redacting_emails;
use super::request_id::{self, X_REQUEST_ID};
use crate::record::{Arena, Span};
use crate::Record;

/// Marks a value that was cut to the length cap.
pub(crate) const TRUNCATED: &str = "…[truncated]";
/// Host names longer than this are cut.
const MAX_HOST: usize = 255;

/// What the service keeps besides the record.
pub(crate) struct Captured {
    pub(crate) record: Record,
    /// The resolved client before masking.
    pub(crate) client_ip: Option<IpAddr>,
    pub(crate) request_id: HeaderValue,
}

pub(crate) fn capture(parts: &Parts, config: &Config) -> Captured {
    let mut record = Record::blank("http.request", Arena::take());
    let cap = config.max_field_len;
    let text = &mut record.text;

    record.method = Some(parts.method.clone());
    let start = text.mark();
    write_redacting_emails(text.buf(), parts.uri.path());
    record.path = Some(finish_capped(text, start, cap));
    if let Some(q) = parts.uri.query() {
        let start = text.mark();
        config.redactor.write_query(text.buf(), q);
        record.query = Some(finish_capped(text, start, cap));
    }
    record.route = route(parts).map(|r| {
        let start = text.mark();
        text.buf().push_str(r);
        finish_capped(text, start, cap)
    });
    record.protocol = Some(protocol(parts.version));

    let host = parts
        .uri
        .authority()
        .map(|a| a.as_str().as_bytes())
        .or_else(|| parts.headers.get(HOST).map(HeaderValue::as_bytes));
    record.server_address = host.map(|h| push_lossy(text, h, MAX_HOST));
    record.user_agent = parts
        .headers
        .get(USER_AGENT)
        .map(|ua| push_lossy(text, ua.as_bytes(), cap));
    record.referer = parts.headers.get(REFERER).map(|r| {
        // A referer is a URL: its query can carry tokens and e-mails too.
        let start = text.mark();
        let lossy = String::from_utf8_lossy(r.as_bytes());
        match lossy.split_once('?') {
            Some((base, query)) => {
                write_redacting_emails(text.buf(), base);
                text.buf().push('?');
                config.redactor.write_query(text.buf(), query);
            }
            None => write_redacting_emails(text.buf(), &lossy),
        }
        finish_capped(text, start, cap)
    });

    let request_id = match parts.headers.get(&X_REQUEST_ID) {
        Some(v) if request_id::is_sane(v.as_bytes()) => v.clone(),
        _ => request_id::generate(),
    };
    record.request_id = Some(push_lossy(text, request_id.as_bytes(), 128));

    let client = client_ip::resolve(
        client_ip::peer(&parts.extensions),
        &parts.headers,
        &config.trusted,
    );
    record.client_address = match (client, config.mask) {
        (Some(ip), Some((v4, v6))) => Some(client_ip::mask(ip, v4, v6)),
        (ip, _) => ip,
    };
    Captured {
        record,
        client_ip: client,
        request_id,
    }
}

fn protocol(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "unknown",
    }
}

#[cfg(feature = "axum")]
fn route(parts: &Parts) -> Option<&str> {
    parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str())
}

#[cfg(not(feature = "axum"))]
fn route(_parts: &Parts) -> Option<&str> {
    None
}

/// Appends header bytes as UTF-8 (invalid sequences become U+FFFD) and caps them.
fn push_lossy(text: &mut Arena, bytes: &[u8], cap: usize) -> Span {
    let start = text.mark();
    // Bytes past the cap are never looked at; 4 extra keep a cut character whole.
    let bytes = &bytes[..bytes.len().min(cap + 4)];
    for chunk in bytes.utf8_chunks() {
        text.buf().push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.buf().push('\u{fffd}');
        }
    }
    finish_capped(text, start, cap)
}

/// Ends a field begun at `start`, cutting it to `cap` bytes with a marker.
fn finish_capped(text: &mut Arena, start: usize, cap: usize) -> Span {
    let buf = text.buf();
    if buf.len() - start > cap {
        let mut cut = start + cap;
        while !buf.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.truncate(cut);
        buf.push_str(TRUNCATED);
    }
    text.span_from(start)
}
