//! One pass of an Aho-Corasick DFA over a haystack, reporting every occurrence of every
//! pattern (overlapping). A hand-written loop over aho-corasick's public `Automaton`
//! trait: one table lookup and one comparison per byte, about a third of the
//! instructions of the crate's generic overlapping iterator.

use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

mod flat;

pub(super) use flat::Flat;

/// An automaton to scan with: a [`Flat`] copy when it fits (the built-in query and
/// user-agent automata do), else the crate's DFA (many long custom literals).
pub(super) enum Scanner {
    Flat(Flat),
    Dfa(DFA),
}

impl Scanner {
    /// The flat copy of `dfa` if its table fits, else `dfa` itself.
    pub(super) fn new(dfa: DFA) -> Scanner {
        match Flat::new(&dfa) {
            Some(flat) => Scanner::Flat(flat),
            None => Scanner::Dfa(dfa),
        }
    }

    /// [`for_each_match_until`] with whichever automaton this is.
    pub(super) fn for_each_match_until(
        &self,
        hay: &[u8],
        sep: Option<u8>,
        f: &mut dyn FnMut(usize, usize, usize) -> bool,
    ) {
        match self {
            Scanner::Flat(a) => for_each_match_until(a, hay, sep, f),
            Scanner::Dfa(a) => for_each_match_until(a, hay, sep, f),
        }
    }

    /// [`for_each_match`] with whichever automaton this is.
    pub(super) fn for_each_match(&self, hay: &[u8], f: &mut dyn FnMut(usize, usize, usize)) {
        match self {
            Scanner::Flat(a) => for_each_match(a, hay, f),
            Scanner::Dfa(a) => for_each_match(a, hay, f),
        }
    }
}

/// What the scan loop needs of an automaton: aho-corasick's [`DFA`], or a [`Flat`] copy
/// of a small one (fewer instructions per byte).
pub(super) trait Steps {
    /// A state.
    type Id: Copy;
    /// The unanchored start state.
    fn start(&self) -> Option<Self::Id>;
    /// The state after reading `b` in `s`.
    fn next(&self, s: Self::Id, b: u8) -> Self::Id;
    /// A match (or dead) state: the loop stops there.
    fn is_special(&self, s: Self::Id) -> bool;
    /// Whether any of four states is special.
    #[inline(always)]
    fn any_special4(&self, a: Self::Id, b: Self::Id, c: Self::Id, d: Self::Id) -> bool {
        self.is_special(a) || self.is_special(b) || self.is_special(c) || self.is_special(d)
    }
    /// Calls `f(pattern, pattern length)` for each pattern that ends in the special
    /// state `s`, until it returns `false`; `false` then.
    fn each_match(&self, s: Self::Id, f: &mut dyn FnMut(usize, usize) -> bool) -> bool;
    /// The longest pattern's length.
    fn max_pattern_len(&self) -> usize;
}

impl Steps for DFA {
    type Id = StateID;

    fn start(&self) -> Option<StateID> {
        self.start_state(Anchored::No).ok()
    }

    #[inline(always)]
    fn next(&self, s: StateID, b: u8) -> StateID {
        self.next_state(Anchored::No, s, b)
    }

    #[inline(always)]
    fn is_special(&self, s: StateID) -> bool {
        Automaton::is_special(self, s)
    }

    fn each_match(&self, s: StateID, f: &mut dyn FnMut(usize, usize) -> bool) -> bool {
        if !self.is_match(s) {
            return true;
        }
        for k in 0..self.match_len(s) {
            let pid = self.match_pattern(s, k);
            if !f(pid.as_usize(), self.pattern_len(pid)) {
                return false;
            }
        }
        true
    }

    fn max_pattern_len(&self) -> usize {
        Automaton::max_pattern_len(self)
    }
}

/// Builds a DFA with standard (report-everything) match semantics.
pub(super) fn build<P: AsRef<[u8]>>(
    needles: &[P],
    ascii_case_insensitive: bool,
) -> Result<DFA, aho_corasick::BuildError> {
    DFA::builder()
        .match_kind(MatchKind::Standard)
        .start_kind(StartKind::Unanchored)
        .ascii_case_insensitive(ascii_case_insensitive)
        .prefilter(false)
        .byte_classes(true)
        .build(needles)
}

