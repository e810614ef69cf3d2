//! Regex signatures: the few that need structure, not just a literal, all compiled into
//! one regex set. See [`Pattern`](super::Pattern) for the haystack they see and what
//! `needs` promises; every one is a payload rule (it fires on allow-listed paths too).
//! Whitespace in a haystack is a space, CR or LF: the decoder folds the rest into spaces.

use super::super::ProbeCategory::{self, *};
use super::Pattern;

const fn p(
    category: ProbeCategory,
    rule: &'static str,
    regex: &'static str,
    needs: &'static [&'static [u8]],
) -> Pattern {
    Pattern {
        category,
        rule,
        regex,
        needs,
    }
}

const QUOTES: &[&[u8]] = &[b"'", b"\"", b"`"];

/// Every regex signature.
#[rustfmt::skip]
pub(in super::super) const PATTERNS: &[Pattern] = &[
    // Struts/OGNL `%{...}` expressions (`%{7*7}`, `%{(#...)}`).
    p(Framework, "ognl-injection", r"%\{[^}\x00]*(?:#|@|\(|[0-9]\s*\*\s*[0-9])", &[b"%{"]),

    // PHP-CGI: a query without `=` becomes command-line arguments (CVE-2012-1823), and the
    // soft hyphen `%AD` passes for `-` on Windows (CVE-2024-4577).
    p(Cgi, "php-cgi-argument", r"^\?(?:-|\xad)[a-z]", &[b"?-", b"?\xad"]),
    p(Cgi, "php-cgi-argument",
        concat!(
            r"(?:-|\xad)d\s{0,4}(?:allow_url_include|auto_prepend_file|auto_append_file",
            r"|safe_mode|open_basedir|disable_functions|cgi\.force_redirect|suhosin)",
        ),
        &[
            b"allow_url_include", b"auto_prepend_file", b"auto_append_file", b"safe_mode",
            b"open_basedir", b"disable_functions", b"cgi.force_redirect", b"suhosin",
        ]),
    // Shellshock: a function definition, `() { :; };`.
    p(Cgi, "shellshock", r"\(\s*\)\s*\{[^}\x00]*;\s*\}\s*;", &[b"("]),

    // `../` after a separator, once decoded (`....//` included).
    p(Traversal, "dot-dot-slash", r#"(?:^|[=/:,;&\s"'(|?*])\.{2,};?/"#, &[b".."]),

    // SQL: UNION SELECT, then a column list (a value, a call, `a,` or `a from`).
    p(Injection, "sql-injection",
        concat!(
            r"union(?:\s|/\*[^*]*\*/|\()+(?:(?:all|distinct)(?:\s|/\*[^*]*\*/)+)?",
            r"select(?:\s|/\*[^*]*\*/|\()+",
            r#"(?:null|[0-9@'"(*]|0x|concat|char|group_concat|version|user|database|table_name"#,
            r"|column_name|load_file|from|[a-z_]+\(|[a-z0-9_.]+\s*,|[a-z0-9_.]+\s+from\s)",
        ),
        &[b"union"]),
    // SQL: a closing quote, then OR/AND and a comparison (`1' or '1'='1`)...
    p(Injection, "sql-injection",
        concat!(
            r#"['"`]\)*\s*(?:or|and|xor|\|\||&&)\s*\(?\s*['"]?[a-z0-9_]*['"]?\s*"#,
            r"(?:=|<>|!=|<|>|like\s|is\s|regexp\s|rlike\s|between\s)",
        ),
        QUOTES),
    // ... or a constant or a query (`' or true`, `' and sleep(5)`) ...
    p(Injection, "sql-injection",
        r#"['"`]\)*\s*(?:or|and)\s+(?:true|false|sleep|benchmark|if|exists|select)\b"#, QUOTES),
    // ... or a comment (`admin'--`). (`or 1=1` and `order by 3--` are checked in code.)
    p(Injection, "sql-injection", r#"['"`]\)*\s*(?:--|/\*)|'\s*#"#, QUOTES),
    // SQL: a stacked query.
    p(Injection, "sql-injection",
        concat!(
            r";\s*(?:drop|select|insert|update|delete|shutdown|exec|execute|declare|waitfor",
            r"|create|alter|truncate)\s",
        ),
        &[b";"]),
    // SQL: time- and error-based functions, as called in an injection (not `time.sleep(1)`).
    p(Injection, "sql-injection", r"(?:^|[^a-z0-9_.])(?:pg_)?sleep\s*\(\s*[0-9]", &[b"sleep"]),
    p(Injection, "sql-injection",
        r"benchmark\s*\(\s*[0-9]+\s*,|waitfor\s+delay\s|(?:extractvalue|updatexml)\s*\(",
        &[b"benchmark", b"waitfor", b"extractvalue", b"updatexml"]),
    p(Injection, "sql-injection",
        concat!(
            r"(?:^|[^a-z0-9_])(?:and|or)\s{1,4}",
            r"(?:sleep|benchmark|extractvalue|updatexml|exists|select|ascii|substring|char)\s*\(",
        ),
        &[
            b"sleep", b"benchmark", b"extractvalue", b"updatexml", b"exists", b"select",
            b"ascii", b"substring", b"char",
        ]),

    // XSS: script-ish tags, event handlers inside a tag or after a quote, script URLs, and
    // a quote breaking out into a call.
    p(Injection, "xss",
        r"<\s*/?\s*script[\s/>]|<\s*(?:iframe|object|embed|frameset|applet|isindex|base)[\s/>]",
        &[b"<"]),
    p(Injection, "xss", r#"<[a-z]+[^>\x00]*[\s/"'](?:on[a-z]{3,})\s*="#, &[b"<"]),
    p(Injection, "xss",
        concat!(
            r#"(?:^|[\s/"';])on(?:error|load|mouseover|focus|click|begin|toggle|pointerenter"#,
            r"|animationstart|mouseenter|auxclick|wheel|blur|pageshow|start|finish)",
            r#"\s*=\s*[a-z(`'"]"#,
        ),
        &[
            b"onerror", b"onload", b"onmouseover", b"onfocus", b"onclick", b"onbegin",
            b"ontoggle", b"onpointerenter", b"onanimationstart", b"onmouseenter", b"onauxclick",
            b"onwheel", b"onblur", b"onpageshow", b"onstart", b"onfinish",
        ]),
    p(Injection, "xss",
        concat!(
            r"(?:java|vb)script\s*:\s*(?://|(?:alert|prompt|confirm|eval|document|window",
            r"|location|fetch|top|self|parent|this|void)\b|[a-z_$][a-z0-9_$.]*\s*[(`=])",
        ),
        &[b"script"]),
    p(Injection, "xss", r#"['"]\s*[-+;,)]*\s*(?:alert|prompt|confirm)\s*[(`]"#, &[b"'", b"\""]),

    // Template injection: arithmetic probes (`{{7*7}}`, `${7*7}`) and object walks.
    p(Injection, "template-injection",
        r#"\{\{[^}\x00]*[0-9]['"]?\s*[*+]\s*['"]?[0-9][^}\x00]*\}\}"#, &[b"{{"]),
    p(Injection, "template-injection", r"[$#*@]\{\s*[0-9]+\s*[*+]\s*[0-9]+\s*\}", &[b"{"]),
    p(Injection, "template-injection",
        concat!(
            r"\{\{[^}\x00]*(?:__class__|\.constructor|self\._|config\.items",
            r"|request\.application|lipsum\.|cycler\.)",
        ),
        &[b"{{"]),

    // Log4Shell and its obfuscations: lookups, and lookups nested in lookups.
    p(Injection, "log4shell-jndi",
        concat!(
            r"\$\{\s*(?:jndi|lower|upper|env|sys|java|ctx|date|main|base64|web|docker|k8s",
            r"|spring|log4j|bundle|marker|sd|map|event)\s*:|\$\{[^}\x00]*\$\{",
        ),
        &[b"${"]),

    // Command injection: a separator, then a shell command...
    p(Injection, "command-injection",
        concat!(
            r"(?:;|\||&&|\$\(|`|\n)\s*(?:cat|id|whoami|uname|ls|pwd|wget|curl|nc|ncat|netcat",
            r"|bash|sh|zsh|echo|ping|nslookup|rm|cd|chmod|busybox|python[0-9.]*|perl|ruby|tftp",
            r"|powershell|cmd(?:\.exe)?|ifconfig|ipconfig|sleep|telnet|hostname|printenv|sudo",
            r"|reboot|mkfifo|/bin/[a-z]+|/usr/bin/[a-z]+|/tmp/[a-z0-9._-]+)(?:[\s;|&<>$)`+,]|$)",
        ),
        &[b";", b"|", b"&&", b"$(", b"`", b"\n"]),
    // ... a download of a payload, from an IP address or of a script or binary ...
    p(Injection, "command-injection",
        concat!(
            r"(?:wget|curl|tftp)\s+(?:-[a-z-]+\s+)*(?:(?:https?|ftp)://)?",
            r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        ),
        &[b"wget", b"curl", b"tftp"]),
    p(Injection, "command-injection",
        concat!(
            r"(?:wget|curl)\s+[^\s\x00]*\s*(?:https?|ftp)://[^\s\x00]+",
            r"\.(?:sh|pl|py|bin|elf|arm[0-9]*|mips|mpsl|x86|i686|m68k|ppc|sh4)(?:[\s;|&]|$)",
        ),
        &[b"wget", b"curl"]),
    // ... or a shell run with a command.
    p(Injection, "command-injection", r"/bin/(?:ba)?sh(?:\s+-[ci]|\s*[;|]|$)", &[b"/bin/"]),

    // NoSQL operators where a value should be (not OData's `$filter`, `$select`).
    p(Injection, "nosql-injection",
        concat!(
            r"\[\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|exists|where|or|and|not|nor|expr",
            r"|elemmatch)\]|(?:^|[^a-z0-9_])\$where\b",
            r#"|\{\s*"?\$(?:ne|gt|gte|lt|lte|regex|where|nin|or|exists|expr)"?\s*:"#,
        ),
        &[b"[$", b"$where", b"{"]),
    // LDAP filter injection: `*)(uid=*`, `)(|(cn=*`.
    p(Injection, "ldap-injection",
        r"\*\)\s*\(\s*[|&!]?\s*\(?\s*[a-z]+\s*[=~<>]|\)\s*\(\s*[|&]\s*\(\s*[a-z]+\s*=\s*\*",
        &[b")"]),
    // CRLF: a response header after a line break (a line break in the path is checked in
    // code).
    p(Injection, "crlf-injection",
        concat!(
            r"[\r\n]+\s*(?:set-cookie|location|content-type|content-length|refresh|x-[a-z0-9-]+",
            r"|access-control-[a-z-]+|host|cookie|transfer-encoding)\s*:",
        ),
        &[b"\r", b"\n"]),
];
