//! Crawler verification: is a client that calls itself `Googlebot` really Google's?
//! The published-range lookup runs in line; reverse DNS runs on a worker thread
//! (`worker.rs`, `dns.rs`) behind a bounded queue and cache (`cache.rs`). The full
//! story is on [`CrawlerVerifier`].

#[cfg(any(feature = "verify-dns", test))]
mod cache;
#[cfg(feature = "verify-dns")]
mod dns;
mod operators;
mod ranges;
#[cfg(any(feature = "verify-dns", test))]
mod worker;

use std::fmt;
use std::net::IpAddr;
#[cfg(feature = "verify-dns")]
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(any(feature = "verify-dns", test))]
use std::sync::OnceLock;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ranges::RangeTable;
pub use ranges::RangesError;

/// Verifies that a client naming a crawler is that crawler.
///
/// A user agent is a claim anyone can make. [`CrawlerVerifier`] checks the claim the way
/// each operator documents it, and the record line says `visitor.verified: true|false`
/// after `visitor.crawler`:
///
/// - **Published ranges**, in line: the client address is in a range list the operator
///   publishes (Google's `googlebot.json`, `special-crawlers.json`,
///   `user-triggered-fetchers.json`; Bing's `bingbot.json`; `applebot.json`;
///   `duckduckbot.json`; OpenAI's `gptbot.json`, `searchbot.json`, `chatgpt-user.json`;
///   Perplexity's `perplexitybot.json`, `perplexity-user.json`). A dated snapshot of
///   each ships in the crate (`data/crawler-ranges/`, sources in its README).
/// - **Forward-confirmed reverse DNS** (cargo feature `verify-dns`), off the request
///   path: the PTR name of the address ends in the operator's domain on a label
///   boundary (`googlebot.com`, `google.com`, `gae.googleusercontent.com` for Google's
///   user-triggered fetchers only, `search.msn.com`, `applebot.apple.com`,
///   `yandex.ru|net|com`, `baidu.com|jp`, `petalsearch.com`, `crawl.yahoo.net`,
///   `seznam.cz`, `naver.com`, `coccoc.com`, `crawl.amazonbot.amazon`) and that name
///   resolves back to the same address. `crawl.googlebot.com.evil.example` and
///   `evilgooglebot.com` fail.
///
/// An address in the ranges is verified at once. Outside them, an operator that also
/// documents reverse DNS is asked in the background (with `verify-dns`); one that
/// documents only ranges (OpenAI, Perplexity, DuckDuckGo) is an impostor, and so is
/// any operator with ranges when DNS is off. `visitor.verified` is absent for browsers,
/// tools, crawlers whose operator publishes no way to check them, and while the first
/// lookup for an address runs or DNS does not answer.
///
/// ```
/// use reqlog::probe::CrawlerVerifier;
/// use reqlog::ProbeDetector;
///
/// let detector = ProbeDetector::new().verify_crawlers(CrawlerVerifier::new());
/// ```
///
/// # Fresh data
///
/// Operators change their ranges every few days to weeks. Download their files under
/// their own names into a folder and load it at start with
/// [`CrawlerVerifier::ranges_dir`], or swap it in while running with
/// [`CrawlerVerifier::reload_ranges_dir`] (the example server does on SIGHUP); single
/// files with [`ranges_file`](CrawlerVerifier::ranges_file) or
/// [`ranges_json`](CrawlerVerifier::ranges_json).
///
/// # Cost
///
/// Nothing for a request whose user agent claims no verifiable crawler. For one that
/// does: a name match, a read lock and a binary search per list (a few hundred merged
/// intervals: under 10 comparisons each), no allocation. Outside the ranges, one lock
/// of one of 16 cache shards; an unknown address also makes a `Pending` entry and a
/// `try_send` to the worker's queue. About 0.1 µs with a cached verdict
/// (`benches/verify.rs`).
///
/// The worker is a thread with its own current-thread tokio runtime (the caller need
/// not be inside one), started when the detector is first layered. Its queue is
/// bounded ([`max_queued`](CrawlerVerifier::max_queued), default 1,024: beyond, lookups
/// are dropped and counted in [`dropped_lookups`](CrawlerVerifier::dropped_lookups)),
/// it starts at most [`lookups_per_second`](CrawlerVerifier::lookups_per_second)
/// checks a second (default 50, token bucket), 32 at once, each under a deadline. The
/// cache holds at most [`max_cached`](CrawlerVerifier::max_cached) verdicts (default
/// 65,536, about 3 MiB), verified ones for 24 h, failed ones for 1 h, unknown ones for
/// a minute. So an attacker rotating addresses under a crawler's name costs the site
/// at most 50 PTR and 50·4 forward queries a second, and no memory beyond the caps.
/// When DNS is down, verdicts stay unknown, errors are counted in
/// [`errors`](CrawlerVerifier::errors) and reported on stderr at most every 10 s.
///
/// # What it will not catch
///
/// - Anything from a crawler's real address: a compromised or misused operator host
///   (Google's user-triggered fetchers fetch what any user asks for).
/// - Crawlers whose operator publishes neither ranges nor a reverse-DNS domain
///   (ClaudeBot, CCBot, most SEO bots): their lines carry no `visitor.verified`.
/// - A stale snapshot: an operator's new range is an impostor until the data is
///   refreshed when DNS is off (with `verify-dns`, reverse DNS still verifies it).
/// - The address is the one `RequestLog` resolved: behind a proxy that is not
///   trusted, the proxy's address is checked.
///
/// # Sharing
///
/// Settings are taken when the detector is first layered; clones share the counters,
/// the cache, the worker and the ranges (so [`reload_ranges_dir`](Self::reload_ranges_dir)
/// on a clone reaches the detector).
///
/// # Example
/// ```no_run
/// use reqlog::probe::{Block, CrawlerVerifier};
/// use reqlog::ProbeDetector;
///
/// let verifier = CrawlerVerifier::new().ranges_dir("/var/lib/crawler-ranges")?;
/// let detector = ProbeDetector::new()
///     .verify_crawlers(verifier.clone())
///     .block_impostors(Block::Forbidden);
/// // Later (a timer, a signal): take freshly downloaded files.
/// verifier.reload_ranges_dir("/var/lib/crawler-ranges")?;
/// # Ok::<(), reqlog::probe::RangesError>(())
/// ```
#[derive(Clone)]
pub struct CrawlerVerifier {
    config: Config,
    ranges: Arc<RwLock<Arc<RangeTable>>>,
    state: Arc<State>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DnsChoice {
    Off,
    #[cfg(feature = "verify-dns")]
    System,
    #[cfg(feature = "verify-dns")]
    Server(SocketAddr),
    /// A fake resolver the unit tests start themselves.
    #[cfg(test)]
    Test,
}

#[derive(Clone, Debug)]
struct Config {
    dns: DnsChoice,
    timeout: Duration,
    per_second: u32,
    queue: usize,
    cache: usize,
    verified_ttl: Duration,
    failed_ttl: Duration,
}

/// Counters, shared with the worker.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) lookups: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) verified: AtomicU64,
    pub(crate) impostors: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    stats: Arc<Stats>,
    #[cfg(any(feature = "verify-dns", test))]
    link: OnceLock<Option<worker::Link>>,
}

