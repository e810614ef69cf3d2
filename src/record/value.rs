//! Field values: borrowed ([`Value`]) for formats, owned ([`FieldValue`]) for free fields.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::SystemTime;

/// A field value as a format sees it, borrowed from the [`Record`](crate::Record).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// Text; formats escape it.
    Str(&'a str),
    /// Unsigned integer.
    U64(u64),
    /// Signed integer.
    I64(i64),
    /// Floating-point number (non-finite values are written as `null`).
    F64(f64),
    /// Boolean.
    Bool(bool),
    /// A duration in microseconds, written as milliseconds with three decimals (`0.412`).
    Millis(u64),
    /// A point in time, written as RFC 3339 UTC with microseconds.
    Timestamp(SystemTime),
    /// An IP address.
    Ip(IpAddr),
    /// One HTTP header value: a one-item array of strings in JSON and OTLP (as
    /// OpenTelemetry's `http.request.header.<name>` attributes are), text elsewhere.
    Header(&'a str),
    /// A list, such as `visitor.actions`.
    List(&'a [FieldValue]),
    /// A nested object, such as one action with its fields.
    Map(&'a [(Cow<'static, str>, FieldValue)]),
}

impl Value<'_> {
    /// The text, when this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Header(s) => Some(s),
            _ => None,
        }
    }
}

/// An owned field value, added by handlers and layers.
///
/// Built with `From`: `FieldValue::from("python-jumpstart")`, `FieldValue::from(42u64)`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// Text.
    Str(Cow<'static, str>),
    /// Unsigned integer.
    U64(u64),
    /// Signed integer.
    I64(i64),
    /// Floating-point number.
    F64(f64),
    /// Boolean.
    Bool(bool),
    /// A list of values.
    List(Vec<FieldValue>),
    /// A nested object.
    Map(Vec<(Cow<'static, str>, FieldValue)>),
}

impl FieldValue {
    /// Borrows this value for a format.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            FieldValue::Str(s) => Value::Str(s),
            FieldValue::U64(n) => Value::U64(*n),
            FieldValue::I64(n) => Value::I64(*n),
            FieldValue::F64(n) => Value::F64(*n),
            FieldValue::Bool(b) => Value::Bool(*b),
            FieldValue::List(l) => Value::List(l),
            FieldValue::Map(m) => Value::Map(m),
        }
    }
}

impl From<&'static str> for FieldValue {
    fn from(s: &'static str) -> Self {
        FieldValue::Str(Cow::Borrowed(s))
    }
}
impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(Cow::Owned(s))
    }
}
impl From<Cow<'static, str>> for FieldValue {
    fn from(s: Cow<'static, str>) -> Self {
        FieldValue::Str(s)
    }
}
impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}
impl From<f64> for FieldValue {
    fn from(n: f64) -> Self {
        FieldValue::F64(n)
    }
}
macro_rules! from_int {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for FieldValue {
            fn from(n: $t) -> Self {
                FieldValue::$variant(n.into())
            }
        }
    )*};
}
from_int!(U64: u8, u16, u32, u64);
from_int!(I64: i8, i16, i32, i64);
impl From<usize> for FieldValue {
    fn from(n: usize) -> Self {
        FieldValue::U64(n as u64)
    }
}
