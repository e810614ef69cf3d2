//! Injection engine: names the attack family of a payload in a query parameter.
//!
//! [`inspect_query`] takes the raw query string (no leading `?`, percent-encoding kept),
//! splits it into parameters, decodes each value on its own and asks each family's
//! recogniser whether the value is an attack. It is a pure function and allocates
//! nothing on any path once its thread-local scratch buffers have grown.
//!
//! # What is inspected
//!
//! - Every parameter of the query: split at `&` only (a raw `;` is part of the value, as
//!   for every common server framework; payloads such as `1;drop table x` stay whole).
//! - Each value on its own, up to [`MAX_VALUE`] raw bytes; the query up to [`MAX_QUERY`]
//!   bytes. A payload split over two parameters is not seen.
//! - Parameter names, for the families that live there: NoSQL operators
//!   (`user[$ne]=1`) and markup (`?<script>=1`). A parameter without `=` is a bare
//!   value (`?../../etc/passwd`) and gets every check.
//! - Never: the path, headers, the request body.
//!
//! # Decoding ([`decode`])
//!
//! Percent-encoding (and `+` as a space on the first round) repeated to a fixed point (at
//! most four rounds: `%252e` and `%25252e` are `.`), IIS `%uXXXX`, overlong UTF-8 of
//! ASCII (`%c0%ae`, `%c1%1c`, `%c0%5c`), full-width forms (`％２ｅ`), a few look-alikes of
//! `/` `\` `.` and typographic quotes, HTML
//! character references (`&#x09;`, `&#0000106`, `&lt;`, `&colon;`, `&Tab;`, with or
//! without `;`, and entities of entities), JavaScript escapes (`\x3c`, `\u003c`,
//! `\u{3c}`); NUL and other C0 control bytes (but tab, CR, LF) are dropped and ASCII is
//! folded to lower case. Each detector sees the same decoded value. IIS's loose hex after
//! an overlong lead byte (`%c0%qf`, `%c1%8s`) is read as IIS read it; a later round
//! leaves `%2%fe` (what `%%32%%66e` becomes) alone. When nothing is found and the value
//! held `%00`–`%1f`, it is decoded again with such a byte between two word characters
//! as a space, for SQL only (`1%00union%00select`; in `java%00script` it is junk).
//!
//! # Families, from the most specific to the least
//!
//! One value can look like several families (an SSTI payload that reads `/etc/passwd`,
//! an XSS payload with a quote in it); the first of this order names it, and across
//! parameters the same order decides, the first parameter winning ties:
//!
//! `jndi > ssti > xxe > crlf (response splitting) > xss > cmdi > lfi > nosqli > ldapi >
//! sqli > ssrf > crlf (other header, bare line breaks)`.
//!
//! Why: the most specific syntax goes first. A `${jndi:` lookup or a template
//! delimiter with code in it is never produced by another family. Markup that runs
//! (a tag, an event handler) is unambiguous structure, while its payloads are full of
//! `;`, `&` and quotes that the shell and SQL recognisers would misread; a shell
//! separator then a command comes next, then file paths and wrappers. SQL goes late
//! because its recogniser is the broadest net (a closing quote then an operator), which
//! other families' payloads trip as a side effect (`';return 'a'=='a` is NoSQL). SSRF
//! needs only a URL to an internal host, so anything more specific wins. A CRLF that
//! starts a response header or a blank line wins over the markup after it; a line break
//! before some other `name:` is the weakest signal of all. Server-side includes
//! (`<!--#exec cmd=…`) run a command on the server: `cmdi`, not `xss`.
//!
//! - `jndi` ([`template`]): a `${…}` lookup whose name resolves to `jndi` once nested
//!   lookups (`${lower:j}`, `${::-n}`, `${env:X:-d}`) are evaluated.
//! - `ssti` ([`template`]): a template delimiter (`{{ }}`, `${ }`, `#{ }`, `*{ }`,
//!   `@( )`, `<%= %>`, `{% %}`, `<#…>`, `#set(`) around an expression that computes or
//!   reaches into objects: arithmetic on literals, a call, `__dunder__`, or a template
//!   engine's well-known globals. `{{ name }}` is not.
//! - `cmdi` ([`shell`]): a shell separator (`;` `|` `||` `&` `&&` newline, backtick,
//!   `$(`) or the start of the value, then a Unix or Windows command, with an argument
//!   that only a shell would take when the command is also an English word (`cat`,
//!   `type`, `ping`); shellshock `() {`; `${IFS}` counts as a space; server-side code
//!   execution (`<?php`, `system('…')`, `<!--#exec`).
//! - `lfi` ([`path`]): `../` or `..\`; a wrapper scheme (`php://`, `file:`, `zip://`,
//!   `phar://`, `expect://`, `data://`, `glob://`, …); a value that is an absolute path
//!   into a system location (`/etc/…`, `/proc/…`, `/var/…`, `C:\…`, `~/.ssh/…`) or a
//!   path to a file that holds server secrets (`.htpasswd`, `WEB-INF/web.xml`,
//!   `boot.ini`).
//! - `xss` ([`html`]): a tag that executes or loads (`<script`, `<iframe`, `<svg`,
//!   `<link`, `<meta`, `<base`, `<style`, …), any tag with an event handler or a script
//!   URL or CSS expression in an attribute, an attribute break (`" onfocus=…`), a script
//!   URL (`javascript:` with tabs, newlines or entities inside the scheme), a string break
//!   then a script sink (`';alert(1)//`). `<b>bold</b>` and `a < b` are not.
//! - `nosqli` ([`other`]): `[$op]` in a name or value, `{"$op": …}`, or JavaScript for a
//!   `$where` clause (`;return true`, `this.password.match(`, `'a'=='a'`).
//! - `xxe` ([`ldap`]): a DOCTYPE with an internal subset or external identifier,
//!   `<!ENTITY`, `<xi:include`.
//! - `ldapi` ([`ldap`]): a filter component closed and another opened (`*)(uid=*`,
//!   `(|(mail=*))`, `admin)(&)`).
//! - `sqli` ([`sql`]): libinjection-style tokenising in three contexts (as is, after
//!   `'`, after `"`), folding, and a small grammar of what follows the context break;
//!   then n-grams that are SQL wherever they stand (`union select 1`, `declare @v`,
//!   `case … when 1 then … end`, `;` then a statement, an attack-only call after an
//!   operator). A query typed as text (`select * from users`) is not an attack.
//! - `ssrf` ([`url`]): a URL whose host is loopback, private, link-local or a cloud
//!   metadata name, in any numeric spelling, or a `gopher:`/`dict:`/`ldap:`/`tftp:` URL.
//! - `crlf` ([`other`]): CR or LF then a header line or a blank line; a value that is
//!   only line breaks, or whose stripped line breaks leave an encoded one.
//! - A command that prints markup (`;echo '<script>…'`) and PHP interpolation that
//!   calls a function (`{${phpinfo()}}`) are `cmdi`, not `xss` or `ssti`.
//!
//! # Cost
//!
//! Linear in the query: each value is decoded in a bounded number of passes (the text
//! stage is skipped when the percent stage left nothing for it), and each recogniser
//! makes one pass plus bounded look-arounds. The split into parameters reads each byte
//! once, through a compile-time table of byte classes ([`CLASS`], eight bytes at a
//! time), and gathers the classes of each name and value on the way. From those bits
//! alone: a part made only of letters, digits and `-._~` is passed without another look
//! (with a `.`, only file names and junk traversals are checked); a value without `%`,
//! `\`, entities, controls or non-ASCII bytes is not decoded (one pass folds case and
//! `+`) and its [`Seen`] set is known already. Otherwise the decoded value gets one
//! table pass for its [`Seen`] set. Each recogniser, and within the markup, command and
//! NoSQL ones each check, runs only when the value holds the bytes it cannot match
//! without (compile-time masks); SQL needs a digit, a quote or an operator, or a query
//! keyword (one packed, vectorised search for all five). A check that visits each of
//! one to three bytes (the quotes, `=`, `(`, `%`) does it with [`any_at`]: `memchr`
//! on a long value, a plain loop below [`SHORT`] bytes, where `memchr`'s setup costs
//! more than the value. A fixed substring is found by a `memchr` for its rarest byte
//! ([`find`]), and a check looks for a substring only when the value holds the
//! substring's punctuation (its [`Seen`] set). A percent round writes by index into an output
//! sized to its input, and the text stage's gate is one vectorised reduction. On the
//! 320-byte, 13-parameter benign query of `benches/probe.rs` the engine runs about
//! 7,500 instructions (callgrind; 20,300 before this design), on its SQL payload query
//! about 13,400 (48,700). Figures: see `tests/cost.rs` (`cost_note`).

