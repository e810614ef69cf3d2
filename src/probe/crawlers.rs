//! Who sent a request, from its `User-Agent`: a browser, a crawler (by its own name), a
//! security scanner, an HTTP tool or library, or unknown.
//!
//! Every token of the tables (in `crawlers/table.rs`) is compiled into one
//! case-insensitive Aho-Corasick automaton, so the cost is one pass over the header, flat
//! in the table size; each match is then checked in a bounded neighbourhood (is it a
//! word? where does it sit?), and a few flags decide. In order:
//!
//! 1. A named scanner, then a named crawler, by its own name (`Googlebot-Image`, not
//!    `Googlebot`: leftmost, then longest). Scanner and tool names count only as product
//!    tokens, not inside other words (`Burpee`, `Snmapper`, `FirePHP`); the generic
//!    `scanner` only qualified or as a comment item (`is_generic_scanner`).
//! 2. A strong bot word makes an unnamed crawler: `bot` ending a word (`ImageBot`,
//!    `SBL-BOT`, `yacybot (…`), `crawl`, `spider`, `scrap`.
//! 3. A named tool (`curl`, `python-requests`, `Go-http-client`, `Deno`…).
//! 4. A contact (a URL, an e-mail address), a monitoring word (`Dotcom-Monitor`,
//!    `DatadogSynthetics`, `ThousandEyes Agent`), a Google product (`Google-…`,
//!    `…-Google`) or an item added to the engine's `(KHTML, like Gecko)` comment make
//!    an unnamed crawler, in a browser's user agent too.
//! 5. A browser: `Mozilla/` or `Opera/` with a platform comment and a rendering engine.
//! 6. Otherwise, unless the header carries a mobile app's marker (`[FBAN/`), a document
//!    scanner app's name (`CamScanner`) or a feature phone's (`MIDP`): a weak word
//!    (`fetcher`, `preview`, `feed`, `rss`, `reader`, `index`, `archive`, `check`…), a
//!    domain name or `Mozilla/5.0 (compatible; Name)` alone make an unnamed crawler; a
//!    library or runtime name (`python`, `java`, `node`, `HttpClient`, `Netty`…) or a
//!    bare name (`Snipcart/1.0`, `Zapier`) an unnamed tool.
//!
//! Words are matched as tokens, not substrings, so that browsers stay browsers even
//! when a product contains a bot-like word:
//! - A word must end a word (no letter follows): English compounds name what they are by
//!   their last part, so `ImageBot` is a bot and `BotBrowser` a browser; `Feedback` is
//!   not `feed`. A library name must also begin one, or a CamelCase part (`Bun/1.1`, not
//!   `Ubuntu`; `ReactorNetty`).
//! - `bot` in lowercase after a lowercase letter (`googlebot`, `Cubot`) counts only when
//!   it ends a product's name (`/`, `;`, `)`, ` (`), not a value after `/`
//!   (`FBMF/Cubot;`); `CUBOT` in capitals is a word of its own.
//! - The platform comment (`(Linux; Android 10; CUBOT X30)`, right after `Mozilla/5.0`)
//!   holds device models: there only a versioned bot product (`BDCbot/1.0`), a contact
//!   or a named crawler counts, and tool names are devices' (`HTC Ruby`).
//! - Weak words and library names count only outside browsers' user agents: in-app
//!   browsers append products of their own (`Instagram 343.0`, `NAVER(inapp; search)`,
//!   `MicroMessenger/8.0`, `musical_ly`, `GSA/15.35`), and those do not make a bot.
//!
//! So `Mozilla/5.0 (compatible; NewThingBot/0.1; +https://x.example)`,
//! `SomeMonitor/1.0 (+https://status.example)` and `my-scraper/0.1 (contact@example.com)`
//! are crawlers, `Deno/1.40` is a tool, `CamScanner/6.32` and `BotBrowser/1.0 Chrome/120`
//! are unknown (an app, a browser-like product), and `CUBOT` phones and in-app browsers
//! are browsers. Limits: a header of one lowercase word (`asdfgh`) stays unknown, and an
//! old WAP phone that sends only its model (`SAMSUNG-SGH-Z500`) reads as a bare name, a
//! tool. `tests/user_agents.rs` measures all this on public lists (`tests/data/user-agents`).

