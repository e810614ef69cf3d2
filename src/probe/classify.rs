//! The compiled rule set and the per-request matching.
//!
//! One request costs: building its forms in a thread-local buffer (no allocation once the
//! buffer has grown), one Aho-Corasick pass over `decoded-path \0 normal-path \0 ?query`
//! for every literal (built-in and custom alike), one regex-set pass from the first
//! trigger literal on, if any was seen (and the set's `matches`, which allocates, only
//! when a regex matched), and for a `Some` result one reference-count increment.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::{Arc, OnceLock};

use http::Method;
use regex::bytes::RegexSet;

use super::checks::{
    anchor_holds, cond_holds, has_jndi_lookup, has_shellshock, region_of, scope_allows,
    usize_range, work, Region,
};
use super::compile::{payload_category, Compiled, SigKind, ENGINE_RANK};
use super::crawlers::classify_user_agent;
use super::normalize::prepare;
use super::payload;
use super::scan;
use super::signatures::{Cond, NEED_LOOKBEHIND};
use super::{ProbeMatch, ProbeRules, UserAgentClass};

/// A compiled rule set: classifies requests as probes and user agents as clients.
///
/// Cheap to clone (one `Arc`), `Send + Sync`. `Default` is the built-in rule set, compiled
/// once per process.
///
/// # Example
///
/// ```
/// use http::Method;
/// use reqlog::probe::{Classifier, ProbeCategory};
///
/// let classifier = Classifier::default();
/// let m = classifier.classify(&Method::GET, "/wp-login.php", None).unwrap();
/// assert_eq!(m.category, ProbeCategory::Wordpress);
/// assert_eq!(&*m.rule, "wp-login");
/// assert_eq!(classifier.classify(&Method::GET, "/favicon.ico", None), None);
/// ```
#[derive(Clone)]
pub struct Classifier {
    inner: Arc<Compiled>,
}

impl Classifier {
    pub(super) fn new(compiled: Compiled) -> Self {
        Classifier {
            inner: Arc::new(compiled),
        }
    }
}

/// Signature hits checked per request; later ones are skipped (the verdict so far
/// stands: a request with more hits than this is reported by one of the first).
const MAX_CHECKED_HITS: usize = 256;
/// Above this many regex triggers the regex set reads at most [`REGEX_WINDOW`] bytes
/// from the first one (a payload hidden behind that much packed trigger text is not
/// seen by the path's regex signatures; the query's values are the injection engine's).
const DENSE_TRIGGERS: usize = 64;
const REGEX_WINDOW: usize = 2048;

thread_local! {
    /// The forms of the request being classified; reused so that classifying does not
    /// allocate once it has grown to the largest target seen (at most ~25 KiB: inputs are
    /// capped at 8 KiB of path and 8 KiB of query).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A rule that matched: lowest category rank, then lowest rule index, wins.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Best {
    rank: u8,
    rule: u32,
}

/// The best payload rule and the best path rule so far (an allowed path drops the
/// latter).
#[derive(Default)]
struct Verdict {
    payload: Option<Best>,
    path: Option<Best>,
}

impl Verdict {
    /// Whether `b` would beat the best of its kind so far.
    fn improved_by(&self, b: Best, payload: bool) -> bool {
        let slot = if payload { self.payload } else { self.path };
        slot.is_none_or(|s| b < s)
    }

    fn take(&mut self, b: Best, payload: bool) {
        if self.improved_by(b, payload) {
            if payload {
                self.payload = Some(b);
            } else {
                self.path = Some(b);
            }
        }
    }
}

