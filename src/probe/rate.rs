//! The 404-rate rule: a client that collects too many distinct not-found paths in a
//! short window is flagged as scanning for a while.
//!
//! State is per client address, in 64 shards each behind its own small lock (never one
//! global lock), with a cap on the number of clients and expiry. An entry is fixed-size
//! (the address, two timestamps and up to `threshold` 32-bit path hashes), so memory at
//! the cap is about `cap × (48 + 4 × threshold)` bytes plus the hash table's overhead:
//! roughly 9 MiB for the default 65,536 clients and threshold 10.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 64;

/// Settings of the 404-rate rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanRule {
    /// Distinct not-found paths that flag a client (default 10).
    pub threshold: usize,
    /// The window they must fall in (default 60 s).
    pub window: Duration,
    /// How long a flag lasts after it is set (default 10 minutes).
    pub flag_for: Duration,
    /// Most clients tracked at once (default 65,536); the oldest are forgotten first.
    pub max_clients: usize,
    /// IPv6 clients are counted and blocked by their network of this many bits
    /// (default 64: one subscriber's or one server's allocation), so a scanner rotating
    /// addresses inside its /64 is one client and cannot churn the table. IPv4 clients
    /// are counted by their full address. The line still shows the full address.
    pub ipv6_prefix: u8,
}

impl ScanRule {
    /// The key a client is counted and blocked by: the address itself for IPv4 (and
    /// IPv4-mapped IPv6), its `ipv6_prefix` network for IPv6.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::ScanRule;
    ///
    /// let rule = ScanRule::default();
    /// let a = rule.client_key("2001:db8:1:2:aaaa::1".parse().unwrap());
    /// let b = rule.client_key("2001:db8:1:2:bbbb::9".parse().unwrap());
    /// assert_eq!(a, b);
    /// assert_eq!(a.to_string(), "2001:db8:1:2::");
    /// assert_eq!(rule.client_key("::ffff:203.0.113.9".parse().unwrap()).to_string(), "203.0.113.9");
    /// ```
    pub fn client_key(&self, ip: IpAddr) -> IpAddr {
        crate::request_log::mask(ip, 32, self.ipv6_prefix.min(128))
    }
}

impl Default for ScanRule {
    fn default() -> Self {
        ScanRule {
            threshold: 10,
            window: Duration::from_secs(60),
            flag_for: Duration::from_secs(600),
            max_clients: 65_536,
            ipv6_prefix: 64,
        }
    }
}

#[derive(Debug)]
struct Entry {
    window_start: u32,
    flagged_until: u32,
    last_seen: u32,
    /// Hashes of the distinct not-found paths in the current window.
    paths: Box<[u32]>,
    len: u8,
}

#[derive(Debug, Default)]
struct Shard {
    clients: HashMap<IpAddr, Entry>,
    /// When expired entries were last swept (at most once a second, so a flood of new
    /// addresses does not make every insert scan the shard).
    last_sweep: Option<u32>,
}

/// What [`ScanTracker::record_not_found`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotFound {
    /// The client is flagged after this answer.
    pub(crate) flagged: bool,
    /// This answer set the flag (it was not set before).
    pub(crate) newly: bool,
}

/// Tracks not-found paths per client and answers "is this client scanning?".
#[derive(Debug)]
pub(crate) struct ScanTracker {
    rule: ScanRule,
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    start: Instant,
    /// Flags set and not yet known to be expired: while zero, lookups are skipped.
    flagged: AtomicUsize,
    hasher: std::collections::hash_map::RandomState,
}

impl ScanTracker {
    pub(crate) fn new(rule: ScanRule) -> ScanTracker {
        let rule = ScanRule {
            threshold: rule.threshold.clamp(1, 255),
            max_clients: rule.max_clients.max(SHARDS),
            ..rule
        };
        ScanTracker {
            rule,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: rule.max_clients.div_ceil(SHARDS).max(1),
            start: Instant::now(),
            flagged: AtomicUsize::new(0),
            hasher: Default::default(),
        }
    }

