//! gRPC calls: a request whose `content-type` is `application/grpc` gets
//! `rpc.system.name`, `rpc.method` and `rpc.response.status_code`, and its line fails when
//! the call did, although HTTP says `200`.
//!
//! The status is read from the response head (a trailers-only response, what servers
//! send for an error before any message) or from the trailers at the end of the body.
//! Only gRPC requests pay for this: other requests cost one comparison of the method
//! (gRPC calls are `POST`s) and, for a `POST`, one header lookup.
//!
//! Status codes 0–16 are logged by their canonical names (`NOT_FOUND`); any other
//! value, or one that is not a number, is logged as `UNKNOWN`, as gRPC clients read it.
//! The `grpc-message` is never logged: it is free text written for the caller, and may
//! carry what the caller sent (a name, an e-mail address) — the status name says what
//! kind of failure it was. gRPC-Web (`application/grpc-web`) is not recognised: its
//! trailers travel inside the body.

use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderMap, HeaderName, Method};

use crate::{Level, Record};

static GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// `rpc.method` for a path that is not `/{service}/{method}`.
pub(crate) const OTHER_METHOD: &str = "_OTHER";

/// `error.type` of a gRPC response that ended without a `grpc-status`.
pub(crate) const MISSING_STATUS: &str = "missing_grpc_status";

/// The canonical names of the gRPC status codes, by code.
const NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

const UNKNOWN: u8 = 2;

/// The codes that OpenTelemetry's gRPC server conventions count as the server's
/// failure: they get `error.type` and the level `ERROR`. The other non-`OK` codes
/// (`NOT_FOUND`, `INVALID_ARGUMENT`…) are the caller's, like an HTTP 4xx: `WARN`.
const SERVER_ERRORS: [&str; 6] = [
    "UNKNOWN",
    "DEADLINE_EXCEEDED",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
];

/// Whether a request is a gRPC call: a `POST` whose `content-type` is
/// `application/grpc`, alone or with a suffix (`+proto`, `+json`) or parameters.
pub(crate) fn is_grpc(parts: &Parts) -> bool {
    // The method first: for every other request, the check ends here.
    parts.method == Method::POST
        && parts
            .headers
            .get(CONTENT_TYPE)
            .is_some_and(|ct| is_grpc_content_type(ct.as_bytes()))
}

fn is_grpc_content_type(ct: &[u8]) -> bool {
    const GRPC: &[u8] = b"application/grpc";
    ct.len() >= GRPC.len()
        && ct[..GRPC.len()].eq_ignore_ascii_case(GRPC)
        && matches!(ct.get(GRPC.len()), None | Some(b'+' | b';'))
}

/// `rpc.method` from the logged path: `helloworld.Greeter/SayHello` for
/// `/helloworld.Greeter/SayHello`, [`OTHER_METHOD`] for any other shape. The service
/// is a dotted name and the method a name (ASCII letters, digits, `_`), so nothing a
/// redaction replaced (`[REDACTED]`) or a cut marked can pass.
pub(crate) fn method(path: &str) -> &str {
    let name = |s: &str, dots: bool| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (dots && b == b'.'))
    };
    match path
        .strip_prefix('/')
        .and_then(|p| Some((p, p.split_once('/')?)))
    {
        Some((full, (service, method))) if name(service, true) && name(method, false) => full,
        _ => OTHER_METHOD,
    }
}

/// Sets `rpc.system.name` and `rpc.method` on the record of a gRPC call; `raw_path` is
/// the request's own path, to tell whether the logged one was redacted or cut.
pub(crate) fn describe(record: &mut Record, raw_path: &str) {
    record.set_rpc_system("grpc");
    let method = match record.path() {
        Some(logged) if logged == raw_path => method(raw_path),
        _ => OTHER_METHOD,
    };
    let span = record.push_text(method);
    record.set_rpc_method(span);
}

/// What the response said of a gRPC call so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Call {
    /// The code from `grpc-status`, once seen ([`UNKNOWN`] for a value out of range).
    code: Option<u8>,
}

/// How a gRPC call ended, as the line tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// `OK`: the line is what HTTP says.
    Ok,
    /// The call failed: `outcome` is `error`, with this `error.type` (none for a
    /// status that is the caller's, like `NOT_FOUND`).
    Failed(Option<&'static str>),
}

impl Call {
    /// Reads `grpc-status` from the response head or trailers, if it is there.
    pub(crate) fn read(&mut self, headers: &HeaderMap) {
        if let Some(v) = headers.get(&GRPC_STATUS) {
            self.code = Some(parse_code(v.as_bytes()));
        }
    }

    /// The status name for `rpc.response.status_code`, once known.
    pub(crate) fn status(&self) -> Option<&'static str> {
        self.code.map(|c| NAMES[usize::from(c)])
    }

    /// How the call ended, for a response whose HTTP exchange went to the end.
    /// `http_5xx` is the `error.type` HTTP gives (a 5xx status), kept when the status
    /// is missing because it says more.
    pub(crate) fn ending(&self, http_5xx: Option<&'static str>) -> Ending {
        match self.status() {
            Some("OK") => Ending::Ok,
            Some(name) => Ending::Failed(is_server_error(name).then_some(name)),
            // The stream ended without a status: the client sees a failed call.
            None => Ending::Failed(Some(http_5xx.unwrap_or(MISSING_STATUS))),
        }
    }
}

