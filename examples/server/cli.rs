//! Command-line options, parsed by clap (derive): `--flag value` and `--flag=value`,
//! help with examples (`--help`), typo suggestions.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use reqlog::format::Schema;
use reqlog::IpNet;

const EXAMPLES: &str = "\
Examples:
  cargo run --example server
  cargo run --example server -- --format pretty
  cargo run --example server | cargo run -p reqlog-cli -- pretty
  cargo run --example server -- --log-file access.log --rotate-size 10M --gzip
  cargo run --example server -- --schema ecs --trust-proxy 10.0.0.0/8
  cargo run --example server -- --sample 20   # 1 in 20 ordinary requests, every failure
  cargo run --example server -- --key-file user-id.key   # then: reqlog user --key-file user-id.key EMAIL
  cargo run --example server -- --debug-on-error         # then: curl 'localhost:3000/payment/callback?status=error'";

/// The reqlog example course site: one JSON line per request on standard output.
#[derive(Debug, Parser)]
#[command(name = "server", after_help = EXAMPLES)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:3000", value_parser = parse_addr)]
    pub addr: SocketAddr,
    /// Log line format: json, logfmt, combined, or pretty (readable coloured lines for
    /// a terminal while developing).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub format: LogFormat,
    /// Keys of the json format: otel (OpenTelemetry, the default), ecs (Elastic Common
    /// Schema, for Kibana) or gcp (Google Cloud Logging, with its httpRequest panel;
    /// the trace names the project in GOOGLE_CLOUD_PROJECT when it is set); json only.
    #[arg(long = "schema", value_name = "SCHEMA", value_parser = parse_schema)]
    schema_arg: Option<Schema>,
    /// `--schema`: the keys of the JSON format (filled in by [`parse`]).
    #[arg(skip = Schema::OpenTelemetry)]
    pub schema: Schema,
    /// Append log lines to PATH, created if missing (default stdout); SIGHUP reopens
    /// PATH (for logrotate).
    #[arg(long, value_name = "PATH", value_parser = non_empty_path)]
    pub log_file: Option<PathBuf>,
    /// With --log-file: rotate PATH when it would pass BYTES, e.g. 10M (suffixes K, M,
    /// G are powers of 1024).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, requires = "log_file")]
    pub rotate_size: Option<u64>,
    /// With --log-file: rotated files kept, PATH.1 to PATH.N (default 7).
    #[arg(long, value_name = "N", value_parser = parse_keep, requires = "log_file")]
    pub keep: Option<usize>,
    /// With --log-file: compress rotated files to PATH.N.gz.
    #[arg(long, requires = "log_file")]
    pub gzip: bool,
    /// Believe X-Forwarded-For from this network, e.g. 10.0.0.0/8; repeat for more
    /// networks.
    #[arg(long = "trust-proxy", value_name = "CIDR", value_parser = parse_network)]
    pub trusted_proxies: Vec<IpNet>,
    /// With --trust-proxy: read the Forwarded header instead of X-Forwarded-For (only
    /// if your proxy sets it).
    #[arg(long)]
    pub trust_forwarded_header: bool,
    /// Share scanner state (404 counts, flags) with every instance using this Redis,
    /// e.g. redis://127.0.0.1:6379; without it, each instance counts on its own.
    #[arg(long, value_name = "URL", value_parser = parse_redis)]
    pub redis: Option<reqlog::probe::RedisState>,
    /// Answer 403 to clients flagged as scanning (10 distinct 404s in 60 s) and to
    /// known scanner user agents, without calling the site.
    #[arg(long)]
    pub block_scanners: bool,
    /// Load the crawler operators' published range files found in DIR (googlebot.json,
    /// bingbot.json, gptbot.json…; see data/crawler-ranges/README.md) over the built-in
    /// snapshot; SIGHUP loads them again.
    #[arg(long, value_name = "DIR", value_parser = non_empty_path)]
    pub crawler_ranges: Option<PathBuf>,
    /// Verify crawlers by reverse DNS through this server (default: the system's
    /// resolver, /etc/resolv.conf).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_addr)]
    pub resolver: Option<SocketAddr>,
    /// Pseudonymise user ids (enduser.pseudo.id) with the key in FILE, as `reqlog user
    /// --key-file FILE` does (default: REQLOG_USER_ID_KEY, else a random key per run).
    #[arg(long, value_name = "FILE", value_parser = non_empty_path)]
    pub key_file: Option<PathBuf>,
    /// Answer 403 to clients whose user agent names a crawler they are not
    /// (visitor.verified: false), without calling the site.
    #[arg(long)]
    pub block_impostors: bool,
    /// Write 1 in N ordinary requests per route, marked sample.rate: N; failures,
    /// requests slower than 500 ms, probes, blocked clients and user actions are
    /// always written, successful health checks never.
    #[arg(long, value_name = "N", value_parser = parse_sample)]
    pub sample: Option<u64>,
    /// Keep each request's tracing events (DEBUG included) and put them on the line of
    /// a request that fails (debug.events); standard error shows INFO and above.
    #[arg(long)]
    pub debug_on_error: bool,
}

