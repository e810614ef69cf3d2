//! The worker thread behind [`RedisState`](super::RedisState): sends the queued
//! not-found counts, publishes flags, reads the flags of the other instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, RedisResult, Value};

use super::{Config, Event, Queue};
use crate::probe::rate::{ScanRule, ScanTracker};

/// Errors are reported on stderr at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// Waits between connection attempts: from the first to the last, doubling.
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_LAST: Duration = Duration::from_secs(2);
/// Flags read per `XREAD`, and reads per poll (the rest waits for the next poll).
const READ_COUNT: usize = 1_000;
const READS_PER_POLL: usize = 20;

pub(super) struct Worker {
    config: Arc<Config>,
    queue: Arc<Queue>,
    tracker: Weak<ScanTracker>,
    connection: Option<Connection>,
    next_connect: Instant,
    backoff: Duration,
    next_poll: Instant,
    /// The id of the last flag read; after a (re)connect, the start of the flag
    /// duration, so flags set while this instance was away are read too.
    last_id: Option<String>,
    last_report: Option<Instant>,
    /// Errors since the last report, and whether the last report said "down".
    unreported: u64,
    reported_down: bool,
    batch: Vec<Event>,
    rule: ScanRule,
}

impl Worker {
    pub(super) fn new(
        config: Arc<Config>,
        queue: Arc<Queue>,
        tracker: Weak<ScanTracker>,
        rule: ScanRule,
    ) -> Self {
        let now = Instant::now();
        Worker {
            config,
            queue,
            tracker,
            connection: None,
            next_connect: now,
            backoff: BACKOFF_FIRST,
            next_poll: now,
            last_id: None,
            last_report: None,
            unreported: 0,
            reported_down: false,
            batch: Vec::new(),
            rule,
        }
    }

    /// Runs until the detector is gone, then sends what is left once.
    pub(super) fn run(mut self) {
        while let Some(tracker) = self.tracker.upgrade() {
            self.step(&tracker);
            drop(tracker);
            std::thread::sleep(self.config.flush_interval);
        }
        // The detector is gone: one last send, without reconnecting.
        self.queue.take(&mut self.batch);
        if let Some(mut c) = self.connection.take() {
            let _ = self.send(&mut c, None);
        }
        self.queue.stats.connected.store(false, Ordering::Relaxed);
    }

    fn step(&mut self, tracker: &ScanTracker) {
        self.queue.take(&mut self.batch);
        let now = Instant::now();
        if self.connection.is_none() && now >= self.next_connect {
            self.connect();
        }
        let Some(mut connection) = self.connection.take() else {
            let n = self.batch.len() as u64;
            self.queue.stats.unshared.fetch_add(n, Ordering::Relaxed);
            self.batch.clear();
            return;
        };
        let mut result = Ok(());
        if !self.batch.is_empty() {
            result = self.send(&mut connection, Some(tracker));
            if result.is_err() {
                let n = self.batch.len() as u64;
                self.queue.stats.unshared.fetch_add(n, Ordering::Relaxed);
            }
        }
        if result.is_ok() && Instant::now() >= self.next_poll {
            self.next_poll = Instant::now() + self.config.poll_interval;
            result = self.poll(&mut connection, tracker);
        }
        match result {
            Ok(()) => self.connection = Some(connection),
            Err(e) => self.failed("lost the connection to", &e),
        }
        self.batch.clear();
    }

    fn connect(&mut self) {
        let timeout = self.config.timeout;
        let result = self
            .config
            .client
            .get_connection_with_timeout(timeout)
            .and_then(|c| {
                c.set_read_timeout(Some(timeout))?;
                c.set_write_timeout(Some(timeout))?;
                Ok(c)
            });
        match result {
            Ok(c) => {
                self.connection = Some(c);
                self.backoff = BACKOFF_FIRST;
                let flag_for = self.rule.flag_for;
                let since = unix_now().saturating_sub(flag_for);
                self.last_id = Some(format!("{}-0", since.as_millis()));
                self.next_poll = Instant::now();
                self.queue.stats.connected.store(true, Ordering::Relaxed);
                if self.reported_down {
                    eprintln!(
                        "reqlog: the probe detector reaches Redis at {} again and shares its state",
                        self.config.target
                    );
                    self.reported_down = false;
                }
            }
            Err(e) => {
                self.failed("cannot connect to", &e);
                self.next_connect = Instant::now() + self.backoff;
                self.backoff = (self.backoff * 2).min(BACKOFF_LAST);
            }
        }
    }

