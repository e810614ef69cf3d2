//! Corpus tests: public payload lists, the benign corpus, evasions, and costs.
//!
//! The data live in `tests/data/injection/` (see its README for sources and licences).
//! Each payload is placed as a scanner would send it: percent-encoded (or, when the row
//! already holds `%XX` escapes, as it is, with only spaces, `#`, `&` and non-ASCII
//! bytes escaped) in the parameter a scanner uses for its family, after an ordinary
//! parameter: `lang=en&id=…`.

use super::*;
use std::collections::BTreeMap;

mod cost;
mod diff;
mod unit_html;
mod unit_shell;
use std::fmt::Write as _;

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/injection")
}

fn family_named(s: &str) -> Family {
    match s {
        "sqli" => Family::Sqli,
        "xss" => Family::Xss,
        "cmdi" => Family::Cmdi,
        "lfi" => Family::Lfi,
        "ssti" => Family::Ssti,
        "jndi" => Family::Jndi,
        "ssrf" => Family::Ssrf,
        "nosqli" => Family::Nosqli,
        "crlf" => Family::Crlf,
        "ldapi" => Family::Ldapi,
        "xxe" => Family::Xxe,
        _ => panic!("unknown family {s}"),
    }
}

fn param_for(f: Family) -> &'static str {
    match f {
        Family::Sqli => "id",
        Family::Xss => "q",
        Family::Lfi => "file",
        Family::Cmdi => "host",
        Family::Ssti => "name",
        Family::Ssrf => "url",
        Family::Nosqli => "user",
        Family::Crlf => "page",
        Family::Jndi => "x",
        Family::Ldapi => "user",
        Family::Xxe => "xml",
    }
}

fn has_escape(s: &[u8]) -> bool {
    s.windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// Percent-encodes a payload for a query: all but unreserved bytes, or (raw rows) only
/// what cannot stand in a query.
pub(super) fn encode(payload: &str) -> String {
    encode_as(payload, has_escape(payload.as_bytes()))
}

/// As [`encode`]; `raw`: the row is already query-encoded (only what cannot stand in a
/// query is escaped).
fn encode_as(payload: &str, raw: bool) -> String {
    let mut out = String::with_capacity(payload.len() * 3);
    for &b in payload.as_bytes() {
        let keep = if raw {
            b > b' ' && b < 0x7f && b != b'#' && b != b'&'
        } else {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
        };
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

struct Row {
    family: Family,
    payload: String,
    origin: String,
    /// The row is query-encoded already (libinjection's data: its test reader
    /// URL-decodes every line, `+` as a space).
    raw: bool,
}

/// Whether a corpus file's rows are query-encoded already.
fn raw_source(name: &str) -> bool {
    name.starts_with("libinjection-")
}

fn load(name: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(data_dir().join(name)).expect("corpus file");
    let raw = raw_source(name);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let first = l.find('\t').expect("family column");
            let last = l.rfind('\t').expect("source column");
            Row {
                family: family_named(&l[..first]),
                payload: l[first + 1..last].to_owned(),
                origin: l[last + 1..].to_owned(),
                raw: raw || has_escape(&l.as_bytes()[first + 1..last]),
            }
        })
        .collect()
}

fn inspect_payload(row: &Row) -> Option<Finding> {
    let value = encode_as(&row.payload, row.raw);
    inspect_query(&format!("lang=en&{}={value}", param_for(row.family)))
}

/// Every public corpus must reach this recall and family accuracy (per cent).
const FLOOR: f64 = 95.0;

#[derive(Default)]
struct Tally {
    rows: usize,
    named: usize,
    right: usize,
}

#[test]
fn public_corpora_are_named() {
    let mut names: Vec<_> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tsv") && !n.contains("benign"))
        .collect();
    names.sort();
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut misses = String::new();
    let _ = writeln!(
        report,
        "{:<28} {:>6} {:>8} {:>9}",
        "corpus", "rows", "recall", "accuracy"
    );
    let mut by_origin: BTreeMap<String, Tally> = BTreeMap::new();
    for name in &names {
        let mut t = Tally::default();
        for row in load(name) {
            t.rows += 1;
            let o = by_origin.entry(row.origin.clone()).or_default();
            o.rows += 1;
            let got = inspect_payload(&row);
            if got.is_some() {
                t.named += 1;
                o.named += 1;
            }
            if got.as_ref().map(|f| f.family) == Some(row.family) {
                t.right += 1;
                o.right += 1;
            } else {
                let _ = writeln!(
                    misses,
                    "{name}\t{}\t{:?}\t{}",
                    row.family.as_str(),
                    got.map(|f| f.family.as_str()),
                    row.payload
                );
            }
        }
        let recall = t.named as f64 / t.rows as f64 * 100.0;
        let acc = t.right as f64 / t.rows as f64 * 100.0;
        let _ = writeln!(
            report,
            "{name:<28} {:>6} {recall:>7.1}% {acc:>8.1}%",
            t.rows
        );
        if recall < FLOOR || acc < FLOOR {
            failures.push(name.clone());
        }
    }
    let _ = writeln!(report, "\nper source file:");
    for (origin, t) in &by_origin {
        let _ = writeln!(
            report,
            "{:<70} {:>5} {:>6.1}% {:>6.1}%",
            origin,
            t.rows,
            t.named as f64 / t.rows as f64 * 100.0,
            t.right as f64 / t.rows as f64 * 100.0
        );
    }
    println!("{report}");
    if let Ok(path) = std::env::var("INJECT_MISSES") {
        std::fs::write(path, &misses).unwrap();
    }
    assert!(
        failures.is_empty(),
        "below the floor: {failures:?}\n{report}"
    );
}

#[test]
fn benign_values_pass() {
    let text = std::fs::read_to_string(data_dir().join("benign.tsv")).unwrap();
    let mut flagged = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut cols = line.splitn(3, '\t');
        let name = cols.next().unwrap();
        let value = cols.next().unwrap_or("").replace("\\n", "\n");
        let value = value.as_str();
        n += 1;
        // Sent the way a browser sends a form: percent-encoded, spaces as `+`.
        let enc = encode(value).replace("%20", "+");
        let q = format!("{}={}", encode(name), enc);
        if let Some(f) = inspect_query(&q) {
            flagged.push(format!("{} {name}={value}", f.family.as_str()));
        }
    }
    println!("benign: {n} values, {} flagged", flagged.len());
    assert!(n >= 500, "only {n} benign values");
    assert!(flagged.is_empty(), "flagged:\n{}", flagged.join("\n"));
}

