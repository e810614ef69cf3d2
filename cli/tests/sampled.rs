//! `reqlog report` on a sampled log gives the numbers of the full log (issue #18).
//!
//! A full log of 60,000 requests is generated (JSON lines as reqlog writes them, with
//! seeded pseudo-random routes, statuses, sizes and log-normal durations), then sampled
//! with the policy of `reqlog::Keep::new().one_in(20)`: every 4xx, 5xx and probe kept
//! as it is, the 1st, 21st, 41st… ordinary request of each route kept with
//! `"sample.rate":20`, the others dropped. Both are reported.
//!
//! The tolerance, stated in the README too: requests, bytes and each route of 1,000
//! requests or more within 2 % (counted per route, they are exact up to one group of
//! 20 per route); a quiet route within one group of 20; the always-kept 4xx and 5xx
//! exactly; a group that the sampling does not count by (200 or 304 across routes)
//! within three standard errors, ±3·√(19·n) for n requests; p50 and p95 within 5 %.

use reqlog_cli::report::{Report, ReportOptions};
use serde_json::Value;

const REQUESTS: usize = 60_000;
const RATE: u64 = 20;

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A standard normal number (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// (route, path, share in ‰, median duration in ms, body bytes).
const ROUTES: [(&str, &str, u64, f64, u64); 6] = [
    ("/", "/", 400, 2.0, 5_000),
    (
        "/courses/{course}",
        "/courses/python-jumpstart",
        300,
        6.0,
        12_000,
    ),
    ("/api/search", "/api/search", 150, 25.0, 2_000),
    ("/static/{*file}", "/static/site.css", 120, 0.4, 40_000),
    ("/account/login", "/account/login", 29, 40.0, 800),
    // A quiet route: about 60 requests in 60,000.
    ("/admin/export", "/admin/export", 1, 300.0, 900_000),
];

/// One full-log line, and whether the policy keeps it whatever the sampling.
fn line(i: usize, rng: &mut Rng) -> (String, &'static str, bool) {
    let mut pick = rng.below(1000);
    let mut chosen = ROUTES[0];
    for r in ROUTES {
        if pick < r.2 {
            chosen = r;
            break;
        }
        pick -= r.2;
    }
    let (route, path, _, median, size) = chosen;
    let status = match rng.below(1000) {
        0..=29 => 404,
        30..=34 => 500,
        35..=84 => 304,
        _ => 200,
    };
    let probe = rng.below(1000) < 5;
    let ms = median * (0.6 * rng.normal()).exp();
    let bytes = size / 2 + rng.below(size.max(1));
    let probe_fields = if probe {
        r#","probe.category":"secrets","probe.rule":"dotenv""#
    } else {
        ""
    };
    let text = format!(
        r#"{{"timestamp":"2026-11-24T02:{:02}:{:02}.{:06}Z","level":"INFO","otel.event.name":"http.request","http.request.method":"GET","url.path":"{path}","http.route":"{route}","client.address":"198.51.100.{}","http.response.status_code":{status},"http.response.body.size":{bytes},"duration_ms":{ms:.3},"outcome":"ok"{probe_fields},"visitor.kind":"browser"}}"#,
        (i / 1000) % 60,
        (i / 16) % 60,
        i % 1_000_000,
        i % 250,
    );
    (text, route, status >= 400 || probe)
}

/// The full log and its sample.
fn logs() -> (String, String) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut full, mut sampled) = (String::new(), String::new());
    let mut seen = std::collections::HashMap::<&str, u64>::new();
    for i in 0..REQUESTS {
        let (text, route, always) = line(i, &mut rng);
        full.push_str(&text);
        full.push('\n');
        if always {
            sampled.push_str(&text);
            sampled.push('\n');
            continue;
        }
        let n = seen.entry(route).or_default();
        if *n % RATE == 0 {
            let marked = text.replace(
                r#","visitor.kind""#,
                &format!(r#","sample.rate":{RATE},"visitor.kind""#),
            );
            sampled.push_str(&marked);
            sampled.push('\n');
        }
        *n += 1;
    }
    (full, sampled)
}

fn report(log: &str) -> Value {
    let mut report = Report::new(ReportOptions::new().top(20));
    report.read("log", log.as_bytes()).unwrap();
    serde_json::from_str(&report.json()).unwrap()
}

#[track_caller]
fn close(what: &str, sampled: f64, full: f64, tolerance: f64) {
    let error = (sampled - full).abs() / full;
    assert!(
        error <= tolerance,
        "{what}: sampled {sampled}, full {full} ({:.2} % off, tolerance {:.0} %)",
        error * 100.0,
        tolerance * 100.0
    );
}

