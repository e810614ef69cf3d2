//! OS command injection (family `cmdi`).
//!
//! A command position, then a command:
//!
//! - command positions: after `;`, `|`, `||`, `&`, `&&`, a line break, a backtick,
//!   `$(`, and the start of the value; `${IFS}`, `$IFS$9` and `<` are spaces there and
//!   after the command; a path prefix (`/bin/`, `/usr/bin/`, `c:\windows\system32\`) is
//!   skipped;
//! - commands: Unix and Windows utilities an attacker runs to prove or use execution.
//!   Those that are also English words (`cat`, `type`, `ping`, `sleep`, `id`, `find`)
//!   need an argument only a shell takes (an option `-x` or `/x`, a path, a number, an
//!   address, a quote or a variable) or the end of the value, so `dogs & cat toys`
//!   passes. At the start of the value every command needs such an argument
//!   (`cat /etc/passwd`, `ping -c 3 x`), and a bare word is never enough.
//! - shellshock: `() {`.
//!
//! A command word must end at a shell boundary: `sleep(5)` is SQL or JavaScript, not a
//! command.

use super::{contains, Seen};

mod words;
use words::{ambiguous, unambiguous, NET_VERBS};

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Length of a run of spaces at `t` (counting `${ifs}`, `$ifs$9`, `$ifs`, `<`).
fn spaces(t: &[u8]) -> usize {
    let mut j = 0;
    loop {
        let r = &t[j..];
        let n = if r.first().is_some_and(|&b| is_space(b)) {
            1
        } else if r.starts_with(b"${ifs}") || r.starts_with(b"$ifs$9") {
            6
        } else if r.starts_with(b"$ifs") {
            4
        } else {
            return j;
        };
        j += n;
    }
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Whether `v` is command injection. `separators`: whether it holds any of
/// `;|&` `` ` `` `$` `\` CR LF (without them only the start of the value is a command
/// position).
#[cfg(test)]
pub(super) fn is_cmdi(v: &[u8], separators: bool) -> bool {
    is_cmdi_seen(v, separators, &Seen::of(v))
}

/// [`is_cmdi`] with the value's [`Seen`].
pub(super) fn is_cmdi_seen(v: &[u8], separators: bool, seen: &Seen) -> bool {
    let lead = v.iter().take_while(|&&b| b <= b' ').count();
    if v[lead..].starts_with(b"() {") || v[lead..].starts_with(b"(){") {
        return true;
    }
    if (seen.any(set!(b"<")) && (contains(v, b"<!--#exec") || contains(v, b"<?php")))
        || (seen.any(set!(b"(")) && code_exec(v, seen))
    {
        return true;
    }
    if command_at(v, 0, Pos::Start) {
        return true;
    }
    // A quote that closes the argument it sits in, then a command (`' whoami`).
    if let [b'\'' | b'"', b' ', ..] = v {
        let r = &v[1 + spaces(&v[1..])..];
        let w = r.iter().take_while(|&&b| word_byte(b)).count();
        if unambiguous(&r[..w]) && r.get(w).is_none_or(|&b| is_space(b)) {
            return true;
        }
    }
    if !separators {
        return false;
    }
    for (i, &b) in v.iter().enumerate() {
        let (pos, kind) = match b {
            // A lone `&` after a word is also English ("salt & pepper"): weaker.
            b'&' if v.get(i + 1) != Some(&b'&') && (i == 0 || v[i - 1] != b'&') => {
                let before = v[..i].iter().rev().skip_while(|&&c| is_space(c));
                let word = before
                    .clone()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic());
                (i + 1, if word { Pos::Ampersand } else { Pos::Separator })
            }
            b';' | b'|' | b'&' | b'\n' | b'\r' | b'`' => (i + 1, Pos::Separator),
            b'$' if v.get(i + 1) == Some(&b'(') => (i + 2, Pos::Separator),
            // `\n` written out, as payload lists do.
            b'\\' if matches!(v.get(i + 1), Some(b'n' | b'r')) => (i + 2, Pos::Separator),
            _ => continue,
        };
        if command_at(v, pos, kind) {
            return true;
        }
    }
    false
}

