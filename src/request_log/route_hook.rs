//! [`RouteHook`]: reports axum's matched route to a [`RequestLog`](super::RequestLog)
//! outside the router.

use std::task::{Context, Poll};

use axum::extract::MatchedPath;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::RecordHandle;

/// Puts the route axum matched (`http.route`) on the line of a
/// [`RequestLog`](crate::RequestLog) that wraps the whole router (feature `axum`).
///
/// axum knows the route only inside the router, so a `RequestLog` added with
/// `Router::layer` sees it; but axum boxes every route again for each `Router::layer`
/// (two allocations per request) and boxes the request and response bodies of a layer
/// that changes them (two more). `RequestLog` outside the router, with
/// `ProbeDetector` and `UserActions`, costs none of those. This hook, added to each
/// handler with [`Handler::layer`](axum::handler::Handler::layer), copies the route
/// into the request's record without allocating: it is zero-sized and changes neither
/// body, so axum boxes nothing more. With `Router::route_layer(RouteHook)` it covers
/// every route at once, at axum's two allocations per request.
///
/// `RequestLog` settles the route when it writes the line: capped like every field,
/// and a route that names a sensitive parameter (`/reset/{token}`) has `url.path`
/// redacted by that layer's rules, as `RequestLog` inside the router would. Without a
/// `RequestLog` outside, the hook does nothing.
///
/// # Example
/// ```
/// use axum::{handler::Handler, routing::get, Router};
/// use reqlog::{RequestLog, RouteHook};
///
/// async fn course() -> &'static str {
///     "course"
/// }
///
/// let router: Router = Router::new()
///     .route("/", get((|| async { "home" }).layer(RouteHook)))
///     .route("/courses/{course}", get(course.layer(RouteHook)));
/// // RequestLog around the whole router.
/// let app = tower::ServiceBuilder::new()
///     .layer(RequestLog::new())
///     .service(router);
/// # let _ = app;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteHook;

impl<S> Layer<S> for RouteHook {
    type Service = RouteHookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RouteHookService { inner }
    }
}

/// The service made by [`RouteHook`]: passes the request on unchanged.
///
/// # Example
/// ```
/// use reqlog::request_log::RouteHookService;
/// use reqlog::RouteHook;
/// use tower::Layer;
///
/// let svc: RouteHookService<_> = RouteHook.layer(tower::service_fn(
///     |_req: http::Request<()>| async {
///         Ok::<_, std::convert::Infallible>(http::Response::new(()))
///     },
/// ));
/// # let _ = svc;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RouteHookService<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RouteHookService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let ext = req.extensions();
        if let (Some(handle), Some(route)) =
            (RecordHandle::from_extensions(ext), ext.get::<MatchedPath>())
        {
            if !handle.is_finished() {
                let mut record = handle.lock();
                // A `RequestLog` inside the router already took it, capped.
                if record.route().is_none() {
                    let route = record.push_text(route.as_str());
                    record.set_route(route);
                }
            }
        }
        self.inner.call(req)
    }
}
