//! The rotating file sink: every line exactly once, whole and in order across size and
//! daily rotations, `keep`, gzip without leftovers, reopening after logrotate moved the
//! file, errors that name the path, and a failed rotation that loses nothing.
//!
//! Each test works in a directory of its own under the system's temp dir. No test
//! sleeps: `NonBlocking::flush` returns once every queued line is written.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqlog::format::{Format, JsonLines};
use reqlog::sink::{NonBlocking, Overflow, RotatingFile, Signal, Sink};
use reqlog::Record;

/// A fresh directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "reqlog-file-sink-{test}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The file names in the directory, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A record whose line length varies with `i` (about 90 to 390 bytes).
fn record(i: u64) -> Record {
    let pad = "x".repeat((i * 7919 % 301) as usize);
    Record::event("test.line").with("n", i).with("pad", pad)
}

/// The numbers `n` of the rotated files of `base` (`access.log.n`, `.n.gz`), sorted.
fn rotated_numbers(dir: &TempDir, base: &str) -> Vec<usize> {
    let prefix = format!("{base}.");
    let mut numbers: Vec<usize> = dir
        .names()
        .iter()
        .filter_map(|name| name.strip_prefix(&prefix))
        .filter_map(|rest| rest.strip_suffix(".gz").unwrap_or(rest).parse().ok())
        .collect();
    numbers.sort();
    numbers
}

/// The text of a file, decompressed if it ends in `.gz`.
fn read_text(path: &Path) -> String {
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = fs::read_to_string(path).unwrap();
    }
    text
}

/// The rotated files oldest first, then the live file: paths that exist.
fn files_oldest_first(dir: &TempDir, base: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for n in rotated_numbers(dir, base).into_iter().rev() {
        let plain = dir.join(&format!("{base}.{n}"));
        let gz = dir.join(&format!("{base}.{n}.gz"));
        assert!(
            !(plain.exists() && gz.exists()),
            "both {base}.{n} and its .gz"
        );
        files.push(if gz.exists() { gz } else { plain });
    }
    files.push(dir.join(base));
    files
}

/// The `n` of every line of `text`, checking each line is complete, valid JSON.
fn numbers_in(text: &str) -> Vec<u64> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a file ends with a partial line"
    );
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a whole JSON line ({e}): {line:.80}"));
            value["n"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn every_line_once_whole_and_in_order_across_size_rotations() {
    const LINES: u64 = 20_000;
    const CHUNK: u64 = 100;
    const MAX: u64 = 64 * 1024;
    let dir = TempDir::new("size");
    let path = dir.join("access.log");
    let file = RotatingFile::builder(&path)
        .max_size(MAX)
        .keep(100_000)
        .open()
        .unwrap();
    let (sink, guard) = NonBlocking::builder()
        .overflow(Overflow::Block)
        .flush_timeout(Duration::from_secs(60))
        .finish(file);
    // Batches of at most CHUNK lines: flush waits until they are written.
    let mut longest_chunk = 0;
    for start in (0..LINES).step_by(CHUNK as usize) {
        let mut chunk = Vec::new();
        for i in start..start + CHUNK {
            let r = record(i);
            JsonLines::new().format(&r, &mut chunk);
            sink.emit(&r);
        }
        longest_chunk = longest_chunk.max(chunk.len() as u64);
        assert!(sink.flush());
    }
    assert_eq!(sink.written_lines(), LINES);
    assert_eq!(sink.write_errors(), 0);
    drop(guard);
    drop(sink);

    // Rotated files are numbered 1..=k without a gap.
    let numbers = rotated_numbers(&dir, "access.log");
    assert!(numbers.len() > 1, "no rotation happened");
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>());
    let files = files_oldest_first(&dir, "access.log");
    let mut all = Vec::new();
    let mut total = 0;
    for (i, file) in files.iter().enumerate() {
        let size = fs::metadata(file).unwrap().len();
        total += size;
        // Every batch was smaller than the limit, so no file passes it…
        assert!(size <= MAX, "{} has {size} bytes", file.display());
        // …and a rotated file was only given up when the next batch did not fit.
        if i + 1 < files.len() {
            assert!(
                size + longest_chunk > MAX,
                "{} rotated early at {size} bytes",
                file.display()
            );
        }
        all.extend(numbers_in(&read_text(file)));
    }
    assert_eq!(all, (0..LINES).collect::<Vec<_>>());
    assert!(files.len() as u64 >= total.div_ceil(MAX));
}

