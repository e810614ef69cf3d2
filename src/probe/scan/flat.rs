//! A flat copy of a small Aho-Corasick DFA, for the per-byte loop.
//!
//! aho-corasick's `DFA::next_state` is a byte-class load and a bounds-checked table load.
//! Here the table is a fixed power-of-two array indexed through a mask, so the check
//! goes (the crate forbids `unsafe`, and this is how the compiler drops it safely), and
//! a transition into a special state carries [`SPECIAL`], a bit above the mask, so
//! "special" is one sign test, and "any of four states special" one test of their `|`. On the query
//! automaton (about 1,200 states, 60 byte classes) that is about two instructions fewer
//! per byte of every query, measured with callgrind (`benches/probe.rs`), and of every
//! `User-Agent`. Built once per rule set; only a DFA whose table fits is copied (the
//! caller keeps the crate's otherwise).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::Anchored;

use super::Steps;

/// The matches of one special state: (pattern, length).
type Matches = Box<[(u32, u32)]>;

/// Table entries: 2^18 (1 MiB of `u32`, allocated zeroed: only the states' rows are
/// touched, 280 KiB for the query automaton, 600 KiB for the user-agent one, which is
/// what the crate's DFA held; the copy replaces it).
const TABLE: usize = 1 << 18;

/// Set on every special state's id: above the table's mask, so the index ignores it.
const SPECIAL: u32 = 1 << 31;

/// The transitions of a DFA of at most [`TABLE`] (state, class) pairs.
pub(in crate::probe) struct Flat {
    /// Next state of `(state + class)`; states are premultiplied by `stride`.
    trans: Box<[u32; TABLE]>,
    /// Each byte's class.
    classes: [u8; 256],
    start: u32,
    stride: u32,
    /// For each special state (by `state / stride`): its matches, (pattern, length).
    matches: Box<[Matches]>,
    max_pattern_len: usize,
}

impl Flat {
    /// Copies `dfa`'s reachable states, or `None` when they do not fit the table.
    pub(in crate::probe) fn new(dfa: &DFA) -> Option<Flat> {
        // Built once per rule set, but on a debug build too, and the user-agent table
        // lazily on a first request: plain index loops, no hashing per transition.
        let start = dfa.start_state(Anchored::No).ok()?;
        // Every reachable state and its 256 successors, breadth first. The crate's
        // state ids are small integers (offsets into its table): a vector maps them.
        const NONE: u32 = u32::MAX;
        let mut index: Vec<u32> = Vec::new();
        let mut number = |sid: StateID, order: &mut Vec<StateID>| -> usize {
            let k = sid.as_usize();
            if k >= index.len() {
                index.resize(k + 1, NONE);
            }
            if index[k] == NONE {
                index[k] = order.len() as u32;
                order.push(sid);
            }
            index[k] as usize
        };
        let mut order = Vec::new();
        number(start, &mut order);
        let mut next: Vec<[u32; 256]> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let s = order[i];
            let mut row = [0u32; 256];
            for (b, slot) in row.iter_mut().enumerate() {
                let t = dfa.next_state(Anchored::No, s, b as u8);
                *slot = number(t, &mut order) as u32;
            }
            next.push(row);
            i += 1;
            if order.len() > TABLE {
                return None; // far too big: do not even finish the walk
            }
        }
        // Bytes whose columns are equal share a class: a hash of each column sorts the
        // bytes, and equal hashes are checked column against column.
        let mut keyed: Vec<(u64, u8)> = (0..=255u8)
            .map(|b| {
                let mut h = 0xcbf2_9ce4_8422_2325u64;
                for row in &next {
                    h = (h ^ u64::from(row[usize::from(b)])).wrapping_mul(0x0000_0100_0000_01b3);
                }
                (h, b)
            })
            .collect();
        keyed.sort_unstable();
        let same = |x: u8, y: u8| next.iter().all(|r| r[usize::from(x)] == r[usize::from(y)]);
        let mut classes = [0u8; 256];
        // Representatives of the classes made so far, with their hashes.
        let mut reps: Vec<(u64, u8)> = Vec::new();
        for &(h, b) in &keyed {
            let found = reps
                .iter()
                .rev()
                .take_while(|r| r.0 == h)
                .position(|r| same(r.1, b))
                .map(|k| reps.len() - 1 - k);
            match found {
                Some(k) => classes[usize::from(b)] = classes[usize::from(reps[k].1)],
                None => {
                    classes[usize::from(b)] = u8::try_from(reps.len()).ok()?;
                    reps.push((h, b));
                }
            }
        }
        let stride = reps.len();
        if order.len() * stride > TABLE {
            return None;
        }
        // Special states first (their ids also carry [`SPECIAL`]): new number of each
        // old index.
        let mut renum = vec![0usize; order.len()];
        let mut specials = Vec::new();
        let mut n = 0;
        for pass in [true, false] {
            for (old, &s) in order.iter().enumerate() {
                if Automaton::is_special(dfa, s) == pass {
                    renum[old] = n;
                    n += 1;
                    if pass {
                        specials.push(s);
                    }
                }
            }
        }
        let mut trans: Box<[u32; TABLE]> = vec![0u32; TABLE].into_boxed_slice().try_into().ok()?;
        for (old, row) in next.iter().enumerate() {
            let base = renum[old] * stride;
            for (b, &to) in row.iter().enumerate() {
                let to = renum[to as usize];
                let mark = if to < specials.len() { SPECIAL } else { 0 };
                trans[base + usize::from(classes[b])] = (to * stride) as u32 | mark;
            }
        }
        let matches = specials
            .iter()
            .map(|&s| {
                let k = if dfa.is_match(s) { dfa.match_len(s) } else { 0 };
                (0..k)
                    .map(|k| {
                        let pid = dfa.match_pattern(s, k);
                        (pid.as_u32(), dfa.pattern_len(pid) as u32)
                    })
                    .collect()
            })
            .collect();
        Some(Flat {
            trans,
            classes,
            start: (renum[0] * stride) as u32
                | if renum[0] < specials.len() {
                    SPECIAL
                } else {
                    0
                },
            stride: stride as u32,
            matches,
            max_pattern_len: Automaton::max_pattern_len(dfa),
        })
    }
}

