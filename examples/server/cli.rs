//! Command-line options, parsed by hand: `--flag value` and `--flag=value`.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use reqlog::format::Schema;
use reqlog::IpNet;

pub const USAGE: &str = "\
Usage: cargo run --example server -- [OPTIONS]

The reqlog example course site: one JSON line per request on standard output.

Options:
  --addr HOST:PORT       address to listen on (default 127.0.0.1:3000)
  --format FORMAT        log line format: json, logfmt or combined (default json)
  --schema SCHEMA        keys of the json format: otel (OpenTelemetry, the default),
                         ecs (Elastic Common Schema, for Kibana) or gcp (Google Cloud
                         Logging, with its httpRequest panel; the trace names the
                         project in GOOGLE_CLOUD_PROJECT when it is set); json only
  --log-file PATH        append log lines to PATH, created if missing (default stdout);
                         SIGHUP reopens PATH (for logrotate)
  --rotate-size BYTES    with --log-file: rotate PATH when it would pass BYTES, e.g. 10M
                         (suffixes K, M, G are powers of 1024)
  --keep N               with --log-file: rotated files kept, PATH.1 to PATH.N (default 7)
  --gzip                 with --log-file: compress rotated files to PATH.N.gz
  --trust-proxy CIDR     believe X-Forwarded-For from this network, e.g. 10.0.0.0/8;
                         repeat for more networks
  --trust-forwarded-header
                         with --trust-proxy: read the Forwarded header instead of
                         X-Forwarded-For (only if your proxy sets it)
  --redis URL            share scanner state (404 counts, flags) with every instance
                         using this Redis, e.g. redis://127.0.0.1:6379; without it,
                         each instance counts on its own
  --block-scanners       answer 403 to clients flagged as scanning (10 distinct 404s
                         in 60 s) and to known scanner user agents, without calling
                         the site
  --crawler-ranges DIR   load the crawler operators' published range files found in DIR
                         (googlebot.json, bingbot.json, gptbot.json…; see
                         data/crawler-ranges/README.md) over the built-in snapshot;
                         SIGHUP loads them again
  --resolver HOST:PORT   verify crawlers by reverse DNS through this server (default:
                         the system's resolver, /etc/resolv.conf)
  --block-impostors      answer 403 to clients whose user agent names a crawler they
                         are not (visitor.verified: false), without calling the site
  -h, --help             print this help
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Args),
    Help,
}

/// The server's settings.
#[derive(Debug)]
pub struct Args {
    pub addr: SocketAddr,
    pub format: LogFormat,
    /// `--schema`: the keys of the JSON format.
    pub schema: Schema,
    pub log_file: Option<PathBuf>,
    /// `--rotate-size`, in bytes.
    pub rotate_size: Option<u64>,
    /// `--keep`; `None` means the default.
    pub keep: Option<usize>,
    pub gzip: bool,
    pub trusted_proxies: Vec<IpNet>,
    /// `--trust-forwarded-header`: read `Forwarded` from the trusted proxies.
    pub trust_forwarded_header: bool,
    /// Refuse flagged clients and known scanners.
    pub block_scanners: bool,
    /// `--redis`: shared detector state.
    pub redis: Option<reqlog::probe::RedisState>,
    /// `--crawler-ranges`: a folder of the operators' range files.
    pub crawler_ranges: Option<PathBuf>,
    /// `--resolver`: the DNS server crawler verification asks.
    pub resolver: Option<SocketAddr>,
    /// `--block-impostors`: refuse clients whose crawler claim failed verification.
    pub block_impostors: bool,
}

/// The line formats `--format` accepts.
#[derive(Clone, Copy, Debug)]
pub enum LogFormat {
    /// JSON lines.
    Json,
    /// logfmt `key=value` pairs.
    Logfmt,
    /// The Apache/nginx `combined` access log format.
    Combined,
}

