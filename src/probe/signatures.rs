//! The built-in signatures: what each rule looks for, and where.
//!
//! Most signatures are literals (compiled with the user's literal rules into one
//! Aho-Corasick automaton); each literal says which form it is matched in ([`Scope`]),
//! how it must sit in that form ([`Anchor`]) and, for a few, a cheap extra check on the
//! matched segment ([`Cond`]). The few signatures that need structure (SQL syntax,
//! template arithmetic, `../` in a parameter) are regexes, compiled into one regex set.
//! Rules are written for attack classes, not for single requests: "a `.php` file in an
//! upload folder", "a quote followed by `or` and a comparison".

mod devices;
mod frameworks;
mod patterns;
mod payloads;
mod secrets;
mod shells;
mod sites;

pub(super) use patterns::PATTERNS;

use super::ProbeCategory;
use Anchor::*;

/// Every literal signature, table by table (each lists its rules most specific first:
/// the first matching rule of the winning category names the match).
pub(super) const LITERAL_TABLES: &[&[Literals]] = &[
    shells::SHELLS,
    devices::DEVICES,
    frameworks::FRAMEWORKS,
    secrets::SECRETS,
    sites::SITES,
    payloads::PAYLOADS,
];

/// Every literal signature.
pub(super) fn literals() -> impl Iterator<Item = &'static Literals> {
    LITERAL_TABLES.iter().flat_map(|t| t.iter())
}

/// Paths browsers and crawlers ask for on their own: never probes, unless a server-side
/// script is asked for inside them (`/.well-known/shell.php`). Matched on the normal path.
pub(super) const ALLOW: &[(&str, Anchor)] = &[
    ("/.well-known", Root),
    ("/favicon", Start),
    ("/apple-touch-icon", Start),
    ("/android-chrome-", Start),
    ("/mstile-", Start),
    ("/safari-pinned-tab.svg", Exact),
    ("/robots.txt", Exact),
    ("/ads.txt", Exact),
    ("/app-ads.txt", Exact),
    ("/sellers.json", Exact),
    ("/sitemap", Start),
    ("/manifest.json", Exact),
    ("/site.webmanifest", Exact),
    ("/manifest.webmanifest", Exact),
    ("/browserconfig.xml", Exact),
    ("/humans.txt", Exact),
    ("/security.txt", Exact),
    ("/crossdomain.xml", Exact),
    ("/clientaccesspolicy.xml", Exact),
    ("/apple-app-site-association", Exact),
    ("/opensearch.xml", Exact),
];

/// Shorthand for the tables.
const fn l(
    category: ProbeCategory,
    rule: &'static str,
    scope: Scope,
    anchor: Anchor,
    cond: Cond,
    needles: &'static [&'static str],
) -> Literals {
    Literals {
        category,
        rule,
        scope,
        anchor,
        cond,
        needles,
    }
}

/// Which form of the request a literal is matched in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// The decoded path (dot segments kept) and the normal path.
    Path,
    /// The normal path only.
    Normal,
    /// The decoded query (`?` included at the start).
    Query,
    /// Anywhere: both path forms and the query.
    Target,
}

/// How a literal must sit in the form it is matched in. Literals anchored to segments
/// start with `/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anchor {
    /// Anywhere.
    Anywhere,
    /// At the start of the form.
    Start,
    /// At the start, ending at a segment boundary: `/admin` matches `/admin` and
    /// `/admin/x`, not `/administrator`.
    Root,
    /// The whole path, a trailing `/` allowed.
    Exact,
    /// A whole segment (or run of segments) anywhere.
    Segment,
    /// The start of a segment anywhere.
    SegmentStart,
    /// The end of a segment anywhere (file extensions).
    SegmentEnd,
    /// The end of the form.
    End,
    /// At the start of a query parameter (after `?`, `&` or `;`).
    Param,
}

