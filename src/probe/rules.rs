//! Building a rule set: the built-in signatures, the user's own rules and allowed paths.

use std::error::Error;
use std::fmt;

use super::{Classifier, ProbeCategory};

/// A rule given in code, matched against the normal form of the path (see
/// [`normalize_path`](super::normalize_path)): lowercase, decoded, dot segments resolved.
///
/// Literal rules join the built-in automaton, so adding many costs no more per request;
/// their text is ASCII-lowercased. Regex rules are compiled into one regex set, matched
/// case-insensitively against the normal path.
///
/// # Example
///
/// ```
/// use reqlog::probe::{CustomRule, ProbeCategory, ProbeRules};
///
/// let classifier = ProbeRules::new()
///     .rule(CustomRule::path_prefix(ProbeCategory::Admin, "old-backoffice", "/backoffice"))
///     .rule(CustomRule::regex(ProbeCategory::Framework, "strapi-admin", r"^/strapi/admin(/|$)"))
///     .build()
///     .unwrap();
/// let m = classifier.classify(&http::Method::GET, "/BackOffice/login", None).unwrap();
/// assert_eq!(&*m.rule, "old-backoffice");
/// ```
#[derive(Clone, Debug)]
pub struct CustomRule {
    pub(super) category: ProbeCategory,
    pub(super) id: String,
    pub(super) kind: CustomKind,
}

#[derive(Clone, Debug)]
pub(super) enum CustomKind {
    Contains(String),
    Prefix(String),
    Suffix(String),
    Regex(String),
}

impl CustomRule {
    /// Matches when the normal path contains `needle`.
    pub fn path_contains(category: ProbeCategory, id: &str, needle: &str) -> Self {
        Self::new(category, id, CustomKind::Contains(fold(needle)))
    }

    /// Matches when the normal path starts with `prefix` (a missing leading `/` is added).
    /// The match need not end at a segment boundary: `/back` matches `/backup`.
    pub fn path_prefix(category: ProbeCategory, id: &str, prefix: &str) -> Self {
        let mut p = fold(prefix);
        if !p.starts_with('/') {
            p.insert(0, '/');
        }
        Self::new(category, id, CustomKind::Prefix(p))
    }

    /// Matches when the normal path ends with `suffix`, e.g. `".asp"`.
    pub fn path_suffix(category: ProbeCategory, id: &str, suffix: &str) -> Self {
        Self::new(category, id, CustomKind::Suffix(fold(suffix)))
    }

    /// Matches when `pattern` (regex crate syntax, ASCII classes, case-insensitive) finds a
    /// match in the normal path. An invalid pattern makes [`ProbeRules::build`] fail.
    pub fn regex(category: ProbeCategory, id: &str, pattern: &str) -> Self {
        Self::new(category, id, CustomKind::Regex(pattern.to_owned()))
    }

    fn new(category: ProbeCategory, id: &str, kind: CustomKind) -> Self {
        CustomRule {
            category,
            id: id.to_owned(),
            kind,
        }
    }

    /// The rule's category.
    pub fn category(&self) -> ProbeCategory {
        self.category
    }

    /// The rule's id, reported in [`ProbeMatch::rule`](super::ProbeMatch::rule).
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The case folding and slash turning the normal form has, applied to a user's literal.
fn fold(s: &str) -> String {
    s.to_ascii_lowercase().replace('\\', "/")
}

/// Builder for a [`Classifier`]: the built-in signatures and harmless-path allow list,
/// plus the site's own rules and routes.
///
/// `Default` is the same as [`ProbeRules::new`].
///
/// # Example
///
/// ```
/// use reqlog::probe::ProbeRules;
///
/// // This site really has an admin area and a Jenkins-like `/script` page.
/// let classifier = ProbeRules::new()
///     .allow_path("/admin")
///     .allow_path("/script")
///     .build()
///     .unwrap();
/// let get = http::Method::GET;
/// assert_eq!(classifier.classify(&get, "/admin/users", None), None);
/// assert!(classifier.classify(&get, "/administrator/", None).is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProbeRules {
    pub(super) without_builtin: bool,
    pub(super) rules: Vec<CustomRule>,
    pub(super) allow: Vec<String>,
}

impl ProbeRules {
    /// The built-in signatures and the built-in allow list of harmless paths
    /// (`/favicon.ico`, `/robots.txt`, `/.well-known/…`, icons, manifests, sitemaps).
    pub fn new() -> Self {
        ProbeRules::default()
    }

    /// No built-in signature, allow-list entry or payload check: only what is added.
    pub fn without_builtin() -> Self {
        ProbeRules {
            without_builtin: true,
            ..ProbeRules::default()
        }
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: CustomRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Declares one of the site's own routes: path signatures never fire on it.
    ///
    /// `prefix` is normalised like a path and matched against the normal path at a
    /// segment boundary: `/admin` allows `/admin` and `/admin/x` but not `/administrator`.
    /// Payloads (traversal, injection, shellshock) are still reported on an allowed
    /// route: an attack on the site's own page is still an attack.
    pub fn allow_path(mut self, prefix: &str) -> Self {
        self.allow.push(prefix.to_owned());
        self
    }

    /// Compiles the rules.
    ///
    /// # Errors
    ///
    /// A rule with an empty id, an empty literal or an invalid regex, or an empty allowed
    /// path; the error names the rule.
    pub fn build(self) -> Result<Classifier, RuleError> {
        super::compile::compile(&self)
    }
}

/// Why a rule set did not compile. The message names the rule.
#[derive(Debug)]
pub struct RuleError {
    rule: String,
    kind: RuleErrorKind,
}

#[derive(Debug)]
pub(super) enum RuleErrorKind {
    EmptyId,
    EmptyNeedle,
    EmptyAllow,
    Regex(regex::Error),
    Automaton(String),
}

impl RuleError {
    pub(super) fn new(rule: &str, kind: RuleErrorKind) -> Self {
        RuleError {
            rule: rule.to_owned(),
            kind,
        }
    }

    /// The id of the rule at fault (the path, for an allowed path).
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RuleErrorKind::EmptyId => {
                write!(f, "probe rule with an empty id: give every rule an id")
            }
            RuleErrorKind::EmptyNeedle => write!(
                f,
                "probe rule `{}`: empty text would match every path; give it a literal",
                self.rule
            ),
            RuleErrorKind::EmptyAllow => {
                write!(f, "allowed path is empty: use \"/\" to allow every path")
            }
            RuleErrorKind::Regex(e) => write!(f, "probe rule `{}`: invalid regex: {e}", self.rule),
            RuleErrorKind::Automaton(e) => {
                write!(f, "probe rules: cannot compile `{}`: {e}", self.rule)
            }
        }
    }
}

impl Error for RuleError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            RuleErrorKind::Regex(e) => Some(e),
            _ => None,
        }
    }
}
