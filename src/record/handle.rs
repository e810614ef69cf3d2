//! [`RecordHandle`]: the request's record, reachable from the request extensions.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{FieldValue, Record, RESERVED_KEYS};

/// Free fields one request may carry; more are refused.
pub(crate) const MAX_FIELDS: usize = 64;
/// Longest free-field key, in bytes.
pub(crate) const MAX_KEY_LEN: usize = 64;
/// Longest free-field text value, in bytes; longer text is cut at a character boundary.
pub(crate) const MAX_VALUE_LEN: usize = 1024;

/// Why a field was not added to a record.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// The key belongs to the record schema (`url.path`, `enduser.pseudo.id`…); pick another name.
    Reserved(String),
    /// The key is empty, longer than 64 bytes, or has characters other than
    /// ASCII letters, digits, `.`, `_` and `-`.
    InvalidKey(String),
    /// The request already carries the maximum number of free fields (64).
    TooMany,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Reserved(k) => write!(
                f,
                "field `{k}` is a reserved record key; use a name of your own such as `app.{k}`"
            ),
            FieldError::InvalidKey(k) => write!(
                f,
                "field key {k:?} is not valid: use 1 to 64 ASCII letters, digits, `.`, `_` or `-`"
            ),
            FieldError::TooMany => write!(f, "the record already has {MAX_FIELDS} free fields"),
        }
    }
}

impl std::error::Error for FieldError {}

pub(crate) fn check_key(key: &str) -> Result<(), FieldError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(FieldError::InvalidKey(key.chars().take(80).collect()));
    }
    if RESERVED_KEYS.contains(&key) {
        return Err(FieldError::Reserved(key.to_owned()));
    }
    Ok(())
}

/// Caps a text value in place (at a character boundary).
pub(crate) fn cap_value(value: &mut FieldValue) {
    match value {
        FieldValue::Str(s) if s.len() > MAX_VALUE_LEN => {
            let mut cut = MAX_VALUE_LEN;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut owned = String::with_capacity(cut + 3);
            owned.push_str(&s[..cut]);
            owned.push('…');
            *s = Cow::Owned(owned);
        }
        FieldValue::List(items) => items.iter_mut().for_each(cap_value),
        FieldValue::Map(items) => items.iter_mut().for_each(|(_, v)| cap_value(v)),
        _ => {}
    }
}

pub(crate) struct RecordCell {
    record: Mutex<Record>,
    pub(crate) request_body_bytes: AtomicU64,
    pub(crate) finished: AtomicBool,
    /// The resolved client before masking, for detectors that count per client.
    pub(crate) client: crate::request_log::Client,
    /// Set by `UserActions` so handlers pseudonymise with its key.
    pub(crate) pseudonymizer: std::sync::OnceLock<Arc<crate::actions::Pseudonymizer>>,
    /// Set by `ProbeDetector`, for the application to read.
    pub(crate) verdict: std::sync::OnceLock<crate::probe::ProbeVerdict>,
    /// The `tracing` events of the request, kept until the record is written.
    #[cfg(feature = "debug-events")]
    pub(crate) debug: crate::debug_events::Buffer,
}

/// The record of the request being served, shared by the layers and the handler.
///
/// [`RequestLog`](crate::RequestLog) puts one in the request extensions; inner layers
/// and handlers use it to add fields to the request's line. Cloning it is cheap (an
/// `Arc`). Without a `RequestLog` outside, there is no handle and nothing is logged.
///
/// # Example
/// ```
/// use reqlog::RecordHandle;
///
/// fn tag(req: &http::Request<()>) {
///     if let Some(record) = RecordHandle::from_request(req) {
///         let _ = record.insert("app.tenant", "acme");
///     }
/// }
/// # tag(&http::Request::new(()));
/// ```
#[derive(Clone)]
pub struct RecordHandle {
    pub(crate) cell: Arc<RecordCell>,
}

