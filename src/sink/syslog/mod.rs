//! [`Syslog`]: each record becomes one syslog message, sent to the local syslog
//! daemon's unix socket, or over UDP or TCP to a collector.
//!
//! The message is built on the request's thread — header, then the record in its
//! message format (JSON by default) — and queued; a [`NonBlocking`] worker thread sends
//! it. A request never waits on the socket.
//!
//! ```no_run
//! use reqlog::{sink::Syslog, RequestLog};
//!
//! # fn main() -> std::io::Result<()> {
//! // To the local daemon on /dev/log; keep the guard alive until the end of main.
//! let (sink, _guard) = Syslog::builder().finish()?;
//! let layer = RequestLog::new().sink(sink);
//! # Ok(()) }
//! ```
//!
//! # Messages
//!
//! Over UDP and TCP a message is [RFC 5424]:
//!
//! ```text
//! <14>1 2026-11-24T02:30:05.123456Z web1 shop 4242 http.request - {"timestamp":…,"url.path":"/",…}
//! ```
//!
//! - `PRI` is facility × 8 + severity, the severity from the record's level: `ERROR` →
//!   3 (err), `WARN` → 4 (warning), `INFO` → 6 (info), `DEBUG` → 7 (debug).
//! - `TIMESTAMP` is the record's (request start, UTC, microseconds); `PROCID` the
//!   process id; `MSGID` the record's `otel.event.name`; no structured data (`-`).
//! - `HOSTNAME`, `APP-NAME`, `PROCID` and `MSGID` keep only printable US-ASCII (other
//!   characters become `_`) and are cut at the RFC's lengths (255, 48, 128, 32).
//! - `MSG` is the record in the [message format](SyslogBuilder::msg_format), JSON by
//!   default, without its newline — for rsyslog's `mmjsonparse` (with `cookie=""`) or
//!   any collector that reads JSON.
//!
//! On a unix socket the message is, by default, what `syslog(3)` writes to `/dev/log`:
//! `<14>shop[4242]: {…}` ([`Protocol::Local`]). systemd-journald does not parse RFC
//! 5424 on `/dev/log`, and rsyslog's `imuxsock` parses it only with
//! `UseSpecialParser="off"`; sent there as RFC 5424, the app name would read `1` and
//! the message would start with the timestamp. The local daemon stamps the time and
//! its host name on arrival; the record's own timestamp is in `MSG`. Choose
//! [`Protocol::Rfc5424`] for a socket whose reader parses it.
//!
//! # Size
//!
//! A message longer than [`max_message_len`](SyslogBuilder::max_message_len) (8 KiB,
//! rsyslog's default limit) is cut at a character boundary and ends in
//! `…[truncated]`: receivers cut longer messages blindly, and rsyslog 8.2302 even
//! takes the rest of an over-long TCP frame for a second message. A datagram the
//! socket refuses as too long is halved until it passes (and later ones are cut to
//! that size), rather than lost.
//!
//! # Transports and failures
//!
//! - Unix datagram socket ([`unix`](SyslogBuilder::unix), `/dev/log` by default) and
//!   UDP ([`udp`](SyslogBuilder::udp)): one datagram per message.
//! - TCP ([`tcp`](SyslogBuilder::tcp)): RFC 6587 octet counting, `LEN SP MSG`, all the
//!   messages of a batch in one write.
//!
//! [`finish`](SyslogBuilder::finish) connects once, so a wrong address is an error at
//! start-up. Later, a send that fails reconnects and retries once, and a TCP connection
//! the daemon closed is found before the next write: a restarted daemon (new socket,
//! closed TCP connection) loses nothing, but for lines written in the instant between
//! its close and the close reaching this host's socket (TCP syslog has no
//! acknowledgements). If the daemon stays away, batches
//! fail fast while reconnection is retried with a backoff (100 ms doubling to 5 s);
//! their lines are counted by [`NonBlocking::lost_lines`] and reported on stderr. Every
//! wait — connecting (2 s), a stalled socket (5 s) — is on the worker thread; a full
//! queue drops and counts lines as any [`NonBlocking`] does.
//!
//! [RFC 5424]: https://www.rfc-editor.org/rfc/rfc5424