/// The bytes the recognisers' gates name, each with a bit of its own in [`CLASS`]
/// (digits share one: gates only ask for "any digit"). Letters have no bit: no gate
/// needs them.
const NAMED: &[u8] = b"'\"<>;|&$`(){}[]%\\/:#*=@,!+^~? \t\r\n\x0b\x0c-._";
const DIGIT: u64 = 1 << NAMED.len();
/// Not a letter, a digit or one of `-._~`: the raw value may need decoding or checks.
const NONPLAIN: u64 = DIGIT << 1;
/// More than `+` and case for [`decode`] to do: `%`, `\`, `&`, C0 controls (but tab,
/// line breaks, VT, FF) and non-ASCII bytes.
const DECODE: u64 = DIGIT << 2;
/// `0xe5`, the lead byte of the CJK characters that truncate to CR and LF.
const E5: u64 = DIGIT << 3;
/// The bits that name bytes (what [`set!`] masks keep).
const NAMES: u64 = DIGIT | (DIGIT - 1) | E5;

/// Each byte's class bits, computed at compile time: one table load per byte replaces
/// the per-byte range tests (and `u128` shifts) a value's first pass did.
static CLASS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut bits = 0u64;
        let mut k = 0;
        while k < NAMED.len() {
            if NAMED[k] == c {
                bits |= 1 << k;
            }
            k += 1;
        }
        if c.is_ascii_digit() {
            bits |= DIGIT;
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~')) {
            bits |= NONPLAIN;
        }
        if matches!(c, 0..=0x08 | 0x0e..=0x1f | b'%' | b'\\' | b'&' | 0x80..) {
            bits |= DECODE;
        }
        if c == 0xe5 {
            bits |= E5;
        }
        t[b] = bits;
        b += 1;
    }
    t
};

