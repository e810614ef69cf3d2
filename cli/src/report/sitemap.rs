//! `--sitemap FILE`: the paths a sitemap lists, so the report can say whether a page
//! robots.txt disallows is one the site itself points crawlers to — the usual answer
//! to "how did the crawler get there?".
//!
//! Only `<loc>` values are read, so a `<urlset>` and a `<sitemapindex>` both work (the
//! sitemaps an index names are not fetched). Bounded like the sitemap protocol:
//! 50 MB (uncompressed; gzip is recognised) and 50,000 URLs per file, and at most
//! 50,000 paths kept in all.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

/// Bytes read of one sitemap, uncompressed (the sitemap protocol's cap).
pub(crate) const SITEMAP_MAX_BYTES: u64 = 50 * 1000 * 1000;
/// URLs read of one sitemap, and paths kept in all.
pub(crate) const SITEMAP_MAX_URLS: usize = 50_000;

/// The paths the sitemaps list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sitemap {
    paths: HashSet<Box<str>>,
    /// `<loc>` values read, in all files.
    pub(crate) urls: u64,
    /// Some file was longer than the caps, or more paths than the cap were listed.
    pub(crate) capped: bool,
    /// Names of the files read.
    pub(crate) names: Vec<String>,
}

/// The path of a URL: after `scheme://host`, without query or fragment. A value that
/// is already a path stays one.
fn path_of(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) if !url.starts_with('/') => {
            let after = &url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        _ => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

/// Undoes XML's entities (`&amp;` and the others, numeric ones too).
fn unescape_xml(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

impl Sitemap {
    /// Reads one sitemap (plain or gzip); returns how many URLs it listed.
    pub(crate) fn read(&mut self, name: &str, mut input: impl Read) -> io::Result<u64> {
        let magic = super::input::read_magic(&mut input)?;
        let gzip = magic == [0x1f, 0x8b];
        let whole = io::Cursor::new(magic).chain(input);
        let mut text = Vec::new();
        let limit = SITEMAP_MAX_BYTES + 1;
        if gzip {
            MultiGzDecoder::new(whole)
                .take(limit)
                .read_to_end(&mut text)?;
        } else {
            whole.take(limit).read_to_end(&mut text)?;
        }
        if text.len() as u64 > SITEMAP_MAX_BYTES {
            text.truncate(SITEMAP_MAX_BYTES as usize);
            self.capped = true;
        }
        let found = self.add_locs(&String::from_utf8_lossy(&text));
        self.names.push(name.to_owned());
        Ok(found)
    }

    /// Adds the paths of the `<loc>` values of a sitemap's text.
    fn add_locs(&mut self, text: &str) -> u64 {
        let mut found = 0u64;
        let mut rest = text;
        while let Some(open) = rest.find("<loc>") {
            rest = &rest[open + 5..];
            let Some(close) = rest.find("</loc>") else {
                break;
            };
            if found as usize >= SITEMAP_MAX_URLS {
                self.capped = true;
                break;
            }
            found += 1;
            let loc = rest[..close].trim();
            let loc = loc
                .strip_prefix("<![CDATA[")
                .and_then(|l| l.strip_suffix("]]>"))
                .map_or_else(|| unescape_xml(loc), Cow::Borrowed);
            let path = path_of(loc.trim());
            if self.paths.len() < SITEMAP_MAX_URLS {
                self.paths.insert(path.into());
            } else if !self.paths.contains(path) {
                self.capped = true;
            }
            rest = &rest[close + 6..];
        }
        self.urls += found;
        found
    }

    /// Whether a sitemap lists `path` (compared as written, query left out).
    pub(crate) fn lists(&self, path: &str) -> bool {
        self.paths.contains(path_of(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlset_and_index() {
        let mut s = Sitemap::default();
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://example.com/</loc></url>
  <url><loc> https://example.com/courses/a?x=1&amp;y=2 </loc><lastmod>2026-11-01</lastmod></url>
  <url><loc><![CDATA[https://example.com/courses/b/lectures/1]]></loc></url>
</urlset>"#;
        assert_eq!(s.read("sitemap.xml", xml.as_bytes()).unwrap(), 3);
        assert!(s.lists("/"));
        assert!(s.lists("/courses/a"));
        assert!(s.lists("/courses/b/lectures/1"));
        assert!(!s.lists("/courses/b"));
        let index = "<sitemapindex><sitemap><loc>https://example.com/more.xml</loc></sitemap></sitemapindex>";
        assert_eq!(s.read("index.xml", index.as_bytes()).unwrap(), 1);
        assert!(s.lists("/more.xml"));
        assert_eq!((s.urls, s.capped, s.names.len()), (4, false, 2));
    }

    #[test]
    fn gzip_and_caps() {
        use std::io::Write;
        let mut xml = String::from("<urlset>");
        for i in 0..SITEMAP_MAX_URLS + 5 {
            xml.push_str(&format!("<url><loc>https://e.x/p/{i}</loc></url>"));
        }
        xml.push_str("</urlset>");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(xml.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let mut s = Sitemap::default();
        assert_eq!(
            s.read("big.xml.gz", &gz[..]).unwrap(),
            SITEMAP_MAX_URLS as u64
        );
        assert!(s.capped && s.lists("/p/0") && !s.lists("/p/50003"));
    }

    #[test]
    fn entities() {
        assert_eq!(unescape_xml("a&amp;b&#47;&#x2F;&bogus"), "a&b//&bogus");
        assert_eq!(path_of("https://e.x"), "/");
        assert_eq!(path_of("/a#b"), "/a");
        assert_eq!(path_of("/go/http://x/y"), "/go/http://x/y");
    }
}
