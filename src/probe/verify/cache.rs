//! The verdicts of reverse-DNS checks, per (address, operator): bounded, with expiry,
//! split in shards so that requests on many threads rarely wait for one another.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the cache knows about one address for one operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Forward-confirmed reverse DNS in the operator's domain.
    Verified,
    /// The check failed: no PTR, a PTR outside the operator's domains, or a name that
    /// does not resolve back to the address.
    Impostor,
    /// A lookup is queued or running.
    Pending,
    /// The lookup could not finish (DNS down, timeout, queue full): ask again later.
    Unknown,
}

/// The answer of [`VerdictCache::get_or_begin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cached {
    /// A verdict (possibly `Pending` or `Unknown`) that has not expired.
    Hit(Verdict),
    /// Nothing known: a `Pending` entry was just made; the caller queues the lookup.
    Begun,
}

pub(crate) type Key = (IpAddr, u8);

const SHARDS: usize = 16;

#[derive(Clone, Copy, Debug)]
struct Entry {
    verdict: Verdict,
    /// Seconds since the cache's epoch.
    expires: u32,
}

/// A bounded map of verdicts: at most `capacity` entries in all (each shard holds its
/// share); a full shard evicts an expired entry if one comes first, else an arbitrary
/// one (hash order), so a flood of new addresses costs O(1) per request, never a scan.
#[derive(Debug)]
pub(crate) struct VerdictCache {
    shards: Vec<Mutex<HashMap<Key, Entry>>>,
    per_shard: usize,
    epoch: Instant,
    /// How long a `Pending` entry stands before the address may be queued again.
    pending_ttl: u32,
}

impl VerdictCache {
    pub(crate) fn new(capacity: usize, pending_ttl: Duration) -> VerdictCache {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        VerdictCache {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_capacity(per_shard.min(1024))))
                .collect(),
            per_shard,
            epoch: Instant::now(),
            pending_ttl: secs(pending_ttl),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, Entry>> {
        // A cheap fold of the address: an attacker who picks addresses can load one
        // shard, but each shard is capped on its own.
        let h = match key.0 {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let x = u128::from(a);
                (x as u64) ^ ((x >> 64) as u64)
            }
        };
        let h = h ^ (h >> 7) ^ (h >> 17) ^ u64::from(key.1);
        &self.shards[(h as usize) % SHARDS]
    }

    fn now(&self) -> u32 {
        secs(self.epoch.elapsed())
    }

    /// The verdict for `key`, or, when there is none (or it expired), a new `Pending`
    /// entry: one lock, no allocation unless the shard's table grows.
    pub(crate) fn get_or_begin(&self, key: Key) -> Cached {
        let now = self.now();
        let mut map = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get_mut(&key) {
            if e.expires > now {
                return Cached::Hit(e.verdict);
            }
            *e = Entry {
                verdict: Verdict::Pending,
                expires: now.saturating_add(self.pending_ttl),
            };
            return Cached::Begun;
        }
        self.insert(
            &mut map,
            key,
            Entry {
                verdict: Verdict::Pending,
                expires: now.saturating_add(self.pending_ttl),
            },
            now,
        );
        Cached::Begun
    }

    /// The verdict for `key`, if one stands.
    #[cfg(test)]
    pub(crate) fn get(&self, key: Key) -> Option<Verdict> {
        let now = self.now();
        let map = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key).filter(|e| e.expires > now).map(|e| e.verdict)
    }

    /// Stores a verdict for `ttl`.
    pub(crate) fn set(&self, key: Key, verdict: Verdict, ttl: Duration) {
        let now = self.now();
        let entry = Entry {
            verdict,
            expires: now.saturating_add(secs(ttl).max(1)),
        };
        let mut map = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&key) {
            Some(e) => *e = entry,
            None => self.insert(&mut map, key, entry, now),
        }
    }

    fn insert(&self, map: &mut HashMap<Key, Entry>, key: Key, entry: Entry, now: u32) {
        if map.len() >= self.per_shard {
            let mut victim = None;
            for (k, e) in map.iter().take(8) {
                victim.get_or_insert(*k);
                if e.expires <= now {
                    victim = Some(*k);
                    break;
                }
            }
            if let Some(k) = victim {
                map.remove(&k);
            }
        }
        map.insert(key, entry);
    }

    /// Entries held now (expired ones included until they are replaced or evicted).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// The most entries it holds.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Key {
        (IpAddr::from(i.to_be_bytes()), 0)
    }

    #[test]
    fn begins_once_then_reports_the_verdict() {
        let c = VerdictCache::new(64, Duration::from_secs(10));
        assert_eq!(c.get_or_begin(key(1)), Cached::Begun);
        assert_eq!(c.get_or_begin(key(1)), Cached::Hit(Verdict::Pending));
        c.set(key(1), Verdict::Verified, Duration::from_secs(60));
        assert_eq!(c.get_or_begin(key(1)), Cached::Hit(Verdict::Verified));
        assert_eq!(c.get(key(2)), None);
        // Another operator is another key.
        assert_eq!(c.get_or_begin((key(1).0, 3)), Cached::Begun);
    }

    #[test]
    fn the_cap_holds_under_a_flood() {
        let c = VerdictCache::new(1000, Duration::from_secs(10));
        for i in 0..100_000 {
            c.get_or_begin(key(i));
        }
        assert!(c.len() <= c.capacity(), "{} > {}", c.len(), c.capacity());
        assert!(c.capacity() < 1100);
    }
}
