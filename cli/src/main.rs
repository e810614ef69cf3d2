//! The `reqlog` command: `reqlog report FILE…` reads access logs and shows what users,
//! search engines and attackers did; `reqlog user EMAIL` prints a user's pseudonym;
//! `reqlog pretty` shows JSON lines readably. Run `reqlog --help` for the options; the
//! work is done by [`reqlog_cli::report`].

fn main() -> std::process::ExitCode {
    reqlog_cli::report::run(std::env::args_os().skip(1))
}