#[test]
fn libinjection_false_positives_pass() {
    // Inputs that libinjection once flagged by mistake (its data/false_positives.txt).
    let text = std::fs::read_to_string(data_dir().join("libinjection-benign.tsv")).unwrap();
    let mut flagged = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let value = line.split('\t').nth(1).unwrap_or("");
        n += 1;
        // Query-encoded, as libinjection's reader reads it (see `raw_source`).
        if let Some(f) = inspect_query(&format!("q={}", encode_as(value, true))) {
            flagged.push(format!("{} {value}", f.family.as_str()));
        }
    }
    println!(
        "libinjection false positives: {n} values, {} flagged",
        flagged.len()
    );
    // A hard list by design (another engine's mistakes): at most 2.5 % may be flagged.
    assert!(
        flagged.len() * 1000 <= n * 25,
        "flagged:\n{}",
        flagged.join("\n")
    );
}

#[test]
fn the_parameter_is_reported() {
    let q = "a=1&b=x&id=1%27%20or%20%271%27%3D%271&c=%3Cb%3Ehi%3C/b%3E";
    let f = inspect_query(q).unwrap();
    assert_eq!(f.family, Family::Sqli);
    assert_eq!(&q[f.param], "id");
    // The more specific family wins across parameters; the first wins ties.
    let q = "id=1%27%20or%201%3D1--&f=..%2F..%2Fetc%2Fpasswd&g=..%2f..%2fx";
    let f = inspect_query(q).unwrap();
    assert_eq!((f.family, &q[f.param.clone()]), (Family::Lfi, "f"));
    let q = "id=1%27%20or%201%3D1--&q=%3Csvg%20onload%3Dalert(1)%3E";
    let f = inspect_query(q).unwrap();
    assert_eq!((f.family, &q[f.param.clone()]), (Family::Xss, "q"));
    // Names: NoSQL operators and markup; a bare parameter gets every check.
    let q = "user%5B%24ne%5D=1";
    assert_eq!(inspect_query(q).unwrap().family, Family::Nosqli);
    let f = inspect_query("x=1&..%2F..%2Fetc%2Fpasswd").unwrap();
    assert_eq!((f.family, f.param.is_empty()), (Family::Lfi, true));
    assert_eq!(inspect_value(b"1' or '1'='1"), Some(Family::Sqli));
    assert_eq!(inspect_query("q=rust&page=2&sort=price"), None);
}

