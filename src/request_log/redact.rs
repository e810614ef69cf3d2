//! Redaction: sensitive query, matrix and route parameters, user names and passwords
//! in URLs and e-mail addresses never reach a sink.
//!
//! - `names.rs` — which parameter names are sensitive;
//! - `path.rs` — matrix parameters, route parameters, configured path patterns;
//! - `url.rs` — userinfo in the authority, the `Host` header and the referer.
//!
//! Every scan here is linear in its input (`work.rs` counts the steps), and the
//! input is already cut to the field's cap when it arrives.

mod names;
mod path;
mod url;
#[cfg(test)]
mod work;

use names::{Key, NameRule};
use path::PathPattern;
pub(crate) use url::{split_userinfo, strip_userinfo};

/// Query parameter names redacted by default (the rules are those of
/// [`RequestLog::redact_query_params`](crate::RequestLog::redact_query_params)).
///
/// There is deliberately no `auth*`: it would hide `?author=1`, WordPress's public
/// user-enumeration probe, which a log should show. `auth` (a whole word: `auth`,
/// `authCode`, `x-auth`) and `authorization` are here instead.
pub const DEFAULT_REDACTED_PARAMS: &[&str] = &[
    // passwords
    "*password*",
    "passwd",
    "pwd",
    "pass",
    // tokens, keys, signatures (`*token*` covers access_token, id_token, csrf_token…,
    // `*secret*` covers client_secret, `key` the whole word in api-key, sortKey…)
    "*token*",
    "*secret*",
    "jwt",
    "ticket",
    "key",
    "api_key",
    "access_key",
    "private_key",
    "sig",
    "signature",
    "auth",
    "authorization",
    "credential*",
    "saml*",
    // sessions (`sessid` covers PHPSESSID)
    "session*",
    "sessid",
    "jsessionid",
    "sid",
    // one-time codes
    "code",
    "otp",
];

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// Work done by the scans, counted in tests to prove them linear; nothing otherwise.
pub(crate) mod steps {
    #[cfg(test)]
    thread_local! {
        static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// Counts `n` bytes examined.
    #[inline(always)]
    pub(crate) fn add(n: u64) {
        #[cfg(test)]
        STEPS.with(|s| s.set(s.get() + n));
        #[cfg(not(test))]
        let _ = n;
    }

    /// The steps counted on this thread since the last call.
    #[cfg(test)]
    pub(crate) fn take() -> u64 {
        STEPS.with(|s| s.replace(0))
    }
}

/// The configured sensitive names and path patterns.
#[derive(Clone, Debug)]
pub(crate) struct Redactor {
    /// As configured, lower-cased (for `Debug` and the `reqlog.start` record).
    names: Vec<Box<str>>,
    rules: Vec<NameRule>,
    patterns: Vec<PathPattern>,
    /// Unique per set of names (clones share it): keys the per-thread route cache.
    pub(super) id: u64,
}

/// A fresh id for a new set of names.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(DEFAULT_REDACTED_PARAMS.iter().copied())
    }
}

impl Redactor {
    pub(crate) fn new<I, S>(names: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut r = Redactor {
            names: Vec::new(),
            rules: Vec::new(),
            patterns: Vec::new(),
            id: next_id(),
        };
        for name in names {
            let name = name.as_ref().trim().to_ascii_lowercase();
            if let Some(rule) = NameRule::new(&name) {
                r.rules.push(rule);
                r.names.push(name.into_boxed_str());
            }
        }
        r
    }

    /// These names instead of the current ones; the path patterns stay.
    pub(crate) fn with_names<I, S>(&self, names: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Redactor {
            patterns: self.patterns.clone(),
            ..Redactor::new(names)
        }
    }

    /// The same names, and these path patterns added.
    pub(crate) fn with_patterns<I, S>(&self, patterns: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut r = self.clone();
        r.patterns
            .extend(patterns.into_iter().map(|p| PathPattern::new(p.as_ref())));
        r
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    pub(crate) fn path_patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(PathPattern::source)
    }

    /// Whether a (raw, possibly percent-encoded) parameter name is sensitive.
    pub(crate) fn is_sensitive(&self, raw_key: &str) -> bool {
        let key = Key::new(raw_key);
        self.rules.iter().any(|rule| rule.matches(&key))
    }