/// The [`Seen`] bits of the bytes in `s` (evaluated at compile time through [`set!`]).
const fn mask_of(s: &[u8]) -> u64 {
    let mut m = 0u64;
    let mut i = 0;
    while i < s.len() {
        m |= CLASS[s[i] as usize] & NAMES;
        i += 1;
    }
    m
}

/// A compile-time byte set for [`Seen::any`] and [`Seen::all`].
macro_rules! set {
    ($s:expr) => {
        const { $crate::probe::inject::mask_of($s) }
    };
}

mod decode;
mod encoded;
mod html;
mod ldap;
mod other;
mod params;
mod path;
mod shell;
mod sql;
mod template;
mod url;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

/// At most this many raw bytes of one value are inspected.
pub(crate) const MAX_VALUE: usize = 2048;
/// At most this many bytes of the query are inspected.
pub(crate) const MAX_QUERY: usize = 8192;

/// The family of an injection payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Family {
    Jndi,
    Ssti,
    Cmdi,
    Lfi,
    Xss,
    Nosqli,
    Sqli,
    Ssrf,
    Crlf,
    Ldapi,
    Xxe,
}

impl Family {
    /// The family's stable name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Family::Sqli => "sqli",
            Family::Xss => "xss",
            Family::Cmdi => "cmdi",
            Family::Lfi => "lfi",
            Family::Ssti => "ssti",
            Family::Jndi => "jndi",
            Family::Ssrf => "ssrf",
            Family::Nosqli => "nosqli",
            Family::Crlf => "crlf",
            Family::Ldapi => "ldapi",
            Family::Xxe => "xxe",
        }
    }
}

