//! The record: one per request (or per start-up / dropped-lines event), written to a sink.
//!
//! A [`Record`] keeps its text fields in one reusable buffer (the arena) so that filling
//! it allocates nothing once the per-thread pool is warm. Its fields are one declarative
//! list (`fields.rs`); sinks read them through typed accessors or
//! [`Record::for_each_field`], which visits them in the order of that list.

mod arena;
mod fields;
pub(crate) mod handle;
mod slot;
#[cfg(test)]
mod tests;
mod value;

use std::borrow::Cow;

pub use handle::{FieldError, RecordHandle};
pub use value::{FieldValue, Value};

pub(crate) use arena::{Arena, Span};
#[cfg(test)]
use fields::RENAMED;
pub use fields::{Field, RESERVED_KEYS};
pub(crate) use fields::{Fields, Place, SchemaKey, SCHEMA};

/// Severity of a record.
///
/// The default mapping: `INFO` below 400, `WARN` for 4xx and probes, `ERROR` for 5xx,
/// service or body errors and panics. Override it with
/// [`RequestLog::level_for`](crate::RequestLog::level_for).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Fine-grained diagnostics.
    Debug,
    /// Normal traffic.
    Info,
    /// Client errors, probes.
    Warn,
    /// Server errors, failures, panics.
    Error,
}

impl Level {
    /// The upper-case name written in the `level` field (`"INFO"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// How a request ended.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The response body was sent to its last byte.
    Ok,
    /// The service returned an error, the response body failed, or a gRPC call ended
    /// with a status other than `OK`.
    Error,
    /// The client went away: the response future or body was dropped before the end.
    Aborted,
    /// The handler panicked; the record was written while unwinding.
    Panic,
    /// The connection switched protocols (`101 Switching Protocols`).
    Upgraded,
}

impl Outcome {
    /// The value written in the `outcome` field (`"ok"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Aborted => "aborted",
            Outcome::Panic => "panic",
            Outcome::Upgraded => "upgraded",
        }
    }
}

/// One log record: an HTTP request, the application's start, or a dropped-lines report.
///
/// Built by [`RequestLog`](crate::RequestLog) and by [`Record::event`]; read by sinks
/// through one accessor per field (the fields and their keys are listed in the README's
/// record table, and in [`RESERVED_KEYS`]) or [`Record::for_each_field`].
///
/// # Example
/// ```
/// use reqlog::{Record, Value};
///
/// let record = Record::event("reqlog.start").with("service.name", "courses");
/// assert_eq!(record.event_name(), "reqlog.start");
/// assert_eq!(record.get("service.name"), Some(Value::Str("courses")));
/// ```
#[derive(Clone, Debug)]
pub struct Record {
    pub(crate) fields: Fields,
    /// The level the record gets at least (layers raise it; the level mapping at the
    /// end cannot go below it).
    pub(crate) min_level: Level,
    pub(crate) text: Arena,
    pub(crate) extra: Vec<(Cow<'static, str>, FieldValue)>,
}

/// What [`Record::visit_fields`] calls for each field.
pub(crate) trait VisitField<'a> {
    fn field(&mut self, key: FieldKey<'a>, value: Value<'a>);
}

