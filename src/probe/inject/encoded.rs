//! Payloads in an encoding the decoder does not undo: base64 of markup (`PHNjcmlwdD5…`
//! is `<script>…`), as sent in `data:…;base64,` URLs or to a parameter the application
//! base64-decodes.

use std::sync::OnceLock;

/// The base64 spellings (case-folded, as the value is) of `<script`, `<svg`, `<img`,
/// `<iframe`, `<body` and `javascript:` at the start of an encoded run: each is whole
/// 4-character groups, so it does not depend on what follows.
const HEADS: &[&[u8]] = &[
    b"phnjcmlw",     // `<scrip`
    b"phn2",         // `<sv`
    b"pglt",         // `<im`
    b"pglmcmft",     // `<ifram`
    b"pgjv",         // `<bo`
    b"amf2yxnjcmlw", // `javascrip`
];

fn base64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// A run of at least 16 base64 characters, at the start of the value or after a
/// non-base64 byte (`data:text/html;base64,PHN…`), that begins with one of [`HEADS`].
pub(super) fn base64_markup(v: &[u8]) -> bool {
    // Every head starts with `p` (then `h` or `g`) or with `amf2`: a `memchr` for `p`
    // and a vectorised search for `amf2` find the only places a hit can start (reading
    // each run to its end cost about twelve instructions a byte, and stopping at every
    // `a`, common in SQL and prose, about eight).
    let Some(last) = v.len().checked_sub(16) else {
        return false;
    };
    let head_at = |i: usize| {
        (i == 0 || !base64_byte(v[i - 1]))
            && HEADS.iter().any(|h| v[i..].starts_with(h))
            && v[i..i + 16].iter().all(|&c| base64_byte(c))
    };
    let starts = &v[..=last];
    if super::any_at(starts, b"p", |i| {
        matches!(v[i + 1], b'h' | b'g') && head_at(i)
    }) {
        return true;
    }
    static AMF2: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let amf2 = AMF2.get_or_init(|| memchr::memmem::Finder::new(b"amf2"));
    let mut from = 0;
    while let Some(p) = amf2.find(&v[from..=last + 3]) {
        let i = from + p;
        if head_at(i) {
            return true;
        }
        from = i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Run by run, as it was first written.
    fn by_runs(v: &[u8]) -> bool {
        let mut i = 0;
        while i + 16 <= v.len() {
            let run = v[i..].iter().take_while(|&&c| base64_byte(c)).count();
            if run >= 16 && HEADS.iter().any(|h| v[i..].starts_with(h)) {
                return true;
            }
            i += run + 1;
        }
        false
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_the_run_scan(parts in proptest::collection::vec(prop_oneof![
            Just("phnjcmlw"), Just("phn2"), Just("pglt"), Just("amf2yxnjcmlw"), Just("p"),
            Just("a"), Just("x"), Just(" "), Just(","), Just("+"), Just("abcd"), Just("/")], 0..16)) {
            let v = parts.concat();
            prop_assert_eq!(base64_markup(v.as_bytes()), by_runs(v.as_bytes()), "{:?}", v);
        }
    }
}
