//! Sinks built from sinks: tee, filter, sample, level mapping.
//!
//! Compose them like a handler stack instead of setting flags on one big sink:
//!
//! ```
//! use reqlog::sink::{self, MemorySink, SinkExt};
//! use reqlog::Level;
//!
//! let everything = MemorySink::new();
//! let problems = MemorySink::new();
//! let sink = everything
//!     .clone()
//!     .sample(10) // one in ten plain successes, every error, probe and action
//!     .tee(problems.clone().filter(sink::filter::min_level(Level::Warn)));
//! let layer = reqlog::RequestLog::new().sink(sink);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Sink;
use crate::{Level, Outcome, Record};

/// Ways to combine sinks; implemented for every [`Sink`].
pub trait SinkExt: Sink + Sized {
    /// Also sends every record to `other`.
    fn tee<S: Sink>(self, other: S) -> Tee<Self, S> {
        Tee { a: self, b: other }
    }

    /// Passes on only the records for which `keep` is true (see [`filter`](super::filter)
    /// for ready-made predicates).
    fn filter<F>(self, keep: F) -> Filter<Self, F>
    where
        F: Fn(&Record) -> bool + Send + Sync + 'static,
    {
        Filter { inner: self, keep }
    }

    /// Keeps one in `n` plain successful requests (status below 400, no probe, no user
    /// action, `outcome: ok`) and every other record: errors, probes, actions, events.
    /// A kept plain request is passed on as a copy marked `sample.rate: n` (multiplied
    /// by any rate it already had), so `reqlog report` counts it `n` times; the copy is
    /// made for the kept one in `n` only.
    ///
    /// It counts all requests together, in the order sinks see them, and cannot tell a
    /// slow request; [`RequestLog::keep`](crate::RequestLog::keep) decides before any
    /// sink, per route, keeps slow requests and takes drop rules: prefer it, and use
    /// `sample` for one sink of several (a tee) that should get fewer lines.
    ///
    /// # Example
    /// ```
    /// use reqlog::sink::{MemorySink, SinkExt};
    ///
    /// let everything = MemorySink::new();
    /// let fewer = MemorySink::new();
    /// let sink = everything.clone().tee(fewer.clone().sample(10));
    /// let layer = reqlog::RequestLog::new().sink(sink);
    /// ```
    fn sample(self, n: u64) -> Sample<Self> {
        Sample {
            inner: self,
            n: n.max(1),
            seen: AtomicU64::new(0),
        }
    }

    /// Changes each record's level before passing it on. Costs a copy of the record
    /// per line; to choose levels once for every sink, prefer
    /// [`RequestLog::level_for`](crate::RequestLog::level_for).
    fn map_level<F>(self, level: F) -> MapLevel<Self, F>
    where
        F: Fn(&Record) -> Level + Send + Sync + 'static,
    {
        MapLevel { inner: self, level }
    }
}

impl<S: Sink> SinkExt for S {}

/// Sends each record to two sinks. Made by [`SinkExt::tee`]; chain it for more.
#[derive(Clone, Debug)]
pub struct Tee<A, B> {
    a: A,
    b: B,
}

impl<A: Sink, B: Sink> Sink for Tee<A, B> {
    fn emit(&self, record: &Record) {
        self.a.emit(record);
        self.b.emit(record);
    }
    /// The first sink sees the record, the second takes it.
    fn emit_owned(&self, record: &mut Record) {
        self.a.emit(record);
        self.b.emit_owned(record);
    }
    fn describe(&self) -> Cow<'static, str> {
        format!("tee({}, {})", self.a.describe(), self.b.describe()).into()
    }
}

/// Passes on the records a predicate keeps. Made by [`SinkExt::filter`].
#[derive(Clone)]
pub struct Filter<S, F> {
    inner: S,
    keep: F,
}

impl<S: fmt::Debug, F> fmt::Debug for Filter<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Sink, F> Sink for Filter<S, F>
where
    F: Fn(&Record) -> bool + Send + Sync + 'static,
{
    fn emit(&self, record: &Record) {
        if (self.keep)(record) {
            self.inner.emit(record);
        }
    }
    fn emit_owned(&self, record: &mut Record) {
        if (self.keep)(record) {
            self.inner.emit_owned(record);
        }
    }
    fn describe(&self) -> Cow<'static, str> {
        format!("filter({})", self.inner.describe()).into()
    }
}

/// Keeps one in N plain successes and everything else. Made by [`SinkExt::sample`].
#[derive(Debug)]
pub struct Sample<S> {
    inner: S,
    n: u64,
    seen: AtomicU64,
}

impl<S> Sample<S> {
    /// Whether a plain success is let through (and then at which rate), or `None` for a
    /// record that is always kept.
    fn decide(&self, record: &Record) -> Option<Option<u64>> {
        let plain = record.event_name() == "http.request"
            && record.status().is_some_and(|s| s < 400)
            && record.outcome() == Some(Outcome::Ok)
            && record.probe().is_none()
            && record.actions().is_empty()
            && !record.scanning();
        if !plain || self.n == 1 {
            return None;
        }
        let keep = self.seen.fetch_add(1, Ordering::Relaxed) % self.n == 0;
        Some(keep.then(|| record.sample_rate().unwrap_or(1).saturating_mul(self.n)))
    }
}

