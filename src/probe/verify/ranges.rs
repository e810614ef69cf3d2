//! The operators' published ranges: parsed from their JSON files into sorted, merged
//! intervals, looked up by binary search without allocating.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;

use super::operators::{list_id, LISTS};

/// Why a range list could not be loaded.
///
/// # Example
/// ```
/// use reqlog::probe::{CrawlerVerifier, RangesError};
///
/// let err = CrawlerVerifier::new().ranges_json("googlebot", "{}").unwrap_err();
/// assert!(matches!(err, RangesError::Format { .. }));
/// let err = CrawlerVerifier::new().ranges_json("nobody", "{}").unwrap_err();
/// assert!(matches!(err, RangesError::UnknownList(_)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RangesError {
    /// The list name (a file name without `.json`) is none the verifier knows.
    UnknownList(String),
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The text is not the operators' format
    /// (`{"creationTime":…,"prefixes":[{"ipv4Prefix":"…"},{"ipv6Prefix":"…"}]}`).
    Format {
        /// The list.
        list: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for RangesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangesError::UnknownList(name) => {
                let known: Vec<&str> = LISTS.iter().map(|l| l.name).collect();
                write!(
                    f,
                    "unknown crawler range list {name:?}: name the file as its operator does ({}.json)",
                    known.join(".json, ")
                )
            }
            RangesError::Io { path, source } => {
                write!(f, "cannot read crawler ranges {}: {source}", path.display())
            }
            RangesError::Format { list, reason } => write!(
                f,
                "crawler range list {list:?} is not in the operators' JSON format ({reason}); expected {{\"creationTime\":…,\"prefixes\":[{{\"ipv4Prefix\":\"66.249.64.0/27\"}},…]}}"
            ),
        }
    }
}

impl std::error::Error for RangesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RangesError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// One list's addresses: merged, sorted, non-overlapping closed intervals.
#[derive(Clone, Debug, Default)]
pub(crate) struct RangeList {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
    /// The file's `creationTime`, as written.
    pub(crate) created: Option<String>,
}

impl RangeList {
    /// Parses an operator's file.
    pub(crate) fn parse(list: &str, json: &str) -> Result<RangeList, RangesError> {
        let bad = |reason: String| RangesError::Format {
            list: list.to_owned(),
            reason,
        };
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
        let prefixes = doc
            .get("prefixes")
            .and_then(|p| p.as_array())
            .ok_or_else(|| bad("no \"prefixes\" array".into()))?;
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, entry) in prefixes.iter().enumerate() {
            let text = entry
                .get("ipv4Prefix")
                .or_else(|| entry.get("ipv6Prefix"))
                .and_then(|p| p.as_str())
                .ok_or_else(|| {
                    bad(format!(
                        "prefix {i} has no \"ipv4Prefix\" or \"ipv6Prefix\""
                    ))
                })?;
            let net: IpNet = text
                .trim()
                .parse()
                .map_err(|_| bad(format!("prefix {i} ({text:?}) is not a CIDR network")))?;
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        Ok(RangeList {
            v4: merge(v4),
            v6: merge(v6),
            created: doc
                .get("creationTime")
                .and_then(|t| t.as_str())
                .map(str::to_owned),
        })
    }

    /// Whether `ip` is in the list (an IPv4-mapped IPv6 address counts as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }

    /// How many intervals it holds (after merging).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
}

fn merge<T: Ord + Copy>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            // Overlapping (adjacent ones stay apart: the bound check needs no +1).
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out.shrink_to_fit();
    out
}

fn find<T: Ord + Copy>(v: &[(T, T)], x: T) -> bool {
    // The last interval starting at or before x.
    let i = v.partition_point(|&(lo, _)| lo <= x);
    i > 0 && x <= v[i - 1].1
}

/// Every list the verifier knows, by id (`None` where no data was loaded).
#[derive(Clone, Debug)]
pub(crate) struct RangeTable {
    pub(crate) lists: Vec<Option<RangeList>>,
}

