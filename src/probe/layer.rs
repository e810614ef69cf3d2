//! [`ProbeDetector`]: the layer and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::rate::{ScanRule, ScanTracker};
use super::service::ProbeDetectorService;
use super::{Classifier, CrawlerVerifier, ProbeRules, RobotsTxt, RuleError};
use crate::request_log::Proxies;
use ipnet::IpNet;

/// How flagged clients are answered when blocking is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Block {
    /// `403 Forbidden` at once.
    Forbidden,
    /// `429 Too Many Requests` at once.
    TooManyRequests,
    /// Wait this long, then `403 Forbidden`: costs the scanner time, costs the server a
    /// timer (no thread is held).
    Tarpit(Duration),
}

/// Flags hack probes and names crawlers and scanners in every request's line.
///
/// Place it inside [`RequestLog`](crate::RequestLog): each line gets `probe.category`,
/// `probe.rule`, `visitor.kind`, `visitor.crawler`, `visitor.scanning`,
/// `visitor.blocked` (and `robots.disallowed`, given a
/// [`robots_txt`](Self::robots_txt)) where they apply, and probe lines are at least `WARN`. The
/// application reads the same verdict with [`ProbeVerdict`](super::ProbeVerdict).
/// Without a `RequestLog` it still classifies and can block; nothing is logged.
///
/// The inner service's response body must implement `Default` (axum's `Body`,
/// `http_body_util::Full`, tonic's body do): a blocked client gets that empty body, so
/// the response type stays the application's own.
///
/// # Example
/// ```
/// use axum::{routing::get, Router};
/// use reqlog::probe::{Block, ProbeRules};
/// use reqlog::{ProbeDetector, RequestLog};
///
/// let detector = ProbeDetector::with_rules(ProbeRules::new().allow_path("/admin"))
///     .expect("valid rules")
///     .block_scanners(Block::Forbidden);
/// let app: Router = Router::new()
///     .route("/", get(|| async { "home" }))
///     .layer(detector)
///     .layer(RequestLog::new());
/// ```
#[derive(Clone)]
pub struct ProbeDetector {
    pub(crate) shared: Arc<Shared>,
}

/// Shared scanner state, if any (always none without the `redis` feature).
#[derive(Clone, Debug, Default)]
pub(crate) struct ShareConfig {
    #[cfg(feature = "redis")]
    state: Option<super::RedisState>,
}

pub(crate) struct Shared {
    pub(crate) classifier: Classifier,
    pub(crate) tracker: Arc<ScanTracker>,
    pub(crate) block: Option<Block>,
    /// Checks crawler claims, if asked to.
    pub(crate) verifier: Option<CrawlerVerifier>,
    /// How clients whose crawler claim failed verification are answered, if at all.
    pub(crate) impostor_block: Option<Block>,
    /// The site's robots.txt, if given: crawlers' disallowed fetches are marked.
    pub(crate) robots: Option<Arc<RobotsTxt>>,
    /// Used only for requests that no `RequestLog` resolved.
    pub(crate) proxies: Proxies,
    share: ShareConfig,
    /// The link to the shared state's worker, started when the detector is layered.
    #[cfg(feature = "redis")]
    pub(crate) link: std::sync::OnceLock<Option<super::share::ShareLink>>,
}

impl Shared {
    /// The hash a path is counted by (taken at the request, counted at the response):
    /// the same in every instance when state is shared, keyed per process otherwise.
    pub(crate) fn path_hash(&self, path: &str) -> u64 {
        #[cfg(feature = "redis")]
        if self.share.state.is_some() {
            return super::share::stable_path_hash(path);
        }
        u64::from(self.tracker.path_hash(path))
    }

    /// Counts a not-found answer for `ip`; returns whether the client is flagged.
    pub(crate) fn not_found(&self, ip: std::net::IpAddr, path_hash: u64) -> bool {
        // The local table takes 32 bits of the hash.
        let found = self.tracker.record_not_found(ip, path_hash as u32);
        #[cfg(feature = "redis")]
        if let Some(Some(link)) = self.link.get() {
            use super::share::Event;
            link.push(Event::NotFound {
                ip,
                path: path_hash,
            });
            if found.newly {
                link.push(Event::Flagged { ip });
            }
        }
        found.flagged
    }

    fn start_sharing(&self) {
        #[cfg(feature = "redis")]
        if let Some(state) = &self.share.state {
            self.link.get_or_init(|| state.start(&self.tracker));
        }
    }
}

impl fmt::Debug for ProbeDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeDetector")
            .field("scan_rule", self.shared.tracker.rule())
            .field("block", &self.shared.block)
            .field("verifier", &self.shared.verifier)
            .field("impostor_block", &self.shared.impostor_block)
            .field("robots_txt", &self.shared.robots)
            .field("shared_state", &self.shared.share)
            .finish_non_exhaustive()
    }
}

