//! Which parameter names are sensitive: the rule shared by query parameters, matrix
//! parameters (`;jsessionid=`) and route parameters (`/reset/{token}`).
//!
//! A key is percent-decoded (its first [`KEY_CAP`] bytes), split into words at
//! non-alphanumerics and at case changes (`userPwd`, `user_pwd`, `APIKey` → `api key`),
//! lower-cased and joined. A configured name is lower-cased with everything but
//! letters and digits removed; a leading `*` lets it start inside a word, a trailing
//! `*` lets it end inside one. Without a `*`, a name of [`SUBSTRING_MIN`] letters or
//! more matches anywhere in the joined key, a shorter one only whole words.

use crate::hex::percent_escape_at;

use super::steps;

/// Keys are compared on their first bytes only (decoded, separators included).
pub(super) const KEY_CAP: usize = 64;
/// Names without `*` shorter than this match whole words only (`key` matches
/// `sortKey`, not `monkey`); longer ones anywhere (`token` matches `accessToken`).
const SUBSTRING_MIN: usize = 5;

/// One configured name, compiled.
#[derive(Clone, Debug)]
pub(super) struct NameRule {
    /// Lower-case letters and digits.
    core: Box<[u8]>,
    /// The match must begin where a word begins.
    word_start: bool,
    /// The match must end where a word ends.
    word_end: bool,
    /// The letters and digits in `core` (see [`symbol_bit`]): a key without one of
    /// them is passed over at once.
    needs: u64,
}

impl NameRule {
    /// `None` for a name with neither letters, digits nor `*`.
    pub(super) fn new(name: &str) -> Option<NameRule> {
        let name = name.trim();
        let lead = name.starts_with('*');
        let trail = name.len() > 1 && name.ends_with('*');
        let core: Box<[u8]> = name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if core.is_empty() && !lead {
            return None;
        }
        let (word_start, word_end) = if lead || trail {
            (!lead, !trail)
        } else {
            let whole = core.len() < SUBSTRING_MIN;
            (whole, whole)
        };
        let needs = core.iter().fold(0, |set, &b| set | symbol_bit(b));
        Some(NameRule {
            core,
            word_start,
            word_end,
            needs,
        })
    }

