//! Where batches go: an `http://` or `https://` URL, checked when the sink is built so
//! that a mistake is an error from `finish`, with what to fix, not a stream of failed
//! exports. The host is not resolved here: it is looked up for each new connection.

/// A checked collector URL.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Endpoint {
    /// The URL with the path used: what is requested, and what messages show.
    pub(super) url: String,
    pub(super) https: bool,
    /// The host as written (brackets kept for IPv6), for `NO_PROXY`.
    pub(super) host: String,
}

/// How a URL without a path is completed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum PathRule {
    /// [`OtlpBuilder::endpoint`](super::OtlpBuilder::endpoint): no path means
    /// `/v1/logs`; a path given is used as it is.
    LogsIfNone,
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`: used as it is; no path means `/`.
    AsIs,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: a base URL, `v1/logs` is appended to its path.
    Base,
}

impl Endpoint {
    /// Parses `http[s]://host[:port][/path][?query]`; the error says what to fix.
    pub(super) fn parse(url: &str, rule: PathRule) -> Result<Endpoint, String> {
        let url = url.trim();
        let Some(scheme_end) = url.find("://") else {
            return Err("it needs a scheme: write it as http://host:4318/v1/logs".into());
        };
        let scheme = &url[..scheme_end];
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(format!(
                "the scheme {scheme:?} is not supported: use http:// or https:// \
                 (OTLP/HTTP; gRPC is not spoken)"
            ));
        };
        let rest = &url[scheme_end + 3..];
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if target.contains('#') {
            return Err("a URL fragment (#…) has no meaning here: remove it".into());
        }
        if authority.contains('@') {
            return Err(
                "credentials in the URL are not sent: remove them and pass them \
                 with .header(\"authorization\", …) or OTEL_EXPORTER_OTLP_HEADERS"
                    .into(),
            );
        }
        let host = check_host_port(authority)?;
        let (path, query) = match target.find('?') {
            Some(q) => target.split_at(q),
            None => (target, ""),
        };
        let path = match rule {
            PathRule::LogsIfNone if path.is_empty() => "/v1/logs".to_owned(),
            PathRule::LogsIfNone | PathRule::AsIs if path.is_empty() => "/".to_owned(),
            PathRule::LogsIfNone | PathRule::AsIs => path.to_owned(),
            PathRule::Base if path.ends_with('/') => format!("{path}v1/logs"),
            PathRule::Base => format!("{path}/v1/logs"),
        };
        let target = format!("{path}{query}");
        if let Some(c) = target.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "the path has the character {c:?}: percent-encode it"
            ));
        }
        let scheme = if https { "https" } else { "http" };
        let url = format!("{scheme}://{authority}{target}");
        // What ureq will parse: a last check, so that no request fails on it later.
        if url.parse::<ureq::http::Uri>().is_err() {
            return Err("it is not a valid URL".into());
        }
        Ok(Endpoint {
            url,
            https,
            host: host.to_owned(),
        })
    }
}

/// Checks `host[:port]` and returns the host.
fn check_host_port(authority: &str) -> Result<&str, String> {
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
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(format!("{p:?} is not a port (1–65535)")),
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_endpoints() {
        let ok = |url: &str, want: &str| {
            let e =
                Endpoint::parse(url, PathRule::LogsIfNone).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(e.url, want, "{url}");
        };
        ok(
            "http://127.0.0.1:4318/v1/logs",
            "http://127.0.0.1:4318/v1/logs",
        );
        ok("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/logs");
        ok("HTTP://collector", "http://collector/v1/logs");
        ok("http://collector:4318/", "http://collector:4318/");
        ok(
            "http://collector:4318/otlp/v1/logs?tenant=a",
            "http://collector:4318/otlp/v1/logs?tenant=a",
        );
        ok(
            "http://collector:4318?tenant=a",
            "http://collector:4318/v1/logs?tenant=a",
        );
        ok("http://[::1]:4318/v1/logs", "http://[::1]:4318/v1/logs");
        ok("  http://[::1]  ", "http://[::1]/v1/logs");
        ok(
            "https://otlp.example.com",
            "https://otlp.example.com/v1/logs",
        );
        let e = Endpoint::parse("HTTPS://c:443/x", PathRule::LogsIfNone).unwrap();
        assert!(e.https && e.host == "c");
        for (url, says) in [
            ("collector:4318", "scheme"),
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
            let err = Endpoint::parse(url, PathRule::LogsIfNone).expect_err(url);
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    /// The specification's examples: the signal's variable as it is (`/` for no path),
    /// the generic one as a base for `v1/logs`.
    #[test]
    fn environment_endpoints() {
        let url = |u: &str, rule| Endpoint::parse(u, rule).unwrap().url;
        assert_eq!(
            url("http://collector:4318", PathRule::AsIs),
            "http://collector:4318/"
        );
        assert_eq!(
            url("https://collector.example.com/v1/logs/", PathRule::AsIs),
            "https://collector.example.com/v1/logs/"
        );
        assert_eq!(
            url("http://collector:4318", PathRule::Base),
            "http://collector:4318/v1/logs"
        );
        assert_eq!(
            url("http://collector:4318/mycollector/", PathRule::Base),
            "http://collector:4318/mycollector/v1/logs"
        );
        assert_eq!(
            url("http://collector:4318/mycollector", PathRule::Base),
            "http://collector:4318/mycollector/v1/logs"
        );
        assert_eq!(
            url("https://c/p?x=1", PathRule::Base),
            "https://c/p/v1/logs?x=1"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_endpoint_is_parsed_without_panic(url in "\\PC{0,40}") {
            for rule in [PathRule::LogsIfNone, PathRule::AsIs, PathRule::Base] {
                let _ = Endpoint::parse(&url, rule);
                let _ = Endpoint::parse(&format!("http://{url}"), rule);
                let _ = Endpoint::parse(&format!("https://{url}"), rule);
            }
        }
    }
}
