//! The per-request buffer: `tracing` events captured while the request runs, bounded in
//! count and bytes, and the visitor that captures one.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use tracing::field::{Field, Visit};

use crate::record::handle::MAX_VALUE_LEN;
use crate::FieldValue;

/// What one captured event costs in the buffer's byte count beyond its text: its time,
/// level and the structure around it on the line (`{"time":…,"level":…}`).
pub(crate) const EVENT_OVERHEAD: usize = 96;
/// What a number or a boolean costs in the byte count.
const SCALAR_SIZE: usize = 8;

/// The bounds of one request's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_events: usize,
    pub(crate) max_bytes: usize,
}

/// The events of one request, in the request's [`RecordCell`](crate::record::handle::RecordCell).
///
/// Empty, it holds no allocation: the event list is allocated at the first event. The
/// lock is the request's own and is held only to check a bound and push, or to take
/// the list at the end — never while a sink writes (the sink holds the record's lock,
/// not this one), so an event emitted by a sink cannot wait on it.
#[derive(Debug, Default)]
pub(crate) struct Buffer(Mutex<Inner>);

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Captured>,
    bytes: usize,
    dropped: u64,
    /// The record was written: later events belong to no line.
    closed: bool,
}

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while the lock was held leaves a consistent list.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the buffer takes no more events (closed, or full by count); a refused
    /// event is counted. Checked before an event is formatted, so that a flood past the
    /// bound costs a lock and an increment per event, not a copy of its text.
    pub(crate) fn refuses(&self, limits: Limits) -> bool {
        let mut inner = self.lock();
        if inner.closed {
            return true;
        }
        if inner.events.len() >= limits.max_events {
            inner.dropped = inner.dropped.saturating_add(1);
            return true;
        }
        false
    }

    /// Keeps `event` if it fits both bounds; counts it as dropped otherwise.
    pub(crate) fn push(&self, event: Captured, limits: Limits) {
        let size = event.size();
        let mut inner = self.lock();
        if inner.closed {
            return;
        }
        if inner.events.len() >= limits.max_events
            || inner.bytes.saturating_add(size) > limits.max_bytes
        {
            inner.dropped = inner.dropped.saturating_add(1);
            return;
        }
        inner.bytes += size;
        inner.events.push(event);
    }

    /// Closes the buffer and takes its events and the count of those that did not fit.
    pub(crate) fn take(&self) -> (Vec<Captured>, u64) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.bytes = 0;
        (
            std::mem::take(&mut inner.events),
            std::mem::take(&mut inner.dropped),
        )
    }

    /// The bytes the kept events count for (tests).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

/// One captured event: its fields formatted once, its text capped.
#[derive(Debug)]
pub(crate) struct Captured {
    time: SystemTime,
    level: &'static str,
    target: Cow<'static, str>,
    message: String,
    fields: Vec<(&'static str, FieldValue)>,
}

impl Captured {
    /// Captures `event` now.
    pub(crate) fn new(event: &tracing::Event<'_>) -> Captured {
        let meta = event.metadata();
        let mut visitor = Visitor {
            message: String::new(),
            fields: Vec::new(),
            log_target: None,
        };
        event.record(&mut visitor);
        Captured {
            time: SystemTime::now(),
            level: level_name(meta.level()),
            target: match visitor.log_target {
                // An event bridged from the `log` crate: its own target, not `log`.
                Some(target) => Cow::Owned(target),
                None => Cow::Borrowed(meta.target()),
            },
            message: visitor.message,
            fields: visitor.fields,
        }
    }

    /// What the event counts for against the byte bound: its text (target, message,
    /// field names and text values) and a fixed part for the rest.
    pub(crate) fn size(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|(name, value)| {
                name.len()
                    + match value {
                        FieldValue::Str(s) => s.len(),
                        _ => SCALAR_SIZE,
                    }
            })
            .sum();
        EVENT_OVERHEAD + self.target.len() + self.message.len() + fields
    }

    /// The event as it goes on the line: `{time, level, target, message, fields}`.
    pub(crate) fn into_value(self) -> FieldValue {
        let mut time = Vec::with_capacity(27);
        crate::format::write_rfc3339(self.time, &mut time);
        let fields = self
            .fields
            .into_iter()
            .map(|(name, value)| (Cow::Borrowed(name), value))
            .collect();
        FieldValue::Map(vec![
            (
                "time".into(),
                String::from_utf8_lossy(&time).into_owned().into(),
            ),
            ("level".into(), self.level.into()),
            ("target".into(), self.target.into()),
            ("message".into(), self.message.into()),
            ("fields".into(), FieldValue::Map(fields)),
        ])
    }
}