/// What [`inspect_query`] found: the family, and the parameter that carried it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub family: Family,
    /// Byte range of the parameter's name in the raw query (empty if it has none).
    pub param: Range<usize>,
}

/// A verdict's rank: lower wins. Response splitting ranks before markup, other CRLF last.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank(u8);

thread_local! {
    /// Two ping-pong buffers for decoding one value (each grows to at most a few KiB).
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Inspects every parameter of a raw query string; the most specific family found wins.
pub(crate) fn inspect_query(raw_query: &str) -> Option<Finding> {
    let raw = cap(raw_query.as_bytes(), MAX_QUERY);
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => {
            let (a, b) = &mut *bufs;
            inspect_query_in(raw, a, b)
        }
        Err(_) => inspect_query_in(raw, &mut Vec::new(), &mut Vec::new()),
    })
}

fn inspect_query_in(raw: &[u8], a: &mut Vec<u8>, b: &mut Vec<u8>) -> Option<Finding> {
    let mut best: Option<(Rank, Finding)> = None;
    for p in params::split(raw) {
        let name = &raw[p.name.clone()];
        let hit = match p.value.clone() {
            Some(v) => {
                let by_value = inspect_part(&raw[v], p.value_bits, a, b, Scope::Value);
                let by_name = inspect_part(name, p.name_bits, a, b, Scope::Name);
                match (by_value, by_name) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                }
            }
            None => inspect_part(name, p.name_bits, a, b, Scope::Value),
        };
        if let Some(rank) = hit {
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                let family = family_of(rank);
                let param = if p.value.is_some() {
                    p.name.clone()
                } else {
                    p.name.start..p.name.start
                };
                best = Some((rank, Finding { family, param }));
                if rank.0 == 0 {
                    break;
                }
            }
        }
    }
    best.map(|(_, f)| f)
}

/// Inspects one value that is already percent-decoded once (as a framework hands it
/// over): the rest of the decoding still applies (nested escapes, entities, case).
// Only the tests call it so far: the layer sees raw query strings.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn inspect_value(decoded: &[u8]) -> Option<Family> {
    let v = cap(decoded, MAX_VALUE);
    let mut a = Vec::new();
    let mut b = Vec::new();
    decode::decode(v, false, &mut a, &mut b);
    classify(&a, Scope::Value).map(family_of)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Value,
    Name,
}

