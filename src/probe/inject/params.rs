//! Splitting a raw query into parameters.
//!
//! Parameters are separated by `&` (a raw `;` belongs to the value: no mainstream
//! framework splits on it any more, and payloads such as `1;drop table x` are sent raw).
//! Each parameter is `name=value` split at its first `=`, or a bare `name` without one.
//! Empty parameters (`a=1&&b=2`) are skipped. Ranges index the raw query.

use std::ops::Range;

pub(super) struct Param {
    pub(super) name: Range<usize>,
    /// `None`: no `=` in the parameter.
    pub(super) value: Option<Range<usize>>,
}

/// The parameters of `raw`, in order.
pub(super) fn split(raw: &[u8]) -> impl Iterator<Item = Param> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || loop {
        if start >= raw.len() {
            return None;
        }
        let end = raw[start..]
            .iter()
            .position(|&b| b == b'&')
            .map_or(raw.len(), |p| start + p);
        let s = start;
        start = end + 1;
        if end == s {
            continue;
        }
        return Some(match raw[s..end].iter().position(|&b| b == b'=') {
            Some(eq) => Param {
                name: s..s + eq,
                value: Some(s + eq + 1..end),
            },
            None => Param {
                name: s..end,
                value: None,
            },
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
}
