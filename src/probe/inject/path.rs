//! File inclusion and path traversal (family `lfi`).
//!
//! On the decoded, lower-case value:
//!
//! - traversal: `..` then `/` or `\` anywhere (every encoding of them is undone by the
//!   decoder: `%2e%2e%2f`, `%c0%ae`, `..%255c`, `%uff0e`);
//! - a stream wrapper at the start: `php://`, `file:`, `zip://`, `phar://`, `expect://`,
//!   `glob://`, `data:` (not `data:text/html`, which is markup), `compress.zlib://`, …;
//! - a Windows path: a drive (`c:\`, `c:/`), a UNC path, `\dir\…`, `%systemroot%`;
//! - an absolute Unix path into a system location: its first directory is one only the
//!   operating system or a server keeps (`/etc`, `/proc`, `/var`, `/usr`, `/root`, …),
//!   or, under a directory a site could also have as a route (`/home`, `/users`,
//!   `/library`), a file only a server has: a dotfile, a log, a config, a key
//!   (`/home/u/.ssh/id_rsa`, `/library/logs/x.log`); `~/.x` and `~user/`;
//! - a relative path from a system root (`etc/passwd`, `windows/win.ini`,
//!   `web-inf/web.xml`) or a bare name of a file that holds server secrets
//!   (`.htpasswd`, `web.config`, `boot.ini`).
//!
//! The last three need the value to be one path: no spaces around it (a sentence that
//! mentions /etc/hosts is not a request for it), except inside a Windows path.

use super::contains;

const WRAPPERS: &[&[u8]] = &[
    b"php://",
    b"file:",
    b"zip://",
    b"phar://",
    b"expect://",
    b"glob://",
    b"data://",
    b"compress.zlib://",
    b"compress.bzip2://",
    b"zlib:",
    b"rar://",
    b"ogg://",
    b"ssh2.",
    b"jar:file:",
    b"netdoc:",
];

/// First directories only an OS or a server has.
const SYSTEM_ROOTS: &[&[u8]] = &[
    b"etc",
    b"proc",
    b"sys",
    b"boot",
    b"root",
    b"bin",
    b"sbin",
    b"usr",
    b"var",
    b"private",
    b"windows",
    b"winnt",
    b"inetpub",
    b"tmp",
    b"opt",
    b"lib64",
    b"xampp",
    b"wamp",
    b"cygwin",
    b"apache",
    b"apache2",
    b"httpd",
    b"nginx",
    b"mysql",
    b"program files",
    b"programfiles",
    b"program files (x86)",
    b"documents and settings",
    b"system32",
    b"web-inf",
    b"meta-inf",
];

/// Relative paths from these roots are still system paths.
const RELATIVE_ROOTS: &[&[u8]] = &[
    b"etc",
    b"proc",
    b"windows",
    b"winnt",
    b"inetpub",
    b"web-inf",
    b"meta-inf",
    b"system32",
    b"boot.ini",
];

/// Files and directories under `/etc` that probes ask for (a relative `etc/…` must name
/// one: `Etc/GMT+5` is a time zone).
const ETC_FILES: &[&[u8]] = &[
    b"passwd",
    b"shadow",
    b"group",
    b"hosts",
    b"issue",
    b"motd",
    b"hostname",
    b"crontab",
    b"fstab",
    b"resolv.conf",
    b"sudoers",
    b"profile",
    b"environment",
    b"ssh",
    b"apache2",
    b"httpd",
    b"nginx",
    b"mysql",
    b"php",
    b"security",
    b"master.passwd",
    b"inetd.conf",
    b"network",
    b"sysconfig",
    b"init.d",
    b"cron.d",
    b"ld.so.conf",
    b"os-release",
    b"release",
    b"redhat-release",
    b"debian_version",
    b"lsb-release",
    b"gshadow",
    b"netplan",
    b"aliases",
];

/// Extensions and names of files that only a server has.
const SERVER_EXTS: &[&[u8]] = &[
    b"log",
    b"conf",
    b"cnf",
    b"ini",
    b"err",
    b"pid",
    b"htaccess",
    b"htpasswd",
    b"passwd",
    b"shadow",
    b"pem",
    b"key",
    b"crt",
    b"db",
    b"sqlite",
    b"bak",
    b"properties",
    b"cfg",
    b"config",
    b"sam",
    b"dat",
    b"plist",
    b"inf",
    b"sh",
    b"history",
    b"old",
    b"swp",
];

const SECRET_NAMES: &[&[u8]] = &[
    b".htaccess",
    b".htpasswd",
    b"web.config",
    b"web.xml",
    b"boot.ini",
    b"win.ini",
    b"system.ini",
    b"php.ini",
    b"httpd.conf",
    b"my.cnf",
    b".bash_history",
    b".bashrc",
    b"id_rsa",
    b"id_dsa",
    b"authorized_keys",
    b"known_hosts",
    b".env",
    b"wp-config.php",
    b"passwd",
    b"shadow",
    b"error_log",
    b"access_log",
    b"tomcat-users.xml",
    b"applicationhost.config",
    b"unattend.xml",
    b"sysprep.inf",
    b"ntuser.dat",
];

fn sep(b: u8) -> bool {
    b == b'/' || b == b'\\'
}

