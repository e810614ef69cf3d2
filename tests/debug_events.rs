//! Debug events ("fingers crossed", issue #18): a failed or slow request's line carries
//! the `tracing` events it emitted, in order; a successful one carries none; buffers
//! keep their bounds under a flood; events outside requests, or of another request, are
//! never on a line.
#![cfg(feature = "debug-events")]

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use reqlog::debug_events::DebugEvents;
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use serde_json::{json, Value};
use tower::{service_fn, Layer, ServiceExt};
use tracing::Instrument;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer as _;

/// The test handler: what it does depends on the path.
async fn handler<B>(req: Request<B>) -> Result<Response<String>, Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let status = match path.as_str() {
        "/pay" => {
            tracing::debug!(
                provider = "fakepay",
                amount = 1999u64,
                "calling the provider"
            );
            tracing::info!(attempt = 1i64, "provider answered");
            tracing::warn!(status = "declined", retry = false, "payment refused");
            if query == "status=error" {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::OK
            }
        }
        "/slow" => {
            tracing::debug!("starting a slow job");
            tokio::time::sleep(Duration::from_millis(30)).await;
            tracing::debug!("slow job done");
            StatusCode::OK
        }
        "/spawn" => {
            tracing::debug!("before the task");
            let task = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    tracing::debug!(from = "task", "inside the spawned task");
                }
                .in_current_span(),
            );
            let _ = task.await;
            let nested = tracing::debug_span!("inner_span", step = 2);
            async {
                tracing::debug!("inside a span of the handler");
            }
            .instrument(nested)
            .await;
            StatusCode::INTERNAL_SERVER_ERROR
        }
        "/flood" => {
            let n: usize = query.parse().unwrap_or(10_000);
            for i in 0..n {
                tracing::debug!(i, "flood event");
            }
            StatusCode::INTERNAL_SERVER_ERROR
        }
        "/big" => {
            let text = "x".repeat(1000);
            for i in 0..100u64 {
                tracing::debug!(i, text = text.as_str(), "big event");
            }
            StatusCode::INTERNAL_SERVER_ERROR
        }
        "/hostile" => {
            let long = "é\u{2028}\"\\".repeat(2000);
            tracing::debug!(
                quote = "\"}]{\"",
                control = "a\u{0}b\u{1b}[31mc\r\nd",
                "weird \"field\" name" = "x",
                long = long.as_str(),
                "message with \"quotes\", a newline\nand a NUL \u{0} and \u{2028}"
            );
            tracing::debug!(value = ?Hostile, "a Debug value");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        other => {
            // Two interleaving requests: each tags its events with its own path.
            for i in 0..5u64 {
                tracing::debug!(path = other, i, "step");
                tokio::task::yield_now().await;
            }
            if other.ends_with("fail") {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
    };
    let mut response = Response::new(String::from("body"));
    *response.status_mut() = status;
    Ok(response)
}

/// A `Debug` value whose output is long and hostile.
struct Hostile;
impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for _ in 0..10_000 {
            f.write_str("\u{7f}\"\n")?;
        }
        Ok(())
    }
}

fn log(memory: &MemorySink, settings: DebugEvents) -> RequestLog {
    RequestLog::new()
        .sink(memory.clone())
        .debug_events(settings)
}

/// Sends `uri` through `log` around the test handler, to the last body byte.
async fn send(log: &RequestLog, uri: &str) {
    let service = log.clone().layer(service_fn(handler));
    let req = Request::get(uri).body(String::new()).unwrap();
    let response = service.oneshot(req).await.unwrap();
    response.into_body().collect().await.unwrap();
}

