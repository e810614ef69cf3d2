//! [`NonBlocking`]: format and write on a worker thread.
//!
//! The request thread hands its finished record over ([`Sink::emit_owned`]): it takes
//! the queue lock just long enough to swap the record with a spare one, and returns.
//! The worker takes every queued record under the lock (a pointer swap), formats them
//! in a row and writes the lines with one `write_all` — many lines per system call —
//! without holding the lock while it formats or writes (`record_writer.rs`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::record_writer::{RecordWriter, Records};
use super::worker::{Queue, DEFAULT_TICK};
use super::Sink;
use crate::format::{Format, JsonLines};
use crate::Record;

/// What to do with a line when the queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Drop the line and count it (the default). The count is written as a
    /// `reqlog.dropped` record once the writer catches up. A request never waits.
    #[default]
    Drop,
    /// Wait for room. No line is lost, but a stalled writer stalls requests.
    Block,
}

/// A sink that formats records and writes them on a background thread.
///
/// Clones share the same queue and worker. When the last clone and the
/// [`WriterGuard`] are dropped, the worker writes what is queued and stops.
///
/// # Example
/// ```
/// use reqlog::sink::{NonBlocking, Overflow};
///
/// let (sink, guard) = NonBlocking::builder()
///     .buffered_lines_limit(10_000)
///     .overflow(Overflow::Drop)
///     .finish(std::io::sink());
/// let layer = reqlog::RequestLog::new().sink(sink.clone());
/// drop(guard); // flushes every queued line
/// assert_eq!(sink.dropped_lines(), 0);
/// ```
#[derive(Clone)]
pub struct NonBlocking {
    shared: Arc<Shared>,
}

/// Flushes every queued line when dropped. Keep it alive in `main`.
#[must_use = "dropping the guard at once flushes and gives no protection at exit"]
pub struct WriterGuard {
    shared: Arc<Shared>,
}

/// Builds a [`NonBlocking`] sink.
pub struct NonBlockingBuilder {
    format: Arc<dyn Format>,
    lines: usize,
    bytes: usize,
    overflow: Overflow,
    name: Cow<'static, str>,
    flush_timeout: Duration,
    tick: Duration,
}

pub(super) struct Shared {
    queue: Arc<Queue<Records>>,
    format: Arc<dyn Format>,
    overflow: Overflow,
    name: Cow<'static, str>,
    flush_timeout: Duration,
    worker: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl NonBlocking {
    /// A builder with the defaults: JSON lines, 65,536 lines or 32 MiB queued at most,
    /// [`Overflow::Drop`].
    pub fn builder() -> NonBlockingBuilder {
        NonBlockingBuilder {
            format: Arc::new(JsonLines::new()),
            lines: 65_536,
            bytes: 32 << 20,
            overflow: Overflow::Drop,
            name: Cow::Borrowed("writer"),
            flush_timeout: Duration::from_secs(5),
            tick: DEFAULT_TICK,
        }
    }

    /// Lines dropped because the queue was full, since the start.
    pub fn dropped_lines(&self) -> u64 {
        self.shared.queue.stats.dropped.load(Ordering::Relaxed)
    }

    /// Write errors the worker met (each may have cost a batch of lines).
    pub fn write_errors(&self) -> u64 {
        self.shared.queue.stats.write_errors.load(Ordering::Relaxed)
    }

    /// Lines lost to write errors.
    pub fn lost_lines(&self) -> u64 {
        self.shared.queue.stats.lost.load(Ordering::Relaxed)
    }

    /// Lines written so far.
    pub fn written_lines(&self) -> u64 {
        self.shared.queue.stats.written.load(Ordering::Relaxed)
    }

    /// Waits until every line queued before this call is written and flushed, or the
    /// flush timeout passes. Returns whether everything was flushed. Blocks: call it at
    /// shutdown, not on the request path.
    pub fn flush(&self) -> bool {
        self.shared.queue.flush(self.shared.flush_timeout)
    }
}

impl fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("name", &self.shared.name)
            .field("format", &self.shared.format.name())
            .field("overflow", &self.shared.overflow)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WriterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterGuard").finish_non_exhaustive()
    }
}

impl fmt::Debug for NonBlockingBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlockingBuilder")
            .field("format", &self.format.name())
            .field("lines", &self.lines)
            .field("bytes", &self.bytes)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Where a producer that found no spare record formats its line.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

