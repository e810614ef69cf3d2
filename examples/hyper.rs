//! `RequestLog` on plain hyper 1, without axum.
//!
//! ```text
//! cargo run --example hyper                     # serves on 127.0.0.1:3000
//! curl -i localhost:3000/                       # in another terminal
//! curl -i -d 'some bytes' localhost:3000/echo
//! ```
//!
//! What to look at: one line per request, with `client.address` and `client.port`.
//! Without axum's `ConnectInfo`, reqlog finds the peer as a `SocketAddr` in the request
//! extensions: `serve` puts it there for each connection before `RequestLog` runs.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use reqlog::request_log::RequestBody;
use reqlog::RequestLog;
use tokio::net::TcpListener;

/// The application: a greeting, an echo that reads the request body, 404 otherwise.
/// `RequestLog` hands it the body wrapped in a [`RequestBody`], which counts the bytes
/// read for `http.request.body.size`.
async fn app(req: Request<RequestBody<Incoming>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: StatusCode, body: String| {
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = status;
        resp
    };
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => reply(StatusCode::OK, "hello\n".into()),
        (&Method::POST, "/echo") => match req.into_body().collect().await {
            Ok(body) => reply(StatusCode::OK, format!("{} bytes\n", body.to_bytes().len())),
            Err(_) => reply(StatusCode::BAD_REQUEST, "unreadable body\n".into()),
        },
        _ => reply(StatusCode::NOT_FOUND, "not found\n".into()),
    })
}

/// Serves `app` behind `log` on `listener`, HTTP/1.1 and HTTP/2, until the task is
/// dropped.
pub async fn serve(listener: TcpListener, log: RequestLog) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let svc = tower::ServiceBuilder::new()
            // Where reqlog looks for the client without axum.
            .map_request(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(peer);
                req
            })
            .layer(log.clone())
            .service_fn(app);
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc))
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (sink, _guard) = reqlog::sink::stdout(); // flushes on exit
    let log = RequestLog::new().sink(sink);
    let listener = TcpListener::bind("127.0.0.1:3000").await?;
    let addr: SocketAddr = listener.local_addr()?;
    log.log_start(reqlog::AppStart::new("hyper-example").listening(addr));
    tokio::select! {
        () = serve(listener, log) => Ok(()),
        r = tokio::signal::ctrl_c() => r,
    }
}
