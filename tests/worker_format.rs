//! `NonBlocking` formats on its worker thread (issue #19): the bytes it writes are the
//! bytes formatting on the request's thread wrote, byte for byte, for every format and
//! whichever way the record reaches it (handed over by `RequestLog`, or lent to
//! `emit`); a panicking format costs one counted line; a handle a handler keeps is
//! never given to another request.

use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use reqlog::format::{Combined, Format, JsonLines, Logfmt, Pretty, Schema};
use reqlog::sink::{from_fn, NonBlocking, Sink, SinkExt, WriterGuard};
use reqlog::{Record, RecordHandle, RequestLog};

#[path = "support/shared.rs"]
mod shared;
use shared::Shared;

/// Every format of the crate, by name.
fn formats() -> Vec<(&'static str, Arc<dyn Format>)> {
    vec![
        ("json", Arc::new(JsonLines::new())),
        ("logfmt", Arc::new(Logfmt)),
        ("combined", Arc::new(Combined)),
        ("ecs", Arc::new(JsonLines::new().schema(Schema::Ecs))),
        (
            "gcp",
            Arc::new(
                JsonLines::new()
                    .schema(Schema::GoogleCloud)
                    .gcp_project("p\"\n"),
            ),
        ),
        ("pretty", Arc::new(Pretty::new().colors(false))),
    ]
}

/// A `Format` that forwards to a shared one (the builder takes formats by value).
struct Via(Arc<dyn Format>);

impl Format for Via {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        self.0.format(record, out)
    }
    fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// A format's name and itself, its `NonBlocking` sink and guard, and what it wrote.
type Writer = (
    &'static str,
    Arc<dyn Format>,
    NonBlocking,
    WriterGuard,
    Shared,
);

/// A `NonBlocking` sink per format, writing to a buffer the test reads.
struct Writers(Vec<Writer>);

impl Writers {
    fn new() -> Writers {
        Writers(
            formats()
                .into_iter()
                .map(|(name, format)| {
                    let out = Shared::default();
                    let (sink, guard) = NonBlocking::builder()
                        .format(Via(format.clone()))
                        .finish(out.clone());
                    (name, format, sink, guard, out)
                })
                .collect(),
        )
    }

    /// Writes `record` through each sink, handed over and lent, and checks the bytes
    /// against formatting it here.
    fn check(&self, record: &Record) -> Result<(), TestCaseError> {
        for (name, format, sink, _, out) in &self.0 {
            let mut here = Vec::new();
            format.format(record, &mut here);
            let mut owned = record.clone();
            sink.emit_owned(&mut owned);
            sink.emit(record);
            prop_assert!(sink.flush());
            let mut twice = here.clone();
            twice.extend_from_slice(&here);
            let written = out.take();
            prop_assert_eq!(
                String::from_utf8_lossy(&written),
                String::from_utf8_lossy(&twice),
                "format {}",
                name
            );
        }
        Ok(())
    }
}

fn writers() -> &'static Writers {
    static WRITERS: std::sync::OnceLock<Writers> = std::sync::OnceLock::new();
    WRITERS.get_or_init(Writers::new)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_worker_writes_the_bytes_of_the_callers_format(
        a in any::<String>(),
        b in "\\PC*[\"\\\\\n\r\u{2028}\u{0}]\\PC*",
        key in prop::sample::select(vec![
            "note", "message", "severity", "time", "httpRequest", "client.ip",
            "ecs.version", "event.kind", "event.duration", "user.hash", "url.domain",
        ]),
        n in any::<u64>(),
    ) {
        let record = Record::event("prop")
            .with("field.a", a)
            .with(key, b)
            .with("field.n", n)
            .with("field.list", reqlog::FieldValue::List(vec!["x".into(), "y\"z".into()]));
        writers().check(&record)?;
    }
}

