//! Sending, on the writer's thread only: one datagram per message on a unix socket or
//! UDP, octet-counted frames on TCP; reconnection with a backoff.
//!
//! The [`NonBlocking`](crate::sink::NonBlocking) worker hands a batch of whole
//! `\n`-terminated lines to one `write` call; each line is one message. A `write` either
//! sends the whole batch (`Ok`) or fails, and the worker counts the batch's lines as
//! lost — an upper bound when a failure came part way through.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::message::{char_boundary, MARKER};

/// Longest wait for a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a socket that does not take a message (a stalled daemon).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// First and longest wait before reconnecting after a failed attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP header bytes).
const MAX_UDP_PAYLOAD: usize = 65_507;
/// A datagram refused as too long is halved down to this size at most.
const MIN_DATAGRAM: usize = 480;

/// `EMSGSIZE`: the datagram is larger than the socket allows (std has no `ErrorKind`).
#[cfg(any(target_os = "linux", target_os = "android"))]
const EMSGSIZE: i32 = 90;
#[cfg(any(target_os = "solaris", target_os = "illumos"))]
const EMSGSIZE: i32 = 97;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "solaris",
    target_os = "illumos"
)))]
const EMSGSIZE: i32 = 40; // macOS and the BSDs

/// Where messages go.
#[derive(Debug)]
pub(super) enum Target {
    Unix(PathBuf),
    Udp(Vec<SocketAddr>),
    Tcp(Vec<SocketAddr>),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
            Target::Udp(addrs) => write!(f, "udp:{}", First(addrs)),
            Target::Tcp(addrs) => write!(f, "tcp:{}", First(addrs)),
        }
    }
}

/// The first address, the one named in messages.
struct First<'a>(&'a [SocketAddr]);

impl fmt::Display for First<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.first() {
            Some(addr) => addr.fmt(f),
            None => f.write_str("-"),
        }
    }
}

