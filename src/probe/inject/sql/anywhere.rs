//! SQL that is unambiguous wherever it stands in the value, whatever comes before it:
//! the grammar in [`super::fingerprint`] reads only what follows a context break, so a
//! payload with a prefix it cannot place (`sin(1) group by 1 union select 1--`,
//! `'goto label … declare @s …`) needs these n-grams of the raw token stream:
//!
//! - a set operation then a query: `union [all] [(]select` then a column (not a plain
//!   word: `credit union select plan` is English), or a word then `,` or `from`;
//! - a subquery: `(select` then a value (`(select 1)`, `(select count(*) from`);
//! - `declare @v`, `exec(@v`, `exec xp_…`, `exec master..…`, `waitfor delay '…'`;
//! - a `case … when … then … end` expression with a literal or comparison after
//!   `when`;
//! - a call of a function that only an attack calls for its side effect (`sleep(`,
//!   `benchmark(`, `load_file(`, `xp_cmdshell`, `utl_http.request(`, …) after an operator,
//!   a value, `(` or `,` (not at the start: `sleep(5) in python`);
//! - `into outfile '…'`, `load data infile "…"`: a file clause then a file name;
//! - a statement chained after a value: `1; use master`, `'; exec …`, `); load xml …`;
//! - `union` next to a comment that stands in for whitespace (`1/**/union#`).
//!
//! At most [`SPAN`] tokens are read.

use super::tokenize::*;

const SPAN: usize = 96;

fn is_value(k: u8) -> bool {
    matches!(k, b'1' | b's' | b'v' | b'F' | b'f' | b'(')
}

/// Whether the raw token stream of `v` holds one of the n-grams above.
pub(super) fn attack(v: &[u8]) -> bool {
    let mut lx = Lexer::new(v, 0);
    // The last three tokens (most recent first).
    let mut p = [Tok::default(); 3];
    // After `union select` / `(select`: 1 = the next token decides, 2 = a word was seen.
    let mut select = 0u8;
    // Progress through `case … when … then … end`.
    let mut case = 0u8;
    for _ in 0..SPAN {
        let Some(t) = lx.next_tok() else { break };
        let (k, tag) = (t.kind, t.tag);
        match select {
            1 if is_value(k) || (k == b'a' && tag == T_STAR) => return true,
            1 if k == b'n' => select = 2,
            2 if k == b',' || (k == b'K' && tag == T_FROM) => return true,
            _ => select = 0,
        }
        if k == b'E' && tag == T_SELECT {
            let after_union = p[0].kind == b'U' || (p[0].kind == b'(' && p[1].kind == b'U');
            if after_union || p[0].kind == b'(' {
                select = 1;
            }
        }
        if k == b'U' && lx.hidden {
            return true;
        }
        let prev = p[0];
        let hit = match (prev.kind, prev.tag, k) {
            (b'E', T_DECLARE, b'v') => true,
            (b'E', T_EXEC, b'F' | b'v') => true,
            (b'E', T_WAITFOR, b'K') => true,
            (b'K', T_FILE, b's') => true,
            (b'(', _, b'v') => p[1].kind == b'E' && p[1].tag == T_EXEC,
            _ => false,
        };
        if hit {
            return true;
        }
        // A statement chained after a value.
        if prev.kind == b';' && matches!(p[1].kind, 0 | b'1' | b's' | b')' | b'c') {
            let stmt = (k == b'E' && tag != T_SELECT) || (k == b'K' && tag == T_BATCH);
            if stmt && v.len() > lx.i && lx.i > 0 {
                let save = lx.i;
                let next = lx.next_tok();
                lx.i = save;
                if next.is_some_and(|n| matches!(n.kind, b'n' | b'v' | b'f' | b'F' | b'E' | b'K')) {
                    return true;
                }
            }
        }
        if k == b'F'
            && tag == T_STRONG
            && matches!(
                prev.kind,
                b'&' | b'o' | b',' | b'(' | b';' | b'a' | b's' | b'K' | b'1'
            )
        {
            return true;
        }
        // `case … when <a literal or comparison> then … end`; "in case when it rains
        // then …, end" has no literal between `when` and `then`.
        case = match (case, k, tag) {
            (_, b'K', T_CASE) => 1,
            (1, b'K', T_WHEN) => 2,
            (2, b'1' | b's' | b'o' | b'v' | b'(', _) => 3,
            (3, b'K', T_THEN) => 4,
            (4, b'K', T_END) => return true,
            (c, ..) => c,
        };
        p = [t, p[0], p[1]];
    }
    false
}
