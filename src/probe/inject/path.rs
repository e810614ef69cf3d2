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

mod names;
use names::{ETC_FILES, RELATIVE_ROOTS, SECRET_NAMES, SERVER_EXTS, SYSTEM_ROOTS, WRAPPERS};

fn sep(b: u8) -> bool {
    b == b'/' || b == b'\\'
}

pub(super) fn is_lfi(v: &[u8]) -> bool {
    if traversal(v) || junk_traversal(v) {
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
    // A drive path into a system folder or to a server file (not `c:\users`).
    if v.len() >= 4 && v[0].is_ascii_alphabetic() && v[1] == b':' && sep(v[2]) && v[3] > b' ' {
        let p = &v[3..];
        let file = segments(p)
            .last()
            .is_some_and(|l| l.iter().skip(1).any(|&b| b == b'.'));
        return segments(p).nth(1).is_some() || file || server_file(p);
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
        Some(b'/') => absolute(&v[1..]),
        Some(b'\\') => backslash_path(&v[1..]),
        Some(b'~') => {
            let rest = &v[1..];
            let user = rest.iter().take_while(|&&b| !sep(b)).count();
            (user > 0 && rest.len() > user + 1) || rest.starts_with(b"/.")
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

/// After a leading `\`: a path with at least two segments, not escapes (`\r\n`).
fn backslash_path(p: &[u8]) -> bool {
    let escapes = p.split(|&b| b == b'\\').all(|s| {
        s.first()
            .is_some_and(|c| matches!(c, b'r' | b'n' | b't' | b'x' | b'u'))
    });
    !escapes && segments(p).nth(1).is_some()
}

/// The length of a junk token at the start of `t`: what traversal fuzzers put where a
/// dot or a separator goes (`?`, `%c0%qf` left as `%qf`, `0x2f`, stray non-ASCII).
fn junk(t: &[u8]) -> usize {
    match t {
        // `%2%f`: what is left of `%%32%%66`, a broken double encoding.
        [b'%', a, b'%', b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => 4,
        [b'%', rest @ ..] => {
            1 + rest
                .iter()
                .take(2)
                .take_while(|b| b.is_ascii_alphanumeric())
                .count()
        }
        [b'0', b'x', a, b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => 4,
        [c, ..] if !c.is_ascii_alphanumeric() && *c > b' ' && !matches!(c, b'_' | b'-') => 1,
        _ => 0,
    }
}

/// A traversal written with junk (dotdotpwn's `..%c0%qf`, `.?/`, `%f8%80%80%80%ae`): a
/// prefix of junk only, then a system target whose separators are junk too
/// (`??%bg%qfetc%bg%qfpasswd`, `..%9vboot.ini`).
fn junk_traversal(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() {
        let n = junk(&v[i..]);
        if n == 0 {
            break;
        }
        i += n;
    }
    if i < 2 || i >= v.len() {
        return false;
    }
    // The target, its junk separators as `/`.
    let mut buf = [0u8; 128];
    let mut n = 0;
    while i < v.len() && n < buf.len() {
        let c = v[i];
        if c == b'0' && v.get(i + 1) == Some(&b'x') && junk(&v[i..]) == 4 {
            if n > 0 && buf[n - 1] != b'/' {
                buf[n] = b'/';
                n += 1;
            }
            i += 4;
            continue;
        }
        let inner_dot = c == b'.'
            && n > 0
            && buf[n - 1] != b'/'
            && v.get(i + 1).is_some_and(|b| b.is_ascii_alphanumeric());
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-') || inner_dot {
            buf[n] = c;
            n += 1;
            i += 1;
            continue;
        }
        let j = junk(&v[i..]);
        if j == 0 {
            return false; // a space: text, not a path
        }
        if n > 0 && buf[n - 1] != b'/' {
            buf[n] = b'/';
            n += 1;
        }
        i += j;
    }
    let p = &buf[..n];
    let p = p.strip_suffix(b"/").unwrap_or(p);
    relative(p) || (segments(p).nth(1).is_some() && absolute(p))
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

/// After the leading `/` (or a drive's `c:\`): a system folder or a server file.
fn absolute(p: &[u8]) -> bool {
    let mut segs = segments(p);
    let Some(first) = segs.next() else {
        return false;
    };
    let deeper = segs.next().is_some();
    deeper && (SYSTEM_ROOTS.contains(&first) || server_file(p))
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
