//! Probe detection: recognises the requests of vulnerability scanners and bots, and tells
//! browsers, crawlers, scanners and tools apart by their `User-Agent`.
//!
//! [`Classifier::classify`] looks at a request's method, target and user agent and
//! returns a [`ProbeMatch`]: a [`ProbeCategory`] and the stable id of the rule that
//! matched. [`Classifier::user_agent`] returns a [`UserAgentClass`]. Both are pure
//! functions of their input; the `ProbeDetector` layer puts them on the request path.
//!
//! ```
//! use http::Method;
//! use reqlog::probe::{Classifier, ClientKind, ProbeCategory};
//!
//! let classifier = Classifier::default();
//! let m = classifier
//!     .classify(&Method::GET, "/..%252f..%252f..%252fetc%252fpasswd", None)
//!     .unwrap();
//! assert_eq!(m.category, ProbeCategory::Traversal);
//! assert_eq!(classifier.classify(&Method::GET, "/search?q=select+statements+in+sql", None), None);
//! assert_eq!(classifier.user_agent(Some(b"sqlmap/1.7.2#stable")).kind, ClientKind::Scanner);
//! ```
//!
//! # Categories
//!
//! From the most specific to the least (the order that decides when several match):
//!
//! - `webshell`: a shell someone uploaded, or any script in an upload folder:
//!   `/wp-content/uploads/2023/05/c99.php`, `/.well-known/x.php`, `/cmd.jsp`.
//! - `iot`: routers, cameras, DVRs, NAS, VPN and firewall appliances:
//!   `/boaform/admin/formLogin`, `/HNAP1/`, `/remote/fgt_lang`, `/dana-na/…`.
//! - `framework`: exploits and debug endpoints of frameworks and servers:
//!   `/actuator/env`, `/_ignition/execute-solution`, `/vendor/phpunit/…/eval-stdin.php`.
//! - `secrets`: dotfiles, VCS metadata, keys, configs, dumps, backups and archives:
//!   `/.env`, `/.git/config`, `/wp-config.php.bak`, `/backup.zip`.
//! - `wordpress`: login, XML-RPC, wp-admin/includes/content, plugins, user enumeration:
//!   `/wp-login.php`, `/xmlrpc.php`, `/?author=1`.
//! - `cgi`: CGI scripts, shellshock, PHP-CGI argument injection: `/cgi-bin/test.cgi`.
//! - `traversal`: `../` in any encoding, system files, `file://`, null bytes:
//!   `/%2e%2e/%2e%2e/etc/passwd`, `/?file=....//....//etc/shadow`.
//! - `injection`: SQL, XSS, command, template, NoSQL, LDAP, CRLF and JNDI payloads in
//!   the path or the query: `/?id=1%20UNION%20SELECT%20NULL--`, `/?x=${jndi:ldap://…}`.
//! - `admin`: generic admin panels, Tomcat manager, `server-status`: `/administrator/`.
//! - `php`: phpMyAdmin/Adminer, `phpinfo`, Xdebug, any stray `.php`: `/pma/`, `/x.php`.
//!
//! So `webshell > iot > framework > secrets > wordpress > cgi > traversal > injection >
//! admin > php` ([`ProbeCategory::PRECEDENCE`]): the product attacked beats the technique,
//! a known shell name beats the folder it sits in. Within a category the first rule of
//! the built-in tables (then the user's rules, in order) names the match.
//!
//! Paths that browsers and crawlers ask for on their own (`/favicon.ico`, `/robots.txt`,
//! `/.well-known/…`, icons, manifests, sitemaps) are never probes, unless a server-side
//! script is asked for inside them. [`ProbeRules::allow_path`] adds the site's own
//! routes; payloads (traversal, injection, shellshock) are still reported on them.
//!
//! Injection rules require attack syntax, not words: a closing quote then `or` and a
//! comparison, `union select` then a column list, `sleep(` as called in SQL (not
//! `time.sleep(1)`), `<script`, `javascript:` then code. A search for "select statements
//! in sql", a post about WordPress logins or an OData `$filter=Name eq 'x'` pass.
//!
//! # Normalisation
//!
//! Scanners encode their paths to slip past naive matching, so matching happens on
//! normalised forms ([`normalize_path`] shows the normal form): percent-decoding to a
//! fixed point (double, triple, nested encodings), `%uXXXX`, overlong UTF-8 (`%c0%af` is
//! `/`) and full-width forms, ASCII case folding, `\` as `/`, tabs as spaces, null bytes
//! removed (and reported as `traversal`), `//` and `/./` collapsed, `;params` and
//! trailing dots and spaces cut from segments, `..` resolved. Dot segments are detected
//! before they are resolved, and path signatures see the decoded path too, so
//! `/cgi-bin/.%2e/.%2e/bin/sh` is both a CGI request and a traversal (reported as `cgi`).
//!
//! # Clients
//!
//! [`Classifier::user_agent`] looks the header up in one case-insensitive automaton of
//! some 500 tokens (crawlers by their own names, scanners, tools, rendering engines, and
//! the words, contacts and library names of bots not in those tables); the strongest
//! kind found wins: scanner > crawler > tool > browser. See [`ClientKind`].
//! Scanner tokens count only as product tokens, not inside other words: `Nmap` and
//! `Burp` are scanners, `Snmapper` and `Burpee Fitness` are not; the generic word
//! `scanner` counts only qualified (`Security Scanner`, `VulnScanner`) or as a comment
//! item (`(compatible; Scanner)`), so document-scanner apps (`CamScanner/6.32`,
//! `Scanner Pro/8.2`) are not scanners.
//!
//! A bot not in the tables is still a bot: a crawler by a word that ends a word of a
//! product name or comment item (`NewThingBot`, `-crawler`, `spider`, `kagi-fetcher`,
//! `LinkPreview`, `RSS-Feed-Parser`, `uptime monitor`), a contact URL or e-mail address,
//! or `Mozilla/5.0 (compatible; Name)` alone; a tool by a library or runtime name
//! (`python`, `java`, `node`, `Deno`, `HttpClient`, `Netty`…) or a bare name
//! (`Snipcart/1.0`). Words are tokens, not substrings, and weigh less in a browser's user
//! agent: a device model in the platform comment (`CUBOT X30`), an in-app browser's own
//! product (`Instagram 343.0`, `MicroMessenger/8.0`, `GSA/15.35`) or `BotBrowser` do not
//! make a bot. On public lists (`tests/user_agents.rs`): 96 % of 2,202 bots are read as
//! bots, none of 2,953 browsers.
//!
//! # Verified crawlers
//!
//! A user agent is only a claim. With [`ProbeDetector::verify_crawlers`] and a
//! [`CrawlerVerifier`], a crawler's address is checked against its operator's
//! published ranges (in line) or by forward-confirmed reverse DNS (cargo feature
//! `verify-dns`, off the request path), and the line says `visitor.verified`;
//! [`ProbeDetector::block_impostors`] refuses failed claims. See [`CrawlerVerifier`]
//! for the data, its refresh, the cost and what it will not catch.
//!
//! # robots.txt
//!
//! With [`ProbeDetector::robots_txt`], a crawler's request for a path the site's
//! robots.txt disallows for that crawler says `robots.disallowed: true`; see
//! [`RobotsTxt`] for the matching rules (RFC 9309) and which group a crawler obeys.
//!
//! # Cost
//!
//! Classifying is flat in the number of rules. All literal signatures, built-in and
//! custom, are compiled into one Aho-Corasick DFA, run once over the decoded path, the
//! normal path (when it differs) and the decoded query laid end to end; a long haystack is
//! scanned as two interleaved halves. The few signatures that need structure (SQL syntax,
//! template arithmetic, script URLs) form one regex set; each declares literals it cannot
//! match without, which sit in the same automaton as triggers, and the set runs only if
//! one was seen, from just before the first, and only if one of its rules could still
//! beat what the literals found (custom regex rules are a second set, run on the normal
//! path, only when there are some). The rest are a few checks per occurrence, each
//! reading a bounded neighbourhood of it (what they need of the whole path, such as
//! whether its last segment is a script, is found once per request), so the work stays
//! linear in the input whatever it repeats: 8 KiB of `/upload` segments or of `c=id&`
//! cost about twice an ordinary 8 KiB path, not a hundred times
//! (`cost_tests.rs` counts the work).
//!
//! Decoding is one pass (nested encodings included) into a thread-local buffer, so a
//! request that matches nothing allocates nothing once the buffer has grown: at most
//! [`MAX_INPUT`] bytes of path and as many of query are looked at (2 KiB of user agent),
//! so the buffer stays under ~25 KiB per thread. A match found by a literal costs one
//! reference-count increment; one found by a regex, one small allocation.
//!
//! Reference figures (criterion, `benches/probe.rs`, on a busy shared 2-vCPU VM, so
//! ±25 %): a 31-byte path about 0.2–0.25 µs, a 65-byte probe 0.65–0.8 µs, a 56-byte query
//! 0.35 µs, a 320-byte query with quotes (which runs the regex pass too) 1.6 µs: decoding
//! and the automaton cost about 3 ns per byte between them. With 7,000 custom rules on top
//! the figures stay within noise (the long query about 10 % more, as the automaton grows
//! out of cache). A browser user agent takes about 0.4 µs, a 200-byte crawler one 0.55 µs.
//! Memory: the built-in automaton takes about 2.6 MiB and the user-agent one 1.2 MiB, both
//! built once per process (about 11 ms) and shared by `Classifier::default()`; custom
//! literals grow the automaton (7,000 of them: about 10 MiB); the regex set keeps a
//! lazy-DFA cache in each thread that runs it.
//!
//! # What it will not catch
//!
//! - Anything in a request body: POST payloads, uploaded files, JSON bodies.
//! - Headers other than the user agent (only shellshock and Log4Shell are looked for
//!   there): payloads in `Referer`, `Cookie`, `X-Forwarded-For` pass unseen.
//! - Novel exploits with no path marker: a zero-day against a route the signatures do
//!   not know, or a probe for a plausible path of the site itself.
//! - Low-and-slow scanners with browser user agents asking for ordinary-looking paths;
//!   the detector's rate rule (many 404s from one client) is there for those.
//! - Obfuscations the normaliser does not undo: payloads split across parameters, SQL
//!   keywords broken up in ways the patterns do not allow for, HTML entities.
//! - Crawlers not in the table are recognised by generic markers (`…bot/1.0`, `spider`,
//!   `crawler`) but get no name; a bot that sends a browser's user agent is a browser.

