//! Cost of probe classification: a benign path, a probe, a typical and a long benign query
//! (320 bytes of search terms, tracking parameters and an OData filter with quotes, which
//! also runs the regex pass), with the built-in rules and with ten times as many custom
//! rules on top, plus user-agent classification.
//!
//! Run with `cargo bench --bench probe`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
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

criterion_group!(benches, classify, user_agent);
criterion_main!(benches);
