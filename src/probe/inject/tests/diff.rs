//! Temporary differential harness: every corpus row, in several encodings and positions,
//! with the engine's and the classifier's verdicts, written to `$INJECT_DIFF`.
//! Run: `INJECT_DIFF=/tmp/x cargo test --release --lib inject::tests::diff -- --ignored`.

use super::*;
use crate::probe::Classifier;
use http::Method;

const PREFIX: &str = "q=how+to+write+a+python+decorator+with+arguments&page=2&per_page=20\
    &sort=relevance&lang=en&utm_source=newsletter&utm_campaign=spring&ref=homepage";

#[test]
#[ignore]
fn dump_verdicts() {
    let Ok(out_path) = std::env::var("INJECT_DIFF") else {
        return;
    };
    let c = Classifier::default();
    let mut out = String::new();
    let line = |out: &mut String, tag: &str, q: &str| {
        let f = inspect_query(q).map(|f| (f.family.as_str(), f.param));
        let m = c
            .classify(&Method::GET, &format!("/x?{q}"), None)
            .map(|m| (m.category, m.rule.to_string(), m.param));
        let p = c
            .classify(&Method::GET, &format!("/a/{q}"), None)
            .map(|m| (m.category, m.rule.to_string()));
        let _ = writeln!(out, "{tag}\t{q:?}\t{f:?}\t{m:?}\t{p:?}");
    };
    let mut names: Vec<_> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tsv"))
        .collect();
    names.sort();
    for name in &names {
        let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
        for l in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let cols: Vec<&str> = l.split('\t').collect();
            let (pname, payload) = if name.contains("benign") {
                (cols[0], cols.get(1).copied().unwrap_or(""))
            } else {
                (param_for(family_named(cols[0])), cols[1])
            };
            let payload = payload.replace("\\n", "\n");
            let enc = encode_as(&payload, false);
            let raw = encode_as(&payload, true);
            let plus = enc.replace("%20", "+");
            line(&mut out, "enc", &format!("lang=en&{pname}={enc}"));
            line(&mut out, "raw", &format!("lang=en&{pname}={raw}"));
            line(&mut out, "plus", &format!("{pname}={plus}"));
            line(&mut out, "bare", &raw);
            line(&mut out, "long", &format!("{PREFIX}&{pname}={enc}&x=1"));
            line(&mut out, "name", &format!("{raw}=1"));
            let v = inspect_value(payload.as_bytes()).map(Family::as_str);
            let _ = writeln!(out, "value\t{payload:?}\t{v:?}");
        }
    }
    let probes =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/probes-dev.tsv");
    if let Ok(text) = std::fs::read_to_string(probes) {
        for l in text.lines().skip(1) {
            let cols: Vec<&str> = l.split('\t').collect();
            let method = Method::from_bytes(cols[0].as_bytes()).unwrap();
            let ua = cols.get(2).filter(|u| !u.is_empty() && **u != "-");
            let m = c
                .classify(&method, cols[1], ua.map(|u| u.as_bytes()))
                .map(|m| (m.category, m.rule.to_string(), m.param));
            let _ = writeln!(out, "probe\t{l:?}\t{m:?}");
        }
    }
    std::fs::write(out_path, out).unwrap();
}
