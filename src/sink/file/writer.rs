//! [`RotatingFile`], the `io::Write` side: before each write, reopen or rotate if due
//! (only at a line boundary), then write the whole buffer to one file.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::builder::{RotatingFileBuilder, Settings};
use super::compress::GzipJob;
use super::rotate;
#[cfg(unix)]
use super::Signal;

/// Shortest gap between two error messages of one file on stderr.
const ERROR_REPORT_INTERVAL: Duration = Duration::from_secs(10);
/// How long dropping a [`RotatingFile`] waits for a compression still running.
const COMPRESSION_WAIT: Duration = Duration::from_secs(30);

/// An append-only log file that rotates by size and/or daily, keeps the last N files
/// (optionally gzipped), and reopens its path on a signal for logrotate.
///
/// - **Names**: `access.log` is live; rotating shifts `access.log.1` → `.2` … (the
///   oldest beyond [`keep`](RotatingFileBuilder::keep) is deleted) and renames
///   `access.log` to `access.log.1` (`.1.gz` once compressed), as logrotate does. The
///   live file is opened in append mode, created with mode `0640` on unix (before the
///   umask).
/// - **Whole lines**: each `write` call writes its whole buffer (looping over short
///   writes) to one file and returns its full length; a rotation or reopen happens
///   only between calls, and only after a call that ended with a newline.
///   [`NonBlocking`](crate::sink::NonBlocking) writes whole batches of whole lines, so
///   a line is never split across files, and a batch larger than
///   [`max_size`](RotatingFileBuilder::max_size) goes whole into a fresh file. If a
///   write fails part way (disk full), the part written is truncated away: the file
///   keeps only whole lines and the writer's count of lost lines is exact.
/// - **Errors**: a write error is returned (the non-blocking writer counts it and
///   reports it on stderr at a bounded rate). A failed rotation, reopen or compression
///   loses no line: writing goes on to the current file, the rotation is retried at
///   the next write, and the error is reported on stderr, at most once per 10 s.
///
/// Writing does file I/O: put it behind [`NonBlocking`](crate::sink::NonBlocking), or
/// use [`RotatingFileBuilder::finish`], so requests never wait for the disk.
///
/// # Example
/// ```no_run
/// use reqlog::sink::{NonBlocking, RotatingFile};
///
/// # fn main() -> std::io::Result<()> {
/// let file = RotatingFile::builder("/var/log/site/access.log")
///     .daily()
///     .keep(30)
///     .open()?;
/// let (sink, _guard) = NonBlocking::builder().name("access.log").finish(file);
/// # Ok(()) }
/// ```
pub struct RotatingFile {
    settings: Settings,
    file: File,
    /// Bytes in the live file.
    size: u64,
    /// The UTC day (days since 1970-01-01) the live file was started.
    day: u64,
    /// The last write ended with a newline: a place where the file may change.
    at_line_start: bool,
    /// A failed write left part of a line that could not be truncated away; the next
    /// write starts with a newline so that its lines stay whole.
    fragment: bool,
    /// Set by the signal handler: reopen the path at the next line boundary.
    reopen_requested: Arc<AtomicBool>,
    /// Reopening is due (signal, or a rotation whose new file could not be opened).
    /// Until it succeeds our handle may not be `path`, so there is no rotation.
    reopen_pending: bool,
    /// Compress `.1` once the path is reopened (set by a rotation).
    compress_after_reopen: bool,
    #[cfg(unix)]
    signal_ids: Vec<signal_hook::SigId>,
    compression: Option<GzipJob>,
    last_report: Option<Instant>,
    unreported_errors: u64,
}

impl RotatingFile {
    /// A builder for the file at `path`: no rotation, 7 rotated files kept, no
    /// compression, no signal, until the builder's methods say otherwise.
    pub fn builder(path: impl Into<PathBuf>) -> RotatingFileBuilder {
        RotatingFileBuilder::new(path.into())
    }

    /// The path of the live file (the one given to the builder).
    pub fn path(&self) -> &Path {
        &self.settings.path
    }

