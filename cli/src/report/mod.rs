//! Reading access logs back: what `reqlog report` shows.
//!
//! [`Report`] reads lines in any of reqlog's formats — JSON lines, logfmt, the
//! Apache/nginx `combined` format — plain or gzip-compressed, in one streaming pass,
//! and tells what users, search engines and attackers did: an overview (requests,
//! time span, status mix, duration percentiles, bytes, top routes), users (actions
//! over time, distinct pseudonymous users, the newsletter → login → purchase funnel),
//! search engines (requests per crawler, pages crawled, what they were refused or did
//! not find, what robots.txt disallows that they fetched anyway) and attackers (probes
//! by category and rule, probed paths, top clients, scanners flagged and blocked,
//! impostors claiming a crawler's name). It renders as terminal tables, one self-contained
//! HTML page with inline SVG charts, or JSON.
//!
//! ```
//! use reqlog_cli::report::{Report, ReportOptions};
//!
//! let log = br#"{"timestamp":"2026-11-24T02:30:05.1Z","level":"INFO","otel.event.name":"http.request","http.request.method":"GET","url.path":"/","http.route":"/","client.address":"203.0.113.7","http.response.status_code":200,"http.response.body.size":980,"duration_ms":0.412,"outcome":"ok"}
//! 203.0.113.9 - - [24/Nov/2026:02:31:00 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"
//! this line is not a log record
//! "#;
//! let mut report = Report::new(ReportOptions::new().path_prefix("/"));
//! report.read("example.log", &log[..]).unwrap();
//! assert_eq!(report.requests(), 2);
//! let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
//! assert_eq!(json["input"]["skipped"]["foreign"], 1);
//! assert_eq!(json["overview"]["status"]["4xx"], 1);
//! ```
//!
//! # Input
//!
//! The format is detected per line: `{` starts a JSON line, `key=` a logfmt line,
//! anything else is read as `combined` (nginx's `\xHH` escapes and Apache's `\"` are
//! undone). gzip is recognised by its magic bytes, concatenated members included
//! (rotated and `cat`-ed files). A `combined` line has no duration, no probe fields and
//! no actions: the report says how many requests lacked what. A request without the
//! probe detector's fields (`combined`, or the detector was off) is classified while
//! reading with the detector's own rules ([`Classifier`](reqlog::probe::Classifier)):
//! client kind, crawler name, probe category and rule — but not the 404-rate flag or
//! a block, which only the running detector knows. Blank, malformed, cut-short and
//! foreign lines, and lines longer than 1 MiB, are counted and skipped; no input makes
//! the report fail.
//!
//! # Crawlers, impostors and robots.txt
//!
//! The search-engines section counts crawlers whose claim was verified
//! (`visitor.verified: true`) or is not known (no field). A failed claim
//! (`visitor.verified: false`) is an impostor: it is left out of the search engines and
//! listed among the attackers, by the name it claimed, with its request count, top
//! addresses and top paths. For each crawler, the paths it fetched that the site's
//! robots.txt disallows for it (`robots.disallowed: true`, written by
//! `ProbeDetector::robots_txt`) are listed with their counts and the referers that led
//! there (`http.request.header.referer`, top 3 per path; `(none)` without one). Given
//! sitemaps ([`Report::sitemap`], `--sitemap FILE`), each such path says whether a
//! sitemap lists it (compared by path, without the query) — the usual answer to "how
//! did the crawler get there?". `combined` lines have neither field: the report counts
//! the crawler requests it cannot judge and says so.
//!
//! # Memory and accuracy
//!
//! Memory is bounded whatever the input size:
//!
//! - **Percentiles** come from a log-bucketed histogram of durations in microseconds
//!   (64 buckets per power of two, 30 KiB): p50/p95/p99 are within **0.8 %** of the
//!   exact value, and exact below 128 µs.
//! - **Top tables** (routes, probed paths, not-found paths and attacking clients: 1000
//!   keys each; crawlers: 64; crawler refusals: 500; robots.txt-disallowed
//!   (crawler, path) pairs: 500 and their (crawler, path, referer) triples: 1000;
//!   impostor names: 64 and their (name, address) and (name, path) pairs: 500 each;
//!   names of actions, probe categories and rules: 256) use the space-saving algorithm: a table holds up to
//!   twice its cap; when full it keeps the most frequent half. Counts are exact until
//!   then; afterwards they are upper bounds, shown with `~`, and any key more frequent
//!   than total ÷ cap is never lost.
//! - **Distinct counts** are exact up to a cap (200,000 users, 4096 pages per crawler,
//!   4096 addresses per impostor name, 100,000 flagged clients), then HyperLogLog estimates (±1.6 %). The funnel covers
//!   the first 200,000 users.
//! - **Sitemaps**: at most 50 MB (uncompressed) and 50,000 URLs of a file are read,
//!   as the sitemap protocol caps them, and 50,000 paths are kept in all.
//! - **Time charts** use buckets that start one second wide and widen along 1 s, 5 s,
//!   15 s, 30 s, 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 d, 7 d whenever
//!   the span would need more than 1440 of them, so one pass works for stdin and for
//!   files in any order; output merges them into at most as many bars as fit.
//!
//! # The funnel
//!
//! A user (pseudonymous `enduser.pseudo.id`) reaches a step when one of their lines has that
//! step's action (`newsletter.subscribe`, then `account.login`, then `purchase`) and
//! they also reached every step before it, at any time in the window — the order is
//! not checked, so rotated files may be read in any order.
//!
//! # Filters
//!
//! [`ReportOptions::since`] and [`until`](ReportOptions::until) keep requests in
//! `[since, until)`; the command line also takes durations (`30m`, `1h`, `2d`, `1w`)
//! counted back from now. [`path_prefix`](ReportOptions::path_prefix) and
//! [`client`](ReportOptions::client) can be given several times: a line passes if it
//! matches any of them. Filtered-out requests are counted.