pub(super) fn is_lfi(v: &[u8]) -> bool {
    if traversal(v) {
        return true;
    }
    let v = trim(v);
    if let Some(w) = WRAPPERS.iter().find(|w| v.starts_with(w)) {
        // Something must follow the scheme ("file:// protocol explained" is prose).
        let rest = &v[w.len()..];
        let rest = &rest[rest.iter().take_while(|&&b| b == b'/').count()..];
        return rest.first().is_some_and(|&b| b > b' ')
            && !v.starts_with(b"data:text/html")
            && !v.starts_with(b"data:image/svg");
    }
    if contains(v, b"php://filter") || contains(v, b"%systemroot%") || contains(v, b"%windir%") {
        return true;
    }
    // Windows paths may hold spaces (`c:\documents and settings\…`).
    if v.len() >= 4 && v[0].is_ascii_alphabetic() && v[1] == b':' && sep(v[2]) && v[3] > b' ' {
        return true;
    }
    if v.starts_with(b"\\\\")
        && v.get(2)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'?')
    {
        return true;
    }
    // One path: no spaces, except in a Windows path (`\program files\…`).
    if v.iter().any(|&b| b <= b' ') && !v.contains(&b'\\') {
        return false;
    }
    match v.first() {
        Some(b'/' | b'\\') => absolute(&v[1..], v[0] == b'\\'),
        Some(b'~') => {
            let rest = &v[1..];
            let user = rest.iter().take_while(|&&b| !sep(b)).count();
            user > 0 || rest.get(1) == Some(&b'.')
        }
        _ => relative(v),
    }
}

fn trim(v: &[u8]) -> &[u8] {
    let s = v.iter().take_while(|&&b| b <= b' ').count();
    let e = v.iter().rev().take_while(|&&b| b <= b' ').count();
    if s >= v.len() {
        return &[];
    }
    &v[s..v.len() - e]
}

/// `../` or `..\` leading somewhere (not "../ meaning …"); `0x2e` and `0x2f`/`0x5c`
/// written out in hex count as `.` and `/`.
fn traversal(v: &[u8]) -> bool {
    // The last three logical characters, and whether something follows them.
    let mut last = [0u8; 3];
    let mut i = 0;
    while i < v.len() {
        let (c, used) = match &v[i..] {
            [b'0', b'x', b'2', b'e' | b'E', ..] => (b'.', 4),
            [b'0', b'x', b'2', b'f' | b'F', ..] => (b'/', 4),
            [b'0', b'x', b'5', b'c' | b'C', ..] => (b'\\', 4),
            [c, ..] => (*c, 1),
            [] => break,
        };
        if (last == [b'.', b'.', b'/'] || last == [b'.', b'.', b'\\']) && c > b' ' {
            return true;
        }
        last = [last[1], last[2], c];
        i += used;
    }
    last[..2] == *b".." && sep(last[2])
}

fn segments(p: &[u8]) -> impl Iterator<Item = &[u8]> {
    p.split(|&b| sep(b)).filter(|s| !s.is_empty())
}

/// A file only a server has: a dotfile, a known secret name, a server extension.
fn server_file(p: &[u8]) -> bool {
    segments(p).any(|s| s.len() > 1 && s[0] == b'.' && s[1] != b'.')
        || segments(p).last().is_some_and(|last| {
            SECRET_NAMES.contains(&last)
                || last.ends_with(b"_log")
                || last
                    .split(|&b| b == b'.')
                    .skip(1)
                    .any(|ext| SERVER_EXTS.contains(&ext))
        })
}

/// After the leading `/` (or `\`, which no web route starts with).
fn absolute(p: &[u8], backslash: bool) -> bool {
    let mut segs = segments(p);
    let Some(first) = segs.next() else {
        return false;
    };
    let deeper = segs.next().is_some();
    deeper && (backslash || SYSTEM_ROOTS.contains(&first) || server_file(p))
}

fn relative(v: &[u8]) -> bool {
    let mut segs = segments(v);
    let Some(first) = segs.next() else {
        return false;
    };
    let deeper = segs.next().is_some();
    let etc_file = || segments(v).nth(1).is_some_and(|s| ETC_FILES.contains(&s)) || server_file(v);
    (deeper && RELATIVE_ROOTS.contains(&first) && (first != b"etc" || etc_file()))
        || SECRET_NAMES.contains(&first) && !deeper
        || (deeper
            && segments(v)
                .last()
                .is_some_and(|l| SECRET_NAMES.contains(&l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for s in [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "/etc/crontab",
            "/etc/ssh/sshd_config",
            "c:\\inetpub\\wwwroot\\global.asa",
            "c:/windows/win.ini",
            "/proc/self/environ",
            "/var/log/apache2/access.log",
            "/home/bob/.ssh/id_rsa",
            "~/.bash_history",
            "php://filter/convert.base64-encode/resource=index.php",
            "file:///etc/passwd",
            "etc/passwd",
            "web-inf/web.xml",
            ".htpasswd",
            "\\apache2\\logs\\access_log",
            "/library/logs/system.log",
            "c:\\documents and settings\\administrator\\ntuser.dat",
        ] {
            assert!(is_lfi(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn routes() {
        for s in [
            "/courses/rust?x=1",
            "/home",
            "/users/42/profile",
            "/library/books/12",
            "https://example.com/a",
            "see /etc/hosts for details",
            "images/cat.png",
            "report.pdf",
            "/dev/blog",
            "wait... what",
        ] {
            assert!(!is_lfi(s.as_bytes()), "{s}");
        }
    }
}
