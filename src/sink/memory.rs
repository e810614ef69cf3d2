//! A sink that keeps records in memory, for tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Sink;
use crate::format::{Format, JsonLines};
use crate::Record;

/// Keeps every record in memory, queryable by key. Meant for tests.
///
/// Each record is stored as its JSON line and the parsed object, so a test sees
/// exactly what the JSON format writes.
///
/// # Example
/// ```
/// use reqlog::{sink::{MemorySink, Sink}, Record};
///
/// let memory = MemorySink::new();
/// memory.emit(&Record::event("reqlog.start").with("service.name", "courses"));
/// let records = memory.records();
/// assert_eq!(records[0].str("service.name"), Some("courses"));
/// assert_eq!(records[0].str("otel.event.name"), Some("reqlog.start"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: Mutex<Vec<RecordSnapshot>>,
    added: tokio::sync::Notify,
}

/// A stored record: its JSON line and the parsed fields.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSnapshot {
    line: String,
    fields: serde_json::Map<String, serde_json::Value>,
}

impl RecordSnapshot {
    /// The JSON line as the [`JsonLines`] format wrote it (with its newline).
    pub fn line(&self) -> &str {
        &self.line
    }
    /// A field by key.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.fields.get(key)
    }
    /// A text field by key.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.as_str())
    }
    /// A header field by key (`http.request.header.referer`): the text of its one-item
    /// array.
    ///
    /// # Example
    /// ```
    /// # async fn demo(memory: reqlog::sink::MemorySink) {
    /// let records = memory.wait_for(1, std::time::Duration::from_secs(1)).await;
    /// let referer = records[0].header("http.request.header.referer");
    /// # }
    /// ```
    pub fn header(&self, key: &str) -> Option<&str> {
        match self.get(key)?.as_array()?.as_slice() {
            [one] => one.as_str(),
            _ => None,
        }
    }
    /// An integer field by key.
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.as_u64())
    }
    /// A number field by key.
    pub fn f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(|v| v.as_f64())
    }
    /// A boolean field by key.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(|v| v.as_bool())
    }
    /// All fields.
    pub fn fields(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.fields
    }
}

impl MemorySink {
    /// An empty memory sink. Clones share the same records.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// A copy of every record so far.
    pub fn records(&self) -> Vec<RecordSnapshot> {
        self.lock().clone()
    }

    /// Records whose `otel.event.name` is `"http.request"`.
    pub fn requests(&self) -> Vec<RecordSnapshot> {
        self.lock()
            .iter()
            .filter(|r| r.str("otel.event.name") == Some("http.request"))
            .cloned()
            .collect()
    }

    /// How many records were stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no record was stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.lock().clear()
    }

    /// Waits until at least `n` records are stored or `timeout` passes, then returns
    /// what is there. A server finishes a line when the response body ends, which can
    /// be a moment after the client has read it; this waits for that without sleeping.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<RecordSnapshot> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.added.notified();
            if self.len() >= n {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                break;
            }
        }
        self.records()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordSnapshot>> {
        self.inner.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for MemorySink {
    fn emit(&self, record: &Record) {
        let mut line = Vec::with_capacity(512);
        JsonLines::new().format(record, &mut line);
        let fields = match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(map)) => map,
            // The JSON format always writes an object; keep the line even if not.
            _ => serde_json::Map::new(),
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        self.lock().push(RecordSnapshot { line, fields });
        self.inner.added.notify_waiters();
    }

    fn describe(&self) -> std::borrow::Cow<'static, str> {
        "memory".into()
    }
}