    pub(super) fn matches(&self, key: &Key) -> bool {
        let k = key.joined();
        let n = self.core.len();
        if n > k.len() || self.needs & !key.symbols != 0 {
            return false;
        }
        (0..=k.len() - n).any(|at| {
            if (self.word_start && !key.starts_word(at))
                || (self.word_end && !key.ends_word(at + n))
            {
                return false;
            }
            let mut same = 0;
            while same < n && k[at + same] == self.core[same] {
                same += 1;
            }
            steps::add(same as u64 + 1);
            same == n
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Other,
    Lower,
    Upper,
    Digit,
}

fn class(b: u8) -> Class {
    match b {
        b'a'..=b'z' => Class::Lower,
        b'A'..=b'Z' => Class::Upper,
        b'0'..=b'9' => Class::Digit,
        _ => Class::Other,
    }
}

/// A parameter name as compared: words lower-cased and joined, on the stack.
pub(super) struct Key {
    buf: [u8; KEY_CAP],
    len: usize,
    /// Bit `i` is set when a word starts at `buf[i]`.
    starts: u64,
    /// The letters and digits in the key (see [`symbol_bit`]).
    symbols: u64,
}

impl Key {
    /// Reads the first [`KEY_CAP`] decoded bytes of a raw (percent-encoded, `+` for
    /// space) name.
    pub(super) fn new(raw: &str) -> Key {
        let bytes = raw.as_bytes();
        let mut key = Key {
            buf: [0; KEY_CAP],
            len: 0,
            starts: 0,
            symbols: 0,
        };
        // Classes of the two letters or digits before this one in the same word.
        let (mut prev, mut prev2) = (Class::Other, Class::Other);
        let (mut i, mut decoded) = (0, 0);
        while i < bytes.len() && decoded < KEY_CAP {
            let b = match bytes[i] {
                b'%' => match percent_escape_at(bytes, i) {
                    Some(v) => {
                        i += 2;
                        v
                    }
                    None => b'%',
                },
                b => b,
            };
            steps::add(1);
            i += 1;
            decoded += 1;
            let c = class(b);
            if c == Class::Other {
                (prev, prev2) = (Class::Other, Class::Other);
                continue;
            }
            let n = key.len;
            let starts = match (prev, c) {
                (Class::Other, _) => true,
                // camelCase, v2Key
                (Class::Lower | Class::Digit, Class::Upper) => true,
                _ => false,
            };
            if starts {
                key.starts |= 1 << n;
            }
            // The last capital of an acronym begins the next word: `APIKey` → api key.
            if c == Class::Lower && prev == Class::Upper && prev2 == Class::Upper {
                key.starts |= 1 << (n - 1);
            }
            key.buf[n] = b.to_ascii_lowercase();
            key.symbols |= symbol_bit(key.buf[n]);
            key.len += 1;
            (prev2, prev) = (prev, c);
        }
        key
    }

    fn joined(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn starts_word(&self, at: usize) -> bool {
        at < self.len && self.starts >> at & 1 == 1
    }

    fn ends_word(&self, at: usize) -> bool {
        at == self.len || self.starts_word(at)
    }
}

/// One bit per lower-case letter and digit.
fn symbol_bit(b: u8) -> u64 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'0'..=b'9' => 1 << (26 + b - b'0'),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(name: &str, key: &str) -> bool {
        NameRule::new(name).unwrap().matches(&Key::new(key))
    }

    fn words(key: &str) -> Vec<String> {
        let k = Key::new(key);
        let mut out: Vec<String> = Vec::new();
        for (i, &b) in k.joined().iter().enumerate() {
            if k.starts_word(i) {
                out.push(String::new());
            }
            out.last_mut().unwrap().push(b as char);
        }
        out
    }

    #[test]
    fn keys_split_into_words() {
        assert_eq!(words("userPwd"), ["user", "pwd"]);
        assert_eq!(words("user_pwd"), ["user", "pwd"]);
        assert_eq!(words("API_KEY"), ["api", "key"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("X-Amz-Credential"), ["x", "amz", "credential"]);
        assert_eq!(words("v2Key"), ["v2", "key"]);
        assert_eq!(words("PHPSESSID"), ["phpsessid"]);
        assert_eq!(words("api%2Dkey"), ["api", "key"]);
        assert_eq!(words("user+pwd"), ["user", "pwd"]);
        assert_eq!(words("%"), Vec::<String>::new());
    }

    #[test]
    fn short_names_match_whole_words() {
        for key in ["pwd", "userPwd", "user_pwd", "USER-PWD", "pwdHash"] {
            assert!(matches("pwd", key), "{key}");
        }
        for key in ["key", "api-key", "sortKey", "APIKey", "key_id"] {
            assert!(matches("key", key), "{key}");
        }
        for key in ["keyword", "monkey", "keys", "hockey"] {
            assert!(!matches("key", key), "{key}");
        }
        assert!(matches("code", "authCode"));
        assert!(!matches("code", "zipcode") || !matches("code", "encode"));
        assert!(!matches("code", "zipcode"));
        assert!(!matches("auth", "author"));
        assert!(matches("auth", "x-auth"));
        assert!(matches("x_id", "x-id") && matches("x_id", "xId"));
        assert!(!matches("x_id", "boxid"));
    }

    #[test]
    fn long_names_match_anywhere() {
        assert!(matches("token", "accessToken"));
        assert!(matches("password", "new_password"));
        assert!(matches("api_key", "apiKey"));
        assert!(matches("api_key", "x-api-key"));
        assert!(matches("API-KEY", "myapikey"));
        assert!(matches("sessid", "PHPSESSID"));
        assert!(matches("password", "Pass%77ord"));
    }

    #[test]
    fn globs() {
        assert!(matches("auth*", "author"));
        assert!(matches("auth*", "auth_code"));
        assert!(matches("auth*", "x-authorization"));
        assert!(!matches("auth*", "oauth"));
        assert!(matches("*auth", "oauth"));
        assert!(!matches("*auth", "author"));
        assert!(matches("*tok*", "xtokenx"));
        assert!(matches("session*", "sessionId"));
        assert!(matches("session*", "user_session"));
        assert!(!matches("session*", "jsessionid"));
        assert!(matches("*", "anything") && matches("*", ""));
        assert!(NameRule::new("-_-").is_none());
        assert!(NameRule::new("").is_none());
    }

    #[test]
    fn only_the_first_bytes_of_a_key_count() {
        let long = format!("{}password", "x".repeat(KEY_CAP));
        assert!(!matches("password", &long));
        let encoded = format!("{}password", "%78".repeat(KEY_CAP - 8));
        assert!(matches("password", &encoded));
    }
}
