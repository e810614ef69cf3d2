//! The OTLP sink against a receiver built on the official protobuf definitions:
//! `tests/support/otlp_receiver.py` decodes every request with the generated code of
//! the PyPI package `opentelemetry-proto` and prints what it got as JSON lines, which
//! these tests read. `.ci/run` installs the package. The tests of a stalled collector
//! need no Python: a listener that accepts and never answers is enough.
#![cfg(feature = "otlp")]

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use reqlog::sink::{MemorySink, Otlp, OtlpGuard, Sink, SinkExt};
use reqlog::{AppStart, FieldValue, Record, RecordHandle, RequestLog};
use serde_json::Value;
use support::*;

/// Requests of each kind (200, 404, 500).
const N: usize = 10;
/// Characters that must arrive exactly as they were: quotes, controls, non-ASCII.
const EVIL: &str = "quote \" backslash \\ newline \n nul \u{0} é € 😀 \u{2028} end";

/// Whether `python3` can import the official OTLP definitions. Under CI a missing
/// module fails the test; elsewhere it is a loud skip naming the package.
fn python_receiver() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.proto.collector.logs.v1.logs_service_pb2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3 cannot import opentelemetry.proto: pip install opentelemetry-proto");
        }
        eprintln!(
            "SKIPPED: python3 cannot import opentelemetry.proto (pip install opentelemetry-proto)"
        );
    }
    ok
}

/// A running `otlp_receiver.py`; killed on drop, also when a test panics.
struct Receiver {
    child: Child,
    port: u16,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start(port: u16, args: &[&str]) -> Receiver {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/otlp_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let seen = requests.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let v: Value = serde_json::from_str(&line).expect("the receiver prints JSON");
                if let Some(port) = v["listening"].as_u64() {
                    let _ = tx.send(port as u16);
                } else {
                    seen.lock().unwrap().push(v);
                }
            }
        });
        let port = rx
            .recv_timeout(WAIT)
            .expect("the receiver starts listening");
        Receiver {
            child,
            port,
            requests,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/logs", self.port)
    }

    fn requests(&self) -> Vec<Value> {
        let requests = self.requests.lock().unwrap().clone();
        for r in &requests {
            assert!(r.get("error").is_none(), "the official decoder failed: {r}");
            assert_eq!(r["canonical"], true, "re-encodes to the same bytes: {r}");
        }
        requests
    }

    /// Log records of the requests answered 200, with their request.
    fn records(&self) -> Vec<(Value, Value)> {
        let mut out = Vec::new();
        for req in self.requests() {
            if req["status"] != 200 {
                continue;
            }
            for rl in req["resource_logs"].as_array().unwrap() {
                for sl in rl["scope_logs"].as_array().unwrap() {
                    for r in sl["log_records"].as_array().unwrap() {
                        out.push((r.clone(), req.clone()));
                    }
                }
            }
        }
        out
    }

    /// Waits until `n` records arrived (flushing `guard`), or fails after [`WAIT`].
    fn wait_for_records(&self, n: usize, guard: &OtlpGuard) -> Vec<(Value, Value)> {
        let deadline = Instant::now() + WAIT;
        loop {
            // Only once the exporter has dealt with everything queued are its counters
            // final (the receiver may store a batch before the exporter reads the
            // answer, and a flush may time out on a loaded machine).
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

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port with nothing listening on it (for now).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `done` until it holds or [`WAIT`] passes.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn attr<'a>(record: &'a Value, key: &str) -> &'a Value {
    &record["attributes"][key]
}

fn str_attr<'a>(record: &'a Value, key: &str) -> &'a str {
    let a = attr(record, key);
    assert_eq!(a["type"], "string_value", "{key}: {a}");
    a["value"].as_str().unwrap()
}

