//! Unit tests of `shell.rs`.

use super::super::shell::*;

#[test]
fn attacks() {
    for s in [
        ";id",
        "| id",
        "127.0.0.1; cat /etc/passwd",
        "&& whoami",
        "`uname -a`",
        "$(sleep 5)",
        "x\nping -c 10 127.0.0.1",
        ";${ifs}cat${ifs}/etc/passwd",
        "| net user",
        "& type c:\\windows\\win.ini",
        "() { :;}; /bin/bash -c id",
        "cat /etc/passwd",
        "|/usr/bin/id",
        "; echo \"<?php phpinfo(); ?>\" > x.php",
        "|| sleep 5 ||",
    ] {
        assert!(is_cmdi(s.as_bytes(), true), "{s}");
    }
}

#[test]
fn text() {
    for s in [
        "dogs & cat toys",
        "a & w root beer",
        "salt & pepper",
        "rock & roll; id card",
        "q&a",
        "x && y in javascript",
        "sleep(5)",
        "1; waitfor delay",
        "how to use $(document).ready",
        "cat",
        "ping pong",
        "this | that",
        "type of cat",
        "time & date",
        "a & w",
    ] {
        assert!(!is_cmdi(s.as_bytes(), true), "{s}");
    }
}

#[test]
fn code_execution_without_a_shell() {
    for s in [
        "phpinfo()",
        "x=1;phpversion();",
        "require('child_process').exec('id')",
        "subprocess.run(['id'])",
        "import subprocess.popen(x)",
        "system('id')",
        "eval($_get[x])",
        "passthru (`id`)",
        "runtime.getruntime().exec(\"id\")",
    ] {
        assert!(is_cmdi(s.as_bytes(), true), "{s}");
    }
    for s in [
        "phpinfo",
        "phpinfo (x)",
        "my_child_process",
        "asubprocess.call",
        "ecosystem('x')",
        "evaluate('x')",
        "system(x)",
        "what does phpinfo do",
    ] {
        assert!(!is_cmdi(s.as_bytes(), true), "{s}");
    }
}
