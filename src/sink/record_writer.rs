//! The writer thread of [`NonBlocking`](super::NonBlocking): records in, lines out.
//!
//! A request's thread does not format its line. It hands the finished record itself
//! to the queue ([`Records::hand_over`]): under the queue's lock, one `swap` of the
//! record with a spare one the worker emptied earlier, so the request keeps storage
//! that has room (its text arena goes back to the thread's pool) and nothing is
//! allocated or copied byte by byte. A record only lent (`Sink::emit(&Record)`: a
//! `Tee`'s first branch, a sink called directly) is copied into a spare record
//! instead, reusing its room.
//!
//! The worker takes every queued record at once (a pointer swap), formats them in a
//! row into its batch (the format's code and tables stay hot), writes the batch with
//! one `write_all`, empties the records and gives them back as spares under the lock
//! it takes anyway to finish the round. So that requests find spares even when a burst
//! outgrows the records handed back, the worker keeps at least [`MIN_SPARE`] spare
//! records, and as many as the largest round it has seen (up to [`MAX_SPARE`]),
//! allocating the missing ones on its own thread; a producer that leaves only
//! [`LOW_SPARE`] wakes it (a system call, once per crossing, only in a burst). A producer that still finds none
//! (a burst larger than any before, within one tick) formats its line itself, as
//! before issue #19, into the queue's line buffer, in order: it never allocates a
//! record on the request's path. Everything a line depends on — the timestamp,
//! the duration, the level — is in the record when it is handed over, so the bytes are
//! those the request's thread would have written. A format that panics costs its
//! record, counted as dropped; the worker goes on.

use std::borrow::Cow;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::worker::{
    drop_report, ErrorReports, Payload, Queue, ERROR_REPORT_INTERVAL, KEEP_BATCH, PREALLOCATE,
};
use crate::format::Format;
use crate::Record;

/// Spare records the worker keeps for producers at least (fewer if the line limit is lower).
const MIN_SPARE: usize = 256;
/// A producer that leaves this many spare records wakes the worker to replenish them.
const LOW_SPARE: usize = MIN_SPARE / 4;
/// Spare records kept for producers at most; more are freed.
const MAX_SPARE: usize = 4096;
/// Queued records are counted as their text plus this much for their fixed fields, for
/// the byte limit.
pub(super) const RECORD_OVERHEAD: usize = 256;

/// One queued line: a record for the worker to format, or a line a producer formatted
/// itself (it found no spare record), in [`Records::lines`] up to `end`.
#[derive(Debug)]
enum Entry {
    Record(Box<Record>),
    Line { end: usize },
}

/// The records queued for the worker, and spare ones for producers to swap in.
#[derive(Debug, Default)]
pub(super) struct Records {
    queued: Vec<Entry>,
    /// Lines formatted by producers that found no spare record, in queue order.
    lines: Vec<u8>,
    /// Boxed: popping, pushing and handing a record on moves a pointer, not 600 bytes.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Record>>,
    bytes: usize,
}

impl Payload for Records {
    fn with_room(max_lines: usize, max_bytes: usize) -> Self {
        Records {
            queued: Vec::with_capacity(max_lines.min(4096)),
            lines: Vec::with_capacity(max_bytes.min(64 << 10)),
            spare: Vec::new(),
            bytes: 0,
        }
    }
    fn bytes(&self) -> usize {
        self.bytes
    }
    fn running_low(&self) -> bool {
        // Once per crossing: the producer that took the spare leaving exactly this many.
        self.spare.len() == LOW_SPARE && matches!(self.queued.last(), Some(Entry::Record(_)))
    }
    fn take_into(&mut self, batch: &mut Self) {
        std::mem::swap(&mut self.queued, &mut batch.queued);
        std::mem::swap(&mut self.lines, &mut batch.lines);
        batch.bytes = std::mem::take(&mut self.bytes);
    }
}