mod message;
mod transport;

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{NonBlocking, NonBlockingBuilder, WriterGuard};
use crate::format::{Format, JsonLines};
use message::MessageFormat;
use transport::{Target, Transport};

/// Where `Syslog::builder()` sends by default: the local daemon's socket.
const DEFAULT_SOCKET: &str = "/dev/log";
/// rsyslog's default `maxMessageSize`.
const DEFAULT_MAX_MESSAGE_LEN: usize = 8 * 1024;
/// RFC 5424 §6.1: every transport receiver accepts at least this much.
const MIN_MESSAGE_LEN: usize = 480;

/// Where a syslog sink starts: [`Syslog::builder`]. Each record becomes one syslog
/// message (RFC 5424, or the local socket's format) sent by a background thread.
///
/// There are no values of this type: the sink is a [`NonBlocking`], with its bounded
/// queue, overflow policy, counters and [`WriterGuard`].
#[derive(Debug)]
pub struct Syslog {
    _private: (),
}

impl Syslog {
    /// A builder for the local daemon's socket (`/dev/log`), facility
    /// [`Facility::User`], JSON messages.
    ///
    /// ```no_run
    /// use reqlog::sink::{Facility, Syslog};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = Syslog::builder()
    ///     .tcp("logs.example.com:601")
    ///     .app_name("shop")
    ///     .facility(Facility::Local3)
    ///     .finish()?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> SyslogBuilder {
        SyslogBuilder {
            target: Ok(Target::Unix(PathBuf::from(DEFAULT_SOCKET))),
            protocol: None,
            app_name: None,
            hostname: None,
            facility: Facility::default(),
            msg_format: Arc::new(JsonLines::new()),
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        }
    }
}

/// Builds a syslog sink: see [`Syslog::builder`].
pub struct SyslogBuilder {
    /// An address that did not resolve is kept as the error `finish` returns.
    target: io::Result<Target>,
    protocol: Option<Protocol>,
    app_name: Option<String>,
    hostname: Option<String>,
    facility: Facility,
    msg_format: Arc<dyn Format>,
    max_message_len: usize,
}

/// The header and framing of the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`. The default
    /// over UDP and TCP.
    Rfc5424,
    /// What `syslog(3)` writes to `/dev/log`: `<PRI>APP-NAME[PROCID]: MSG`, which
    /// systemd-journald and rsyslog's `imuxsock` parse. The default on a unix socket.
    Local,
}

/// The syslog facility of every message (RFC 5424 §6.2.1).
///
/// The default is [`User`](Facility::User), as for `syslog(3)`. The `Local0`–`Local7`
/// facilities are the site's to assign (HAProxy's documentation uses `local0`, for
/// instance), so reqlog does not take one unasked; choose one to route the access log
/// apart. The kernel's facility (0) is left out: local daemons reset it on messages
/// from programs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Facility {
    /// 1: user-level messages (the default).
    #[default]
    User,
    /// 2: the mail system.
    Mail,
    /// 3: system daemons.
    Daemon,
    /// 4: security and authorization.
    Auth,
    /// 5: the syslog daemon itself.
    Syslog,
    /// 6: the line printer subsystem.
    Lpr,
    /// 7: network news.
    News,
    /// 8: UUCP.
    Uucp,
    /// 9: the clock daemon.
    Cron,
    /// 10: private security and authorization.
    Authpriv,
    /// 11: the FTP daemon.
    Ftp,
    /// 12: NTP.
    Ntp,
    /// 13: log audit.
    Audit,
    /// 14: log alert.
    Alert,
    /// 15: the clock daemon (second).
    Clock,
    /// 16: for local use.
    Local0,
    /// 17: for local use.
    Local1,
    /// 18: for local use.
    Local2,
    /// 19: for local use.
    Local3,
    /// 20: for local use.
    Local4,
    /// 21: for local use.
    Local5,
    /// 22: for local use.
    Local6,
    /// 23: for local use.
    Local7,
}

