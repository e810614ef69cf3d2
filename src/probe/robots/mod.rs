//! [`RobotsTxt`]: which paths a site's robots.txt disallows for which crawler (RFC 9309).
//!
//! Written here rather than taken from crates.io: `robotstxt` (a port of Google's C++
//! parser, last released 2021) parses the whole file again on every question, and
//! `texting_robots` (last released 2022) builds one matcher per user agent and
//! allocates per question (it re-encodes the URL into a new `String` and collects the
//! matching rules into a `Vec`), with five dependencies. The detector asks on a
//! crawler's every request, so the rules are parsed once, per group, and a question
//! costs a binary search for the group and one pass over its rules, without allocating.

mod parse;
mod pattern;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;

use pattern::Pattern;

/// Crawlers are required to read at least this much of a robots.txt (RFC 9309 §2.5);
/// the rest is ignored, as Google does.
pub const MAX_ROBOTS_TXT: usize = 500 * 1024;

/// A site's robots.txt, parsed once: answers whether it lets a crawler fetch a path.
///
/// Follows RFC 9309: a crawler obeys the group whose `User-agent` matches its product
/// token (case-insensitive; `Googlebot/2.1` in the file names `Googlebot`), or the `*`
/// group when none does; several `User-agent` lines can share a group, and groups
/// naming the same crawler are merged. Between the `Allow` and `Disallow` rules that
/// match, the longest pattern wins and `Allow` wins a tie. `*` matches any run of
/// characters and a final `$` the end of the path; the query is part of the path.
/// Percent-encoding is normalised on both sides (`/%62az` is `/baz`, `/café` is
/// `/caf%C3%A9`). `/robots.txt` is always allowed, an empty `Disallow:` allows
/// everything, lines that are not `key: value` (and unknown keys) are ignored, and only
/// the first [`MAX_ROBOTS_TXT`] bytes are read.
///
/// **Crawlers with several tokens.** A name with hyphens that has no group of its own
/// falls back to the group of its name cut at the last hyphen, then the one before
/// (`Googlebot-Image` → `Googlebot`, `AdsBot-Google-Mobile` → `AdsBot-Google` →
/// `AdsBot`), before `*`. That is how Google documents its crawlers
/// (`Googlebot-Image` obeys a `googlebot-image` group, else `googlebot`, else `*`);
/// RFC 9309 leaves it to each crawler, and no crawler documents the opposite.
///
/// # Example
/// ```
/// use reqlog::probe::RobotsTxt;
///
/// let robots = RobotsTxt::parse(
///     "User-agent: *\nDisallow: /courses/*/lectures/\n\n\
///      User-agent: Googlebot\nDisallow: /drafts/\n",
/// );
/// assert!(!robots.allows(None, "/courses/rust/lectures/1"));
/// assert!(robots.allows(Some("Googlebot"), "/courses/rust/lectures/1")); // its own group
/// assert!(!robots.allows(Some("Googlebot-Image"), "/drafts/x.png")); // Googlebot's
/// assert!(robots.allows(Some("bingbot"), "/robots.txt"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RobotsTxt {
    /// Named user agents, lower case, sorted: the groups each one obeys.
    agents: Vec<(Box<str>, Vec<u32>)>,
    /// The groups of `User-agent: *`.
    star: Vec<u32>,
    /// Each group's rules, longest pattern first, `Allow` first among equals.
    groups: Vec<Vec<Rule>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    pattern: Pattern,
    allow: bool,
}

impl fmt::Debug for RobotsTxt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RobotsTxt")
            .field("user_agents", &self.agents.len())
            .field("groups", &self.groups.len())
            .field("rules", &self.groups.iter().map(Vec::len).sum::<usize>())
            .finish()
    }
}

/// `a` lower-cased, compared with `b` (already lower case), without allocating.
fn cmp_lower(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes())
}

impl RobotsTxt {
    /// Parses a robots.txt. Nothing in it is an error: lines that mean nothing are
    /// ignored, as crawlers do.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::RobotsTxt;
    ///
    /// let robots = RobotsTxt::parse("User-agent: *\nDisallow: /private/\n");
    /// assert!(!robots.allows(Some("bingbot"), "/private/notes"));
    /// ```
    pub fn parse(text: &str) -> RobotsTxt {
        parse::parse(text.as_bytes())
    }

    /// Whether `crawler` (its product token, such as `Googlebot`; `None` for a crawler
    /// with no known name, which obeys the `*` group) may fetch `target`, a path with
    /// its query as it came in the request line.
    ///
    /// # Example
    /// ```
    /// use reqlog::probe::RobotsTxt;
    ///
    /// let robots = RobotsTxt::parse("User-agent: *\nDisallow: /*.pdf$\n");
    /// assert!(!robots.allows(Some("bingbot"), "/notes/week1.pdf"));
    /// assert!(robots.allows(Some("bingbot"), "/notes/week1.pdf?page=2"));
    /// ```
    pub fn allows(&self, crawler: Option<&str>, target: &str) -> bool {
        let path = target.split('?').next().unwrap_or(target);
        if path == "/robots.txt" {
            return true;
        }
        let groups = self.groups_for(crawler);
        if groups.is_empty() {
            return true;
        }
        pattern::with_normal(target.as_bytes(), |target| {
            let mut best: Option<&Rule> = None;
            for &g in groups {
                let rules = &self.groups[g as usize];
                // Sorted: the first rule that matches is the group's best.
                let Some(rule) = rules.iter().find(|r| r.pattern.matches(target)) else {
                    continue;
                };
                let better =
                    best.is_none_or(|b| (rule.pattern.len, rule.allow) > (b.pattern.len, b.allow));
                if better {
                    best = Some(rule);
                }
            }
            best.is_none_or(|r| r.allow)
        })
    }

    /// The groups `crawler` obeys: its own, else those of its name cut at a hyphen,
    /// else `*`.
    fn groups_for(&self, crawler: Option<&str>) -> &[u32] {
        let mut name = match crawler {
            Some(name) if !name.is_empty() => name,
            _ => return &self.star,
        };
        loop {
            if let Ok(i) = self
                .agents
                .binary_search_by(|(token, _)| cmp_lower(name, token).reverse())
            {
                return &self.agents[i].1;
            }
            match name.rfind('-') {
                Some(cut) if cut > 0 => name = &name[..cut],
                _ => return &self.star,
            }
        }
    }
}
