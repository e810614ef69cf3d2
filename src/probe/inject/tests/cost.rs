//! Costs and a debugging aid (not run by default).

use super::*;

/// Cost note (not run by default): `cargo test --release --all-features --lib
/// probe::inject::tests::cost_note -- --ignored --nocapture`.
#[test]
#[ignore]
fn cost_note() {
    use std::time::Instant;
    let benign = "utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024&q=rust+async+traits+tutorial&page=2&sort=relevance&lang=en-GB&session=3f2a9c1e-7b4d-4e8a-9f0c-2d1e5b6a7c8d&ref=%2Fcourses%2Frust%3Fx%3D1&filter=%7B%22status%22%3A%22active%22%7D&name=O%27Brien&tz=Europe%2FLondon&x=12";
    let attack = "utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024&q=rust+async+traits+tutorial&page=2&sort=relevance&lang=en-GB&session=3f2a9c1e-7b4d-4e8a-9f0c-2d1e5b6a7c8d&ref=%2Fcourses%2Frust&id=1%27%20UNION%20ALL%20SELECT%20NULL%2Cversion()--%20&x=12";
    for (label, q) in [("benign", benign), ("attack", attack)] {
        let n = 200_000;
        let _ = inspect_query(q);
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(inspect_query(std::hint::black_box(q)));
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
        println!("{label}: {} bytes, {ns:.0} ns per query", q.len());
        // Each parameter on its own, to see where the time goes.
        for p in q.split('&') {
            let t = Instant::now();
            for _ in 0..n / 10 {
                std::hint::black_box(inspect_query(std::hint::black_box(p)));
            }
            let ns = t.elapsed().as_nanos() as f64 / f64::from(n / 10);
            println!("  {ns:>6.0} ns  {p}");
        }
    }
}

/// Where the time goes, per recogniser (not run by default; see `cost_note`).
#[test]
#[ignore]
fn cost_breakdown() {
    use std::time::Instant;
    let vals: [&[u8]; 5] = [
        b"rust async traits tutorial",
        b"/courses/rust?x=1",
        b"{\"status\":\"active\"}",
        b"o'brien",
        b"europe/london",
    ];
    let n = 200_000u32;
    type Recogniser = (&'static str, fn(&[u8]) -> bool);
    let fns: [Recogniser; 9] = [
        ("jndi", template::is_jndi),
        ("ssti", |v| template::ssti(v).is_some()),
        ("crlf", |v| other::crlf(v).is_some()),
        ("xss", html::is_xss),
        ("cmdi", |v| shell::is_cmdi(v, true)),
        ("lfi", path::is_lfi),
        ("nosqli", other::is_nosqli),
        ("sqli", sql::is_sqli),
        ("ssrf", url::is_ssrf),
    ];
    for (name, f) in fns {
        let t = Instant::now();
        for _ in 0..n {
            for v in vals {
                std::hint::black_box(f(std::hint::black_box(v)));
            }
        }
        println!(
            "{name}: {:.0} ns for 5 values",
            t.elapsed().as_nanos() as f64 / f64::from(n)
        );
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let t = Instant::now();
    for _ in 0..n {
        for v in vals {
            decode::decode(std::hint::black_box(v), true, &mut a, &mut b);
        }
    }
    println!(
        "decode: {:.0} ns for 5 values",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
}

/// Debugging aid (not run by default): `INJECT_PROBE=file` holds `family<TAB>payload`
/// lines; prints the verdict and the decoded value of each.
#[test]
#[ignore]
fn probe_file() {
    let Ok(path) = std::env::var("INJECT_PROBE") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    for l in text.lines().filter(|l| !l.is_empty()) {
        let (fam, payload) = l.split_once('\t').unwrap_or(("sqli", l));
        let raw = std::env::var("INJECT_RAW").is_ok() || has_escape(payload.as_bytes());
        let enc = encode_as(payload, raw);
        let got = inspect_query(&format!("{}={enc}", param_for(family_named(fam))));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let first = params::split(enc.as_bytes()).next();
        let _ = first;
        decode::decode(enc.as_bytes(), true, &mut a, &mut b);
        println!(
            "{:<8} {payload}\n         {}",
            got.map_or("-", |f| f.family.as_str()),
            String::from_utf8_lossy(&a)
        );
    }
}