fn level_name(level: &tracing::Level) -> &'static str {
    match *level {
        tracing::Level::TRACE => "TRACE",
        tracing::Level::DEBUG => "DEBUG",
        tracing::Level::INFO => "INFO",
        tracing::Level::WARN => "WARN",
        _ => "ERROR",
    }
}

/// Collects an event's message and fields, each text capped at [`MAX_VALUE_LEN`].
struct Visitor {
    message: String,
    fields: Vec<(&'static str, FieldValue)>,
    log_target: Option<String>,
}

impl Visitor {
    fn text(&mut self, field: &Field, text: String) {
        match field.name() {
            "message" => self.message = text,
            "log.target" => self.log_target = Some(text),
            // The rest of what the `log` bridge adds says where the call is, not why.
            "log.module_path" | "log.file" | "log.line" => {}
            name => self.fields.push((name, FieldValue::from(text))),
        }
    }

    fn scalar(&mut self, field: &Field, value: FieldValue) {
        self.fields.push((field.name(), value));
    }
}

impl Visit for Visitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        let mut text = Capped::new();
        let _ = text.write_str(value);
        self.text(field, text.finish());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Formatted into a capped string: a huge `Debug` output stops at the cap
        // instead of being written out and cut afterwards.
        let mut text = Capped::new();
        let _ = write!(text, "{value:?}");
        self.text(field, text.finish());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.scalar(field, FieldValue::U64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.scalar(field, FieldValue::I64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.scalar(field, FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.scalar(field, FieldValue::Bool(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        match u64::try_from(value) {
            Ok(n) => self.scalar(field, FieldValue::U64(n)),
            Err(_) => self.text(field, value.to_string()),
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        match i64::try_from(value) {
            Ok(n) => self.scalar(field, FieldValue::I64(n)),
            Err(_) => self.text(field, value.to_string()),
        }
    }
}

/// A string that keeps the first [`MAX_VALUE_LEN`] bytes written to it (cut at a
/// character boundary, then `…`), and stops the formatting once it is full.
struct Capped {
    text: String,
    cut: bool,
}

impl Capped {
    fn new() -> Capped {
        Capped {
            text: String::new(),
            cut: false,
        }
    }

    fn finish(mut self) -> String {
        if self.cut {
            self.text.push('…');
        }
        self.text
    }
}

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Err(fmt::Error);
        }
        let room = MAX_VALUE_LEN - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.cut = true;
        // Stops the `Debug` implementation: nothing more would be kept.
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(message: &str) -> Captured {
        Captured {
            time: SystemTime::UNIX_EPOCH,
            level: "DEBUG",
            target: Cow::Borrowed("t"),
            message: message.to_owned(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn the_count_bound_holds_and_overflow_is_counted() {
        let limits = Limits {
            max_events: 3,
            max_bytes: usize::MAX,
        };
        let buffer = Buffer::default();
        for i in 0..10 {
            if !buffer.refuses(limits) {
                buffer.push(captured(&i.to_string()), limits);
            }
        }
        let (events, dropped) = buffer.take();
        assert_eq!(events.len(), 3);
        assert_eq!(dropped, 7);
        assert_eq!(events[2].message, "2");
    }

    #[test]
    fn the_byte_bound_holds_and_a_smaller_event_still_fits() {
        let one = captured("x").size();
        let limits = Limits {
            max_events: 100,
            max_bytes: 2 * one + 10,
        };
        let buffer = Buffer::default();
        buffer.push(captured("x"), limits);
        buffer.push(captured(&"y".repeat(50)), limits); // does not fit
        buffer.push(captured("z"), limits); // fits
        assert!(buffer.bytes() <= limits.max_bytes);
        let (events, dropped) = buffer.take();
        let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["x", "z"]);
        assert_eq!(dropped, 1);
    }

    #[test]
    fn a_closed_buffer_takes_nothing_and_counts_nothing() {
        let limits = Limits {
            max_events: 8,
            max_bytes: 1 << 20,
        };
        let buffer = Buffer::default();
        buffer.push(captured("before"), limits);
        assert_eq!(buffer.take().0.len(), 1);
        assert!(buffer.refuses(limits));
        buffer.push(captured("after"), limits);
        assert_eq!(buffer.take(), (Vec::new(), 0));
    }

    #[test]
    fn text_is_capped_at_a_character_boundary() {
        let mut text = Capped::new();
        let long = "é".repeat(MAX_VALUE_LEN); // two bytes each
        assert!(write!(text, "{long}").is_err());
        let text = text.finish();
        assert!(text.ends_with('…'));
        assert!(text.len() <= MAX_VALUE_LEN + '…'.len_utf8());
        assert!(text.trim_end_matches('…').chars().all(|c| c == 'é'));
    }

    impl PartialEq for Captured {
        fn eq(&self, other: &Self) -> bool {
            self.message == other.message
        }
    }
}