mod agent;
mod cli;
mod filter;
mod follow;
mod html;
mod impostors;
mod input;
mod json;
mod parallel;
mod parse;
mod progress;
mod robots;
mod sitemap;
mod sketch;
mod stats;
mod summary;
mod svg;
mod terminal;
mod time;
mod timeline;

use std::io::{self, Read, Write};
use std::time::SystemTime;

pub use cli::run;

use filter::Filter;
use reqlog::IpNet;
use stats::Stats;
use summary::FileRow;

/// Lines longer than this are skipped (and counted); the longest line reqlog writes is
/// far shorter.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// Counts one line, or one too long to read (`None`), into `stats`.
fn count_line(stats: &mut Stats, filter: &Filter, line: Option<&[u8]>) {
    let Some(line) = line else {
        stats.too_long();
        return;
    };
    match parse::parse_line(line) {
        Ok(entry) => {
            let keep = filter.is_empty() || filter.keeps(&entry);
            stats.record(&entry, keep);
        }
        Err(why) => stats.skipped(why),
    }
}

/// What to count: filters and table sizes.
///
/// # Example
/// ```
/// use std::time::{Duration, SystemTime};
/// use reqlog_cli::report::ReportOptions;
///
/// let options = ReportOptions::new()
///     .since(SystemTime::now() - Duration::from_secs(3600))
///     .path_prefix("/courses/")
///     .client("203.0.113.0/24".parse().unwrap())
///     .top(20);
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub(crate) filter: Filter,
    pub(crate) top: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            filter: Filter::default(),
            top: 10,
        }
    }
}

impl ReportOptions {
    /// Every request, ten rows per table.
    pub fn new() -> ReportOptions {
        ReportOptions::default()
    }

    /// Counts only requests at or after `t` (lines without a timestamp are left out).
    pub fn since(mut self, t: SystemTime) -> ReportOptions {
        self.filter.since = Some(time::to_micros(t));
        self
    }

    /// Counts only requests before `t`.
    pub fn until(mut self, t: SystemTime) -> ReportOptions {
        self.filter.until = Some(time::to_micros(t));
        self
    }

    /// Counts only requests whose `url.path` starts with `prefix` (or with the prefix
    /// of another call).
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> ReportOptions {
        self.filter.paths.push(prefix.into());
        self
    }

    /// Counts only requests whose `client.address` is in `network` (or in the network
    /// of another call). A single address is a `/32` or `/128` network.
    pub fn client(mut self, network: IpNet) -> ReportOptions {
        self.filter.clients.push(network.trunc());
        self
    }

    /// Rows per table (at least 1; 10 by default).
    pub fn top(mut self, rows: usize) -> ReportOptions {
        self.top = rows.max(1);
        self
    }
}

/// A report being built from log lines, then rendered.
///
/// Feed it whole inputs with [`read`](Report::read) or single lines with
/// [`add_line`](Report::add_line); then render with
/// [`write_text`](Report::write_text), [`html`](Report::html) or
/// [`json`](Report::json). See the [module docs](self) for what it counts.
pub struct Report {
    options: ReportOptions,
    stats: Stats,
    files: Vec<FileRow>,
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("options", &self.options)
            .field("lines", &self.stats.input.lines)
            .field("requests", &self.stats.requests)
            .finish_non_exhaustive()
    }
}

impl Report {
    /// An empty report.
    pub fn new(options: ReportOptions) -> Report {
        Report {
            options,
            stats: Stats::default(),
            files: Vec::new(),
        }
    }

    /// Counts one line (without its newline), in any format; anything that is not a
    /// record is counted as skipped.
    pub fn add_line(&mut self, line: &[u8]) {
        count_line(&mut self.stats, &self.options.filter, Some(line));
    }

