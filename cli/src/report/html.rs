//! The report as one self-contained HTML page (`--html FILE`): inline CSS and SVG, no
//! script, no external resource, and a Content-Security-Policy that forbids both — so
//! even a mistake in escaping could not run anything. Everything from the log goes
//! through [`esc`].

use std::fmt::Write;

use super::agent::KINDS;
use super::stats::FUNNEL;
use super::summary::{Chart, Row, Summary};
use super::svg::{self, esc, short, Layer};
use super::terminal::{bytes, duration, percent, plural, thousands};
use super::time;
use super::timeline::Bucket;

/// Colours of the client kinds, in the order of [`KINDS`].
const KIND_COLORS: [&str; 5] = ["#4e79a7", "#59a14f", "#e15759", "#f28e2b", "#a0a7b4"];

/// Colours for named series (probe categories, actions).
const PALETTE: [&str; 12] = [
    "#e15759", "#f28e2b", "#edc948", "#b07aa1", "#76b7b2", "#ff9da7", "#9c755f", "#4e79a7",
    "#59a14f", "#bab0ac", "#86bcb6", "#d37295",
];

const ACTION_PALETTE: [&str; 12] = [
    "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#e15759", "#9c755f",
    "#ff9da7", "#bab0ac", "#86bcb6", "#d37295",
];

/// Width of the canvas of a chart in half a page, so its text keeps the page's size.
const HALF: f64 = 540.0;

