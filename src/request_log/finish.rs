//! [`Finisher`]: completes the record exactly once, however the request ends.
//!
//! It travels from the response future into the response body. Whichever sees the end
//! first — the end of the body, an error, the service failing, a drop (client gone) or a
//! panic (seen while unwinding) — writes the record; the others find it done.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::grpc::{self, Ending};
use super::service::Runtime;
use crate::{Level, Outcome, Record, RecordHandle};

pub(crate) struct Finisher {
    /// Taken when the finisher is dropped, to hand the cell back to the pool.
    handle: Option<RecordHandle>,
    runtime: Arc<Runtime>,
    start: Instant,
    ttfb_us: Option<u64>,
    status: Option<u16>,
    body_bytes: u64,
    /// The body may legitimately be dropped unread (HEAD, 204, 304): that is not an abort.
    unread_body_is_ok: bool,
    /// For a gRPC call, its status once the head or the trailers gave it.
    grpc: Option<grpc::Call>,
    /// The record was begun without a route: one reported later (a `RouteHook`) is
    /// settled before the record is judged.
    late_route: bool,
    done: bool,
}

impl Finisher {
    pub(crate) fn new(
        handle: RecordHandle,
        runtime: Arc<Runtime>,
        start: Instant,
        is_head: bool,
        is_grpc: bool,
        late_route: bool,
    ) -> Finisher {
        Finisher {
            handle: Some(handle),
            runtime,
            start,
            ttfb_us: None,
            status: None,
            body_bytes: 0,
            unread_body_is_ok: is_head,
            grpc: is_grpc.then(grpc::Call::default),
            late_route,
            done: false,
        }
    }

    /// The response head is ready.
    pub(crate) fn head(&mut self, status: http::StatusCode, headers: &http::HeaderMap) {
        self.ttfb_us = Some(micros(self.start));
        self.status = Some(status.as_u16());
        if matches!(status.as_u16(), 204 | 304) || status.is_informational() {
            self.unread_body_is_ok = true;
        }
        if let Some(call) = &mut self.grpc {
            // A trailers-only response: the status is in the head.
            call.read(headers);
        }
    }

    /// The response body's trailers passed.
    pub(crate) fn trailers(&mut self, trailers: &http::HeaderMap) {
        if let Some(call) = &mut self.grpc {
            call.read(trailers);
        }
    }

    pub(crate) fn add_body_bytes(&mut self, n: usize) {
        self.body_bytes += n as u64;
    }

    /// Writes the record (once).
    pub(crate) fn finish(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let Some(handle) = &self.handle else {
            return;
        };
        let cell = &handle.cell;
        if cell.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut record = handle.lock();
        if self.late_route {
            super::capture::settle_route(&mut record, &self.runtime.config);
        }
        if let Some(status) = self.status {
            record.set_status(status);
            record.set_response_body_size(self.body_bytes);
        }
        record.set_request_body_size(cell.request_body_bytes.load(Ordering::Relaxed));
        record.set_duration_micros(micros(self.start));
        if let Some(us) = self.ttfb_us {
            record.set_ttfb_micros(us);
        }
        let mut outcome = outcome;
        let mut error = error_type(self.status, outcome);
        if let Some(call) = &self.grpc {
            if let Some(name) = call.status() {
                record.set_rpc_status(name);
            }
            // An HTTP exchange that went to its end can still be a failed call: the
            // status says so (a `200` with `NOT_FOUND` is not a success).
            if outcome == Outcome::Ok {
                if let Ending::Failed(e) = call.ending(error) {
                    outcome = Outcome::Error;
                    error = e;
                }
            }
        }
        record.set_outcome(outcome);
        if let Some(e) = error {
            record.set_error_type(e);
        }
        let level = match &self.runtime.config.level_for {
            Some(f) => f(&record),
            None => default_level(&record),
        };
        record.set_level(level);
        if let Some(policy) = &self.runtime.config.keep {
            let decision = policy.decide(&record);
            if !decision.keeps() {
                return;
            }
            if let Some(rate) = decision.rate() {
                record.set_sample_rate(rate);
            }
        }
        // Only now, on a kept record: a dropped one needs no events, and a kept one
        // gets them when it failed or was slow (`debug_events::attach`).
        super::debug::finish(&self.runtime.config, cell, &mut record);
        // The sink may take the record (a `NonBlocking` formats it on its worker) and
        // leave an empty one; either stays in the cell, whose text room serves the
        // cell's next request ([`RecordHandle::begin`]).
        let sink = &self.runtime.sink;
        let record = &mut *record;
        if std::thread::panicking() {
            // A second panic here would abort the process; built-in sinks do not panic.
            sink.emit_owned(record);
        } else if std::panic::catch_unwind(AssertUnwindSafe(|| sink.emit_owned(record))).is_err() {
            eprintln!("reqlog: the sink panicked while writing a record; the request goes on");
        }
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        if !self.done {
            let outcome = if std::thread::panicking() {
                Outcome::Panic
            } else if self.unread_body_is_ok && self.status.is_some() {
                Outcome::Ok
            } else {
                Outcome::Aborted
            };
            self.finish(outcome);
        }
        // Usually the last holder: the request and its body are gone by now.
        if let Some(handle) = self.handle.take() {
            handle.recycle();
        }
    }
}

