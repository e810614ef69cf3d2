//! `reqlog user EMAIL` and `reqlog report --user EMAIL`: the pseudonym the site writes
//! for a user, computed again from the address and the site's secret key.
//!
//! The log never holds the address, only `enduser.pseudo.id`, a keyed hash
//! ([`reqlog::actions::Pseudonymizer`]). Whoever holds the key can hash an address
//! they already know and find that user's lines; without the key nothing can be
//! reversed, so no key means an error, never a guess.

use std::ffi::OsString;
use std::path::Path;

use reqlog::actions::{read_key_file, Pseudonymizer, KEY_ENV};

/// Why no pseudonymizer could be made, and the exit status that goes with it.
#[derive(Debug)]
pub(crate) enum KeyError {
    /// No `--key-file` and no `REQLOG_USER_ID_KEY`, or an empty key: a usage error (2).
    Missing(String),
    /// The key file cannot be read (1).
    Unreadable(String),
}

impl KeyError {
    pub(crate) fn message(&self) -> &str {
        match self {
            KeyError::Missing(m) | KeyError::Unreadable(m) => m,
        }
    }

    pub(crate) fn exit_status(&self) -> u8 {
        match self {
            KeyError::Missing(_) => 2,
            KeyError::Unreadable(_) => 1,
        }
    }
}

/// The site's pseudonymizer: the key in `key_file` when given, else the
/// `REQLOG_USER_ID_KEY` variable (read through `var`), exactly as the middleware reads
/// it.
///
/// A key file is read by [`read_key_file`], as a site that keeps its key in a file
/// reads it: the key's bytes without the line endings at its end.
pub(crate) fn pseudonymizer(
    key_file: Option<&Path>,
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<Pseudonymizer, KeyError> {
    if let Some(path) = key_file {
        return match read_key_file(path) {
            Ok(key) => Ok(Pseudonymizer::from_key(&key)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(KeyError::Missing(format!(
                    "the key file {} is empty: it must hold the key the site uses ({KEY_ENV})",
                    path.display()
                )))
            }
            Err(e) => Err(KeyError::Unreadable(format!(
                "cannot read the key file {}: {e}",
                path.display()
            ))),
        };
    }
    match var(KEY_ENV) {
        Some(key) if !key.is_empty() => Ok(Pseudonymizer::from_key(key.as_encoded_bytes())),
        _ => Err(KeyError::Missing(format!(
            "no key: give the site's pseudonym key with --key-file FILE or the {KEY_ENV} \
             environment variable. Without the key a pseudonym cannot be computed, and \
             nothing in the log can be turned back into an address"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(value: Option<&'static str>) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            assert_eq!(name, KEY_ENV);
            value.map(OsString::from)
        }
    }

    #[test]
    fn key_from_the_environment_or_a_file() {
        let expected = Pseudonymizer::from_key(b"site key").pseudonymize("bob@example.com");
        let p = pseudonymizer(None, env(Some("site key"))).unwrap();
        assert_eq!(p.pseudonymize(" Bob@Example.com"), expected);

        let dir = std::env::temp_dir().join(format!("reqlog-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "site key\r\n").unwrap();
        // The file wins over the environment.
        let p = pseudonymizer(Some(&file), env(Some("other"))).unwrap();
        assert_eq!(p.pseudonymize("bob@example.com"), expected);

        std::fs::write(&file, "\n").unwrap();
        let e = pseudonymizer(Some(&file), env(None)).unwrap_err();
        assert_eq!(e.exit_status(), 2);
        assert!(e.message().contains("is empty"), "{}", e.message());
        let e = pseudonymizer(Some(&dir.join("missing")), env(None)).unwrap_err();
        assert_eq!(e.exit_status(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_key_is_an_error() {
        for value in [None, Some("")] {
            let e = pseudonymizer(None, env(value)).unwrap_err();
            assert_eq!(e.exit_status(), 2);
            assert!(e.message().contains("--key-file"), "{}", e.message());
            assert!(e.message().contains("REQLOG_USER_ID_KEY"));
        }
    }
}
