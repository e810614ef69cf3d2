//! The OTLP sink against a collector over TLS, with a certificate authority made at
//! test time (rcgen), a rustls server on 127.0.0.1, and every request decoded with the
//! official protobuf definitions (the `opentelemetry-proto` crate). Also: a collector
//! that is down and then up, a name that does not resolve, and the
//! `OTEL_EXPORTER_OTLP_*` environment with a proxy from `https_proxy` (in a child
//! process, so that no test changes this process's environment).
#![cfg(feature = "otlp")]

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use reqlog::sink::{Otlp, OtlpGuard, Sink};
use reqlog::{Record, RequestLog};
use support::*;
use tokio_rustls::rustls;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

/// A certificate authority made for one test, and its certificate in a PEM file.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem_file: PathBuf,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("reqlog test CA {name}"));
        let cert = params.self_signed(&key).unwrap();
        let pem_file =
            std::env::temp_dir().join(format!("reqlog-otlp-ca-{name}-{}.pem", std::process::id()));
        std::fs::write(&pem_file, cert.pem()).unwrap();
        Ca {
            issuer: Issuer::new(params, key),
            pem_file,
        }
    }

    /// A server configuration with a certificate for `localhost` and 127.0.0.1.
    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        // ring is the one provider in the tree (ureq's and tokio-rustls's feature).
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        Arc::new(config)
    }
}

impl Drop for Ca {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_file);
    }
}

/// One request the collector took, decoded.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: HashMap<String, String>,
    request: ExportLogsServiceRequest,
    /// Which connection (1, 2…) carried it.
    connection: usize,
}

/// An OTLP/HTTP collector over TLS: keeps connections alive, answers 200 with an empty
/// `ExportLogsServiceResponse`, keeps what it decoded.
struct TlsCollector {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    handshakes_failed: Arc<AtomicUsize>,
}

