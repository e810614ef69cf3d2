//! `--since`, `--until`, `--path` and `--client`: which request lines the report counts.

use std::net::IpAddr;

use super::parse::Entry;
use super::time::Micros;
use reqlog::IpNet;

/// The request lines to keep. Every condition must hold; repeated `--path` or
/// `--client` values are alternatives.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    /// Keep lines at or after this instant.
    pub(crate) since: Option<Micros>,
    /// Keep lines strictly before this instant.
    pub(crate) until: Option<Micros>,
    /// Keep lines whose `url.path` starts with one of these.
    pub(crate) paths: Vec<String>,
    /// Keep lines whose `client.address` is in one of these networks.
    pub(crate) clients: Vec<IpNet>,
    /// Keep lines whose `enduser.pseudo.id` (or earlier `user.id`) is one of these
    /// pseudonyms (`--user`).
    pub(crate) users: Vec<String>,
}

impl Filter {
    pub(crate) fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.paths.is_empty()
            && self.clients.is_empty()
            && self.users.is_empty()
    }

    /// Whether a line is in the window (lines without a time are out of any window).
    pub(crate) fn keeps_time(&self, time: Option<Micros>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        time.is_some_and(|t| self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u))
    }

    /// Whether a request line passes every condition.
    pub(crate) fn keeps(&self, e: &Entry<'_>) -> bool {
        if !self.keeps_time(e.time) {
            return false;
        }
        if !self.paths.is_empty() {
            let Some(path) = e.path.map(|p| p.decode()) else {
                return false;
            };
            if !self
                .paths
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
            {
                return false;
            }
        }
        if !self.clients.is_empty() {
            let ip = e
                .client
                .and_then(|c| c.decode().parse::<IpAddr>().ok())
                .map(|ip| match ip {
                    // `::ffff:203.0.113.7` is the IPv4 client behind a dual-stack socket.
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                    v4 => v4,
                });
            let Some(ip) = ip else {
                return false;
            };
            if !self.clients.iter().any(|net| net.contains(&ip)) {
                return false;
            }
        }
        if !self.users.is_empty() {
            let Some(id) = e.user_id else {
                return false;
            };
            let id = id.bytes();
            if !self.users.iter().any(|u| *id == *u.as_bytes()) {
                return false;
            }
        }
        true
    }
}

/// `203.0.113.7`, `2001:db8::1` (one host) or a network in CIDR form (`203.0.113.0/24`).
pub(crate) fn parse_client(value: &str) -> Result<IpNet, String> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!(
                "`{value}` is not an IP address or a network in CIDR form (like 203.0.113.7 or 203.0.113.0/24)"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse::parse_line;

    const LINE: &[u8] = br#"{"timestamp":"2026-11-24T02:30:05Z","otel.event.name":"http.request","url.path":"/courses/rust","client.address":"203.0.113.7","http.response.status_code":200}"#;
    const T: Micros = 1_795_487_405_000_000;

    #[test]
    fn conditions() {
        let e = parse_line(LINE).unwrap();
        let f = |filter: Filter| filter.keeps(&e);
        assert!(f(Filter::default()));
        assert!(f(Filter {
            since: Some(T),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            since: Some(T + 1),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            until: Some(T),
            ..Filter::default()
        }));
        assert!(f(Filter {
            until: Some(T + 1),
            ..Filter::default()
        }));
        let paths = |p: &[&str]| Filter {
            paths: p.iter().map(|s| s.to_string()).collect(),
            ..Filter::default()
        };
        assert!(f(paths(&["/courses/"])));
        assert!(f(paths(&["/blog", "/courses"])));
        assert!(!f(paths(&["/blog"])));
        let clients = |c: &str| Filter {
            clients: vec![parse_client(c).unwrap()],
            ..Filter::default()
        };
        assert!(f(clients("203.0.113.0/24")));
        assert!(f(clients("203.0.113.7")));
        assert!(!f(clients("203.0.113.8")));
        assert!(!f(clients("2001:db8::/32")));
        assert!(parse_client("nope").is_err());
        let users = |u: &str| Filter {
            users: vec![u.to_owned()],
            ..Filter::default()
        };
        assert!(!f(users("u_c8f6b880722999ec")), "a line without a user id");
        let with_user = br#"{"url.path":"/x","enduser.pseudo.id":"u_c8f6b880722999ec"}"#;
        let old_key = br#"{"url.path":"/x","user.id":"u_c8f6b880722999ec"}"#;
        for line in [&with_user[..], &old_key[..]] {
            let e = parse_line(line).unwrap();
            assert!(users("u_c8f6b880722999ec").keeps(&e));
            assert!(!users("u_0000000000000000").keeps(&e));
        }
        assert_eq!(
            parse_client("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
    }
}
