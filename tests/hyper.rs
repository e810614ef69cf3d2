//! The plain hyper example through a real hyper client: one line per request, with the
//! client's address and port from the `SocketAddr` the server put in the extensions.

mod support;

#[path = "../examples/hyper.rs"]
#[allow(dead_code)]
mod example;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use reqlog::sink::MemorySink;
use reqlog::RequestLog;
use support::WAIT;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn one_line_per_request_with_the_client_address() {
    let memory = MemorySink::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(example::serve(
        listener,
        RequestLog::new().sink(memory.clone()),
    ));

    // One keep-alive HTTP/1.1 connection from a known local port.
    let stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut answers = Vec::new();
    for (method, path, body) in [
        ("GET", "/", ""),
        ("POST", "/echo", "twelve bytes"),
        ("GET", "/missing", ""),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "test.local")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        sender.ready().await.unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        answers.push((status, String::from_utf8_lossy(&body).into_owned()));
    }
    assert_eq!(answers[0], (200, "hello\n".into()));
    assert_eq!(answers[1], (200, "12 bytes\n".into()));
    assert_eq!(answers[2].0, 404);

    let records = memory.wait_for(3, WAIT).await;
    assert_eq!(records.len(), 3, "{records:#?}");
    let expected = [
        ("/", 200, "INFO"),
        ("/echo", 200, "INFO"),
        ("/missing", 404, "WARN"),
    ];
    for (r, (path, status, level)) in records.iter().zip(expected) {
        assert_eq!(r.str("url.path"), Some(path));
        assert_eq!(r.u64("http.response.status_code"), Some(status));
        assert_eq!(r.str("level"), Some(level));
        assert_eq!(r.str("outcome"), Some("ok"));
        assert_eq!(r.str("client.address"), Some("127.0.0.1"));
        assert_eq!(r.u64("client.port"), Some(u64::from(local.port())));
        assert_eq!(r.str("server.address"), Some("test.local"));
        assert_eq!(r.str("network.protocol.version"), Some("1.1"));
        assert_eq!(r.get("rpc.system.name"), None);
    }
    assert_eq!(records[1].u64("http.request.body.size"), Some(12));
    assert_eq!(records[1].u64("http.response.body.size"), Some(9));
}