    pub(super) fn open(settings: Settings) -> io::Result<RotatingFile> {
        let file = rotate::open_append(&settings.path)?;
        let (size, day) = size_and_day(&file, settings.clock);
        let reopen_requested = Arc::new(AtomicBool::new(false));
        #[cfg(unix)]
        let signal_ids = register(&settings.signals, &reopen_requested)?;
        #[cfg(not(unix))]
        if !settings.signals.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "reopening a log file on a signal needs unix",
            ));
        }
        Ok(RotatingFile {
            settings,
            file,
            size,
            day,
            at_line_start: true,
            fragment: false,
            reopen_requested,
            reopen_pending: false,
            compress_after_reopen: false,
            #[cfg(unix)]
            signal_ids,
            compression: None,
            last_report: None,
            unreported_errors: 0,
        })
    }

    /// Switches file if one is due: reopens after a signal, rotates by size or day.
    fn switch_if_due(&mut self, incoming: usize) {
        if self.reopen_requested.swap(false, Ordering::Relaxed) {
            self.reopen_pending = true;
        }
        if self.reopen_pending {
            if let Err(e) = self.reopen() {
                self.report(&format!("{e}; still writing to the old file, will retry"));
                return;
            }
        }
        let s = &self.settings;
        if self.size == 0 {
            // Nothing to rotate; an empty file belongs to the day it gets lines.
            if s.daily {
                self.day = (s.clock)();
            }
            return;
        }
        let by_size = s
            .max_size
            .is_some_and(|max| self.size.saturating_add(incoming as u64) > max);
        let by_day = s.daily && (s.clock)() != self.day;
        if by_size || by_day {
            if let Err(e) = self.rotate() {
                let message = format!(
                    "cannot rotate: {e}; still writing to {}, will retry at the next write",
                    self.path().display()
                );
                self.report(&message);
            }
        }
    }

    /// Shifts the rotated files, renames the live one to `.1`, opens a fresh one and
    /// starts compressing `.1`. On error the lines go on to the same file as before.
    fn rotate(&mut self) -> io::Result<()> {
        if self.settings.keep == 0 {
            // No old file is kept: start the live file over.
            self.file.set_len(0)?;
            self.size = 0;
            self.day = (self.settings.clock)();
            return Ok(());
        }
        // Shifting renames `.1`: the compressor must be done with it first.
        self.finish_compression(None);
        rotate::shift(&self.settings.path, self.settings.keep)?;
        let first = rotate::rotated(&self.settings.path, 1, false);
        rotate::rename_if_present(&self.settings.path, &first)?;
        // The old lines are in `.1` now; if the new file cannot be opened, our handle
        // keeps writing there and the next write retries the open.
        self.compress_after_reopen = self.settings.gzip;
        self.reopen_pending = true;
        self.reopen()
    }

    /// Opens `path` afresh (after logrotate moved it, or after our own rotation).
    fn reopen(&mut self) -> io::Result<()> {
        let file = rotate::open_append(&self.settings.path)?;
        (self.size, self.day) = size_and_day(&file, self.settings.clock);
        self.file = file;
        self.reopen_pending = false;
        if std::mem::take(&mut self.compress_after_reopen) {
            let first = rotate::rotated(&self.settings.path, 1, false);
            self.compression = Some(GzipJob::start(first));
        }
        Ok(())
    }

    /// Writes all of `bytes`, or takes back what was written and returns the error.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut written = 0;
        while written < bytes.len() {
            match self.file.write(&bytes[written..]) {
                Ok(0) => return Err(self.undo(bytes, written, io::ErrorKind::WriteZero.into())),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.undo(bytes, written, e)),
            }
        }
        self.size += written as u64;
        Ok(())
    }

    /// Truncates away the `written` bytes of a failed write so the file keeps whole
    /// lines only; if that fails too, remembers a fragment to end before the next line.
    fn undo(&mut self, bytes: &[u8], written: usize, error: io::Error) -> io::Error {
        if written > 0 {
            let file = &self.file;
            let truncated = file
                .metadata()
                .and_then(|m| file.set_len(m.len().saturating_sub(written as u64)));
            if truncated.is_err() {
                self.size += written as u64;
                self.fragment = !bytes[..written].ends_with(b"\n");
                self.at_line_start = !self.fragment;
            }
        }
        error
    }

    /// Collects the running compression's result, waiting at most `timeout` (`None`:
    /// as long as it takes; zero: not at all).
    fn finish_compression(&mut self, timeout: Option<Duration>) {
        let Some(job) = &self.compression else {
            return;
        };
        let result = match timeout {
            Some(Duration::ZERO) => job.poll(),
            _ => job.wait(timeout),
        };
        match result {
            None => {}
            Some(Ok(())) => self.compression = None,
            Some(Err(e)) => {
                let message = format!("{e}; {} stays uncompressed", job.source().display());
                self.compression = None;
                self.report(&message);
            }
        }
    }

    /// Says on stderr what went wrong, at most once per [`ERROR_REPORT_INTERVAL`].
    fn report(&mut self, message: &str) {
        if self
            .last_report
            .is_some_and(|t| t.elapsed() < ERROR_REPORT_INTERVAL)
        {
            self.unreported_errors += 1;
            return;
        }
        let more = match std::mem::take(&mut self.unreported_errors) {
            0 => String::new(),
            n => format!(" ({n} more errors since the last message)"),
        };
        eprintln!(
            "reqlog: log file {}: {message}{more}",
            self.path().display()
        );
        self.last_report = Some(Instant::now());
    }
}