/// The OTLP attribute a JSON value must have become.
fn same_value(json: &Value, otlp: &Value) -> bool {
    let v = &otlp["value"];
    match json {
        Value::String(s) => otlp["type"] == "string_value" && v == s.as_str(),
        Value::Bool(b) => otlp["type"] == "bool_value" && v == b,
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            otlp["type"] == "int_value" && v.as_i64() == n.as_i64()
        }
        Value::Number(n) => otlp["type"] == "double_value" && v.as_f64() == n.as_f64(),
        Value::Array(items) => {
            otlp["type"] == "array_value"
                && v.as_array().is_some_and(|o| {
                    o.len() == items.len() && items.iter().zip(o).all(|(j, o)| same_value(j, o))
                })
        }
        Value::Object(map) => {
            otlp["type"] == "kvlist_value"
                && v.as_object().is_some_and(|o| {
                    o.len() == map.len()
                        && map
                            .iter()
                            .all(|(k, j)| o.get(k).is_some_and(|o| same_value(j, o)))
                })
        }
        Value::Null => false,
    }
}

fn site(log: RequestLog) -> Router {
    Router::new()
        .route("/ok/{i}", get(|| async { "fine" }))
        .route(
            "/boom/{i}",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/fields",
            get(|req: Request| async move {
                let handle = RecordHandle::from_request(&req).unwrap();
                handle.insert("note", EVIL).unwrap();
                handle.insert("cart.total", 12.5).unwrap();
                handle.insert("cart.items", 3u64).unwrap();
                handle.insert("cart.delta", -2i64).unwrap();
                handle.insert("cart.gift", true).unwrap();
                handle
                    .insert(
                        "cart.skus",
                        FieldValue::List(vec!["a-1".into(), "b-2".into()]),
                    )
                    .unwrap();
                "fields"
            }),
        )
        .layer(log)
}

