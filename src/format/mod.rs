//! Line formats: how a [`Record`] becomes bytes.
//!
//! A format writes one complete line, newline included, straight into a reused buffer;
//! no intermediate `serde_json::Value` is built. Every built-in format escapes what it
//! writes so that one record is always exactly one line.

mod combined;
mod ecs;
mod gcp;
mod json;
mod logfmt;
pub mod pretty;
mod schema;
pub(crate) mod text;
mod time;

pub use combined::Combined;
pub use json::JsonLines;
#[cfg(feature = "tracing")]
pub(crate) use json::{write_str as json_str, write_value_to as json_value};
pub use logfmt::Logfmt;
pub use pretty::Pretty;
pub use schema::Schema;
pub(crate) use time::write_rfc3339;

use crate::Record;

/// Turns a record into one line of bytes.
///
/// Implement it to write a format of your own; the non-blocking writer calls it on the
/// request's thread with a buffer it reuses, then moves the bytes to its worker.
///
/// # Example
/// ```
/// use reqlog::format::Format;
/// use reqlog::Record;
///
/// /// Writes only the event name.
/// struct EventOnly;
///
/// impl Format for EventOnly {
///     fn format(&self, record: &Record, out: &mut Vec<u8>) {
///         out.extend_from_slice(record.event_name().as_bytes());
///         out.push(b'\n');
///     }
/// }
///
/// let mut line = Vec::new();
/// EventOnly.format(&Record::event("reqlog.start"), &mut line);
/// assert_eq!(line, b"reqlog.start\n");
/// ```
pub trait Format: Send + Sync + 'static {
    /// Appends one line, ending in `\n`, to `out` — or nothing, for a record that has
    /// no form in this format (the `combined` format writes only requests).
    fn format(&self, record: &Record, out: &mut Vec<u8>);

    /// A short name for the start-up record (`"json"`).
    fn name(&self) -> &'static str {
        "custom"
    }
}

impl<F: Format + ?Sized> Format for Box<F> {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

impl<F: Format + ?Sized> Format for std::sync::Arc<F> {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
}
