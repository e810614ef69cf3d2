//! RFC 9309's examples and Google's documented ones
//! (<https://developers.google.com/search/docs/crawling-indexing/robots/robots_txt>).

use super::RobotsTxt;

fn allowed(robots: &str, agent: &str, path: &str) -> bool {
    let agent = (agent != "*").then_some(agent);
    RobotsTxt::parse(robots).allows(agent, path)
}

/// RFC 9309 §5.1.
#[test]
fn rfc_simple_example() {
    let robots = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n\
                  User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n\
                  User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n\
                  User-Agent: quxbot\n\nEOF\n";
    let r = RobotsTxt::parse(robots);
    // foobot: everything but the two pages.
    assert!(r.allows(Some("foobot"), "/example/page.html"));
    assert!(r.allows(Some("FooBot"), "/example/allowed.gif"));
    assert!(!r.allows(Some("foobot"), "/example/other.html"));
    assert!(!r.allows(Some("foobot"), "/"));
    // barbot and bazbot share a group.
    for bot in ["barbot", "bazbot"] {
        assert!(!r.allows(Some(bot), "/example/page.html"));
        assert!(r.allows(Some(bot), "/example/other.html"));
        assert!(r.allows(Some(bot), "/x.gif"), "its own group, not *");
    }
    // quxbot has a group with no rules: everything is allowed, `*` is not used.
    assert!(r.allows(Some("quxbot"), "/example/x"));
    assert!(r.allows(Some("quxbot"), "/a.gif"));
    // Everyone else: the `*` group.
    assert!(!r.allows(Some("otherbot"), "/a/b.gif"));
    assert!(r.allows(Some("otherbot"), "/a/b.gif?x"));
    assert!(!r.allows(Some("otherbot"), "/example/x"));
    assert!(r.allows(Some("otherbot"), "/publications/x"));
    assert!(!r.allows(None, "/example/"));
}

/// RFC 9309 §5.2: the longest match wins.
#[test]
fn rfc_longest_match() {
    let robots =
        "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n";
    assert!(allowed(robots, "foobot", "/example/page/"));
    assert!(allowed(robots, "foobot", "/example/page/ok.gif"));
    assert!(!allowed(robots, "foobot", "/example/page/disallowed.gif"));
}

/// RFC 9309 §2.2.1: groups naming the same crawler are merged.
#[test]
fn rfc_groups_merge() {
    let robots = "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\n\
                  user-agent: examplebot\ndisallow: /baz\n\nuser-agent: *\ndisallow: /qux\n";
    for p in ["/foo", "/bar", "/baz/1"] {
        assert!(!allowed(robots, "ExampleBot", p), "{p}");
    }
    assert!(allowed(robots, "ExampleBot", "/qux"), "* is not merged in");
    assert!(!allowed(robots, "other", "/qux"));
}

