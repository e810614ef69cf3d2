//! Filling a record from the request head: copied once into the record's arena,
//! redacted, made valid UTF-8 and length-capped on the way in.

use http::header::{HOST, REFERER, USER_AGENT};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Version};

use super::client_ip::{self, Client};
use super::correlation::{self, TRACEPARENT};
use super::layer::Config;
use super::redact::{split_userinfo, strip_userinfo};
use super::request_id::{self, X_REQUEST_ID};
use super::trace_context::TraceContext;
use crate::record::{Arena, Span};
use crate::Record;

/// Marks a value that was cut to the length cap.
pub(crate) const TRUNCATED: &str = "…[truncated]";
static X_FORWARDED_PROTO: http::HeaderName = http::HeaderName::from_static("x-forwarded-proto");

/// Host names longer than this are cut.
const MAX_HOST: usize = 255;
/// How far past the cap an input is kept for redaction to read: enough for a cut
/// character or escape, and for an e-mail address that begins before the cap (a local
/// part of 64 bytes, `%40`, a domain of 253) to be seen whole and redacted.
const CUT_MARGIN: usize = 320;

/// What the service keeps besides the record.
pub(crate) struct Captured {
    pub(crate) request_id: HeaderValue,
    /// The caller's trace (a single valid `traceparent`), also on the record.
    pub(crate) trace: Option<TraceContext>,
}

/// Fills a blank record (in place: it is the pooled cell's) from the request head;
/// returns the resolved client (before masking) and what the service keeps.
pub(crate) fn capture(record: &mut Record, parts: &Parts, config: &Config) -> (Client, Captured) {
    let cap = config.max_field_len;
    let text = &mut record.text;

    // Every input is cut to the cap (plus a margin) before anything reads it: the work
    // below is bounded by the cap, whatever the request carries.
    let route = route(parts).map(|r| cut_str(r, cap));
    let (path, path_cut) = cut_str(parts.uri.path(), cap);
    let start = text.mark();
    config
        .redactor
        .write_path(text.buf(), path, route.map(|(r, _)| r));
    let path = finish_capped(text, start, cap, path_cut);
    let query = parts.uri.query().map(|q| {
        let (q, was_cut) = cut_str(q, cap);
        let start = text.mark();
        config.redactor.write_query(text.buf(), q);
        finish_capped(text, start, cap, was_cut)
    });
    let route = route.map(|(r, was_cut)| {
        let start = text.mark();
        text.buf().push_str(r);
        finish_capped(text, start, cap, was_cut)
    });

    let headers = Wanted::find(&parts.headers);
    let host = parts
        .uri
        .authority()
        .map(|a| a.as_str().as_bytes())
        .or_else(|| headers.host.map(HeaderValue::as_bytes));
    // `alice:s3cr3t@host`: only what follows the last `@` is the host. The `@` is
    // looked for before the cut (one pass), so a long userinfo cannot hide it.
    let (host, port) = match host.map(strip_userinfo) {
        Some(h) => split_host_port(h),
        None => (None, None),
    };
    let server_address = host.map(|h| push_lossy(text, h, MAX_HOST));
    let user_agent = headers
        .user_agent
        .map(|ua| push_lossy(text, ua.as_bytes(), cap));
    let referer = headers.referer.map(|r| {
        // A referer is a URL: its userinfo is dropped (found before the cut, like the
        // host's), its path and query redacted like the request's.
        let (scheme, rest) = split_userinfo(r.as_bytes());
        let (rest, was_cut) = cut(rest, cap);
        let start = text.mark();
        let scheme = std::str::from_utf8(scheme).unwrap_or_default();
        let rest = String::from_utf8_lossy(rest);
        config.redactor.write_url(text.buf(), scheme, &rest);
        finish_capped(text, start, cap, was_cut)
    });

    let peer = client_ip::peer_addr(&parts.extensions);
    // An incoming id is kept only from a trusted proxy: anyone else could pick the id of
    // another request (or a string meant to mislead whoever reads the log).
    let from_proxy = peer.is_some_and(|p| config.proxies.is_trusted(p.ip()));
    let request_id = match headers.request_id {
        Some(v) if from_proxy && request_id::is_sane(v.as_bytes()) => v.clone(),
        _ => request_id::generate(),
    };
    let request_id_span = push_lossy(text, request_id.as_bytes(), 128);
    let trace = headers
        .traceparent
        .and_then(|v| TraceContext::parse(v.as_bytes()));
    let trace_spans = trace.as_ref().map(|t| {
        let start = text.mark();
        t.push_trace_id_hex(text.buf());
        let trace_id = text.span_from(start);
        let start = text.mark();
        t.push_span_id_hex(text.buf());
        let span_id = text.span_from(start);
        let start = text.mark();
        crate::hex::push_hex_byte(text.buf(), t.flags());
        (trace_id, span_id, text.span_from(start))
    });

    let client = client_ip::resolve(peer.map(|p| p.ip()), &parts.headers, &config.proxies);
    let (address, client_port) = match (client.logged(), config.mask) {
        (Some(ip), Some((v4, v6))) => (Some(client_ip::mask(ip, v4, v6)), None),
        // The port is the client's only when the client is the connection's peer.
        (ip, None) => (ip, peer.filter(|p| Some(p.ip()) == ip).map(|p| p.port())),
        (None, _) => (None, None),
    };

    record.set_method(parts.method.clone());
    record.set_scheme(scheme(parts, from_proxy, headers.forwarded_proto));
    record.set_path(path);
    if let Some(q) = query {
        record.set_query(q);
    }
    if let Some(r) = route {
        record.set_route(r);
    }
    record.set_protocol_version(protocol(parts.version));
    if let Some(h) = server_address {
        record.set_server_address(h);
    }
    if let Some(p) = port {
        record.set_server_port(p);
    }
    if let Some(ip) = address {
        record.set_client_address(ip);
    }
    if let Some(p) = client_port {
        record.set_client_port(p);
    }
    if let Some(ua) = user_agent {
        record.set_user_agent(ua);
    }
    if let Some(r) = referer {
        record.set_referer(r);
    }
    record.set_request_id(request_id_span);
    if let Some((trace_id, span_id, flags)) = trace_spans {
        record.set_trace_id(trace_id);
        record.set_span_id(span_id);
        record.set_trace_flags(flags);
    }
    (client, Captured { request_id, trace })
}

