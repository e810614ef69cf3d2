//! Live mode (`reqlog report --follow FILE`): keeps reading a log as it grows and as it
//! is rotated, and redraws the report every few seconds.
//!
//! The file is polled (a `stat` and a read per poll, no inotify): polling sees a
//! rotation the same way on every system and on network file systems, and costs
//! nothing worth a dependency at a poll every quarter of a second. A file replaced by
//! a new one (another inode or device) is read to its end before the new one is read
//! from its start; a file shorter than what was read (truncated by `copytruncate`) is
//! read again from its start. A line without its newline yet is kept until the newline
//! comes. Lines are counted into the same report as they arrive, by the same code as a
//! one-pass read, so the summaries keep accumulating with the same memory bounds.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cli::Output;
use super::input::{read_magic, LineSplitter, BUFFER};
use super::summary::FileRow;
use super::{count_line, Report, MAX_LINE};

/// Which file a path names: its device and inode (Unix), to see a rotation.
#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inodes a replaced file is only seen when it is shorter (a truncation).
#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// What a poll saw besides new lines, for the messages on standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing but (maybe) new lines.
    None,
    /// The path now names another file: the old one was read to its end.
    Rotated,
    /// The file got shorter than what was read: read again from its start.
    Truncated,
}

/// A log file followed across appends, rotations and truncations.
#[derive(Debug)]
pub(crate) struct Follower {
    path: PathBuf,
    /// The open file, its identity and how far it was read.
    file: Option<(File, (u64, u64))>,
    offset: u64,
    /// A line whose newline has not come yet waits here.
    lines: LineSplitter,
    buf: Vec<u8>,
}

impl Follower {
    /// Follows `path`; lines longer than `max` are reported as `None` and skipped.
    pub(crate) fn new(path: &Path, max: usize) -> Follower {
        Follower {
            path: path.to_owned(),
            file: None,
            offset: 0,
            lines: LineSplitter::new(max),
            buf: vec![0; BUFFER],
        }
    }

    /// Reads what was appended since the last poll and calls `f` with each whole line
    /// (without `\n`), or `None` for a line longer than the cap. A missing file is not
    /// an error: it is waited for (a rotation may be between its two steps).
    pub(crate) fn poll(&mut self, f: &mut impl FnMut(Option<&[u8]>)) -> io::Result<Change> {
        let mut change = Change::None;
        if self.file.is_none() && !self.open()? {
            return Ok(change);
        }
        if let Some((file, _)) = &self.file {
            if file.metadata()?.len() < self.offset {
                change = Change::Truncated;
                self.restart();
            }
        }
        self.read_to_end(f)?;
        // The old file was read to its end above; now see whether the path moved on.
        let now = match fs::metadata(&self.path) {
            Ok(meta) => Some(identity(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let same = matches!((&self.file, now), (Some((_, id)), Some(now)) if *id == now);
        if !same && now.is_some() {
            // The last line of a rotated file will get no newline: count it as it is.
            self.lines.finish(f);
            self.file = None;
            change = Change::Rotated;
            if self.open()? {
                self.read_to_end(f)?;
            }
        }
        Ok(change)
    }

    /// Opens the path from its start; `false` if it does not exist (yet).
    fn open(&mut self) -> io::Result<bool> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let id = identity(&file.metadata()?);
        self.file = Some((file, id));
        self.restart();
        Ok(true)
    }

    /// Reads the open file again from its start; a partial line is dropped (its start
    /// is gone).
    fn restart(&mut self) {
        self.offset = 0;
        self.lines.reset();
    }

    fn read_to_end(&mut self, f: &mut impl FnMut(Option<&[u8]>)) -> io::Result<()> {
        let Some((file, _)) = &mut self.file else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(self.offset))?;
        loop {
            let n = match file.read(&mut self.buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.offset += n as u64;
            self.lines.feed(&self.buf[..n], f);
        }
    }
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory,
/// then renamed over `path`, so a reader (a browser reloading the page) never sees a
/// half-written file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the output path names no file"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let written = File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_data()
    });
    match written.and_then(|()| fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// The page with a `<meta http-equiv="refresh">`, so a browser reloads it every
/// `seconds` without any script.
pub(crate) fn refreshing(page: String, seconds: u64) -> String {
    let head = "<meta charset=\"utf-8\">";
    page.replacen(
        head,
        &format!("{head}\n<meta http-equiv=\"refresh\" content=\"{seconds}\">"),
        1,
    )
}

/// What live mode writes at each redraw.
#[derive(Debug)]
pub(crate) struct Outputs {
    /// `-o FILE` and its format, rewritten atomically.
    pub(crate) file: Option<(PathBuf, Output)>,
    /// `--html FILE`, rewritten atomically.
    pub(crate) html: Option<PathBuf>,
    /// Without `-o`: JSON (`--json`) or the text tables on standard output.
    pub(crate) json: bool,
    pub(crate) color: bool,
    /// Seconds between redraws (and the page's refresh).
    pub(crate) interval: u64,
}

/// Follows `path` into `report` until SIGINT or SIGTERM, redrawing every
/// `outputs.interval` seconds, then reads what is left and writes the report a last
/// time. Returns whether every write and read went well.
pub(crate) fn run(report: &mut Report, path: &Path, outputs: &Outputs) -> bool {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("reqlog: error: cannot catch Ctrl-C: {e}");
            return false;
        }
    }
    let name = path.display().to_string();
    // Live mode reads text as it is appended; a compressed file is a finished one.
    let magic = File::open(path).and_then(|mut file| read_magic(&mut file));
    if magic.is_ok_and(|m| m == [0x1f, 0x8b]) {
        eprintln!("reqlog: error: {name} is gzip-compressed: --follow reads a plain log as it grows; report it without --follow");
        return false;
    }
    report.files.push(FileRow {
        name: name.clone(),
        lines: 0,
        gzip: false,
        error: None,
    });
    let mut follower = Follower::new(path, MAX_LINE);
    let interval = Duration::from_secs(outputs.interval);
    let terminal = outputs.file.is_none() && io::stdout().is_terminal();
    let mut ok = true;
    let mut last_error = None;
    let mut next_draw = Instant::now();
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let before = report.stats.input.lines;
        let stats = &mut report.stats;
        let filter = &report.options.filter;
        let polled = follower.poll(&mut |line| count_line(stats, filter, line));
        let read = report.stats.input.lines - before;
        if let Some(row) = report.files.last_mut() {
            row.lines += read;
        }
        match polled {
            Ok(Change::None) => last_error = None,
            Ok(Change::Rotated) => eprintln!("reqlog: {name} was replaced: reading the new file"),
            Ok(Change::Truncated) => eprintln!("reqlog: {name} was truncated: reading it again"),
            // Said once, not at every poll; following goes on (the disk may come back).
            Err(e) => {
                if last_error.as_ref() != Some(&e.to_string()) {
                    eprintln!("reqlog: error: reading {name}: {e}; still trying");
                }
                last_error = Some(e.to_string());
            }
        }
        if stopping || Instant::now() >= next_draw {
            ok &= draw(report, outputs, terminal);
            next_draw = Instant::now() + interval;
        }
        if stopping {
            return ok && last_error.is_none();
        }
        std::thread::sleep(POLL.min(interval));
    }
}

