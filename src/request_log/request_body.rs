//! [`RequestBody`]: counts the request body bytes the application reads.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::RecordHandle;

pin_project! {
    /// The request body as the inner service sees it behind
    /// [`RequestLog`](crate::RequestLog): the original body, with the bytes read counted
    /// for `http.request.body.size`. Request bodies are never logged.
    pub struct RequestBody<B> {
        #[pin]
        inner: B,
        counter: Option<RecordHandle>,
    }
}

impl<B> RequestBody<B> {
    pub(crate) fn new(inner: B, counter: Option<RecordHandle>) -> Self {
        RequestBody { inner, counter }
    }

    /// The original body, without counting.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: Body> Body for RequestBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = this.inner.poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(handle)) = (&frame, this.counter.as_ref()) {
            if let Some(data) = frame.data_ref() {
                handle
                    .cell
                    .request_body_bytes
                    .fetch_add(data.remaining() as u64, Ordering::Relaxed);
            }
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: Default> Default for RequestBody<B> {
    fn default() -> Self {
        RequestBody::new(B::default(), None)
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for RequestBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequestBody").field(&self.inner).finish()
    }
}
