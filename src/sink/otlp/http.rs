//! A minimal HTTP/1.1 client for one job, on the exporter's thread only: POST a body to
//! the collector and read its answer, never waiting past a deadline.
//!
//! One connection per request (`Connection: close`): a batch carries hundreds of
//! records, so a handshake per batch costs little, and the response needs no keep-alive
//! bookkeeping — its body ends where the server closes, if it sends no length. Every
//! socket wait is cut into slices so that a deadline set while a request is under way
//! (the guard dropped during an export to a stalled collector) ends it promptly.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::export::Control;

/// Longest single socket wait: how late a deadline set meanwhile is noticed.
const IO_SLICE: Duration = Duration::from_millis(50);
/// Longest single connection attempt. A connect cannot be resumed, so a longer attempt
/// is retried; this is also how late a deadline is noticed while connecting.
pub(super) const CONNECT_SLICE: Duration = Duration::from_secs(1);
/// Most bytes of response head read; a longer head is an error.
const MAX_HEAD: usize = 16 * 1024;
/// Most bytes of response body kept (for an error message or a partial success).
const MAX_BODY: usize = 64 * 1024;
/// How long a response body may take once the head has arrived. The status decides
/// the outcome; the body is only read for details.
const BODY_WAIT: Duration = Duration::from_secs(1);

/// Where batches go: an `http://` URL, parsed and resolved when the sink is built.
#[derive(Clone, Debug)]
pub(super) struct Endpoint {
    /// The URL with the path used, for messages.
    pub(super) url: String,
    /// `host[:port]` as written, for the `Host` header.
    authority: String,
    /// Path and query.
    target: String,
    host: String,
    port: u16,
}

impl Endpoint {
    /// Parses `http://host[:port][/path][?query]`. Without a path, the OTLP/HTTP logs
    /// path `/v1/logs` is used; a path given is used as it is. The error says what to
    /// fix.
    pub(super) fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let Some(scheme_end) = url.find("://") else {
            return Err("it needs a scheme: write it as http://host:4318/v1/logs".into());
        };
        let scheme = &url[..scheme_end];
        if scheme.eq_ignore_ascii_case("https") {
            return Err(
                "https is not supported: send to a collector or agent nearby over \
                 http:// (it can forward over TLS)"
                    .into(),
            );
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(format!(
                "the scheme {scheme:?} is not supported: use http://"
            ));
        }
        let rest = &url[scheme_end + 3..];
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if target.contains('#') {
            return Err("a URL fragment (#…) has no meaning here: remove it".into());
        }
        if authority.contains('@') {
            return Err(
                "credentials in the URL are not sent: remove them and pass them \
                 with .header(\"authorization\", …)"
                    .into(),
            );
        }
        let (host, port) = split_host_port(authority)?;
        let target = match target {
            "" => "/v1/logs".to_owned(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_owned(),
        };
        if let Some(c) = target.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "the path has the character {c:?}: percent-encode it"
            ));
        }
        Ok(Endpoint {
            url: format!("http://{authority}{target}"),
            authority: authority.to_owned(),
            target,
            host: host.to_owned(),
            port,
        })
    }

    /// The host's addresses, looked up now (a DNS lookup cannot be bounded in time, so
    /// it is done once, when the sink is built, not on the exporter's thread).
    pub(super) fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = (host, self.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the host resolved to no address",
            ));
        }
        Ok(addrs)
    }
}

fn split_host_port(authority: &str) -> Result<(&str, u16), String> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority
            .find(']')
            .ok_or("an IPv6 address needs its closing bracket: http://[::1]:4318")?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => (host, None),
            r if r.starts_with(':') => (host, Some(&r[1..])),
            _ => return Err("after an IPv6 address in brackets comes :port".into()),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%[]:".contains(&b));
    if !valid_host {
        return Err(format!("{host:?} is not a host name or address"));
    }
    let port = match port {
        None => 80,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(format!("{p:?} is not a port (1–65535)")),
        },
    };
    Ok((host, port))
}