/// The key of a field as [`Record::visit_fields`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldKey<'a> {
    /// A key of the schema.
    Schema(&'static SchemaKey),
    /// A free field's key (checked to be `[A-Za-z0-9._-]` when it was added).
    Free(&'a str),
}

impl Record {
    pub(crate) fn blank(event_name: &'static str, text: Arena) -> Record {
        let mut record = Record {
            fields: Fields::default(),
            min_level: Level::Debug,
            text,
            extra: Vec::new(),
        };
        record.set_event_name(event_name);
        record
    }

    /// Makes the record a blank one named `event_name` again, in place, keeping the room
    /// of its text and free-field storage: what a pooled record cell does for the next
    /// request (see [`Arena::reuse`]).
    pub(crate) fn reuse(&mut self, event_name: &'static str) {
        self.fields = Fields::default();
        self.min_level = Level::Debug;
        self.text.reuse();
        self.extra.clear();
        self.set_event_name(event_name);
    }

    /// Empties the record for reuse by another one, keeping the room of its text and
    /// free-field storage (the sink queues recycle records this way).
    pub(crate) fn reset(&mut self) {
        self.fields = Fields::default();
        self.min_level = Level::Debug;
        self.text.clear();
        self.extra.clear();
    }

    /// An empty record with room for text, for a queue's spares (allocates).
    pub(crate) fn spare() -> Record {
        Record::blank("", Arena::with_room())
    }

    /// Makes this record a copy of `other`, reusing this one's storage: what a queue
    /// does with a record it may only borrow.
    pub(crate) fn copy_from(&mut self, other: &Record) {
        self.fields.clone_from(&other.fields);
        self.min_level = other.min_level;
        self.text.copy_from(&other.text);
        self.extra.clone_from(&other.extra);
    }

    /// A record for an event that is not a request, such as `"reqlog.start"`.
    ///
    /// Add fields with [`Record::with`]; reserved keys are ignored (see [`RESERVED_KEYS`]).
    pub fn event(name: &'static str) -> Record {
        Record::blank(name, Arena::default())
    }

    /// Adds a field and returns the record (builder form of [`Record::insert`]).
    pub fn with(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Record {
        let _ = self.insert(key, value);
        self
    }

    /// Adds a free field. Reserved keys are refused, a repeated key replaces the old value.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Result<(), FieldError> {
        let key = key.into();
        handle::check_key(&key)?;
        let value = value.into();
        match self.extra.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.extra.push((key, value)),
        }
        Ok(())
    }

    /// Sets the level of this record (used for events; requests get theirs at the end).
    pub fn set_level(&mut self, level: Level) {
        self.set_level_field(level);
    }

    /// Copies `s` into the record's text and returns where it sits, for a text setter.
    pub(crate) fn push_text(&mut self, s: &str) -> Span {
        let start = self.text.mark();
        self.text.buf().push_str(s);
        self.text.span_from(start)
    }

    /// `probe.category` and `probe.rule`, when the detector flagged the request.
    pub fn probe(&self) -> Option<(&'static str, &str)> {
        Some((self.probe_category()?, self.probe_rule()?))
    }

    /// Free fields added by handlers and layers, in insertion order.
    pub fn extra_fields(&self) -> &[(Cow<'static, str>, FieldValue)] {
        &self.extra
    }

    /// Visits every present field in schema order, then the free fields.
    ///
    /// Formats use this to write a line without knowing the schema.
    pub fn for_each_field<'a>(&'a self, f: impl FnMut(&'a str, Value<'a>)) {
        /// Hands the keys on as text.
        struct ByName<F>(F);
        impl<'a, F: FnMut(&'a str, Value<'a>)> VisitField<'a> for ByName<F> {
            fn field(&mut self, key: FieldKey<'a>, value: Value<'a>) {
                match key {
                    FieldKey::Schema(k) => (self.0)(k.name, value),
                    FieldKey::Free(k) => (self.0)(k, value),
                }
            }
        }
        self.visit_fields(&mut ByName(f))
    }

    /// [`Record::for_each_field`] with each key as a [`FieldKey`].
    ///
    /// Straight-line calls with constant keys: where a visitor's `field` is inlined,
    /// writing a key is a copy of a constant and the value's variant is known.
    pub(crate) fn visit_fields<'a>(&'a self, v: &mut impl VisitField<'a>) {
        self.visit_schema(&mut |key, value| v.field(FieldKey::Schema(key), value));
        for (k, value) in &self.extra {
            v.field(FieldKey::Free(k.as_ref()), value.as_value());
        }
    }

    /// The value of one field by its key, as a format or test would see it.
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        let mut found = None;
        self.for_each_field(|k, v| {
            if found.is_none() && k == key {
                found = Some(v);
            }
        });
        found
    }
}
