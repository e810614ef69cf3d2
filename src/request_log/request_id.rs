//! `request.id`: the incoming `x-request-id` when it is sane, else a fresh random one;
//! and [`RequestId`], the same id handed to the application.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::hash::{BuildHasher, Hasher};

use bytes::BytesMut;
use http::HeaderValue;

use crate::hex::lower_hex_u64;

/// The header read and set.
pub(crate) static X_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// Longest incoming id that is kept.
const MAX_LEN: usize = 128;
/// Generated ids are 32 lowercase hex digits (128 random bits).
const GENERATED_LEN: usize = 32;
/// Generated ids are cut from a per-thread slab so that making one header value costs
/// no allocation (two per `SLAB` bytes: the buffer and its shared header).
const SLAB: usize = 16 * 1024;

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
    static IDS: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

fn seed() -> u64 {
    // RandomState is seeded from the OS once per process and varied per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() | 1
}

/// wyrand: a small, fast, well-distributed generator (not for cryptography; ids only
/// need to be unique, not secret).
fn next_u64() -> u64 {
    RNG.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let t = u128::from(x) * u128::from(x ^ 0xe703_7ed1_a0b4_28db);
        (t as u64) ^ ((t >> 64) as u64)
    })
}

/// Whether an incoming id is kept: 1 to 128 visible ASCII characters.
pub(crate) fn is_sane(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A fresh random id as a header value.
pub(crate) fn generate() -> HeaderValue {
    let mut text = [0u8; GENERATED_LEN];
    text[..16].copy_from_slice(&lower_hex_u64(next_u64()));
    text[16..].copy_from_slice(&lower_hex_u64(next_u64()));
    let bytes = IDS
        .try_with(|slab| {
            let mut slab = slab.borrow_mut();
            if slab.capacity() < GENERATED_LEN {
                *slab = BytesMut::with_capacity(SLAB);
            }
            slab.extend_from_slice(&text);
            slab.split_to(GENERATED_LEN).freeze()
        })
        .unwrap_or_else(|_| bytes::Bytes::copy_from_slice(&text));
    // Hex digits are always a valid header value.
    HeaderValue::from_maybe_shared(bytes).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The id of the request's line (`request.id`), for handlers, inner layers and calls
/// to other services.
///
/// [`RequestLog`](crate::RequestLog) puts one in the request extensions of every request
/// it logs (not those left out by [`skip`](crate::RequestLog::skip)), before the inner
/// service runs. It is the id on the line and in the response's `x-request-id`: the
/// incoming `x-request-id` when a trusted proxy sent a sane one, else a fresh random
/// id. By default the request's `x-request-id` header carries it too (see
/// [`RequestLog::request_id_header`](crate::RequestLog::request_id_header)).
///
/// Cloning it is cheap (a reference-counted [`HeaderValue`]). Its text is 1 to 128
/// visible ASCII characters.
///
/// # Example
/// ```
/// use axum::{routing::get, Extension, Router};
/// use reqlog::request_log::RequestId;
///
/// async fn handler(Extension(id): Extension<RequestId>) -> String {
///     // Quote it in your own logs, errors and calls to other services.
///     format!("your request is {}", id.as_str())
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(handler))
///     .layer(reqlog::RequestLog::new());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// An id from a header value, if it is 1 to 128 visible ASCII characters (what
    /// `RequestLog` keeps from a trusted proxy). For tests of handlers that take one.
    ///
    /// # Example
    /// ```
    /// use http::HeaderValue;
    /// use reqlog::request_log::RequestId;
    ///
    /// let id = RequestId::new(HeaderValue::from_static("abc-123")).unwrap();
    /// assert_eq!(id.as_str(), "abc-123");
    /// assert!(RequestId::new(HeaderValue::from_static("has space")).is_none());
    /// ```
    pub fn new(value: HeaderValue) -> Option<RequestId> {
        is_sane(value.as_bytes()).then_some(RequestId(value))
    }

    /// The id's text, as on the line.
    ///
    /// # Example
    /// ```
    /// # let id = reqlog::request_log::RequestId::new(http::HeaderValue::from_static("abc-123")).unwrap();
    /// tracing::info!(request_id = id.as_str(), "charging the card");
    /// ```
    pub fn as_str(&self) -> &str {
        // Only sane values are kept (visible ASCII), so this never takes the fallback.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as a header value, to send on to another service.
    ///
    /// # Example
    /// ```
    /// use reqlog::request_log::RequestId;
    ///
    /// fn call_billing(id: &RequestId) -> http::Request<()> {
    ///     http::Request::post("http://billing.internal/charge")
    ///         .header("x-request-id", id.header_value().clone())
    ///         .body(())
    ///         .unwrap()
    /// }
    /// # let id = RequestId::new(http::HeaderValue::from_static("abc-123")).unwrap();
    /// # assert_eq!(call_billing(&id).headers()["x-request-id"], "abc-123");
    /// ```
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The id chosen for a line, already known to be sane or generated.
    pub(crate) fn of_line(value: HeaderValue) -> RequestId {
        RequestId(value)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequestId").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_visible_ascii_up_to_128() {
        assert!(is_sane(b"abc-123_X.Y:z"));
        assert!(is_sane(&[b'a'; 128]));
        assert!(!is_sane(&[b'a'; 129]));
        assert!(!is_sane(b""));
        assert!(!is_sane(b"has space"));
        assert!(!is_sane(b"tab\there"));
        assert!(!is_sane("ünïcode".as_bytes()));
    }

    #[test]
    fn generated_ids_are_unique_hex() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let id = generate();
            let s = id.to_str().unwrap().to_owned();
            assert_eq!(s.len(), 32);
            assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(seen.insert(s));
        }
    }

    #[test]
    fn request_ids_are_sane_text() {
        let id = RequestId::of_line(generate());
        assert_eq!(id.as_str().len(), 32);
        assert_eq!(id.header_value().as_bytes(), id.as_str().as_bytes());
        assert_eq!(
            format!(
                "{:?}",
                RequestId::new(HeaderValue::from_static("a-1")).unwrap()
            ),
            "RequestId(\"a-1\")"
        );
        assert!(RequestId::new(HeaderValue::from_static("")).is_none());
        assert!(RequestId::new(HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_none());
    }
}
