//! Secrets in the path: matrix parameters (`/shop;jsessionid=…/cart`), segments bound
//! to a sensitive route parameter (`/reset/{token}`) and segments named by a
//! configured pattern (`/invite/{}/accept`).

use super::{steps, write_redacting_emails, Redactor, REDACTED};

/// One segment of a pattern given to `RequestLog::redact_path_segments`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    /// Must equal the path's segment (its part before any `;`), case-sensitively.
    Literal(Box<str>),
    /// `*`: any one segment, kept.
    Any,
    /// `{…}`: any one segment, redacted.
    Secret,
    /// `{*…}` at the end: every remaining segment, redacted.
    SecretRest,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(super) struct PathPattern {
    source: Box<str>,
    segs: Box<[Seg]>,
}

impl PathPattern {
    pub(super) fn new(pattern: &str) -> PathPattern {
        let body = pattern.strip_prefix('/').unwrap_or(pattern);
        let segs = body
            .split('/')
            .map(|s| match s {
                "*" => Seg::Any,
                _ if s.starts_with("{*") && s.ends_with('}') => Seg::SecretRest,
                _ if s.starts_with('{') && s.ends_with('}') => Seg::Secret,
                _ => Seg::Literal(s.into()),
            })
            .collect();
        PathPattern {
            source: pattern.into(),
            segs,
        }
    }

    pub(super) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches the path's first segments (the path may go on).
    fn matches(&self, path: &str) -> bool {
        let mut segments = segments(path);
        for seg in self.segs.iter() {
            if *seg == Seg::SecretRest {
                return true;
            }
            let Some(s) = segments.next() else {
                return false;
            };
            if let Seg::Literal(lit) = seg {
                steps::add(lit.len() as u64 + 1);
                if before_matrix(s) != &**lit {
                    return false;
                }
            }
        }
        true
    }
}

/// The path's segments after its leading `/`.
fn segments(path: &str) -> std::str::Split<'_, char> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

fn before_matrix(segment: &str) -> &str {
    segment.split_once(';').map_or(segment, |(s, _)| s)
}

/// Routes remembered per thread by [`Redactor::route_has_secret`].
const ROUTE_CACHE: usize = 64;