impl Records {
    /// What a record counts against the byte limit.
    pub(super) fn cost(record: &Record) -> usize {
        record.text.len() + RECORD_OVERHEAD
    }

    /// Queues `record`'s contents, leaving a spare record's (empty) in its place.
    /// Returns `false`, queuing nothing, when there is no spare record.
    pub(super) fn hand_over(&mut self, record: &mut Record) -> bool {
        let Some(mut slot) = self.spare.pop() else {
            return false;
        };
        std::mem::swap(&mut *slot, record);
        self.bytes += Records::cost(&slot);
        self.queued.push(Entry::Record(slot));
        true
    }

    /// Queues a copy of `record`, made in a spare record's storage. Returns `false`,
    /// queuing nothing, when there is no spare record.
    pub(super) fn copy(&mut self, record: &Record) -> bool {
        let Some(mut slot) = self.spare.pop() else {
            return false;
        };
        slot.copy_from(record);
        self.bytes += Records::cost(&slot);
        self.queued.push(Entry::Record(slot));
        true
    }

    /// Queues a line the producer formatted.
    pub(super) fn line(&mut self, line: &[u8]) -> bool {
        self.lines.extend_from_slice(line);
        self.bytes += line.len();
        self.queued.push(Entry::Line {
            end: self.lines.len(),
        });
        true
    }
}

/// The writer loop of a `NonBlocking` sink and its state; runs on its own thread.
pub(super) struct RecordWriter<W> {
    queue: Arc<Queue<Records>>,
    format: Arc<dyn Format>,
    name: Cow<'static, str>,
    writer: W,
    /// Records taken from the queue, formatted, then emptied and given back.
    records: Records,
    /// Emptied records for the queue's spares.
    #[allow(clippy::vec_box)]
    emptied: Vec<Box<Record>>,
    batch: Vec<u8>,
    error_reports: ErrorReports,
    unreported_drops: u64,
    /// The most records one round took, to size the spares.
    largest_round: usize,
}

