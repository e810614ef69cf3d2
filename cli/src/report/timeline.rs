//! Counts over time in one pass, in bounded memory, whatever the span of the input.
//!
//! Buckets start one second wide. When the span between the earliest and the latest
//! bucket would need more than [`MAX_BUCKETS`], every bucket is merged into the next
//! wider step of a ladder of round widths (1 s, 5 s, 15 s, 30 s, 1 min, 5 min, 15 min,
//! 30 min, 1 h, 3 h, 6 h, 12 h, 1 d, 7 d, then doubling), each a multiple of the one
//! before, so merging is exact and lines may arrive in any order (several files,
//! stdin). A day of traffic ends in 1-minute buckets, a year in 1-day buckets. On
//! output the buckets are merged again into at most as many bars as the chart has room
//! for.

use std::collections::BTreeMap;

use super::agent::KINDS;
use super::time::{Micros, SECOND};

/// The most buckets kept: 1440 × ~160 bytes.
pub(crate) const MAX_BUCKETS: i64 = 1440;

/// Named series per bucket (probe categories, action names); the rest share the last.
pub(crate) const SLOTS: usize = 12;

const LADDER: [i64; 14] = [
    1, 5, 15, 30, 60, 300, 900, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800,
];

/// The counts of one stretch of time.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Bucket {
    /// Requests by client kind (see [`KINDS`]).
    pub(crate) kinds: [u64; KINDS.len()],
    /// Probes by category slot.
    pub(crate) probes: [u64; SLOTS],
    /// Actions by name slot.
    pub(crate) actions: [u64; SLOTS],
}

impl Bucket {
    fn merge(&mut self, other: &Bucket) {
        let pairs = [
            (&mut self.kinds[..], &other.kinds[..]),
            (&mut self.probes[..], &other.probes[..]),
            (&mut self.actions[..], &other.actions[..]),
        ];
        for (mine, theirs) in pairs {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
    }

    pub(crate) fn requests(&self) -> u64 {
        self.kinds.iter().sum()
    }
}

/// Buckets of a width that adapts to the span seen so far.
#[derive(Clone, Debug)]
pub(crate) struct Timeline {
    width: i64,
    buckets: BTreeMap<i64, Bucket>,
    /// The first and last keys (empty: `lo > hi`).
    lo: i64,
    hi: i64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            width: LADDER[0],
            buckets: BTreeMap::new(),
            lo: i64::MAX,
            hi: i64::MIN,
        }
    }
}

/// The ladder step after `width`.
fn wider(width: i64) -> i64 {
    LADDER
        .iter()
        .copied()
        .find(|&w| w > width)
        .unwrap_or(width.saturating_mul(2))
}

/// Bars of equal width from `start`, for a chart.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) start: Micros,
    /// Seconds per bar.
    pub(crate) width: i64,
    pub(crate) bars: Vec<Bucket>,
}

impl Timeline {
    /// The bucket that holds instant `t`.
    pub(crate) fn at(&mut self, t: Micros) -> &mut Bucket {
        let secs = t.div_euclid(SECOND);
        let mut key = secs.div_euclid(self.width);
        if key < self.lo || key > self.hi {
            let fits = self.buckets.is_empty() || self.hi.max(key) - self.lo.min(key) < MAX_BUCKETS;
            if !fits {
                self.widen(secs);
                key = secs.div_euclid(self.width);
            }
            self.lo = self.lo.min(key);
            self.hi = self.hi.max(key);
        }
        self.buckets.entry(key).or_default()
    }