impl NonBlocking {
    /// Formats `record` on this thread and queues the line: the way when the queue has
    /// no spare record to take the record in (a burst larger than the worker expected).
    fn push_formatted(&self, record: &Record) {
        let shared = &*self.shared;
        let push = |line: &[u8]| {
            // A format may have no form for a record (combined writes only requests).
            if !line.is_empty() {
                shared
                    .queue
                    .push_with(line.len(), shared.overflow, |q| q.line(line));
            }
        };
        // Reuse this thread's buffer; fall back to a fresh one while the thread is
        // being torn down (thread-locals gone) or if the format re-entered us.
        let pushed = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                shared.format.format(record, &mut buf);
                push(&buf);
                if buf.capacity() > 64 * 1024 {
                    *buf = Vec::with_capacity(1024);
                }
                true
            }
            Err(_) => false,
        });
        if pushed != Ok(true) {
            let mut buf = Vec::with_capacity(512);
            shared.format.format(record, &mut buf);
            push(&buf);
        }
    }
}

impl Sink for NonBlocking {
    /// Queues a copy of the record (made in a spare record's storage); the worker
    /// formats it.
    fn emit(&self, record: &Record) {
        let queue = &self.shared.queue;
        if !queue.push_with(Records::cost(record), self.shared.overflow, |q| {
            q.copy(record)
        }) {
            self.push_formatted(record);
        }
    }

    /// Queues the record itself, leaving an empty one in its place; the worker formats
    /// it.
    fn emit_owned(&self, record: &mut Record) {
        let queue = &self.shared.queue;
        let cost = Records::cost(record);
        if !queue.push_with(cost, self.shared.overflow, |q| q.hand_over(record)) {
            self.push_formatted(record);
        }
    }

    fn describe(&self) -> Cow<'static, str> {
        format!(
            "{} {} non-blocking",
            self.shared.name,
            self.shared.format.name()
        )
        .into()
    }
}

impl NonBlockingBuilder {
    /// The line format (default [`JsonLines`]).
    pub fn format(mut self, format: impl Format) -> Self {
        self.format = Arc::new(format);
        self
    }

    /// Most lines queued before the overflow policy applies (default 65,536).
    pub fn buffered_lines_limit(mut self, lines: usize) -> Self {
        self.lines = lines.max(1);
        self
    }

    /// Most bytes queued before the overflow policy applies (default 32 MiB). A queued
    /// record counts as its text plus 256 bytes for its other fields.
    pub fn buffered_bytes_limit(mut self, bytes: usize) -> Self {
        self.bytes = bytes.max(1);
        self
    }

    /// What to do when the queue is full (default [`Overflow::Drop`]).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// How long dropping the guard (or the last sink) waits for the writer, at most
    /// (default 5 s). A writer stalled longer is abandoned, so shutdown never hangs.
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// How long a line may wait in the queue before the worker writes it (default
    /// 50 ms). Requests never wake the worker for a single line — that would put a
    /// system call on the request path — so this is the latency of a quiet log.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.tick = interval.max(Duration::from_millis(1));
        self
    }

    /// A name for messages and the start-up record (`"stdout"`, `"access.log"`).
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Starts the worker thread writing to `writer`.
    ///
    /// If the thread cannot be started, a message says so on stderr and lines are
    /// dropped and counted; requests are never held up.
    pub fn finish<W: Write + Send + 'static>(self, writer: W) -> (NonBlocking, WriterGuard) {
        let queue = Arc::new(Queue::new(self.lines, self.bytes, self.tick));
        let worker = RecordWriter::new(
            queue.clone(),
            self.format.clone(),
            self.name.clone(),
            writer,
        );
        let handle = worker.spawn();
        let shared = Arc::new(Shared {
            queue,
            format: self.format,
            overflow: self.overflow,
            name: self.name,
            flush_timeout: self.flush_timeout,
            worker: std::sync::Mutex::new(handle),
        });
        (
            NonBlocking {
                shared: shared.clone(),
            },
            WriterGuard { shared },
        )
    }
}

impl WriterGuard {
    /// Waits until every line queued before this call is written and flushed, or the
    /// flush timeout passes; returns whether everything was flushed. Blocks.
    pub fn flush(&self) -> bool {
        self.shared.queue.flush(self.shared.flush_timeout)
    }

    /// Lines dropped because the queue was full, since the start.
    pub fn dropped_lines(&self) -> u64 {
        self.shared.queue.stats.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.queue.flush(self.shared.flush_timeout);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Last user gone: write what is queued, stop the worker, wait (bounded).
        if self.queue.shutdown(self.flush_timeout) {
            let handle = self.worker.get_mut().ok().and_then(|h| h.take());
            if let Some(h) = handle {
                let _ = h.join();
            }
        }
    }
}
