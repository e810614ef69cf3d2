//! `reqlog report` on committed fixture logs with known answers, through the real
//! binary: the three formats, gzip, damaged input, stdin, filters, the command line,
//! the terminal and HTML outputs (the page checked in headless Chromium), lines
//! written by reqlog's own formats, and arbitrary bytes.
//!
//! The fixtures in `tests/fixtures/report_access.*` hold the same 25 requests (plus an
//! `reqlog.start` and a `reqlog.dropped` record) in each format:
//!
//! - 7 × 2xx, 8 × 3xx, 9 × 4xx, 1 × 5xx; durations 1, 2, …, 25 ms;
//! - users `u_…a1` (subscribe, login, purchase python-jumpstart, logout), `u_…b2`
//!   (subscribe, login) and `u_…c3` (login, purchase async-in-depth, no subscribe), and
//!   one failed login: funnel 2 → 2 → 1;
//! - Googlebot: robots.txt, a course page, a paid lecture (403); GPTBot: a paid lecture
//!   (403) and a dead course (404);
//! - probes: wordpress 1, secrets 2 (one flagged scanning) from 203.0.113.9, injection 1
//!   from sqlmap at 203.0.113.10 (blocked);
//! - one hostile line: a path with an ANSI escape and `<b>`, a user agent with
//!   `<script>` (not a browser: `unknown`).
//!
//! `tests/fixtures/report_crawlers.log` and `report_sitemap.xml` hold verified,
//! not-yet-known and impostor Googlebots and fetches of paths robots.txt disallows
//! (see `impostors_and_robots_txt_disallowed_fetches`).
//!
//! The JSON and logfmt lines of the detector's requests carry its fields; the others
//! (and every `combined` line) are classified while reading with its rules.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../benches/report.rs"]
#[allow(dead_code)]
mod bench;

// The example server and the demo traffic, to check the workflow the README shows.
#[path = "../../examples/server/main.rs"]
#[allow(dead_code)]
mod server;

#[path = "../../examples/traffic.rs"]
#[allow(dead_code)]
mod traffic;

const BIN: &str = env!("CARGO_BIN_EXE_reqlog");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn reqlog(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run reqlog")
}