    fn failed(&mut self, what: &str, error: &redis::RedisError) {
        let stats = &self.queue.stats;
        stats.connected.store(false, Ordering::Relaxed);
        let errors = stats.errors.fetch_add(1, Ordering::Relaxed) + 1;
        self.unreported += 1;
        if self.last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            eprintln!(
                "reqlog: the probe detector {what} Redis at {}: {error} ({} errors, {errors} in all; it counts on its own until Redis is back; next report in {}s at the earliest)",
                self.config.target,
                self.unreported,
                REPORT_EVERY.as_secs()
            );
            self.last_report = Some(Instant::now());
            self.unreported = 0;
            self.reported_down = true;
        }
    }

    fn key(&self, ip: IpAddr) -> String {
        format!("{}:nf:{ip}", self.config.prefix)
    }

    fn stream(&self) -> String {
        format!("{}:flags", self.config.prefix)
    }

    /// Adds the batch's paths to the shared sets in one pipeline, then flags (in a
    /// second one) the clients whose total crossed the threshold, and those this
    /// instance flagged by its own count. Without a tracker (shutting down) it only adds.
    fn send(&mut self, c: &mut Connection, tracker: Option<&ScanTracker>) -> RedisResult<()> {
        let rule = self.rule;
        let mut paths: HashMap<IpAddr, Vec<u64>> = HashMap::new();
        let mut flag: Vec<IpAddr> = Vec::new();
        for event in &self.batch {
            match *event {
                Event::NotFound { ip, path } => paths.entry(ip).or_default().push(path),
                Event::Flagged { ip } => flag.push(ip),
            }
        }
        if !paths.is_empty() {
            let window = rule.window.as_secs().max(1);
            let mut pipe = redis::pipe();
            let clients: Vec<(IpAddr, Vec<u64>)> = paths.into_iter().collect();
            for (ip, hashes) in &clients {
                let key = self.key(*ip);
                pipe.cmd("SADD").arg(&key).arg(hashes).ignore();
                pipe.cmd("EXPIRE").arg(&key).arg(window).arg("NX").ignore();
                pipe.cmd("SCARD").arg(&key);
            }
            let counts: Vec<u64> = pipe.query(c)?;
            self.queue.stats.batches.fetch_add(1, Ordering::Relaxed);
            for ((ip, _), count) in clients.iter().zip(counts) {
                if count >= rule.threshold as u64 && !flag.contains(ip) {
                    flag.push(*ip);
                }
            }
        }
        if flag.is_empty() || tracker.is_none() {
            return Ok(());
        }
        let flag_for = rule.flag_for;
        let until = (unix_now() + flag_for).as_secs();
        let oldest = unix_now().saturating_sub(flag_for).as_millis();
        let stream = self.stream();
        let mut pipe = redis::pipe();
        for ip in &flag {
            pipe.cmd("XADD")
                .arg(&stream)
                .arg("MINID")
                .arg("~")
                .arg(oldest.to_string())
                .arg("*")
                .arg("ip")
                .arg(ip.to_string())
                .arg("until")
                .arg(until)
                .ignore();
            pipe.cmd("DEL").arg(self.key(*ip)).ignore();
        }
        pipe.query::<()>(c)?;
        let stats = &self.queue.stats;
        stats
            .flags_published
            .fetch_add(flag.len() as u64, Ordering::Relaxed);
        if let Some(tracker) = tracker {
            let secs = u32::try_from(flag_for.as_secs()).unwrap_or(u32::MAX);
            for ip in flag {
                tracker.flag(ip, secs);
            }
        }
        Ok(())
    }

    /// Reads the flags added since the last read into the local table.
    fn poll(&mut self, c: &mut Connection, tracker: &ScanTracker) -> RedisResult<()> {
        let stream = self.stream();
        for _ in 0..READS_PER_POLL {
            let last = self.last_id.clone().unwrap_or_else(|| "0-0".into());
            let reply: Value = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("STREAMS")
                .arg(&stream)
                .arg(&last)
                .query(c)?;
            let entries = stream_entries(reply);
            let n = entries.len();
            let now = unix_now().as_secs();
            for (id, ip, until) in entries {
                self.last_id = Some(id);
                if let (Some(ip), Some(until)) = (ip, until) {
                    if until > now {
                        let secs = u32::try_from(until - now).unwrap_or(u32::MAX);
                        tracker.flag(ip, secs);
                        self.queue
                            .stats
                            .flags_received
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            if n < READ_COUNT {
                break;
            }
        }
        self.queue.stats.polls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The entries of an `XREAD` reply for one stream: (id, ip, until). Anything that does
/// not parse is skipped (a foreign writer under our prefix must not stop the reader).
fn stream_entries(reply: Value) -> Vec<(String, Option<IpAddr>, Option<u64>)> {
    let mut out = Vec::new();
    let streams = match reply {
        Value::Array(s) => s,
        Value::Map(m) => m.into_iter().map(|(_, v)| v).collect(),
        _ => return out,
    };
    for stream in streams {
        let entries = match stream {
            // RESP2: [name, entries]; RESP3 maps give the entries directly.
            Value::Array(mut pair) if pair.len() == 2 => pair.swap_remove(1),
            other => other,
        };
        let Value::Array(entries) = entries else {
            continue;
        };
        for entry in entries {
            let Value::Array(mut entry) = entry else {
                continue;
            };
            if entry.len() != 2 {
                continue;
            }
            let fields = entry.pop();
            let Some(id) = entry.pop().and_then(text) else {
                continue;
            };
            let (mut ip, mut until) = (None, None);
            if let Some(Value::Array(fields)) = fields {
                let mut it = fields.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    match (text(k).as_deref(), text(v)) {
                        (Some("ip"), Some(v)) => ip = v.parse().ok(),
                        (Some("until"), Some(v)) => until = v.parse().ok(),
                        _ => {}
                    }
                }
            }
            out.push((id, ip, until));
        }
    }
    out
}

fn text(v: Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn xread_replies_parse_and_junk_is_skipped() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("reqlog:probe:flags"),
            Value::Array(vec![
                Value::Array(vec![
                    bulk("1-0"),
                    Value::Array(vec![
                        bulk("ip"),
                        bulk("192.0.2.7"),
                        bulk("until"),
                        bulk("99"),
                    ]),
                ]),
                Value::Array(vec![bulk("2-0"), Value::Array(vec![bulk("ip")])]),
                Value::Int(3),
                Value::Array(vec![
                    bulk("3-0"),
                    Value::Array(vec![bulk("ip"), bulk("not an ip")]),
                ]),
            ]),
        ])]);
        let entries = stream_entries(reply);
        assert_eq!(
            entries,
            vec![
                ("1-0".into(), Some(IpAddr::from([192, 0, 2, 7])), Some(99)),
                ("2-0".into(), None, None),
                ("3-0".into(), None, None),
            ]
        );
        assert!(stream_entries(Value::Nil).is_empty());
    }
}