impl Facility {
    /// The facility's number (`User` is 1, `Local0` is 16).
    ///
    /// ```
    /// assert_eq!(reqlog::sink::Facility::Local0.code(), 16);
    /// ```
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Mail => 2,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Syslog => 5,
            Facility::Lpr => 6,
            Facility::News => 7,
            Facility::Uucp => 8,
            Facility::Cron => 9,
            Facility::Authpriv => 10,
            Facility::Ftp => 11,
            Facility::Ntp => 12,
            Facility::Audit => 13,
            Facility::Alert => 14,
            Facility::Clock => 15,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

impl SyslogBuilder {
    /// Sends datagrams to a unix socket (default `/dev/log`); messages use
    /// [`Protocol::Local`] unless [`protocol`](Self::protocol) says otherwise.
    pub fn unix(mut self, path: impl AsRef<Path>) -> Self {
        self.target = Ok(Target::Unix(path.as_ref().to_path_buf()));
        self
    }

    /// Sends one UDP datagram per message to `addr` (resolved now; an error is returned
    /// by [`finish`](Self::finish)). Syslog's port is 514.
    ///
    /// ```no_run
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = reqlog::sink::Syslog::builder().udp("127.0.0.1:514").finish()?;
    /// # Ok(()) }
    /// ```
    pub fn udp(mut self, addr: impl ToSocketAddrs) -> Self {
        self.target = resolve(addr).map(Target::Udp);
        self
    }

    /// Sends over a TCP connection with octet counting (RFC 6587: `LEN SP MSG`), to
    /// `addr` (resolved now; an error is returned by [`finish`](Self::finish)). rsyslog's
    /// `imtcp` reads this framing on any port; 601 is the registered one.
    pub fn tcp(mut self, addr: impl ToSocketAddrs) -> Self {
        self.target = resolve(addr).map(Target::Tcp);
        self
    }

    /// The header format, whatever the transport. By default [`Protocol::Local`] on a
    /// unix socket and [`Protocol::Rfc5424`] over UDP and TCP.
    ///
    /// ```no_run
    /// use reqlog::sink::{Protocol, Syslog};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// // rsyslog: input(type="imuxsock" Socket="/run/reqlog.sock" UseSpecialParser="off")
    /// let (sink, _guard) = Syslog::builder()
    ///     .unix("/run/reqlog.sock")
    ///     .protocol(Protocol::Rfc5424)
    ///     .finish()?;
    /// # Ok(()) }
    /// ```
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// `APP-NAME` (the tag on a unix socket). Default: the executable's file name, as
    /// `syslog(3)` uses.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// `HOSTNAME` of RFC 5424 messages. Default: `/proc/sys/kernel/hostname`, else the
    /// `HOSTNAME` environment variable, else `-` (unknown). [`Protocol::Local`] sends
    /// none: the daemon adds its own.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// The facility of every message (default [`Facility::User`]).
    pub fn facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }

    /// The format of `MSG`, the part after the header (default
    /// [`JsonLines`]). The format's newline is left out; a record the format writes
    /// nothing for is not sent.
    ///
    /// ```no_run
    /// use reqlog::format::Logfmt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = reqlog::sink::Syslog::builder().msg_format(Logfmt).finish()?;
    /// # Ok(()) }
    /// ```
    pub fn msg_format(mut self, format: impl Format) -> Self {
        self.msg_format = Arc::new(format);
        self
    }

    /// The longest message in bytes, header included (default 8 KiB, rsyslog's
    /// default `maxMessageSize`; at least 480, which every receiver accepts). Longer
    /// messages are cut at a character boundary and end in `…[truncated]`; the header
    /// is never cut. Raise it to your collector's limit (syslog-ng: 64 KiB).
    pub fn max_message_len(mut self, bytes: usize) -> Self {
        self.max_message_len = bytes.max(MIN_MESSAGE_LEN);
        self
    }

    /// The whole sink: a [`NonBlocking`] worker named after the destination
    /// (`"syslog udp:127.0.0.1:514"`) sending the messages. Keep the guard alive until
    /// the end of `main`: dropping it sends what is queued.
    ///
    /// # Errors
    /// If the address did not resolve or the first connection fails (no daemon on the
    /// socket, TCP connection refused).
    pub fn finish(self) -> io::Result<(NonBlocking, WriterGuard)> {
        let name = match &self.target {
            Ok(target) => format!("syslog {target}"),
            Err(_) => "syslog".to_owned(),
        };
        self.finish_with(NonBlocking::builder().name(name))
    }

