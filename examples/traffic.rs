//! Demo traffic for the example course site, so `reqlog report` has something to show
//! on a fresh machine.
//!
//! It plays a realistic, deterministic mix against the server over plain TCP on the
//! loopback interface (it refuses any other target): people browsing the courses;
//! customers who subscribe to the newsletter, log in (password `letmein`, sometimes
//! mistyped first), buy a course, watch a lecture and log out, with their session
//! cookie; crawlers (Googlebot, bingbot, GPTBot, ClaudeBot, Applebot, with their real
//! user agents) reading robots.txt and the sitemap, fetching course pages and trying a
//! paid lecture (403); scanners with browser user agents walking WordPress, `.env`,
//! `.git`, phpMyAdmin and other paths, in a burst midway; and HTTP tools (curl,
//! python-requests, Go). The same `--seed` plays the same requests. It stops by itself
//! after `--requests` requests or `--duration` seconds plus a margin, whichever comes
//! first.
//!
//! Each simulated client sends an `X-Forwarded-For` address from the documentation
//! ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) — crawlers
//! from their operators' published ranges, so the detector verifies them, and an
//! occasional impostor Googlebot from 192.0.2.0/24 — start the
//! server with `--trust-proxy 127.0.0.1` so the log shows those instead of 127.0.0.1.
//!
//! # The workflow
//!
//! ```text
//! cargo run --example server -- --log-file /tmp/access.log --trust-proxy 127.0.0.1
//! cargo run --example traffic -- --target http://127.0.0.1:3000     # in another terminal
//! # stop the server (Ctrl-C), then:
//! cargo run -p reqlog-cli -- report /tmp/access.log --html /tmp/report.html
//! ```
//!
//! Options: `--target URL` (default `http://127.0.0.1:3000`), `--requests N` (default
//! 800), `--seed S` (default 1), `--duration SECS` over which the requests are spread
//! (default 30; 0 sends them as fast as the server answers), `--help`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
Usage: cargo run --example traffic -- [OPTIONS]

Plays demo traffic (users, crawlers, scanners, tools) against the example server on
this machine. Start the server first:
  cargo run --example server -- --log-file /tmp/access.log --trust-proxy 127.0.0.1

Options:
  --target URL      the server, on a loopback address (default http://127.0.0.1:3000)
  --requests N      how many requests to send (default 800, at most 100000)
  --seed S          the same seed plays the same requests (default 1)
  --duration SECS   spread the requests over this many seconds (default 30, at most
                    3600; 0: as fast as the server answers)
  -h, --help        print this help
";

// ---------------------------------------------------------------------------------
// Command line.

/// Where to send how much.
pub struct Args {
    target: SocketAddr,
    host: String,
    requests: u32,
    seed: u64,
    duration: Duration,
}

/// Parses the options; `Ok(None)` asks for the help.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut target = "http://127.0.0.1:3000".to_owned();
    let (mut requests, mut seed, mut duration) = (800u32, 1u64, 30u64);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg, None),
        };
        if !matches!(
            flag.as_str(),
            "--target" | "--requests" | "--seed" | "--duration"
        ) {
            return Err(format!("unknown argument `{flag}`"));
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: `{value}` is not a whole number"))
        };
        match flag.as_str() {
            "--target" => target = value.clone(),
            "--requests" => match number()? {
                n @ 1..=100_000 => requests = n as u32,
                _ => return Err("--requests: between 1 and 100000".to_owned()),
            },
            "--seed" => seed = number()?,
            _ => match number()? {
                n @ 0..=3600 => duration = n,
                _ => return Err("--duration: at most 3600 seconds".to_owned()),
            },
        }
    }
    let (addr, host) = loopback_target(&target)?;
    Ok(Some(Args {
        target: addr,
        host,
        requests,
        seed,
        duration: Duration::from_secs(duration),
    }))
}

