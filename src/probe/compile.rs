//! Compiling a rule set: the built-in tables and the user's rules become one automaton
//! (literals, with what each occurrence means), one regex set and the rule list.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use aho_corasick::dfa::DFA;
use regex::bytes::{RegexBuilder, RegexSet, RegexSetBuilder};

use super::normalize::normalize_path;
use super::rules::{CustomKind, RuleError, RuleErrorKind};
use super::scan;
use super::signatures::{self, Anchor, Cond, Scope, ALLOW, PATTERNS};
use super::{Classifier, ProbeCategory, ProbeRules};

pub(super) struct Compiled {
    /// Every literal: scans the path forms.
    pub(super) automaton: DFA,
    /// The literals that can decide something in the query (see [`query_relevant`]),
    /// and each one's pattern in [`Compiled::automaton`]; `None` when there is none. The
    /// query is most of a long target's bytes, and most literals (path signatures, the
    /// triggers of payload regexes the injection engine decides there) only cost it a
    /// stop per occurrence.
    pub(super) query_automaton: Option<(scan::Scanner, Vec<u32>)>,
    /// `&` when no query literal holds it: then no match spans a `&`, and a long query
    /// is cut there for the scan's chains without overlaps (see
    /// [`scan::for_each_match_until`]).
    pub(super) query_sep: Option<u8>,
    /// Per automaton pattern, its signatures in `sigs`.
    pub(super) pattern_sigs: Vec<Range<u32>>,
    pub(super) sigs: Vec<Sig>,
    pub(super) rules: Vec<Rule>,
    pub(super) patterns: Option<RegexSet>,
    /// Per built-in regex: rule and payload flag.
    pub(super) pattern_rules: Vec<u32>,
    pub(super) custom_regex: Option<RegexSet>,
    pub(super) custom_regex_rules: Vec<u32>,
    /// Rules decided by code rather than by a signature; absent without built-ins.
    pub(super) special: Option<Special>,
}