/// The first occurrence of `n` in `h`: a `memchr` for the needle's rarest byte (by
/// [`RARITY`]), then a compare of the window around it. A search for the first byte
/// stopped at every `s` of `select … users` on the way to `style`.
fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    let k = (0..n.len()).min_by_key(|&i| RARITY[usize::from(n[i])])?;
    let last_start = h.len().checked_sub(n.len())?;
    let mut i = 0;
    while i <= last_start {
        // A candidate start `at` has `n[k]` at `at + k`.
        let at = i + memchr::memchr(n[k], &h[i + k..=last_start + k])?;
        if &h[at..at + n.len()] == n {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// How common a byte is in a decoded, lower-case value, lower for rarer: punctuation,
/// digits and upper case, then letters from the least to the most frequent in English
/// text, then the space.
static RARITY: [u8; 256] = {
    let mut t = [0u8; 256];
    let ranks: [&[u8]; 5] = [
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        b"qxzjkvbywgpf",
        b"mculdh",
        b"etaoinsr",
        b" ",
    ];
    let mut r = 0;
    while r < ranks.len() {
        let mut i = 0;
        while i < ranks[r].len() {
            t[ranks[r][i] as usize] = r as u8 + 1;
            i += 1;
        }
        r += 1;
    }
    t
};

fn contains(h: &[u8], n: &[u8]) -> bool {
    find(h, n).is_some()
}

/// Below this length a plain loop finds a byte sooner than `memchr`, whose vector setup
/// and dispatch cost about 70 instructions a call (callgrind, `benches/probe.rs`).
const SHORT: usize = 48;

/// Whether `f` holds at some position of `v` whose byte is in `set` (a few bytes), tried
/// in order: a plain loop on a short value, `memchr2`/`memchr3` on a long one.
#[inline(always)]
fn any_at(v: &[u8], set: &[u8], mut f: impl FnMut(usize) -> bool) -> bool {
    let long = v.len() >= SHORT;
    match *set {
        [a] if long => memchr::memchr_iter(a, v).any(f),
        [a, b] if long => memchr::memchr2_iter(a, b, v).any(f),
        [a, b, c] if long => memchr::memchr3_iter(a, b, c, v).any(f),
        _ => (0..v.len()).any(|i| set.contains(&v[i]) && f(i)),
    }
}

/// Which of the [`NAMED`] bytes (and digits) a value holds, from one table pass, to
/// skip recognisers that cannot match.
#[derive(Clone, Copy)]
struct Seen(u64);

impl Seen {
    fn of(v: &[u8]) -> Self {
        Seen(class_bits(v))
    }

    /// Whether the value holds any byte of `set` (a [`set!`] mask).
    fn any(&self, set: u64) -> bool {
        self.0 & set != 0
    }

    /// Whether the value holds every byte of `set` (a [`set!`] mask).
    fn all(&self, set: u64) -> bool {
        self.0 & set == set
    }

    /// Whether the value may hold `b`: exact for the [`NAMED`] bytes, `true` for bytes
    /// without a bit of their own (letters, non-ASCII).
    fn may_hold(&self, b: u8) -> bool {
        let bits = CLASS[usize::from(b)] & (DIGIT - 1);
        bits == 0 || self.0 & bits != 0
    }
}

/// The union of the [`CLASS`] bits of `v`'s bytes.
fn class_bits(v: &[u8]) -> u64 {
    v.iter().fold(0, |m, &b| m | CLASS[usize::from(b)])
}

fn cap(s: &[u8], limit: usize) -> &[u8] {
    &s[..s.len().min(limit)]
}

/// What [`decode`] makes of a byte when the value holds no [`DECODE`] byte: `+` is a
/// space (the raw query's form encoding), ASCII letters are folded to lower case.
static FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).to_ascii_lowercase();
        b += 1;
    }
    t[b'+' as usize] = b' ';
    t
};

/// [`inspect_raw`] for a part of the query whose [`CLASS`] bits the split gathered: a
/// plain part without a `.` (most of them) is passed without a call.
#[inline(always)]
fn inspect_part(
    raw: &[u8],
    bits: u64,
    a: &mut Vec<u8>,
    b: &mut Vec<u8>,
    scope: Scope,
) -> Option<Rank> {
    if bits & (NONPLAIN | set!(b".")) == 0 {
        return None;
    }
    let bits = if raw.len() > MAX_VALUE {
        class_bits(cap(raw, MAX_VALUE))
    } else {
        bits
    };
    inspect_raw(raw, bits, a, b, scope)
}

/// Inspects one raw value (or name) whose [`CLASS`] bits (of its first [`MAX_VALUE`]
/// bytes) are `bits`.
fn inspect_raw(
    raw: &[u8],
    bits: u64,
    a: &mut Vec<u8>,
    b: &mut Vec<u8>,
    scope: Scope,
) -> Option<Rank> {
    let raw = cap(raw, MAX_VALUE);
    if bits & NONPLAIN == 0 {
        // Letters, digits and `-._~`: decodes to itself, and only a junk traversal or a
        // secret file name can be here.
        if bits & set!(b".") == 0 || scope == Scope::Name {
            return None;
        }
        a.clear();
        a.extend_from_slice(raw);
        a.make_ascii_lowercase();
        return plain_value(a);
    }
    if bits & DECODE == 0 {
        // No escape, entity, control or non-ASCII byte: decoding is `+` to a space and
        // case folding (exactly what `decode` would do), and the decoded value holds the
        // raw value's bytes but `+`, so its [`Seen`] needs no second pass.
        a.clear();
        a.extend(raw.iter().map(|&c| FOLD[usize::from(c)]));
        let plus = bits & set!(b"+");
        let seen = (bits & NAMES & !plus) | if plus != 0 { set!(b" ") } else { 0 };
        return classify_seen(a, Seen(seen), scope);
    }
    decode::decode(raw, true, a, b);
    let found = classify(a, scope);
    if found.is_none() && scope == Scope::Value && has_nul_escape(raw) {
        // Keywords joined by NUL (`1%00union%00select%002`): read again for SQL.
        decode::decode_with(raw, true, true, a, b);
        return sql::is_sqli(a).then_some(R_SQLI);
    }
    found
}

