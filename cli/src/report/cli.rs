//! The `reqlog` command line, parsed by clap (derive): `reqlog report [OPTIONS] [FILE…]`
//! and `reqlog completions SHELL`. clap gives the help, typo suggestions ("a similar
//! argument exists: '--since'") and, through `clap_complete`, the shell completions.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use reqlog::IpNet;

use super::progress::{Counted, Progress};
use super::{filter, follow, parallel, time, Report, ReportOptions};

const EXAMPLES: &str = "\
Examples:
  reqlog report /var/log/site/access.log
  reqlog report --since 1d -o report.html access.log access.log.1.gz
  zcat old.log.gz | reqlog report --json --path /courses/ | jq .overview
  reqlog completions bash > ~/.local/share/bash-completion/completions/reqlog";

const REPORT_HELP: &str = "\
TIME (--since, --until) is RFC 3339 (2026-11-24T08:00:00Z), a date (2026-11-24,
midnight UTC), a local time (2026-11-24 08:00) or a span before now (90s, 30m, 2h, 1d,
1w, 1h30m). Dates that do not exist, like 2026-02-31, are errors.

Colours: --color auto (the default) colours a terminal unless NO_COLOR is set;
CLICOLOR_FORCE=1 colours even a pipe. The progress bar appears on standard error
when reading takes more than a second and standard error is a terminal.

Exit status: 0 on success; 1 when a file cannot be opened or read (what was read is
still reported) or an output file cannot be written; 2 on a usage error.

Examples:
  reqlog report /var/log/site/access.log
  reqlog report --since 1d --html report.html access.log access.log.1.gz
  reqlog report --since '2026-11-24 08:00' --until 2h -o report.json access.log
  zcat old.log.gz | reqlog report --json --path /courses/ | jq .overview
  reqlog report --follow --interval 5 -o live.html /var/log/site/access.log";

