//! What each literal occurrence must also satisfy: where it sits in its form (the
//! anchor) and, for a few rules, a cheap check of the bytes around it (the condition).

use std::ops::Range;

use super::normalize::Forms;
use super::signatures::{
    is_backup_archive, is_script, numeric_comparison, order_by_comment, starts_with_shell_command,
    Anchor, Cond, Scope,
};

#[derive(Clone, Copy, PartialEq, Eq)]
/// Which form of the request an occurrence is in.
pub(super) enum Region {
    Decoded,
    Normal,
    Query,
}

/// Notes `n` units of work done by a check that runs per occurrence (bytes examined, or
/// one per call): counted in tests (`cost_tests.rs`), nothing otherwise.
#[inline(always)]
pub(super) fn work(n: usize) {
    #[cfg(test)]
    super::cost_tests::add(n);
    #[cfg(not(test))]
    let _ = n;
}

pub(super) fn usize_range(r: &Range<u32>) -> Range<usize> {
    r.start as usize..r.end as usize
}

pub(super) fn region_of(f: &Forms, s: usize) -> (Region, Range<usize>) {
    if f.has_distinct_decoded() && s < f.decoded.end {
        (Region::Decoded, f.decoded.clone())
    } else if s < f.normal.end {
        (Region::Normal, f.normal.clone())
    } else {
        // Matches never span the `\0` separators, so past the path is the query.
        (Region::Query, f.query.clone().unwrap_or(s..s))
    }
}

pub(super) fn scope_allows(scope: Scope, region: Region) -> bool {
    match scope {
        Scope::Path => region != Region::Query,
        Scope::Normal => region == Region::Normal,
        Scope::Query => region == Region::Query,
        Scope::Target => true,
    }
}

/// Whether a segment ends at `e`: end of the form, a `/` next, the literal itself ended
/// with `/`, or (in the decoded path) a `;params` next.
fn boundary(buf: &[u8], e: usize, range: &Range<usize>, region: Region) -> bool {
    e >= range.end
        || buf[e] == b'/'
        || (e > range.start && buf[e - 1] == b'/')
        || (region == Region::Decoded && buf[e] == b';')
}

pub(super) fn anchor_holds(
    buf: &[u8],
    anchor: Anchor,
    s: usize,
    e: usize,
    range: &Range<usize>,
    region: Region,
) -> bool {
    match anchor {
        Anchor::Anywhere | Anchor::SegmentStart => true,
        Anchor::Start => s == range.start,
        Anchor::Root => s == range.start && boundary(buf, e, range, region),
        Anchor::Exact => {
            s == range.start && (e == range.end || (e + 1 == range.end && buf[e] == b'/'))
        }
        Anchor::Segment | Anchor::SegmentEnd => boundary(buf, e, range, region),
        Anchor::End => e == range.end,
        Anchor::Param => s > range.start && matches!(buf[s - 1], b'?' | b'&' | b';'),
    }
}

pub(super) fn cond_holds(
    buf: &[u8],
    f: &Forms,
    cond: Cond,
    s: usize,
    e: usize,
    range: &Range<usize>,
    region: Region,
) -> bool {
    work(1);
    let seg_end = |from: usize| {
        let end = buf[from..range.end]
            .iter()
            .position(|&b| b == b'/' || (region == Region::Decoded && b == b';'))
            .map_or(range.end, |i| from + i);
        work(end - from);
        end
    };
    match cond {
        Cond::Always => true,
        // Linear overall, not per occurrence: the literals start with the segment's `/`
        // (`/wp-`, `/c99`, `/cmd`…), so this reads the rest of the segment they start,
        // and at most a few of them (`/cmd`, `/cmdshell`) start at one `/`.
        Cond::Script => {
            // The literal starts with the segment's `/`.
            let start = if buf[s] == b'/' { s + 1 } else { s };
            is_script(&buf[start..seg_end(e.max(start))])
        }
        // Found once per request (`prepare`); these signatures are path-scoped.
        Cond::ScriptPath => match region {
            Region::Decoded => f.decoded_script(buf),
            Region::Normal => f.normal_script(buf),
            Region::Query => false,
        },
        // The anchor (`SegmentEnd`) holds, so `e` ends the segment and the segment is
        // read back to its `/`: at most two extensions end at one place (`.tar.gz`,
        // `.gz`), so each segment is read at most twice.
        Cond::BackupArchive => {
            let start = buf[range.start..e]
                .iter()
                .rposition(|&b| b == b'/')
                .map_or(range.start, |i| range.start + i + 1);
            work(e - start);
            let at_root = start == range.start + 1;
            is_backup_archive(&buf[start..seg_end(e)], at_root)
        }
        Cond::NumericValue => {
            let digits = buf[e..range.end]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            work(digits);
            digits > 0 && buf.get(e + digits).is_none_or(|&b| b == b'&' || b == 0)
        }
        Cond::ValueStart => {
            let mut i = s;
            while i > range.start && matches!(buf[i - 1], b'/' | b'.' | b' ') {
                i -= 1;
            }
            work(s - i);
            if i >= range.start + 2 && buf[i - 1] == b':' && buf[i - 2].is_ascii_lowercase() {
                i -= 2;
            }
            i > range.start && buf[i - 1] == b'='
        }
        // `or`, `and`, `order` as words: after a space, a bracket, a quote or the start.
        Cond::NumericComparison | Cond::OrderByComment
            if s > range.start
                && !matches!(
                    buf[s - 1],
                    b' ' | b'\r' | b'\n' | b'(' | b')' | b'\'' | b'"' | b'?' | b'=' | b'/'
                ) =>
        {
            false
        }
        Cond::NumericComparison => numeric_comparison(&buf[e..range.end]),
        Cond::OrderByComment => order_by_comment(&buf[e..range.end]),
        Cond::ShellCommandOnScript => {
            f.normal_script(buf) && starts_with_shell_command(&buf[e..range.end])
        }
    }
}

