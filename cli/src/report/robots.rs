//! What crawlers fetched although robots.txt disallows it for them
//! (`robots.disallowed: true`, written by `ProbeDetector::robots_txt`): per crawler and
//! path, the count, the referers that led there, and whether the sitemap lists the
//! path. Counted for verified and not-yet-known crawlers; impostors are in
//! `impostors.rs`. Rendered here for the terminal, the page and JSON.

use std::fmt::Write as _;
use std::io;

use serde_json::{json, Value};

use super::html;
use super::parse::Entry;
use super::sitemap::Sitemap;
use super::sketch::TopK;
use super::summary::Row;
use super::svg::{esc, short};
use super::terminal::{cell, clean, count, plural, thousands, Out, Table, YELLOW};

/// (crawler, path) pairs counted.
pub(crate) const DISALLOWED_CAP: usize = 500;
/// (crawler, path, referer) triples counted.
pub(crate) const REFERERS_CAP: usize = 1000;
/// Referers shown per path.
const REFERERS_SHOWN: usize = 3;

/// The key of a line without a referer.
const NO_REFERER: &str = "(none)";

/// The counts, bounded (space-saving tables).
#[derive(Clone, Debug)]
pub(crate) struct Disallowed {
    /// Crawler requests marked `robots.disallowed`.
    pub(crate) requests: u64,
    /// Crawler requests whose line has no detector fields (`combined`): whether
    /// robots.txt disallowed them is not known.
    pub(crate) unknown: u64,
    /// `crawler \0 path`.
    paths: TopK<()>,
    /// `crawler \0 path \0 referer`.
    referers: TopK<()>,
    /// The paths `--sitemap` files list.
    pub(crate) sitemap: Option<Sitemap>,
}

impl Default for Disallowed {
    fn default() -> Self {
        Disallowed {
            requests: 0,
            unknown: 0,
            paths: TopK::new(DISALLOWED_CAP),
            referers: TopK::new(REFERERS_CAP),
            sitemap: None,
        }
    }
}

impl Disallowed {
    /// Counts a (non-impostor) crawler request; `crawler` and `path` are cut already.
    pub(crate) fn record(&mut self, e: &Entry<'_>, crawler: &[u8], path: &[u8]) {
        if e.kind.is_none() {
            self.unknown += e.weight;
            return;
        }
        if !e.robots_disallowed {
            return;
        }
        // A sampled line (`sample.rate`) stands for that many requests.
        let w = e.weight;
        self.requests += w;
        let mut key = Vec::with_capacity(crawler.len() + path.len() + 64);
        key.extend_from_slice(crawler);
        key.push(0);
        key.extend_from_slice(path);
        self.paths.add(&key, w, |_| {});
        key.push(0);
        match e.referer {
            Some(r) => key.extend_from_slice(super::stats::cut(&r.bytes(), 256)),
            None => key.extend_from_slice(NO_REFERER.as_bytes()),
        }
        self.referers.add(&key, w, |_| {});
    }

    /// Adds the counts of a later part of the stream (the sitemap stays this one's).
    pub(crate) fn merge(&mut self, other: Disallowed) {
        self.requests += other.requests;
        self.unknown += other.unknown;
        self.paths.merge(other.paths, |_, _| {});
        self.referers.merge(other.referers, |_, _| {});
    }

    pub(crate) fn approximate(&self) -> bool {
        self.paths.approximate() || self.referers.approximate()
    }

    /// The `top` most frequent (crawler, path) pairs, each with its top referers.
    pub(crate) fn summarize(&self, top: usize) -> DisallowedSummary {
        let referers = self.referers.top(usize::MAX);
        let rows = self
            .paths
            .top(top)
            .into_iter()
            .filter_map(|(k, s)| {
                let text = String::from_utf8_lossy(k);
                let (crawler, path) = text.split_once('\0')?;
                let mut prefix = k.to_vec();
                prefix.push(0);
                let referers = referers
                    .iter()
                    .filter_map(|(rk, rs)| {
                        let referer = rk.strip_prefix(&prefix[..])?;
                        Some(Row {
                            key: String::from_utf8_lossy(referer).into_owned(),
                            count: rs.count,
                            approx: rs.error > 0,
                        })
                    })
                    .take(REFERERS_SHOWN)
                    .collect();
                Some(DisallowedRow {
                    crawler: crawler.to_owned(),
                    path: path.to_owned(),
                    count: s.count,
                    approx: s.error > 0,
                    listed: self.sitemap.as_ref().map(|m| m.lists(path)),
                    referers,
                })
            })
            .collect();
        DisallowedSummary {
            requests: self.requests,
            unknown: self.unknown,
            sitemap: self.sitemap.as_ref().map(|m| (m.urls, m.capped)),
            rows,
        }
    }
}

/// One crawler's fetches of one disallowed path.
#[derive(Clone, Debug)]
pub(crate) struct DisallowedRow {
    pub(crate) crawler: String,
    pub(crate) path: String,
    pub(crate) count: u64,
    pub(crate) approx: bool,
    /// Whether the sitemap lists the path; `None` without `--sitemap`.
    pub(crate) listed: Option<bool>,
    /// The most frequent referers (`(none)` for requests without one).
    pub(crate) referers: Vec<Row>,
}

