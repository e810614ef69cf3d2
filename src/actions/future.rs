//! [`ResponseFuture`]: records a matched rule's action once the status is known.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use super::handle::push_action;
use super::layer::Config;
use crate::{FieldValue, RecordHandle};

pub(crate) struct Pending {
    pub(crate) handle: RecordHandle,
    pub(crate) config: Arc<Config>,
    pub(crate) rule: usize,
    pub(crate) fields: Vec<(Cow<'static, str>, FieldValue)>,
}

pin_project! {
    /// The response future of [`UserActionsService`](super::UserActionsService).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, pending: Option<Pending>) -> Self {
        ResponseFuture { inner, pending }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let (Ok(response), Some(p)) = (&result, this.pending.take()) {
            if let Some(rule) = p.config.rules.get(p.rule) {
                if rule.statuses.contains(response.status()) {
                    let _ = push_action(&p.handle, rule.name.clone(), p.fields);
                }
            }
        }
        Poll::Ready(result)
    }
}
