//! Traversal and injection payloads that a literal gives away; the rest are regexes
//! in `patterns.rs` or checks in code.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// The traversal and injection signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const PAYLOADS: &[Literals] = &[
    l(Traversal, "system-file", Path, Anywhere, Always, &[
        "/etc/passwd", "/etc/shadow", "/etc/hosts", "/etc/group", "/etc/issue", "/etc/hostname",
        "/proc/self/", "/proc/version", "/proc/1/", "/win.ini", "/boot.ini", "/system.ini",
        "/windows/system32", "/winnt/", "c:/windows", "/system32/drivers/etc",
    ]),
    l(Traversal, "system-file", Query, Anywhere, ValueStart, &[
        "etc/passwd", "etc/shadow", "etc/hosts", "etc/group", "etc/issue", "etc/hostname",
        "proc/self/", "proc/version", "proc/1/", "windows/system32", "windows/win.ini",
        "windows/system.ini", "winnt/", "boot.ini", "win.ini", "system32/",
    ]),
    l(Traversal, "file-scheme", Target, Anywhere, Always, &["file://", "file:/etc/", "file:/c:"]),
    l(Traversal, "php-wrapper", Target, Anywhere, Always, &[
        "php://filter", "php://input", "expect://", "phar://", "zip://", "data://text/plain",
    ]),

    l(Injection, "sql-injection", Target, Anywhere, Always, &[
        "information_schema", "@@version", "@@datadir", "load_file(", "into outfile",
        "into dumpfile", "xp_cmdshell", "/*!", "concat(0x", "group_concat(", "dbms_pipe.",
        "utl_inaddr.", "pg_sleep(", "sysobjects", "mysql.user",
    ]),
    l(Injection, "sql-injection", Target, Anywhere, NumericComparison, &[
        "or ", "or\r", "or\n", "and ", "and\r", "and\n", "xor ",
    ]),
    l(Injection, "sql-injection", Target, Anywhere, OrderByComment, &[
        "order ", "order\r", "order\n",
    ]),
    l(Injection, "xss", Target, Anywhere, Always, &[
        "<script", "</script", "document.cookie", "fromcharcode(", "<svg/onload", "<svg onload",
        "data:text/html", "<iframe", "<img src=x",
    ]),
    l(Injection, "template-injection", Target, Anywhere, Always, &[
        "<%=", "__globals__", "__builtins__", "__subclasses__", "__import__(",
    ]),
    l(Injection, "log4shell-jndi", Target, Anywhere, Always, &["${jndi:", "${::-"]),
    l(Injection, "command-injection", Target, Anywhere, Always, &[
        "/dev/tcp/", "${ifs}", "$ifs$", "cmd.exe /c", "powershell -e",
    ]),
    l(Injection, "xxe", Target, Anywhere, Always, &["<!entity"]),
    l(Injection, "php-code-injection", Target, Anywhere, Always, &[
        "<?php", "shell_exec(", "passthru(", "proc_open(", "base64_decode(", "file_put_contents(",
        "die(md5(", "call_user_func(",
    ]),
];
