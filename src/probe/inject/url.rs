//! Server-side request forgery targets (family `ssrf`).
//!
//! A value that is a URL (it starts with a scheme) and points where only the server can
//! reach: loopback, the unspecified address, private and link-local ranges, carrier-grade
//! NAT, cloud metadata names (`metadata.google.internal`, `instance-data`,
//! `metadata.azure.com`), `localhost` and `*.localhost`, and DNS names that resolve to an
//! embedded address (`127.0.0.1.nip.io`). Addresses are read the way `inet_aton` and
//! browsers read them: one to four parts, each decimal, hex (`0x7f`) or octal (`0177`),
//! so `2130706433`, `0x7f.1` and `127.1` are loopback; IPv6 in brackets, including
//! IPv4-mapped (`[::ffff:a9fe:a9fe]`), `[::]`, `[::1]`, `fe80::/10`, `fc00::/7`. The
//! authority's `user@` is dropped (`http://example.com@127.0.0.1/`), and backslashes
//! count as slashes. Schemes that only SSRF uses (`gopher:`, `dict:`, `ldap:`,
//! `tftp:`, `sftp:`) are enough on their own. An ordinary external URL or a same-site
//! path in `?next=` is not SSRF.

const SSRF_SCHEMES: &[&[u8]] = &[
    b"gopher:", b"dict:", b"ldap:", b"ldaps:", b"tftp:", b"sftp:",
];
const WEB_SCHEMES: &[&[u8]] = &[b"http:", b"https:", b"ftp:", b"ws:", b"wss:", b"jar:http"];
const METADATA: &[&[u8]] = &[
    b"metadata.google.internal",
    b"metadata",
    b"instance-data",
    b"metadata.azure.com",
    b"metadata.packet.net",
    b"localhost",
    b"ip6-localhost",
    b"ip6-loopback",
];

pub(super) fn is_ssrf(v: &[u8]) -> bool {
    let v = &v[v.iter().take_while(|&&b| b <= b' ').count()..];
    if url_internal(v) {
        return true;
    }
    // A URL nested in a URL's query (`…/?url=http://localhost`): the first one
    // redirects to the second.
    let mut i = 1;
    while let Some(p) = super::find(&v[i..], b"=http") {
        let at = i + p + 1;
        if url_internal(&v[at..]) {
            return true;
        }
        i = at;
    }
    false
}

/// A URL at the start of `v` that points to an internal host.
fn url_internal(v: &[u8]) -> bool {
    if SSRF_SCHEMES.iter().any(|s| v.starts_with(s)) {
        return true;
    }
    let Some(s) = WEB_SCHEMES.iter().find(|s| v.starts_with(s)) else {
        return false;
    };
    let rest = &v[s.len()..];
    let rest = rest
        .strip_prefix(b"http:")
        .or_else(|| rest.strip_prefix(b"https:"))
        .unwrap_or(rest);
    let slashes = rest
        .iter()
        .take_while(|&&b| b == b'/' || b == b'\\')
        .count();
    let rest = &rest[slashes..];
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = match authority.iter().rposition(|&b| b == b'@') {
        Some(p) => &authority[p + 1..],
        None => authority,
    };
    internal_host(host)
}

/// Names that public DNS resolves to loopback, and redirect services that send the
/// server on to an address of the attacker's choosing.
const LOOPBACK_NAMES: &[&[u8]] = &[
    b"localtest.me",
    b"lvh.me",
    b"vcap.me",
    b"lacolhost.com",
    b"r3dir.me",
    b"1u.ms",
    b"rbndr.us",
];

fn internal_host(host: &[u8]) -> bool {
    // Enclosed alphanumerics (`ⓔⓧⓐⓜⓟⓛⓔ`, U+2460–U+24FF), which URL parsers fold to
    // ASCII: only a filter bypass spells a host so.
    if host
        .windows(2)
        .any(|w| w[0] == 0xe2 && matches!(w[1], 0x91..=0x93))
    {
        return true;
    }
    if LOOPBACK_NAMES
        .iter()
        .any(|n| host == *n || (host.ends_with(n) && host[host.len() - n.len() - 1] == b'.'))
    {
        return true;
    }
    if let Some(inner) = host.strip_prefix(b"[") {
        let inner = &inner[..inner.iter().position(|&b| b == b']').unwrap_or(inner.len())];
        return internal_v6(inner);
    }
    // Drop the port (and anything after a first colon).
    let host = match host.iter().position(|&b| b == b':') {
        Some(p) => &host[..p],
        None => host,
    };
    let host = host.strip_suffix(b".").unwrap_or(host);
    if METADATA.contains(&host) || host.ends_with(b".localhost") || host.ends_with(b".internal") {
        return true;
    }
    if let Some(ip) = ipv4(host) {
        return internal_v4(ip);
    }
    // `127.0.0.1.nip.io` and friends: a name that spells an internal address.
    for suffix in [&b".nip.io"[..], b".xip.io", b".sslip.io", b".localtest.me"] {
        if let Some(name) = host.strip_suffix(suffix) {
            let last4 = name
                .rsplitn(5, |&b| b == b'.' || b == b'-')
                .collect::<Smallvec4>();
            if last4.internal() || suffix == b".localtest.me" {
                return true;
            }
        }
    }
    false
}

