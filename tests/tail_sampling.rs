//! Tail sampling through the example site's router (issue #18): a mixed run of 10,000
//! requests with the example's `--sample 20` policy keeps every failure, probe,
//! blocked client and user action, one in 20 of the ordinary requests of each route,
//! and no successful health check; the kept lines, weighted by `sample.rate`, add up
//! to the requests sent.
//!
//! Requests go in-process (`tower::ServiceExt::oneshot`, one after the other), each
//! with a peer address in `ConnectInfo`, as `axum::serve` gives it.

#[path = "../examples/server/main.rs"]
#[allow(dead_code)]
mod example;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::BodyExt;
use reqlog::probe::Block;
use reqlog::sink::MemorySink;
use reqlog::{ProbeDetector, RequestLog};
use tower::ServiceExt;

const REQUESTS: usize = 10_000;
const RATE: u64 = 20;

/// What the test expects of a request it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// An ordinary request of this route: sampled one in 20.
    Ordinary(&'static str),
    NotFound,
    ServerError,
    Unauthorized,
    Forbidden,
    Aborted,
    Probe,
    Blocked,
    Action,
    /// A successful health check: dropped by the policy's rule.
    Health,
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn form(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// The `i`th request of the mix, and what it is.
fn request(i: usize, rng: &mut Rng) -> (Request<Body>, Kind, SocketAddr) {
    const COURSES: [&str; 3] = ["python-jumpstart", "rust-for-pythonistas", "async-in-depth"];
    let course = COURSES[i % 3];
    let get = |uri: String| Request::get(uri).body(Body::empty()).unwrap();
    // Ordinary visitors and 404s come from many addresses, so that no one crosses the
    // detector's 404-rate threshold; scanners from a few.
    let visitor: SocketAddr = format!("198.51.100.{}:40000", i % 250).parse().unwrap();
    let lost: SocketAddr = format!("192.0.2.{}:40000", i % 250).parse().unwrap();
    let scanner: SocketAddr = format!("203.0.113.{}:40000", i % 4).parse().unwrap();
    let (req, kind, peer) = match rng.below(1000) {
        0..=249 => (get("/".into()), Kind::Ordinary("/"), visitor),
        250..=499 => (
            get(format!("/courses/{course}")),
            Kind::Ordinary("/courses/{course}"),
            visitor,
        ),
        500..=549 => (
            get("/robots.txt".into()),
            Kind::Ordinary("/robots.txt"),
            visitor,
        ),
        550..=599 => (
            get("/sitemap.xml".into()),
            Kind::Ordinary("/sitemap.xml"),
            visitor,
        ),
        600..=649 => (get(format!("/courses/gone-{i}")), Kind::NotFound, lost),
        650..=679 => (get(format!("/old/page-{i}")), Kind::NotFound, lost),
        680..=699 => (get("/boom".into()), Kind::ServerError, visitor),
        700..=704 => (get("/stream".into()), Kind::Aborted, visitor),
        705..=719 => (
            get(format!("/courses/{course}/lectures/1")),
            Kind::Forbidden,
            visitor,
        ),
        720..=734 => (
            form("/account/login", "email=a%40example.com&password=wrong"),
            Kind::Unauthorized,
            visitor,
        ),
        735..=749 => (get("/wp-login.php".into()), Kind::Probe, scanner),
        750..=764 => (get("/.env".into()), Kind::Probe, scanner),
        765..=779 => (get("/?id=1%27%20or%201%3D1--".into()), Kind::Probe, scanner),
        780..=789 => {
            let mut req = get("/".into());
            req.headers_mut()
                .insert("user-agent", "sqlmap/1.7.2#stable".parse().unwrap());
            (req, Kind::Blocked, scanner)
        }
        790..=829 => (
            form(
                "/newsletter/subscribe",
                &format!("email=n{i}%40example.com"),
            ),
            Kind::Action,
            visitor,
        ),
        830..=849 => (
            form(
                "/account/login",
                &format!("email=u{i}%40example.com&password=letmein"),
            ),
            Kind::Action,
            visitor,
        ),
        _ => (get("/health".into()), Kind::Health, visitor),
    };
    (req, kind, peer)
}

/// The example's router, plus a route that fails with a 500, under its layers: the
/// example's `--sample 20` policy, a detector that blocks known scanners, the
/// example's user actions.
fn site(memory: &MemorySink) -> example::Site {
    let state = example::site_state("http://127.0.0.1:3000");
    let routes = example::routes(state).route(
        "/boom",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "the database is down") }),
    );
    let log = RequestLog::new()
        .sink(memory.clone())
        .keep(example::sampling(RATE));
    let detector = ProbeDetector::new().block_scanners(Block::Forbidden);
    example::with_layers(routes, log, detector, example::user_actions())
}

