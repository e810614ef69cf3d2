//! The course site from reqlog's user story, with one JSON line per request.
//!
//! # Run it
//!
//! ```text
//! cargo run --example server
//! curl -i localhost:3000/
//! ```
//!
//! What to look at: standard output carries only JSON lines. The first is the
//! `reqlog.start` record (service, version, pid, listening address and the logger's
//! settings); after it comes exactly one line per request, written when the response
//! body ends — so `GET /stream` shows up about a second after it starts. `/health` is
//! skipped (with `--sample`, only the successful ones are dropped). Human messages (`listening on …`, shutdown) go to standard error, so
//! `cargo run --example server > access.log` keeps the log clean.
//!
//! Log in with any email and the password `letmein` (keep the cookie with
//! `curl -c jar -b jar …`), buy a course, then read its lectures. Stop with Ctrl-C or
//! SIGTERM: the server stops accepting, lets requests in flight finish (5 s at most)
//! and writes every record before it exits.
//!
//! # Routes
//!
//! | Route                                    | What it does                                          |
//! |------------------------------------------|-------------------------------------------------------|
//! | `GET /`                                  | home: login and newsletter forms, courses, purchases  |
//! | `GET /health`                            | `ok`; left out of the log                             |
//! | `GET /robots.txt`                        | disallows `/courses/*/lectures/`                      |
//! | `GET /sitemap.xml`                       | the home page and the course pages                    |
//! | `POST /account/login`                    | `email`, `password`: 303 to `/` with a cookie, or 401 |
//! | `POST /account/logout`                   | 303 to `/`, ends the session                          |
//! | `POST /newsletter/subscribe`             | `email`: 303 to `/`                                   |
//! | `GET /courses/{course}`                  | a course page, 404 for an unknown course              |
//! | `GET /courses/{course}/lectures/{lecture}` | 403 unless the session bought the course            |
//! | `POST /purchase/{course}`                | 303 to the course page; 401 without a session         |
//! | `GET /stream`                            | ten chunks, 100 ms apart                              |
//! | `GET /payment/callback?status=ok\|error` | asks a fake payment provider: 200, or 502 on `error`  |
//! | anything else                            | 404                                                   |
//!
//! The courses are `python-jumpstart`, `rust-for-pythonistas` and `async-in-depth`.
//! No email address is stored or logged: sessions keep a keyed hash of it.
//!
//! # Options
//!
//! `--addr HOST:PORT` (default `127.0.0.1:3000`), `--format json|logfmt|combined|pretty`
//! (`pretty`: one readable line per request for a terminal), `--log-file PATH`
//! (appends; default standard output; SIGHUP reopens it), `--rotate-size BYTES`
//! (`10M`), `--keep N` (default 7) and `--gzip` (with `--log-file`), `--trust-proxy
//! CIDR` (repeatable), `--block-scanners`, `--redis URL` (scanner state shared by all
//! instances on that Redis), `--crawler-ranges DIR` (operators' range files, reloaded
//! on SIGHUP), `--resolver HOST:PORT` (DNS for crawler verification),
//! `--block-impostors`, `--key-file FILE` (the pseudonym key, as `reqlog user --key-file`
//! reads it), `--sample N` (tail sampling, see [`sampling`]), `--debug-on-error` (a
//! `tracing` subscriber: INFO and above on standard error, and every request's events,
//! DEBUG included, kept and put on the line of a request that fails — `debug.events`),
//! `--help`. Crawlers are always verified (`visitor.verified`), and their
//! fetches of what `/robots.txt` disallows are marked (`robots.disallowed`).

mod cli;
mod html;
mod payment;
mod site;
mod stack;

pub use stack::{with_layers, Site, WithPeer};

use std::future::IntoFuture;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use axum::Router;
use reqlog::actions::{Rule, UserActions};
use reqlog::debug_events::DebugEvents;
use reqlog::probe::{Block, CrawlerVerifier};
use reqlog::sink::{NonBlocking, RotatingFile, Signal, WriterGuard};
use reqlog::{AppStart, Keep, ProbeDetector, RequestLog};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use cli::{Args, LogFormat};
use site::AppState;

