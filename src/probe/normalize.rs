//! Undoes the encodings scanners use to slip past naive matching.
//!
//! Two forms are built from the path of a request-target. The *decoded* form is
//! percent-decoded to a fixed point (`%252e` and `%25%32%65` both become `.`), with
//! `%uXXXX`, overlong UTF-8 (`%c0%af` is `/`) and full-width forms (`．`) undone, ASCII
//! case folded, `\` turned into `/`, tabs, vertical tabs and form feeds turned into
//! spaces, and null bytes removed; its `..` segments are still there, so the traversal
//! rule sees them. The *normal* form then resolves the path like a server would: `//` and
//! `/./` collapse, `;params` and trailing dots and spaces are cut from segments, and `..`
//! pops a segment. Path signatures match both; most paths need nothing resolved, and
//! then the two are one and the same bytes. The query is decoded too (`+` as a space).
//!
//! Decoding (in `decode.rs`) leaves no escape that could be decoded further, and every
//! step of the normal form is a fixed point of itself: that is what makes
//! [`normalize_path`] idempotent.

use std::cell::Cell;
use std::ops::Range;

use super::checks::last_segment;
use super::decode::{decode_into, Mode};
use super::signatures::is_script;

/// How many bytes of a path (after its leading `/`) or of a query are looked at; the rest
/// is ignored, so the work per request is bounded whatever a client sends.
pub const MAX_INPUT: usize = 8 * 1024;

/// Writes the normal form of the path `raw` into `out` (cleared first): the form the
/// detector's path signatures match against.
///
/// `raw` is a path as it appears on the request line, percent-encoding kept; all of it is
/// treated as path (split the query off first). Only the first 8 KiB are looked at. The
/// result always starts with `/`, is lowercase ASCII, contains no percent escape that
/// could be decoded further, and normalising it again gives the same string.
///
/// # Example
///
/// ```
/// use reqlog::probe::normalize_path;
///
/// let mut out = String::new();
/// normalize_path("/Admin;jsessionid=x/..%252f.%2E/.ENV.", &mut out);
/// assert_eq!(out, "/.env");
/// normalize_path("//WP-Login.php", &mut out);
/// assert_eq!(out, "/wp-login.php");
/// ```
pub fn normalize_path(raw: &str, out: &mut String) {
    out.clear();
    let mut buf = Vec::with_capacity(raw.len().min(MAX_INPUT) + 2);
    let decoded = decode_into(
        &mut buf,
        cap_path(raw).as_bytes(),
        Mode::Path {
            stop_at_query: false,
        },
    );
    let normal = if decoded.canonical {
        decoded.range
    } else {
        let start = buf.len();
        canonicalize(&mut buf, decoded.range);
        start..buf.len()
    };
    out.push_str(&String::from_utf8_lossy(&buf[normal]));
}

/// Cuts a path to [`MAX_INPUT`] bytes after its leading `/`, at a character boundary.
fn cap_path(raw: &str) -> &str {
    let limit = MAX_INPUT + usize::from(raw.starts_with('/'));
    cap(raw, limit)
}

