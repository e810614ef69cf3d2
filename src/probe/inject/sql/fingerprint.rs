//! Folding a token stream into a short fingerprint, and the grammar of attacks.
//!
//! Folding (as libinjection does): `not` and unary `-` `+` `~` `!` vanish; `a op b` with
//! an arithmetic operator becomes `a`; runs of `(` or `)` become one; a function's
//! argument list vanishes into the function token (which becomes `F` if a subquery or an
//! attack-only function sits inside). At most [`MAX`] tokens are kept.
//!
//! An attack is a *context break* followed by SQL that only makes sense as code:
//!
//! - the break: in a quoted context, the attacker's closing quote (the first token is the
//!   string it closes); in the bare context, a leading number or variable (`1 …`), or
//!   the value starting with what would follow one (`) or …`, ` union …`, `; …`);
//!   `)` after the break is skipped (`1) or (1=1`);
//! - then, for the token after the break:
//!   - comment: quoted context only (`admin'--`), or after `)` (`1)--`);
//!   - `;`: a statement, function, variable or (quoted) comment or nothing (`'; drop …`);
//!   - `union`: then `select` or `(`;
//!   - statement keyword with something after it (`1 waitfor delay …`);
//!   - clause keyword (`having`, `order by`, `limit`, …) then a value or expression
//!     (`1 having 1=1`, `1 order by 1--`), not a plain word (`3 having fun`);
//!   - logic or operator then an expression: a function call, a subquery, a comparison
//!     of two values (`or 1=1`, `or 'a'='a`), or a value closed by a comment or `;`, or
//!     by the end in a quoted context (`' or 1#`, `1' = '1`);
//!   - `,` then a function or subquery (`',sleep(5))`).
//! - A whole statement as the value: `select <list> from`, `select @@version`,
//!   `union select`, `insert into x`, `drop table x`, `exec xp_…`, `declare @x`,
//!   `waitfor delay`, `update x set y=`, `delete from x where`, `(select …)`, or an
//!   attack-only function call (`sleep(5)#`).
//!
//! English never has the break: `O'Brien`, `rock 'n' roll`, `it's 1 or 2` (after the
//! quote comes a word), `1 or 2 people` (no comparison, no comment), `select a course`
//! (two words are no column list), `union station`, `drop shipping`.

use super::tokenize::*;

/// On the break of a quoted context: a letter follows the quote (`'like' …`).
const T_LETTER: u8 = b'L';
/// On the break of a quoted context: a space follows the quote (`a' - 'b`).
const T_SPACE: u8 = b' ';

/// Tokens kept per context.
pub(super) const MAX: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Bare,
    Quote(u8),
}

fn operand(k: u8) -> bool {
    matches!(k, b's' | b'1' | b'n' | b'v')
}

