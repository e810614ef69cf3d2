//! NoSQL injection (`nosqli`) and CRLF / header injection (`crlf`).
//!
//! `nosqli`: a MongoDB query operator where a plain value was expected, in a name
//! (`user[$ne]=1`) or a value (`[$ne]=1`, `{"$gt": ""}`, `$where: '1 == 1'`), or
//! JavaScript for a `$where` clause: a statement break then `return` (`';return true`),
//! `this.field`, a collection call (`db.users.find(`), `new Date()`, or an equality
//! between literals (`'a'=='a'`, `1==1`, `''=='`).
//!
//! `crlf`: a CR or LF, then a header line (`name:`, a token then a colon) or a blank line
//! (response splitting). A header that changes the response (`set-cookie`, `location`,
//! `content-type`, …) or a blank line ranks above markup (`%0d%0a%0d%0a<script>` is
//! splitting); any other header line ranks last. `\r\n` written as backslash escapes
//! and the CJK characters that truncate to CR and LF (U+560D, U+560A) count too.

/// `[$op]` or `$op` then `:` (after `{`, `,`, a quote or a space).
fn operator_at(v: &[u8], i: usize) -> bool {
    let name = v[i + 1..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if name < 2 {
        return false;
    }
    let rest = &v[i + 1 + name..];
    let before = if i == 0 { b' ' } else { v[i - 1] };
    if before == b'[' && rest.first() == Some(&b']') {
        return true;
    }
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let colon = rest.iter().find(|&&b| b != b' ') == Some(&b':');
    colon && matches!(before, b'{' | b',' | b'"' | b'\'' | b' ' | b'\t')
}

pub(super) fn is_nosqli_name(v: &[u8]) -> bool {
    v.iter()
        .enumerate()
        .any(|(i, &b)| b == b'$' && i > 0 && v[i - 1] == b'[' && operator_at(v, i))
}

#[cfg(test)]
pub(super) fn is_nosqli(v: &[u8]) -> bool {
    is_nosqli_seen(v, &Seen::of(v))
}

/// [`is_nosqli`] with the value's [`Seen`] (each check needs its own punctuation).
pub(super) fn is_nosqli_seen(v: &[u8], seen: &Seen) -> bool {
    if seen.any(set!(b"$")) && super::any_at(v, b"$", |i| operator_at(v, i)) {
        return true;
    }
    js_where(v, seen)
}

/// JavaScript aimed at a `$where` clause.
fn js_where(v: &[u8], seen: &Seen) -> bool {
    // `;return …`, `{return …`
    let breaks = if seen.any(set!(b";{")) { v } else { &[][..] };
    for (i, _) in breaks
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b';' || b == b'{')
    {
        let r = &v[i + 1..];
        let r = &r[r.iter().take_while(|&&b| b == b' ').count()..];
        if r.starts_with(b"return") && r.get(6).is_some_and(|&b| !b.is_ascii_alphanumeric()) {
            return true;
        }
        // `';sleep(5000);`: the shell's `sleep` as a statement (SQL has no such one).
        if let Some(args) = r.strip_prefix(b"sleep(") {
            let d = args.iter().take_while(|b| b.is_ascii_digit()).count();
            if d > 0 && args[d..].starts_with(b");") {
                return true;
            }
        }
    }
    if seen.all(set!(b";()")) && find(v, b"new date()").is_some() {
        return true;
    }
    if !seen.any(set!(b".")) {
        return seen.any(set!(b"=")) && literal_equality(v);
    }
    // `this.x` after a break: `' && this.password.match(`
    if let Some(p) = find(v, b"this.") {
        let before = &v[..p];
        if before
            .iter()
            .any(|&b| matches!(b, b'\'' | b'"' | b';' | b'&' | b'|'))
        {
            return true;
        }
    }
    // `db.coll.method(`
    if let Some(p) = find(v, b"db.") {
        let r = &v[p + 3..];
        let coll = r
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let r = &r[coll..];
        if coll > 0 && r.first() == Some(&b'.') {
            let m = r[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
            if m > 0 && r.get(1 + m) == Some(&b'(') {
                return true;
            }
        }
    }
    literal_equality(v)
}

/// `==` between literals: `1==1`, `'a'=='a'`, `''=='`.
fn literal_equality(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = find(&v[i..], b"==") {
        let at = i + p;
        let l = v[..at].iter().rev().find(|&&b| b != b' ');
        let r = v[at + 2..].iter().find(|&&b| b != b' ' && b != b'=');
        let lit =
            |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_digit() || *b == b'\'' || *b == b'"');
        // After a break: a quote, `;`, `&&` or `||` earlier (`|| 1==1`, not "1 == 1").
        let broke = v[..at]
            .iter()
            .any(|&b| matches!(b, b'\'' | b'"' | b';' | b'|' | b'&'));
        if lit(l) && lit(r) && broke {
            return true;
        }
        i = at + 2;
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Crlf {
    /// A blank line or a response-changing header.
    Split,
    /// Some other header line.
    Header,
}

use super::{find, Seen};

const SPLIT_HEADERS: &[&[u8]] = &[
    b"set-cookie",
    b"location",
    b"content-type",
    b"content-length",
    b"content-security-policy",
    b"content-disposition",
    b"refresh",
    b"access-control-",
    b"transfer-encoding",
    b"x-xss-protection",
    b"cache-control",
    b"link",
    b"http/1.",
];

pub(super) fn crlf(v: &[u8]) -> Option<Crlf> {
    let mut found = None;
    let mut i = 0;
    while i < v.len() {
        let len = line_break(&v[i..]);
        if len == 0 {
            i += 1;
            continue;
        }
        let mut r = &v[i + len..];
        // Several line breaks (a blank line)?
        let next = line_break(r);
        if next > 0 {
            let after = &r[next..];
            if after.first() == Some(&b'<') || after.starts_with(b"http/") {
                return Some(Crlf::Split);
            }
        }
        r = &r[r.iter().take_while(|&&b| b == b' ' || b == b'\t').count()..];
        let name = r
            .iter()
            .take(40)
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
            .count();
        if name >= 2 && r.get(name) == Some(&b':') {
            let h = &r[..name];
            if SPLIT_HEADERS.iter().any(|s| h.starts_with(s)) {
                return Some(Crlf::Split);
            }
            found = Some(Crlf::Header);
        } else if r.starts_with(b"http/1.") {
            return Some(Crlf::Split);
        }
        i += len;
    }
    found
}

/// A value that is only line breaks (`%0d%0a`, `\r\n`), or whose line breaks, once
/// a filter strips them, leave an encoded one (`%0%0d%0ad%0%0d%0aa` is `%0d%0a`): a
/// probe for header injection with no header after it.
pub(super) fn bare_line_break(v: &[u8]) -> bool {
    let mut rest = [0u8; 256];
    let mut n = 0;
    let mut breaks = 0;
    let mut i = 0;
    while i < v.len() {
        let len = line_break(&v[i..]);
        if len > 0 {
            breaks += 1;
            i += len;
            continue;
        }
        if v[i] > b' ' {
            if n == rest.len() {
                return false;
            }
            rest[n] = v[i];
            n += 1;
        }
        i += 1;
    }
    let rest = &rest[..n];
    breaks > 0 && (rest.is_empty() || find(rest, b"%0d").is_some() || find(rest, b"%0a").is_some())
}

/// The length of a line break at the start of `t`: CR, LF, `\r`/`\n` escapes, U+560D/A.
fn line_break(t: &[u8]) -> usize {
    match t {
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        [b'\\', b'r', b'\\', b'n', ..] => 4,
        [b'\\', b'r' | b'n', ..] => 2,
        [0xe5, 0x98, 0x8a | 0x8d, ..] => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nosql() {
        for s in [
            "[$ne]=1",
            "{\"$gt\": \"\"}",
            "{ $ne: 1 }",
            "true, $where: '1 == 1'",
            "';return 'a'=='a' && ''=='",
            "0;return true",
            "' && this.password.match(/.*/)//",
            "db.injection.insert({success:1});",
            "|| 1==1",
        ] {
            assert!(is_nosqli(s.as_bytes()), "{s}");
        }
        assert!(is_nosqli_name(b"user[$ne]"));
        for s in [
            "{\"status\":\"active\"}",
            "a == b",
            "$5: price",
            "how to return true",
        ] {
            assert!(!is_nosqli(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn line_breaks() {
        assert_eq!(crlf(b"x\r\nset-cookie: a=b"), Some(Crlf::Split));
        assert_eq!(crlf(b"\\r\\nlocation: http://x"), Some(Crlf::Split));
        assert_eq!(crlf(b"x\nx-foo: bar"), Some(Crlf::Header));
        assert_eq!(crlf(b"x\r\n\r\n<html>"), Some(Crlf::Split));
        assert_eq!(crlf(b"line one\nline two"), None);
        assert_eq!(crlf(b"para one\n\npara two"), None);
    }
}
