//! The queue between request threads and a writer thread, shared by
//! [`NonBlocking`](super::NonBlocking) (which queues records, `record_writer.rs`) and
//! the OTLP sink (which queues encoded bytes): the bounds, the overflow policy, the
//! drop count, flushes and shutdown are the same whatever is queued ([`Payload`]).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::non_blocking::Overflow;
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

/// What a queue holds: lines of bytes (`Vec<u8>`), or records.
pub(super) trait Payload: Default + Send {
    /// An empty payload with room for the first lines, so that producers do not grow
    /// it on the request path under normal load.
    fn with_room(max_lines: usize, max_bytes: usize) -> Self;
    /// Bytes held, for the byte limit.
    fn bytes(&self) -> usize;
    /// Moves everything queued into `batch` (empty on entry); what is not queued data
    /// (spare storage) stays.
    fn take_into(&mut self, batch: &mut Self);
    /// Whether the line just queued used up storage the worker should replenish now
    /// (wakes it, like a half-full queue).
    fn running_low(&self) -> bool {
        false
    }
}

impl Payload for Vec<u8> {
    fn with_room(_: usize, max_bytes: usize) -> Self {
        Vec::with_capacity(max_bytes.min(PREALLOCATE))
    }
    fn bytes(&self) -> usize {
        self.len()
    }
    fn take_into(&mut self, batch: &mut Self) {
        // A pointer swap under the lock, no copy.
        std::mem::swap(self, batch);
    }
}

#[derive(Debug, Default)]
struct State<P> {
    buf: P,
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
pub(super) struct Queue<P = Vec<u8>> {
    state: Mutex<State<P>>,
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

impl Queue<Vec<u8>> {
    /// Queues one or more whole lines, applying the overflow policy.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub(super) fn push(&self, line: &[u8], overflow: Overflow) {
        self.push_with(line.len(), overflow, |buf| {
            buf.extend_from_slice(line);
            true
        });
    }
}

impl<P: Payload> Queue<P> {
    pub(super) fn new(max_lines: usize, max_bytes: usize, tick: Duration) -> Queue<P> {
        Queue {
            state: Mutex::new(State {
                buf: P::with_room(max_lines, max_bytes),
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

    fn lock(&self) -> MutexGuard<'_, State<P>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_full(&self, st: &State<P>, len: usize) -> bool {
        st.lines >= self.max_lines || (st.lines > 0 && st.buf.bytes() + len > self.max_bytes)
    }

    /// Queues one line (or record) of about `len` bytes, applying the overflow policy:
    /// `fill` adds it, under the queue's lock, or declines (returns `false`: nothing
    /// queued, nothing counted). Returns whether the line was dealt with: queued, or
    /// dropped and counted.
    pub(super) fn push_with(
        &self,
        len: usize,
        overflow: Overflow,
        fill: impl FnOnce(&mut P) -> bool,
    ) -> bool {
        let mut st = self.lock();
        while self.is_full(&st, len) {
            if overflow == Overflow::Drop || st.worker_done {
                st.dropped_unreported += 1;
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            st = self.progress.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        let before = st.buf.bytes();
        if !fill(&mut st.buf) {
            return false;
        }
        st.lines += 1;
        // Wake the worker once, when the queue crosses half of a limit; otherwise its
        // tick picks the lines up.
        let after = st.buf.bytes();
        let urgent = st.lines == self.max_lines.div_ceil(2)
            || (after >= self.max_bytes / 2 && before < self.max_bytes / 2)
            || st.buf.running_low();
        drop(st);
        if urgent {
            self.work.notify_one();
        }
        true
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
    /// shutdown or drops to report, then moves every queued line into `batch` (empty
    /// on entry) — a pointer swap under the lock, no copy.
    pub(super) fn take(&self, batch: &mut P) -> Round {
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
        st.buf.take_into(batch);
        st.lines = 0;
        let round = Round {
            dropped: std::mem::take(&mut st.dropped_unreported),
            flush_epoch: st.flush_requested,
            shutdown: st.shutdown,
        };
        self.progress.notify_all();
        round
    }

    /// Worker side: everything taken in `round` is written (or given up on). Completes
    /// the flushes it covered; returns whether the worker must stop now.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub(super) fn finish_round(&self, round: &Round) -> bool {
        self.finish_round_with(round, |_| {})
    }

    /// An empty payload with the room this queue's starts with.
    pub(super) fn with_room(&self) -> P {
        P::with_room(self.max_lines, self.max_bytes)
    }

    /// Most lines (records) queued at once.
    pub(super) fn max_lines(&self) -> usize {
        self.max_lines
    }

    /// Runs `f` on the queued payload under the lock (to give spare storage back).
    pub(super) fn with_payload<T>(&self, f: impl FnOnce(&mut P) -> T) -> T {
        f(&mut self.lock().buf)
    }

    /// [`Queue::finish_round`], giving storage back to the queue (`give_back`, under
    /// the lock) in the same critical section.
    pub(super) fn finish_round_with(&self, round: &Round, give_back: impl FnOnce(&mut P)) -> bool {
        let mut st = self.lock();
        give_back(&mut st.buf);
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
