//! The request's side of debug events (feature `debug-events`): the span opened around
//! each request, and the events put on its record at the end. Without the feature, a
//! span that is never anything and an end that does nothing.

use super::layer::Config;
use crate::record::handle::RecordCell;
use crate::{Record, RecordHandle};

#[cfg(feature = "debug-events")]
pub(crate) use crate::debug_events::RequestSpan;

/// The span of a request: nothing without the `debug-events` feature. (A field, not a
/// unit struct, so that code written for both builds reads the same under clippy.)
#[cfg(not(feature = "debug-events"))]
#[derive(Debug, Default)]
pub(crate) struct RequestSpan(());

/// What entering [`RequestSpan`] gives without the feature: nothing to leave.
#[cfg(not(feature = "debug-events"))]
pub(crate) struct Entered;

#[cfg(not(feature = "debug-events"))]
impl RequestSpan {
    #[inline(always)]
    pub(crate) fn enter(&self) -> Entered {
        Entered
    }
}

/// The request's span, when debug events are on.
#[inline]
pub(crate) fn start(config: &Config, handle: &RecordHandle) -> RequestSpan {
    #[cfg(feature = "debug-events")]
    if let Some(settings) = &config.debug_events {
        return RequestSpan::start(handle, settings.limits());
    }
    let _ = (config, handle);
    RequestSpan::default()
}

/// Puts the request's events on its complete record, if it keeps them.
#[inline]
pub(crate) fn finish(config: &Config, cell: &RecordCell, record: &mut Record) {
    #[cfg(feature = "debug-events")]
    if let Some(settings) = &config.debug_events {
        let policy_slow = config.keep.as_ref().and_then(|k| k.slow_threshold());
        crate::debug_events::attach(settings, policy_slow, cell, record);
    }
    let _ = (config, cell, record);
}
