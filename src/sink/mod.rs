//! Sinks: where records go.
//!
//! [`Sink::emit`] is called once per record on the request's thread, so a sink must
//! never block on I/O. The built-in writers ([`stdout`], [`writer`]) hand the record
//! itself to a [`NonBlocking`] worker thread, which formats and writes it
//! ([`Sink::emit_owned`]); [`MemorySink`] keeps records for tests and
//! [`FnSink`] calls a closure. With the `otlp` feature, `Otlp` sends records to an
//! OpenTelemetry collector.

mod closure;
mod combinators;
mod file;
mod memory;
mod non_blocking;
#[cfg(feature = "otlp")]
pub mod otlp;
mod record_writer;
#[cfg(feature = "syslog")]
mod syslog;
#[cfg(feature = "tracing")]
mod tracing;
mod worker;

#[cfg(feature = "tracing")]
pub use self::tracing::TracingSink;
pub use closure::{from_fn, FnSink};
pub use combinators::{filter, Filter, MapLevel, Sample, SinkExt, Tee};
pub use file::{RotatingFile, RotatingFileBuilder, Signal};
pub use memory::{MemorySink, RecordSnapshot};
pub use non_blocking::{NonBlocking, NonBlockingBuilder, Overflow, WriterGuard};
#[cfg(feature = "otlp")]
pub use otlp::{Otlp, OtlpBuilder, OtlpError, OtlpGuard};
#[cfg(feature = "syslog")]
pub use syslog::{Facility, Protocol, Syslog, SyslogBuilder};

use std::borrow::Cow;
use std::sync::Arc;

use crate::Record;

/// A destination for records.
///
/// Object safe, so `RequestLog` keeps an `Arc<dyn Sink>`. `emit` runs on the request
/// path: do no blocking I/O in it (wrap a writer in [`NonBlocking`] instead).
///
/// # Example
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use reqlog::{sink::Sink, Record};
///
/// /// Counts 5xx responses.
/// #[derive(Default)]
/// struct ServerErrors(AtomicU64);
///
/// impl Sink for ServerErrors {
///     fn emit(&self, record: &Record) {
///         if record.status().is_some_and(|s| s >= 500) {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let sink = ServerErrors::default();
/// sink.emit(&Record::event("reqlog.start"));
/// assert_eq!(sink.0.load(Ordering::Relaxed), 0);
/// ```
pub trait Sink: Send + Sync + 'static {
    /// Writes (or queues) one record. Must not block on I/O.
    fn emit(&self, record: &Record);

    /// Writes (or queues) one record the caller gives up: the sink may take its
    /// contents and leave an empty record in their place. Must not block on I/O.
    ///
    /// `RequestLog` calls this one. The default calls [`Sink::emit`]; [`NonBlocking`]
    /// overrides it to hand the record itself to its worker thread, which formats it
    /// there, so the request's thread does not. After the call the record's fields are
    /// unspecified: the caller only reuses its storage.
    ///
    /// # Example
    /// ```
    /// use reqlog::{sink::{MemorySink, Sink}, Record};
    ///
    /// let sink = MemorySink::new();
    /// let mut record = Record::event("reqlog.start").with("service.name", "courses");
    /// sink.emit_owned(&mut record);
    /// assert_eq!(sink.records().len(), 1);
    /// ```
    fn emit_owned(&self, record: &mut Record) {
        self.emit(record)
    }

    /// A short description for the start-up record (`"stdout json non-blocking"`).
    fn describe(&self) -> Cow<'static, str> {
        Cow::Borrowed("custom")
    }
}

impl<S: Sink + ?Sized> Sink for Arc<S> {
    fn emit(&self, record: &Record) {
        (**self).emit(record)
    }
    fn emit_owned(&self, record: &mut Record) {
        (**self).emit_owned(record)
    }
    fn describe(&self) -> Cow<'static, str> {
        (**self).describe()
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn emit(&self, record: &Record) {
        (**self).emit(record)
    }
    fn emit_owned(&self, record: &mut Record) {
        (**self).emit_owned(record)
    }
    fn describe(&self) -> Cow<'static, str> {
        (**self).describe()
    }
}

/// JSON lines on standard output, written by a background thread.
///
/// Keep the guard alive until the end of `main`: dropping it flushes every queued line.
///
/// # Example
/// ```no_run
/// let (sink, _guard) = reqlog::sink::stdout();
/// let layer = reqlog::RequestLog::new().sink(sink);
/// ```
pub fn stdout() -> (NonBlocking, WriterGuard) {
    NonBlocking::builder()
        .name("stdout")
        .finish(std::io::stdout())
}

/// JSON lines to any writer (a file, a socket…), written by a background thread.
///
/// # Example
/// ```no_run
/// let file = std::fs::File::create("access.log").unwrap();
/// let (sink, _guard) = reqlog::sink::writer(file);
/// let layer = reqlog::RequestLog::new().sink(sink);
/// ```
pub fn writer<W: std::io::Write + Send + 'static>(writer: W) -> (NonBlocking, WriterGuard) {
    NonBlocking::builder().finish(writer)
}

/// The executable's file name as it was started (`argv[0]`), else the file name of
/// the running executable: the default application name of the syslog and OTLP sinks.
#[cfg(any(feature = "syslog", feature = "otlp"))]
pub(crate) fn program_name() -> Option<String> {
    let from = |path: std::path::PathBuf| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
    };
    std::env::args_os()
        .next()
        .and_then(|arg| from(std::path::PathBuf::from(arg)))
        .or_else(|| std::env::current_exe().ok().and_then(from))
}