/// How long requests in flight may take to finish once a shutdown signal arrives.
const GRACE: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        // Help on standard output with status 0, errors on standard error with 2.
        Err(e) => e.exit(),
    };
    let (sink, guard) = match open_sink(&args) {
        Ok(sink) => sink,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if args.debug_on_error {
        if let Err(e) = install_debug_subscriber() {
            eprintln!("error: cannot install the tracing subscriber: {e}");
            return ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(args, sink));
    // Requests still running after the grace period are dropped here; reqlog writes
    // their records (as aborted) when they are dropped, so this comes before the guard.
    runtime.shutdown_timeout(Duration::from_secs(1));
    // Last of all: waits until every queued line is written.
    drop(guard);
    code
}

/// `--debug-on-error`: INFO and above on standard error (its own filter, so that the
/// layer after it still gets DEBUG events), and the debug-events layer, which keeps
/// every request's events for its line.
fn install_debug_subscriber() -> Result<(), tracing::subscriber::SetGlobalDefaultError> {
    use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt, Layer};
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(LevelFilter::INFO);
    let subscriber = tracing_subscriber::registry()
        .with(console)
        .with(DebugEvents::layer());
    tracing::subscriber::set_global_default(subscriber)
}

/// The site's state (sessions, subscribers) for a server at `base_url`; the tests use
/// it with [`app`] to serve exactly this site.
pub fn site_state(base_url: &str) -> AppState {
    AppState::new(base_url.to_owned())
}

/// The site with its layer stack; the integration tests build the same shape.
///
pub fn app(state: AppState, log: RequestLog) -> Site {
    let detector = ProbeDetector::new().robots_txt(&site::robots_txt(state.base_url()));
    app_with(state, log, detector)
}

/// The site with a given probe detector (the `--block-scanners` one, say).
///
/// The three layers wrap the whole router (`stack.rs`): cheaper than `Router::layer`,
/// and each handler reports its route with `RouteHook` (`site.rs`).
pub fn app_with(state: AppState, log: RequestLog, detector: ProbeDetector) -> Site {
    app_with_actions(state, log, detector, user_actions())
}

/// The site with given probe detector and user actions (`--key-file` sets their key).
pub fn app_with_actions(
    state: AppState,
    log: RequestLog,
    detector: ProbeDetector,
    actions: UserActions,
) -> Site {
    with_layers(site::routes(state), log, detector, actions)
}

/// The site's routes, without the layers (tests add routes of their own to them).
pub fn routes(state: AppState) -> Router {
    site::routes(state)
}

/// The `--sample N` policy: every failure, probe, blocked client, user action and
/// request slower than 500 ms; 1 in `n` of the other requests of each route (the
/// first, the (n+1)th… — counted, not drawn at random), marked `sample.rate: n`; never
/// a successful health check.
pub fn sampling(n: u64) -> Keep {
    Keep::new()
        .one_in(n)
        .slower_than(Duration::from_millis(500))
        .drop_when(|r| {
            r.method() == Some(&Method::GET)
                && r.route() == Some("/health")
                && r.status() == Some(200)
        })
}

/// What users do: login and logout are recorded by their handlers (`site.rs`), these
/// two by rules — no handler code needed.
pub fn user_actions() -> UserActions {
    UserActions::new()
        .rule(
            Method::POST,
            "/newsletter/subscribe",
            "newsletter.subscribe",
        )
        .add_rule(
            Rule::new(Method::POST, "/purchase/{course}", "purchase").field_from_param("course"),
        )
}

/// Where the lines go, in the chosen format.
fn open_sink(args: &Args) -> Result<(NonBlocking, WriterGuard), String> {
    let builder = match args.format {
        LogFormat::Json => {
            let mut json = reqlog::format::JsonLines::new().schema(args.schema);
            if let Ok(project) = std::env::var("GOOGLE_CLOUD_PROJECT") {
                json = json.gcp_project(project);
            }
            NonBlocking::builder().format(json)
        }
        LogFormat::Logfmt => NonBlocking::builder().format(reqlog::format::Logfmt),
        LogFormat::Combined => NonBlocking::builder().format(reqlog::format::Combined),
        LogFormat::Pretty => {
            // Colour only a terminal; a file or a pipe gets plain lines.
            let terminal = args.log_file.is_none() && std::io::stdout().is_terminal();
            NonBlocking::builder().format(reqlog::format::Pretty::new().colors(terminal))
        }
    };
    match &args.log_file {
        None => Ok(builder.name("stdout").finish(std::io::stdout())),
        Some(path) => {
            let mut file = RotatingFile::builder(path)
                .keep(args.keep.unwrap_or(7))
                .gzip(args.gzip)
                .reopen_on(Signal::Hup);
            if let Some(bytes) = args.rotate_size {
                file = file.max_size(bytes);
            }
            file.finish_with(builder.name(path.display().to_string()))
                .map_err(|e| e.to_string())
        }
    }
}

