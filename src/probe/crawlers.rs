//! Who sent a request, from its `User-Agent`: a browser, a crawler (by its own name), a
//! security scanner, an HTTP tool or library, or unknown.
//!
//! Every token of the tables (in `crawlers/table.rs`) is compiled into one
//! case-insensitive Aho-Corasick automaton, so the cost is one pass over the header, flat
//! in the table size. Then the
//! strongest kind found wins: scanner > crawler > tool > browser. Within a kind the
//! leftmost, then longest token names the client, so `Googlebot-Image` is not
//! `Googlebot` and `Feedly/1.0 (… like FeedFetcher-Google)` is Feedly. A generic marker
//! (`…bot/1.0`, `spider`, `crawler`) makes an unnamed crawler. A browser needs a
//! `Mozilla/` or `Opera/` product with a platform and a rendering engine token, and none
//! of the above: phone models such as `CUBOT X30` and Yandex's `YaBrowser` stay browsers.
//!
//! Scanner tokens are matched as product tokens, checked on each match of the same pass:
//! a named scanner must not sit inside another word (`Burpee`, `Snmapper`), though a
//! digit or a new capitalised word may follow it (`zgrab2`, `QualysGuard`); the generic
//! `scanner` must be a whole word and either qualified (`Security Scanner`,
//! `VulnScanner`) or a comment item (`(scanner)`): see `is_generic_scanner` for why.
//! Crawler, tool and engine tokens are still matched anywhere.

use std::fmt;
use std::sync::OnceLock;

use aho_corasick::dfa::DFA;

use super::scan;

mod table;

use table::{CRAWLERS, ENGINES, GENERIC_CRAWLER, GENERIC_SCANNER, SCANNERS, TOOLS};

/// The kind of client that sent a request.
///
/// # Example
///
/// ```
/// use reqlog::probe::{Classifier, ClientKind};
///
/// let ua = Classifier::default().user_agent(Some(b"curl/8.4.0"));
/// assert_eq!(ua.kind, ClientKind::Tool);
/// assert_eq!(ua.kind.as_str(), "tool");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// A web browser (or an app's web view).
    Browser,
    /// A search engine, AI, SEO, social-preview, feed or uptime crawler.
    Crawler,
    /// A security or internet-wide scanner (sqlmap, Nuclei, zgrab, Censys…).
    Scanner,
    /// An HTTP tool or library (curl, python-requests, Go-http-client…) or a health check.
    Tool,
    /// No header, or nothing recognisable in it.
    Unknown,
}

impl ClientKind {
    /// The lowercase name used in log records, e.g. `"crawler"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Browser => "browser",
            ClientKind::Crawler => "crawler",
            ClientKind::Scanner => "scanner",
            ClientKind::Tool => "tool",
            ClientKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `User-Agent` says about the client.
///
/// # Example
///
/// ```
/// use reqlog::probe::{Classifier, ClientKind};
///
/// let ua = Classifier::default()
///     .user_agent(Some(b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
/// assert_eq!(ua.kind, ClientKind::Crawler);
/// assert_eq!(ua.name, Some("Googlebot"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserAgentClass {
    /// The kind of client.
    pub kind: ClientKind,
    /// The client's own name when it is known: a crawler's (`"Googlebot"`), a scanner's
    /// (`"sqlmap"`) or a tool's (`"curl"`). `None` for browsers and unnamed clients.
    pub name: Option<&'static str>,
}

impl UserAgentClass {
    /// No header, or nothing recognisable in it.
    pub const UNKNOWN: UserAgentClass = UserAgentClass {
        kind: ClientKind::Unknown,
        name: None,
    };
}

/// How much of a header is looked at.
const MAX_USER_AGENT: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Engine,
    Tool,
    GenericCrawler,
    Crawler,
    GenericScanner,
    Scanner,
}