enum Conn {
    Unix(UnixDatagram),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

/// The writer behind the worker.
pub(super) struct Transport {
    target: Target,
    conn: Option<Conn>,
    /// When the next connection attempt may be made, after a failed one.
    retry_at: Option<Instant>,
    backoff: Duration,
    last_error: String,
    /// Datagrams are cut to this size: the transport's limit, or the size that passed
    /// after the socket refused a longer one.
    datagram_limit: usize,
    /// A cut datagram, or a batch of TCP frames.
    buf: Vec<u8>,
    /// Where each TCP frame starts in `buf`.
    frame_starts: Vec<usize>,
}

impl Transport {
    /// Connects now, so a wrong address or a missing daemon is an error at start-up.
    pub(super) fn connect(target: Target) -> io::Result<Transport> {
        let conn = open(&target).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot connect to syslog at {target}: {e}"),
            )
        })?;
        Ok(Transport {
            datagram_limit: match target {
                Target::Udp(_) => MAX_UDP_PAYLOAD,
                Target::Unix(_) | Target::Tcp(_) => usize::MAX,
            },
            target,
            conn: Some(conn),
            retry_at: None,
            backoff: FIRST_BACKOFF,
            last_error: String::new(),
            buf: Vec::new(),
            frame_starts: Vec::new(),
        })
    }

    /// The connection, made again if it is gone and no backoff is running.
    fn conn(&mut self) -> io::Result<&mut Conn> {
        if let Some(Conn::Tcp(stream)) = &mut self.conn {
            if peer_closed(stream) {
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            if let Some(at) = self.retry_at {
                let wait = at.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotConnected,
                        format!(
                            "not connected to syslog at {} (next attempt in {} ms; last error: {})",
                            self.target,
                            wait.as_millis(),
                            self.last_error
                        ),
                    ));
                }
            }
            match open(&self.target) {
                Ok(conn) => {
                    self.retry_at = None;
                    self.backoff = FIRST_BACKOFF;
                    return Ok(self.conn.insert(conn));
                }
                Err(e) => {
                    self.retry_at = Some(Instant::now() + self.backoff);
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    self.last_error = e.to_string();
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot reconnect to syslog at {}: {e}", self.target),
                    ));
                }
            }
        }
        self.conn
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    fn send_datagrams(&mut self, batch: &[u8]) -> io::Result<()> {
        for msg in messages(batch) {
            self.send_datagram(msg)?;
        }
        Ok(())
    }

    /// Sends one datagram. A send error reconnects and retries once (a restarted
    /// daemon has a new socket; a UDP send reports an earlier datagram's ICMP error);
    /// a datagram refused as too long is halved until it passes.
    fn send_datagram(&mut self, msg: &[u8]) -> io::Result<()> {
        let mut len = msg.len().min(self.datagram_limit);
        let mut retried = false;
        loop {
            let result = if len < msg.len() {
                let mut buf = std::mem::take(&mut self.buf);
                buf.clear();
                let cut = char_boundary(msg, len.saturating_sub(MARKER.len()), 0);
                buf.extend_from_slice(&msg[..cut]);
                buf.extend_from_slice(MARKER);
                let result = self.send_one(&buf);
                self.buf = buf;
                result
            } else {
                self.send_one(msg)
            };
            match result {
                Ok(()) => {
                    if len < msg.len() {
                        self.datagram_limit = len;
                    }
                    return Ok(());
                }
                Err(e) if e.raw_os_error() == Some(EMSGSIZE) && len > MIN_DATAGRAM => {
                    len = (len / 2).max(MIN_DATAGRAM);
                }
                Err(_) if !retried => {
                    retried = true;
                    self.conn = None;
                }
                Err(e) => {
                    self.conn = None;
                    return Err(e);
                }
            }
        }
    }

    fn send_one(&mut self, datagram: &[u8]) -> io::Result<()> {
        let sent = match self.conn()? {
            Conn::Unix(socket) => socket.send(datagram)?,
            Conn::Udp(socket) => socket.send(datagram)?,
            Conn::Tcp(_) => return Err(io::Error::other("a stream is not a datagram socket")),
        };
        if sent < datagram.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the datagram was sent in part",
            ));
        }
        Ok(())
    }

    /// Writes the batch as octet-counted frames in one go. If the connection breaks,
    /// the frames the kernel took whole are not sent again (no duplicates); the rest,
    /// from the frame that was cut, go over a new connection, once.
    fn send_frames(&mut self, batch: &[u8]) -> io::Result<()> {
        self.buf.clear();
        self.frame_starts.clear();
        for msg in messages(batch) {
            self.frame_starts.push(self.buf.len());
            frame(&mut self.buf, msg);
        }
        let frames = std::mem::take(&mut self.buf);
        let result = self.write_frames(&frames);
        self.buf = frames;
        result
    }

    fn write_frames(&mut self, frames: &[u8]) -> io::Result<()> {
        let mut from = 0;
        let mut retried = false;
        while from < frames.len() {
            let Conn::Tcp(stream) = self.conn()? else {
                return Err(io::Error::other("a datagram socket is not a stream"));
            };
            match write_from(stream, frames, from) {
                Ok(()) => return Ok(()),
                Err((at, e)) => {
                    self.conn = None;
                    if retried {
                        return Err(e);
                    }
                    retried = true;
                    let frame = self.frame_starts.partition_point(|&s| s <= at);
                    from = self.frame_starts[frame.saturating_sub(1)];
                }
            }
        }
        Ok(())
    }
}