/// An extra check on the segment a literal matched in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cond {
    /// No extra check.
    Always,
    /// The matched segment is a server-side script (`.php`, `.jsp`, `.aspx`…).
    Script,
    /// The last segment of the path is a server-side script.
    ScriptPath,
    /// The matched segment is an archive named like a backup (`backup.zip`, root
    /// `site.tar.gz`, `example.com.zip`), not any download.
    BackupArchive,
    /// A parameter value of digits follows (`author=1`).
    NumericValue,
    /// The literal starts a parameter value, after slashes, dots or a drive letter
    /// (`file=/etc/passwd`, `f=c:/windows/win.ini`).
    ValueStart,
    /// A shell command follows (`cmd=whoami`), and the path is a server-side script.
    ShellCommandOnScript,
    /// `or`/`and` as a word, then a numeric comparison (`or 1=1`, `and 5731>5730`).
    NumericComparison,
    /// `order by` a column number, then an SQL comment (`order by 3--`).
    OrderByComment,
}

/// Shell commands a webshell is first tried with.
pub(super) const SHELL_COMMANDS: &[&[u8]] = &[
    b"whoami",
    b"id",
    b"uname",
    b"ls",
    b"pwd",
    b"cat",
    b"dir",
    b"ipconfig",
    b"ifconfig",
    b"echo",
    b"wget",
    b"curl",
    b"ps",
    b"netstat",
    b"hostname",
];

/// Whether `rest` (what follows `or `) is a numeric comparison: `1=1`, `2 > 1`.
pub(super) fn numeric_comparison(rest: &[u8]) -> bool {
    let mut c = Cursor(rest);
    c.spaces(3);
    c.digits() && {
        c.spaces(3);
        c.one_of(b"=<>") && {
            c.spaces(3);
            c.digits()
        }
    }
}

/// Whether `rest` (what follows `order `) is `by 3--` (or `#`, `/*`).
pub(super) fn order_by_comment(rest: &[u8]) -> bool {
    let mut c = Cursor(rest);
    c.spaces(3);
    c.literal(b"by") && c.spaces(4) > 0 && c.digits() && {
        c.spaces(3);
        c.literal(b"--") || c.literal(b"#") || c.literal(b"/*")
    }
}

/// A tiny forward parser for the conditions above; whitespace is what a haystack can
/// hold (the decoder turns tabs into spaces).
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn spaces(&mut self, max: usize) -> usize {
        let n = self
            .0
            .iter()
            .take(max)
            .take_while(|b| matches!(b, b' ' | b'\r' | b'\n'))
            .count();
        self.0 = &self.0[n..];
        n
    }
    fn digits(&mut self) -> bool {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        super::checks::work(n);
        self.0 = &self.0[n..];
        n > 0
    }
    fn one_of(&mut self, set: &[u8]) -> bool {
        match self.0.first() {
            Some(b) if set.contains(b) => {
                self.0 = &self.0[1..];
                true
            }
            _ => false,
        }
    }
    fn literal(&mut self, l: &[u8]) -> bool {
        let ok = self.0.starts_with(l);
        if ok {
            self.0 = &self.0[l.len()..];
        }
        ok
    }
}

/// Whether `rest` (what follows `cmd=`) starts with a shell command and a separator.
pub(super) fn starts_with_shell_command(rest: &[u8]) -> bool {
    SHELL_COMMANDS.iter().any(|c| {
        rest.starts_with(c)
            && rest
                .get(c.len())
                .is_none_or(|b| matches!(b, b' ' | b'&' | b';' | b'|' | 0))
    })
}

/// A literal signature: one rule, several needles sharing scope, anchor and check.
#[derive(Debug)]
pub(super) struct Literals {
    pub category: ProbeCategory,
    pub rule: &'static str,
    pub scope: Scope,
    pub anchor: Anchor,
    pub cond: Cond,
    pub needles: &'static [&'static str],
}