fn reqlog_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run reqlog");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// `reqlog report --json ARGS…`, parsed; the command must succeed.
fn json(args: &[&str]) -> Value {
    let mut all = vec!["report", "--json"];
    all.extend_from_slice(args);
    let out = reqlog(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn names(list: &Value, key: &str, count: &str) -> Vec<(String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v[key].as_str().unwrap().to_owned(),
                v[count].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, u64)]) -> Vec<(String, u64)> {
    items.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

fn assert_close(got: &Value, exact_ms: f64) {
    let got = got.as_f64().unwrap();
    assert!(
        (got - exact_ms).abs() <= exact_ms / 128.0,
        "{got} ms is not within 0.8 % of {exact_ms} ms"
    );
}

/// What every format of the fixture must agree on.
fn assert_common_answers(r: &Value) {
    let ov = &r["overview"];
    assert_eq!(ov["requests"], 25);
    assert_eq!(ov["first"], "2026-11-24T10:00:00Z");
    assert_eq!(ov["last"], "2026-11-24T10:00:48Z");
    let status = &ov["status"];
    assert_eq!(
        (
            &status["2xx"],
            &status["3xx"],
            &status["4xx"],
            &status["5xx"]
        ),
        (
            &Value::from(7),
            &Value::from(8),
            &Value::from(9),
            &Value::from(1)
        )
    );
    assert_eq!(ov["status_codes"]["404"], 5);
    assert_eq!(ov["status_codes"]["403"], 3);
    assert_eq!(
        ov["bytes"],
        980 + 1500 * 3 + 2100 + 180 + 88 + 160 * 2 + 170 + 153 * 4 + 980
    );

    let se = &r["search_engines"];
    assert_eq!(se["requests"], 5);
    let crawlers = se["crawlers"].as_array().unwrap();
    assert_eq!(crawlers[0]["name"], "Googlebot");
    assert_eq!(
        (
            &crawlers[0]["requests"],
            &crawlers[0]["pages"],
            &crawlers[0]["robots_txt"],
            &crawlers[0]["refused"]
        ),
        (
            &Value::from(3),
            &Value::from(2),
            &Value::from(1),
            &Value::from(1)
        )
    );
    assert_eq!(crawlers[1]["name"], "GPTBot");
    assert_eq!(
        (
            &crawlers[1]["refused"],
            &crawlers[1]["not_found"],
            &crawlers[1]["pages"]
        ),
        (&Value::from(1), &Value::from(1), &Value::from(0))
    );
    let misses: Vec<(String, u64, String)> = se["refused_or_missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["crawler"].as_str().unwrap().to_owned(),
                m["status"].as_u64().unwrap(),
                m["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        misses,
        [
            (
                "GPTBot".into(),
                403,
                "/courses/async-in-depth/lectures/futures".into()
            ),
            ("GPTBot".into(), 404, "/courses/intro-to-cobol".into()),
            (
                "Googlebot".into(),
                403,
                "/courses/python-jumpstart/lectures/welcome".into()
            ),
        ]
    );
    assert_eq!(r["users"]["distinct"], 3);
    assert_eq!(r["attackers"]["not_found"][0]["count"], 1);
}

/// What the JSON and logfmt lines (which carry every field) must agree on.
fn assert_full_answers(r: &Value) {
    assert_common_answers(r);
    let ov = &r["overview"];
    let d = &ov["duration_ms"];
    assert_eq!(d["count"], 25);
    assert_close(&d["p50"], 13.0);
    assert_close(&d["p95"], 24.0);
    assert_eq!(d["p99"], 25.0);
    assert_eq!(d["max"], 25.0);
    assert_eq!(d["mean"], 13.0);
    let clients = &ov["clients"];
    assert_eq!(
        [
            &clients["browser"],
            &clients["crawler"],
            &clients["scanner"],
            &clients["tool"],
            &clients["unknown"]
        ],
        [17, 5, 1, 1, 1].map(Value::from).each_ref()
    );
    assert_eq!(ov["outcomes"]["ok"], 24);
    assert_eq!(ov["outcomes"]["error"], 1);
    let routes = &ov["routes"];
    assert_eq!(routes[0]["route"], "/account/login");
    assert_eq!(
        (&routes[0]["requests"], &routes[0]["client_errors"]),
        (&Value::from(4), &Value::from(1))
    );
    assert_eq!(routes[1]["route"], "/courses/{course}");
    assert_eq!(routes[1]["requests"], 4);

    let u = &r["users"];
    assert_eq!(
        names(&u["actions"], "name", "count"),
        pairs(&[
            ("account.login", 3),
            ("newsletter.subscribe", 2),
            ("purchase", 2),
            ("account.login_failed", 1),
            ("account.logout", 1),
        ])
    );
    assert_eq!(
        names(&u["funnel"], "step", "users"),
        pairs(&[
            ("newsletter.subscribe", 2),
            ("account.login", 2),
            ("purchase", 1)
        ])
    );
    assert_eq!(
        names(&u["action_details"], "detail", "count"),
        pairs(&[
            ("purchase course=async-in-depth", 1),
            ("purchase course=python-jumpstart", 1)
        ])
    );

    let a = &r["attackers"];
    assert_eq!(a["probes"], 4);
    assert_eq!(
        names(&a["categories"], "category", "probes"),
        pairs(&[("secrets", 2), ("injection", 1), ("wordpress", 1)])
    );
    assert_eq!(a["rules"][0]["rule"], "dotenv");
    assert_eq!(a["rules"][0]["category"], "secrets");
    assert_eq!(
        (
            &a["scanning_clients"],
            &a["blocked_requests"],
            &a["blocked_clients"]
        ),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );
    assert_eq!(a["scanner_requests"], 1);
    assert_eq!(a["first"], "2026-11-24T10:00:34Z");
    assert_eq!(a["last"], "2026-11-24T10:00:40Z");
    let top = &a["clients"][0];
    assert_eq!(top["address"], "203.0.113.9");
    assert_eq!(
        (&top["requests"], &top["probes"], &top["not_found"]),
        (&Value::from(3), &Value::from(3), &Value::from(3))
    );
    assert_eq!(
        top["categories"],
        serde_json::json!(["wordpress", "secrets"])
    );
    assert_eq!(top["flagged_scanning"], true);
    assert_eq!(top["first_seen"], "2026-11-24T10:00:34Z");
    let sqlmap = &a["clients"][1];
    assert_eq!(sqlmap["address"], "203.0.113.10");
    assert_eq!(
        (&sqlmap["scanner_user_agent"], &sqlmap["blocked_requests"]),
        (&Value::from(true), &Value::from(1))
    );

    let input = &r["input"];
    assert_eq!(input["lines"], 27);
    assert_eq!(input["app_starts"], 1);
    assert_eq!(input["dropped_by_writer"], 3);
    let notes = r["notes"].as_array().unwrap();
    assert!(notes
        .iter()
        .any(|n| n.as_str().unwrap().contains("dropped 3 lines")));
    assert!(!notes
        .iter()
        .any(|n| n.as_str().unwrap().contains("no duration")));
}

#[test]
fn json_lines_known_answers() {
    let r = json(&[path_str(&fixture("report_access.json.log"))]);
    assert_full_answers(&r);
    assert_eq!(r["input"]["formats"], serde_json::json!({ "json": 27 }));
    assert_eq!(r["reqlog_report"], 1);

    // Totals do not depend on how many rows are shown.
    let one = json(&["--top", "1", path_str(&fixture("report_access.json.log"))]);
    let se = &one["search_engines"];
    assert_eq!(se["crawlers"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&se["crawler_count"], &se["refused"], &se["not_found"]),
        (&Value::from(2), &Value::from(2), &Value::from(1))
    );
    assert_eq!(one["users"]["action_count"], 9);
    assert_eq!(one["users"]["actions"].as_array().unwrap().len(), 1);
}

#[test]
fn logfmt_gives_the_same_answers() {
    let r = json(&[path_str(&fixture("report_access.logfmt.log"))]);
    assert_full_answers(&r);
    assert_eq!(r["input"]["formats"], serde_json::json!({ "logfmt": 27 }));
    let from_json = json(&[path_str(&fixture("report_access.json.log"))]);
    for section in ["overview", "users", "search_engines", "attackers"] {
        assert_eq!(r[section], from_json[section], "{section}");
    }
}

#[test]
fn gzip_with_two_members_gives_the_same_answers() {
    let r = json(&[path_str(&fixture("report_access.json.log.gz"))]);
    assert_full_answers(&r);
    assert_eq!(r["input"]["files"][0]["gzip"], true);
}

#[test]
fn combined_degrades_gracefully_and_says_so() {
    let r = json(&[path_str(&fixture("report_access.combined.log"))]);
    assert_common_answers(&r);
    let ov = &r["overview"];
    assert_eq!(
        ov["duration_ms"],
        Value::Null,
        "the combined format has no duration"
    );
    // Kinds from the user agent with the detector's table: the crawlers by name,
    // sqlmap, curl, and the hostile agent that is no browser.
    let clients = &ov["clients"];
    assert_eq!(
        [
            &clients["browser"],
            &clients["crawler"],
            &clients["scanner"],
            &clients["tool"],
            &clients["unknown"]
        ],
        [17, 5, 1, 1, 1].map(Value::from).each_ref()
    );
    // Probes found by the detector's rules while reading; what only the running
    // detector knows (the 404-rate flag, blocks) is not invented.
    let a = &r["attackers"];
    assert_eq!(a["probes"], 4);
    assert_eq!(
        names(&a["categories"], "category", "probes"),
        pairs(&[("secrets", 2), ("injection", 1), ("wordpress", 1)])
    );
    assert_eq!(a["clients"][0]["address"], "203.0.113.9");
    assert_eq!(a["clients"][0]["probes"], 3);
    assert_eq!(
        (&a["scanning_clients"], &a["blocked_requests"]),
        (&Value::from(0), &Value::from(0))
    );
    assert_eq!(r["users"]["actions"], serde_json::json!([]));
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("25 of 25 requests have no duration")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("25 requests carry no probe detector fields")
                && n.contains("4 probes found")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("no user actions")),
        "{notes:?}"
    );
    // The hostile path is unescaped from nginx's \xHH form.
    let nf: Vec<(String, u64)> = names(&r["attackers"]["not_found"], "path", "count");
    assert!(
        nf.contains(&("/\u{1b}[31mred\"<b>".to_owned(), 1)),
        "{nf:?}"
    );
}

