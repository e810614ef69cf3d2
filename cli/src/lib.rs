//! The `reqlog` command's library: [`report`] reads the access logs that the
//! [`reqlog`] middleware writes and shows what users, search engines and attackers
//! did. The `reqlog` binary of this crate is [`report::run`]; install it with
//! `cargo install --path cli` from the repository.
//!
//! The command also has `reqlog user EMAIL` (the pseudonym the site writes for a user,
//! from the site's key), `reqlog report --user EMAIL` (that user's lines) and `reqlog
//! pretty` (JSON lines shown as [`reqlog::format::Pretty`] writes them).
//!
//! It is built only on the middleware's public API: [`reqlog::Field`] to look keys up
//! (this version's and earlier ones), [`reqlog::probe::Classifier`] to classify lines
//! that lack the detector's fields, and [`reqlog::IpNet`] for the `--client` filter.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod pretty;
pub mod report;
mod user;