#[tokio::test]
async fn a_mixed_run_keeps_every_failure_probe_and_action_and_one_in_twenty_of_the_rest() {
    let memory = MemorySink::new();
    let app = site(&memory);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut sent: BTreeMap<Kind, u64> = BTreeMap::new();
    for i in 0..REQUESTS {
        let (mut req, kind, peer) = request(i, &mut rng);
        req.extensions_mut().insert(ConnectInfo(peer));
        *sent.entry(kind).or_default() += 1;
        let response = app.clone().oneshot(req).await.unwrap();
        if kind == Kind::Aborted {
            // The client goes away before the body: `outcome: aborted`.
            drop(response);
        } else {
            response.into_body().collect().await.unwrap();
        }
    }
    let lines = memory.requests();

    let count = |f: &dyn Fn(&reqlog::sink::RecordSnapshot) -> bool| {
        lines.iter().filter(|l| f(l)).count() as u64
    };
    let sent_of = |k: Kind| sent.get(&k).copied().unwrap_or(0);
    let probe = |l: &reqlog::sink::RecordSnapshot| l.str("probe.category").is_some();
    // Every kind that must be kept is there, each line standing for itself.
    let must = [
        (
            Kind::NotFound,
            count(&|l| l.u64("http.response.status_code") == Some(404) && !probe(l)),
        ),
        (
            Kind::ServerError,
            count(&|l| l.u64("http.response.status_code") == Some(500)),
        ),
        (
            Kind::Unauthorized,
            count(&|l| l.u64("http.response.status_code") == Some(401)),
        ),
        (
            Kind::Forbidden,
            count(&|l| {
                l.u64("http.response.status_code") == Some(403)
                    && l.bool("visitor.blocked").is_none()
            }),
        ),
        (
            Kind::Aborted,
            count(&|l| l.str("outcome") == Some("aborted")),
        ),
        (Kind::Probe, count(&|l| probe(l))),
        (
            Kind::Blocked,
            count(&|l| l.bool("visitor.blocked") == Some(true)),
        ),
        // A failed login is a 401 with the action `account.login_failed`: counted above.
        (
            Kind::Action,
            count(&|l| {
                l.get("visitor.actions").is_some()
                    && l.u64("http.response.status_code") != Some(401)
            }),
        ),
    ];
    for (kind, kept) in must {
        assert!(sent_of(kind) > 0, "the mix has no {kind:?}");
        assert_eq!(
            kept,
            sent_of(kind),
            "{kind:?}: kept {kept} of {}",
            sent_of(kind)
        );
    }
    assert!(
        lines
            .iter()
            .filter(|l| l.get("sample.rate").is_none())
            .all(
                |l| l.u64("http.response.status_code").is_some_and(|s| s >= 400)
                    || l.str("outcome") != Some("ok")
                    || probe(l)
                    || l.get("visitor.actions").is_some()
            ),
        "a line without sample.rate that is not a failure, probe or action"
    );

    // No successful health check.
    assert_eq!(count(&|l| l.str("http.route") == Some("/health")), 0);
    assert!(sent_of(Kind::Health) > 0);

    // One in 20 of each route's ordinary requests: counted, not drawn, so exactly the
    // 1st, 21st, 41st… of each — ceil(sent / 20) — each marked `sample.rate: 20`.
    let mut ordinary_sent = 0;
    let mut ordinary_kept = 0;
    for (kind, n) in &sent {
        let Kind::Ordinary(route) = kind else {
            continue;
        };
        let kept = count(&|l| l.str("http.route") == Some(route) && l.get("sample.rate").is_some());
        assert_eq!(kept, n.div_ceil(RATE), "{route}: {kept} of {n}");
        ordinary_sent += n;
        ordinary_kept += kept;
    }
    assert!(lines
        .iter()
        .filter_map(|l| l.u64("sample.rate"))
        .all(|r| r == RATE));
    // About 1 in 20 overall: within a quarter of a percentage point of 5 %.
    let share = ordinary_kept as f64 / ordinary_sent as f64;
    assert!(
        (share - 0.05).abs() < 0.0025,
        "{ordinary_kept} of {ordinary_sent}"
    );

    // Weighted by sample.rate, the kept lines stand for every request but the dropped
    // health checks: within 1 % (each route's last partial group of 20 is counted
    // whole).
    let weighted: u64 = lines
        .iter()
        .map(|l| l.u64("sample.rate").unwrap_or(1))
        .sum();
    let expected = REQUESTS as u64 - sent_of(Kind::Health);
    let error = (weighted as f64 - expected as f64).abs() / expected as f64;
    assert!(error < 0.01, "weighted {weighted}, sent {expected}");
    // And the log is much shorter than the traffic.
    assert!(lines.len() < REQUESTS / 3, "{} lines", lines.len());
}

/// Without `keep`, nothing is dropped and no line carries `sample.rate`.
#[tokio::test]
async fn without_a_policy_every_request_is_written_unmarked() {
    let memory = MemorySink::new();
    let state = example::site_state("http://127.0.0.1:3000");
    let app = example::app(state, RequestLog::new().sink(memory.clone()));
    for _ in 0..50 {
        let req = Request::get("/").body(Body::empty()).unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        response.into_body().collect().await.unwrap();
    }
    let lines = memory.requests();
    assert_eq!(lines.len(), 50);
    assert!(lines.iter().all(|l| l.get("sample.rate").is_none()));
}
