//! `Actions` as an axum extractor (feature `axum`).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::Actions;

/// Never rejects: without a `RequestLog` the handle does nothing.
impl<S: Send + Sync> FromRequestParts<S> for Actions {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Actions::from_extensions(&parts.extensions))
    }
}