impl Default for ProbeDetector {
    fn default() -> Self {
        ProbeDetector::new()
    }
}

impl ProbeDetector {
    /// The built-in signatures and crawler table, the default 404-rate rule
    /// (10 distinct not-found paths in 60 s flag a client for 10 minutes), crawler
    /// claims checked against the operators' published ranges (no DNS), no blocking.
    pub fn new() -> Self {
        ProbeDetector::from_settings(Settings {
            classifier: Classifier::default(),
            rule: ScanRule::default(),
            block: None,
            verifier: Some(CrawlerVerifier::new().without_dns()),
            impostor_block: None,
            robots: None,
            proxies: Proxies::default(),
            share: ShareConfig::default(),
        })
    }

    /// A detector with these rules (custom signatures, allow-listed routes).
    pub fn with_rules(rules: ProbeRules) -> Result<Self, RuleError> {
        Ok(ProbeDetector::new().classifier(rules.build()?))
    }

    /// Uses an already built classifier.
    pub fn classifier(self, classifier: Classifier) -> Self {
        self.rebuild(|s| s.classifier = classifier)
    }

    /// Changes the 404-rate rule (threshold, window, flag duration, client cap, IPv6
    /// grouping).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use reqlog::probe::ScanRule;
    /// use reqlog::ProbeDetector;
    ///
    /// let detector = ProbeDetector::new().scan_rule(ScanRule {
    ///     threshold: 20,
    ///     window: Duration::from_secs(30),
    ///     ..ScanRule::default()
    /// });
    /// ```
    pub fn scan_rule(self, rule: ScanRule) -> Self {
        self.rebuild(|s| s.rule = rule)
    }

    /// Answers flagged clients (and clients whose user agent names a known scanner)
    /// without calling the application. Off by default. A visitor below the 404
    /// threshold is never blocked, and neither is a trusted proxy's own address.
    pub fn block_scanners(self, block: Block) -> Self {
        self.rebuild(|s| s.block = Some(block))
    }

    /// Checks that a client whose user agent names a crawler is that crawler: its
    /// address is in the operator's published ranges, or (cargo feature `verify-dns`)
    /// its reverse-DNS name is in the operator's domain and resolves back to it. Each
    /// such line gets `visitor.verified: true|false`; see
    /// [`CrawlerVerifier`](super::CrawlerVerifier) for what is checked, the data, its
    /// refresh and the cost. By default a detector checks the published ranges only
    /// (`CrawlerVerifier::new().without_dns()`: nothing leaves the server, and operators
    /// that publish no ranges, such as Yandex and Baidu, get no verdict); give it
    /// `CrawlerVerifier::new()` to add reverse DNS.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::CrawlerVerifier;
    /// use reqlog::ProbeDetector;
    ///
    /// let detector = ProbeDetector::new().verify_crawlers(CrawlerVerifier::new());
    /// ```
    pub fn verify_crawlers(self, verifier: CrawlerVerifier) -> Self {
        self.rebuild(|s| s.verifier = Some(verifier))
    }

    /// Answers a client whose crawler claim FAILED verification (`visitor.verified:
    /// false`) without calling the application. Never a verified crawler, one whose
    /// verdict is not known yet (its first requests, or while DNS is down), a browser,
    /// or a trusted proxy's own address.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::{Block, CrawlerVerifier};
    /// use reqlog::ProbeDetector;
    ///
    /// let detector = ProbeDetector::new()
    ///     .verify_crawlers(CrawlerVerifier::new())
    ///     .block_impostors(Block::Forbidden);
    /// ```
    pub fn block_impostors(self, block: Block) -> Self {
        self.rebuild(|s| s.impostor_block = Some(block))
    }

    /// Names crawlers from their user agent alone: no `visitor.verified`, no range or
    /// DNS checks.
    ///
    /// # Example
    /// ```
    /// let detector = reqlog::ProbeDetector::new().without_crawler_verification();
    /// ```
    pub fn without_crawler_verification(self) -> Self {
        self.rebuild(|s| s.verifier = None)
    }