/// Binds, writes the `reqlog.start` record and serves until a shutdown signal.
async fn run(args: Args, sink: NonBlocking) -> ExitCode {
    // The key first: a wrong path fails before anything listens or is logged.
    let mut actions = user_actions();
    if let Some(path) = &args.key_file {
        match reqlog::actions::read_key_file(path) {
            Ok(key) => actions = actions.pseudonym_key(&key),
            Err(e) => {
                eprintln!("error: cannot read the key file {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}: {e} (is another server using it? try --addr)",
                args.addr
            );
            return ExitCode::FAILURE;
        }
    };
    let local = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: cannot read the listening address: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = RequestLog::new()
        .sink(sink)
        .trust_proxies(args.trusted_proxies)
        .trust_forwarded_header(args.trust_forwarded_header);
    let log = match args.sample {
        // Decided on the finished record: a failing health check is still written.
        Some(n) => log.keep(sampling(n)),
        None => log.skip(|req| req.uri.path() == "/health"),
    };
    let log = if args.debug_on_error {
        log.debug_events(DebugEvents::new())
    } else {
        log
    };
    log.log_start(
        AppStart::new("reqlog-example-courses")
            .version(env!("CARGO_PKG_VERSION"))
            .listening(local),
    );
    eprintln!("listening on http://{local}");
    let state = AppState::new(format!("http://{local}"));
    // The same robots.txt the site serves: crawlers' fetches of what it disallows are
    // marked `robots.disallowed` in their lines.
    let mut detector = ProbeDetector::new().robots_txt(&site::robots_txt(state.base_url()));
    if args.block_scanners {
        detector = detector.block_scanners(Block::Forbidden);
    }
    if let Some(state) = args.redis {
        eprintln!("sharing scanner state through Redis ({state:?})");
        detector = detector.shared_state(state);
    }
    match crawler_verifier(args.crawler_ranges, args.resolver) {
        Ok(verifier) => detector = detector.verify_crawlers(verifier),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    if args.block_impostors {
        detector = detector.block_impostors(Block::Forbidden);
    }
    let site = app_with_actions(state, log, detector, actions);
    serve(listener, site).await
}

/// Crawler verification: the built-in range snapshot or the files in `ranges` (read
/// again on SIGHUP), and reverse DNS through `resolver` or the system's resolver.
fn crawler_verifier(
    ranges: Option<PathBuf>,
    resolver: Option<SocketAddr>,
) -> Result<CrawlerVerifier, String> {
    let mut verifier = CrawlerVerifier::new();
    if let Some(server) = resolver {
        verifier = verifier.resolver(server);
    }
    let Some(dir) = ranges else {
        return Ok(verifier);
    };
    let verifier = verifier
        .ranges_dir(&dir)
        .map_err(|e| format!("--crawler-ranges: {e}"))?;
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let reload = verifier.clone();
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        match reload.reload_ranges_dir(&dir) {
                            Ok(n) => eprintln!(
                                "SIGHUP: {n} crawler range lists reloaded from {}",
                                dir.display()
                            ),
                            Err(e) => eprintln!("SIGHUP: keeping the old crawler ranges: {e}"),
                        }
                    }
                });
            }
            Err(e) => eprintln!("cannot watch SIGHUP ({e}); crawler ranges load only at start"),
        }
    }
    Ok(verifier)
}

/// Serves until SIGINT or SIGTERM, then drains for at most [`GRACE`]. A second signal
/// while draining exits at once.
async fn serve(listener: TcpListener, app: Site) -> ExitCode {
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let server = axum::serve(listener, WithPeer(app))
        .with_graceful_shutdown(async move { stopped.notified().await })
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return exit_code(result),
        () = shutdown_signal() => {}
    }
    eprintln!(
        "shutting down: finishing requests in flight ({} s at most)",
        GRACE.as_secs()
    );
    stop.notify_one();
    tokio::select! {
        drained = tokio::time::timeout(GRACE, &mut server) => match drained {
            Ok(result) => exit_code(result),
            Err(_) => {
                eprintln!("shutting down: requests still running after {} s, exiting anyway", GRACE.as_secs());
                ExitCode::SUCCESS
            }
        },
        () = shutdown_signal() => {
            eprintln!("shutting down: second signal, exiting now");
            ExitCode::SUCCESS
        }
    }
}

fn exit_code(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("warning: cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                eprintln!("warning: cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