/// Settles a route reported after the record was begun (a [`RouteHook`] inside the
/// router, `RequestLog` outside it), before the record is judged and written:
/// `http.route` capped as [`capture`] caps it, and `url.path` redacted again with the
/// route when the route names a sensitive parameter (`/reset/{token}`), so the line is
/// the one `RequestLog` inside the router would have written. Redaction keeps the
/// path's segments, so the route's segments still line up with them. Allocates only
/// for such a route, or one longer than the cap.
///
/// [`RouteHook`]: super::RouteHook
pub(crate) fn settle_route(record: &mut Record, config: &Config) {
    let Some(route) = record.route() else { return };
    let cap = config.max_field_len;
    let secret = config.redactor.route_has_secret(route);
    if route.len() <= cap && !secret {
        return;
    }
    let route = route.to_owned();
    let (route, route_cut) = cut_str(&route, cap);
    if secret {
        let path = record.path().unwrap_or_default().to_owned();
        let text = &mut record.text;
        let start = text.mark();
        config.redactor.write_path(text.buf(), &path, Some(route));
        let path = finish_capped(text, start, cap, false);
        record.set_path(path);
    }
    let text = &mut record.text;
    let start = text.mark();
    text.buf().push_str(route);
    let route = finish_capped(text, start, cap, route_cut);
    record.set_route(route);
}