pub(super) struct Rule {
    pub(super) id: Arc<str>,
    pub(super) category: ProbeCategory,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Sig {
    pub(super) what: SigKind,
    pub(super) scope: Scope,
    pub(super) anchor: Anchor,
    pub(super) cond: Cond,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SigKind {
    Rule {
        rule: u32,
        /// The rule's category rank, to skip occurrences that cannot win.
        rank: u8,
        payload: bool,
    },
    /// A literal some regex signature needs: the regex set runs only if one was seen,
    /// and only if one of those signatures (the best has category rank `rank`) could
    /// beat what was found.
    Trigger {
        rank: u8,
    },
    AllowBuiltin,
    AllowUser,
}

#[derive(Clone, Copy)]
pub(super) struct Special {
    pub(super) dot_dot: u32,
    pub(super) null_byte: u32,
    pub(super) shellshock: u32,
    pub(super) jndi: u32,
    pub(super) script_upload: u32,
    pub(super) crlf: u32,
}

/// Collects rules and literals while compiling.
#[derive(Default)]
struct Compiler {
    rules: Vec<Rule>,
    rule_index: HashMap<(String, ProbeCategory), u32>,
    needles: Vec<Vec<u8>>,
    needle_index: HashMap<Vec<u8>, usize>,
    /// Per needle, its signatures.
    needle_sigs: Vec<Vec<Sig>>,
}

impl Compiler {
    fn rule(&mut self, id: &str, category: ProbeCategory) -> u32 {
        let next = self.rules.len() as u32;
        *self
            .rule_index
            .entry((id.to_owned(), category))
            .or_insert_with(|| {
                self.rules.push(Rule {
                    id: Arc::from(id),
                    category,
                });
                next
            })
    }

    /// Marks `needle` as a trigger of a regex signature of category rank `rank`; one
    /// trigger per literal, with the best rank of the signatures that need it.
    fn trigger(&mut self, needle: &[u8], rank: u8) {
        if let Some(&i) = self.needle_index.get(needle) {
            for sig in &mut self.needle_sigs[i] {
                if let SigKind::Trigger { rank: r } = &mut sig.what {
                    *r = (*r).min(rank);
                    return;
                }
            }
        }
        let sig = Sig {
            what: SigKind::Trigger { rank },
            scope: Scope::Target,
            anchor: Anchor::Anywhere,
            cond: Cond::Always,
        };
        self.literal(needle, sig);
    }

    fn literal(&mut self, needle: &[u8], sig: Sig) {
        let i = match self.needle_index.get(needle) {
            Some(&i) => i,
            None => {
                self.needles.push(needle.to_vec());
                self.needle_sigs.push(Vec::new());
                self.needle_index
                    .insert(needle.to_vec(), self.needles.len() - 1);
                self.needles.len() - 1
            }
        };
        self.needle_sigs[i].push(sig);
    }
}

/// Triggers in the query of regex signatures this specific or less (traversal,
/// injection) are left to the injection engine ([`super::payload::merge`]).
pub(super) const ENGINE_RANK: u8 = ProbeCategory::Traversal.rank();

/// Whether a signature can decide anything in the query: its scope takes the query, and
/// it is not the trigger of a payload regex (those are the injection engine's there).
fn query_relevant(sig: &Sig) -> bool {
    matches!(sig.scope, Scope::Query | Scope::Target)
        && !matches!(sig.what, SigKind::Trigger { rank } if rank >= ENGINE_RANK)
}

pub(super) fn payload_category(c: ProbeCategory) -> bool {
    matches!(c, ProbeCategory::Traversal | ProbeCategory::Injection)
}

pub(super) fn compile(rules: &ProbeRules) -> Result<Classifier, RuleError> {
    // Every classifier classifies user agents with the one built-in table.
    super::crawlers::warm();
    let mut c = Compiler::default();
    let builtin = !rules.without_builtin;
    if builtin {
        for lit in signatures::literals() {
            let rule = c.rule(lit.rule, lit.category);
            let payload =
                matches!(lit.scope, Scope::Query | Scope::Target) || payload_category(lit.category);
            let sig = Sig {
                what: SigKind::Rule {
                    rule,
                    rank: lit.category.rank(),
                    payload,
                },
                scope: lit.scope,
                anchor: lit.anchor,
                cond: lit.cond,
            };
            for n in lit.needles {
                c.literal(n.as_bytes(), sig);
            }
        }
        for &(needle, anchor) in ALLOW {
            let sig = Sig {
                what: SigKind::AllowBuiltin,
                scope: Scope::Normal,
                anchor,
                cond: Cond::Always,
            };
            c.literal(needle.as_bytes(), sig);
        }
    }
    let mut pattern_rules = Vec::new();
    let mut pattern_src = Vec::new();
    if builtin {
        for p in PATTERNS {
            pattern_rules.push(c.rule(p.rule, p.category));
            pattern_src.push(p.regex);
            let rank = p.category.rank();
            for need in p.needs {
                c.trigger(need, rank);
            }
        }
    }
    let special = builtin.then(|| Special {
        dot_dot: c.rule("dot-dot-slash", ProbeCategory::Traversal),
        null_byte: c.rule("null-byte", ProbeCategory::Traversal),
        shellshock: c.rule("shellshock", ProbeCategory::Cgi),
        jndi: c.rule("log4shell-jndi", ProbeCategory::Injection),
        script_upload: c.rule("script-upload", ProbeCategory::Webshell),
        crlf: c.rule("crlf-injection", ProbeCategory::Injection),
    });

    let mut custom_regex = Vec::new();
    let mut custom_regex_rules = Vec::new();
    for r in &rules.rules {
        if r.id.is_empty() {
            return Err(RuleError::new(&r.id, RuleErrorKind::EmptyId));
        }
        let rule = c.rule(&r.id, r.category);
        let payload = payload_category(r.category);
        let (needle, anchor) = match &r.kind {
            CustomKind::Contains(n) => (n, Anchor::Anywhere),
            CustomKind::Prefix(n) => (n, Anchor::Start),
            CustomKind::Suffix(n) => (n, Anchor::End),
            CustomKind::Regex(src) => {
                // Compiled alone first so that an error names its rule.
                RegexBuilder::new(src)
                    .unicode(false)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| RuleError::new(&r.id, RuleErrorKind::Regex(e)))?;
                custom_regex.push(src.as_str());
                custom_regex_rules.push(rule);
                continue;
            }
        };
        if needle.is_empty() {
            return Err(RuleError::new(&r.id, RuleErrorKind::EmptyNeedle));
        }
        let sig = Sig {
            what: SigKind::Rule {
                rule,
                rank: r.category.rank(),
                payload,
            },
            scope: Scope::Normal,
            anchor,
            cond: Cond::Always,
        };
        c.literal(needle.as_bytes(), sig);
    }
    for prefix in &rules.allow {
        if prefix.is_empty() {
            return Err(RuleError::new(prefix, RuleErrorKind::EmptyAllow));
        }
        let mut normal = String::new();
        normalize_path(prefix, &mut normal);
        let (needle, anchor) = match normal.trim_end_matches('/') {
            "" => ("/", Anchor::Start),
            p => (p, Anchor::Root),
        };
        let sig = Sig {
            what: SigKind::AllowUser,
            scope: Scope::Normal,
            anchor,
            cond: Cond::Always,
        };
        c.literal(needle.as_bytes(), sig);
    }

    // A DFA: the fastest search (one table lookup per byte), at the price of memory
    // (about 2.5 MiB for the built-in set; grows with the total length of custom literals).
    let automaton = scan::build(&c.needles, false).map_err(|e| {
        RuleError::new(
            "literal signatures",
            RuleErrorKind::Automaton(e.to_string()),
        )
    })?;
    let mut query_sep = None;
    let query_automaton = {
        let relevant: Vec<usize> = (0..c.needles.len())
            .filter(|&i| c.needle_sigs[i].iter().any(query_relevant))
            .collect();
        if relevant.is_empty() {
            None
        } else {
            let needles: Vec<&[u8]> = relevant.iter().map(|&i| &c.needles[i][..]).collect();
            query_sep = (!needles.iter().any(|n| n.contains(&b'&'))).then_some(b'&');
            let dfa = scan::build(&needles, false).map_err(|e| {
                RuleError::new("query signatures", RuleErrorKind::Automaton(e.to_string()))
            })?;
            Some((
                scan::Scanner::new(dfa),
                relevant.iter().map(|&i| i as u32).collect(),
            ))
        }
    };
    let mut sigs = Vec::new();
    let mut pattern_sigs = Vec::with_capacity(c.needle_sigs.len());
    for list in &c.needle_sigs {
        let start = sigs.len() as u32;
        sigs.extend_from_slice(list);
        pattern_sigs.push(start..sigs.len() as u32);
    }
    let patterns = if pattern_src.is_empty() {
        None
    } else {
        let set = RegexSetBuilder::new(&pattern_src)
            .unicode(false)
            .multi_line(true)
            .line_terminator(b'\0')
            .build()
            .map_err(|e| RuleError::new("built-in patterns", RuleErrorKind::Regex(e)))?;
        Some(set)
    };
    let custom_regex = if custom_regex.is_empty() {
        None
    } else {
        let set = RegexSetBuilder::new(&custom_regex)
            .unicode(false)
            .case_insensitive(true)
            .build()
            .map_err(|e| RuleError::new("custom regex rules", RuleErrorKind::Regex(e)))?;
        Some(set)
    };
    Ok(Classifier::new(Compiled {
        automaton,
        query_automaton,
        query_sep,
        pattern_sigs,
        sigs,
        rules: c.rules,
        patterns,
        pattern_rules,
        custom_regex,
        custom_regex_rules,
        special,
    }))
}
