//! Where the injection engine's findings meet the signature verdict: a payload found in a
//! query parameter names its family (`probe.rule`) and the parameter (`probe.param`).

use crate::hex::percent_escape_at;

use std::sync::{Arc, OnceLock};

use super::inject::{inspect_query, Family};
use super::{ProbeCategory, ProbeMatch};

/// Longest parameter name kept in a verdict, in bytes.
const MAX_PARAM: usize = 64;

/// The category a family is reported under: file inclusion is `traversal`, every other
/// family `injection`.
fn category(family: Family) -> ProbeCategory {
    match family {
        Family::Lfi => ProbeCategory::Traversal,
        _ => ProbeCategory::Injection,
    }
}

/// The shared rule id of a family, made once per process so that a match costs a
/// reference-count increment, not an allocation.
fn rule_id(family: Family) -> Arc<str> {
    const SLOTS: usize = 32;
    static IDS: [OnceLock<Arc<str>>; SLOTS] = [const { OnceLock::new() }; SLOTS];
    match IDS.get(family as usize) {
        Some(slot) => Arc::clone(slot.get_or_init(|| Arc::from(family.as_str()))),
        None => Arc::from(family.as_str()),
    }
}

/// Runs the engine over the query of `target` unless the signatures already found
/// something more specific; returns the verdict to report.
///
/// The engine's finding wins over a signature of the same or a less specific category:
/// it names the family and the parameter. A more specific signature (a WordPress
/// exploit, a web shell) keeps its name.
pub(super) fn merge(target: &str, found: Option<ProbeMatch>) -> Option<ProbeMatch> {
    // The engine only reports `traversal` or `injection`: skip it when it cannot win.
    if found
        .as_ref()
        .is_some_and(|m| m.category.outranks(ProbeCategory::Traversal))
    {
        return found;
    }
    let Some(at) = memchr::memchr(b'?', target.as_bytes()) else {
        return found;
    };
    let query = &target[at + 1..];
    let Some(finding) = inspect_query(query) else {
        return found;
    };
    let category = category(finding.family);
    if found
        .as_ref()
        .is_some_and(|m| m.category.outranks(category))
    {
        return found;
    }
    let name = query.get(finding.param.clone()).unwrap_or("");
    Some(ProbeMatch {
        category,
        rule: rule_id(finding.family),
        param: (!name.is_empty()).then(|| param_name(name)),
    })
}

/// The percent-decoded parameter name (`+` as a space), invalid UTF-8 replaced, cut to
/// [`MAX_PARAM`] bytes at a character boundary.
fn param_name(raw: &str) -> Arc<str> {
    let bytes = raw.as_bytes();
    // Most names are plain (`id`, `file`): the name itself, one allocation.
    if bytes.len() <= MAX_PARAM && memchr::memchr2(b'%', b'+', bytes).is_none() {
        return Arc::from(raw);
    }
    // Decoded on the stack: the `Arc` stays the only allocation.
    let mut out = [0u8; MAX_PARAM + 4];
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() && len < out.len() {
        let b = match bytes[i] {
            b'%' => match percent_escape_at(bytes, i) {
                Some(v) => {
                    i += 2;
                    v
                }
                None => b'%',
            },
            b'+' => b' ',
            b => b,
        };
        out[len] = b;
        len += 1;
        i += 1;
    }
    let text = String::from_utf8_lossy(&out[..len]);
    let mut cut = text.len().min(MAX_PARAM);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Arc::from(&text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(target: &str) -> Option<(ProbeCategory, String, Option<String>)> {
        merge(target, None).map(|m| {
            (
                m.category,
                m.rule.to_string(),
                m.param.map(|p| p.to_string()),
            )
        })
    }

    #[test]
    fn families_and_parameters_are_named() {
        let (cat, rule, param) = m("/item?lang=en&id=1%20UNION%20ALL%20SELECT%20NULL--").unwrap();
        assert_eq!(
            (cat, rule.as_str(), param.as_deref()),
            (ProbeCategory::Injection, "sqli", Some("id"))
        );
        let (cat, rule, param) = m("/read?file=%2Fetc%2Fcrontab").unwrap();
        assert_eq!(
            (cat, rule.as_str(), param.as_deref()),
            (ProbeCategory::Traversal, "lfi", Some("file"))
        );
        assert_eq!(m("/search?q=rock+%27n%27+roll"), None);
        assert_eq!(m("/plain"), None);
    }

    #[test]
    fn a_more_specific_signature_keeps_its_name() {
        let wp = ProbeMatch {
            category: ProbeCategory::Wordpress,
            rule: Arc::from("wp-plugin"),
            param: None,
        };
        let kept = merge(
            "/wp-content/plugins/x/y.php?id=1'%20or%20'a'='a",
            Some(wp.clone()),
        );
        assert_eq!(kept, Some(wp));
        let weak = ProbeMatch {
            category: ProbeCategory::Php,
            rule: Arc::from("stray-php"),
            param: None,
        };
        let got = merge("/x.php?id=1'%20or%20'a'='a", Some(weak)).unwrap();
        assert_eq!(&*got.rule, "sqli");
        assert_eq!(got.param.as_deref(), Some("id"));
    }

    #[test]
    fn parameter_names_are_decoded_and_capped() {
        assert_eq!(&*param_name("user%5Bname%5D"), "user[name]");
        assert_eq!(&*param_name("a+b"), "a b");
        assert_eq!(&*param_name("%zz%4"), "%zz%4");
        assert_eq!(param_name(&"é".repeat(100)).len(), 64);
        assert_eq!(&*param_name(&"a".repeat(64)), "a".repeat(64));
        assert_eq!(&*param_name(&"a".repeat(65)), "a".repeat(64));
        assert_eq!(param_name(&"%41".repeat(100)).len(), 64);
        assert_eq!(&*param_name("%ff"), "\u{fffd}");
    }

    #[test]
    fn rule_ids_are_shared() {
        let a = rule_id(Family::Sqli);
        let b = rule_id(Family::Sqli);
        assert!(Arc::ptr_eq(&a, &b));
    }
}
