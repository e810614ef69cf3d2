//! [`ResponseBody`]: counts the bytes sent and finishes the record at the end.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::debug::RequestSpan;
use super::finish::{Finisher, PanicSentry};
use crate::Outcome;

pin_project! {
    /// The response body of [`RequestLogService`](super::RequestLogService).
    ///
    /// Writes the record at the end of the stream (`ok`), on an error (`error`), or when
    /// dropped early (`aborted`: the client went away mid-body). For a gRPC call it reads
    /// the `grpc-status` of the trailers as they pass.
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        // Entered while the inner body is polled: a streaming body's events count.
        // Declared (so dropped) before the finisher: closing the span lets go of its
        // link to the record, so the finisher's drop can give the cell back to the pool.
        span: RequestSpan,
        finisher: Option<Finisher>,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, finisher: Option<Finisher>, span: RequestSpan) -> Self {
        ResponseBody {
            inner,
            finisher,
            span,
        }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let polled = {
            let _entered = this.span.enter();
            let _sentry = PanicSentry(this.finisher);
            this.inner.as_mut().poll_frame(cx)
        };
        let Poll::Ready(frame) = polled else {
            return Poll::Pending;
        };
        if let Some(f) = this.finisher.as_mut() {
            match &frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        f.add_body_bytes(data.remaining());
                    } else if let Some(trailers) = frame.trailers_ref() {
                        // A gRPC status travels here.
                        f.trailers(trailers);
                        // Trailers are the last frame: servers poll no further, even
                        // when the body does not say it is done.
                        f.finish(Outcome::Ok);
                    }
                    // Servers stop polling once the body says it is done.
                    if this.inner.is_end_stream() {
                        f.finish(Outcome::Ok);
                    }
                }
                Some(Err(_)) => f.finish(Outcome::Error),
                None => f.finish(Outcome::Ok),
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: Default> Default for ResponseBody<B> {
    fn default() -> Self {
        ResponseBody::new(B::default(), None, RequestSpan::default())
    }
}
