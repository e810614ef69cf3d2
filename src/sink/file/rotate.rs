//! The numbered scheme on disk: `access.log` is live, `access.log.1` the newest rotated
//! file … `access.log.N` the oldest (`.gz` appended when compressed), as logrotate
//! names them; plus opening the live file and the UTC day clock.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// `base` with `suffix` appended to its file name: `access.log` + `.1.gz`.
pub(super) fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(base.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The `n`th rotated file of `base`: `access.log.3` or `access.log.3.gz`.
pub(super) fn rotated(base: &Path, n: usize, gz: bool) -> PathBuf {
    with_suffix(base, &format!(".{n}{}", if gz { ".gz" } else { "" }))
}

/// Opens (creating, mode 0640 on unix before the umask) `path` for appending. The
/// error names the path, and says so when the directory is missing: it is not created,
/// because a typo in a path should not scatter logs.
pub(super) fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    options.open(path).map_err(|e| {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let detail = match dir {
            Some(dir) if e.kind() == io::ErrorKind::NotFound && !dir.is_dir() => format!(
                "the directory {} does not exist (create it first; reqlog does not)",
                dir.display()
            ),
            _ => e.to_string(),
        };
        io::Error::new(
            e.kind(),
            format!("cannot open the log file {}: {detail}", path.display()),
        )
    })
}

/// Makes room for a new `.1`: renames every `.n` to `.n+1`, oldest first, deleting
/// `.keep` (plain or `.gz`) if the run reaches it.
///
/// Only the run `.1`, `.2` … up to the first missing number moves, so a rotation costs
/// as many renames as there are files, not `keep`; a gap left by a shift that failed
/// half way is filled by the next one.
pub(super) fn shift(base: &Path, keep: usize) -> io::Result<()> {
    let present = |n| {
        [false, true]
            .iter()
            .any(|&gz| exists(&rotated(base, n, gz)))
    };
    let mut last = 0;
    while last < keep && present(last + 1) {
        last += 1;
    }
    if last == keep {
        for gz in [false, true] {
            let oldest = rotated(base, keep, gz);
            match fs::remove_file(&oldest) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(context(e, format!("cannot delete {}", oldest.display())))
                }
                _ => {}
            }
        }
        last -= 1;
    }
    for n in (1..=last).rev() {
        for gz in [false, true] {
            rename_if_present(&rotated(base, n, gz), &rotated(base, n + 1, gz))?;
        }
    }
    Ok(())
}

/// Whether something is at `path`; an error other than "not found" counts as yes, so
/// that the rename that follows reports it.
fn exists(path: &Path) -> bool {
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// Renames `from` to `to`; a missing `from` is not an error.
pub(super) fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(context(
            e,
            format!("cannot rename {} to {}", from.display(), to.display()),
        )),
        _ => Ok(()),
    }
}

/// The same error kind, with what was being done in front of the message.
pub(super) fn context(e: io::Error, doing: String) -> io::Error {
    io::Error::new(e.kind(), format!("{doing}: {e}"))
}

/// Whole days since 1970-01-01 UTC at `time` (0 before the epoch).
pub(super) fn utc_day(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// Today, in days since 1970-01-01 UTC: the default clock for daily rotation.
pub(super) fn today_utc() -> u64 {
    utc_day(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_follow_the_numbered_scheme() {
        let base = Path::new("/var/log/site/access.log");
        assert_eq!(
            rotated(base, 1, false),
            Path::new("/var/log/site/access.log.1")
        );
        assert_eq!(
            rotated(base, 12, true),
            Path::new("/var/log/site/access.log.12.gz")
        );
        assert_eq!(
            with_suffix(base, ".1.gz.tmp"),
            Path::new("/var/log/site/access.log.1.gz.tmp")
        );
    }

    #[test]
    fn shifting_moves_the_run_fills_a_gap_and_drops_the_oldest() {
        let dir = std::env::temp_dir().join(format!("reqlog-shift-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let base = dir.join("a.log");
        for name in ["a.log.1", "a.log.2.gz", "a.log.4", "a.log.5"] {
            fs::write(dir.join(name), name).unwrap();
        }
        let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
        // The run is .1 .2: it moves up into the gap at .3; .4 and .5 stay.
        shift(&base, 5).unwrap();
        assert_eq!(read("a.log.1"), None);
        assert_eq!(read("a.log.2").as_deref(), Some("a.log.1"));
        assert_eq!(read("a.log.3.gz").as_deref(), Some("a.log.2.gz"));
        assert_eq!(read("a.log.4").as_deref(), Some("a.log.4"));
        // The run .2 … .5 reaches keep: .5 goes, the rest moves up.
        fs::write(dir.join("a.log.1"), "new").unwrap();
        shift(&base, 5).unwrap();
        assert_eq!(read("a.log.2").as_deref(), Some("new"));
        assert_eq!(read("a.log.3").as_deref(), Some("a.log.1"));
        assert_eq!(read("a.log.4.gz").as_deref(), Some("a.log.2.gz"));
        assert_eq!(read("a.log.5").as_deref(), Some("a.log.4"));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 4);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn days_change_at_utc_midnight() {
        let midnight = UNIX_EPOCH + Duration::from_secs(20_000 * 86_400);
        assert_eq!(utc_day(midnight - Duration::from_nanos(1)), 19_999);
        assert_eq!(utc_day(midnight), 20_000);
        assert_eq!(utc_day(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
