//! [`Keep`]: tail sampling — which finished records are written.
//!
//! The decision is taken once the record is complete (status, duration, outcome,
//! probe, actions and level are known), in `finish.rs`, just before the sink.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::{Outcome, Record};

type RecordFn = dyn Fn(&Record) -> bool + Send + Sync;

/// Which request records are written, decided when the record is complete (tail
/// sampling). Give it to [`RequestLog::keep`](crate::RequestLog::keep).
///
/// Every record goes through these steps, in order; the first that applies decides:
///
/// 1. **Drop rules** ([`drop_when`](Keep::drop_when)): a record a rule matches is not
///    written — even a failure, so say `r.status() == Some(200)` in the rule when the
///    failing ones should stay.
/// 2. **Always kept**, each line standing for itself (no `sample.rate`):
///    - *failures*: a status of 400 or more (4xx too, unless
///      [`sample_client_errors`](Keep::sample_client_errors)), an `error.type`, and
///      the outcomes `error`, `panic` and `aborted`;
///    - *probes* (`probe.category`);
///    - *suspect clients*: `visitor.blocked`, `visitor.scanning`, a failed crawler claim
///      (`visitor.verified: false`), a fetch that robots.txt disallows;
///    - *user actions* (`visitor.actions`);
///    - requests *slower than* a threshold ([`slower_than`](Keep::slower_than));
///    - records your closure keeps ([`when`](Keep::when)).
/// 3. **One in N of the rest** ([`one_in`](Keep::one_in)), counted per route: the
///    first, the (N+1)th, the (2N+1)th… ordinary request of each `http.route` is kept
///    and carries `sample.rate: N`, which `reqlog report` multiplies by. Counting is
///    deterministic (a counter per route, not a random draw), so a quiet route gets
///    its first line at once and is not drowned by a busy one. A request without a
///    route (no router reported one) is counted under the first segment of its path
///    (`/wp-admin/x` → `/wp-admin`).
///
/// [`Keep::new`] keeps everything (N = 1): only the rules you add make it drop.
///
/// Unlike [`SinkExt::sample`](crate::sink::SinkExt::sample), which can only look at a
/// record as a sink gets it, `Keep` drops before any sink and formatting work, keeps
/// slow requests, takes drop rules, counts per route, and is the one to prefer.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use reqlog::{Keep, RequestLog};
///
/// let log = RequestLog::new().keep(
///     Keep::new()
///         .slower_than(Duration::from_millis(500))
///         .one_in(20)
///         // Successful health checks are noise; failing ones are kept (a 503 is not 200).
///         .drop_when(|r| r.route() == Some("/health") && r.status() == Some(200))
///         .when(|r| r.path().is_some_and(|p| p.starts_with("/admin/"))),
/// );
/// ```
pub struct Keep {
    slow_micros: Option<u64>,
    one_in: u64,
    sample_client_errors: bool,
    drops: Vec<Arc<RecordFn>>,
    keeps: Vec<Arc<RecordFn>>,
    counters: Counters,
}

/// Why [`Keep`] kept or dropped a record: the fingers-crossed debug events go with the
/// lines kept as [`Failed`](Decision::Failed) or [`Slow`](Decision::Slow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // read by the tests today, by the fingers-crossed layer later
pub(crate) enum Decision {
    /// A failure: 4xx (unless sampled), 5xx, `error.type`, error, panic, aborted.
    Failed,
    /// Slower than [`Keep::slower_than`].
    Slow,
    /// A probe.
    Probe,
    /// A blocked, scanning or impostor client, or a robots.txt-disallowed fetch.
    Blocked,
    /// The request carried user actions.
    Action,
    /// A [`Keep::when`] closure kept it.
    Closure,
    /// Kept as one in `rate` ordinary requests of its route (`rate` 1: every one).
    Sampled(u64),
    /// A [`Keep::drop_when`] rule matched.
    DroppedByRule,
    /// Not the one in N of its route.
    SampledOut,
}

impl Decision {
    /// Whether the record is written.
    pub(crate) fn keeps(self) -> bool {
        !matches!(self, Decision::DroppedByRule | Decision::SampledOut)
    }

    /// The `sample.rate` the line carries: only for lines kept as one in N > 1.
    pub(crate) fn rate(self) -> Option<u64> {
        match self {
            Decision::Sampled(n) if n > 1 => Some(n),
            _ => None,
        }
    }
}