impl RangeTable {
    /// The snapshot shipped in the crate, parsed once per process and shared (a verifier
    /// that loads fresher lists copies it first).
    pub(crate) fn builtin_shared() -> std::sync::Arc<RangeTable> {
        static BUILTIN: std::sync::OnceLock<std::sync::Arc<RangeTable>> =
            std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| std::sync::Arc::new(RangeTable::builtin()))
            .clone()
    }

    /// The snapshot shipped in the crate.
    pub(crate) fn builtin() -> RangeTable {
        let lists = LISTS
            .iter()
            .map(|l| {
                l.builtin.map(|json| {
                    // The snapshot is checked by a test; a broken one would be a build bug.
                    RangeList::parse(l.name, json).unwrap_or_default()
                })
            })
            .collect();
        RangeTable { lists }
    }

    /// Replaces the list `name` with this JSON.
    pub(crate) fn set_json(&mut self, name: &str, json: &str) -> Result<(), RangesError> {
        let id = list_id(name).ok_or_else(|| RangesError::UnknownList(name.to_owned()))?;
        self.lists[id] = Some(RangeList::parse(LISTS[id].name, json)?);
        Ok(())
    }

    /// Replaces the list the file is named for (`googlebot.json` → `googlebot`).
    pub(crate) fn set_file(&mut self, path: &Path) -> Result<(), RangesError> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        list_id(name).ok_or_else(|| RangesError::UnknownList(name.to_owned()))?;
        let json = std::fs::read_to_string(path).map_err(|source| RangesError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.set_json(name, &json)
    }

    /// Replaces every list that has a file of its name in `dir`; other files are
    /// ignored. Returns how many lists were loaded.
    pub(crate) fn set_dir(&mut self, dir: &Path) -> Result<usize, RangesError> {
        let io = |source| RangesError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut loaded = 0;
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let known = path.extension().is_some_and(|e| e == "json")
                && path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(list_id)
                    .is_some();
            if known {
                self.set_file(&path)?;
                loaded += 1;
            }
        }
        Ok(loaded)
    }

    /// Whether `ip` is in any of these lists.
    pub(crate) fn contains(&self, lists: &[usize], ip: IpAddr) -> bool {
        lists
            .iter()
            .any(|&id| self.lists[id].as_ref().is_some_and(|l| l.contains(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_snapshot_parses_and_matches() {
        for l in LISTS {
            if let Some(json) = l.builtin {
                let list = RangeList::parse(l.name, json).unwrap();
                assert!(list.len() > 0, "{}", l.name);
                assert!(list.created.is_some(), "{}", l.name);
            }
        }
        let t = RangeTable::builtin();
        let google = list_id("googlebot").unwrap();
        assert!(t.contains(&[google], "66.249.66.1".parse().unwrap()));
        assert!(t.contains(&[google], "2001:4860:4801:10::1".parse().unwrap()));
        assert!(t.contains(&[google], "::ffff:66.249.66.1".parse().unwrap()));
        assert!(!t.contains(&[google], "203.0.113.10".parse().unwrap()));
        let bing = list_id("bingbot").unwrap();
        assert!(t.contains(&[bing], "157.55.39.7".parse().unwrap()));
        assert!(!t.contains(&[bing], "66.249.66.1".parse().unwrap()));
    }

    #[test]
    fn intervals_merge_and_bounds_hold() {
        let json = r#"{"creationTime":"x","prefixes":[{"ipv4Prefix":"10.0.0.0/24"},
            {"ipv4Prefix":"10.0.0.128/25"},{"ipv4Prefix":"10.0.2.0/24"},{"ipv6Prefix":"2001:db8::/64"}]}"#;
        let l = RangeList::parse("t", json).unwrap();
        assert_eq!(l.len(), 3);
        for (ip, want) in [
            ("9.255.255.255", false),
            ("10.0.0.0", true),
            ("10.0.0.255", true),
            ("10.0.1.0", false),
            ("10.0.2.255", true),
            ("10.0.3.0", false),
            ("2001:db8::ffff", true),
            ("2001:db8:0:1::", false),
        ] {
            assert_eq!(l.contains(ip.parse().unwrap()), want, "{ip}");
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let e = RangeList::parse("googlebot", r#"{"prefixes":[{"ipv4Prefix":"1.2.3"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(\"1.2.3\") is not a CIDR"), "{e}");
        let e = RangeList::parse("googlebot", "[]").unwrap_err().to_string();
        assert!(e.contains("no \"prefixes\""), "{e}");
        let mut t = RangeTable::builtin();
        let e = t
            .set_file(Path::new("/nonexistent/googlebot.json"))
            .unwrap_err();
        assert!(matches!(e, RangesError::Io { .. }));
        let e = t.set_file(Path::new("/tmp/ranges.json")).unwrap_err();
        assert!(e.to_string().contains("googlebot.json"), "{e}");
    }
}