/// The last non-empty segment (`/x.jsp/` is `x.jsp`), `;params` cut.
pub(super) fn last_segment(path: &[u8]) -> &[u8] {
    work(path.len());
    let path = path.split(|&b| b == b';').next().unwrap_or(path);
    let path = path.strip_suffix(b"/").unwrap_or(path);
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `() {` as a function definition, the start of every shellshock payload.
pub(super) fn has_shellshock(ua: &[u8]) -> bool {
    let mut rest = ua;
    while let Some(i) = memchr::memchr(b'(', rest) {
        let after = rest[i + 1..].trim_ascii_start();
        work(rest.len() - after.len());
        if let Some(after) = after.strip_prefix(b")") {
            if after.trim_ascii_start().starts_with(b"{") {
                return true;
            }
        }
        rest = &rest[i + 1..];
    }
    false
}

/// A Log4j lookup: `${jndi:`, or a lookup nested in a lookup (`${${lower:j}ndi:`).
///
/// Looks at the 64 bytes after each `${`, once; a `${` among them is an answer, so
/// those windows never overlap and no byte is read more than twice.
pub(super) fn has_jndi_lookup(ua: &[u8]) -> bool {
    const WINDOW: usize = 64;
    let mut from = 0;
    // `memchr` for the `$`: every request's user agent comes here, and almost none has one.
    while let Some(i) = memchr::memchr(b'$', &ua[from..]) {
        if ua.get(from + i + 1) != Some(&b'{') {
            from += i + 1;
            continue;
        }
        let after = from + i + 2;
        let end = ua.len().min(after + WINDOW);
        work(i + 2 + (end - after));
        let window = &ua[after..end];
        let hit = (0..window.len()).any(|j| {
            let w = &window[j..];
            w.starts_with(b"${")
                || w.starts_with(b"::-")
                || w.get(..4).is_some_and(|x| x.eq_ignore_ascii_case(b"jndi"))
        });
        if hit {
            return true;
        }
        from = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_detectors() {
        assert!(has_shellshock(b"() { :; }; echo"));
        assert!(has_shellshock(b"x ( ) {"));
        assert!(!has_shellshock(b"Mozilla/5.0 (X11; Linux x86_64)"));
        assert!(has_jndi_lookup(b"${jndi:ldap://x}"));
        assert!(has_jndi_lookup(b"${${lower:J}NDI:x}"));
        assert!(has_jndi_lookup(b"${${::-j}ndi:x}"));
        assert!(!has_jndi_lookup(b"price ${5}"));
        assert!(has_jndi_lookup(b"${x} ${JnDi:x}"));
        assert!(has_jndi_lookup(
            &[b"${".as_slice(), &[b'x'; 60], b"jndi"].concat()
        ));
        assert!(!has_jndi_lookup(
            &[b"${".as_slice(), &[b'x'; 61], b"jndi"].concat()
        ));
        assert!(!has_jndi_lookup(b"${"));
        assert!(has_jndi_lookup(b"$${::-j}"));
        assert_eq!(last_segment(b"/a/x.jsp/"), b"x.jsp");
        assert_eq!(last_segment(b"/a/x.php;.jpg"), b"x.php");
    }
}
