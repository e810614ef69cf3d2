//! Command-line options, parsed by hand: `--flag value` and `--flag=value`.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use reqlog::IpNet;

pub const USAGE: &str = "\
Usage: cargo run --example server -- [OPTIONS]

The reqlog example course site: one JSON line per request on standard output.

Options:
  --addr HOST:PORT       address to listen on (default 127.0.0.1:3000)
  --format FORMAT        log line format: json, logfmt or combined (default json)
  --log-file PATH        append log lines to PATH, created if missing (default stdout)
  --trust-proxy CIDR     believe forwarded headers from this network, e.g. 10.0.0.0/8;
                         repeat for more networks
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
    pub log_file: Option<PathBuf>,
    pub trusted_proxies: Vec<IpNet>,
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
        log_file: None,
        trusted_proxies: Vec::new(),
    };
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
        if !matches!(
            flag.as_str(),
            "--addr" | "--format" | "--log-file" | "--trust-proxy"
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
            "--log-file" if value.is_empty() => return Err("`--log-file` needs a path".into()),
            "--log-file" => parsed.log_file = Some(PathBuf::from(value)),
            _ => parsed.trusted_proxies.push(parse_network(&value)?),
        }
    }
    Ok(Command::Run(parsed))
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

/// A network in CIDR form; a bare address means just that host.
fn parse_network(value: &str) -> Result<IpNet, String> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("--trust-proxy: `{value}` is not a network in CIDR form (like 10.0.0.0/8 or ::1/128)")
        })
}