/// Code that spawns a process or evaluates code on the server: PHP and friends.
fn code_exec(v: &[u8], seen: &Seen) -> bool {
    /// Calls whose argument is a string or a variable (`system('id')`, `eval($_GET[x])`).
    const CALLS: &[&[u8]] = &[
        b"system",
        b"exec",
        b"shell_exec",
        b"passthru",
        b"popen",
        b"proc_open",
        b"pcntl_exec",
        b"eval",
        b"assert",
        b"os.system",
        b"os.popen",
        b"getruntime().exec",
    ];
    /// Calls that are enough on their own, without an argument.
    const PROBES: &[&[u8]] = &[b"phpinfo", b"phpversion"];
    let word_start = |i: usize| i == 0 || !(v[i - 1].is_ascii_alphanumeric() || v[i - 1] == b'_');
    // Modules that are enough on their own (each looked for only if the value holds its
    // `.` or `_`).
    let module = |m: &[u8]| {
        let mut from = 0;
        while let Some(p) = super::find(&v[from..], m) {
            if word_start(from + p) {
                return true;
            }
            from += p + 1;
        }
        false
    };
    if (seen.any(set!(b".")) && module(b"subprocess."))
        || (seen.any(set!(b"_")) && module(b"child_process"))
    {
        return true;
    }
    // Each `(`: after `phpinfo` or `phpversion` and closed at once, or after a call name
    // with an argument that opens with a quote, `$` or a backtick (one pass over the `(`
    // rather than one search per name).
    super::any_at(v, b"(", |p| {
        let before = &v[..p];
        if v.get(p + 1) == Some(&b')') && PROBES.iter().any(|c| before.ends_with(c)) {
            return true;
        }
        let r = &v[p + 1..];
        let r = &r[r.iter().take_while(|&&b| b == b' ').count()..];
        matches!(r.first(), Some(b'\'' | b'"' | b'$' | b'`'))
            && CALLS
                .iter()
                .any(|c| before.ends_with(c) && word_start(p - c.len()))
    })
}

/// A command at the very start of the value, or right after a leading separator
/// (`echo '<script>…'`, `;echo …`): the value is a command line, whatever it prints.
pub(super) fn leading_command(v: &[u8]) -> bool {
    let sep = v
        .iter()
        .take_while(|b| matches!(b, b';' | b'|' | b'&' | b'\n' | b'\r' | b' '))
        .count();
    command_at(v, 0, Pos::Start) || (sep > 0 && command_at(v, sep, Pos::Separator))
}

/// PHP code in a template-looking wrapper: complex interpolation that calls a function
/// (`{${phpinfo()}}`, `${@print(md5(x))}`) or reads a request superglobal
/// (`{$_GET["cmd"]}`).
pub(super) fn php_code(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = super::find(&v[i..], b"${") {
        let at = i + p + 2;
        let r = &v[at..];
        let r = r.strip_prefix(b"@").unwrap_or(r);
        let name = r
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let braced = at >= 3 && v[at - 3] == b'{';
        if name > 0 && r.get(name) == Some(&b'(') && (braced || v[at] == b'@') {
            return true;
        }
        i = at;
    }
    [
        &b"{$_get["[..],
        b"{$_post[",
        b"{$_request[",
        b"{$_server[",
        b"{$_cookie[",
    ]
    .iter()
    .any(|s| contains(v, s))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// The start of the value.
    Start,
    /// After a lone `&`.
    Ampersand,
    /// After any other separator.
    Separator,
}

