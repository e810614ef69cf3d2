//! Robots.txt path patterns: the percent-encoding normal form both sides are compared
//! in (RFC 9309 §2.2.2), and `*` / `$` matching without allocation.

use crate::hex::hex_digit as hex;

use std::borrow::Cow;
use std::cell::RefCell;

/// A rule's path pattern, in normal form, with `$` taken off the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pattern {
    /// The normal form, `*` kept as the wildcard.
    text: Box<[u8]>,
    /// The pattern ended in `$`: the path must end where the pattern does.
    anchored: bool,
    /// Priority: the pattern's length in octets as written in normal form (`*` and `$`
    /// included), as Google counts it.
    pub(super) len: u32,
}

impl Pattern {
    /// `None` for an empty value (`Disallow:` allows everything: it is no rule).
    pub(super) fn new(value: &[u8]) -> Option<Pattern> {
        if value.is_empty() {
            return None;
        }
        let normal = normalize(value);
        let len = u32::try_from(normal.len()).unwrap_or(u32::MAX);
        let (text, anchored) = match normal.strip_suffix(b"$") {
            Some(rest) => (rest, true),
            None => (&normal[..], false),
        };
        Some(Pattern {
            text: text.into(),
            anchored,
            len,
        })
    }

    /// Whether the pattern matches `path` (already in normal form) from its start.
    pub(super) fn matches(&self, path: &[u8]) -> bool {
        let mut segments = self.text.split(|&b| b == b'*');
        let first = segments.next().unwrap_or_default();
        if !path.starts_with(first) {
            return false;
        }
        let mut pos = first.len();
        let mut segments = segments.peekable();
        if segments.peek().is_none() {
            return !self.anchored || pos == path.len();
        }
        while let Some(segment) = segments.next() {
            let last = segments.peek().is_none();
            if last && self.anchored {
                // After a `*`, the last piece must end the path.
                return path.len() >= pos + segment.len() && path.ends_with(segment);
            }
            // Leftmost placement of each piece is never worse for the pieces after it.
            match find(&path[pos..], segment) {
                Some(at) => pos += at + segment.len(),
                None => return false,
            }
        }
        true
    }
}

/// The first index of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let mut from = 0;
    while from + needle.len() <= hay.len() {
        let at = from
            + hay[from..=hay.len() - needle.len()]
                .iter()
                .position(|&b| b == first)?;
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Bytes that must be percent-encoded before comparison: outside printable ASCII, or
/// not allowed raw in a URI (RFC 3986).
fn must_encode(b: u8) -> bool {
    !(0x21..0x7F).contains(&b)
        || matches!(
            b,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `b` is already in normal form (most paths are: nothing to copy).
fn is_normal(b: &[u8]) -> bool {
    !b.iter().any(|&c| c == b'%' || must_encode(c))
}

/// Appends the normal form of `b`: `%XX` of an unreserved character decoded, other
/// escapes kept with upper-case hex, raw octets outside the URI alphabet encoded — so
/// `/%62az`, `/baz` compare equal, and so do `/caf%C3%A9`, `/café`.
fn normalize_into(b: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                let v = h << 4 | l;
                if unreserved(v) {
                    out.push(v);
                } else {
                    out.extend_from_slice(&[b'%', HEX[usize::from(h)], HEX[usize::from(l)]]);
                }
                i += 3;
                continue;
            }
            // A stray `%` is encoded, as a browser would send it.
            out.extend_from_slice(b"%25");
        } else if must_encode(c) {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        } else {
            out.push(c);
        }
        i += 1;
    }
}

/// The normal form of a pattern or path.
pub(super) fn normalize(b: &[u8]) -> Cow<'_, [u8]> {
    if is_normal(b) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    normalize_into(b, &mut out);
    Cow::Owned(out)
}

thread_local! {
    /// Reused for request targets that need normalising: no allocation once warm.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the normal form of a request target, without allocating once the
/// thread's buffer has grown (most targets need no copy at all).
pub(super) fn with_normal<R>(target: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    if is_normal(target) {
        return f(target);
    }
    BUF.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            normalize_into(target, &mut buf);
            let r = f(&buf);
            if buf.capacity() > 64 * 1024 {
                *buf = Vec::new();
            }
            r
        }
        Err(_) => f(&normalize(target)),
    })
}
