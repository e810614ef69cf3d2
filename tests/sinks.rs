//! The non-blocking writer: no line lost on shutdown, drops counted and reported,
//! write errors counted, never a blocked request.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use reqlog::sink::{self, MemorySink, NonBlocking, Overflow, Sink};
use reqlog::Record;

#[path = "support/shared.rs"]
mod shared;
use shared::Shared;

/// A writer that blocks until the gate opens, then appends to a shared buffer.
#[derive(Clone, Default)]
struct Gated {
    open: Arc<(Mutex<bool>, Condvar)>,
    out: Shared,
}

impl Gated {
    fn open(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (lock, cv) = &*self.open;
        let mut open = lock.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer whose reader has gone away.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn record(i: u64) -> Record {
    Record::event("test").with("n", i)
}

#[test]
fn dropping_the_guard_flushes_every_line() {
    let out = Shared::default();
    let (sink, guard) = sink::writer(out.clone());
    for i in 0..5_000 {
        sink.emit(&record(i));
    }
    drop(guard);
    let lines = out.lines();
    assert_eq!(lines.len(), 5_000);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["n"], i as u64, "in order, none lost or doubled");
    }
    assert_eq!(sink.written_lines(), 5_000);
}

#[test]
fn dropping_the_last_sink_flushes_too() {
    let out = Shared::default();
    let (sink, guard) = sink::writer(out.clone());
    drop(guard);
    let clone = sink.clone();
    for i in 0..100 {
        clone.emit(&record(i));
    }
    drop(clone);
    drop(sink);
    assert_eq!(out.lines().len(), 100);
}

#[test]
fn a_full_queue_drops_counts_and_reports_once_the_writer_resumes() {
    let writer = Gated::default();
    let (sink, guard) = NonBlocking::builder()
        .buffered_lines_limit(10)
        .finish(writer.clone());
    // The writer is stalled: emitting must not block, extra lines are dropped.
    for i in 0..100 {
        sink.emit(&record(i));
    }
    let dropped = sink.dropped_lines();
    assert!(dropped >= 80, "dropped {dropped}");
    writer.open();
    drop(guard);
    let lines = writer.out.lines();
    let reports: Vec<_> = lines
        .iter()
        .filter(|l| l["otel.event.name"] == "reqlog.dropped")
        .collect();
    let kept = lines
        .iter()
        .filter(|l| l["otel.event.name"] == "test")
        .count() as u64;
    assert_eq!(kept + dropped, 100, "every line written or counted");
    let reported: u64 = reports
        .iter()
        .map(|r| r["reqlog.dropped.count"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, dropped);
    assert_eq!(reports[0]["level"], "WARN");
}

#[test]
fn block_policy_waits_instead_of_dropping() {
    let writer = Gated::default();
    let (sink, guard) = NonBlocking::builder()
        .buffered_lines_limit(4)
        .overflow(Overflow::Block)
        .finish(writer.clone());
    let producer = {
        let sink = sink.clone();
        std::thread::spawn(move || {
            for i in 0..50 {
                sink.emit(&record(i));
            }
        })
    };
    writer.open();
    producer.join().unwrap();
    drop(guard);
    assert_eq!(sink.dropped_lines(), 0);
    assert_eq!(writer.out.lines().len(), 50);
}

#[test]
fn write_errors_are_counted_not_fatal() {
    let (sink, guard) = NonBlocking::builder()
        .name("closed-pipe")
        .finish(ClosedPipe);
    for i in 0..10 {
        sink.emit(&record(i));
    }
    drop(guard);
    assert!(sink.write_errors() >= 1);
    assert_eq!(sink.lost_lines(), 10);
    assert_eq!(sink.written_lines(), 0);
}

#[test]
fn dev_full_is_counted_not_fatal() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        assert!(
            std::env::var("CI").is_err(),
            "/dev/full is missing under CI"
        );
        eprintln!("SKIPPED: /dev/full is not available on this system");
        return;
    };
    let (sink, guard) = NonBlocking::builder().name("/dev/full").finish(full);
    for i in 0..10 {
        sink.emit(&record(i));
    }
    drop(guard);
    assert!(sink.write_errors() >= 1);
    assert_eq!(sink.lost_lines(), 10);
}

#[test]
fn a_stalled_writer_never_hangs_shutdown() {
    let writer = Gated::default();
    let (sink, guard) = NonBlocking::builder()
        .flush_timeout(Duration::from_millis(50))
        .finish(writer.clone());
    sink.emit(&record(1));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(guard);
        drop(sink);
        let _ = done_tx.send(());
    });
    assert!(
        done_rx.recv_timeout(Duration::from_secs(10)).is_ok(),
        "shutdown waited for a stalled writer"
    );
    writer.open();
}

#[test]
fn memory_and_closure_sinks() {
    let memory = MemorySink::new();
    memory.emit(&record(7));
    assert_eq!(memory.records()[0].u64("n"), Some(7));
    assert_eq!(memory.len(), 1);
    memory.clear();
    assert!(memory.is_empty());

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let f = sink::from_fn(move |r: &Record| s.lock().unwrap().push(r.event_name()));
    f.emit(&record(1));
    assert_eq!(*seen.lock().unwrap(), vec!["test"]);
}