fn cap(raw: &str, limit: usize) -> &str {
    if raw.len() <= limit {
        return raw;
    }
    let mut end = limit;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

/// The forms of one request-target, laid out in one buffer so that a single automaton
/// pass and a single regex pass see all of them:
///
/// ```text
/// decoded-path \0 normal-path [\0 ?decoded-query]
/// ```
///
/// When the decoded path equals the normal path (the common case) the haystack starts at
/// the normal path and the decoded copy is skipped.
#[derive(Clone, Debug)]
pub(super) struct Forms {
    /// Decoded path, dot segments still there.
    pub decoded: Range<usize>,
    /// Normal form of the path.
    pub normal: Range<usize>,
    /// `?` followed by the decoded query, when the target has one.
    pub query: Option<Range<usize>>,
    /// Where the haystack to scan starts (`decoded.start`, or `normal.start` when both
    /// path forms are equal).
    pub haystack_start: usize,
    /// A null byte (raw, `%00`, overlong) appeared in the path or the query.
    pub null_byte: bool,
    /// The decoded path had a `..` segment (also as `..;x`).
    pub dot_dot: bool,
    /// The decoded path has a CR or LF.
    pub line_break: bool,
    /// Whether the decoded and the normal path are the same bytes.
    same: bool,
    /// Whether the last segment of the (decoded, normal) path names a server-side
    /// script: found on first use (most requests never ask), then kept.
    scripts: Cell<Option<(bool, bool)>>,
}

impl Forms {
    /// Whether the last segment of the normal path names a server-side script.
    pub fn normal_script(&self, buf: &[u8]) -> bool {
        self.scripts(buf).1
    }

    /// Whether the last segment of the decoded path names a server-side script.
    pub fn decoded_script(&self, buf: &[u8]) -> bool {
        self.scripts(buf).0
    }

    /// Found once per request, not per literal occurrence: the checks that need them
    /// run for every occurrence of some literals, and a path can hold thousands.
    fn scripts(&self, buf: &[u8]) -> (bool, bool) {
        if let Some(s) = self.scripts.get() {
            return s;
        }
        let normal = is_script(last_segment(&buf[self.normal.clone()]));
        let decoded = if self.same {
            normal
        } else {
            is_script(last_segment(&buf[self.decoded.clone()]))
        };
        self.scripts.set(Some((decoded, normal)));
        (decoded, normal)
    }

    /// Whether the decoded path is scanned on its own (it differs from the normal form).
    pub fn has_distinct_decoded(&self) -> bool {
        self.decoded != self.normal && self.haystack_start == self.decoded.start
    }
}

/// Splits a request-target into path and query, decodes both and builds the normal path,
/// all into `buf` (cleared first).
pub(super) fn prepare(target: &str, buf: &mut Vec<u8>) -> Forms {
    buf.clear();
    let target = strip_absolute_form(target);
    // The path decoder stops at the first raw `?`; only a path longer than the cap needs
    // a search for it.
    let head = cap_path(target);
    let decoded = decode_into(
        buf,
        head.as_bytes(),
        Mode::Path {
            stop_at_query: true,
        },
    );
    let query_start = match decoded.stopped_at {
        Some(i) => Some(i + 1),
        None if head.len() < target.len() => {
            target[head.len()..].find('?').map(|i| head.len() + i + 1)
        }
        None => None,
    };
    let (normal, dot_dot) = if decoded.canonical {
        // The usual case: nothing to resolve, the decoded path is its own normal form.
        (decoded.range.clone(), false)
    } else {
        buf.push(0);
        let normal_start = buf.len();
        let dot_dot = canonicalize(buf, decoded.range.clone());
        (normal_start..buf.len(), dot_dot)
    };
    let mut null_byte = decoded.null_byte;
    let query = query_start.map(|q| {
        buf.push(0);
        let start = buf.len();
        buf.push(b'?');
        let d = decode_into(buf, cap(&target[q..], MAX_INPUT).as_bytes(), Mode::Query);
        null_byte |= d.null_byte;
        start..buf.len()
    });
    let same = normal == decoded.range || buf[decoded.range.clone()] == buf[normal.clone()];
    Forms {
        haystack_start: if same {
            normal.start
        } else {
            decoded.range.start
        },
        decoded: decoded.range,
        normal,
        query,
        null_byte,
        dot_dot,
        line_break: decoded.line_break,
        same,
        scripts: Cell::new(None),
    }
}

/// `http://host/path` (absolute-form, sent to proxies) becomes `/path`.
fn strip_absolute_form(target: &str) -> &str {
    let b = target.as_bytes();
    if b.first() == Some(&b'/') {
        return target;
    }
    let scheme_len = if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        7
    } else if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        8
    } else {
        return target;
    };
    // Skip the authority: the path (or query) starts at the first `/` or `?`.
    match target[scheme_len..].find(['/', '?']) {
        Some(i) => &target[scheme_len + i..],
        None => "/",
    }
}

/// Appends the normal form of the decoded path `buf[decoded]` to `buf`; returns whether a
/// `..` segment was seen.
fn canonicalize(buf: &mut Vec<u8>, decoded: Range<usize>) -> bool {
    let root = buf.len();
    buf.push(b'/');
    let mut dot_dot = false;
    let mut trailing_slash = false;
    let mut pos = decoded.start;
    while pos <= decoded.end {
        let seg_end = buf[pos..decoded.end]
            .iter()
            .position(|&b| b == b'/')
            .map_or(decoded.end, |i| pos + i);
        let seg = pos..seg_end;
        pos = seg_end + 1;
        super::checks::work(1 + 2 * seg.len());
        // `;params` are not part of the name (`/admin;jsessionid=x`, Tomcat's `..;/`).
        let mut end = buf[seg.clone()]
            .iter()
            .position(|&b| b == b';')
            .map_or(seg.end, |i| seg.start + i);
        let name_end = trim_end(buf, seg.start, end, b" ");
        match &buf[seg.start..name_end] {
            b"." => {
                trailing_slash = true;
                continue;
            }
            b".." => {
                dot_dot = true;
                trailing_slash = true;
                if buf.len() > root + 1 {
                    let last = buf[root..].iter().rposition(|&b| b == b'/').unwrap_or(0);
                    super::checks::work(buf.len() - root - last);
                    buf.truncate((root + last).max(root + 1));
                }
                continue;
            }
            _ => {}
        }
        // Windows ignores trailing dots and spaces: `/.env.`, `/web.config%20`.
        end = trim_end(buf, seg.start, end, b". ");
        if end == seg.start {
            trailing_slash = true;
            continue;
        }
        if buf.len() > root + 1 {
            buf.push(b'/');
        }
        buf.extend_from_within(seg.start..end);
        trailing_slash = false;
    }
    if trailing_slash && buf.len() > root + 1 {
        buf.push(b'/');
    }
    dot_dot
}