/// Tokenises and folds `s` in context `ctx`; returns the number of tokens in `out`,
/// whether a comment served as whitespace among them, and whether the whole value was
/// read.
pub(super) fn fold(s: &[u8], ctx: Ctx, out: &mut [Tok; MAX]) -> (usize, bool, bool) {
    let mut n = 0;
    let mut lx = match ctx {
        Ctx::Bare => Lexer::new(s, 0),
        Ctx::Quote(q) => {
            // The value sits after an opening quote: the first token is the string the
            // attacker's quote closes.
            let Some(mut p) = s.iter().position(|&b| b == q) else {
                return (0, false, true);
            };
            // A run of quotes (`\''`, `''`) breaks out at its last one.
            while s.get(p + 1) == Some(&q) {
                p += 1;
            }
            out[0] = Tok {
                kind: b's',
                tag: match s.get(p + 1) {
                    Some(c) if c.is_ascii_alphabetic() => T_LETTER,
                    Some(b' ' | b'\t') => T_SPACE,
                    _ => 0,
                },
                ..Tok::default()
            };
            n = 1;
            Lexer::new(s, p + 1)
        }
    };
    // In a quoted context the first string is the break itself: nothing folds into it.
    let floor = usize::from(matches!(ctx, Ctx::Quote(_)));
    while n < MAX {
        let Some(mut t) = lx.next_tok() else { break };
        let prev = if n > 0 { out[n - 1].kind } else { 0 };
        match t.kind {
            // Adjacent strings are one (`'a' 'b'`, `'''''`).
            b's' if prev == b's' && n > floor => continue,
            // A value list (`,null,null,null`) is one `, value`.
            b',' if n >= 2 && operand(prev) && out[n - 2].kind == b',' => {
                n -= 1;
                continue;
            }
            b'N' => continue,
            // Unary minus, plus, `~`, `!` (but `select *` is a column list).
            b'a' if (t.tag != T_STAR || n == 0 || prev != b'E')
                && (n == 0 || b"oa&(,kKEU;".contains(&prev)) =>
            {
                continue;
            }
            b'(' if prev == b'(' => continue,
            b')' if prev == b')' => continue,
            b'(' if prev == b'f' || prev == b'F' => {
                // Swallow the argument list into the function token.
                let mut depth = 1;
                let mut upgrade = false;
                while depth > 0 {
                    let Some(a) = lx.next_tok() else { break };
                    match a.kind {
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        b'E' | b'F' | b'U' => upgrade = true,
                        b'c' => break,
                        _ => {}
                    }
                }
                if upgrade {
                    out[n - 1].kind = b'F';
                }
                continue;
            }
            // (A bare word is not folded in: `123&ref=x` is a query string, not SQL.)
            k if operand(k)
                && k != b'n'
                && n >= 2 + floor
                && out[n - 1].kind == b'a'
                && operand(out[n - 2].kind) =>
            {
                // `a + b` is a value.
                n -= 1;
                continue;
            }
            _ => {}
        }
        if t.kind == b'a' && t.tag == T_STAR && prev == b'E' {
            t.kind = b'1'; // `select *`: the column list
        }
        out[n] = t;
        n += 1;
        if t.kind == b'c' {
            break;
        }
    }
    (n, lx.hidden, lx.i >= s.len())
}

fn kind(t: &[Tok], i: usize) -> u8 {
    t.get(i).map_or(0, |t| t.kind)
}

/// Whether the folded tokens of one context are an attack.
pub(super) fn attack(t: &[Tok], ctx: Ctx, hidden: bool) -> bool {
    let quoted = matches!(ctx, Ctx::Quote(_));
    if t.is_empty() {
        return false;
    }
    if ctx == Ctx::Bare {
        // `@@version`, `@@hostname--`: a system variable as the whole value.
        if t[0].kind == b'v' && t[0].tag == T_SYSVAR && matches!(kind(t, 1), 0 | b'c' | b';') {
            return true;
        }
        // A number closed by an empty comment (`-1--`, `1 #`): a probe for a numeric
        // context; and a number then SQL behind comments (`-1#x\nunion`, `1/**/union`).
        if t[0].kind == b'1'
            && ((t.len() == 2 && t[1].kind == b'c' && t[1].tag == T_EMPTY)
                || (hidden && t[1..].iter().any(|t| matches!(t.kind, b'U' | b'E'))))
        {
            return true;
        }
    }
    let mut i = match (ctx, t[0].kind) {
        (Ctx::Quote(_), _) => 1,
        (Ctx::Bare, b'1' | b'v' | b's') => 1,
        (Ctx::Bare, b'n') if matches!(kind(t, 1), b'&' | b')' | b';' | b',') => 1,
        (Ctx::Bare, b'&' | b'U' | b';' | b')' | b'k' | b',') => 0,
        (Ctx::Bare, b'(') => match group_end(t) {
            Some(end) => end,
            None => return statement(t),
        },
        (Ctx::Bare, _) => return statement(t),
    };
    if quoted && balanced(t) {
        return true;
    }
    let word = matches!(ctx, Ctx::Bare) && t[0].kind == b'n';
    let mut closed = i > 1;
    // Closing parentheses and the rest of a value list (`'),null,null) …`).
    loop {
        if kind(t, i) == b')' {
            i += 1;
            closed = true;
        } else if kind(t, i) == b',' && matches!(kind(t, i + 1), b'1' | b's' | b'n' | b'v') {
            i += 2;
        } else {
            break;
        }
    }
    tail(&t[i..], quoted, closed, word)
}