/// Calls `f(pattern, start, end)` for every occurrence of every pattern in `hay`, in no
/// particular order.
pub(super) fn for_each_match<A: Steps>(
    dfa: &A,
    hay: &[u8],
    f: &mut dyn FnMut(usize, usize, usize),
) {
    for_each_match_until(dfa, hay, None, &mut |p, s, e| {
        f(p, s, e);
        true
    });
}

/// Calls `f(pattern, start, end)` for occurrences of patterns in `hay`, in no particular
/// order, until `f` returns `false`: then the scan stops at once (a caller that has
/// seen enough does not pay for the rest of a dense haystack).
///
/// A DFA's speed is bound by one dependent load per byte (state, transition, next state),
/// so a long haystack is scanned as two halves at once, and a longer one (a 300-byte
/// query) as four quarters: independent chains keep the processor busy while each waits
/// on its load. Each part after the first starts `max_pattern_len - 1` bytes early so
/// that it sees every match that ends in it whole, and reports only those. Four chains
/// with overlaps read about 5 % more bytes than two (three overlaps instead of one) but
/// took about 15 % off the time of `long_benign_query` in `benches/probe.rs`: the
/// per-byte wait, not the instruction count, bounds the scan.
///
/// `sep`: a byte that no pattern holds, if the caller knows one (a query's `&`). No match
/// spans it, and the automaton is in its start state after it, so the four parts are
/// cut at such bytes instead and need no overlap, when the cuts come out balanced
/// ([`cuts_at`]).
///
/// Not inlined, and the callback is dynamic: it runs only on matches, and keeping it out
/// of the loop lets the loop's state live in registers.
#[inline(never)]
pub(super) fn for_each_match_until<A: Steps>(
    dfa: &A,
    hay: &[u8],
    sep: Option<u8>,
    f: &mut dyn FnMut(usize, usize, usize) -> bool,
) {
    let Some(start) = dfa.start() else {
        return;
    };
    let overlap = dfa.max_pattern_len().saturating_sub(1);
    // Split only when the halves are long next to the overlap: then the two chains
    // take about (len / 2 + overlap) steps instead of len.
    if hay.len() < 2 * overlap + 48 {
        scan(dfa, start, hay, 0, 0, f);
        return;
    }
    if hay.len() >= 4 * overlap + 96 {
        let (from, bounds) = match sep.and_then(|sep| cuts_at(hay, sep, overlap)) {
            Some(cuts) => ([0, cuts[0] + 1, cuts[1] + 1, cuts[2] + 1], cuts),
            None => {
                // Quarters, each after the first starting `overlap` bytes before its
                // part, so that it sees every match that ends in its part whole.
                let step = (hay.len() - overlap) / 4;
                let part = |k: usize| k * step + overlap;
                ([0, step, 2 * step, 3 * step], [part(1), part(2), part(3)])
            }
        };
        four(dfa, start, hay, from, bounds, f);
        return;
    }
    let mid = hay.len() / 2;
    let b_from = mid - overlap;
    let (a, b) = (&hay[..mid], &hay[b_from..]);
    let (mut sa, mut sb) = (start, start);
    let mut at = 0;
    // `a` is the shorter: step both over its length, then finish `b` alone.
    while at < a.len() {
        (sa, sb, at) = advance2(dfa, sa, a, sb, b, at);
        if dfa.is_special(sa) && !report(dfa, sa, at, 0, 0..usize::MAX, f) {
            return;
        }
        if dfa.is_special(sb) && !report(dfa, sb, at, b_from, mid..usize::MAX, f) {
            return;
        }
    }
    // Everything `b` finds from here on ends past `mid`.
    scan(dfa, sb, b, a.len(), b_from, f);
}

/// Three separator positions that cut `hay` into four parts, the last one the longest
/// and shorter than overlapping quarters (a quarter plus the overlap): each cut is the
/// last separator at or before a quarter point, so the last part takes the slack.
fn cuts_at(hay: &[u8], sep: u8, overlap: usize) -> Option<[usize; 3]> {
    let len = hay.len();
    let mut cuts = [0; 3];
    let mut from = 0;
    for (k, cut) in cuts.iter_mut().enumerate() {
        let target = (k + 1) * len / 4;
        *cut = from + memchr::memrchr(sep, hay.get(from..target)?)?;
        from = *cut + 1;
    }
    let last = len - from;
    let parts = [cuts[0], cuts[1] - cuts[0] - 1, cuts[2] - cuts[1] - 1];
    (parts.iter().all(|&p| p <= last) && last < (len + 3 * overlap) / 4).then_some(cuts)
}