#[test]
fn issue_14_misses() {
    for (q, f) in [
        ("id=1%20UNION%20ALL%20SELECT", Family::Sqli),
        ("id=1'%20or%20'a'='a", Family::Sqli),
        ("id=1%20or%201=1--", Family::Sqli),
        ("id=1/**/or/**/1/**/=/**/1", Family::Sqli),
        ("id=1%20having%201=1--", Family::Sqli),
        ("id=1||UTL_HTTP.REQUEST", Family::Sqli),
        (
            "id=1;declare%20@s%20varchar(200)%20select%20@s%20=%200x73",
            Family::Sqli,
        ),
        ("file=/etc/crontab", Family::Lfi),
        ("file=/etc/ssh/sshd_config", Family::Lfi),
        ("file=C:\\inetpub\\wwwroot\\global.asa", Family::Lfi),
        (
            "q=%3CDIV%20STYLE=%22width:%20expression(alert('XSS'))%22%3E",
            Family::Xss,
        ),
        (
            "q=%3CLINK%20REL=%22stylesheet%22%20HREF=%22http://x/xss.css%22%3E",
            Family::Xss,
        ),
        (
            "q=%3CMETA%20HTTP-EQUIV=%22Set-Cookie%22%20Content=%22a=b%22%3E",
            Family::Xss,
        ),
        (
            "q=%3CIMG%20SRC=%22jav%26%23x09;ascript:alert('XSS')%22%3E",
            Family::Xss,
        ),
    ] {
        assert_eq!(inspect_query(q).map(|x| x.family), Some(f), "{q}");
    }
}

mod evasions {
    use super::*;
    use proptest::prelude::*;

    /// Known payloads and their families (written for reqlog).
    const SEEDS: &[(&str, Family)] = &[
        ("1' or '1'='1", Family::Sqli),
        ("1 union select null,version()--", Family::Sqli),
        ("' and sleep(5)#", Family::Sqli),
        ("../../../etc/passwd", Family::Lfi),
        ("..\\..\\windows\\win.ini", Family::Lfi),
        ("<script>alert(1)</script>", Family::Xss),
        ("<img src=x onerror=alert(1)>", Family::Xss),
        ("<a href=\"javascript:alert(1)\">x</a>", Family::Xss),
        ("; cat /etc/passwd", Family::Cmdi),
        ("{{7*7}}", Family::Ssti),
        ("${jndi:ldap://x/a}", Family::Jndi),
    ];