impl TlsCollector {
    fn start(port: u16, ca: &Ca) -> TlsCollector {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = ca.server_config();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let connections: Arc<AtomicUsize> = Arc::default();
        let handshakes_failed: Arc<AtomicUsize> = Arc::default();
        let (s, c, h) = (seen.clone(), connections.clone(), handshakes_failed.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                let (config, seen, failed) = (config.clone(), s.clone(), h.clone());
                std::thread::spawn(move || serve(stream, config, n, &seen, &failed));
            }
        });
        TlsCollector {
            port,
            seen,
            connections,
            handshakes_failed,
        }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}/v1/logs", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn records(&self) -> Vec<LogRecord> {
        self.seen()
            .iter()
            .flat_map(|s| &s.request.resource_logs)
            .flat_map(|rl| &rl.scope_logs)
            .flat_map(|sl| sl.log_records.clone())
            .collect()
    }

    /// Waits until `n` records arrived and the exporter has dealt with everything.
    fn wait_for_records(&self, n: usize, guard: &OtlpGuard) -> Vec<LogRecord> {
        let deadline = Instant::now() + WAIT;
        loop {
            let flushed = guard.flush();
            let records = self.records();
            if flushed && records.len() >= n {
                return records;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} records arrived",
                records.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One connection: TLS, then HTTP/1.1 requests until the client closes.
fn serve(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    connection: usize,
    seen: &Mutex<Vec<Seen>>,
    handshakes_failed: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let tls = rustls::ServerConnection::new(config).unwrap();
    let mut tls = rustls::StreamOwned::new(tls, stream);
    if let Err(_e) = tls.conn.complete_io(&mut tls.sock) {
        handshakes_failed.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let mut reader = BufReader::new(tls);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let len: usize = headers["content-length"].parse().unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
            body = plain;
        }
        let request = ExportLogsServiceRequest::decode(&body[..])
            .expect("the official definitions decode the request");
        assert_eq!(
            request.encode_to_vec(),
            body,
            "canonical protobuf: re-encodes to the same bytes"
        );
        seen.lock().unwrap().push(Seen {
            path,
            headers,
            request,
            connection,
        });
        let tls = reader.get_mut();
        let answer =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        if tls.write_all(answer).and_then(|_| tls.flush()).is_err() {
            return;
        }
    }
}

fn attributes(kvs: &[KeyValue]) -> HashMap<&str, &AnyValue> {
    kvs.iter()
        .filter_map(|kv| Some((kv.key.as_str(), kv.value.as_ref()?.value.as_ref()?)))
        .collect()
}

fn string<'a>(v: Option<&&'a AnyValue>) -> &'a str {
    match v {
        Some(AnyValue::StringValue(s)) => s,
        other => panic!("not a string: {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A loopback port with nothing listening on it (for now).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Requests through `RequestLog` and a real server reach a collector over TLS that
/// only the given CA vouches for; the official definitions decode every record, its
/// attributes and its trace; batches one after another share one connection.
#[tokio::test(flavor = "multi_thread")]
async fn a_tls_collector_gets_every_record_decoded_by_the_official_definitions() {
    let ca = Ca::new("records");
    let collector = TlsCollector::start(0, &ca);
    let (otlp, guard) = Otlp::builder()
        .endpoint(collector.url())
        .certificate(&ca.pem_file)
        .read_env(false)
        .service_name("tls-test")
        .header("authorization", "Bearer t0ken")
        .flush_interval(Duration::from_millis(20))
        .finish()
        .unwrap();
    let app = Router::new()
        .route("/courses/{id}", get(|| async { "course" }))
        .layer(RequestLog::new().sink(otlp.clone()));
    let addr = serve_axum(app).await;
    let n = 5;
    for i in 0..n {
        let (status, _) = fetch(
            addr,
            &format!(
                "/courses/{i} HTTP/1.1\r\ntraceparent: 00-{TRACE_ID}-{SPAN_ID}-01\r\nX-Request-Id: r-{i}"
            ),
        )
        .await;
        assert_eq!(status, 200);
        // One batch per request: each waits for the previous to be taken.
        let records = tokio::task::block_in_place(|| collector.wait_for_records(i + 1, &guard));
        assert_eq!(records.len(), i + 1);
    }
    drop(guard);
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.lost_records(),
            otlp.dropped_records(),
            otlp.export_errors()
        ),
        (n as u64, 0, 0, 0)
    );

    let seen = collector.seen();
    assert_eq!(seen.len(), n, "one request per batch");
    assert_eq!(
        collector.connections.load(Ordering::SeqCst),
        1,
        "the batches share one kept-alive connection"
    );
    assert!(seen.iter().all(|s| s.connection == 1));
    for s in &seen {
        assert_eq!(s.path, "/v1/logs");
        assert_eq!(s.headers["content-type"], "application/x-protobuf");
        assert_eq!(s.headers["authorization"], "Bearer t0ken");
        assert!(s.headers["user-agent"].starts_with("reqlog/"));
        let rl = &s.request.resource_logs;
        assert_eq!(rl.len(), 1);
        let resource = attributes(&rl[0].resource.as_ref().unwrap().attributes);
        assert_eq!(string(resource.get("service.name")), "tls-test");
        let scope = rl[0].scope_logs[0].scope.as_ref().unwrap();
        assert_eq!(scope.name, "reqlog");
    }
    let records = collector.records();
    let mut paths: Vec<&str> = Vec::new();
    for r in &records {
        assert_eq!(r.event_name, "http.request");
        assert_eq!(r.severity_text, "INFO");
        assert_eq!(r.severity_number, 9);
        assert_eq!(hex(&r.trace_id), TRACE_ID, "the request's trace");
        assert_eq!(hex(&r.span_id), SPAN_ID);
        let a = attributes(&r.attributes);
        assert_eq!(string(a.get("http.request.method")), "GET");
        assert!(matches!(
            a.get("http.response.status_code"),
            Some(AnyValue::IntValue(200))
        ));
        assert!(matches!(
            a.get("duration_ms"),
            Some(AnyValue::DoubleValue(_))
        ));
        assert!(!a.contains_key("trace_id"), "the trace is not an attribute");
        paths.push(string(a.get("url.path")));
    }
    let want: Vec<String> = (0..n).map(|i| format!("/courses/{i}")).collect();
    assert_eq!(paths, want, "each once, in order");
}

