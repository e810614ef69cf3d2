//! Who runs each verifiable crawler, and how that operator lets a site check it: the
//! range lists it publishes and the domains its reverse-DNS names end in.

/// A range list an operator publishes, by the name of the operator's own file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    /// The operator's file name without `.json`: `"googlebot"`, `"bingbot"`…
    pub(crate) name: &'static str,
    /// Other names the same file has gone by (Google renamed `googlebot.json`).
    pub(crate) aliases: &'static [&'static str],
    /// Where the operator publishes it.
    pub(crate) url: &'static str,
    /// The snapshot shipped in the crate, if there is one.
    pub(crate) builtin: Option<&'static str>,
}

macro_rules! data {
    ($file:literal) => {
        Some(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/crawler-ranges/",
            $file
        )))
    };
}

/// Every list the verifier knows, in a fixed order: a list's index is its id.
pub(crate) const LISTS: &[List] = &[
    List {
        name: "googlebot",
        aliases: &["common-crawlers"],
        url: "https://developers.google.com/static/search/apis/ipranges/googlebot.json",
        builtin: data!("googlebot.json"),
    },
    List {
        name: "special-crawlers",
        aliases: &[],
        url: "https://developers.google.com/static/search/apis/ipranges/special-crawlers.json",
        builtin: data!("special-crawlers.json"),
    },
    List {
        name: "user-triggered-fetchers",
        aliases: &[],
        url: "https://developers.google.com/static/search/apis/ipranges/user-triggered-fetchers.json",
        builtin: data!("user-triggered-fetchers.json"),
    },
    List {
        name: "user-triggered-fetchers-google",
        aliases: &[],
        url: "https://developers.google.com/static/search/apis/ipranges/user-triggered-fetchers-google.json",
        builtin: None,
    },
    List {
        name: "bingbot",
        aliases: &[],
        url: "https://www.bing.com/toolbox/bingbot.json",
        builtin: data!("bingbot.json"),
    },
    List {
        name: "applebot",
        aliases: &[],
        url: "https://search.developer.apple.com/applebot.json",
        builtin: data!("applebot.json"),
    },
    List {
        name: "duckduckbot",
        aliases: &[],
        url: "https://duckduckgo.com/duckduckbot.json",
        builtin: data!("duckduckbot.json"),
    },
    List {
        name: "gptbot",
        aliases: &[],
        url: "https://openai.com/gptbot.json",
        builtin: data!("gptbot.json"),
    },
    List {
        name: "searchbot",
        aliases: &[],
        url: "https://openai.com/searchbot.json",
        builtin: data!("searchbot.json"),
    },
    List {
        name: "chatgpt-user",
        aliases: &[],
        url: "https://openai.com/chatgpt-user.json",
        builtin: data!("chatgpt-user.json"),
    },
    List {
        name: "perplexitybot",
        aliases: &[],
        url: "https://www.perplexity.ai/perplexitybot.json",
        builtin: data!("perplexitybot.json"),
    },
    List {
        name: "perplexity-user",
        aliases: &[],
        url: "https://www.perplexity.ai/perplexity-user.json",
        builtin: data!("perplexity-user.json"),
    },
];

/// The id (index in [`LISTS`]) of the list with this file name or alias.
pub(crate) fn list_id(name: &str) -> Option<usize> {
    LISTS
        .iter()
        .position(|l| l.name == name || l.aliases.contains(&name))
}

/// An operator's ways of verifying one family of its crawlers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    /// Index in [`OPERATORS`]; part of the cache key.
    pub(crate) id: u8,
    /// The ids of its published range lists.
    pub(crate) lists: &'static [usize],
    /// Domains its crawlers' reverse-DNS names end in (matched on a label boundary).
    pub(crate) domains: &'static [&'static str],
}