    /// Re-encodes one byte the way an evasive scanner might.
    fn reencode(b: u8, how: u8, sql: bool) -> String {
        match (how, b) {
            (_, b' ') if sql && how % 3 == 0 => "/**/".into(),
            (_, b' ') if how % 3 == 1 => "+".into(),
            (0, _) => format!("%{b:02X}"),
            (1, _) => format!("%25{b:02X}"),
            (2, _) => format!("%2525{b:02X}"),
            (3, _) => format!("%u00{b:02x}"),
            (4, b'/' | b'.' | b'<') => {
                let v = u16::from(b);
                format!("%{:02x}%{:02x}", 0xc0 | (v >> 6), 0x80 | (v & 0x3f))
            }
            (5, c) if c.is_ascii_alphabetic() => ((c ^ 0x20) as char).to_string(),
            (6, _) => format!("%{b:02x}"),
            _ if b.is_ascii_alphanumeric() => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn reencodings_keep_their_family(
            seed in 0..SEEDS.len(),
            hows in proptest::collection::vec(0u8..8, 64),
        ) {
            let (payload, family) = SEEDS[seed];
            let sql = family == Family::Sqli;
            let enc: String = payload
                .bytes()
                .enumerate()
                .map(|(i, b)| reencode(b, hows[i % hows.len()], sql))
                .collect();
            let q = format!("{}={enc}", param_for(family));
            prop_assert_eq!(inspect_query(&q).map(|f| f.family), Some(family), "{}", q);
        }

        #[test]
        fn entities_in_script_schemes(mask in proptest::collection::vec(0u8..6, 11)) {
            // `javascript:` with each letter as itself, a decimal or hex reference (with
            // or without `;` and leading zeros), or preceded by a tab reference.
            let mut scheme = String::new();
            for (i, c) in "javascript:".bytes().enumerate() {
                match mask[i] {
                    0 => scheme.push(c as char),
                    1 => scheme += &format!("&#{c};"),
                    2 => scheme += &format!("&#x{c:x};"),
                    5 => scheme += &format!("&#X{c:X};"),
                    3 => scheme += &format!("&#0000{c}"),
                    _ => scheme += &format!("&#x09;{}", c as char),
                }
            }
            let payload = format!("<a href=\"{scheme}alert(1)\">x</a>");
            let q = format!("q={}", encode(&payload));
            prop_assert_eq!(inspect_query(&q).map(|f| f.family), Some(Family::Xss), "{}", q);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = inspect_query(&s);
            let _ = inspect_value(s.as_bytes());
        }
    }
}

#[test]
fn query_keywords_are_found_anywhere_by_both_searchers() {
    let packed = Keywords::new(true);
    let finders = Keywords::new(false);
    assert!(matches!(finders, Keywords::Finders(_)));
    let mut cases = vec![
        ("exec".to_string(), true),
        ("exe".to_string(), false),
        ("x union select password from users".to_string(), true),
        ("how to write a python decorator".to_string(), false),
        ("selec union".to_string(), true),
        ("unio selectt".to_string(), true),
        ("wait for it, declared".to_string(), true),
        ("waitfo decl".to_string(), false),
    ];
    // Every keyword at every offset of a short and a long value (Teddy needs a minimum
    // length; below it the packed searcher falls back on its own).
    for w in Keywords::WORDS {
        let w = std::str::from_utf8(w).unwrap();
        for pad in [0, 1, 3, 7, 15, 16, 17, 31, 40, 70] {
            cases.push((format!("{}{w}", "a".repeat(pad)), true));
            cases.push((format!("{w}{}", "b".repeat(pad)), true));
            cases.push((format!("{}{}", "c".repeat(pad), &w[1..]), false));
        }
    }
    for (v, want) in cases {
        assert_eq!(packed.any_in(v.as_bytes()), want, "packed: {v:?}");
        assert_eq!(finders.any_in(v.as_bytes()), want, "finders: {v:?}");
        assert_eq!(query_keyword(v.as_bytes()), want, "{v:?}");
    }
}

#[test]
fn any_at_visits_the_same_positions_short_or_long() {
    for len in [0, 1, 5, SHORT - 1, SHORT, SHORT + 1, 200] {
        let v: Vec<u8> = (0..len).map(|i| b"a'b\"c`d"[i % 7]).collect();
        for set in [&b"'"[..], b"'\"", b"'\"`", b"abcd"] {
            let mut seen = Vec::new();
            assert!(!any_at(&v, set, |i| {
                seen.push(i);
                false
            }));
            let want: Vec<usize> = (0..len).filter(|&i| set.contains(&v[i])).collect();
            assert_eq!(seen, want, "len {len}, set {set:?}");
            // Stops at the first position `f` accepts.
            let first = want.first().copied();
            let mut calls = 0;
            assert_eq!(
                any_at(&v, set, |_| {
                    calls += 1;
                    true
                }),
                first.is_some()
            );
            assert_eq!(calls, usize::from(first.is_some()));
        }
    }
}

mod find_tests {
    use super::super::find;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn find_is_the_first_occurrence(h in "[a-e ()._y]{0,120}", n in "[a-e ()._y]{0,6}") {
            let want = if n.is_empty() {
                None
            } else {
                h.as_bytes().windows(n.len()).position(|w| w == n.as_bytes())
            };
            prop_assert_eq!(find(h.as_bytes(), n.as_bytes()), want);
        }
    }

    #[test]
    fn find_at_the_edges() {
        assert_eq!(find(b"style", b"style"), Some(0));
        assert_eq!(find(b"xstyle", b"style"), Some(1));
        assert_eq!(find(b"styl", b"style"), None);
        assert_eq!(find(b"sss style style", b"style"), Some(4));
        assert_eq!(find(b"", b"x"), None);
        assert_eq!(find(b"abc", b""), None);
    }
}