use std::fmt;
use std::sync::OnceLock;

use aho_corasick::automaton::Automaton;

use super::scan;

mod table;

use table::{
    APPS, CONTACTS, CRAWLERS, DOMAINS, ENGINES, GENERIC_SCANNER, SCANNERS, STRONG_WORDS, TOOLS,
    TOOL_WORDS, TRAILING_WORDS, VENDORS, WEAK_WORDS,
};

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
#[non_exhaustive]
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

/// What a token of the tables is; named ones carry the client's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Scanner(&'static str),
    GenericScanner,
    Crawler(&'static str),
    Tool(&'static str),
    /// `bot`, `crawl`, `spider`, `scrap`.
    StrongWord,
    /// `monitor`, `agent`, `synthetics`…
    TrailingWord,
    /// `fetcher`, `preview`, `feed`…
    WeakWord,
    /// A URL, an e-mail address.
    Contact,
    /// `.com`, `.io`…
    Domain,
    /// `Google-…`, `…-Google`.
    Vendor,
    /// `python`, `java`, `node`, `HttpClient`…
    ToolWord,
    /// A mobile app's own marker (`[FBAN/`).
    App,
    /// A rendering engine.
    Engine,
}

/// Strength of a named match: scanner > crawler > tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Tool,
    Crawler,
    GenericScanner,
    Scanner,
}

struct UaTable {
    automaton: scan::Scanner,
    /// Per pattern: what it is.
    tokens: Vec<Token>,
}

/// Builds the user-agent table now (once per process) instead of on the first request
/// that asks: a rule set's compilation calls it, so a server's first request does not
/// wait for it (about 15 ms on a release build, 120 ms on a debug one).
pub(super) fn warm() {
    let _ = table();
}

fn table() -> &'static UaTable {
    static TABLE: OnceLock<UaTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut needles: Vec<&str> = Vec::new();
        let mut tokens = Vec::new();
        type Named = (
            &'static [(&'static str, &'static str)],
            fn(&'static str) -> Token,
        );
        let named: [Named; 3] = [
            (CRAWLERS, Token::Crawler),
            (SCANNERS, Token::Scanner),
            (TOOLS, Token::Tool),
        ];
        for (list, token) in named {
            for &(needle, name) in list {
                needles.push(needle);
                tokens.push(token(name));
            }
        }
        let unnamed = [
            (STRONG_WORDS, Token::StrongWord),
            (TRAILING_WORDS, Token::TrailingWord),
            (WEAK_WORDS, Token::WeakWord),
            (CONTACTS, Token::Contact),
            (DOMAINS, Token::Domain),
            (VENDORS, Token::Vendor),
            (TOOL_WORDS, Token::ToolWord),
            (APPS, Token::App),
            (GENERIC_SCANNER, Token::GenericScanner),
            (ENGINES, Token::Engine),
        ];
        for (list, token) in unnamed {
            for &needle in list {
                needles.push(needle);
                tokens.push(token);
            }
        }
        // Several hundred short built-in literals are far below any automaton limit;
        // the `tables_compile` test builds this table.
        let automaton = scan::build(&needles, true).expect("built-in user-agent table compiles");
        debug_assert_eq!(tokens.len(), Automaton::patterns_len(&automaton));
        UaTable {
            automaton: scan::Scanner::new(automaton),
            tokens,
        }
    })
}

