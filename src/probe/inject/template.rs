//! Log4Shell lookups (`jndi`) and template injection (`ssti`).
//!
//! `jndi`: a `${…}` lookup whose name, once nested lookups are evaluated as Log4j does
//! (`${lower:j}` and `${upper:j}` are `j`, `${::-j}` and `${env:X:-j}` are their
//! default `j`, `${date:'j'}` is `j`, any other `${…}` is empty), is `jndi`.
//!
//! `ssti`: a template delimiter with an expression inside that computes or reaches into
//! objects. Delimiters: `{{ }}`, `${ }`, `#{ }`, `*{ }`, `@{ }`, `~{ }`, `@( )`,
//! `<%= %>` / `<% %>`, `{% %}`, `{$ }`, `<#assign`/`<#list`, `[#assign`, `#set(`,
//! `#foreach(`, `{php}`. An expression counts when it has arithmetic between literals
//! (`7*7`, `7*'7'`), a call `(`, a `__dunder__`, a subscript, or names a template
//! engine's globals (`config`, `self`, `request`, `settings`, `lipsum`, `cycler`,
//! `joiner`, `namespace`, `_context`, `app`, `smarty`, `freemarker`, `T(`). `{{ name }}`
//! and `{{ jinja }} syntax` do not. An expression that calls a browser sink
//! (`{{constructor.constructor('alert(1)')()}}`) is client-side template injection,
//! which runs in the browser: reported as XSS.

/// The longest lookup or expression read.
use super::find;

const SPAN: usize = 256;
/// Nesting depth evaluated.
const DEPTH: u8 = 6;

pub(super) fn is_jndi(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = find(&v[i..], b"${") {
        let at = i + p + 2;
        let mut out = Out::default();
        eval(&v[at..v.len().min(at + SPAN)], &mut out, 0);
        if out.buf[..out.len].starts_with(b"jndi:") {
            return true;
        }
        i = at;
    }
    false
}

/// The first bytes of an evaluated lookup (enough to see `jndi:`).
#[derive(Default)]
struct Out {
    buf: [u8; 8],
    len: usize,
}

impl Out {
    fn push(&mut self, c: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = c;
            self.len += 1;
        }
    }
}

/// The index of the `}` closing a lookup whose body starts at `t[0]`, if any.
fn close(t: &[u8]) -> Option<usize> {
    let mut depth = 0;
    let mut j = 0;
    while j < t.len() {
        match t[j] {
            b'$' if t.get(j + 1) == Some(&b'{') => {
                depth += 1;
                j += 1;
            }
            b'}' if depth == 0 => return Some(j),
            b'}' => depth -= 1,
            _ => {}
        }
        j += 1;
    }
    None
}

/// Appends the evaluation of `t` (a lookup body, or a value) to `out`: literal bytes as
/// they are, nested lookups by their value.
fn eval(t: &[u8], out: &mut Out, depth: u8) {
    let mut j = 0;
    while j < t.len() && out.len < out.buf.len() {
        if t[j] == b'$' && t.get(j + 1) == Some(&b'{') && depth < DEPTH {
            let body_start = j + 2;
            let end = close(&t[body_start..]).map_or(t.len(), |c| body_start + c);
            lookup_value(&t[body_start..end], out, depth + 1);
            j = end + 1;
        } else if t[j] == b'}' {
            return;
        } else {
            out.push(t[j]);
            j += 1;
        }
    }
}

