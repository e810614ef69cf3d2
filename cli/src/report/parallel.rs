//! Reading on every core: plain files are cut into chunks at line boundaries, several
//! files and chunks are read at once, and each gzip file (which cannot be cut) or
//! standard input is read as one stream on its own thread. Each chunk is counted into
//! its own [`Stats`], and the parts are merged in input order, so the report is the
//! one a single pass gives (see [`Stats::merge`] for the one exception).
//!
//! Threads come from `std::thread::scope`, not rayon: the work is a few coarse chunks
//! whose results must be merged in order with a bound on how many wait, which a
//! counter, a condition variable and a channel express directly, without a dependency.
//!
//! Memory: each thread streams its chunk through a 256 KiB buffer (plus one line of at
//! most 1 MiB), and at most `2 × threads` finished parts wait to be merged, so memory
//! is bounded by `threads × (buffer + line + one part's summaries) + 2 × threads ×
//! one part's summaries + the merged summaries`, whatever the input size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{mpsc, Condvar, Mutex};

use super::filter::Filter;
use super::input::{self, BUFFER};
use super::progress::{Counted, Progress};
use super::stats::Stats;
use super::summary::FileRow;
use super::{count_line, Report, MAX_LINE};

/// Bytes of a plain file per chunk: large enough that the per-chunk summaries and
/// merge cost little, small enough that two threads share even a modest file.
pub(crate) const CHUNK: u64 = 16 << 20;

/// One input, named as the report shows it.
#[derive(Debug)]
pub(crate) enum Source {
    /// Standard input, read as one stream.
    Stdin,
    /// A file: cut into chunks when plain, one stream when gzip.
    File(PathBuf),
}

/// A unit of work: a whole stream, or the lines that start in `start..end` of a file.
#[derive(Debug)]
enum Work {
    Stream,
    Range { start: u64, end: u64, size: u64 },
}

struct Item {
    source: usize,
    work: Work,
}

struct Part {
    index: usize,
    source: usize,
    stats: Stats,
    gzip: bool,
    error: Option<io::Error>,
}

/// Cuts a plain file into chunks; gzip files, small files and unreadable ones (the
/// error shows when the stream is read) are one stream.
fn plan(source: &Source, chunk: u64, out: &mut Vec<Work>) {
    let Source::File(path) = source else {
        out.push(Work::Stream);
        return;
    };
    let size = File::open(path).and_then(|mut f| {
        let magic = input::read_magic(&mut f)?;
        Ok((magic != [0x1f, 0x8b]).then_some(f.metadata()?.len()))
    });
    match size {
        Ok(Some(size)) if size > chunk => {
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                out.push(Work::Range { start, end, size });
                start = end;
            }
        }
        _ => out.push(Work::Stream),
    }
}

/// The rest of the line that a chunk's last line runs into, through its newline.
struct LineTail<R> {
    inner: R,
    done: bool,
}

impl<R: BufRead> Read for LineTail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let available = self.inner.fill_buf()?;
        if available.is_empty() {
            self.done = true;
            return Ok(0);
        }
        let (n, through_newline) = match available.iter().position(|&b| b == b'\n') {
            Some(i) if i < buf.len() => (i + 1, true),
            _ => (available.len().min(buf.len()), false),
        };
        buf[..n].copy_from_slice(&available[..n]);
        self.inner.consume(n);
        self.done = through_newline;
        Ok(n)
    }
}

fn byte_at(file: &mut File, at: u64) -> io::Result<u8> {
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(&mut b)?;
    Ok(b[0])
}

