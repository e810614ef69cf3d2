//! gRPC through a real tonic server and client on loopback: the status of each call
//! (from the head of a trailers-only response or from the trailers) is on its line, and
//! a failed call is not logged as a success although HTTP says 200.

mod support;

#[path = "../examples/grpc/greeter.rs"]
mod greeter;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::stream;
use greeter::{Greeter, GreeterClient, GreeterServer};
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use reqlog::actions::UserActions;
use reqlog::request_log::RequestBody;
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use serde_json::json;
use support::WAIT;
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;
use tonic::Code;

/// The example's Greeter behind `RequestLog` and `UserActions`, on tonic's own server.
async fn serve_greeter(memory: &MemorySink) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let layers = tower::ServiceBuilder::new()
        .map_request(greeter::with_peer)
        .layer(RequestLog::new().sink(memory.clone()))
        .layer(UserActions::new());
    let server = Server::builder()
        .layer(layers)
        .add_service(GreeterServer::new(Greeter))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(server);
    addr
}

async fn one(memory: &MemorySink) -> RecordSnapshot {
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records.len(), 1, "exactly one record: {records:#?}");
    records.into_iter().next().unwrap()
}

#[tokio::test]
async fn ok_call_is_logged_with_its_method_status_and_action() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    let reply = client.say_hello("Ada").await.unwrap();
    assert_eq!(reply.message, "Hello Ada!");

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.system.name"), Some("grpc"));
    assert_eq!(r.str("rpc.method"), Some("helloworld.Greeter/SayHello"));
    assert_eq!(r.str("rpc.response.status_code"), Some("OK"));
    assert_eq!(r.str("outcome"), Some("ok"));
    assert_eq!(r.str("level"), Some("INFO"));
    assert_eq!(r.get("error.type"), None);
    assert_eq!(r.str("http.request.method"), Some("POST"));
    assert_eq!(r.str("url.path"), Some("/helloworld.Greeter/SayHello"));
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert_eq!(r.str("network.protocol.version"), Some("2"));
    assert_eq!(r.str("client.address"), Some("127.0.0.1"));
    assert!(r.u64("http.response.body.size").unwrap() > 0);
    assert!(r.u64("http.request.body.size").unwrap() > 0);
    assert_eq!(
        r.get("visitor.actions"),
        Some(&json!([{"name": "greeting.sent", "language": "en"}]))
    );
}

#[tokio::test]
async fn not_found_is_a_failed_call_at_warn_without_the_message() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    let status = client.find_friend("Bob Secret").await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "no friend named Bob Secret");

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.method"), Some("helloworld.Greeter/FindFriend"));
    assert_eq!(r.str("rpc.response.status_code"), Some("NOT_FOUND"));
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.str("level"), Some("WARN"));
    // The caller's failure: no `error.type`, as for an HTTP 4xx (OpenTelemetry's gRPC
    // server conventions count only the server's failures as errors).
    assert_eq!(r.get("error.type"), None);
    assert!(!r.line().contains("Bob"), "{}", r.line());
    assert!(!r.line().contains("no friend"), "{}", r.line());
}

#[tokio::test]
async fn internal_is_an_error() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    assert_eq!(
        client.crash("Eve").await.unwrap_err().code(),
        Code::Internal
    );

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.response.status_code"), Some("INTERNAL"));
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.str("error.type"), Some("INTERNAL"));
    assert_eq!(r.str("level"), Some("ERROR"));
    assert!(!r.line().contains("broken"), "{}", r.line());
}

#[tokio::test]
async fn unknown_method_is_unimplemented() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    let status = client.unknown_method("x").await.unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.method"), Some("helloworld.Greeter/Nope"));
    assert_eq!(r.str("rpc.response.status_code"), Some("UNIMPLEMENTED"));
    assert_eq!(r.str("error.type"), Some("UNIMPLEMENTED"));
    assert_eq!(r.str("level"), Some("ERROR"));
}