#[test]
fn files_hold_as_many_whole_writes_as_fit_and_an_oversized_one_alone() {
    let dir = TempDir::new("direct");
    let path = dir.join("app.log");
    let mut file = RotatingFile::builder(&path)
        .max_size(100)
        .keep(50)
        .open()
        .unwrap();
    let line = |i: usize| format!("{i:039}\n"); // 40 bytes
    for i in 0..5 {
        file.write_all(line(i).as_bytes()).unwrap();
    }
    // 2 + 2 + 1 lines: two rotations so far.
    assert_eq!(rotated_numbers(&dir, "app.log"), [1, 2]);
    // A write that does not fit goes to a fresh file, whole, even past the limit.
    let big = "b".repeat(249) + "\n";
    file.write_all(big.as_bytes()).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), big);
    // A line written in two pieces stays in one file, though the second piece does
    // not fit.
    let second = format!("second half {}\n", "y".repeat(100));
    file.write_all(b"first half, ").unwrap();
    file.write_all(second.as_bytes()).unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("app.log.1")).unwrap(),
        big,
        "the oversized write is alone in its file"
    );
    let split_line = format!("first half, {second}");
    assert_eq!(fs::read_to_string(&path).unwrap(), split_line);
    file.flush().unwrap();
    let texts: Vec<String> = files_oldest_first(&dir, "app.log")
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    let expected = [
        line(0) + &line(1),
        line(2) + &line(3),
        line(4),
        big,
        split_line,
    ];
    assert_eq!(texts, expected);
    assert_eq!(file.path(), path);
    let debug = format!("{file:?}");
    assert!(debug.contains("app.log") && debug.contains("max_size: Some(100)"));
}

#[test]
fn keep_leaves_only_the_newest_rotated_files() {
    let dir = TempDir::new("keep");
    let path = dir.join("access.log");
    let mut file = RotatingFile::builder(&path)
        .max_size(10)
        .keep(3)
        .open()
        .unwrap();
    for i in 0..20 {
        file.write_all(format!("line {i:02}\n").as_bytes()).unwrap(); // 8 bytes: one per file
    }
    assert_eq!(
        dir.names(),
        ["access.log", "access.log.1", "access.log.2", "access.log.3"]
    );
    let text: String = files_oldest_first(&dir, "access.log")
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(text, "line 16\nline 17\nline 18\nline 19\n");
}

#[test]
fn gzip_compresses_rotated_files_to_whole_lines_and_leaves_no_tmp() {
    const LINES: u64 = 3_000;
    let dir = TempDir::new("gzip");
    let path = dir.join("access.log");
    let (sink, guard) = RotatingFile::builder(&path)
        .max_size(16 * 1024)
        .keep(1_000)
        .gzip(true)
        .finish()
        .unwrap();
    assert_eq!(
        sink.describe(),
        format!("{} json non-blocking", path.display())
    );
    for start in (0..LINES).step_by(50) {
        for i in start..start + 50 {
            sink.emit(&record(i));
        }
        assert!(sink.flush());
    }
    // The last clone and the guard gone, the file is dropped: it waits for the gzip.
    drop(sink);
    drop(guard);

    let names = dir.names();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let numbers = rotated_numbers(&dir, "access.log");
    assert!(numbers.len() > 5, "{names:?}");
    for n in &numbers {
        assert!(
            dir.join(&format!("access.log.{n}.gz")).exists(),
            "access.log.{n} not compressed: {names:?}"
        );
    }
    let all: Vec<u64> = files_oldest_first(&dir, "access.log")
        .iter()
        .flat_map(|p| numbers_in(&read_text(p)))
        .collect();
    assert_eq!(all, (0..LINES).collect::<Vec<_>>());
}

#[test]
fn gzip_with_keep_deletes_the_oldest_compressed_files() {
    let dir = TempDir::new("gzip-keep");
    let path = dir.join("a.log");
    let mut file = RotatingFile::builder(&path)
        .max_size(10)
        .keep(2)
        .gzip(true)
        .open()
        .unwrap();
    for i in 0..10 {
        file.write_all(format!("line {i:02}\n").as_bytes()).unwrap();
    }
    drop(file); // waits for the last compression
    assert_eq!(dir.names(), ["a.log", "a.log.1.gz", "a.log.2.gz"]);
    assert_eq!(read_text(&dir.join("a.log.2.gz")), "line 07\n");
    assert_eq!(read_text(&dir.join("a.log.1.gz")), "line 08\n");
    assert_eq!(read_text(&dir.join("a.log")), "line 09\n");
}

#[test]
fn reopens_the_path_on_sighup_after_logrotate_moved_the_file() {
    let dir = TempDir::new("sighup");
    let path = dir.join("access.log");
    let (sink, guard) = RotatingFile::builder(&path)
        .reopen_on(Signal::Hup)
        .finish()
        .unwrap();
    for i in 0..100 {
        sink.emit(&record(i));
    }
    assert!(sink.flush());
    // What logrotate does with `create`: rename, then signal the process.
    fs::rename(&path, dir.join("access.log.old")).unwrap();
    signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
    for i in 100..200 {
        sink.emit(&record(i));
    }
    assert!(sink.flush());
    drop(guard);
    drop(sink);
    let old = numbers_in(&fs::read_to_string(dir.join("access.log.old")).unwrap());
    let new = numbers_in(&fs::read_to_string(&path).unwrap());
    assert_eq!(old, (0..100).collect::<Vec<_>>());
    assert_eq!(new, (100..200).collect::<Vec<_>>());
}

