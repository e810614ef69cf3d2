//! Cross-site scripting: markup or script that would run if the value were reflected.
//!
//! Read as an HTML tokeniser would, on the decoded, lower-case value:
//!
//! - a tag (`<` then a letter) that runs or loads something on its own: `script`,
//!   `iframe`, `frame(set)`, `object`, `embed`, `applet`, `svg`, `math`, `link`, `meta`,
//!   `base`, `style`, `xml`, `import`, `isindex`, `bgsound`, `layer`, `portal`,
//!   `template`, `xmp`, `handler`; or `</script`;
//! - any other tag whose attributes (separated by spaces or `/`, values quoted or not)
//!   hold an event handler (`on…=`), a script URL (`javascript:`, `vbscript:`,
//!   `livescript:`, `data:text/html`, with tabs or line breaks inside the scheme, which
//!   browsers drop), a style with `expression(`, `-moz-binding`, `behavior`, `@import`
//!   or a script URL, `srcdoc` with markup, or `<form action=…>`;
//! - server-side includes `<!--#exec`, `<!--#include`; `<?import`;
//! - outside a tag: an attribute break (a quote, then an event handler or a style
//!   attribute), a script URL with code after it (`javascript:alert(1)`, but not
//!   "javascript: the good parts"), or a string break then a script sink
//!   (`';alert(1)//`, `"-confirm(1)-"`).
//!
//! `<b>bold</b>`, `what does <br> do`, `a < b`, `<3` are plain text.

use super::{contains, Seen};

/// How far one tag is read (its attributes); later bytes start a new search.
const TAG_SPAN: usize = 512;

const RUNS: &[&[u8]] = &[
    b"script",
    b"iframe",
    b"frame",
    b"frameset",
    b"object",
    b"embed",
    b"applet",
    b"svg",
    b"math",
    b"link",
    b"meta",
    b"base",
    b"style",
    b"xml",
    b"import",
    b"isindex",
    b"bgsound",
    b"layer",
    b"ilayer",
    b"portal",
    b"template",
    b"xmp",
    b"handler",
    b"listener",
    b"xss",
    b"animate",
    b"set",
    b"image",
];

const SCHEMES: &[&[u8]] = &[
    b"javascript:",
    b"vbscript:",
    b"livescript:",
    b"mocha:",
    b"data:text/html",
    b"data:image/svg",
    b"data:application/x",
];

#[cfg(test)]
pub(super) fn is_xss(v: &[u8]) -> bool {
    is_xss_seen(v, &Seen::of(v))
}

/// [`is_xss`] with the value's [`Seen`]: each check runs only when the value holds a
/// byte it cannot match without (a tag needs `<`, a script URL `:`, a string or
/// attribute break a quote, a style's code one of `(-:@`, a handler `=`, …).
pub(super) fn is_xss_seen(v: &[u8], seen: &Seen) -> bool {
    if seen.any(set!(b"<")) {
        let mut i = 0;
        while let Some(p) = memchr::memchr(b'<', &v[i..]) {
            let at = i + p;
            if tag(&v[at + 1..]) {
                return true;
            }
            i = at + 1;
        }
    }
    (seen.any(set!(b"\"'`")) && attribute_break(v))
        || (seen.any(set!(b":")) && script_url(v))
        || (seen.any(set!(b"\"'")) && string_break(v))
        || (seen.any(set!(b"(`")) && sink_call(v))
        || (seen.any(set!(b"(-:@")) && contains(v, b"style") && style_code(v))
        || (seen.any(set!(b"=")) && handler_assignment(v))
        || (seen.all(set!(b"){")) && function_sink(v))
}

/// A function literal whose body opens with a sink call (`function(){alert(1)}`):
/// script, wherever it is embedded.
fn function_sink(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = super::find(&v[i..], b"){") {
        let at = i + p;
        i = at + 2;
        let func = v[..at]
            .rsplit(|&b| b == b'(')
            .nth(1)
            .is_some_and(|h| h.ends_with(b"function"));
        if !func {
            continue;
        }
        let r = &v[i..];
        let r = &r[r.iter().take_while(|&&b| is_space(b)).count()..];
        if SINKS
            .iter()
            .any(|s| r.starts_with(s) && matches!(r.get(s.len()), Some(b'(' | b'`')))
        {
            return true;
        }
    }
    false
}