/// `%00`, `%01`, … `%1f` (but `%09`, `%0a`, `%0d`) in a raw value.
fn has_nul_escape(raw: &[u8]) -> bool {
    raw.windows(3)
        .any(|w| w[0] == b'%' && matches!(w[1], b'0' | b'1') && w[2].is_ascii_hexdigit())
}

/// Ranks in the order of the module docs (0 is the strongest).
const R_JNDI: Rank = Rank(0);
const R_SSTI: Rank = Rank(1);
const R_XXE: Rank = Rank(2);
const R_CRLF_SPLIT: Rank = Rank(3);
const R_XSS: Rank = Rank(4);
const R_CMDI: Rank = Rank(5);
const R_LFI: Rank = Rank(6);
const R_NOSQLI: Rank = Rank(7);
const R_LDAPI: Rank = Rank(8);
const R_SQLI: Rank = Rank(9);
const R_SSRF: Rank = Rank(10);
const R_CRLF: Rank = Rank(11);

fn family_of(r: Rank) -> Family {
    match r.0 {
        0 => Family::Jndi,
        1 => Family::Ssti,
        2 => Family::Xxe,
        3 | 11 => Family::Crlf,
        4 => Family::Xss,
        5 => Family::Cmdi,
        6 => Family::Lfi,
        7 => Family::Nosqli,
        8 => Family::Ldapi,
        9 => Family::Sqli,
        _ => Family::Ssrf,
    }
}

/// Runs the recognisers on a decoded, case-folded value, strongest family first. One
/// pass over the value ([`Seen`]) records which ASCII bytes it holds; each recogniser
/// runs only if the value holds the bytes it cannot match without.
fn classify(v: &[u8], scope: Scope) -> Option<Rank> {
    classify_seen(v, Seen::of(v), scope)
}

/// [`classify`] with the value's [`Seen`] already known.
fn classify_seen(v: &[u8], seen: Seen, scope: Scope) -> Option<Rank> {
    if !seen.any(set!(TRIGGERS)) {
        // Letters, digits, `-`, `_`, `.` and non-ASCII only: a word, a number, a file
        // name, text in another script. Only junk traversals (`..0x2f..0x2fetc0x2f…`)
        // and statements typed without punctuation (`1 union select 2`, `1or1`) are
        // possible, and neither without a digit or a space.
        return plain_value(v);
    }
    if scope == Scope::Name {
        // Names: operators and markup only (`user[$ne]`, `<script>`).
        if seen.any(set!(b"$")) && other::is_nosqli_name(v) {
            return Some(R_NOSQLI);
        }
        return (seen.any(set!(b"<'\"`:(")) && html::is_xss_seen(v, &seen)).then_some(R_XSS);
    }
    if seen.all(set!(b"${")) && template::is_jndi(v) {
        return Some(R_JNDI);
    }
    let templ = seen.any(set!(b"{"))
        || (seen.any(set!(b"%#")) && seen.any(set!(b"<[")))
        || seen.all(set!(b"#("))
        || seen.all(set!(b"@("));
    let mut xss = None;
    if templ {
        match template::ssti(v) {
            Some(template::Ssti::Server) => {
                if shell::php_code(v) {
                    return Some(R_CMDI);
                }
                return Some(R_SSTI);
            }
            Some(template::Ssti::Client) => xss = Some(true),
            None => {}
        }
    }
    if seen.all(set!(b"<!")) && ldap::is_xxe(v) {
        return Some(R_XXE);
    }
    let breaks = seen.any(set!(b"\r\n\\") | E5);
    let crlf = if breaks { other::crlf(v) } else { None };
    if crlf == Some(other::Crlf::Split) {
        return Some(R_CRLF_SPLIT);
    }
    let xss = xss.unwrap_or_else(|| {
        (seen.any(set!(b"<'\"`:(")) && html::is_xss_seen(v, &seen))
            || (seen.any(set!(b"=,")) && encoded::base64_markup(v))
    });
    let separators = seen.any(set!(b";|&\n\r`$\\"));
    let cmdi =
        (separators || seen.any(set!(b" \t(<"))) && shell::is_cmdi_seen(v, separators, &seen);
    if xss {
        // A command that prints markup is command injection (`;echo '<script>…'`).
        return Some(if cmdi && shell::leading_command(v) {
            R_CMDI
        } else {
            R_XSS
        });
    }
    if cmdi {
        return Some(R_CMDI);
    }
    if seen.any(set!(b"./\\:~%")) && path::is_lfi(v) {
        return Some(R_LFI);
    }
    if seen.any(set!(b"$=;{.")) && other::is_nosqli_seen(v, &seen) {
        return Some(R_NOSQLI);
    }
    if seen.all(set!(b"()")) && ldap::is_ldapi(v) {
        return Some(R_LDAPI);
    }
    if sql_possible(v, &seen) && sql::is_sqli_quoted(v, seen.any(set!(b"'")), seen.any(set!(b"\"")))
    {
        return Some(R_SQLI);
    }
    if seen.any(set!(b":")) && url::is_ssrf(v) {
        return Some(R_SSRF);
    }
    if crlf.is_some() || (breaks && other::bare_line_break(v)) {
        return Some(R_CRLF);
    }
    None
}