/// A quoted context whose value ends by opening a string for the application's own
/// closing quote, with only an expression between (`a' - 'b`, `' or 'a'='a`,
/// `aa' or column!='1`): the quotes balance only as code. A single word quoted as in
/// prose (`the 'like' button`) is not.
fn balanced(t: &[Tok]) -> bool {
    let Some((last, mid)) = t[1..].split_last() else {
        return false;
    };
    // The string reopened for the application's quote is short (`'1`, `'a`, `'`).
    if last.kind != b's' || last.tag != T_OPEN || last.word > 12 || mid.is_empty() {
        return false;
    }
    let op = |k: u8| matches!(k, b'o' | b'a' | b'&');
    let before = mid[mid.len() - 1].kind;
    // Longer expressions compare or join (`"/a/b">`, `4'+x+4'` are markup and sizes);
    // an empty reopened string follows an operator (`' or ''='`; `16" or 18"` is a
    // size).
    (mid.len() == 1 || mid.iter().any(|t| matches!(t.kind, b'o' | b'&')))
        && (last.word > 1 || op(before))
        && !(mid.len() == 1 && before == b'&')
        && mid.iter().any(|t| op(t.kind))
        && mid
            .iter()
            .all(|t| op(t.kind) || matches!(t.kind, b'1' | b'n' | b'v' | b'f' | b'F' | b's' | b'(' | b')'))
        && !mid.windows(2).any(|w| w[0].kind == b'n' && w[1].kind == b'n')
        // One operator alone needs spaces around it (`a' - 'b`, not `"&"`); after a
        // letter the expression starts with logic (`aa'or x!='1`, not `"mod" "x"`).
        && (mid.len() > 1 || t[0].tag == T_SPACE)
        && (t[0].tag != T_LETTER || mid[0].kind == b'&')
}

/// After a leading `(`: the index after its `)` if what is inside is an expression
/// (not English in parentheses: no two words in a row, not a lone word).
fn group_end(t: &[Tok]) -> Option<usize> {
    let close = t.iter().position(|t| t.kind == b')')?;
    let inner = &t[1..close];
    let words = inner
        .windows(2)
        .any(|w| w[0].kind == b'n' && w[1].kind == b'n');
    if inner.is_empty() || words || (inner.len() == 1 && inner[0].kind == b'n') {
        return None;
    }
    if inner.iter().any(|t| t.kind == b'E') {
        return None; // a subquery: see `statement`
    }
    Some(close + 1)
}