#[test]
fn damaged_lines_are_counted_and_skipped() {
    let r = json(&[path_str(&fixture("report_damaged.log"))]);
    let skipped = &r["input"]["skipped"];
    assert_eq!(r["input"]["lines"], 13);
    assert_eq!(r["overview"]["requests"], 3);
    assert_eq!(
        (
            &skipped["malformed"],
            &skipped["foreign"],
            &skipped["blank"],
            &skipped["too_long"]
        ),
        (
            &Value::from(4),
            &Value::from(4),
            &Value::from(2),
            &Value::from(0)
        )
    );
    let notes = r["notes"].as_array().unwrap();
    assert!(notes[0]
        .as_str()
        .unwrap()
        .starts_with("8 lines skipped: 4 malformed"));
}

#[test]
fn a_line_longer_than_the_cap_is_skipped() {
    let mut input = std::fs::read(fixture("report_access.json.log")).unwrap();
    input.extend(std::iter::repeat_n(b'x', 1 << 21));
    input.extend_from_slice(b"\n");
    input.extend(std::fs::read(fixture("report_access.json.log")).unwrap());
    let out = reqlog_stdin(&["report", "--json"], &input);
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["overview"]["requests"], 50);
    assert_eq!(r["input"]["skipped"]["too_long"], 1);
}