/// Counts the lines that start in `start..end` of the file at `path`: the line cut at
/// `start` belongs to the chunk before, the line cut at `end` to this one.
fn read_range(
    path: &PathBuf,
    (start, end, size): (u64, u64, u64),
    mut f: impl FnMut(Option<&[u8]>),
    progress: &Progress,
) -> io::Result<()> {
    if start >= end {
        return Ok(());
    }
    let mut head = File::open(path)?;
    let cut_at_start = start > 0 && byte_at(&mut head, start - 1)? != b'\n';
    let mut tail = File::open(path)?;
    let cut_at_end = end < size && byte_at(&mut tail, end - 1)? != b'\n';
    head.seek(SeekFrom::Start(start))?;
    let head = Counted {
        inner: head.take(end - start),
        progress,
    };
    let tail = LineTail {
        inner: BufReader::new(tail),
        done: !cut_at_end,
    };
    let mut lines = BufReader::with_capacity(BUFFER, head.chain(tail));
    if cut_at_start {
        lines.skip_until(b'\n')?;
    }
    input::split(lines, MAX_LINE, &mut f)
}

fn run(
    sources: &[Source],
    item: &Item,
    stats: &mut Stats,
    filter: &Filter,
    progress: &Progress,
) -> (bool, io::Result<()>) {
    let mut gzip = false;
    let count = |line: Option<&[u8]>| count_line(stats, filter, line);
    let result = match (&sources[item.source], &item.work) {
        (Source::Stdin, _) => {
            let input = Counted {
                inner: io::stdin().lock(),
                progress,
            };
            input::for_each_line(input, MAX_LINE, &mut gzip, count)
        }
        (Source::File(path), Work::Stream) => File::open(path).and_then(|file| {
            let input = Counted {
                inner: file,
                progress,
            };
            input::for_each_line(input, MAX_LINE, &mut gzip, count)
        }),
        (Source::File(path), &Work::Range { start, end, size }) => {
            read_range(path, (start, end, size), count, progress)
        }
    };
    (gzip, result)
}

