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

mod anywhere;
mod fingerprint;
mod keywords;
mod tokenize;

use fingerprint::{attack, fold, Ctx, MAX};
use tokenize::{Tok, T_BATCH, T_CASE, T_FILE};

/// Whether a decoded, lower-case value is SQL injection.
pub(super) fn is_sqli(v: &[u8]) -> bool {
    is_sqli_quoted(v, v.contains(&b'\''), v.contains(&b'"'))
}

/// [`is_sqli`] for a value whose quotes the caller knows already (its `Seen` set):
/// `single` if it holds a `'`, `double` if it holds a `"`.
pub(super) fn is_sqli_quoted(v: &[u8], single: bool, double: bool) -> bool {
    let mut toks = [Tok::default(); MAX];
    // Each context, then (unless its tokens were the whole value and held nothing the
    // n-grams start with) the n-grams of [`anywhere`] from where it starts.
    let mut try_ctx = |ctx: Ctx| {
        let (n, hidden, done) = fold(v, ctx, &mut toks);
        if attack(&toks[..n], ctx, hidden) {
            return true;
        }
        let from = match ctx {
            Ctx::Bare => 0,
            Ctx::Quote(q) => v.iter().position(|&b| b == q).map_or(v.len(), |p| p + 1),
        };
        (!done || toks[..n].iter().any(starts_ngram)) && anywhere::attack(&v[from..])
    };
    // The contexts are independent: the order only decides how soon an attack is
    // found. A value with a quote is most often an attack that breaks out of it
    // (`1' and 1=1 union …`), which the bare context reads as one long string.
    (single && try_ctx(Ctx::Quote(b'\'')))
        || (double && try_ctx(Ctx::Quote(b'"')))
        || try_ctx(Ctx::Bare)
        || split_keywords(v)
}

/// A token that an n-gram of [`anywhere`] starts with.
fn starts_ngram(t: &Tok) -> bool {
    matches!(t.kind, b'E' | b'U' | b'F' | b';' | b'(')
        || (t.kind == b'K' && matches!(t.tag, T_CASE | T_FILE | T_BATCH))
}

/// Keywords split by empty comments (`uni/**/on sel/**/ect`), which filters that strip
/// comments join again: the value with every comment between two letters removed.
fn split_keywords(v: &[u8]) -> bool {
    if !v.contains(&b'*') {
        return false;
    }
    let mut buf = [0u8; 512];
    let mut n = 0;
    let mut i = 0;
    let mut joined = false;
    while i < v.len() {
        if v[i..].starts_with(b"/*") && i > 0 && v[i - 1].is_ascii_alphabetic() {
            if let Some(p) = v[i + 2..].windows(2).position(|w| w == b"*/") {
                let after = i + 2 + p + 2;
                if p <= 8 && v.get(after).is_some_and(|b| b.is_ascii_alphabetic()) {
                    i = after;
                    joined = true;
                    continue;
                }
            }
        }
        if n == buf.len() {
            return false;
        }
        buf[n] = v[i];
        n += 1;
        i += 1;
    }
    if !joined {
        return false;
    }
    let v = &buf[..n];
    let mut toks = [Tok::default(); MAX];
    let mut try_ctx = |ctx| {
        let (n, hidden, _) = fold(v, ctx, &mut toks);
        attack(&toks[..n], ctx, hidden)
    };
    try_ctx(Ctx::Bare) || (v.contains(&b'\'') && try_ctx(Ctx::Quote(b'\''))) || anywhere::attack(v)
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
            "select * from users--",
            "1or1=1",
            "-1#x\nunion select 1",
            "1/**/union#",
            "a' - 'b",
            "' or 'a'='a",
            "(case when 1=1 then 1 else 0 end)",
            "@@version",
            "1;load data infile 'x'",
            "1 uni/**/on sel/**/ect 1,2",
            "sin(1) group by 1 union select 1--",
            "'goto x declare @s varchar(80)",
            "foo,(select 1)",
            "1 and benchmark(5000000,md5(1))",
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
            "select * from users",
            "select count(*) from orders group by day",
            "delete from table where id = 5",
            "sleep(5) in python",
            "the 'like' button",
            "necklace 16\" or 18\"",
            "in case when it rains then we stay in, end of story",
        ] {
            assert!(!sqli(s), "{s}");
        }
    }
}