    /// The site's robots.txt, parsed once here: a crawler's request for a path it
    /// disallows FOR THAT CRAWLER gets `robots.disallowed: true` in its line (browsers,
    /// tools and scanners never do). The crawler obeys the group of its name
    /// (`visitor.crawler`, such as `Googlebot`), an unnamed crawler the `*` group; see
    /// [`RobotsTxt`](super::RobotsTxt) for the matching rules (RFC 9309). Give the same
    /// text the site serves at `/robots.txt`. A question costs a binary search and one
    /// pass over the crawler's rules, without allocating, and only on crawlers'
    /// requests.
    ///
    /// # Example
    /// ```
    /// use reqlog::ProbeDetector;
    ///
    /// const ROBOTS: &str = "User-agent: *\nDisallow: /courses/*/lectures/\n";
    /// let detector = ProbeDetector::new().robots_txt(ROBOTS);
    /// ```
    pub fn robots_txt(self, text: &str) -> Self {
        let robots = Arc::new(RobotsTxt::parse(text));
        self.rebuild(|s| s.robots = Some(robots))
    }

    /// The trusted proxies, for a detector used WITHOUT a
    /// [`RequestLog`](crate::RequestLog) outside it (with one, the detector judges the
    /// client that `RequestLog` resolved, skipped requests included, and these are not
    /// used). Same rules as [`RequestLog::trust_proxies`](crate::RequestLog::trust_proxies):
    /// a trusted proxy's own address is never counted or blocked.
    ///
    /// # Example
    /// ```
    /// use reqlog::ProbeDetector;
    ///
    /// let detector = ProbeDetector::new().trust_proxies(["10.0.0.0/8".parse().unwrap()]);
    /// ```
    pub fn trust_proxies<I: IntoIterator<Item = IpNet>>(self, proxies: I) -> Self {
        self.rebuild(|s| s.proxies.add(proxies))
    }

    /// Reads `Forwarded` instead of `X-Forwarded-For` from trusted proxies, for a
    /// detector used without a `RequestLog`; see
    /// [`RequestLog::trust_forwarded_header`](crate::RequestLog::trust_forwarded_header).
    pub fn trust_forwarded_header(self, yes: bool) -> Self {
        self.rebuild(|s| s.proxies.forwarded = yes)
    }

    /// Shares the 404 counts and the scanner flags with every other instance that
    /// uses the same Redis and key prefix (cargo feature `redis`): a scanner spread
    /// over many instances is flagged as soon as its total crosses the threshold, and
    /// a flag set by one instance reaches the others within a second. Requests never
    /// wait for Redis; if it is down, each instance goes on with its own counts. See
    /// [`RedisState`](super::RedisState).
    ///
    /// # Example
    /// ```no_run
    /// use axum::{routing::get, Router};
    /// use reqlog::probe::RedisState;
    /// use reqlog::{ProbeDetector, RequestLog};
    ///
    /// let state = RedisState::new("redis://127.0.0.1:6379").expect("a Redis URL");
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { "home" }))
    ///     .layer(
    ///         tower::ServiceBuilder::new()
    ///             .layer(RequestLog::new())
    ///             .layer(ProbeDetector::new().shared_state(state)),
    ///     );
    /// ```
    #[cfg(feature = "redis")]
    pub fn shared_state(self, state: super::RedisState) -> Self {
        self.rebuild(|s| s.share = ShareConfig { state: Some(state) })
    }

    /// A new detector (with fresh scanner state) from this one's settings, changed by `f`.
    fn rebuild(self, f: impl FnOnce(&mut Settings)) -> Self {
        let s = &self.shared;
        let mut settings = Settings {
            classifier: s.classifier.clone(),
            rule: *s.tracker.rule(),
            block: s.block,
            verifier: s.verifier.clone(),
            impostor_block: s.impostor_block,
            robots: s.robots.clone(),
            proxies: s.proxies.clone(),
            share: s.share.clone(),
        };
        f(&mut settings);
        ProbeDetector::from_settings(settings)
    }

    fn from_settings(s: Settings) -> Self {
        ProbeDetector {
            shared: Arc::new(Shared {
                classifier: s.classifier,
                tracker: Arc::new(ScanTracker::new(s.rule)),
                block: s.block,
                verifier: s.verifier,
                impostor_block: s.impostor_block,
                robots: s.robots,
                proxies: s.proxies,
                share: s.share,
                #[cfg(feature = "redis")]
                link: std::sync::OnceLock::new(),
            }),
        }
    }
}

/// What a detector is built from.
struct Settings {
    classifier: Classifier,
    rule: ScanRule,
    block: Option<Block>,
    verifier: Option<CrawlerVerifier>,
    impostor_block: Option<Block>,
    robots: Option<Arc<RobotsTxt>>,
    proxies: Proxies,
    share: ShareConfig,
}

impl<S> Layer<S> for ProbeDetector {
    type Service = ProbeDetectorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.shared.start_sharing();
        if let Some(v) = &self.shared.verifier {
            v.start();
        }
        ProbeDetectorService::new(inner, self.shared.clone())
    }
}
