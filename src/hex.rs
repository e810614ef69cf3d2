//! Hexadecimal digits and `%hh` escapes, for the percent-decoders of the redactor, the probe normaliser,
//! the robots.txt matcher and the report's parser.

/// The value of one ASCII hex digit (either case).
pub(crate) fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte that a `%hh` escape starting at `bytes[i]` stands for, if one starts there.
pub(crate) fn percent_escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    match bytes.get(i..i + 3)? {
        [b'%', h, l] => Some((hex_digit(*h)? << 4) | hex_digit(*l)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits() {
        for (c, v) in [(b'0', 0), (b'9', 9), (b'a', 10), (b'F', 15)] {
            assert_eq!(super::hex_digit(c), Some(v));
        }
        for c in [b'g', b'G', b'%', b' ', 0xff] {
            assert_eq!(super::hex_digit(c), None);
        }
    }

    #[test]
    fn escapes() {
        use super::percent_escape_at as at;
        assert_eq!(at(b"a%41", 1), Some(b'A'));
        assert_eq!(at(b"%2f", 0), Some(b'/'));
        assert_eq!(at(b"%2", 0), None);
        assert_eq!(at(b"%zz", 0), None);
        assert_eq!(at(b"x%41", 0), None);
        assert_eq!(at(b"%41", 3), None);
    }
}