/// When a request must be over: its own timeout, or sooner if a shutdown deadline is
/// set on `control` meanwhile.
pub(super) struct Deadline<'a> {
    pub(super) attempt: Instant,
    pub(super) control: &'a Control,
}

impl Deadline<'_> {
    /// Time left, `None` once either deadline has passed.
    fn remaining(&self) -> Option<Duration> {
        let end = match self.control.deadline() {
            Some(d) => d.min(self.attempt),
            None => self.attempt,
        };
        Some(end.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    fn slice(&self, longest: Duration) -> io::Result<Duration> {
        match self.remaining() {
            Some(left) => Ok(left.min(longest)),
            None if self.control.deadline().is_some_and(|d| d <= Instant::now()) => Err(
                io::Error::new(io::ErrorKind::TimedOut, "shutting down: out of time"),
            ),
            None => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no answer within the timeout",
            )),
        }
    }
}

/// What the collector answered.
#[derive(Debug)]
pub(super) struct Reply<'a> {
    pub(super) status: u16,
    reason: String,
    /// `Retry-After` in seconds, when given.
    pub(super) retry_after: Option<Duration>,
    /// `Content-Type: application/x-protobuf`.
    pub(super) protobuf: bool,
    /// The body, at most [`MAX_BODY`] bytes of it.
    pub(super) body: &'a [u8],
}

impl Reply<'_> {
    pub(super) fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether OTLP/HTTP says to try again: 429 and 502–504 are, other failures are not
    /// (the same data would fail the same way).
    pub(super) fn retryable(&self) -> bool {
        matches!(self.status, 429 | 502 | 503 | 504)
    }
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the collector answered {}", self.status)?;
        if !self.reason.is_empty() {
            write!(f, " {}", self.reason)?;
        }
        let detail = if self.protobuf {
            super::encode::status_message(self.body)
        } else {
            Some(String::from_utf8_lossy(self.body).into_owned())
        };
        if let Some(detail) = detail {
            let detail = printable(&detail, 200);
            if !detail.is_empty() {
                write!(f, ": {detail}")?;
            }
        }
        Ok(())
    }
}

/// `s` on one line of printable characters, cut to `max` characters.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Sends requests to one endpoint, reusing its buffers.
pub(super) struct Client {
    endpoint: Endpoint,
    addrs: Vec<SocketAddr>,
    /// The request line and fixed headers, up to the per-request ones.
    head: Vec<u8>,
    request: Vec<u8>,
    response: Vec<u8>,
}

impl Client {
    /// `headers` are extra `name: value` lines, already validated.
    pub(super) fn new(
        endpoint: Endpoint,
        addrs: Vec<SocketAddr>,
        headers: &[(String, String)],
    ) -> Client {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: reqlog/{}\r\n\
             Content-Type: application/x-protobuf\r\nConnection: close\r\n",
            endpoint.target,
            endpoint.authority,
            env!("CARGO_PKG_VERSION"),
        );
        for (name, value) in headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        Client {
            endpoint,
            addrs,
            head: head.into_bytes(),
            request: Vec::new(),
            response: Vec::new(),
        }
    }

    pub(super) fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// POSTs `body` (gzip-compressed if `gzip`) and reads the answer, within `deadline`.
    pub(super) fn post(
        &mut self,
        body: &[u8],
        gzip: bool,
        deadline: &Deadline<'_>,
    ) -> io::Result<Reply<'_>> {
        self.request.clear();
        self.request.extend_from_slice(&self.head);
        if gzip {
            self.request
                .extend_from_slice(b"Content-Encoding: gzip\r\n");
        }
        // Writing into a Vec cannot fail.
        let _ = write!(self.request, "Content-Length: {}\r\n\r\n", body.len());
        self.request.extend_from_slice(body);
        let mut stream = connect(&self.addrs, deadline)?;
        let _ = stream.set_nodelay(true);
        write_all(&mut stream, &self.request, deadline)?;
        read_reply(&mut stream, &mut self.response, deadline)
    }

    /// Gives back buffers that grew past `keep` bytes.
    pub(super) fn trim(&mut self, keep: usize) {
        if self.request.capacity() > keep {
            self.request = Vec::new();
        }
    }
}

