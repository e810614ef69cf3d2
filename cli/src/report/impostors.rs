//! Impostors: clients whose user agent names a crawler but whose claim FAILED
//! verification (`visitor.verified: false`, written by `ProbeDetector::verify_crawlers`).
//! They are left out of the search-engines section and listed among the attackers:
//! the name claimed, the request count, and the top addresses and paths (bounded
//! space-saving tables). Rendered here for the terminal, the page and JSON.

use std::fmt::Write as _;
use std::io;

use serde_json::{json, Value};

use super::html;
use super::parse::Entry;
use super::sketch::{hash64, Distinct, TopK};
use super::summary::Row;
use super::svg::{esc, short};
use super::terminal::{cell, clean, count, plural, when_in, Out, Table, RED};
use super::time::Micros;

/// Names claimed.
pub(crate) const NAMES_CAP: usize = 64;
/// (name, address) and (name, path) pairs counted.
pub(crate) const PAIRS_CAP: usize = 500;
/// Distinct addresses counted exactly per name (then estimated).
const ADDRESSES_CAP: usize = 4096;
/// Addresses and paths shown per name in the terminal (the page and JSON show `top`).
const SHOWN: usize = 3;

#[derive(Clone, Debug)]
struct NameData {
    addresses: Distinct,
    first: Option<Micros>,
    last: Option<Micros>,
}

impl Default for NameData {
    fn default() -> Self {
        NameData {
            addresses: Distinct::new(ADDRESSES_CAP),
            first: None,
            last: None,
        }
    }
}

/// The counts, bounded.
#[derive(Clone, Debug)]
pub(crate) struct Impostors {
    pub(crate) requests: u64,
    names: TopK<NameData>,
    /// `name \0 address`.
    addresses: TopK<()>,
    /// `name \0 path`.
    paths: TopK<()>,
}

impl Default for Impostors {
    fn default() -> Self {
        Impostors {
            requests: 0,
            names: TopK::new(NAMES_CAP),
            addresses: TopK::new(PAIRS_CAP),
            paths: TopK::new(PAIRS_CAP),
        }
    }
}

fn pair(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + value.len() + 1);
    key.extend_from_slice(name);
    key.push(0);
    key.extend_from_slice(value);
    key
}

impl Impostors {
    /// Counts a request whose crawler claim failed; `name`, `address` and `path` are
    /// cut already.
    pub(crate) fn record(&mut self, e: &Entry<'_>, name: &[u8], address: &[u8], path: &[u8]) {
        // A sampled line (`sample.rate`) stands for that many requests.
        let w = e.weight;
        self.requests += w;
        self.names.add(name, w, |n| {
            n.addresses.insert(hash64(address));
            if let Some(t) = e.time {
                n.first = Some(n.first.map_or(t, |f| f.min(t)));
                n.last = Some(n.last.map_or(t, |l| l.max(t)));
            }
        });
        self.addresses.add(&pair(name, address), w, |_| {});
        self.paths.add(&pair(name, path), w, |_| {});
    }

    /// Adds the counts of a later part of the stream.
    pub(crate) fn merge(&mut self, other: Impostors) {
        self.requests += other.requests;
        self.names.merge(other.names, |a, b| {
            a.addresses.merge(b.addresses);
            super::stats::widen(&mut a.first, &mut a.last, b.first);
            super::stats::widen(&mut a.first, &mut a.last, b.last);
        });
        self.addresses.merge(other.addresses, |_, _| {});
        self.paths.merge(other.paths, |_, _| {});
    }

    pub(crate) fn approximate(&self) -> bool {
        self.names.approximate() || self.addresses.approximate() || self.paths.approximate()
    }

    pub(crate) fn summarize(&self, top: usize) -> ImpostorSummary {
        let addresses = self.addresses.top(usize::MAX);
        let paths = self.paths.top(usize::MAX);
        let of = |table: &[(&[u8], &super::sketch::Slot<()>)], name: &[u8]| -> Vec<Row> {
            table
                .iter()
                .filter_map(|(k, s)| {
                    let rest = k.strip_prefix(name)?.strip_prefix(&[0u8][..])?;
                    Some(Row {
                        key: String::from_utf8_lossy(rest).into_owned(),
                        count: s.count,
                        approx: s.error > 0,
                    })
                })
                .take(top)
                .collect()
        };
        let rows = self
            .names
            .top(top)
            .into_iter()
            .map(|(k, s)| ImpostorRow {
                name: String::from_utf8_lossy(k).into_owned(),
                requests: s.count,
                approx: s.error > 0,
                address_count: s.data.addresses.count(),
                address_count_approx: s.data.addresses.approximate(),
                addresses: of(&addresses, k),
                paths: of(&paths, k),
                first: s.data.first,
                last: s.data.last,
            })
            .collect();
        ImpostorSummary {
            requests: self.requests,
            rows,
        }
    }
}