/// The value of a nested lookup `body` (between `${` and `}`): its default after `:-`,
/// the argument of `lower:`, `upper:` and `date:` (quotes dropped), else nothing.
fn lookup_value(body: &[u8], out: &mut Out, depth: u8) {
    let value = if let Some(p) = find(body, b":-") {
        &body[p + 2..]
    } else if let Some(rest) = body
        .strip_prefix(b"lower:")
        .or_else(|| body.strip_prefix(b"upper:"))
        .or_else(|| body.strip_prefix(b"date:"))
    {
        rest
    } else {
        return;
    };
    let mut tmp = Out::default();
    eval(value, &mut tmp, depth);
    for &c in tmp.buf[..tmp.len]
        .iter()
        .filter(|&&c| c != b'\'' && c != b'"')
    {
        out.push(c);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ssti {
    /// Runs on the server.
    Server,
    /// Runs in the browser (AngularJS and friends).
    Client,
}

const OPENERS: &[(&[u8], &[u8])] = &[
    (b"{{", b"}}"),
    (b"${", b"}"),
    (b"#{", b"}"),
    (b"*{", b"}"),
    (b"@{", b"}"),
    (b"~{", b"}"),
    (b"@(", b")"),
    (b"<%", b"%>"),
    (b"{%", b"%}"),
    (b"{$", b"}"),
    (b"[[", b"]]"),
];

const DIRECTIVES: &[&[u8]] = &[
    b"<#assign",
    b"<#list",
    b"<#if",
    b"[#assign",
    b"#set(",
    b"#set (",
    b"#foreach(",
    b"#if(",
    b"{php}",
    b"<#import",
    b"${\"freemarker",
    b"{system(",
    b"{exec(",
];

const GLOBALS: &[&[u8]] = &[
    b"config",
    b"self",
    b"request",
    b"settings",
    b"lipsum",
    b"cycler",
    b"joiner",
    b"namespace",
    b"_context",
    b"app.",
    b"smarty",
    b"freemarker",
    b"t(",
    b"getclass",
    b"class.",
    b"runtime",
    b"url_for",
    b"get_flashed_messages",
    b"range(",
];

const BROWSER_SINKS: &[&[u8]] = &[
    b"alert",
    b"prompt",
    b"confirm",
    b"constructor",
    b"$eval",
    b"$on",
];

pub(super) fn ssti(v: &[u8]) -> Option<Ssti> {
    let seen = super::Seen::of(v);
    // A needle can only match if its first two bytes occur in the value.
    let may = |n: &[u8]| n.iter().take(2).all(|&b| seen.may_hold(b));
    if DIRECTIVES.iter().any(|d| may(d) && find(v, d).is_some()) {
        return Some(Ssti::Server);
    }
    for (open, close) in OPENERS.iter().filter(|(o, _)| may(o)) {
        let mut i = 0;
        while let Some(p) = find(&v[i..], open) {
            let at = i + p + open.len();
            let body = &v[at..v.len().min(at + SPAN)];
            let body = &body[..find(body, close).unwrap_or(body.len())];
            if *open == b"${" && (body.starts_with(b"ifs") || body.is_empty()) {
                i = at;
                continue;
            }
            if code(body, open) {
                let client = BROWSER_SINKS.iter().any(|s| find(body, s).is_some());
                return Some(if client { Ssti::Client } else { Ssti::Server });
            }
            i = at;
        }
    }
    None
}

/// Whether a template expression computes or reaches into objects.
fn code(body: &[u8], open: &[u8]) -> bool {
    if body.is_empty() {
        return false;
    }
    if open == b"<%" {
        // ERB/ASP/JSP: any expression tag with code in it.
        let b = body.strip_prefix(b"=").unwrap_or(body);
        return b.iter().any(|c| c.is_ascii_alphanumeric());
    }
    // `*{…}`, `#{…}`, `@{…}`, `~{…}` are also CSS and text: a call alone is not enough.
    let call_ok = matches!(open, b"{{" | b"${" | b"{%" | b"@(" | b"{$" | b"[[");
    arithmetic(body)
        || (call_ok && body.contains(&b'('))
        || find(body, b"__").is_some()
        || (body.contains(&b'[') && body.contains(&b']'))
        || GLOBALS.iter().any(|g| find(body, g).is_some())
}

/// Digits, an arithmetic operator, digits (a quote may wrap the second: `7*'7'`).
fn arithmetic(b: &[u8]) -> bool {
    b.windows(3).enumerate().any(|(i, w)| {
        w[1] == b'*' || w[1] == b'+' || w[1] == b'-' || w[1] == b'/' || w[1] == b'%'
    } && {
        let (l, r) = (&b[..i + 1], &b[i + 2..]);
        let l = trim_end(l);
        let r = r.iter().skip_while(|c| **c == b' ' || **c == b'\'' || **c == b'"');
        l.last().is_some_and(|c| c.is_ascii_digit()) && r.clone().next().is_some_and(|c| c.is_ascii_digit())
    })
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b.iter().rev().take_while(|c| **c == b' ').count();
    &b[..b.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jndi() {
        for s in [
            "${jndi:ldap://x/a}",
            "${${lower:j}ndi:ldap://x}",
            "${${::-j}${::-n}${::-d}${::-i}:rmi://x}",
            "${${env:nothing:-j}ndi:dns://x}",
            "x ${jndi:dns://x}",
        ] {
            assert!(is_jndi(s.as_bytes()), "{s}");
        }
        assert!(!is_jndi(b"${java:version}"));
        assert!(!is_jndi(b"price ${amount}"));
    }

    #[test]
    fn templates() {
        for s in [
            "{{7*7}}",
            "${7*7}",
            "<%= 7*7 %>",
            "#{7*7}",
            "*{7*7}",
            "{{config}}",
            "{{''.__class__}}",
            "{% for x in ().__class__.__base__.__subclasses__() %}",
            "{{7*'7'}}",
            "${self.module.cache.util.os.system(\"id\")}",
            "@(1+2)",
            "{$smarty.version}",
            "<#assign ex=\"freemarker.template.utility.execute\"?new()>",
        ] {
            assert_eq!(ssti(s.as_bytes()), Some(Ssti::Server), "{s}");
        }
        assert_eq!(
            ssti(b"{{constructor.constructor('alert(1)')()}}"),
            Some(Ssti::Client)
        );
        for s in [
            "{{ jinja }} syntax",
            "{{ user.name }}",
            "{\"status\":\"active\"}",
            "${ifs}",
            "$5",
        ] {
            assert_eq!(ssti(s.as_bytes()), None, "{s}");
        }
    }
}
