//! [`ProbeVerdict`]: what the detector concluded about a request, for the application.

use super::{ProbeMatch, UserAgentClass};
use crate::RecordHandle;

/// The detector's conclusion about one request, readable by the application.
///
/// Behind a [`RequestLog`](crate::RequestLog) it lives in the request's record (no extra
/// allocation); without one, in the request extensions. [`ProbeVerdict::from_request`]
/// finds it either way.
///
/// # Example
/// ```
/// use reqlog::probe::ProbeVerdict;
///
/// fn is_probe(req: &http::Request<()>) -> bool {
///     ProbeVerdict::from_request(req).is_some_and(|v| v.probe.is_some())
/// }
/// # assert!(!is_probe(&http::Request::new(())));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeVerdict {
    /// The signature the request matched, if it is a probe.
    pub probe: Option<ProbeMatch>,
    /// What the user agent says the client is.
    pub agent: UserAgentClass,
    /// Whether the crawler the user agent names is that crawler (its address is in the
    /// operator's ranges, or its reverse DNS checks out): `None` for browsers, tools,
    /// crawlers whose operator offers no verification, and while the first lookup for
    /// an address is still running.
    pub verified: Option<bool>,
    /// The client was flagged by the 404-rate rule before this request.
    pub scanning: bool,
    /// The detector answered the request itself (blocking is on and the client is
    /// flagged or a known scanner).
    pub blocked: bool,
}

impl ProbeVerdict {
    /// The verdict of the request whose extensions these are.
    pub fn from_extensions(extensions: &http::Extensions) -> Option<ProbeVerdict> {
        if let Some(v) = extensions.get::<ProbeVerdict>() {
            return Some(v.clone());
        }
        RecordHandle::from_extensions(extensions).and_then(|h| h.cell.verdict.get().cloned())
    }

    /// The verdict of this request.
    pub fn from_request<B>(request: &http::Request<B>) -> Option<ProbeVerdict> {
        ProbeVerdict::from_extensions(request.extensions())
    }
}
