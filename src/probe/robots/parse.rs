//! Reading a robots.txt into groups of rules (RFC 9309 §2.1–2.2).

use std::collections::BTreeMap;

use super::pattern::Pattern;
use super::{RobotsTxt, Rule, MAX_ROBOTS_TXT};

/// What a line says.
enum Line<'a> {
    /// `User-agent`: a product token (lower case), or `None` for `*`.
    Agent(Option<String>),
    /// `Allow` (true) or `Disallow` (false), and the path pattern.
    Rule(&'a [u8], bool),
    /// Anything else: `Sitemap`, `Crawl-delay`, junk. It does not end a group.
    Other,
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if !first.is_ascii_whitespace() {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if !last.is_ascii_whitespace() {
            break;
        }
        b = rest;
    }
    b
}

/// The product token a `User-agent` value names: its leading `[A-Za-z_-]` characters
/// (`Googlebot/2.1` names `googlebot`), `*` for every crawler.
fn product_token(value: &[u8]) -> Option<Option<String>> {
    if value.first() == Some(&b'*') {
        return Some(None);
    }
    let end = value
        .iter()
        .position(|&c| !(c.is_ascii_alphabetic() || c == b'_' || c == b'-'))
        .unwrap_or(value.len());
    let token = &value[..end];
    (!token.is_empty()).then(|| Some(String::from_utf8_lossy(token).to_ascii_lowercase()))
}

fn read_line(line: &[u8]) -> Line<'_> {
    let line = match line.iter().position(|&c| c == b'#') {
        Some(hash) => &line[..hash],
        None => line,
    };
    let Some(colon) = line.iter().position(|&c| c == b':') else {
        return Line::Other;
    };
    let key = trim(&line[..colon]);
    let value = trim(&line[colon + 1..]);
    if key.eq_ignore_ascii_case(b"user-agent") {
        match product_token(value) {
            Some(token) => Line::Agent(token),
            None => Line::Other,
        }
    } else if key.eq_ignore_ascii_case(b"allow") {
        Line::Rule(value, true)
    } else if key.eq_ignore_ascii_case(b"disallow") {
        Line::Rule(value, false)
    } else {
        Line::Other
    }
}

pub(super) fn parse(text: &[u8]) -> RobotsTxt {
    let text = &text[..text.len().min(MAX_ROBOTS_TXT)];
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut groups: Vec<Vec<Rule>> = Vec::new();
    let mut agents: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut star: Vec<u32> = Vec::new();
    // The group being read, and whether a rule ended its `User-agent` lines (the next
    // `User-agent` then starts a new group).
    let mut current: Option<u32> = None;
    let mut had_rules = false;
    for line in text.split(|&c| c == b'\n' || c == b'\r') {
        match read_line(line) {
            Line::Agent(token) => {
                let g = match current {
                    Some(g) if !had_rules => g,
                    _ => {
                        groups.push(Vec::new());
                        had_rules = false;
                        (groups.len() - 1) as u32
                    }
                };
                current = Some(g);
                let list = match token {
                    Some(token) => agents.entry(token).or_default(),
                    None => &mut star,
                };
                if list.last() != Some(&g) {
                    list.push(g);
                }
            }
            Line::Rule(value, allow) => {
                // Rules before any `User-agent` belong to no group.
                let Some(g) = current else { continue };
                had_rules = true;
                if let Some(pattern) = Pattern::new(value) {
                    groups[g as usize].push(Rule { pattern, allow });
                }
            }
            Line::Other => {}
        }
    }
    for rules in &mut groups {
        // Longest first, `Allow` first among equals: the first match is the best.
        rules.sort_by_key(|r| std::cmp::Reverse((r.pattern.len, r.allow)));
        rules.dedup();
    }
    RobotsTxt {
        agents: agents
            .into_iter()
            .map(|(token, groups)| (token.into_boxed_str(), groups))
            .collect(),
        star,
        groups,
    }
}
