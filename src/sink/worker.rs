//! The queue between request threads and the writer thread, and the writer loop.

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::non_blocking::Overflow;
use crate::format::Format;
use crate::{Level, Record};

/// Shortest gap between two write-error messages on stderr.
pub(super) const ERROR_REPORT_INTERVAL: Duration = Duration::from_secs(10);
/// Queue and batch buffers start with this much room (or the byte limit, if smaller),
/// so producers do not grow the queue on the request path under normal load. Pages
/// are only touched when used.
pub(super) const PREALLOCATE: usize = 1 << 20;
/// A batch buffer that grew past this is given back after use.
pub(super) const KEEP_BATCH: usize = 4 << 20;
/// How often an idle worker looks for lines. Producers do not wake it per line (a
/// wake-up is a system call on the request path); they wake it only when the queue is
/// half full, so a line waits at most this long before it is written.
pub(super) const DEFAULT_TICK: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
pub(super) struct Stats {
    pub(super) dropped: AtomicU64,
    pub(super) write_errors: AtomicU64,
    pub(super) lost: AtomicU64,
    pub(super) written: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    buf: Vec<u8>,
    lines: usize,
    /// Drops not yet reported in a `reqlog.dropped` record.
    dropped_unreported: u64,
    shutdown: bool,
    worker_done: bool,
    flush_requested: u64,
    flush_done: u64,
}

/// What a worker took from the queue in one round ([`Queue::take`]).
#[derive(Debug)]
pub(super) struct Round {
    /// Lines moved into the worker's batch.
    pub(super) lines: usize,
    /// Lines dropped because the queue was full, not yet reported.
    pub(super) dropped: u64,
    flush_epoch: u64,
    shutdown: bool,
}

/// Lets through at most one error message per [`ERROR_REPORT_INTERVAL`], so a writer
/// that fails on every batch does not flood stderr.
#[derive(Debug, Default)]
pub(super) struct ErrorReports {
    last: Option<Instant>,
}

impl ErrorReports {
    /// Whether a message may be written now; if so, the next one waits an interval.
    pub(super) fn due(&mut self) -> bool {
        let due = self
            .last
            .is_none_or(|t| t.elapsed() >= ERROR_REPORT_INTERVAL);
        if due {
            self.last = Some(Instant::now());
        }
        due
    }
}

/// The `reqlog.dropped` record a worker writes once it has caught up after drops.
pub(super) fn drop_report(count: u64, total: u64, sink: Cow<'static, str>) -> Record {
    let mut record = Record::event("reqlog.dropped")
        .with("reqlog.dropped.count", count)
        .with("reqlog.dropped.total", total)
        .with("reqlog.sink", sink);
    record.set_level(Level::Warn);
    record
}

#[derive(Debug)]
pub(super) struct Queue {
    state: Mutex<State>,
    /// Signalled when there is work for the worker.
    work: Condvar,
    /// Signalled when the worker took a batch (room for blocked producers) or finished
    /// a flush or stopped.
    progress: Condvar,
    max_lines: usize,
    max_bytes: usize,
    tick: Duration,
    pub(super) stats: Stats,
}

