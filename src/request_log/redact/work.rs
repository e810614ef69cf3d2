//! Redaction does work linear in its input: the steps counted by [`steps`] (bytes
//! examined by the e-mail scan, the name compare, the path and URL scans) stay below
//! a constant times the input length, for inputs built to make a naive scan
//! quadratic. Work is counted, not time, so the test is exact on a busy machine.

use proptest::prelude::*;

use super::{split_userinfo, steps, write_redacting_emails, Redactor};

/// Everything redaction does with one input: as text, query, path (with a route and
/// patterns), referer.
fn steps_for(r: &Redactor, input: &str) -> u64 {
    let mut out = String::with_capacity(input.len() * 2);
    steps::take();
    write_redacting_emails(&mut out, input);
    r.write_query(&mut out, input);
    r.write_path(&mut out, input, Some("/reset/{token}/{*rest}"));
    r.write_path(&mut out, input, None);
    let (scheme, rest) = split_userinfo(input.as_bytes());
    let (scheme, rest) = (
        std::str::from_utf8(scheme).unwrap(),
        std::str::from_utf8(rest).unwrap(),
    );
    r.write_url(&mut out, scheme, rest);
    steps::take()
}

fn redactor() -> Redactor {
    Redactor::default().with_patterns(["/reset/{}", "/a/*/{x}", "/{*}", "/%40/{}"])
}

/// Per byte of input, at most this many steps (the name rules make most of it: a
/// 64-byte key is tried against each default rule).
const PER_BYTE: u64 = 64;

fn adversarial(n: usize) -> Vec<String> {
    vec![
        "%40".repeat(n),
        "@".repeat(n),
        "a@".repeat(n),
        format!("{}@", "a.".repeat(n)),
        format!("{}@x.co", "a".repeat(n)),
        format!("x@{}", "a.".repeat(n)),
        "%40a.b".repeat(n),
        "a@b.c".repeat(n),
        "../".repeat(n),
        ";x=".repeat(n),
        "&x=".repeat(n),
        ";password=".repeat(n),
        format!("{}=v&", "passwor".repeat(9)).repeat(n / 8 + 1),
        format!("{}=v;", "%41".repeat(64)).repeat(n / 8 + 1),
        format!("/reset/{}", "a/".repeat(n)),
        format!("https://{}@h/", "u:p".repeat(n)),
        format!("https://{}", "a".repeat(n)),
    ]
}

#[test]
fn redaction_is_linear_on_adversarial_input() {
    let r = redactor();
    let sizes = [1_000, 10_000, 100_000];
    let inputs: Vec<Vec<String>> = sizes.iter().map(|&n| adversarial(n)).collect();
    for kind in 0..inputs[0].len() {
        // Smallest first, so that a quadratic scan fails before it takes long.
        let mut first = None;
        for (n, set) in sizes.iter().zip(&inputs) {
            let input = &set[kind];
            let steps = steps_for(&r, input);
            assert!(
                steps <= PER_BYTE * input.len() as u64 + 1_024,
                "{steps} steps for {} bytes of {:?}…",
                input.len(),
                &input[..input.len().min(24)]
            );
            // n times the input, about n times the work (a quadratic scan: n² times).
            let base = *first.get_or_insert(steps.max(1));
            assert!(
                steps <= (n / sizes[0]) as u64 * base * 11 / 10 + 1_024,
                "{base} then {steps} steps for {n} × {:?}…",
                &input[..input.len().min(24)]
            );
        }
    }
}

#[test]
fn a_400_kb_header_value_is_linear() {
    let r = redactor();
    for unit in ["%40", "@", "a@", "a.", "x", ";k=", "é"] {
        let value = unit.repeat(400_000 / unit.len());
        let steps = steps_for(&r, &value);
        assert!(
            steps <= PER_BYTE * value.len() as u64 + 1_024,
            "{steps} steps for 400 KB of {unit:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any mix of the troublesome pieces, repeated: still linear.
    #[test]
    fn mixed_pieces_are_linear(
        pieces in prop::collection::vec(
            prop::sample::select(vec!["%40", "@", "a", ".", "-", "%", "4", "0", ";", "=", "&", "/", "p", "w", "d", "K", "_", "é", ":"]),
            1..24,
        ),
        times in 1usize..400,
    ) {
        let unit: String = pieces.concat();
        let input = unit.repeat(times);
        let steps = steps_for(&redactor(), &input);
        prop_assert!(steps <= PER_BYTE * input.len() as u64 + 1_024, "{} steps for {} bytes", steps, input.len());
    }
}
