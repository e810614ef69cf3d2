//! The client address: the peer, or what trusted proxies say in forwarded headers.
//!
//! Only what a trusted proxy itself wrote is believed. `X-Forwarded-For` is read hop by
//! hop from the right, as bytes, so junk that a client put in its own hops cannot hide
//! the hop the proxy appended. `Forwarded` is read only when the operator says their
//! proxy sets it. When the hop a trusted proxy wrote cannot be read (`for=unknown`, an
//! obfuscated node, garbage, a missing `for=`), the client is [`Client::Unknown`]: never
//! the proxy, so nothing can get a proxy counted or blocked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use http::header::{HeaderMap, FORWARDED};
use ipnet::IpNet;

static X_FORWARDED_FOR: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");

/// Which peers are believed, and which header they write.
#[derive(Clone, Debug, Default)]
pub(crate) struct Proxies {
    /// Networks of the trusted proxies (truncated to their prefix).
    pub(crate) trusted: Arc<[IpNet]>,
    /// Read `Forwarded` (RFC 7239) instead of `X-Forwarded-For`.
    pub(crate) forwarded: bool,
}

impl Proxies {
    /// Adds networks to the trusted list.
    pub(crate) fn add<I: IntoIterator<Item = IpNet>>(&mut self, nets: I) {
        let mut list: Vec<IpNet> = self.trusted.to_vec();
        list.extend(nets.into_iter().map(|n| n.trunc()));
        self.trusted = Arc::from(list);
    }

    /// Whether `ip` is one of the trusted proxies.
    pub(crate) fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

/// Who sent a request, as far as the trusted proxies let us know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    /// An address that is not a trusted proxy: logged, counted, blockable.
    Addr(IpAddr),
    /// A trusted proxy that forwarded nobody (its own health check, or a chain of trusted
    /// hops only): logged, never counted or blocked.
    Proxy(IpAddr),
    /// No peer address, or a trusted proxy forwarded a hop that cannot be read: not
    /// logged, never counted or blocked.
    Unknown,
}

impl Client {
    /// The address that goes into the line.
    pub(crate) fn logged(self) -> Option<IpAddr> {
        match self {
            Client::Addr(ip) | Client::Proxy(ip) => Some(ip),
            Client::Unknown => None,
        }
    }

    /// The address that detectors count and block: never a trusted proxy's.
    pub(crate) fn countable(self) -> Option<IpAddr> {
        match self {
            Client::Addr(ip) => Some(ip),
            _ => None,
        }
    }
}

/// What `RequestLog` resolved for a request it does not log (see `RequestLog::skip`), so
/// that inner layers judge the same client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved(pub(crate) Client);

/// The peer address from the extensions: a `SocketAddr` (hyper, tonic) or axum's
/// `ConnectInfo<SocketAddr>` (feature `axum`). IPv4-mapped IPv6 comes back as IPv4, so a
/// dual-stack listener and a forwarded header name one client the same way.
pub(crate) fn peer(extensions: &http::Extensions) -> Option<IpAddr> {
    peer_addr(extensions).map(|a| a.ip())
}

/// [`peer`] with its port.
pub(crate) fn peer_addr(extensions: &http::Extensions) -> Option<SocketAddr> {
    let addr = extensions.get::<SocketAddr>().copied();
    #[cfg(feature = "axum")]
    let addr = addr.or_else(|| {
        extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0)
    });
    addr.map(|a| SocketAddr::new(canonical(a.ip()), a.port()))
}