    /// Adds the buckets of `other` (a later part of the stream), its probe and action
    /// slots renumbered by `probes` and `actions`. Ladder widths divide each other and
    /// start at the epoch, so a bucket of one width lies in one bucket of any wider
    /// width, and the final width is the narrowest that fits the whole span: the same
    /// as one timeline fed both parts.
    pub(crate) fn merge(
        &mut self,
        other: Timeline,
        probes: &[usize; SLOTS],
        actions: &[usize; SLOTS],
    ) {
        if other.width > self.width && !self.buckets.is_empty() {
            let old = self.width;
            for (k, bucket) in std::mem::take(&mut self.buckets) {
                self.buckets
                    .entry((k * old).div_euclid(other.width))
                    .or_default()
                    .merge(&bucket);
            }
            self.lo = (self.lo * old).div_euclid(other.width);
            self.hi = (self.hi * old).div_euclid(other.width);
        }
        self.width = self.width.max(other.width);
        for (k, theirs) in other.buckets {
            let mine = self.at(k * other.width * SECOND);
            for (a, b) in mine.kinds.iter_mut().zip(&theirs.kinds) {
                *a += b;
            }
            for (i, n) in theirs.probes.iter().enumerate() {
                mine.probes[probes[i]] += n;
            }
            for (i, n) in theirs.actions.iter().enumerate() {
                mine.actions[actions[i]] += n;
            }
        }
    }

    /// Moves up the ladder until the buckets and `secs` fit, merging buckets.
    fn widen(&mut self, secs: i64) {
        let old = self.width;
        let first = self.buckets.keys().next().map_or(secs, |&k| k * old);
        let last = self.buckets.keys().next_back().map_or(secs, |&k| k * old);
        let (lo, hi) = (first.min(secs), last.max(secs));
        let mut width = old;
        while hi.div_euclid(width) - lo.div_euclid(width) >= MAX_BUCKETS {
            width = wider(width);
        }
        for (k, bucket) in std::mem::take(&mut self.buckets) {
            self.buckets
                .entry((k * old).div_euclid(width))
                .or_default()
                .merge(&bucket);
        }
        self.width = width;
        self.lo = lo.div_euclid(width);
        self.hi = hi.div_euclid(width);
    }

    /// At most `max_bars` bars covering every bucket, as wide as needed on the ladder.
    pub(crate) fn series(&self, max_bars: usize) -> Option<Series> {
        let (&first, _) = self.buckets.first_key_value()?;
        let (&last, _) = self.buckets.last_key_value()?;
        let (first, last) = (first * self.width, last * self.width);
        let max_bars = i64::try_from(max_bars.max(1)).unwrap_or(i64::MAX);
        let mut width = self.width;
        while last.div_euclid(width) - first.div_euclid(width) >= max_bars {
            width = wider(width);
        }
        let start = first.div_euclid(width);
        let n = (last.div_euclid(width) - start + 1) as usize;
        let mut bars = vec![Bucket::default(); n];
        for (&k, bucket) in &self.buckets {
            let i = (k * self.width).div_euclid(width) - start;
            bars[i as usize].merge(bucket);
        }
        Some(Series {
            start: start * width * SECOND,
            width,
            bars,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(t: &mut Timeline, secs: i64) {
        t.at(secs * SECOND).kinds[0] += 1;
    }

    #[test]
    fn widens_in_any_order_and_keeps_every_count() {
        let mut t = Timeline::default();
        let day = 86_400;
        let base = 1_795_449_600; // 2026-11-24T00:00:00Z
        add(&mut t, base + 10);
        add(&mut t, base + 11);
        assert_eq!(t.width, 1);
        add(&mut t, base + day - 1);
        add(&mut t, base);
        assert_eq!(t.width, 60);
        assert!(t.buckets.len() <= MAX_BUCKETS as usize);
        add(&mut t, base + 365 * day);
        assert_eq!(t.width, 43_200);
        let total: u64 = t.buckets.values().map(Bucket::requests).sum();
        assert_eq!(total, 5);
        let s = t.series(100).unwrap();
        assert_eq!(s.bars.iter().map(Bucket::requests).sum::<u64>(), 5);
        assert!(s.bars.len() <= 100);
        assert_eq!(s.width, 604_800);
    }

    #[test]
    fn series_of_a_short_run() {
        let mut t = Timeline::default();
        for s in 0..30 {
            add(&mut t, 1_795_449_600 + s);
        }
        let s = t.series(60).unwrap();
        assert_eq!((s.width, s.bars.len()), (1, 30));
        let s = t.series(10).unwrap();
        assert_eq!(s.width, 5);
        assert_eq!(s.start, 1_795_449_600 * SECOND);
        assert_eq!(s.bars.len(), 6);
    }
}