/// The line formats `--format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// JSON lines.
    Json,
    /// logfmt `key=value` pairs.
    Logfmt,
    /// The Apache/nginx `combined` access log format.
    Combined,
    /// One readable line per request, coloured on a terminal (NO_COLOR is honoured).
    Pretty,
}

/// Parses the arguments after the program name; `--help` and errors are clap's
/// (help on standard output with status 0, errors on standard error with status 2).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
    let mut parsed = Args::try_parse_from(std::iter::once("server".to_owned()).chain(args))?;
    if let Some(schema) = parsed.schema_arg {
        if parsed.format != LogFormat::Json {
            let format = parsed
                .format
                .to_possible_value()
                .map(|v| v.get_name().to_owned());
            return Err(Args::command().error(
                ErrorKind::ArgumentConflict,
                format!(
                    "`--schema` chooses the keys of the json format, not of `--format {}`: \
                     drop one of the two",
                    format.unwrap_or_default()
                ),
            ));
        }
        parsed.schema = schema;
    }
    Ok(parsed)
}

fn non_empty_path(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        Err("needs a path".to_owned())
    } else {
        Ok(PathBuf::from(value))
    }
}

fn parse_redis(value: &str) -> Result<reqlog::probe::RedisState, String> {
    reqlog::probe::RedisState::new(value).map_err(|e| e.to_string())
}

/// A sampling rate: a whole number from 1 (every request) up.
fn parse_sample(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{value}` is not a sampling rate (a whole number, 1 or more, like 20)"
        )),
    }
}

fn parse_keep(value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of files (like 7)"))
}

/// `20000`, `20K`, `10M` or `1G` (powers of 1024), more than zero.
fn parse_size(value: &str) -> Result<u64, String> {
    let bad = || format!("`{value}` is not a size in bytes (like 10M or 500K)");
    let (digits, unit) = match value.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&value[..i], c.to_ascii_uppercase()),
        _ => (value, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(bad()),
    };
    let number: u64 = digits.parse().map_err(|_| bad())?;
    match number.checked_mul(1 << shift) {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(bad()),
    }
}

/// `127.0.0.1:3000`, `[::1]:8080` or `localhost:3000` (the first address it resolves to).
fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    let bad = || format!("`{value}` is not HOST:PORT (like 127.0.0.1:3000)");
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    value
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

fn parse_schema(value: &str) -> Result<Schema, String> {
    match value {
        "otel" => Ok(Schema::OpenTelemetry),
        "ecs" => Ok(Schema::Ecs),
        "gcp" => Ok(Schema::GoogleCloud),
        other => Err(format!(
            "unknown schema `{other}` (supported: otel, ecs, gcp)"
        )),
    }
}

/// A network in CIDR form; a bare address means just that host.
fn parse_network(value: &str) -> Result<IpNet, String> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("`{value}` is not a network in CIDR form (like 10.0.0.0/8 or ::1/128)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Args, clap::Error> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn options_and_errors() {
        let a = p(&[
            "--format",
            "pretty",
            "--addr=127.0.0.1:8080",
            "--trust-proxy",
            "10.0.0.0/8",
        ])
        .unwrap();
        assert_eq!(a.format, LogFormat::Pretty);
        assert_eq!(a.addr.port(), 8080);
        assert_eq!(a.trusted_proxies.len(), 1);
        let a = p(&[
            "--log-file",
            "x.log",
            "--rotate-size",
            "10M",
            "--keep",
            "3",
            "--gzip",
            "--schema",
            "ecs",
        ])
        .unwrap();
        assert_eq!(a.rotate_size, Some(10 << 20));
        assert_eq!(a.schema, Schema::Ecs);
        assert_eq!(p(&["--sample", "20"]).unwrap().sample, Some(20));
        assert_eq!(p(&[]).unwrap().sample, None);
        assert!(p(&["--debug-on-error"]).unwrap().debug_on_error);
        assert!(!p(&[]).unwrap().debug_on_error);
        let a = p(&["--key-file", "user-id.key"]).unwrap();
        assert_eq!(a.key_file, Some(PathBuf::from("user-id.key")));
        assert!(p(&["--key-file="]).is_err());
        for (args, message) in [
            (
                &["--schema", "ecs", "--format", "logfmt"][..],
                "drop one of the two",
            ),
            (&["--gzip"], "--log-file"),
            (&["--sample", "0"], "not a sampling rate"),
            (&["--sample", "x"], "not a sampling rate"),
            (&["--rotate-size", "0", "--log-file", "x"], "not a size"),
            (&["--format", "xml"], "possible values"),
            (&["--fromat", "json"], "similar argument exists"),
        ] {
            let e = p(args).unwrap_err().render().to_string();
            assert!(e.contains(message), "{args:?}: {e}");
        }
        let help = p(&["--help"]).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        assert!(help.render().to_string().contains("Examples:"));
    }
}
