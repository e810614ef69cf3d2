//! Scanner state shared by many instances through Redis (cargo feature `redis`).
//!
//! A scanner that spreads its requests over N instances behind a load balancer stays
//! under every instance's own 404 threshold. With a [`RedisState`], the instances add
//! their not-found counts up in Redis, and a flag set by any of them reaches all the
//! others.
//!
//! The request path never waits for Redis: a not-found answer only appends a small
//! event to an in-memory queue, and lookups read the detector's local table. A worker
//! thread per detector sends the queue in one pipeline every
//! [`flush_interval`](RedisState::flush_interval) (100 ms), and reads new flags every
//! [`poll_interval`](RedisState::poll_interval) (250 ms) into the local table, so a flag
//! set on one instance is known everywhere well within a second.
//!
//! In Redis (keys under [`key_prefix`](RedisState::key_prefix), default
//! `reqlog:probe`):
//! - `{prefix}:nf:{address}` — a set of the hashes of the distinct not-found paths of
//!   one client, expiring one window after its first path;
//! - `{prefix}:flags` — a stream of flags (`ip`, `until` in Unix seconds), trimmed to
//!   the flag duration, which every instance reads from where it left off.
//!
//! Needs Redis 7 or later (or Valkey): it uses `EXPIRE … NX` and `XADD … MINID`.
//!
//! When Redis is down or slow, every instance keeps counting and flagging on its own
//! (the detector without sharing), counts the errors, reports them on stderr at most
//! every ten seconds, and shares again as soon as Redis answers; counts made while it
//! was away are not sent later (they are counted in
//! [`unshared_events`](RedisState::unshared_events)).

mod worker;

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::rate::ScanTracker;

/// Shared scanner state in Redis, for [`ProbeDetector::shared_state`].
///
/// Building one does not connect: the detector's worker thread connects when the
/// detector is first layered, and reconnects on its own. Clones share the counters.
///
/// # Example
/// ```no_run
/// use reqlog::probe::RedisState;
/// use reqlog::ProbeDetector;
///
/// let state = RedisState::new("redis://127.0.0.1:6379")?.key_prefix("shop:probe");
/// let detector = ProbeDetector::new().shared_state(state.clone());
/// // Later, for a health page or a metric:
/// println!("redis up: {}, errors: {}", state.is_connected(), state.errors());
/// # Ok::<(), reqlog::probe::RedisStateError>(())
/// ```
///
/// [`ProbeDetector::shared_state`]: super::ProbeDetector::shared_state
#[derive(Clone)]
pub struct RedisState {
    pub(crate) config: Arc<Config>,
    pub(crate) stats: Arc<Stats>,
}

#[derive(Clone)]
pub(crate) struct Config {
    client: redis::Client,
    /// `host:port` (or the socket path) without credentials, for messages.
    target: String,
    prefix: String,
    flush_interval: Duration,
    poll_interval: Duration,
    timeout: Duration,
    max_pending: usize,
}

/// The error of [`RedisState::new`]: the URL is not a Redis URL.
#[derive(Debug)]
pub struct RedisStateError(redis::RedisError);

impl fmt::Display for RedisStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Redis URL: {}", self.0)
    }
}

impl std::error::Error for RedisStateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    connected: AtomicBool,
    errors: AtomicU64,
    batches: AtomicU64,
    polls: AtomicU64,
    flags_received: AtomicU64,
    flags_published: AtomicU64,
    dropped: AtomicU64,
    unshared: AtomicU64,
}

