//! [`ResponseFuture`]: sees the response head (or the service's error).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use super::body::ResponseBody;
use super::debug::RequestSpan;
use super::finish::{Finisher, PanicSentry};
use super::request_id::X_REQUEST_ID;
use crate::Outcome;

pin_project! {
    /// The response future of [`RequestLogService`](super::RequestLogService).
    ///
    /// Dropped before the head is ready (the client went away), it writes the record
    /// with `outcome: "aborted"`.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        finisher: Option<Finisher>,
        request_id: Option<HeaderValue>,
        // Entered while the inner future is polled, then handed to the body.
        span: RequestSpan,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        finisher: Option<Finisher>,
        request_id: Option<HeaderValue>,
        span: RequestSpan,
    ) -> Self {
        ResponseFuture {
            inner,
            finisher,
            request_id,
            span,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = {
            let _entered = this.span.enter();
            let _sentry = PanicSentry(this.finisher);
            ready!(this.inner.poll(cx))
        };
        let mut finisher = this.finisher.take();
        match result {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                if let Some(id) = this.request_id.take() {
                    if !parts.headers.contains_key(&X_REQUEST_ID) {
                        parts.headers.insert(X_REQUEST_ID.clone(), id);
                    }
                }
                if let Some(f) = finisher.as_mut() {
                    f.head(parts.status, &parts.headers);
                    if parts.status == http::StatusCode::SWITCHING_PROTOCOLS {
                        f.finish(Outcome::Upgraded);
                    } else if body.is_end_stream() {
                        // Servers do not poll a body that says it is empty.
                        f.finish(Outcome::Ok);
                    }
                }
                let finisher = finisher.filter(|_| !body.is_end_stream());
                let span = std::mem::take(this.span);
                Poll::Ready(Ok(Response::from_parts(
                    parts,
                    ResponseBody::new(body, finisher, span),
                )))
            }
            Err(e) => {
                if let Some(f) = finisher.as_mut() {
                    f.finish(Outcome::Error);
                }
                Poll::Ready(Err(e))
            }
        }
    }
}