/// N requests of each level, one with typed and hostile fields, and the start-up
/// record, through `RequestLog` and a real server: each arrives once, with the JSON
/// line's keys and values, typed, and the right severity, resource and scope.
#[tokio::test(flavor = "multi_thread")]
async fn records_arrive_once_with_the_json_lines_keys_and_types() {
    if !python_receiver() {
        return;
    }
    let receiver = Receiver::start(0, &[]);
    let started = SystemTime::now();
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .service_name("shop-test")
        .resource_attribute("deployment.environment.name", "test")
        .header("authorization", "Bearer t0ken")
        .flush_interval(Duration::from_millis(20))
        .finish()
        .unwrap();
    assert_eq!(otlp.describe(), format!("otlp {}", receiver.url()));
    let memory = MemorySink::new();
    // Trusted, so that the test's own X-Request-Id names each line.
    let log = RequestLog::new()
        .trust_proxies(["127.0.0.1/32".parse().unwrap()])
        .sink(otlp.clone().tee(memory.clone()));
    log.log_start(AppStart::new("shop-test"));
    let addr = serve_axum(site(log)).await;

    let mut expected = HashMap::new();
    for i in 0..N {
        for (kind, path, status) in [
            ("ok", format!("/ok/{i}"), 200),
            ("missing", format!("/missing/{i}"), 404),
            ("boom", format!("/boom/{i}"), 500),
        ] {
            let id = format!("{kind}-{i}");
            let (got, _) = fetch(addr, &format!("{path} HTTP/1.1\r\nX-Request-Id: {id}")).await;
            assert_eq!(got, status);
            expected.insert(id, status);
        }
    }
    fetch(addr, "/fields HTTP/1.1\r\nX-Request-Id: fields").await;
    expected.insert("fields".to_owned(), 200);

    let total = expected.len() + 1; // and reqlog.start
    let records = receiver.wait_for_records(total, &guard);
    drop(guard);
    assert_eq!(records.len(), total, "one log record per record");
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.lost_records(),
            otlp.dropped_records(),
            otlp.export_errors()
        ),
        (total as u64, 0, 0, 0)
    );

    // What the JSON format wrote for the same records, by request id, with the keys in
    // the line's order (a `serde_json::Map` sorts them).
    type Line = (serde_json::Map<String, Value>, Vec<String>);
    let lines: HashMap<String, Line> = memory
        .records()
        .iter()
        .map(|r| {
            let fields: serde_json::Map<String, Value> = serde_json::from_str(r.line()).unwrap();
            let mut keys: Vec<String> = fields.keys().cloned().collect();
            keys.sort_by_key(|k| r.line().find(&format!("\"{k}\":")));
            let id = fields
                .get("request.id")
                .and_then(|v| v.as_str())
                .unwrap_or("reqlog.start")
                .to_owned();
            (id, (fields, keys))
        })
        .collect();

    let now = SystemTime::now();
    let window = |t: &Value| {
        let t = UNIX_EPOCH + Duration::from_nanos(t.as_u64().unwrap());
        t >= started - Duration::from_secs(1) && t <= now
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (record, request) in &records {
        // The request: path, content type, our header, one resource and scope.
        assert_eq!(request["path"], "/v1/logs");
        let headers = &request["headers"];
        assert_eq!(headers["content-type"], "application/x-protobuf");
        assert_eq!(headers["authorization"], "Bearer t0ken");
        assert!(headers["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("reqlog/"));
        let rl = &request["resource_logs"];
        assert_eq!(rl.as_array().unwrap().len(), 1);
        let resource = &rl[0]["resource"];
        assert_eq!(resource["service.name"]["value"], "shop-test");
        assert_eq!(resource["service.name"]["type"], "string_value");
        assert_eq!(resource["deployment.environment.name"]["value"], "test");
        let scope = &rl[0]["scope_logs"][0]["scope"];
        assert_eq!(scope["name"], "reqlog");
        assert_eq!(scope["version"], env!("CARGO_PKG_VERSION"));

        // Time and observed time: the record's, within the test.
        assert!(window(&record["time_unix_nano"]), "{record}");
        assert_eq!(record["observed_time_unix_nano"], record["time_unix_nano"]);
        // No invented trace context.
        assert_eq!(
            (record["trace_id"].as_str(), record["span_id"].as_str()),
            (Some(""), Some(""))
        );

        let id = if record["event_name"] == "reqlog.start" {
            "reqlog.start".to_owned()
        } else {
            str_attr(record, "request.id").to_owned()
        };
        *seen.entry(id.clone()).or_default() += 1;
        let (json, json_order) = &lines[&id];

        // Body and event name: the event name; severity: the level.
        assert_eq!(record["body"]["type"], "string_value");
        assert_eq!(record["body"]["value"], json["otel.event.name"]);
        assert_eq!(record["event_name"], json["otel.event.name"]);
        assert_eq!(record["severity_text"], json["level"]);
        let severity = match json["level"].as_str().unwrap() {
            "DEBUG" => 5,
            "INFO" => 9,
            "WARN" => 13,
            "ERROR" => 17,
            other => panic!("level {other}"),
        };
        assert_eq!(record["severity_number"], severity, "{record}");
        if id != "reqlog.start" {
            let level = match expected[&id] {
                200 => (9, "INFO"),
                404 => (13, "WARN"),
                _ => (17, "ERROR"),
            };
            assert_eq!(
                (
                    record["severity_number"].as_u64().unwrap(),
                    record["severity_text"].as_str().unwrap()
                ),
                (level.0, level.1),
                "{id}"
            );
        }

        // Every other JSON field is an attribute under the same key, same value, typed.
        let keys: Vec<&str> = record["attribute_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let json_keys: Vec<&str> = json_order
            .iter()
            .map(|k| k.as_str())
            .filter(|k| !matches!(*k, "timestamp" | "level" | "otel.event.name"))
            .collect();
        assert_eq!(keys, json_keys, "same keys, same order: {id}");
        for key in json_keys {
            assert!(
                same_value(&json[key], attr(record, key)),
                "{id} {key}: JSON {} vs OTLP {}",
                json[key],
                attr(record, key)
            );
        }
    }
    for id in lines.keys() {
        assert_eq!(seen.get(id), Some(&1), "{id} arrived once");
    }

    // The semantic-convention keys, typed as a collector expects them.
    let ok = records
        .iter()
        .map(|(r, _)| r)
        .find(|r| r["attributes"]["request.id"]["value"] == "ok-0")
        .unwrap();
    assert_eq!(str_attr(ok, "http.request.method"), "GET");
    assert_eq!(str_attr(ok, "url.path"), "/ok/0");
    assert_eq!(str_attr(ok, "client.address"), "127.0.0.1");
    assert_eq!(str_attr(ok, "network.protocol.version"), "1.1");
    assert_eq!(attr(ok, "http.response.status_code")["type"], "int_value");
    assert_eq!(attr(ok, "http.response.status_code")["value"], 200);
    assert_eq!(attr(ok, "http.response.body.size")["type"], "int_value");
    assert_eq!(attr(ok, "duration_ms")["type"], "double_value");
    let fields = records
        .iter()
        .map(|(r, _)| r)
        .find(|r| r["attributes"]["request.id"]["value"] == "fields")
        .unwrap();
    assert_eq!(str_attr(fields, "note"), EVIL);
    assert_eq!(attr(fields, "cart.total")["type"], "double_value");
    assert_eq!(attr(fields, "cart.delta")["value"], -2);
    assert_eq!(attr(fields, "cart.gift")["type"], "bool_value");
    assert_eq!(attr(fields, "cart.skus")["type"], "array_value");
    eprintln!("{total} records, each decoded once by the official definitions");
}

/// More records than the batch size: several requests of at most that many records,
/// every record once and in order; gzip on the way.
#[test]
fn batches_split_and_lose_nothing() {
    if !python_receiver() {
        return;
    }
    let receiver = Receiver::start(0, &[]);
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .batch_size(7)
        .gzip(true)
        // Only the flush sends: one round of 100 records.
        .flush_interval(Duration::from_secs(60))
        .finish()
        .unwrap();
    for i in 0..100u64 {
        otlp.emit(&Record::event("batch.test").with("i", i));
    }
    let records = receiver.wait_for_records(100, &guard);
    let order: Vec<i64> = records
        .iter()
        .map(|(r, _)| attr(r, "i")["value"].as_i64().unwrap())
        .collect();
    assert_eq!(order, (0..100).collect::<Vec<_>>(), "each once, in order");
    let requests = receiver.requests();
    assert!(requests.len() >= 15, "{} requests", requests.len());
    for r in &requests {
        let n = r["resource_logs"][0]["scope_logs"][0]["log_records"]
            .as_array()
            .unwrap()
            .len();
        assert!((1..=7).contains(&n), "{n} records in one request");
        assert_eq!(r["headers"]["content-encoding"], "gzip");
    }
    // gzip's header and trailer can make the last, two-record batch bigger than its
    // protobuf; over all batches it must save bytes.
    let bytes = |key: &str| -> u64 { requests.iter().map(|r| r[key].as_u64().unwrap()).sum() };
    assert!(bytes("wire_size") < bytes("size"), "gzip saves nothing");
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (100, 0));
}

/// A collector that comes up while a batch is being retried gets it, once.
#[test]
fn a_collector_that_starts_late_gets_the_batch_on_a_retry() {
    if !python_receiver() {
        return;
    }
    let port = closed_port();
    let (otlp, guard) = Otlp::builder()
        .endpoint(format!("http://127.0.0.1:{port}/v1/logs"))
        .max_retries(100)
        .flush_interval(Duration::from_millis(10))
        .finish()
        .unwrap();
    for i in 0..5u64 {
        otlp.emit(&Record::event("late.test").with("i", i));
    }
    wait_until("a failed attempt", || otlp.export_errors() >= 1);
    let receiver = Receiver::start(port, &[]);
    let records = receiver.wait_for_records(5, &guard);
    assert_eq!(records.len(), 5);
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (5, 0));
    assert!(otlp.export_errors() >= 1);
}

/// Down at start: the batch fails its attempts and its records are counted as lost;
/// once the collector is up, later records arrive.
#[test]
fn records_are_lost_and_counted_while_the_collector_is_down_then_flow_again() {
    if !python_receiver() {
        return;
    }
    let port = closed_port();
    let (otlp, guard) = Otlp::builder()
        .endpoint(format!("http://127.0.0.1:{port}/v1/logs"))
        .max_retries(2)
        .flush_interval(Duration::from_secs(60))
        .finish()
        .expect("no connection at start-up");
    for i in 0..5u64 {
        otlp.emit(&Record::event("down.test").with("i", i));
    }
    assert!(
        guard.flush(),
        "three refused attempts end within the flush timeout"
    );
    // Three attempts per batch. The exporter may take the first records before the
    // rest are queued (its thread starts while they are emitted): then two batches
    // fail, each three times.
    let errors = otlp.export_errors();
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (0, 5));
    assert!(errors >= 3 && errors % 3 == 0, "{errors} export errors");

    let receiver = Receiver::start(port, &[]);
    for i in 0..4u64 {
        otlp.emit(&Record::event("up.test").with("i", i));
    }
    let records = receiver.wait_for_records(4, &guard);
    assert!(records.iter().all(|(r, _)| r["event_name"] == "up.test"));
    assert_eq!(records.len(), 4);
    assert_eq!((otlp.exported_records(), otlp.lost_records()), (4, 5));
}

