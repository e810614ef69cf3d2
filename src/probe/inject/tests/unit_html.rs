//! Unit tests of `html.rs`.

use super::super::html::*;

#[test]
fn attacks() {
    for s in [
        "<script>alert(1)</script>",
        "<div style=\"width: expression(alert('xss'))\">",
        "<link rel=\"stylesheet\" href=\"http://x/xss.css\">",
        "<meta http-equiv=\"set-cookie\" content=\"a=b\">",
        "<img src=\"jav\tascript:alert('xss')\">",
        "\"><svg/onload=alert(1)>",
        "' onmouseover='alert(1)",
        "\" autofocus onfocus=alert(1) x=\"",
        "<xss onpointerenter=alert(1)>",
        "<img src=x onerror=alert(1)//",
        "javascript:alert(1)",
        "';alert(1)//",
        "\"-confirm(1)-\"",
        "<a href=\"javascript:void(0)\">x</a>",
        "<!--#include virtual=\"/etc/passwd\"-->",
        "<body background=\"javascript:alert(1)\">",
    ] {
        assert!(is_xss(s.as_bytes()), "{s}");
    }
}

#[test]
fn text() {
    for s in [
        "i <3 rust",
        "a < b",
        "what does <br> do",
        "<b>bold</b> comment",
        "javascript: the good parts",
        "what's alert(1) doing",
        "buy onions=cheap",
        "<a href=\"/x\">link</a>",
        "x -> y",
    ] {
        assert!(!is_xss(s.as_bytes()), "{s}");
    }
}

#[test]
fn handler_assignments_read_back_from_the_equals_sign() {
    // A handler bare in a value (no tag, no quote): `on` plus at least three letters,
    // spaces allowed around `=`, then a sink.
    for s in [
        "onclick=alert(1)",
        "x onmouseover = alert(1)",
        "a;onerror=\"alert(1)\"",
        "x=1 onfocus=document.cookie",
        "onload=`alert(1)`",
    ] {
        assert!(is_xss(s.as_bytes()), "{s}");
    }
    for s in [
        "1onclick=alert(1)",
        "_onclick=alert(1)",
        "xonclick=alert(1)",
        "oner=alert(1)",
        "on=alert(1)",
        "union=alert(1)",
        "onclick=1",
        "onclick",
        "x=onclick",
        "=",
        "   =alert(1)",
    ] {
        assert!(!is_xss(s.as_bytes()), "{s}");
    }
}