/// `http://HOST:PORT` on a loopback address: this tool never sends traffic elsewhere.
fn loopback_target(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--target: `{url}` must start with http://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let with_port = if authority.rsplit_once(':').is_some_and(|(h, p)| {
        !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !authority.ends_with(']')
    }) {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| format!("--target: cannot resolve `{authority}`: {e}"))?
        .collect();
    match addrs.first() {
        Some(first) if addrs.iter().all(|a| a.ip().is_loopback()) => {
            Ok((*first, authority.to_owned()))
        }
        Some(_) => Err(format!(
            "--target: `{authority}` is not a loopback address; demo traffic only goes to \
             this machine (127.0.0.1, ::1, localhost)"
        )),
        None => Err(format!("--target: `{authority}` resolves to no address")),
    }
}

// ---------------------------------------------------------------------------------
// A small deterministic random generator (xorshift64*).

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------
// Who visits.

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
];

const CRAWLERS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
];

const TOOLS: &[&str] = &["curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1"];

const COURSES: &[&str] = &["python-jumpstart", "rust-for-pythonistas", "async-in-depth"];
const LECTURES: &[&str] = &[
    "welcome",
    "variables",
    "ownership",
    "futures",
    "cancellation",
];

/// What scanners try, most of it straight out of real access logs.
const PROBES: &[&str] = &[
    "/wp-login.php",
    "/wp-admin/",
    "/xmlrpc.php",
    "/wp-content/plugins/wp-file-manager/readme.txt",
    "/?author=1",
    "/.env",
    "/.env.production",
    "/.git/config",
    "/.git/HEAD",
    "/.aws/credentials",
    "/config.php.bak",
    "/backup.sql",
    "/phpmyadmin/index.php",
    "/pma/",
    "/phpinfo.php",
    "/admin/",
    "/server-status",
    "/manager/html",
    "/cgi-bin/luci/;stok=/locale",
    "/boaform/admin/formLogin",
    "/actuator/env",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/shell.php",
    "/..%2f..%2f..%2fetc/passwd",
    "/index.php?id=1%27%20OR%20%271%27=%271",
    "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
];

/// One request of a visit.
struct Step {
    method: &'static str,
    path: String,
    form: Option<String>,
}

fn get(path: impl Into<String>) -> Step {
    Step {
        method: "GET",
        path: path.into(),
        form: None,
    }
}

fn post(path: impl Into<String>, form: impl Into<String>) -> Step {
    Step {
        method: "POST",
        path: path.into(),
        form: Some(form.into()),
    }
}

/// A client and the requests it still has to send.
struct Visit {
    user_agent: &'static str,
    address: String,
    cookie: Option<String>,
    steps: std::collections::VecDeque<Step>,
}

/// Someone reading about the courses.
fn browser(rng: &mut Rng, n: u64) -> Visit {
    let mut steps = vec![get("/")];
    for _ in 0..1 + rng.below(3) {
        steps.push(get(format!("/courses/{}", rng.pick(COURSES))));
    }
    if rng.chance(25) {
        let c = rng.pick(COURSES);
        steps.push(get(format!("/courses/{c}/lectures/welcome"))); // not bought: 403
    }
    if rng.chance(10) {
        steps.push(get("/favicon.ico"));
    }
    Visit {
        user_agent: rng.pick(BROWSERS),
        address: format!("198.51.100.{}", 1 + n % 250),
        cookie: None,
        steps: steps.into(),
    }
}

/// A visitor who subscribes, logs in, maybe buys a course and watches it.
fn customer(rng: &mut Rng, n: u64) -> Visit {
    let email = format!("email=learner{}%40example.com", n % 400);
    let course = rng.pick(COURSES);
    let mut steps = vec![get("/")];
    if rng.chance(70) {
        steps.push(post("/newsletter/subscribe", email.clone()));
        steps.push(get("/"));
    }
    if rng.chance(65) {
        if rng.chance(15) {
            steps.push(post("/account/login", format!("{email}&password=letmeout")));
        }
        steps.push(post("/account/login", format!("{email}&password=letmein")));
        steps.push(get(format!("/courses/{course}")));
        if rng.chance(60) {
            steps.push(post(format!("/purchase/{course}"), ""));
            steps.push(get(format!("/courses/{course}/lectures/welcome")));
        }
        if rng.chance(70) {
            steps.push(post("/account/logout", ""));
        }
    }
    Visit {
        user_agent: rng.pick(BROWSERS),
        address: format!("192.0.2.{}", 1 + n % 250),
        cookie: None,
        steps: steps.into(),
    }
}