#[tokio::test]
async fn streamed_call_gets_its_status_from_the_trailers() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    let (messages, end) = client.say_hellos("Ada").await;
    assert_eq!(messages.len(), 3);
    end.unwrap();

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.method"), Some("helloworld.Greeter/SayHellos"));
    assert_eq!(r.str("rpc.response.status_code"), Some("OK"));
    assert_eq!(r.str("outcome"), Some("ok"));
    assert_eq!(r.str("level"), Some("INFO"));
    // Timed to the trailers: three replies 10 ms apart.
    assert!(r.f64("duration_ms").unwrap() >= 30.0, "{}", r.line());
}

#[tokio::test]
async fn stream_that_fails_midway_is_an_error() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    let mut client = GreeterClient::connect(addr).await.unwrap();
    let (messages, end) = client.say_hellos("storm").await;
    assert_eq!(messages.len(), 2);
    assert_eq!(end.unwrap_err().code(), Code::Unavailable);

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.response.status_code"), Some("UNAVAILABLE"));
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.str("error.type"), Some("UNAVAILABLE"));
    assert_eq!(r.str("level"), Some("ERROR"));
    assert!(r.u64("http.response.body.size").unwrap() > 0);
}

/// What one HTTP/2 exchange returned: the head, the body and the trailers.
struct Exchange {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

/// One HTTP/2 POST with `content_type`, read to its trailers.
async fn post_h2(addr: SocketAddr, path: &str, content_type: &str, body: Bytes) -> Exchange {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = Request::post(format!("http://test.local{path}"))
        .header("content-type", content_type)
        .header("te", "trailers")
        .body(Full::new(body))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let collected = body.collect().await.unwrap();
    Exchange {
        status: parts.status.as_u16(),
        headers: parts.headers,
        trailers: collected.trailers().cloned(),
        body: collected.to_bytes(),
    }
}

/// A gRPC message frame: not compressed, length, payload.
fn grpc_frame(payload: &[u8]) -> Bytes {
    let mut b = vec![0u8];
    b.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    b.extend_from_slice(payload);
    b.into()
}

#[tokio::test]
async fn tonic_answers_an_early_error_trailers_only_and_the_head_status_is_read() {
    let memory = MemorySink::new();
    let addr = serve_greeter(&memory).await;
    // `HelloRequest { name: "Bob" }` in protobuf: field 1, length 3.
    let ex = post_h2(
        addr,
        "/helloworld.Greeter/FindFriend",
        "application/grpc",
        grpc_frame(b"\x0a\x03Bob"),
    )
    .await;
    assert_eq!(ex.status, 200);
    assert_eq!(ex.headers.get("grpc-status").unwrap(), "5");
    assert!(ex.body.is_empty() && ex.trailers.is_none());

    let r = one(&memory).await;
    assert_eq!(r.str("rpc.response.status_code"), Some("NOT_FOUND"));
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.u64("http.response.body.size"), Some(0));
}

type Frames = Vec<Result<Frame<Bytes>, Infallible>>;

