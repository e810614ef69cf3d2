//! The report's content, computed once from the counts: sorted, cut to the top rows,
//! with the notes that explain what the input could not tell. The terminal, HTML and
//! JSON outputs all render this.

use super::agent::KINDS;
use super::impostors::ImpostorSummary;
use super::parse::LineFormat;
use super::robots::DisallowedSummary;
use super::stats::Stats;
use super::time::Micros;
use super::timeline::{Series, SLOTS};

/// A counted key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) key: String,
    pub(crate) count: u64,
    /// The count is an upper bound: the table evicted keys (space-saving).
    pub(crate) approx: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct FileRow {
    pub(crate) name: String,
    pub(crate) lines: u64,
    pub(crate) gzip: bool,
    pub(crate) error: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Durations {
    pub(crate) count: u64,
    pub(crate) p50: u64,
    pub(crate) p95: u64,
    pub(crate) p99: u64,
    pub(crate) max: u64,
    pub(crate) mean: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct RouteRow {
    pub(crate) route: String,
    pub(crate) count: u64,
    pub(crate) approx: bool,
    pub(crate) client_errors: u64,
    pub(crate) server_errors: u64,
    /// Mean duration in µs, when the lines have durations.
    pub(crate) mean_us: Option<u64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Overview {
    pub(crate) requests: u64,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    /// 1xx to 5xx, then "other" (no status).
    pub(crate) status_classes: [u64; 6],
    pub(crate) status_codes: Vec<(u16, u64)>,
    pub(crate) outcomes: Vec<Row>,
    pub(crate) durations: Option<Durations>,
    pub(crate) bytes: u64,
    pub(crate) kinds: [u64; KINDS.len()],
    pub(crate) routes: Vec<RouteRow>,
}

#[derive(Clone, Debug)]
pub(crate) struct Users {
    pub(crate) distinct: u64,
    /// Distinct action names and all actions (not only the rows shown).
    pub(crate) action_names: u64,
    pub(crate) action_total: u64,
    pub(crate) distinct_approx: bool,
    pub(crate) requests_with_user: u64,
    pub(crate) actions: Vec<Row>,
    /// Users at each step of the funnel (`stats::FUNNEL`).
    pub(crate) funnel: [u64; 3],
    pub(crate) funnel_partial: bool,
    pub(crate) details: Vec<Row>,
}

#[derive(Clone, Debug)]
pub(crate) struct CrawlerRow {
    pub(crate) name: String,
    pub(crate) requests: u64,
    pub(crate) approx: bool,
    pub(crate) pages: u64,
    pub(crate) pages_approx: bool,
    pub(crate) ok: u64,
    pub(crate) refused: u64,
    pub(crate) not_found: u64,
    pub(crate) robots: u64,
    pub(crate) verified: u64,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
}

#[derive(Clone, Debug)]
pub(crate) struct MissRow {
    pub(crate) crawler: String,
    pub(crate) status: u16,
    pub(crate) path: String,
    pub(crate) count: u64,
    pub(crate) approx: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct SearchEngines {
    pub(crate) requests: u64,
    /// Distinct crawlers, and their refused and not-found requests (all crawlers, not
    /// only the rows shown).
    pub(crate) crawler_count: u64,
    pub(crate) refused: u64,
    pub(crate) not_found: u64,
    pub(crate) crawlers: Vec<CrawlerRow>,
    pub(crate) misses: Vec<MissRow>,
    /// Requests of crawlers whose claim was verified (the others here are not known
    /// yet; failed claims are impostors, among the attackers).
    pub(crate) verified: u64,
    pub(crate) disallowed: DisallowedSummary,
}

#[derive(Clone, Debug)]
pub(crate) struct RuleRow {
    pub(crate) rule: String,
    pub(crate) category: String,
    pub(crate) count: u64,
    pub(crate) approx: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ClientRow {
    pub(crate) address: String,
    pub(crate) requests: u64,
    pub(crate) approx: bool,
    pub(crate) probes: u64,
    pub(crate) not_found: u64,
    pub(crate) categories: Vec<String>,
    pub(crate) scanning: bool,
    pub(crate) blocked: u64,
    pub(crate) scanner_agent: bool,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    pub(crate) user_agent: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Attackers {
    pub(crate) probes: u64,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    pub(crate) categories: Vec<Row>,
    pub(crate) rules: Vec<RuleRow>,
    pub(crate) paths: Vec<Row>,
    pub(crate) clients: Vec<ClientRow>,
    pub(crate) scanner_requests: u64,
    pub(crate) scanning_clients: u64,
    pub(crate) blocked_requests: u64,
    pub(crate) blocked_clients: u64,
    pub(crate) not_found: Vec<Row>,
    pub(crate) impostors: ImpostorSummary,
}

/// A time series with its named layers, for charts.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    pub(crate) series: Series,
    /// Names of the probe category slots, then of the action slots ("other" last).
    pub(crate) probe_names: Vec<String>,
    pub(crate) action_names: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Summary {
    pub(crate) files: Vec<FileRow>,
    pub(crate) lines: u64,
    pub(crate) formats: Vec<(LineFormat, u64)>,
    pub(crate) blank: u64,
    pub(crate) malformed: u64,
    pub(crate) foreign: u64,
    pub(crate) too_long: u64,
    pub(crate) filtered: u64,
    pub(crate) starts: u64,
    pub(crate) dropped_lines: u64,
    pub(crate) other_events: u64,
    /// Request lines kept as one in N (`sample.rate`), and all request lines: when
    /// some are sampled, the counts are estimates.
    pub(crate) sampled_lines: u64,
    pub(crate) request_lines: u64,
    /// What the input could not tell, in plain words.
    pub(crate) notes: Vec<String>,
    pub(crate) overview: Overview,
    pub(crate) users: Users,
    pub(crate) search: SearchEngines,
    pub(crate) attackers: Attackers,
    pub(crate) chart: Option<Chart>,
}

fn rows<V: Default>(table: &super::sketch::TopK<V>, n: usize) -> Vec<Row> {
    table
        .top(n)
        .into_iter()
        .map(|(k, s)| Row {
            key: String::from_utf8_lossy(k).into_owned(),
            count: s.count,
            approx: s.error > 0,
        })
        .collect()
}

fn slot_names(names: &super::stats::Names) -> Vec<String> {
    let mut out: Vec<String> = (0..names.len())
        .filter_map(|i| names.name(i).map(str::to_owned))
        .collect();
    if out.len() == SLOTS - 1 {
        out.push("other".to_owned());
    }
    out
}

/// Builds the summary with `top` rows per table and at most `bars` bars per chart.
pub(crate) fn summarize(stats: &Stats, files: &[FileRow], top: usize, bars: usize) -> Summary {
    let input = &stats.input;
    let mut notes = Vec::new();
    let count = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let skipped = input.malformed + input.foreign + input.too_long;
    if skipped > 0 {
        notes.push(format!(
            "{} skipped: {} malformed or cut short, {} not from reqlog, {} longer than 1 MiB.",
            count(skipped, "line"),
            input.malformed,
            input.foreign,
            input.too_long
        ));
    }
    if input.sampled_lines > 0 {
        notes.push(sampled_note(input.sampled_lines, input.request_lines));
    }
    if input.dropped_lines > 0 {
        notes.push(format!(
            "The writer dropped {} under load (reqlog.dropped records): the log is incomplete.",
            count(input.dropped_lines, "line")
        ));
    }
    if input.without_duration > 0 && stats.requests > 0 {
        notes.push(format!(
            "{} of {} requests have no duration (the combined format has none): percentiles \
             cover the others.",
            input.without_duration, stats.requests
        ));
    }
    if input.kinds_guessed > 0 {
        notes.push(format!(
            "{} carry no probe detector fields (combined format, or the detector was off): \
             the detector's rules classified them while reading ({} found), but whether a \
             client crossed the 404-rate threshold or was blocked is not known for them.",
            count(input.kinds_guessed, "request"),
            count(input.probes_inferred, "probe")
        ));
    }
    if stats.robots.unknown > 0 {
        notes.push(super::robots::unknown_note(stats.robots.unknown));
    }
    if input.actions_unreadable > 0 {
        notes.push(format!(
            "{} had a visitor.actions value that is not a JSON array of objects.",
            count(input.actions_unreadable, "line")
        ));
    }
    if input.without_time > 0 {
        notes.push(format!(
            "{} have no readable timestamp: they are counted, but not on the time charts.",
            count(input.without_time, "request")
        ));
    }
    let f = stats.input.formats;
    if f[LineFormat::Combined.index()] > 0 && stats.actions.top(1).is_empty() {
        notes.push(
            "Combined lines carry no user actions: the users section has only the user ids \
             of %u."
                .to_owned(),
        );
    }
    if stats.users.full {
        notes.push(format!(
            "More than {} distinct users: the number of users is estimated (HyperLogLog, ±1.6 %) \
             and the funnel covers the first {}.",
            super::stats::USERS_CAP,
            super::stats::USERS_CAP
        ));
    }
    let approx_tables = [
        stats.routes.approximate(),
        stats.probed_paths.approximate(),
        stats.attackers.approximate(),
        stats.not_found.approximate(),
        stats.crawler_misses.approximate(),
        stats.robots.approximate(),
        stats.impostors.approximate(),
    ];
    if approx_tables.iter().any(|&a| a) {
        notes.push(
            "Counts marked ~ are upper bounds: the table reached its cap and kept the most \
             frequent keys."
                .to_owned(),
        );
    }

    let durations = (stats.durations.count() > 0).then(|| {
        let h = &stats.durations;
        Durations {
            count: h.count(),
            p50: h.quantile(0.50).unwrap_or(0),
            p95: h.quantile(0.95).unwrap_or(0),
            p99: h.quantile(0.99).unwrap_or(0),
            max: h.max().unwrap_or(0),
            mean: h.mean().unwrap_or(0.0),
        }
    });
    let mut status_classes = [0; 6];
    status_classes[..5].copy_from_slice(&stats.status_classes[1..]);
    status_classes[5] = stats.status_classes[0];
    let mut status_codes: Vec<(u16, u64)> =
        stats.status_codes.iter().map(|(&s, &n)| (s, n)).collect();
    status_codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let routes = stats
        .routes
        .top(top)
        .into_iter()
        .map(|(k, s)| RouteRow {
            route: String::from_utf8_lossy(k).into_owned(),
            count: s.count,
            approx: s.error > 0,
            client_errors: s.data.client_errors,
            server_errors: s.data.server_errors,
            mean_us: (s.data.timed > 0).then(|| s.data.duration_us / s.data.timed),
        })
        .collect();

    let (distinct, distinct_approx) = stats.users.distinct();
    let crawlers = stats
        .crawlers
        .top(top)
        .into_iter()
        .map(|(k, s)| CrawlerRow {
            name: String::from_utf8_lossy(k).into_owned(),
            requests: s.count,
            approx: s.error > 0,
            pages: s.data.pages.count(),
            pages_approx: s.data.pages.approximate(),
            ok: s.data.ok,
            refused: s.data.refused,
            not_found: s.data.not_found,
            robots: s.data.robots,
            verified: s.data.verified,
            first: s.data.first,
            last: s.data.last,
        })
        .collect();
    let misses = stats
        .crawler_misses
        .top(top)
        .into_iter()
        .filter_map(|(k, s)| {
            let k = String::from_utf8_lossy(k);
            let mut parts = k.splitn(3, '\0');
            let (crawler, status, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some(MissRow {
                crawler: crawler.to_owned(),
                status: status.parse().ok()?,
                path: path.to_owned(),
                count: s.count,
                approx: s.error > 0,
            })
        })
        .collect();

    let all_crawlers = stats.crawlers.top(usize::MAX);
    let category_names = slot_names(&stats.probe_slots);
    let clients = stats
        .attackers
        .top(top)
        .into_iter()
        .map(|(k, s)| ClientRow {
            address: String::from_utf8_lossy(k).into_owned(),
            requests: s.count,
            approx: s.error > 0,
            probes: s.data.probes,
            not_found: s.data.not_found,
            categories: (0..SLOTS)
                .filter(|i| s.data.categories & (1 << i) != 0)
                .filter_map(|i| category_names.get(i).cloned())
                .collect(),
            scanning: s.data.scanning,
            blocked: s.data.blocked,
            scanner_agent: s.data.scanner_agent,
            first: s.data.first,
            last: s.data.last,
            user_agent: s.data.user_agent.as_deref().map(str::to_owned),
        })
        .collect();
    let rules = stats
        .rules
        .top(top)
        .into_iter()
        .map(|(k, s)| RuleRow {
            rule: String::from_utf8_lossy(k).into_owned(),
            category: s.data.to_string(),
            count: s.count,
            approx: s.error > 0,
        })
        .collect();

    let chart = stats.timeline.series(bars).map(|series| Chart {
        series,
        probe_names: category_names.clone(),
        action_names: slot_names(&stats.action_slots),
    });

    Summary {
        files: files.to_vec(),
        lines: input.lines,
        formats: LineFormat::ALL
            .iter()
            .map(|&f| (f, input.formats[f.index()]))
            .filter(|&(_, n)| n > 0)
            .collect(),
        blank: input.blank,
        malformed: input.malformed,
        foreign: input.foreign,
        too_long: input.too_long,
        filtered: input.filtered,
        starts: input.starts,
        dropped_lines: input.dropped_lines,
        other_events: input.other_events,
        sampled_lines: input.sampled_lines,
        request_lines: input.request_lines,
        notes,
        overview: Overview {
            requests: stats.requests,
            first: stats.first,
            last: stats.last,
            status_classes,
            status_codes,
            outcomes: rows(&stats.outcomes, 8),
            durations,
            bytes: stats.bytes,
            kinds: stats.kinds,
            routes,
        },
        users: Users {
            distinct,
            action_names: stats.actions.len() as u64,
            action_total: stats.action_total,
            distinct_approx,
            requests_with_user: stats.requests_with_user,
            actions: rows(&stats.actions, top),
            funnel: stats.users.funnel(),
            funnel_partial: stats.users.full,
            details: rows(&stats.action_details, top),
        },
        search: SearchEngines {
            requests: stats.crawler_requests,
            crawler_count: stats.crawlers.len() as u64,
            refused: all_crawlers.iter().map(|c| c.1.data.refused).sum(),
            not_found: all_crawlers.iter().map(|c| c.1.data.not_found).sum(),
            verified: all_crawlers.iter().map(|c| c.1.data.verified).sum(),
            crawlers,
            misses,
            disallowed: stats.robots.summarize(top),
        },
        attackers: Attackers {
            probes: stats.probes,
            first: stats.first_probe,
            last: stats.last_probe,
            categories: rows(&stats.categories, 32),
            rules,
            paths: rows(&stats.probed_paths, top),
            clients,
            scanner_requests: stats.kinds[super::agent::SCANNER],
            scanning_clients: stats.scanning_clients.count(),
            blocked_requests: stats.blocked_requests,
            blocked_clients: stats.blocked_clients.count(),
            not_found: rows(&stats.not_found, top),
            impostors: stats.impostors.summarize(top),
        },
        chart,
    }
}

/// The note of a sampled log: what its numbers are.
fn sampled_note(sampled: u64, lines: u64) -> String {
    format!(
        "Estimated from sampled lines: {sampled} of the {lines} request lines were kept as one \
         in N (sample.rate) and each counts N times in every count, total, byte sum and \
         percentile. Distinct counts (users, pages, clients) cover only the lines kept."
    )
}