impl Classifier {
    /// Classifies a request: `Some` with the category and rule when it is a probe.
    ///
    /// `target` is the request-target as on the request line (path plus optional
    /// `?query`, percent-encoding kept; an absolute-form `http://host/path` is accepted);
    /// `user_agent` is the raw header value, looked at for shellshock and Log4Shell
    /// payloads. Never panics; at most 8 KiB of path and 8 KiB of query are looked at.
    pub fn classify(
        &self,
        method: &Method,
        target: &str,
        user_agent: Option<&[u8]>,
    ) -> Option<ProbeMatch> {
        let found = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => self.classify_in(&mut buf, method, target, user_agent),
            // Only reachable if classify were re-entered on this thread; stay correct.
            Err(_) => self.classify_in(&mut Vec::new(), method, target, user_agent),
        });
        payload::merge(target, found)
    }

    /// Classifies a `User-Agent` header value (`None`: no header).
    ///
    /// The client table is built in and the same for every rule set.
    pub fn user_agent(&self, user_agent: Option<&[u8]>) -> UserAgentClass {
        classify_user_agent(user_agent)
    }

    fn classify_in(
        &self,
        buf: &mut Vec<u8>,
        method: &Method,
        target: &str,
        ua: Option<&[u8]>,
    ) -> Option<ProbeMatch> {
        let c = &*self.inner;
        let f = prepare(target, buf);
        let hay_start = f.haystack_start;
        let hay = &buf[hay_start..];
        let mut best = Verdict::default();
        let mut allow_user = false;
        let mut allow_builtin = false;
        // Where the first literal some regex needs was seen.
        let mut first_trigger: Option<usize> = None;
        // The best category rank among the regex signatures whose triggers were seen.
        let mut trigger_rank = u8::MAX;
        let mut triggers = 0usize;
        let ranked = |rule: u32| Best {
            rank: c.rules[rule as usize].category.rank(),
            rule,
        };

        // Read between the two scans below, so a `Cell`.
        let checked = Cell::new(0usize);
        let mut on_match = |pattern: usize, s: usize, e: usize| {
            // A target with this many signature hits is a probe whatever the rest says;
            // checking (and even finding) every one of thousands (`../` packed into
            // 8 KiB) would cost several times an ordinary request of that length.
            checked.set(checked.get() + 1);
            if checked.get() > MAX_CHECKED_HITS {
                return false;
            }
            let (s, e) = (s + hay_start, e + hay_start);
            work(1);
            let (region, range) = region_of(&f, s);
            for sig in &c.sigs[usize_range(&c.pattern_sigs[pattern])] {
                if let SigKind::Rule {
                    rule,
                    rank,
                    payload,
                } = sig.what
                {
                    if !best.improved_by(Best { rank, rule }, payload) {
                        continue;
                    }
                }
                if !scope_allows(sig.scope, region)
                    || !anchor_holds(buf, sig.anchor, s, e, &range, region)
                    || (sig.cond != Cond::Always
                        && !cond_holds(buf, &f, sig.cond, s, e, &range, region))
                {
                    continue;
                }
                match sig.what {
                    SigKind::Rule {
                        rule,
                        rank,
                        payload,
                    } => best.take(Best { rank, rule }, payload),
                    // The query's values are the injection engine's: a trigger there
                    // of a payload regex (SQL, markup, shell, traversal) would only make
                    // the regex set read the query again for what the engine decides.
                    SigKind::Trigger { rank } if region == Region::Query && rank >= ENGINE_RANK => {
                    }
                    SigKind::Trigger { rank } => {
                        let at = s - hay_start;
                        first_trigger = Some(first_trigger.map_or(at, |f| f.min(at)));
                        trigger_rank = trigger_rank.min(rank);
                        triggers += 1;
                    }
                    SigKind::AllowBuiltin => allow_builtin = true,
                    SigKind::AllowUser => allow_user = true,
                }
            }
            true
        };
        // The path forms with every literal, the query with those that can decide
        // something there (matches never span the `\0` between them).
        let query_at = f.query.as_ref().map_or(hay.len(), |q| q.start - hay_start);
        scan::for_each_match_until(&c.automaton, &hay[..query_at], None, &mut on_match);
        let stopped = checked.get() > MAX_CHECKED_HITS;
        if let (false, Some((query_dfa, patterns))) = (stopped, &c.query_automaton) {
            query_dfa.for_each_match_until(&hay[query_at..], c.query_sep, &mut |p, s, e| {
                on_match(patterns[p] as usize, s + query_at, e + query_at)
            });
        }
        if let Some(sp) = c.special {
            let decided_in_code = [
                (f.dot_dot, sp.dot_dot, true),
                (f.null_byte, sp.null_byte, true),
                (f.line_break, sp.crlf, true),
                (ua.is_some_and(has_shellshock), sp.shellshock, true),
                (ua.is_some_and(has_jndi_lookup), sp.jndi, true),
                (
                    method == Method::PUT && f.normal_script(buf),
                    sp.script_upload,
                    false,
                ),
            ];
            for (hit, rule, payload) in decided_in_code {
                if hit {
                    best.take(ranked(rule), payload);
                }
            }
        }

        if let (Some(set), Some(first)) = (&c.patterns, first_trigger) {
            // Run only if a rule whose trigger was seen could still beat what was found
            // in a more specific category: a dense payload (`../` a thousand times) is
            // decided by the checks above, and the set's overlapping pass over 8 KiB of
            // it cost more than everything else together.
            let may_improve = best.payload.is_none_or(|b| trigger_rank < b.rank);
            // Every regex match starts at most NEED_LOOKBEHIND bytes before a trigger.
            let from = first.saturating_sub(NEED_LOOKBEHIND);
            // Packed triggers (`;` in every segment of 8 KiB) would make the set read the
            // whole rest of both path forms: then it reads a window after the first one,
            // which bounds its work like the hit cap bounds the literals'.
            let end = if triggers > DENSE_TRIGGERS {
                (from + REGEX_WINDOW).min(hay.len())
            } else {
                hay.len()
            };
            let hay = &hay[..end];
            if may_improve && set.is_match_at(hay, from) {
                for i in set.matches_at(hay, from).iter() {
                    // Regex signatures are all payloads.
                    best.take(ranked(c.pattern_rules[i]), true);
                }
            }
        }
        if let Some(set) = &c.custom_regex {
            let normal = &buf[f.normal.clone()];
            if set.is_match(normal) {
                for i in set.matches(normal).iter() {
                    let rule = c.custom_regex_rules[i];
                    let payload = payload_category(c.rules[rule as usize].category);
                    best.take(ranked(rule), payload);
                }
            }
        }

        // A harmless public folder stops being harmless when a script is asked for in it.
        let allowed = allow_user || (allow_builtin && !f.normal_script(buf));
        let best = if allowed {
            best.payload
        } else {
            match (best.payload, best.path) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }?;
        let rule = &c.rules[best.rule as usize];
        Some(ProbeMatch {
            category: rule.category,
            rule: Arc::clone(&rule.id),
            param: None,
        })
    }
}