mod category;
mod checks;
mod classify;
mod compile;
mod crawlers;
mod decode;
mod inject;
mod normalize;
mod payload;
mod rules;
mod scan;
mod signatures;

#[cfg(test)]
mod cost_tests;
#[cfg(test)]
mod heldout;

// ---- Middleware (layer, service, 404-rate rule) ----
// The `ProbeDetector` layer files are declared here, e.g. `mod layer; mod service;
// mod rate;`, with their re-exports below the ones of the classification engine.
mod future;
mod layer;
mod rate;
mod robots;
mod service;
#[cfg(feature = "redis")]
mod share;
mod verdict;
mod verify;

pub use future::ResponseFuture;
pub use layer::{Block, ProbeDetector};
pub use rate::ScanRule;
pub use robots::{RobotsTxt, MAX_ROBOTS_TXT};
pub use service::ProbeDetectorService;
#[cfg(feature = "redis")]
pub use share::{RedisState, RedisStateError};
pub use verdict::ProbeVerdict;
pub use verify::{CrawlerVerifier, RangesError};

pub use category::{ProbeCategory, ProbeMatch};
pub use classify::Classifier;
pub use crawlers::{ClientKind, UserAgentClass};
pub use normalize::{normalize_path, MAX_INPUT};
pub use rules::{CustomRule, ProbeRules, RuleError};