    pub(crate) fn rule(&self) -> &ScanRule {
        &self.rule
    }

    fn now(&self) -> u32 {
        u32::try_from(self.start.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    fn shard(&self, ip: &IpAddr) -> std::sync::MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(ip) as usize) % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `ip` is flagged now. No lock is taken while nobody is flagged.
    pub(crate) fn is_scanning(&self, ip: IpAddr) -> bool {
        if self.flagged.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let now = self.now();
        let shard = self.shard(&ip);
        shard
            .clients
            .get(&ip)
            .is_some_and(|e| e.flagged_until > now)
    }

    /// The hash a path is counted by (taken at the request, counted at the response).
    pub(crate) fn path_hash(&self, path: &str) -> u32 {
        self.hasher.hash_one(path) as u32
    }

    /// Records a not-found answer for the path with this hash to `ip`; returns whether
    /// the client is flagged afterwards, and whether this answer set the flag.
    pub(crate) fn record_not_found(&self, ip: IpAddr, hash: u32) -> NotFound {
        let now = self.now();
        let window = u32::try_from(self.rule.window.as_secs()).unwrap_or(u32::MAX);
        let flag_for = u32::try_from(self.rule.flag_for.as_secs()).unwrap_or(u32::MAX);
        let threshold = self.rule.threshold;
        let mut shard = self.shard(&ip);
        let entry = self.entry(&mut shard, ip, now);
        entry.last_seen = now;
        if now.saturating_sub(entry.window_start) >= window {
            entry.window_start = now;
            entry.len = 0;
        }
        let len = usize::from(entry.len);
        let mut newly = false;
        if !entry.paths[..len].contains(&hash) && len < threshold {
            entry.paths[len] = hash;
            entry.len += 1;
            if usize::from(entry.len) >= threshold {
                if entry.flagged_until <= now {
                    self.flagged.fetch_add(1, Ordering::Relaxed);
                    newly = true;
                }
                entry.flagged_until = now.saturating_add(flag_for);
                entry.len = 0;
                entry.window_start = now;
            }
        }
        NotFound {
            flagged: entry.flagged_until > now,
            newly,
        }
    }

    /// Flags `ip` for `secs` seconds from now (a flag set elsewhere, for example by
    /// another instance through shared state). Never shortens a flag.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn flag(&self, ip: IpAddr, secs: u32) {
        let now = self.now();
        let until = now.saturating_add(secs);
        let mut shard = self.shard(&ip);
        let entry = self.entry(&mut shard, ip, now);
        if entry.flagged_until <= now && until > now {
            self.flagged.fetch_add(1, Ordering::Relaxed);
        }
        entry.flagged_until = entry.flagged_until.max(until);
    }

