//! The OpenTelemetry exporter environment (`OTEL_EXPORTER_OTLP_*`, as the
//! specification's `protocol/exporter.md` defines it) and the proxy environment
//! (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`, as curl reads them).
//!
//! Everything here is read through a lookup function, so that the rules are tested
//! without touching the process's environment. A value that would send records to
//! the wrong place or without their credentials (an endpoint, a header, a certificate)
//! is an error; a value that only tunes the export (timeout, compression, protocol)
//! is ignored with a warning, as the specification asks.

use std::path::PathBuf;
use std::time::Duration;

use super::builder::{check_header, OtlpError};
use super::endpoint::{Endpoint, PathRule};

/// The logs signal's variable first, then the generic one: the specification makes
/// each setting overridable per signal.
fn pick(get: &dyn Fn(&str) -> Option<String>, what: &str) -> Option<(String, String)> {
    [
        format!("OTEL_EXPORTER_OTLP_LOGS_{what}"),
        format!("OTEL_EXPORTER_OTLP_{what}"),
    ]
    .into_iter()
    .find_map(|name| {
        let value = get(&name)?;
        // Set but empty is unset, as OpenTelemetry SDKs read it.
        (!value.trim().is_empty()).then_some((name, value))
    })
}

/// What the environment sets; `None` where it sets nothing usable.
#[derive(Debug, Default)]
pub(super) struct OtelEnv {
    /// The endpoint, or why the variable cannot be used: an error only if the
    /// builder sets none.
    pub(super) endpoint: Option<Result<Endpoint, OtlpError>>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) gzip: Option<bool>,
    pub(super) timeout: Option<Duration>,
    pub(super) certificate: Option<PathBuf>,
    /// Settings ignored, and why; printed on stderr by `finish`.
    pub(super) warnings: Vec<String>,
}

/// Reads `OTEL_EXPORTER_OTLP_{LOGS_,}{ENDPOINT,HEADERS,COMPRESSION,TIMEOUT,CERTIFICATE,PROTOCOL}`.
pub(super) fn otel(get: &dyn Fn(&str) -> Option<String>) -> Result<OtelEnv, OtlpError> {
    let mut env = OtelEnv::default();
    if let Some((name, value)) = pick(get, "ENDPOINT") {
        let rule = if name.contains("_LOGS_") {
            PathRule::AsIs
        } else {
            PathRule::Base
        };
        let endpoint = Endpoint::parse(&value, rule).map_err(|problem| OtlpError::Env {
            variable: name,
            problem,
        });
        env.endpoint = Some(endpoint);
    }
    if let Some((name, value)) = pick(get, "HEADERS") {
        env.headers = headers(&value).map_err(|problem| OtlpError::Env {
            variable: name,
            problem,
        })?;
    }
    if let Some((name, value)) = pick(get, "COMPRESSION") {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" => env.gzip = Some(true),
            "none" => env.gzip = Some(false),
            _ => env.warnings.push(format!(
                "ignoring {name}={value:?}: reqlog compresses with \"gzip\" or \"none\""
            )),
        }
    }
    if let Some((name, value)) = pick(get, "TIMEOUT") {
        match value.trim().parse::<u64>() {
            // Zero is no limit; "a very long time" stands for it, as the specification
            // allows. A shutdown still ends a request at the flush timeout.
            Ok(0) => env.timeout = Some(Duration::from_millis(u64::from(u32::MAX))),
            Ok(ms) => env.timeout = Some(Duration::from_millis(ms)),
            Err(_) => env.warnings.push(format!(
                "ignoring {name}={value:?}: not a whole number of milliseconds"
            )),
        }
    }
    if let Some((_, value)) = pick(get, "CERTIFICATE") {
        env.certificate = Some(PathBuf::from(value.trim()));
    }
    if let Some((name, value)) = pick(get, "PROTOCOL") {
        if value.trim() != "http/protobuf" {
            env.warnings.push(format!(
                "{name}={value:?}: reqlog sends http/protobuf only, and does so"
            ));
        }
    }
    Ok(env)
}