/// Without the CA, the system's roots do not vouch for the collector: the batch fails
/// once, is not retried (the same certificate would fail the same way), and its
/// records are counted as lost.
#[test]
fn an_untrusted_certificate_fails_once_and_counts() {
    let ca = Ca::new("untrusted");
    let collector = TlsCollector::start(0, &ca);
    let (otlp, guard) = Otlp::builder()
        .endpoint(collector.url())
        .read_env(false)
        .flush_interval(Duration::from_secs(60))
        .finish()
        .unwrap();
    for i in 0..3u64 {
        otlp.emit(&Record::event("untrusted.test").with("i", i));
    }
    assert!(guard.flush());
    // One failure per batch, never retried. Usually one batch; two or three when the
    // exporter took the first records before the rest were queued (its thread starts
    // while they are emitted).
    let errors = otlp.export_errors();
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (0, 3));
    assert!((1..=3).contains(&errors), "{errors} export errors");
    assert!(collector.seen().is_empty());
    // The collector counts the refused handshake on its own thread, maybe after the
    // client has given up: wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while collector.handshakes_failed.load(Ordering::SeqCst) == 0
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(collector.handshakes_failed.load(Ordering::SeqCst) >= 1);
}

/// Down, then up: the batch under way is retried until the collector answers, the
/// records queued meanwhile follow, and what the full queue dropped is counted
/// exactly and reported in a `reqlog.dropped` record. Nothing else is lost.
#[test]
fn a_collector_down_then_up_gets_everything_but_the_counted_drops() {
    let ca = Ca::new("down-up");
    let port = closed_port();
    let (otlp, guard) = Otlp::builder()
        .endpoint(format!("https://localhost:{port}/v1/logs"))
        .certificate(&ca.pem_file)
        .read_env(false)
        .max_retries(1_000)
        .buffered_records_limit(10)
        .flush_interval(Duration::from_millis(10))
        .finish()
        .unwrap();
    for i in 0..5u64 {
        otlp.emit(&Record::event("down.first").with("i", i));
    }
    // The exporter has taken the five and is retrying them: the queue is empty.
    wait_until(|| otlp.export_errors() >= 2);
    for i in 0..20u64 {
        otlp.emit(&Record::event("down.queued").with("i", i));
    }
    assert_eq!(otlp.dropped_records(), 10, "10 queued, 10 dropped");

    let collector = TlsCollector::start(port, &ca);
    let records = collector.wait_for_records(16, &guard);
    let names: Vec<&str> = records.iter().map(|r| r.event_name.as_str()).collect();
    assert_eq!(names[..5], ["down.first"; 5]);
    assert_eq!(names[5..15], ["down.queued"; 10]);
    assert_eq!(names[15], "reqlog.dropped");
    let report = attributes(&records[15].attributes);
    assert!(matches!(
        report.get("reqlog.dropped.count"),
        Some(AnyValue::IntValue(10))
    ));
    let queued: Vec<i64> = records[5..15]
        .iter()
        .map(|r| match attributes(&r.attributes).get("i") {
            Some(AnyValue::IntValue(i)) => *i,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        queued,
        (0..10).collect::<Vec<_>>(),
        "the first 10 were kept"
    );
    assert_eq!(records.len(), 16);
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.dropped_records(),
            otlp.lost_records()
        ),
        (16, 10, 0)
    );
    assert!(otlp.export_errors() >= 2);
}