/// The size of a freshly opened file and the UTC day it belongs to: today if empty,
/// else the day of its last change (so a file left from yesterday rotates at once).
fn size_and_day(file: &File, clock: fn() -> u64) -> (u64, u64) {
    match file.metadata() {
        Ok(meta) if meta.len() > 0 => {
            let day = meta.modified().map_or_else(|_| clock(), rotate::utc_day);
            (meta.len(), day)
        }
        _ => (0, clock()),
    }
}

/// Each call writes its whole buffer to one file and returns its full length; see
/// [`RotatingFile`] for why a line is never split across files.
impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at_line_start {
            self.switch_if_due(buf.len());
        }
        if self.fragment {
            self.append(b"\n")?;
            self.fragment = false;
        }
        self.append(buf)?;
        self.at_line_start = buf.ends_with(b"\n");
        Ok(buf.len())
    }

    /// Collects a finished compression's result; nothing is buffered. It does not wait
    /// for a running compression: the writer flushes after every batch and must not
    /// stall; the next rotation and `drop` wait instead.
    fn flush(&mut self) -> io::Result<()> {
        self.finish_compression(Some(Duration::ZERO));
        self.file.flush()
    }
}

/// Waits (30 s at most) for a running compression so that no `.tmp` is left behind,
/// and stops listening for the reopen signals.
impl Drop for RotatingFile {
    fn drop(&mut self) {
        self.finish_compression(Some(COMPRESSION_WAIT));
        #[cfg(unix)]
        for id in self.signal_ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

impl fmt::Debug for RotatingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("RotatingFile")
            .field("path", &s.path)
            .field("size", &self.size)
            .field("max_size", &s.max_size)
            .field("daily", &s.daily)
            .field("keep", &s.keep)
            .field("gzip", &s.gzip)
            .field("reopen_on", &s.signals)
            .field("reopen_pending", &self.reopen_pending)
            .field("compressing", &self.compression.is_some())
            .finish_non_exhaustive()
    }
}

/// Makes each signal set `flag` — all the handler does, so no thread is needed.
#[cfg(unix)]
fn register(signals: &[Signal], flag: &Arc<AtomicBool>) -> io::Result<Vec<signal_hook::SigId>> {
    let mut ids = Vec::with_capacity(signals.len());
    for signal in signals {
        let number = match signal {
            Signal::Hup => signal_hook::consts::SIGHUP,
            Signal::Usr1 => signal_hook::consts::SIGUSR1,
        };
        match signal_hook::flag::register(number, flag.clone()) {
            Ok(id) => ids.push(id),
            Err(e) => {
                for id in ids {
                    signal_hook::low_level::unregister(id);
                }
                return Err(rotate::context(e, format!("cannot listen for {signal:?}")));
            }
        }
    }
    Ok(ids)
}