/// For a group the sampling does not count by (a status code across routes), the
/// estimate of a group of `n` requests is 20 × a binomial(n, 1/20): its standard
/// error is √(19·n). Within three of them (±8 % for 3,000 requests, ±2.5 % for
/// 30,000).
#[track_caller]
fn within_sampling_error(what: &str, sampled: f64, full: f64) {
    let bound = 3.0 * (19.0 * full).sqrt();
    assert!(
        (sampled - full).abs() <= bound,
        "{what}: sampled {sampled}, full {full} (more than ±{bound:.0} off)"
    );
}

#[test]
fn a_sampled_log_reports_the_totals_and_percentiles_of_the_full_log() {
    let (full_log, sampled_log) = logs();
    let (full, sampled) = (report(&full_log), report(&sampled_log));
    let lines = sampled_log.lines().count();
    assert!(lines < REQUESTS / 5, "the sample has {lines} lines");

    let ov = |r: &Value, k: &str| r["overview"][k].as_f64().unwrap();
    assert_eq!(ov(&full, "requests"), REQUESTS as f64);
    close(
        "requests",
        ov(&sampled, "requests"),
        ov(&full, "requests"),
        0.02,
    );
    close("bytes", ov(&sampled, "bytes"), ov(&full, "bytes"), 0.02);
    let codes = full["overview"]["status_codes"].as_object().unwrap();
    assert_eq!(codes.len(), 4);
    for (code, n) in codes {
        let got = sampled["overview"]["status_codes"][code]
            .as_f64()
            .unwrap_or(0.0);
        if code.starts_with('4') || code.starts_with('5') {
            assert_eq!(got, n.as_f64().unwrap(), "{code}: always kept, exact");
        } else {
            within_sampling_error(code, got, n.as_f64().unwrap());
        }
    }
    let routes = |r: &Value| -> Vec<(String, f64)> {
        r["overview"]["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["route"].as_str().unwrap().to_owned(),
                    x["requests"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let sampled_routes = routes(&sampled);
    for (route, n) in routes(&full) {
        let got = sampled_routes
            .iter()
            .find(|(r, _)| *r == route)
            .map_or(0.0, |(_, n)| *n);
        if n >= 1000.0 {
            close(&route, got, n, 0.02);
        } else {
            assert!(
                (got - n).abs() <= RATE as f64,
                "{route}: sampled {got}, full {n}"
            );
        }
    }
    let ms = |r: &Value, q: &str| r["overview"]["duration_ms"][q].as_f64().unwrap();
    for q in ["p50", "p95"] {
        close(q, ms(&sampled, q), ms(&full, q), 0.05);
    }
    close(
        "duration count",
        sampled["overview"]["duration_ms"]["count"]
            .as_f64()
            .unwrap(),
        full["overview"]["duration_ms"]["count"].as_f64().unwrap(),
        0.02,
    );

    // The sampled report says what its numbers are; the full one does not.
    assert_eq!(full["overview"]["estimated"], false);
    assert_eq!(sampled["overview"]["estimated"], true);
    assert_eq!(sampled["input"]["request_lines"], lines as u64);
    assert!(sampled["input"]["sampled_lines"].as_u64().unwrap() > 0);
    let notes = sampled["notes"].to_string();
    assert!(notes.contains("Estimated from sampled lines"), "{notes}");
    let mut text = Vec::new();
    let mut report = Report::new(ReportOptions::new());
    report.read("log", sampled_log.as_bytes()).unwrap();
    report.write_text(&mut text, false).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("estimated from sampled lines"), "{text}");
    assert!(report.html().contains("estimated from sampled lines"));
}

/// A line kept unsampled and the same line marked `sample.rate: 20` differ by 19
/// requests in every count.
#[test]
fn each_sampled_line_counts_its_rate() {
    let plain = r#"{"otel.event.name":"http.request","http.request.method":"GET","url.path":"/","http.route":"/","http.response.status_code":200,"http.response.body.size":100,"duration_ms":1.000,"outcome":"ok"}"#;
    let marked = plain.replace(r#""outcome":"ok""#, r#""outcome":"ok","sample.rate":20"#);
    let r = report(&format!("{plain}\n{marked}\n"));
    assert_eq!(r["overview"]["requests"], 21);
    assert_eq!(r["overview"]["bytes"], 2100);
    assert_eq!(r["overview"]["status_codes"]["200"], 21);
    assert_eq!(r["overview"]["routes"][0]["requests"], 21);
    assert_eq!(r["overview"]["duration_ms"]["count"], 21);
    assert_eq!(r["overview"]["outcomes"]["ok"], 21);
    // A rate that is not a sane number counts once.
    let broken = plain.replace(r#""outcome":"ok""#, r#""outcome":"ok","sample.rate":-5"#);
    assert_eq!(report(&broken)["overview"]["requests"], 1);
}