    /// Writes `query` with sensitive values and e-mail addresses replaced. Pairs are
    /// separated by `&` or `;`.
    pub(crate) fn write_query(&self, out: &mut String, query: &str) {
        let mut rest = query;
        while let Some(i) = memchr::memchr2(b'&', b';', rest.as_bytes()) {
            self.write_pair(out, &rest[..i]);
            out.push_str(&rest[i..=i]);
            rest = &rest[i + 1..];
        }
        self.write_pair(out, rest);
    }

    /// `name=value`: the value redacted when the name is sensitive.
    fn write_pair(&self, out: &mut String, pair: &str) {
        match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() && self.is_sensitive(key) => {
                write_redacting_emails(out, key);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => write_redacting_emails(out, pair),
        }
    }
}

/// Byte classes for the e-mail scan.
const LOCAL: u8 = 1;
const DOMAIN: u8 = 2;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' {
            t[b] = LOCAL | DOMAIN;
        } else if matches!(c, b'_' | b'+' | b'%') {
            t[b] = LOCAL;
        }
        b += 1;
    }
    t
};

/// Writes `text` with every e-mail address replaced by `[REDACTED]`.
///
/// Matches `local@domain.tld` and its percent-encoded form `local%40domain.tld`; the
/// top-level label must be letters (so `pkg@1.2.3` is not an address). Linear: the
/// scan jumps from one `@` / `%` to the next, and finds where the local part begins
/// by walking back only over bytes the jump passed (what lies before is carried
/// along), so each byte is read at most twice; each candidate's domain is read once
/// (a domain ends at the next `@` or `%`, so no byte is in two candidates' domains).
pub(crate) fn write_redacting_emails(out: &mut String, text: &str) {
    let s = text.as_bytes();
    let mut written = 0;
    // Bytes before `from` are scanned; `s[run..from]` are all local-part bytes.
    let (mut from, mut run) = (0, 0);
    while let Some(p) = s[from..].iter().position(|&b| b == b'@' || b == b'%') {
        let at = from + p;
        steps::add(p as u64 + 1);
        let mut start = at;
        while start > from && CLASS[s[start - 1] as usize] & LOCAL != 0 {
            steps::add(1);
            start -= 1;
        }
        if start == from {
            start = run;
        }
        let after = match s[at] {
            b'@' => at + 1,
            _ if s.get(at + 1..at + 3) == Some(b"40") => at + 3,
            // A lone `%` is a local-part byte.
            _ => {
                (from, run) = (at + 1, start);
                continue;
            }
        };
        if start < at {
            if let Some(end) = domain_end(s, after) {
                // Offsets are at ASCII bytes, so they are char boundaries.
                out.push_str(&text[written..start]);
                out.push_str(REDACTED);
                (written, from, run) = (end, end, end);
                continue;
            }
        }
        (from, run) = match s[at] {
            b'@' => (after, after),
            // `%40`: all three are local-part bytes.
            _ => (after, start),
        };
    }
    out.push_str(&text[written..]);
}