    /// The entry of `ip` in its shard, made (room first, if the shard is full) if new.
    fn entry<'a>(&self, shard: &'a mut Shard, ip: IpAddr, now: u32) -> &'a mut Entry {
        if !shard.clients.contains_key(&ip) && shard.clients.len() >= self.per_shard {
            self.evict(shard, now);
        }
        let threshold = self.rule.threshold;
        shard.clients.entry(ip).or_insert_with(|| Entry {
            window_start: now,
            flagged_until: 0,
            last_seen: now,
            paths: vec![0; threshold].into_boxed_slice(),
            len: 0,
        })
    }

    /// Makes room in a full shard: drops expired clients, else the least recently seen
    /// unflagged one among a few, else any.
    fn evict(&self, shard: &mut Shard, now: u32) {
        let window = u32::try_from(self.rule.window.as_secs()).unwrap_or(u32::MAX);
        if shard.last_sweep.is_none_or(|t| t != now) {
            shard.last_sweep = Some(now);
            let before = shard.clients.len();
            let mut expired_flags = 0;
            shard.clients.retain(|_, e| {
                let keep = e.flagged_until > now || now.saturating_sub(e.last_seen) < window;
                if !keep && e.flagged_until > 0 {
                    expired_flags += 1;
                }
                keep
            });
            self.forget_flags(expired_flags);
            if shard.clients.len() < before {
                return;
            }
        }
        let victim = shard
            .clients
            .iter()
            .take(8)
            .min_by_key(|(_, e)| (e.flagged_until > now, e.last_seen))
            .map(|(ip, e)| (*ip, e.flagged_until > now));
        if let Some((ip, was_flagged)) = victim {
            shard.clients.remove(&ip);
            if was_flagged {
                self.forget_flags(1);
            }
        }
    }

    fn forget_flags(&self, n: usize) {
        if n > 0 {
            let _ = self
                .flagged
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                    Some(f.saturating_sub(n))
                });
        }
    }

    /// Clients tracked now (for tests and the memory bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).clients.len())
            .sum()
    }

    /// The most clients this tracker keeps.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(n))
    }

    #[test]
    fn ten_distinct_paths_flag_a_client() {
        let t = ScanTracker::new(ScanRule::default());
        let a = ip(1);
        for i in 0..9 {
            assert!(
                !t.record_not_found(a, t.path_hash(&format!("/probe{i}")))
                    .flagged
            );
        }
        // Repeats of a path do not count.
        for _ in 0..20 {
            assert!(!t.record_not_found(a, t.path_hash("/probe0")).flagged);
        }
        assert!(!t.is_scanning(a));
        let tenth = t.record_not_found(a, t.path_hash("/probe9"));
        assert!(tenth.flagged && tenth.newly);
        assert!(t.is_scanning(a));
        let eleventh = t.record_not_found(a, t.path_hash("/probe10"));
        assert!(eleventh.flagged && !eleventh.newly, "the flag is set once");
        assert!(!t.is_scanning(ip(2)), "others are not flagged");
    }

    #[test]
    fn a_flag_from_elsewhere_is_kept_and_never_shortened() {
        let t = ScanTracker::new(ScanRule::default());
        let a = ip(3);
        t.flag(a, 600);
        assert!(t.is_scanning(a));
        assert_eq!(t.flagged.load(Ordering::Relaxed), 1);
        t.flag(a, 1);
        assert!(
            t.is_scanning(a),
            "a shorter flag does not lift a longer one"
        );
        assert_eq!(t.flagged.load(Ordering::Relaxed), 1, "counted once");
        t.flag(ip(4), 0);
        assert!(!t.is_scanning(ip(4)), "a flag that has run out is not set");
    }

    #[test]
    fn nobody_flagged_means_no_lookup_and_no_flag() {
        let t = ScanTracker::new(ScanRule::default());
        assert!(!t.is_scanning(ip(9)));
        assert_eq!(t.flagged.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn state_stays_at_the_cap() {
        let t = ScanTracker::new(ScanRule {
            max_clients: 1024,
            ..ScanRule::default()
        });
        for n in 0..100_000 {
            t.record_not_found(ip(n), 1);
        }
        assert!(t.len() <= t.capacity(), "{} > {}", t.len(), t.capacity());
        assert!(t.capacity() <= 1024 + 64);
    }

    #[test]
    fn a_million_distinct_clients_stay_at_the_cap() {
        let t = ScanTracker::new(ScanRule::default());
        for n in 0..1_000_000u32 {
            t.record_not_found(ip(n.wrapping_mul(2_654_435_761)), n);
        }
        assert!(t.len() <= t.capacity(), "{} > {}", t.len(), t.capacity());
        assert_eq!(t.capacity(), ScanRule::default().max_clients);
    }

    #[test]
    fn flagged_clients_survive_eviction_pressure() {
        let t = ScanTracker::new(ScanRule {
            max_clients: 64 * 4,
            ..ScanRule::default()
        });
        let scanner = ip(7);
        for i in 0..10 {
            t.record_not_found(scanner, i);
        }
        for n in 1000..5000 {
            t.record_not_found(ip(n), 1);
        }
        assert!(t.is_scanning(scanner));
    }
}