impl Default for Keep {
    fn default() -> Self {
        Keep::new()
    }
}

impl fmt::Debug for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Keep {
    /// A policy that keeps every record: add [`one_in`](Keep::one_in) or
    /// [`drop_when`](Keep::drop_when) to drop some. Failures, probes, suspect clients
    /// and user actions are always kept.
    ///
    /// # Example
    /// ```
    /// let log = reqlog::RequestLog::new().keep(reqlog::Keep::new().one_in(10));
    /// ```
    pub fn new() -> Keep {
        Keep {
            slow_micros: None,
            one_in: 1,
            sample_client_errors: false,
            drops: Vec::new(),
            keeps: Vec::new(),
            counters: Counters::new(),
        }
    }

    /// Keeps one in `n` of the ordinary requests of each route, and marks each kept
    /// line `sample.rate: n` (`n` of 0 or 1: every one, unmarked).
    ///
    /// # Example
    /// ```
    /// let policy = reqlog::Keep::new().one_in(20);
    /// assert_eq!(policy.rate(), 20);
    /// ```
    pub fn one_in(mut self, n: u64) -> Keep {
        self.one_in = n.max(1);
        self
    }

    /// Always keeps requests that took longer than `threshold` (to the last body
    /// byte, as `duration_ms`).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = reqlog::Keep::new().one_in(20).slower_than(Duration::from_millis(500));
    /// assert_eq!(policy.slow_threshold(), Some(Duration::from_millis(500)));
    /// ```
    pub fn slower_than(mut self, threshold: Duration) -> Keep {
        self.slow_micros = Some(u64::try_from(threshold.as_micros()).unwrap_or(u64::MAX));
        self
    }

    /// Samples 4xx answers like ordinary requests instead of keeping them all (a site
    /// whose 404s are routine). Probes among them are still kept.
    ///
    /// # Example
    /// ```
    /// let policy = reqlog::Keep::new().one_in(20).sample_client_errors();
    /// ```
    pub fn sample_client_errors(mut self) -> Keep {
        self.sample_client_errors = true;
        self
    }

    /// Never writes a record for which `rule` is true; repeated calls add rules. A
    /// rule wins over everything, failures included.
    ///
    /// # Example
    /// ```
    /// use http::Method;
    ///
    /// let policy = reqlog::Keep::new().drop_when(|r| {
    ///     r.method() == Some(&Method::GET)
    ///         && r.route() == Some("/health")
    ///         && r.status() == Some(200)
    /// });
    /// ```
    pub fn drop_when<F>(mut self, rule: F) -> Keep
    where
        F: Fn(&Record) -> bool + Send + Sync + 'static,
    {
        self.drops.push(Arc::new(rule));
        self
    }

    /// Always keeps a record for which `rule` is true (unless a drop rule matched);
    /// repeated calls add rules.
    ///
    /// # Example
    /// ```
    /// let policy = reqlog::Keep::new()
    ///     .one_in(50)
    ///     .when(|r| r.route() == Some("/checkout"));
    /// ```
    pub fn when<F>(mut self, rule: F) -> Keep
    where
        F: Fn(&Record) -> bool + Send + Sync + 'static,
    {
        self.keeps.push(Arc::new(rule));
        self
    }

    /// The N of [`one_in`](Keep::one_in) (1 when every ordinary request is kept).
    ///
    /// # Example
    /// ```
    /// assert_eq!(reqlog::Keep::new().rate(), 1);
    /// assert_eq!(reqlog::Keep::new().one_in(0).rate(), 1);
    /// ```
    pub fn rate(&self) -> u64 {
        self.one_in
    }

    /// The threshold of [`slower_than`](Keep::slower_than), if one was set.
    ///
    /// # Example
    /// ```
    /// assert_eq!(reqlog::Keep::new().slow_threshold(), None);
    /// ```
    pub fn slow_threshold(&self) -> Option<Duration> {
        self.slow_micros.map(Duration::from_micros)
    }

    /// The policy in words, for the `reqlog.start` record.
    pub(crate) fn describe(&self) -> String {
        let mut s = String::from("failures, probes, suspect clients, actions");
        if let Some(us) = self.slow_micros {
            s.push_str(&format!(", slower than {} ms", us as f64 / 1000.0));
        }
        if !self.keeps.is_empty() {
            s.push_str(&format!(", {} keep rule(s)", self.keeps.len()));
        }
        if self.sample_client_errors {
            s.push_str("; 4xx sampled");
        }
        s.push_str(&format!("; 1 in {} of the rest per route", self.one_in));
        if !self.drops.is_empty() {
            s.push_str(&format!("; {} drop rule(s)", self.drops.len()));
        }
        s
    }