/// The end of a valid domain that begins at `from`: letters, digits, dots and
/// hyphens, without trailing dots or hyphens (they belong to the sentence), with a
/// dot, not starting with one, and a top-level label of two letters or more.
fn domain_end(s: &[u8], from: usize) -> Option<usize> {
    if s.get(from) == Some(&b'.') {
        return None;
    }
    let (mut dot, mut tld_len, mut tld_alpha) = (false, 0, true);
    let mut valid_end = None;
    for (i, &b) in s.iter().enumerate().skip(from) {
        if CLASS[b as usize] & DOMAIN == 0 {
            break;
        }
        steps::add(1);
        match b {
            b'.' => (dot, tld_len, tld_alpha) = (true, 0, true),
            b'-' => (tld_len, tld_alpha) = (tld_len + 1, false),
            _ => {
                tld_len += 1;
                tld_alpha &= b.is_ascii_alphabetic();
                valid_end = (dot && tld_alpha && tld_len >= 2).then_some(i + 1);
            }
        }
    }
    valid_end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> String {
        let mut out = String::new();
        Redactor::default().write_query(&mut out, q);
        out
    }

    fn emails(t: &str) -> String {
        let mut out = String::new();
        write_redacting_emails(&mut out, t);
        out
    }

    #[test]
    fn sensitive_parameters_are_redacted() {
        assert_eq!(
            query("q=rust&password=hunter2"),
            "q=rust&password=[REDACTED]"
        );
        assert_eq!(
            query("accessToken=abc&new_password=x&Pass%77ord=y"),
            "accessToken=[REDACTED]&new_password=[REDACTED]&Pass%77ord=[REDACTED]"
        );
        assert_eq!(
            query("code=123&auth_code=9"),
            "code=[REDACTED]&auth_code=[REDACTED]"
        );
        assert_eq!(
            query("zipcode=12345&encode=utf8"),
            "zipcode=12345&encode=utf8"
        );
        assert_eq!(
            query("session=s&sessionid=t"),
            "session=[REDACTED]&sessionid=[REDACTED]"
        );
        assert_eq!(query("API_KEY=k&token="), "API_KEY=[REDACTED]&token=");
        assert_eq!(query("a&&b=&=c"), "a&&b=&=c");
    }

    #[test]
    fn other_spellings_are_redacted() {
        assert_eq!(
            query("userPwd=x&authCode=y&api-key=z&jwt=a&ticket=b&sig=c&key=d&q=rust"),
            "userPwd=[REDACTED]&authCode=[REDACTED]&api-key=[REDACTED]&jwt=[REDACTED]\
             &ticket=[REDACTED]&sig=[REDACTED]&key=[REDACTED]&q=rust"
        );
        for key in [
            "user_pwd",
            "apiKey",
            "API_KEY",
            "x-api-key",
            "PHPSESSID",
            "JSESSIONID",
            "sid",
            "client_secret",
            "clientSecret",
            "id_token",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "SAMLResponse",
            "RelayState_secret",
            "otp",
            "authorization",
            "privateKey",
            "AWSAccessKeyId",
            "oauth_token",
            "sortKey",
        ] {
            assert_eq!(
                query(&format!("{key}=v")),
                format!("{key}=[REDACTED]"),
                "{key}"
            );
        }
        for key in [
            "author",
            "keyword",
            "monkey",
            "zipcode",
            "q",
            "page",
            "sort",
            "passenger",
            "bypass",
            "signal",
            "codec",
            "lang",
            "ref",
        ] {
            assert_eq!(query(&format!("{key}=v")), format!("{key}=v"), "{key}");
        }
    }

    #[test]
    fn semicolons_separate_pairs_too() {
        assert_eq!(query("q=1;password=x&a=2"), "q=1;password=[REDACTED]&a=2");
    }

    #[test]
    fn configured_names_replace_the_defaults() {
        let r = Redactor::new(["ssn"]);
        let mut out = String::new();
        r.write_query(&mut out, "ssn=1&password=2");
        assert_eq!(out, "ssn=[REDACTED]&password=2");
        let r = Redactor::new(["auth*", "*_id", " "]);
        assert_eq!(r.names().collect::<Vec<_>>(), ["auth*", "*_id"]);
        let mut out = String::new();
        r.write_query(&mut out, "author=1&user_id=2&idx=3");
        assert_eq!(out, "author=[REDACTED]&user_id=[REDACTED]&idx=3");
    }

    #[test]
    fn emails_are_redacted_anywhere() {
        assert_eq!(
            emails("/users/bob@example.com/edit"),
            "/users/[REDACTED]/edit"
        );
        assert_eq!(
            emails("email=bob%40example.com&x=1"),
            "email=[REDACTED]&x=1"
        );
        assert_eq!(emails("to=a.b+c@mail.co.uk."), "to=[REDACTED].");
        assert_eq!(
            query("next=%2Fhome&email=Jo.Doe%40Example.ORG"),
            "next=%2Fhome&email=[REDACTED]"
        );
        assert_eq!(
            emails("a@b.com x@y.org, %40%40c@d.net"),
            "[REDACTED] [REDACTED], [REDACTED]"
        );
        // An address right after another one does not reach back into it.
        assert_eq!(emails("a@b.com.@d.org"), "[REDACTED][REDACTED]");
    }

    #[test]
    fn lookalikes_are_kept() {
        for t in [
            "/@alice",
            "/pkg@1.2.3",
            "/a@b",
            "/x@.com",
            "100%",
            "%4",
            "@",
            "a@b.c1",
            "a@b.c-d",
            "a@-.",
            "%40%40",
        ] {
            assert_eq!(emails(t), t);
        }
    }
}
