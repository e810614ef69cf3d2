//! A progress bar on standard error while the logs are read, for inputs that take more
//! than a second: hidden at first, drawn once a second has passed, never drawn when
//! standard error is not a terminal or `--no-progress` is given.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long reading may take before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// Bytes read out of the inputs' total (compressed bytes for gzip files).
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// A bar over `total` bytes (`None`: standard input, a spinner), or nothing when
    /// `enabled` is false.
    pub(crate) fn new(total: Option<u64>, enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let (bar, template) = match total {
                Some(n) => (
                    ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden()),
                    "{bar:32} {bytes}/{total_bytes} {bytes_per_sec} ~{eta} left",
                ),
                None => (
                    ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
                    "{spinner} {bytes} read, {bytes_per_sec}",
                ),
            };
            // The templates are constants checked by the tests: they cannot fail.
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    /// Counts `n` more bytes read; draws the bar once reading has taken a second.
    pub(crate) fn add(&self, n: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(n);
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() >= DELAY {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar before the report is written.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A reader that counts what it reads into a [`Progress`].
pub(crate) struct Counted<'a, R> {
    pub(crate) inner: R,
    pub(crate) progress: &'a Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_without_drawing_when_disabled_or_early() {
        let off = Progress::new(Some(10), false);
        off.add(5);
        off.finish();
        let on = Progress::new(Some(10), true);
        let mut r = Counted {
            inner: &b"hello"[..],
            progress: &on,
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(on.bar.as_ref().map(|b| b.position()), Some(5));
        assert!(
            !on.shown.load(Ordering::Relaxed),
            "hidden for the first second"
        );
        on.finish();
        let spinner = Progress::new(None, true);
        spinner.add(3);
        spinner.finish();
    }
}