    /// Decides for a complete record, and counts it if it is an ordinary one.
    pub(crate) fn decide(&self, r: &Record) -> Decision {
        if self.drops.iter().any(|rule| rule(r)) {
            return Decision::DroppedByRule;
        }
        if let Some(why) = self.always(r) {
            return why;
        }
        if self.keeps.iter().any(|rule| rule(r)) {
            return Decision::Closure;
        }
        if self.one_in == 1 {
            return Decision::Sampled(1);
        }
        let seen = self.counters.tick(route_key(r));
        if seen % self.one_in == 0 {
            Decision::Sampled(self.one_in)
        } else {
            Decision::SampledOut
        }
    }

    /// The reason a record is kept whatever the sampling, if it has one.
    fn always(&self, r: &Record) -> Option<Decision> {
        let failed_outcome = matches!(
            r.outcome(),
            Some(Outcome::Error | Outcome::Panic | Outcome::Aborted)
        );
        let failed_status = match r.status() {
            Some(s) if s >= 500 => true,
            Some(s) if s >= 400 => !self.sample_client_errors,
            _ => false,
        };
        if failed_outcome || failed_status || r.error_type().is_some() {
            return Some(Decision::Failed);
        }
        if r.probe_category().is_some() {
            return Some(Decision::Probe);
        }
        if r.blocked()
            || r.scanning()
            || r.client_verified() == Some(false)
            || r.robots_disallowed()
        {
            return Some(Decision::Blocked);
        }
        if !r.actions().is_empty() {
            return Some(Decision::Action);
        }
        match (self.slow_micros, r.duration_micros()) {
            (Some(limit), Some(us)) if us > limit => Some(Decision::Slow),
            _ => None,
        }
    }
}

/// What ordinary requests are counted under: the route, else the path's first segment.
fn route_key(r: &Record) -> &[u8] {
    if let Some(route) = r.route() {
        return route.as_bytes();
    }
    let path = r.path().unwrap_or("/").as_bytes();
    let end = path
        .iter()
        .skip(1)
        .position(|&b| b == b'/')
        .map_or(path.len(), |i| i + 1);
    &path[..end]
}

/// Slots in the per-route counter table (16 bytes each: 4 KiB per policy).
const SLOTS: usize = 256;
/// Slots tried after a key's own before it falls back to the shared counter.
const PROBES: usize = 16;

/// Per-route counters: a fixed open-addressing table of atomics, keyed by a 64-bit
/// hash of the route.
///
/// Why this and not a map: a lookup is a hash of the route and one or two atomic
/// loads, an increment is one `fetch_add`; nothing is locked (no lock a sink or
/// another request holds), nothing is allocated after the policy is built, and memory
/// is bounded when clients invent paths (requests without a route are keyed by the
/// path's first segment, which a client chooses). A slot is claimed by a
/// compare-and-swap of its key from 0; once the table (or a key's probe run) is full,
/// further keys share one overflow counter — still one in N overall, no longer per
/// key. Two routes collide only if their 64-bit hashes are equal.
struct Counters {
    keys: Box<[AtomicU64]>,
    seen: Box<[AtomicU64]>,
    overflow: AtomicU64,
}

impl Counters {
    fn new() -> Counters {
        let table = || (0..SLOTS).map(|_| AtomicU64::new(0)).collect();
        Counters {
            keys: table(),
            seen: table(),
            overflow: AtomicU64::new(0),
        }
    }

    /// How many requests of `key` came before this one.
    fn tick(&self, key: &[u8]) -> u64 {
        // 0 marks a free slot.
        let h = fnv1a(key).max(1);
        let start = (h >> 32) as usize;
        for i in 0..PROBES {
            let at = (start + i) % SLOTS;
            let mut k = self.keys[at].load(Ordering::Relaxed);
            if k == 0 {
                k = match self.keys[at].compare_exchange(0, h, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => h,
                    Err(now) => now,
                };
            }
            if k == h {
                return self.seen[at].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.overflow.fetch_add(1, Ordering::Relaxed)
    }
}

/// FNV-1a, 64 bits: fast on short keys such as routes.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[path = "keep_tests.rs"]
mod tests;