/// An event handler assigned script outside any tag (`(/* */onclick=alert() )`,
/// ` onmouseover="document.cookie=1"`): `on…=` at a boundary, then a sink.
fn handler_assignment(v: &[u8]) -> bool {
    // From each `=` back to the name before it: a handler is a word of letters that
    // starts with `on`, at least five long, not glued to a digit or `_` before it. (A
    // search for every `on` stopped at each `union`, `from`, `concat` of a SQL payload.)
    super::any_at(v, b"=", |eq| {
        let before = &v[..eq];
        let end = before.len() - before.iter().rev().take_while(|&&b| is_space(b)).count();
        let name = before[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let at = end - name;
        if name < 5 || !before[at..].starts_with(b"on") {
            return false;
        }
        if at > 0 && (v[at - 1].is_ascii_alphanumeric() || v[at - 1] == b'_') {
            return false;
        }
        let r = &v[eq + 1..];
        let r = &r[r
            .iter()
            .take_while(|&&b| is_space(b) || matches!(b, b'"' | b'\'' | b'`'))
            .count()..];
        SINKS
            .iter()
            .any(|s| r.starts_with(s) && (s.ends_with(b".") || r.get(s.len()) == Some(&b'(')))
    })
}

/// The whole value is a call of a script sink: `alert(1)`, `prompt(document.cookie);//`.
fn sink_call(v: &[u8]) -> bool {
    // After a block or call closed first (`}alert(1);{//`).
    let v = &v[v
        .iter()
        .take_while(|&&b| b <= b' ' || b"});".contains(&b))
        .count()..];
    let Some(s) = [
        &b"alert"[..],
        b"prompt",
        b"confirm",
        b"settimeout",
        b"setinterval",
    ]
    .into_iter()
    .find(|s| v.starts_with(s)) else {
        return false;
    };
    let rest = &v[s.len()..];
    match rest.first() {
        Some(b'(') => {
            let Some(close) = rest.iter().rposition(|&b| b == b')') else {
                return false;
            };
            let tail = &rest[close + 1..];
            let tail = &tail[tail.iter().take_while(|b| b" ;{".contains(b)).count()..];
            tail.is_empty() || tail.starts_with(b"//") || tail.starts_with(b"<")
        }
        Some(b'`') => rest[1..].contains(&b'`'),
        // A template call written inside a string (`alert\`1\``).
        Some(b'\\') => {
            let r = &rest[rest.iter().take_while(|&&b| b == b'\\').count()..];
            r.first() == Some(&b'`') && r[1..].contains(&b'`')
        }
        _ => false,
    }
}

fn is_space(b: u8) -> bool {
    b <= b' '
}

/// The tag after a `<`.
fn tag(t: &[u8]) -> bool {
    let t = &t[..t.len().min(TAG_SPAN)];
    match t.first() {
        // `<!--#exec` runs a command on the server: see `shell`.
        Some(b'!') => return t.starts_with(b"!--#include"),
        Some(b'?') => return t.starts_with(b"?import") || t.starts_with(b"?xml-stylesheet"),
        Some(b'/') => return t.starts_with(b"/script"),
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    let n = t
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_'))
        .count();
    let name = &t[..n];
    let rest = &t[n..];
    // `<scriptx` is another tag; `<script>`, `<script src`, `<svg/onload`, `<svg` are not.
    let ends = rest
        .first()
        .is_none_or(|&b| is_space(b) || b == b'/' || b == b'>');
    if !ends {
        return false;
    }
    let name = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    if RUNS.contains(&name) {
        return true;
    }
    // The attributes, up to the closing `>` (outside quotes) or the next `<`.
    let mut end = rest.len();
    let mut quote = 0u8;
    for (j, &b) in rest.iter().enumerate() {
        match b {
            b'"' | b'\'' | b'`' if quote == 0 => quote = b,
            _ if b == quote => quote = 0,
            b'>' if quote == 0 => {
                end = j;
                break;
            }
            b'<' => {
                end = j;
                break;
            }
            _ => {}
        }
    }
    let attrs = &rest[..end];
    event_handler(attrs)
        || contains(attrs, b"&{")
        || has_scheme(attrs)
        || style_code(attrs)
        || (name == b"form" && contains(attrs, b"action"))
        || (contains(attrs, b"srcdoc") && contains(attrs, b"&lt;"))
}

/// `on…=` at an attribute boundary: after a space, `/`, a quote or a backtick.
fn event_handler(a: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = a[i..].windows(2).position(|w| w == b"on") {
        let at = i + p;
        let before_ok = at == 0
            || matches!(a[at - 1], b'/' | b'"' | b'\'' | b'`' | b';')
            || is_space(a[at - 1]);
        if before_ok {
            let letters = a[at + 2..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic() || **b == b'-' || **b == b'_')
                .count();
            // Browsers end an attribute name at space, `/` or `=`; junk in the name
            // (`onload!#$%=`) was accepted by old ones.
            let after = &a[at + 2 + letters..];
            let eq = after
                .iter()
                .take(40)
                .find(|&&b| !is_space(b) && (b == b'=' || b == b'>' || b.is_ascii_alphanumeric()));
            if letters >= 3 && eq == Some(&b'=') {
                return true;
            }
        }
        i = at + 2;
    }
    false
}

/// A script URL scheme anywhere in `a`, ignoring the tabs and line breaks browsers drop
/// (and, before it, leading spaces).
fn has_scheme(a: &[u8]) -> bool {
    (0..a.len()).any(|i| scheme_at(a, i).is_some())
}

/// The end of a dangerous scheme starting at `i`, skipping control characters inside it.
fn scheme_at(a: &[u8], i: usize) -> Option<usize> {
    if !matches!(a[i], b'j' | b'v' | b'l' | b'm' | b'd') {
        return None;
    }
    'next: for s in SCHEMES {
        let mut j = i;
        for &c in *s {
            while a.get(j).is_some_and(|&b| b < b' ') {
                j += 1;
            }
            if a.get(j) != Some(&c) {
                continue 'next;
            }
            j += 1;
        }
        return Some(j);
    }
    None
}

/// Style code that runs: `expression(`, `-moz-binding`, `behavior`, `@import`, `url(`
/// to a script URL; comments and backslashes inside are ignored.
fn style_code(a: &[u8]) -> bool {
    let Some(p) = a.windows(5).position(|w| w == b"style") else {
        return false;
    };
    let mut buf = [0u8; 256];
    let mut n = 0;
    let mut k = p + 5;
    while k < a.len() && n < buf.len() {
        if a[k] == b'/' && a.get(k + 1) == Some(&b'*') {
            k = a[k + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(a.len(), |q| k + q + 4);
            continue;
        }
        if !is_space(a[k]) && a[k] != b'\\' {
            buf[n] = a[k];
            n += 1;
        }
        k += 1;
    }
    let s = &buf[..n];
    [
        &b"expression("[..],
        b"-moz-binding",
        b"behavior:",
        b"behaviour:",
        b"@import",
    ]
    .iter()
    .any(|w| contains(s, w))
        || has_scheme(s)
}

/// A quote closing an attribute, then an event handler or a style attribute.
fn attribute_break(v: &[u8]) -> bool {
    super::any_at(v, b"\"'`", |i| {
        let rest = &v[i + 1..v.len().min(i + 1 + TAG_SPAN)];
        let skip = rest
            .iter()
            .take_while(|&&c| is_space(c) || c == b'/')
            .count();
        // A handler straight after the quote, or after other attributes.
        (skip > 0 || rest.starts_with(b"on")) && {
            let r = &rest[skip..];
            let r = &r[..r.len().min(64)];
            let r = &r[..memchr::memchr(b'<', r).unwrap_or(r.len())];
            event_handler_at_start(r) || (r.starts_with(b"style") && style_code(r))
        }
    })
}

/// `on…=` at the start of `r`, possibly after other bare attributes (`autofocus`).
fn event_handler_at_start(r: &[u8]) -> bool {
    let mut j = 0;
    for _ in 0..3 {
        let w = r[j..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let word = &r[j..j + w];
        let after = r[j + w..].iter().position(|&b| !is_space(b) && b != b'/');
        let next = after.map(|a| r[j + w + a]);
        if word.len() >= 5 && word.starts_with(b"on") && next == Some(b'=') {
            return true;
        }
        if w == 0 || next == Some(b'=') {
            return false;
        }
        j += w + after.unwrap_or(0);
    }
    false
}

/// `javascript:` (or another script scheme) followed by code.
fn script_url(v: &[u8]) -> bool {
    (0..v.len()).any(|i| {
        let Some(end) = scheme_at(v, i) else {
            return false;
        };
        // At the start of the value or of an attribute-like context.
        let start_ok = v[..i]
            .iter()
            .rev()
            .find(|&&b| !is_space(b))
            .is_none_or(|&b| matches!(b, b'=' | b'"' | b'\'' | b'(' | b'`' | b'>' | b','));
        if !start_ok {
            return false;
        }
        if v[i] == b'd' {
            return true;
        }
        let rest = &v[end..];
        let rest = &rest[rest.iter().take_while(|&&b| is_space(b)).count()..];
        match rest.first() {
            None => false,
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'$' => {
                let w = rest
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
                    .count();
                rest.get(w).is_none_or(|b| b"(.[=`;:".contains(b))
            }
            Some(_) => true,
        }
    })
}

const SINKS: &[&[u8]] = &[
    b"alert",
    b"prompt",
    b"confirm",
    b"eval",
    b"document.",
    b"window.",
    b"top[",
    b"self[",
    b"settimeout",
    b"setinterval",
    b"fetch(",
    b"import(",
    b"location",
];

/// A JavaScript string break (`'`, `"`) then, past operators, a script sink.
fn string_break(v: &[u8]) -> bool {
    super::any_at(v, b"\"'", |i| {
        let rest = &v[i + 1..];
        let skip = rest
            .iter()
            .take_while(|&&c| is_space(c) || b";+-*/|&,)(}!~^".contains(&c))
            .count();
        skip > 0 && {
            let r = &rest[skip..];
            // The first byte first: most words after a quote start no sink, and each
            // `starts_with` is a `memcmp` call.
            let Some(&first) = r.first() else {
                return false;
            };
            SINKS.iter().any(|s| {
                s[0] == first
                    && r.starts_with(s)
                    && (s.ends_with(b".")
                        || s.ends_with(b"[")
                        || s.ends_with(b"(")
                        || matches!(r.get(s.len()), Some(b'(' | b'`' | b'.' | b'=')))
            })
        }
    })
}