/// How long an address stays `Pending` before a request may queue it again.
#[cfg(any(feature = "verify-dns", test))]
const PENDING_TTL: Duration = Duration::from_secs(30);
/// How long "DNS did not answer" stands before the address is asked again.
#[cfg(any(feature = "verify-dns", test))]
const UNKNOWN_TTL: Duration = Duration::from_secs(60);
/// How long "the queue was full" stands.
#[cfg(any(feature = "verify-dns", test))]
const DROPPED_TTL: Duration = Duration::from_secs(1);

impl fmt::Debug for CrawlerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ranges = self.table();
        let lists: Vec<(&str, Option<&str>)> = operators::LISTS
            .iter()
            .zip(&ranges.lists)
            .filter_map(|(l, r)| r.as_ref().map(|r| (l.name, r.created.as_deref())))
            .collect();
        f.debug_struct("CrawlerVerifier")
            .field("config", &self.config)
            .field("range_lists", &lists)
            .field("lookups", &self.lookups())
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl Default for CrawlerVerifier {
    fn default() -> Self {
        CrawlerVerifier::new()
    }
}

impl CrawlerVerifier {
    /// The built-in range snapshot; with the `verify-dns` feature, reverse DNS through
    /// the system's resolver configuration (`/etc/resolv.conf`).
    pub fn new() -> CrawlerVerifier {
        CrawlerVerifier {
            config: Config {
                #[cfg(feature = "verify-dns")]
                dns: DnsChoice::System,
                #[cfg(not(feature = "verify-dns"))]
                dns: DnsChoice::Off,
                timeout: Duration::from_secs(2),
                per_second: 50,
                queue: 1024,
                cache: 65_536,
                verified_ttl: Duration::from_secs(24 * 3600),
                failed_ttl: Duration::from_secs(3600),
            },
            ranges: Arc::new(RwLock::new(RangeTable::builtin_shared())),
            state: Arc::default(),
        }
    }