/// `url.scheme`: the request's own (an absolute URI, HTTP/2's `:scheme`), else what a
/// trusted proxy says in `X-Forwarded-Proto`, else `http`.
fn scheme(parts: &Parts, from_proxy: bool, forwarded: Option<&HeaderValue>) -> &'static str {
    let named = |s: &[u8]| {
        if s.eq_ignore_ascii_case(b"https") {
            Some("https")
        } else if s.eq_ignore_ascii_case(b"http") {
            Some("http")
        } else {
            None
        }
    };
    if let Some(s) = parts.uri.scheme_str().and_then(|s| named(s.as_bytes())) {
        return s;
    }
    forwarded
        .filter(|_| from_proxy)
        .and_then(|v| named(v.as_bytes().trim_ascii()))
        .unwrap_or("http")
}

/// Splits a `Host` value into the host (brackets of an IPv6 literal removed) and the
/// port, when it names a valid one.
fn split_host_port(h: &[u8]) -> (Option<&[u8]>, Option<u16>) {
    let port_of = |p: &[u8]| {
        (!p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(p).ok()?.parse::<u16>().ok())
            .flatten()
    };
    if let Some(rest) = h.strip_prefix(b"[") {
        return match rest.iter().position(|&b| b == b']') {
            Some(end) => {
                let port = rest[end + 1..].strip_prefix(b":").and_then(port_of);
                (Some(&rest[..end]), port)
            }
            None => (Some(h), None),
        };
    }
    // Host names are short: a plain loop beats `memrchr`'s set-up here.
    match h.iter().rposition(|&b| b == b':') {
        // One colon: `host:port`; more is a bare IPv6 address (no port).
        Some(i) if !h[..i].contains(&b':') => match port_of(&h[i + 1..]) {
            Some(p) => (Some(&h[..i]), Some(p)),
            None if h[i + 1..].is_empty() => (Some(&h[..i]), None),
            None => (Some(h), None),
        },
        _ => (Some(h), None),
    }
}

/// The request headers that go into the record: the first value of each, as
/// `HeaderMap::get` gives it.
#[derive(Default)]
struct Wanted<'a> {
    host: Option<&'a HeaderValue>,
    user_agent: Option<&'a HeaderValue>,
    referer: Option<&'a HeaderValue>,
    request_id: Option<&'a HeaderValue>,
    forwarded_proto: Option<&'a HeaderValue>,
    /// The `traceparent` value when the header appears exactly once (a repeated one is
    /// invalid as a whole).
    traceparent: Option<&'a HeaderValue>,
}

impl<'a> Wanted<'a> {
    /// Above this many header values, four hashed lookups beat one walk (measured:
    /// four lookups cost about 560 instructions, a walk about 20 per value).
    const WALK_MAX: usize = 20;

