//! [`RequestLogService`]: starts the record and hands the request on.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tower_service::Service;

use super::body::ResponseBody;
use super::capture::capture;
use super::client_ip::{peer, resolve, Resolved};
use super::correlation::{hand_on_request_id, trace_context};
use super::debug::{self, RequestSpan};
use super::finish::Finisher;
use super::future::ResponseFuture;
use super::grpc;
use super::layer::Config;
use super::request_body::RequestBody;
use crate::sink::Sink;
use crate::RecordHandle;

/// What every request of one service shares: the settings and the resolved sink.
pub(crate) struct Runtime {
    pub(crate) config: Arc<Config>,
    pub(crate) sink: Arc<dyn Sink>,
}

/// The service made by [`RequestLog`](crate::RequestLog).
///
/// It passes the request on with its body wrapped in a [`RequestBody`] (which counts
/// the bytes read) and, in the extensions, a [`RecordHandle`], the line's
/// [`RequestId`](super::RequestId) and the caller's [`TraceContext`](super::TraceContext)
/// (when a valid `traceparent` came); it wraps the response body in a [`ResponseBody`]
/// that finishes the record at the last byte.
#[derive(Clone)]
pub struct RequestLogService<S> {
    inner: S,
    runtime: Arc<Runtime>,
}

impl<S> std::fmt::Debug for RequestLogService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLogService")
            .field("sink", &self.runtime.sink.describe())
            .finish_non_exhaustive()
    }
}

impl<S> RequestLogService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        let sink = config.sink();
        RequestLogService {
            inner,
            runtime: Arc::new(Runtime { config, sink }),
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestLogService<S>
where
    S: Service<Request<RequestBody<ReqBody>>, Response = Response<ResBody>>,
    ResBody: http_body::Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let (mut parts, body) = req.into_parts();
        let config = &self.runtime.config;
        if config.skip.as_ref().is_some_and(|skip| skip(&parts)) {
            // The caller's trace is the request's, logged or not: handlers of skipped
            // requests may join it too.
            if let Some(trace) = trace_context(&parts.headers) {
                parts.extensions.insert(trace);
            }
            // Not logged, but inner layers (the detector's 404 count) must judge the
            // client the trusted proxies name, not the proxy itself.
            let client = resolve(peer(&parts.extensions), &parts.headers, &config.proxies);
            parts.extensions.insert(Resolved(client));
            let req = Request::from_parts(parts, RequestBody::new(body, None));
            return ResponseFuture::new(self.inner.call(req), None, None, RequestSpan::default());
        }
        let is_grpc = grpc::is_grpc(&parts);
        let (handle, (captured, late_route)) = RecordHandle::begin("http.request", |record| {
            let (client, captured) = capture(record, &parts, config);
            if is_grpc {
                grpc::describe(record, parts.uri.path());
            }
            (client, (captured, record.route().is_none()))
        });
        let is_head = parts.method == http::Method::HEAD;
        parts.extensions.insert(handle.clone());
        hand_on_request_id(&mut parts, &captured.request_id, config.request_id_header);
        if let Some(trace) = captured.trace {
            parts.extensions.insert(trace);
        }
        let finisher = Finisher::new(
            handle.clone(),
            self.runtime.clone(),
            start,
            is_head,
            is_grpc,
            late_route,
        );
        let span = debug::start(config, &handle);
        let req = Request::from_parts(parts, RequestBody::new(body, Some(handle)));
        let response_id = config.set_response_id.then_some(captured.request_id);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, Some(finisher), response_id, span)
    }
}
