//! User names and passwords in URLs (`http://alice:s3cr3t@host/`): dropped before
//! anything is cut, redacted or logged.

use super::Redactor;

/// The host part of an authority (`alice:pw@host:80` → `host:80`): what follows its
/// last `@`. One pass over the authority, from the end.
pub(crate) fn strip_userinfo(authority: &[u8]) -> &[u8] {
    match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    }
}

/// Bytes that end a URL's authority (WHATWG parsers treat `\` as `/`).
fn ends_authority(b: u8) -> bool {
    matches!(b, b'/' | b'?' | b'#' | b'\\')
}

/// Splits a URL into its `scheme://` (or `//`) and the rest, from the host on, with
/// the userinfo left out: `https://bob:pw@ex.com/x` → (`https://`, `ex.com/x`).
/// Anything that does not start like that is `("", url)`. One pass over the scheme
/// and the authority.
pub(crate) fn split_userinfo(url: &[u8]) -> (&[u8], &[u8]) {
    let Some(after) = authority_start(url) else {
        return (&[], url);
    };
    let rest = &url[after..];
    let end = rest
        .iter()
        .position(|&b| ends_authority(b))
        .unwrap_or(rest.len());
    let userinfo = end - strip_userinfo(&rest[..end]).len();
    (&url[..after], &rest[userinfo..])
}

/// Where the authority begins: after `//` that opens the URL or follows its scheme.
fn authority_start(url: &[u8]) -> Option<usize> {
    if url.starts_with(b"//") {
        return Some(2);
    }
    // A scheme is a letter and then letters, digits, `+`, `-`, `.`; 32 bytes is plenty.
    let colon = url
        .iter()
        .take(33)
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))?;
    let valid = colon > 0 && url[0].is_ascii_alphabetic() && url[colon..].starts_with(b"://");
    valid.then_some(colon + 3)
}

impl Redactor {
    /// Writes a URL split by [`split_userinfo`]: the scheme, then the rest with the
    /// path redacted as a path (patterns and matrix parameters; there is no route),
    /// the query as a query, and e-mail addresses anywhere.
    pub(crate) fn write_url(&self, out: &mut String, scheme: &str, rest: &str) {
        out.push_str(scheme);
        let (base, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let (host, path) = if scheme.is_empty() {
            ("", base)
        } else {
            base.split_at(base.find(['/', '\\', '#']).unwrap_or(base.len()))
        };
        self.write_segment(out, host);
        self.write_path(out, path, None);
        if let Some(q) = query {
            out.push('?');
            self.write_query(out, q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (&str, &str) {
        let (a, b) = split_userinfo(url.as_bytes());
        (
            std::str::from_utf8(a).unwrap(),
            std::str::from_utf8(b).unwrap(),
        )
    }

    #[test]
    fn userinfo_is_dropped() {
        assert_eq!(strip_userinfo(b"alice:s3cr3t@host"), b"host");
        assert_eq!(strip_userinfo(b"a@b:c@host:8080"), b"host:8080");
        assert_eq!(strip_userinfo(b"[::1]:80"), b"[::1]:80");
        assert_eq!(
            split("https://bob:pw@other.example/x"),
            ("https://", "other.example/x")
        );
        assert_eq!(
            split("https://bob:p@w@ex.com?a@b"),
            ("https://", "ex.com?a@b")
        );
        assert_eq!(split("//bob@ex.com"), ("//", "ex.com"));
        assert_eq!(split("https://ex.com/u@x"), ("https://", "ex.com/u@x"));
        assert_eq!(
            split("https://ex.com\\@evil.com"),
            ("https://", "ex.com\\@evil.com")
        );
        assert_eq!(split("android-app://com.x/"), ("android-app://", "com.x/"));
        assert_eq!(split("bob:pw@host"), ("", "bob:pw@host"));
        assert_eq!(split("1a://x@y"), ("", "1a://x@y"));
        assert_eq!(split(""), ("", ""));
    }

    #[test]
    fn referers() {
        let r = Redactor::default();
        let url = |s: &str| {
            let (scheme, rest) = split_userinfo(s.as_bytes());
            let mut out = String::new();
            r.write_url(
                &mut out,
                std::str::from_utf8(scheme).unwrap(),
                std::str::from_utf8(rest).unwrap(),
            );
            out
        };
        assert_eq!(
            url("https://bob:pw@other.example/x"),
            "https://other.example/x"
        );
        assert_eq!(
            url("https://ex.com/reset?token=t&u=carol@example.net"),
            "https://ex.com/reset?token=[REDACTED]&u=[REDACTED]"
        );
        assert_eq!(
            url("https://ex.com/shop;jsessionid=1/x"),
            "https://ex.com/shop;jsessionid=[REDACTED]/x"
        );
        assert_eq!(url("https://aaaaaaaa"), "https://aaaaaaaa");
        assert_eq!(
            url("https://x:y@ex.com;sid=1"),
            "https://ex.com;sid=[REDACTED]"
        );
        assert_eq!(url("not a url a@b.org"), "not a url [REDACTED]");
    }
}