thread_local! {
    /// (redactor id, route template, has a sensitive parameter).
    static ROUTES: std::cell::RefCell<Vec<(u64, Box<str>, bool)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// What a segment of a route template (`MatchedPath`) says about the path's segment.
enum RouteSeg {
    /// Literal, or parameters that are not sensitive.
    Keep,
    /// A sensitive parameter: redact this segment.
    Secret,
    /// A catch-all (`{*rest}`, `*rest`): redact every remaining segment or none.
    Rest { secret: bool },
}

impl Redactor {
    fn route_seg(&self, t: &str) -> RouteSeg {
        steps::add(t.len() as u64 + 1);
        if let Some(name) = t
            .strip_prefix("{*")
            .and_then(|n| n.strip_suffix('}'))
            .or_else(|| t.strip_prefix('*'))
        {
            return RouteSeg::Rest {
                secret: self.is_sensitive(name),
            };
        }
        let secret = match t.strip_prefix(':') {
            // axum 0.7
            Some(name) => self.is_sensitive(name),
            // axum 0.8: `{name}`, also inside a segment (`{name}.png`)
            None => t
                .split('{')
                .skip(1)
                .any(|p| p.split_once('}').is_some_and(|(n, _)| self.is_sensitive(n))),
        };
        if secret {
            RouteSeg::Secret
        } else {
            RouteSeg::Keep
        }
    }

    /// Whether a route template has a sensitive parameter. An application has a few
    /// routes and every request repeats one: the answer is kept per thread (per
    /// redactor, at most `ROUTE_CACHE` routes), so checking a parameter's name against
    /// every rule happens once per route, not once per request.
    pub(crate) fn route_has_secret(&self, route: &str) -> bool {
        if memchr::memchr3(b'{', b':', b'*', route.as_bytes()).is_none() {
            return false;
        }
        let me = self.id;
        let cached = ROUTES.try_with(|cache| {
            let cache = cache.borrow();
            cache
                .iter()
                .find(|(owner, r, _)| *owner == me && **r == *route)
                .map(|e| e.2)
        });
        if let Ok(Some(secret)) = cached {
            return secret;
        }
        let secret = segments(route).any(|t| {
            matches!(
                self.route_seg(t),
                RouteSeg::Secret | RouteSeg::Rest { secret: true }
            )
        });
        let _ = ROUTES.try_with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() >= ROUTE_CACHE {
                cache.remove(0);
            }
            cache.push((me, route.into(), secret));
        });
        secret
    }

    /// Writes `path` with sensitive segments, sensitive matrix parameters and e-mail
    /// addresses replaced by `[REDACTED]`. `route` is the template the path matched
    /// (axum's `MatchedPath`), if known.
    pub(crate) fn write_path(&self, out: &mut String, path: &str, route: Option<&str>) {
        let pattern = self.patterns.iter().find(|p| p.matches(path));
        let route = route.filter(|r| self.route_has_secret(r));
        if pattern.is_none() && route.is_none() && memchr::memchr(b';', path.as_bytes()).is_none() {
            return write_redacting_emails(out, path);
        }
        let mut by_pattern = pattern.map(|p| p.segs.iter());
        let mut by_route = route.map(segments);
        let mut rest = false;
        if path.starts_with('/') {
            out.push('/');
        }
        for (i, seg) in segments(path).enumerate() {
            if i > 0 {
                out.push('/');
            }
            let mut secret = rest;
            match by_pattern.as_mut().and_then(Iterator::next) {
                Some(Seg::Secret) => secret = true,
                Some(Seg::SecretRest) => (secret, rest) = (true, true),
                _ => {}
            }
            match by_route
                .as_mut()
                .and_then(|r| r.next())
                .map(|t| self.route_seg(t))
            {
                Some(RouteSeg::Secret) => secret = true,
                Some(RouteSeg::Rest { secret: s }) => {
                    by_route = None;
                    if s {
                        (secret, rest) = (true, true);
                    }
                }
                _ => {}
            }
            if secret {
                out.push_str(REDACTED);
            } else {
                self.write_segment(out, seg);
            }
        }
    }

    /// One segment: its matrix parameters (`;name=value`) by the name rule.
    pub(super) fn write_segment(&self, out: &mut String, segment: &str) {
        let mut parts = segment.split(';');
        write_redacting_emails(out, parts.next().unwrap_or(""));
        for param in parts {
            out.push(';');
            self.write_pair(out, param);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(r: &Redactor, p: &str, route: Option<&str>) -> String {
        let mut out = String::new();
        r.write_path(&mut out, p, route);
        out
    }

    #[test]
    fn matrix_parameters() {
        let r = Redactor::default();
        assert_eq!(
            path(&r, "/shop;jsessionid=ABC123/cart", None),
            "/shop;jsessionid=[REDACTED]/cart"
        );
        assert_eq!(
            path(&r, "/a;v=1;Token=x;flag/b;PHPSESSID=y", None),
            "/a;v=1;Token=[REDACTED];flag/b;PHPSESSID=[REDACTED]"
        );
        assert_eq!(
            path(&r, "/m;to=bob@example.com;x=", None),
            "/m;to=[REDACTED];x="
        );
        assert_eq!(path(&r, ";;=;", None), ";;=;");
    }

    /// The per-thread route cache answers for the redactor that asked: another set of
    /// names on the same route gets its own answer.
    #[test]
    fn route_answers_are_kept_per_redactor() {
        let default = Redactor::default();
        let only_ssn = Redactor::new(["ssn"]);
        for _ in 0..2 {
            assert_eq!(
                path(&default, "/reset/abc", Some("/reset/{token}")),
                "/reset/[REDACTED]"
            );
            assert_eq!(
                path(&only_ssn, "/reset/abc", Some("/reset/{token}")),
                "/reset/abc"
            );
            assert_eq!(
                path(&only_ssn, "/p/123-45", Some("/p/{ssn}")),
                "/p/[REDACTED]"
            );
        }
        // More routes than the cache holds: still right.
        for i in 0..(ROUTE_CACHE * 2) {
            let route = format!("/r{i}/{{token}}");
            assert_eq!(
                path(&default, &format!("/r{i}/x"), Some(&route)),
                format!("/r{i}/[REDACTED]")
            );
        }
    }

    #[test]
    fn route_parameters() {
        let r = Redactor::default();
        assert_eq!(
            path(&r, "/reset/abc123", Some("/reset/{token}")),
            "/reset/[REDACTED]"
        );
        assert_eq!(
            path(
                &r,
                "/users/42/confirm/xyz",
                Some("/users/{id}/confirm/{code}")
            ),
            "/users/42/confirm/[REDACTED]"
        );
        assert_eq!(
            path(
                &r,
                "/users/42/confirm/xyz",
                Some("/users/:id/confirm/:code")
            ),
            "/users/42/confirm/[REDACTED]"
        );
        assert_eq!(
            path(&r, "/k/a/b/c", Some("/k/{*api_key}")),
            "/k/[REDACTED]/[REDACTED]/[REDACTED]"
        );
        assert_eq!(
            path(&r, "/k/a/b", Some("/k/*secret")),
            "/k/[REDACTED]/[REDACTED]"
        );
        assert_eq!(
            path(&r, "/files/a/b;sid=1", Some("/files/{*path}")),
            "/files/a/b;sid=[REDACTED]"
        );
        assert_eq!(
            path(&r, "/img/x.png", Some("/img/{token}.png")),
            "/img/[REDACTED]"
        );
        assert_eq!(
            path(&r, "/courses/bob@example.com", Some("/courses/{course}")),
            "/courses/[REDACTED]"
        );
        assert_eq!(path(&r, "/users/42", Some("/users/{id}")), "/users/42");
        assert_eq!(path(&r, "/author/7", Some("/author/{author}")), "/author/7");
    }

    #[test]
    fn configured_patterns() {
        let r = Redactor::default().with_patterns([
            "/reset/{token}",
            "/invite/{}/accept",
            "/files/*/{key}",
            "/dl/{*}",
        ]);
        assert_eq!(path(&r, "/reset/abc", None), "/reset/[REDACTED]");
        assert_eq!(path(&r, "/reset/abc/", None), "/reset/[REDACTED]/");
        assert_eq!(
            path(&r, "/reset/abc;v=1/more", None),
            "/reset/[REDACTED]/more"
        );
        assert_eq!(path(&r, "/reset", None), "/reset");
        assert_eq!(path(&r, "/Reset/abc", None), "/Reset/abc");
        assert_eq!(
            path(&r, "/invite/x1/accept", None),
            "/invite/[REDACTED]/accept"
        );
        assert_eq!(path(&r, "/invite/x1/decline", None), "/invite/x1/decline");
        assert_eq!(path(&r, "/files/docs/k9", None), "/files/docs/[REDACTED]");
        assert_eq!(path(&r, "/dl/a/b", None), "/dl/[REDACTED]/[REDACTED]");
        assert_eq!(path(&r, "/other/abc", None), "/other/abc");
        // Both a route and a pattern: either one redacts.
        assert_eq!(
            path(&r, "/files/docs/k9/t", Some("/files/{dir}/{name}/{token}")),
            "/files/docs/[REDACTED]/[REDACTED]"
        );
    }
}
