//! [`UserActions`]: what users do, on the request's line, with their privacy kept.
//!
//! Handlers record actions through [`Actions`] (an axum extractor with the `axum`
//! feature, or [`Actions::from_request`] anywhere); declarative [`Rule`]s record the
//! actions that need no handler code. The line gets
//! `"visitor.actions":[{"name":"account.login"}]` and `"enduser.pseudo.id":"u_3f2a9c…"` — a keyed
//! hash ([`Pseudonymizer`]), never the e-mail address.
//!
//! - `layer.rs` — the builder: rules and the pseudonym key;
//! - `service.rs`, `future.rs` — match rules at the request, record them at the response;
//! - `handle.rs` — [`Actions`], what handlers call;
//! - `rules.rs` — [`Rule`] and [`StatusClass`];
//! - `pseudonym.rs` — [`Pseudonymizer`] (HMAC-SHA-256, truncated to 64 bits);
//! - `extract.rs` — the axum extractor.
//!
//! Limits: 16 actions per request, 16 fields per action, text values cut at 1 KiB,
//! free fields may not use the record's schema keys (they are refused, not renamed).

#[cfg(feature = "axum")]
mod extract;
mod future;
mod handle;
mod layer;
mod pseudonym;
mod rules;
mod service;

pub use future::ResponseFuture;
pub use handle::{ActionError, Actions, MAX_ACTIONS, MAX_ACTION_FIELDS};
pub use layer::UserActions;
pub use pseudonym::{read_key_file, Pseudonymizer, KEY_ENV};
pub use rules::{Rule, StatusClass};
pub use service::UserActionsService;