/// Finishes with [`Outcome::Panic`] if dropped while unwinding; disarmed otherwise.
///
/// Lives on the stack around a call into the inner service, because a task's future
/// is dropped only after the runtime caught the panic, when `panicking()` is false.
pub(crate) struct PanicSentry<'a>(pub(crate) &'a mut Option<Finisher>);

impl Drop for PanicSentry<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(f) = self.0.as_mut() {
                f.finish(Outcome::Panic);
            }
        }
    }
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The default level of a request record: `INFO` below 400, `WARN` for 4xx and
/// probes, `ERROR` for 5xx, errors and panics (never below a level a layer asked for).
/// A failed gRPC call is `ERROR` when its status is the server's failure (`UNKNOWN`,
/// `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE`, `DATA_LOSS`) and
/// `WARN` when it is the caller's (`NOT_FOUND`, `INVALID_ARGUMENT`…).
///
/// Use it inside [`RequestLog::level_for`](crate::RequestLog::level_for) to change one case and keep the rest.
pub fn default_level(record: &Record) -> Level {
    let by_status = match (record.outcome(), record.status(), grpc::level(record)) {
        (Some(Outcome::Panic), _, _) => Level::Error,
        (_, Some(s), _) if s >= 500 => Level::Error,
        (_, _, Some(by_grpc_status)) => by_grpc_status,
        (Some(Outcome::Error), _, _) => Level::Error,
        (_, Some(s), _) if s >= 400 => Level::Warn,
        _ if record.probe_category().is_some() => Level::Warn,
        _ => Level::Info,
    };
    by_status.max(record.min_level)
}

/// `error.type` as OpenTelemetry's HTTP server conventions put it: the status code for a
/// 5xx answer, else a fixed name for a request that failed without one; none for a
/// success, a 4xx (the client's error) or a client that went away. A gRPC call's status
/// may change it ([`grpc::Call::ending`]).
fn error_type(status: Option<u16>, outcome: Outcome) -> Option<&'static str> {
    match (outcome, status) {
        (Outcome::Panic, _) => Some("panic"),
        (_, Some(s @ 500..=599)) => Some(status_text(s)),
        (Outcome::Error, None) => Some("service_error"),
        (Outcome::Error, Some(_)) => Some("body_error"),
        _ => None,
    }
}

/// The decimal text of a 5xx status code, without allocating.
fn status_text(s: u16) -> &'static str {
    const CODES: [&str; 12] = [
        "500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "510", "511",
    ];
    CODES.get(usize::from(s - 500)).copied().unwrap_or("5xx")
}