/// A regex signature. Patterns are matched, ASCII-only and case-sensitive, against the
/// lowercase haystack `decoded-path \0 normal-path \0 ?query` in multi-line mode with
/// `\0` as line terminator: `^/` anchors to a path form, `^\?` to the query.
#[derive(Debug)]
pub(super) struct Pattern {
    pub category: ProbeCategory,
    pub rule: &'static str,
    pub regex: &'static str,
    /// Literals of which any match contains at least one, starting at most
    /// [`NEED_LOOKBEHIND`] bytes after the match does. They join the automaton as
    /// triggers: the regex set runs only for requests where one was seen, and only from
    /// the first one (less the look-behind), so that ordinary requests never pay for it.
    /// `regex_triggers_are_complete` checks both properties.
    pub needs: &'static [&'static [u8]],
}

/// How far before the first trigger a regex match may start (`(?:^|[^a-z]) and {1,4}`
/// before `sleep`, for instance).
pub(super) const NEED_LOOKBEHIND: usize = 8;

/// Whether a file name ends in the extension of a server-side script: a site that serves
/// none never sees a legitimate request for one.
///
/// Looks at the last six bytes at most: no script extension is longer than five.
pub(super) fn is_script(name: &[u8]) -> bool {
    let tail = &name[name.len().saturating_sub(6)..];
    super::checks::work(tail.len());
    let Some(dot) = tail.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    matches!(
        &tail[dot + 1..],
        b"php"
            | b"php2"
            | b"php3"
            | b"php4"
            | b"php5"
            | b"php7"
            | b"php8"
            | b"phtml"
            | b"phar"
            | b"pht"
            | b"phps"
            | b"jsp"
            | b"jspx"
            | b"jspf"
            | b"asp"
            | b"aspx"
            | b"ashx"
            | b"asmx"
            | b"asa"
            | b"cer"
            | b"cfm"
            | b"cgi"
            | b"pl"
    )
}

/// Archive extensions, longest first so that the stem is found.
const ARCHIVE_EXTENSIONS: &[&[u8]] = &[
    b".tar.gz",
    b".tar.bz2",
    b".tar.xz",
    b".tgz",
    b".tbz2",
    b".zip",
    b".tar",
    b".gz",
    b".rar",
    b".7z",
    b".bz2",
    b".xz",
    b".war",
    b".jar",
];

/// Stems of archives that hold a whole site or database when they sit at the root.
const BACKUP_STEMS: &[&[u8]] = &[
    b"backup",
    b"backups",
    b"bak",
    b"site",
    b"www",
    b"wwwroot",
    b"web",
    b"website",
    b"html",
    b"htdocs",
    b"public_html",
    b"public",
    b"db",
    b"database",
    b"dump",
    b"data",
    b"sql",
    b"mysql",
    b"old",
    b"archive",
    b"src",
    b"source",
    b"root",
    b"home",
    b"app",
    b"release",
    b"wordpress",
    b"wp",
    b"files",
    b"temp",
    b"tmp",
    b"test",
    b"new",
    b"admin",
    b"upload",
    b"uploads",
    b"back",
    b"bk",
    b"full",
    b"sitebackup",
    b"latest",
    b"config",
];

/// Whether `name` is an archive that looks like a backup. `at_root`: the archive is the
/// first segment of the path.
pub(super) fn is_backup_archive(name: &[u8], at_root: bool) -> bool {
    let Some(ext) = ARCHIVE_EXTENSIONS.iter().find(|e| name.ends_with(e)) else {
        return false;
    };
    let stem = &name[..name.len() - ext.len()];
    if contains(stem, b"backup") || contains(stem, b"dump") || contains(stem, b"_bak") {
        return true;
    }
    if !at_root {
        return false;
    }
    // `site1`, `backup-2024`, `www_old`: compare the leading word.
    let word_end = stem
        .iter()
        .position(|b| matches!(b, b'-' | b'_' | b'.' | b'0'..=b'9'))
        .unwrap_or(stem.len());
    // `example.com.zip`: a whole site archived under its domain name.
    BACKUP_STEMS.contains(&&stem[..word_end]) || is_domain_name(stem)
}

