//! Percent-decoding to a fixed point, in one pass.
//!
//! Every byte is written to the output; when the output then ends in an escape (`%2e`,
//! `%u002e`, overlong UTF-8 `c0 ae`, full-width `ef bc 8e`), the escape is replaced by
//! what it stands for, which is itself written the same way. So nested encodings of any
//! depth (`%252e`, `%25%32%65`) decode in linear time, and the result contains no escape
//! left to decode. Plain bytes, most of any real request, skip all that through a table;
//! a query's go sixteen at a time when none needs more than case folding and `+`, and
//! its escapes of ASCII bytes are read in the same loop.

use crate::hex::hex_digit as hex;

use std::ops::Range;

pub(super) struct Decoded {
    pub(super) range: Range<usize>,
    pub(super) null_byte: bool,
    /// A CR or LF was written (paths only: in a query they are plain).
    pub(super) line_break: bool,
    /// Where a path stopped: the index of the raw `?` in the input.
    pub(super) stopped_at: Option<usize>,
    /// The decoded path is already in normal form. Only ever set when nothing needed
    /// decoding (otherwise [`canonicalize`] runs and decides).
    pub(super) canonical: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A path: `/`, `\`, `;` and `?` are structural; a raw `?` ends it if `stop_at_query`.
    Path { stop_at_query: bool },
    /// A query: `+` is a space.
    Query,
}

/// Byte-table entries: 0 for a byte that needs the reducing path (`%`, NUL, non-ASCII,
/// and in a path CR and LF, so that the reducing path can note them);
/// `STRUCTURAL | b` for a path's `/`, `;` and `?` (with `\` as `/`); otherwise the byte
/// folded (and in a query `+` as a space).
const STRUCTURAL: u8 = 0x80;

/// Appends the decoded form of `input` to `buf`.
pub(super) fn decode_into(buf: &mut Vec<u8>, input: &[u8], mode: Mode) -> Decoded {
    let table = match mode {
        Mode::Path { .. } => &PATH_BYTES,
        Mode::Query => &QUERY_BYTES,
    };
    let stop_at_query = mode
        == Mode::Path {
            stop_at_query: true,
        };
    let start = buf.len();
    buf.resize(start + input.len(), 0);
    let mut d = Decoder {
        out: &mut buf[start..],
        len: 0,
        null_byte: false,
        line_break: false,
    };
    // Plain bytes (most of any real path) are mapped through the table. Structural bytes
    // are written as they are, noting what would make the path not canonical. The rest,
    // and any byte right after an escape's `%`, take the reducing `push`.
    let mut plain_only = true;
    let mut careful = false;
    let mut stopped_at = None;
    let mut prev = 0;
    let mut i = 0;
    loop {
        if !careful && mode == Mode::Query {
            // A query has no structural bytes: plain runs go sixteen at a time, and
            // escapes of ASCII are read in the same loop.
            let (read, written) = query_run(&mut d.out[d.len..], &input[i..], &mut d.line_break);
            d.len += written;
            i += read;
            // An escape was decoded (as the shortcut below would have).
            plain_only &= read == written;
        } else if !careful {
            // A run of plain bytes (and `/`), written without index checks: the output
            // never gets ahead of the input, so the zip below never runs short.
            let mut n = 0;
            for (o, &b) in d.out[d.len..].iter_mut().zip(&input[i..]) {
                let t = table[usize::from(b)];
                let m = if t.wrapping_sub(1) < STRUCTURAL - 1 {
                    t
                } else if t == STRUCTURAL | b'/' {
                    plain_only &= !matches!(prev, b'/' | b'.' | b' ');
                    b'/'
                } else if t == STRUCTURAL | b';' {
                    // As the structural branch below writes it: `;params` make the path
                    // not canonical (the normal form cuts them).
                    plain_only = false;
                    b';'
                } else {
                    break;
                };
                *o = m;
                prev = m;
                n += 1;
            }
            d.len += n;
            i += n;
        }
        let Some(&b) = input.get(i) else {
            break;
        };
        // A `%hh` standing for an ASCII byte other than `%` and NUL, with no escape open
        // before it: nothing before it can combine with it (no `%` in the last five
        // bytes) and an ASCII byte completes no UTF-8 reduction, so it is written at
        // once, as `push` would write it, without the byte-by-byte reductions (packed
        // escapes cost six times an ordinary path that way).
        if b == b'%' && !careful {
            if let Some(m) = ascii_escape(input, i) {
                d.line_break |= m == b'\r' || m == b'\n';
                d.put(m);
                plain_only = false;
                prev = m;
                i += 3;
                continue;
            }
        }
        let t = table[usize::from(b)];
        if t == STRUCTURAL | b'?' && stop_at_query {
            stopped_at = Some(i);
            break;
        }
        if t & STRUCTURAL != 0 && !careful {
            // `;`, a `?` kept in the path, or a `/` right after an escape's `%`: none can
            // complete an escape, so no reduction to try.
            let m = t & !STRUCTURAL;
            if m == b';' || (m == b'/' && matches!(prev, b'/' | b'.' | b' ')) {
                plain_only = false;
            }
            d.put(m);
        } else {
            plain_only = false;
            d.push(if t == 0 { b } else { t & !STRUCTURAL });
            careful = d.escape_pending();
        }
        prev = d.len.checked_sub(1).map_or(0, |p| d.out[p]);
        i += 1;
    }
    let (len, null_byte, line_break) = (d.len, d.null_byte, d.line_break);
    buf.truncate(start + len);
    let out = &buf[start..];
    // `//`, `/./`, `/../` and segments ending in a dot or space were caught above.
    let canonical =
        plain_only && out.first() == Some(&b'/') && !matches!(out.last(), Some(b'.' | b' '));
    Decoded {
        range: start..buf.len(),
        null_byte,
        line_break,
        stopped_at,
        canonical,
    }
}