/// Four chains stepped together. Chain `k` starts in the start state at `from[k]` and
/// reads as many bytes as the last one (to the end of `hay`), which is at least to the
/// end of its own part; it reports only the matches that end in its part, after
/// `bounds[k - 1]` (or 0) and up to `bounds[k]` (or the end). The caller picks `from`
/// so that a chain sees every match that ends in its part whole: `overlap` bytes early,
/// or right after a separator no pattern holds.
fn four<A: Steps>(
    dfa: &A,
    start: A::Id,
    hay: &[u8],
    from: [usize; 4],
    bounds: [usize; 3],
    f: &mut dyn FnMut(usize, usize, usize) -> bool,
) {
    let lo = [0, bounds[0], bounds[1], bounds[2]];
    let hi = [bounds[0], bounds[1], bounds[2], hay.len()];
    let n = hay.len() - from[3];
    debug_assert!((0..3).all(|k| from[k] + n >= hi[k]));
    let parts = from.map(|s| &hay[s..s + n]);
    let mut s = [start; 4];
    let mut at = 0;
    while at < n {
        let (a, b, c, d, next) = advance4(dfa, s, parts, at, n);
        s = [a, b, c, d];
        at = next;
        for (k, &sid) in s.iter().enumerate() {
            if dfa.is_special(sid) && !report(dfa, sid, at, from[k], lo[k]..hi[k], f) {
                return;
            }
        }
    }
}

/// [`advance2`] with four chains, over `hay[k][at..n]` (each at least `n` long).
#[inline(never)]
fn advance4<A: Steps>(
    dfa: &A,
    s: [A::Id; 4],
    hay: [&[u8]; 4],
    at: usize,
    n: usize,
) -> (A::Id, A::Id, A::Id, A::Id, usize) {
    let [mut sa, mut sb, mut sc, mut sd] = s;
    let [a, b, c, d] = hay.map(|h| &h[at..n]);
    for (i, (((&x, &y), &z), &w)) in a.iter().zip(b).zip(c).zip(d).enumerate() {
        sa = dfa.next(sa, x);
        sb = dfa.next(sb, y);
        sc = dfa.next(sc, z);
        sd = dfa.next(sd, w);
        if dfa.any_special4(sa, sb, sc, sd) {
            return (sa, sb, sc, sd, at + i + 1);
        }
    }
    (sa, sb, sc, sd, n)
}

/// Scans `hay[at..]` from state `sid`; positions are reported plus `offset`.
#[inline(always)]
fn scan<A: Steps>(
    dfa: &A,
    mut sid: A::Id,
    hay: &[u8],
    mut at: usize,
    offset: usize,
    f: &mut dyn FnMut(usize, usize, usize) -> bool,
) {
    while at < hay.len() {
        (sid, at) = advance(dfa, sid, hay, at);
        if !dfa.is_special(sid) {
            break; // end of the haystack
        }
        if !report(dfa, sid, at, offset, 0..usize::MAX, f) {
            return;
        }
    }
}

/// Reports the matches of the special state `sid` reached after `hay[..end]`, shifted by
/// `offset`, if they end in `keep` (after its start, up to and including its end: all
/// of a state's matches end at the same byte); `false` when `f` asked to stop.
#[inline]
fn report<A: Steps>(
    dfa: &A,
    sid: A::Id,
    end: usize,
    offset: usize,
    keep: std::ops::Range<usize>,
    f: &mut dyn FnMut(usize, usize, usize) -> bool,
) -> bool {
    let end = end + offset;
    if end <= keep.start || end > keep.end {
        return true;
    }
    dfa.each_match(sid, &mut |pid, len| f(pid, end - len, end))
}

/// Runs the automaton from `sid` at `hay[at]` until it enters a special (match or dead)
/// state or the haystack ends; returns the state and the position after the last byte
/// read. Kept apart so that its few variables stay in registers.
#[inline(never)]
fn advance<A: Steps>(dfa: &A, mut sid: A::Id, hay: &[u8], at: usize) -> (A::Id, usize) {
    for (i, &b) in hay[at..].iter().enumerate() {
        sid = dfa.next(sid, b);
        if dfa.is_special(sid) {
            return (sid, at + i + 1);
        }
    }
    (sid, hay.len())
}