/// Resolves the client of a request from its peer and headers.
///
/// An untrusted peer is the client, whatever it claims. A trusted peer's header is
/// walked from the right: the first hop that is not a trusted proxy is the client; a hop
/// that cannot be read makes the client unknown; when every hop is trusted (or there is
/// no header) the leftmost trusted address is a [`Client::Proxy`].
pub(crate) fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &Proxies) -> Client {
    let Some(peer) = peer.map(canonical) else {
        return Client::Unknown;
    };
    if !proxies.is_trusted(peer) {
        return Client::Addr(peer);
    }
    let name = if proxies.forwarded {
        &FORWARDED
    } else {
        &X_FORWARDED_FOR
    };
    let mut last_trusted = peer;
    for value in headers.get_all(name).iter().rev() {
        for hop in value.as_bytes().rsplit(|&b| b == b',') {
            let hop = hop.trim_ascii();
            let addr = if proxies.forwarded {
                forwarded_for(hop).and_then(parse_hop)
            } else if hop.is_empty() {
                // `a,,b` or a trailing comma: no hop was written there.
                continue;
            } else {
                parse_hop(hop)
            };
            let Some(ip) = addr else {
                return Client::Unknown;
            };
            if !proxies.is_trusted(ip) {
                return Client::Addr(ip);
            }
            last_trusted = ip;
        }
    }
    Client::Proxy(last_trusted)
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is IPv4.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The `for=` value of one `Forwarded` element (`None` when it has none).
fn forwarded_for(element: &[u8]) -> Option<&[u8]> {
    element.split(|&b| b == b';').find_map(|pair| {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (k, v) = (pair[..eq].trim_ascii(), pair[eq + 1..].trim_ascii());
        k.eq_ignore_ascii_case(b"for").then_some(v)
    })
}

/// Parses one hop: `203.0.113.7`, `203.0.113.7:4711`, `"[2001:db8::1]:4711"`,
/// `2001:db8::1`. Anything else (`unknown`, `_hidden`, junk bytes) is `None`.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = hop.trim_ascii();
    let hop = hop
        .strip_prefix(b"\"")
        .and_then(|h| h.strip_suffix(b"\""))
        .unwrap_or(hop);
    // Addresses are ASCII; anything longer than a bracketed IPv6 with a port is junk.
    if hop.len() > 64 {
        return None;
    }
    let hop = std::str::from_utf8(hop).ok()?;
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| canonical(IpAddr::V6(v6)));
    }
    let (host, port) = hop.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A port, or an obfuscated one (RFC 7239: `_` then letters, digits, `.`, `_`, `-`).
