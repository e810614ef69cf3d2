//! Client kinds: read from `visitor.kind` when the line has it, else classified from the
//! user agent with the probe detector's own table ([`Classifier::user_agent`]) — for
//! lines in the `combined` format and lines written with the detector off.

use reqlog::probe::{Classifier, ClientKind};

/// The client kinds, in the order of the report's columns and chart series.
pub(crate) const KINDS: [&str; 5] = ["browser", "crawler", "scanner", "tool", "unknown"];

pub(crate) const CRAWLER: usize = 1;
pub(crate) const SCANNER: usize = 2;
pub(crate) const UNKNOWN: usize = 4;

/// The index in [`KINDS`] of a `visitor.kind` value; unknown names count as `unknown`.
pub(crate) fn kind_index(raw: &[u8]) -> usize {
    KINDS
        .iter()
        .position(|k| k.as_bytes() == raw)
        .unwrap_or(UNKNOWN)
}

/// The kind (index in [`KINDS`]) of a user agent and, for a crawler, its name.
pub(crate) fn classify(classifier: &Classifier, user_agent: &str) -> (usize, Option<&'static str>) {
    let class = classifier.user_agent((!user_agent.is_empty()).then_some(user_agent.as_bytes()));
    let name = match class.kind {
        ClientKind::Crawler => class.name,
        _ => None,
    };
    (kind_index(class.kind.as_str().as_bytes()), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_the_detector() {
        let c = Classifier::default();
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        assert_eq!(classify(&c, google), (CRAWLER, Some("Googlebot")));
        assert_eq!(classify(&c, "curl/8.4.0"), (3, None));
        assert_eq!(classify(&c, "sqlmap/1.7"), (SCANNER, None));
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(classify(&c, firefox), (0, None));
        assert_eq!(classify(&c, ""), (UNKNOWN, None));
        assert_eq!(kind_index(b"crawler"), CRAWLER);
        assert_eq!(kind_index(b"robot"), UNKNOWN);
    }
}
