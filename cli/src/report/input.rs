//! Input: files or stdin, plain or gzip (by magic bytes), split into lines with a cap
//! on line length so a file without newlines cannot exhaust memory.

use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::parse::find_byte;

/// Read buffer size: large reads keep the system-call count low.
pub(crate) const BUFFER: usize = 256 * 1024;

/// Reads up to two bytes (fewer only at the end of input), retrying short reads.
pub(crate) fn read_magic(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut magic = [0u8; 2];
    let mut n = 0;
    while n < 2 {
        match input.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(magic[..n].to_vec())
}

/// Calls `f` with every line of `input` (without `\n`), or with `None` for a line longer
/// than `max` bytes, which is skipped. gzip input is decompressed (`*gzip` says so).
pub(crate) fn for_each_line(
    mut input: impl Read,
    max: usize,
    gzip: &mut bool,
    mut f: impl FnMut(Option<&[u8]>),
) -> io::Result<()> {
    let magic = read_magic(&mut input)?;
    let whole = io::Cursor::new(magic.clone()).chain(input);
    if magic == [0x1f, 0x8b] {
        *gzip = true;
        let decoder = MultiGzDecoder::new(BufReader::with_capacity(BUFFER, whole));
        split(BufReader::with_capacity(BUFFER, decoder), max, &mut f)
    } else {
        split(BufReader::with_capacity(BUFFER, whole), max, &mut f)
    }
}

/// Calls `f` with every line of `input`, as [`for_each_line`] does for plain input.
pub(crate) fn split(
    mut input: impl BufRead,
    max: usize,
    f: &mut impl FnMut(Option<&[u8]>),
) -> io::Result<()> {
    let mut lines = LineSplitter::new(max);
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        lines.feed(buf, f);
        let used = buf.len();
        input.consume(used);
    }
    // The last line had no newline: a file cut mid-write. Parse what is there.
    lines.finish(f);
    Ok(())
}

/// Cuts bytes that arrive piece by piece into lines of at most `max` bytes: a line
/// that spans two pieces is gathered, a longer one reported as `None` and skipped.
/// Shared by the one-pass reader and live mode, which feeds it what was appended.
#[derive(Debug)]
pub(crate) struct LineSplitter {
    /// The start of a line whose newline has not come yet.
    pending: Vec<u8>,
    /// The line being gathered passed `max`: the rest of it is dropped.
    skipping: bool,
    max: usize,
}

impl LineSplitter {
    pub(crate) fn new(max: usize) -> LineSplitter {
        LineSplitter {
            pending: Vec::new(),
            skipping: false,
            max,
        }
    }

    /// Calls `f` with every line that `bytes` completes; keeps the unfinished end.
    pub(crate) fn feed(&mut self, bytes: &[u8], f: &mut impl FnMut(Option<&[u8]>)) {
        let mut start = 0;
        while let Some(end) = find_byte(bytes, start, b'\n') {
            let piece = &bytes[start..end];
            if self.skipping {
                self.skipping = false;
            } else if self.pending.len() + piece.len() > self.max {
                self.pending.clear();
                f(None);
            } else if self.pending.is_empty() {
                f(Some(piece));
            } else {
                self.pending.extend_from_slice(piece);
                f(Some(&self.pending));
                self.pending.clear();
            }
            start = end + 1;
        }
        let rest = &bytes[start..];
        if !self.skipping && !rest.is_empty() {
            if self.pending.len() + rest.len() > self.max {
                self.pending = Vec::new();
                self.skipping = true;
                f(None);
            } else {
                self.pending.extend_from_slice(rest);
            }
        }
    }

    /// Calls `f` with the unfinished last line, if any (the input ended without its
    /// newline), and starts afresh.
    pub(crate) fn finish(&mut self, f: &mut impl FnMut(Option<&[u8]>)) {
        if !self.skipping && !self.pending.is_empty() {
            f(Some(&self.pending));
        }
        self.reset();
    }

    /// Drops the unfinished line (its start is gone: the file was truncated).
    pub(crate) fn reset(&mut self) {
        self.pending.clear();
        self.skipping = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(input: &[u8], max: usize) -> (Vec<Option<String>>, bool) {
        let mut out = Vec::new();
        let mut gzip = false;
        for_each_line(input, max, &mut gzip, |l| {
            out.push(l.map(|l| String::from_utf8_lossy(l).into_owned()))
        })
        .unwrap();
        (out, gzip)
    }

    #[test]
    fn splits_and_caps() {
        let (l, gz) = lines(b"a\nbb\n\nccc", 100);
        assert!(!gz);
        assert_eq!(
            l,
            [
                Some("a".into()),
                Some("bb".into()),
                Some("".into()),
                Some("ccc".into())
            ]
        );
        let (l, _) = lines(b"short\nthis line is too long\nok\n", 6);
        assert_eq!(l, [Some("short".into()), None, Some("ok".into())]);
        let (l, _) = lines(b"", 6);
        assert!(l.is_empty());
        let (l, _) = lines(b"x", 6);
        assert_eq!(l, [Some("x".into())]);
    }

    #[test]
    fn long_lines_across_buffers() {
        let mut input = vec![b'a'; BUFFER + 10];
        input.push(b'\n');
        input.extend_from_slice(b"next\n");
        input.extend(std::iter::repeat_n(b'b', 3 * BUFFER));
        input.extend_from_slice(b"\nlast");
        let (l, _) = lines(&input, BUFFER + 10);
        assert_eq!(l.len(), 4);
        assert_eq!(l[0].as_ref().map(String::len), Some(BUFFER + 10));
        assert_eq!(l[1].as_deref(), Some("next"));
        assert_eq!(l[2], None);
        assert_eq!(l[3].as_deref(), Some("last"));
    }

    #[test]
    fn gzip_members_and_truncation() {
        let gz = |text: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let mut both = gz(b"one\ntwo\n");
        both.extend(gz(b"three\n"));
        let (l, gzip) = lines(&both, 100);
        assert!(gzip);
        assert_eq!(l.len(), 3);
        let cut = &both[..both.len() / 3];
        let mut gzip = false;
        let result = for_each_line(cut, 100, &mut gzip, |_| {});
        assert!(result.is_err());
    }
}
