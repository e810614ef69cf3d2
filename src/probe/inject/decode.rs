//! Decoding one parameter value to the form the recognisers read.
//!
//! Two stages, each one linear pass from one scratch buffer into the other:
//!
//! 1. Percent: `%hh`, IIS `%uXXXX`, and on the first round from the raw query `+` as a
//!    space. Repeated while the output still holds an escape, at most [`ROUNDS`] times
//!    (`%25252e` is three rounds).
//! 2. Text: overlong UTF-8 of ASCII (`c0 ae`, also the IIS forms `%c1%1c` and
//!    `%c0%2e`, which keep the low six bits), full-width ASCII, look-alikes of `/`, `\`
//!    and `.`, HTML character references (numeric with any number of leading zeros,
//!    a set of named ones, with or without `;`), JavaScript escapes `\xhh`, `\uhhhh`,
//!    `\u{h…}`; NUL bytes dropped; ASCII folded to lower case.
//!
//! When the text stage decoded something that leaves a new escape (`&#37;32e`), both
//! stages run once more. The result is left in the first buffer.

/// Most percent rounds per value.
const ROUNDS: usize = 4;

/// Decodes `input` into `a` (`b` is scratch). `plus`: `+` means a space (raw query).
pub(super) fn decode(input: &[u8], plus: bool, a: &mut Vec<u8>, b: &mut Vec<u8>) {
    decode_with(input, plus, false, a, b);
}

/// As [`decode`]; `nul_space`: a C0 control byte between two word characters becomes a
/// space instead of vanishing (`1%00union%00select`, read again for SQL only: in a
/// path or a tag name the byte is junk, `java%00script`).
pub(super) fn decode_with(
    input: &[u8],
    plus: bool,
    nul_space: bool,
    a: &mut Vec<u8>,
    b: &mut Vec<u8>,
) {
    a.clear();
    let mut changed = percent(input, a, plus);
    for pass in 0..2 {
        let mut rounds = 1;
        while changed && rounds < ROUNDS && has_percent_escape(a) {
            b.clear();
            changed = percent(a, b, false);
            std::mem::swap(a, b);
            rounds += 1;
        }
        if !any_special(a) {
            // Nothing for the text stage but case.
            a.make_ascii_lowercase();
            return;
        }
        b.clear();
        let text_changed = text(a, b, nul_space);
        std::mem::swap(a, b);
        // Entities of entities (`&amp;#39;`) need one more text pass.
        let nested = a.windows(2).any(|w| w == b"&#") || a.windows(5).any(|w| w == b"&amp;");
        if pass == 1 || !text_changed || !(has_percent_escape(a) || nested) {
            break;
        }
        changed = true;
    }
}

/// Bytes the text stage does more with than fold case.
fn special(c: u8) -> bool {
    matches!(c, 0..=0x08 | 0x0e..=0x1f | b'&' | b'\\' | 0x80..)
}

/// Whether `v` holds a [`special`] byte: a reduction without an early exit, which the
/// compiler vectorises (the answer is usually no, so every byte is read anyway, and
/// `iter().any` cost about seven instructions a byte).
fn any_special(v: &[u8]) -> bool {
    v.iter().fold(false, |m, &b| m | special(b))
}

fn hex(b: u8) -> Option<u32> {
    let v = HEX[usize::from(b)];
    (v < 16).then_some(u32::from(v))
}

/// Each byte's hex digit value, 16 for none (a table load instead of `to_digit`'s
/// range tests).
static HEX: [u8; 256] = {
    let mut t = [16u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 16,
        };
        b += 1;
    }
    t
};

fn has_percent_escape(v: &[u8]) -> bool {
    super::any_at(v, b"%", |at| {
        let t = &v[at + 1..];
        (t.len() >= 2 && hex(t[0]).is_some() && hex(t[1]).is_some())
            || (t.len() >= 5 && (t[0] | 0x20) == b'u' && t[1..5].iter().all(|&c| hex(c).is_some()))
    })
}

