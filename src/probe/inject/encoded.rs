//! Payloads in an encoding the decoder does not undo: base64 of markup (`PHNjcmlwdD5…`
//! is `<script>…`), as sent in `data:…;base64,` URLs or to a parameter the application
//! base64-decodes.

/// The base64 spellings (case-folded, as the value is) of `<script`, `<svg`, `<img`,
/// `<iframe`, `<body` and `javascript:` at the start of an encoded run: each is whole
/// 4-character groups, so it does not depend on what follows.
const HEADS: &[&[u8]] = &[
    b"phnjcmlw",     // `<scrip`
    b"phn2",         // `<sv`
    b"pglt",         // `<im`
    b"pglmcmft",     // `<ifram`
    b"pgjv",         // `<bo`
    b"amf2yxnjcmlw", // `javascrip`
];

fn base64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// A run of at least 16 base64 characters, at the start of the value or after a
/// non-base64 byte (`data:text/html;base64,PHN…`), that begins with one of [`HEADS`].
pub(super) fn base64_markup(v: &[u8]) -> bool {
    // Only where a run starts (a head is base64 bytes): one pass, run by run.
    let mut i = 0;
    while i + 16 <= v.len() {
        let run = v[i..].iter().take_while(|&&c| base64_byte(c)).count();
        if run >= 16 && HEADS.iter().any(|h| v[i..].starts_with(h)) {
            return true;
        }
        // Past the run and the non-base64 byte that ends it.
        i += run + 1;
    }
    false
}