/// Reads `sources` (named `names`) into `report` with `threads` threads, plain files
/// cut into chunks of `chunk` bytes. Returns the sources whose reading stopped on an
/// error; the lines before the error are counted, as with [`Report::read`].
pub(crate) fn read(
    report: &mut Report,
    sources: &[Source],
    names: &[String],
    threads: usize,
    chunk: u64,
    progress: &Progress,
) -> Vec<(String, io::Error)> {
    let mut items = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let mut works = Vec::new();
        plan(source, chunk.max(1), &mut works);
        items.extend(works.into_iter().map(|work| Item { source: i, work }));
    }
    let threads = threads.clamp(1, items.len().max(1));
    let window = 2 * threads;
    // (next item to start, items merged so far)
    let state = Mutex::new((0usize, 0usize));
    let merged_more = Condvar::new();
    let filter = &report.options.filter;
    let (tx, rx) = mpsc::channel::<Part>();
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (items, state, merged_more) = (&items, &state, &merged_more);
            scope.spawn(move || {
                let mut carry = Stats::default();
                loop {
                    let index = {
                        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                        while s.0 < items.len() && s.0 >= s.1 + window {
                            s = merged_more.wait(s).unwrap_or_else(|e| e.into_inner());
                        }
                        if s.0 >= items.len() {
                            break;
                        }
                        s.0 += 1;
                        s.0 - 1
                    };
                    let item = &items[index];
                    let mut stats = carry.next_part();
                    let (gzip, result) = run(sources, item, &mut stats, filter, progress);
                    carry = stats.next_part();
                    let part = Part {
                        index,
                        source: item.source,
                        stats,
                        gzip,
                        error: result.err(),
                    };
                    if tx.send(part).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Merge in input order as parts arrive; later parts wait (at most `window`).
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for part in rx {
            waiting.insert(part.index, part);
            while let Some(part) = waiting.remove(&next) {
                parts.push((part.source, part.stats.input.lines, part.gzip, part.error));
                next += 1;
                report.stats.merge(part.stats);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.1 = next;
                merged_more.notify_all();
            }
        }
    });
    // One row per source, in order, as a sequential read gives.
    let mut last: Option<usize> = None;
    for (source, lines, gzip, error) in parts {
        if last != Some(source) {
            report.files.push(FileRow {
                name: names[source].clone(),
                lines: 0,
                gzip: false,
                error: None,
            });
            last = Some(source);
        }
        if let Some(row) = report.files.last_mut() {
            row.lines += lines;
            row.gzip |= gzip;
            if let Some(e) = error {
                row.error.get_or_insert_with(|| e.to_string());
                errors.push((names[source].clone(), e));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportOptions;
    use std::io::Write;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("reqlog-parallel-{name}-{}", std::process::id()));
        File::create(&path).unwrap().write_all(bytes).unwrap();
        path
    }

    fn lines_of(path: &PathBuf, start: u64, end: u64) -> Vec<String> {
        let size = std::fs::metadata(path).unwrap().len();
        let mut out = Vec::new();
        let progress = Progress::new(None, false);
        read_range(
            path,
            (start, end, size),
            |l| out.push(l.map_or("(long)".into(), |l| String::from_utf8_lossy(l).into())),
            &progress,
        )
        .unwrap();
        out
    }

    #[test]
    fn chunks_split_at_line_boundaries() {
        let text = b"one\ntwo\nthree\nfour\n\nsix";
        let path = temp("split", text);
        for cut in 0..=text.len() as u64 {
            let mut all = lines_of(&path, 0, cut);
            all.extend(lines_of(&path, cut, text.len() as u64));
            assert_eq!(
                all,
                ["one", "two", "three", "four", "", "six"],
                "cut at {cut}"
            );
        }
        std::fs::remove_file(path).ok();
    }

    /// The same report from one pass and from many small chunks on several threads
    /// (no more names than the charts have series: see `Stats::merge`).
    #[test]
    fn parallel_equals_sequential() {
        let mut log = Vec::new();
        for i in 0..3000u32 {
            let kind = ["browser", "crawler", "scanner", "tool"][(i % 4) as usize];
            let probe = if i % 7 == 0 {
                format!(
                    r#","probe.category":"cat{}","probe.rule":"r{}""#,
                    i % 8,
                    i % 5
                )
            } else {
                String::new()
            };
            writeln!(
                log,
                r#"{{"timestamp":"2026-11-24T{:02}:{:02}:{:02}.5Z","otel.event.name":"http.request","http.request.method":"GET","url.path":"/p/{}","client.address":"203.0.113.{}","http.response.status_code":{},"duration_ms":{}.5,"visitor.kind":"{kind}","visitor.crawler":"Bot{}","enduser.pseudo.id":"u_{:016x}","visitor.actions":[{{"name":"a{}"}}]{probe}}}"#,
                i / 3600 % 24,
                i / 60 % 60,
                i % 60,
                i % 50,
                i % 200,
                [200, 404, 500, 301][(i % 4) as usize],
                i % 90,
                i % 3,
                i % 400,
                i % 9,
            )
            .unwrap();
            if i % 500 == 0 {
                log.extend_from_slice(b"garbage line\n203.0.113.9 - - [24/Nov/2026:02:31:00 +0000] \"GET /wp-login.php HTTP/1.1\" 404 153 \"-\" \"sqlmap/1.7\"\n");
            }
        }
        let path = temp("equal", &log);
        let mut one = Report::new(ReportOptions::new());
        one.read("log", &log[..]).unwrap();
        let progress = Progress::new(None, false);
        for (threads, chunk) in [(2, 4096), (3, 10_000), (2, 1 << 30)] {
            let mut many = Report::new(ReportOptions::new());
            let sources = [Source::File(path.clone())];
            let errors = read(
                &mut many,
                &sources,
                &["log".into()],
                threads,
                chunk,
                &progress,
            );
            assert!(errors.is_empty());
            assert_eq!(
                many.json(),
                one.json(),
                "{threads} threads, chunks of {chunk}"
            );
            let (mut a, mut b) = (Vec::new(), Vec::new());
            many.write_text(&mut a, false).unwrap();
            one.write_text(&mut b, false).unwrap();
            assert!(a == b, "text, {threads} threads");
            assert_eq!(many.html(), one.html());
        }
        std::fs::remove_file(path).ok();
    }
}