#[test]
fn a_truncated_gzip_file_is_reported_up_to_the_damage() {
    let dir = temp_dir("truncated");
    let gz = std::fs::read(fixture("report_access.json.log.gz")).unwrap();
    let cut = dir.join("access.log.1.gz");
    // The first member (14 lines) is whole; the second is cut short.
    std::fs::write(&cut, &gz[..gz.len() - 300]).unwrap();
    let out = reqlog(&["report", "--json", path_str(&cut)]);
    assert_eq!(out.status.code(), Some(1), "a read error is an error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("access.log.1.gz") && err.contains("stopped"),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("the report is still printed");
    let lines = r["input"]["lines"].as_u64().unwrap();
    assert!((14..27).contains(&lines), "{lines}");
    assert!(r["input"]["files"][0]["error"].is_string());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn several_files_and_stdin() {
    let json_log = fixture("report_access.json.log");
    let both = json(&[
        path_str(&json_log),
        path_str(&fixture("report_access.logfmt.log")),
    ]);
    assert_eq!(both["overview"]["requests"], 50);
    assert_eq!(both["users"]["distinct"], 3);
    assert_eq!(both["input"]["files"].as_array().unwrap().len(), 2);

    let log = std::fs::read(&json_log).unwrap();
    for args in [&["report", "--json"][..], &["report", "--json", "-"]] {
        let out = reqlog_stdin(args, &log);
        assert!(out.status.success(), "{args:?}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_full_answers(&r);
        assert_eq!(r["input"]["files"][0]["name"], "(stdin)");
    }
    let gz = std::fs::read(fixture("report_access.json.log.gz")).unwrap();
    let out = reqlog_stdin(&["report", "--json"], &gz);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_full_answers(&r);
}

#[test]
fn filters() {
    let log = fixture("report_access.json.log");
    let log = path_str(&log);
    let count = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push(log);
        let r = json(&all);
        (
            r["overview"]["requests"].as_u64().unwrap(),
            r["input"]["filtered_out"].as_u64().unwrap(),
        )
    };
    // Requests start every 2 s from 10:00:00.
    assert_eq!(count(&["--since", "2026-11-24T10:00:10Z"]), (20, 5));
    assert_eq!(count(&["--until", "2026-11-24T10:00:10Z"]), (5, 20));
    assert_eq!(
        count(&[
            "--since=2026-11-24T10:00:10Z",
            "--until=2026-11-24T10:00:20Z"
        ]),
        (5, 20)
    );
    assert_eq!(count(&["--since", "2026-11-24T11:00:00+01:00"]), (25, 0));
    assert_eq!(count(&["--since", "2026-11-25"]), (0, 25));
    // Relative times count back from now: the fixture is in the past (2026-11-24) or
    // the future, either way not within the last minute.
    assert_eq!(
        count(&["--since", "1m"]).0 + count(&["--until", "1m"]).0,
        25
    );
    assert_eq!(count(&["--path", "/courses/"]), (7, 18));
    assert_eq!(
        count(&["--path", "/courses/", "--path", "/robots.txt"]),
        (8, 17)
    );
    assert_eq!(count(&["--client", "203.0.113.0/24"]), (4, 21));
    assert_eq!(count(&["--client", "203.0.113.9"]), (3, 22));
    assert_eq!(count(&["--client", "2001:db8::/32"]), (5, 20));
    assert_eq!(
        count(&["--client", "203.0.113.9", "--path", "/.env"]),
        (1, 24)
    );
    let r = json(&["--path", "/courses/", log]);
    assert_eq!(r["search_engines"]["requests"], 4);
}

#[test]
fn command_line_errors_and_help() {
    let out = reqlog(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("reqlog {}\n", env!("CARGO_PKG_VERSION"))
    );
    for (args, usage) in [
        (&["--help"][..], "Usage: reqlog <COMMAND>"),
        (&["report", "--help"], "Usage: reqlog report"),
        (&["help", "report"], "Usage: reqlog report"),
    ] {
        let out = reqlog(args);
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains(usage), "{args:?}: {help}");
        assert!(help.contains("Examples:"), "{args:?}: {help}");
    }
    for (args, message) in [
        (
            &["report", "--frobnicate"][..],
            "unexpected argument '--frobnicate'",
        ),
        (
            &["report", "--sinse", "1h"],
            "a similar argument exists: '--since'",
        ),
        (
            &["report", "--since", "yesterday"],
            "`yesterday` is not a time",
        ),
        (
            &["report", "--since", "2026-02-31"],
            "`2026-02-31` is not a valid date",
        ),
        (&["report", "--client", "example.com"], "not an IP address"),
        (&["rapport", "x.log"], "unrecognized subcommand 'rapport'"),
        (
            &["rapport", "x.log"],
            "a similar subcommand exists: 'report'",
        ),
        (&[], "Usage: reqlog <COMMAND>"),
    ] {
        let out = reqlog(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let completions = reqlog(&["completions", "bash"]);
    assert!(completions.status.success());
    assert!(String::from_utf8(completions.stdout)
        .unwrap()
        .contains("--since"));
    let missing = reqlog(&[
        "report",
        "no/such/access.log",
        path_str(&fixture("report_access.json.log")),
    ]);
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8(missing.stderr).unwrap();
    assert!(err.contains("cannot read no/such/access.log"), "{err}");
    assert!(
        missing.stdout.is_empty(),
        "nothing is reported when a file is missing"
    );
    let unwritable = reqlog(&[
        "report",
        "--html",
        "/no/such/dir/report.html",
        path_str(&fixture("report_access.json.log")),
    ]);
    assert_eq!(unwritable.status.code(), Some(1));
    assert!(String::from_utf8(unwritable.stderr)
        .unwrap()
        .contains("cannot write /no/such/dir/report.html"));
    let dir = reqlog(&["report", path_str(&fixture(""))]);
    assert_eq!(dir.status.code(), Some(1));
    assert!(String::from_utf8(dir.stderr).unwrap().contains("directory"));
}

#[test]
fn terminal_report_is_plain_when_piped() {
    let log = fixture("report_access.json.log");
    let out = reqlog(&["report", path_str(&log)]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "no escape codes in a pipe, and none from the log"
    );
    for heading in ["OVERVIEW", "USERS", "SEARCH ENGINES", "ATTACKERS", "INPUT"] {
        assert!(text.contains(heading), "{heading}");
    }
    assert!(text.contains("25 requests · 2026-11-24 10:00:00 → 2026-11-24 10:00:48 UTC"));
    assert!(text.contains("newsletter.subscribe 2 → account.login 2 (100.0%) → purchase 1 (50.0%)"));
    assert!(
        text.contains("/\\x1B[31mred\"<b>"),
        "the hostile path is shown escaped"
    );
    assert!(text.contains("/courses/python-jumpstart/lectures/welcome"));

    let coloured = reqlog(&["report", "--color", "always", path_str(&log)]);
    let coloured = String::from_utf8(coloured.stdout).unwrap();
    assert!(coloured.contains("\u{1b}[1m"));
    assert!(
        !coloured.contains("\u{1b}[31mred"),
        "the log's own escape is never raw"
    );

    let no_color = Command::new(BIN)
        .args(["report", "--color", "never", path_str(&log)])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8(no_color.stdout)
        .unwrap()
        .contains('\u{1b}'));
}

#[test]
fn html_page_is_self_contained_and_escaped() {
    let dir = temp_dir("html");
    let page = dir.join("report.html");
    let out = reqlog(&[
        "report",
        "--html",
        path_str(&page),
        path_str(&fixture("report_access.json.log")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stderr).unwrap().contains("wrote"));
    let html = std::fs::read_to_string(&page).unwrap();
    for id in ["overview", "users", "search-engines", "attackers"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(html.contains("<svg"), "inline charts");
    assert!(!html.contains("<script"), "no script");
    assert!(html.contains("&lt;b&gt;"), "the hostile path is escaped");
    assert!(!html.contains('\u{1b}'));
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(
        html.contains("default-src 'none'"),
        "a CSP that forbids loading anything"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// `tests/fixtures/report_crawlers.log` (JSON, one logfmt and one combined line):
/// Googlebot verified from 66.249.66.1 (robots.txt, a course, three fetches of paths
/// robots.txt disallows: a lecture twice from a blog's link, another with no referer),
/// not known yet from 66.249.66.9 (logfmt: the same lecture, from a forum), an
/// impostor Googlebot from 203.0.113.50 (a probe, a disallowed lecture) and .51 (a
/// probe), bingbot not known yet, a combined Googlebot line (cannot say) and a browser
/// on a lecture. `report_sitemap.xml` lists the first lecture, not the second.
#[test]
fn impostors_and_robots_txt_disallowed_fetches() {
    let log = fixture("report_crawlers.log");
    let sitemap = fixture("report_sitemap.xml");
    let r = json(&["--sitemap", path_str(&sitemap), path_str(&log)]);
    let se = &r["search_engines"];
    // Verified and not-yet-known crawlers only: the impostor's 3 requests are not here.
    assert_eq!(se["requests"], 8);
    assert_eq!(se["crawler_count"], 2);
    assert_eq!(se["verified_requests"], 5);
    let google = &se["crawlers"][0];
    assert_eq!(
        (google["name"].as_str(), google["requests"].as_u64()),
        (Some("Googlebot"), Some(7))
    );
    assert_eq!(google["verified"], 5);

    let robots = &se["robots_disallowed"];
    assert_eq!(robots["requests"], 4);
    assert_eq!(
        robots["unknown_requests"], 1,
        "the combined line cannot say"
    );
    assert_eq!(
        robots["sitemap"],
        serde_json::json!({ "urls": 4, "capped": false })
    );
    let paths = robots["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0]["crawler"], "Googlebot");
    assert_eq!(paths[0]["path"], "/courses/python-jumpstart/lectures/1");
    assert_eq!(paths[0]["count"], 3);
    assert_eq!(paths[0]["listed_in_sitemap"], true);
    assert_eq!(
        names(&paths[0]["referers"], "referer", "count"),
        pairs(&[
            ("https://blog.example/free-python", 2),
            ("https://forum.example/t/1", 1)
        ])
    );
    assert_eq!(paths[1]["path"], "/courses/async-in-depth/lectures/2");
    assert_eq!(paths[1]["listed_in_sitemap"], false);
    assert_eq!(
        names(&paths[1]["referers"], "referer", "count"),
        pairs(&[("(none)", 1)])
    );

    let impostors = &r["attackers"]["impostors"];
    assert_eq!(impostors["requests"], 3);
    let claim = &impostors["claims"][0];
    assert_eq!(claim["claimed"], "Googlebot");
    assert_eq!(claim["requests"], 3);
    assert_eq!(claim["address_count"], 2);
    assert_eq!(
        names(&claim["addresses"], "address", "count"),
        pairs(&[("203.0.113.50", 2), ("203.0.113.51", 1)])
    );
    assert_eq!(claim["paths"].as_array().unwrap().len(), 3);
    assert_eq!(claim["first_seen"], "2026-11-24T11:00:07Z");
    assert!(r["notes"].as_array().unwrap().iter().any(|n| n
        .as_str()
        .unwrap()
        .contains("whether robots.txt disallowed them")));

    // Without a sitemap the report does not guess.
    let plain = json(&[path_str(&log)]);
    let robots = &plain["search_engines"]["robots_disallowed"];
    assert_eq!(robots["sitemap"], Value::Null);
    assert_eq!(robots["paths"][0]["listed_in_sitemap"], Value::Null);

    // The terminal and the page say the same.
    let dir = temp_dir("crawlers");
    let page = dir.join("report.html");
    let out = reqlog(&[
        "report",
        "--sitemap",
        path_str(&sitemap),
        "--html",
        path_str(&page),
        path_str(&log),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let attackers = text.split("ATTACKERS").nth(1).unwrap();
    assert!(attackers.contains("Impostors"), "{text}");
    assert!(attackers.contains("203.0.113.50 (2)"), "{text}");
    let search = text.split("SEARCH ENGINES").nth(1).unwrap();
    let search = search.split("ATTACKERS").next().unwrap();
    assert!(search.contains("4 fetches of disallowed paths"), "{text}");
    assert!(
        search.contains("/courses/python-jumpstart/lectures/1"),
        "{text}"
    );
    assert!(search.contains("listed in sitemap"), "{text}");
    assert!(
        search.contains("https://blog.example/free-python (2)"),
        "{text}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(r#"id="impostors""#) && html.contains("203.0.113.50"));
    assert!(html.contains(r#"id="robots-disallowed""#));
    assert!(
        html.contains("/courses/async-in-depth/lectures/2") && html.contains("listed in sitemap")
    );
    std::fs::remove_dir_all(dir).ok();

    // A sitemap that cannot be read fails before anything is reported.
    let out = reqlog(&[
        "report",
        "--sitemap",
        "/nonexistent/sitemap.xml",
        path_str(&log),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the sitemap"));
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reqlog-report-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first of `names` found on `PATH`.
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` and returns (DOM, stderr), with a time limit.
fn chromium(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Messages the page itself caused: console output, uncaught errors, blocked loads.
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect()
}

#[test]
fn html_page_loads_in_headless_chromium() {
    let Some(browser) = find_program(&["chromium", "chromium-browser"]) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium not found: install the Debian package chromium");
        }
        eprintln!("\n*** SKIPPED html_page_loads_in_headless_chromium: chromium not found (install the Debian package chromium) ***\n");
        return;
    };
    let dir = temp_dir("chromium");
    let page = dir.join("report.html");
    let out = reqlog(&[
        "report",
        "--html",
        path_str(&page),
        path_str(&fixture("report_access.json.log")),
    ]);
    assert!(out.status.success());

    // The check can fail: a page with a console error and an uncaught exception is caught.
    let bad = dir.join("bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><p>x</p><script>console.error('boom'); missing();</script>",
    )
    .unwrap();
    let (_, stderr) = chromium(&browser, &bad, &dir.join("profile-bad"));
    assert!(
        page_errors(&stderr).len() >= 2,
        "the console check works: {stderr}"
    );

    let (dom, stderr) = chromium(&browser, &page, &dir.join("profile"));
    for id in ["overview", "users", "search-engines", "attackers"] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "section {id} in the DOM"
        );
    }
    assert!(dom.contains("<svg"), "the charts are in the DOM");
    assert!(dom.contains("Googlebot"));
    let errors = page_errors(&stderr);
    assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    std::fs::remove_dir_all(dir).ok();
}

/// Writes the README's screenshot (`docs/report.png`) from demo traffic in `LOG`:
/// `REQLOG_SCREENSHOT_LOG=/tmp/access.log cargo test -p reqlog-cli --test report -- --ignored screenshot`.
#[test]
#[ignore = "writes docs/report.png; run by hand"]
fn screenshot() {
    let browser = find_program(&["chromium", "chromium-browser"]).expect("chromium");
    let log = std::env::var("REQLOG_SCREENSHOT_LOG").expect("REQLOG_SCREENSHOT_LOG=path of a log");
    let dir = temp_dir("screenshot");
    let page = dir.join("report.html");
    let out = reqlog(&["report", "--html", path_str(&page), &log]);
    assert!(out.status.success());
    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.png");
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn lines_from_reqlogs_own_formats_read_back_the_same() {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use http::{Request, Response};
    use http_body_util::{BodyExt, Full};
    use reqlog::format::{Combined, Format, JsonLines, Logfmt};
    use reqlog::{Actions, RequestLog, UserActions};
    use reqlog_cli::report::{Report, ReportOptions};
    use tower::ServiceExt;

    type Buffers = Arc<Mutex<[Vec<u8>; 3]>>;
    let buffers: Buffers = Arc::default();
    let sink = {
        let buffers = buffers.clone();
        reqlog::sink::from_fn(move |record| {
            let mut b = buffers.lock().unwrap();
            JsonLines::new().format(record, &mut b[0]);
            Logfmt.format(record, &mut b[1]);
            Combined.format(record, &mut b[2]);
        })
    };
    let log = RequestLog::new().sink(sink);
    let service = tower::service_fn(|req: Request<_>| async move {
        let actions = Actions::from_request(&req);
        let status = match req.uri().path() {
            "/account/login" => {
                actions.user("ada@example.com").add("account.login");
                303
            }
            "/purchase/rust" => {
                actions
                    .user("ada@example.com")
                    .add_with("purchase", [("course", "rust \"2024\"")]);
                303
            }
            "/wp-login.php" => 404,
            _ => 200,
        };
        Ok::<_, std::convert::Infallible>(
            Response::builder()
                .status(status)
                .body(Full::new(Bytes::from_static(b"hello")))
                .unwrap(),
        )
    });
    let service = tower::ServiceBuilder::new()
        .layer(log)
        .layer(UserActions::new())
        .service(service);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (path, ua) in [
            ("/", "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"),
            (
                "/account/login",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
            ),
            (
                "/purchase/rust",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
            ),
            ("/wp-login.php?x=\"é\"", "Mozilla/5.0 \"quoted\" \\ é"),
            (
                "/robots.txt",
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
        ] {
            let mut req = Request::builder()
                .uri(path.replace('"', "%22").replace('é', "%C3%A9"))
                .header("user-agent", ua)
                .body(Full::new(Bytes::new()))
                .unwrap();
            req.extensions_mut()
                .insert(std::net::SocketAddr::from(([203, 0, 113, 5], 4000)));
            let response = service.clone().oneshot(req).await.unwrap();
            response.into_body().collect().await.unwrap();
        }
    });
    let buffers = buffers.lock().unwrap();
    let reports: Vec<Value> = buffers
        .iter()
        .map(|lines| {
            let mut report = Report::new(ReportOptions::new());
            report.read("own", &lines[..]).unwrap();
            serde_json::from_str(&report.json()).unwrap()
        })
        .collect();
    for (r, format) in reports.iter().zip(["json", "logfmt", "combined"]) {
        assert_eq!(r["overview"]["requests"], 5, "{format}");
        assert_eq!(r["input"]["skipped"]["malformed"], 0, "{format}");
        assert_eq!(r["input"]["skipped"]["foreign"], 0, "{format}");
        assert_eq!(r["overview"]["status_codes"]["303"], 2, "{format}");
        assert_eq!(
            r["attackers"]["not_found"][0]["path"], "/wp-login.php",
            "{format}"
        );
        assert_eq!(
            r["search_engines"]["crawlers"][0]["name"], "Googlebot",
            "{format}"
        );
        assert_eq!(r["users"]["distinct"], 1, "{format}");
    }
    for r in &reports[..2] {
        assert_eq!(r["overview"]["duration_ms"]["count"], 5);
        assert_eq!(
            r["users"]["action_details"][0]["detail"],
            "purchase course=rust \"2024\""
        );
    }
    assert_eq!(reports[0]["users"], reports[1]["users"]);
}

#[test]
fn demo_traffic_against_the_example_server_fills_the_report() {
    let dir = temp_dir("demo");
    let log_path = dir.join("access.log");
    let file = std::fs::File::create(&log_path).unwrap();
    let (sink, guard) = reqlog::sink::NonBlocking::builder().finish(file);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = reqlog::RequestLog::new()
            .sink(sink)
            .trust_proxies(["127.0.0.1/32".parse().unwrap()]);
        let app = server::app(server::site_state(&format!("http://{addr}")), log);
        tokio::spawn(async move { axum::serve(listener, server::WithPeer(app)).await });
        addr
    });
    let args = [
        "--target".to_owned(),
        format!("http://{addr}"),
        "--requests=400".to_owned(),
        "--duration=0".to_owned(),
        "--seed=3".to_owned(),
    ];
    let args = traffic::parse_args(args).unwrap().unwrap();
    let tally = traffic::play(&args).unwrap();
    assert_eq!((tally.sent, tally.failed), (400, 0));
    assert_eq!(tally.classes[5], 0, "no server errors");
    // A line is written when its response body ends: wait for all of them.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&log_path).unwrap().lines().count() < 400
        && Instant::now() < deadline
    {
        guard.flush();
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(runtime);
    drop(guard);

    let r = json(&[path_str(&log_path)]);
    assert_eq!(r["overview"]["requests"], 400);
    let skipped = &r["input"]["skipped"];
    assert_eq!(
        (&skipped["malformed"], &skipped["foreign"]),
        (&Value::from(0), &Value::from(0))
    );
    // Made-up client addresses through the trusted proxy, every kind of visitor.
    let clients = &r["overview"]["clients"];
    for kind in ["browser", "crawler", "tool"] {
        assert!(clients[kind].as_u64().unwrap() > 0, "{kind}: {clients}");
    }
    let crawlers = r["search_engines"]["crawlers"].as_array().unwrap();
    // Impostors (a borrowed Googlebot user agent) are not search engines.
    assert!(crawlers.len() >= 2, "{crawlers:?}");
    assert!(crawlers.iter().any(|c| c["robots_txt"].as_u64() > Some(0)));
    // Crawlers from their operators' ranges are verified; the borrowed Googlebot user
    // agent is an impostor, and the lectures they tried are disallowed by robots.txt.
    assert!(r["search_engines"]["verified_requests"].as_u64() > Some(0));
    assert!(r["attackers"]["impostors"]["requests"].as_u64() > Some(0));
    assert_eq!(
        r["attackers"]["impostors"]["claims"][0]["claimed"],
        "Googlebot"
    );
    let disallowed = &r["search_engines"]["robots_disallowed"]["paths"];
    assert!(disallowed[0]["path"]
        .as_str()
        .unwrap()
        .contains("/lectures/"));
    let refused = r["search_engines"]["refused_or_missing"]
        .as_array()
        .unwrap();
    assert!(refused
        .iter()
        .any(|m| m["status"] == 403 && m["path"].as_str().unwrap().contains("/lectures/")));
    // Customers went through the funnel, with their cookies.
    let funnel = names(&r["users"]["funnel"], "step", "users");
    assert!(funnel.iter().all(|(_, n)| *n > 0), "{funnel:?}");
    let actions = names(&r["users"]["actions"], "name", "count");
    assert!(
        actions.iter().any(|(a, _)| a == "account.logout"),
        "{actions:?}"
    );
    // Scanners walked the usual paths.
    let not_found = names(&r["attackers"]["not_found"], "path", "count");
    assert!(not_found.len() >= 5, "{not_found:?}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_million_line_log_shape_reads_without_a_skip() {
    // The bench's generator, at test size: every line it writes is read.
    let lines = bench::lines::generate(20_000, 7);
    let mut report = reqlog_cli::report::Report::new(reqlog_cli::report::ReportOptions::new());
    report.read("generated", &lines[..]).unwrap();
    assert_eq!(report.lines(), 20_000);
    assert_eq!(report.requests(), 20_000);
    let r: Value = serde_json::from_str(&report.json()).unwrap();
    assert!(r["attackers"]["probes"].as_u64().unwrap() > 1000);
    assert!(r["users"]["distinct"].as_u64().unwrap() > 100);
    assert_eq!(r["search_engines"]["crawlers"].as_array().unwrap().len(), 4);
}

#[test]
fn threads_give_the_same_report_as_one_pass() {
    let gz = fixture("report_access.json.log.gz");
    let crawlers = fixture("report_crawlers.log");
    let damaged = fixture("report_damaged.log");
    let files = [path_str(&gz), path_str(&crawlers), path_str(&damaged)];
    let run = |threads: &str| {
        let mut args = vec!["report", "--json", "--threads", threads];
        args.extend(files);
        let out = reqlog(&args);
        assert!(out.status.success(), "{threads}");
        out.stdout
    };
    assert_eq!(run("1"), run("2"));
    assert_eq!(run("1"), run("4"));
}

#[test]
fn output_file_format_follows_its_extension() {
    let dir = temp_dir("output");
    let log = fixture("report_access.json.log");
    for (name, starts) in [
        ("r.html", "<!doctype html>"),
        ("r.json", "{"),
        ("r.txt", "reqlog report"),
    ] {
        let path = dir.join(name);
        let out = Command::new(BIN)
            .args(["report", "-o", path_str(&path), path_str(&log)])
            .env("CLICOLOR_FORCE", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        assert!(out.stdout.is_empty(), "{name}: the report goes to the file");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(starts),
            "{name}: {}",
            &text[..40.min(text.len())]
        );
        assert!(!text.contains('\u{1b}'), "{name}: no colour in a file");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn clicolor_force_colours_a_pipe_and_no_color_wins() {
    let log = fixture("report_access.json.log");
    let run = |vars: &[(&str, &str)]| {
        let mut c = Command::new(BIN);
        c.args(["report", path_str(&log)])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in vars {
            c.env(k, v);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    assert!(run(&[("CLICOLOR_FORCE", "1")]).contains("\u{1b}[1m"));
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'));
    assert!(!run(&[]).contains('\u{1b}'));
}

mod arbitrary_input {
    use proptest::prelude::*;
    use reqlog_cli::report::{Report, ReportOptions};

    fn render(report: &Report) {
        let mut text = Vec::new();
        report.write_text(&mut text, true).unwrap();
        let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
        assert!(json.is_object());
        assert!(report.html().contains("id=\"attackers\""));
    }

    const LINE: &str = r#"{"timestamp":"2026-11-24T10:00:00.5Z","otel.event.name":"http.request","http.request.method":"GET","url.path":"/a\"b","client.address":"203.0.113.9","user_agent.original":"x","http.response.status_code":404,"duration_ms":1.5,"probe.category":"secrets","probe.rule":"dotenv","visitor.kind":"crawler","visitor.crawler":"Googlebot","visitor.scanning":true,"visitor.actions":[{"name":"purchase","course":"x"}],"enduser.pseudo.id":"u_00000000000000a1"}"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut report = Report::new(ReportOptions::new().path_prefix("/"));
            let _ = report.read("bytes", &input[..]);
            render(&report);
        }

        #[test]
        fn damaged_records_never_panic(cut in 0..LINE.len(), at in 0..LINE.len(), byte in any::<u8>()) {
            let mut line = LINE.as_bytes().to_vec();
            line[at] = byte;
            line.truncate(cut.max(1));
            let mut report = Report::new(ReportOptions::new());
            report.add_line(&line);
            report.add_line(LINE.as_bytes());
            prop_assert!(report.requests() >= 1);
            render(&report);
        }

        #[test]
        fn arbitrary_text_in_each_format_never_panics(text in "\\PC{0,200}") {
            let mut report = Report::new(ReportOptions::new());
            report.add_line(format!("{{\"otel.event.name\":\"http.request\",\"url.path\":{text:?}}}").as_bytes());
            report.add_line(format!("timestamp=2026-11-24T10:00:00Z url.path={text}").as_bytes());
            report.add_line(format!("1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] \"GET {text} HTTP/1.1\" 200 1 \"-\" \"{text}\"").as_bytes());
            render(&report);
        }
    }
}