impl Write for Transport {
    fn write(&mut self, batch: &[u8]) -> io::Result<usize> {
        match self.target {
            Target::Tcp(_) => self.send_frames(batch)?,
            Target::Unix(_) | Target::Udp(_) => self.send_datagrams(batch)?,
        }
        Ok(batch.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Every write sends everything it was given.
        Ok(())
    }
}

/// The messages of a batch: its lines, without newlines and empty lines.
fn messages(batch: &[u8]) -> impl Iterator<Item = &[u8]> {
    batch.split(|&b| b == b'\n').filter(|m| !m.is_empty())
}

/// RFC 6587 octet counting: `LEN SP MSG`.
pub(super) fn frame(out: &mut Vec<u8>, msg: &[u8]) {
    out.extend_from_slice(msg.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(msg);
}

/// Writes `buf[from..]`; on error, says how far the kernel took it.
fn write_from(
    stream: &mut TcpStream,
    buf: &[u8],
    mut from: usize,
) -> Result<(), (usize, io::Error)> {
    while from < buf.len() {
        match stream.write(&buf[from..]) {
            Ok(0) => return Err((from, io::ErrorKind::WriteZero.into())),
            Ok(n) => from += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((from, e)),
        }
    }
    Ok(())
}

/// Whether the collector closed the connection. Syslog receivers never send, so a
/// readable end of stream means a restart or an idle timeout: found before writing, it
/// costs no message (a write into a half-closed connection would vanish).
fn peer_closed(stream: &mut TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut scratch = [0u8; 256];
    let closed = loop {
        match stream.read(&mut scratch) {
            Ok(0) => break true,
            Ok(_) => continue, // unexpected data: drain it
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break true,
        }
    };
    closed || stream.set_nonblocking(false).is_err()
}

fn open(target: &Target) -> io::Result<Conn> {
    match target {
        Target::Unix(path) => {
            let socket = UnixDatagram::unbound()?;
            socket.connect(path)?;
            socket.set_write_timeout(Some(SEND_TIMEOUT))?;
            Ok(Conn::Unix(socket))
        }
        Target::Udp(addrs) => first_ok(addrs, |addr| {
            let local: SocketAddr = match addr {
                SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let socket = UdpSocket::bind(local)?;
            socket.connect(addr)?;
            socket.set_write_timeout(Some(SEND_TIMEOUT))?;
            Ok(Conn::Udp(socket))
        }),
        Target::Tcp(addrs) => first_ok(addrs, |addr| {
            let stream = TcpStream::connect_timeout(addr, CONNECT_TIMEOUT)?;
            // Batches are written whole; Nagle would only delay their last segment.
            stream.set_nodelay(true)?;
            stream.set_write_timeout(Some(SEND_TIMEOUT))?;
            Ok(Conn::Tcp(stream))
        }),
    }
}

/// The first address that connects, or the last error.
fn first_ok(addrs: &[SocketAddr], f: impl Fn(&SocketAddr) -> io::Result<Conn>) -> io::Result<Conn> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address");
    for addr in addrs {
        match f(addr) {
            Ok(conn) => return Ok(conn),
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_counting_counts_bytes() {
        let mut out = Vec::new();
        frame(&mut out, b"<14>1 - - - - - hi");
        frame(&mut out, "é".as_bytes());
        assert_eq!(out, "18 <14>1 - - - - - hi2 é".as_bytes());
    }

    #[test]
    fn a_batch_splits_into_its_lines() {
        let batch = b"one\ntwo\n\nthree\n";
        let all: Vec<&[u8]> = messages(batch).collect();
        assert_eq!(all, [&b"one"[..], b"two", b"three"]);
    }

    #[test]
    fn each_line_is_one_datagram_and_too_long_ones_are_cut() {
        let dir = std::env::temp_dir().join(format!("reqlog-syslog-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let _ = std::fs::remove_file(&path);
        let receiver = UnixDatagram::bind(&path).unwrap();
        let mut t = Transport::connect(Target::Unix(path.clone())).unwrap();
        t.write_all(b"<14>a[1]: one\n<14>a[1]: two\n").unwrap();
        // Far beyond the kernel's limit for one unix datagram (its send buffer).
        let big = format!("<14>a[1]: {}\n", "é".repeat(1 << 20));
        t.write_all(big.as_bytes()).unwrap();
        let mut buf = vec![0u8; 4 << 20];
        let mut next = || {
            let n = receiver.recv(&mut buf).unwrap();
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        assert_eq!(next(), "<14>a[1]: one");
        assert_eq!(next(), "<14>a[1]: two");
        let cut = next();
        assert!(
            cut.len() < big.len() && cut.len() >= MIN_DATAGRAM,
            "{}",
            cut.len()
        );
        assert!(cut.ends_with("é…[truncated]"));
        // Later messages are cut to the size that passed, without a refused attempt.
        assert!(t.datagram_limit >= cut.len() && t.datagram_limit - cut.len() < 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_daemon_is_an_error_then_a_backoff() {
        let path = std::env::temp_dir().join("reqlog-syslog-unit-nobody-listens.sock");
        assert!(Transport::connect(Target::Unix(path.clone())).is_err());
        let dir = std::env::temp_dir().join(format!("reqlog-syslog-unit-b-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let _ = std::fs::remove_file(&path);
        let receiver = UnixDatagram::bind(&path).unwrap();
        let mut t = Transport::connect(Target::Unix(path.clone())).unwrap();
        drop(receiver);
        std::fs::remove_file(&path).unwrap();
        let e = t.write_all(b"lost\n").unwrap_err();
        assert!(e.to_string().contains("cannot reconnect"), "{e}");
        let e = t.write_all(b"lost\n").unwrap_err();
        assert!(e.to_string().contains("next attempt in"), "{e}");
        // The daemon is back: the next attempt after the backoff gets through.
        let receiver = UnixDatagram::bind(&path).unwrap();
        std::thread::sleep(FIRST_BACKOFF);
        t.write_all(b"back\n").unwrap();
        let mut buf = [0u8; 16];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"back");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
