//! [`ResponseFuture`]: the inner response, or the detector's own answer to a blocked client.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{Response, StatusCode};
use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::layer::Block;
use super::service::Tracking;

pin_project! {
    /// The response future of [`ProbeDetectorService`](super::ProbeDetectorService).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        // Boxed: only blocked requests with a tarpit have one.
        tarpit: Option<Pin<Box<Sleep>>>,
        block: Option<Block>,
        tracking: Option<Tracking>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, tracking: Option<Tracking>) -> Self {
        ResponseFuture {
            inner: Some(inner),
            tarpit: None,
            block: None,
            tracking,
        }
    }

    pub(crate) fn blocked(block: Block, tracking: Option<Tracking>) -> Self {
        let tarpit = match block {
            Block::Tarpit(d) => Some(Box::pin(tokio::time::sleep(d))),
            _ => None,
        };
        ResponseFuture {
            inner: None,
            tarpit,
            block: Some(block),
            tracking,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(inner) = this.inner.as_pin_mut() else {
            if let Some(sleep) = this.tarpit.as_mut() {
                ready!(sleep.as_mut().poll(cx));
            }
            let status = match this.block {
                Some(Block::TooManyRequests) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::FORBIDDEN,
            };
            // The inner body type's empty value: the response type stays the one of the
            // application, so routers need not box a body of ours.
            let mut response = Response::new(B::default());
            *response.status_mut() = status;
            return Poll::Ready(Ok(response));
        };
        let result = ready!(inner.poll(cx));
        if let Ok(response) = &result {
            if matches!(response.status(), StatusCode::NOT_FOUND | StatusCode::GONE) {
                if let Some(t) = this.tracking.take() {
                    t.not_found();
                }
            }
        }
        Poll::Ready(result)
    }
}
