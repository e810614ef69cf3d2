//! Hexadecimal digits, for the percent-decoders of the redactor, the probe normaliser,
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
}
