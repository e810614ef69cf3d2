//! [`RotatingFileBuilder`]: what to rotate on, how many files to keep, compression and
//! signals; it opens a [`RotatingFile`] or builds the whole non-blocking sink.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::rotate;
use super::writer::RotatingFile;
use super::Signal;
use crate::sink::{NonBlocking, NonBlockingBuilder, WriterGuard};

/// Rotated files kept unless [`RotatingFileBuilder::keep`] says otherwise.
const DEFAULT_KEEP: usize = 7;

/// Builds a [`RotatingFile`] or a whole non-blocking file sink. Made by
/// [`RotatingFile::builder`].
#[derive(Clone)]
pub struct RotatingFileBuilder {
    settings: Settings,
}

/// What the builder collected; the file keeps it.
#[derive(Clone)]
pub(super) struct Settings {
    pub(super) path: PathBuf,
    pub(super) max_size: Option<u64>,
    pub(super) daily: bool,
    pub(super) keep: usize,
    pub(super) gzip: bool,
    pub(super) signals: Vec<Signal>,
    /// Today, in days since 1970-01-01 UTC.
    pub(super) clock: fn() -> u64,
}

impl RotatingFileBuilder {
    pub(super) fn new(path: PathBuf) -> RotatingFileBuilder {
        RotatingFileBuilder {
            settings: Settings {
                path,
                max_size: None,
                daily: false,
                keep: DEFAULT_KEEP,
                gzip: false,
                signals: Vec::new(),
                clock: rotate::today_utc,
            },
        }
    }

    /// Rotates when the next write would make the live file larger than `bytes`.
    ///
    /// A single batch larger than `bytes` is not split: it goes whole into a fresh file.
    /// The default is no size limit.
    ///
    /// ```
    /// # use reqlog::sink::RotatingFile;
    /// let file = RotatingFile::builder("access.log").max_size(64 << 20); // 64 MiB
    /// ```
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.settings.max_size = Some(bytes);
        self
    }

    /// Rotates at midnight **UTC** — at the first write after it, so that a file never
    /// holds lines written on two UTC days. Combines with [`max_size`](Self::max_size).
    ///
    /// A file that already has lines when it is opened belongs to the day it was last
    /// modified: a server restarted the next day starts with a rotation.
    pub fn daily(mut self) -> Self {
        self.settings.daily = true;
        self
    }

    /// How many rotated files to keep (default 7); the oldest is deleted at each
    /// rotation beyond that. With `0`, the live file is emptied instead of rotated.
    ///
    /// Only the names this scheme uses are touched: lowering `keep` leaves files from
    /// an earlier, larger setting (`access.log.9`…) in place.
    pub fn keep(mut self, files: usize) -> Self {
        self.settings.keep = files;
        self
    }

    /// Compresses rotated files to `access.log.1.gz` (default `false`).
    ///
    /// Compression runs on a thread of its own, so the writer goes on writing. It goes
    /// through `access.log.1.gz.tmp`, renamed when complete: a crash never leaves a
    /// partial file under a `.gz` name. Dropping the file (which happens at shutdown
    /// once the [`WriterGuard`] and every clone of the sink are gone) waits for it,
    /// 30 s at most; so does the next rotation.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.settings.gzip = gzip;
        self
    }

    /// Reopens the path at the next write after `signal` arrives; call it again to
    /// listen for more signals. Unix only: elsewhere [`open`](Self::open) fails.
    ///
    /// This is what logrotate expects with `create` (and `copytruncate` off): it
    /// renames the file, then signals the process, which starts a new file at the
    /// path while the renamed one keeps every line written before. Let either
    /// logrotate or this type rotate a given file, not both: they use the same names.
    /// A signal handled here no longer terminates the process, even after the file is
    /// dropped.
    ///
    /// ```no_run
    /// use reqlog::sink::{RotatingFile, Signal};
    ///
    /// // /etc/logrotate.d/site:
    /// //   /var/log/site/access.log {
    /// //       daily
    /// //       rotate 14
    /// //       create 0640 www-data adm
    /// //       postrotate
    /// //           kill -HUP $(cat /run/site.pid)
    /// //       endscript
    /// //   }
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = RotatingFile::builder("/var/log/site/access.log")
    ///     .reopen_on(Signal::Hup)
    ///     .finish()?;
    /// # Ok(()) }
    /// ```
    pub fn reopen_on(mut self, signal: Signal) -> Self {
        if !self.settings.signals.contains(&signal) {
            self.settings.signals.push(signal);
        }
        self
    }

    /// Replaces the clock daily rotation reads (days since 1970-01-01 UTC). For tests;
    /// not part of the stable API.
    #[doc(hidden)]
    pub fn utc_day_clock(mut self, clock: fn() -> u64) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Opens (or creates) the file for appending and starts listening for the reopen
    /// signals: the writer alone, to put behind a writer of your own. For the whole
    /// sink, [`finish`](Self::finish).
    ///
    /// # Errors
    /// The file cannot be opened or created — the message names the path, and says so
    /// when its directory does not exist (it is not created) — or a signal cannot be
    /// registered.
    pub fn open(self) -> io::Result<RotatingFile> {
        RotatingFile::open(self.settings)
    }

    /// The whole sink: JSON lines written to this file by a [`NonBlocking`] worker
    /// named after the path. Keep the guard alive until the end of `main`.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn finish(self) -> io::Result<(NonBlocking, WriterGuard)> {
        let name = self.settings.path.display().to_string();
        self.finish_with(NonBlocking::builder().name(name))
    }

    /// The whole sink with your [`NonBlockingBuilder`]: its format, queue limits and
    /// name (set one with [`NonBlockingBuilder::name`]; the default is `"writer"`).
    ///
    /// ```no_run
    /// use reqlog::format::Logfmt;
    /// use reqlog::sink::{NonBlocking, RotatingFile};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = RotatingFile::builder("access.log")
    ///     .max_size(100 << 20)
    ///     .finish_with(NonBlocking::builder().format(Logfmt).name("access.log"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn finish_with(
        self,
        builder: NonBlockingBuilder,
    ) -> io::Result<(NonBlocking, WriterGuard)> {
        Ok(builder.finish(self.open()?))
    }

    /// Renamed to [`finish`](Self::finish), the word every sink builder ends in.
    #[deprecated(since = "0.1.0", note = "renamed to `finish`")]
    pub fn sink(self) -> io::Result<(NonBlocking, WriterGuard)> {
        self.finish()
    }

    /// Renamed to [`finish_with`](Self::finish_with), the word every sink builder
    /// ends in.
    #[deprecated(since = "0.1.0", note = "renamed to `finish_with`")]
    pub fn sink_with(self, builder: NonBlockingBuilder) -> io::Result<(NonBlocking, WriterGuard)> {
        self.finish_with(builder)
    }
}

impl fmt::Debug for RotatingFileBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settings.fmt(f)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFileBuilder")
            .field("path", &self.path)
            .field("max_size", &self.max_size)
            .field("daily", &self.daily)
            .field("keep", &self.keep)
            .field("gzip", &self.gzip)
            .field("reopen_on", &self.signals)
            .finish_non_exhaustive()
    }
}
