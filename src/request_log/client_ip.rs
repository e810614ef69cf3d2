//! The client address: the peer, or what trusted proxies say in forwarded headers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::header::{HeaderMap, FORWARDED};
use ipnet::IpNet;

static X_FORWARDED_FOR: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");

/// The peer address from the extensions: a `SocketAddr` (hyper, tonic) or axum's
/// `ConnectInfo<SocketAddr>` (feature `axum`).
pub(crate) fn peer(extensions: &http::Extensions) -> Option<IpAddr> {
    if let Some(addr) = extensions.get::<SocketAddr>() {
        return Some(addr.ip());
    }
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    None
}

/// Resolves the client: the peer, unless the peer is a trusted proxy; then the
/// rightmost address in `Forwarded` (or, without it, `X-Forwarded-For`) that is not
/// itself a trusted proxy. An unreadable hop stops the walk at the last trusted one.
pub(crate) fn resolve(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    if !is_trusted(peer, trusted) {
        return Some(peer);
    }
    let mut candidate = peer;
    let forwarded = headers.contains_key(FORWARDED);
    let name = if forwarded {
        &FORWARDED
    } else {
        &X_FORWARDED_FOR
    };
    for value in headers.get_all(name).iter().rev() {
        let Ok(value) = value.to_str() else {
            return Some(candidate);
        };
        for hop in value.rsplit(',') {
            let hop = if forwarded {
                forwarded_for(hop)
            } else {
                Some(hop)
            };
            let Some(ip) = hop.and_then(parse_hop) else {
                return Some(candidate);
            };
            if !is_trusted(ip, trusted) {
                return Some(ip);
            }
            candidate = ip;
        }
    }
    Some(candidate)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) compares as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The `for=` parameter of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })
}

/// Parses one hop: `203.0.113.7`, `203.0.113.7:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| canonical(IpAddr::V6(v6)));
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
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

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            resolve(Some(ip("203.0.113.7")), &h, &nets(&["10.0.0.0/8"])),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            resolve(Some(ip("203.0.113.7")), &h, &[]),
            Some(ip("203.0.113.7"))
        );
    }

    #[test]
    fn rightmost_untrusted_hop_wins() {
        let trusted = nets(&["10.0.0.0/8", "192.168.0.0/16"]);
        // The client forged "6.6.6.6"; the real client is 198.51.100.9 added by our proxy.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.9, 10.0.0.2")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("198.51.100.9"))
        );
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.9"),
        ]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("198.51.100.9"))
        );
        // All trusted: the leftmost.
        let h = headers(&[("x-forwarded-for", "192.168.1.1, 10.0.0.2")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("192.168.1.1"))
        );
        // Garbage stops the walk at the last trusted address.
        let h = headers(&[("x-forwarded-for", "198.51.100.9, nonsense")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("10.0.0.1"))
        );
        // No header: the proxy itself.
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &HeaderMap::new(), &trusted),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn forwarded_header_is_preferred_and_parsed() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.0.0.3",
            ),
            ("x-forwarded-for", "7.7.7.7"),
        ]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("2001:db8:cafe::17"))
        );
        let h = headers(&[("forwarded", "for=198.51.100.4:8080")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("198.51.100.4"))
        );
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn mapped_addresses_match_v4_networks() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            resolve(Some(ip("::ffff:10.0.0.1")), &h, &trusted),
            Some(ip("198.51.100.9"))
        );
    }

    #[test]
    fn masking_keeps_the_network() {
        assert_eq!(mask(ip("203.0.113.77"), 24, 48), ip("203.0.113.0"));
        assert_eq!(mask(ip("2001:db8:1:2:3::9"), 24, 48), ip("2001:db8:1::"));
        assert_eq!(mask(ip("203.0.113.77"), 32, 128), ip("203.0.113.77"));
        assert_eq!(mask(ip("203.0.113.77"), 0, 0), ip("0.0.0.0"));
    }
}
