//! How a record stores each kind of field: a [`Slot`] per storage shape, so that the
//! field list in `fields.rs` names a field's type once and the struct, its accessor,
//! its setter and its value for the formats all follow from it.

use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use super::{Arena, FieldValue, Level, Outcome, Span, Value};

/// Storage for one field of the record.
pub(crate) trait Slot: Clone + Debug + Default {
    /// What a setter takes.
    type In;
    /// What the public accessor returns.
    type Out<'a>
    where
        Self: 'a;
    fn set(&mut self, v: Self::In);
    fn get<'a>(&'a self, text: &'a Arena) -> Self::Out<'a>;
    /// The value formats write, `None` when the field is absent from the line.
    fn value<'a>(&'a self, text: &'a Arena) -> Option<Value<'a>>;
    /// A slot holding some value that is written (tests fill every field with it).
    #[cfg(test)]
    fn sample(text: &mut Arena) -> Self {
        let _ = text;
        Self::default()
    }
}

/// Text copied into the record's arena.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Text(Option<Span>);

impl Slot for Text {
    type In = Span;
    type Out<'a> = Option<&'a str>;
    fn set(&mut self, v: Span) {
        self.0 = Some(v);
    }
    fn get<'a>(&'a self, text: &'a Arena) -> Option<&'a str> {
        self.0.map(|s| text.get(s))
    }
    #[inline]
    fn value<'a>(&'a self, text: &'a Arena) -> Option<Value<'a>> {
        self.get(text).map(Value::Str)
    }
    #[cfg(test)]
    fn sample(text: &mut Arena) -> Self {
        let start = text.mark();
        text.buf().push('x');
        Text(Some(text.span_from(start)))
    }
}

/// One request header's value in the arena, written as a one-item array of strings, as
/// OpenTelemetry's `http.request.header.<name>` attributes are.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Header(Option<Span>);

impl Slot for Header {
    type In = Span;
    type Out<'a> = Option<&'a str>;
    fn set(&mut self, v: Span) {
        self.0 = Some(v);
    }
    fn get<'a>(&'a self, text: &'a Arena) -> Option<&'a str> {
        self.0.map(|s| text.get(s))
    }
    #[inline]
    fn value<'a>(&'a self, text: &'a Arena) -> Option<Value<'a>> {
        self.get(text).map(Value::Header)
    }
    #[cfg(test)]
    fn sample(text: &mut Arena) -> Self {
        let start = text.mark();
        text.buf().push_str("https://example.com/");
        Header(Some(text.span_from(start)))
    }
}

/// A constant string (a method name, a category, a protocol version).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Static(Option<&'static str>);

impl Slot for Static {
    type In = &'static str;
    type Out<'a> = Option<&'static str>;
    fn set(&mut self, v: &'static str) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<&'static str> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(Value::Str)
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Static(Some("x"))
    }
}

/// Text shared with the detector (a rule id, a parameter name): a reference count, no copy.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shared(Option<Arc<str>>);

impl Slot for Shared {
    type In = Arc<str>;
    type Out<'a> = Option<&'a str>;
    fn set(&mut self, v: Arc<str>) {
        self.0 = Some(v);
    }
    fn get<'a>(&'a self, _: &'a Arena) -> Option<&'a str> {
        self.0.as_deref()
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.as_deref().map(Value::Str)
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Shared(Some(Arc::from("x")))
    }
}

/// An unsigned number (a status code, a port, a size).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Num<T>(Option<T>);

impl<T: Copy + Debug + Default + Into<u64>> Slot for Num<T> {
    type In = T;
    type Out<'a>
        = Option<T>
    where
        T: 'a;
    fn set(&mut self, v: T) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<T> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(|n| Value::U64(n.into()))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Num(Some(T::default()))
    }
}

/// A duration in microseconds, written as milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Micros(Option<u64>);

impl Slot for Micros {
    type In = u64;
    type Out<'a> = Option<u64>;
    fn set(&mut self, v: u64) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<u64> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(Value::Millis)
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Micros(Some(1234))
    }
}

/// An IP address.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ip(Option<IpAddr>);

impl Slot for Ip {
    type In = IpAddr;
    type Out<'a> = Option<IpAddr>;
    fn set(&mut self, v: IpAddr) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<IpAddr> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(Value::Ip)
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Ip(Some(IpAddr::from([192, 0, 2, 1])))
    }
}

/// A yes/no that is only written when it is yes (`visitor.scanning: true`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flag(bool);