/// What one pass over a header found.
#[derive(Default)]
struct Found {
    /// The strongest named match (then leftmost, then longest): strength, start, length,
    /// name.
    named: Option<(Strength, usize, usize, Option<&'static str>)>,
    /// A strong word outside the platform comment (or a versioned bot product in it),
    /// and one inside it.
    strong: bool,
    strong_in_platform: bool,
    /// A trailing word or a Google product outside the platform comment, a contact
    /// anywhere, or an item added to the engine's `(KHTML, like Gecko)` comment.
    marked: bool,
    /// A domain outside the platform comment.
    domain: bool,
    weak: bool,
    tool_word: bool,
    app: bool,
    engine: bool,
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
    // Found on the first match that asks: a browser's header has none that do.
    let mut platform = None;
    let mut in_platform = |start: usize| {
        platform
            .get_or_insert_with(|| platform_comment(ua))
            .as_ref()
            .is_some_and(|p: &std::ops::Range<usize>| p.contains(&start))
    };
    let mut f = Found::default();
    t.automaton.for_each_match(ua, &mut |pattern, start, end| {
        let (strength, name) = match t.tokens[pattern] {
            Token::Engine => {
                f.engine = true;
                f.marked |= has_engine_extra(ua, end);
                return;
            }
            Token::App => {
                f.app = true;
                return;
            }
            Token::StrongWord => {
                if is_strong_word(ua, start, end) {
                    if !in_platform(start) || is_versioned(ua, end) {
                        f.strong = true;
                    } else {
                        f.strong_in_platform = true;
                    }
                }
                return;
            }
            Token::TrailingWord => {
                f.marked |= ends_word(ua, end) && !in_platform(start);
                return;
            }
            Token::WeakWord => {
                f.weak |= ends_word(ua, end);
                return;
            }
            Token::Contact => {
                f.marked |= is_contact(ua, start, end);
                return;
            }
            Token::Domain => {
                f.domain |= is_contact(ua, start, end) && !in_platform(start);
                return;
            }
            Token::Vendor => {
                f.marked |= is_vendor(ua, start, end) && !in_platform(start);
                return;
            }
            Token::ToolWord => {
                // In the platform comment `Java` is a feature phone's platform.
                f.tool_word |= is_tool_word(ua, start, end) && !in_platform(start);
                return;
            }
            Token::Scanner(name) if is_product_token(ua, start, end) => {
                (Strength::Scanner, Some(name))
            }
            Token::GenericScanner => {
                if !is_generic_scanner(ua, start, end) {
                    // A document or QR-code scanner app names itself.
                    f.app = true;
                    return;
                }
                (Strength::GenericScanner, None)
            }
            Token::Crawler(name) => (Strength::Crawler, Some(name)),
            // In the platform comment a tool's name is a device's (`HTC Ruby`).
            Token::Tool(name)
                if is_product_token(ua, start, end)
                    && has_version(ua, end)
                    && !in_platform(start) =>
            {
                (Strength::Tool, Some(name))
            }
            _ => return,
        };
        let len = end - start;
        let better = match f.named {
            None => true,
            Some((s, best_start, best_len, _)) => {
                (strength, std::cmp::Reverse(start), len)
                    > (s, std::cmp::Reverse(best_start), best_len)
            }
        };
        if better {
            f.named = Some((strength, start, len, name));
        }
    });
    decide(ua, &f)
}

/// Weighs what the pass found, strongest first.
fn decide(ua: &[u8], f: &Found) -> UserAgentClass {
    let class = |kind, name| UserAgentClass { kind, name };
    let named = f.named.map(|n| (n.0, n.3));
    match named {
        Some((Strength::Scanner | Strength::GenericScanner, name)) => {
            return class(ClientKind::Scanner, name);
        }
        Some((Strength::Crawler, name)) => return class(ClientKind::Crawler, name),
        _ => {}
    }
    let browser = f.engine && looks_like_browser(ua);
    // In a browser's platform comment a word is a device model (`CUBOT X30`).
    if f.strong || (f.strong_in_platform && !browser) {
        return class(ClientKind::Crawler, None);
    }
    if let Some((Strength::Tool, name)) = named {
        return class(ClientKind::Tool, name);
    }
    if f.marked {
        return class(ClientKind::Crawler, None);
    }
    if browser {
        return class(ClientKind::Browser, None);
    }
    // What follows are guesses from words and shapes: not for an app's own requests or a
    // feature phone's browser.
    if f.app || is_phone(ua) {
        return UserAgentClass::UNKNOWN;
    }
    if f.weak || f.domain || is_compatible_product(ua) {
        return class(ClientKind::Crawler, None);
    }
    if f.tool_word || is_bare_name(ua) {
        return class(ClientKind::Tool, None);
    }
    UserAgentClass::UNKNOWN
}

/// The byte range of the platform comment: the comment right after a leading
/// `Mozilla/x.y` or `Opera/x.y` product (`(Linux; Android 10; CUBOT X30)`), unless its
/// first item is `compatible`, which announces a product of its own (but `(compatible;
/// MSIE 9.0; …)` is Internet Explorer's platform comment).
fn platform_comment(ua: &[u8]) -> Option<std::ops::Range<usize>> {
    if !(ua.starts_with_ignore_case(b"mozilla/") || ua.starts_with_ignore_case(b"opera/")) {
        return None;
    }
    let version = ua.iter().position(|&b| b == b'/')? + 1;
    let version_end = version
        + ua[version..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.'))?;
    let open = version_end + ua[version_end..].iter().position(|&b| b != b' ')?;
    if ua[open] != b'(' {
        return None;
    }
    let inner = ua[open + 1..].trim_ascii_start();
    if inner.starts_with_ignore_case(b"compatible") {
        let item = inner[b"compatible".len()..].trim_ascii_start();
        let item = item.strip_prefix(b";").unwrap_or(item).trim_ascii_start();
        if !item.starts_with_ignore_case(b"msie ") {
            return None;
        }
    }
    let close = ua[open..]
        .iter()
        .position(|&b| b == b')')
        .map_or(ua.len(), |i| open + i);
    Some(open..close)
}

/// Whether a strong word at `ua[start..end]` counts. `crawl`, `spider` and `scrap`
/// count anywhere. `bot` must end a word (`Googlebot/`, `ImageBot`, `SBL-BOT`), not
/// start one (`BotBrowser`: the head of a compound names what it is), and must begin
/// one, a CamelCase part (`Bot`) or a lowercase compound that ends the product name
/// (`yacybot (…`, `googlebot/`): `CUBOT`, `Cubot P40` and `FBMF/Cubot;` (a value, not a
/// name) are phones.
fn is_strong_word(ua: &[u8], start: usize, end: usize) -> bool {
    let word = &ua[start..end];
    if !word.eq_ignore_ascii_case(b"bot") {
        return true;
    }
    if !ends_word(ua, end) {
        return false;
    }
    let Some(&prev) = start.checked_sub(1).map(|i| &ua[i]) else {
        return true;
    };
    if !prev.is_ascii_alphabetic() {
        return true;
    }
    match word {
        b"Bot" => true,
        b"bot" if prev.is_ascii_lowercase() => {
            // A lowercase compound: it must end a product's name…
            let name_end = match ua.get(end) {
                None | Some(b'/' | b';' | b')' | b',' | b'(') => true,
                Some(b' ') => ua
                    .get(end + 1)
                    .is_some_and(|b| b"(+/".contains(b) || b.is_ascii_digit()),
                _ => false,
            };
            // … and not be a value after `/`. (Only a name's end leads here, and it ends
            // its run of letters: each run is walked back once, so the work stays linear.)
            name_end && {
                let word_start = ua[..start]
                    .iter()
                    .rposition(|b| !b.is_ascii_alphanumeric())
                    .map_or(0, |i| i + 1);
                word_start == 0 || ua[word_start - 1] != b'/'
            }
        }
        _ => false,
    }
}

/// Whether a word ending at `end` ends there: no letter follows.
fn ends_word(ua: &[u8], end: usize) -> bool {
    ua.get(end).is_none_or(|b| !b.is_ascii_alphabetic())
}

/// Whether a tool word at `ua[start..end]` is a whole word or a CamelCase part of one
/// (`Bun/1.1`, `ReactorNetty`, not `Ubuntu` or `FirePHP`'s `PHP` inside a lowercase
/// run), followed by a version if by `/` (`Java/17`, not `Java/ASVM` of a feature phone).
fn is_tool_word(ua: &[u8], start: usize, end: usize) -> bool {
    let first = ua[start];
    let starts = match start.checked_sub(1).map(|i| ua[i]) {
        None => true,
        Some(prev) => {
            !prev.is_ascii_alphanumeric()
                || (prev.is_ascii_lowercase() && first.is_ascii_uppercase())
        }
    };
    let last = ua[end - 1];
    starts && (!last.is_ascii_alphabetic() || ends_word(ua, end)) && has_version(ua, end)
}

/// Whether a product name ending at `end` is followed, if by `/`, by a version:
/// `curl/8.4.0`, `Faraday v2` or `Java/17`, not `Java/ASVM`.
fn has_version(ua: &[u8], end: usize) -> bool {
    let slash = end > 0 && ua[end - 1] == b'/';
    let rest = if slash {
        &ua[end..]
    } else if ua.get(end) == Some(&b'/') {
        &ua[end + 1..]
    } else {
        return true;
    };
    let rest = match rest.first() {
        Some(b'v' | b'V') => &rest[1..],
        _ => rest,
    };
    rest.first().is_some_and(u8::is_ascii_digit)
}

/// Whether a contact token at `ua[start..end]` is one: a URL scheme or `www.` counts as
/// is; `@` needs a word before it and a dotted domain after it (`bot@example.com`,
/// `+claudebot@anthropic.com`); a top-level domain needs a name before it and must end
/// a word (`seo4ajax.com`, not `.NET CLR` or `com.vevo.app`).
fn is_contact(ua: &[u8], start: usize, end: usize) -> bool {
    match ua[start] {
        b'@' => {
            let before = start > 0 && ua[start - 1].is_ascii_alphanumeric();
            let domain = &ua[end..ua.len().min(end + 64)];
            let host_len = domain
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || b"-.".contains(b)))
                .unwrap_or(domain.len());
            let host = &domain[..host_len];
            // The last label is a top-level domain: letters (`ios@8.1.3` is a version).
            let tld = host.rsplit(|&b| b == b'.').next().unwrap_or_default();
            before
                && host.first().is_some_and(u8::is_ascii_alphanumeric)
                && host.contains(&b'.')
                && tld.len() >= 2
                && tld.iter().all(u8::is_ascii_alphabetic)
        }
        b'w' | b'W' => start == 0 || b" +(;,:/".contains(&ua[start - 1]),
        b'.' => {
            start > 0
                && ua[start - 1].is_ascii_alphanumeric()
                && ua.get(end).is_none_or(|b| !b.is_ascii_alphanumeric())
        }
        _ => true,
    }
}

