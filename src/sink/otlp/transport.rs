//! The sockets under ureq: name lookups and TCP connections that end when the request's
//! timeout passes *or* when the shutdown deadline does, even if it is set while they
//! wait (the guard dropped during an export to a stalled collector).
//!
//! ureq gives each wait its own timeout, known when the wait starts; a deadline set
//! later would not be seen. So every wait here is cut into slices and the shutdown
//! deadline is checked between them. The name is looked up again for each new
//! connection, so a collector that moves, or whose name appears only after the start,
//! is found.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};
use ureq::Error;

use super::export::Control;

/// Longest single socket wait: how late a deadline set meanwhile is noticed.
const IO_SLICE: Duration = Duration::from_millis(50);
/// Longest single connection attempt. A connect cannot be resumed, so a longer attempt
/// is retried; this is also how late a deadline is noticed while connecting.
pub(super) const CONNECT_SLICE: Duration = Duration::from_secs(1);

/// How long the addresses of a name are reused. ureq looks the name up for every
/// request, even one that goes on a kept-alive connection; without this, each batch
/// would cost a lookup (several DNS queries with search domains).
const ADDRESSES_KEPT: Duration = Duration::from_secs(30);

/// The last addresses looked up: the host, the port, when, and the addresses. Cleared
/// when no connection to them can be made, so that a collector that moved is looked
/// up again at once.
pub(super) type Addresses = Arc<std::sync::Mutex<Option<(String, u16, Instant, Vec<SocketAddr>)>>>;

/// How a host name becomes addresses; replaced in tests to make a name appear later.
pub(super) type Lookup = Arc<dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync>;

/// The system's resolver (`getaddrinfo`: `/etc/hosts`, DNS…).
pub(super) fn system_lookup() -> Lookup {
    Arc::new(|host, port| Ok((host, port).to_socket_addrs()?.collect()))
}

/// When a wait must end: the end of ureq's timeout for it, or the shutdown deadline.
struct Until<'a> {
    end: Option<Instant>,
    control: &'a Control,
}

impl<'a> Until<'a> {
    fn new(timeout: NextTimeout, control: &'a Control) -> Until<'a> {
        let end = timeout
            .not_zero()
            .and_then(|d| Instant::now().checked_add(*d));
        Until { end, control }
    }

    /// The next slice of at most `longest`, or the error that ends the wait.
    fn slice(&self, longest: Duration, timeout: &NextTimeout) -> Result<Duration, Error> {
        let now = Instant::now();
        if self.control.deadline().is_some_and(|d| d <= now) {
            return Err(shutting_down());
        }
        let mut left = longest;
        if let Some(end) = self.end {
            left = left.min(end.saturating_duration_since(now));
        }
        if let Some(d) = self.control.deadline() {
            left = left.min(d.saturating_duration_since(now));
        }
        if left.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        Ok(left)
    }
}

fn shutting_down() -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        "shutting down: out of time",
    ))
}

/// Looks the collector's (or the proxy's) name up for each new connection, on a helper
/// thread so that the wait can be cut: `getaddrinfo` itself cannot be.
pub(super) struct NameLookup {
    pub(super) control: Arc<Control>,
    pub(super) lookup: Lookup,
    pub(super) cache: Addresses,
}

impl Resolver for NameLookup {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let host = uri
            .host()
            .ok_or_else(|| Error::BadUri(format!("{uri} has no host")))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let default_port = if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        };
        let port = uri.port_u16().unwrap_or(default_port);
        let mut out = self.empty();
        // An address needs no lookup.
        if let Ok(ip) = host.parse::<IpAddr>() {
            out.push(SocketAddr::new(ip, port));
            return Ok(out);
        }
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.as_ref().and_then(|(h, p, at, addrs)| {
                (h == host && *p == port && at.elapsed() < ADDRESSES_KEPT).then(|| addrs.clone())
            })
        };
        if let Some(addrs) = cached {
            for addr in addrs {
                out.push(addr);
            }
            return Ok(out);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let (lookup, name) = (self.lookup.clone(), host.to_owned());
        std::thread::Builder::new()
            .name("reqlog-otlp-dns".into())
            .spawn(move || {
                let _ = tx.send(lookup(&name, port));
            })
            .map_err(Error::Io)?;
        let until = Until::new(timeout, &self.control);
        let addrs = loop {
            match rx.recv_timeout(until.slice(IO_SLICE, &timeout)?) {
                Ok(result) => break result.map_err(Error::Io)?,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(Error::HostNotFound),
            }
        };
        // ureq holds at most 16 addresses; `push` past that would panic.
        for addr in addrs.iter().take(16) {
            out.push(*addr);
        }
        if out.is_empty() {
            return Err(Error::HostNotFound);
        }
        let kept = out.to_vec();
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((host.to_owned(), port, Instant::now(), kept));
        Ok(out)
    }
}

impl fmt::Debug for NameLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameLookup").finish_non_exhaustive()
    }
}

