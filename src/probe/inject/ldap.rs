//! LDAP filter injection (`ldapi`) and XML external entities (`xxe`).
//!
//! `ldapi`: a value that closes the application's filter component and opens another,
//! which only LDAP filter syntax does: a composite operator right after `(` then a
//! component, a close or the end (`(|(`, `(&(`, `(!(`, `(&)`, `(|uid=`), or `)(` then
//! an attribute assertion (`)(uid=*`, `*)(objectclass=*`). `(a)(b)`, `f(x)(y)` are
//! not.
//!
//! `xxe`: a document type declaration with an internal subset or an external identifier
//! (`<!DOCTYPE x [`, `<!DOCTYPE x SYSTEM "…"`), an entity declaration (`<!ENTITY`), or
//! an XInclude (`<xi:include`). `<!DOCTYPE html>` is not.

use super::{contains, find};

pub(super) fn is_ldapi(v: &[u8]) -> bool {
    super::any_at(v, b"(", |at| {
        let r = &v[at + 1..];
        (matches!(r.first(), Some(b'|' | b'&' | b'!'))
            && (matches!(r.get(1), None | Some(b'(' | b')')) || assertion(&r[1..])))
            || (at > 0 && v[at - 1] == b')' && assertion(r))
    })
}

/// `attr=`, `attr>=`, `attr~=` at the start of `r` (an attribute name, then a filter
/// operator).
fn assertion(r: &[u8]) -> bool {
    let n = r
        .iter()
        .take(40)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b';'))
        .count();
    n >= 2
        && r[0].is_ascii_alphabetic()
        && match r.get(n) {
            Some(b'=') => true,
            Some(b'>' | b'<' | b'~') => r.get(n + 1) == Some(&b'='),
            _ => false,
        }
}

pub(super) fn is_xxe(v: &[u8]) -> bool {
    if contains(v, b"<!entity") || contains(v, b"<xi:include") {
        return true;
    }
    let Some(p) = find(v, b"<!doctype") else {
        return false;
    };
    let decl = &v[p + 9..];
    let decl = &decl[..decl.iter().position(|&b| b == b'>').unwrap_or(decl.len())];
    decl.contains(&b'[') || contains(decl, b" system") || contains(decl, b" public")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldap() {
        for s in [
            "*)(uid=*))(|(uid=*",
            "admin)(&)",
            "*(|(mail=*))",
            "admin*)((|userpassword=*)",
            "*)(&",
            ")(cn=))",
        ] {
            assert!(is_ldapi(s.as_bytes()), "{s}");
        }
        for s in ["(a)(b)", "f(x)(y)", "(555) 123-4567", "x (y) (z)"] {
            assert!(!is_ldapi(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn xxe() {
        assert!(is_xxe(
            b"<!doctype foo [<!entity xxe system \"file:///etc/passwd\">]>"
        ));
        assert!(is_xxe(b"<!doctype x system \"http://x/x.dtd\">"));
        assert!(!is_xxe(b"<!doctype html><p>hi</p>"));
    }
}
