//! The end of a request: whether its events go on the line, and putting them there.

use std::time::Duration;

use super::DebugEvents;
use crate::record::handle::RecordCell;
use crate::{Level, Outcome, Record};

/// Whether a completed record keeps its debug events: it failed (an error, an abort or
/// a panic, a status of 500 or more, or the level `ERROR`), or it took longer than
/// `slower_than`.
///
/// One function, so that a sampling policy that keeps records for a reason (failed,
/// slow…) can take its place.
pub(crate) fn keep(record: &Record, slower_than: Option<Duration>) -> bool {
    let failed = matches!(
        record.outcome(),
        Some(Outcome::Error | Outcome::Aborted | Outcome::Panic)
    ) || record.status().is_some_and(|s| s >= 500)
        || record.level() >= Level::Error;
    let slow = match (slower_than, record.duration_micros()) {
        (Some(limit), Some(us)) => u128::from(us) > limit.as_micros(),
        _ => false,
    };
    failed || slow
}

/// Closes the request's buffer and, when [`keep`] says so, puts its events on the
/// record (`debug.events`, and `debug.dropped` when some did not fit). Called once,
/// with the record complete (status, duration, outcome, level) and kept by the
/// sampling policy, if any, before the sink. A request counts as slow past
/// [`DebugEvents::slower_than`], or else past the policy's
/// [`Keep::slower_than`](crate::Keep::slower_than) (`policy_slow`): a line kept because
/// it was slow carries what made it slow.
pub(crate) fn attach(
    config: &DebugEvents,
    policy_slow: Option<Duration>,
    cell: &RecordCell,
    record: &mut Record,
) {
    let (events, dropped) = cell.debug.take();
    let slower_than = config.slower_than.or(policy_slow);
    if (events.is_empty() && dropped == 0) || !keep(record, slower_than) {
        return;
    }
    record.set_debug_events(events.into_iter().map(|e| e.into_value()).collect());
    if dropped > 0 {
        record.set_debug_dropped(dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, outcome: Outcome, micros: u64) -> Record {
        let mut r = Record::event("http.request");
        r.set_status(status);
        r.set_outcome(outcome);
        r.set_duration_micros(micros);
        r.set_level(crate::default_level(&r));
        r
    }

    #[test]
    fn failed_requests_keep_their_events() {
        assert!(keep(&record(502, Outcome::Ok, 10), None));
        assert!(keep(&record(200, Outcome::Error, 10), None));
        assert!(keep(&record(200, Outcome::Aborted, 10), None));
        assert!(keep(&record(200, Outcome::Panic, 10), None));
        let mut error = record(200, Outcome::Ok, 10);
        error.set_level(Level::Error);
        assert!(keep(&error, None));
    }

    #[test]
    fn successes_and_client_errors_do_not() {
        assert!(!keep(&record(200, Outcome::Ok, 10), None));
        assert!(!keep(&record(404, Outcome::Ok, 10), None));
        assert!(!keep(&record(101, Outcome::Upgraded, 10), None));
    }

    #[test]
    fn slow_requests_keep_them_past_the_threshold_only() {
        let limit = Some(Duration::from_millis(500));
        assert!(keep(&record(200, Outcome::Ok, 500_001), limit));
        assert!(!keep(&record(200, Outcome::Ok, 500_000), limit));
        assert!(!keep(&record(200, Outcome::Ok, 500_001), None));
    }
}