/// Runs `f` on a current-thread runtime with the debug-events layer installed.
fn with_layer<F: std::future::Future>(f: F) -> F::Output {
    let subscriber = tracing_subscriber::registry().with(DebugEvents::layer());
    let _default = tracing::subscriber::set_default(subscriber);
    runtime().block_on(f)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn events(line: &RecordSnapshot) -> Vec<Value> {
    match line.get("debug.events") {
        Some(Value::Array(events)) => events.clone(),
        Some(other) => panic!("debug.events is not an array: {other}"),
        None => Vec::new(),
    }
}

#[test]
fn a_failing_request_carries_its_events_in_order() {
    let memory = MemorySink::new();
    with_layer(send(&log(&memory, DebugEvents::new()), "/pay?status=error"));
    let line = &memory.records()[0];
    assert_eq!(line.u64("http.response.status_code"), Some(502));
    let events = events(line);
    assert_eq!(events.len(), 3, "{}", line.line());
    let pick = |e: &Value| json!([e["level"], e["target"], e["message"], e["fields"]]);
    assert_eq!(
        pick(&events[0]),
        json!(["DEBUG", "debug_events", "calling the provider", {"provider": "fakepay", "amount": 1999}])
    );
    assert_eq!(
        pick(&events[1]),
        json!(["INFO", "debug_events", "provider answered", {"attempt": 1}])
    );
    assert_eq!(
        pick(&events[2]),
        json!(["WARN", "debug_events", "payment refused", {"status": "declined", "retry": false}])
    );
    // Times are RFC 3339 and in order.
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert!(
        times.iter().all(|t| t.len() == 27 && t.ends_with('Z')),
        "{times:?}"
    );
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(line.get("debug.dropped"), None);
}

#[test]
fn a_successful_request_carries_none() {
    let memory = MemorySink::new();
    with_layer(send(&log(&memory, DebugEvents::new()), "/pay?status=ok"));
    let line = &memory.records()[0];
    assert_eq!(line.u64("http.response.status_code"), Some(200));
    assert_eq!(line.get("debug.events"), None, "{}", line.line());
    assert_eq!(line.get("debug.dropped"), None);
}

#[test]
fn a_slow_request_carries_them_past_the_threshold() {
    let memory = MemorySink::new();
    let slow = DebugEvents::new().slower_than(Duration::from_millis(10));
    let not_slow = DebugEvents::new().slower_than(Duration::from_secs(60));
    with_layer(async {
        send(&log(&memory, slow), "/slow").await;
        send(&log(&memory, not_slow), "/slow").await;
    });
    let lines = memory.records();
    let messages: Vec<Value> = events(&lines[0])
        .iter()
        .map(|e| e["message"].clone())
        .collect();
    assert_eq!(
        messages,
        [json!("starting a slow job"), json!("slow job done")]
    );
    assert_eq!(lines[0].u64("http.response.status_code"), Some(200));
    assert!(events(&lines[1]).is_empty(), "{}", lines[1].line());
}

#[test]
fn events_of_spawned_tasks_and_inner_spans_are_included() {
    let memory = MemorySink::new();
    with_layer(send(&log(&memory, DebugEvents::new()), "/spawn"));
    let events = events(&memory.records()[0]);
    let messages: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "before the task",
            "inside the spawned task",
            "inside a span of the handler"
        ]
    );
    assert_eq!(events[1]["fields"], json!({"from": "task"}));
}

/// On a multi-threaded runtime, a task spawned in the request's span runs on another
/// worker and still lands in the request's buffer.
#[test]
fn spawned_tasks_on_other_workers_are_included() {
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(DebugEvents::layer()));
    let on_workers = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || {
            // The worker keeps the subscriber for its life.
            std::mem::forget(tracing::dispatcher::set_default(&on_workers));
        })
        .enable_all()
        .build()
        .unwrap();
    let memory = MemorySink::new();
    let log = log(&memory, DebugEvents::new());
    for _ in 0..20 {
        runtime.block_on(async {
            let log = log.clone();
            tokio::spawn(async move { send(&log, "/spawn").await })
                .await
                .unwrap();
        });
    }
    drop(dispatch);
    for line in memory.records() {
        let messages: Vec<Value> = events(&line).iter().map(|e| e["message"].clone()).collect();
        assert_eq!(messages.len(), 3, "{}", line.line());
        assert_eq!(messages[1], "inside the spawned task");
    }
}

#[test]
fn a_flood_keeps_the_count_bound_and_counts_the_overflow_exactly() {
    let memory = MemorySink::new();
    let settings = DebugEvents::new().max_events(64).max_bytes(16 * 1024);
    with_layer(send(&log(&memory, settings), "/flood?10000"));
    let line = &memory.records()[0];
    let events = events(line);
    assert_eq!(
        events.len(),
        64,
        "small events: the count bound is the one reached"
    );
    assert_eq!(line.u64("debug.dropped"), Some(10_000 - 64));
    // The first events are the ones kept, in order.
    let first: Vec<u64> = events
        .iter()
        .map(|e| e["fields"]["i"].as_u64().unwrap())
        .collect();
    assert_eq!(first, (0..64).collect::<Vec<u64>>());
    // Plain text: the line's array is within the byte bound too.
    let array = serde_json::to_string(line.get("debug.events").unwrap()).unwrap();
    assert!(array.len() <= 16 * 1024, "{} bytes", array.len());
}

#[test]
fn a_flood_of_large_events_keeps_the_byte_bound() {
    let memory = MemorySink::new();
    let settings = DebugEvents::new().max_events(64).max_bytes(16 * 1024);
    with_layer(send(&log(&memory, settings), "/big"));
    let line = &memory.records()[0];
    let events = events(line);
    // Each event counts 1000 bytes of text, its target, message and field names, and 96.
    let each = 1000 + "debug_events".len() + "big event".len() + "i".len() + 8 + "text".len() + 96;
    assert_eq!(events.len(), 16 * 1024 / each, "{}", line.line());
    assert_eq!(line.u64("debug.dropped"), Some(100 - events.len() as u64));
    let array = serde_json::to_string(line.get("debug.events").unwrap()).unwrap();
    assert!(array.len() <= 16 * 1024, "{} bytes", array.len());
}