fn connect(addrs: &[SocketAddr], deadline: &Deadline<'_>) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        loop {
            let slice = deadline.slice(CONNECT_SLICE)?;
            match TcpStream::connect_timeout(addr, slice) {
                Ok(stream) => return Ok(stream),
                // A slice ran out: try again while the deadline allows.
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address")))
}

fn write_all(stream: &mut TcpStream, mut buf: &[u8], deadline: &Deadline<'_>) -> io::Result<()> {
    while !buf.is_empty() {
        stream.set_write_timeout(Some(deadline.slice(IO_SLICE)?))?;
        match stream.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether a socket error only means "nothing yet": a slice ran out or a signal came.
fn waiting(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Reads what arrives next into `buf`; `Ok(false)` at end of stream.
fn read_some(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: &Deadline<'_>,
) -> io::Result<bool> {
    let mut chunk = [0u8; 4096];
    loop {
        stream.set_read_timeout(Some(deadline.slice(IO_SLICE)?))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(true);
            }
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

fn read_reply<'a>(
    stream: &mut TcpStream,
    buf: &'a mut Vec<u8>,
    deadline: &Deadline<'_>,
) -> io::Result<Reply<'a>> {
    buf.clear();
    let (head_end, head) = loop {
        let end = loop {
            if let Some(end) = find(buf, b"\r\n\r\n") {
                break end + 4;
            }
            if buf.len() > MAX_HEAD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the response head is too long",
                ));
            }
            if !read_some(stream, buf, deadline)? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the collector closed the connection without answering",
                ));
            }
        };
        let head = Head::parse(&buf[..end])?;
        // An interim 1xx answer: the real one follows.
        if (100..200).contains(&head.status) && head.status != 101 {
            buf.drain(..end);
            continue;
        }
        break (end, head);
    };
    // The status is known: the records were taken or not. The body only adds details,
    // so read it briefly and never fail on it.
    let body_deadline = Deadline {
        attempt: deadline.attempt.min(Instant::now() + BODY_WAIT),
        control: deadline.control,
    };
    let no_body = matches!(head.status, 204 | 304);
    let want = head
        .content_length
        .unwrap_or(MAX_BODY as u64)
        .min(MAX_BODY as u64) as usize;
    while !no_body && buf.len() - head_end < want {
        match read_some(stream, buf, &body_deadline) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
    }
    buf.truncate(head_end + want.min(buf.len() - head_end));
    let body_start = head_end;
    if head.chunked {
        let decoded = dechunk(&buf[body_start..]);
        buf.truncate(body_start);
        buf.extend_from_slice(&decoded);
    }
    let body = if no_body {
        &buf[..0]
    } else {
        &buf[body_start..]
    };
    Ok(Reply {
        status: head.status,
        reason: head.reason,
        retry_after: head.retry_after,
        protobuf: head.protobuf,
        body,
    })
}

/// The parts of a response head the exporter uses.
#[derive(Debug, PartialEq)]
struct Head {
    status: u16,
    reason: String,
    content_length: Option<u64>,
    chunked: bool,
    protobuf: bool,
    retry_after: Option<Duration>,
}