    fn find(headers: &'a HeaderMap) -> Wanted<'a> {
        if headers.len() > Self::WALK_MAX {
            return Wanted {
                host: headers.get(HOST),
                user_agent: headers.get(USER_AGENT),
                referer: headers.get(REFERER),
                request_id: headers.get(&X_REQUEST_ID),
                forwarded_proto: headers.get(&X_FORWARDED_PROTO),
                traceparent: correlation::single_traceparent(headers),
            };
        }
        // A lookup hashes the name and probes the table; comparing a handful of names
        // is cheaper. The map yields each name's first value before its others.
        let mut found = Wanted::default();
        let mut traceparents = 0;
        for (name, value) in headers {
            let slot = if name == HOST {
                &mut found.host
            } else if name == USER_AGENT {
                &mut found.user_agent
            } else if name == REFERER {
                &mut found.referer
            } else if name == X_REQUEST_ID {
                &mut found.request_id
            } else if name == X_FORWARDED_PROTO {
                &mut found.forwarded_proto
            } else if name == TRACEPARENT {
                traceparents += 1;
                &mut found.traceparent
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        if traceparents > 1 {
            found.traceparent = None;
        }
        found
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
    let kept = &bytes[..bytes.len().min(cap + 4)];
    let was_cut = kept.len() < bytes.len();
    // Header values are nearly always ASCII: one validating pass, one copy.
    if let Ok(valid) = std::str::from_utf8(kept) {
        text.buf().push_str(valid);
        return finish_capped(text, start, cap, was_cut);
    }
    for chunk in kept.utf8_chunks() {
        text.buf().push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.buf().push('\u{fffd}');
        }
    }
    finish_capped(text, start, cap, was_cut)
}

/// The first `cap` + [`CUT_MARGIN`] bytes of an input (at a char boundary when the
/// input is UTF-8), and whether anything was left out.
fn cut(bytes: &[u8], cap: usize) -> (&[u8], bool) {
    let limit = cap.saturating_add(CUT_MARGIN);
    if bytes.len() <= limit {
        return (bytes, false);
    }
    let mut end = limit;
    // Back over continuation bytes, at most three, to the start of a character.
    while end > limit - 3 && bytes[end] & 0xc0 == 0x80 {
        end -= 1;
    }
    (&bytes[..end], true)
}

/// [`cut`] for text: the cut is at a char boundary.
fn cut_str(s: &str, cap: usize) -> (&str, bool) {
    let (kept, was_cut) = cut(s.as_bytes(), cap);
    (&s[..kept.len()], was_cut)
}

/// Ends a field begun at `start`, cutting it to `cap` bytes with a marker; the marker
/// also when the input was cut before redaction (`was_cut`).
fn finish_capped(text: &mut Arena, start: usize, cap: usize, was_cut: bool) -> Span {
    let buf = text.buf();
    if was_cut || buf.len() - start > cap {
        let mut cut = start + cap.min(buf.len() - start);
        while !buf.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.truncate(cut);
        buf.push_str(TRUNCATED);
    }
    text.span_from(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    /// The walk and the lookups give what `HeaderMap::get` gives, duplicates included.
    #[test]
    fn wanted_headers_are_the_first_values() {
        let base = [
            ("accept", "*/*"),
            ("User-Agent", "ua-1"),
            ("x-request-id", "id-1"),
            ("host", "h-1"),
            ("user-agent", "ua-2"),
            ("referer", "r-1"),
            ("x-request-id", "id-2"),
            ("host", "h-2"),
        ];
        for filler in [0, 5, 30] {
            let mut pairs = base.to_vec();
            let names: Vec<String> = (0..filler).map(|i| format!("x-filler-{i}")).collect();
            for n in &names {
                pairs.insert(1, (n.as_str(), "v"));
            }
            let h = map(&pairs);
            assert_eq!(h.len() > Wanted::WALK_MAX, filler == 30);
            let w = Wanted::find(&h);
            assert_eq!(w.host, h.get(HOST));
            assert_eq!(w.user_agent, h.get(USER_AGENT));
            assert_eq!(w.referer, h.get(REFERER));
            assert_eq!(w.request_id, h.get(&X_REQUEST_ID));
            assert_eq!(w.user_agent.unwrap(), "ua-1");
        }
        let only_accept = map(&[("accept", "*/*")]);
        let none = Wanted::find(&only_accept);
        assert!(none.host.is_none() && none.user_agent.is_none());
        assert!(none.referer.is_none() && none.request_id.is_none());
    }

    #[test]
    fn header_text_is_capped_and_made_valid() {
        let mut text = Arena::default();
        let s = push_lossy(&mut text, b"plain ascii", 64);
        assert_eq!(text.get(s), "plain ascii");
        let s = push_lossy(&mut text, b"caf\xc3\xa9 \xff end", 64);
        assert_eq!(text.get(s), "café \u{fffd} end");
        let long = "é".repeat(40);
        let s = push_lossy(&mut text, long.as_bytes(), 17);
        assert_eq!(text.get(s), format!("{}{TRUNCATED}", "é".repeat(8)));
    }
}