/// One crawler name that clients claimed falsely.
#[derive(Clone, Debug)]
pub(crate) struct ImpostorRow {
    pub(crate) name: String,
    pub(crate) requests: u64,
    pub(crate) approx: bool,
    pub(crate) address_count: u64,
    pub(crate) address_count_approx: bool,
    pub(crate) addresses: Vec<Row>,
    pub(crate) paths: Vec<Row>,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
}

#[derive(Clone, Debug)]
pub(crate) struct ImpostorSummary {
    pub(crate) requests: u64,
    pub(crate) rows: Vec<ImpostorRow>,
}

fn joined(rows: &[Row], n: usize, max: usize) -> String {
    let mut parts: Vec<String> = rows
        .iter()
        .take(n)
        .map(|r| format!("{} ({})", clean(&r.key, max), count(r.count, r.approx)))
        .collect();
    if rows.len() > n {
        parts.push("…".to_owned());
    }
    parts.join(", ")
}

/// The terminal lines, in the attackers section.
pub(crate) fn terminal(s: &ImpostorSummary, o: &mut Out<'_>, one_day: bool) -> io::Result<()> {
    if s.requests == 0 {
        return Ok(());
    }
    o.field(
        "Impostors",
        &format!(
            "{} claiming a crawler's name, failed verification (visitor.verified: false)",
            plural(s.requests, "request")
        ),
    )?;
    writeln!(o.w)?;
    let mut t = Table::new(&[
        ("Claimed", false),
        ("Requests", true),
        ("Addresses", true),
        ("Top addresses", false),
        ("Top paths", false),
        ("Last seen", false),
    ]);
    for r in &s.rows {
        t.row(vec![
            (clean(&r.name, 24), Some(RED)),
            cell(count(r.requests, r.approx)),
            cell(count(r.address_count, r.address_count_approx)),
            cell(joined(&r.addresses, SHOWN, 40)),
            cell(joined(&r.paths, SHOWN, 40)),
            cell(when_in(r.last, one_day)),
        ]);
    }
    t.write(o.w, o.color)
}

fn list_cell(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        let _ = write!(
            out,
            "{} <b>{}</b><br>",
            esc(&short(&r.key, 120)),
            html::count(r.count, r.approx)
        );
    }
    out
}

/// The page's panel, in the attackers section.
pub(crate) fn html(o: &mut String, s: &ImpostorSummary) {
    if s.requests == 0 {
        return;
    }
    let _ = write!(
        o,
        r#"<div class="panel" id="impostors"><h3>Impostors: crawler claims that failed verification ({})</h3>"#,
        esc(&plural(s.requests, "request"))
    );
    o.push_str(r#"<table><thead><tr><th>Claimed</th><th class="n">Requests</th><th class="n">Addresses</th><th>Top addresses</th><th>Top paths</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>"#);
    for r in &s.rows {
        let _ = write!(
            o,
            r#"<tr><td><span class="badge b-red">{}</span></td><td class="n">{}</td><td class="n">{}</td><td class="a">{}</td><td class="p">{}</td><td class="t">{}</td><td class="t">{}</td></tr>"#,
            esc(&short(&r.name, 40)),
            html::count(r.requests, r.approx),
            html::count(r.address_count, r.address_count_approx),
            list_cell(&r.addresses),
            list_cell(&r.paths),
            html::when(r.first),
            html::when(r.last),
        );
    }
    o.push_str("</tbody></table></div>");
}

fn rows_json(rows: &[Row], key: &str) -> Value {
    rows.iter()
        .map(|r| json!({ key: r.key, "count": r.count, "approximate": r.approx }))
        .collect()
}

/// The JSON object (`attackers.impostors`).
pub(crate) fn json(s: &ImpostorSummary) -> Value {
    let claims: Vec<Value> = s
        .rows
        .iter()
        .map(|r| {
            json!({
                "claimed": r.name,
                "requests": r.requests,
                "approximate": r.approx,
                "address_count": r.address_count,
                "address_count_approximate": r.address_count_approx,
                "addresses": rows_json(&r.addresses, "address"),
                "paths": rows_json(&r.paths, "path"),
                "first_seen": super::json::when(r.first),
                "last_seen": super::json::when(r.last),
            })
        })
        .collect();
    json!({ "requests": s.requests, "claims": claims })
}