/// One percent round; returns whether anything was decoded. `plus`: the first round,
/// from the raw query.
///
/// The output is sized to the input first (a round never lengthens a value: three bytes
/// become one, six at most three) and written by index: `Vec::push` per byte cost twice
/// the instructions, and the runs between escapes are too short for `memchr` and
/// `extend_from_slice` to pay off.
fn percent(input: &[u8], out: &mut Vec<u8>, plus: bool) -> bool {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let o = &mut out[start..];
    let mut n = 0;
    let mut changed = false;
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        let mut m = c;
        if c == b'%' {
            let t = &input[i + 1..];
            // In a later round, `%2%fe` is what is left of `%%32%%66e` (a broken double
            // encoding): its second `%` starts no escape.
            let broken = !plus && i >= 2 && input[i - 2] == b'%' && hex(input[i - 1]).is_some();
            if let (Some(&h), Some(&l), false) = (t.first(), t.get(1), broken) {
                if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                    o[n] = (h * 16 + l) as u8;
                    n += 1;
                    i += 3;
                    changed = true;
                    continue;
                }
            }
            if t.len() >= 5 && (t[0] | 0x20) == b'u' {
                let code = t[1..5]
                    .iter()
                    .try_fold(0u32, |v, &c| Some(v * 16 + hex(c)?));
                if let Some(code) = code {
                    let (bytes, len) = char_bytes(code);
                    o[n..n + len].copy_from_slice(&bytes[..len]);
                    n += len;
                    i += 6;
                    changed = true;
                    continue;
                }
            }
        } else if c == b'+' && plus {
            m = b' ';
        }
        o[n] = m;
        n += 1;
        i += 1;
    }
    out.truncate(start + n);
    changed
}

/// Appends a code point: ASCII and full-width ASCII as the ASCII byte, else UTF-8.
fn push_char(out: &mut Vec<u8>, code: u32) {
    let (bytes, len) = char_bytes(code);
    out.extend_from_slice(&bytes[..len]);
}

/// What [`push_char`] appends for `code`, in a buffer of four bytes: at most three for
/// a code point of four hex digits (`%uXXXX`), which [`percent`] relies on.
fn char_bytes(code: u32) -> ([u8; 4], usize) {
    let one = |b: u8| ([b, 0, 0, 0], 1);
    match code {
        0 => ([0; 4], 0),
        1..=0x7f => one(code as u8),
        // IIS best-fit mappings of private-use code points to separators.
        0xefc8 => one(b'/'),
        0xf025 => one(b'\\'),
        0xff01..=0xff5e => one((code - 0xfee0) as u8),
        _ => {
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut utf8 = [0; 4];
            let len = c.encode_utf8(&mut utf8).len();
            (utf8, len)
        }
    }
}

/// Named character references worth decoding (lower case: matched case-insensitively).
const ENTITIES: &[(&[u8], u8)] = &[
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"quot", b'"'),
    (b"apos", b'\''),
    (b"amp", b'&'),
    (b"colon", b':'),
    (b"tab", b'\t'),
    (b"newline", b'\n'),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"sol", b'/'),
    (b"bsol", b'\\'),
    (b"semi", b';'),
    (b"equals", b'='),
    (b"comma", b','),
    (b"period", b'.'),
    (b"excl", b'!'),
    (b"num", b'#'),
    (b"nbsp", b' '),
    (b"grave", b'`'),
    (b"lbrace", b'{'),
    (b"rbrace", b'}'),
    (b"lcub", b'{'),
    (b"rcub", b'}'),
    (b"lsqb", b'['),
    (b"rsqb", b']'),
    (b"lbrack", b'['),
    (b"rbrack", b']'),
    (b"dollar", b'$'),
    (b"percnt", b'%'),
    (b"ast", b'*'),
    (b"plus", b'+'),
    (b"quest", b'?'),
    (b"commat", b'@'),
    (b"verbar", b'|'),
    (b"vert", b'|'),
    (b"hat", b'^'),
];

