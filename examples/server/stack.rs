//! The logging layers around the whole router, and the peer address for them.
//!
//! Around the router, `RequestLog`, `ProbeDetector` and `UserActions` cost four heap
//! allocations per request fewer than in `Router::layer` (axum boxes a layered route
//! and the bodies of a layer that changes them); each handler reports its route with
//! `RouteHook` (`site.rs`), so `http.route` stays on the line. README, "Setting up with
//! axum".

use std::convert::Infallible;
use std::future::Ready;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use axum::serve::IncomingStream;
use axum::Router;
use reqlog::actions::{UserActions, UserActionsService};
use reqlog::probe::{ProbeDetector, ProbeDetectorService};
use reqlog::request_log::{RequestLogService, ResponseBody};
use reqlog::RequestLog;
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder};

/// The site: the three layers around the router, the response body boxed back into
/// axum's `Body` for `axum::serve`.
pub type Site = tower::util::MapResponse<
    RequestLogService<ProbeDetectorService<UserActionsService<Router>>>,
    fn(http::Response<ResponseBody<Body>>) -> Response,
>;

/// Puts the layer stack around `routes`, outermost first.
pub fn with_layers(
    routes: Router,
    log: RequestLog,
    detector: ProbeDetector,
    actions: UserActions,
) -> Site {
    let to_axum: fn(http::Response<ResponseBody<Body>>) -> Response = |r| r.map(Body::new);
    ServiceBuilder::new()
        .map_response(to_axum)
        .layer(log) // one line per request
        .layer(detector) // probes, crawlers, scanners
        .layer(actions) // what users do
        .service(routes)
}

/// What `axum::serve` takes: each connection's service puts the peer address in
/// `ConnectInfo` (for `client.address`), as a router's
/// `into_make_service_with_connect_info` does.
#[derive(Clone, Debug)]
pub struct WithPeer<S>(pub S);

impl<'a, S: Clone> Service<IncomingStream<'a, TcpListener>> for WithPeer<S> {
    type Response = AddPeer<S>;
    type Error = Infallible;
    type Future = Ready<Result<AddPeer<S>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, TcpListener>) -> Self::Future {
        std::future::ready(Ok(AddPeer {
            inner: self.0.clone(),
            peer: ConnectInfo(*stream.remote_addr()),
        }))
    }
}

/// One connection's service: the site, with the peer put in each request.
#[derive(Clone, Debug)]
pub struct AddPeer<S> {
    inner: S,
    peer: ConnectInfo<SocketAddr>,
}

impl<S, B> Service<http::Request<B>> for AddPeer<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(self.peer);
        self.inner.call(req)
    }
}