/// Bytes per step of [`query_run`].
const LANES: usize = 16;

/// What the `%hh` at `input[i]` is written as when it stands for an ASCII byte other
/// than `%` and NUL (`\\` as `/`, folded), read at once when no escape is open before
/// it: nothing can combine with it (see [`decode_into`]).
#[inline]
fn ascii_escape(input: &[u8], i: usize) -> Option<u8> {
    let h = hex(*input.get(i + 1)?)?;
    let l = hex(*input.get(i + 2)?)?;
    let v = (h << 4) | l;
    if v == b'%' || v == 0 || v >= 0x80 {
        return None;
    }
    Some(if v == b'\\' { b'/' } else { fold(v) })
}

/// Decodes the start of a query's `input` into `out` (which is at least as long) while
/// no escape is open: plain bytes as [`QUERY_BYTES`] maps them and `%hh` escapes of
/// ASCII as [`ascii_escape`] does, up to a byte that needs the reducing path. Returns
/// the bytes read and written; a CR or LF from an escape sets `line_break`. Sixteen bytes without a control, `%`, `\` or non-ASCII
/// byte are mapped at once by arithmetic that the compiler turns into a few vector
/// instructions (the table costs about ten instructions a byte, and the query is most
/// of a long target); the sixteen bytes from one that is not go through the table.
fn query_run(out: &mut [u8], input: &[u8], line_break: &mut bool) -> (usize, usize) {
    let (mut r, mut w) = (0, 0);
    loop {
        while let (Some(src), Some(dst)) = (input.get(r..r + LANES), out.get_mut(w..w + LANES)) {
            let (Ok(src), Ok(dst)) = (
                <&[u8; LANES]>::try_from(src),
                <&mut [u8; LANES]>::try_from(dst),
            ) else {
                break;
            };
            if !fold_lanes(src, dst) {
                break;
            }
            r += LANES;
            w += LANES;
        }
        // Sixteen bytes (or the rest) one at a time, up to one that needs more.
        let end = input.len().min(r + LANES);
        while r < end {
            let t = QUERY_BYTES[usize::from(input[r])];
            if t != 0 {
                out[w] = t;
                r += 1;
            } else if let Some(m) = ascii_escape(input, r) {
                *line_break |= m == b'\r' || m == b'\n';
                out[w] = m;
                r += 3;
            } else {
                return (r, w);
            }
            w += 1;
        }
        if r >= input.len() {
            return (r, w);
        }
    }
}