/// Real requests, hostile text in every captured field: the record `RequestLog` hands
/// over is written as the request's thread would have written it.
#[tokio::test]
async fn request_records_are_written_as_the_caller_would() {
    let lent: Arc<Mutex<Vec<Record>>> = Arc::default();
    let writers = Writers::new();
    // The first branch of the tee sees the record before the second takes it.
    let keep = {
        let lent = lent.clone();
        from_fn(move |r: &Record| lent.lock().unwrap().push(r.clone()))
    };
    let mut sink: Box<dyn Sink> = Box::new(keep);
    for (_, _, nb, _, _) in &writers.0 {
        sink = Box::new(sink.tee(nb.clone()));
    }
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .service(tower::service_fn(|req: http::Request<_>| async move {
            if let Some(h) = RecordHandle::from_request(&req) {
                let _ = h.insert("app.note", "a \"b\"\n\u{2028}");
                let _ = h.insert("app.n", 7u64);
            }
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                bytes::Bytes::from_static(b"x"),
            )))
        }));
    let ua = http::HeaderValue::from_bytes(b"a \"q\" \\ \t \xff\xfe \xe2\x80\xa8 z").unwrap();
    for target in ["/p%22a%0d%0ath?q=%22x%22", "/", "/wp-login.php?u=a@b.c"] {
        let req = http::Request::get(target)
            .header("user-agent", ua.clone())
            .header("host", "ex\"ample")
            .header("referer", "https://x/\"?a=1")
            .header(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(svc.clone(), req).await.unwrap();
        http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap();
    }
    let records = lent.lock().unwrap();
    assert_eq!(records.len(), 3);
    for (name, format, sink, _, out) in &writers.0 {
        assert!(sink.flush());
        let mut here = Vec::new();
        for r in records.iter() {
            format.format(r, &mut here);
        }
        assert_eq!(
            String::from_utf8_lossy(&out.take()),
            String::from_utf8_lossy(&here),
            "format {name}"
        );
    }
}

/// A format that panics on some records.
struct Fussy;

impl Format for Fussy {
    fn format(&self, record: &Record, out: &mut Vec<u8>) {
        if record.get("bad").is_some() {
            out.extend_from_slice(b"half a line");
            panic!("this format does not like the record");
        }
        JsonLines::new().format(record, out)
    }
    fn name(&self) -> &'static str {
        "fussy"
    }
}

#[test]
fn a_panicking_format_costs_its_record_only() {
    let out = Shared::default();
    let (sink, guard) = NonBlocking::builder().format(Fussy).finish(out.clone());
    // One round done: the worker has made its spare records, so the records go to
    // it (a producer that finds none formats on its own thread, where `RequestLog`
    // contains a panic).
    assert!(sink.flush());
    sink.emit(&Record::event("one"));
    sink.emit(&Record::event("two").with("bad", true));
    sink.emit(&Record::event("three"));
    assert!(sink.flush());
    drop(guard);
    let text = String::from_utf8(out.take()).unwrap();
    let names: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["otel.event.name"].clone())
        .collect();
    assert_eq!(names[..2], ["one", "three"], "{text}");
    assert!(!text.contains("half a line"), "{text}");
    assert_eq!(sink.dropped_lines(), 1);
    // The drop is reported in the log itself.
    assert!(text.contains("reqlog.dropped"), "{text}");
}

#[tokio::test]
async fn a_handle_kept_by_the_handler_is_never_given_to_another_request() {
    let kept: Arc<Mutex<Vec<RecordHandle>>> = Arc::default();
    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let svc = {
        let kept = kept.clone();
        tower::ServiceBuilder::new()
            .layer(RequestLog::new().sink(sink))
            .service(tower::service_fn(move |req: http::Request<_>| {
                let kept = kept.clone();
                async move {
                    let h = RecordHandle::from_request(&req).unwrap().clone();
                    assert!(!h.is_finished(), "a new request got a finished record");
                    let mut kept = kept.lock().unwrap();
                    // Had this request been given a kept cell, that handle would see
                    // an unfinished record again.
                    assert!(kept.iter().all(RecordHandle::is_finished));
                    kept.push(h);
                    Ok::<_, std::convert::Infallible>(http::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"x")),
                    ))
                }
            }))
    };
    for i in 0..40 {
        let req = http::Request::get(format!("/r/{i}"))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(svc.clone(), req).await.unwrap();
        http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap();
        // Every other handle is let go: those cells may serve the next requests.
        if i % 2 == 1 {
            kept.lock().unwrap().pop();
        }
    }
    let kept = kept.lock().unwrap();
    assert_eq!(kept.len(), 20);
    assert!(kept.iter().all(RecordHandle::is_finished));
}

/// With one queued line at most, producers often find no spare record and format the
/// line themselves: the lines still come out in order, as the caller would write them.
#[test]
fn lines_formatted_without_a_spare_record_keep_their_order() {
    let out = Shared::default();
    let (sink, guard) = NonBlocking::builder()
        .buffered_lines_limit(1)
        .overflow(reqlog::sink::Overflow::Block)
        .finish(out.clone());
    let mut here = Vec::new();
    for i in 0..200u64 {
        let mut record = Record::event("seq").with("app.i", i);
        JsonLines::new().format(&record, &mut here);
        if i % 3 == 0 {
            sink.emit(&record);
        } else {
            sink.emit_owned(&mut record);
        }
    }
    drop(guard);
    assert_eq!(
        String::from_utf8_lossy(&out.take()),
        String::from_utf8_lossy(&here)
    );
    assert_eq!(sink.dropped_lines(), 0);
}
