//! Measures the user-agent classifier on public lists nobody on the team wrote
//! (`tests/data/user-agents`, sources and licences in its README): at least 95 % of the
//! bots must be read as a bot (crawler, scanner or tool), at most 0.5 % of the browsers.
//! Run with `--nocapture` to see the figures per source and every miss.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use reqlog::probe::{Classifier, ClientKind, UserAgentClass};

struct Row {
    user_agent: String,
    expect: String,
    source: String,
}

fn read(name: &str) -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/user-agents")
        .join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("user_agent\texpect_kind\tsource"),
        "{name}: header"
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let (Some(ua), Some(expect), Some(source), None) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                panic!("{name}: not three fields: {l:?}");
            };
            Row {
                user_agent: ua.to_owned(),
                expect: expect.to_owned(),
                source: source.to_owned(),
            }
        })
        .collect()
}

fn is_bot(kind: ClientKind) -> bool {
    matches!(
        kind,
        ClientKind::Crawler | ClientKind::Scanner | ClientKind::Tool
    )
}

fn percent(n: usize, d: usize) -> f64 {
    100.0 * n as f64 / d.max(1) as f64
}

/// Per source: rows and hits; prints them.
fn report(title: &str, per_source: &BTreeMap<String, (usize, usize)>, what: &str) {
    eprintln!("{title}");
    for (source, (n, hits)) in per_source {
        eprintln!(
            "  {:5.1} % {what} ({hits}/{n})  {source}",
            percent(*hits, *n)
        );
    }
}

#[test]
fn bots_are_recognised() {
    let rows = read("bots.tsv");
    assert!(rows.len() >= 1000, "only {} bot rows", rows.len());
    let classifier = Classifier::default();
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut misses = Vec::new();
    for row in &rows {
        let got = classifier.user_agent(Some(row.user_agent.as_bytes()));
        let want_ok = match row.expect.as_str() {
            "bot" => is_bot(got.kind),
            kind @ ("crawler" | "scanner" | "tool") => got.kind.as_str() == kind,
            other => panic!("bots.tsv: unknown expect_kind {other:?}"),
        };
        *kinds.entry(got.kind.as_str()).or_default() += 1;
        let entry = per_source.entry(row.source.clone()).or_default();
        entry.0 += 1;
        if want_ok {
            entry.1 += 1;
        } else {
            misses.push((&row.user_agent, &row.expect, got));
        }
    }
    let hits = rows.len() - misses.len();
    let recall = percent(hits, rows.len());
    for (ua, want, got) in &misses {
        eprintln!("MISSED BOT ({want}): {ua:?}  got {}", describe(got));
    }
    report("bots.tsv: read as a bot", &per_source, "bot");
    eprintln!(
        "  total {recall:.1} % ({hits}/{}); kinds read: {kinds:?}",
        rows.len()
    );
    assert!(recall >= 95.0, "bot recall {recall:.1} % < 95 %");
}

#[test]
fn browsers_stay_browsers() {
    let rows = read("browsers.tsv");
    assert!(rows.len() >= 1000, "only {} browser rows", rows.len());
    let classifier = Classifier::default();
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut as_bots = Vec::new();
    for row in &rows {
        assert_eq!(
            row.expect,
            "browser",
            "browsers.tsv: {row:?}",
            row = row.user_agent
        );
        let got = classifier.user_agent(Some(row.user_agent.as_bytes()));
        *kinds.entry(got.kind.as_str()).or_default() += 1;
        let entry = per_source.entry(row.source.clone()).or_default();
        entry.0 += 1;
        if is_bot(got.kind) {
            entry.1 += 1;
            as_bots.push((&row.user_agent, got));
        } else if got.kind != ClientKind::Browser {
            eprintln!(
                "NOT A BROWSER: {:?}  got {}",
                row.user_agent,
                describe(&got)
            );
        }
    }
    for (ua, got) in &as_bots {
        eprintln!("BROWSER READ AS BOT: {ua:?}  got {}", describe(got));
    }
    let false_pos = percent(as_bots.len(), rows.len());
    report("browsers.tsv: read as a bot", &per_source, "bots");
    eprintln!(
        "  total {false_pos:.2} % ({}/{}); kinds read: {kinds:?}",
        as_bots.len(),
        rows.len()
    );
    assert!(
        false_pos <= 0.5,
        "{false_pos:.2} % of browsers read as bots (> 0.5 %)"
    );
}

fn describe(got: &UserAgentClass) -> String {
    match got.name {
        Some(name) => format!("{} ({name})", got.kind),
        None => got.kind.to_string(),
    }
}
