//! [`DebugEventsLayer`], the `tracing-subscriber` layer that captures events into the
//! buffer of the request they run in, and [`RequestSpan`], the span that marks a request.

use std::cell::Cell;

use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::buffer::{Captured, Limits};
use crate::RecordHandle;

/// The target and name of the span `RequestLog` opens around each request.
pub(crate) const SPAN_TARGET: &str = "reqlog";
pub(crate) const SPAN_NAME: &str = "reqlog.request";

/// The `tracing-subscriber` layer that keeps each request's events in its buffer.
///
/// Made by [`DebugEvents::layer`](super::DebugEvents::layer); add it to a subscriber
/// built on `tracing_subscriber`'s registry, and turn the buffering on with
/// [`RequestLog::debug_events`](crate::RequestLog::debug_events). It captures events of
/// every level up to [`max_level`](Self::max_level) (default `TRACE`) and tells the
/// subscriber so (its level hint), so that events a console layer filters out still
/// reach it: give the console layer a filter of its own
/// (`fmt::layer().with_filter(LevelFilter::INFO)`), not a global one.
///
/// # Example
/// ```
/// use reqlog::debug_events::DebugEvents;
/// use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt, Layer};
///
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer().with_filter(LevelFilter::INFO))
///     .with(DebugEvents::layer().max_level(tracing::Level::DEBUG));
/// # let _ = subscriber;
/// ```
#[derive(Clone, Debug)]
pub struct DebugEventsLayer {
    max_level: LevelFilter,
}

impl DebugEventsLayer {
    pub(crate) fn new() -> DebugEventsLayer {
        DebugEventsLayer {
            max_level: LevelFilter::TRACE,
        }
    }

    /// The most verbose level captured (default `TRACE`: every event). With
    /// `Level::DEBUG`, `trace!` events stay out of the buffers and are not enabled on
    /// this layer's account. (The layer still enables `DEBUG` for the request spans,
    /// which are `DEBUG`; with `Level::INFO`, `debug!` events are turned away by
    /// their level before any other work.)
    ///
    /// # Example
    /// ```
    /// use reqlog::debug_events::DebugEvents;
    ///
    /// let layer = DebugEvents::layer().max_level(tracing::Level::DEBUG);
    /// ```
    pub fn max_level(mut self, level: tracing::Level) -> Self {
        self.max_level = LevelFilter::from_level(level);
        self
    }
}

impl<S> Layer<S> for DebugEventsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() != SPAN_NAME || meta.target() != SPAN_TARGET {
            return;
        }
        // The request's span: `RequestSpan::start` left its target on this thread
        // just before creating it.
        let Some(target) = PENDING.try_with(Cell::take).ok().flatten() else {
            return;
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(target);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if self.max_level < *event.metadata().level() {
            return;
        }
        // The nearest request span around the event: its own, or one of its parents
        // (a handler's spans, a spawned task's `.in_current_span()`).
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        for span in scope {
            let target = span.extensions().get::<Target>().cloned();
            if let Some(target) = target {
                target.capture(event);
                return;
            }
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // The request spans are DEBUG: they must stay enabled whatever `max_level` is.
        Some(self.max_level.max(LevelFilter::DEBUG))
    }
}

/// What a request span carries: the request's record (whose cell holds the buffer)
/// and the bounds of its buffer.
#[derive(Clone)]
pub(crate) struct Target {
    handle: RecordHandle,
    limits: Limits,
}

impl Target {
    fn capture(&self, event: &Event<'_>) {
        let buffer = &self.handle.cell.debug;
        if buffer.refuses(self.limits) {
            return;
        }
        // Formatted outside the buffer's lock.
        buffer.push(Captured::new(event), self.limits);
    }
}

thread_local! {
    /// The target of the request span being created on this thread, from
    /// [`RequestSpan::start`] to the layer's `on_new_span`, which runs in between.
    static PENDING: Cell<Option<Target>> = const { Cell::new(None) };
}

/// The span of one request, entered while the inner service is called and polled and
/// while the response body is polled; none when debug events are off or no
/// [`DebugEventsLayer`] is installed.
#[derive(Debug, Default)]
pub(crate) struct RequestSpan(Option<tracing::Span>);

impl RequestSpan {
    /// Opens the request's span and ties it to `handle`'s buffer.
    pub(crate) fn start(handle: &RecordHandle, limits: Limits) -> RequestSpan {
        let target = Target {
            handle: handle.clone(),
            limits,
        };
        if PENDING.try_with(|p| p.set(Some(target))).is_err() {
            return RequestSpan(None);
        }
        let span = tracing::debug_span!(target: "reqlog", "reqlog.request");
        // Still there: no layer took it (none installed, or the span is disabled), and
        // a span nobody buffers for is not worth entering.
        let unclaimed = PENDING.try_with(Cell::take).ok().flatten().is_some();
        RequestSpan((!unclaimed).then_some(span))
    }

    /// Enters the span (when there is one) until the guard is dropped.
    #[inline]
    pub(crate) fn enter(&self) -> Option<tracing::span::Entered<'_>> {
        self.0.as_ref().map(tracing::Span::enter)
    }
}
