//! The verifier's request-path answers and its limits, with a fake resolver.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::worker::{Dns, Outcome};
use super::{CrawlerVerifier, DnsChoice};

/// Answers at once: verified for 192.0.2.1, an impostor for anything else.
struct FakeDns;

impl Dns for FakeDns {
    fn check<'a>(
        &'a self,
        ip: IpAddr,
        _: &'static [&'static str],
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>> {
        Box::pin(async move {
            if ip == IpAddr::from([192, 0, 2, 1]) {
                Outcome::Verified
            } else {
                Outcome::Impostor
            }
        })
    }
}

fn with_fake_dns(v: CrawlerVerifier) -> CrawlerVerifier {
    let v = v.with(|c| c.dns = DnsChoice::Test);
    v.start_with(|| Ok(Arc::new(FakeDns) as Arc<dyn Dns>));
    v
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Polls until `f` is `Some`, for at most two seconds.
fn eventually(f: impl Fn() -> Option<bool>) -> Option<bool> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let v = f();
        if v.is_some() || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn ranges_answer_in_line_and_unverifiable_names_get_nothing() {
    let v = CrawlerVerifier::new().without_dns();
    assert_eq!(v.check("Googlebot", ip("66.249.66.1")), Some(true));
    assert_eq!(v.check("Googlebot", ip("::ffff:66.249.66.1")), Some(true));
    assert_eq!(v.check("bingbot", ip("157.55.39.1")), Some(true));
    assert_eq!(v.check("GPTBot", ip("20.171.206.9")), Some(true));
    // Outside the ranges with DNS off: an impostor where the operator publishes ranges.
    assert_eq!(v.check("Googlebot", ip("203.0.113.10")), Some(false));
    assert_eq!(v.check("bingbot", ip("66.249.66.1")), Some(false));
    // Reverse DNS only, DNS off: unknown. No verification published: nothing.
    assert_eq!(v.check("YandexBot", ip("203.0.113.10")), None);
    assert_eq!(v.check("ClaudeBot", ip("203.0.113.10")), None);
    assert_eq!(v.lookups(), 0);
}

#[test]
fn loaded_ranges_replace_the_snapshot_and_reload_reaches_clones() {
    let json = r#"{"creationTime":"t","prefixes":[{"ipv4Prefix":"198.51.100.0/24"}]}"#;
    let v = CrawlerVerifier::new()
        .without_dns()
        .ranges_json("applebot", json)
        .unwrap();
    assert_eq!(v.check("Applebot", ip("198.51.100.7")), Some(true));
    assert_eq!(v.check("Applebot", ip("17.241.208.161")), Some(false));

    let dir = std::env::temp_dir().join(format!("reqlog-ranges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("applebot.json"),
        json.replace("198.51.100", "192.0.2"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let clone = v.clone();
    assert_eq!(v.reload_ranges_dir(&dir).unwrap(), 1);
    assert_eq!(clone.check("Applebot", ip("192.0.2.7")), Some(true));
    assert_eq!(clone.check("Applebot", ip("198.51.100.7")), Some(false));
    std::fs::write(dir.join("bingbot.json"), "not json").unwrap();
    assert!(v.reload_ranges_dir(&dir).is_err());
    // A failed reload changes nothing.
    assert_eq!(clone.check("Applebot", ip("192.0.2.7")), Some(true));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dns_verdicts_arrive_in_the_background() {
    let v = with_fake_dns(CrawlerVerifier::new());
    // First sight: unknown while the lookup runs; then the verdict.
    assert_eq!(v.check("Googlebot", ip("192.0.2.1")), None);
    assert_eq!(
        eventually(|| v.check("Googlebot", ip("192.0.2.1"))),
        Some(true)
    );
    assert_eq!(v.check("YandexBot", ip("192.0.2.9")), None);
    assert_eq!(
        eventually(|| v.check("YandexBot", ip("192.0.2.9"))),
        Some(false)
    );
    // Ranges-only operators never ask DNS.
    assert_eq!(v.check("GPTBot", ip("192.0.2.1")), Some(false));
    assert_eq!(v.lookups(), 2);
    assert_eq!(v.dns_verdicts(), (1, 1));
}

/// An attacker rotating addresses under a crawler's name: the cache stays under its
/// cap, lookups under the rate, and what the queue cannot take is dropped and counted.
#[test]
fn a_flood_of_new_addresses_stays_within_the_limits() {
    const RATE: u32 = 200;
    const FLOOD: u32 = 100_000;
    let v = with_fake_dns(
        CrawlerVerifier::new()
            .lookups_per_second(RATE)
            .max_queued(64)
            .max_cached(4096),
    );
    let start = Instant::now();
    for i in 0..FLOOD {
        let addr = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
        assert_eq!(v.check("YandexBot", addr), None);
    }
    let flood_took = start.elapsed();
    // Let the queue drain (64 lookups at 200 a second).
    std::thread::sleep(Duration::from_millis(800));
    let elapsed = start.elapsed().as_secs_f64();
    let lookups = v.lookups();
    assert!(v.cached() <= 4096, "cache {} > cap", v.cached());
    let allowed = f64::from(RATE) * (1.0 + elapsed) + 1.0;
    assert!(
        (lookups as f64) <= allowed,
        "{lookups} lookups in {elapsed:.2}s at {RATE}/s"
    );
    assert!(v.dropped_lookups() > 0);
    assert_eq!(v.dropped_lookups() + lookups, u64::from(FLOOD));
    // The request path stayed cheap: 100k checks well under a second even in debug.
    assert!(flood_took < Duration::from_secs(5), "{flood_took:?}");
}