/// 503 is retried and the batch arrives once; 400 is not retried and is counted.
#[test]
fn retryable_answers_are_retried_and_others_are_not() {
    if !python_receiver() {
        return;
    }
    let receiver = Receiver::start(0, &["--fail-first", "2", "--fail-status", "503"]);
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .flush_interval(Duration::from_secs(60))
        .finish()
        .unwrap();
    for i in 0..3u64 {
        otlp.emit(&Record::event("retry.test").with("i", i));
    }
    let records = receiver.wait_for_records(3, &guard);
    assert_eq!(records.len(), 3);
    let statuses: Vec<u64> = receiver
        .requests()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    // Two refusals, then success; a second batch (when the exporter took the first
    // record before the others were queued) is a second 200.
    assert_eq!(statuses[..3], [503, 503, 200], "{statuses:?}");
    assert!(statuses[3..].iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.lost_records(),
            otlp.export_errors()
        ),
        (3, 0, 2)
    );

    let receiver = Receiver::start(0, &["--fail-first", "1", "--fail-status", "400"]);
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .flush_interval(Duration::from_secs(60))
        .finish()
        .unwrap();
    otlp.emit(&Record::event("bad.test"));
    otlp.emit(&Record::event("bad.test"));
    assert!(guard.flush());
    // The flush is over, so the counts are final. One batch of two (refused, lost), or,
    // when the exporter took the first record before the second was queued, a refused
    // batch of one and a second batch the collector accepts. Either way the refused
    // batch is sent once: a retry would have been answered 200 and exported it.
    let counts = (
        otlp.exported_records(),
        otlp.lost_records(),
        otlp.export_errors(),
    );
    assert!(
        counts == (0, 2, 1) || counts == (1, 1, 1),
        "400 is not retried: {counts:?}"
    );
    let batches = 1 + usize::from(counts.0 == 1);
    wait_until("every batch's request", || {
        receiver.requests().len() >= batches
    });
    let statuses: Vec<u64> = receiver
        .requests()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses[0], 400, "{statuses:?}");
    assert_eq!(
        statuses.len(),
        batches,
        "one request per batch: {statuses:?}"
    );
}

