//! What the detector reports: the category of a probe and the rule that matched it.

use std::fmt;
use std::sync::Arc;

/// What a probing client is after.
///
/// The derived `Ord` follows declaration order, not precedence; see
/// [`ProbeCategory::PRECEDENCE`] and [`ProbeCategory::outranks`] for the order used when
/// several categories match the same request.
///
/// # Example
///
/// ```
/// use reqlog::probe::ProbeCategory;
///
/// assert_eq!(ProbeCategory::Wordpress.as_str(), "wordpress");
/// assert_eq!(ProbeCategory::from_name("iot"), Some(ProbeCategory::Iot));
/// assert!(ProbeCategory::Webshell.outranks(ProbeCategory::Php));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProbeCategory {
    /// WordPress login, XML-RPC, `wp-admin`/`wp-includes`/`wp-content`, plugin exploits,
    /// user enumeration.
    Wordpress,
    /// phpMyAdmin/Adminer and aliases, `phpinfo`, Xdebug, any stray `.php`.
    Php,
    /// Dotfiles, VCS metadata, keys, config files, dumps, backups and archives.
    Secrets,
    /// Generic admin panels, Tomcat manager, `server-status`.
    Admin,
    /// `../` in any encoding, absolute system files, `file://` reads, null bytes.
    Traversal,
    /// SQL, XSS, command, template, NoSQL, LDAP, CRLF and JNDI payloads.
    Injection,
    /// `/cgi-bin/`, `.cgi`/`.pl`/`.sh` scripts, shellshock, PHP-CGI argument injection.
    Cgi,
    /// Known exploits and debug endpoints of application frameworks and servers.
    Framework,
    /// Routers, cameras, DVRs, NAS and VPN/firewall appliances.
    Iot,
    /// Known uploaded shells and backdoors, scripts inside upload folders.
    Webshell,
}

impl ProbeCategory {
    /// Every category, in declaration order.
    pub const ALL: [ProbeCategory; 10] = [
        ProbeCategory::Wordpress,
        ProbeCategory::Php,
        ProbeCategory::Secrets,
        ProbeCategory::Admin,
        ProbeCategory::Traversal,
        ProbeCategory::Injection,
        ProbeCategory::Cgi,
        ProbeCategory::Framework,
        ProbeCategory::Iot,
        ProbeCategory::Webshell,
    ];

    /// Every category, most specific first: when rules of several categories match one
    /// request, the one that comes first here is reported.
    pub const PRECEDENCE: [ProbeCategory; 10] = [
        ProbeCategory::Webshell,
        ProbeCategory::Iot,
        ProbeCategory::Framework,
        ProbeCategory::Secrets,
        ProbeCategory::Wordpress,
        ProbeCategory::Cgi,
        ProbeCategory::Traversal,
        ProbeCategory::Injection,
        ProbeCategory::Admin,
        ProbeCategory::Php,
    ];

    /// The lowercase name used in log records, e.g. `"wordpress"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeCategory::Wordpress => "wordpress",
            ProbeCategory::Php => "php",
            ProbeCategory::Secrets => "secrets",
            ProbeCategory::Admin => "admin",
            ProbeCategory::Traversal => "traversal",
            ProbeCategory::Injection => "injection",
            ProbeCategory::Cgi => "cgi",
            ProbeCategory::Framework => "framework",
            ProbeCategory::Iot => "iot",
            ProbeCategory::Webshell => "webshell",
        }
    }

    /// The category named `s` (as written by [`as_str`](Self::as_str), ASCII case
    /// ignored), or `None`.
    pub fn from_name(s: &str) -> Option<Self> {
        ProbeCategory::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }

    /// Position in [`PRECEDENCE`](Self::PRECEDENCE): 0 is the most specific.
    pub(super) const fn rank(self) -> u8 {
        match self {
            ProbeCategory::Webshell => 0,
            ProbeCategory::Iot => 1,
            ProbeCategory::Framework => 2,
            ProbeCategory::Secrets => 3,
            ProbeCategory::Wordpress => 4,
            ProbeCategory::Cgi => 5,
            ProbeCategory::Traversal => 6,
            ProbeCategory::Injection => 7,
            ProbeCategory::Admin => 8,
            ProbeCategory::Php => 9,
        }
    }

    /// Whether `self` wins over `other` when both match one request.
    pub fn outranks(self, other: ProbeCategory) -> bool {
        self.rank() < other.rank()
    }
}

impl fmt::Display for ProbeCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request recognised as a probe: its category, the stable id of the rule that
/// decided it (e.g. `"wp-login"`, `"dotenv"`, `"sqli"`) and, for a payload found in a
/// query parameter, that parameter's name.
///
/// Cloning does not allocate: the rule id and the parameter name are shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeMatch {
    /// What the client is after.
    pub category: ProbeCategory,
    /// Stable id of the rule that matched; for payloads in query parameters, the
    /// family: `sqli`, `xss`, `cmdi`, `lfi`, `ssti`, `jndi`, `ssrf`, `nosqli`, `crlf`.
    pub rule: Arc<str>,
    /// The (percent-decoded, at most 64 bytes) name of the query parameter the payload
    /// was found in; `None` for path signatures. The value itself is never kept.
    pub param: Option<Arc<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ProbeCategory::ALL {
            assert_eq!(ProbeCategory::from_name(c.as_str()), Some(c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(ProbeCategory::PRECEDENCE[c.rank() as usize], c);
        }
        assert_eq!(
            ProbeCategory::from_name("WordPress"),
            Some(ProbeCategory::Wordpress)
        );
        assert_eq!(ProbeCategory::from_name("nope"), None);
    }

    #[test]
    fn precedence_is_the_documented_chain() {
        for pair in ProbeCategory::PRECEDENCE.windows(2) {
            assert!(pair[0].outranks(pair[1]));
            assert!(!pair[1].outranks(pair[0]));
        }
    }
}