const GOOGLEBOT: usize = 0;
const GOOGLE_SPECIAL: usize = 1;
const GOOGLE_FETCHERS: usize = 2;
const GOOGLE_FETCHERS_GOOGLE: usize = 3;
const BINGBOT: usize = 4;
const APPLEBOT: usize = 5;
const DUCKDUCKBOT: usize = 6;
const GPTBOT: usize = 7;
const SEARCHBOT: usize = 8;
const CHATGPT_USER: usize = 9;
const PERPLEXITYBOT: usize = 10;
const PERPLEXITY_USER: usize = 11;

/// Every operator family, as documented by the operator (see the module docs for the
/// pages). The order gives the ids.
pub(crate) const OPERATORS: &[Operator] = &[
    // 0: Google's common and special-case crawlers: googlebot.com, google.com.
    Operator {
        id: 0,
        lists: &[GOOGLEBOT, GOOGLE_SPECIAL],
        domains: &["googlebot.com", "google.com"],
    },
    // 1: Google's user-triggered fetchers: also `*.gae.googleusercontent.com` (only the
    // App Engine subdomain: any Google Cloud customer's VM has a googleusercontent.com name).
    Operator {
        id: 1,
        lists: &[GOOGLE_FETCHERS, GOOGLE_FETCHERS_GOOGLE],
        domains: &["google.com", "gae.googleusercontent.com"],
    },
    // 2: Bing.
    Operator {
        id: 2,
        lists: &[BINGBOT],
        domains: &["search.msn.com"],
    },
    // 3: Apple.
    Operator {
        id: 3,
        lists: &[APPLEBOT],
        domains: &["applebot.apple.com"],
    },
    // 4: DuckDuckGo: ranges only.
    Operator {
        id: 4,
        lists: &[DUCKDUCKBOT],
        domains: &[],
    },
    // 5: OpenAI: ranges only (GPTBot, OAI-SearchBot, ChatGPT-User).
    Operator {
        id: 5,
        lists: &[GPTBOT, SEARCHBOT, CHATGPT_USER],
        domains: &[],
    },
    // 6: Perplexity: ranges only.
    Operator {
        id: 6,
        lists: &[PERPLEXITYBOT, PERPLEXITY_USER],
        domains: &[],
    },
    // 7: Yandex.
    Operator {
        id: 7,
        lists: &[],
        domains: &["yandex.ru", "yandex.net", "yandex.com"],
    },
    // 8: Baidu.
    Operator {
        id: 8,
        lists: &[],
        domains: &["baidu.com", "baidu.jp"],
    },
    // 9: Huawei's Petal search.
    Operator {
        id: 9,
        lists: &[],
        domains: &["petalsearch.com", "aspiegel.com"],
    },
    // 10: Yahoo.
    Operator {
        id: 10,
        lists: &[],
        domains: &["crawl.yahoo.net"],
    },
    // 11: Seznam.
    Operator {
        id: 11,
        lists: &[],
        domains: &["seznam.cz"],
    },
    // 12: Naver.
    Operator {
        id: 12,
        lists: &[],
        domains: &["naver.com"],
    },
    // 13: Cốc Cốc.
    Operator {
        id: 13,
        lists: &[],
        domains: &["coccoc.com"],
    },
    // 14: Amazon.
    Operator {
        id: 14,
        lists: &[],
        domains: &["crawl.amazonbot.amazon"],
    },
];

