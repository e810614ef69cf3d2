//! The work of classifying stays linear in the input, whatever its shape.
//!
//! The checks that run per literal occurrence (and the normaliser's per-segment steps)
//! note what they examine through [`work`](super::checks::work): a unit per call and one
//! per byte looked at. Counting work instead of time makes the bound exact and the test
//! immune to a busy machine. Each case below is an input built to make some check run
//! again and again (a literal repeated so that it occurs thousands of times); the work
//! must stay within a small constant times the input's length.

use std::cell::Cell;

use http::Method;
use proptest::prelude::*;

use super::Classifier;

thread_local! {
    static WORK: Cell<usize> = const { Cell::new(0) };
}

/// Called by [`super::checks::work`] in tests.
pub(super) fn add(n: usize) {
    WORK.with(|w| w.set(w.get() + n));
}

/// The work of classifying one request, and the request's length.
fn work_of(target: &str, ua: Option<&str>) -> (usize, usize) {
    let c = Classifier::default();
    WORK.with(|w| w.set(0));
    let _ = c.classify(&Method::GET, target, ua.map(str::as_bytes));
    let work = WORK.with(Cell::get);
    (work, target.len() + ua.map_or(0, str::len))
}

/// Work allowed per byte of input: every occurrence costs a few units (a call, a few
/// bytes around it), and a byte starts at most a few occurrences.
const PER_BYTE: usize = 12;

fn assert_linear(name: &str, target: &str, ua: Option<&str>) {
    let (work, len) = work_of(target, ua);
    assert!(
        work <= PER_BYTE * len + 1_000,
        "{name}: {work} units of work for {len} bytes ({:.1} per byte)",
        work as f64 / len as f64
    );
}

/// `unit` repeated to `len` bytes after `prefix` (cut at the end).
fn repeat_to(prefix: &str, unit: &str, len: usize) -> String {
    let mut s = String::from(prefix);
    while s.len() < len {
        s.push_str(unit);
    }
    s.truncate(len);
    s
}

const LEN: usize = 8 * 1024;

fn long_path() -> String {
    repeat_to("", "/courses/52018/lectures/7/video", LEN)
}

#[test]
fn repeated_upload_folders_cost_linear_work() {
    for unit in [
        "/upload",
        "/uploads/",
        "/upload/x",
        "/.well-known/",
        "/userfiles",
    ] {
        assert_linear(unit, &(repeat_to("", unit, LEN - 2) + "/x"), None);
        // The decoded form differs from the normal one: both are scanned.
        assert_linear(unit, &(repeat_to("/a/../", unit, LEN - 2) + "/x"), None);
        assert_linear(unit, &(repeat_to("", &format!("{unit};p"), LEN - 2)), None);
    }
}

#[test]
fn repeated_shell_commands_cost_linear_work() {
    for unit in ["c=id&", "cmd=whoami&", "c=ls;", "exec=uname&"] {
        let query = repeat_to("", unit, LEN);
        assert_linear(unit, &format!("/x?{query}"), None);
        assert_linear(unit, &format!("{}?{query}", long_path()), None);
        let script_path = repeat_to("", "/a;b", LEN - 6) + "/x.jpg";
        assert_linear(unit, &format!("{script_path}?{query}"), None);
    }
}

#[test]
fn repeated_dot_segments_and_encodings_cost_linear_work() {
    for unit in [
        "../",
        "/..",
        "%2e%2e%2f",
        "..%2f",
        "..%252f",
        "%25",
        "/./",
        "/.",
        ";x",
        "/x.php;",
        "/x;",
        "..;/",
        "%c0%ae%c0%ae%c0%af",
        "//",
        "/. ",
        "/a/..",
    ] {
        assert_linear(unit, &repeat_to("/", unit, LEN), None);
        assert_linear(unit, &format!("/x?f={}", repeat_to("", unit, LEN)), None);
    }
    // A long segment popped again and again.
    let long = format!("/{}{}", "a".repeat(4000), "/b/..".repeat(800));
    assert_linear("long segment", &long, None);
}

#[test]
fn repeated_segment_literals_cost_linear_work() {
    for unit in [
        "/wp-",
        "/cmd",
        "/cmdshell",
        "/c99",
        "/adminer",
        "/mini.",
        "/shell",
        "/wp-x.ph",
        "/a.zip",
        "/backup.tar.gz",
        ".tar.gz",
        "/x.php",
        "/.env",
        "/.",
    ] {
        assert_linear(unit, &repeat_to("", unit, LEN), None);
        // One long segment after each literal.
        assert_linear(unit, &format!("{unit}{}", "a".repeat(LEN - 20)), None);
    }
}

#[test]
fn repeated_query_payloads_cost_linear_work() {
    for unit in [
        "author=1",
        "author=12345x&",
        "' or 1",
        " or 1111",
        " or or ",
        "order by 1 ",
        "=/./././etc/passwd",
        "=c:etc/hosts",
        "=....//",
        "${",
        "{{7*7}}",
        "<script",
    ] {
        assert_linear(unit, &format!("/x?{}", repeat_to("", unit, LEN)), None);
    }
}

#[test]
fn user_agent_payload_checks_cost_linear_work() {
    let cases = [
        repeat_to("", "${", LEN),
        repeat_to("", &format!("${{{}", "x".repeat(62)), LEN),
        repeat_to("", "$", LEN) + "{",
        repeat_to("", "( ", LEN),
        repeat_to("", &format!("({})", " ".repeat(60)), LEN),
        repeat_to("", "() ", LEN),
    ];
    for ua in &cases {
        assert_linear("user agent", "/", Some(ua));
    }
}

#[test]
fn inputs_past_the_cap_cost_no_more() {
    let (huge, _) = work_of(&repeat_to("", "/upload", 400_000), None);
    let (capped, _) = work_of(&repeat_to("", "/upload", 2 * LEN), None);
    assert_eq!(huge, capped);
    assert!(
        capped <= PER_BYTE * LEN,
        "{capped} units of work for {LEN} bytes"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    /// Any request built by repeating a short attack-shaped unit costs linear work.
    #[test]
    fn repeated_units_cost_linear_work(
        unit in proptest::collection::vec(
            prop_oneof![
                Just("/"), Just(".."), Just("%2e"), Just("%25"), Just("%2f"), Just(";"),
                Just("upload"), Just("c="), Just("id"), Just("&"), Just("?"), Just("."),
                Just("php"), Just("zip"), Just("wp-"), Just("cmd"), Just("${"), Just("or "),
                Just("1"), Just("="), Just("etc/passwd"), Just("author="),
            ],
            1..6,
        ),
        len in 1_000usize..20_000,
    ) {
        let target = repeat_to("/", &unit.concat(), len);
        let (work, n) = work_of(&target, Some(&target));
        prop_assert!(work <= PER_BYTE * n + 1_000, "{:?}: {} for {}", unit, work, n);
    }
}
