//! Hexadecimal digits and `%hh` escapes, for the percent-decoders of the redactor, the probe normaliser,
//! the robots.txt matcher and the OTLP encoder; lowercase hex for request ids and trace ids.

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

/// The 16 lowercase hex digits of `x`, most significant first, without a loop: the
/// nibbles are spread one per byte, then each becomes `'0'..='9'` or `'a'..='f'`.
pub(crate) fn lower_hex_u64(x: u64) -> [u8; 16] {
    const ONES: u128 = u128::MAX / 255; // 0x0101…01
    let mut v = u128::from(x);
    v = (v | v << 32) & 0x0000_0000_ffff_ffff_0000_0000_ffff_ffff;
    v = (v | v << 16) & 0x0000_ffff_0000_ffff_0000_ffff_0000_ffff;
    v = (v | v << 8) & 0x00ff_00ff_00ff_00ff_00ff_00ff_00ff_00ff;
    v = (v | v << 4) & (ONES * 0x0f);
    // A nibble of 10 or more carries into bit 4 when 6 is added.
    let letters = ((v + ONES * 6) >> 4) & ONES;
    (v + ONES * u128::from(b'0') + letters * u128::from(b'a' - b'0' - 10)).to_be_bytes()
}

/// Appends a byte as two lowercase hex digits.
pub(crate) fn push_hex_byte(out: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(DIGITS[usize::from(b >> 4)]));
    out.push(char::from(DIGITS[usize::from(b & 0xf)]));
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

    #[test]
    fn hex_digits_are_those_of_format() {
        let mut x = 0x0123_4567_89ab_cdef_u64;
        for _ in 0..1000 {
            assert_eq!(super::lower_hex_u64(x), format!("{x:016x}").as_bytes());
            x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
        }
        for x in [0, u64::MAX, 0xa, 0x9, 0xf0f0_f0f0_0f0f_0f0f] {
            assert_eq!(super::lower_hex_u64(x), format!("{x:016x}").as_bytes());
        }
    }
}