#[derive(Clone, Debug)]
pub(crate) struct DisallowedSummary {
    pub(crate) requests: u64,
    pub(crate) unknown: u64,
    /// URLs the sitemaps listed, and whether a cap cut them.
    pub(crate) sitemap: Option<(u64, bool)>,
    pub(crate) rows: Vec<DisallowedRow>,
}

fn listed_text(listed: Option<bool>) -> &'static str {
    match listed {
        Some(true) => "listed in sitemap",
        Some(false) => "not in sitemap",
        None => "–",
    }
}

fn referers_text(referers: &[Row]) -> String {
    let parts: Vec<String> = referers
        .iter()
        .map(|r| format!("{} ({})", r.key, count(r.count, r.approx)))
        .collect();
    parts.join(", ")
}

/// The note for lines that cannot say.
pub(crate) fn unknown_note(unknown: u64) -> String {
    format!(
        "{} carry no probe detector fields (combined format, or the detector was off): \
         whether robots.txt disallowed them, or whether the crawler was verified, is not known.",
        plural(unknown, "crawler request")
    )
}

/// The terminal lines, under the crawler tables.
pub(crate) fn terminal(s: &DisallowedSummary, o: &mut Out<'_>) -> io::Result<()> {
    writeln!(o.w)?;
    let fetches = if s.requests == 1 { "fetch" } else { "fetches" };
    let mut what = format!("{} {fetches} of disallowed paths", thousands(s.requests));
    if let Some((urls, capped)) = s.sitemap {
        let _ = write!(
            what,
            " · sitemap: {}{}",
            plural(urls, "URL"),
            if capped { " (capped)" } else { "" }
        );
    }
    if s.unknown > 0 {
        let _ = write!(
            what,
            " · {} not known (no detector fields)",
            plural(s.unknown, "request")
        );
    } else if s.requests == 0 {
        what.push_str(" (robots.disallowed comes from ProbeDetector::robots_txt)");
    }
    o.field("robots.txt", &what)?;
    if s.rows.is_empty() {
        return Ok(());
    }
    writeln!(o.w)?;
    let mut t = Table::new(&[
        ("Crawler", false),
        ("Disallowed path", false),
        ("Count", true),
        ("Sitemap", false),
        ("Referers", false),
    ]);
    for r in &s.rows {
        t.row(vec![
            cell(clean(&r.crawler, 24)),
            cell(clean(&r.path, 48)),
            (count(r.count, r.approx), Some(YELLOW)),
            cell(listed_text(r.listed)),
            cell(clean(&referers_text(&r.referers), 60)),
        ]);
    }
    t.write(o.w, o.color)
}

/// The page's panel, in the search-engines section.
pub(crate) fn html(o: &mut String, s: &DisallowedSummary) {
    o.push_str(r#"<div class="panel" id="robots-disallowed"><h3>Disallowed by robots.txt, fetched anyway</h3>"#);
    if s.rows.is_empty() {
        let text = if s.unknown > 0 {
            unknown_note(s.unknown)
        } else {
            "No crawler fetched a path robots.txt disallows for it (robots.disallowed comes from ProbeDetector::robots_txt).".to_owned()
        };
        html::empty(o, &text);
        o.push_str("</div>");
        return;
    }
    o.push_str(r#"<table><thead><tr><th>Crawler</th><th>Path</th><th class="n">Count</th><th>Sitemap</th><th>Referers</th></tr></thead><tbody>"#);
    for r in &s.rows {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="p">{}</td><td class="n">{}</td><td>{}</td><td class="p">{}</td></tr>"#,
            esc(&short(&r.crawler, 40)),
            esc(&short(&r.path, 160)),
            html::count(r.count, r.approx),
            listed_text(r.listed),
            esc(&short(&referers_text(&r.referers), 200)),
        );
    }
    o.push_str("</tbody></table>");
    if s.unknown > 0 {
        html::empty(o, &unknown_note(s.unknown));
    }
    o.push_str("</div>");
}

/// The JSON object (`search_engines.robots_disallowed`).
pub(crate) fn json(s: &DisallowedSummary) -> Value {
    let paths: Vec<Value> = s
        .rows
        .iter()
        .map(|r| {
            let referers: Vec<Value> = r
                .referers
                .iter()
                .map(|x| json!({ "referer": x.key, "count": x.count, "approximate": x.approx }))
                .collect();
            json!({
                "crawler": r.crawler,
                "path": r.path,
                "count": r.count,
                "approximate": r.approx,
                "listed_in_sitemap": r.listed,
                "referers": referers,
            })
        })
        .collect();
    json!({
        "requests": s.requests,
        "unknown_requests": s.unknown,
        "sitemap": s.sitemap.map(|(urls, capped)| json!({ "urls": urls, "capped": capped })),
        "paths": paths,
    })
}
