//! Bounded summaries of a stream: a log-bucketed histogram for percentiles, a capped
//! top-k table (space-saving), and a distinct counter that is exact up to a cap and a
//! HyperLogLog sketch beyond it.
//!
//! Memory does not grow with the input: each structure has a fixed size or a cap.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Sub-buckets per power of two: 2^6 = 64, so a bucket is at most 1/64 of its lower
/// bound wide and its midpoint is within 1/128 (0.8 %) of any value in it.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// Durations in microseconds, HDR-style: exact below 128 µs, then 64 buckets per
/// power of two. Percentiles are reported within 0.8 % of the true value; 30 KiB.
#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn bucket_of(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - SUB_BITS;
    let mantissa = (v >> shift) as usize; // in SUB..2*SUB
    (shift as usize + 1) * SUB as usize + (mantissa - SUB as usize)
}

/// The smallest value and the width of bucket `i`.
fn bucket_range(i: usize) -> (u64, u64) {
    let sub = SUB as usize;
    if i < sub {
        return (i as u64, 1);
    }
    let shift = (i / sub - 1) as u32;
    let mantissa = (i % sub + sub) as u64;
    (mantissa << shift, 1 << shift)
}

impl Histogram {
    #[cfg(test)]
    pub(crate) fn record(&mut self, v: u64) {
        self.record_n(v, 1);
    }

    /// Records `v` as `n` values (a sampled line standing for `n` requests): the
    /// percentiles are then weighted percentiles.
    pub(crate) fn record_n(&mut self, v: u64, n: u64) {
        self.counts[bucket_of(v)] += n;
        self.total += n;
        self.sum += u128::from(v) * u128::from(n);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// Adds `other`'s values: the same as recording them here.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub(crate) fn max(&self) -> Option<u64> {
        (self.total > 0).then_some(self.max)
    }

    pub(crate) fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum as f64 / self.total as f64)
    }

    /// The value below or at which a fraction `q` of the values lie (nearest rank),
    /// as the midpoint of its bucket, clamped to the observed minimum and maximum.
    pub(crate) fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return Some(self.max);
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bucket_range(i);
                return Some((low + (width - 1) / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

/// One key's counts in a [`TopK`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Slot<V> {
    /// How often the key was seen — an overestimate by at most `error` once the table
    /// has evicted keys.
    pub(crate) count: u64,
    pub(crate) error: u64,
    pub(crate) data: V,
}

/// The most frequent keys of a stream, in bounded memory (the space-saving algorithm,
/// with batched eviction).
///
/// It holds up to `2 × cap` keys. When full, it keeps the `cap` largest and forgets the
/// rest; a key seen afterwards starts from the largest count forgotten (its `error`),
/// as in space-saving, so a key that really occurs more than `total / cap` times is
/// never lost and no count is ever too low. Until the first eviction every count is
/// exact. Data attached to a key is lost with it.
#[derive(Clone, Debug)]
pub(crate) struct TopK<V> {
    /// Keys are bytes as they are in the line (valid UTF-8 is checked only on output).
    map: HashMap<Box<[u8]>, Slot<V>>,
    cap: usize,
    floor: u64,
}

impl<V: Default> TopK<V> {
    pub(crate) fn new(cap: usize) -> Self {
        TopK {
            map: HashMap::new(),
            cap: cap.max(1),
            floor: 0,
        }
    }

    /// Counts `key` `n` times and lets `f` update its data.
    pub(crate) fn add(&mut self, key: &[u8], n: u64, f: impl FnOnce(&mut V)) {
        if let Some(slot) = self.map.get_mut(key) {
            slot.count += n;
            f(&mut slot.data);
            return;
        }
        if self.map.len() >= 2 * self.cap {
            self.evict();
        }
        let mut data = V::default();
        f(&mut data);
        let slot = Slot {
            count: self.floor + n,
            error: self.floor,
            data,
        };
        self.map.insert(key.into(), slot);
    }

    /// Adds `other`'s counts (the table of a later part of the stream); `f` merges
    /// the data of a key both hold. When neither table evicted a key the result is
    /// exactly that of one table fed both parts. Otherwise the bounds still hold: a
    /// key missing from one table may have had up to that table's floor there, so it
    /// is added to the count and to the error.
    pub(crate) fn merge(&mut self, other: TopK<V>, mut f: impl FnMut(&mut V, V)) {
        let floor_before = self.floor;
        if other.floor > 0 {
            for (key, slot) in &mut self.map {
                if !other.map.contains_key(key) {
                    slot.count += other.floor;
                    slot.error += other.floor;
                }
            }
        }
        for (key, theirs) in other.map {
            if let Some(mine) = self.map.get_mut(&key) {
                mine.count += theirs.count;
                mine.error += theirs.error;
                f(&mut mine.data, theirs.data);
                continue;
            }
            if self.map.len() >= 2 * self.cap {
                self.evict();
            }
            let slot = Slot {
                count: theirs.count + self.floor,
                error: theirs.error + self.floor,
                data: theirs.data,
            };
            self.map.insert(key, slot);
        }
        self.floor = self.floor.max(floor_before + other.floor);
    }

    /// Every key's data, to rewrite it in place.
    pub(crate) fn data_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut().map(|slot| &mut slot.data)
    }

    /// Keeps the `cap` largest counts.
    fn evict(&mut self) {
        let mut counts: Vec<u64> = self.map.values().map(|s| s.count).collect();
        let (_, &mut threshold, _) = counts.select_nth_unstable_by(self.cap, |a, b| b.cmp(a));
        // Ties at the threshold go too: at most `cap` keys stay.
        self.map.retain(|_, s| s.count > threshold);
        self.floor = self.floor.max(threshold);
    }

    /// Whether some counts are estimates because keys were evicted.
    pub(crate) fn approximate(&self) -> bool {
        self.floor > 0
    }

    /// How many keys the table holds now.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The `n` most frequent keys, by count then key.
    pub(crate) fn top(&self, n: usize) -> Vec<(&[u8], &Slot<V>)> {
        let mut all: Vec<(&[u8], &Slot<V>)> = self.map.iter().map(|(k, s)| (&**k, s)).collect();
        let by_count = |a: &(&[u8], &Slot<V>), b: &(&[u8], &Slot<V>)| {
            b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0))
        };
        if all.len() > n && n > 0 {
            all.select_nth_unstable_by(n - 1, by_count);
            all.truncate(n);
        }
        all.truncate(n);
        all.sort_unstable_by(by_count);
        all
    }
}

