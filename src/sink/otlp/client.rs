//! The exporter's HTTP client: ureq's agent over the sockets of [`transport`](super::transport),
//! on the exporter's thread only.
//!
//! The agent keeps connections alive between batches, looks the collector's name up
//! again for new connections (its addresses are kept 30 s at most, and forgotten
//! when none of them answers), speaks TLS through rustls
//! (the system's roots, or the CAs of a given PEM file), and goes through a proxy
//! with `CONNECT` when one is configured.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};
use ureq::Agent;

use super::endpoint::Endpoint;
use super::export::Control;
use super::transport::{Addresses, Lookup, NameLookup, TcpConnector};

/// Most bytes of response body kept (for an error message or a partial success).
const MAX_BODY: u64 = 64 * 1024;
/// How long a response body may take once the head has arrived. The status decides
/// the outcome; the body is only read for details.
const BODY_WAIT: Duration = Duration::from_secs(1);
/// How long an idle connection is kept for the next batch.
const IDLE: Duration = Duration::from_secs(15);

/// How the client is set up; all checked by the builder.
pub(super) struct ClientSettings {
    pub(super) endpoint: Endpoint,
    /// Extra headers, already validated.
    pub(super) headers: Vec<(String, String)>,
    pub(super) timeout: Duration,
    /// Trusted CAs (DER), instead of the system's; `None`: the system's.
    pub(super) roots: Option<Vec<Vec<u8>>>,
    pub(super) proxy: Option<ureq::Proxy>,
    pub(super) lookup: Lookup,
}

/// Reads the certificates of a PEM file; the error says what is wrong.
pub(super) fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c.der().to_vec()),
            Ok(_) => {}
            Err(e) => return Err(format!("it is not valid PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err("it holds no certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// What the collector answered.
#[derive(Debug)]
pub(super) struct Reply<'a> {
    pub(super) status: u16,
    /// `Retry-After` in seconds, when given.
    pub(super) retry_after: Option<Duration>,
    /// `Content-Type: application/x-protobuf`.
    pub(super) protobuf: bool,
    /// The body, at most [`MAX_BODY`] bytes of it.
    pub(super) body: &'a [u8],
}

impl Reply<'_> {
    pub(super) fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether OTLP/HTTP says to try again: 429 and 502–504 are, other failures are not
    /// (the same data would fail the same way).
    pub(super) fn retryable(&self) -> bool {
        matches!(self.status, 429 | 502 | 503 | 504)
    }
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the collector answered {}", self.status)?;
        if let Some(reason) = ureq::http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        let detail = if self.protobuf {
            super::encode::status_message(self.body)
        } else {
            Some(String::from_utf8_lossy(self.body).into_owned())
        };
        if let Some(detail) = detail {
            let detail = printable(&detail, 200);
            if !detail.is_empty() {
                write!(f, ": {detail}")?;
            }
        }
        Ok(())
    }
}

/// A request that got no answer.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) message: String,
    /// Whether sending again may pass: the network and the collector come back, a
    /// certificate the collector is not trusted with does not.
    pub(super) retryable: bool,
}

impl From<ureq::Error> for Failure {
    fn from(e: ureq::Error) -> Failure {
        use ureq::Error as E;
        // rustls reports a failed handshake (an untrusted certificate, a name it is
        // not for) through the socket's reader as invalid data; nothing else under
        // ureq does.
        let tls = match &e {
            E::Tls(_) | E::Pem(_) | E::Rustls(_) => true,
            E::Io(io) => io.kind() == std::io::ErrorKind::InvalidData,
            _ => false,
        };
        let retryable = !tls && !matches!(e, E::BadUri(_) | E::InvalidProxyUrl);
        let message = match &e {
            E::HostNotFound => "the collector's name does not resolve (yet)".to_owned(),
            _ if tls => format!("TLS failed: {e}"),
            E::Timeout(_) => format!("no answer within the timeout ({e})"),
            E::Io(io) => io.to_string(),
            _ => e.to_string(),
        };
        Failure { message, retryable }
    }
}

/// Whether an error means the peer had closed the connection.
fn closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    )
}

/// `s` on one line of printable characters, cut to `max` characters.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Sends requests to one endpoint, reusing its connections and its response buffer.
pub(super) struct Client {
    agent: Agent,
    /// Connections opened so far (counted by the connector).
    opened: Arc<AtomicU64>,
    url: String,
    headers: Vec<(String, String)>,
    response: Vec<u8>,
}

impl Client {
    pub(super) fn new(settings: ClientSettings, control: Arc<Control>) -> Client {
        let roots = match settings.roots {
            Some(certs) => RootCerts::new_with_certs(
                &certs
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
                    .collect::<Vec<_>>(),
            ),
            None => RootCerts::PlatformVerifier,
        };
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout))
            .timeout_recv_body(Some(BODY_WAIT))
            .user_agent(format!("reqlog/{}", env!("CARGO_PKG_VERSION")))
            .max_idle_age(IDLE)
            .max_idle_connections_per_host(2)
            .max_redirects(0)
            .proxy(settings.proxy)
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        // ureq's default chain, with our sockets in place of its TCP connector.
        let opened = Arc::new(AtomicU64::new(0));
        let cache = Addresses::default();
        let connector = ()
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector {
                control: control.clone(),
                opened: opened.clone(),
                cache: cache.clone(),
            })
            .chain(RustlsConnector::default());
        let resolver = NameLookup {
            control,
            lookup: settings.lookup,
            cache,
        };
        Client {
            agent: Agent::with_parts(config, connector, resolver),
            opened,
            url: settings.endpoint.url,
            headers: settings.headers,
            response: Vec::new(),
        }
    }

    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` (gzip-compressed if `gzip`) and reads the answer.
    pub(super) fn post(&mut self, body: &[u8], gzip: bool) -> Result<Reply<'_>, Failure> {
        let opened = self.opened.load(Ordering::Relaxed);
        let mut response = match self.send(body, gzip) {
            // A kept-alive connection the collector closed just as we sent (or an
            // HTTP/1.0 server's, which ureq keeps by mistake): the request was not
            // read. Send it once more on a new connection, as browsers do; this is
            // no failure of the collector.
            Err(ureq::Error::Io(e))
                if self.opened.load(Ordering::Relaxed) == opened && closed(&e) =>
            {
                self.send(body, gzip)?
            }
            other => other?,
        };
        let status = response.status().as_u16();
        let headers = response.headers();
        let protobuf = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-protobuf")
            });
        // Seconds only; the HTTP-date form falls back to our own backoff.
        let retry_after = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The status is known: the records were taken or not. The body only adds
        // details, so a body that fails or stalls is not an error. Reading it to its
        // end gives the connection back to the pool.
        self.response.clear();
        let _ = response
            .body_mut()
            .as_reader()
            .take(MAX_BODY)
            .read_to_end(&mut self.response);
        Ok(Reply {
            status,
            retry_after,
            protobuf,
            body: &self.response,
        })
    }

    fn send(
        &self,
        body: &[u8],
        gzip: bool,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/x-protobuf");
        if gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request.send(body)
    }

    /// Gives back buffers that grew past `keep` bytes.
    pub(super) fn trim(&mut self, keep: usize) {
        if self.response.capacity() > keep {
            self.response = Vec::new();
        }
    }
}
