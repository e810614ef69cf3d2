//! Small writers shared by the formats: numbers and milliseconds without `fmt`.

/// Appends the decimal digits of `n`.
pub(crate) fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a signed integer.
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// Appends microseconds as milliseconds with three decimals: `412` → `0.412`.
pub(crate) fn write_millis(out: &mut Vec<u8>, micros: u64) {
    write_u64(out, micros / 1000);
    let frac = micros % 1000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// Appends a finite float in Rust's shortest round-trip form; `false` if not finite.
pub(crate) fn write_f64(out: &mut Vec<u8>, n: f64) -> bool {
    if !n.is_finite() {
        return false;
    }
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{n}");
    true
}

/// Appends an IP address.
pub(crate) fn write_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{ip}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let mut o = Vec::new();
        write_u64(&mut o, 0);
        o.push(b' ');
        write_u64(&mut o, u64::MAX);
        o.push(b' ');
        write_i64(&mut o, i64::MIN);
        o.push(b' ');
        write_millis(&mut o, 412);
        o.push(b' ');
        write_millis(&mut o, 12_345_007);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "0 18446744073709551615 -9223372036854775808 0.412 12345.007"
        );
    }
}
