//! Splitting a raw query into parameters.
//!
//! Parameters are separated by `&` (a raw `;` belongs to the value: no mainstream
//! framework splits on it any more, and payloads such as `1;drop table x` are sent raw).
//! Each parameter is `name=value` split at its first `=`, or a bare `name` without one.
//! Empty parameters (`a=1&&b=2`) are skipped. Ranges index the raw query.

use std::ops::Range;

use super::CLASS;

pub(super) struct Param {
    pub(super) name: Range<usize>,
    /// `None`: no `=` in the parameter.
    pub(super) value: Option<Range<usize>>,
    /// The union of the [`CLASS`] bits of the name's bytes.
    pub(super) name_bits: u64,
    /// The union of the [`CLASS`] bits of the value's bytes.
    pub(super) value_bits: u64,
}

/// The parameters of `raw`, in order. One pass: each byte's [`CLASS`] entry says
/// whether it ends the name or the parameter, and is gathered into the part's bits, so
/// that a part made of plain bytes is known without looking at it again.
pub(super) fn split(raw: &[u8]) -> impl Iterator<Item = Param> + '_ {
    const AMP: u64 = set!(b"&");
    const AMP_EQ: u64 = set!(b"&=");
    // Up to the first byte whose class holds `stop`: (end, bits before it).
    let scan = |mut i: usize, stop: u64| {
        let mut bits = 0;
        // Eight bytes at a time (eight table loads, one test) while none of them stops
        // the part, then byte by byte.
        while let Some(chunk) = raw.get(i..i + 8) {
            let lo = chunk[..4].iter().fold(0, |m, &b| m | CLASS[usize::from(b)]);
            let hi = chunk[4..].iter().fold(0, |m, &b| m | CLASS[usize::from(b)]);
            if (lo | hi) & stop != 0 {
                // The stop is in these eight: the byte loop below reads at most four of
                // them again, not all eight (a part ends in every such chunk).
                if lo & stop == 0 {
                    bits |= lo;
                    i += 4;
                }
                break;
            }
            bits |= lo | hi;
            i += 8;
        }
        while let Some(&b) = raw.get(i) {
            let c = CLASS[usize::from(b)];
            if c & stop != 0 {
                break;
            }
            bits |= c;
            i += 1;
        }
        (i, bits)
    };
    let mut start = 0;
    std::iter::from_fn(move || loop {
        if start >= raw.len() {
            return None;
        }
        let s = start;
        let (name_end, name_bits) = scan(s, AMP_EQ);
        if raw.get(name_end) == Some(&b'=') {
            let (end, value_bits) = scan(name_end + 1, AMP);
            start = end + 1;
            return Some(Param {
                name: s..name_end,
                value: Some(name_end + 1..end),
                name_bits,
                value_bits,
            });
        }
        start = name_end + 1;
        if name_end == s {
            continue;
        }
        return Some(Param {
            name: s..name_end,
            value: None,
            name_bits,
            value_bits: 0,
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(q: &str) -> Vec<(&str, Option<&str>)> {
        split(q.as_bytes())
            .map(|p| (&q[p.name], p.value.map(|v| &q[v])))
            .collect()
    }

    #[test]
    fn splits_at_ampersands_only() {
        assert_eq!(
            parts("a=1&b=x;y&&c&d=e=f&"),
            vec![
                ("a", Some("1")),
                ("b", Some("x;y")),
                ("c", None),
                ("d", Some("e=f"))
            ]
        );
        assert_eq!(parts(""), vec![]);
        assert_eq!(parts("=v"), vec![("", Some("v"))]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]
        #[test]
        fn agrees_with_a_plain_split(q in "[a-c=&%.+ ]{0,80}") {
            // The chunked scan against `split('&')`, the first `=`, and each part's bits
            // gathered byte by byte.
            let raw = q.as_bytes();
            let bits = |r: &[u8]| r.iter().fold(0, |m, &b| m | CLASS[usize::from(b)]);
            let mut want = Vec::new();
            let mut at = 0;
            for part in raw.split(|&b| b == b'&') {
                if !part.is_empty() {
                    let (name, value) = match part.iter().position(|&b| b == b'=') {
                        Some(e) => (at..at + e, Some(at + e + 1..at + part.len())),
                        None => (at..at + part.len(), None),
                    };
                    let vb = value.clone().map_or(0, |v| bits(&raw[v]));
                    want.push((name.clone(), value, bits(&raw[name]), vb));
                }
                at += part.len() + 1;
            }
            let got: Vec<_> = split(raw)
                .map(|p| (p.name, p.value, p.name_bits, p.value_bits))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
