//! A SQL lexer over a decoded, lower-case value, after libinjection's token classes.
//!
//! Token kinds (one byte each, as in libinjection's fingerprints):
//! `s` string, `1` number (and `null`/`true`/`false`), `n` bareword, `v` variable
//! (`@x`, `@@version`), `f` function (a word followed by `(`), `F` a function that only
//! an attack calls (timing, file, network, command and error-forcing functions, any
//! `xp_`/`sp_` procedure), `E` statement keyword, `U` set operator (`union [all]`),
//! `k` clause keyword that can follow a value (`having`, `order by`, `group by`,
//! `limit`, `where`, `into`, `procedure`, `offset`), `K` other keyword, `&` logic
//! (`and`, `or`, `xor`, `&&`, `||`), `o` comparison (`=`, `<>`, `like`, `in`, `is`,
//! `between`, `regexp`, …), `a` arithmetic or bit operator, `N` `not`, `c` comment
//! (`--`, `#`, an unclosed `/*`), `(` `)` `,` `;`, and `x` anything else.
//!
//! Closed `/* … */` comments are whitespace; MySQL's `/*! … */` is code.

use super::keywords::{classify, dangerous, strong};

/// A token: its kind, and for a few keywords a tag the grammar looks at.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) struct Tok {
    pub(super) kind: u8,
    pub(super) tag: u8,
    /// A hash of a bare word's text (0 for other tokens), to see `x=x`.
    pub(super) word: u32,
}

// Tags.
pub(super) const T_SELECT: u8 = b'L';
pub(super) const T_DELETE: u8 = b'e';
pub(super) const T_UPDATE: u8 = b'u';
pub(super) const T_INSERT: u8 = b'i';
pub(super) const T_DROP: u8 = b'r';
pub(super) const T_DDL: u8 = b'c';
pub(super) const T_EXEC: u8 = b'X';
pub(super) const T_DECLARE: u8 = b'd';
pub(super) const T_WAITFOR: u8 = b'w';
pub(super) const T_SHUTDOWN: u8 = b'h';
pub(super) const T_FROM: u8 = b'F';
pub(super) const T_OBJECT: u8 = b'T';
pub(super) const T_INTO: u8 = b'I';
pub(super) const T_WHERE: u8 = b'W';
pub(super) const T_SET: u8 = b'S';
pub(super) const T_STAR: u8 = b'*';
/// `outfile`, `dumpfile`, `infile`.
pub(super) const T_FILE: u8 = b'f';
/// An operator spelled as a word (`like`, `is`, `in`).
pub(super) const T_WORD: u8 = b'w';
/// A line comment with text right after its marker (`#2 mom`, `--infant`).
pub(super) const T_TEXT: u8 = b't';
/// A line comment with nothing but spaces and dashes after its marker (`1--`, `1 -- -`).
pub(super) const T_EMPTY: u8 = b'0';
/// A system variable (`@@version`).
pub(super) const T_SYSVAR: u8 = b'@';
/// A string the value does not close (the application's own quote would).
pub(super) const T_OPEN: u8 = b'o';
/// `case`, `when`, `then`, `end`: the parts of a `CASE` expression.
pub(super) const T_CASE: u8 = b'C';
pub(super) const T_WHEN: u8 = b'H';
pub(super) const T_THEN: u8 = b'N';
pub(super) const T_END: u8 = b'D';
/// Keywords that start a statement in a batch (`use`, `call`, `begin`, `load`, …).
pub(super) const T_BATCH: u8 = b'B';
/// A function from [`strong`] (on `F` tokens).
pub(super) const T_STRONG: u8 = b'!';

pub(super) struct Lexer<'a> {
    s: &'a [u8],
    pub(super) i: usize,
    /// A comment served as whitespace between tokens (`1/**/union`, `#x\nunion`).
    pub(super) hidden: bool,
}

fn word_byte(b: u8) -> bool {
    WORD[usize::from(b)]
}

/// The bytes of a word: letters, digits, `_`, `$`, `.` and non-ASCII (one load instead
/// of five range tests, on the lexer's most frequent question).
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.') || c >= 0x80;
        b += 1;
    }
    t
};

impl<'a> Lexer<'a> {
    pub(super) fn new(s: &'a [u8], i: usize) -> Self {
        Lexer {
            s,
            i,
            hidden: false,
        }
    }

    fn peek(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn skip_space(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            if b <= b' ' || b == 0x7f {
                self.i += 1;
            } else if b == b'*' && self.peek(1) == b'/' {
                // The end of a `/*!` block (or a stray one): whitespace.
                self.i += 2;
            } else {
                return;
            }
        }
    }