/// A search engine or AI crawler.
fn crawler(rng: &mut Rng, n: u64) -> Visit {
    let mut steps = vec![get("/robots.txt"), get("/sitemap.xml"), get("/")];
    for c in COURSES {
        steps.push(get(format!("/courses/{c}")));
    }
    // A crawler that ignores robots.txt tries a paid lecture, and is refused.
    steps.push(get(format!(
        "/courses/{}/lectures/{}",
        rng.pick(COURSES),
        rng.pick(LECTURES)
    )));
    if rng.chance(30) {
        steps.push(get("/courses/intro-to-cobol")); // a dead link: 404
    }
    let which = n % CRAWLERS.len() as u64;
    // Crawlers come from their operators' published ranges (so the detector verifies
    // them), except ClaudeBot (Anthropic publishes none) and, now and then, an impostor
    // that only borrows Googlebot's user agent.
    let impostor = n % 10 == 1;
    let ua = CRAWLERS[if impostor { 0 } else { which as usize }];
    let host = 1 + n % 7;
    let address = match which {
        _ if impostor => format!("192.0.2.{}", 200 + n % 50),
        0 => format!("2001:4860:4801:10::{host}"),
        1 => format!("13.66.139.{host}"),
        2 => format!("132.196.86.{host}"),
        4 => format!("17.241.208.{}", 160 + host),
        _ => format!("2001:db8:{:x}::{host}", 10 + which),
    };
    Visit {
        user_agent: ua,
        address,
        cookie: None,
        steps: steps.into(),
    }
}

/// A vulnerability scanner pretending to be a browser.
fn scanner(rng: &mut Rng, n: u64) -> Visit {
    let start = rng.below(PROBES.len() as u64) as usize;
    let count = 8 + rng.below(12) as usize;
    let steps: Vec<Step> = (0..count)
        .map(|i| get(PROBES[(start + i) % PROBES.len()]))
        .collect();
    Visit {
        user_agent: rng.pick(BROWSERS),
        address: format!("203.0.113.{}", 1 + n % 12),
        cookie: None,
        steps: steps.into(),
    }
}

/// A script or a monitoring check.
fn tool(rng: &mut Rng, n: u64) -> Visit {
    let path = rng.pick(&[
        "/",
        "/robots.txt",
        "/sitemap.xml",
        "/courses/async-in-depth",
    ]);
    Visit {
        user_agent: rng.pick(TOOLS),
        address: format!("198.51.100.{}", 251 + n % 4),
        cookie: None,
        steps: vec![get(path)].into(),
    }
}

/// A new visit; scanners come in a burst in the middle of the run.
fn new_visit(rng: &mut Rng, n: u64, progress: f64) -> Visit {
    let scanners = if (0.45..0.6).contains(&progress) {
        30
    } else {
        3
    };
    if rng.chance(scanners) {
        return scanner(rng, n);
    }
    match rng.below(100) {
        0..=9 => crawler(rng, n),
        10..=19 => tool(rng, n),
        20..=49 => customer(rng, n),
        _ => browser(rng, n),
    }
}

// ---------------------------------------------------------------------------------
// HTTP/1.1 over a fresh connection per request.