/// The operator that makes the crawler with this name (as the classifier names it)
/// verifiable; `None` for crawlers whose operator publishes no way to check them.
pub(crate) fn for_crawler(name: &str) -> Option<&'static Operator> {
    let id = match name {
        "Googlebot"
        | "Googlebot-Image"
        | "Googlebot-Video"
        | "Googlebot-News"
        | "Storebot-Google"
        | "Google-InspectionTool"
        | "GoogleOther"
        | "Google-Extended"
        | "Google-CloudVertexBot"
        | "AdsBot-Google"
        | "AdsBot-Google-Mobile"
        | "Mediapartners-Google"
        | "APIs-Google"
        | "Google-Safety"
        | "DuplexWeb-Google" => 0,
        "FeedFetcher-Google"
        | "Google-Read-Aloud"
        | "GoogleProducer"
        | "Google Favicon"
        | "Google-Site-Verification" => 1,
        "bingbot" | "BingPreview" | "msnbot" | "msnbot-media" | "adidxbot" | "MicrosoftPreview" => {
            2
        }
        "Applebot" | "Applebot-Extended" => 3,
        "DuckDuckBot" => 4,
        "GPTBot" | "OAI-SearchBot" | "ChatGPT-User" => 5,
        "PerplexityBot" | "Perplexity-User" => 6,
        "YandexBot"
        | "YandexImages"
        | "YandexMobileBot"
        | "YandexVideo"
        | "YandexNews"
        | "YandexMetrika"
        | "YandexAccessibilityBot"
        | "YandexRenderResourcesBot"
        | "YandexFavicons"
        | "YandexWebmaster" => 7,
        "Baiduspider" | "Baiduspider-image" => 8,
        "PetalBot" | "AspiegelBot" => 9,
        "Yahoo! Slurp" => 10,
        "SeznamBot" => 11,
        "Yeti" | "NaverBot" => 12,
        "coccocbot" => 13,
        "Amazonbot" => 14,
        _ => return None,
    };
    Some(&OPERATORS[id])
}

/// Whether `host` (a reverse-DNS name, with or without the final dot, any case) is
/// `domain` or ends in `.` + `domain`: `crawl-1.googlebot.com` is in `googlebot.com`;
/// `evilgooglebot.com` and `crawl.googlebot.com.evil.example` are not.
#[cfg(any(feature = "verify-dns", test))]
pub(crate) fn in_domain(host: &str, domain: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).as_bytes();
    let domain = domain.as_bytes();
    if host.len() < domain.len() {
        return false;
    }
    let (head, tail) = host.split_at(host.len() - domain.len());
    tail.eq_ignore_ascii_case(domain) && (head.is_empty() || head.ends_with(b"."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_on_a_label_boundary() {
        assert!(in_domain(
            "crawl-66-249-66-1.googlebot.com",
            "googlebot.com"
        ));
        assert!(in_domain(
            "crawl-66-249-66-1.GoogleBot.com.",
            "googlebot.com"
        ));
        assert!(in_domain("googlebot.com", "googlebot.com"));
        assert!(!in_domain("evilgooglebot.com", "googlebot.com"));
        assert!(!in_domain(
            "crawl.googlebot.com.evil.example",
            "googlebot.com"
        ));
        assert!(!in_domain("com", "googlebot.com"));
        assert!(!in_domain(
            "x.bc.googleusercontent.com",
            "gae.googleusercontent.com"
        ));
    }

    #[test]
    fn tables_agree() {
        for (i, op) in OPERATORS.iter().enumerate() {
            assert_eq!(op.id as usize, i);
            assert!(!op.lists.is_empty() || !op.domains.is_empty());
            assert!(op.lists.iter().all(|&l| l < LISTS.len()));
        }
        assert_eq!(list_id("common-crawlers"), Some(GOOGLEBOT));
        assert_eq!(LISTS[PERPLEXITY_USER].name, "perplexity-user");
        assert_eq!(for_crawler("Googlebot").map(|o| o.id), Some(0));
        assert_eq!(for_crawler("ClaudeBot"), None);
    }

    /// Every name the table maps must be a name the classifier gives, or it would
    /// never be verified.
    #[test]
    fn every_mapped_name_is_a_classifier_name() {
        use crate::probe::Classifier;
        let c = Classifier::default();
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; +https://openai.com/gptbot)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        ] {
            let name = c.user_agent(Some(ua.as_bytes())).name;
            assert!(name.and_then(for_crawler).is_some(), "{ua}: {name:?}");
        }
    }
}