struct UaTable {
    automaton: DFA,
    /// Per pattern: its strength and name.
    tokens: Vec<(Strength, Option<&'static str>)>,
}

fn table() -> &'static UaTable {
    static TABLE: OnceLock<UaTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut needles = Vec::new();
        let mut tokens = Vec::new();
        let named = [
            (CRAWLERS, Strength::Crawler),
            (SCANNERS, Strength::Scanner),
            (TOOLS, Strength::Tool),
        ];
        for (list, strength) in named {
            for &(needle, name) in list {
                needles.push(needle);
                tokens.push((strength, Some(name)));
            }
        }
        let unnamed = [
            (GENERIC_CRAWLER, Strength::GenericCrawler),
            (GENERIC_SCANNER, Strength::GenericScanner),
            (ENGINES, Strength::Engine),
        ];
        for (list, strength) in unnamed {
            for &needle in list {
                needles.push(needle);
                tokens.push((strength, None));
            }
        }
        // A few hundred short built-in literals are far below any automaton limit;
        // the `tables_compile` test builds this table.
        let automaton = scan::build(&needles, true).expect("built-in user-agent table compiles");
        UaTable { automaton, tokens }
    })
}

/// Classifies a `User-Agent` header value.
pub(super) fn classify_user_agent(user_agent: Option<&[u8]>) -> UserAgentClass {
    let Some(ua) = user_agent else {
        return UserAgentClass::UNKNOWN;
    };
    let ua = ua.trim_ascii();
    let ua = &ua[..ua.len().min(MAX_USER_AGENT)];
    if ua.is_empty() {
        return UserAgentClass::UNKNOWN;
    }
    let t = table();
    // Strongest token, then leftmost, then longest.
    let mut best: Option<(Strength, usize, usize, Option<&'static str>)> = None;
    let mut engine = false;
    scan::for_each_match(&t.automaton, ua, &mut |pattern, start, end| {
        let (strength, name) = t.tokens[pattern];
        if strength == Strength::Engine {
            engine = true;
            return;
        }
        let token_ok = match strength {
            Strength::Scanner => is_product_token(ua, start, end),
            Strength::GenericScanner => is_generic_scanner(ua, start, end),
            _ => true,
        };
        if !token_ok {
            return;
        }
        let len = end - start;
        let better = match best {
            None => true,
            Some((s, best_start, best_len, _)) => {
                (strength, std::cmp::Reverse(start), len)
                    > (s, std::cmp::Reverse(best_start), best_len)
            }
        };
        if better {
            best = Some((strength, start, len, name));
        }
    });
    // `…bot` at the very end of the header, with no version: still a crawler.
    if ua.ends_with_ignore_case(b"bot") && best.is_none_or(|b| b.0 < Strength::GenericCrawler) {
        best = Some((Strength::GenericCrawler, 0, 0, None));
    }
    let kind = match best {
        Some((Strength::Scanner | Strength::GenericScanner, ..)) => ClientKind::Scanner,
        Some((Strength::Crawler | Strength::GenericCrawler, ..)) => ClientKind::Crawler,
        Some((Strength::Tool, ..)) => ClientKind::Tool,
        _ if engine && looks_like_browser(ua) => ClientKind::Browser,
        _ => ClientKind::Unknown,
    };
    let name = match kind {
        ClientKind::Browser | ClientKind::Unknown => None,
        _ => best.and_then(|b| b.3),
    };
    UserAgentClass { kind, name }
}

/// Whether `ua[start..end]` (a named scanner's token) stands as a product token of its
/// own, not inside another word: it starts the header or follows a byte that is not a
/// letter or digit, and it ends the header or precedes one that is not, or a digit
/// (`zgrab2`), or starts a new capitalised word (`QualysGuard`, `BurpSuite`). So
/// `Burpee Fitness/2.1` and `Snmapper` are not Burp and Nmap.
fn is_product_token(ua: &[u8], start: usize, end: usize) -> bool {
    let alnum = |i: usize| ua[i].is_ascii_alphanumeric();
    let starts = start == 0 || !alnum(start) || !alnum(start - 1);
    let ends = end == ua.len()
        || !alnum(end - 1)
        || !alnum(end)
        || ua[end].is_ascii_digit()
        || (ua[end].is_ascii_uppercase() && ua[end - 1].is_ascii_lowercase());
    starts && ends
}

/// Words that make `scanner` a network or security scanner.
const SCANNER_QUALIFIERS: &[&[u8]] = &[
    b"security",
    b"vulnerability",
    b"vuln",
    b"port",
    b"network",
    b"web",
    b"exploit",
    b"pentest",
];

/// Whether the generic marker `scanner` at `ua[start..end]` names a security scanner.
///
/// The word alone is too ambiguous to count: document, QR-code and barcode scanner apps
/// send it in their product names (`CamScanner/6.32`, `Scanner Pro/8.2 CFNetwork/…`,
/// `QR Scanner/2.1`), and an app is not a scanner of web sites. So it counts only:
/// - qualified, as the head of a compound whose modifier says what is scanned: a word
///   of [`SCANNER_QUALIFIERS`] right before it, joined or after one space, `-` or `_`
///   (`Security Scanner/1.0`, `wordpress-security-scanner`, `VulnScanner`, `Web
///   Scanner`), while `CamScanner`, `DocScanner` and `Scanner Pro` do not; or
/// - as a whole item of a comment (`(scanner)`, `(compatible; Scanner; +https://…)`),
///   where automated clients describe themselves; apps name themselves in products.
///
/// Either way `scanner` must end a word (`Scanners`, `ScannerPro` do not count).
fn is_generic_scanner(ua: &[u8], start: usize, end: usize) -> bool {
    if end < ua.len() && ua[end].is_ascii_alphanumeric() {
        return false;
    }
    let before = &ua[..start];
    // A whole comment item: `(` or `;` before (spaces allowed), `)` or `;` after.
    let open = before
        .trim_ascii_end()
        .last()
        .is_some_and(|b| b"(;".contains(b));
    let close = ua[end..]
        .trim_ascii_start()
        .first()
        .is_some_and(|b| b");".contains(b));
    if open && close {
        return true;
    }
    // A qualifier right before, joined or after one separator.
    let before = match before.last() {
        Some(b' ' | b'-' | b'_') => &before[..before.len() - 1],
        _ => before,
    };
    SCANNER_QUALIFIERS.iter().any(|q| {
        before.len() >= q.len()
            && before[before.len() - q.len()..].eq_ignore_ascii_case(q)
            && before
                .len()
                .checked_sub(q.len() + 1)
                .is_none_or(|i| !before[i].is_ascii_alphanumeric())
    })
}

/// `Mozilla/5.0 (platform) …` or `Opera/9.80 (platform) …`.
fn looks_like_browser(ua: &[u8]) -> bool {
    let product = ua.starts_with_ignore_case(b"mozilla/") || ua.starts_with_ignore_case(b"opera/");
    product && ua.contains(&b'(')
}

trait AsciiCase {
    fn starts_with_ignore_case(&self, prefix: &[u8]) -> bool;
    fn ends_with_ignore_case(&self, suffix: &[u8]) -> bool;
}

impl AsciiCase for [u8] {
    fn starts_with_ignore_case(&self, prefix: &[u8]) -> bool {
        self.len() >= prefix.len() && self[..prefix.len()].eq_ignore_ascii_case(prefix)
    }
    fn ends_with_ignore_case(&self, suffix: &[u8]) -> bool {
        self.len() >= suffix.len() && self[self.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ua(s: &str) -> UserAgentClass {
        classify_user_agent(Some(s.as_bytes()))
    }

    #[test]
    fn tables_compile_and_are_lowercase() {
        let t = table();
        assert_eq!(
            t.tokens.len(),
            aho_corasick::automaton::Automaton::patterns_len(&t.automaton)
        );
        for (n, _) in CRAWLERS.iter().chain(SCANNERS).chain(TOOLS) {
            assert_eq!(n.to_ascii_lowercase(), *n);
        }
        assert!(CRAWLERS.len() >= 60);
    }

    #[test]
    fn crawlers_by_their_own_names() {
        let cases = [
            ("Googlebot-Image/1.0", "Googlebot-Image"),
            ("AdsBot-Google-Mobile (+http://www.google.com/mobile/adsbot.html)", "AdsBot-Google-Mobile"),
            ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)", "Feedly"),
            ("TelegramBot (like TwitterBot)", "TelegramBot"),
            ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "LinkedInBot"),
            ("Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", "Yahoo! Slurp"),
        ];
        for (s, name) in cases {
            assert_eq!(
                ua(s),
                UserAgentClass {
                    kind: ClientKind::Crawler,
                    name: Some(name)
                },
                "{s}"
            );
        }
    }

    #[test]
    fn unnamed_crawlers_and_lookalikes() {
        assert_eq!(
            ua("Mozilla/5.0 (compatible; NewThingBot/0.1; +https://x.example)").kind,
            ClientKind::Crawler
        );
        assert_eq!(ua("MyCrawler").kind, ClientKind::Crawler);
        assert_eq!(ua("somebot").name, None);
        let cubot = "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36";
        assert_eq!(ua(cubot).kind, ClientKind::Browser);
        let ya = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36";
        assert_eq!(ua(ya).kind, ClientKind::Browser);
    }

    #[test]
    fn precedence_scanner_crawler_tool_browser() {
        let acunetix = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0 Safari/537.36 Acunetix-Product: WVS/13.0";
        assert_eq!(ua(acunetix).kind, ClientKind::Scanner);
        assert_eq!(ua("python-httpx/0.27.0").kind, ClientKind::Tool);
        assert_eq!(
            ua("Go-http-client/1.1"),
            UserAgentClass {
                kind: ClientKind::Tool,
                name: Some("Go-http-client")
            }
        );
        assert_eq!(
            ua("sqlmap/1.7.2#stable (https://sqlmap.org)").name,
            Some("sqlmap")
        );
    }

    #[test]
    fn scanners_by_their_product_tokens() {
        let cases = [
            ("sqlmap/1.7.2#stable (https://sqlmap.org)", Some("sqlmap")),
            ("Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)", Some("Nikto")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/92.0.4515.107 Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", Some("Nuclei")),
            ("Mozilla/5.0 zgrab/0.x", Some("zgrab")),
            ("zgrab2/0.1", Some("zgrab")),
            ("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", Some("masscan")),
            ("Expanse, a Palo Alto Networks company, searches across the global IPv4 space", Some("Expanse")),
            ("Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", Some("CensysInspect")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0 Safari/537.36 Acunetix-Product: WVS/13.0", Some("Acunetix")),
            ("Nmap Scripting Engine", Some("Nmap")),
            ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", Some("Nmap")),
            ("Fuzz Faster U Fool v2.1.0", Some("ffuf")),
            ("gobuster/3.6", Some("gobuster")),
            ("DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", Some("DirBuster")),
            ("Mozilla/5.0 (compatible; QualysGuard)", Some("Qualys")),
            ("Mozilla/5.0 (compatible; ModatScanner/1.0; +https://modat.io/)", Some("ModatScanner")),
            ("BurpSuite/2023", Some("Burp")),
            ("Mozilla/5.0 (compatible; Security Scanner/1.0)", None),
            ("Mozilla/5.0 (scanner)", None),
            ("Mozilla/5.0 (compatible; Scanner; +https://scan.example/)", None),
            ("WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", Some("WPScan")),
            ("VulnScanner/0.3", None),
            ("Acme Web Scanner 2.0", None),
            ("port_scanner", None),
        ];
        for (s, name) in cases {
            assert_eq!(
                ua(s),
                UserAgentClass {
                    kind: ClientKind::Scanner,
                    name
                },
                "{s}"
            );
        }
    }

    #[test]
    fn apps_named_like_scanners_are_not_scanners() {
        let browsers = [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 CamScanner/6.32",
            "Mozilla/5.0 (Linux; Android 13; SM-A536B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 CamScanner/6.50.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Adobe Scan/24.01",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 DocScanner/3.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 QR Scanner/2.1",
            "Mozilla/5.0 (Linux; Android 12; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Burpee Fitness/2.1",
        ];
        for s in browsers {
            assert_eq!(ua(s).kind, ClientKind::Browser, "{s}");
        }
        for s in [
            "CamScanner/4.5",
            "Scanner Pro/8.2 CFNetwork/1410.0.3 Darwin/22.6.0",
            "Scanners/1.0",
            "ScannerPro/8.2",
            "Burpee Fitness/2.1",
            "Snmapper/1.0",
            "NMAPPER/1.0",
            "Mozilla/5.0 (Macintosh) Snmapper/1.0",
            "Nessusfan/1.0",
        ] {
            assert_ne!(ua(s).kind, ClientKind::Scanner, "{s}");
        }
        // An app's own HTTP library still names it a tool.
        assert_eq!(ua("CamScanner/6.32 okhttp/4.9.3").kind, ClientKind::Tool);
    }

    #[test]
    fn unknown_for_empty_and_garbage() {
        assert_eq!(classify_user_agent(None), UserAgentClass::UNKNOWN);
        for s in [
            "",
            "   ",
            "-",
            "x",
            "Mozilla/5.0",
            "Mozilla/5.0 (compatible)",
            "asdfgh",
            "Mozilla",
        ] {
            assert_eq!(ua(s), UserAgentClass::UNKNOWN, "{s:?}");
        }
        assert_eq!(
            classify_user_agent(Some(&[0xff, 0xfe, 0x00])),
            UserAgentClass::UNKNOWN
        );
    }
}
