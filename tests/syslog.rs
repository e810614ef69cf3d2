//! The syslog sink against a real `rsyslogd`: each test starts one with its own config
//! in a temporary directory (unix sockets there, UDP and TCP on free loopback ports),
//! sends requests through `RequestLog` and the sink, and reads back what rsyslog
//! stored, one JSON object per message (rsyslog's own parse of the header, `MSG` as
//! `mmjsonparse` read it, and the raw message). `.ci/run` installs rsyslogd (Debian
//! package `rsyslog`).
#![cfg(all(unix, feature = "syslog"))]

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use reqlog::sink::{Facility, Protocol, Sink, Syslog, SyslogBuilder};
use reqlog::{Record, RecordHandle, RequestLog};
use serde_json::Value;
use support::*;

const APP: &str = "reqlog-test";
const HOST: &str = "web-1.test";
/// Requests of each kind (200, 404, 500) per transport.
const N: usize = 20;
/// Every character that could end or split a message if it were not escaped.
const EVIL: &str =
    "quote \" backslash \\ newline \n cr \r tab \t ls \u{2028} ps \u{2029} nul \u{0} <14>1 end";

/// Finds `rsyslogd` (also in the sbin directories a non-root PATH lacks). Under CI a
/// missing rsyslogd fails the test; elsewhere it is a loud skip.
fn rsyslogd() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    let found = dirs
        .iter()
        .map(|d| d.join("rsyslogd"))
        .find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("rsyslogd not found: install the Debian package rsyslog");
        }
        eprintln!("SKIPPED: rsyslogd not found (Debian package rsyslog)");
    }
    found
}

/// A running rsyslogd with its own config and directory; killed and cleaned up on drop,
/// also when a test panics.
struct Rsyslogd {
    child: Child,
    dir: PathBuf,
    /// `imuxsock` with its default ("special") parser, as on `/dev/log`.
    local_socket: PathBuf,
    /// `imuxsock` with the regular parser chain (RFC 5424).
    rfc5424_socket: PathBuf,
    udp: SocketAddr,
    tcp: SocketAddr,
    out: PathBuf,
}

impl Rsyslogd {
    /// Starts rsyslogd with one of the two `imuxsock` setups (two `imuxsock` inputs
    /// in one instance would carry the same input name).
    fn start(name: &str, rfc5424_socket: bool) -> Option<Rsyslogd> {
        let exe = rsyslogd()?;
        let dir = std::env::temp_dir().join(format!("reqlog-syslog-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (udp, tcp) = (free_udp_port(), free_tcp_port());
        let local_socket = dir.join("log.sock");
        let rfc5424 = dir.join("rfc5424.sock");
        let out = dir.join("out.jsonl");
        let socket = if rfc5424_socket {
            format!(
                r#"input(type="imuxsock" Socket="{}" CreatePath="on" UseSpecialParser="off" ParseHostname="on" RateLimit.Interval="0")"#,
                rfc5424.display()
            )
        } else {
            format!(
                r#"input(type="imuxsock" Socket="{}" CreatePath="on" RateLimit.Interval="0")"#,
                local_socket.display()
            )
        };
        let conf = format!(
            r#"global(workDirectory="{dir}" maxMessageSize="8k")
# SysSock.Use="off": leave the system's /dev/log alone.
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
module(load="imtcp")
module(load="mmjsonparse")
{socket}
input(type="imudp" Address="127.0.0.1" Port="{udp}")
input(type="imtcp" Address="127.0.0.1" Port="{tcp}")
template(name="stored" type="list" option.jsonf="on") {{
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="parsed" name="$!" format="jsonf")
  property(outname="raw" name="rawmsg" format="jsonf")
}}
action(type="mmjsonparse" cookie="")
action(type="omfile" file="{out}" template="stored")
"#,
            dir = dir.display(),
            udp = udp.port(),
            tcp = tcp.port(),
            out = out.display(),
        );
        let conf_path = dir.join("rsyslog.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr")).unwrap();
        let child = Command::new(exe)
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let rs = Rsyslogd {
            child,
            dir,
            local_socket,
            rfc5424_socket: rfc5424,
            udp,
            tcp,
            out,
        };
        rs.wait_ready(rfc5424_socket);
        Some(rs)
    }

