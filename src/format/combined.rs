//! The Apache/nginx `combined` access log format, byte-compatible.

use super::text::write_u64;
use super::time::civil;
use super::Format;
use crate::{Outcome, Record};

/// The `combined` access log format of Apache and nginx:
///
/// ```text
/// %h - %u [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i"
/// 203.0.113.7 - u_3f2a9c0b1d2e4f56 [24/Nov/2026:02:30:05 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"
/// ```
///
/// so GoAccess, fail2ban, AWStats and other analysers read it unchanged. `%u` is the
/// pseudonymous `enduser.pseudo.id` or `-`; the time is the request's start in UTC. Quotes,
/// backslashes, control characters and bytes outside printable ASCII are written as
/// `\xHH`, as nginx does, so one request is always one line. A request that got no
/// response has status `499` when the client went away (nginx's "client closed
/// request") and `500` when the service failed or panicked.
///
/// Only request records have a form in this format: other records (`reqlog.start`,
/// `reqlog.dropped`) write nothing.
///
/// # Example
/// ```
/// use reqlog::format::{Combined, Format};
/// use reqlog::Record;
///
/// let mut line = Vec::new();
/// Combined.format(&Record::event("reqlog.start"), &mut line);
/// assert!(line.is_empty(), "only requests are written");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Combined;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

impl Format for Combined {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        if record.event_name() != "http.request" {
            return;
        }
        match record.client_address() {
            Some(ip) => super::text::write_ip(out, ip),
            None => out.push(b'-'),
        }
        out.extend_from_slice(b" - ");
        write_escaped(out, record.user_id().unwrap_or("-"));
        out.extend_from_slice(b" [");
        write_time(out, record);
        out.extend_from_slice(b"] \"");
        write_escaped(out, record.method().map_or("-", |m| m.as_str()));
        out.push(b' ');
        write_escaped(out, record.path().unwrap_or("/"));
        if let Some(q) = record.query() {
            out.push(b'?');
            write_escaped(out, q);
        }
        out.extend_from_slice(b" HTTP/");
        out.extend_from_slice(match record.protocol_version() {
            Some("2") => b"2.0",
            Some("3") => b"3.0",
            Some(v) => v.as_bytes(),
            None => b"1.1",
        });
        out.extend_from_slice(b"\" ");
        let status = record
            .status()
            .map(u64::from)
            .unwrap_or(match record.outcome() {
                Some(Outcome::Aborted) => 499,
                _ => 500,
            });
        write_u64(out, status);
        out.push(b' ');
        write_u64(out, record.response_body_size().unwrap_or(0));
        out.extend_from_slice(b" \"");
        write_escaped(out, record.referer().unwrap_or("-"));
        out.extend_from_slice(b"\" \"");
        write_escaped(out, record.user_agent().unwrap_or("-"));
        out.extend_from_slice(b"\"\n");
    }

    fn name(&self) -> &'static str {
        "combined"
    }
}

/// `24/Nov/2026:02:30:05 +0000`.
fn write_time(out: &mut Vec<u8>, record: &Record) {
    let secs = record
        .timestamp()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, mo, d, h, mi, s) = civil(secs);
    let two = |out: &mut Vec<u8>, n: u64| {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8])
    };
    two(out, d);
    out.push(b'/');
    out.extend_from_slice(MONTHS[(mo as usize).clamp(1, 12) - 1]);
    out.push(b'/');
    write_u64(out, y);
    out.push(b':');
    two(out, h);
    out.push(b':');
    two(out, mi);
    out.push(b':');
    two(out, s);
    out.extend_from_slice(b" +0000");
}

/// nginx's access-log escaping: `"`, `\`, controls and non-ASCII bytes as `\xHH`.
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            out.extend_from_slice(&bytes[run..i]);
            out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            run = i + 1;
        }
    }
    out.extend_from_slice(&bytes[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_nginx() {
        let mut out = Vec::new();
        write_escaped(&mut out, "a\"b\\c\nd\u{7f}é");
        assert_eq!(out, b"a\\x22b\\x5Cc\\x0Ad\\x7F\\xC3\\xA9");
    }
}