/// `key1=value1,key2=value2` (W3C Baggage form), keys and values percent-decoded.
/// Errors name the entry, never its value: headers carry credentials.
fn headers(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, entry) in value.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let n = i + 1;
        let Some((key, value)) = entry.split_once('=') else {
            return Err(format!(
                "entry {n} has no '=': write key1=value1,key2=value2"
            ));
        };
        let key = percent_decode(key.trim())
            .ok_or_else(|| format!("entry {n} has a key with bad percent-encoding"))?;
        let value = percent_decode(value.trim())
            .ok_or_else(|| format!("entry {n} ({key:?}) has a value with bad percent-encoding"))?;
        if let Some(problem) = check_header(&key, &value) {
            return Err(format!("entry {n}: the header {key:?} {problem}"));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// `%XX` sequences to bytes; `None` if one is cut short or not hex, or the result is
/// not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The proxy for `endpoint` from the environment, as curl chooses it: `https_proxy` for
/// an https collector, `http_proxy` for an http one, else `all_proxy` (each also in
/// capitals), unless `no_proxy` names the host. A proxy that cannot be used is a
/// warning, and the collector is reached directly.
pub(super) fn proxy(
    get: &dyn Fn(&str) -> Option<String>,
    endpoint: &Endpoint,
    warnings: &mut Vec<String>,
) -> Option<ureq::Proxy> {
    let names: &[&str] = if endpoint.https {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let (name, value) = names.iter().find_map(|name| {
        let value = get(name)?;
        (!value.trim().is_empty()).then(|| (*name, value.trim().to_owned()))
    })?;
    let no_proxy = get("no_proxy").or_else(|| get("NO_PROXY"));
    if no_proxy.is_some_and(|list| bypassed(&list, &endpoint.host)) {
        return None;
    }
    let scheme = value.split_once("://").map_or("http", |(s, _)| s);
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        warnings.push(format!(
            "ignoring {name}: reqlog goes through http:// or https:// proxies only, \
             not {scheme}://; connecting directly"
        ));
        return None;
    }
    match ureq::Proxy::new(&value) {
        Ok(proxy) => Some(proxy),
        Err(_) => {
            warnings.push(format!(
                "ignoring {name}: not a proxy URL (http://host:port); connecting directly"
            ));
            None
        }
    }
}

/// Whether the `no_proxy` list names `host`: `*`, the host itself or a domain it is
/// in (`example.com` and `.example.com` both cover `a.example.com`), an address, or a
/// network of addresses (`10.0.0.0/8`). A `:port` on an entry is ignored.
fn bypassed(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip = host.parse::<std::net::IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let (Some(ip), Ok(net)) = (ip, entry.parse::<ipnet::IpNet>()) {
            return net.contains(&ip);
        }
        let entry = entry.trim_start_matches('[');
        let entry = match entry.split_once(']') {
            Some((addr, _)) => addr,
            // A host name with a port; not an IPv6 address, which has several colons.
            None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or(""),
            None => entry,
        };
        let entry = entry
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        if let (Some(ip), Ok(addr)) = (ip, entry.parse::<std::net::IpAddr>()) {
            return ip == addr;
        }
        host == entry
            || host
                .strip_suffix(entry.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn read(vars: &[(&str, &str)]) -> Result<OtelEnv, OtlpError> {
        otel(&env(vars))
    }

    #[test]
    fn nothing_set_is_nothing_read() {
        let e = read(&[]).unwrap();
        assert!(e.endpoint.is_none() && e.headers.is_empty() && e.warnings.is_empty());
        assert_eq!((e.gzip, e.timeout, e.certificate), (None, None, None));
        // Empty is unset.
        let e = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]).unwrap();
        assert!(e.endpoint.is_none());
    }

    #[test]
    fn endpoints_per_signal_win_and_are_used_as_they_are() {
        let e = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
        let endpoint = e.endpoint.unwrap().unwrap();
        assert_eq!(endpoint.url, "http://collector:4318/v1/logs");
        let e = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "https://logs.example.com/custom",
            ),
        ])
        .unwrap();
        let endpoint = e.endpoint.unwrap().unwrap();
        assert_eq!(endpoint.url, "https://logs.example.com/custom");
        assert!(endpoint.https);
        let err = read(&[("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4318")])
            .unwrap()
            .endpoint
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") && err.contains("scheme"),
            "{err}"
        );
    }

    #[test]
    fn headers_are_baggage_form_and_percent_decoded() {
        let e = read(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s3cret, x-tenant = a%20b%2Cc ,,authorization=Basic%20dTpw",
        )])
        .unwrap();
        assert_eq!(
            e.headers,
            [
                ("api-key".to_owned(), "s3cret".to_owned()),
                ("x-tenant".to_owned(), "a b,c".to_owned()),
                ("authorization".to_owned(), "Basic dTpw".to_owned()),
            ]
        );
        // The signal's variable replaces the generic one, whole.
        let e = read(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "c=3"),
        ])
        .unwrap();
        assert_eq!(e.headers, [("c".to_owned(), "3".to_owned())]);
        for (value, says) in [
            ("api-key", "entry 1 has no '='"),
            (
                "a=1,b=%zz",
                "entry 2 (\"b\") has a value with bad percent-encoding",
            ),
            ("a=%e2%82", "bad percent-encoding"),
            ("bad key=1", "is not a valid header name"),
            ("content-type=text/plain", "is set by reqlog"),
            ("x=a%0d%0aInjected: yes", "cannot carry"),
        ] {
            let err = read(&[("OTEL_EXPORTER_OTLP_HEADERS", value)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("OTEL_EXPORTER_OTLP_HEADERS") && err.contains(says),
                "{value}: {err}"
            );
        }
        // Never the value in the message: it may be a credential.
        let err = read(&[("OTEL_EXPORTER_OTLP_HEADERS", "k=s3cret%zz")])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn tuning_values_are_read_or_ignored_with_a_warning() {
        let e = read(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ])
        .unwrap();
        assert_eq!(e.gzip, Some(true));
        assert_eq!(e.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(e.certificate, Some(PathBuf::from("/etc/ca.pem")));
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);

        let e = read(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "NONE"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
        ])
        .unwrap();
        assert_eq!(e.gzip, Some(false), "the signal's value wins");
        assert!(
            e.timeout.unwrap() > Duration::from_secs(86_400),
            "0: no limit"
        );

        let e = read(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "-5"),
            ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "10s"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap();
        assert_eq!((e.gzip, e.timeout), (None, None));
        let w = e.warnings.join("\n");
        assert!(w.contains("OTEL_EXPORTER_OTLP_COMPRESSION=\"zstd\""), "{w}");
        assert!(w.contains("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT=\"10s\""), "{w}");
        assert!(w.contains("http/protobuf only"), "{w}");
        assert_eq!(e.warnings.len(), 3, "{w}");
    }

    #[test]
    fn proxies_follow_the_scheme_and_no_proxy() {
        let https = Endpoint::parse("https://otlp.example.com", PathRule::LogsIfNone).unwrap();
        let http = Endpoint::parse("http://collector.internal:4318", PathRule::LogsIfNone).unwrap();
        let chosen = |vars: &[(&str, &str)], endpoint: &Endpoint| {
            let mut warnings = Vec::new();
            let p = proxy(&env(vars), endpoint, &mut warnings);
            (p.map(|p| format!("{}:{}", p.host(), p.port())), warnings)
        };
        let vars = [
            ("https_proxy", "http://secure-proxy:3128"),
            ("http_proxy", "http://plain-proxy:3128"),
        ];
        assert_eq!(
            chosen(&vars, &https).0.as_deref(),
            Some("secure-proxy:3128")
        );
        assert_eq!(chosen(&vars, &http).0.as_deref(), Some("plain-proxy:3128"));
        let all = [("ALL_PROXY", "proxy:8080")];
        assert_eq!(chosen(&all, &http).0.as_deref(), Some("proxy:8080"));
        assert_eq!(chosen(&[], &http).0, None);
        let no = [
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", "localhost, .example.com"),
        ];
        assert_eq!(chosen(&no, &https).0, None, "no_proxy names its domain");
        let (p, warnings) = chosen(&[("all_proxy", "socks5://proxy:1080")], &http);
        assert_eq!(p, None);
        assert!(warnings[0].contains("socks5"), "{warnings:?}");
    }

    #[test]
    fn no_proxy_entries() {
        for (list, host, bypass) in [
            ("*", "anything", true),
            ("example.com", "example.com", true),
            ("example.com", "otlp.example.com", true),
            (".example.com", "otlp.example.com", true),
            ("*.example.com", "otlp.EXAMPLE.com", true),
            ("example.com", "badexample.com", false),
            ("example.com:4318", "example.com", true),
            ("a.com, b.com ,c.com", "b.com", true),
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.1.2.3", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("::1", "[::1]", true),
            ("[::1]:4318", "[::1]", true),
            ("fd00::/8", "[fd12::1]", true),
            ("", "example.com", false),
            (",", "example.com", false),
        ] {
            assert_eq!(bypassed(list, host), bypass, "{list:?} {host}");
        }
    }

    proptest::proptest! {
        /// Whatever the environment holds, reading it never panics.
        #[test]
        fn any_environment_is_read_without_panic(value in "\\PC{0,60}", list in "\\PC{0,40}") {
            for what in ["ENDPOINT", "HEADERS", "COMPRESSION", "TIMEOUT", "PROTOCOL"] {
                let name = format!("OTEL_EXPORTER_OTLP_{what}");
                let _ = read(&[(name.as_str(), value.as_str())]);
            }
            let _ = bypassed(&list, &value);
        }
    }
}
