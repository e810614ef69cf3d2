//! Measures the probe detector on the hand-labelled corpus in `../shared/data`:
//! recall, category accuracy and false positives on `probes-dev.tsv`, client kinds and
//! crawler names on `crawlers-dev.tsv`. Run with `--nocapture` to see the figures and
//! every miss.

use std::fs;
use std::path::{Path, PathBuf};

use http::Method;
use reqlog::probe::{Classifier, ClientKind, ProbeCategory};

fn data_file(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} not found (CI=true requires the corpus)", path.display());
    }
    eprintln!("SKIPPED: ../shared/data not found ({})", path.display());
    None
}

/// Rows of a TSV file without its header; `-` fields become `None`.
fn rows(text: &str) -> impl Iterator<Item = Vec<Option<&str>>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(|f| (f != "-").then_some(f)).collect())
}

fn percent(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

#[test]
fn probes_corpus() {
    let Some(path) = data_file("probes-dev.tsv") else {
        return;
    };
    let text = fs::read_to_string(&path).expect("read probes-dev.tsv");
    let classifier = Classifier::default();
    let (mut probes, mut flagged, mut right, mut benign, mut false_pos) = (0, 0, 0, 0, 0);
    for row in rows(&text) {
        let [method, target, ua, expect, ..] = row[..] else {
            panic!("short row: {row:?}");
        };
        let method = Method::from_bytes(method.unwrap_or("GET").as_bytes()).expect("method");
        let target = target.expect("target");
        let expect = expect.expect("expect");
        let got = classifier.classify(&method, target, ua.map(str::as_bytes));
        let got_name = got.as_ref().map_or("benign".to_owned(), |m| {
            format!("{} ({})", m.category, m.rule)
        });
        if expect == "benign" {
            benign += 1;
            if got.is_some() {
                false_pos += 1;
                eprintln!("FALSE POSITIVE: {method} {target}  expected benign, got {got_name}");
            }
            continue;
        }
        let want =
            ProbeCategory::from_name(expect).unwrap_or_else(|| panic!("unknown category {expect}"));
        probes += 1;
        match &got {
            Some(m) => {
                flagged += 1;
                if m.category == want {
                    right += 1;
                } else {
                    eprintln!("WRONG CATEGORY: {method} {target}  expected {want}, got {got_name}");
                }
            }
            None => eprintln!("MISSED: {method} {target}  expected {want}, got benign"),
        }
    }
    let recall = percent(flagged, probes);
    let accuracy = percent(right, probes);
    eprintln!("probes-dev.tsv: {probes} probe rows, {benign} benign rows");
    eprintln!("  recall            {recall:.1} % ({flagged}/{probes})");
    eprintln!("  category accuracy {accuracy:.1} % ({right}/{probes})");
    eprintln!("  false positives   {false_pos}/{benign}");
    assert!(recall >= 95.0, "recall {recall:.1} % < 95 %");
    assert!(accuracy >= 90.0, "category accuracy {accuracy:.1} % < 90 %");
    assert_eq!(false_pos, 0, "false positives on benign rows");
}

#[test]
fn crawlers_corpus() {
    let Some(path) = data_file("crawlers-dev.tsv") else {
        return;
    };
    let text = fs::read_to_string(&path).expect("read crawlers-dev.tsv");
    let classifier = Classifier::default();
    let (mut total, mut kind_right, mut crawlers, mut names_right) = (0, 0, 0, 0);
    for row in rows(&text) {
        let [ua, kind, name, ..] = row[..] else {
            panic!("short row: {row:?}");
        };
        let kind = kind.expect("expect_kind");
        let got = classifier.user_agent(ua.map(str::as_bytes));
        total += 1;
        if got.kind.as_str() == kind {
            kind_right += 1;
        } else {
            eprintln!(
                "WRONG KIND: {:?}  expected {kind}, got {} ({:?})",
                ua.unwrap_or("-"),
                got.kind,
                got.name
            );
        }
        if kind == ClientKind::Crawler.as_str() {
            crawlers += 1;
            if got.kind == ClientKind::Crawler && got.name == name {
                names_right += 1;
            } else {
                eprintln!(
                    "WRONG NAME: {:?}  expected {name:?}, got {:?}",
                    ua.unwrap_or("-"),
                    got.name
                );
            }
        }
    }
    let kind_accuracy = percent(kind_right, total);
    eprintln!("crawlers-dev.tsv: {total} rows, {crawlers} crawlers");
    eprintln!("  kind right        {kind_accuracy:.1} % ({kind_right}/{total})");
    eprintln!("  crawler names     {names_right}/{crawlers}");
    assert!(
        kind_accuracy >= 95.0,
        "kind accuracy {kind_accuracy:.1} % < 95 %"
    );
    assert_eq!(
        names_right, crawlers,
        "every expected crawler name must be right"
    );
}