impl Steps for Flat {
    type Id = u32;

    fn start(&self) -> Option<u32> {
        Some(self.start)
    }

    #[inline(always)]
    fn next(&self, s: u32, b: u8) -> u32 {
        let class = u32::from(self.classes[usize::from(b)]);
        self.trans[(s.wrapping_add(class)) as usize & (TABLE - 1)]
    }

    #[inline(always)]
    fn is_special(&self, s: u32) -> bool {
        s & SPECIAL != 0
    }

    #[inline(always)]
    fn any_special4(&self, a: u32, b: u32, c: u32, d: u32) -> bool {
        (a | b | c | d) & SPECIAL != 0
    }

    fn each_match(&self, s: u32, f: &mut dyn FnMut(usize, usize) -> bool) -> bool {
        let list = self
            .matches
            .get(((s & !SPECIAL) / self.stride) as usize)
            .map_or(&[][..], |l| &l[..]);
        list.iter().all(|&(p, len)| f(p as usize, len as usize))
    }

    fn max_pattern_len(&self) -> usize {
        self.max_pattern_len
    }
}

#[cfg(test)]
mod tests {
    use super::super::{build, for_each_match};
    use super::*;
    use proptest::prelude::*;

    type Found = Vec<(usize, usize, usize)>;

    fn both(needles: &[&str], hay: &str) -> (Found, Found) {
        let dfa = build(needles, false).unwrap();
        let flat = Flat::new(&dfa).unwrap();
        let mut a = Vec::new();
        for_each_match(&dfa, hay.as_bytes(), &mut |p, s, e| a.push((p, s, e)));
        let mut b = Vec::new();
        for_each_match(&flat, hay.as_bytes(), &mut |p, s, e| b.push((p, s, e)));
        a.sort_unstable();
        b.sort_unstable();
        (a, b)
    }

    #[test]
    fn finds_what_the_dfa_finds() {
        let (a, b) = both(&["or ", "and ", "(", "union"], "x or y and (union) or ");
        assert_eq!(a.len(), 5);
        assert_eq!(a, b);
    }

    #[test]
    fn a_table_too_big_is_refused() {
        // Many long distinct needles: more states times classes than the table holds.
        let needles: Vec<String> = (0..4000)
            .map(|i| format!("{i:x}-needle-{}", i * 7919))
            .collect();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert!(Flat::new(&build(&needles, false).unwrap()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_the_dfa(
            needles in proptest::collection::vec("[ab/.\\x00\\xff]{1,6}", 1..8),
            hay in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            let hay = String::from_utf8_lossy(&hay).into_owned();
            let (a, b) = both(&needles, &hay);
            prop_assert_eq!(a, b);
        }
    }
}