/// `example.com`, `www.example.co.uk`: labels of letters, digits and `-`, ending in an
/// alphabetic top-level label (so `jquery-3.7.1` is not one).
fn is_domain_name(s: &[u8]) -> bool {
    let Some(dot) = s.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let tld = &s[dot + 1..];
    dot > 0
        && (2..=6).contains(&tld.len())
        && tld.iter().all(u8::is_ascii_alphabetic)
        && s[..dot]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn rule_ids_have_one_category_and_a_stable_shape() {
        let mut seen: HashMap<&str, ProbeCategory> = HashMap::new();
        let ids = literals()
            .map(|l| (l.rule, l.category))
            .chain(PATTERNS.iter().map(|p| (p.rule, p.category)));
        for (id, cat) in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "rule id {id:?} is not kebab-case"
            );
            let prev = *seen.entry(id).or_insert(cat);
            assert_eq!(prev, cat, "rule id {id:?} used with two categories");
        }
        assert!(seen.len() > 100, "only {} rules", seen.len());
    }

    #[test]
    fn needles_are_lowercase_and_segment_anchors_start_with_a_slash() {
        for l in literals() {
            assert!(!l.needles.is_empty(), "{}", l.rule);
            for n in l.needles {
                assert!(!n.is_empty(), "{}", l.rule);
                assert_eq!(
                    n.to_ascii_lowercase(),
                    *n,
                    "{}: {n:?} not lowercase",
                    l.rule
                );
                if matches!(
                    l.anchor,
                    Anchor::Root
                        | Anchor::Exact
                        | Anchor::Segment
                        | Anchor::SegmentStart
                        | Anchor::Start
                ) && l.scope != Scope::Query
                {
                    assert!(n.starts_with('/'), "{}: {n:?} should start with /", l.rule);
                }
                assert!(!n.contains('\0') && !n.contains('\\'), "{}: {n:?}", l.rule);
            }
        }
        for (n, _) in ALLOW {
            assert!(n.starts_with('/') && n.to_ascii_lowercase() == *n, "{n:?}");
        }
    }

    #[test]
    fn all_categories_have_rules() {
        for c in ProbeCategory::ALL {
            assert!(
                literals().any(|l| l.category == c) || PATTERNS.iter().any(|p| p.category == c),
                "{c} has no rule"
            );
        }
    }

    #[test]
    fn sql_shapes() {
        assert!(numeric_comparison(b"1=1"));
        assert!(numeric_comparison(b" 5731 = 5731--"));
        assert!(numeric_comparison(b"\n2>1"));
        assert!(!numeric_comparison(b"two=2"));
        assert!(!numeric_comparison(b"1 things"));
        assert!(order_by_comment(b"by 3--"));
        assert!(order_by_comment(b"\rby\n10#"));
        assert!(!order_by_comment(b"by 3"));
        assert!(!order_by_comment(b"by date--"));
    }

    #[test]
    fn scripts_and_archives() {
        assert!(is_script(b"shell.php"));
        assert!(is_script(b"cmd.jsp"));
        assert!(!is_script(b"style.css"));
        assert!(!is_script(b"php"));
        assert!(is_backup_archive(b"backup.zip", true));
        assert!(is_backup_archive(b"site.tar.gz", true));
        assert!(is_backup_archive(b"www_2024.rar", true));
        assert!(is_backup_archive(b"example.com.zip", true));
        assert!(is_backup_archive(b"db_backup.tgz", false));
        assert!(!is_backup_archive(b"course-notes.zip", true));
        assert!(!is_backup_archive(b"site.tar.gz", false));
        assert!(!is_backup_archive(b"backup-icons.svg", true));
        assert!(!is_backup_archive(b"jquery-3.7.1.zip", true));
    }
}