/// A stable 64-bit hash (SipHash with fixed keys): the same text gives the same value
/// on every run, so reports are reproducible.
pub(crate) fn hash64(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Registers of the HyperLogLog sketch: 2^12, 4 KiB, standard error 1.6 %.
const HLL_BITS: u32 = 12;

/// HyperLogLog (Flajolet et al.) with the small-range correction (linear counting).
#[derive(Clone, Debug)]
pub(crate) struct Hll {
    registers: Vec<u8>,
}

impl Default for Hll {
    fn default() -> Self {
        Hll {
            registers: vec![0; 1 << HLL_BITS],
        }
    }
}

/// Spreads the bits of a hash (the splitmix64 finaliser), so keys that are already
/// numbers (the hex of a `u_…` pseudonym) need no second hash.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Hll {
    pub(crate) fn insert(&mut self, key: u64) {
        let h = mix(key);
        let index = (h >> (64 - HLL_BITS)) as usize;
        let rest = h << HLL_BITS;
        let rank = (rest.leading_zeros() + 1).min(64 - HLL_BITS + 1) as u8;
        let r = &mut self.registers[index];
        *r = (*r).max(rank);
    }

    /// The sketch of both streams: the larger register of each pair.
    pub(crate) fn merge(&mut self, other: &Hll) {
        for (a, &b) in self.registers.iter_mut().zip(&other.registers) {
            *a = (*a).max(b);
        }
    }

    pub(crate) fn estimate(&self) -> u64 {
        let m = self.registers.len() as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self.registers.iter().map(|&r| (-f64::from(r)).exp2()).sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// Counts distinct keys: exactly up to `cap` keys, then with a HyperLogLog sketch
/// (1.6 % standard error).
#[derive(Clone, Debug)]
pub(crate) struct Distinct {
    exact: HashSet<u64>,
    sketch: Option<Box<Hll>>,
    cap: usize,
}

impl Distinct {
    pub(crate) fn new(cap: usize) -> Self {
        Distinct {
            exact: HashSet::new(),
            sketch: None,
            cap,
        }
    }

    pub(crate) fn insert(&mut self, key: u64) {
        if let Some(sketch) = &mut self.sketch {
            sketch.insert(key);
            return;
        }
        if self.exact.insert(key) && self.exact.len() > self.cap {
            let mut sketch = Box::<Hll>::default();
            for &k in &self.exact {
                sketch.insert(k);
            }
            self.exact = HashSet::new();
            self.sketch = Some(sketch);
        }
    }

    /// Counts `other`'s keys here too: exact while the union fits the cap, the same
    /// sketch as inserting them one by one beyond it.
    pub(crate) fn merge(&mut self, other: Distinct) {
        match (&mut self.sketch, other.sketch) {
            (Some(mine), Some(theirs)) => mine.merge(&theirs),
            (Some(mine), None) => other.exact.iter().for_each(|&k| mine.insert(k)),
            (None, Some(mut theirs)) => {
                self.exact.iter().for_each(|&k| theirs.insert(k));
                self.exact = HashSet::new();
                self.sketch = Some(theirs);
            }
            (None, None) => other.exact.into_iter().for_each(|k| self.insert(k)),
        }
    }

    pub(crate) fn count(&self) -> u64 {
        match &self.sketch {
            Some(s) => s.estimate(),
            None => self.exact.len() as u64,
        }
    }

    /// Whether [`count`](Self::count) is an estimate.
    pub(crate) fn approximate(&self) -> bool {
        self.sketch.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_cover_every_value() {
        for v in (0..5000u64).chain([u64::MAX, u64::MAX / 3, 1 << 40]) {
            let i = bucket_of(v);
            let (low, width) = bucket_range(i);
            assert!(
                low <= v && v - low < width,
                "{v}: bucket {i} = {low}+{width}"
            );
            assert!(i < BUCKETS);
        }
    }

    #[test]
    fn quantiles_within_the_documented_error() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for (q, exact) in [(0.5, 50_000.0), (0.95, 95_000.0), (0.99, 99_000.0)] {
            let got = h.quantile(q).unwrap() as f64;
            assert!((got - exact).abs() / exact <= 1.0 / 128.0, "{q}: {got}");
        }
        assert_eq!(h.quantile(1.0), Some(100_000));
        assert_eq!(h.quantile(0.0), Some(1));
        let mut small = Histogram::default();
        for v in [412, 1234, 7] {
            small.record(v);
        }
        // 412 is in the bucket [412, 416): its midpoint.
        assert_eq!(small.quantile(0.5), Some(413));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn weighted_values_count_as_that_many() {
        let (mut weighted, mut repeated) = (Histogram::default(), Histogram::default());
        for v in 1..=1000u64 {
            let n = if v % 10 == 0 { 20 } else { 1 };
            weighted.record_n(v, n);
            for _ in 0..n {
                repeated.record(v);
            }
        }
        assert_eq!(weighted.count(), repeated.count());
        for q in [0.5, 0.95, 0.99] {
            assert_eq!(weighted.quantile(q), repeated.quantile(q), "{q}");
        }
        assert_eq!(weighted.mean(), repeated.mean());
    }

    #[test]
    fn top_k_keeps_heavy_hitters() {
        let mut t: TopK<()> = TopK::new(10);
        for i in 0..10_000u32 {
            t.add(format!("rare-{i}").as_bytes(), 1, |_| {});
            if i % 10 == 0 {
                t.add(b"heavy", 1, |_| {});
            }
        }
        assert!(t.approximate());
        assert!(t.len() <= 20);
        let top = t.top(1);
        assert_eq!(top[0].0, b"heavy");
        assert!(top[0].1.count >= 1000 && top[0].1.count - top[0].1.error <= 1000);
        let mut exact: TopK<u32> = TopK::new(10);
        for k in ["a", "b", "a", "c", "a", "b"] {
            exact.add(k.as_bytes(), 1, |d| *d += 1);
        }
        let top: Vec<_> = exact.top(2).iter().map(|(k, s)| (*k, s.count)).collect();
        assert_eq!(top, [(&b"a"[..], 3), (&b"b"[..], 2)]);
        assert!(!exact.approximate());
    }

    #[test]
    fn distinct_exact_then_estimated() {
        let mut d = Distinct::new(1000);
        for i in 0..1000 {
            d.insert(hash64(&u32::to_le_bytes(i)));
            d.insert(hash64(&u32::to_le_bytes(i)));
        }
        assert_eq!(d.count(), 1000);
        assert!(!d.approximate());
        for i in 1000..100_000 {
            d.insert(hash64(&u32::to_le_bytes(i)));
        }
        assert!(d.approximate());
        let error = (d.count() as f64 - 100_000.0).abs() / 100_000.0;
        assert!(error < 0.05, "{}", d.count());
    }
}