/// Parses the arguments after the program name. The error is a message for the user.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut parsed = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
        format: LogFormat::Json,
        schema: Schema::OpenTelemetry,
        log_file: None,
        rotate_size: None,
        keep: None,
        gzip: false,
        trusted_proxies: Vec::new(),
        trust_forwarded_header: false,
        block_scanners: false,
        redis: None,
        crawler_ranges: None,
        resolver: None,
        block_impostors: false,
    };
    let mut schema_given = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(Command::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "--gzip" {
            if inline.is_some() {
                return Err("`--gzip` takes no value".into());
            }
            parsed.gzip = true;
            continue;
        }
        if flag == "--trust-forwarded-header" {
            if inline.is_some() {
                return Err("`--trust-forwarded-header` takes no value".into());
            }
            parsed.trust_forwarded_header = true;
            continue;
        }
        if flag == "--block-scanners" {
            if inline.is_some() {
                return Err("`--block-scanners` takes no value".into());
            }
            parsed.block_scanners = true;
            continue;
        }
        if flag == "--block-impostors" {
            if inline.is_some() {
                return Err("`--block-impostors` takes no value".into());
            }
            parsed.block_impostors = true;
            continue;
        }
        if !matches!(
            flag.as_str(),
            "--addr"
                | "--format"
                | "--schema"
                | "--log-file"
                | "--rotate-size"
                | "--keep"
                | "--trust-proxy"
                | "--redis"
                | "--crawler-ranges"
                | "--resolver"
        ) {
            return Err(if flag.starts_with('-') {
                format!("unknown option `{flag}`")
            } else {
                format!("unexpected argument `{flag}`")
            });
        }
        let value = match inline {
            Some(value) => value,
            // A value that looks like a flag is most likely a forgotten value.
            None => match args.next() {
                Some(value) if !value.starts_with("--") => value,
                _ => return Err(format!("`{flag}` needs a value")),
            },
        };
        match flag.as_str() {
            "--addr" => parsed.addr = parse_addr(&value)?,
            "--format" => parsed.format = parse_format(&value)?,
            "--schema" => {
                parsed.schema = parse_schema(&value)?;
                schema_given = true;
            }
            "--log-file" if value.is_empty() => return Err("`--log-file` needs a path".into()),
            "--log-file" => parsed.log_file = Some(PathBuf::from(value)),
            "--rotate-size" => parsed.rotate_size = Some(parse_size(&value)?),
            "--keep" => parsed.keep = Some(parse_keep(&value)?),
            "--crawler-ranges" if value.is_empty() => {
                return Err("`--crawler-ranges` needs a folder".into())
            }
            "--crawler-ranges" => parsed.crawler_ranges = Some(PathBuf::from(value)),
            "--resolver" => parsed.resolver = Some(parse_addr(&value)?),
            "--redis" => {
                let state = reqlog::probe::RedisState::new(&value)
                    .map_err(|e| format!("`--redis {value}`: {e}"))?;
                parsed.redis = Some(state);
            }
            _ => parsed.trusted_proxies.push(parse_network(&value)?),
        }
    }
    if schema_given && !matches!(parsed.format, LogFormat::Json) {
        let format = match parsed.format {
            LogFormat::Logfmt => "logfmt",
            _ => "combined",
        };
        return Err(format!(
            "`--schema` chooses the keys of the json format, not of `--format {format}`: \
             drop one of the two"
        ));
    }
    if parsed.log_file.is_none() {
        let rotation = [
            ("--rotate-size", parsed.rotate_size.is_some()),
            ("--keep", parsed.keep.is_some()),
            ("--gzip", parsed.gzip),
        ];
        if let Some((flag, _)) = rotation.iter().find(|(_, given)| *given) {
            return Err(format!(
                "`{flag}` applies to the log file: add `--log-file PATH`"
            ));
        }
    }
    Ok(Command::Run(parsed))
}

fn parse_keep(value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("--keep: `{value}` is not a number of files (like 7)"))
}

/// `20000`, `20K`, `10M` or `1G` (powers of 1024), more than zero.
fn parse_size(value: &str) -> Result<u64, String> {
    let bad = || format!("--rotate-size: `{value}` is not a size in bytes (like 10M or 500K)");
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
    let bad = || format!("--addr: `{value}` is not HOST:PORT (like 127.0.0.1:3000)");
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    value
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

fn parse_format(value: &str) -> Result<LogFormat, String> {
    match value {
        "json" => Ok(LogFormat::Json),
        "logfmt" => Ok(LogFormat::Logfmt),
        "combined" => Ok(LogFormat::Combined),
        other => Err(format!(
            "--format: unknown format `{other}` (supported: json, logfmt, combined)"
        )),
    }
}

fn parse_schema(value: &str) -> Result<Schema, String> {
    match value {
        "otel" => Ok(Schema::OpenTelemetry),
        "ecs" => Ok(Schema::Ecs),
        "gcp" => Ok(Schema::GoogleCloud),
        other => Err(format!(
            "--schema: unknown schema `{other}` (supported: otel, ecs, gcp)"
        )),
    }
}

/// A network in CIDR form; a bare address means just that host.
fn parse_network(value: &str) -> Result<IpNet, String> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("--trust-proxy: `{value}` is not a network in CIDR form (like 10.0.0.0/8 or ::1/128)")
        })
}