#[test]
fn events_outside_any_request_are_not_captured() {
    let memory = MemorySink::new();
    let log = log(&memory, DebugEvents::new());
    with_layer(async {
        tracing::debug!("before any request");
        let outside = tracing::info_span!("outside");
        async { tracing::error!("in a span that is no request") }
            .instrument(outside)
            .await;
        send(&log, "/flood?1").await;
        tracing::debug!("after the request");
    });
    let events = events(&memory.records()[0]);
    let messages: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["flood event"]);
}

#[test]
fn concurrent_requests_do_not_mix_their_events() {
    let memory = MemorySink::new();
    let log = log(&memory, DebugEvents::new());
    with_layer(async {
        tokio::join!(
            send(&log, "/a-fail"),
            send(&log, "/b-fail"),
            send(&log, "/c-ok")
        );
    });
    let lines = memory.records();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let path = line.str("url.path").unwrap();
        let events = events(line);
        if path == "/c-ok" {
            assert!(events.is_empty());
            continue;
        }
        let tags: Vec<(&str, u64)> = events
            .iter()
            .map(|e| {
                (
                    e["fields"]["path"].as_str().unwrap(),
                    e["fields"]["i"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(&str, u64)> = (0..5).map(|i| (path, i)).collect();
        assert_eq!(tags, want, "{}", line.line());
    }
}

#[test]
fn hostile_event_text_stays_one_valid_line() {
    let memory = MemorySink::new();
    with_layer(send(&log(&memory, DebugEvents::new()), "/hostile"));
    let line = &memory.records()[0];
    assert_eq!(line.line().trim_end().lines().count(), 1);
    let parsed: Value = serde_json::from_str(line.line()).expect("valid JSON");
    let events = parsed["debug.events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let first = &events[0];
    assert_eq!(
        first["message"],
        "message with \"quotes\", a newline\nand a NUL \u{0} and \u{2028}"
    );
    assert_eq!(first["fields"]["quote"], "\"}]{\"");
    assert_eq!(first["fields"]["control"], "a\u{0}b\u{1b}[31mc\r\nd");
    assert_eq!(first["fields"]["weird \"field\" name"], "x");
    // Long text is cut at 1 KiB, at a character boundary, and says so.
    let long = first["fields"]["long"].as_str().unwrap();
    assert!(
        long.len() <= 1024 + 3 && long.ends_with('…'),
        "{}",
        long.len()
    );
    let debug = events[1]["fields"]["value"].as_str().unwrap();
    assert!(debug.len() <= 1024 + 3 && debug.ends_with('…'));
}

/// In logfmt, the events are one quoted value of compact JSON, and the line stays one line.
#[test]
fn hostile_event_text_stays_one_logfmt_line() {
    use reqlog::format::{Format, Logfmt};
    let lines = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let out = lines.clone();
    let sink = reqlog::sink::from_fn(move |record: &reqlog::Record| {
        let mut line = Vec::new();
        Logfmt.format(record, &mut line);
        out.lock().unwrap().push(line);
    });
    let log = RequestLog::new()
        .sink(sink)
        .debug_events(DebugEvents::new());
    with_layer(send(&log, "/hostile"));
    let line = String::from_utf8(lines.lock().unwrap()[0].clone()).unwrap();
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    assert!(line.ends_with('\n'));
    let start = line.find(" debug.events=\"").expect("debug.events") + " debug.events=".len();
    // The value is a JSON string (logfmt's quoting is JSON's) holding the JSON array.
    let mut stream = serde_json::Deserializer::from_str(&line[start..]).into_iter::<String>();
    let inner = stream.next().unwrap().unwrap();
    let events: Value = serde_json::from_str(&inner).unwrap();
    assert_eq!(events[0]["fields"]["quote"], "\"}]{\"");
}

/// A console layer filtered to INFO does not show the DEBUG events the buffer keeps.
#[test]
fn a_console_filtered_to_info_hides_what_the_buffer_keeps() {
    #[derive(Clone, Default)]
    struct Console(Arc<Mutex<Vec<u8>>>);
    impl Write for Console {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let console = Console::default();
    let writer = console.clone();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_filter(LevelFilter::INFO),
        )
        .with(DebugEvents::layer());
    let _default = tracing::subscriber::set_default(subscriber);
    let memory = MemorySink::new();
    runtime().block_on(send(&log(&memory, DebugEvents::new()), "/pay?status=error"));
    let shown = String::from_utf8(console.0.lock().unwrap().clone()).unwrap();
    assert!(!shown.contains("calling the provider"), "{shown}");
    assert!(shown.contains("payment refused"), "{shown}");
    assert_eq!(events(&memory.records()[0]).len(), 3);
}

/// `max_level(INFO)` leaves `debug!` (and `trace!`) events out.
#[test]
fn max_level_leaves_more_verbose_events_out() {
    let subscriber =
        tracing_subscriber::registry().with(DebugEvents::layer().max_level(tracing::Level::INFO));
    let _default = tracing::subscriber::set_default(subscriber);
    let memory = MemorySink::new();
    runtime().block_on(send(&log(&memory, DebugEvents::new()), "/pay?status=error"));
    let levels: Vec<Value> = events(&memory.records()[0])
        .iter()
        .map(|e| e["level"].clone())
        .collect();
    assert_eq!(levels, [json!("INFO"), json!("WARN")]);
}

/// Without the layer, or without `RequestLog::debug_events`, nothing is attached.
#[test]
fn nothing_is_attached_without_both_parts() {
    let memory = MemorySink::new();
    // No layer in the subscriber.
    let subscriber = tracing_subscriber::registry();
    tracing::subscriber::with_default(subscriber, || {
        runtime().block_on(send(&log(&memory, DebugEvents::new()), "/pay?status=error"))
    });
    // The layer, but buffering not turned on.
    with_layer(send(
        &RequestLog::new().sink(memory.clone()),
        "/pay?status=error",
    ));
    for line in memory.records() {
        assert_eq!(line.u64("http.response.status_code"), Some(502));
        assert_eq!(line.get("debug.events"), None, "{}", line.line());
    }
}

/// Events emitted while the response body streams count too (the span is entered
/// while the body is polled).
#[test]
fn events_of_a_streaming_body_are_included() {
    use futures_util::StreamExt;
    use http_body_util::StreamBody;
    let memory = MemorySink::new();
    let service = log(&memory, DebugEvents::new()).layer(service_fn(
        |_req: Request<reqlog::request_log::RequestBody<String>>| async {
            let chunks = futures_util::stream::iter(0..3u64).map(|i| {
                tracing::debug!(chunk = i, "sending a chunk");
                Ok::<_, Infallible>(http_body::Frame::data(bytes::Bytes::from_static(b"x")))
            });
            let mut response = Response::new(StreamBody::new(chunks));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            Ok::<_, Infallible>(response)
        },
    ));
    with_layer(async {
        let response = service.oneshot(Request::new(String::new())).await.unwrap();
        response.into_body().collect().await.unwrap();
    });
    let chunks: Vec<Value> = events(&memory.records()[0])
        .iter()
        .map(|e| e["fields"]["chunk"].clone())
        .collect();
    assert_eq!(chunks, [json!(0), json!(1), json!(2)]);
}

#[test]
fn with_a_sampling_policy_kept_failures_and_slow_lines_carry_them() {
    use reqlog::Keep;
    let memory = MemorySink::new();
    // The policy's own threshold says what is slow when `DebugEvents` names none; its
    // one-in-N sampling drops the second successful `/pay`, events and all.
    let log = RequestLog::new()
        .sink(memory.clone())
        .keep(
            Keep::new()
                .slower_than(Duration::from_millis(10))
                .one_in(100),
        )
        .debug_events(DebugEvents::new());
    with_layer(async {
        send(&log, "/pay?status=error").await;
        send(&log, "/pay").await;
        send(&log, "/pay").await;
        send(&log, "/slow").await;
    });
    let lines = memory.records();
    assert_eq!(
        lines.len(),
        3,
        "{:?}",
        lines.iter().map(|l| l.line()).collect::<Vec<_>>()
    );
    assert_eq!(lines[0].u64("http.response.status_code"), Some(502));
    assert_eq!(events(&lines[0]).len(), 3);
    // Kept as the first of its route in 100: not failed, not slow, so no events.
    assert_eq!(lines[1].u64("sample.rate"), Some(100));
    assert!(events(&lines[1]).is_empty(), "{}", lines[1].line());
    // Kept as slow by the policy: it says why.
    assert_eq!(events(&lines[2]).len(), 2, "{}", lines[2].line());
}

#[test]
fn the_start_record_names_the_settings() {
    use reqlog::AppStart;
    let memory = MemorySink::new();
    log(
        &memory,
        DebugEvents::new()
            .max_events(8)
            .slower_than(Duration::from_millis(250)),
    )
    .log_start(AppStart::new("app"));
    RequestLog::new()
        .sink(memory.clone())
        .log_start(AppStart::new("app"));
    let lines = memory.records();
    assert_eq!(
        lines[0].str("reqlog.debug_events"),
        Some("8 events, 16384 bytes per request; failed requests, slower than 250 ms")
    );
    assert_eq!(lines[1].str("reqlog.debug_events"), Some("off"));
}