impl Head {
    fn parse(head: &[u8]) -> io::Result<Head> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(bad("the answer is not HTTP/1.x"));
        }
        let status = parts
            .next()
            .filter(|s| s.len() == 3)
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (100..600).contains(s))
            .ok_or_else(|| bad("the answer has no valid status code"))?;
        let mut head = Head {
            status,
            reason: printable(parts.next().unwrap_or_default(), 60),
            content_length: None,
            chunked: false,
            protobuf: false,
            retry_after: None,
        };
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => head.content_length = value.parse().ok(),
                "transfer-encoding" => {
                    head.chunked = value.to_ascii_lowercase().contains("chunked");
                }
                "content-type" => {
                    head.protobuf = value
                        .to_ascii_lowercase()
                        .starts_with("application/x-protobuf");
                }
                "retry-after" => {
                    // Seconds only; the HTTP-date form falls back to our own backoff.
                    head.retry_after = value.parse::<u64>().ok().map(Duration::from_secs);
                }
                _ => {}
            }
        }
        if head.chunked {
            head.content_length = None;
        }
        Ok(head)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body as far as it is whole.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = find(body, b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok());
        let Some(size) = size.filter(|&s| s > 0) else {
            return out;
        };
        let data = line_end + 2;
        let Some(chunk) = data.checked_add(size).and_then(|end| body.get(data..end)) else {
            out.extend_from_slice(body.get(data..).unwrap_or_default());
            return out;
        };
        out.extend_from_slice(chunk);
        body = body.get(data + size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<(String, String, String, u16), String> {
        Endpoint::parse(url).map(|e| (e.url, e.authority, e.target, e.port))
    }

    #[test]
    fn endpoints() {
        let ok = |url: &str, target: &str, port: u16| {
            let (_, _, t, p) = parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((t.as_str(), p), (target, port), "{url}");
        };
        ok("http://127.0.0.1:4318/v1/logs", "/v1/logs", 4318);
        ok("http://127.0.0.1:4318", "/v1/logs", 4318);
        ok("HTTP://collector", "/v1/logs", 80);
        ok("http://collector:4318/", "/", 4318);
        ok(
            "http://collector:4318/otlp/v1/logs?tenant=a",
            "/otlp/v1/logs?tenant=a",
            4318,
        );
        ok("http://collector:4318?tenant=a", "/?tenant=a", 4318);
        ok("http://[::1]:4318/v1/logs", "/v1/logs", 4318);
        ok("  http://[::1]  ", "/v1/logs", 80);
        assert_eq!(
            parse("http://c:1/x").unwrap().0,
            "http://c:1/x",
            "the URL in messages"
        );
        for (url, says) in [
            ("collector:4318", "scheme"),
            ("https://collector:4318", "https is not supported"),
            ("grpc://collector:4317", "not supported"),
            ("http://u:p@collector/", "credentials"),
            ("http://collector:99999/", "not a port"),
            ("http://collector:0/", "not a port"),
            ("http://collector:/", "not a port"),
            ("http:///v1/logs", "not a host"),
            ("http://bad host/", "not a host"),
            ("http://[::1/", "closing bracket"),
            ("http://c/a b", "percent-encode"),
            ("http://c/é", "percent-encode"),
            ("http://c/x#frag", "fragment"),
        ] {
            let err = parse(url).expect_err(url);
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn heads() {
        let h = Head::parse(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\ncontent-type: application/x-protobuf\r\nContent-Length: 12\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            h,
            Head {
                status: 503,
                reason: "Service Unavailable".into(),
                content_length: Some(12),
                chunked: false,
                protobuf: true,
                retry_after: Some(Duration::from_secs(3)),
            }
        );
        let h =
            Head::parse(b"HTTP/1.0 200\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
                .unwrap();
        assert_eq!((h.status, h.chunked, h.content_length), (200, true, None));
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 999 x\r\n\r\n",
        ] {
            assert!(Head::parse(bad).is_err());
        }
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n"),
            b"Wikipedia"
        );
        assert_eq!(dechunk(b"4\r\nWi"), b"Wi");
        assert_eq!(dechunk(b"zz\r\n"), b"");
    }

    proptest::proptest! {
        /// Whatever a server answers, reading the head and body never panics.
        #[test]
        fn any_answer_is_read_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = Head::parse(&bytes);
            let _ = dechunk(&bytes);
        }

        #[test]
        fn any_endpoint_is_parsed_without_panic(url in "\\PC{0,40}") {
            let _ = Endpoint::parse(&url);
            let _ = Endpoint::parse(&format!("http://{url}"));
        }
    }
}