fn trim_end(buf: &[u8], start: usize, mut end: usize, set: &[u8]) -> usize {
    while end > start && set.contains(&buf[end - 1]) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(raw: &str) -> String {
        let mut out = String::new();
        normalize_path(raw, &mut out);
        out
    }

    fn decoded_path(target: &str) -> (String, Forms) {
        let mut buf = Vec::new();
        let f = prepare(target, &mut buf);
        (
            String::from_utf8_lossy(&buf[f.decoded.clone()]).into_owned(),
            f,
        )
    }

    #[test]
    fn percent_decoding_repeats_to_a_fixed_point() {
        assert_eq!(norm("/%2e%65nv"), "/.env");
        assert_eq!(norm("/%252e%2565nv"), "/.env"); // double
        assert_eq!(norm("/%25252e%252565nv"), "/.env"); // triple
        assert_eq!(norm("/%25%32%65env"), "/.env"); // nested pieces
        assert_eq!(norm("/100%"), "/100%");
        assert_eq!(norm("/%zz%4"), "/%zz%4");
    }

    #[test]
    fn iis_and_overlong_forms() {
        assert_eq!(norm("/%u002e%u0065nv"), "/.env");
        assert_eq!(norm("/a%c0%afb"), "/a/b"); // overlong slash
        assert_eq!(norm("/%c0%ae%c0%ae/x"), "/x"); // overlong dots resolve
        assert_eq!(norm("/%e0%80%afx"), "/x"); // 3-byte overlong slash
        assert_eq!(norm("/%uff0eenv"), "/.env"); // full-width dot
        assert_eq!(norm("/．env"), "/.env");
    }

    #[test]
    fn case_backslash_and_slashes() {
        assert_eq!(norm("/WP-Login.PHP"), "/wp-login.php");
        assert_eq!(norm("\\admin\\x"), "/admin/x");
        assert_eq!(norm("/a%5cb"), "/a/b");
        assert_eq!(norm("//a///b/./c/"), "/a/b/c/");
        assert_eq!(norm(""), "/");
        assert_eq!(norm("wp-login.php"), "/wp-login.php");
    }

    #[test]
    fn dot_segments_resolve_but_stay_visible() {
        assert_eq!(norm("/a/b/../../../etc/passwd"), "/etc/passwd");
        assert_eq!(norm("/a/..;/..;/etc/passwd"), "/etc/passwd");
        assert_eq!(norm("/a/b/.."), "/a/");
        let (d, f) = decoded_path("/static/..%2f..%2fproc/self/environ");
        assert_eq!(d, "/static/../../proc/self/environ");
        assert!(f.dot_dot);
        assert!(f.has_distinct_decoded());
        let (_, f) = decoded_path("/courses/1");
        assert!(!f.dot_dot);
        assert!(!f.has_distinct_decoded());
        assert_eq!(f.normal, f.decoded);
    }

    /// The decoder's "already canonical" flag, for a path.
    fn flagged_canonical(path: &str) -> bool {
        decode_into(
            &mut Vec::new(),
            path.as_bytes(),
            Mode::Path {
                stop_at_query: false,
            },
        )
        .canonical
    }

    #[test]
    fn canonical_shortcut() {
        for p in [
            "/", "/a", "/a/", "/a/b.c/d", "/.env", "/a/.x/", "/A/B", "\\A",
        ] {
            assert!(flagged_canonical(p), "{p}");
        }
        for p in [
            "", "a", "//", "/a//b", "/a//", "/./a", "/a/..", "/a.", "/a /b", "/a;b", "/a/../b",
            "/a%2fb", "\\\\a",
        ] {
            assert!(!flagged_canonical(p), "{p}");
        }
        let mut buf = Vec::new();
        let f = prepare("/a//.env?x", &mut buf);
        assert_eq!(&buf[f.normal.clone()], b"/a/.env");
        assert_eq!(f.query.map(|q| buf[q].to_vec()), Some(b"?x".to_vec()));
    }

    #[test]
    fn params_trailing_dots_and_spaces() {
        assert_eq!(norm("/admin;jsessionid=x"), "/admin");
        assert_eq!(norm("/cgi-bin/luci/;stok=/locale"), "/cgi-bin/luci/locale");
        assert_eq!(norm("/.env."), "/.env");
        assert_eq!(norm("/web.config%20"), "/web.config");
        assert_eq!(norm("/web.config. . "), "/web.config");
        assert_eq!(norm("/web.config%09"), "/web.config");
        let mut buf = Vec::new();
        assert!(prepare("/a%0d%0ab", &mut buf).line_break);
        assert!(prepare("/a\nb", &mut buf).line_break);
        assert!(!prepare("/ab?x=%0a", &mut buf).line_break);
    }

    #[test]
    fn null_bytes_are_removed_and_flagged() {
        assert_eq!(norm("/x.php%00.jpg"), "/x.php.jpg");
        assert_eq!(norm("/a%c0%80b"), "/ab"); // overlong NUL
        let (_, f) = decoded_path("/index.php?page=../x%00");
        assert!(f.null_byte);
        let (_, f) = decoded_path("/index.php?page=x");
        assert!(!f.null_byte);
        // Removing a NUL never creates a new escape: `%2` + NUL + `e` decodes as `%2e`.
        assert_eq!(norm("/%2%00e"), "/");
    }

    #[test]
    fn query_is_decoded_with_plus_as_space() {
        let mut buf = Vec::new();
        let f = prepare("/s?q=1%27+OR+%271%27%3D%271&x=%2B", &mut buf);
        let q = f.query.clone().map(|r| buf[r].to_vec());
        assert_eq!(q.as_deref(), Some(&b"?q=1' or '1'='1&x=+"[..]));
        let f = prepare("http://example.com/a?b", &mut buf);
        assert_eq!(&buf[f.normal.clone()], b"/a");
    }

    #[test]
    fn long_inputs_are_capped() {
        let long = "/a".repeat(100_000);
        let out = norm(&long);
        assert!(out.len() <= MAX_INPUT + 1);
        let nested = format!("/{}3", "%3".repeat(20_000));
        assert_eq!(norm(&nested).len(), norm(&norm(&nested)).len());
    }

    fn attack_shaped() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_string()),
            Just("..".to_string()),
            Just(".".to_string()),
            Just("%2e".to_string()),
            Just("%2f".to_string()),
            Just("%25".to_string()),
            Just("%252e".to_string()),
            Just("%c0".to_string()),
            Just("%af".to_string()),
            Just("%ae".to_string()),
            Just("%u".to_string()),
            Just("002e".to_string()),
            Just("%00".to_string()),
            Just("\\".to_string()),
            Just(";".to_string()),
            Just(" ".to_string()),
            Just("%20".to_string()),
            Just("%3".to_string()),
            Just("%ef%bc%8e".to_string()),
            Just("Ａ".to_string()),
            "[a-zA-Z0-9%.;/]{0,4}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn idempotent_on_arbitrary_strings(s in any::<String>()) {
            let once = norm(&s);
            prop_assert_eq!(norm(&once), once.clone());
            prop_assert!(once.starts_with('/'));
        }

        #[test]
        fn idempotent_on_attack_shaped_strings(s in attack_shaped()) {
            let once = norm(&s);
            prop_assert_eq!(norm(&once), once);
        }

        #[test]
        fn the_canonical_shortcut_agrees_with_canonicalize(s in "[aA./ ;\\\\%2e?]{0,12}") {
            let mut buf = Vec::new();
            let d = decode_into(&mut buf, s.as_bytes(), Mode::Path { stop_at_query: false });
            let decoded = buf.clone();
            canonicalize(&mut buf, d.range.clone());
            let identity = buf[decoded.len()..] == decoded[..];
            // Never claims canonical wrongly; and for input with nothing to decode, it
            // recognises every canonical path.
            prop_assert!(!d.canonical || identity, "{:?}", s);
            if !s.contains('%') {
                prop_assert_eq!(d.canonical, identity, "{:?}", s);
            }
        }

        #[test]
        fn prepare_never_panics(s in any::<String>()) {
            let mut buf = Vec::new();
            let f = prepare(&s, &mut buf);
            prop_assert!(f.normal.end <= buf.len());
        }
    }
}