    /// Reads the files at `paths` on `threads` threads: plain files are cut into
    /// chunks of 16 MiB at line boundaries, several chunks and files are read at once,
    /// each gzip file is one stream on its own thread, and the parts are merged in
    /// input order. The report is the one [`read`](Report::read) gives file after
    /// file, except that a table that overflowed its cap may keep slightly different
    /// keys (its counts are marked as estimates either way). Memory stays bounded:
    /// a 256 KiB buffer, one line and one part's summaries per thread, and at most
    /// `2 × threads` parts waiting to be merged.
    ///
    /// Returns the files whose reading stopped on an error, with the error; the lines
    /// before it are counted.
    ///
    /// # Example
    /// ```
    /// use reqlog_cli::report::{Report, ReportOptions};
    ///
    /// let path = std::env::temp_dir().join(format!("reqlog-doc-{}.log", std::process::id()));
    /// std::fs::write(&path, "203.0.113.9 - - [24/Nov/2026:02:31:00 +0000] \"GET / HTTP/1.1\" 200 15 \"-\" \"curl/8.5.0\"\n")?;
    /// let mut report = Report::new(ReportOptions::new());
    /// let failed = report.read_files(&[&path], 2);
    /// assert!(failed.is_empty());
    /// assert_eq!(report.requests(), 1);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_files(
        &mut self,
        paths: &[impl AsRef<std::path::Path>],
        threads: usize,
    ) -> Vec<(String, io::Error)> {
        let sources: Vec<_> = paths
            .iter()
            .map(|p| parallel::Source::File(p.as_ref().to_owned()))
            .collect();
        let names: Vec<_> = paths
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect();
        let progress = progress::Progress::new(None, false);
        parallel::read(self, &sources, &names, threads, parallel::CHUNK, &progress)
    }

    /// Reads every line of `input`, plain or gzip-compressed; `name` labels it in the
    /// report. On a read error (a truncated gzip stream, a failing disk) the lines read
    /// so far stay counted, the error is noted in the report, and it is returned.
    pub fn read(&mut self, name: &str, input: impl Read) -> io::Result<()> {
        let before = self.stats.input.lines;
        let mut gzip = false;
        let result = input::for_each_line(input, MAX_LINE, &mut gzip, |line| match line {
            Some(line) => self.add_line(line),
            None => self.stats.too_long(),
        });
        self.files.push(FileRow {
            name: name.to_owned(),
            lines: self.stats.input.lines - before,
            gzip,
            error: result.as_ref().err().map(|e| e.to_string()),
        });
        result
    }

    /// Reads a sitemap — a `<urlset>`, or a `<sitemapindex>` (the sitemaps it names are
    /// not fetched), plain or gzip-compressed — so that each path robots.txt disallows
    /// that a crawler fetched says whether the sitemap lists it (compared by path, the
    /// query left out). Call it before or after the logs, as often as there are
    /// sitemaps. Returns the URLs (`<loc>` values) it listed; at most 50 MB and 50,000
    /// URLs of a file are read, and 50,000 paths kept in all (the report says when a
    /// cap cut them).
    ///
    /// # Example
    /// ```
    /// use reqlog_cli::report::{Report, ReportOptions};
    ///
    /// let mut report = Report::new(ReportOptions::new());
    /// let xml = "<urlset><url><loc>https://example.com/courses/a/lectures/1</loc></url></urlset>";
    /// assert_eq!(report.sitemap("sitemap.xml", xml.as_bytes()).unwrap(), 1);
    /// report.add_line(br#"{"otel.event.name":"http.request","url.path":"/courses/a/lectures/1","visitor.kind":"crawler","visitor.crawler":"Googlebot","robots.disallowed":true}"#);
    /// let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
    /// let fetched = &json["search_engines"]["robots_disallowed"]["paths"][0];
    /// assert_eq!(fetched["listed_in_sitemap"], true);
    /// ```
    pub fn sitemap(&mut self, name: &str, input: impl Read) -> io::Result<u64> {
        self.stats
            .robots
            .sitemap
            .get_or_insert_with(Default::default)
            .read(name, input)
    }

    /// Request lines counted (after the filters).
    pub fn requests(&self) -> u64 {
        self.stats.requests
    }

    /// Lines read, of any kind.
    pub fn lines(&self) -> u64 {
        self.stats.input.lines
    }

    /// Writes the report as text tables; `color` adds ANSI colours. Text from the log
    /// is shown with control characters escaped, so a hostile path cannot drive the
    /// terminal.
    pub fn write_text(&self, out: &mut dyn Write, color: bool) -> io::Result<()> {
        let summary = summary::summarize(&self.stats, &self.files, self.options.top, 64);
        terminal::write(&summary, out, color)
    }

    /// The report as one self-contained HTML page: inline CSS and SVG charts, no
    /// script, no external resource; every text from the log is escaped.
    pub fn html(&self) -> String {
        let summary = summary::summarize(&self.stats, &self.files, self.options.top, 96);
        html::page(&summary)
    }

    /// The report as a JSON document, for machines.
    pub fn json(&self) -> String {
        let summary = summary::summarize(&self.stats, &self.files, self.options.top, 240);
        json::document(&summary)
    }
}