impl Default for Classifier {
    fn default() -> Self {
        static BUILTIN: OnceLock<Classifier> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The built-in tables are constants; `builtin_rules_compile` builds them.
                ProbeRules::new()
                    .build()
                    .expect("built-in probe rules compile")
            })
            .clone()
    }
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &*self.inner;
        f.debug_struct("Classifier")
            .field("rules", &c.rules.len())
            .field("literals", &c.pattern_sigs.len())
            .field("patterns", &c.patterns.as_ref().map_or(0, RegexSet::len))
            .field("custom_regexes", &c.custom_regex_rules.len())
            .field("builtin", &c.special.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CustomRule, ProbeCategory, ProbeCategory::*};
    use super::*;
    use proptest::prelude::*;

    fn get(c: &Classifier, target: &str) -> Option<(ProbeCategory, String)> {
        c.classify(&Method::GET, target, None)
            .map(|m| (m.category, m.rule.to_string()))
    }

    fn cat(c: &Classifier, target: &str) -> Option<ProbeCategory> {
        get(c, target).map(|m| m.0)
    }

    #[test]
    fn the_builtin_query_automaton_is_the_flat_copy() {
        // The built-in query literals must fit the flat table: the fallback is correct
        // but about two instructions a query byte slower.
        let c = Classifier::default();
        assert!(matches!(
            c.inner.query_automaton,
            Some((scan::Scanner::Flat(_), _))
        ));
    }

    #[test]
    fn the_builtin_query_scan_is_cut_at_ampersands() {
        // No query literal holds `&` (custom literals are path rules): a long query's
        // scan chains are cut there without overlaps. A literal with `&` would only
        // make them overlap again.
        assert_eq!(Classifier::default().inner.query_sep, Some(b'&'));
        let custom = ProbeRules::new()
            .rule(CustomRule::path_contains(Admin, "amp", "/a&b"))
            .build()
            .unwrap();
        assert_eq!(custom.inner.query_sep, Some(b'&'));
        assert_eq!(cat(&custom, "/x/a&b/y"), Some(Admin));
        // A payload past the first cut of a long query is still named by its literal.
        let target = format!(
            "/x?{}&s=/index/think\\app/invokefunction",
            "p=1&".repeat(60)
        );
        assert!(cat(&Classifier::default(), &target).is_some());
    }

    #[test]
    fn path_literals_do_not_use_up_the_query_hits() {
        // `./` is a path signature's literal: hundreds of them in a value used to fill
        // the cap on checked hits before the query's own literal (`etc/issue`) was seen.
        let c = Classifier::default();
        let target = format!(
            "/x?lang=en&file={}..%2F..%2Fetc%2Fissue",
            ".%2F".repeat(700)
        );
        assert_eq!(cat(&c, &target), Some(Traversal));
    }

    #[test]
    fn builtin_rules_compile() {
        let c = ProbeRules::new().build().unwrap();
        assert!(format!("{c:?}").contains("builtin: true"));
        let _ = Classifier::default();
    }

    #[test]
    fn precedence_most_specific_wins() {
        let c = Classifier::default();
        // webshell > wordpress, webshell > injection
        assert_eq!(
            cat(&c, "/wp-content/uploads/2023/05/c99.php"),
            Some(Webshell)
        );
        assert_eq!(cat(&c, "/cmd.php?cmd=whoami"), Some(Webshell));
        // iot > cgi > traversal, iot > admin
        assert_eq!(cat(&c, "/cgi-bin/luci/;stok=/locale?x=$(id)"), Some(Iot));
        assert_eq!(cat(&c, "/boaform/admin/formLogin"), Some(Iot));
        assert_eq!(
            cat(
                &c,
                "/remote/fgt_lang?lang=/../../../..//dev/cmdb/sslvpn_websession"
            ),
            Some(Iot)
        );
        // framework > traversal, framework > admin, framework > php
        assert_eq!(
            cat(&c, "/public/plugins/x/../../../../etc/passwd"),
            Some(Framework)
        );
        assert_eq!(
            cat(&c, "/administrator/manifests/files/joomla.xml"),
            Some(Framework)
        );
        assert_eq!(cat(&c, "/_profiler/phpinfo"), Some(Framework));
        // secrets > wordpress, secrets > admin
        assert_eq!(cat(&c, "/wp-config.php.bak"), Some(Secrets));
        assert_eq!(cat(&c, "/admin/.env"), Some(Secrets));
        // wordpress > traversal
        assert_eq!(
            cat(&c, "/wp-admin/admin-ajax.php?img=../wp-config.php"),
            Some(Wordpress)
        );
        // cgi > traversal, cgi > php
        assert_eq!(cat(&c, "/cgi-bin/.%2e/.%2e/bin/sh"), Some(Cgi));
        assert_eq!(
            cat(&c, "/cgi-bin/php-cgi.exe?%ADd+allow_url_include%3D1"),
            Some(Cgi)
        );
        // traversal > php, injection > admin, injection > php, admin > php
        assert_eq!(cat(&c, "/index.php?page=../../etc/passwd"), Some(Traversal));
        assert_eq!(
            cat(&c, "/admin/login?u=admin%27%20or%201%3D1--"),
            Some(Injection)
        );
        assert_eq!(
            cat(&c, "/index.php?id=1%20union%20select%201,2--"),
            Some(Injection)
        );
        assert_eq!(cat(&c, "/admin/index.php"), Some(Admin));
        assert_eq!(cat(&c, "/x.php"), Some(Php));
    }

    #[test]
    fn specific_rule_ids() {
        let c = Classifier::default();
        assert_eq!(get(&c, "/.env").unwrap().1, "dotenv");
        assert_eq!(get(&c, "/.git/config").unwrap().1, "git-metadata");
        assert_eq!(get(&c, "/.DS_Store").unwrap().1, "ds-store");
        assert_eq!(get(&c, "/xmlrpc.php").unwrap().1, "xmlrpc");
        assert_eq!(get(&c, "/a/../../etc/x").unwrap().1, "dot-dot-slash");
        assert_eq!(get(&c, "/x%00").unwrap().1, "null-byte");
        let m = c
            .classify(&Method::GET, "/cgi-bin/x", Some(b"() { :; }; /bin/id"))
            .unwrap();
        assert_eq!((m.category, &*m.rule), (Cgi, "cgi-bin"));
        let m = c
            .classify(&Method::GET, "/", Some(b"() { :; }; /bin/id"))
            .unwrap();
        assert_eq!((m.category, &*m.rule), (Cgi, "shellshock"));
    }

    #[test]
    fn evasions_are_undone() {
        let c = Classifier::default();
        for t in [
            "/%2e%65nv",
            "/%252eenv",
            "/.ENV",
            "/.env.",
            "/.env%20",
            "//.env",
            "/./.env",
            "/x/../.env",
            "/.env;x=1",
            "/%u002eenv",
            "/%c0%aeenv",
            "/％2eenv",
        ] {
            assert_eq!(cat(&c, t), Some(Secrets), "{t}");
        }
        for t in [
            "/..%2fetc/passwd",
            "/..%252fetc",
            "/..%c0%afx",
            "/..\\..\\x",
            "/..;/x",
            "/%2e%2e/x",
        ] {
            assert_eq!(cat(&c, t), Some(Traversal), "{t}");
        }
    }

    #[test]
    fn harmless_paths_are_not_probes() {
        let c = Classifier::default();
        for t in [
            "/",
            "/favicon.ico",
            "/apple-touch-icon-120x120-precomposed.png",
            "/robots.txt",
            "/ads.txt",
            "/sitemap.xml",
            "/sitemap_index.xml",
            "/.well-known/security.txt",
            "/.well-known/acme-challenge/abc_DEF-123",
            "/.well-known/change-password",
            "/manifest.json",
            "/browserconfig.xml",
            "/humans.txt",
            "/security.txt",
            "/search?q=select+statements+in+sql",
            "/blog/a-post-about-wordpress-logins",
            "/odata/People?$filter=Name%20eq%20%27x%27&$select=Name&$top=5",
            "/api/v1/courses?$orderby=title",
            "/search?q=O%27Reilly",
            "/search?q=%3E%3D+vs+%3D%3E",
        ] {
            assert_eq!(get(&c, t), None, "{t}");
        }
        // ... but a script inside a harmless folder is.
        assert_eq!(cat(&c, "/.well-known/x.php"), Some(Webshell));
        assert_eq!(
            cat(&c, "/.well-known/pki-validation/cmd.php"),
            Some(Webshell)
        );
    }

    #[test]
    fn allow_path_is_segment_bounded_and_keeps_payloads() {
        let c = ProbeRules::new()
            .allow_path("/Admin/")
            .allow_path("/env")
            .build()
            .unwrap();
        assert_eq!(get(&c, "/admin"), None);
        assert_eq!(get(&c, "/admin/"), None);
        assert_eq!(get(&c, "/ADMIN/users/index.php"), None);
        assert_eq!(get(&c, "/env"), None);
        assert_eq!(cat(&c, "/administrator"), Some(Admin));
        assert_eq!(cat(&c, "/environment.php"), Some(Php));
        assert_eq!(
            cat(&c, "/admin?id=1%27%20or%20%271%27=%271"),
            Some(Injection)
        );
        assert_eq!(cat(&c, "/admin/../.git/config"), Some(Secrets));
        let everything = ProbeRules::new().allow_path("/").build().unwrap();
        assert_eq!(get(&everything, "/wp-login.php"), None);
        assert_eq!(cat(&everything, "/?x=%3Cscript%3E"), Some(Injection));
    }

    #[test]
    fn custom_rules_each_constructor() {
        let c = ProbeRules::without_builtin()
            .rule(CustomRule::path_contains(Framework, "strapi", "/Strapi/"))
            .rule(CustomRule::path_prefix(Admin, "backoffice", "backoffice"))
            .rule(CustomRule::path_suffix(Php, "asp-page", ".ASP"))
            .rule(CustomRule::regex(Iot, "router-x", r"^/rx[0-9]+/cgi$"))
            .build()
            .unwrap();
        assert_eq!(
            get(&c, "/x/strapi/admin"),
            Some((Framework, "strapi".into()))
        );
        assert_eq!(
            get(&c, "/BackOffice/login"),
            Some((Admin, "backoffice".into()))
        );
        assert_eq!(get(&c, "/x/backoffice"), None);
        assert_eq!(get(&c, "/default.asp"), Some((Php, "asp-page".into())));
        assert_eq!(get(&c, "/default.aspx"), None);
        assert_eq!(get(&c, "/RX12/cgi"), Some((Iot, "router-x".into())));
        assert_eq!(get(&c, "/rx12/cgi/x"), None);
        // Without built-ins nothing else fires.
        assert_eq!(get(&c, "/wp-login.php"), None);
        assert_eq!(get(&c, "/../../etc/passwd"), None);
        assert!(format!("{c:?}").contains("builtin: false"));
    }

    #[test]
    fn custom_rules_join_the_builtins_under_precedence() {
        let c = ProbeRules::new()
            .rule(CustomRule::path_prefix(
                Webshell,
                "our-old-shell",
                "/tools/",
            ))
            .rule(CustomRule::path_contains(Php, "late-php", "/wp-login"))
            .build()
            .unwrap();
        assert_eq!(
            get(&c, "/tools/x"),
            Some((Webshell, "our-old-shell".into()))
        );
        // Wordpress outranks the custom php rule.
        assert_eq!(
            get(&c, "/wp-login.php"),
            Some((Wordpress, "wp-login".into()))
        );
    }

    #[test]
    fn many_custom_rules_build() {
        let rules = (0..5_000).fold(ProbeRules::new(), |r, i| {
            r.rule(CustomRule::path_contains(
                Admin,
                &format!("custom-{i}"),
                &format!("/secret-area-{i}/"),
            ))
        });
        let c = rules.build().unwrap();
        assert_eq!(
            get(&c, "/x/secret-area-4321/y"),
            Some((Admin, "custom-4321".into()))
        );
        assert_eq!(get(&c, "/courses/1"), None);
    }

    #[test]
    fn rule_errors_name_the_rule() {
        let err = ProbeRules::new()
            .rule(CustomRule::regex(Admin, "broken", "(unclosed"))
            .build()
            .unwrap_err();
        assert_eq!(err.rule(), "broken");
        let msg = err.to_string();
        assert!(
            msg.contains("`broken`") && msg.contains("invalid regex"),
            "{msg}"
        );
        assert!(std::error::Error::source(&err).is_some());

        let err = ProbeRules::new()
            .rule(CustomRule::path_contains(Admin, "empty", ""))
            .build()
            .unwrap_err();
        assert_eq!(err.rule(), "empty");
        assert!(err.to_string().contains("empty"));
        let err = ProbeRules::new()
            .rule(CustomRule::path_prefix(Admin, "", "/x"))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("empty id"));
        let err = ProbeRules::new().allow_path("").build().unwrap_err();
        assert!(err.to_string().contains("allowed path"));
    }

    #[test]
    fn matches_share_the_rule_id() {
        let c = Classifier::default();
        let a = c.classify(&Method::GET, "/.env", None).unwrap();
        let b = c.classify(&Method::GET, "/.env.local", None).unwrap();
        assert!(Arc::ptr_eq(&a.rule, &b.rule));
    }

    #[test]
    fn classifier_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Classifier>();
        let c = Classifier::default();
        assert!(Arc::ptr_eq(&c.inner, &Classifier::default().inner));
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn classify_never_panics(
            method in "[A-Z]{1,10}",
            target in any::<String>(),
            ua in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        ) {
            let c = Classifier::default();
            let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
            let _ = c.classify(&method, &target, ua.as_deref());
            let _ = c.user_agent(ua.as_deref());
        }

        #[test]
        fn classify_never_panics_on_attack_shapes(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("/"), Just(".."), Just("%2e"), Just("%25"), Just("%c0%af"), Just("?"),
                    Just("&"), Just("="), Just(";"), Just("'"), Just("${"), Just("}"), Just("%00"),
                    Just("\\"), Just("wp-"), Just(".php"), Just("cgi-bin"), Just("%u"), Just("00"),
                    Just("ad"), Just("{{"), Just("*"), Just("("), Just(")"), Just("\u{ff0e}"),
                ],
                0..40,
            ),
        ) {
            let c = Classifier::default();
            let target = parts.concat();
            let _ = c.classify(&Method::GET, &target, Some(target.as_bytes()));
        }

    }
}
