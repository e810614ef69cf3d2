//! What ties a request's line to the rest of its story: the line's id and the caller's
//! trace, handed to the application in the request extensions (and the id in the
//! `x-request-id` request header), so that other logs can quote them.

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::request_id::{RequestId, X_REQUEST_ID};
use super::trace_context::TraceContext;

/// The W3C Trace Context header.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The request's trace: its `traceparent` when the header appears once and is valid.
/// A repeated header is invalid as a whole (the spec says to restart the trace), so
/// neither value is believed.
pub(crate) fn trace_context(headers: &HeaderMap) -> Option<TraceContext> {
    TraceContext::parse(single_traceparent(headers)?.as_bytes())
}

/// The `traceparent` value when the header appears exactly once.
pub(crate) fn single_traceparent(headers: &HeaderMap) -> Option<&HeaderValue> {
    let mut values = headers.get_all(&TRACEPARENT).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// Hands the line's id to the inner service: as a [`RequestId`] extension and, when
/// `set_header`, as the request's `x-request-id` header.
///
/// The header is replaced, not only added when absent: the line's id is the client's
/// own only when a trusted proxy sent it, and an untrusted client's `x-request-id` must
/// not reach the application as if it named this request.
pub(crate) fn hand_on_request_id(parts: &mut Parts, id: &HeaderValue, set_header: bool) {
    if set_header {
        // One value: a trusted proxy's own id stays (once), anything else is replaced.
        parts.headers.insert(X_REQUEST_ID.clone(), id.clone());
    }
    parts.extensions.insert(RequestId::of_line(id.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn one_valid_traceparent_is_read() {
        let t = trace_context(&headers(&[("traceparent", VALID)])).unwrap();
        assert_eq!(&t.span_id_hex(), b"00f067aa0ba902b7");
        assert!(trace_context(&headers(&[])).is_none());
        assert!(trace_context(&headers(&[("traceparent", "00-junk")])).is_none());
    }

    #[test]
    fn a_repeated_traceparent_is_ignored() {
        let twice = headers(&[("traceparent", VALID), ("traceparent", VALID)]);
        assert!(trace_context(&twice).is_none());
        let other = headers(&[("traceparent", "00-junk"), ("traceparent", VALID)]);
        assert!(trace_context(&other).is_none());
    }

    fn parts(pairs: &[(&'static str, &'static str)]) -> Parts {
        let mut req = http::Request::new(());
        *req.headers_mut() = headers(pairs);
        req.into_parts().0
    }

    #[test]
    fn the_line_id_replaces_what_the_client_sent() {
        let id = HeaderValue::from_static("line-id");
        for pairs in [
            &[][..],
            &[("x-request-id", "forged")][..],
            &[("x-request-id", "line-id"), ("x-request-id", "other")][..],
        ] {
            let mut p = parts(pairs);
            hand_on_request_id(&mut p, &id, true);
            let values: Vec<_> = p.headers.get_all(&X_REQUEST_ID).iter().collect();
            assert_eq!(values, [&id], "{pairs:?}");
            assert_eq!(p.extensions.get::<RequestId>().unwrap().as_str(), "line-id");
        }
    }

    #[test]
    fn without_the_header_option_only_the_extension_is_set() {
        let id = HeaderValue::from_static("line-id");
        let mut p = parts(&[("x-request-id", "forged")]);
        hand_on_request_id(&mut p, &id, false);
        assert_eq!(p.headers[&X_REQUEST_ID], "forged");
        assert_eq!(p.extensions.get::<RequestId>().unwrap().as_str(), "line-id");
    }
}
