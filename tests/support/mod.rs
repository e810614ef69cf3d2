//! Test support: a real server on 127.0.0.1:0 and small clients.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a test waits for records before it gives up.
pub const WAIT: Duration = Duration::from_secs(10);

/// Serves `service` on a fresh loopback port, HTTP/1.1 and HTTP/2 (prior knowledge),
/// with upgrades, putting the peer `SocketAddr` into the request extensions as hyper
/// users do. Returns the address.
pub async fn serve<S, B>(service: S) -> SocketAddr
where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let svc = service.clone();
            tokio::spawn(async move {
                let svc = tower::ServiceBuilder::new()
                    .map_request(move |mut req: Request<Incoming>| {
                        req.extensions_mut().insert(peer);
                        req
                    })
                    .service(svc);
                let svc = hyper_util::service::TowerToHyperService::new(svc);
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// Serves an axum router (with `ConnectInfo<SocketAddr>`), as `axum::serve` does.
pub async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    addr
}

/// Serves any axum-typed service as `axum::serve` serves a router, with
/// `ConnectInfo<SocketAddr>` (the example site, whose layers wrap its router).
pub async fn serve_axum_service<S>(service: S) -> SocketAddr
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let make = tower::service_fn(
        move |stream: axum::serve::IncomingStream<'_, TcpListener>| {
            let peer = axum::extract::ConnectInfo(*stream.remote_addr());
            let svc = tower::Layer::layer(&axum::Extension(peer), service.clone());
            std::future::ready(Ok::<_, Infallible>(svc))
        },
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, make).await;
    });
    addr
}

/// A raw HTTP/1.1 exchange: sends `request` bytes as they are, reads until the server
/// closes (send `Connection: close`). Returns the raw response.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    out
}

/// A simple GET over HTTP/1.1; returns status, headers and body.
pub async fn fetch(addr: SocketAddr, path_and_headers: &str) -> (u16, String) {
    let req = format!("GET {path_and_headers}\r\nHost: test.local\r\nConnection: close\r\n\r\n");
    let resp = raw(addr, req.as_bytes()).await;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// One request over HTTP/2 with prior knowledge; returns the status and the body.
pub async fn get_h2(addr: SocketAddr, path: &str) -> (u16, Bytes) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = Request::get(format!("http://test.local{path}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}