/// How often the file is polled.
const POLL: Duration = Duration::from_millis(250);

fn draw(report: &Report, outputs: &Outputs, terminal: bool) -> bool {
    let mut ok = true;
    if let Some((path, kind)) = &outputs.file {
        let bytes = match kind {
            Output::Html => Ok(refreshing(report.html(), outputs.interval).into_bytes()),
            Output::Json => Ok(report.json().into_bytes()),
            Output::Text => {
                let mut text = Vec::new();
                report.write_text(&mut text, false).map(|()| text)
            }
        };
        if let Err(e) = bytes.and_then(|b| write_atomic(path, &b)) {
            eprintln!("reqlog: error: cannot write {}: {e}", path.display());
            ok = false;
        }
    } else {
        let mut out = Vec::new();
        if terminal {
            // Home and clear: the view is redrawn in place.
            out.extend_from_slice(b"\x1b[H\x1b[2J");
        }
        let rendered = if outputs.json {
            out.extend_from_slice(report.json().as_bytes());
            out.push(b'\n');
            Ok(())
        } else {
            report.write_text(&mut out, outputs.color)
        };
        let mut stdout = io::stdout().lock();
        match rendered
            .and_then(|()| stdout.write_all(&out))
            .and_then(|()| stdout.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                eprintln!("reqlog: error: cannot write the report: {e}");
                ok = false;
            }
        }
    }
    if let Some(path) = &outputs.html {
        let page = refreshing(report.html(), outputs.interval);
        if let Err(e) = write_atomic(path, page.as_bytes()) {
            eprintln!("reqlog: error: cannot write {}: {e}", path.display());
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("reqlog-follow-{name}-{}", std::process::id()))
    }

    fn poll(follower: &mut Follower) -> (Vec<String>, Change) {
        let mut lines = Vec::new();
        let change = follower
            .poll(&mut |l: Option<&[u8]>| {
                lines.push(l.map_or("(long)".into(), |l| String::from_utf8_lossy(l).into()))
            })
            .unwrap();
        (lines, change)
    }

    fn append(path: &Path, text: &str) {
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn appends_partial_lines_rotation_and_truncation() {
        let path = temp("log");
        let rotated = temp("log.1");
        let _ = fs::remove_file(&path);
        let mut follower = Follower::new(&path, 10);
        assert_eq!(poll(&mut follower), (vec![], Change::None));
        append(&path, "one\ntw");
        assert_eq!(poll(&mut follower).0, ["one"]);
        append(&path, "o\nthis line is too long\nthr");
        assert_eq!(poll(&mut follower).0, ["two", "(long)"]);
        // Rotation: the old file gets its last bytes after the rename, then a new file.
        fs::rename(&path, &rotated).unwrap();
        append(&rotated, "ee");
        append(&path, "four\n");
        assert_eq!(
            poll(&mut follower),
            (vec!["three".into(), "four".into()], Change::Rotated)
        );
        // copytruncate: the file is emptied in place, then written again.
        fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        append(&path, "5\n");
        assert_eq!(poll(&mut follower), (vec!["5".into()], Change::Truncated));
        assert_eq!(poll(&mut follower), (vec![], Change::None));
        // Removed, then created again later.
        fs::remove_file(&path).unwrap();
        assert_eq!(poll(&mut follower).0, Vec::<String>::new());
        append(&path, "six\n");
        assert_eq!(poll(&mut follower), (vec!["six".into()], Change::Rotated));
        fs::remove_file(&path).ok();
        fs::remove_file(&rotated).ok();
    }

    #[test]
    fn atomic_write_and_refresh() {
        let path = temp("out.html");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let page = refreshing("<html><head><meta charset=\"utf-8\"></head>".into(), 3);
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"3\">"));
        fs::remove_file(&path).ok();
    }
}
