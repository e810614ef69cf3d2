//! How fast `reqlog report` reads JSON lines: generates 1,000,000 realistic lines in
//! memory once (browsers, users with actions, crawlers, scanners with probe fields,
//! tools — the shape the example server writes), then times the full report pass
//! (parse, aggregate, render) over them and prints lines per second.
//!
//! ```text
//! cargo bench -p reqlog-cli --bench report
//! ```
//!
//! It asserts nothing: the number is for people (and the README). The target is at
//! least 500,000 lines per second on one core.

use std::hint::black_box;
use std::time::Instant;

use reqlog_cli::report::{Report, ReportOptions};

/// Realistic reqlog JSON lines, deterministic for a seed.
pub mod lines {
    use std::io::Write;

    /// xorshift64*: small, fast, deterministic.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub fn below(&mut self, n: u64) -> u64 {
            self.next_u64() % n
        }
        pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len() as u64) as usize]
        }
    }

    const BROWSERS: &[&str] = &[
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ];
    const CRAWLERS: &[(&str, &str)] = &[
        ("Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        ("bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
        ("GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"),
        ("ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"),
    ];
    const TOOLS: &[&str] = &["curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1"];
    const COURSES: &[&str] = &["python-jumpstart", "rust-for-pythonistas", "async-in-depth"];
    const LECTURES: &[&str] = &["welcome", "variables", "ownership", "futures"];
    /// Probe path, category, rule.
    const PROBES: &[(&str, &str, &str)] = &[
        ("/wp-login.php", "wordpress", "wp-login"),
        ("/xmlrpc.php", "wordpress", "wp-xmlrpc"),
        ("/wp-admin/setup-config.php", "wordpress", "wp-admin"),
        ("/.env", "secrets", "dotenv"),
        ("/.git/config", "secrets", "git-metadata"),
        ("/backup.sql", "secrets", "dump"),
        ("/phpmyadmin/index.php", "php", "phpmyadmin"),
        ("/admin/login", "admin", "admin-panel"),
        ("/cgi-bin/luci", "iot", "luci"),
        ("/../../etc/passwd", "traversal", "etc-passwd"),
        ("/actuator/env", "framework", "spring-actuator"),
        ("/shell.php", "webshell", "known-shell"),
    ];

    struct Line<'a> {
        t: u64,
        method: &'a str,
        path: &'a str,
        route: Option<&'a str>,
        client: String,
        ua: &'a str,
        status: u16,
        bytes: u64,
        duration_us: u64,
        kind: &'a str,
        crawler: Option<&'a str>,
        probe: Option<(&'a str, &'a str)>,
        scanning: bool,
        actions: Option<String>,
        user: Option<u64>,
    }

    fn write_line(out: &mut Vec<u8>, rng: &mut Rng, l: &Line<'_>) {
        let secs = l.t / 1_000_000;
        let micros = l.t % 1_000_000;
        // 2026-11-24 is day 20,781 since the epoch; the generator stays within a few days.
        let day = secs / 86_400 - 20_781 + 24;
        let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
        let level = match (l.status, l.probe.is_some() || l.scanning) {
            (500.., _) => "ERROR",
            (400.., _) | (_, true) => "WARN",
            _ => "INFO",
        };
        let _ = write!(
            out,
            r#"{{"timestamp":"2026-11-{day:02}T{h:02}:{m:02}:{s:02}.{micros:06}Z","level":"{level}","otel.event.name":"http.request","http.request.method":"{}","url.path":"{}","#,
            l.method, l.path
        );
        if let Some(route) = l.route {
            let _ = write!(out, r#""http.route":"{route}","#);
        }
        let _ = write!(
            out,
            r#""network.protocol.version":"1.1","server.address":"courses.example","client.address":"{}","user_agent.original":"{}","request.id":"{:016x}{:016x}","http.response.status_code":{},"http.request.body.size":0,"http.response.body.size":{},"duration_ms":{}.{:03},"ttfb_ms":{}.{:03},"outcome":"ok""#,
            l.client,
            l.ua,
            rng.next_u64(),
            rng.next_u64(),
            l.status,
            l.bytes,
            l.duration_us / 1000,
            l.duration_us % 1000,
            l.duration_us * 9 / 10 / 1000,
            l.duration_us * 9 / 10 % 1000,
        );
        if let Some((category, rule)) = l.probe {
            let _ = write!(
                out,
                r#","probe.category":"{category}","probe.rule":"{rule}""#
            );
        }
        let _ = write!(out, r#","visitor.kind":"{}""#, l.kind);
        if let Some(c) = l.crawler {
            let _ = write!(out, r#","visitor.crawler":"{c}""#);
        }
        if l.scanning {
            out.extend_from_slice(br#","visitor.scanning":true"#);
        }
        if let Some(actions) = &l.actions {
            let _ = write!(out, r#","visitor.actions":{actions}"#);
        }
        if let Some(u) = l.user {
            let _ = write!(out, r#","enduser.pseudo.id":"u_{u:016x}""#);
        }
        out.extend_from_slice(b"}\n");
    }

    /// `n` lines over about a day from 2026-11-24T00:00:00Z.
    pub fn generate(n: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(n * 520);
        let mut t: u64 = 1_795_478_400_000_000; // 2026-11-24T00:00:00Z
        let step = 86_400_000_000 / n.max(1) as u64;
        let mut paths = Vec::new();
        for c in COURSES {
            paths.push(format!("/courses/{c}"));
            for l in LECTURES {
                paths.push(format!("/courses/{c}/lectures/{l}"));
            }
        }
        let purchases: Vec<String> = COURSES.iter().map(|c| format!("/purchase/{c}")).collect();
        for _ in 0..n {
            t += rng.below(2 * step + 1);
            let roll = rng.below(100);
            let duration_us = 80
                + rng.below(400)
                + if rng.below(50) == 0 {
                    rng.below(200_000)
                } else {
                    0
                };
            let client = format!("198.51.{}.{}", rng.below(100), rng.below(250) + 1);
            let mut line = Line {
                t,
                method: "GET",
                path: "/",
                route: Some("/"),
                client,
                ua: rng.pick(BROWSERS),
                status: 200,
                bytes: 980 + rng.below(4000),
                duration_us,
                kind: "browser",
                crawler: None,
                probe: None,
                scanning: false,
                actions: None,
                user: None,
            };
            match roll {
                0..=59 => {
                    if rng.below(2) == 0 {
                        line.path = &paths[(rng.below(3) * 5) as usize];
                        line.route = Some("/courses/{course}");
                    }
                }
                60..=67 => {
                    let user = rng.below(5000).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    line.user = Some(user);
                    line.method = "POST";
                    line.status = 303;
                    line.bytes = 0;
                    let (path, route, action) = match rng.below(4) {
                        0 => (
                            "/newsletter/subscribe",
                            "/newsletter/subscribe",
                            r#"[{"name":"newsletter.subscribe"}]"#.to_owned(),
                        ),
                        1 => (
                            "/account/login",
                            "/account/login",
                            r#"[{"name":"account.login"}]"#.to_owned(),
                        ),
                        2 => {
                            let i = rng.below(3) as usize;
                            let action =
                                format!(r#"[{{"name":"purchase","course":"{}"}}]"#, COURSES[i]);
                            (purchases[i].as_str(), "/purchase/{course}", action)
                        }
                        _ => (
                            "/account/logout",
                            "/account/logout",
                            r#"[{"name":"account.logout"}]"#.to_owned(),
                        ),
                    };
                    line.path = path;
                    line.route = Some(route);
                    line.actions = Some(action);
                }
                68..=79 => {
                    let (name, ua) = rng.pick(CRAWLERS);
                    line.ua = ua;
                    line.kind = "crawler";
                    line.crawler = Some(name);
                    line.client = format!("66.249.{}.{}", rng.below(80), rng.below(250) + 1);
                    match rng.below(10) {
                        0 => (line.path, line.route) = ("/robots.txt", Some("/robots.txt")),
                        1 => (line.path, line.route) = ("/sitemap.xml", Some("/sitemap.xml")),
                        2..=4 => {
                            line.path = &paths[1 + rng.below(4) as usize];
                            line.route = Some("/courses/{course}/lectures/{lecture}");
                            line.status = 403;
                        }
                        _ => {
                            line.path = &paths[(rng.below(3) * 5) as usize];
                            line.route = Some("/courses/{course}");
                        }
                    }
                }
                80..=95 => {
                    let (path, category, rule) = rng.pick(PROBES);
                    line.path = path;
                    line.route = None;
                    line.status = 404;
                    line.bytes = 153;
                    line.probe = Some((category, rule));
                    line.client = format!("203.0.113.{}", rng.below(40) + 1);
                    line.scanning = rng.below(3) == 0;
                    if rng.below(4) == 0 {
                        line.ua = "Mozilla/5.0 zgrab/0.x";
                        line.kind = "scanner";
                    }
                }
                _ => {
                    line.ua = rng.pick(TOOLS);
                    line.kind = "tool";
                    line.client = format!("192.0.2.{}", rng.below(20) + 1);
                }
            }
            write_line(&mut out, &mut rng, &line);
        }
        out
    }
}

fn main() {
    const LINES: usize = 1_000_000;
    let data = lines::generate(LINES, 42);
    println!(
        "report: {} lines, {:.1} MB of JSON lines in memory",
        LINES,
        data.len() as f64 / 1e6
    );
    let mut rates = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut report = Report::new(ReportOptions::new());
        let _ = report.read("bench", &data[..]);
        black_box(report.json());
        let secs = start.elapsed().as_secs_f64();
        rates.push(report.lines() as f64 / secs);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let median = rates[rates.len() / 2];
    println!(
        "report: full pass (parse + aggregate + render JSON) median {:.0} lines/s, best {:.0} lines/s, {:.0} MB/s (one core)",
        median,
        rates[rates.len() - 1],
        median * data.len() as f64 / LINES as f64 / 1e6
    );
}
