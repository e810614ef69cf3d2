//! A sink that calls a closure.

use std::fmt;

use super::Sink;
use crate::Record;

/// A sink that calls a closure for every record. Made by [`from_fn`].
#[derive(Clone)]
pub struct FnSink<F> {
    f: F,
}

impl<F> fmt::Debug for FnSink<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnSink").finish_non_exhaustive()
    }
}

/// A sink from a closure. The closure runs on the request path: keep it quick.
///
/// # Example
/// ```
/// use reqlog::{sink::{from_fn, Sink}, Record};
///
/// let sink = from_fn(|record: &Record| {
///     if record.status() == Some(500) {
///         eprintln!("server error on {:?}", record.path());
///     }
/// });
/// sink.emit(&Record::event("reqlog.start"));
/// ```
pub fn from_fn<F>(f: F) -> FnSink<F>
where
    F: Fn(&Record) + Send + Sync + 'static,
{
    FnSink { f }
}

impl<F> Sink for FnSink<F>
where
    F: Fn(&Record) + Send + Sync + 'static,
{
    fn emit(&self, record: &Record) {
        (self.f)(record)
    }
    fn describe(&self) -> std::borrow::Cow<'static, str> {
        "closure".into()
    }
}