impl<W: Write + Send + 'static> RecordWriter<W> {
    pub(super) fn new(
        queue: Arc<Queue<Records>>,
        format: Arc<dyn Format>,
        name: Cow<'static, str>,
        writer: W,
    ) -> RecordWriter<W> {
        // The same room as the queue's own: the two are swapped every round, so a
        // producer never grows the one it finds.
        let records = queue.with_room();
        RecordWriter {
            queue,
            format,
            name,
            writer,
            records,
            emptied: Vec::new(),
            batch: Vec::with_capacity(PREALLOCATE),
            error_reports: ErrorReports::default(),
            unreported_drops: 0,
            largest_round: 0,
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
        self.top_up_spares();
        let fresh = &mut self.emptied;
        self.queue.with_payload(|queue| queue.spare.append(fresh));
        loop {
            let round = self.queue.take(&mut self.records);
            self.largest_round = self.largest_round.max(self.records.queued.len());
            self.unreported_drops += round.dropped;
            let lines = self.format_records();
            self.write_batch(lines);
            // The writer has caught up with what was queued when lines were dropped:
            // say how many, in the log itself.
            if self.unreported_drops > 0 {
                self.write_drop_report();
            }
            let _ = self.writer.flush();
            // Spares are topped up before the round ends, so a flush that returns
            // leaves them there.
            self.top_up_spares();
            let emptied = &mut self.emptied;
            let done = self.queue.finish_round_with(&round, |queue| {
                let room = MAX_SPARE.saturating_sub(queue.spare.len());
                queue.spare.extend(emptied.drain(..).take(room));
            });
            emptied.clear();
            if done {
                // Free the spares here, not on the thread that drops the last sink.
                let spares = self
                    .queue
                    .with_payload(|queue| std::mem::take(&mut queue.spare));
                drop(spares);
                return;
            }
        }
    }

    /// Allocates, on this thread, the spare records the queue will miss once the
    /// emptied ones are back, and adds them to those.
    fn top_up_spares(&mut self) {
        let have = self.queue.with_payload(|queue| queue.spare.len()) + self.emptied.len();
        let want = self
            .largest_round
            .clamp(MIN_SPARE, MAX_SPARE)
            .min(self.queue.max_lines());
        if have >= want {
            return;
        }
        let fresh = &mut self.emptied;
        fresh.extend((have..want).map(|_| Box::new(Record::spare())));
    }

    /// Formats the records taken into the batch, in order with the lines producers
    /// formatted, and empties them for reuse. Returns the number of lines (a format
    /// may have no line for a record).
    fn format_records(&mut self) -> usize {
        let mut lines = 0;
        let mut from = 0;
        for entry in self.records.queued.drain(..) {
            let mut record = match entry {
                Entry::Line { end } => {
                    let line = self.records.lines.get(from..end).unwrap_or_default();
                    self.batch.extend_from_slice(line);
                    from = end;
                    lines += 1;
                    continue;
                }
                Entry::Record(record) => record,
            };
            let start = self.batch.len();
            let format = &*self.format;
            let batch = &mut self.batch;
            let formatted =
                std::panic::catch_unwind(AssertUnwindSafe(|| format.format(&record, batch)));
            match formatted {
                Ok(()) => lines += usize::from(self.batch.len() > start),
                Err(_) => {
                    self.batch.truncate(start);
                    self.queue.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    self.unreported_drops += 1;
                    eprintln!("reqlog: the format panicked on a record; it is dropped and counted");
                }
            }
            record.reset();
            self.emptied.push(record);
        }
        self.records.lines.clear();
        self.records.bytes = 0;
        lines
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
        self.unreported_drops = 0;
        let format = &*self.format;
        let batch = &mut self.batch;
        let start = batch.len();
        if std::panic::catch_unwind(AssertUnwindSafe(|| format.format(&record, batch))).is_err() {
            self.batch.truncate(start);
            return;
        }
        self.write_batch(1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::format::{Combined, JsonLines, Logfmt, Schema};
    use crate::sink::{NonBlocking, Sink};

    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn check(format: impl Format + Clone) {
        let mut record = Record::blank("http.request", crate::record::Arena::default());
        record.fill_every_field();
        let record = record.with("app.note", "a \"b\"\n").with("app.n", 7u64);
        let mut here = Vec::new();
        format.format(&record, &mut here);
        format.format(&record, &mut here);
        let out = Out::default();
        let (sink, _guard) = NonBlocking::builder()
            .format(format.clone())
            .finish(out.clone());
        let mut owned = record.clone();
        sink.emit_owned(&mut owned);
        sink.emit(&record);
        assert!(sink.flush());
        let written = std::mem::take(&mut *out.0.lock().unwrap());
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&here)
        );
        assert!(!here.is_empty());
    }

    #[test]
    fn every_field_is_written_by_the_worker_as_by_the_caller() {
        check(JsonLines::new());
        check(JsonLines::new().schema(Schema::Ecs));
        check(JsonLines::new().schema(Schema::GoogleCloud));
        check(Logfmt);
        check(Combined);
    }

    #[test]
    fn without_a_spare_record_nothing_is_queued() {
        let mut records = Records::default();
        let mut record = Record::event("e").with("app.x", "y");
        assert!(!records.hand_over(&mut record));
        assert!(!records.copy(&record));
        assert_eq!(record.extra_fields().len(), 1);
        records.spare.push(Box::new(Record::spare()));
        assert!(records.hand_over(&mut record));
        assert!(record.extra_fields().is_empty());
        assert_eq!(records.queued.len(), 1);
    }

    #[test]
    fn a_handed_over_record_leaves_an_empty_one() {
        let (sink, _guard) = NonBlocking::builder().finish(std::io::sink());
        // One round done: the worker has made its spare records.
        assert!(sink.flush());
        let mut record = Record::event("e").with("app.x", "y");
        sink.emit_owned(&mut record);
        assert!(record.extra_fields().is_empty());
        assert_eq!(record.text.len(), 0);
    }
}
