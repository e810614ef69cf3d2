//! reqlog: one structured log line per HTTP request, from composable tower middleware.
//!
//! See the crate README for the quick start; each module documents its part.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod format;
mod record;
pub mod request_log;
pub mod sink;

pub use ipnet::IpNet;
pub use record::{
    FieldError, FieldValue, Level, Outcome, Record, RecordHandle, Value, RESERVED_KEYS,
};
pub use request_log::{default_level, AppStart, RequestLog, DEFAULT_REDACTED_PARAMS, REDACTED};