/// A name that does not resolve is no error at the start; each attempt looks it up
/// again, fails, is retried, and the records are counted as lost; the exporter goes
/// on with the next batches.
#[test]
fn a_name_that_does_not_resolve_starts_and_counts() {
    let (otlp, guard) = Otlp::builder()
        .endpoint("https://reqlog-test-collector.invalid:4318")
        .read_env(false)
        .max_retries(1)
        .flush_interval(Duration::from_secs(60))
        .finish()
        .expect("the name is looked up per connection, not at the start");
    for i in 0..3u64 {
        otlp.emit(&Record::event("unresolved.test").with("i", i));
    }
    assert!(
        guard.flush(),
        "two failed lookups end within the flush timeout"
    );
    // Two attempts per batch (one retry). Usually one batch; two or three when the
    // exporter took the first records before the rest were queued.
    let errors = otlp.export_errors();
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (0, 3));
    assert!([2, 4, 6].contains(&errors), "{errors} export errors");
    otlp.emit(&Record::event("unresolved.again"));
    assert!(guard.flush());
    assert_eq!((otlp.lost_records(), otlp.export_errors()), (4, errors + 2));
    assert_eq!(otlp.dropped_records(), 0);
}

/// A proxy that tunnels `CONNECT host:port` to 127.0.0.1:port and notes each target.
fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let targets: Arc<Mutex<Vec<String>>> = Arc::default();
    let t = targets.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let t = t.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                t.lock().unwrap().push(target.clone());
                let port: u16 = target.rsplit(':').next().unwrap().parse().unwrap();
                let upstream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut client = client;
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
                let mut down_w = client.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_r, &mut down_w);
                    let _ = down_w.shutdown(Shutdown::Write);
                });
                let _ = std::io::copy(&mut reader, &mut up_w);
                let _ = up_w.shutdown(Shutdown::Write);
            });
        }
    });
    (port, targets)
}

/// Set by the parent test for its child process.
const CHILD: &str = "REQLOG_OTLP_ENV_CHILD";

/// The exporter environment alone configures the sink: endpoint (a base URL, so
/// `/v1/logs` is appended), CA file, headers (percent-decoded), gzip and timeout; and
/// `https_proxy` sends it through a proxy. Runs in a child process with that
/// environment.
#[test]
fn the_exporter_environment_configures_the_sink() {
    if std::env::var_os(CHILD).is_some() {
        return; // the child runs `env_child` only
    }
    let ca = Ca::new("env");
    let collector = TlsCollector::start(0, &ca);
    let (proxy_port, targets) = connect_proxy();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("https://localhost:{}/otlp", collector.port),
        )
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca.pem_file)
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20env-t0ken,x-tenant=shop",
        )
        .env("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip")
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "5000")
        .env("https_proxy", format!("http://127.0.0.1:{proxy_port}"))
        .env_remove("no_proxy")
        .env_remove("NO_PROXY")
        .env_remove("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
    let seen = collector.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        assert_eq!(s.path, "/otlp/v1/logs");
        assert_eq!(s.headers["authorization"], "Bearer env-t0ken");
        assert_eq!(s.headers["x-tenant"], "shop");
        assert_eq!(s.headers["content-encoding"], "gzip");
    }
    let names: Vec<String> = collector
        .records()
        .iter()
        .map(|r| r.event_name.clone())
        .collect();
    assert_eq!(names, ["env.test"; 3]);
    let targets = targets.lock().unwrap().clone();
    assert_eq!(
        targets,
        [format!("localhost:{}", collector.port)],
        "one tunnel through the proxy, to the collector's name"
    );
}

/// The child of [`the_exporter_environment_configures_the_sink`]: a sink with no
/// settings but the environment's.
#[test]
fn env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let (otlp, guard) = Otlp::builder()
        .flush_interval(Duration::from_secs(60))
        .finish()
        .expect("the environment is valid");
    assert!(otlp.describe().ends_with("/otlp/v1/logs"), "{otlp:?}");
    for i in 0..3u64 {
        otlp.emit(&Record::event("env.test").with("i", i));
    }
    assert!(guard.flush());
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.lost_records(),
            otlp.export_errors()
        ),
        (3, 0, 0)
    );
}

/// Polls `done` until it holds or [`WAIT`] passes.
fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}
