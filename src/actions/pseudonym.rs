//! Pseudonymous user ids: a keyed hash of the e-mail or user name, never the raw value.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable read for the key when none is given in code.
pub const KEY_ENV: &str = "REQLOG_USER_ID_KEY";

/// Reads a pseudonym key from a file: its bytes, without the line endings at its end,
/// so that a key written with `echo` or `openssl rand -base64 32 > FILE` is the same key
/// as `REQLOG_USER_ID_KEY="$(cat FILE)"`. An empty key is an error
/// ([`io::ErrorKind::InvalidData`]): it would make every pseudonym guessable.
///
/// The site and `reqlog user --key-file FILE` read the key the same way, so both
/// compute the same pseudonyms.
///
/// # Example
/// ```no_run
/// use reqlog::actions::{read_key_file, UserActions};
///
/// let key = read_key_file("/etc/site/user-id.key")?;
/// let actions = UserActions::new().pseudonym_key(&key);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_key_file(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut key = std::fs::read(path)?;
    while matches!(key.last(), Some(b'\n' | b'\r')) {
        key.pop();
    }
    if key.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the key file is empty",
        ));
    }
    Ok(key)
}

/// Turns user identifiers into stable pseudonyms: `u_` and 16 hex digits of
/// HMAC-SHA-256 under a secret key.
///
/// The identifier is trimmed and lower-cased first, so `Bob@Example.com ` and
/// `bob@example.com` are the same user. With the same key, the same user gets the same
/// `enduser.pseudo.id` on every line and across restarts; without the key, the id cannot be
/// turned back into the address (short of guessing addresses and hashing each, which
/// is why the key must stay secret).
///
/// Without a configured key, a random key is drawn once per process: ids are then
/// stable within one run but **not linkable across restarts**.
///
/// # Example
/// ```
/// use reqlog::actions::Pseudonymizer;
///
/// let p = Pseudonymizer::from_key(b"a secret key of at least 32 bytes!!");
/// let id = p.pseudonymize("Bob@Example.com");
/// assert!(id.starts_with("u_") && id.len() == 18);
/// assert_eq!(id, p.pseudonymize("bob@example.com"));
/// assert!(!id.contains("bob"));
/// ```
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
    source: &'static str,
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.debug_struct("Pseudonymizer")
            .field("key", &self.source)
            .finish_non_exhaustive()
    }
}

impl Pseudonymizer {
    /// A pseudonymizer with this secret key (use 32 random bytes or more).
    pub fn from_key(key: &[u8]) -> Pseudonymizer {
        Pseudonymizer::with_source(key, "configured")
    }

    fn with_source(key: &[u8], source: &'static str) -> Pseudonymizer {
        // HMAC takes keys of any length: this cannot fail.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        Pseudonymizer { mac, source }
    }

    /// The key from the `REQLOG_USER_ID_KEY` environment variable, if it is set and
    /// not empty.
    pub fn from_env() -> Option<Pseudonymizer> {
        let key = std::env::var_os(KEY_ENV)?;
        let key = key.as_encoded_bytes();
        (!key.is_empty()).then(|| Pseudonymizer::with_source(key, "environment"))
    }

    /// A fresh random key: ids are not linkable to those of another process.
    pub fn random() -> Pseudonymizer {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // No OS randomness (very unusual): fall back to std's per-process random
            // hash keys, mixed with the time.
            use std::hash::{BuildHasher, Hasher};
            for chunk in key.chunks_mut(8) {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u128(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0),
                );
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        Pseudonymizer::with_source(&key, "random per process")
    }

    /// The process-wide default: the environment's key, else a random one (made once).
    pub fn process_default() -> Arc<Pseudonymizer> {
        static DEFAULT: OnceLock<Arc<Pseudonymizer>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Arc::new(Pseudonymizer::from_env().unwrap_or_else(Pseudonymizer::random))
            })
            .clone()
    }

    /// Where the key came from: `"configured"`, `"environment"` or `"random per process"`.
    pub fn key_source(&self) -> &'static str {
        self.source
    }

    /// The pseudonym of `identifier`: `u_` followed by 16 hex digits.
    pub fn pseudonymize(&self, identifier: &str) -> String {
        let mut out = String::with_capacity(18);
        self.write(identifier, &mut out);
        out
    }

    /// Writes the pseudonym into `out` (no allocation beyond `out`'s growth).
    pub(crate) fn write(&self, identifier: &str, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut mac = self.mac.clone();
        // Lower-case in small stack chunks: no allocation for the normalised form.
        let mut buf = [0u8; 64];
        for chunk in identifier.trim().as_bytes().chunks(buf.len()) {
            let lower = &mut buf[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            mac.update(lower);
        }
        let digest = mac.finalize().into_bytes();
        out.push_str("u_");
        for b in &digest[..8] {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_user_same_id() {
        let a = Pseudonymizer::from_key(b"k1");
        let b = Pseudonymizer::from_key(b"k1");
        let c = Pseudonymizer::from_key(b"k2");
        let id = a.pseudonymize("alice@example.com");
        assert_eq!(id, b.pseudonymize("  ALICE@example.com "));
        assert_ne!(id, c.pseudonymize("alice@example.com"));
        assert_ne!(id, a.pseudonymize("bob@example.com"));
        assert_eq!(id.len(), 18);
        assert!(id[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
        let p = Pseudonymizer::from_key(b"Jefe");
        assert_eq!(
            p.pseudonymize("what do ya want for nothing?"),
            "u_5bdcc146bf60754e"
        );
    }

    #[test]
    fn key_files_drop_their_line_ends() {
        let dir = std::env::temp_dir().join(format!("reqlog-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "k1\r\n").unwrap();
        let key = read_key_file(&file).unwrap();
        assert_eq!(key, b"k1");
        std::fs::write(&file, "\n\n").unwrap();
        let e = read_key_file(&file).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(read_key_file(dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn random_keys_differ_and_debug_hides_the_key() {
        let (a, b) = (Pseudonymizer::random(), Pseudonymizer::random());
        assert_ne!(a.pseudonymize("x"), b.pseudonymize("x"));
        assert!(!format!("{a:?}").contains("mac"));
    }
}
