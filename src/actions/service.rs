//! [`UserActionsService`]: matches rules at the request, records them at the response.

use std::borrow::Cow;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::{Pending, ResponseFuture};
use super::handle::attach;
use super::layer::Config;
use crate::request_log::write_redacting_emails;
use crate::{FieldValue, RecordHandle};

/// Longest value taken from a path parameter into an action field.
const MAX_PARAM_LEN: usize = 256;

/// The service made by [`UserActions`](super::UserActions).
#[derive(Clone)]
pub struct UserActionsService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for UserActionsService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserActionsService")
            .field("rules", &self.config.rules.len())
            .finish_non_exhaustive()
    }
}

impl<S> UserActionsService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        UserActionsService { inner, config }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for UserActionsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let pending = RecordHandle::from_request(&req).and_then(|handle| {
            attach(handle, &self.config.pseudonymizer);
            match_rule(&self.config, &req).map(|(rule, fields)| Pending {
                handle: handle.clone(),
                config: self.config.clone(),
                rule,
                fields,
            })
        });
        ResponseFuture::new(self.inner.call(req), pending)
    }
}

type Fields = Vec<(Cow<'static, str>, FieldValue)>;

/// The first rule whose method and pattern match, with the fields it takes from the path.
fn match_rule<B>(config: &Config, req: &Request<B>) -> Option<(usize, Fields)> {
    let route = matched_route(req);
    let path = req.uri().path();
    config.rules.iter().enumerate().find_map(|(i, rule)| {
        if rule.method != req.method() {
            return None;
        }
        let mut fields = Fields::new();
        let mut take = |name: &str, value: &str| {
            let mut v = String::with_capacity(value.len().min(MAX_PARAM_LEN));
            write_redacting_emails(&mut v, value);
            if v.len() > MAX_PARAM_LEN {
                let mut cut = MAX_PARAM_LEN;
                while !v.is_char_boundary(cut) {
                    cut -= 1;
                }
                v.truncate(cut);
            }
            fields.push((Cow::Owned(name.to_owned()), FieldValue::from(v)));
        };
        let matched = match route {
            Some(route) => {
                rule.matches_route(route) && {
                    rule.match_path(path, &mut take);
                    true
                }
            }
            None => rule.match_path(path, &mut take),
        };
        matched.then_some((i, fields))
    })
}

#[cfg(feature = "axum")]
fn matched_route<B>(req: &Request<B>) -> Option<&str> {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str())
}

#[cfg(not(feature = "axum"))]
fn matched_route<B>(_req: &Request<B>) -> Option<&str> {
    None
}
