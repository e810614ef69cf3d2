//! SQL injection by tokenising, the libinjection way (as ModSecurity's `@detectSQLi`).
//!
//! # Why not a crate
//!
//! crates.io has three candidates (checked with `cargo info`, December 2026):
//! `libinjection` and `libinjection-rs` are bindings that build the C library, which
//! rules them out; `libinjectionrs` 0.1.1 is pure Rust but describes itself as an
//! unreviewed machine translation ("vibe port") by a single author, at its first minor
//! version, and carries libinjection's 9,000-fingerprint list, which flags ordinary
//! text this detector must pass (libinjection's own `data/false_positives.txt` lists
//! some, and WAF operators routinely tune it out on free-text fields). So the tokeniser
//! here is our own: libinjection's token classes and folding, but instead of a list of
//! fingerprints a small grammar of what may follow the attacker's context break
//! ([`fingerprint`]), written for the attack class rather than for rows of a corpus.
//!
//! Each value is read in up to three contexts: as is (a number or bare word in the
//! query), after a `'` and after a `"` (only when the value holds that quote). Each
//! context tokenises at most [`fingerprint::MAX`] folded tokens, so the cost is bounded
//! by the length of the value and independent of what follows.

mod fingerprint;
mod tokenize;

use fingerprint::{attack, fold, Ctx, MAX};
use tokenize::Tok;

/// Whether a decoded, lower-case value is SQL injection.
pub(super) fn is_sqli(v: &[u8]) -> bool {
    let mut toks = [Tok::default(); MAX];
    let mut try_ctx = |ctx| {
        let n = fold(v, ctx, &mut toks);
        attack(&toks[..n], ctx)
    };
    try_ctx(Ctx::Bare)
        || (v.contains(&b'\'') && try_ctx(Ctx::Quote(b'\'')))
        || (v.contains(&b'"') && try_ctx(Ctx::Quote(b'"')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqli(s: &str) -> bool {
        is_sqli(s.to_ascii_lowercase().as_bytes())
    }

    #[test]
    fn attacks() {
        for s in [
            "1 UNION ALL SELECT 1,2,3",
            "1' or 'a'='a",
            "1 or 1=1--",
            "1/**/or/**/1/**/=/**/1",
            "1 having 1=1--",
            "1||UTL_HTTP.REQUEST('http://x')",
            "1;declare @s varchar(200) select @s = 0x77",
            "admin'--",
            "' or ''='",
            "1' and sleep(5)#",
            "-1 union select null,@@version",
            "1) or (1=1",
            "')) or (('x'))=(('x",
            " AND 1=1-- ",
            " ORDER BY 1-- ",
            "'; drop table users--",
            "1 AND 5650=CONVERT(INT,(SELECT 1))",
            "select * from users",
            "sleep(5)#",
            "1 waitfor delay '0:0:5'--",
            "',(select sleep(5)))-- ",
            "1/*!50000union*/ /*!50000select*/ 1",
            "1' group by columnnames having 1=1 --",
        ] {
            assert!(sqli(s), "{s}");
        }
    }

    #[test]
    fn english() {
        for s in [
            "O'Brien",
            "rock 'n' roll",
            "select a course",
            "drop shipping",
            "union station",
            "it's 1 or 2",
            "between 1 and 10",
            "1 or 2 people",
            "3 having fun",
            "order by price",
            "great product -- would buy again",
            "5 stars -- great",
            "6' 2\" tall",
            "\"rust\" or \"go\"",
            "1=1",
            "1-2",
            "delete from cart",
            "Tom's \"best\" or worst",
        ] {
            assert!(!sqli(s), "{s}");
        }
    }
}