impl fmt::Debug for RedisState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisState")
            .field("target", &self.config.target)
            .field("key_prefix", &self.config.prefix)
            .field("connected", &self.is_connected())
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl RedisState {
    /// Shared state in the Redis at `url` (`redis://[:password@]host[:port][/db]` or
    /// `redis+unix:///path`). Checks the URL; does not connect.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::RedisState;
    ///
    /// assert!(RedisState::new("redis://127.0.0.1:6379/0").is_ok());
    /// assert!(RedisState::new("http://example.com").is_err());
    /// ```
    pub fn new(url: &str) -> Result<RedisState, RedisStateError> {
        let client = redis::Client::open(url).map_err(RedisStateError)?;
        let target = client.get_connection_info().addr.to_string();
        Ok(RedisState {
            config: Arc::new(Config {
                client,
                target,
                prefix: "reqlog:probe".into(),
                flush_interval: Duration::from_millis(100),
                poll_interval: Duration::from_millis(250),
                timeout: Duration::from_millis(250),
                max_pending: 65_536,
            }),
            stats: Arc::default(),
        })
    }

    fn with(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// The prefix of the keys (default `reqlog:probe`). Instances that should share
    /// state use the same prefix; different sites on one Redis use different ones.
    ///
    /// # Example
    /// ```
    /// # use reqlog::probe::RedisState;
    /// let state = RedisState::new("redis://127.0.0.1")?.key_prefix("blog:probe");
    /// # Ok::<(), reqlog::probe::RedisStateError>(())
    /// ```
    pub fn key_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.with(|c| c.prefix = prefix)
    }

    /// How often the queued not-found counts are sent (default 100 ms).
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// # use reqlog::probe::RedisState;
    /// let state = RedisState::new("redis://127.0.0.1")?.flush_interval(Duration::from_millis(50));
    /// # Ok::<(), reqlog::probe::RedisStateError>(())
    /// ```
    pub fn flush_interval(self, interval: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        self.with(|c| c.flush_interval = interval)
    }

    /// How often new flags are read from Redis (default 250 ms; never more often than
    /// the flush interval).
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// # use reqlog::probe::RedisState;
    /// let state = RedisState::new("redis://127.0.0.1")?.poll_interval(Duration::from_millis(500));
    /// # Ok::<(), reqlog::probe::RedisStateError>(())
    /// ```
    pub fn poll_interval(self, interval: Duration) -> Self {
        self.with(|c| c.poll_interval = interval)
    }

    /// The longest the worker waits to connect or for one answer (default 250 ms).
    /// Requests never wait for Redis, whatever this is.
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// # use reqlog::probe::RedisState;
    /// let state = RedisState::new("redis://127.0.0.1")?.timeout(Duration::from_secs(1));
    /// # Ok::<(), reqlog::probe::RedisStateError>(())
    /// ```
    pub fn timeout(self, timeout: Duration) -> Self {
        let timeout = timeout.max(Duration::from_millis(1));
        self.with(|c| c.timeout = timeout)
    }

    /// Most not-found events queued between two sends (default 65,536); beyond that
    /// they are dropped and counted in [`dropped_events`](Self::dropped_events). The
    /// local count is never affected.
    ///
    /// # Example
    /// ```
    /// # use reqlog::probe::RedisState;
    /// let state = RedisState::new("redis://127.0.0.1")?.max_pending(10_000);
    /// # Ok::<(), reqlog::probe::RedisStateError>(())
    /// ```
    pub fn max_pending(self, events: usize) -> Self {
        self.with(|c| c.max_pending = events.max(1))
    }

    /// Whether the worker is connected to Redis now.
    pub fn is_connected(&self) -> bool {
        self.stats.connected.load(Ordering::Relaxed)
    }

    /// Failed connects, sends and reads so far.
    pub fn errors(&self) -> u64 {
        self.stats.errors.load(Ordering::Relaxed)
    }

    /// Batches of not-found counts sent to Redis.
    pub fn batches_sent(&self) -> u64 {
        self.stats.batches.load(Ordering::Relaxed)
    }

    /// Completed reads of the flag stream.
    pub fn polls(&self) -> u64 {
        self.stats.polls.load(Ordering::Relaxed)
    }

    /// Flags read from Redis (set by any instance, this one included).
    pub fn flags_received(&self) -> u64 {
        self.stats.flags_received.load(Ordering::Relaxed)
    }

    /// Flags this instance wrote to Redis.
    pub fn flags_published(&self) -> u64 {
        self.stats.flags_published.load(Ordering::Relaxed)
    }

    /// Not-found events dropped because the queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.stats.dropped.load(Ordering::Relaxed)
    }

    /// Not-found events counted only locally because Redis was unreachable or a send
    /// failed.
    pub fn unshared_events(&self) -> u64 {
        self.stats.unshared.load(Ordering::Relaxed)
    }

    /// Starts the worker for this tracker. `None` if the thread cannot start (then the
    /// detector works on its own, as without sharing).
    pub(crate) fn start(&self, tracker: &Arc<ScanTracker>) -> Option<ShareLink> {
        let queue = Arc::new(Queue {
            pending: Mutex::new(Vec::new()),
            max: self.config.max_pending,
            stats: self.stats.clone(),
        });
        let worker = worker::Worker::new(
            self.config.clone(),
            queue.clone(),
            Arc::downgrade(tracker),
            *tracker.rule(),
        );
        match std::thread::Builder::new()
            .name("reqlog-redis".into())
            .spawn(move || worker.run())
        {
            Ok(_) => Some(ShareLink { queue }),
            Err(e) => {
                eprintln!("reqlog: cannot start the Redis worker thread ({e}); the probe detector keeps its state to itself");
                None
            }
        }
    }
}

/// What the request path hands to the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A not-found answer for a path with this (stable) hash.
    NotFound { ip: IpAddr, path: u64 },
    /// This instance flagged the client by its own count.
    Flagged { ip: IpAddr },
}

pub(crate) struct Queue {
    pending: Mutex<Vec<Event>>,
    max: usize,
    stats: Arc<Stats>,
}

impl Queue {
    /// Swaps the pending events into `into` (which must be empty).
    fn take(&self, into: &mut Vec<Event>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *pending, into);
    }
}

/// The request path's end of the link to the worker.
pub(crate) struct ShareLink {
    queue: Arc<Queue>,
}

impl ShareLink {
    /// Queues an event; never blocks on I/O (the lock is only ever held for a push or a
    /// swap).
    pub(crate) fn push(&self, event: Event) {
        let mut pending = self.queue.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.len() < self.queue.max {
            pending.push(event);
        } else {
            drop(pending);
            self.queue.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A hash of a path that is the same in every instance (FNV-1a, 64 bits), so that the
/// instances agree on which paths are distinct.
pub(crate) fn stable_path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_hash_is_stable_and_spreads() {
        // Fixed values: instances built at different times must agree.
        assert_eq!(stable_path_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_path_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(stable_path_hash("/.env"), stable_path_hash("/.env/"));
    }

    #[test]
    fn urls_are_checked_and_credentials_kept_out_of_messages() {
        let s = RedisState::new("redis://:secret@10.0.0.7:6380/2").unwrap();
        assert_eq!(s.config.target, "10.0.0.7:6380");
        assert!(!format!("{s:?}").contains("secret"));
        assert!(RedisState::new("not a url").is_err());
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let state = RedisState::new("redis://127.0.0.1:1")
            .unwrap()
            .max_pending(2);
        let link = ShareLink {
            queue: Arc::new(Queue {
                pending: Mutex::new(Vec::new()),
                max: state.config.max_pending,
                stats: state.stats.clone(),
            }),
        };
        let ip = IpAddr::from([192, 0, 2, 1]);
        for path in 0..5 {
            link.push(Event::NotFound { ip, path });
        }
        assert_eq!(state.dropped_events(), 3);
        let mut taken = Vec::new();
        link.queue.take(&mut taken);
        assert_eq!(taken.len(), 2);
    }
}