/// A command at `pos` (a command position).
fn command_at(v: &[u8], pos: usize, kind: Pos) -> bool {
    let at_start = kind == Pos::Start;
    let mut j = pos;
    // More separators or spaces (`||`, `&&`, `; `).
    while let Some(&b) = v.get(j) {
        if matches!(b, b'|' | b'&' | b';' | b'\n' | b'\r' | b'(' | b'{') || (b == b'`' && !at_start)
        {
            j += 1;
        } else {
            let s = spaces(&v[j..]);
            if s == 0 {
                break;
            }
            j += s;
        }
        if j > pos + 16 {
            return false;
        }
    }
    // A path prefix: `/bin/`, `/usr/bin/`, `c:\windows\system32\`.
    let word_start = {
        let mut k = j;
        let mut last_sep = None;
        while let Some(&b) = v.get(k) {
            if b == b'\\' && matches!(v.get(k + 1), Some(b'n' | b'r')) {
                break; // `\n` written out ends the command
            }
            if b == b'/' || b == b'\\' {
                last_sep = Some(k);
            } else if !(word_byte(b) || b == b':') {
                break;
            }
            k += 1;
            if k > j + 48 {
                break;
            }
        }
        last_sep.map_or(j, |s| s + 1)
    };
    let prefixed = word_start != j;
    // The prefix must be where programs live (`/bin/`, `/usr/bin/`, `system32\`), not
    // any path (`../etc/passwd index.html` names a file, not the command `passwd`).
    if prefixed {
        let pre = &v[j..word_start - 1];
        let dir = pre
            .rsplit(|&b| b == b'/' || b == b'\\')
            .next()
            .unwrap_or(pre);
        if !(dir.is_empty() || dir == b"." || dir.ends_with(b"bin") || dir == b"system32") {
            return false;
        }
    }
    let w_len = v[word_start..]
        .iter()
        .take_while(|&&b| word_byte(b))
        .count();
    let word = &v[word_start..word_start + w_len];
    let word = word.strip_suffix(b".exe").unwrap_or(word);
    let rest = &v[word_start + w_len..];
    // The command must end at a shell boundary.
    let boundary = match rest.first() {
        None => true,
        Some(&b) => {
            is_space(b)
                || matches!(
                    b,
                    b';' | b'|' | b'&' | b'>' | b'<' | b'`' | b')' | b'\n' | b'\r'
                )
                || (b == b'\\' && matches!(rest.get(1), Some(b'n' | b'r')))
                || rest.starts_with(b"$ifs")
                || rest.starts_with(b"${ifs}")
                || b == b'"'
                || b == b'\''
        }
    };
    if word.is_empty() || !boundary {
        return false;
    }
    let unambiguous = unambiguous(word);
    if !unambiguous && !ambiguous(word) {
        return false;
    }
    if unambiguous && !at_start {
        return true;
    }
    let arg = &rest[spaces(rest)..];
    if word == b"net" && NET_VERBS.iter().any(|n| arg.starts_with(n)) {
        return true;
    }
    // "cat /etc/hosts explained", "ls -la command", "curl https://example.com": a
    // command line typed as text, without a shell character, is a search for it.
    if at_start && !shell_metachar(v) && (plain_words(arg) || contains(arg, b"://")) {
        return false;
    }
    shell_argument(arg, kind) || (prefixed && !at_start)
}

fn shell_metachar(v: &[u8]) -> bool {
    v.iter().any(|b| b";|&$`><".contains(b))
}

/// Whether the arguments hold a plain word (letters only), as a sentence would.
fn plain_words(arg: &[u8]) -> bool {
    arg.split(|&b| is_space(b))
        .any(|w| w.len() >= 2 && w.iter().all(|b| b.is_ascii_alphabetic()))
}

/// An argument that only a shell would take, or the end of the command.
fn shell_argument(arg: &[u8], kind: Pos) -> bool {
    let at_start = kind == Pos::Start;
    match arg.first() {
        None => kind == Pos::Separator,
        Some(&b) => match b {
            b'-' => arg
                .get(1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-'),
            b'\\' if matches!(arg.get(1), Some(b'n' | b'r')) => !at_start,
            // `$x` is a variable only a shell expands; `${HOME}` in prose is not enough.
            b'$' => arg.starts_with(b"$(") || arg.starts_with(b"${ifs") || kind != Pos::Start,
            b'/' | b'\\' | b'~' | b'"' | b'\'' | b'`' | b'>' | b'<' | b'%' => true,
            b';' | b'|' | b'&' | b'\n' | b'\r' | b')' => !at_start,
            b'.' => arg.get(1).is_some_and(|&c| c == b'/' || c == b'.'),
            b'0'..=b'9' => {
                // A number (`sleep 5`) or an address (`ping 127.0.0.1`), alone.
                arg.iter()
                    .take_while(|&&c| !is_space(c) && !b";|&)`\n\r".contains(&c))
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b':')
            }
            _ => {
                // `net user`, `type c:\…`, a file with an extension (`cat x.txt`).
                let w = arg
                    .iter()
                    .take_while(|&&c| word_byte(c) || c == b':' || c == b'/' || c == b'\\')
                    .count();
                let word = &arg[..w];
                word.contains(&b'/')
                    || word.contains(&b'\\')
                    || (word.len() >= 2 && word[1] == b':')
                    || (word.contains(&b'.') && !word.ends_with(b"."))
            }
        },
    }
}