/// Whether a product name ending at `end` is followed by `/` and a digit (`BDCbot/1.0`):
/// a product of its own, not a device model, even in the platform comment.
fn is_versioned(ua: &[u8], end: usize) -> bool {
    ua.get(end) == Some(&b'/') && ua.get(end + 1).is_some_and(u8::is_ascii_digit)
}

/// Whether `Google-` or `-Google` at `ua[start..end]` starts or ends a product name
/// (`Google-Ads-Conversions`, `PlayStore-Google`), not sits inside a word.
fn is_vendor(ua: &[u8], start: usize, end: usize) -> bool {
    if ua[start] == b'-' {
        ends_word(ua, end)
    } else {
        start == 0 || !ua[start - 1].is_ascii_alphanumeric()
    }
}

/// Whether the engine's comment is followed by an item of another product: browsers send
/// `(KHTML, like Gecko)` as is, crawlers add themselves (`(KHTML, like Gecko; Google Web
/// Preview)`, `(KHTML, like Gecko, Foregenix)`). `end` is the end of `like gecko`.
fn has_engine_extra(ua: &[u8], end: usize) -> bool {
    let rest = ua[end..].trim_ascii_start();
    match rest.split_first() {
        Some((b';' | b',', item)) => {
            let item = item.trim_ascii_start();
            item.first().is_some_and(u8::is_ascii_alphabetic)
                && !item.starts_with_ignore_case(b"safari")
                && !item.starts_with_ignore_case(b"chrome")
        }
        _ => false,
    }
}