/// Reads access logs written by reqlog and shows what users, search engines and
/// attackers did.
#[derive(Debug, Parser)]
#[command(
    name = "reqlog",
    version,
    after_help = EXAMPLES,
    subcommand_required = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reads access logs (JSON lines, logfmt or the combined format, plain or
    /// gzip-compressed) and shows what users, search engines and attackers did.
    /// With no FILE, or when FILE is -, reads standard input.
    #[command(after_help = REPORT_HELP)]
    Report(Box<ReportArgs>),
    /// Prints a completion script for SHELL on standard output.
    #[command(after_help = "\
Examples:
  reqlog completions bash > ~/.local/share/bash-completion/completions/reqlog
  reqlog completions zsh > ~/.zfunc/_reqlog
  reqlog completions fish > ~/.config/fish/completions/reqlog.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints the pseudonym (enduser.pseudo.id) the site writes for EMAIL, computed
    /// with the site's key. Without the key nothing can be reversed: the log never
    /// holds the address.
    #[command(after_help = USER_HELP)]
    User {
        /// The user's e-mail address or user name, as the site passes it to
        /// reqlog (it is trimmed and lower-cased, as the site does).
        #[arg(value_name = "EMAIL")]
        email: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Turns JSON lines from standard input into one readable line each (the
    /// `--format pretty` view); other lines pass through unchanged.
    #[command(after_help = "\
Examples:
  cargo run --example server | reqlog pretty
  tail -f access.log | reqlog pretty --color always | less -R")]
    Pretty {
        /// When to colour the lines.
        #[arg(long, value_name = "WHEN", value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
}

const USER_HELP: &str = "\
The key is the one the site gives reqlog (REQLOG_USER_ID_KEY, or
UserActions::pseudonym_key). A key file holds the key's bytes; line endings at its
end are ignored. Exit status 2 when no key is given.

Examples:
  REQLOG_USER_ID_KEY=\"$(cat /etc/site/user-id.key)\" reqlog user bob@example.com
  reqlog user --key-file /etc/site/user-id.key bob@example.com
  reqlog report --key-file /etc/site/user-id.key --user bob@example.com access.log";

/// The site's pseudonym key, for `reqlog user` and `reqlog report --user`.
#[derive(Debug, Args)]
struct KeyArgs {
    /// Reads the site's pseudonym key from FILE (default: the REQLOG_USER_ID_KEY
    /// environment variable).
    #[arg(long, value_name = "FILE", value_parser = non_empty_path)]
    key_file: Option<PathBuf>,
}

/// When to colour the text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Color {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE colours a pipe too.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Log files; - reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
    /// Writes the report to FILE instead of standard output, in the format its
    /// extension names: .html (one self-contained page), .json, anything else text.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also writes the report as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE", value_parser = non_empty_path)]
    html: Option<PathBuf>,
    /// Prints the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Only requests at or after TIME.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    since: Option<time::Micros>,
    /// Only requests before TIME.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    until: Option<time::Micros>,
    /// Only requests whose path starts with PREFIX (repeatable).
    #[arg(long = "path", value_name = "PREFIX", value_parser = non_empty)]
    paths: Vec<String>,
    /// Only requests from ADDR, an IP address or a CIDR network such as 203.0.113.0/24
    /// (repeatable).
    #[arg(long = "client", value_name = "ADDR", value_parser = filter::parse_client)]
    clients: Vec<IpNet>,
    /// Only the requests and actions of the user with this e-mail address, found by
    /// its pseudonym under the site's key (--key-file or REQLOG_USER_ID_KEY;
    /// repeatable).
    #[arg(long = "user", value_name = "EMAIL", value_parser = non_empty)]
    users: Vec<String>,
    #[command(flatten)]
    key: KeyArgs,
    /// Rows per table.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = positive)]
    top: usize,
    /// The site's sitemap (XML, plain or gzip; repeatable): says for each path
    /// robots.txt disallows that a crawler fetched whether the sitemap lists it.
    #[arg(long = "sitemap", value_name = "FILE", value_parser = non_empty_path)]
    sitemaps: Vec<PathBuf>,
    /// When to colour the text report.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Never shows the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Threads reading the logs (default: one per core); 1 reads file after file on
    /// this thread.
    #[arg(long, value_name = "N", value_parser = positive)]
    threads: Option<usize>,
    /// Live mode: keeps reading FILE as it grows and when it is rotated (replaced or
    /// truncated), and redraws the report every --interval seconds (-o and --html files
    /// are replaced atomically; the page reloads itself) until Ctrl-C. One FILE, not
    /// standard input.
    #[arg(short = 'f', long)]
    follow: bool,
    /// Seconds between redraws in live mode.
    #[arg(long, value_name = "SECONDS", default_value_t = 2, value_parser = positive, requires = "follow")]
    interval: usize,
}

/// `--since`/`--until`: relative spans count back from now, local times are in the
/// system's time zone.
fn time_arg(value: &str) -> Result<time::Micros, String> {
    time::parse_arg(value, jiff::Timestamp::now(), &jiff::tz::TimeZone::system())
}

fn positive(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{value}` is not a positive number")),
    }
}

fn non_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("an empty value matches everything: leave the option out".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

fn non_empty_path(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        Err("needs a file name".to_owned())
    } else {
        Ok(PathBuf::from(value))
    }
}

/// What `-o FILE` writes, by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Output {
    Text,
    Html,
    Json,
}

impl Output {
    fn for_path(path: &Path) -> Output {
        let ext = path.extension().and_then(|e| e.to_str());
        match ext.map(str::to_ascii_lowercase).as_deref() {
            Some("html" | "htm") => Output::Html,
            Some("json") => Output::Json,
            _ => Output::Text,
        }
    }
}

/// Whether the text report is coloured: `--color always|never` decides; with `auto`, a
/// non-empty `NO_COLOR` turns colour off, a `CLICOLOR_FORCE` other than `0` turns it on
/// even in a pipe, `CLICOLOR=0` turns it off, and otherwise a terminal that is not
/// `TERM=dumb` gets colour (<https://no-color.org>, <https://bixense.com/clicolors/>).
fn use_color(choice: Color, is_terminal: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |name| var(name).is_some_and(|v| !v.is_empty());
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto if set("NO_COLOR") => false,
        Color::Auto if set("CLICOLOR_FORCE") && var("CLICOLOR_FORCE") != Some("0".into()) => true,
        Color::Auto if var("CLICOLOR") == Some("0".into()) => false,
        Color::Auto => is_terminal && var("TERM").is_none_or(|t| t != "dumb"),
    }
}

/// Runs the `reqlog` command with the arguments after the program name and returns
/// its exit status: `reqlog report [OPTIONS] [FILE…]`, `reqlog completions SHELL`,
/// `reqlog --help`, `reqlog --version`. Output goes to standard output, messages to
/// standard error.
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
    let args = std::iter::once(OsString::from("reqlog")).chain(args.into_iter().map(Into::into));
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with status 0; errors to
            // standard error with status 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli.command {
        Command::Report(args) => report(*args),
        Command::Completions { shell } => {
            let mut out = io::stdout().lock();
            completions(shell, &mut out);
            ExitCode::SUCCESS
        }
        Command::User { email, key } => match pseudonymizer(&key) {
            Ok(p) => {
                println!("{}", p.pseudonymize(&email));
                ExitCode::SUCCESS
            }
            Err(status) => status,
        },
        Command::Pretty { color } => {
            let stdout = io::stdout();
            let color = use_color(color, stdout.is_terminal(), |name| std::env::var_os(name));
            let mut out = BufWriter::new(stdout.lock());
            match crate::pretty::run(io::stdin().lock(), &mut out, color).and_then(|()| out.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("reqlog: error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The site's pseudonymizer, or the message printed and the exit status.
fn pseudonymizer(key: &KeyArgs) -> Result<reqlog::actions::Pseudonymizer, ExitCode> {
    crate::user::pseudonymizer(key.key_file.as_deref(), |name| std::env::var_os(name)).map_err(
        |e| {
            eprintln!("reqlog: error: {}", e.message());
            ExitCode::from(e.exit_status())
        },
    )
}

/// Writes the completion script for `shell`.
fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "reqlog", out);
}

/// Shows `p` for people: lossy, quoted only when needed.
fn display(p: &OsString) -> String {
    p.to_string_lossy().into_owned()
}

fn options(args: &ReportArgs) -> ReportOptions {
    let mut options = ReportOptions::new().top(args.top);
    options.filter.since = args.since;
    options.filter.until = args.until;
    for p in &args.paths {
        options = options.path_prefix(p.clone());
    }
    for &c in &args.clients {
        options = options.client(c);
    }
    options
}

fn report(args: ReportArgs) -> ExitCode {
    let mut users = Vec::new();
    if !args.users.is_empty() {
        match pseudonymizer(&args.key) {
            Ok(p) => users = args.users.iter().map(|u| p.pseudonymize(u)).collect(),
            Err(status) => return status,
        }
    }
    let mut files = args.files.clone();
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
    if args.follow && (files.len() != 1 || files[0].as_os_str() == "-") {
        eprintln!(
            "reqlog: error: --follow reads one FILE (not standard input): the live log; \
             report rotated files without --follow\nTry `reqlog report --help`."
        );
        return ExitCode::from(2);
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
    let mut options = options(&args);
    options.filter.users = users;
    let mut report = Report::new(options);
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
    if args.follow {
        let outputs = follow::Outputs {
            file: args.output.clone().map(|p| {
                let kind = Output::for_path(&p);
                (p, kind)
            }),
            html: args.html.clone(),
            json: args.json,
            color: use_color(args.color, io::stdout().is_terminal(), |name| {
                std::env::var_os(name)
            }),
            interval: args.interval as u64,
        };
        let ok = follow::run(&mut report, Path::new(&files[0]), &outputs);
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    // The bar counts bytes of the files (compressed bytes for gzip); for standard
    // input it is a spinner.
    let total = files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                None
            } else {
                std::fs::metadata(f).ok().map(|m| m.len())
            }
        })
        .sum::<Option<u64>>();
    let progress = Progress::new(total, !args.no_progress && io::stderr().is_terminal());
    let mut failed = false;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if threads > 1 {
        let sources: Vec<_> = files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    parallel::Source::Stdin
                } else {
                    parallel::Source::File(PathBuf::from(f))
                }
            })
            .collect();
        let names: Vec<_> = files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    "(stdin)".to_owned()
                } else {
                    display(f)
                }
            })
            .collect();
        let errors = parallel::read(
            &mut report,
            &sources,
            &names,
            threads,
            parallel::CHUNK,
            &progress,
        );
        progress.finish();
        for (name, e) in errors {
            eprintln!(
                "reqlog: error: reading {name} stopped: {e}; the report covers the lines before"
            );
            failed = true;
        }
    }
    for f in files.iter().filter(|_| threads == 1) {
        let (name, result) = if f.as_os_str() == "-" {
            let input = Counted {
                inner: io::stdin().lock(),
                progress: &progress,
            };
            ("(stdin)".to_owned(), report.read("(stdin)", input))
        } else {
            let name = display(f);
            let result = File::open(f).and_then(|file| {
                let input = Counted {
                    inner: file,
                    progress: &progress,
                };
                report.read(&name, input)
            });
            (name, result)
        };
        if let Err(e) = result {
            progress.finish();
            eprintln!(
                "reqlog: error: reading {name} stopped: {e}; the report covers the lines before"
            );
            failed = true;
        }
    }
    progress.finish();

    if let Some(path) = &args.output {
        let rendered = match Output::for_path(path) {
            Output::Html => Ok(report.html().into_bytes()),
            Output::Json => Ok(report.json().into_bytes()),
            Output::Text => {
                let mut text = Vec::new();
                report.write_text(&mut text, false).map(|()| text)
            }
        };
        let written = rendered.and_then(|bytes| {
            let mut file = File::create(path)?;
            file.write_all(&bytes)?;
            file.flush()
        });
        match written {
            Ok(()) => eprintln!("reqlog: wrote {}", path.display()),
            Err(e) => {
                eprintln!("reqlog: error: cannot write {}: {e}", path.display());
                failed = true;
            }
        }
    } else {
        let stdout = io::stdout();
        let color = use_color(args.color, stdout.is_terminal(), |name| {
            std::env::var_os(name)
        });
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
    use clap::error::ErrorKind;

    fn p(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("reqlog").chain(args.iter().copied()))
    }

    fn report(args: &[&str]) -> ReportArgs {
        match p(args) {
            Ok(Cli {
                command: Command::Report(a),
            }) => *a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands() {
        assert_eq!(p(&["--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(p(&["-V"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
        let help = p(&["report", "--help"]).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        let help = help.render().to_string();
        assert!(help.contains("Usage: reqlog report"), "{help}");
        assert!(help.contains("Examples:"), "{help}");
        assert!(p(&[]).is_err());
        let typo = p(&["rapport"]).unwrap_err();
        assert_eq!(typo.kind(), ErrorKind::InvalidSubcommand);
        assert!(typo.render().to_string().contains("'report'"), "{typo}");
    }

    #[test]
    fn typos_get_a_suggestion() {
        let e = p(&["report", "--sinse", "1h"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownArgument);
        let text = e.render().to_string();
        assert!(
            text.contains("similar argument exists: '--since'"),
            "{text}"
        );
    }

    #[test]
    fn every_option() {
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
            "--no-progress",
            "-",
            "--",
            "--weird-name.log",
        ]);
        assert_eq!(a.files, ["a.log", "-", "--weird-name.log"]);
        assert_eq!(a.html, Some(PathBuf::from("out.html")));
        assert_eq!(a.sitemaps, [PathBuf::from("sitemap.xml")]);
        assert!(a.json && a.no_progress);
        assert_eq!(a.color, Color::Never);
        assert_eq!(a.until, Some(1_795_489_200_000_000));
        let hour_ago = jiff::Timestamp::now().as_microsecond() - 3_600_000_000;
        assert!((a.since.unwrap() - hour_ago).abs() < 60_000_000);
        let o = options(&a);
        assert_eq!(o.top, 5);
        assert_eq!(o.filter.paths, ["/courses/"]);
        assert_eq!(o.filter.clients.len(), 1);
    }

    #[test]
    fn output_format_follows_the_extension() {
        let a = report(&["report", "-o", "x.html", "a.log"]);
        let out = a.output.unwrap();
        assert_eq!(Output::for_path(&out), Output::Html);
        assert_eq!(Output::for_path(Path::new("r.JSON")), Output::Json);
        assert_eq!(Output::for_path(Path::new("r.txt")), Output::Text);
        assert_eq!(Output::for_path(Path::new("report")), Output::Text);
        let a = report(&["report", "--output=r.json"]);
        assert_eq!(a.output, Some(PathBuf::from("r.json")));
    }

    #[test]
    fn completions_for_each_shell() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let script = String::from_utf8(out).unwrap();
            assert!(script.contains("report"), "{shell}: {script}");
            assert!(script.contains("since"), "{shell}");
        }
        assert!(p(&["completions", "bash"]).is_ok());
        assert!(p(&["completions", "tcsh"]).is_err());
    }

    #[test]
    fn colour_choice() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert!(use_color(Color::Auto, true, env(&[])));
        assert!(!use_color(Color::Auto, false, env(&[])));
        assert!(!use_color(Color::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(use_color(Color::Auto, true, env(&[("NO_COLOR", "")])));
        assert!(use_color(
            Color::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!use_color(
            Color::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
        assert!(!use_color(
            Color::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(!use_color(Color::Auto, true, env(&[("CLICOLOR", "0")])));
        assert!(!use_color(Color::Auto, true, env(&[("TERM", "dumb")])));
        assert!(use_color(Color::Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!use_color(
            Color::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn errors() {
        for (args, message) in [
            (&["report", "--since"][..], "a value is required"),
            (&["report", "--since", "soon"], "is not a time"),
            (&["report", "--since", "2026-02-31"], "not a valid date"),
            (&["report", "--client", "x"], "not an IP address"),
            (&["report", "--top", "0"], "positive"),
            (&["report", "--color", "pink"], "auto, always, never"),
            (
                &["report", "--frobnicate"],
                "unexpected argument '--frobnicate'",
            ),
            (&["report", "--html="], "file name"),
            (&["report", "--sitemap"], "a value is required"),
        ] {
            let e = p(args).unwrap_err().render().to_string();
            assert!(e.contains(message), "{args:?}: {e}");
        }
    }
}