/// [`QUERY_BYTES`] on sixteen bytes that hold no control, `%`, `\` or non-ASCII byte
/// (the only ones it maps otherwise than `+` to a space and case folding): `false`,
/// and nothing written, when they do. Branch-free so that it vectorises.
#[inline]
fn fold_lanes(src: &[u8; LANES], dst: &mut [u8; LANES]) -> bool {
    let odd = src.iter().fold(false, |m, &b| {
        m | !(b' '..0x80).contains(&b) | (b == b'%') | (b == b'\\')
    });
    if odd {
        return false;
    }
    for (o, &b) in dst.iter_mut().zip(src) {
        let b = b | (u8::from(b.is_ascii_uppercase()) << 5);
        *o = if b == b'+' { b' ' } else { b };
    }
    true
}

/// Decodes into a slice sized to the input: decoding never makes the output longer than
/// the input read so far (every reduction replaces at least two bytes with at most one,
/// or six with at most three), so the slice cannot overflow, and a write index instead of
/// `Vec::push` keeps the hot loop in registers.
struct Decoder<'a> {
    out: &'a mut [u8],
    len: usize,
    null_byte: bool,
    line_break: bool,
}

impl Decoder<'_> {
    /// Appends a byte without trying reductions.
    #[inline]
    fn put(&mut self, b: u8) {
        self.out[self.len] = b;
        self.len += 1;
    }

    /// Whether the next ASCII byte could complete an escape: a `%` among the last five
    /// bytes (`%uXXXX` is the longest). Non-ASCII reductions need a non-ASCII byte.
    fn escape_pending(&self) -> bool {
        self.out[self.len.saturating_sub(5)..self.len].contains(&b'%')
    }

    /// Pushes one byte, then reduces the tail while it ends in something encoded.
    ///
    /// Invariant: the output never contains a reducible sequence, except one that ends at
    /// the byte just pushed; so checking the tail is enough, and each reduction shrinks
    /// the output, which bounds the total work by the input length.
    fn push(&mut self, mut b: u8) {
        loop {
            if b == 0 {
                self.null_byte = true;
                return;
            }
            if b == b'\\' {
                b = b'/';
            }
            self.line_break |= b == b'\r' || b == b'\n';
            self.put(fold(b));
            match self.reduce() {
                Some(next) => b = next,
                None => return,
            }
        }
    }

    /// If the tail is an escape, replaces it and returns the ASCII byte to push next.
    fn reduce(&mut self) -> Option<u8> {
        let t = &self.out[..self.len];
        let n = t.len();
        // %hh
        if n >= 3 && t[n - 3] == b'%' {
            if let (Some(h), Some(l)) = (hex(t[n - 2]), hex(t[n - 1])) {
                self.len -= 3;
                let v = (h << 4) | l;
                if v < 0x80 {
                    return Some(v);
                }
                // A raw high byte: part of a UTF-8 sequence, or an overlong form that the
                // checks below reduce once its continuation bytes arrive.
                self.put(v);
                return self.reduce_utf8();
            }
        }
        // %uXXXX (IIS)
        if n >= 6 && t[n - 6] == b'%' && t[n - 5] == b'u' {
            let code = t[n - 4..]
                .iter()
                .try_fold(0u32, |v, &c| Some((v << 4) | u32::from(hex(c)?)));
            if let Some(v) = code {
                self.len -= 6;
                if let Some(a) = ascii_for(v) {
                    return Some(a);
                }
                let c = char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut utf8 = [0; 4];
                // A non-ASCII, non-full-width char: it cannot complete any escape.
                for &b in c.encode_utf8(&mut utf8).as_bytes() {
                    self.put(b);
                }
                return None;
            }
        }
        self.reduce_utf8()
    }

    /// Overlong UTF-8 of ASCII (`c0 af` is `/`) and full-width ASCII (`ef bc 8e` is `.`).
    fn reduce_utf8(&mut self) -> Option<u8> {
        let t = &self.out[..self.len];
        let n = t.len();
        let cont = |b: u8| (0x80..=0xbf).contains(&b);
        let (len, v) = if n >= 2 && (t[n - 2] == 0xc0 || t[n - 2] == 0xc1) && cont(t[n - 1]) {
            (2, ((t[n - 2] & 0x1f) << 6) | (t[n - 1] & 0x3f))
        } else if n >= 3
            && t[n - 3] == 0xe0
            && (t[n - 2] == 0x80 || t[n - 2] == 0x81)
            && cont(t[n - 1])
        {
            (3, ((t[n - 2] & 0x3f) << 6) | (t[n - 1] & 0x3f))
        } else if n >= 4
            && t[n - 4] == 0xf0
            && t[n - 3] == 0x80
            && (t[n - 2] == 0x80 || t[n - 2] == 0x81)
            && cont(t[n - 1])
        {
            (4, ((t[n - 2] & 0x3f) << 6) | (t[n - 1] & 0x3f))
        } else if n >= 3
            && t[n - 3] == 0xef
            && t[n - 2] == 0xbc
            && (0x81..=0xbf).contains(&t[n - 1])
        {
            (3, t[n - 1] - 0x81 + 0x21)
        } else if n >= 3
            && t[n - 3] == 0xef
            && t[n - 2] == 0xbd
            && (0x80..=0x9e).contains(&t[n - 1])
        {
            (3, t[n - 1] - 0x80 + 0x60)
        } else {
            return None;
        };
        self.len -= len;
        Some(v)
    }
}