fn is_port(s: &str) -> bool {
    s.parse::<u16>().is_ok()
        || (s.len() > 1
            && s.starts_with('_')
            && s[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
}

/// Keeps the first `v4` / `v6` bits of the address (a /24 or /48 network).
pub(crate) fn mask(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    match canonical(ip) {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let keep = if v4 >= 32 {
                u32::MAX
            } else {
                !(u32::MAX >> v4)
            };
            IpAddr::V4(Ipv4Addr::from(bits & keep))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let keep = if v6 >= 128 {
                u128::MAX
            } else {
                !(u128::MAX >> v6)
            };
            IpAddr::V6(Ipv6Addr::from(bits & keep))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str], forwarded: bool) -> Proxies {
        let mut p = Proxies {
            forwarded,
            ..Proxies::default()
        };
        p.add(list.iter().map(|s| s.parse::<IpNet>().unwrap()));
        p
    }

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    fn xff(v: &str) -> HeaderMap {
        headers(&[("x-forwarded-for", v.as_bytes())])
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let h = xff("1.2.3.4");
        let p = proxies(&["10.0.0.0/8"], false);
        assert_eq!(
            resolve(Some(ip("203.0.113.7")), &h, &p),
            Client::Addr(ip("203.0.113.7"))
        );
        let none = Proxies::default();
        assert_eq!(
            resolve(Some(ip("203.0.113.7")), &h, &none),
            Client::Addr(ip("203.0.113.7"))
        );
        assert_eq!(resolve(None, &h, &p), Client::Unknown);
    }

    #[test]
    fn rightmost_untrusted_hop_wins() {
        let p = proxies(&["10.0.0.0/8", "192.168.0.0/16"], false);
        let via = Some(ip("10.0.0.1"));
        // The client forged "6.6.6.6"; the real client is 198.51.100.9 added by our proxy.
        assert_eq!(
            resolve(via, &xff("6.6.6.6, 198.51.100.9, 10.0.0.2"), &p),
            Client::Addr(ip("198.51.100.9"))
        );
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", b"6.6.6.6"),
            ("x-forwarded-for", b"198.51.100.9"),
        ]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("198.51.100.9")));
        // All trusted: the leftmost, as a proxy (never counted).
        assert_eq!(
            resolve(via, &xff("192.168.1.1, 10.0.0.2"), &p),
            Client::Proxy(ip("192.168.1.1"))
        );
        // No header: the proxy itself.
        assert_eq!(
            resolve(via, &HeaderMap::new(), &p),
            Client::Proxy(ip("10.0.0.1"))
        );
        // Garbage where our proxy wrote its hop: unknown, never the proxy.
        assert_eq!(
            resolve(via, &xff("198.51.100.9, nonsense"), &p),
            Client::Unknown
        );
        assert_eq!(resolve(via, &xff("unknown"), &p), Client::Unknown);
        // Empty hops are skipped.
        assert_eq!(
            resolve(via, &xff("198.51.100.9, ,"), &p),
            Client::Addr(ip("198.51.100.9"))
        );
    }

    /// A client sends junk bytes; its proxy appends the real address: the junk cannot
    /// hide it (the header is not valid UTF-8, so it is read as bytes).
    #[test]
    fn junk_in_a_client_hop_does_not_hide_the_appended_one() {
        let p = proxies(&["127.0.0.1/32"], false);
        let via = Some(ip("127.0.0.1"));
        let h = headers(&[("x-forwarded-for", b"\x80\xff junk, 203.0.113.50")]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("203.0.113.50")));
        let h = headers(&[
            ("x-forwarded-for", b"\x80"),
            ("x-forwarded-for", b"203.0.113.50"),
        ]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("203.0.113.50")));
    }

    #[test]
    fn forwarded_is_ignored_unless_the_operator_says_the_proxy_sets_it() {
        let h = headers(&[
            ("forwarded", b"for=203.0.113.9"),
            ("x-forwarded-for", b"198.51.100.4"),
        ]);
        let via = Some(ip("10.0.0.1"));
        let xff_only = proxies(&["10.0.0.0/8"], false);
        assert_eq!(
            resolve(via, &h, &xff_only),
            Client::Addr(ip("198.51.100.4"))
        );
        let h = headers(&[("forwarded", b"for=unknown")]);
        assert_eq!(resolve(via, &h, &xff_only), Client::Proxy(ip("10.0.0.1")));
    }

    #[test]
    fn trusted_forwarded_header_is_walked_from_the_right() {
        let p = proxies(&["10.0.0.0/8"], true);
        let via = Some(ip("10.0.0.1"));
        let h = headers(&[
            (
                "forwarded",
                b"for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.0.0.3",
            ),
            ("x-forwarded-for", b"7.7.7.7"),
        ]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("2001:db8:cafe::17")));
        let h = headers(&[("forwarded", b"for=198.51.100.4:8080")]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("198.51.100.4")));
        let h = headers(&[("forwarded", b"for=\"[2001:db8::5]:_p1\"")]);
        assert_eq!(resolve(via, &h, &p), Client::Addr(ip("2001:db8::5")));
        for unreadable in [&b"for=unknown"[..], b"for=_hidden", b"proto=https", b"for="] {
            let h = headers(&[("forwarded", unreadable)]);
            assert_eq!(resolve(via, &h, &p), Client::Unknown, "{unreadable:?}");
        }
        // The proxy's element is last: a client's own element before it is not reached.
        let h = headers(&[("forwarded", b"for=6.6.6.6, for=unknown")]);
        assert_eq!(resolve(via, &h, &p), Client::Unknown);
    }

    #[test]
    fn mapped_addresses_are_ipv4() {
        let p = proxies(&["10.0.0.0/8"], false);
        assert_eq!(
            resolve(Some(ip("::ffff:10.0.0.1")), &xff("198.51.100.9"), &p),
            Client::Addr(ip("198.51.100.9"))
        );
        assert_eq!(
            resolve(Some(ip("::ffff:203.0.113.7")), &HeaderMap::new(), &p),
            Client::Addr(ip("203.0.113.7"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &xff("::ffff:198.51.100.9"), &p),
            Client::Addr(ip("198.51.100.9"))
        );
    }

    #[test]
    fn hops_parse_strictly() {
        for (hop, want) in [
            ("203.0.113.7", Some("203.0.113.7")),
            ("203.0.113.7:4711", Some("203.0.113.7")),
            ("\"[2001:db8::1]:4711\"", Some("2001:db8::1")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("[2001:db8::1]x", None),
            ("203.0.113.7:99999", None),
            ("example.com", None),
            ("", None),
        ] {
            assert_eq!(parse_hop(hop.as_bytes()), want.map(ip), "{hop}");
        }
        assert_eq!(parse_hop(&[b'1'; 100]), None);
    }

    #[test]
    fn masking_keeps_the_network() {
        assert_eq!(mask(ip("203.0.113.77"), 24, 48), ip("203.0.113.0"));
        assert_eq!(mask(ip("2001:db8:1:2:3::9"), 24, 48), ip("2001:db8:1::"));
        assert_eq!(mask(ip("203.0.113.77"), 32, 128), ip("203.0.113.77"));
        assert_eq!(mask(ip("203.0.113.77"), 0, 0), ip("0.0.0.0"));
    }
}