/// What follows a context break. `word`: the break was a bare word (`tom or …`), so
/// what follows must hold a literal, not just more words.
fn tail(t: &[Tok], quoted: bool, closed: bool, word: bool) -> bool {
    let k0 = kind(t, 0);
    let k1 = kind(t, 1);
    let k2 = kind(t, 2);
    match k0 {
        // `admin'--`, `1)#`; not `7" #2 needle` (text right after the marker).
        b'c' => (quoted || closed) && t[0].tag != T_TEXT,
        b';' => {
            matches!(k1, b'E' | b'F' | b'v' | b'f')
                || (k1 == b'(' && matches!(k2, b'E' | b'F'))
                || (k1 == b'K' && t[1].tag == T_SET && (k2 == b'v' || kind(t, 3) == b'o'))
                || (k1 == b'&' && expression(&t[2..], quoted, word))
                || (quoted
                    && (k1 == b'c'
                        || (k1 == b'K' && k2 != 0)
                        || (k1 == b'n' && matches!(k2, b'1' | b's' | b'v' | b'(' | b'o'))))
        }
        b'U' => matches!(k1, b'E' | b'('),
        b'F' => quoted,
        b'(' => k1 == b'E',
        b'E' => {
            (k1 != 0 && !matches!(k1, b'n' | b's'))
                || (k1 == b'n' && !matches!(k2, 0 | b'n' | b's'))
                || (quoted && k1 == b'n' && t[2..].iter().any(|t| matches!(t.kind, b';' | b'c')))
        }
        b'k' => match k1 {
            b'1' | b'f' | b'F' | b'v' | b'E' | b'K' => true,
            b'(' => matches!(k2, b'E' | b'1' | b's' | b'v' | b'F' | b'f'),
            b's' => matches!(k2, b'o' | b'&' | b'c' | b';'),
            b'n' => matches!(k2, b'o' | b'a' | b',' | b'c' | b';' | b'k'),
            _ => false,
        },
        // At the end of the value only a logic or symbolic comparison operator closes on
        // a literal (`' or 1`, `1' = '1`); not `"like" stamp`, not `3/4" - vintage`.
        b'o' if t[0].tag == T_WORD => expression(&t[1..], false, word),
        b'&' | b'o' => expression(&t[1..], quoted, word),
        b'a' => expression(&t[1..], false, true),
        b',' => matches!(k1, b'F' | b'E' | b'v') || (k1 == b'(' && k2 == b'E'),
        _ => false,
    }
}

/// After a logic or comparison operator: is what follows SQL? `end_ok`: a lone literal
/// at the end counts (quoted context). `strict`: a comparison of two bare words needs
/// SQL after it (`x" > y < z` is markup, `' or x=x--` is SQL).
fn expression(t: &[Tok], end_ok: bool, strict: bool) -> bool {
    // Parentheses do not change what is compared; a subquery shows as `E`.
    let mut r = [0u8; MAX];
    let mut words = [0u32; MAX];
    let mut m = 0;
    for tok in t.iter().filter(|t| !matches!(t.kind, b'(' | b')')) {
        // `a - b` is a value.
        if operand(tok.kind) && m >= 2 && r[m - 1] == b'a' && operand(r[m - 2]) {
            m -= 1;
            continue;
        }
        r[m] = tok.kind;
        words[m] = tok.word;
        m += 1;
    }
    // `x=x`: a word compared with itself is a tautology.
    if m >= 3 && r[0] == b'n' && r[1] == b'o' && r[2] == b'n' && words[0] == words[2] {
        return true;
    }
    let r = &r[..m];
    let at = |i: usize| r.get(i).copied().unwrap_or(0);
    let literal = |k: u8| matches!(k, b's' | b'1' | b'v');
    let after = |k: u8| matches!(k, b'c' | b';' | b'&' | b'k' | b'U');
    match at(0) {
        b'F' | b'E' => true,
        b'f' => !strict || after(at(1)),
        b'n' if strict => at(1) == b'o' && operand(at(2)) && after(at(3)),
        k if operand(k) => match at(1) {
            b'o' => match at(2) {
                b'f' | b'F' | b'E' => true,
                b'n' if k == b'n' => after(at(3)),
                k2 if operand(k2) => true,
                _ => false,
            },
            b'c' | b';' => true,
            b'&' => {
                matches!(at(2), b'f' | b'F' | b'E')
                    || (operand(at(2)) && matches!(at(3), b'o' | b'c' | b';'))
                    || (end_ok && operand(at(2)) && at(3) == b'&')
            }
            b'U' => at(2) == b'E',
            b'k' => literal(k),
            0 => end_ok && literal(k),
            _ => false,
        },
        _ => false,
    }
}

