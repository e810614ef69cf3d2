//! [`RotatingFile`]: a log file that rotates by size and/or daily, keeps the last N
//! files (optionally gzipped), and reopens its path on a signal for logrotate.
//!
//! It is a [`std::io::Write`] meant to sit behind [`NonBlocking`](super::NonBlocking):
//! writes and rotations happen on the writer's thread, compression on a thread of its
//! own, never on a request's thread. [`RotatingFileBuilder::finish`] builds the whole
//! sink:
//!
//! ```no_run
//! use reqlog::{sink::RotatingFile, RequestLog};
//!
//! # fn main() -> std::io::Result<()> {
//! let (sink, _guard) = RotatingFile::builder("access.log")
//!     .max_size(10 << 20) // 10 MiB
//!     .keep(5)
//!     .gzip(true)
//!     .finish()?; // keep the guard alive until the end of main: it flushes on exit
//! let layer = RequestLog::new().sink(sink);
//! # Ok(()) }
//! ```
//!
//! The file names, the whole-line guarantee and what happens on errors are described
//! on [`RotatingFile`].

mod builder;
mod compress;
mod rotate;
mod writer;

pub use builder::RotatingFileBuilder;
pub use writer::RotatingFile;

/// A signal that makes a [`RotatingFile`] reopen its path (unix only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// `SIGHUP`, what logrotate's `postrotate` usually sends.
    Hup,
    /// `SIGUSR1`.
    Usr1,
}