impl Slot for Flag {
    type In = bool;
    type Out<'a> = bool;
    fn set(&mut self, v: bool) {
        self.0 = v;
    }
    fn get(&self, _: &Arena) -> bool {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.then_some(Value::Bool(true))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Flag(true)
    }
}

/// A yes/no that can also be unknown (absent).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bool(Option<bool>);

impl Slot for Bool {
    type In = bool;
    type Out<'a> = Option<bool>;
    fn set(&mut self, v: bool) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<bool> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(Value::Bool)
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Bool(Some(false))
    }
}

/// The request method.
#[derive(Clone, Debug, Default)]
pub(crate) struct Method(Option<http::Method>);

impl Slot for Method {
    type In = http::Method;
    type Out<'a> = Option<&'a http::Method>;
    fn set(&mut self, v: http::Method) {
        self.0 = Some(v);
    }
    fn get<'a>(&'a self, _: &'a Arena) -> Option<&'a http::Method> {
        self.0.as_ref()
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.as_ref().map(|m| Value::Str(m.as_str()))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Method(Some(http::Method::GET))
    }
}

/// How the request ended.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct End(Option<Outcome>);

impl Slot for End {
    type In = Outcome;
    type Out<'a> = Option<Outcome>;
    fn set(&mut self, v: Outcome) {
        self.0 = Some(v);
    }
    fn get(&self, _: &Arena) -> Option<Outcome> {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        self.0.map(|o| Value::Str(o.as_str()))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        End(Some(Outcome::Ok))
    }
}

/// The record's time (always written).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Time(SystemTime);

impl Default for Time {
    fn default() -> Self {
        Time(SystemTime::now())
    }
}

impl Slot for Time {
    type In = SystemTime;
    type Out<'a> = SystemTime;
    fn set(&mut self, v: SystemTime) {
        self.0 = v;
    }
    fn get(&self, _: &Arena) -> SystemTime {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        Some(Value::Timestamp(self.0))
    }
}

/// The record's level (always written).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Severity(Level);

impl Default for Severity {
    fn default() -> Self {
        Severity(Level::Info)
    }
}

impl Slot for Severity {
    type In = Level;
    type Out<'a> = Level;
    fn set(&mut self, v: Level) {
        self.0 = v;
    }
    fn get(&self, _: &Arena) -> Level {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        Some(Value::Str(self.0.as_str()))
    }
}

/// The event's name (always written).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Name(&'static str);

impl Slot for Name {
    type In = &'static str;
    type Out<'a> = &'static str;
    fn set(&mut self, v: &'static str) {
        self.0 = v;
    }
    fn get(&self, _: &Arena) -> &'static str {
        self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        Some(Value::Str(self.0))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Name("http.request")
    }
}

/// The business actions a request carried, in order (written when there is one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Actions(Vec<FieldValue>);

impl Slot for Actions {
    type In = FieldValue;
    type Out<'a> = &'a [FieldValue];
    /// Appends one action.
    fn set(&mut self, v: FieldValue) {
        self.0.push(v);
    }
    fn get<'a>(&'a self, _: &'a Arena) -> &'a [FieldValue] {
        &self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        (!self.0.is_empty()).then_some(Value::List(&self.0))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        Actions(vec![FieldValue::from("x")])
    }
}

/// A list set whole, once (`debug.events`: the request's buffered `tracing` events);
/// written when it has an item.
#[derive(Clone, Debug, Default)]
pub(crate) struct List(Vec<FieldValue>);

impl Slot for List {
    type In = Vec<FieldValue>;
    type Out<'a> = &'a [FieldValue];
    /// Replaces the list.
    fn set(&mut self, v: Vec<FieldValue>) {
        self.0 = v;
    }
    fn get<'a>(&'a self, _: &'a Arena) -> &'a [FieldValue] {
        &self.0
    }
    #[inline]
    fn value<'a>(&'a self, _: &'a Arena) -> Option<Value<'a>> {
        (!self.0.is_empty()).then_some(Value::List(&self.0))
    }
    #[cfg(test)]
    fn sample(_: &mut Arena) -> Self {
        List(vec![FieldValue::Map(vec![
            ("time".into(), "2026-11-24T02:30:05.123456Z".into()),
            ("level".into(), "DEBUG".into()),
            ("target".into(), "app".into()),
            ("message".into(), "x".into()),
            (
                "fields".into(),
                FieldValue::Map(vec![("n".into(), 1u64.into())]),
            ),
        ])])
    }
}