/// [`advance`] over `a` and `b` in step, over the length of `a` (which `b` must not be
/// shorter than): returns when either state is special, or at the end of `a`.
#[inline(never)]
fn advance2<A: Steps>(
    dfa: &A,
    mut sa: A::Id,
    a: &[u8],
    mut sb: A::Id,
    b: &[u8],
    at: usize,
) -> (A::Id, A::Id, usize) {
    for (i, (&x, &y)) in a[at..].iter().zip(&b[at..]).enumerate() {
        sa = dfa.next(sa, x);
        sb = dfa.next(sb, y);
        if dfa.is_special(sa) || dfa.is_special(sb) {
            return (sa, sb, at + i + 1);
        }
    }
    (sa, sb, a.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(needles: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let dfa = build(needles, false).unwrap();
        let mut v = Vec::new();
        for_each_match(&dfa, hay.as_bytes(), &mut |p, s, e| v.push((p, s, e)));
        v.sort_unstable();
        v
    }

    #[test]
    fn reports_overlapping_matches_across_the_split() {
        let hay = format!("{}needle{}", "x".repeat(97), "y".repeat(97));
        for at in 90..110 {
            let hay = format!("{}needle{}", "x".repeat(at), "y".repeat(200 - at));
            assert_eq!(
                all(&["needle", "le"], &hay),
                vec![(0, at, at + 6), (1, at + 4, at + 6)],
                "{at}"
            );
        }
        assert_eq!(all(&["xx"], &hay).len(), 96);
    }

    #[test]
    fn reports_overlapping_matches() {
        assert_eq!(
            all(&["/wp-", "/wp-login.php", "login"], "/wp-login.php"),
            vec![(0, 0, 4), (1, 0, 13), (2, 4, 9)]
        );
        assert_eq!(all(&["aa"], "aaaa"), vec![(0, 0, 2), (0, 1, 3), (0, 2, 4)]);
        assert!(all(&["x"], "").is_empty());
    }

    /// Every overlapping match by the crate's own iterator, sorted.
    fn by_the_crate(needles: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(needles)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        v.sort_unstable();
        v
    }

    /// Every match by the crate's DFA and by its flat copy, each sorted.
    fn by_both(needles: &[&str], hay: &str, sep: Option<u8>) -> [Vec<(usize, usize, usize)>; 2] {
        let dfa = build(needles, false).unwrap();
        let flat = Flat::new(&dfa).unwrap();
        [Scanner::Dfa(dfa), Scanner::Flat(flat)].map(|scanner| {
            let mut got = Vec::new();
            scanner.for_each_match_until(hay.as_bytes(), sep, &mut |p, s, e| {
                got.push((p, s, e));
                true
            });
            got.sort_unstable();
            got
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_the_crate_iterator(
            needles in proptest::collection::vec("[ab/.]{1,6}", 1..8),
            hay in "[ab/.]{0,300}",
        ) {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            prop_assert_eq!(all(&needles, &hay), by_the_crate(&needles, &hay));
        }

        #[test]
        fn long_needles_across_four_chains(
            needles in proptest::collection::vec("[ab]{1,3}|[ab/]{8,30}", 1..6),
            hay in "([ab/]{1,40}&){4,20}[ab/]{0,40}",
            cut in any::<bool>(),
        ) {
            // Long needles make the overlap between chains long: a match that straddles
            // a chain boundary must be reported once, by one chain. No needle holds `&`:
            // with `cut`, the parts are cut there instead, without overlaps.
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            let want = by_the_crate(&needles, &hay);
            for got in by_both(&needles, &hay, cut.then_some(b'&')) {
                prop_assert_eq!(&got, &want);
            }
        }

        #[test]
        fn stops_at_the_first_false(hay in "[ab]{0,600}", stop_after in 1usize..40) {
            let dfa = build(&["ab", "b"], false).unwrap();
            let total = by_the_crate(&["ab", "b"], &hay).len();
            let mut calls = 0;
            for_each_match_until(&dfa, hay.as_bytes(), None, &mut |_, _, _| {
                calls += 1;
                calls < stop_after
            });
            prop_assert_eq!(calls, total.min(stop_after));
        }
    }
}
