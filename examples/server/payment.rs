//! `GET /payment/callback?status=ok|error`: the payment provider calls back, the site
//! asks the (fake) provider to confirm, and answers 200, or 502 when the provider
//! fails. The handler and the task that talks to the provider emit `debug!` events:
//! with `--debug-on-error`, a 502's line carries them (`debug.events`), a 200's does
//! not.

use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracing::Instrument;

/// The fake provider's name, in the events' fields.
const PROVIDER: &str = "fakepay";
/// Times the provider is asked before the site gives up.
const ATTEMPTS: u64 = 2;

/// The callback's query: `status=error` makes the provider fail.
#[derive(Debug, Deserialize)]
pub struct Callback {
    status: Option<String>,
}

/// The callback's handler.
pub async fn callback(Query(callback): Query<Callback>) -> Response {
    let order = "ord_1042";
    tracing::debug!(
        provider = PROVIDER,
        order,
        amount = 1999u64,
        currency = "EUR",
        "payment callback received"
    );
    let fail = callback.status.as_deref() == Some("error");
    // The provider is asked from a task of its own, as a client library would do it;
    // `.in_current_span()` keeps its events in this request's buffer.
    let confirmed = tokio::spawn(confirm(order, fail).in_current_span()).await;
    match confirmed {
        Ok(Ok(reference)) => {
            tracing::debug!(reference, "payment confirmed");
            (StatusCode::OK, "payment confirmed\n").into_response()
        }
        Ok(Err(reason)) => {
            tracing::debug!(reason, "payment not confirmed");
            (StatusCode::BAD_GATEWAY, "the payment provider failed\n").into_response()
        }
        Err(_) => (StatusCode::BAD_GATEWAY, "the payment check stopped\n").into_response(),
    }
}

/// Asks the fake provider to confirm `order`: it answers at once, or fails every
/// attempt when `fail`.
async fn confirm(order: &'static str, fail: bool) -> Result<&'static str, &'static str> {
    for attempt in 1..=ATTEMPTS {
        tracing::debug!(
            provider = PROVIDER,
            order,
            attempt,
            "asking the provider to confirm"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        if !fail {
            return Ok("fp_8c1d2e");
        }
        tracing::debug!(
            provider = PROVIDER,
            attempt,
            http.status = 503u64,
            "the provider answered with an error"
        );
    }
    Err("provider unavailable after 2 attempts")
}