const STYLE: &str = r#"
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2433;--muted:#667085;--line:#e4e7ec;--accent:#3b5bdb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.top{background:#141a2a;color:#fff;padding:28px 0 0}
header.top h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top h1 span{color:#8ea2ff}
header.top p{margin:6px 0 18px;color:#b8c0d6}
nav{display:flex;gap:4px}
nav a{color:#d6dcf0;text-decoration:none;padding:10px 14px;border-radius:8px 8px 0 0;font-weight:550}
nav a:hover{background:#232b42}
section{margin:28px 0 8px}
h2{font-size:21px;margin:0 0 14px;display:flex;align-items:center;gap:10px}
h2 .dot{width:12px;height:12px;border-radius:50%;display:inline-block}
h3{font-size:14px;margin:0 0 10px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.card .k{color:var(--muted);font-size:13px}
.card .v{font-size:25px;font-weight:650;letter-spacing:-.01em;margin-top:2px}
.card .s{color:var(--muted);font-size:12.5px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 18px;margin-bottom:14px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.grid2 .panel{margin-bottom:0}
.grid2+.panel,.grid2+.grid2{margin-top:14px}
@media (max-width:860px){.grid2{grid-template-columns:1fr}}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#eef0f4;stroke-width:1}
svg .axis{fill:#8a93a6;font-size:12px}
svg .note{font-size:11px}
svg .label{fill:#344054;font-size:13.5px}
svg .value{fill:#344054;font-size:13px}
svg .big{font-weight:650;font-size:15px}
svg .muted{fill:#8a93a6}
svg .inbar{fill:#fff;font-size:13px;font-weight:600}
svg .empty{fill:#98a2b3;font-size:15px}
svg rect:hover{opacity:.8}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:8px;font-size:13px;color:#475467}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
table{width:100%;border-collapse:collapse;font-size:13.5px}
th{text-align:left;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid #f0f2f5;padding:6px 8px;vertical-align:top}
tr:last-child td{border-bottom:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.p,td.a{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
td.a{white-space:nowrap}
td.t{white-space:nowrap;color:#475467}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;margin-right:4px}
.b-red{background:#fde8e8;color:#b42318}.b-amber{background:#fef0c7;color:#b54708}.b-green{background:#e3f6e8;color:#1f7a3a}.b-blue{background:#e6ecfb;color:#2f4ab3}.b-grey{background:#eef0f4;color:#475467}
.empty{color:var(--muted);margin:4px 0}
.notes li{margin:4px 0}
footer{color:var(--muted);font-size:12.5px;padding:16px 0 40px}
"#;

/// The colour of a named series: the colour of its chart slot, so a name has the same
/// colour in every chart.
fn slot_color<'a>(slots: &[&str], name: &str, palette: &[&'a str; 12]) -> &'a str {
    slots
        .iter()
        .position(|n| *n == name)
        .map_or("#bab0ac", |i| palette[i % palette.len()])
}

fn card(out: &mut String, key: &str, value: &str, sub: &str) {
    let _ = write!(
        out,
        r#"<div class="card"><div class="k">{}</div><div class="v">{}</div><div class="s">{}</div></div>"#,
        esc(key),
        esc(value),
        esc(sub)
    );
}

/// A stacked bar chart over time of one family of named slots (actions, probe
/// categories), with its legend.
fn over_time(
    out: &mut String,
    title: &str,
    chart: &Chart,
    names: &[String],
    palette: &[&'static str],
    value: impl Fn(&Bucket, usize) -> u64,
) {
    let layers: Vec<Layer<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Layer {
            name,
            color: palette[i % palette.len()],
            values: chart.series.bars.iter().map(|b| value(b, i)).collect(),
        })
        .collect();
    out.push_str(&svg::stacked_bars(
        title,
        &layers,
        chart.series.start,
        chart.series.width,
        220.0,
    ));
    let items: Vec<(&str, &str, u64)> = layers
        .iter()
        .map(|l| (l.name, l.color, l.values.iter().sum()))
        .collect();
    legend(out, &items);
}

fn legend(out: &mut String, items: &[(&str, &str, u64)]) {
    out.push_str(r#"<div class="legend">"#);
    for (name, color, n) in items {
        let _ = write!(
            out,
            r#"<span><i style="background:{color}"></i>{} <b>{}</b></span>"#,
            esc(name),
            thousands(*n)
        );
    }
    out.push_str("</div>");
}

pub(crate) fn count(n: u64, approx: bool) -> String {
    if approx {
        format!("~{}", thousands(n))
    } else {
        thousands(n)
    }
}

pub(crate) fn when(t: Option<i64>) -> String {
    t.map_or_else(|| "–".to_owned(), |t| time::format(t, true))
}

fn status_badge(status: u16) -> String {
    let class = match status {
        200..=299 => "b-green",
        300..=399 => "b-blue",
        400..=499 => "b-amber",
        _ => "b-red",
    };
    format!(r#"<span class="badge {class}">{status}</span>"#)
}

/// A table of rows with one text column (monospace when `path`) and a count.
fn row_table(out: &mut String, head: &str, count_head: &str, rows: &[Row], path: bool) {
    let _ = write!(
        out,
        r#"<table><thead><tr><th>{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        esc(head),
        esc(count_head)
    );
    for r in rows {
        let _ = write!(
            out,
            r#"<tr><td class="{}">{}</td><td class="n">{}</td></tr>"#,
            if path { "p" } else { "" },
            esc(&short(&r.key, 160)),
            count(r.count, r.approx)
        );
    }
    out.push_str("</tbody></table>");
}

pub(crate) fn empty(out: &mut String, text: &str) {
    let _ = write!(out, r#"<p class="empty">{}</p>"#, esc(text));
}

/// The whole page.
pub(crate) fn page(s: &Summary) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let ov = &s.overview;
    let names: Vec<String> = s.files.iter().map(|f| f.name.clone()).collect();
    let span = match (ov.first, ov.last) {
        (Some(a), Some(b)) => format!(
            "{} → {} UTC · {}",
            time::format(a, true),
            time::format(b, true),
            time::span(b - a)
        ),
        _ => "no timestamps".to_owned(),
    };
    let _ = write!(
        o,
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>reqlog report · {}</title>
<style>{STYLE}</style></head>
<body>
<header class="top"><div class="wrap"><h1>reqlog <span>report</span></h1>
<p>{} · {} requests · {}</p>
<nav><a href="#overview">Overview</a><a href="#users">Users</a><a href="#search-engines">Search engines</a><a href="#attackers">Attackers</a><a href="#input">Input</a></nav>
</div></header>
<main class="wrap">
"##,
        esc(&short(&names.join(", "), 80)),
        esc(&short(&names.join(", "), 120)),
        thousands(ov.requests),
        esc(&span)
    );
    overview(&mut o, s);
    users(&mut o, s);
    search_engines(&mut o, s);
    attackers(&mut o, s);
    input(&mut o, s);
    let _ = write!(
        o,
        r#"</main><footer class="wrap">Generated by reqlog {} · times in UTC · percentiles within 0.8 % · counts marked ~ are upper bounds from capped tables</footer>
</body></html>
"#,
        env!("CARGO_PKG_VERSION")
    );
    o
}

fn overview(o: &mut String, s: &Summary) {
    let ov = &s.overview;
    o.push_str(r##"<section id="overview"><h2><span class="dot" style="background:#4e79a7"></span>Overview</h2><div class="cards">"##);
    let read = if s.sampled_lines > 0 {
        format!(
            "estimated from sampled lines: {} request lines read",
            thousands(s.request_lines)
        )
    } else {
        format!("{} lines read", thousands(s.lines))
    };
    card(o, "Requests", &thousands(ov.requests), &read);
    let span = match (ov.first, ov.last) {
        (Some(a), Some(b)) => time::span(b - a),
        _ => "–".to_owned(),
    };
    card(
        o,
        "Time span",
        &span,
        &ov.first.map_or(String::new(), |t| {
            format!("from {}", time::format(t, false))
        }),
    );
    let errors = ov.status_classes[3] + ov.status_classes[4];
    card(
        o,
        "Errors",
        &percent(errors, ov.requests),
        &format!(
            "{} 4xx · {} 5xx",
            thousands(ov.status_classes[3]),
            thousands(ov.status_classes[4])
        ),
    );
    match &ov.durations {
        Some(d) => card(
            o,
            "Duration, median",
            &duration(d.p50),
            &format!("p95 {} · p99 {}", duration(d.p95), duration(d.p99)),
        ),
        None => card(o, "Duration", "–", "no line has duration_ms"),
    }
    card(o, "Bytes sent", &bytes(ov.bytes), "response bodies");
    o.push_str("</div>");

    o.push_str(r#"<div class="panel"><h3>Requests over time, by client</h3>"#);
    match &s.chart {
        Some(c) => {
            let layers: Vec<Layer<'_>> = KINDS
                .iter()
                .enumerate()
                .map(|(i, k)| Layer {
                    name: k,
                    color: KIND_COLORS[i],
                    values: c.series.bars.iter().map(|b| b.kinds[i]).collect(),
                })
                .collect();
            o.push_str(&svg::stacked_bars(
                "Requests over time by client kind",
                &layers,
                c.series.start,
                c.series.width,
                260.0,
            ));
        }
        None => empty(o, "No request has a timestamp."),
    }
    let items: Vec<(&str, &str, u64)> = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, KIND_COLORS[i], ov.kinds[i]))
        .filter(|item| item.2 > 0)
        .collect();
    legend(o, &items);
    o.push_str("</div>");

    o.push_str(r#"<div class="grid2"><div class="panel"><h3>Status mix</h3>"#);
    let classes = [
        ("2xx", ov.status_classes[1], "#59a14f"),
        ("3xx", ov.status_classes[2], "#4e79a7"),
        ("4xx", ov.status_classes[3], "#f28e2b"),
        ("5xx", ov.status_classes[4], "#e15759"),
        ("1xx", ov.status_classes[0], "#b07aa1"),
        ("none", ov.status_classes[5], "#a0a7b4"),
    ];
    if ov.requests == 0 {
        empty(o, "No requests.");
    }
    let parts: Vec<(&str, u64, &str)> = classes.iter().map(|&(n, v, c)| (n, v, c)).collect();
    o.push_str(&svg::share_bar("Status classes", &parts, HALF));
    let items: Vec<(&str, &str, u64)> = classes
        .iter()
        .filter(|c| c.1 > 0)
        .map(|&(n, v, c)| (n, c, v))
        .collect();
    legend(o, &items);
    if !ov.status_codes.is_empty() {
        o.push_str(r#"<table style="margin-top:10px"><thead><tr><th>Status</th><th class="n">Requests</th><th class="n">Share</th></tr></thead><tbody>"#);
    }
    for (code, n) in ov.status_codes.iter().take(8) {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            status_badge(*code),
            thousands(*n),
            percent(*n, ov.requests)
        );
    }
    if !ov.status_codes.is_empty() {
        o.push_str("</tbody></table>");
    }
    o.push_str("</div>");

    o.push_str(r#"<div class="panel"><h3>Duration</h3>"#);
    match &ov.durations {
        Some(d) => {
            let rows = vec![
                ("p50".to_owned(), d.p50, "#76b7b2"),
                ("p95".to_owned(), d.p95, "#edc948"),
                ("p99".to_owned(), d.p99, "#f28e2b"),
                ("max".to_owned(), d.max, "#e15759"),
            ];
            o.push_str(&svg::hbars("Duration percentiles", &rows, &duration, HALF));
            let _ = write!(
                o,
                r#"<table style="margin-top:10px"><tbody><tr><td>p50</td><td class="n">{}</td><td>p95</td><td class="n">{}</td></tr><tr><td>p99</td><td class="n">{}</td><td>max</td><td class="n">{}</td></tr><tr><td>mean</td><td class="n">{}</td><td>timed</td><td class="n">{}</td></tr></tbody></table>"#,
                duration(d.p50),
                duration(d.p95),
                duration(d.p99),
                duration(d.max),
                duration(d.mean.round() as u64),
                thousands(d.count)
            );
        }
        None => empty(o, "No line has a duration (the combined format has none)."),
    }
    o.push_str("</div></div>");

    o.push_str(r#"<div class="panel"><h3>Top routes</h3>"#);
    if ov.routes.is_empty() {
        empty(o, "No requests.");
    } else {
        o.push_str(r#"<table><thead><tr><th>Route</th><th class="n">Requests</th><th class="n">Share</th><th class="n">4xx</th><th class="n">5xx</th><th class="n">Mean</th></tr></thead><tbody>"#);
        for r in &ov.routes {
            let _ = write!(
                o,
                r#"<tr><td class="p">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                esc(&short(&r.route, 120)),
                count(r.count, r.approx),
                percent(r.count, ov.requests),
                thousands(r.client_errors),
                thousands(r.server_errors),
                r.mean_us.map_or("–".to_owned(), duration)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</div></section>");
}

fn users(o: &mut String, s: &Summary) {
    let u = &s.users;
    o.push_str(r##"<section id="users"><h2><span class="dot" style="background:#59a14f"></span>Users</h2><div class="cards">"##);
    card(
        o,
        "Distinct users",
        &format!(
            "{}{}",
            if u.distinct_approx { "~" } else { "" },
            thousands(u.distinct)
        ),
        "pseudonymous enduser.pseudo.id",
    );
    card(
        o,
        "Actions",
        &thousands(u.action_total),
        &plural(u.action_names, "kind"),
    );
    let steps = FUNNEL;
    for (i, step) in steps.iter().enumerate() {
        let sub = if i == 0 {
            "users".to_owned()
        } else {
            format!(
                "users · {} of the step before",
                percent(u.funnel[i], u.funnel[i - 1])
            )
        };
        card(o, step, &thousands(u.funnel[i]), &sub);
    }
    o.push_str("</div>");

    o.push_str(
        r#"<div class="grid2"><div class="panel"><h3>Funnel: newsletter → login → purchase</h3>"#,
    );
    let funnel: Vec<(&str, u64)> = steps.iter().copied().zip(u.funnel).collect();
    if u.funnel.iter().all(|&n| n == 0) {
        empty(o, "No user reached the first step.");
    } else {
        o.push_str(&svg::funnel(&funnel, "#59a14f", HALF));
    }
    o.push_str(r#"<p class="empty">A user counts at a step when they did it and every step before it, in the window.</p></div>"#);

    o.push_str(r#"<div class="panel"><h3>Actions by name</h3>"#);
    if u.actions.is_empty() {
        empty(o, "No visitor.actions in these lines.");
    } else {
        let slots: Vec<&str> = s.chart.as_ref().map_or(Vec::new(), |c| {
            c.action_names.iter().map(String::as_str).collect()
        });
        let rows: Vec<(String, u64, &str)> = u
            .actions
            .iter()
            .map(|r| {
                (
                    r.key.clone(),
                    r.count,
                    slot_color(&slots, &r.key, &ACTION_PALETTE),
                )
            })
            .collect();
        o.push_str(&svg::hbars("Actions by name", &rows, &thousands, HALF));
    }
    o.push_str("</div></div>");

    o.push_str(r#"<div class="panel"><h3>Actions over time</h3>"#);
    match &s.chart {
        Some(c) if !c.action_names.is_empty() => over_time(
            o,
            "Actions over time",
            c,
            &c.action_names,
            &ACTION_PALETTE,
            |b, i| b.actions[i],
        ),
        _ => empty(o, "No actions to chart."),
    }
    o.push_str("</div>");
    if !u.details.is_empty() {
        o.push_str(r#"<div class="panel"><h3>Action details</h3>"#);
        row_table(o, "Action and field", "Count", &u.details, false);
        o.push_str("</div>");
    }
    o.push_str("</section>");
}

fn search_engines(o: &mut String, s: &Summary) {
    let se = &s.search;
    o.push_str(r##"<section id="search-engines"><h2><span class="dot" style="background:#59a14f"></span>Search engines</h2><div class="cards">"##);
    card(
        o,
        "Crawler requests",
        &thousands(se.requests),
        &percent(se.requests, s.overview.requests),
    );
    card(o, "Crawlers", &thousands(se.crawler_count), "by name");
    let (refused, missing) = (se.refused, se.not_found);
    card(
        o,
        "Refused (401/403)",
        &thousands(refused),
        "pages crawlers may not see",
    );
    card(
        o,
        "Not found (404/410)",
        &thousands(missing),
        "dead links crawlers followed",
    );
    o.push_str("</div>");
    if se.crawlers.is_empty() {
        o.push_str(r#"<div class="panel">"#);
        empty(o, "No crawler requests in these lines.");
        o.push_str("</div></section>");
        return;
    }
    o.push_str(r#"<div class="grid2"><div class="panel"><h3>Requests per crawler</h3>"#);
    let rows: Vec<(String, u64, &str)> = se
        .crawlers
        .iter()
        .map(|c| (c.name.clone(), c.requests, KIND_COLORS[1]))
        .collect();
    o.push_str(&svg::hbars("Requests per crawler", &rows, &thousands, HALF));
    o.push_str(r#"</div><div class="panel"><h3>Refused or not found, per crawler</h3>"#);
    let rows: Vec<(String, u64, &str)> = se
        .crawlers
        .iter()
        .map(|c| (c.name.clone(), c.refused + c.not_found, "#f28e2b"))
        .collect();
    o.push_str(&svg::hbars(
        "Refused or not found per crawler",
        &rows,
        &thousands,
        HALF,
    ));
    o.push_str("</div></div>");
    o.push_str(r#"<div class="panel"><h3>Crawlers</h3><table><thead><tr><th>Crawler</th><th class="n">Requests</th><th class="n">Pages crawled</th><th class="n">robots.txt</th><th class="n">Refused</th><th class="n">Not found</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>"#);
    for c in &se.crawlers {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="t">{}</td><td class="t">{}</td></tr>"#,
            esc(&short(&c.name, 40)),
            count(c.requests, c.approx),
            count(c.pages, c.pages_approx),
            thousands(c.robots),
            thousands(c.refused),
            thousands(c.not_found),
            when(c.first),
            when(c.last)
        );
    }
    o.push_str("</tbody></table></div>");
    o.push_str(r#"<div class="panel"><h3>What crawlers were refused or did not find</h3>"#);
    if se.misses.is_empty() {
        empty(o, "Crawlers got every page they asked for.");
    } else {
        o.push_str(r#"<table><thead><tr><th>Crawler</th><th>Status</th><th>Path</th><th class="n">Count</th></tr></thead><tbody>"#);
        for m in &se.misses {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td>{}</td><td class="p">{}</td><td class="n">{}</td></tr>"#,
                esc(&short(&m.crawler, 40)),
                status_badge(m.status),
                esc(&short(&m.path, 160)),
                count(m.count, m.approx)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</div>");
    super::robots::html(o, &se.disallowed);
    o.push_str("</section>");
}

fn attackers(o: &mut String, s: &Summary) {
    let a = &s.attackers;
    o.push_str(r##"<section id="attackers"><h2><span class="dot" style="background:#e15759"></span>Attackers</h2><div class="cards">"##);
    card(
        o,
        "Probes",
        &thousands(a.probes),
        &format!("{} of all requests", percent(a.probes, s.overview.requests)),
    );
    card(
        o,
        "Flagged scanning",
        &thousands(a.scanning_clients),
        "clients over the 404 threshold",
    );
    card(
        o,
        "Blocked",
        &thousands(a.blocked_requests),
        &format!("requests from {}", plural(a.blocked_clients, "client")),
    );
    card(
        o,
        "Scanner user agents",
        &thousands(a.scanner_requests),
        "requests",
    );
    let first = a.first.map_or("–".to_owned(), |t| {
        time::format(t, false)[11..].to_owned()
    });
    let last = a
        .last
        .map_or(String::new(), |t| format!("last {}", time::format(t, true)));
    card(o, "First probe", &first, &last);
    o.push_str("</div>");
    super::impostors::html(o, &a.impostors);
    if a.probes == 0 && a.clients.is_empty() {
        o.push_str(r#"<div class="panel">"#);
        empty(o, "No probes recorded. Probe fields (probe.category, probe.rule) come from reqlog's ProbeDetector; combined lines have none.");
        o.push_str("</div>");
    } else {
        let names: Vec<&str> = s.chart.as_ref().map_or(Vec::new(), |c| {
            c.probe_names.iter().map(String::as_str).collect()
        });
        o.push_str(r#"<div class="grid2"><div class="panel"><h3>Probes by category</h3>"#);
        if a.categories.is_empty() {
            empty(o, "No probe categories.");
        } else {
            let rows: Vec<(String, u64, &str)> = a
                .categories
                .iter()
                .map(|r| (r.key.clone(), r.count, slot_color(&names, &r.key, &PALETTE)))
                .collect();
            o.push_str(&svg::hbars("Probes by category", &rows, &thousands, HALF));
        }
        o.push_str(r#"</div><div class="panel"><h3>Rules that matched</h3>"#);
        if a.rules.is_empty() {
            empty(o, "None.");
        } else {
            o.push_str(r#"<table><thead><tr><th>Rule</th><th>Category</th><th class="n">Probes</th></tr></thead><tbody>"#);
            for r in &a.rules {
                let _ = write!(
                    o,
                    r#"<tr><td class="p">{}</td><td>{}</td><td class="n">{}</td></tr>"#,
                    esc(&short(&r.rule, 60)),
                    esc(&short(&r.category, 30)),
                    count(r.count, r.approx)
                );
            }
            o.push_str("</tbody></table>");
        }
        o.push_str("</div></div>");

        o.push_str(r#"<div class="panel"><h3>Probes over time, by category</h3>"#);
        match &s.chart {
            Some(c) if !c.probe_names.is_empty() => over_time(
                o,
                "Probes over time",
                c,
                &c.probe_names,
                &PALETTE,
                |b, i| b.probes[i],
            ),
            _ => empty(o, "No probe has a timestamp."),
        }
        o.push_str("</div>");

        o.push_str(r#"<div class="panel"><h3>Top clients</h3>"#);
        if a.clients.is_empty() {
            empty(o, "None.");
        } else {
            o.push_str(r#"<table><thead><tr><th>Client</th><th class="n">Requests</th><th class="n">Probes</th><th class="n">404</th><th>Flags</th><th>Categories</th><th>First seen</th><th>Last seen</th><th>User agent</th></tr></thead><tbody>"#);
            for c in &a.clients {
                let mut flags = String::new();
                if c.scanner_agent {
                    flags.push_str(r#"<span class="badge b-amber">scanner UA</span>"#);
                }
                if c.scanning {
                    flags.push_str(r#"<span class="badge b-red">scanning</span>"#);
                }
                if c.blocked > 0 {
                    flags.push_str(r#"<span class="badge b-grey">blocked</span>"#);
                }
                let _ = write!(
                    o,
                    r#"<tr><td class="a">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{flags}</td><td>{}</td><td class="t">{}</td><td class="t">{}</td><td class="p">{}</td></tr>"#,
                    esc(&short(&c.address, 45)),
                    count(c.requests, c.approx),
                    thousands(c.probes),
                    thousands(c.not_found),
                    esc(&c.categories.join(", ")),
                    when(c.first),
                    when(c.last),
                    esc(&short(c.user_agent.as_deref().unwrap_or("–"), 60))
                );
            }
            o.push_str("</tbody></table>");
        }
        o.push_str("</div>");
    }
    o.push_str(r#"<div class="grid2"><div class="panel"><h3>Top probed paths</h3>"#);
    if a.paths.is_empty() {
        empty(o, "None.");
    } else {
        row_table(o, "Path", "Probes", &a.paths, true);
    }
    o.push_str(r#"</div><div class="panel"><h3>Not found (404), all clients</h3>"#);
    if a.not_found.is_empty() {
        empty(o, "None.");
    } else {
        row_table(o, "Path", "Requests", &a.not_found, true);
    }
    o.push_str("</div></div></section>");
}

fn input(o: &mut String, s: &Summary) {
    o.push_str(r##"<section id="input"><h2><span class="dot" style="background:#a0a7b4"></span>Input</h2><div class="panel">"##);
    o.push_str(r#"<table><thead><tr><th>File</th><th class="n">Lines</th><th>Compression</th><th>Read error</th></tr></thead><tbody>"#);
    for f in &s.files {
        let _ = write!(
            o,
            r#"<tr><td class="p">{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&f.name),
            thousands(f.lines),
            if f.gzip { "gzip" } else { "none" },
            esc(f.error.as_deref().unwrap_or("–"))
        );
    }
    o.push_str("</tbody></table>");
    let formats: Vec<String> = s
        .formats
        .iter()
        .map(|(f, n)| format!("{} {}", f.as_str(), thousands(*n)))
        .collect();
    let _ = write!(
        o,
        r#"<p>{}{}. Skipped: {} malformed, {} foreign, {} too long, {} blank. {} filtered out; {}; {} dropped by the writer.</p>"#,
        plural(s.lines, "line"),
        if formats.is_empty() {
            String::new()
        } else {
            format!(": {}", esc(&formats.join(" · ")))
        },
        thousands(s.malformed),
        thousands(s.foreign),
        thousands(s.too_long),
        thousands(s.blank),
        plural(s.filtered, "request"),
        plural(s.starts, "app start"),
        plural(s.dropped_lines, "line")
    );
    if !s.notes.is_empty() {
        o.push_str(r#"<ul class="notes">"#);
        for n in &s.notes {
            let _ = write!(o, "<li>{}</li>", esc(n));
        }
        o.push_str("</ul>");
    }
    o.push_str("</div></section>");
}

#[cfg(test)]
mod tests {
    use crate::report::{Report, ReportOptions};

    #[test]
    fn text_from_the_log_is_escaped_everywhere() {
        let evil = r#"<script>alert(1)</script><img src=x onerror=alert(2)>\u001b[31m\u2028"#;
        let line = format!(
            r#"{{"timestamp":"2026-11-24T10:00:00Z","otel.event.name":"http.request","url.path":"/{evil}","http.route":"/{evil}","client.address":"{evil}","user_agent.original":"{evil}","http.response.status_code":403,"probe.category":"{evil}","probe.rule":"{evil}","visitor.kind":"crawler","visitor.crawler":"{evil}","visitor.scanning":true,"visitor.actions":[{{"name":"{evil}","{evil}":"{evil}"}}],"enduser.pseudo.id":"{evil}"}}"#
        );
        let mut report = Report::new(ReportOptions::new());
        report.add_line(line.as_bytes());
        assert_eq!(report.requests(), 1);
        let html = report.html();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains('\u{1b}'));
        assert!(
            html.matches("&lt;script&gt;").count() >= 8,
            "shown, escaped, in every table"
        );
    }
}
