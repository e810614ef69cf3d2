//! Syslog sink (being written).

/// A syslog sink (being written).
#[derive(Debug)]
pub struct Syslog;