/// A feature phone (`Profile/MIDP-2.0`, `Configuration/CLDC-1.1`, `J2ME`): its browser
/// names a Java runtime and little else.
fn is_phone(ua: &[u8]) -> bool {
    memmem(ua, b"MIDP") || memmem(ua, b"CLDC") || memmem(ua, b"J2ME")
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `Mozilla/5.0 (compatible; Something…)` and nothing after it: a client that announces a
/// product of its own, with at most one more item (a version, a URL), in the place of a
/// platform, and no engine (`(compatible; MSIE 9.0; …)` has one and is a browser; an old
/// phone's `(compatible; Go.Web/6.5; HandHTTP 1.1; Elaine/1.0; RIM957)` lists a platform).
fn is_compatible_product(ua: &[u8]) -> bool {
    let Some(open) = ua.iter().position(|&b| b == b'(') else {
        return false;
    };
    let close = open + ua[open..].iter().position(|&b| b == b')').unwrap_or(0);
    if !ua.starts_with_ignore_case(b"mozilla/") || close + 1 != ua.len() {
        return false;
    }
    let inner = ua[open + 1..close].trim_ascii();
    if inner.iter().filter(|&&b| b == b';').count() > 2 {
        return false;
    }
    if !inner.starts_with_ignore_case(b"compatible") {
        return false;
    }
    let rest = inner[b"compatible".len()..].trim_ascii_start();
    match rest.split_first() {
        Some((b';' | b',', item)) => item
            .trim_ascii_start()
            .first()
            .is_some_and(u8::is_ascii_alphabetic),
        _ => false,
    }
}

/// A bare name: a program naming itself with nothing else, no platform, engine or
/// comment (`Snipcart/1.0`, `Download Ninja/4.0`, `Panopta v1.1`, `Zapier`,
/// `SendGrid Event API`): what HTTP libraries and integrations send; no browser or app
/// says only that. A single lowercase word is not a name (`asdfgh`, `x`), and neither is
/// `Mozilla/5.0` or `Opera` alone (unknown).
fn is_bare_name(ua: &[u8]) -> bool {
    // Words, then at most one `/` and a version with no space.
    let (words, version) = match ua.iter().position(|&b| b == b'/') {
        Some(slash) => (&ua[..slash], Some(&ua[slash + 1..])),
        None => (ua, None),
    };
    let word_char = |b: &u8| b.is_ascii_alphanumeric() || b"._-:".contains(b);
    let words_ok = words.first().is_some_and(u8::is_ascii_alphabetic)
        && words.iter().all(|b| word_char(b) || *b == b' ');
    if !words_ok || !version.is_none_or(|v| v.iter().all(word_char)) {
        return false;
    }
    let name_len = words.iter().position(|&b| b == b' ').unwrap_or(words.len());
    let first = &words[..name_len];
    if first.eq_ignore_ascii_case(b"mozilla") || first.eq_ignore_ascii_case(b"opera") {
        return false;
    }
    // More than one word, or a version, or a capitalised or CamelCase name.
    let more = name_len < ua.len();
    let capitalised = ua[0].is_ascii_uppercase() && first.len() >= 4;
    let camel = first
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    more || capitalised || camel
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
}

impl AsciiCase for [u8] {
    fn starts_with_ignore_case(&self, prefix: &[u8]) -> bool {
        self.len() >= prefix.len() && self[..prefix.len()].eq_ignore_ascii_case(prefix)
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
        // The flat copy: about two instructions fewer a header byte.
        assert!(matches!(t.automaton, scan::Scanner::Flat(_)));
        for (n, _) in CRAWLERS.iter().chain(SCANNERS).chain(TOOLS) {
            assert_eq!(n.to_ascii_lowercase(), *n);
        }
        let words = [
            STRONG_WORDS,
            TRAILING_WORDS,
            WEAK_WORDS,
            CONTACTS,
            DOMAINS,
            VENDORS,
            TOOL_WORDS,
            APPS,
        ];
        for n in words.iter().flat_map(|l| l.iter()) {
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
    fn in_app_browsers_and_phones_stay_browsers() {
        let browsers = [
            "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/444.0.0.35.118;]",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 Instagram 343.0.0.33.101 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 627400398)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0",
            "Mozilla/5.0 (Linux; Android 12; V2145A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5235 MMWEBSDK/20230805 MMWEBID/3628 MicroMessenger/8.0.42.2460(0x28002A35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
            "Mozilla/5.0 (Linux; Android 11; CPH2239 Build/RP1A.200720.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.80 Mobile Safari/537.36 trill_310903 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/31.9.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.44.0.35 (like Safari/8615.3.12.10.3, panda)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
            "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.127 Mobile Safari/537.36 GSA/15.35.43.29.arm64",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/330.0.661049003 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.4.4.97.00 SA/3 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; U; Android 11; en-US; RMX2185 Build/RP1A.201005.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.4.0.1306 Mobile Safari/537.36",
            // Phones whose model holds a bot-like word, in the platform comment or not.
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; CUBOT_X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; Cubot P40) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; KINGKONG 9 Build/SP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/444.0;FBMF/Cubot;FBDV/KINGKONG 9;]",
            "Mozilla/5.0 (Linux; Android 4.0.4; HTC Ruby Build/IMM76D) AppleWebKit/535.19 (KHTML, like Gecko) Chrome/18.0.1025.166 Mobile Safari/535.19",
            // A browser named with a bot-like word: `Bot` is the modifier, not the head.
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 BotBrowser/1.0",
        ];
        for s in browsers {
            assert_eq!(
                ua(s),
                UserAgentClass {
                    kind: ClientKind::Browser,
                    name: None
                },
                "{s}"
            );
        }
        for s in [
            "BotBrowser/1.0 Chrome/120",
            "CamScanner/6.32",
            "Scanner Pro/8.2",
        ] {
            assert_eq!(ua(s).kind, ClientKind::Unknown, "{s}");
        }
    }

    #[test]
    fn the_long_tail_of_bots() {
        let crawlers = [
            "Mozilla/5.0 (compatible; NewThingBot/0.1; +https://x.example)",
            "SomeMonitor/1.0 (+https://status.example)",
            "my-scraper/0.1 (contact@example.com)",
            "yacybot (/global; amd64 Linux 5.2.8; java 12.0.2; Europe/en) http://yacy.net/bot.html",
            "Mozilla/5.0 (compatible; Attracta)",
            "kagi-fetcher/1.0",
            "Buttondown RSS-Feed-Parser/1.0",
            "montastic-monitor www.montastic.com",
            "Chatwork LinkPreview v1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; Google Web Preview) Chrome/27.0.1453 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; BDCbot/1.0; +http://bigweb.bigdatacorp.com.br/faq.aspx) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/69.0.3497.100 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.97 Safari/537.36 (Acme-Monitor)",
            "Mozilla/5.0 AppleWebKit/537.36 Chrome/139.0.7258.127 Safari/537.36 Google-Ads-Conversions",
            "seo4ajax.com",
        ];
        for s in crawlers {
            assert_eq!(ua(s).kind, ClientKind::Crawler, "{s}");
        }
        let tools = [
            ("python-requests/2.31", Some("python-requests")),
            ("Deno/1.40", Some("Deno")),
            ("Bun/1.1.8", Some("Bun")),
            ("curl", Some("curl")),
            ("Dart/3.1 (dart:io)", Some("Dart")),
            ("ReactorNetty/1.1.10", None),
            (
                "Apache-HttpClient/4.5.14 (Java/17.0.8)",
                Some("Apache-HttpClient"),
            ),
            ("rust-reqwest/0.11", Some("reqwest")),
            ("Snipcart/1.0", None),
            ("Download Ninja/4.0", None),
            ("Zapier", None),
        ];
        for (s, name) in tools {
            assert_eq!(
                ua(s),
                UserAgentClass {
                    kind: ClientKind::Tool,
                    name
                },
                "{s}"
            );
        }
        // Named crawlers keep their own names.
        assert_eq!(
            ua("Mozilla/5.0 (compatible; Pleroma 2.6.0; +https://social.example)").name,
            Some("Pleroma")
        );
        assert_eq!(
            ua("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3694.0 Safari/537.36 Chrome-Lighthouse"),
            UserAgentClass { kind: ClientKind::Tool, name: Some("Lighthouse") }
        );
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