/// Sends one request; returns the status and the session cookie the server set, if any.
fn send(args: &Args, visit: &Visit, step: &Step) -> std::io::Result<(u16, Option<String>)> {
    let mut stream = TcpStream::connect_timeout(&args.target, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut request = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nX-Forwarded-For: {}\r\nAccept: */*\r\nConnection: close\r\n",
        step.method, step.path, args.host, visit.user_agent, visit.address
    );
    if let Some(cookie) = &visit.cookie {
        request.push_str(&format!("Cookie: session={cookie}\r\n"));
    }
    match &step.form {
        Some(form) => request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        )),
        None => request.push_str("\r\n"),
    }
    stream.write_all(request.as_bytes())?;
    // Read to the end (the server closes the connection), at most 1 MiB.
    let mut response = Vec::new();
    stream.take(1 << 20).read_to_end(&mut response)?;
    let head = String::from_utf8_lossy(&response);
    let head = head.split("\r\n\r\n").next().unwrap_or_default();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let cookie = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        if !name.eq_ignore_ascii_case("set-cookie") {
            return None;
        }
        let value = value.trim().split(';').next()?.strip_prefix("session=")?;
        Some(value.to_owned())
    });
    Ok((status, cookie))
}

/// What a run sent: requests by status class (index 1 to 5), and failures.
pub struct Tally {
    pub sent: u32,
    pub classes: [u32; 6],
    pub failed: u32,
}

/// Plays the traffic `args` describe; `Err` when most requests fail (no server).
pub fn play(args: &Args) -> Result<Tally, String> {
    let mut rng = Rng::new(args.seed);
    let pause = args.duration / args.requests;
    let deadline = Instant::now() + args.duration + Duration::from_secs(60);
    let mut visits: Vec<Visit> = Vec::new();
    let mut visits_started = 0u64;
    let mut tally = Tally {
        sent: 0,
        classes: [0; 6],
        failed: 0,
    };
    while tally.sent < args.requests && Instant::now() < deadline {
        // A few visits at once, interleaved as they would be.
        if visits.len() < 6 || rng.chance(15) {
            let progress = f64::from(tally.sent) / f64::from(args.requests);
            visits.push(new_visit(&mut rng, visits_started, progress));
            visits_started += 1;
        }
        let i = rng.below(visits.len() as u64) as usize;
        let Some(step) = visits[i].steps.pop_front() else {
            visits.swap_remove(i);
            continue;
        };
        match send(args, &visits[i], &step) {
            Ok((status, cookie)) => {
                tally.classes[usize::from(status / 100).min(5)] += 1;
                if let Some(cookie) = cookie {
                    // An empty value is the logout clearing the cookie.
                    visits[i].cookie = Some(cookie).filter(|c| !c.is_empty());
                }
            }
            Err(e) => {
                tally.failed += 1;
                if tally.failed == 1 {
                    eprintln!(
                        "warning: {} {}: {e} (is the server running?)",
                        step.method, step.path
                    );
                }
                if tally.failed >= 20 && tally.failed > tally.sent / 2 {
                    return Err(format!(
                        "most requests fail; is the server running at http://{}?",
                        args.host
                    ));
                }
            }
        }
        tally.sent += 1;
        if visits[i].steps.is_empty() {
            visits.swap_remove(i);
        }
        std::thread::sleep(pause);
    }
    Ok(tally)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "sending {} requests to http://{} over {} s (seed {})",
        args.requests,
        args.host,
        args.duration.as_secs(),
        args.seed
    );
    let started = Instant::now();
    let tally = match play(&args) {
        Ok(tally) => tally,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "sent {} requests in {:.1} s: {} 2xx, {} 3xx, {} 4xx, {} 5xx, {} failed",
        tally.sent,
        started.elapsed().as_secs_f64(),
        tally.classes[2],
        tally.classes[3],
        tally.classes[4],
        tally.classes[5],
        tally.failed
    );
    eprintln!(
        "next: stop the server, then `cargo run -p reqlog-cli -- report /tmp/access.log --html /tmp/report.html`"
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback_target("http://127.0.0.1:3000").is_ok());
        assert!(loopback_target("http://[::1]:3000/").is_ok());
        assert!(loopback_target("http://localhost:3000").is_ok());
        assert!(loopback_target("http://192.0.2.1:3000").is_err());
        assert!(loopback_target("https://127.0.0.1:3000").is_err());
    }

    #[test]
    fn same_seed_same_visits() {
        let paths = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .flat_map(|n| new_visit(&mut rng, n, 0.5).steps)
                .map(|s| s.path)
                .collect::<Vec<_>>()
        };
        assert_eq!(paths(7), paths(7));
        assert_ne!(paths(7), paths(8));
    }
}