/// A hand-made server (plain hyper, HTTP/2) behind `RequestLog`, answering every request
/// with a `200` head and `frames()`.
async fn serve_frames<F>(memory: &MemorySink, frames: F) -> SocketAddr
where
    F: Fn() -> Frames + Clone + Send + Sync + 'static,
{
    let svc = tower::service_fn(move |_req: Request<RequestBody<hyper::body::Incoming>>| {
        let mut resp = Response::new(StreamBody::new(stream::iter(frames())));
        resp.headers_mut()
            .insert("content-type", "application/grpc".parse().unwrap());
        async move { Ok::<_, Infallible>(resp) }
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .service(svc);
    support::serve(svc).await
}

fn trailers(status: &str) -> Frame<Bytes> {
    let mut t = HeaderMap::new();
    t.insert("grpc-status", status.parse().unwrap());
    t.insert("grpc-message", "secret%20detail".parse().unwrap());
    Frame::trailers(t)
}

#[tokio::test]
async fn statuses_from_trailers_are_named() {
    for (status, name, level, error_type) in [
        ("0", "OK", "INFO", None),
        ("16", "UNAUTHENTICATED", "WARN", None),
        ("4", "DEADLINE_EXCEEDED", "ERROR", Some("DEADLINE_EXCEEDED")),
        ("42", "UNKNOWN", "ERROR", Some("UNKNOWN")),
        ("bogus", "UNKNOWN", "ERROR", Some("UNKNOWN")),
    ] {
        let memory = MemorySink::new();
        let addr = serve_frames(&memory, move || {
            vec![Ok(Frame::data(grpc_frame(b"hi"))), Ok(trailers(status))]
        })
        .await;
        let ex = post_h2(
            addr,
            "/pkg.Svc/Call",
            "application/grpc+proto",
            Bytes::new(),
        )
        .await;
        assert_eq!(ex.trailers.unwrap().get("grpc-status").unwrap(), status);
        let r = one(&memory).await;
        assert_eq!(r.str("rpc.method"), Some("pkg.Svc/Call"));
        assert_eq!(r.str("rpc.response.status_code"), Some(name), "{status}");
        assert_eq!(r.str("level"), Some(level), "{status}");
        assert_eq!(r.str("error.type"), error_type, "{status}");
        let outcome = if name == "OK" { "ok" } else { "error" };
        assert_eq!(r.str("outcome"), Some(outcome), "{status}");
        assert_eq!(r.u64("http.response.body.size"), Some(7));
        assert!(!r.line().contains("secret"), "{}", r.line());
    }
}

#[tokio::test]
async fn a_grpc_response_without_a_status_failed() {
    let memory = MemorySink::new();
    // The stream ends after a message, without trailers (a server cut short).
    let addr = serve_frames(&memory, || vec![Ok(Frame::data(grpc_frame(b"hi")))]).await;
    let ex = post_h2(addr, "/pkg.Svc/Call", "application/grpc", Bytes::new()).await;
    assert_eq!(ex.status, 200);
    let r = one(&memory).await;
    assert_eq!(r.get("rpc.response.status_code"), None);
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.str("error.type"), Some("missing_grpc_status"));
    assert_eq!(r.str("level"), Some("ERROR"));
}

#[tokio::test]
async fn other_requests_are_not_calls_whatever_their_trailers() {
    let memory = MemorySink::new();
    let addr = serve_frames(&memory, || {
        vec![
            Ok(Frame::data(Bytes::from_static(b"{}"))),
            Ok(trailers("13")),
        ]
    })
    .await;
    for content_type in ["application/json", "application/grpc-web"] {
        post_h2(addr, "/pkg.Svc/Call", content_type, Bytes::new()).await;
        let r = one(&memory).await;
        memory.clear();
        assert_eq!(r.get("rpc.system.name"), None, "{content_type}");
        assert_eq!(r.get("rpc.method"), None);
        assert_eq!(r.get("rpc.response.status_code"), None);
        assert_eq!(r.str("outcome"), Some("ok"));
        assert_eq!(r.str("level"), Some("INFO"));
    }
}

#[tokio::test]
async fn a_path_that_is_not_a_method_is_other() {
    let memory = MemorySink::new();
    let addr = serve_frames(&memory, || vec![Ok(trailers("12"))]).await;
    post_h2(addr, "/not/a/method", "application/grpc", Bytes::new()).await;
    let r = one(&memory).await;
    assert_eq!(r.str("rpc.system.name"), Some("grpc"));
    assert_eq!(r.str("rpc.method"), Some("_OTHER"));
    assert_eq!(r.str("url.path"), Some("/not/a/method"));
    assert_eq!(r.str("rpc.response.status_code"), Some("UNIMPLEMENTED"));
}