/// Whether SQL can be in `v`: a digit, a quote or an operator, or else (words only,
/// `x union select password from users`) a keyword that starts a query.
fn sql_possible(v: &[u8], seen: &Seen) -> bool {
    const SQL_BYTES: &[u8] = b"0123456789'\"`()=;#-@|&*/<>!,%+^~._";
    seen.any(set!(SQL_BYTES)) || query_keyword(v)
}

/// Whether `v` holds `union`, `select`, `exec`, `waitfor` or `declare` anywhere (not only
/// as a word). One packed (Teddy) search of aho-corasick finds all five in a single
/// vectorised pass: on the words of an ordinary search query it costs about a fifth of
/// the five `memchr::memmem` scans it replaced (which in turn cost a third of a
/// `memchr3` walk). Where the processor lacks the vector instructions Teddy needs, the
/// five finders stay.
fn query_keyword(v: &[u8]) -> bool {
    static KW: OnceLock<Keywords> = OnceLock::new();
    v.len() >= 4 && KW.get_or_init(|| Keywords::new(true)).any_in(v)
}

/// The keywords of [`query_keyword`], in one packed searcher or in five finders.
enum Keywords {
    Packed(aho_corasick::packed::Searcher),
    Finders(Box<[memchr::memmem::Finder<'static>; 5]>),
}

impl Keywords {
    const WORDS: [&'static [u8]; 5] = [b"union", b"select", b"exec", b"waitfor", b"declare"];

    /// The packed searcher when `packed` and the processor has what it needs.
    fn new(packed: bool) -> Self {
        let mut b = aho_corasick::packed::Config::new().builder();
        b.extend(Self::WORDS);
        match b.build().filter(|_| packed) {
            Some(s) => Keywords::Packed(s),
            None => Keywords::Finders(Box::new(Self::WORDS.map(memchr::memmem::Finder::new))),
        }
    }

    fn any_in(&self, v: &[u8]) -> bool {
        match self {
            Keywords::Packed(s) => s.find(v).is_some(),
            Keywords::Finders(f) => f.iter().any(|f| f.find(v).is_some()),
        }
    }
}

/// Bytes that some recogniser needs beyond letters, digits, `-`, `_` and `.`.
const TRIGGERS: &[u8] = b"'\"<>;|&$`(){}[]%\\/:#*=@,!+^~? \t\r\n\x0b\x0c";

/// A value without any of [`TRIGGERS`].
fn plain_value(v: &[u8]) -> Option<Rank> {
    if v.contains(&b'.') && path::is_lfi(v) {
        return Some(R_LFI);
    }
    None
}