impl Queue {
    pub(super) fn new(max_lines: usize, max_bytes: usize, tick: Duration) -> Queue {
        Queue {
            state: Mutex::new(State {
                buf: Vec::with_capacity(max_bytes.min(PREALLOCATE)),
                ..State::default()
            }),
            work: Condvar::new(),
            progress: Condvar::new(),
            max_lines,
            max_bytes,
            tick,
            stats: Stats::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_full(&self, st: &State, len: usize) -> bool {
        st.lines >= self.max_lines || (st.lines > 0 && st.buf.len() + len > self.max_bytes)
    }

    /// Queues one or more whole lines, applying the overflow policy.
    pub(super) fn push(&self, line: &[u8], overflow: Overflow) {
        let mut st = self.lock();
        while self.is_full(&st, line.len()) {
            if overflow == Overflow::Drop || st.worker_done {
                st.dropped_unreported += 1;
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            st = self.progress.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.buf.extend_from_slice(line);
        st.lines += 1;
        // Wake the worker once, when the queue crosses half of a limit; otherwise its
        // tick picks the lines up.
        let urgent = st.lines == self.max_lines.div_ceil(2)
            || (st.buf.len() >= self.max_bytes / 2
                && st.buf.len() - line.len() < self.max_bytes / 2);
        drop(st);
        if urgent {
            self.work.notify_one();
        }
    }

    /// Asks the worker to write everything queued so far and waits (bounded).
    pub(super) fn flush(&self, timeout: Duration) -> bool {
        let mut st = self.lock();
        if st.worker_done {
            return st.lines == 0;
        }
        st.flush_requested += 1;
        let want = st.flush_requested;
        self.work.notify_one();
        let deadline = Instant::now() + timeout;
        while st.flush_done < want && !st.worker_done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .progress
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Tells the worker to write what is left and stop; waits (bounded). Returns whether
    /// the worker stopped in time (so it can be joined without hanging).
    pub(super) fn shutdown(&self, timeout: Duration) -> bool {
        let mut st = self.lock();
        st.shutdown = true;
        self.work.notify_one();
        self.progress.notify_all();
        let deadline = Instant::now() + timeout;
        while !st.worker_done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self
                .progress
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Worker side: waits (a tick at a time) until there are lines, a flush, a
    /// shutdown or drops to report, then swaps every queued line into `batch` (empty
    /// on entry) — a pointer swap under the lock, no copy.
    pub(super) fn take(&self, batch: &mut Vec<u8>) -> Round {
        let mut st = self.lock();
        while st.lines == 0
            && !st.shutdown
            && st.flush_done == st.flush_requested
            && st.dropped_unreported == 0
        {
            st = self
                .work
                .wait_timeout(st, self.tick)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        std::mem::swap(&mut st.buf, batch);
        let round = Round {
            lines: std::mem::take(&mut st.lines),
            dropped: std::mem::take(&mut st.dropped_unreported),
            flush_epoch: st.flush_requested,
            shutdown: st.shutdown,
        };
        self.progress.notify_all();
        round
    }

    /// Worker side: everything taken in `round` is written (or given up on). Completes
    /// the flushes it covered; returns whether the worker must stop now.
    pub(super) fn finish_round(&self, round: &Round) -> bool {
        let mut st = self.lock();
        st.flush_done = st.flush_done.max(round.flush_epoch);
        let stop = round.shutdown && st.lines == 0;
        if stop {
            st.worker_done = true;
        }
        self.progress.notify_all();
        stop
    }

    /// There is no worker (its thread could not start): producers drop and count,
    /// flushes and shutdowns return at once.
    pub(super) fn no_worker(&self) {
        self.lock().worker_done = true;
        self.progress.notify_all();
    }
}

/// The writer loop and its state; runs on its own thread.
pub(super) struct Worker<W> {
    queue: Arc<Queue>,
    format: Arc<dyn Format>,
    name: Cow<'static, str>,
    writer: W,
    batch: Vec<u8>,
    error_reports: ErrorReports,
    unreported_drops: u64,
}

impl<W: Write + Send + 'static> Worker<W> {
    pub(super) fn new(
        queue: Arc<Queue>,
        format: Arc<dyn Format>,
        name: Cow<'static, str>,
        writer: W,
    ) -> Worker<W> {
        Worker {
            queue,
            format,
            name,
            writer,
            batch: Vec::with_capacity(PREALLOCATE),
            error_reports: ErrorReports::default(),
            unreported_drops: 0,
        }
    }

    pub(super) fn spawn(self) -> Option<std::thread::JoinHandle<()>> {
        let queue = self.queue.clone();
        let name = format!("reqlog-{}", self.name);
        match std::thread::Builder::new()
            .name(name)
            .spawn(move || self.run())
        {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("reqlog: cannot start the log writer thread ({e}); lines will be dropped and counted");
                queue.no_worker();
                None
            }
        }
    }

    fn run(mut self) {
        loop {
            let round = self.queue.take(&mut self.batch);
            self.unreported_drops += round.dropped;
            self.write_batch(round.lines);
            // The writer has caught up with what was queued when lines were dropped:
            // say how many, in the log itself.
            if self.unreported_drops > 0 {
                self.write_drop_report();
            }
            let _ = self.writer.flush();
            if self.queue.finish_round(&round) {
                return;
            }
        }
    }

    fn write_batch(&mut self, lines: usize) {
        if self.batch.is_empty() {
            return;
        }
        match self.writer.write_all(&self.batch) {
            Ok(()) => {
                self.queue
                    .stats
                    .written
                    .fetch_add(lines as u64, Ordering::Relaxed);
            }
            Err(e) => self.write_failed(&e, lines),
        }
        self.batch.clear();
        if self.batch.capacity() > KEEP_BATCH {
            self.batch = Vec::with_capacity(PREALLOCATE);
        }
    }

    fn write_failed(&mut self, error: &std::io::Error, lines: usize) {
        let stats = &self.queue.stats;
        stats.write_errors.fetch_add(1, Ordering::Relaxed);
        stats.lost.fetch_add(lines as u64, Ordering::Relaxed);
        if self.error_reports.due() {
            eprintln!(
                "reqlog: cannot write log lines to {}: {error} ({} write errors, {} lines lost so far; next report in {}s at the earliest)",
                self.name,
                stats.write_errors.load(Ordering::Relaxed),
                stats.lost.load(Ordering::Relaxed),
                ERROR_REPORT_INTERVAL.as_secs(),
            );
        }
    }

    fn write_drop_report(&mut self) {
        let record = drop_report(
            self.unreported_drops,
            self.queue.stats.dropped.load(Ordering::Relaxed),
            self.name.clone(),
        );
        self.format.format(&record, &mut self.batch);
        self.unreported_drops = 0;
        self.write_batch(1);
    }
}
