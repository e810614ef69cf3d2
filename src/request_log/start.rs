//! [`AppStart`]: the `reqlog.start` record.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::layer::Config;
use crate::sink::Sink;
use crate::{FieldValue, Record};

/// What the `reqlog.start` record says about the application.
///
/// Pass it to [`RequestLog::log_start`](crate::RequestLog::log_start) once the server listens.
/// The record adds the process id and the logger's settings (sink, trusted proxies,
/// redacted parameters, masking) so a reader knows how the lines after it were made.
///
/// # Example
/// ```
/// use reqlog::AppStart;
///
/// let start = AppStart::new("courses")
///     .version(env!("CARGO_PKG_VERSION"))
///     .listening("127.0.0.1:3000".parse().unwrap())
///     .field("deployment.environment", "production");
/// ```
#[derive(Clone, Debug)]
pub struct AppStart {
    name: Cow<'static, str>,
    version: Option<Cow<'static, str>>,
    addr: Option<SocketAddr>,
    fields: Vec<(Cow<'static, str>, FieldValue)>,
}

impl AppStart {
    /// The service's name (`service.name`).
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        AppStart {
            name: name.into(),
            version: None,
            addr: None,
            fields: Vec::new(),
        }
    }

    /// The service's version (`service.version`).
    pub fn version(mut self, version: impl Into<Cow<'static, str>>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The address the server listens on (`server.address`, `server.port`).
    pub fn listening(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Any other field; reserved keys are ignored.
    pub fn field(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Self {
        self.fields.push((key.into(), value.into()));
        self
    }

    pub(crate) fn into_record(self, config: &Config, sink: &dyn Sink) -> Record {
        let list = |items: Vec<String>| {
            FieldValue::List(items.into_iter().map(FieldValue::from).collect())
        };
        let mut record = Record::event("reqlog.start")
            .with("service.name", self.name)
            .with("process.pid", std::process::id());
        if let Some(v) = self.version {
            record = record.with("service.version", v);
        }
        if let Some(addr) = self.addr {
            let host = record.push_text(&addr.ip().to_string());
            record.set_server_address(host);
            record.set_server_port(addr.port());
        }
        record = record
            .with("reqlog.version", env!("CARGO_PKG_VERSION"))
            .with("reqlog.sink", sink.describe())
            .with(
                "reqlog.trusted_proxies",
                list(
                    config
                        .proxies
                        .trusted
                        .iter()
                        .map(|n| n.to_string())
                        .collect(),
                ),
            )
            .with("reqlog.trust_forwarded_header", config.proxies.forwarded)
            .with(
                "reqlog.redacted_query_params",
                list(config.redactor.names().map(str::to_owned).collect()),
            )
            .with(
                "reqlog.client_ip_mask",
                match config.mask {
                    Some((v4, v6)) => format!("/{v4} /{v6}"),
                    None => "off".to_owned(),
                },
            )
            .with("reqlog.skip", config.skip.is_some())
            .with(
                "reqlog.keep",
                match &config.keep {
                    Some(policy) => policy.describe(),
                    None => "every request".to_owned(),
                },
            )
            .with("reqlog.max_field_len", config.max_field_len);
        #[cfg(feature = "debug-events")]
        {
            record = record.with(
                "reqlog.debug_events",
                match &config.debug_events {
                    Some(settings) => settings.describe(),
                    None => "off".to_owned(),
                },
            );
        }
        for (k, v) in self.fields {
            record = record.with(k, v);
        }
        record
    }
}