    /// The end of a string opened at `self.i` (the quote), or the input's end.
    pub(super) fn string_end(s: &[u8], open: usize) -> Option<usize> {
        let q = s[open];
        let mut j = open + 1;
        // Only a quote or a backslash matters: `memchr2` skips the text between them
        // (an unclosed string is read to the end of the value, often most of it).
        while let Some(p) = memchr::memchr2(q, b'\\', s.get(j..)?) {
            j += p;
            if s[j] == b'\\' || s.get(j + 1) == Some(&q) {
                // An escaped byte, or a doubled quote.
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        None
    }

    /// Whether the next non-space byte is `(`.
    fn paren_follows(&self, mut j: usize) -> bool {
        while let Some(&b) = self.s.get(j) {
            if b <= b' ' {
                j += 1;
            } else if b == b'/' && self.s.get(j + 1) == Some(&b'*') {
                match self.s[j + 2..].windows(2).position(|w| w == b"*/") {
                    Some(p) => j += p + 4,
                    None => return false,
                }
            } else {
                return b == b'(';
            }
        }
        false
    }

    /// After `union`/`order`/`group`: consumes an optional following word (`all`, `by`).
    fn absorb(&mut self, words: &[&[u8]]) {
        let save = self.i;
        self.skip_space();
        // Closed comments between the words (`union/**/all`).
        while self.peek(0) == b'/' && self.peek(1) == b'*' && self.peek(2) != b'!' {
            match self.s[self.i + 2..].windows(2).position(|w| w == b"*/") {
                Some(p) => self.i += p + 4,
                None => break,
            }
            self.skip_space();
        }
        let start = self.i;
        while self.s.get(self.i).is_some_and(|&b| b.is_ascii_alphabetic()) {
            self.i += 1;
        }
        if !words.contains(&&self.s[start..self.i]) {
            self.i = save;
        }
    }

    pub(super) fn next_tok(&mut self) -> Option<Tok> {
        let t = |kind| {
            Some(Tok {
                kind,
                tag: 0,
                word: 0,
            })
        };
        loop {
            self.skip_space();
            let &c = self.s.get(self.i)?;
            let n1 = self.peek(1);
            match c {
                b'/' if n1 == b'*' => {
                    if self.peek(2) == b'!' {
                        self.i += 3;
                        while self.peek(0).is_ascii_digit() {
                            self.i += 1;
                        }
                        continue;
                    }
                    match self.s[self.i + 2..].windows(2).position(|w| w == b"*/") {
                        Some(p) => {
                            self.i += p + 4;
                            self.hidden = true;
                            continue;
                        }
                        None => {
                            self.i = self.s.len();
                            return t(b'c');
                        }
                    }
                }
                b'-' | b'#' if c == b'#' || n1 == b'-' => {
                    let at = if c == b'#' { self.i + 1 } else { self.i + 2 };
                    let text = self.s.get(at).is_some_and(|b| b.is_ascii_alphanumeric());
                    let from = at.min(self.s.len());
                    if self.line_comment() {
                        self.hidden = true;
                        continue;
                    }
                    let empty = self.s[from..].iter().all(|&b| b <= b' ' || b == b'-');
                    let tag = if text {
                        T_TEXT
                    } else if empty {
                        T_EMPTY
                    } else {
                        0
                    };
                    return Some(Tok {
                        kind: b'c',
                        tag,
                        word: 0,
                    });
                }
                // `b'01'`, `x'41'`, `n'text'`: prefixed string literals.
                b'b' | b'x' | b'n' if n1 == b'\'' => {
                    self.i = Self::string_end(self.s, self.i + 1).unwrap_or(self.s.len());
                    return t(b's');
                }
                b'\'' | b'"' => {
                    return Some(match Self::string_end(self.s, self.i) {
                        Some(end) => {
                            self.i = end;
                            Tok {
                                kind: b's',
                                tag: 0,
                                word: 0,
                            }
                        }
                        None => {
                            // `word`: the length of the open string.
                            let len = (self.s.len() - self.i) as u32;
                            self.i = self.s.len();
                            Tok {
                                kind: b's',
                                tag: T_OPEN,
                                word: len,
                            }
                        }
                    });
                }
                b'`' => {
                    self.i = self.s[self.i + 1..]
                        .iter()
                        .position(|&b| b == b'`')
                        .map_or(self.s.len(), |p| self.i + p + 2);
                    return t(b'n');
                }
                b'0'..=b'9' => {
                    self.number();
                    return t(b'1');
                }
                b'.' if n1.is_ascii_digit() => {
                    self.number();
                    return t(b'1');
                }
                b'@' => {
                    let sys = n1 == b'@' && self.peek(2).is_ascii_alphabetic();
                    self.i += 1;
                    while word_byte(self.peek(0)) || self.peek(0) == b'@' {
                        self.i += 1;
                    }
                    return Some(Tok {
                        kind: b'v',
                        tag: if sys { T_SYSVAR } else { 0 },
                        word: 0,
                    });
                }
                b'(' | b')' | b',' | b';' => {
                    self.i += 1;
                    return t(c);
                }
                _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => return self.word(),
                _ => return self.operator(c, n1),
            }
        }
    }

    /// Skips a `--` or `#` comment to the end of its line. Returns `true` when code
    /// follows on a later line (the comment was whitespace), `false` at the end.
    fn line_comment(&mut self) -> bool {
        match self.s[self.i..].iter().position(|&b| b == b'\n') {
            Some(p) => {
                self.i += p + 1;
                self.s[self.i..].iter().any(|&b| b > b' ')
            }
            None => {
                self.i = self.s.len();
                false
            }
        }
    }

    fn number(&mut self) {
        if self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'b') {
            self.i += 2;
            while self.peek(0).is_ascii_hexdigit() {
                self.i += 1;
            }
            return;
        }
        while self.peek(0).is_ascii_digit() || self.peek(0) == b'.' {
            self.i += 1;
        }
        if self.peek(0) == b'e'
            && (self.peek(1).is_ascii_digit()
                || (matches!(self.peek(1), b'+' | b'-') && self.peek(2).is_ascii_digit()))
        {
            self.i += 2;
            while self.peek(0).is_ascii_digit() {
                self.i += 1;
            }
        }
    }

    fn word(&mut self) -> Option<Tok> {
        let start = self.i;
        self.i += self.s[start..]
            .iter()
            .position(|&b| !word_byte(b))
            .unwrap_or(self.s.len() - start);
        let mut w = &self.s[start..self.i];
        // A logic keyword glued to a number (`1or1=1`, `or1=1`): MySQL reads `1or1` as
        // a name, but no word is spelled so; the probe means `1 or 1=1`.
        // (Only a word that starts with `o`, `a` or `x` can be one.)
        let glued = matches!(w.first(), Some(b'o' | b'a' | b'x'));
        for kw in [&b"or"[..], b"and", b"xor"].into_iter().filter(|_| glued) {
            if let Some(rest) = w.strip_prefix(kw) {
                if !rest.is_empty() && rest.iter().all(|b| b.is_ascii_digit()) {
                    self.i = start + kw.len();
                    w = kw;
                    break;
                }
            }
        }
        let mut tok = classify(w);
        match w {
            b"union" => self.absorb(&[b"all", b"distinct"]),
            b"order" | b"group" => {
                let before = self.i;
                self.absorb(&[b"by"]);
                if self.i != before {
                    tok = Tok {
                        kind: b'k',
                        tag: 0,
                        word: 0,
                    };
                }
            }
            _ => {}
        }
        if tok.kind == b'n' {
            tok.word = w.iter().fold(0x811c_9dc5u32, |h, &b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
            let call = self.paren_follows(self.i);
            // A plain word that is not called stays `n` whatever its name: the function
            // list is only looked up for the others.
            // One pass for `.` and `_`: two `contains` were two `memchr` calls a word.
            if call || w.starts_with(b"@@") || w.iter().any(|&b| b == b'.' || b == b'_') {
                if dangerous(w) {
                    tok.kind = b'F';
                } else if call {
                    tok.kind = b'f';
                }
            }
            if tok.kind == b'F' && call && strong(w) {
                tok.tag = T_STRONG;
            }
        }
        Some(tok)
    }

    fn operator(&mut self, c: u8, n1: u8) -> Option<Tok> {
        let n2 = self.peek(2);
        let (kind, len) = match (c, n1) {
            (b'<', b'=') if n2 == b'>' => (b'o', 3),
            (b'<', b'=') | (b'>', b'=') | (b'<', b'>') | (b'!', b'=') | (b'=', b'=') => (b'o', 2),
            (b':', b'=') => (b'o', 2),
            (b'|', b'|') | (b'&', b'&') => (b'&', 2),
            (b':', b':') => (b'a', 2),
            (b'=' | b'<' | b'>', _) => (b'o', 1),
            (b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|' | b'&' | b'~' | b'!', _) => (b'a', 1),
            _ => (b'x', 1),
        };
        self.i += len;
        let tag = if c == b'*' && len == 1 { T_STAR } else { 0 };
        Some(Tok { kind, tag, word: 0 })
    }
}