/// A character reference at `t` (just after `&`): (code point, bytes consumed after `&`).
fn entity(t: &[u8]) -> Option<(u32, usize)> {
    if t.first() == Some(&b'#') {
        let (radix, mut j) = match t.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let start = j;
        let mut v: u32 = 0;
        while let Some(d) = t.get(j).and_then(|&c| (c as char).to_digit(radix)) {
            v = v.saturating_mul(radix).saturating_add(d).min(0x11_0000);
            j += 1;
        }
        if j == start {
            return None;
        }
        if t.get(j) == Some(&b';') {
            j += 1;
        }
        return Some((v, j));
    }
    let n = t
        .iter()
        .take(8)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let name = &t[..n];
    let &(_, ch) = ENTITIES
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(name))?;
    let used = if t.get(n) == Some(&b';') { n + 1 } else { n };
    Some((u32::from(ch), used))
}

/// A JavaScript escape at `t` (just after `\`): (code point, bytes consumed after `\`).
fn js_escape(t: &[u8]) -> Option<(u32, usize)> {
    let hexes = |s: &[u8]| s.iter().try_fold(0u32, |v, &c| Some(v * 16 + hex(c)?));
    match t.first()? {
        b'x' | b'X' if t.len() >= 3 => Some((hexes(&t[1..3])?, 3)),
        b'u' | b'U' if t.get(1) == Some(&b'{') => {
            let close = t.iter().take(10).position(|&c| c == b'}')?;
            Some((hexes(&t[2..close])?.min(0x11_0000), close + 1))
        }
        b'u' | b'U' if t.len() >= 5 => Some((hexes(&t[1..5])?, 5)),
        _ => None,
    }
}

/// Look-alike and overlong forms at `t` (a non-ASCII lead byte): (ASCII, bytes used).
fn utf8_ascii(t: &[u8]) -> Option<(u8, usize)> {
    let cont = |i: usize| t.get(i).copied();
    match t[0] {
        // Overlong two-byte forms; IIS also took any second byte's low six bits
        // (`%c1%1c` is `\`), and a stray `c0` before ASCII is dropped (`%c0%5c`).
        // IIS read the hex of a malformed escape after a lead byte loosely (a letter
        // past `f` counts on: `%c0%qf` and `%c0%9v` are `/`, `%c1%8s` is `\`).
        0xc0 | 0xc1 if cont(1)? == b'%' && lax_hex(t.get(2..4)?).is_some() => {
            let b = lax_hex(&t[2..4])?;
            Some((((t[0] & 1) << 6) | (b & 0x3f), 4))
        }
        0xc0 if cont(1)? < 0x80 => Some((t[1], 2)),
        // `%c1%1c` is `\`; before other ASCII a stray `c1` is dropped (`%c1%8s`).
        0xc1 if (0x20..0x80).contains(&cont(1)?) => Some((t[1], 2)),
        0xc0 | 0xc1 => {
            let b = cont(1)?;
            Some((((t[0] & 1) << 6) | (b & 0x3f), 2))
        }
        0xf8 if cont(1) == Some(0x80) && cont(2) == Some(0x80) && cont(3) == Some(0x80) => {
            let b = cont(4)?;
            Some((b & 0x3f | ((cont(3)? & 1) << 6), 5))
        }
        0xfc if (1..5).all(|k| cont(k) == Some(0x80)) => Some((cont(5)? & 0x3f, 6)),
        0xe0 if matches!(cont(1), Some(0x80 | 0x81)) => {
            let b = cont(2)?;
            Some((((t[1] & 1) << 6) | (b & 0x3f), 3))
        }
        0xf0 if cont(1) == Some(0x80) && matches!(cont(2), Some(0x80 | 0x81)) => {
            let b = cont(3)?;
            Some((((t[2] & 1) << 6) | (b & 0x3f), 4))
        }
        0xef => match (cont(1)?, cont(2)?) {
            (0xbc, c @ 0x81..=0xbf) => Some((c - 0x81 + 0x21, 3)),
            (0xbd, c @ 0x80..=0x9e) => Some((c - 0x80 + 0x60, 3)),
            (0xb9, 0x92) => Some((b'.', 3)),
            (0xb9, 0xa8) => Some((b'\\', 3)),
            _ => None,
        },
        0xe2 => match (cont(1)?, cont(2)?) {
            (0x88, 0x95) | (0x81, 0x84) => Some((b'/', 3)),
            (0x88, 0x96) => Some((b'\\', 3)),
            (0x80, 0xa4) => Some((b'.', 3)),
            // Typographic quotes, which some back ends fold to ASCII.
            (0x80, 0x98 | 0x99) => Some((b'\'', 3)),
            (0x80, 0x9c | 0x9d) => Some((b'"', 3)),
            _ => None,
        },
        0xc2 if cont(1) == Some(0xa0) => Some((b' ', 2)),
        0xe3 if cont(1) == Some(0x80) && cont(2) == Some(0x80) => Some((b' ', 3)),
        _ => None,
    }
}

