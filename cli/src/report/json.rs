//! The report as a JSON document (`--json`), for scripts and dashboards.
//!
//! Times are RFC 3339 strings in UTC, durations are milliseconds, and a count that is
//! an upper bound (a capped table evicted keys) comes with `"approximate": true`.

use serde_json::{json, Map, Value};

use super::agent::KINDS;
use super::stats::FUNNEL;
use super::summary::{Row, Summary};
use super::time::{self, Micros};

/// The version of this document's shape.
const VERSION: u64 = 1;

pub(crate) fn when(t: Option<Micros>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time::rfc3339(t)))
}

fn millis(us: u64) -> Value {
    json!(us as f64 / 1000.0)
}

fn rows(rows: &[Row], key: &str, count: &str) -> Value {
    rows.iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert(key.to_owned(), json!(r.key));
            m.insert(count.to_owned(), json!(r.count));
            if r.approx {
                m.insert("approximate".to_owned(), json!(true));
            }
            Value::Object(m)
        })
        .collect()
}

fn flag(mut v: Value, approx: bool) -> Value {
    if let (true, Some(m)) = (approx, v.as_object_mut()) {
        m.insert("approximate".to_owned(), json!(true));
    }
    v
}

/// The whole report, pretty-printed.
pub(crate) fn document(s: &Summary) -> String {
    let ov = &s.overview;
    let classes = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
    let status: Map<String, Value> = classes
        .iter()
        .zip(ov.status_classes)
        .map(|(c, n)| ((*c).to_owned(), json!(n)))
        .collect();
    let codes: Map<String, Value> = ov
        .status_codes
        .iter()
        .map(|(c, n)| (c.to_string(), json!(n)))
        .collect();
    let clients: Map<String, Value> = KINDS
        .iter()
        .zip(ov.kinds)
        .map(|(k, n)| ((*k).to_owned(), json!(n)))
        .collect();
    let outcomes: Map<String, Value> = ov
        .outcomes
        .iter()
        .map(|r| (r.key.clone(), json!(r.count)))
        .collect();
    let durations = ov.durations.as_ref().map_or(Value::Null, |d| {
        json!({
            "count": d.count,
            "p50": millis(d.p50),
            "p95": millis(d.p95),
            "p99": millis(d.p99),
            "max": millis(d.max),
            "mean": d.mean.round() / 1000.0,
            "relative_error": 1.0 / 128.0,
        })
    });
    let routes: Vec<Value> = ov
        .routes
        .iter()
        .map(|r| {
            flag(
                json!({
                    "route": r.route,
                    "requests": r.count,
                    "client_errors": r.client_errors,
                    "server_errors": r.server_errors,
                    "mean_ms": r.mean_us.map(millis),
                }),
                r.approx,
            )
        })
        .collect();
    let timeline = s.chart.as_ref().map_or(Value::Null, |c| {
        let layer = |f: &dyn Fn(&super::timeline::Bucket) -> u64| -> Vec<u64> {
            c.series.bars.iter().map(f).collect()
        };
        let by_kind: Map<String, Value> = KINDS
            .iter()
            .enumerate()
            .map(|(i, k)| ((*k).to_owned(), json!(layer(&|b| b.kinds[i]))))
            .collect();
        let probes: Map<String, Value> = c
            .probe_names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), json!(layer(&|b| b.probes[i]))))
            .collect();
        let actions: Map<String, Value> = c
            .action_names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), json!(layer(&|b| b.actions[i]))))
            .collect();
        json!({
            "start": when(Some(c.series.start)),
            "bucket_seconds": c.series.width,
            "requests_by_kind": by_kind,
            "probes_by_category": probes,
            "actions_by_name": actions,
        })
    });

    let u = &s.users;
    let steps = FUNNEL;
    let funnel: Vec<Value> = steps
        .iter()
        .zip(u.funnel)
        .map(|(step, n)| json!({ "step": step, "users": n }))
        .collect();

    let se = &s.search;
    let crawlers: Vec<Value> = se
        .crawlers
        .iter()
        .map(|c| {
            flag(
                json!({
                    "name": c.name,
                    "requests": c.requests,
                    "pages": c.pages,
                    "pages_approximate": c.pages_approx,
                    "ok": c.ok,
                    "refused": c.refused,
                    "not_found": c.not_found,
                    "robots_txt": c.robots,
                    "verified": c.verified,
                    "first_seen": when(c.first),
                    "last_seen": when(c.last),
                }),
                c.approx,
            )
        })
        .collect();
    let misses: Vec<Value> = se
        .misses
        .iter()
        .map(|m| {
            flag(
                json!({ "crawler": m.crawler, "status": m.status, "path": m.path, "count": m.count }),
                m.approx,
            )
        })
        .collect();

    let a = &s.attackers;
    let rules: Vec<Value> = a
        .rules
        .iter()
        .map(|r| {
            flag(
                json!({ "rule": r.rule, "category": r.category, "probes": r.count }),
                r.approx,
            )
        })
        .collect();
    let attackers: Vec<Value> = a
        .clients
        .iter()
        .map(|c| {
            flag(
                json!({
                    "address": c.address,
                    "requests": c.requests,
                    "probes": c.probes,
                    "not_found": c.not_found,
                    "categories": c.categories,
                    "scanner_user_agent": c.scanner_agent,
                    "flagged_scanning": c.scanning,
                    "blocked_requests": c.blocked,
                    "first_seen": when(c.first),
                    "last_seen": when(c.last),
                    "user_agent": c.user_agent,
                }),
                c.approx,
            )
        })
        .collect();

    let formats: Map<String, Value> = s
        .formats
        .iter()
        .map(|(f, n)| (f.as_str().to_owned(), json!(n)))
        .collect();
    let files: Vec<Value> = s
        .files
        .iter()
        .map(|f| json!({ "name": f.name, "lines": f.lines, "gzip": f.gzip, "error": f.error }))
        .collect();

    let doc = json!({
        "reqlog_report": VERSION,
        "input": {
            "files": files,
            "lines": s.lines,
            "formats": formats,
            "skipped": {
                "blank": s.blank,
                "malformed": s.malformed,
                "foreign": s.foreign,
                "too_long": s.too_long,
            },
            "filtered_out": s.filtered,
            "app_starts": s.starts,
            "dropped_by_writer": s.dropped_lines,
            "other_events": s.other_events,
            "request_lines": s.request_lines,
            "sampled_lines": s.sampled_lines,
        },
        "notes": s.notes,
        "overview": {
            "requests": ov.requests,
            // Counts weighted by `sample.rate`: estimates when some lines are sampled.
            "estimated": s.sampled_lines > 0,
            "first": when(ov.first),
            "last": when(ov.last),
            "status": status,
            "status_codes": codes,
            "outcomes": outcomes,
            "duration_ms": durations,
            "bytes": ov.bytes,
            "clients": clients,
            "routes": routes,
            "timeline": timeline,
        },
        "users": {
            "distinct": u.distinct,
            "distinct_approximate": u.distinct_approx,
            "requests_with_user": u.requests_with_user,
            "action_count": u.action_total,
            "actions": rows(&u.actions, "name", "count"),
            "funnel": funnel,
            "funnel_partial": u.funnel_partial,
            "action_details": rows(&u.details, "detail", "count"),
        },
        "search_engines": {
            "requests": se.requests,
            "crawler_count": se.crawler_count,
            "refused": se.refused,
            "not_found": se.not_found,
            "verified_requests": se.verified,
            "crawlers": crawlers,
            "refused_or_missing": misses,
            "robots_disallowed": super::robots::json(&se.disallowed),
        },
        "attackers": {
            "probes": a.probes,
            "first": when(a.first),
            "last": when(a.last),
            "categories": rows(&a.categories, "category", "probes"),
            "rules": rules,
            "paths": rows(&a.paths, "path", "probes"),
            "clients": attackers,
            "scanner_requests": a.scanner_requests,
            "scanning_clients": a.scanning_clients,
            "blocked_requests": a.blocked_requests,
            "blocked_clients": a.blocked_clients,
            "not_found": rows(&a.not_found, "path", "count"),
            "impostors": super::impostors::json(&a.impostors),
        },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string());
    text.push('\n');
    text
}
