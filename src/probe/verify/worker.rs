//! The lookup worker: a thread with its own small tokio runtime that takes addresses
//! from a bounded queue, spends one token of a token bucket per lookup, runs at most a
//! few lookups at once, each under a deadline, and stores what it learns in the cache.
//! Requests only ever `try_send` to the queue.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::cache::{Key, Verdict, VerdictCache};
use super::Stats;

/// Failures are reported on stderr at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// Lookups in flight at once.
const CONCURRENCY: usize = 32;

/// What a finished check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The PTR name is in one of the domains and resolves back to the address.
    Verified,
    /// DNS answered, and the answer does not verify the address.
    Impostor,
    /// DNS did not answer (timeout, refused, server failure): the message says why.
    Failed(String),
}

/// A forward-confirmed reverse-DNS check (hickory in production, a fake in tests).
pub(crate) trait Dns: Send + Sync + 'static {
    fn check<'a>(
        &'a self,
        ip: IpAddr,
        domains: &'static [&'static str],
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;
}

/// One address to check for one operator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job {
    pub(crate) ip: IpAddr,
    pub(crate) operator: u8,
    pub(crate) domains: &'static [&'static str],
}

/// The worker's limits and how long its verdicts stand.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) per_second: u32,
    pub(crate) queue: usize,
    /// The deadline of one whole check (PTR, then forward lookups).
    pub(crate) deadline: Duration,
    pub(crate) verified_ttl: Duration,
    pub(crate) failed_ttl: Duration,
    pub(crate) unknown_ttl: Duration,
}

/// The request path's end of the queue.
#[derive(Debug)]
pub(crate) struct Link {
    tx: mpsc::Sender<Job>,
    pub(crate) cache: Arc<VerdictCache>,
    stats: Arc<Stats>,
}

impl Link {
    /// Queues a lookup; never waits. `false` (and counted) when the queue is full.
    pub(crate) fn push(&self, job: Job) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => true,
            Err(_) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

/// Allows `per_second` lookups a second on average, and a burst of as many.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(per_second: u32, now: Instant) -> TokenBucket {
        let rate = f64::from(per_second.max(1));
        TokenBucket {
            rate,
            burst: rate,
            tokens: rate,
            last: now,
        }
    }

    /// Takes a token; returns how long to wait before using it.
    pub(crate) fn take(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Starts the worker thread. `make_dns` runs on that thread, inside its runtime.
/// `None` if the thread cannot start (verdicts then stay unknown).
pub(crate) fn start<F>(
    make_dns: F,
    limits: Limits,
    cache: Arc<VerdictCache>,
    stats: Arc<Stats>,
) -> Option<Link>
where
    F: FnOnce() -> Result<Arc<dyn Dns>, String> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(limits.queue.max(1));
    let worker = Worker {
        limits,
        cache: cache.clone(),
        stats: stats.clone(),
        report: Arc::new(Mutex::new(Report::default())),
    };
    let spawned = std::thread::Builder::new()
        .name("reqlog-verify".into())
        .spawn(move || worker.run(make_dns, rx));
    match spawned {
        Ok(_) => Some(Link { tx, cache, stats }),
        Err(e) => {
            eprintln!("reqlog: cannot start the crawler verification thread ({e}); reverse-DNS verdicts stay unknown");
            None
        }
    }
}

#[derive(Debug, Default)]
struct Report {
    last: Option<Instant>,
    unreported: u64,
}

struct Worker {
    limits: Limits,
    cache: Arc<VerdictCache>,
    stats: Arc<Stats>,
    report: Arc<Mutex<Report>>,
}

impl Worker {
    fn run<F>(self, make_dns: F, mut rx: mpsc::Receiver<Job>)
    where
        F: FnOnce() -> Result<Arc<dyn Dns>, String>,
    {
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.enable_time();
        #[cfg(feature = "verify-dns")]
        builder.enable_io();
        let runtime = match builder.build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("reqlog: cannot start the crawler verification runtime ({e}); reverse-DNS verdicts stay unknown");
                return;
            }
        };
        runtime.block_on(async move {
            let dns = match make_dns() {
                Ok(dns) => dns,
                Err(e) => {
                    self.failed(&format!("no resolver: {e}"));
                    // Keep answering "unknown" for whatever is queued, cheaply.
                    while let Some(job) = rx.recv().await {
                        let key = (job.ip, job.operator);
                        self.cache
                            .set(key, Verdict::Unknown, self.limits.failed_ttl);
                    }
                    return;
                }
            };
            let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
            let mut bucket = TokenBucket::new(self.limits.per_second, Instant::now());
            let this = Arc::new(self);
            while let Some(job) = rx.recv().await {
                let wait = bucket.take(Instant::now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                this.stats.lookups.fetch_add(1, Ordering::Relaxed);
                let (this, dns) = (this.clone(), dns.clone());
                tokio::spawn(async move {
                    let outcome =
                        tokio::time::timeout(this.limits.deadline, dns.check(job.ip, job.domains))
                            .await
                            .unwrap_or_else(|_| Outcome::Failed("timed out".into()));
                    this.store((job.ip, job.operator), outcome);
                    drop(slot);
                });
            }
        });
    }

    fn store(&self, key: Key, outcome: Outcome) {
        let l = &self.limits;
        match outcome {
            Outcome::Verified => {
                self.stats.verified.fetch_add(1, Ordering::Relaxed);
                self.cache.set(key, Verdict::Verified, l.verified_ttl);
            }
            Outcome::Impostor => {
                self.stats.impostors.fetch_add(1, Ordering::Relaxed);
                self.cache.set(key, Verdict::Impostor, l.failed_ttl);
            }
            Outcome::Failed(why) => {
                self.cache.set(key, Verdict::Unknown, l.unknown_ttl);
                self.failed(&format!("the lookup for {} failed: {why}", key.0));
            }
        }
    }

    /// Counts an error; reports on stderr at most every [`REPORT_EVERY`].
    fn failed(&self, what: &str) {
        let total = self.stats.errors.fetch_add(1, Ordering::Relaxed) + 1;
        let mut r = self.report.lock().unwrap_or_else(|e| e.into_inner());
        r.unreported += 1;
        if r.last.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            eprintln!(
                "reqlog: crawler verification: {what} ({} errors since the last report, {total} in all; verdicts stay unknown while DNS does not answer; requests are not delayed; next report in {}s at the earliest)",
                r.unreported,
                REPORT_EVERY.as_secs()
            );
            r.last = Some(Instant::now());
            r.unreported = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_the_rate_and_a_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, t0);
        for _ in 0..10 {
            assert_eq!(b.take(t0), Duration::ZERO);
        }
        let wait = b.take(t0);
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(101));
        // A second later, ten more (the one borrowed above is paid back first).
        let t1 = t0 + Duration::from_secs(1);
        let free = (0..20).filter(|_| b.take(t1).is_zero()).count();
        assert_eq!(free, 9);
    }
}
