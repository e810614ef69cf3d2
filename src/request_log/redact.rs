//! Redaction: sensitive query parameters and e-mail addresses never reach a sink.

/// Query parameter names redacted by default.
pub const DEFAULT_REDACTED_PARAMS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "access_token",
    "code",
    "session",
    "auth",
    "signature",
];

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// Names shorter than this only match as a whole word of the key (`code` matches
/// `code` and `auth_code`, not `zipcode`); longer ones match anywhere in it
/// (`token` matches `accessToken`, `password` matches `new_password`).
const SUBSTRING_MIN: usize = 5;
/// Keys are compared on their first bytes only.
const KEY_CAP: usize = 64;

/// The configured sensitive parameter names, lower-cased.
#[derive(Clone, Debug)]
pub(crate) struct Redactor {
    names: Vec<Box<str>>,
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
        Redactor {
            names: names
                .into_iter()
                .map(|n| n.as_ref().to_ascii_lowercase().into_boxed_str())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// Whether a (raw, possibly percent-encoded) parameter name is sensitive.
    pub(crate) fn is_sensitive(&self, raw_key: &str) -> bool {
        let mut buf = [0u8; KEY_CAP];
        let key = decode_key(raw_key, &mut buf);
        self.names.iter().any(|name| {
            let name = name.as_bytes();
            if name.len() >= SUBSTRING_MIN {
                key.windows(name.len()).any(|w| w == name)
            } else {
                key.split(|b| !b.is_ascii_alphanumeric())
                    .any(|word| word == name)
            }
        })
    }

    /// Writes `query` with sensitive values and e-mail addresses replaced.
    pub(crate) fn write_query(&self, out: &mut String, query: &str) {
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
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
}

/// Percent-decodes and lower-cases a key into `buf` (first `KEY_CAP` bytes).
fn decode_key<'b>(raw: &str, buf: &'b mut [u8; KEY_CAP]) -> &'b [u8] {
    let bytes = raw.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() && n < KEY_CAP {
        let b = match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    i += 2;
                    h << 4 | l
                }
                _ => b'%',
            },
            b'+' => b' ',
            b => b,
        };
        buf[n] = b.to_ascii_lowercase();
        n += 1;
        i += 1;
    }
    &buf[..n]
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b'%')
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Finds the next e-mail address at or after `from`: `(start, end)` byte offsets.
///
/// Matches `local@domain.tld` and its percent-encoded form `local%40domain.tld`; the
/// top-level label must be letters (so `pkg@1.2.3` is not an address).
fn next_email(s: &[u8], mut from: usize) -> Option<(usize, usize)> {
    while from < s.len() {
        let (at, after) = match s[from..].iter().position(|&b| b == b'@' || b == b'%') {
            Some(p) => {
                let at = from + p;
                if s[at] == b'@' {
                    (at, at + 1)
                } else if s.get(at + 1) == Some(&b'4') && s.get(at + 2) == Some(&b'0') {
                    (at, at + 3)
                } else {
                    from = at + 1;
                    continue;
                }
            }
            None => return None,
        };
        let mut start = at;
        while start > 0 && is_local_char(s[start - 1]) {
            start -= 1;
        }
        let mut end = after;
        while end < s.len() && is_domain_char(s[end]) {
            end += 1;
        }
        // Trailing dots or hyphens belong to the sentence, not the domain.
        while end > after && matches!(s[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &s[after..end];
        let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or(&[]);
        let valid = start < at
            && domain.contains(&b'.')
            && !domain.starts_with(b".")
            && tld.len() >= 2
            && tld.iter().all(u8::is_ascii_alphabetic);
        if valid {
            return Some((start, end));
        }
        from = after;
    }
    None
}

/// Writes `text` with every e-mail address replaced by `[REDACTED]`.
pub(crate) fn write_redacting_emails(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some((start, end)) = next_email(bytes, from) {
        // Offsets are at ASCII bytes, so they are char boundaries.
        out.push_str(&text[from..start]);
        out.push_str(REDACTED);
        from = end;
    }
    out.push_str(&text[from..]);
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
    fn configured_names_replace_the_defaults() {
        let r = Redactor::new(["ssn"]);
        let mut out = String::new();
        r.write_query(&mut out, "ssn=1&password=2");
        assert_eq!(out, "ssn=[REDACTED]&password=2");
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
        ] {
            assert_eq!(emails(t), t);
        }
    }
}
