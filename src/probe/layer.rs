//! [`ProbeDetector`]: the layer and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::rate::{ScanRule, ScanTracker};
use super::service::ProbeDetectorService;
use super::{Classifier, ProbeRules, RuleError};

/// How flagged clients are answered when blocking is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
/// `probe.rule`, `client.kind`, `client.crawler`, `client.scanning` and
/// `client.blocked` where they apply, and probe lines are at least `WARN`. The
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
/// use reqlog::probe::{Block, ProbeDetector, ProbeRules};
/// use reqlog::RequestLog;
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

pub(crate) struct Shared {
    pub(crate) classifier: Classifier,
    pub(crate) tracker: ScanTracker,
    pub(crate) block: Option<Block>,
}

impl fmt::Debug for ProbeDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeDetector")
            .field("scan_rule", self.shared.tracker.rule())
            .field("block", &self.shared.block)
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
    /// (10 distinct not-found paths in 60 s flag a client for 10 minutes), no blocking.
    pub fn new() -> Self {
        ProbeDetector::from_parts(Classifier::default(), ScanRule::default(), None)
    }

    /// A detector with these rules (custom signatures, allow-listed routes).
    pub fn with_rules(rules: ProbeRules) -> Result<Self, RuleError> {
        Ok(ProbeDetector::new().classifier(rules.build()?))
    }

    /// Uses an already built classifier.
    pub fn classifier(self, classifier: Classifier) -> Self {
        let s = &self.shared;
        ProbeDetector::from_parts(classifier, *s.tracker.rule(), s.block)
    }

    /// Changes the 404-rate rule (threshold, window, flag duration, client cap).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use reqlog::probe::{ProbeDetector, ScanRule};
    ///
    /// let detector = ProbeDetector::new().scan_rule(ScanRule {
    ///     threshold: 20,
    ///     window: Duration::from_secs(30),
    ///     ..ScanRule::default()
    /// });
    /// ```
    pub fn scan_rule(self, rule: ScanRule) -> Self {
        let s = &self.shared;
        ProbeDetector::from_parts(s.classifier.clone(), rule, s.block)
    }

    /// Answers flagged clients (and clients whose user agent names a known scanner)
    /// without calling the application. Off by default. A visitor below the 404
    /// threshold is never blocked.
    pub fn block_scanners(self, block: Block) -> Self {
        let s = &self.shared;
        ProbeDetector::from_parts(s.classifier.clone(), *s.tracker.rule(), Some(block))
    }

    fn from_parts(classifier: Classifier, rule: ScanRule, block: Option<Block>) -> Self {
        ProbeDetector {
            shared: Arc::new(Shared {
                classifier,
                tracker: ScanTracker::new(rule),
                block,
            }),
        }
    }
}

impl<S> Layer<S> for ProbeDetector {
    type Service = ProbeDetectorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProbeDetectorService::new(inner, self.shared.clone())
    }
}
