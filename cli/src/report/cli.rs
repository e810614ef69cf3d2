//! The `reqlog` command line, parsed by hand: `reqlog report [OPTIONS] [FILE…]`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{filter, time, Report, ReportOptions};

const USAGE: &str = "\
Usage: reqlog report [OPTIONS] [FILE…]
       reqlog --help | --version

Reads access logs written by reqlog (JSON lines, logfmt or the combined format, plain
or gzip-compressed) and shows what users, search engines and attackers did.
With no FILE, or when FILE is -, reads standard input.

Options:
  --html FILE        also write the report as one self-contained HTML page to FILE
  --json             print the report as JSON instead of tables
  --since TIME       only requests at or after TIME
  --until TIME       only requests before TIME
                     TIME is RFC 3339 (2026-11-24T08:00:00Z), a date (2026-11-24, UTC)
                     or a duration before now: 90s, 30m, 1h, 2d, 1w
  --path PREFIX      only requests whose path starts with PREFIX (repeatable)
  --client ADDR      only requests from ADDR, an IP address or a CIDR network such as
                     203.0.113.0/24 (repeatable)
  --top N            rows per table (default 10)
  --sitemap FILE     the site's sitemap (XML, plain or gzip; repeatable): says for each
                     path robots.txt disallows that a crawler fetched whether the
                     sitemap lists it
  --color WHEN       auto (default: colour on a terminal unless NO_COLOR is set),
                     always or never
  -h, --help         print this help
  -V, --version      print the version

Exit status: 0 on success; 1 when a file cannot be opened or read (what was read is
still reported) or the HTML file cannot be written; 2 on a usage error.

Examples:
  reqlog report /var/log/site/access.log
  reqlog report --since 1d --html report.html access.log access.log.1.gz
  zcat old.log.gz | reqlog report --json --path /courses/ | jq .overview
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug)]
struct Args {
    files: Vec<OsString>,
    html: Option<PathBuf>,
    sitemaps: Vec<PathBuf>,
    json: bool,
    color: Color,
    options: ReportOptions,
}

#[derive(Debug)]
enum Command {
    Help,
    Version,
    Report(Box<Args>),
}

fn parse(args: Vec<OsString>, now: time::Micros) -> Result<Command, String> {
    let mut args = args.into_iter();
    match args.next().as_ref().and_then(|a| a.to_str()) {
        None => return Err("no command given".to_owned()),
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some("report") => {}
        Some(other) => {
            return Err(format!(
                "unknown command `{other}` (the command is `report`)"
            ))
        }
    }
    let mut parsed = Args {
        files: Vec::new(),
        html: None,
        sitemaps: Vec::new(),
        json: false,
        color: Color::Auto,
        options: ReportOptions::new(),
    };
    let mut only_files = false;
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        if only_files || text.is_none_or(|t| !t.starts_with('-') || t == "-") {
            parsed.files.push(arg);
            continue;
        }
        let text = text.unwrap_or_default();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) => (flag, Some(OsString::from(value))),
            None => (text, None),
        };
        match flag {
            "--" => {
                only_files = true;
                continue;
            }
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--json" => {
                parsed.json = true;
                continue;
            }
            "--html" | "--sitemap" | "--since" | "--until" | "--path" | "--client" | "--top"
            | "--color" => {}
            _ => return Err(format!("unknown option `{flag}`")),
        }
        let value = match inline {
            Some(value) => value,
            None => match args.next() {
                Some(v) if !v.to_str().is_some_and(|v| v.starts_with("--")) => v,
                _ => return Err(format!("`{flag}` needs a value")),
            },
        };
        if flag == "--html" {
            if value.is_empty() {
                return Err("`--html` needs a file name".to_owned());
            }
            parsed.html = Some(PathBuf::from(value));
            continue;
        }
        if flag == "--sitemap" {
            if value.is_empty() {
                return Err("`--sitemap` needs a file name".to_owned());
            }
            parsed.sitemaps.push(PathBuf::from(value));
            continue;
        }
        let Some(value) = value.to_str() else {
            return Err(format!("the value of `{flag}` is not valid UTF-8"));
        };
        let options = std::mem::take(&mut parsed.options);
        parsed.options = match flag {
            "--since" => {
                let t = time::parse_arg(value, now).map_err(|e| format!("--since: {e}"))?;
                let mut o = options;
                o.filter.since = Some(t);
                o
            }
            "--until" => {
                let t = time::parse_arg(value, now).map_err(|e| format!("--until: {e}"))?;
                let mut o = options;
                o.filter.until = Some(t);
                o
            }
            "--path" if value.is_empty() => return Err("`--path` needs a prefix".to_owned()),
            "--path" => options.path_prefix(value),
            "--client" => {
                options.client(filter::parse_client(value).map_err(|e| format!("--client: {e}"))?)
            }
            "--top" => match value.parse::<usize>() {
                Ok(n) if n > 0 => options.top(n),
                _ => return Err(format!("--top: `{value}` is not a positive number")),
            },
            _ => {
                parsed.color = match value {
                    "auto" => Color::Auto,
                    "always" => Color::Always,
                    "never" => Color::Never,
                    _ => {
                        return Err(format!(
                            "--color: `{value}` is not one of auto, always, never"
                        ))
                    }
                };
                options
            }
        };
    }
    Ok(Command::Report(Box::new(parsed)))
}