#[test]
fn reopens_on_sigusr1_only_at_a_line_boundary() {
    let dir = TempDir::new("sigusr1");
    let path = dir.join("app.log");
    let mut file = RotatingFile::builder(&path)
        .reopen_on(Signal::Usr1)
        .open()
        .unwrap();
    file.write_all(b"one\ntwo: ").unwrap();
    fs::rename(&path, dir.join("app.log.moved")).unwrap();
    signal_hook::low_level::raise(signal_hook::consts::SIGUSR1).unwrap();
    // The rest of the line goes where its start is; the next line to the new file.
    file.write_all(b"end of two\n").unwrap();
    file.write_all(b"three\n").unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("app.log.moved")).unwrap(),
        "one\ntwo: end of two\n"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "three\n");
}

static DAY: AtomicU64 = AtomicU64::new(20_000);

fn test_day() -> u64 {
    DAY.load(Ordering::SeqCst)
}

#[test]
fn daily_rotation_at_the_first_write_of_a_new_utc_day() {
    let dir = TempDir::new("daily");
    let path = dir.join("day.log");
    let mut file = RotatingFile::builder(&path)
        .daily()
        .utc_day_clock(test_day)
        .open()
        .unwrap();
    file.write_all(b"monday 1\n").unwrap();
    file.write_all(b"monday 2\n").unwrap();
    assert_eq!(dir.names(), ["day.log"]);
    DAY.fetch_add(1, Ordering::SeqCst);
    file.write_all(b"tuesday 1\n").unwrap();
    assert_eq!(dir.names(), ["day.log", "day.log.1"]);
    // Two days without a line: one rotation, no empty file.
    DAY.fetch_add(2, Ordering::SeqCst);
    file.write_all(b"friday 1\n").unwrap();
    file.write_all(b"friday 2\n").unwrap();
    let texts: Vec<String> = files_oldest_first(&dir, "day.log")
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "monday 1\nmonday 2\n",
            "tuesday 1\n",
            "friday 1\nfriday 2\n"
        ]
    );
}

#[test]
fn a_missing_directory_is_an_error_that_names_the_path() {
    let dir = TempDir::new("missing");
    let path = dir.join("no-such-dir").join("access.log");
    let err = RotatingFile::builder(&path).open().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert!(
        !dir.join("no-such-dir").exists(),
        "the directory was created"
    );
    assert!(RotatingFile::builder(&path).finish().is_err());
}

#[test]
fn a_failed_rotation_keeps_every_line_in_the_live_file_and_is_retried() {
    let dir = TempDir::new("failed-rotation");
    let path = dir.join("access.log");
    // With keep(1) a rotation first deletes `access.log.1`; a directory there cannot be.
    fs::create_dir_all(dir.join("access.log.1").join("blocker")).unwrap();
    let mut file = RotatingFile::builder(&path)
        .max_size(10)
        .keep(1)
        .open()
        .unwrap();
    for i in 0..5 {
        file.write_all(format!("line {i:02}\n").as_bytes()).unwrap();
    }
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "line 00\nline 01\nline 02\nline 03\nline 04\n"
    );
    fs::remove_dir_all(dir.join("access.log.1")).unwrap();
    file.write_all(b"line 05\n").unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("access.log.1")).unwrap(),
        "line 00\nline 01\nline 02\nline 03\nline 04\n"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "line 05\n");
}

#[test]
fn finish_with_keeps_the_given_format() {
    let dir = TempDir::new("logfmt");
    let path = dir.join("access.log");
    let (sink, guard) = RotatingFile::builder(&path)
        .finish_with(NonBlocking::builder().format(reqlog::format::Logfmt))
        .unwrap();
    sink.emit(&Record::event("reqlog.start"));
    assert!(sink.flush());
    drop((sink, guard));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("otel.event.name=reqlog.start"), "{text}");
}

/// The names from before the rename to `finish` still work in 0.1 (deprecated).
#[test]
#[allow(deprecated)]
fn the_old_builder_names_still_work() {
    let dir = TempDir::new("old-names");
    let path = dir.join("access.log");
    let (sink, guard) = RotatingFile::builder(&path).sink().unwrap();
    sink.emit(&Record::event("app.start"));
    drop((sink, guard));
    let (sink, guard) = RotatingFile::builder(&path)
        .sink_with(NonBlocking::builder().format(reqlog::format::Logfmt))
        .unwrap();
    sink.emit(&Record::event("app.start"));
    drop((sink, guard));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"otel.event.name\":\"app.start\""), "{text}");
    assert!(text.contains("otel.event.name=app.start"), "{text}");
}

#[test]
fn keep_zero_starts_the_live_file_over() {
    let dir = TempDir::new("keep-zero");
    let path = dir.join("access.log");
    let mut file = RotatingFile::builder(&path)
        .max_size(10)
        .keep(0)
        .open()
        .unwrap();
    for i in 0..3 {
        file.write_all(format!("line {i:02}\n").as_bytes()).unwrap();
    }
    assert_eq!(dir.names(), ["access.log"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), "line 02\n");
}