    /// Ready when its socket exists, its TCP port accepts and a UDP probe is stored.
    fn wait_ready(&self, rfc5424_socket: bool) {
        let socket = if rfc5424_socket {
            &self.rfc5424_socket
        } else {
            &self.local_socket
        };
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let _ = probe.send_to(b"<14>1 - - probe - - ready", self.udp);
            std::thread::sleep(Duration::from_millis(50));
            let ready = socket.exists()
                && TcpStream::connect(self.tcp).is_ok()
                && self.stored().iter().any(|m| m["app"] == "probe");
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not start: {}",
                std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
            );
        }
    }

    /// Everything stored so far but the readiness probes.
    fn stored(&self) -> Vec<Value> {
        let text = std::fs::read(&self.out).unwrap_or_default();
        let text = String::from_utf8(text).expect("rsyslog stored invalid UTF-8");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn messages(&self) -> Vec<Value> {
        let mut all = self.stored();
        all.retain(|m| m["app"] != "probe");
        all
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_udp_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn free_tcp_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A site with one route per level, one with a hostile field and one with a record
/// far over rsyslog's 8 KiB limit.
fn site(log: RequestLog) -> Router {
    Router::new()
        .route("/ok/{i}", get(|| async { "fine" }))
        .route(
            "/boom/{i}",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/evil",
            get(|req: Request| async move {
                let handle = RecordHandle::from_request(&req).unwrap();
                handle.insert("note", EVIL).unwrap();
                "evil"
            }),
        )
        .route(
            "/big",
            get(|req: Request| async move {
                let handle = RecordHandle::from_request(&req).unwrap();
                for i in 0..12 {
                    handle.insert(format!("big.{i}"), "é".repeat(512)).unwrap();
                }
                "big"
            }),
        )
        .layer(log)
}

/// Sends 3 × N requests (INFO, WARN, ERROR), an evil one and a big one through a
/// syslog sink, then checks what rsyslog stored.
async fn round_trip(rs: &Rsyslogd, builder: SyslogBuilder, transport: &str, protocol: Protocol) {
    let (sink, guard) = builder
        .app_name(APP)
        .hostname(HOST)
        .facility(Facility::Local3)
        .finish()
        .unwrap();
    assert!(sink.describe().starts_with(&format!("syslog {transport}:")));
    // Trusted, so that the test's own X-Request-Id names each line.
    let log = RequestLog::new()
        .trust_proxies(["127.0.0.1/32".parse().unwrap()])
        .sink(sink.clone());
    let addr = serve_axum(site(log)).await;
    let mut expected = HashMap::new();
    for i in 0..N {
        for (kind, path, status) in [
            ("ok", format!("/ok/{i}"), 200),
            ("missing", format!("/missing/{i}"), 404),
            ("boom", format!("/boom/{i}"), 500),
        ] {
            let id = format!("{transport}-{kind}-{i}");
            let (got, _) = fetch(addr, &format!("{path} HTTP/1.1\r\nX-Request-Id: {id}")).await;
            assert_eq!(got, status);
            expected.insert(id, (kind, path));
        }
    }
    for kind in ["evil", "big"] {
        let id = format!("{transport}-{kind}");
        fetch(addr, &format!("/{kind} HTTP/1.1\r\nX-Request-Id: {id}")).await;
        expected.insert(id, (kind, format!("/{kind}")));
    }

    // Records are finished when the body ends; flush until all are stored.
    let deadline = Instant::now() + WAIT;
    while rs.messages().len() < expected.len() && Instant::now() < deadline {
        guard.flush();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(guard);
    // Anything extra (a duplicate, a message split in two) would arrive by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = rs.messages();
    assert_eq!(
        stored.len(),
        expected.len(),
        "one message per record: {stored:#?}"
    );
    assert_eq!((sink.lost_lines(), sink.dropped_lines()), (0, 0));

    let input = match transport {
        "unix" => "imuxsock",
        "udp" => "imudp",
        _ => "imtcp",
    };
    let mut seen = HashMap::new();
    for m in &stored {
        let s = |key: &str| m[key].as_str().unwrap_or_default().to_owned();
        assert_eq!(s("input"), input, "{m}");
        assert_eq!(s("app"), APP, "{m}");
        assert_eq!(s("procid"), std::process::id().to_string(), "{m}");
        match protocol {
            Protocol::Rfc5424 => {
                assert_eq!(s("msgid"), "http.request", "{m}");
                assert_eq!(s("hostname"), HOST, "{m}");
                assert!(s("raw").starts_with(&format!("<{}>1 20", s("pri"))), "{m}");
            }
            Protocol::Local => {
                assert!(
                    s("raw").starts_with(&format!("<{}>{APP}[", s("pri"))),
                    "{m}"
                );
            }
            other => panic!("no expectation for {other:?}: add one"),
        }
        let raw = s("raw");
        if raw.contains("/big") {
            // Cut to rsyslog's limit, at a character boundary (the file is valid UTF-8).
            assert!(raw.len() <= 8192 && raw.len() > 8000, "{}", raw.len());
            assert!(raw.ends_with("…[truncated]"), "{raw}");
            assert_eq!(s("pri"), "158"); // local3.info
            *seen.entry(format!("{transport}-big")).or_insert(0) += 1;
            continue;
        }
        // MSG is the record as JSON, for us and for rsyslog's mmjsonparse.
        let record: Value = serde_json::from_str(s("msg").trim_start()).unwrap();
        let parsed: Value = serde_json::from_str(&s("parsed")).unwrap();
        assert_eq!(parsed["url.path"], record["url.path"], "{m}");
        assert_eq!(record["otel.event.name"], "http.request");
        let id = record["request.id"].as_str().unwrap().to_owned();
        let (kind, path) = &expected[&id];
        assert_eq!(record["url.path"], path.as_str());
        // local3 = 19: PRI = 19 × 8 + severity.
        let (pri, level) = match *kind {
            "boom" => ("155", "ERROR"),
            "missing" => ("156", "WARN"),
            _ => ("158", "INFO"),
        };
        assert_eq!(
            (s("pri").as_str(), record["level"].as_str()),
            (pri, Some(level)),
            "{m}"
        );
        if *kind == "evil" {
            assert_eq!(record["note"], EVIL);
        }
        *seen.entry(id).or_insert(0) += 1;
    }
    for id in expected.keys() {
        assert_eq!(seen.get(id), Some(&1), "{id} arrived once");
    }
    eprintln!(
        "{transport} ({protocol:?}): {} records, each stored once by rsyslogd",
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_socket_in_the_format_of_dev_log() {
    let Some(rs) = Rsyslogd::start("unix", false) else {
        return;
    };
    let builder = Syslog::builder().unix(&rs.local_socket);
    round_trip(&rs, builder, "unix", Protocol::Local).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_socket_in_rfc5424() {
    let Some(rs) = Rsyslogd::start("unix5424", true) else {
        return;
    };
    let builder = Syslog::builder()
        .unix(&rs.rfc5424_socket)
        .protocol(Protocol::Rfc5424);
    round_trip(&rs, builder, "unix", Protocol::Rfc5424).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn udp() {
    let Some(rs) = Rsyslogd::start("udp", false) else {
        return;
    };
    let builder = Syslog::builder().udp(rs.udp);
    round_trip(&rs, builder, "udp", Protocol::Rfc5424).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_with_octet_counting() {
    let Some(rs) = Rsyslogd::start("tcp", false) else {
        return;
    };
    let builder = Syslog::builder().tcp(rs.tcp);
    round_trip(&rs, builder, "tcp", Protocol::Rfc5424).await;
}

/// Reads one octet-counted frame.
fn read_frame(stream: &mut BufReader<TcpStream>) -> String {
    let mut len = Vec::new();
    stream.read_until(b' ', &mut len).unwrap();
    let len: usize = std::str::from_utf8(&len[..len.len() - 1])
        .unwrap()
        .parse()
        .unwrap();
    let mut msg = vec![0; len];
    stream.read_exact(&mut msg).unwrap();
    String::from_utf8(msg).unwrap()
}

/// A collector that restarts (closes the connection) loses nothing: the sink sees the
/// closed connection before it writes and reconnects. No rsyslogd needed.
#[test]
fn tcp_reconnects_when_the_collector_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (sink, guard) = Syslog::builder()
        .tcp(listener.local_addr().unwrap())
        .app_name("t")
        .finish()
        .unwrap();
    // Accepts within WAIT: a sink that did not reconnect fails the test instead of
    // blocking it forever.
    listener.set_nonblocking(true).unwrap();
    let accept = |listener: &TcpListener| {
        let deadline = Instant::now() + WAIT;
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "the sink did not (re)connect");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        BufReader::new(stream)
    };
    let mut first = accept(&listener);
    sink.emit(&Record::event("before.restart"));
    assert!(guard.flush());
    assert!(read_frame(&mut first).contains(" t "));
    drop(first); // the collector restarts
                 // The sink finds the close before it writes; on a loaded machine the close can
                 // take a moment to reach its socket (loopback delivery is deferred work), and a
                 // write in that moment vanishes, as with any TCP syslog sender (no acknowledgements).
    std::thread::sleep(Duration::from_millis(100));

    for _ in 0..3 {
        sink.emit(&Record::event("after.restart"));
    }
    assert!(guard.flush());
    let mut second = accept(&listener);
    for _ in 0..3 {
        let msg = read_frame(&mut second);
        assert!(msg.contains(" after.restart - {"), "{msg}");
    }
    assert_eq!((sink.written_lines(), sink.lost_lines()), (4, 0));
}

/// A wrong address is an error at start-up, not lost lines later.
#[test]
fn no_daemon_is_an_error_at_start_up() {
    let path = std::env::temp_dir().join(format!("reqlog-syslog-none-{}.sock", std::process::id()));
    let err = Syslog::builder().unix(&path).finish().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot connect to syslog at unix:"),
        "{err}"
    );
    let closed = free_tcp_port();
    assert!(Syslog::builder().tcp(closed).finish().is_err());
}