    /// The whole sink with your [`NonBlockingBuilder`]: its queue limits, overflow
    /// policy, flush interval and name. Its format is replaced by the syslog message
    /// (set `MSG`'s format with [`msg_format`](Self::msg_format)).
    ///
    /// ```no_run
    /// use reqlog::sink::{NonBlocking, Syslog};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (sink, _guard) = Syslog::builder()
    ///     .udp("127.0.0.1:514")
    ///     .finish_with(NonBlocking::builder().buffered_lines_limit(1_000).name("syslog"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`finish`](Self::finish).
    pub fn finish_with(
        self,
        builder: NonBlockingBuilder,
    ) -> io::Result<(NonBlocking, WriterGuard)> {
        let target = self.target?;
        let protocol = self.protocol.unwrap_or(match target {
            Target::Unix(_) => Protocol::Local,
            Target::Udp(_) | Target::Tcp(_) => Protocol::Rfc5424,
        });
        let format = MessageFormat {
            inner: self.msg_format,
            protocol,
            facility: self.facility,
            hostname: self.hostname.unwrap_or_else(default_hostname),
            app_name: self.app_name.unwrap_or_else(default_app_name),
            procid: std::process::id().to_string(),
            max_len: self.max_message_len,
        }
        .build();
        let transport = Transport::connect(target)?;
        Ok(builder.format(format).finish(transport))
    }

    /// Renamed to [`finish`](Self::finish), the word every sink builder ends in.
    #[deprecated(since = "0.1.0", note = "renamed to `finish`")]
    pub fn sink(self) -> io::Result<(NonBlocking, WriterGuard)> {
        self.finish()
    }

    /// Renamed to [`finish_with`](Self::finish_with), the word every sink builder
    /// ends in.
    #[deprecated(since = "0.1.0", note = "renamed to `finish_with`")]
    pub fn sink_with(self, builder: NonBlockingBuilder) -> io::Result<(NonBlocking, WriterGuard)> {
        self.finish_with(builder)
    }
}

impl fmt::Debug for SyslogBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target: Cow<'_, str> = match &self.target {
            Ok(target) => target.to_string().into(),
            Err(e) => format!("error: {e}").into(),
        };
        f.debug_struct("SyslogBuilder")
            .field("target", &target)
            .field("protocol", &self.protocol)
            .field("app_name", &self.app_name)
            .field("hostname", &self.hostname)
            .field("facility", &self.facility)
            .field("msg_format", &self.msg_format.name())
            .field("max_message_len", &self.max_message_len)
            .finish()
    }
}

fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the syslog address resolved to no address",
        ));
    }
    Ok(addrs)
}

/// The kernel's host name, else `$HOSTNAME`, else `-` (RFC 5424's "unknown").
fn default_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "-".to_owned())
}

/// The executable's file name as it was started (`argv[0]`), as `syslog(3)` uses.
fn default_app_name() -> String {
    super::program_name().unwrap_or_else(|| "-".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_transport() {
        let b = Syslog::builder();
        assert!(matches!(&b.target, Ok(Target::Unix(p)) if p == Path::new("/dev/log")));
        assert_eq!(b.facility, Facility::User);
        assert_eq!(b.max_message_len, 8192);
        assert_eq!(Syslog::builder().max_message_len(10).max_message_len, 480);
        let udp = Syslog::builder().udp("127.0.0.1:514");
        assert!(matches!(&udp.target, Ok(Target::Udp(a)) if a[0].port() == 514));
        let bad = Syslog::builder().tcp("no port here");
        assert!(bad.target.is_err());
        assert!(bad.finish().is_err());
    }

    #[test]
    fn facility_codes_follow_the_rfc() {
        assert_eq!(Facility::User.code(), 1);
        assert_eq!(Facility::Authpriv.code(), 10);
        assert_eq!(Facility::Clock.code(), 15);
        assert_eq!(Facility::Local7.code(), 23);
    }

    #[test]
    fn default_names_are_never_empty() {
        let app = default_app_name();
        assert!(!app.is_empty());
        let exe = std::env::current_exe().unwrap();
        assert_eq!(app, exe.file_name().unwrap().to_string_lossy());
        assert!(!default_hostname().is_empty());
    }
}