/// Opens TCP connections to the looked-up addresses, in slices; the first link of the
/// chain, before the proxy's CONNECT and TLS.
#[derive(Debug)]
pub(super) struct TcpConnector {
    pub(super) control: Arc<Control>,
    /// Connections opened, to tell a request on a kept-alive connection from one on a
    /// new connection.
    pub(super) opened: Arc<AtomicU64>,
    /// The resolver's addresses, forgotten when none of them answers.
    pub(super) cache: Addresses,
}

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(transport) = chained {
            // A connection made before us in the chain (the tunnel through a proxy).
            return Ok(Some(Either::A(transport)));
        }
        let until = Until::new(details.timeout, &self.control);
        let mut last = None;
        for addr in details.addrs.iter() {
            loop {
                let slice = until.slice(CONNECT_SLICE, &details.timeout)?;
                match TcpStream::connect_timeout(addr, slice) {
                    Ok(stream) => {
                        self.opened.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nodelay(true);
                        let config = details.config;
                        let buffers = LazyBuffers::new(
                            config.input_buffer_size(),
                            config.output_buffer_size(),
                        );
                        return Ok(Some(Either::B(TcpTransport {
                            stream,
                            buffers,
                            control: self.control.clone(),
                        })));
                    }
                    // A slice ran out: try again while the deadline allows.
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                    Err(e) => {
                        last = Some(e);
                        break;
                    }
                }
            }
        }
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Err(Error::Io(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no address to connect to")
        })))
    }
}

/// A TCP connection whose every wait is cut into slices.
pub(super) struct TcpTransport {
    stream: TcpStream,
    buffers: LazyBuffers,
    control: Arc<Control>,
}

/// Whether a socket error only means "nothing yet": a slice ran out or a signal came.
fn waiting(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let until = Until::new(timeout, &self.control);
        let mut sent = 0;
        while sent < amount {
            let slice = until.slice(IO_SLICE, &timeout)?;
            self.stream.set_write_timeout(Some(slice))?;
            match self.stream.write(&self.buffers.output()[sent..amount]) {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => sent += n,
                Err(e) if waiting(&e) => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let until = Until::new(timeout, &self.control);
        loop {
            let slice = until.slice(IO_SLICE, &timeout)?;
            self.stream.set_read_timeout(Some(slice))?;
            match self.stream.read(self.buffers.input_append_buf()) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if waiting(&e) => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// Whether a pooled connection can carry the next request: nothing to read and not
    /// closed by the collector meanwhile.
    fn is_open(&mut self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8];
        let open =
            matches!(self.stream.read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        open && self.stream.set_nonblocking(false).is_ok()
    }
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicBool, AtomicUsize};

    use super::*;
    use crate::sink::{Otlp, Sink};
    use crate::Record;

    /// An OTLP/HTTP collector on loopback that answers every request 200 and keeps
    /// connections alive; counts connections and requests.
    fn collector() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (connections, requests) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, r) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                std::thread::spawn(move || {
                    let mut writer = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut len = 0;
                        loop {
                            let mut line = String::new();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let line = line.trim_end().to_ascii_lowercase();
                            if line.is_empty() {
                                break;
                            }
                            if let Some(v) = line.strip_prefix("content-length:") {
                                len = v.trim().parse().unwrap();
                            }
                        }
                        let mut body = vec![0; len];
                        reader.read_exact(&mut body).unwrap();
                        r.fetch_add(1, Ordering::SeqCst);
                        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                        if writer.write_all(answer).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (port, connections, requests)
    }

    fn wait_until(mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A name that resolves only after the start: the batch is retried, the name looked
    /// up again on each attempt, and once it resolves the records arrive. Later batches
    /// reuse the connection: no new lookup, no new connection.
    #[test]
    fn a_name_that_resolves_later_is_found_and_its_connection_kept() {
        let (port, connections, requests) = collector();
        let known = Arc::new(AtomicBool::new(false));
        let lookups = Arc::new(AtomicUsize::new(0));
        let (k, l) = (known.clone(), lookups.clone());
        let lookup: Lookup = Arc::new(move |host, p| {
            l.fetch_add(1, Ordering::SeqCst);
            assert_eq!((host, p), ("collector.test", port));
            if k.load(Ordering::SeqCst) {
                Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
            } else {
                Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such host (yet)",
                ))
            }
        });
        let (otlp, guard) = Otlp::builder()
            .endpoint(format!("http://collector.test:{port}"))
            .read_env(false)
            .lookup(lookup)
            .max_retries(1_000)
            .flush_interval(Duration::from_millis(10))
            .finish()
            .expect("nothing is looked up at the start");
        assert_eq!(lookups.load(Ordering::SeqCst), 0);
        for i in 0..3u64 {
            otlp.emit(&Record::event("later.test").with("i", i));
        }
        wait_until(|| otlp.export_errors() >= 2);
        assert!(lookups.load(Ordering::SeqCst) >= 2, "looked up per attempt");
        known.store(true, Ordering::SeqCst);
        wait_until(|| otlp.exported_records() == 3);
        let (looked_up, errors) = (lookups.load(Ordering::SeqCst), otlp.export_errors());
        assert_eq!(otlp.lost_records(), 0);

        for round in 0..3u64 {
            otlp.emit(&Record::event("later.again").with("round", round));
            wait_until(|| otlp.exported_records() == 4 + round);
        }
        assert!(guard.flush());
        assert_eq!(requests.load(Ordering::SeqCst), 4);
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "one kept-alive connection"
        );
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            looked_up,
            "no lookup for a kept connection"
        );
        assert_eq!(otlp.export_errors(), errors);
        assert!(otlp.describe().contains("collector.test"));
    }
}
