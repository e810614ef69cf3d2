//! Declarative action rules: method + route pattern + status class → action name.

use std::borrow::Cow;
use std::fmt;

use http::{Method, StatusCode};

/// Which responses fire a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusClass {
    /// Below 400: 2xx and 3xx (a form post that redirects succeeded). The default.
    #[default]
    Success,
    /// 2xx only.
    Ok,
    /// 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// Any status.
    Any,
    /// Exactly this status.
    Exact(u16),
}

impl StatusClass {
    /// Whether `status` belongs to this class.
    pub fn contains(self, status: StatusCode) -> bool {
        let s = status.as_u16();
        match self {
            StatusClass::Success => s < 400,
            StatusClass::Ok => (200..300).contains(&s),
            StatusClass::ClientError => (400..500).contains(&s),
            StatusClass::ServerError => s >= 500,
            StatusClass::Any => true,
            StatusClass::Exact(e) => s == e,
        }
    }
}

/// One rule: when a request with this method matches this route pattern and the
/// response status is in the class, record the action.
///
/// Patterns use the router's syntax: `/purchase/{course}` matches one segment per
/// `{param}`, `/files/{*rest}` the rest of the path. The pattern is compared with the
/// route the router reports (axum's `MatchedPath`, with the `axum` feature) and
/// otherwise with the request path.
///
/// # Example
/// ```
/// use http::Method;
/// use reqlog::actions::{Rule, StatusClass};
///
/// let rule = Rule::new(Method::POST, "/purchase/{course}", "purchase")
///     .field_from_param("course")
///     .on(StatusClass::Success);
/// ```
#[derive(Clone)]
pub struct Rule {
    pub(crate) method: Method,
    pattern: Cow<'static, str>,
    segments: Vec<Segment>,
    pub(crate) name: Cow<'static, str>,
    pub(crate) statuses: StatusClass,
    pub(crate) params: Vec<Cow<'static, str>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("method", &self.method)
            .field("pattern", &self.pattern)
            .field("name", &self.name)
            .field("statuses", &self.statuses)
            .field("params", &self.params)
            .finish()
    }
}

impl Rule {
    /// A rule for `method` on `pattern` recording `name` on success (status < 400).
    pub fn new(
        method: Method,
        pattern: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
    ) -> Rule {
        let pattern = pattern.into();
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(p) if p.starts_with('*') => Segment::Rest(p[1..].to_owned()),
                    Some(p) => Segment::Param(p.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        Rule {
            method,
            pattern,
            segments,
            name: name.into(),
            statuses: StatusClass::Success,
            params: Vec::new(),
        }
    }

    /// Which responses fire the rule (default [`StatusClass::Success`]).
    pub fn on(mut self, statuses: StatusClass) -> Rule {
        self.statuses = statuses;
        self
    }

    /// Adds the value of a `{param}` of the pattern as a field of the action.
    pub fn field_from_param(mut self, param: impl Into<Cow<'static, str>>) -> Rule {
        self.params.push(param.into());
        self
    }

    /// Whether the router's matched route is this rule's pattern.
    pub(crate) fn matches_route(&self, route: &str) -> bool {
        route == self.pattern
    }

    /// Matches `path` against the pattern; calls `param` for each requested parameter.
    pub(crate) fn match_path(&self, path: &str, mut param: impl FnMut(&str, &str)) -> bool {
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        let mut rest_at = None;
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Rest(_) => {
                    rest_at = Some(i);
                    break;
                }
                Segment::Literal(l) => match parts.next() {
                    Some(p) if p == l => {}
                    _ => return false,
                },
                Segment::Param(_) => {
                    if parts.next().is_none() {
                        return false;
                    }
                }
            }
        }
        if rest_at.is_none() && parts.next().is_some() {
            return false;
        }
        // Second pass for the values, only when the rule wants some.
        if !self.params.is_empty() {
            let mut parts = path.split('/').filter(|s| !s.is_empty());
            for seg in &self.segments {
                match seg {
                    Segment::Literal(_) => {
                        parts.next();
                    }
                    Segment::Param(name) => {
                        if let Some(v) = parts.next() {
                            if self.params.iter().any(|p| p == name) {
                                param(name, v);
                            }
                        }
                    }
                    Segment::Rest(name) => {
                        let rest: Vec<&str> = parts.by_ref().collect();
                        if self.params.iter().any(|p| p == name) {
                            param(name, &rest.join("/"));
                        }
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(rule: &Rule, path: &str) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        rule.match_path(path, |k, v| out.push((k.to_owned(), v.to_owned())))
            .then_some(out)
    }

    #[test]
    fn patterns_match_segments() {
        let r =
            Rule::new(Method::POST, "/purchase/{course}", "purchase").field_from_param("course");
        assert_eq!(
            params(&r, "/purchase/python-jumpstart"),
            Some(vec![("course".into(), "python-jumpstart".into())])
        );
        assert_eq!(params(&r, "/purchase"), None);
        assert_eq!(params(&r, "/purchase/a/b"), None);
        assert_eq!(params(&r, "/purchases/a"), None);
        let r = Rule::new(Method::GET, "/files/{*path}", "download").field_from_param("path");
        assert_eq!(
            params(&r, "/files/a/b.txt"),
            Some(vec![("path".into(), "a/b.txt".into())])
        );
        let r = Rule::new(
            Method::POST,
            "/newsletter/subscribe",
            "newsletter.subscribe",
        );
        assert_eq!(params(&r, "/newsletter/subscribe/"), Some(vec![]));
        assert!(r.matches_route("/newsletter/subscribe"));
    }

    #[test]
    fn status_classes() {
        let s = |n| StatusCode::from_u16(n).unwrap();
        assert!(StatusClass::Success.contains(s(303)));
        assert!(!StatusClass::Success.contains(s(401)));
        assert!(StatusClass::Ok.contains(s(204)) && !StatusClass::Ok.contains(s(303)));
        assert!(StatusClass::ClientError.contains(s(401)));
        assert!(StatusClass::ServerError.contains(s(503)));
        assert!(StatusClass::Exact(401).contains(s(401)));
        assert!(StatusClass::Any.contains(s(500)));
    }
}
