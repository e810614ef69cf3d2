//! Gzip of a rotated file off the writer's path: `access.log.1` is written to
//! `access.log.1.gz.tmp`, synced, renamed to `access.log.1.gz`, and only then deleted.
//! A crash at any point leaves the plain file or a complete `.gz` under its final name
//! (and perhaps a stale `.tmp`, overwritten by the next compression) — never a half
//! file with the final name, never a lost line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use flate2::write::GzEncoder;

use super::rotate::{context, with_suffix};

/// One compression running on its own thread.
pub(super) struct GzipJob {
    source: PathBuf,
    done: Receiver<io::Result<()>>,
}

impl GzipJob {
    /// Starts compressing `source` on a new thread (or right here if no thread can be
    /// started: slower for the writer, but the file still gets compressed).
    pub(super) fn start(source: PathBuf) -> GzipJob {
        let (tx, done) = mpsc::sync_channel(1);
        let path = source.clone();
        let spawned = std::thread::Builder::new()
            .name("reqlog-gzip".into())
            .spawn({
                let tx = tx.clone();
                move || {
                    let _ = tx.send(gzip(&path));
                }
            });
        if spawned.is_err() {
            let _ = tx.send(gzip(&source));
        }
        GzipJob { source, done }
    }

    /// The file being compressed.
    pub(super) fn source(&self) -> &Path {
        &self.source
    }

    /// The result if the job has finished, without waiting.
    pub(super) fn poll(&self) -> Option<io::Result<()>> {
        match self.done.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(vanished())),
        }
    }

    /// Waits for the job to finish, at most `timeout` (`None`: as long as it takes).
    /// `None` if it is still running at the deadline.
    pub(super) fn wait(&self, timeout: Option<Duration>) -> Option<io::Result<()>> {
        let result = match timeout {
            None => self.done.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => self.done.recv_timeout(t),
        };
        match result {
            Ok(result) => Some(result),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Err(vanished())),
        }
    }
}

fn vanished() -> io::Error {
    io::Error::other("the compression thread stopped without a result")
}

/// `name.1` → `name.1.gz.tmp` → `name.1.gz`, then deletes `name.1`.
pub(super) fn gzip(source: &Path) -> io::Result<()> {
    let target = with_suffix(source, ".gz");
    let tmp = with_suffix(source, ".gz.tmp");
    let written = write_gz(source, &tmp).and_then(|()| {
        fs::rename(&tmp, &target).map_err(|e| {
            context(
                e,
                format!("cannot rename {} to {}", tmp.display(), target.display()),
            )
        })
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(context(e, format!("cannot compress {}", source.display())));
    }
    // Both files hold the same lines now; failing to delete the plain one loses nothing.
    fs::remove_file(source).map_err(|e| {
        context(
            e,
            format!("compressed, but cannot delete {}", source.display()),
        )
    })
}

fn write_gz(source: &Path, tmp: &Path) -> io::Result<()> {
    let mut input = File::open(source)?;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    let out = options.open(tmp)?;
    // Readable by whoever could read the log, no more.
    out.set_permissions(input.metadata()?.permissions())?;
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(64 * 1024, out),
        flate2::Compression::default(),
    );
    io::copy(&mut input, &mut gz)?;
    let out = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
    // On disk before it gets its final name.
    out.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn compresses_to_the_final_name_and_removes_the_plain_file() {
        let dir = std::env::temp_dir().join(format!("reqlog-gzip-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let source = dir.join("a.log.1");
        let mut f = File::create(&source).unwrap();
        for i in 0..1000 {
            writeln!(f, "line {i}").unwrap();
        }
        drop(f);
        let job = GzipJob::start(source.clone());
        job.wait(None).unwrap().unwrap();
        assert!(!source.exists());
        assert!(!dir.join("a.log.1.gz.tmp").exists());
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(dir.join("a.log.1.gz")).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert_eq!(text.lines().last(), Some("line 999"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_compression_keeps_the_plain_file_and_no_tmp() {
        let dir = std::env::temp_dir().join(format!("reqlog-gzip-fail-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let source = dir.join("a.log.1");
        fs::write(&source, "kept\n").unwrap();
        // The final name is taken by a directory: the rename fails.
        fs::create_dir_all(dir.join("a.log.1.gz").join("x")).unwrap();
        let err = gzip(&source).unwrap_err();
        assert!(err.to_string().contains("a.log.1"), "{err}");
        assert_eq!(fs::read_to_string(&source).unwrap(), "kept\n");
        assert!(!dir.join("a.log.1.gz.tmp").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