/// Two alphanumerics read as IIS read hex digits (`q` is 26), when they are not hex.
fn lax_hex(t: &[u8]) -> Option<u8> {
    if t.iter().all(u8::is_ascii_hexdigit) || !t.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let d = |c: u8| match c.to_ascii_lowercase() {
        c @ b'0'..=b'9' => u32::from(c - b'0'),
        c => u32::from(c - b'a') + 10,
    };
    Some(((d(t[0]) * 16 + d(t[1])) & 0xff) as u8)
}

/// The text stage; returns whether anything but case folding changed.
fn text(input: &[u8], out: &mut Vec<u8>, nul_space: bool) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        match c {
            // NUL and other C0 controls but tab, LF, VT, FF and CR: junk to every parser
            // that matters here (`..%01/`).
            0..=0x08 | 0x0e..=0x1f => {
                // Dropped; with `nul_space`, between two word characters it separates
                // them as a space would.
                let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
                if nul_space && word(out.last()) && word(input.get(i + 1)) {
                    out.push(b' ');
                }
                changed = true;
                i += 1;
            }
            b'&' | b'\\' => {
                // An HTML character reference or a JavaScript escape.
                let rest = &input[i + 1..];
                let reference = if c == b'&' {
                    entity(rest)
                } else {
                    js_escape(rest)
                };
                match reference {
                    Some((code, used)) => {
                        push_char(out, code);
                        changed = true;
                        i += 1 + used;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            0x80.. => match utf8_ascii(&input[i..]) {
                Some((a, used)) => {
                    if a != 0 {
                        out.push(a.to_ascii_lowercase());
                    }
                    changed = true;
                    i += used;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            _ => {
                out.push(c.to_ascii_lowercase());
                i += 1;
            }
        }
    }
    // Bytes pushed by `push_char` were not folded; fold them now (ASCII only).
    if changed {
        out.make_ascii_lowercase();
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str, plus: bool) -> String {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        decode(s.as_bytes(), plus, &mut a, &mut b);
        String::from_utf8_lossy(&a).into_owned()
    }

    #[test]
    fn decodes_every_layer() {
        assert_eq!(d("%252e%252E%252f", true), "../");
        assert_eq!(d("%25252e", true), ".");
        assert_eq!(d("a+b%2bc", true), "a b+c");
        assert_eq!(d("a+b", false), "a+b");
        assert_eq!(d("%u002e%c0%ae%c0%af%c1%1c", true), "../\\");
        assert_eq!(d("%c0%2e%c0%2e%c0%2f", true), "../");
        assert_eq!(d("ＳＣＲＩＰＴ", true), "script");
        assert_eq!(d("jav&#x09;ascript&colon;", true), "jav\tascript:");
        assert_eq!(d("&#0000106&#97;v&Tab;a", true), "jav\ta");
        assert_eq!(d("&lt;IMG&gt;&quot;&amp;", true), "<img>\"&");
        assert_eq!(d("\\x3cscript\\u003e\\u{2f}", true), "<script>/");
        assert_eq!(d("a%00b", true), "ab");
        assert_eq!(d("..%00/", true), "../");
        assert_eq!(d("&#37;2e", true), ".");
        assert_eq!(d("AT&T c:\\new", true), "at&t c:\\new");
        assert_eq!(d("100%", true), "100%");
    }
}