/// A whole statement (or a subquery, or an attack-only call) as the value.
fn statement(t: &[Tok]) -> bool {
    let sub = kind(t, 0) == b'(';
    let t = if sub { &t[1..] } else { t };
    let k1 = kind(t, 1);
    // `(select 1 …`, `(select (…`, `(select x/2 …`: a subquery ("(select all that apply)"
    // is not: a keyword or plain words follow).
    if sub && kind(t, 0) == b'E' && t[0].tag == T_SELECT {
        match k1 {
            b'1' | b's' | b'v' | b'f' | b'F' | b'(' | b'E' => return true,
            b'n' if matches!(kind(t, 2), b'a' | b'o' | b',' | b'K') => return true,
            _ => {}
        }
    }
    let tag1 = t.get(1).map_or(0, |t| t.tag);
    match kind(t, 0) {
        b'F' => {
            matches!(k1, 0 | b'c' | b';' | b'&' | b')' | b'E' | b'U')
                || (matches!(k1, b'o' | b'a') && matches!(kind(t, 2), b'1' | b's' | b'v' | b'F'))
        }
        b'f' => matches!(k1, b'E' | b'U') || (k1 == b';' && matches!(kind(t, 2), b'E' | b'F')),
        b'E' => match t[0].tag {
            // A query typed as text (`select * from users`) is not an attack; one that
            // ends in a comment or `;`, reads a system variable or table, calls an
            // attack-only function or selects literal numbers (`select 1,2,3 from`) is.
            T_SELECT => {
                select_list(&t[1..])
                    && (t[1..]
                        .iter()
                        .any(|t| matches!(t.kind, b'c' | b';' | b'U' | b'F' | b'v'))
                        || (kind(t, 1) == b'1' && t[1].tag != T_STAR)
                        || t.windows(2).any(|w| w[0].kind == b',' && w[1].kind == b'1'))
            }
            T_INSERT => tag1 == T_INTO,
            // `drop table users;` or `--`, `create table x (…)`; not "drop table tennis".
            T_DROP | T_DDL => {
                tag1 == T_OBJECT
                    && (kind(t, 2) == b'f'
                        || (kind(t, 2) == b'n' && matches!(kind(t, 3), b';' | b'c')))
            }
            T_EXEC => matches!(k1, b'F' | b'(' | b'v'),
            T_DECLARE => k1 == b'v',
            T_WAITFOR => k1 == b'K' && kind(t, 2) == b's',
            T_SHUTDOWN => matches!(k1, b'c' | b';') || (k1 == b'K' && kind(t, 2) == b'K'),
            T_UPDATE => k1 == b'n' && t.get(2).is_some_and(|t| t.tag == T_SET),
            T_DELETE => {
                tag1 == T_FROM && kind(t, 2) == b'n' && matches!(kind(t, 3), b'k' | b';' | b'c')
            }
            _ => false,
        },
        _ => false,
    }
}

/// After `select`: a column list then `from`, or a value only SQL has. Parentheses
/// around the columns do not matter (`select ((1)),(2) from`).
fn select_list(t: &[Tok]) -> bool {
    let mut buf = [Tok::default(); MAX];
    let mut m = 0;
    for tok in t.iter().filter(|t| !matches!(t.kind, b'(' | b')')) {
        buf[m] = *tok;
        m += 1;
    }
    let t = &buf[..m];
    match kind(t, 0) {
        b'v' | b'F' => return true,
        b'1' | b'f' | b's' if matches!(kind(t, 1), 0 | b'c' | b';' | b',' | b'U' | b')') => {
            return true
        }
        _ => {}
    }
    // operand (, operand)* from
    let mut i = 0;
    loop {
        if !matches!(kind(t, i), b'1' | b'n' | b'f' | b'F' | b's' | b'v') {
            return false;
        }
        i += 1;
        match kind(t, i) {
            b',' => i += 1,
            b'K' => return t[i].tag == T_FROM,
            _ => return false,
        }
    }
}