    /// Changes a setting: the result has its own counters and worker.
    fn with(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self.state = Arc::default();
        self
    }

    fn table(&self) -> Arc<RangeTable> {
        self.ranges
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A copy of the ranges changed by `f`, in a cell of its own.
    fn with_ranges(
        mut self,
        f: impl FnOnce(&mut RangeTable) -> Result<(), RangesError>,
    ) -> Result<Self, RangesError> {
        let mut table = (*self.table()).clone();
        f(&mut table)?;
        self.ranges = Arc::new(RwLock::new(Arc::new(table)));
        Ok(self)
    }

    /// Replaces one published list with this JSON, in the operator's own format. `list`
    /// is the operator's file name without `.json`: `googlebot` (or `common-crawlers`),
    /// `special-crawlers`, `user-triggered-fetchers`, `user-triggered-fetchers-google`,
    /// `bingbot`, `applebot`, `duckduckbot`, `gptbot`, `searchbot`, `chatgpt-user`,
    /// `perplexitybot`, `perplexity-user`.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let json = r#"{"creationTime":"2026-01-01T00:00:00","prefixes":[{"ipv4Prefix":"192.0.2.0/24"}]}"#;
    /// let verifier = CrawlerVerifier::new().ranges_json("bingbot", json)?;
    /// # Ok::<(), reqlog::probe::RangesError>(())
    /// ```
    pub fn ranges_json(self, list: &str, json: &str) -> Result<Self, RangesError> {
        self.with_ranges(|t| t.set_json(list, json))
    }

    /// Replaces the list the file is named for (`…/googlebot.json` replaces `googlebot`;
    /// see [`ranges_json`](Self::ranges_json) for the names).
    ///
    /// # Example
    /// ```no_run
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let verifier = CrawlerVerifier::new().ranges_file("/var/lib/crawler-ranges/googlebot.json")?;
    /// # Ok::<(), reqlog::probe::RangesError>(())
    /// ```
    pub fn ranges_file(self, path: impl AsRef<Path>) -> Result<Self, RangesError> {
        self.with_ranges(|t| t.set_file(path.as_ref()))
    }

    /// Replaces every list that has a file of its name in `dir` (other files are
    /// ignored; lists without a file keep the built-in snapshot).
    ///
    /// # Example
    /// ```no_run
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let verifier = CrawlerVerifier::new().ranges_dir("/var/lib/crawler-ranges")?;
    /// # Ok::<(), reqlog::probe::RangesError>(())
    /// ```
    pub fn ranges_dir(self, dir: impl AsRef<Path>) -> Result<Self, RangesError> {
        self.with_ranges(|t| t.set_dir(dir.as_ref()).map(|_| ()))
    }

    /// Like [`ranges_dir`](Self::ranges_dir), on a verifier in use: the new lists
    /// replace the old ones for every clone at once (requests never wait more than a
    /// pointer swap). On an error nothing changes. Returns how many lists were loaded.
    ///
    /// # Example
    /// ```no_run
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let verifier = CrawlerVerifier::new();
    /// match verifier.reload_ranges_dir("/var/lib/crawler-ranges") {
    ///     Ok(n) => eprintln!("{n} crawler range lists loaded"),
    ///     Err(e) => eprintln!("keeping the old crawler ranges: {e}"),
    /// }
    /// ```
    pub fn reload_ranges_dir(&self, dir: impl AsRef<Path>) -> Result<usize, RangesError> {
        let mut table = (*self.table()).clone();
        let n = table.set_dir(dir.as_ref())?;
        *self.ranges.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
        Ok(n)
    }

    /// Asks this DNS server (UDP, then TCP for long answers) instead of the system's
    /// configuration (cargo feature `verify-dns`).
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let verifier = CrawlerVerifier::new().resolver("127.0.0.1:53".parse().unwrap());
    /// ```
    #[cfg(feature = "verify-dns")]
    pub fn resolver(self, server: SocketAddr) -> Self {
        self.with(|c| c.dns = DnsChoice::Server(server))
    }

    /// Published ranges only, no DNS (with the `verify-dns` feature; without it, this
    /// is how the verifier works anyway). A crawler whose operator documents only
    /// reverse DNS then gets no `visitor.verified`.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::CrawlerVerifier;
    ///
    /// let verifier = CrawlerVerifier::new().without_dns();
    /// ```
    pub fn without_dns(self) -> Self {
        self.with(|c| c.dns = DnsChoice::Off)
    }

    /// The longest one DNS query may take (default 2 s; a whole check, PTR then
    /// forward lookups, gets three times this). Requests never wait for DNS.
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// # use reqlog::probe::CrawlerVerifier;
    /// let verifier = CrawlerVerifier::new().dns_timeout(Duration::from_millis(500));
    /// ```
    pub fn dns_timeout(self, timeout: Duration) -> Self {
        let timeout = timeout.max(Duration::from_millis(10));
        self.with(|c| c.timeout = timeout)
    }

    /// The most checks started per second, on average (default 50; bursts of as many).
    ///
    /// # Example
    /// ```
    /// # use reqlog::probe::CrawlerVerifier;
    /// let verifier = CrawlerVerifier::new().lookups_per_second(10);
    /// ```
    pub fn lookups_per_second(self, n: u32) -> Self {
        self.with(|c| c.per_second = n.max(1))
    }

    /// The most addresses waiting for a check (default 1,024); more are dropped and
    /// counted in [`dropped_lookups`](Self::dropped_lookups), and asked again later.
    ///
    /// # Example
    /// ```
    /// # use reqlog::probe::CrawlerVerifier;
    /// let verifier = CrawlerVerifier::new().max_queued(256);
    /// ```
    pub fn max_queued(self, n: usize) -> Self {
        self.with(|c| c.queue = n.max(1))
    }

    /// The most verdicts kept (default 65,536; about 48 bytes each); beyond, old ones
    /// are evicted.
    ///
    /// # Example
    /// ```
    /// # use reqlog::probe::CrawlerVerifier;
    /// let verifier = CrawlerVerifier::new().max_cached(10_000);
    /// ```
    pub fn max_cached(self, n: usize) -> Self {
        self.with(|c| c.cache = n.max(16))
    }

    /// How long a verdict stands: a verified address (default 24 h) and a failed one
    /// (default 1 h).
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// # use reqlog::probe::CrawlerVerifier;
    /// let verifier = CrawlerVerifier::new()
    ///     .verdict_ttl(Duration::from_secs(6 * 3600), Duration::from_secs(600));
    /// ```
    pub fn verdict_ttl(self, verified: Duration, failed: Duration) -> Self {
        self.with(|c| {
            c.verified_ttl = verified;
            c.failed_ttl = failed;
        })
    }

    /// Reverse-DNS checks started.
    pub fn lookups(&self) -> u64 {
        self.state.stats.lookups.load(Ordering::Relaxed)
    }

    /// Checks that DNS did not answer (timeouts, refusals, server failures), and a
    /// resolver that could not be set up.
    pub fn errors(&self) -> u64 {
        self.state.stats.errors.load(Ordering::Relaxed)
    }

    /// Checks not queued because the queue was full.
    pub fn dropped_lookups(&self) -> u64 {
        self.state.stats.dropped.load(Ordering::Relaxed)
    }

    /// Addresses verified by reverse DNS, and found to be impostors by it.
    pub fn dns_verdicts(&self) -> (u64, u64) {
        let s = &self.state.stats;
        (
            s.verified.load(Ordering::Relaxed),
            s.impostors.load(Ordering::Relaxed),
        )
    }

    /// Verdicts in the cache now.
    pub fn cached(&self) -> usize {
        #[cfg(any(feature = "verify-dns", test))]
        if let Some(Some(link)) = self.state.link.get() {
            return link.cache.len();
        }
        0
    }

    /// Starts the DNS worker if DNS is on and it has not started (when the detector is
    /// layered).
    pub(crate) fn start(&self) {
        #[cfg(feature = "verify-dns")]
        {
            let server = match self.config.dns {
                DnsChoice::Off => return,
                DnsChoice::System => None,
                DnsChoice::Server(addr) => Some(addr),
                #[cfg(test)]
                DnsChoice::Test => return,
            };
            let timeout = self.config.timeout;
            self.start_with(move || {
                dns::Fcrdns::new(server, timeout).map(|d| Arc::new(d) as Arc<dyn worker::Dns>)
            });
        }
    }

    #[cfg(any(feature = "verify-dns", test))]
    fn start_with<F>(&self, make_dns: F)
    where
        F: FnOnce() -> Result<Arc<dyn worker::Dns>, String> + Send + 'static,
    {
        let c = &self.config;
        self.state.link.get_or_init(|| {
            let limits = worker::Limits {
                per_second: c.per_second,
                queue: c.queue,
                deadline: c.timeout * 3,
                verified_ttl: c.verified_ttl,
                failed_ttl: c.failed_ttl,
                unknown_ttl: UNKNOWN_TTL,
            };
            let cache = Arc::new(cache::VerdictCache::new(c.cache, PENDING_TTL));
            worker::start(make_dns, limits, cache, self.state.stats.clone())
        });
    }

    /// The verdict for a client at `ip` whose user agent names the crawler `name`:
    /// `Some(true)` verified, `Some(false)` an impostor, `None` not verifiable or not
    /// known yet. Never waits.
    pub(crate) fn check(&self, name: &str, ip: IpAddr) -> Option<bool> {
        let op = operators::for_crawler(name)?;
        let ip = ip.to_canonical();
        if !op.lists.is_empty() {
            let ranges = self.ranges.read().unwrap_or_else(|e| e.into_inner());
            if ranges.contains(op.lists, ip) {
                return Some(true);
            }
        }
        if self.config.dns != DnsChoice::Off && !op.domains.is_empty() {
            return self.ask_dns(op, ip);
        }
        if op.lists.is_empty() {
            None
        } else {
            Some(false)
        }
    }

    #[cfg(any(feature = "verify-dns", test))]
    fn ask_dns(&self, op: &'static operators::Operator, ip: IpAddr) -> Option<bool> {
        use cache::{Cached, Verdict};
        let link = self.state.link.get()?.as_ref()?;
        let key = (ip, op.id);
        match link.cache.get_or_begin(key) {
            Cached::Hit(Verdict::Verified) => Some(true),
            Cached::Hit(Verdict::Impostor) => Some(false),
            Cached::Hit(Verdict::Pending | Verdict::Unknown) => None,
            Cached::Begun => {
                let job = worker::Job {
                    ip,
                    operator: op.id,
                    domains: op.domains,
                };
                if !link.push(job) {
                    link.cache.set(key, Verdict::Unknown, DROPPED_TTL);
                }
                None
            }
        }
    }

    #[cfg(not(any(feature = "verify-dns", test)))]
    fn ask_dns(&self, _: &'static operators::Operator, _: IpAddr) -> Option<bool> {
        None
    }
}

#[cfg(test)]
mod tests;