/// `grpc-status` as gRPC clients read it: a decimal code, `UNKNOWN` when it is out of
/// range or not a number.
fn parse_code(v: &[u8]) -> u8 {
    match v {
        [d @ b'0'..=b'9'] => d - b'0',
        [b'1', d @ b'0'..=b'6'] => 10 + (d - b'0'),
        _ => UNKNOWN,
    }
}

fn is_server_error(name: &str) -> bool {
    SERVER_ERRORS.contains(&name)
}

/// The level of a gRPC record by its status: `ERROR` for the server's failures, `WARN`
/// for the caller's; `None` for `OK` or a record without a status.
pub(crate) fn level(record: &Record) -> Option<Level> {
    match record.rpc_status()? {
        "OK" => None,
        name if is_server_error(name) => Some(Level::Error),
        _ => Some(Level::Warn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Arena;
    use crate::Outcome;

    #[test]
    fn content_types() {
        for ct in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc+json",
            "application/grpc; charset=utf-8",
            "Application/GRPC",
        ] {
            assert!(is_grpc_content_type(ct.as_bytes()), "{ct}");
        }
        for ct in [
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/grpcx",
            "application/json",
            "application/grp",
            "",
        ] {
            assert!(!is_grpc_content_type(ct.as_bytes()), "{ct}");
        }
    }

    #[test]
    fn only_grpc_posts_are_calls() {
        let parts = |method: Method, ct: &str| {
            let (parts, ()) = http::Request::builder()
                .method(method)
                .uri("/helloworld.Greeter/SayHello")
                .header(CONTENT_TYPE, ct)
                .body(())
                .unwrap()
                .into_parts();
            parts
        };
        assert!(is_grpc(&parts(Method::POST, "application/grpc")));
        assert!(!is_grpc(&parts(Method::GET, "application/grpc")));
        assert!(!is_grpc(&parts(Method::POST, "text/plain")));
    }

    #[test]
    fn methods() {
        assert_eq!(
            method("/helloworld.Greeter/SayHello"),
            "helloworld.Greeter/SayHello"
        );
        assert_eq!(method("/Greeter/Say_Hello2"), "Greeter/Say_Hello2");
        for path in [
            "/",
            "",
            "/helloworld.Greeter",
            "/helloworld.Greeter/",
            "//SayHello",
            "/a/b/c",
            "/a.b/c.d",
            "/a b/c",
            "/a/[REDACTED]",
            "helloworld.Greeter/SayHello",
            "/grüße.Greeter/SayHello",
        ] {
            assert_eq!(method(path), OTHER_METHOD, "{path}");
        }
    }

    #[test]
    fn codes_and_names() {
        for (code, name) in NAMES.iter().enumerate() {
            assert_eq!(parse_code(code.to_string().as_bytes()), code as u8);
            let mut call = Call::default();
            let mut h = HeaderMap::new();
            h.insert(&GRPC_STATUS, code.to_string().parse().unwrap());
            call.read(&h);
            assert_eq!(call.status(), Some(*name));
        }
        for v in ["17", "99", "-1", "", " 5", "5 ", "05", "0x5", "１"] {
            assert_eq!(
                NAMES[usize::from(parse_code(v.as_bytes()))],
                "UNKNOWN",
                "{v:?}"
            );
        }
    }

    #[test]
    fn endings() {
        let call = |code: Option<u8>| Call { code };
        assert_eq!(call(Some(0)).ending(None), Ending::Ok);
        assert_eq!(call(Some(5)).ending(None), Ending::Failed(None));
        assert_eq!(call(Some(3)).ending(None), Ending::Failed(None));
        assert_eq!(
            call(Some(13)).ending(None),
            Ending::Failed(Some("INTERNAL"))
        );
        assert_eq!(call(Some(2)).ending(None), Ending::Failed(Some("UNKNOWN")));
        assert_eq!(
            call(None).ending(None),
            Ending::Failed(Some(MISSING_STATUS))
        );
        assert_eq!(call(None).ending(Some("503")), Ending::Failed(Some("503")));
        // Every server error of the conventions, and only those, gets `error.type`.
        let typed: Vec<_> = (0..17u8)
            .filter(|&c| matches!(call(Some(c)).ending(None), Ending::Failed(Some(_))))
            .map(|c| NAMES[usize::from(c)])
            .collect();
        assert_eq!(typed, SERVER_ERRORS);
    }

    #[test]
    fn levels() {
        let with = |status: Option<&'static str>| {
            let mut r = Record::blank("http.request", Arena::default());
            if let Some(s) = status {
                r.set_rpc_status(s);
                r.set_outcome(Outcome::Error);
            }
            r
        };
        assert_eq!(level(&with(None)), None);
        assert_eq!(level(&with(Some("OK"))), None);
        assert_eq!(level(&with(Some("NOT_FOUND"))), Some(Level::Warn));
        assert_eq!(level(&with(Some("INTERNAL"))), Some(Level::Error));
    }

    #[test]
    fn the_method_is_the_logged_path_or_other() {
        let mut r = Record::blank("http.request", Arena::default());
        let span = r.push_text("/helloworld.Greeter/SayHello");
        r.set_path(span);
        describe(&mut r, "/helloworld.Greeter/SayHello");
        assert_eq!(r.rpc_system(), Some("grpc"));
        assert_eq!(r.rpc_method(), Some("helloworld.Greeter/SayHello"));

        let mut r = Record::blank("http.request", Arena::default());
        let span = r.push_text("/helloworld.Greeter/[REDACTED]");
        r.set_path(span);
        describe(&mut r, "/helloworld.Greeter/SayHello");
        assert_eq!(r.rpc_method(), Some(OTHER_METHOD));
    }
}