impl fmt::Debug for RecordHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordHandle")
            .field("finished", &self.cell.finished.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Cells of finished requests kept per thread for the next requests; more are freed.
const CELL_POOL: usize = 16;

thread_local! {
    /// Cells no handle points to any more (`Arc::get_mut` succeeded when they came back).
    static CELLS: RefCell<Vec<Arc<RecordCell>>> = const { RefCell::new(Vec::new()) };
}

impl RecordHandle {
    /// A handle on a cell whose record (a blank `event_name` record) `fill` writes in
    /// place, and the client `fill` resolved. The cell is a pooled one of an earlier
    /// request of this thread when there is one: no allocation, and the record is
    /// written where it stays instead of being built on the stack and moved in (it is
    /// some 600 bytes).
    pub(crate) fn begin<R>(
        event_name: &'static str,
        fill: impl FnOnce(&mut Record) -> (crate::request_log::Client, R),
    ) -> (RecordHandle, R) {
        let pooled = CELLS.try_with(|p| p.borrow_mut().pop()).ok().flatten();
        // Nobody else can see a pooled cell (checked again here): every field starts
        // afresh, in place.
        if let Some(mut cell) = pooled {
            if let Some(slot) = Arc::get_mut(&mut cell) {
                let record = slot.record.get_mut().unwrap_or_else(|e| e.into_inner());
                record.reuse(event_name);
                let (client, out) = fill(record);
                *slot.request_body_bytes.get_mut() = 0;
                *slot.finished.get_mut() = false;
                slot.client = client;
                slot.pseudonymizer.take();
                slot.verdict.take();
                #[cfg(feature = "debug-events")]
                {
                    slot.debug = crate::debug_events::Buffer::default();
                }
                return (RecordHandle { cell }, out);
            }
        }
        let mut record = Record::blank(event_name, super::Arena::take());
        let (client, out) = fill(&mut record);
        let handle = RecordHandle {
            cell: Arc::new(RecordCell {
                record: Mutex::new(record),
                request_body_bytes: AtomicU64::new(0),
                finished: AtomicBool::new(false),
                client,
                pseudonymizer: std::sync::OnceLock::new(),
                verdict: std::sync::OnceLock::new(),
                #[cfg(feature = "debug-events")]
                debug: crate::debug_events::Buffer::default(),
            }),
        };
        (handle, out)
    }

    /// Gives the cell back to this thread's pool if this is the last handle on it
    /// (a handler that kept a clone keeps the cell to itself: it is never reused while
    /// shared). The record keeps its text's room for the next request
    /// ([`Record::reuse`]); its free fields are dropped now. With the pool full the
    /// cell is freed and its text's room goes to the arena pool instead.
    pub(crate) fn recycle(self) {
        let mut cell = self.cell;
        let Some(slot) = Arc::get_mut(&mut cell) else {
            return;
        };
        let record = slot.record.get_mut().unwrap_or_else(|e| e.into_inner());
        let full = CELLS
            .try_with(|p| p.borrow().len() >= CELL_POOL)
            .unwrap_or(true);
        if full {
            // The cell is freed; its text room goes to the arena pool, for the cell a
            // later request makes.
            record.text.recycle();
            return;
        }
        record.extra.clear();
        let _ = CELLS.try_with(|p| p.borrow_mut().push(cell));
    }

    /// The handle in these extensions, if a `RequestLog` put one there.
    pub fn from_extensions(extensions: &http::Extensions) -> Option<&RecordHandle> {
        extensions.get::<RecordHandle>()
    }

    /// The handle of this request, if a `RequestLog` put one there.
    pub fn from_request<B>(request: &http::Request<B>) -> Option<&RecordHandle> {
        request.extensions().get::<RecordHandle>()
    }

    /// Adds a free field to the request's line.
    ///
    /// Keys of the schema are refused ([`FieldError::Reserved`]), so a handler can never
    /// overwrite `url.path` or `enduser.pseudo.id`. Text longer than 1 KiB is cut. A repeated key
    /// replaces the earlier value. After the line was written, this does nothing.
    pub fn insert(
        &self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Result<(), FieldError> {
        let key = key.into();
        check_key(&key)?;
        let mut value = value.into();
        cap_value(&mut value);
        let mut record = self.lock();
        if let Some(slot) = record.extra.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return Ok(());
        }
        if record.extra.len() >= MAX_FIELDS {
            return Err(FieldError::TooMany);
        }
        record.extra.push((key, value));
        Ok(())
    }

    /// The client address `RequestLog` resolved (trusted proxies applied, not masked).
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.cell.client.logged()
    }

    /// The line's `request.id` (the same as the
    /// [`RequestId`](crate::request_log::RequestId) extension and the response's
    /// `x-request-id`). It copies the text out of the record; a handler that only needs
    /// the id should take the `RequestId` extension, which does not.
    ///
    /// # Example
    /// ```
    /// use reqlog::RecordHandle;
    ///
    /// fn tag_error(req: &http::Request<()>) -> String {
    ///     let id = RecordHandle::from_request(req).and_then(|record| record.request_id());
    ///     format!("something failed (request {})", id.as_deref().unwrap_or("?"))
    /// }
    /// # assert_eq!(tag_error(&http::Request::new(())), "something failed (request ?)");
    /// ```
    pub fn request_id(&self) -> Option<String> {
        self.lock().request_id().map(str::to_owned)
    }

    /// Whether the line was already written.
    pub fn is_finished(&self) -> bool {
        self.cell.finished.load(Ordering::Acquire)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Record> {
        // A panic while the lock was held must not cost the line: take the data anyway.
        self.cell.record.lock().unwrap_or_else(|e| e.into_inner())
    }
}