/// ASCII case folding; tab, vertical tab and form feed become a space.
const fn fold(b: u8) -> u8 {
    match b {
        b'\t' | 0x0b | 0x0c => b' ',
        _ => b.to_ascii_lowercase(),
    }
}

/// The decoder's byte table for a path or a query (see [`STRUCTURAL`]).
const fn byte_table(query: bool) -> [u8; 256] {
    let mut t = [0; 256];
    let mut b = 1;
    while b < 0x80 {
        t[b] = match b as u8 {
            b'%' => 0,
            b'\r' | b'\n' if !query => 0,
            b'+' if query => b' ',
            b'\\' if query => b'/',
            b'\\' => STRUCTURAL | b'/',
            c @ (b'/' | b';' | b'?') if !query => STRUCTURAL | c,
            c => fold(c),
        };
        b += 1;
    }
    t
}

static PATH_BYTES: [u8; 256] = byte_table(false);
static QUERY_BYTES: [u8; 256] = byte_table(true);

/// The ASCII byte a `%uXXXX` code point stands for: itself, or a full-width form.
fn ascii_for(v: u32) -> Option<u8> {
    match v {
        0..=0x7f => u8::try_from(v).ok(),
        0xff01..=0xff5e => u8::try_from(v - 0xfee0).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn query_runs_map_as_the_table_does(input in proptest::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => any::<u8>(), 1 => Just(b'%'), 1 => Just(b'2'), 1 => Just(b'5')], 0..80)) {
            // The reference: the table, then the `%hh` shortcut, byte by byte.
            let (mut r, mut mapped) = (0, Vec::new());
            while let Some(&b) = input.get(r) {
                let t = QUERY_BYTES[usize::from(b)];
                if t != 0 {
                    mapped.push(t);
                    r += 1;
                } else if let Some(m) = ascii_escape(&input, r) {
                    mapped.push(m);
                    r += 3;
                } else {
                    break;
                }
            }
            let mut out = vec![0; input.len()];
            let (read, written) = query_run(&mut out, &input, &mut false);
            prop_assert_eq!((read, written), (r, mapped.len()));
            prop_assert_eq!(&out[..written], &mapped[..]);
        }
    }
}
