//! The exporter's thread: takes what the request threads queued, cuts it into batches,
//! POSTs each batch with bounded retries, and counts what is exported and what is lost.

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::client::Client;
use super::encode::{self, RequestFrame};
use crate::sink::worker::{
    drop_report, ErrorReports, Queue, ERROR_REPORT_INTERVAL, KEEP_BATCH, PREALLOCATE,
};

/// First wait before a retry; it doubles each time, up to [`MAX_BACKOFF`], and a random
/// half of it is taken off so that many instances do not retry in step.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A collector's `Retry-After` is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// A batch stops growing at this many bytes of records (collectors refuse requests over
/// a limit, 20 MiB by default for the OpenTelemetry Collector).
const MAX_REQUEST_BYTES: usize = 4 << 20;

/// A shutdown deadline shared by the guard and the exporter: once set, no request,
/// retry or wait of the exporter lasts past it, and what is not exported by then is
/// counted as lost.
#[derive(Debug, Default)]
pub(super) struct Control {
    deadline: Mutex<Option<Instant>>,
    changed: Condvar,
}

impl Control {
    pub(super) fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
        self.changed.notify_all();
    }

    fn passed(&self) -> bool {
        self.deadline().is_some_and(|d| d <= Instant::now())
    }

    /// Waits until `until`; `false` if the shutdown deadline came first.
    fn wait_until(&self, until: Instant) -> bool {
        let mut deadline = self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| d <= now) {
                return false;
            }
            if now >= until {
                return true;
            }
            let end = deadline.map_or(until, |d| d.min(until));
            deadline = self
                .changed
                .wait_timeout(deadline, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The exporter's settings.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) batch_size: usize,
    pub(super) max_retries: u32,
    pub(super) gzip: bool,
}

/// The export loop and its state; runs on its own thread.
pub(super) struct Exporter {
    queue: Arc<Queue>,
    control: Arc<Control>,
    client: Client,
    frame: RequestFrame,
    settings: Settings,
    batch: Vec<u8>,
    body: Vec<u8>,
    gzipped: Vec<u8>,
    errors: ErrorReports,
    rng: u64,
}