/// RFC 9309 §2.2.2–2.2.3: percent-encoding, special characters, comments.
#[test]
fn rfc_encoding_and_special_characters() {
    let robots = "User-agent: *\nDisallow: /foo/bar?baz=https://foo.bar\n\
                  Disallow: /foo/bar/\u{30C4}\nDisallow: /%62%61%7A\n\
                  allow: / # comment in line\n# comment on its own line\n\
                  Disallow: /this/path/exactly$\nDisallow: /that/*/exactly\n";
    assert!(!allowed(robots, "*", "/foo/bar?baz=https://foo.bar"));
    // Reserved characters stay as written: `%2F` is not `/` (hex case is normalised).
    assert!(allowed(robots, "*", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"));
    let encoded = "User-agent: *\nDisallow: /q?u=https%3A%2F%2Fx\n";
    assert!(!allowed(encoded, "*", "/q?u=https%3a%2f%2fx"));
    assert!(allowed(encoded, "*", "/q?u=https://x"));
    assert!(!allowed(robots, "*", "/foo/bar/%E3%83%84"));
    assert!(!allowed(robots, "*", "/foo/bar/%e3%83%84"));
    assert!(!allowed(robots, "*", "/baz"));
    assert!(!allowed(robots, "*", "/ba%7a"));
    assert!(!allowed(robots, "*", "/this/path/exactly"));
    assert!(allowed(robots, "*", "/this/path/exactly/not"));
    assert!(!allowed(robots, "*", "/that/one/exactly/too"));
    assert!(allowed(robots, "*", "/that/exactly"));
}

/// RFC 9309 §2.2.2: `/robots.txt` is always allowed; an empty `Disallow` allows all.
#[test]
fn rfc_robots_txt_and_empty_disallow() {
    assert!(allowed("User-agent: *\nDisallow: /\n", "x", "/robots.txt"));
    assert!(!allowed(
        "User-agent: *\nDisallow: /\n",
        "x",
        "/robots.txt.bak"
    ));
    assert!(allowed("User-agent: *\nDisallow:\n", "x", "/anything"));
    assert!(allowed("", "x", "/anything"));
}

/// Junk, rules before any group, other records, odd line ends and a BOM.
#[test]
fn junk_is_ignored() {
    let robots = "\u{FEFF}Disallow: /before-any-group\r\nthis is not a rule\r\n\
                  User-agent: *\r\nSitemap: https://example.com/sitemap.xml\r\n\
                  Crawl-delay: 10\r\nnonsense: /x\rDisallow: /private\n:\n\u{0}\u{1}\n";
    assert!(allowed(robots, "x", "/before-any-group"));
    assert!(allowed(robots, "x", "/x"));
    assert!(!allowed(robots, "x", "/private/1"));
    // A `Sitemap` line between `User-agent` lines does not split the group.
    let robots = "User-agent: a\nSitemap: /s.xml\nUser-agent: b\nDisallow: /p\n";
    assert!(!allowed(robots, "a", "/p") && !allowed(robots, "b", "/p"));
    // A `User-agent` value is its product token.
    assert!(!allowed(
        "User-agent: Googlebot/2.1 (+http://x)\nDisallow: /p\n",
        "googlebot",
        "/p"
    ));
}

/// Only the first 500 KiB count.
#[test]
fn file_is_capped() {
    let mut robots = String::from("User-agent: *\nDisallow: /early\n");
    while robots.len() < super::MAX_ROBOTS_TXT {
        robots.push_str("# padding padding padding padding padding padding\n");
    }
    robots.push_str("Disallow: /late\n");
    let r = RobotsTxt::parse(&robots);
    assert!(!r.allows(Some("x"), "/early"));
    assert!(r.allows(Some("x"), "/late"));
}

/// Google's table of path matches.
#[test]
fn google_path_matching() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("/", &["/", "/anything"], &[]),
        ("/*", &["/", "/anything"], &[]),
        ("/$", &["/"], &["/page", "/?x"]),
        (
            "/fish",
            &[
                "/fish",
                "/fish.html",
                "/fish/salmon.html",
                "/fishheads",
                "/fishheads/yummy.html",
                "/fish.php?id=anything",
            ],
            &["/Fish.asp", "/catfish", "/?id=fish", "/desert/fish"],
        ),
        (
            "/fish*",
            &[
                "/fish",
                "/fish.html",
                "/fish/salmon.html",
                "/fishheads",
                "/fish.php?id=anything",
            ],
            &["/Fish.asp", "/catfish", "/?id=fish", "/desert/fish"],
        ),
        (
            "/fish/",
            &["/fish/", "/fish/?id=anything", "/fish/salmon.htm"],
            &["/fish", "/fish.html", "/animals/fish/", "/Fish/Salmon.asp"],
        ),
        (
            "/*.php",
            &[
                "/index.php",
                "/filename.php",
                "/folder/filename.php",
                "/folder/filename.php?parameters",
                "/folder/any.php.file.html",
                "/filename.php/",
            ],
            &["/", "/windows.PHP"],
        ),
        (
            "/*.php$",
            &["/filename.php", "/folder/filename.php"],
            &[
                "/filename.php?parameters",
                "/filename.php/",
                "/filename.php5",
                "/windows.PHP",
            ],
        ),
        (
            "/fish*.php",
            &["/fish.php", "/fishheads/catfish.php?parameters"],
            &["/Fish.PHP"],
        ),
    ];
    for (pattern, matching, not_matching) in cases {
        let robots = format!("User-agent: *\nDisallow: {pattern}\n");
        for p in *matching {
            assert!(!allowed(&robots, "x", p), "{pattern} should match {p}");
        }
        for p in *not_matching {
            assert!(allowed(&robots, "x", p), "{pattern} should not match {p}");
        }
    }
}

/// Google's order of precedence: the longest rule, then the least restrictive.
#[test]
fn google_precedence() {
    let r = |rules: &str, path: &str| allowed(&format!("User-agent: *\n{rules}\n"), "x", path);
    assert!(r("allow: /p\ndisallow: /", "/page"));
    assert!(r("allow: /folder\ndisallow: /folder", "/folder/page"));
    assert!(r("disallow: /folder\nallow: /folder", "/folder/page"));
    assert!(!r("allow: /page\ndisallow: /*.htm", "/page.htm"));
    assert!(r("allow: /page\ndisallow: /*.ph", "/page.php5"));
    assert!(r("allow: /$\ndisallow: /", "/"));
    assert!(!r("allow: /$\ndisallow: /", "/page.htm"));
}

/// Google's user-agent example, with the fallback for `Googlebot-*` crawlers.
#[test]
fn google_user_agent_groups() {
    let robots = "user-agent: googlebot-news\ndisallow: /1\n\n\
                  user-agent: *\ndisallow: /2\n\n\
                  user-agent: googlebot\ndisallow: /3\n";
    let group = |agent: &str| {
        let r = RobotsTxt::parse(robots);
        (1..=3)
            .find(|n| !r.allows(Some(agent), &format!("/{n}")))
            .unwrap_or(0)
    };
    assert_eq!(group("Googlebot-News"), 1);
    assert_eq!(group("Googlebot"), 3);
    assert_eq!(group("Googlebot-Image"), 3);
    assert_eq!(group("Otherbot"), 2);
    assert_eq!(group("AdsBot-Google-Mobile"), 2);
    // The fallback stops at the name: `Googlebot` never obeys `googlebot-news`.
    let only_news = "user-agent: googlebot-news\ndisallow: /\n";
    assert!(allowed(only_news, "Googlebot", "/x"));
}

/// A question costs no allocation, even for a target that needs normalising
/// (the thread's buffer is reused).
#[test]
fn matching_is_cheap() {
    let r = RobotsTxt::parse("User-agent: *\nDisallow: /caf%C3%A9/\nDisallow: /*.gif$\n");
    assert!(!r.allows(None, "/café/menu"));
    assert!(!r.allows(Some("bot"), "/caf%c3%a9/menu"));
    // Long targets with many near-matches stay linear enough to be instant.
    let long = format!("/{}", "a.gi".repeat(4000));
    assert!(r.allows(None, &long));
}