/// Runs the `reqlog` command with the arguments after the program name and returns
/// its exit status: `reqlog report [OPTIONS] [FILE…]`, `reqlog --help`,
/// `reqlog --version`. Output goes to standard output, messages to standard error.
///
/// The `reqlog` binary is this function:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     reqlog_cli::report::run(std::env::args_os().skip(1))
/// }
/// ```
pub fn run<I, S>(args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let args = match parse(args, time::now()) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("reqlog {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Report(args)) => args,
        Err(message) => {
            eprintln!("reqlog: error: {message}\nTry `reqlog report --help`.");
            return ExitCode::from(2);
        }
    };
    report(*args)
}

/// Shows `p` for people: lossy, quoted only when needed.
fn display(p: &OsString) -> String {
    p.to_string_lossy().into_owned()
}

fn report(args: Args) -> ExitCode {
    let mut files = args.files;
    if files.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!(
                "reqlog: error: no FILE given and standard input is a terminal: name a log \
                 file, or pipe one in (`-` reads standard input anyway)\nTry `reqlog report --help`."
            );
            return ExitCode::from(2);
        }
        files.push(OsString::from("-"));
    }
    // Every file must open before anything is read: a typo fails fast and clearly.
    for f in files.iter().filter(|f| f.as_os_str() != "-") {
        let check = File::open(f).and_then(|file| {
            if file.metadata()?.is_dir() {
                Err(io::Error::other("it is a directory"))
            } else {
                Ok(())
            }
        });
        if let Err(e) = check {
            eprintln!("reqlog: error: cannot read {}: {e}", display(f));
            return ExitCode::FAILURE;
        }
    }
    let mut report = Report::new(args.options);
    for path in &args.sitemaps {
        let read =
            File::open(path).and_then(|file| report.sitemap(&path.display().to_string(), file));
        if let Err(e) = read {
            eprintln!(
                "reqlog: error: cannot read the sitemap {}: {e}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let mut failed = false;
    for f in &files {
        let (name, result) = if f.as_os_str() == "-" {
            (
                "(stdin)".to_owned(),
                report.read("(stdin)", io::stdin().lock()),
            )
        } else {
            let name = display(f);
            let result = File::open(f).and_then(|file| report.read(&name, file));
            (name, result)
        };
        if let Err(e) = result {
            eprintln!(
                "reqlog: error: reading {name} stopped: {e}; the report covers the lines before"
            );
            failed = true;
        }
    }

    let stdout = io::stdout();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    let mut out = BufWriter::new(stdout.lock());
    let written = if args.json {
        out.write_all(report.json().as_bytes())
    } else {
        report.write_text(&mut out, color)
    }
    .and_then(|()| out.flush());
    match written {
        // `reqlog report … | head` closes the pipe early: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("reqlog: error: cannot write the report: {e}");
            failed = true;
        }
        Ok(()) => {}
    }
    if let Some(path) = &args.html {
        let written = File::create(path).and_then(|mut file| {
            file.write_all(report.html().as_bytes())?;
            file.flush()
        });
        match written {
            Ok(()) => eprintln!("reqlog: wrote {}", path.display()),
            Err(e) => {
                eprintln!("reqlog: error: cannot write {}: {e}", path.display());
                failed = true;
            }
        }
    }

    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(
            args.iter().map(OsString::from).collect(),
            1_795_487_405_000_000,
        )
    }

    fn report(args: &[&str]) -> Args {
        match p(args) {
            Ok(Command::Report(a)) => *a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commands() {
        assert!(matches!(p(&["--help"]), Ok(Command::Help)));
        assert!(matches!(p(&["-V"]), Ok(Command::Version)));
        assert!(matches!(p(&["report", "--help"]), Ok(Command::Help)));
        assert!(p(&[]).is_err());
        assert!(p(&["rapport"]).unwrap_err().contains("unknown command"));
    }

    #[test]
    fn options() {
        let a = report(&[
            "report",
            "a.log",
            "--html",
            "out.html",
            "--json",
            "--since=1h",
            "--until",
            "2026-11-24T03:00:00Z",
            "--path",
            "/courses/",
            "--client",
            "203.0.113.0/24",
            "--top",
            "5",
            "--color",
            "never",
            "--sitemap",
            "sitemap.xml",
            "-",
            "--",
            "--weird-name.log",
        ]);
        assert_eq!(a.files, ["a.log", "-", "--weird-name.log"]);
        assert_eq!(a.html, Some(PathBuf::from("out.html")));
        assert_eq!(a.sitemaps, [PathBuf::from("sitemap.xml")]);
        assert!(a.json);
        assert_eq!(a.color, Color::Never);
        assert_eq!(a.options.top, 5);
        let f = &a.options.filter;
        assert_eq!(f.since, Some(1_795_487_405_000_000 - 3_600_000_000));
        assert_eq!(f.until, Some(1_795_489_200_000_000));
        assert_eq!(f.paths, ["/courses/"]);
        assert_eq!(f.clients.len(), 1);
    }

    #[test]
    fn errors() {
        for (args, message) in [
            (&["report", "--since"][..], "needs a value"),
            (&["report", "--since", "--json"], "needs a value"),
            (&["report", "--since", "soon"], "is not a time"),
            (&["report", "--client", "x"], "not an IP address"),
            (&["report", "--top", "0"], "positive"),
            (&["report", "--color", "pink"], "auto, always, never"),
            (&["report", "--frobnicate"], "unknown option"),
            (&["report", "--html="], "file name"),
            (&["report", "--sitemap"], "needs a value"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.contains(message), "{args:?}: {e}");
        }
    }
}