impl Exporter {
    pub(super) fn new(
        queue: Arc<Queue>,
        control: Arc<Control>,
        client: Client,
        frame: RequestFrame,
        settings: Settings,
    ) -> Exporter {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64)
            ^ u64::from(std::process::id()) << 32;
        Exporter {
            queue,
            control,
            client,
            frame,
            settings,
            // Swapped with the queue's buffer each round, so producers find room.
            batch: Vec::with_capacity(PREALLOCATE),
            body: Vec::new(),
            gzipped: Vec::new(),
            errors: ErrorReports::default(),
            rng: seed | 1,
        }
    }

    pub(super) fn run(mut self) {
        loop {
            let round = self.queue.take(&mut self.batch);
            // Caught up after drops: say how many, in the log itself.
            if round.dropped > 0 {
                let total = self.queue.stats.dropped.load(Ordering::Relaxed);
                let report = drop_report(round.dropped, total, Cow::Borrowed("otlp"));
                let start = self.batch.len();
                let item = encode::log_record(&report, &mut self.batch);
                self.batch.drain(start..item);
            }
            self.export_all();
            self.batch.clear();
            if self.batch.capacity() > KEEP_BATCH {
                self.batch = Vec::with_capacity(PREALLOCATE);
            }
            for buf in [&mut self.body, &mut self.gzipped] {
                if buf.capacity() > KEEP_BATCH {
                    *buf = Vec::new();
                }
            }
            self.client.trim(KEEP_BATCH);
            if self.queue.finish_round(&round) {
                return;
            }
        }
    }

    /// Sends the taken records in batches of at most `batch_size` records and
    /// [`MAX_REQUEST_BYTES`] bytes.
    fn export_all(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        let mut rest = &batch[..];
        while !rest.is_empty() {
            let (mut records, mut len) = (0, 0);
            while records < self.settings.batch_size {
                match encode::item_len(&rest[len..]) {
                    Some(n) if len == 0 || len + n <= MAX_REQUEST_BYTES => {
                        len += n;
                        records += 1;
                    }
                    _ => break,
                }
            }
            if records == 0 {
                // Only the encoder writes the queue, so this cannot happen; stop rather
                // than loop.
                debug_assert!(false, "unreadable bytes in the OTLP queue");
                break;
            }
            self.export(&rest[..len], records as u64);
            rest = &rest[len..];
        }
        self.batch = batch;
    }

    /// One batch: POST it, retrying what OTLP says may be retried, with a backoff,
    /// `max_retries` times at most and never past the shutdown deadline.
    fn export(&mut self, items: &[u8], records: u64) {
        self.body.clear();
        self.frame.request(items, &mut self.body);
        let gzip = self.settings.gzip;
        if gzip {
            self.gzipped.clear();
            let mut encoder = flate2::write::GzEncoder::new(
                std::mem::take(&mut self.gzipped),
                flate2::Compression::fast(),
            );
            // Compressing into a Vec cannot fail.
            let _ = encoder.write_all(&self.body);
            self.gzipped = encoder.finish().unwrap_or_default();
        }
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            if self.control.passed() {
                // Shutting down and out of time: no attempt.
                self.queue.stats.lost.fetch_add(records, Ordering::Relaxed);
                let action = format!("gave up on {records} records");
                self.report("shutting down: out of time", &action);
                return;
            }
            let body = if gzip { &self.gzipped } else { &self.body };
            let (error, retryable, retry_after) = match self.client.post(body, gzip) {
                Ok(reply) if reply.success() => {
                    let rejected = if reply.protobuf {
                        encode::rejected(reply.body)
                    } else {
                        None
                    };
                    let stats = &self.queue.stats;
                    match rejected {
                        Some((count, message)) => {
                            let count = count.min(records);
                            stats.written.fetch_add(records - count, Ordering::Relaxed);
                            stats.lost.fetch_add(count, Ordering::Relaxed);
                            let message = format!(
                                "the collector rejected {count} of {records} records: {message}"
                            );
                            self.report(&message, "not retried");
                        }
                        None => {
                            stats.written.fetch_add(records, Ordering::Relaxed);
                        }
                    }
                    return;
                }
                Ok(reply) => (reply.to_string(), reply.retryable(), reply.retry_after),
                Err(failure) => (failure.message, failure.retryable, None),
            };
            self.queue
                .stats
                .write_errors
                .fetch_add(1, Ordering::Relaxed);
            if !retryable || attempt >= self.settings.max_retries || self.control.passed() {
                self.queue.stats.lost.fetch_add(records, Ordering::Relaxed);
                let action = if self.control.passed() {
                    format!("gave up on {records} records: shutting down")
                } else if retryable {
                    format!(
                        "gave up on {records} records after {} attempts",
                        attempt + 1
                    )
                } else {
                    format!("dropped {records} records: retrying would not help")
                };
                self.report(&error, &action);
                return;
            }
            let wait = retry_after
                .map(|d| d.min(MAX_RETRY_AFTER))
                .unwrap_or_else(|| self.jitter(backoff));
            self.report(&error, &format!("retrying in {} ms", wait.as_millis()));
            if !self.control.wait_until(Instant::now() + wait) {
                self.queue.stats.lost.fetch_add(records, Ordering::Relaxed);
                self.report(
                    &error,
                    &format!("gave up on {records} records: shutting down"),
                );
                return;
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }

    /// Between half of `backoff` and all of it.
    fn jitter(&mut self, backoff: Duration) -> Duration {
        // xorshift64: enough to spread retries, no need for a cryptographic source.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let half = backoff / 2;
        half + half.mul_f64((self.rng >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// One line on stderr, at most one per [`ERROR_REPORT_INTERVAL`].
    fn report(&mut self, error: &str, action: &str) {
        if self.errors.due() {
            let stats = &self.queue.stats;
            eprintln!(
                "reqlog: OTLP export to {} failed: {error}; {action} ({} export errors, {} records lost so far; next report in {}s at the earliest)",
                self.client.url(),
                stats.write_errors.load(Ordering::Relaxed),
                stats.lost.load(Ordering::Relaxed),
                ERROR_REPORT_INTERVAL.as_secs(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_end_at_the_shutdown_deadline() {
        let control = Arc::new(Control::default());
        let start = Instant::now();
        assert!(control.wait_until(start + Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        let c = control.clone();
        let setter = std::thread::spawn(move || c.set_deadline(Some(Instant::now())));
        let start = Instant::now();
        assert!(!control.wait_until(start + Duration::from_secs(60)));
        assert!(start.elapsed() < Duration::from_secs(30));
        setter.join().unwrap();
        assert!(control.passed());
    }
}