/// Records the collector rejects in a partial success are counted as lost.
#[test]
fn partial_success_rejections_count_as_lost() {
    if !python_receiver() {
        return;
    }
    let receiver = Receiver::start(0, &["--reject", "1"]);
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .flush_interval(Duration::from_secs(60))
        .finish()
        .unwrap();
    for _ in 0..4 {
        otlp.emit(&Record::event("partial.test"));
    }
    receiver.wait_for_records(4, &guard);
    assert!(guard.flush());
    // Each answer rejects one record. Usually one batch; more when the exporter took
    // the first records before the rest were queued (its thread starts while they are
    // emitted): one rejected per request either way.
    let requests = receiver.requests().len();
    assert!((1..=4).contains(&requests), "{requests} requests");
    assert_eq!(
        (otlp.exported_records(), otlp.lost_records()),
        (4 - requests as u64, requests as u64)
    );
}

/// While the exporter waits on a collector that holds its first answer, a flood
/// overflows the queue: the overflow is dropped and counted, and once the exporter
/// catches up a `reqlog.dropped` record tells the collector how many.
#[test]
fn a_full_queue_drops_counts_and_reports() {
    if !python_receiver() {
        return;
    }
    let gate = std::env::temp_dir().join(format!("reqlog-otlp-gate-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    let receiver = Receiver::start(0, &["--hold-first", gate.to_str().unwrap()]);
    let (otlp, guard) = Otlp::builder()
        .endpoint(receiver.url())
        .buffered_records_limit(8)
        .flush_interval(Duration::from_millis(10))
        .finish()
        .unwrap();
    otlp.emit(&Record::event("first"));
    // The receiver has the first request and holds its answer: the exporter waits.
    wait_until("the first request", || !receiver.requests().is_empty());
    let start = Instant::now();
    for i in 0..100u64 {
        otlp.emit(&Record::event("flood").with("i", i));
    }
    let flood_time = start.elapsed();
    assert_eq!(otlp.dropped_records(), 92, "8 queued, the rest dropped");
    std::fs::write(&gate, b"open").unwrap();

    let records = receiver.wait_for_records(10, &guard);
    let _ = std::fs::remove_file(&gate);
    let names: Vec<&str> = records
        .iter()
        .map(|(r, _)| r["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "first");
    assert_eq!(names[1..9], ["flood"; 8]);
    let flood: Vec<i64> = records[1..9]
        .iter()
        .map(|(r, _)| attr(r, "i")["value"].as_i64().unwrap())
        .collect();
    assert_eq!(flood, (0..8).collect::<Vec<_>>(), "the first 8 were kept");
    let (report, _) = &records[9];
    assert_eq!(report["event_name"], "reqlog.dropped");
    assert_eq!(report["body"]["value"], "reqlog.dropped");
    assert_eq!(
        (
            report["severity_number"].as_u64(),
            report["severity_text"].as_str()
        ),
        (Some(13), Some("WARN"))
    );
    assert_eq!(attr(report, "reqlog.dropped.count")["type"], "int_value");
    assert_eq!(attr(report, "reqlog.dropped.count")["value"], 92);
    assert_eq!(attr(report, "reqlog.dropped.total")["value"], 92);
    assert_eq!(str_attr(report, "reqlog.sink"), "otlp");
    assert_eq!(records.len(), 10);
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.dropped_records(),
            otlp.lost_records()
        ),
        (10, 92, 0)
    );
    eprintln!("100 records offered to a full queue in {flood_time:?}");
}

/// A collector that accepts connections and never answers: requests complete at full
/// speed, dropping the guard returns within its flush timeout, and every record in
/// flight or queued is counted as lost. No Python needed.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_collector_holds_no_request_and_no_shutdown() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let collector: SocketAddr = listener.local_addr().unwrap();
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let h = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            h.lock().unwrap().push(stream); // accepted, never read, never answered
        }
    });
    let flush_timeout = Duration::from_millis(500);
    let (otlp, guard) = Otlp::builder()
        .endpoint(format!("http://{collector}/v1/logs"))
        .timeout(Duration::from_secs(60))
        .flush_timeout(flush_timeout)
        .flush_interval(Duration::from_millis(10))
        .finish()
        .unwrap();
    let memory = MemorySink::new();
    let addr = serve_axum(site(
        RequestLog::new().sink(otlp.clone().tee(memory.clone())),
    ))
    .await;
    let requests = 20;
    let start = Instant::now();
    for i in 0..requests {
        let (status, _) = fetch(addr, &format!("/ok/{i} HTTP/1.1")).await;
        assert_eq!(status, 200);
    }
    let served = start.elapsed();
    // Every record emitted, and the exporter stuck in a request to the collector.
    wait_until("every record", || memory.records().len() == requests);
    wait_until("a connection to the collector", || {
        !held.lock().unwrap().is_empty()
    });

    let start = Instant::now();
    drop(guard);
    let shutdown = start.elapsed();
    assert!(
        shutdown < flush_timeout + Duration::from_millis(400),
        "the guard's drop took {shutdown:?}"
    );
    assert_eq!(
        (
            otlp.exported_records(),
            otlp.lost_records(),
            otlp.dropped_records()
        ),
        (0, requests as u64, 0),
        "every record counted as lost"
    );
    assert!(otlp.export_errors() >= 1);
    eprintln!("{requests} requests served in {served:?} with a stalled collector; guard dropped in {shutdown:?}");
}