impl<S: Sink> Sink for Sample<S> {
    fn emit(&self, record: &Record) {
        match self.decide(record) {
            None => self.inner.emit(record),
            Some(Some(rate)) => {
                let mut copy = record.clone();
                copy.set_sample_rate(rate);
                self.inner.emit(&copy);
            }
            Some(None) => {}
        }
    }
    fn emit_owned(&self, record: &mut Record) {
        match self.decide(record) {
            None => self.inner.emit_owned(record),
            Some(Some(rate)) => {
                record.set_sample_rate(rate);
                self.inner.emit_owned(record);
            }
            Some(None) => {}
        }
    }
    fn describe(&self) -> Cow<'static, str> {
        format!("sample(1/{}, {})", self.n, self.inner.describe()).into()
    }
}

/// Changes the level of each record. Made by [`SinkExt::map_level`].
#[derive(Clone)]
pub struct MapLevel<S, F> {
    inner: S,
    level: F,
}

impl<S: fmt::Debug, F> fmt::Debug for MapLevel<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapLevel")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Sink, F> Sink for MapLevel<S, F>
where
    F: Fn(&Record) -> Level + Send + Sync + 'static,
{
    fn emit(&self, record: &Record) {
        let level = (self.level)(record);
        if level == record.level() {
            return self.inner.emit(record);
        }
        let mut copy = record.clone();
        copy.set_level(level);
        self.inner.emit(&copy);
    }
    fn emit_owned(&self, record: &mut Record) {
        let level = (self.level)(record);
        record.set_level(level);
        self.inner.emit_owned(record);
    }
    fn describe(&self) -> Cow<'static, str> {
        format!("map_level({})", self.inner.describe()).into()
    }
}

/// Ready-made predicates for [`SinkExt::filter`].
pub mod filter {
    use crate::{Level, Record};

    /// Records at `level` or above.
    pub fn min_level(level: Level) -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        move |r| r.level() >= level
    }

    /// Request records whose status is in `range` (`400..600` for failures).
    pub fn status(range: std::ops::Range<u16>) -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        move |r| r.status().is_some_and(|s| range.contains(&s))
    }

    /// Request records whose path starts with `prefix`.
    pub fn path_prefix(prefix: &'static str) -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        move |r| r.path().is_some_and(|p| p.starts_with(prefix))
    }

    /// Records the probe detector put in `category` (`"wordpress"`, `"secrets"`…).
    pub fn probe_category(
        category: &'static str,
    ) -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        move |r| r.probe().is_some_and(|(c, _)| c == category)
    }

    /// Any probe at all.
    pub fn any_probe() -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        |r| r.probe().is_some()
    }

    /// Records that are not requests (`reqlog.start`, `reqlog.dropped`), to keep them in a
    /// filtered sink: `min_level(Level::Warn)(r) || events()(r)`.
    pub fn events() -> impl Fn(&Record) -> bool + Send + Sync + 'static {
        |r| r.event_name() != "http.request"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Arena;
    use crate::sink::MemorySink;

    fn request(status: u16) -> Record {
        let mut r = Record::blank("http.request", Arena::default());
        r.set_status(status);
        r.set_outcome(Outcome::Ok);
        r
    }

    #[test]
    fn sample_keeps_every_interesting_record() {
        let m = MemorySink::new();
        let s = m.clone().sample(10);
        for _ in 0..100 {
            s.emit(&request(200));
        }
        assert_eq!(m.len(), 10);
        // Each kept plain line stands for ten.
        assert!(m.records().iter().all(|r| r.u64("sample.rate") == Some(10)));
        // A line a policy already sampled one in 20 stands for 200 once kept here.
        m.clear();
        let mut sampled = request(200);
        sampled.set_sample_rate(20);
        for _ in 0..10 {
            s.emit(&sampled);
        }
        assert_eq!(m.len(), 1);
        assert_eq!(m.records()[0].u64("sample.rate"), Some(200));
        m.clear();
        let mut probe = request(404);
        probe.set_probe_category("wordpress");
        probe.set_probe_rule("wp-login".into());
        let mut action = request(303);
        action.push_action(crate::FieldValue::from("x"));
        for _ in 0..5 {
            s.emit(&request(500));
            s.emit(&probe);
            s.emit(&action);
            s.emit(&Record::event("reqlog.start"));
        }
        assert_eq!(m.len(), 20);
        // Kept because they are not plain: they stand for themselves.
        assert!(m.records().iter().all(|r| r.get("sample.rate").is_none()));
    }

    #[test]
    fn tee_filter_and_map_level_compose() {
        let (all, warn) = (MemorySink::new(), MemorySink::new());
        let s = all
            .clone()
            .tee(warn.clone().filter(filter::min_level(Level::Warn)))
            .map_level(|r| {
                if r.status() == Some(404) {
                    Level::Warn
                } else {
                    r.level()
                }
            });
        s.emit(&request(200));
        s.emit(&request(404));
        assert_eq!(all.len(), 2);
        assert_eq!(warn.len(), 1);
        assert_eq!(warn.records()[0].str("level"), Some("WARN"));
        let f = filter::status(400..600);
        assert!(f(&request(404)) && !f(&request(200)));
    }
}
