//! Cost of probe classification: a benign path, a probe, a typical and a long benign query
//! (320 bytes of search terms, tracking parameters and an OData filter with quotes, which
//! also runs the regex pass), with the built-in rules and with ten times as many custom
//! rules on top, plus user-agent classification; and 8 KiB targets (the most of a path
//! or a query that is looked at): ordinary ones next to the shapes that once made the
//! per-occurrence checks quadratic (`/upload` repeated, `c=id&` repeated, `../`
//! repeated), reported as throughput.
//!
//! Run with `cargo bench --bench probe`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::Method;
use reqlog::probe::{Classifier, CustomRule, ProbeCategory, ProbeRules};

/// About ten times the ~700 built-in literal signatures.
const CUSTOM_RULES: usize = 7_000;

const TARGETS: &[(&str, &str)] = &[
    ("benign_path", "/courses/52018/lectures/7/video"),
    (
        "probe_path",
        "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php",
    ),
    (
        "short_query",
        "/api/v1/courses?page=2&per_page=20&sort=-created&lang=en",
    ),
    (
        "long_benign_query",
        "/search?q=how+to+write+a+python+decorator+with+arguments+and+keep+the+signature\
         &page=2&per_page=20&sort=relevance&lang=en&utm_source=newsletter&utm_medium=email\
         &utm_campaign=spring-sale-2024&utm_content=hero-button&ref=homepage&session=af0ifjsldkj9\
         &filter=name%20eq%20%27bob%27&fbclid=IwAR2xZ3k9pQm4Lr7TnV0bYcD1eF6gH8iJ5",
    ),
    (
        // About 300 bytes, the payload in the last parameter: every value before it is
        // inspected and passes.
        "long_payload_query",
        "/search?q=how+to+write+a+python+decorator+with+arguments&page=2&per_page=20\
         &sort=relevance&lang=en&utm_source=newsletter&utm_medium=email&utm_campaign=spring\
         &ref=homepage&fbclid=IwAR2xZ3k9pQm4Lr7TnV0bYcD1eF6gH8iJ5\
         &id=1%27%20AND%201%3D1%20UNION%20ALL%20SELECT%20NULL%2CNULL%2Cconcat(username%2C0x3a%2Cpassword)%20FROM%20users--%20-",
    ),
];

fn with_custom_rules() -> Classifier {
    (0..CUSTOM_RULES)
        .fold(ProbeRules::new(), |rules, i| {
            let id = format!("custom-{i}");
            rules.rule(CustomRule::path_contains(
                ProbeCategory::Admin,
                &id,
                &format!("/internal-tool-{i}/"),
            ))
        })
        .build()
        .expect("custom rules compile")
}

fn classify(c: &mut Criterion) {
    let sets = [
        ("builtin", Classifier::default()),
        ("builtin+10x_custom", with_custom_rules()),
    ];
    let mut group = c.benchmark_group("classify");
    for (set_name, classifier) in &sets {
        for (name, target) in TARGETS {
            group.bench_with_input(BenchmarkId::new(*set_name, name), target, |b, target| {
                b.iter(|| classifier.classify(&Method::GET, black_box(target), black_box(None)))
            });
        }
    }
    group.finish();
}

/// `unit` repeated to `len` bytes (cut at the end), after `prefix`.
fn repeat_to(prefix: &str, unit: &str, len: usize) -> String {
    let mut s = String::from(prefix);
    while s.len() < len {
        s.push_str(unit);
    }
    s.truncate(len);
    s
}

/// 8 KiB of path or of query: ordinary shapes, and the worst cases for the checks that
/// run per literal occurrence.
fn long_targets() -> Vec<(&'static str, String)> {
    const LEN: usize = 8 * 1024;
    let short_path = "/search";
    vec![
        (
            "path_8k",
            repeat_to("", "/courses/52018/lectures/7/video", LEN),
        ),
        (
            "query_8k",
            repeat_to(
                "/search?",
                "q=how+to+write+a+python+decorator&page=2&utm_source=newsletter&",
                LEN,
            ),
        ),
        ("upload_path_8k", repeat_to("", "/upload", LEN - 2) + "/x"),
        ("dotdot_path_8k", repeat_to("", "/..", LEN)),
        ("pct_dotdot_path_8k", repeat_to("", "%2e%2e%2f", LEN)),
        ("php_params_path_8k", repeat_to("", "/x.php;", LEN)),
        (
            "c_id_query_8k",
            format!(
                "{}?{}",
                repeat_to("", "/courses/52018/lectures/7/video", LEN),
                repeat_to("", "c=id&", LEN)
            ),
        ),
        (
            "c_id_query_short_path_8k",
            repeat_to(&format!("{short_path}?"), "c=id&", LEN),
        ),
    ]
}

fn classify_long(c: &mut Criterion) {
    let classifier = Classifier::default();
    let mut group = c.benchmark_group("classify_8k");
    for (name, target) in long_targets() {
        group.throughput(Throughput::Bytes(target.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &target, |b, target| {
            b.iter(|| classifier.classify(&Method::GET, black_box(target), black_box(None)))
        });
    }
    group.finish();
}

fn user_agent(c: &mut Criterion) {
    let classifier = Classifier::default();
    let agents: &[(&str, &[u8])] = &[
        (
            "browser",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ),
        (
            "crawler",
            b"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
    ];
    let mut group = c.benchmark_group("user_agent");
    for (name, ua) in agents {
        group.bench_with_input(BenchmarkId::from_parameter(name), ua, |b, ua| {
            b.iter(|| classifier.user_agent(black_box(Some(ua))))
        });
    }
    group.finish();
}

criterion_group!(benches, classify, classify_long, user_agent);
criterion_main!(benches);