/// The last four labels of a name, read as an address (`…127.0.0.1.nip.io`).
struct Smallvec4 {
    parts: [u32; 4],
    n: usize,
    ok: bool,
}

impl<'a> FromIterator<&'a [u8]> for Smallvec4 {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(it: I) -> Self {
        let mut s = Smallvec4 {
            parts: [0; 4],
            n: 0,
            ok: true,
        };
        for label in it {
            if s.n == 4 {
                break;
            }
            match std::str::from_utf8(label)
                .ok()
                .and_then(|l| l.parse::<u8>().ok())
            {
                Some(p) => s.parts[3 - s.n] = u32::from(p),
                None => s.ok = false,
            }
            s.n += 1;
        }
        s
    }
}

impl Smallvec4 {
    fn internal(&self) -> bool {
        self.ok && self.n == 4 && internal_v4(self.parts.iter().fold(0u32, |a, &p| (a << 8) | p))
    }
}

/// One `inet_aton` part: decimal, `0x` hex or `0` octal.
fn part(p: &[u8]) -> Option<u64> {
    if p.is_empty() || p.len() > 12 {
        return None;
    }
    let (digits, radix) = if let Some(h) = p.strip_prefix(b"0x") {
        (h, 16)
    } else if let Some(o) = p
        .strip_prefix(b"0o")
        .or_else(|| p.strip_prefix(b"o"))
        .or_else(|| p.strip_prefix(b"q"))
    {
        // Octal prefixes some resolvers accept (`0o177`, `o177`, `q177`).
        (o, 8)
    } else if p.len() > 1 && p[0] == b'0' {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    let s = std::str::from_utf8(digits).ok()?;
    u64::from_str_radix(s, radix).ok()
}

/// An IPv4 address in any `inet_aton` spelling (`127.1`, `2130706433`, `0x7f.0.0.1`).
fn ipv4(host: &[u8]) -> Option<u32> {
    let mut parts = [0u64; 4];
    let mut n = 0;
    for p in host.split(|&b| b == b'.') {
        if n == 4 {
            return None;
        }
        parts[n] = part(p)?;
        n += 1;
    }
    let (head, last) = (&parts[..n - 1], parts[n - 1]);
    if head.iter().any(|&p| p > 255) {
        return None;
    }
    let max_last = if n == 1 {
        u64::from(u32::MAX)
    } else {
        (1u64 << (8 * (5 - n as u32))) - 1
    };
    if last > max_last {
        return None;
    }
    let mut ip: u64 = 0;
    for (k, &p) in head.iter().enumerate() {
        ip |= p << (24 - 8 * k as u32);
    }
    Some((ip | last) as u32)
}

fn internal_v4(ip: u32) -> bool {
    let [a, b, ..] = ip.to_be_bytes();
    a == 127
        || a == 0
        || a == 10
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 100 && (64..128).contains(&b))
}

fn internal_v6(h: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(h) else {
        return false;
    };
    let s = s.split('%').next().unwrap_or(s);
    match s.parse::<std::net::Ipv6Addr>() {
        Ok(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return internal_v4(u32::from(v4));
            }
            let seg = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[..6] == [0; 6]
                    && internal_v4((u32::from(seg[6]) << 16) | u32::from(seg[7])))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal() {
        for s in [
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computemetadata/v1/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1",
            "http://localhost:8080/admin",
            "gopher://127.0.0.1:6379/_info",
            "dict://x:11211/stat",
            "http://example.com@127.0.0.1/",
            "http://[::1]:80/",
            "http://0177.0.0.1/",
            "http://127.0.0.1.nip.io/",
            "http://0/",
        ] {
            assert!(is_ssrf(s.as_bytes()), "{s}");
        }
        for s in [
            "https://example.com/a",
            "/courses/rust?x=1",
            "http://8.8.8.8/",
            "https://www.google.com/search?q=127.0.0.1",
            "http://1.2.3.4.example.com/",
        ] {
            assert!(!is_ssrf(s.as_bytes()), "{s}");
        }
    }
}
